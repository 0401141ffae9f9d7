// Runs the `git` program: where git's own behaviour is the contract (apply, commit-tree, push),
// Vigil asks git itself. No shell is involved; arguments are passed as they are.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil {

struct GitOutput {
  int exit_code = -1;
  std::string out;
  std::string err;
  /// The first line of stderr (or stdout), for error messages.
  std::string FirstErrorLine() const;
};

/// Runs `git -C REPO ARGS...` with INPUT on stdin, ENV ("NAME=value") added to the environment
/// (GIT_TERMINAL_PROMPT=0 and LC_ALL=C always). Output beyond 64 MiB is an error. Errors:
/// kUnavailable when git cannot be started; a non-zero exit is not an error (see exit_code).
Result<GitOutput> RunGit(const std::string& repo, const std::vector<std::string>& args,
                         std::string_view input = {}, const std::vector<std::string>& env = {});

/// Like RunGit, but a non-zero exit is kUnavailable "git ARGS[0]: <first error line>".
Result<std::string> GitOk(const std::string& repo, const std::vector<std::string>& args,
                          std::string_view input = {}, const std::vector<std::string>& env = {});

}  // namespace vigil
