// GitProcess: runs the `git` program on a repository without a shell, with a controlled
// environment, and a long-lived `git cat-file --batch-command` for reading objects.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil::patch {

/// What one git command produced.
struct GitOutput {
  int exit_code = -1;  ///< -1 when git could not be started or was killed by a signal.
  std::string out;
  std::string err;
};

/// The environment every git command of Vigil runs with: the caller's environment without the
/// GIT_* variables that redirect git to another repository, index, object store or work tree
/// (GIT_DIR, GIT_INDEX_FILE, ...), with LC_ALL=C so that messages can be parsed, and with
/// EXTRA (e.g. {"GIT_INDEX_FILE", "/tmp/x"}) added.
std::vector<std::string> GitEnvironment(const std::map<std::string, std::string>& extra = {});

/// Runs `git -C REPO ARGS...` with INPUT on stdin and waits for it. ARGS go to git as separate
/// arguments (no shell); the caller keeps user-controlled values out of option positions.
/// Errors: kUnavailable when git cannot be started.
Result<GitOutput> RunGit(const std::string& repo, const std::vector<std::string>& args,
                         std::string_view input = {},
                         const std::map<std::string, std::string>& env = {});

/// One object read through `git cat-file --batch-command`.
struct GitObject {
  std::string oid;
  std::string type;  ///< "blob", "tree", "commit", "tag".
  std::string data;  ///< Empty for Info().
  size_t size = 0;
};

/// A running `git -C REPO cat-file --batch-command`: object names go to git on its standard
/// input (never as arguments), so a name cannot be taken for an option. Not thread-safe.
class CatFile {
 public:
  /// Starts the process. Errors: kUnavailable when git cannot be started.
  static Result<std::unique_ptr<CatFile>> Start(const std::string& repo);
  ~CatFile();  // closes git's input and reaps it
  CatFile(const CatFile&) = delete;
  CatFile& operator=(const CatFile&) = delete;

  /// The object NAME (an oid or any revision expression like "main^{commit}"); nullopt when
  /// git reports it missing or ambiguous. NAME must not contain a newline (kInvalidArgument).
  /// kUnavailable when git stopped answering.
  Result<std::optional<GitObject>> Read(std::string_view name);
  /// Like Read, without the content.
  Result<std::optional<GitObject>> Info(std::string_view name);

 private:
  CatFile() = default;
  Result<std::optional<GitObject>> Query(std::string_view command, std::string_view name,
                                         bool with_data);
  Status ReadLine(std::string* line);
  Status ReadExact(size_t n, std::string* out);
  Status Fill();  // appends at least one byte from git to buffer_

  pid_t pid_ = -1;
  int to_git_ = -1;
  int from_git_ = -1;
  std::string buffer_;  // bytes read from git not yet consumed
  size_t buffer_pos_ = 0;
};

}  // namespace vigil::patch
