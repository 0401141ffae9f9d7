// The patch module's rows of SqlStore: revisions with their patches and trailers, the
// applicability matrix and the approvals (migration "patch-1").
#include <map>

#include "store/sql_connection.h"
#include "store/sql_store.h"

namespace vigil {

Status SqlStore::ApplyPatchRows(WriteBatch& batch, const std::string& report_id) {
  PatchWrites& pw = batch.patches;
  if (pw.empty()) return Status::Ok();
  if (report_id.empty()) return Status::Internal("patch rows need the batch's report");
  SqlConnection& w = *writer_conn_;
  for (const PatchRevision& r : pw.new_revisions) {
    const std::string name = r.Name();
    Query ins(w,
              "INSERT INTO patch_revisions (report_id, series, version, target_branch, submitter, "
              "change_id, message_ids, patch_ids, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins.Bind(1, report_id).Bind(2, int64_t{r.series}).Bind(3, int64_t{r.version});
    ins.Bind(4, r.target_branch).Bind(5, r.submitter).Bind(6, r.change_id);
    VIGIL_RETURN_IF_ERROR(
        ins.Bind(7, r.message_ids).Bind(8, r.patch_ids).Bind(9, r.created_at).Run());
    for (const StoredPatch& p : r.patches) {
      Query q(
          w,
          "INSERT INTO patches (report_id, revision, position, author_name, author_email, "
          "author_date, subject, message, patch_id, diff) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      q.Bind(1, report_id).Bind(2, name).Bind(3, int64_t{p.position}).Bind(4, p.author_name);
      q.Bind(5, p.author_email).Bind(6, p.author_date).Bind(7, p.subject).Bind(8, p.message);
      VIGIL_RETURN_IF_ERROR(q.Bind(9, p.patch_id).Bind(10, p.diff).Run());
    }
    int64_t seq = 0;
    for (const StoredTrailer& t : r.trailers) {
      Query q(w,
              "INSERT INTO patch_trailers (report_id, revision, position, seq, name, person_name, "
              "email) VALUES (?, ?, ?, ?, ?, ?, ?)");
      q.Bind(1, report_id).Bind(2, name).Bind(3, int64_t{t.position}).Bind(4, ++seq);
      VIGIL_RETURN_IF_ERROR(q.Bind(5, t.name).Bind(6, t.person_name).Bind(7, t.email).Run());
    }
  }
  for (const auto& [revision, a] : pw.applicability) {
    Query q(w,
            "INSERT INTO patch_applicability (report_id, revision, branch, commit_id, applies, "
            "result, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (report_id, revision, "
            "branch) DO UPDATE SET commit_id = excluded.commit_id, applies = excluded.applies, "
            "result = excluded.result, checked_at = excluded.checked_at");
    q.Bind(1, report_id).Bind(2, revision).Bind(3, a.branch).Bind(4, a.commit);
    VIGIL_RETURN_IF_ERROR(
        q.Bind(5, int64_t{a.applies}).Bind(6, a.result).Bind(7, a.checked_at).Run());
  }
  for (const auto& [revision, a] : pw.approvals) {
    Query q(w,
            "INSERT INTO patch_approvals (report_id, revision, approver, patch_ids, created_at, "
            "voided_at, voided_reason) VALUES (?, ?, ?, ?, ?, 0, '')");
    q.Bind(1, report_id).Bind(2, revision).Bind(3, a.approver).Bind(4, a.patch_ids);
    VIGIL_RETURN_IF_ERROR(q.Bind(5, a.created_at).Run());
  }
  for (const auto& [revision, approver] : pw.void_approvals) {
    Query q(w,
            "UPDATE patch_approvals SET voided_at = ?, voided_reason = ? WHERE report_id = ? AND "
            "revision = ? AND approver = ? AND voided_at = 0");
    q.Bind(1, pw.voided_at).Bind(2, pw.voided_reason).Bind(3, report_id).Bind(4, revision);
    VIGIL_RETURN_IF_ERROR(q.Bind(5, approver).Run());
  }
  return Status::Ok();
}

namespace {

// Reads the revisions of REPORT_ID and then their rows from the four child tables, on C inside
// one read transaction.
Result<std::vector<PatchRevision>> ReadRevisions(SqlConnection& c, const std::string& report_id) {
  Result<std::vector<PatchRevision>> out = Rows(
      c,
      "SELECT series, version, target_branch, submitter, change_id, message_ids, patch_ids, "
      "created_at FROM patch_revisions WHERE report_id = ? ORDER BY series, version",
      [&](const Query& q) {
        PatchRevision r;
        r.report_id = report_id;
        r.series = static_cast<int>(q.Int(0));
        r.version = static_cast<int>(q.Int(1));
        r.target_branch = q.Text(2);
        r.submitter = q.Text(3);
        r.change_id = q.Text(4);
        r.message_ids = q.Text(5);
        r.patch_ids = q.Text(6);
        r.created_at = q.Int(7);
        return r;
      },
      report_id);
  VIGIL_RETURN_IF_ERROR(out.status());
  std::map<std::string, PatchRevision*> by_name;
  for (PatchRevision& r : *out) by_name[r.Name()] = &r;
  // Calls ADD(revision, q) for each row of SQL whose first column names a known revision.
  auto children = [&](const char* sql, auto add) {
    return EachRow(
        c, sql,
        [&](const Query& q) {
          auto it = by_name.find(q.Text(0));
          if (it != by_name.end()) add(*it->second, q);
        },
        report_id);
  };
  VIGIL_RETURN_IF_ERROR(children(
      "SELECT revision, position, author_name, author_email, author_date, subject, message, "
      "patch_id, diff FROM patches WHERE report_id = ? ORDER BY revision, position",
      [](PatchRevision& r, const Query& q) {
        r.patches.push_back({static_cast<int>(q.Int(1)), q.Text(2), q.Text(3), q.Text(4), q.Text(5),
                             q.Text(6), q.Text(7), q.Text(8)});
      }));
  VIGIL_RETURN_IF_ERROR(children(
      "SELECT revision, position, name, person_name, email FROM patch_trailers WHERE "
      "report_id = ? ORDER BY revision, position, seq",
      [](PatchRevision& r, const Query& q) {
        r.trailers.push_back({static_cast<int>(q.Int(1)), q.Text(2), q.Text(3), q.Text(4)});
      }));
  VIGIL_RETURN_IF_ERROR(children(
      "SELECT revision, branch, commit_id, applies, result, checked_at FROM "
      "patch_applicability WHERE report_id = ? ORDER BY revision, branch",
      [](PatchRevision& r, const Query& q) {
        r.applicability.push_back({q.Text(1), q.Text(2), q.Int(3) != 0, q.Text(4), q.Int(5)});
      }));
  VIGIL_RETURN_IF_ERROR(
      children("SELECT revision, approver, patch_ids, created_at, voided_at, voided_reason FROM "
               "patch_approvals WHERE report_id = ? ORDER BY revision, created_at, approver",
               [](PatchRevision& r, const Query& q) {
                 r.approvals.push_back({q.Text(1), q.Text(2), q.Int(3), q.Int(4), q.Text(5)});
               }));
  return out;
}

}  // namespace

Result<std::vector<PatchRevision>> SqlStore::PatchRevisions(const std::string& report_id) {
  return OnReader([&](SqlConnection& c) -> Result<std::vector<PatchRevision>> {
    VIGIL_RETURN_IF_ERROR(c.Exec("BEGIN"));  // one snapshot for all five tables
    Result<std::vector<PatchRevision>> out = ReadRevisions(c, report_id);
    (void)c.Exec("COMMIT");
    return out;
  });
}

}  // namespace vigil
