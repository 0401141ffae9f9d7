// The exit codes of the `vigil` command, shared by every command group.
#pragma once

#include "core/status.h"

namespace vigil {

/// Exit codes scripts can rely on.
enum ExitCode {
  kExitOk = 0,
  kExitFailure = 1,      // storage or internal failure
  kExitUsage = 2,        // bad usage or invalid input
  kExitNotFound = 3,     // no such report, account or file
  kExitConflict = 4,     // the state forbids it (illegal transition, precondition)
  kExitAuditBroken = 5,  // `vigil audit verify` found a broken chain
};

/// The exit code for a failed status of CODE (kExitOk for kOk).
int ExitCodeFor(Code code);

}  // namespace vigil
