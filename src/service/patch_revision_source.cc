#include "service/patch_revision_source.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "core/text.h"
#include "patch/patch_id.h"
#include "service/patch_approvals.h"

namespace vigil {

namespace {

/// The first approval that counts for R when R has the NEEDED ones (CountApprovals: on any
/// revision of R's series, pinned to R's patch-ids), or null.
const StoredApproval* ApprovalOf(const std::vector<PatchRevision>& all, const PatchRevision& r,
                                 int needed) {
  const ApprovalCount count = CountApprovals(all, r, needed);
  if (!count.approved()) return nullptr;
  for (const PatchRevision& o : all) {
    if (o.series != r.series) continue;
    for (const StoredApproval& a : o.approvals) {
      if (a.voided_at == 0 && a.patch_ids == r.patch_ids &&
          LowerAscii(a.approver) == count.approvers.front()) {
        return &a;
      }
    }
  }
  return nullptr;
}

bool AppliedOn(const PatchRevision& r, const std::string& branch) {
  return std::any_of(r.applicability.begin(), r.applicability.end(),
                     [&](const StoredApplicability& a) { return a.branch == branch && a.applies; });
}

}  // namespace

Result<std::optional<ApprovedRevision>> PatchRevisionSource::ForBranch(const std::string& report_id,
                                                                       const std::string& branch) {
  Result<std::vector<PatchRevision>> all = store_.PatchRevisions(report_id);
  if (!all.ok()) return all.status();
  Result<Report> report = store_.GetReport(report_id);
  if (!report.ok()) return report.status();
  const int needed = ApprovalsRequired(config_, report->level);
  // The latest revision of every series, by series number.
  std::map<int, const PatchRevision*> latest;
  for (const PatchRevision& r : *all) {
    const PatchRevision*& l = latest[r.series];
    if (!l || r.version > l->version) l = &r;
  }
  const PatchRevision* chosen = nullptr;
  const StoredApproval* approval = nullptr;
  for (int pass = 0; pass < 2 && !chosen; ++pass) {
    for (const auto& [series, r] : latest) {
      const bool fits = pass == 0 ? r->target_branch == branch : AppliedOn(*r, branch);
      const StoredApproval* a = fits ? ApprovalOf(*all, *r, needed) : nullptr;
      if (a) {
        chosen = r;
        approval = a;
        break;
      }
    }
  }
  if (!chosen) return std::optional<ApprovedRevision>();
  ApprovedRevision out;
  out.branch = branch;
  out.label = chosen->Name();
  out.approved_by = approval->approver;
  out.approved_at = approval->created_at;
  std::istringstream ids(approval->patch_ids);
  for (std::string id; ids >> id;) out.approved_patch_ids.push_back(id);
  for (const StoredPatch& p : chosen->patches) {
    ApprovedPatch a;
    a.subject = p.subject;
    a.diff = p.diff;
    Result<std::vector<patch::PatchIdEntry>> now = patch::ComputePatchIds(p.diff);
    // A diff that no longer reads, or no longer holds one patch, has no patch-id to match.
    a.patch_id = now.ok() && now->size() == 1 ? now->front().patch_id : "(unreadable)";
    a.author_name = p.author_name;
    a.author_email = p.author_email;
    a.author_date = p.author_date;
    a.message = p.message;
    out.patches.push_back(std::move(a));
  }
  return std::optional<ApprovedRevision>(std::move(out));
}

}  // namespace vigil
