// The disclose module's part of SqlStore: advisory drafts, disclosure plans, the execution log
// of disclosures (tables of migrations "disclose-1" and "disclose-2").
#include "store/sql_connection.h"
#include "store/sql_store.h"

namespace vigil {

Status SqlStore::ApplyDisclosureRows(WriteBatch& b, const std::string& report_id) {
  SqlConnection& w = *writer_conn_;
  DisclosureWrites& d = b.disclosure;
  auto id_or = [&](const std::string& id) { return id.empty() ? report_id : id; };
  if (d.advisory) {
    Query up(w,
             "INSERT INTO advisory_drafts (report_id, document, updated_at) VALUES (?, ?, ?) "
             "ON CONFLICT (report_id) DO UPDATE SET document = excluded.document, "
             "updated_at = excluded.updated_at");
    up.Bind(1, id_or(d.advisory->report_id)).Bind(2, d.advisory->document);
    VIGIL_RETURN_IF_ERROR(up.Bind(3, d.advisory->updated_at).Run());
  }
  if (d.plan) {
    const DisclosurePlanRow& p = *d.plan;
    Query up(w,
             "INSERT INTO disclosure_plans (report_id, slot, notice_days, on_duty, confirmed_at, "
             "confirmed_by, public_view, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
             "ON CONFLICT (report_id) DO UPDATE SET slot = excluded.slot, "
             "notice_days = excluded.notice_days, on_duty = excluded.on_duty, "
             "confirmed_at = excluded.confirmed_at, confirmed_by = excluded.confirmed_by, "
             "public_view = excluded.public_view, updated_at = excluded.updated_at");
    up.Bind(1, id_or(p.report_id)).Bind(2, p.slot).Bind(3, int64_t{p.notice_days});
    up.Bind(4, p.on_duty).Bind(5, p.confirmed_at).Bind(6, p.confirmed_by);
    VIGIL_RETURN_IF_ERROR(
        up.Bind(7, static_cast<int64_t>(p.public_view)).Bind(8, p.updated_at).Run());
  }
  for (const DisclosureStepRow& s : d.steps) {
    const std::string id = id_or(s.report_id);
    Query next(w, "SELECT COALESCE(MAX(seq), 0) + 1 FROM disclosure_log WHERE report_id = ?");
    next.Bind(1, id);
    if (!next.Step()) return next.status().ok() ? Status::Internal("no row") : next.status();
    const int64_t seq = next.Int(0);
    Query ins(w,
              "INSERT INTO disclosure_log (report_id, seq, step, state, detail, at) "
              "VALUES (?, ?, ?, ?, ?, ?)");
    ins.Bind(1, id).Bind(2, seq).Bind(3, s.step).Bind(4, s.state).Bind(5, s.detail);
    VIGIL_RETURN_IF_ERROR(ins.Bind(6, s.at).Run());
  }
  for (ScheduledMail& s : d.scheduled_outbox) {
    OutboxMail& o = s.mail;
    if (o.report_id.empty()) o.report_id = report_id;
    Query ins(w,
              "INSERT INTO outbox (report_id, recipient, kind, subject, body, created_at, state, "
              "attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?)");
    ins.Bind(1, o.report_id).Bind(2, o.recipient).Bind(3, o.kind).Bind(4, o.subject);
    VIGIL_RETURN_IF_ERROR(ins.Bind(5, o.body).Bind(6, o.created_at).Bind(7, s.send_at).Run());
  }
  return Status::Ok();
}

Result<std::optional<AdvisoryDraftRow>> SqlStore::FindAdvisoryDraft(const std::string& report_id) {
  return OnReader([&](SqlConnection& c) {
    return FirstRow(
        c, "SELECT document, updated_at FROM advisory_drafts WHERE report_id = ?",
        [&](const Query& q) {
          return AdvisoryDraftRow{report_id, q.Text(0), q.Int(1)};
        },
        report_id);
  });
}

Result<std::optional<DisclosurePlanRow>> SqlStore::FindDisclosurePlan(
    const std::string& report_id) {
  return OnReader([&](SqlConnection& c) {
    return FirstRow(
        c,
        "SELECT slot, notice_days, on_duty, confirmed_at, confirmed_by, public_view, "
        "updated_at FROM disclosure_plans WHERE report_id = ?",
        [&](const Query& q) {
          DisclosurePlanRow p;
          p.report_id = report_id;
          p.slot = q.Int(0);
          p.notice_days = static_cast<int>(q.Int(1));
          p.on_duty = q.Text(2);
          p.confirmed_at = q.Int(3);
          p.confirmed_by = q.Text(4);
          p.public_view = q.Int(5) != 0;
          p.updated_at = q.Int(6);
          return p;
        },
        report_id);
  });
}

Result<std::vector<DisclosureStepRow>> SqlStore::DisclosureLog(const std::string& report_id) {
  return OnReader([&](SqlConnection& c) {
    return Rows(
        c, "SELECT step, state, detail, at FROM disclosure_log WHERE report_id = ? ORDER BY seq",
        [&](const Query& q) {
          return DisclosureStepRow{report_id, q.Text(0), q.Text(1), q.Text(2), q.Int(3)};
        },
        report_id);
  });
}

}  // namespace vigil
