// The `vigil` command line. One file per command group registers its subcommands.
#pragma once

#include "runtime/runtime.h"

namespace vigil {

/// Runs the `vigil` command on a runtime built with HOOKS (none in production). Returns the
/// process exit code (see ExitCodeFor in exit_code.h).
int RunVigil(int argc, char** argv, RuntimeHooks hooks = {});

}  // namespace vigil
