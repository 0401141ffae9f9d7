#include "service/approved_revisions.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "patch/mailinfo.h"
#include "patch/mbox.h"
#include "patch/patch_id.h"

namespace vigil {

Result<std::vector<ApprovedPatch>> ReadPatchMails(std::string_view mbox) {
  patch::MboxOptions options;
  options.limits.max_input_bytes = 20u << 20;
  options.limits.max_messages = 500;
  Result<std::vector<std::string>> mails = patch::SplitMbox(mbox, options);
  if (!mails.ok()) return mails.status();
  std::vector<ApprovedPatch> out;
  int n = 0;
  for (const std::string& mail : *mails) {
    ++n;
    Result<patch::MailInfo> info = patch::ParseMail(mail);
    if (!info.ok()) {
      return Status(info.status().code(),
                    "patch " + std::to_string(n) + ": " + info.status().message());
    }
    if (info->patch.empty()) continue;  // a cover letter
    Result<std::vector<patch::PatchIdEntry>> ids = patch::ComputePatchIds(info->patch);
    if (!ids.ok()) return ids.status();
    if (ids->size() != 1) {
      return Status::Invalid("patch " + std::to_string(n) + ": does not hold exactly one diff");
    }
    ApprovedPatch p;
    p.subject = info->subject;
    p.diff = info->patch;
    p.patch_id = ids->front().patch_id;
    p.author_name = info->author;
    p.author_email = info->email;
    p.author_date = info->date;
    p.message = info->message;
    out.push_back(std::move(p));
  }
  if (out.empty()) return Status::Invalid("the revision has no patch");
  return out;
}

namespace {

/// The unvoided approval pinned to R's patch-ids, on any revision of R's series (a resubmitted
/// revision with the same patch-ids keeps the approval), or null.
const StoredApproval* ApprovalOf(const std::vector<PatchRevision>& all, const PatchRevision& r) {
  for (const PatchRevision& o : all) {
    if (o.series != r.series) continue;
    for (const StoredApproval& a : o.approvals) {
      if (a.voided_at == 0 && a.patch_ids == r.patch_ids) return &a;
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
      const StoredApproval* a = fits ? ApprovalOf(*all, *r) : nullptr;
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
