// The git side of CheckSeries: the same question asked of the `git` program, for what the
// in-process engine leaves to git (binary data it cannot decode, symbolic links, submodules,
// unusual paths) and for CheckEngine::kGit.
#pragma once

#include <vector>

#include "core/status.h"
#include "patch/apply_check.h"
#include "patch/git_repository.h"
#include "patch/patch_series.h"

namespace vigil::patch {

/// Checks SERIES on OUT.commit of REPO with `git apply --cached --check` (then `-R` for a patch
/// that does not apply), each patch applied to a temporary index before the next one. Returns
/// OUT with by_git set and one answer per patch. Never writes to the repository, its refs,
/// index or work tree. Errors: kUnavailable when git fails.
Result<RevisionApplicability> GitApplyCheck(GitRepository& repo,
                                            const std::vector<SeriesPatch>& series,
                                            RevisionApplicability out);

}  // namespace vigil::patch
