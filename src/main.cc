// `vigil`: the command users run. `vigil patch inspect|check|apply` are run here, in a program
// that links only the patch engine: they are benchmarked against git, and loading the ~60 shared
// libraries of the complete program (Beast, GMime, librnp, libcurl, SQLite, ...) cost about three
// times git's whole run before the first byte of input was read. Every other command is run by
// `vigil-full` (installed in libexec/vigil/, beside this program in the build tree), exec'd with
// the same arguments: same process id, standard streams and signals, so scripts and service
// managers see no difference.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/command_table.h"
#include "cli/exit_code.h"
#include "cli/patch_file_commands.h"

namespace {

/// The directory of this program's executable, with its trailing '/'; empty if unknown.
std::string ProgramDirectory() {
  char path[4096];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof path);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof path) return {};
  std::string dir(path, static_cast<size_t>(n));
  return dir.substr(0, dir.rfind('/') + 1);
}

}  // namespace

int main(int argc, char** argv) {
  if (vigil::RunnerOf(argc, argv) == vigil::Runner::kFront) {
    return vigil::RunPatchFileCommand(argc, argv);
  }
  const std::string dir = ProgramDirectory();
  if (dir.empty()) {
    std::fprintf(stderr, "vigil: cannot find the directory of this program\n");
    return vigil::kExitFailure;
  }
  // Installed: bin/vigil runs libexec/vigil/vigil-full. Built: both are in the build directory.
  const std::string installed = dir + VIGIL_FULL_FROM_BIN, built = dir + "vigil-full";
  const std::string& full =
      access(installed.c_str(), X_OK) != 0 && access(built.c_str(), X_OK) == 0 ? built : installed;
  execv(full.c_str(), argv);
  std::fprintf(stderr, "vigil: cannot run %s: %s\n", full.c_str(), std::strerror(errno));
  return vigil::kExitFailure;
}
