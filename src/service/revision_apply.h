// Applies an approved revision to a branch the way `git am` would, with the `git` program and a
// temporary index (the work tree is never touched), and proves afterwards that the commits equal
// the approved patches: same patch-id, resulting tree, author name, email and date, and message.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "service/approved_revisions.h"

namespace vigil {

struct Committer {
  std::string name;
  std::string email;
  Instant date = 0;
};

/// Applies PATCHES in order on top of BASE (a commit) in REPO into a temporary index and returns
/// the tree after each patch. Nothing is referenced: only objects are written. Errors
/// (kConflict): "patch 2/3 (<subject>) does not apply: <git apply's first error line>".
Result<std::vector<std::string>> ApplyToTrees(const std::string& repo, const std::string& base,
                                              const std::vector<ApprovedPatch>& patches);

/// Applies PATCHES on BASE and creates REF (which must not exist) at the last of one commit per
/// patch, each with the mail's author, name and date, the am message and COMMITTER. Returns the
/// commit ids in order. Errors: ApplyToTrees's; kConflict "REF already exists".
Result<std::vector<std::string>> CommitRevision(const std::string& repo, const std::string& base,
                                                const std::string& ref,
                                                const std::vector<ApprovedPatch>& patches,
                                                const Committer& committer);

/// Proves that the PATCHES.size() commits ending at HEAD equal PATCHES: for each, the
/// `git patch-id --stable` of the commit's diff equals APPROVED_IDS[i], the tree equals the one
/// re-applying the patches on the first commit's parent gives, and author name, email, date
/// and message equal the mail's. Errors (kConflict): "commit <id12> (patch 2/3): patch-id
/// <id12> differs from the approved <id12>" (also "tree", "author", "author date", "message").
Status VerifyCommits(const std::string& repo, const std::string& head,
                     const std::vector<ApprovedPatch>& patches,
                     const std::vector<std::string>& approved_ids);

/// Seconds since the epoch and the "+hhmm" zone of an RFC 2822 date ("Tue, 2 Jan 2024 03:04:05
/// +0000"), as git's raw date format prints them ("1704164645 +0000"). Error: kInvalidArgument.
Result<std::string> RawGitDate(const std::string& rfc2822);

}  // namespace vigil
