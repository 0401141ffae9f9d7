#include "service/approved_revisions.h"

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

Result<std::optional<ApprovedRevision>> PinnedRevisionSource::ForBranch(
    const std::string& report_id, const std::string& branch) {
  Result<std::vector<PinnedRevisionRow>> rows = store_.PinnedRevisions(report_id);
  if (!rows.ok()) return rows.status();
  for (const PinnedRevisionRow& row : *rows) {
    if (row.branch != branch) continue;
    ApprovedRevision r;
    r.branch = row.branch;
    r.label = row.label;
    r.approved_by = row.approved_by;
    r.approved_at = row.approved_at;
    std::istringstream ids(row.patch_ids);
    for (std::string id; ids >> id;) r.approved_patch_ids.push_back(id);
    Result<std::vector<ApprovedPatch>> patches = ReadPatchMails(row.mbox);
    if (!patches.ok()) return patches.status();
    r.patches = std::move(patches).value();
    return std::optional<ApprovedRevision>(std::move(r));
  }
  return std::optional<ApprovedRevision>();
}

}  // namespace vigil
