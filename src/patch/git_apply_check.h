// The git side of CheckSeries: the same question asked of the `git` program, for what the
// in-process engine leaves to git (binary data it cannot decode, symbolic links, submodules,
// unusual paths) and for CheckEngine::kGit.
#pragma once

#include <functional>
#include <optional>
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

/// One engine's answer for one patch (kApplies, kOffset, kAlreadyApplied or kConflict), or
/// nullopt when the engine cannot tell (the in-process engine, for what only git decodes).
using PatchCheck = std::function<Result<std::optional<PatchApplicability>>(const SeriesPatch&)>;

/// The walk both engines share: asks CHECK about each patch of SERIES in order and appends the
/// answers to OUT; after the first conflict, each later patch is kNotChecked ("<label>: not
/// checked: <blocker> does not apply") without asking. Returns false as soon as CHECK cannot
/// tell (OUT is then incomplete); CHECK's errors are returned as they are.
Result<bool> CheckInOrder(const std::vector<SeriesPatch>& series, const PatchCheck& check,
                          std::vector<PatchApplicability>* out);

}  // namespace vigil::patch
