// When a patch revision counts as approved: by [patch] approvals_required distinct maintainers
// (per report level), none of them an author of its patches or its submitter, each approval
// unvoided and pinned to the revision's patch-ids (on any revision of its series: a resubmission
// with the same patch-ids keeps them). The one definition the report's approval, the disclosure's
// choice of revision, the API, the CLI and the pages use.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "store/store.h"

namespace vigil {

/// How many approvals a revision of a report at LEVEL needs: [patch] approvals_required for that
/// level; for a report not classified yet, the largest of them.
int ApprovalsRequired(const Config& config, int level);

struct ApprovalCount {
  std::vector<std::string> approvers;  // those who count, in the order they approved
  /// Unvoided approvals that do not count: the approver wrote a patch of it or submitted it
  /// (recorded before that was refused).
  std::vector<std::string> not_counted;
  int needed = 1;

  bool approved() const { return static_cast<int>(approvers.size()) >= needed; }
  /// "approved by alice@example.org" (one needed), "approved by 2 of 2: alice@example.org,
  /// bob@example.org", or "1 of 2 approvals (alice@example.org); needs 1 more from a maintainer
  /// who neither wrote nor submitted it".
  std::string Describe() const;
};

/// The approvals of R (one of ALL, the report's revisions) against NEEDED.
ApprovalCount CountApprovals(const std::vector<PatchRevision>& all, const PatchRevision& r,
                             int needed);

}  // namespace vigil
