// PatchService: patches attached to a report. Series per target branch with revisions v1, v2, ...;
// an applicability matrix per revision against the project's repository; approvals pinned to a
// revision's patch-ids; the report becomes `approved` once every branch its level requires has an
// approved revision that applies there. Every step is an event on the report's chain.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/access.h"
#include "core/status.h"
#include "core/time.h"
#include "patch/patch_series.h"
#include "store/store.h"

namespace vigil {

struct PatchSubmitOptions {
  /// The branch the series is for; empty = project.master_branch. Must be master or one of
  /// project.supported_branches.
  std::string target_branch;
  /// Adds the revision to this series of the report (the submitter links it explicitly);
  /// 0 = link by change-id, then by thread (In-Reply-To/References naming a Message-ID of an
  /// earlier revision), else start a new series.
  int series = 0;
};

/// Adds rows to BATCH, the write in which REVISION of REPORT gets the last approval it needs
/// (CreditRequests::AddToApproval asks its authors for their credit).
using RevisionApprovedHook =
    std::function<Status(const Principal& actor, const Report& report,
                         const PatchRevision& revision, WriteBatch& batch)>;

class PatchService {
 public:
  /// STORE and CLOCK (and what ON_APPROVED uses) must outlive the service. Thread-safe
  /// (applicability checks run git and are serialised by a mutex; writes go through the store).
  PatchService(Store& store, const Clock& clock, Config config,
               RevisionApprovedHook on_approved = nullptr);
  ~PatchService();

  /// The largest upload SubmitSeries accepts ([patch] max_bytes).
  int64_t MaxUploadBytes() const { return config_.patch_max_bytes; }

  /// The branches every revision is checked on: master, then the supported branches.
  std::vector<std::string> Branches() const;

  /// Attaches the patches of MBOX (an mbox, one mail or a plain diff) to REPORT_ID as a new
  /// revision, checks it on every branch (when [repository] is configured), voids the approvals
  /// of earlier revisions of the series whose patch-ids differ, and records the events
  /// patch.submitted, revision.checked (per branch) and approval.voided. When that voiding leaves
  /// an `approved` report without an approved revision that applies on a branch its level
  /// requires, the report goes back to `fixing` in the same write (event report.unapproved). The
  /// mail gateway calls
  /// this too. Errors: kNotFound/kPermissionDenied from the access policy (reporters,
  /// collaborators and staff may submit; observers may not); kTooLarge "patch upload is N bytes,
  /// over the limit of M" / "more than M patches"; kInvalidArgument with ReadSeries' message
  /// ("patch 1/2: hunk 1 of a.c: wrong line count", ...), "branch X is not master or a supported
  /// branch", "series N does not exist"; kConflict "REPORT is STATE: patches are accepted while
  /// it is open" for a closed report.
  Result<PatchRevision> SubmitSeries(const Principal& actor, const std::string& report_id,
                                     std::string_view mbox, const PatchSubmitOptions& options);

  /// Every revision of REPORT_ID. REQUIRES: ACTOR may read the report.
  Result<std::vector<PatchRevision>> Revisions(const std::string& report_id);

  /// Re-checks the latest revision of every series on every branch (after branches moved), and
  /// approves the report when that completes its approvals. Errors: kConflict "no repository is
  /// configured ([repository] path)".
  Result<std::vector<PatchRevision>> Recheck(const Principal& actor, const std::string& report_id);

  /// Records APPROVER's approval of REVISION ("s1v2"), pinned to its patch-ids, and approves the
  /// report when every required branch now has an approved revision that applies. ACTOR must be
  /// staff; an account approves as itself (APPROVER empty or equal), the CLI names an active
  /// maintainer or admin account. Errors: kInvalidArgument "unknown revision NAME",
  /// "NAME is not the latest revision of series N (LATEST is)", "APPROVER is not an active
  /// maintainer account", "APPROVER wrote a patch of NAME and cannot approve it", "APPROVER
  /// submitted NAME and cannot approve it";
  /// kConflict "NAME is already approved by APPROVER". The approval that completes the
  /// revision's approvals runs the RevisionApprovedHook in its write.
  Result<PatchRevision> Approve(const Principal& actor, const std::string& report_id,
                                const std::string& revision, std::string approver);

  /// The branches the report's level requires that lack an approved revision (NEEDED approvals
  /// that count, CountApprovals) that applies.
  static std::vector<std::string> BranchesMissingApproval(
      const std::vector<PatchRevision>& revisions, const std::vector<std::string>& required,
      int needed = 1);
  const Config& config() const { return config_; }
  /// How many approvals a revision of REPORT_ID needs at its level ([patch] approvals_required).
  /// Errors: the report's lookup.
  Result<int> ApprovalsNeeded(const std::string& report_id);

 private:
  struct Checker;
  Status Authorize(const Principal& actor, Action action, const Report& report) const;
  /// The applicability rows of the patches of REVISION on every branch (empty without a
  /// repository). kUnavailable when git fails.
  Result<std::vector<StoredApplicability>> Check(const PatchRevision& revision);
  /// The patches of MBOX within the [patch] limits (max_bytes, max_count).
  Result<std::vector<patch::SeriesPatch>> ReadSeries(std::string_view mbox) const;
  /// The write that records the new revision REV of CURRENT (a report whose revisions are
  /// EXISTING): its events, the approvals it voids and, when that voiding leaves a required
  /// branch uncovered, the report's return to fixing.
  WriteBatch SubmissionBatch(const Principal& actor, const Report& current,
                             const std::vector<PatchRevision>& existing, const PatchRevision& rev,
                             const std::string& linked_by) const;
  /// Adds to BATCH the kApprove transition of REPORT (and its event) when the revisions AFTER
  /// the batch complete its approvals.
  void MaybeApproveReport(const Principal& actor, const Report& report,
                          const std::vector<PatchRevision>& after, WriteBatch* batch) const;
  /// Adds to BATCH the kUnapprove transition of an approved REPORT (and its report.unapproved
  /// event naming REVISION, the cause) when the revisions AFTER the batch leave a required
  /// branch without an approved revision that applies.
  void MaybeUnapproveReport(const Principal& actor, const Report& report,
                            const std::vector<PatchRevision>& after, const std::string& revision,
                            WriteBatch* batch) const;

  Store& store_;
  const Clock& clock_;
  const Config config_;
  std::unique_ptr<Checker> checker_;
  RevisionApprovedHook on_approved_;
};

}  // namespace vigil
