// What `git am` makes of a series, with git itself: one engine for `vigil patch apply` (through
// ApplySeries) and for disclosure. Patches are applied with `git apply --cached` into a temporary
// index (the work tree and the repository's index are never touched) and committed with
// `git commit-tree` carrying the mail's author, date and am-normalised message; afterwards,
// VerifyCommits proves that commits equal the patches they were made from.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "patch/patch_series.h"

namespace vigil::patch {

/// One patch as `git am` records it from its mail.
struct AmPatch {
  std::string subject;      ///< cleaned subject, for messages
  std::string diff;         ///< the patch part of the mail (what `git apply` gets)
  std::string patch_id;     ///< `git patch-id --stable` of the diff
  std::string author_name;  ///< as `git am` records them
  std::string author_email;
  std::string author_date;  ///< the Date: as sent ("Tue, 2 Jan 2024 03:04:05 +0000")
  std::string message;      ///< the am-normalised commit message
};

/// The patches of a series read by ReadSeries (kComplete), as `git am` would commit them.
std::vector<AmPatch> AmPatches(const std::vector<SeriesPatch>& series);

/// Who commits. An empty name or email leaves it to git (the environment, then the repository's
/// configuration); a zero date is the time of the commit.
struct Committer {
  std::string name;
  std::string email;
  Instant date = 0;
};

/// Applies PATCHES in order on top of BASE (a revision) in REPO into a temporary index and returns
/// the tree after each patch. As `git am` applies: context must match, offsets are searched, no
/// fuzz. Nothing is referenced: only objects are written. Errors (kConflict): "patch 2/3
/// (<subject>) does not apply: <git apply's first error line>"; kUnavailable for git failures.
Result<std::vector<std::string>> ApplyToTrees(const std::string& repo, const std::string& base,
                                              const std::vector<AmPatch>& patches);

/// Applies PATCHES on BASE and makes one commit per patch with the mail's author name, email
/// and date, the am message and COMMITTER; when REF is not empty, creates REF (which must not
/// exist; an all-zero old value makes git refuse if it appeared meanwhile) at the last commit.
/// Returns the commit ids in order. Errors: ApplyToTrees's; kConflict "REF already exists";
/// kInvalidArgument "patch 2/3 (<subject>): cannot read the date \"...\"".
Result<std::vector<std::string>> CommitPatches(const std::string& repo, const std::string& base,
                                               const std::string& ref,
                                               const std::vector<AmPatch>& patches,
                                               const Committer& committer);

/// Proves that the PATCHES.size() commits ending at HEAD equal PATCHES: for each, the
/// `git patch-id --stable` of the commit's diff equals APPROVED_IDS[i], the tree equals the one
/// re-applying the patches on the first commit's parent gives, and author name, email, date
/// and message equal the mail's. Errors (kConflict): "commit <id12> (patch 2/3): patch-id
/// <id12> differs from the approved <id12>" (also "tree", "author", "author date", "message"),
/// "<head12> does not hold N commits".
Status VerifyCommits(const std::string& repo, const std::string& head,
                     const std::vector<AmPatch>& patches,
                     const std::vector<std::string>& approved_ids);

/// Seconds since the epoch and the "+hhmm" zone of an RFC 2822 date ("Tue, 2 Jan 2024 03:04:05
/// +0000"), as git's raw date format prints them ("1704164645 +0000"). Error: kInvalidArgument
/// "cannot read the date \"...\"".
Result<std::string> RawGitDate(const std::string& rfc2822);

}  // namespace vigil::patch
