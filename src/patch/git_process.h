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
  /// The first line of stderr (or of stdout when stderr is empty), at most 300 bytes: what an
  /// error message quotes.
  std::string FirstErrorLine() const;
};

/// Environment variables for one git command ("GIT_INDEX_FILE" -> "/tmp/x").
using GitEnv = std::map<std::string, std::string>;

/// The one environment policy of every git command Vigil runs (the CLI and the server alike):
/// the caller's environment without the variables that redirect git to another repository,
/// index, object store or work tree or change what a command means (GIT_DIR, GIT_INDEX_FILE,
/// GIT_CONFIG_PARAMETERS, GIT_EXTERNAL_DIFF, ...) and without the locale (LANG, LC_ALL,
/// LANGUAGE); then LC_ALL=C so that messages can be parsed, GIT_TERMINAL_PROMPT=0 so that git
/// never waits for a password, and EXTRA, which replaces any variable of the same name.
/// Identity variables (GIT_AUTHOR_*, GIT_COMMITTER_*) and transport settings (GIT_SSH_COMMAND)
/// pass, as they do for `git am` itself.
std::vector<std::string> GitEnvironment(const GitEnv& extra = {});

/// Output of one git command (stdout and stderr each) beyond which RunGit fails.
inline constexpr size_t kMaxGitOutputBytes = 64u << 20;

/// Runs `git -C REPO ARGS...` with INPUT on stdin and waits for it. ARGS go to git as separate
/// arguments (no shell); the caller keeps user-controlled values out of option positions.
/// A non-zero exit is not an error (see exit_code). Errors (kUnavailable): "cannot run git: ..."
/// when git cannot be started; "git ARGS[0]: output over 64 MiB".
Result<GitOutput> RunGit(const std::string& repo, const std::vector<std::string>& args,
                         std::string_view input = {}, const GitEnv& env = {});

/// Like RunGit, returning stdout; a non-zero exit is kUnavailable "git ARGS[0]: <first error
/// line>".
Result<std::string> GitOk(const std::string& repo, const std::vector<std::string>& args,
                          std::string_view input = {}, const GitEnv& env = {});

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
