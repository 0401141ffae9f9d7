// CheckSeries: does a series apply on a revision, exactly as `git apply --check` (as run by
// `git am`: --cached against the revision's tree, offsets allowed, no fuzz) would say, each
// patch on top of the ones before it. See ../shared/GIT-CONTRACT.md, "What git am records".
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "patch/git_repository.h"
#include "patch/patch_series.h"

namespace vigil::patch {

/// The answer for one (patch, revision).
enum class Applicability {
  kApplies,         ///< every hunk at the line its header names
  kOffset,          ///< applies, with at least one hunk found at an offset
  kConflict,        ///< does not apply (and its reverse does not either)
  kAlreadyApplied,  ///< does not apply, but its reverse does: the change is already there
  kNotChecked,      ///< an earlier patch of the series conflicts, so this one was not tried
};
/// "applies", "offset", "conflict", "already-applied", "not-checked".
const char* ApplicabilityName(Applicability a);

struct PatchApplicability {
  Applicability verdict = Applicability::kApplies;
  int offset = 0;    ///< kOffset: the hunk offset of largest magnitude, in lines (signed).
  std::string file;  ///< kConflict: the file git names.
  int hunk = 0;      ///< kConflict: the 1-based hunk that failed; 0 when no hunk is at fault.
  int line = 0;      ///< kConflict with a hunk: the hunk's "@@ -LINE" (what git reports).
  /// kConflict: "patch 2/3: hunk 1 of src/a.c does not apply at line 40",
  ///            "patch 1/1: src/new.c already exists", "patch 1/1: src/a.c does not exist", ...
  /// kAlreadyApplied: "patch 1/2: already applied"; kNotChecked: "patch 2/2: not checked:
  /// patch 1/2 does not apply".
  std::string message;
  bool Applies() const {
    return verdict == Applicability::kApplies || verdict == Applicability::kOffset;
  }
};

struct RevisionApplicability {
  std::string rev;                          ///< As asked.
  std::string commit;                       ///< What it resolved to.
  std::vector<PatchApplicability> patches;  ///< One per patch, in series order.
  /// True when the answer came from the `git` program (binary data Vigil cannot check itself,
  /// symbolic links, submodules, unusual paths) rather than from the in-process engine.
  bool by_git = false;
  bool AllApply() const;
};

/// How the check runs. The in-process engine gives git's answer; kGit asks git itself (one
/// temporary index, `git apply --cached --check`, objects kept out of the repository).
enum class CheckEngine { kAuto, kGit };

/// Checks SERIES on REV of REPO. Never writes to the repository, its refs, index or work tree.
/// Errors: the ResolveCommit errors for REV; kUnavailable when git fails.
Result<RevisionApplicability> CheckSeries(GitRepository& repo,
                                          const std::vector<SeriesPatch>& series,
                                          const std::string& rev,
                                          CheckEngine engine = CheckEngine::kAuto);

}  // namespace vigil::patch
