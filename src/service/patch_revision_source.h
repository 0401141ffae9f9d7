// What disclosure needs to know about approved patches, behind one narrow interface fed by the
// patch engine's series, revisions and approvals: per branch, the approved patches, the
// patch-ids pinned at approval, and what `git am` records from each mail.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "core/time.h"
#include "patch/git_am.h"
#include "store/store.h"

namespace vigil {

/// One patch of an approved revision, as `git am` records it from its mail.
using ApprovedPatch = patch::AmPatch;

struct ApprovedRevision {
  std::string branch;
  std::string label;  // the revision, "s1v2"
  std::string approved_by;
  Instant approved_at = 0;
  std::vector<std::string> approved_patch_ids;  // pinned at approval, in order
  std::vector<ApprovedPatch> patches;           // the revision as it is now, in order
};

class ApprovedRevisionSource {
 public:
  virtual ~ApprovedRevisionSource() = default;
  /// The revision approved for BRANCH of REPORT_ID, or nullopt when none is.
  virtual Result<std::optional<ApprovedRevision>> ForBranch(const std::string& report_id,
                                                            const std::string& branch) = 0;
};

/// The approved revisions of the patch engine (PatchService): for a branch, the latest revision
/// of a series that counts as approved (CountApprovals: [patch] approvals_required for the
/// report's level, pinned to its patch-ids, none by its authors or submitter), preferring a series
/// that targets the branch, then one whose last check found it applying there. Each patch's
/// patch-id is computed again from the stored diff, so a revision edited after its approval (in the
/// database) shows up as a changed patch-id.
class PatchRevisionSource final : public ApprovedRevisionSource {
 public:
  /// CONFIG ([patch] approvals_required) and STORE must outlive the source.
  PatchRevisionSource(Store& store, const Config& config) : store_(store), config_(config) {}
  Result<std::optional<ApprovedRevision>> ForBranch(const std::string& report_id,
                                                    const std::string& branch) override;

 private:
  Store& store_;
  const Config& config_;
};

}  // namespace vigil
