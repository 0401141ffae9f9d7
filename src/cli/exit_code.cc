#include "cli/exit_code.h"

namespace vigil {

int ExitCodeFor(Code code) {
  switch (code) {
    case Code::kOk:
      return kExitOk;
    case Code::kInvalidArgument:
    case Code::kTooLarge:
      return kExitUsage;
    case Code::kNotFound:
      return kExitNotFound;
    case Code::kConflict:
    case Code::kPermissionDenied:
      return kExitConflict;
    default:
      return kExitFailure;
  }
}

}  // namespace vigil
