// The command table of `vigil`: every top-level command with its one-line help, and the commands
// the front program runs itself (src/main.cc). Both programs build their parsers from it, so the
// front and `vigil-full` can never disagree on a name, a description or which of them runs what.
#pragma once

#include <span>
#include <string_view>

namespace CLI {
class App;
}

namespace vigil {

/// Which program runs a command: the front (`vigil`, linking only the patch engine) or the
/// complete program (`vigil-full`, which the front execs).
enum class Runner { kFront, kFull };

struct CommandSpec {
  std::string_view path;  // "report", or "patch inspect" for a subcommand the table must name
  std::string_view description;
  Runner runner = Runner::kFull;
};

/// The description of the `vigil` program.
inline constexpr std::string_view kProgramDescription =
    "Vigil: coordinated vulnerability disclosure for open-source projects";

/// Every entry of the table, top-level commands first, in the order `vigil --help` lists them.
std::span<const CommandSpec> CommandTable();

/// The entry named PATH. PATH must be in the table (a programming error otherwise: aborts).
const CommandSpec& Command(std::string_view path);

/// The program that runs ARGV: kFront when ARGV's first two words name a kFront entry.
Runner RunnerOf(int argc, const char* const* argv);

/// Adds PATH's last word as a subcommand of PARENT, with the table's description.
CLI::App* AddCommand(CLI::App& parent, std::string_view path);

}  // namespace vigil
