// GitSandbox: a temporary directory in which tests run the real `git` program, isolated from the
// user's configuration. Test-only; header-only so that each test binary can include it. Runs git
// through Vigil's own runner (patch/git_process.h).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "patch/git_process.h"

namespace vigil::patch {

/// Owns a fresh directory made by mkdtemp() and removes it on destruction. Every command runs
/// with HOME set to that directory, GIT_CONFIG_NOSYSTEM=1 and fixed author/committer identities
/// and dates, so that results are deterministic. Nothing outside the directory is touched.
class GitSandbox {
 public:
  GitSandbox() {
    std::string templ = (std::filesystem::temp_directory_path() / "vigil-patch-XXXXXX").string();
    if (mkdtemp(templ.data()) != nullptr) dir_ = templ;
    env_ = {{"GIT_CONFIG_NOSYSTEM", "1"},
            {"HOME", dir_},
            {"XDG_CONFIG_HOME", dir_ + "/.config"},
            {"GIT_AUTHOR_NAME", "A U Thor"},
            {"GIT_AUTHOR_EMAIL", "author@example.com"},
            {"GIT_AUTHOR_DATE", "2024-01-02T03:04:05Z"},
            {"GIT_COMMITTER_NAME", "C O Mitter"},
            {"GIT_COMMITTER_EMAIL", "committer@example.com"},
            {"GIT_COMMITTER_DATE", "2024-01-02T03:04:05Z"},
            {"TZ", "UTC"}};
  }
  ~GitSandbox() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  GitSandbox(const GitSandbox&) = delete;
  GitSandbox& operator=(const GitSandbox&) = delete;

  bool ok() const { return !dir_.empty(); }
  const std::string& dir() const { return dir_; }

  /// Runs `git ARGS` in the sandbox with `input` on stdin; returns stdout. `*exit_code` receives
  /// the exit status (-1 if it could not be run).
  std::string Git(std::vector<std::string> args, std::string_view input, int* exit_code) {
    // Vigil's own runner (one environment policy), with the sandbox's identity and home.
    Result<GitOutput> r = RunGit(dir_, args, input, env_);
    *exit_code = r.ok() ? r->exit_code : -1;
    return r.ok() ? std::move(r->out) : std::string();
  }

  /// Runs `git ARGS` and returns stdout; on a non-zero exit returns "<git failed: ARGS>".
  std::string Git(std::initializer_list<std::string> args, std::string_view input = {}) {
    int code = 0;
    std::string out = Git(std::vector<std::string>(args), input, &code);
    if (code != 0) {
      std::string joined;
      for (const auto& a : args) joined += " " + a;
      return "<git failed:" + joined + ">";
    }
    return out;
  }

  /// Writes `content` to `path` (relative to the sandbox), creating parent directories.
  void Write(const std::string& path, std::string_view content) {
    std::filesystem::path p = std::filesystem::path(dir_) / path;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
  }

  /// Sets or clears the executable bits of `path` (relative to the sandbox).
  void SetExecutable(const std::string& path, bool executable) {
    using std::filesystem::perms;
    std::filesystem::permissions(
        std::filesystem::path(dir_) / path,
        perms::owner_exec | perms::group_exec | perms::others_exec,
        executable ? std::filesystem::perm_options::add : std::filesystem::perm_options::remove);
  }

  /// Reads a file of the sandbox or, given an absolute path, any file.
  static std::string ReadFile(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

 private:
  std::string dir_;
  GitEnv env_;
};

}  // namespace vigil::patch
