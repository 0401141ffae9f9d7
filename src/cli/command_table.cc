#include "cli/command_table.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace vigil {
namespace {

constexpr CommandSpec kCommands[] = {
    {"init", "Create vigil.toml, the data folder and the first admin"},
    {"serve", "Run the HTTP server until SIGTERM"},
    {"report", "Work on reports"},
    {"user", "Manage accounts"},
    {"token", "Manage API tokens"},
    {"audit", "The tamper-evident audit log"},
    {"backup", "Write a consistent snapshot of the database (safe while the server runs)"},
    {"restore", "Replace the database with a verified backup (server must be stopped)"},
    {"migrate-data",
     "Copy the project's SQLite database into an empty PostgreSQL database (verified on "
     "arrival)"},
    {"cvss",
     "Score CVSS vectors. With '-', read one vector per line and print the lines of the test "
     "vector files: VECTOR - (base, temporal, environmental) for v3.x, VECTOR - (score,) for "
     "v4.0"},
    {"advisory", "A report's advisory draft and its exports"},
    {"plan", "The disclosure plan: slot, on-duty"},
    {"disclose", "Disclose a report: push the approved commits, open the issue and PRs, publish"},
    {"public", "The public route of levels 4 to 7"},
    {"ingest", "Read one mail from stdin (for an MTA's pipe transport); exit 0/65/75"},
    {"mail", "The mail gateway's queues"},
    {"key", "The project's OpenPGP key"},
    {"patch", "Read, check and apply git format-patch mail"},
    // Run by the front: they read files and a repository only, and start as fast as git.
    {"patch inspect", "Show what git am would make of each patch", Runner::kFront},
    {"patch check", "Does each patch apply on each revision (as git apply --check would say)",
     Runner::kFront},
    {"patch apply", "Create the commits git am would create, without touching the work tree",
     Runner::kFront},
};

}  // namespace

std::span<const CommandSpec> CommandTable() { return kCommands; }

const CommandSpec& Command(std::string_view path) {
  for (const CommandSpec& c : kCommands) {
    if (c.path == path) return c;
  }
  std::fprintf(stderr, "vigil: internal error: command \"%.*s\" is not in the command table\n",
               static_cast<int>(path.size()), path.data());
  std::abort();
}

Runner RunnerOf(int argc, const char* const* argv) {
  if (argc < 3) return Runner::kFull;
  const std::string two = std::string(argv[1]) + " " + argv[2];
  for (const CommandSpec& c : kCommands) {
    if (c.path == two) return c.runner;
  }
  return Runner::kFull;
}

CLI::App* AddCommand(CLI::App& parent, std::string_view path) {
  const CommandSpec& c = Command(path);
  const size_t space = path.rfind(' ');
  const std::string_view name = space == std::string_view::npos ? path : path.substr(space + 1);
  return parent.add_subcommand(std::string(name), std::string(c.description));
}

}  // namespace vigil
