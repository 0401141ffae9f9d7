#include "patch/apply_series.h"

#include <stdlib.h>

#include <filesystem>

#include "patch/apply_check.h"

namespace vigil::patch {
namespace {

std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

Status GitFailure(const char* what, const GitOutput& out) {
  std::string err = out.err;
  while (!err.empty() && err.back() == '\n') err.pop_back();
  return Status::Unavailable(std::string(what) + " failed: " + err);
}

}  // namespace

Result<AppliedSeries> ApplySeries(GitRepository& repo, const std::vector<SeriesPatch>& series,
                                  const std::string& rev, const ApplyOptions& options) {
  const std::string ref = "refs/heads/" + options.branch;
  if (!options.branch.empty()) {
    // check-ref-format sees "refs/heads/NAME": never an option.
    Result<GitOutput> valid = RunGit(repo.path(), {"check-ref-format", ref});
    if (!valid.ok()) return valid.status();
    if (valid->exit_code != 0 || options.branch.starts_with('-')) {
      return Status::Invalid("invalid branch name \"" + options.branch + "\"");
    }
    Result<GitOutput> exists = RunGit(repo.path(), {"show-ref", "--verify", "--quiet", "--", ref});
    if (!exists.ok()) return exists.status();
    if (exists->exit_code == 0)
      return Status::Conflict("branch " + options.branch + " already exists");
  }
  Result<RevisionApplicability> check = CheckSeries(repo, series, rev);
  if (!check.ok()) return check.status();
  for (const PatchApplicability& p : check->patches) {
    if (!p.Applies()) return Status::Conflict(p.message);
  }

  AppliedSeries applied;
  applied.base = check->commit;
  std::string templ = (std::filesystem::temp_directory_path() / "vigil-am-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) {
    return Status::Unavailable("cannot create a temporary directory");
  }
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{templ};
  std::map<std::string, std::string> env = {{"GIT_INDEX_FILE", templ + "/index"}};
  if (!options.committer_name.empty()) env["GIT_COMMITTER_NAME"] = options.committer_name;
  if (!options.committer_email.empty()) env["GIT_COMMITTER_EMAIL"] = options.committer_email;

  Result<GitOutput> read = RunGit(repo.path(), {"read-tree", applied.base}, {}, env);
  if (!read.ok()) return read.status();
  if (read->exit_code != 0) return GitFailure("git read-tree", *read);
  std::string parent = applied.base;
  for (const SeriesPatch& p : series) {
    Result<GitOutput> apply =
        RunGit(repo.path(), {"apply", "--cached", "--whitespace=nowarn"}, p.mail.patch, env);
    if (!apply.ok()) return apply.status();
    if (apply->exit_code != 0) {
      return Status::Conflict(p.Label() + ": " + FirstLine(apply->err));
    }
    Result<GitOutput> tree = RunGit(repo.path(), {"write-tree"}, {}, env);
    if (!tree.ok()) return tree.status();
    if (tree->exit_code != 0) return GitFailure("git write-tree", *tree);
    std::map<std::string, std::string> commit_env = env;
    commit_env["GIT_AUTHOR_NAME"] = p.mail.author;
    commit_env["GIT_AUTHOR_EMAIL"] = p.mail.email;
    commit_env["GIT_AUTHOR_DATE"] = p.mail.date;
    Result<GitOutput> commit =
        RunGit(repo.path(), {"commit-tree", FirstLine(tree->out), "-p", parent}, p.mail.message,
               commit_env);
    if (!commit.ok()) return commit.status();
    if (commit->exit_code != 0) return GitFailure("git commit-tree", *commit);
    parent = FirstLine(commit->out);
    applied.commits.push_back(parent);
  }
  if (!options.branch.empty()) {
    Result<GitOutput> update = RunGit(repo.path(), {"update-ref", "-m", "vigil: patch apply", ref,
                                                    parent, std::string(parent.size(), '0')});
    if (!update.ok()) return update.status();
    if (update->exit_code != 0) {
      return Status::Conflict("branch " + options.branch + " already exists");
    }
  }
  return applied;
}

}  // namespace vigil::patch
