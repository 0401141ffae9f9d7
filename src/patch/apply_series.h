// ApplySeries: creates the commits `git am` would create for a series on a revision (same tree,
// same author name, email and date, same message), without touching the work tree, the index
// or any ref but the one branch asked for.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "patch/git_repository.h"
#include "patch/patch_series.h"

namespace vigil::patch {

struct ApplyOptions {
  /// A new branch (refs/heads/BRANCH) to point at the last commit; empty = no ref is written
  /// (the commits are reachable only by their ids until something refers to them).
  std::string branch;
  /// The committer; empty = git's own configuration of the repository.
  std::string committer_name;
  std::string committer_email;
};

struct AppliedSeries {
  std::string base;                  ///< The commit the series was applied on.
  std::vector<std::string> commits;  ///< One per patch, in order; the last one is the tip.
};

/// Applies SERIES on REV. First checks it (CheckSeries): any patch that does not apply fails the
/// whole call before anything is written. Then commits it with the engine disclosure uses
/// (patch/git_am.h CommitPatches: `git apply --cached` into a temporary index, `git commit-tree`
/// with the mail's author, date and am-normalised message); finally, if asked, `git update-ref`
/// creates the branch with an old value of zero, so an existing branch is never moved. Errors:
///   the ResolveCommit errors for REV;
///   kInvalidArgument "invalid branch name \"NAME\"";
///   kConflict "branch NAME already exists";
///   kConflict with the first failing patch's message ("patch 2/3: hunk 1 of src/a.c does not
///     apply at line 40", "patch 1/2: already applied", ...);
///   kInvalidArgument "patch 1/2 (<subject>): cannot read the date \"...\"";
///   kUnavailable "git commit-tree: ..." (e.g. no committer identity) and other git failures.
/// On any error no ref has moved (objects written before the error stay unreferenced).
Result<AppliedSeries> ApplySeries(GitRepository& repo, const std::vector<SeriesPatch>& series,
                                  const std::string& rev, const ApplyOptions& options = {});

}  // namespace vigil::patch
