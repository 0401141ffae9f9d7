#include "patch/apply_series.h"

#include "patch/apply_check.h"
#include "patch/git_am.h"

namespace vigil::patch {

Result<AppliedSeries> ApplySeries(GitRepository& repo, const std::vector<SeriesPatch>& series,
                                  const std::string& rev, const ApplyOptions& options) {
  const std::string ref = options.branch.empty() ? "" : "refs/heads/" + options.branch;
  if (!ref.empty()) {
    // check-ref-format sees "refs/heads/NAME": never an option.
    Result<GitOutput> valid = RunGit(repo.path(), {"check-ref-format", ref});
    if (!valid.ok()) return valid.status();
    if (valid->exit_code != 0 || options.branch.starts_with('-')) {
      return Status::Invalid("invalid branch name \"" + options.branch + "\"");
    }
    Result<GitOutput> exists = RunGit(repo.path(), {"show-ref", "--verify", "--quiet", "--", ref});
    if (!exists.ok()) return exists.status();
    if (exists->exit_code == 0) {
      return Status::Conflict("branch " + options.branch + " already exists");
    }
  }
  // Vigil's own check first: it names the hunk and line at fault, and nothing is written when
  // any patch fails.
  Result<RevisionApplicability> check = CheckSeries(repo, series, rev);
  if (!check.ok()) return check.status();
  for (const PatchApplicability& p : check->patches) {
    if (!p.Applies()) return Status::Conflict(p.message);
  }
  Result<std::vector<std::string>> commits =
      CommitPatches(repo.path(), check->commit, ref, AmPatches(series),
                    {options.committer_name, options.committer_email, 0});
  if (!commits.ok()) {
    if (commits.status().message() == ref + " already exists") {
      return Status::Conflict("branch " + options.branch + " already exists");
    }
    return commits.status();
  }
  return AppliedSeries{check->commit, *std::move(commits)};
}

}  // namespace vigil::patch
