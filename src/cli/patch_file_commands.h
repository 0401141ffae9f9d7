// `vigil patch inspect|check|apply`: the patch engine on files and local repositories. They need
// no vigil.toml and no database, and this part of the CLI links only the patch engine, so that the
// `vigil` front program (src/main.cc) runs them without loading the server's libraries.
#pragma once

#include <cstddef>
#include <string>

#include "core/status.h"

namespace CLI {
class App;
}

namespace vigil {

/// Reads FILE ("-" = standard input), refusing more than LIMIT bytes before reading them.
/// Errors: "cannot open FILE" (kNotFound), "input is over the limit of LIMIT bytes" (kTooLarge).
Result<std::string> ReadPatchInput(const std::string& file, size_t limit);

/// Adds `inspect`, `check` and `apply` to GROUP (the `patch` command group). A command that fails
/// prints "vigil: <message>" to stderr and sets EXIT_CODE (see exit_code.h), which must outlive
/// the parse.
void AddPatchFileCommands(CLI::App& group, int& exit_code);

/// Runs `vigil patch inspect|check|apply ...` (the commands whose Runner is kFront in the
/// command table, cli/command_table.h) exactly as the complete `vigil` would (same
/// options, output, messages and exit codes). Returns the exit code.
int RunPatchFileCommand(int argc, const char* const* argv);

}  // namespace vigil
