// The `vigil` command line. One file per command group registers its subcommands.
#pragma once

namespace vigil {

/// Runs the `vigil` command. Returns the process exit code (see ExitCodeFor in context.h).
int RunVigil(int argc, char** argv);

}  // namespace vigil
