// The web module's part of SqlStore: browser sessions, TOTP secrets, attachments, reporter
// preferences and the sums of views per chain. (The full-text index is each engine's own.)
#include "store/sql_connection.h"
#include "store/sql_store.h"

namespace vigil {

Status SqlStore::ApplyWebRows(WriteBatch& b, const std::string& report_id) {
  SqlConnection& w = *writer_conn_;
  WebWrites& web = b.web;
  for (const WebSession& s : web.sessions) {
    Query ins(w,
              "INSERT INTO web_sessions (hash, account_email, created_at, expires_at, revoked_at) "
              "VALUES (?, ?, ?, ?, 0)");
    ins.Bind(1, s.hash).Bind(2, s.account_email).Bind(3, s.created_at);
    VIGIL_RETURN_IF_ERROR(ins.Bind(4, s.expires_at).Run());
  }
  for (const std::string& h : web.revoke_session_hashes) {
    Query up(w, "UPDATE web_sessions SET revoked_at = ? WHERE hash = ? AND revoked_at = 0");
    VIGIL_RETURN_IF_ERROR(up.Bind(1, b.now).Bind(2, h).Run());
  }
  if (!web.revoke_sessions_of.empty()) {
    Query up(w,
             "UPDATE web_sessions SET revoked_at = ? WHERE account_email = ? AND revoked_at = 0");
    VIGIL_RETURN_IF_ERROR(up.Bind(1, b.now).Bind(2, web.revoke_sessions_of).Run());
  }
  for (const TotpEnrolment& t : web.totp) {
    Query up(w,
             "INSERT INTO totp_secrets (email, secret, enabled, last_step) VALUES (?, ?, ?, ?) "
             "ON CONFLICT (email) DO UPDATE SET secret = excluded.secret, "
             "enabled = excluded.enabled, last_step = excluded.last_step");
    up.Bind(1, t.email).Bind(2, t.secret).Bind(3, static_cast<int64_t>(t.enabled));
    VIGIL_RETURN_IF_ERROR(up.Bind(4, t.last_step).Run());
  }
  for (const TotpStepUse& use : web.totp_steps) {
    Query up(w,
             "UPDATE totp_secrets SET last_step = ? WHERE email = ? AND enabled = 1 AND "
             "last_step < ?");
    VIGIL_RETURN_IF_ERROR(up.Bind(1, use.step).Bind(2, use.email).Bind(3, use.step).Run());
    if (w.Changes() == 0) {
      return Status::Conflict("the TOTP step of " + use.email + " was already used");
    }
  }
  if (!web.limit_hits.empty()) {
    Query purge(w, "DELETE FROM limit_hits WHERE expires_at <= ?");
    VIGIL_RETURN_IF_ERROR(purge.Bind(1, b.now).Run());
  }
  for (const LimitHit& h : web.limit_hits) {
    if (h.limit > 0) {
      Query count(w, "SELECT COUNT(*) FROM limit_hits WHERE name = ? AND at > ?");
      count.Bind(1, h.key).Bind(2, b.now - h.window);
      if (!count.Step()) return count.status().ok() ? Status::Internal("no row") : count.status();
      if (count.Int(0) >= h.limit) return Status::RateLimited("limit reached for " + h.key);
    }
    Query ins(w, "INSERT INTO limit_hits (name, at, expires_at) VALUES (?, ?, ?)");
    VIGIL_RETURN_IF_ERROR(ins.Bind(1, h.key).Bind(2, b.now).Bind(3, b.now + h.window).Run());
  }
  for (const std::string& email : web.delete_totp) {
    Query del(w, "DELETE FROM totp_secrets WHERE email = ?");
    VIGIL_RETURN_IF_ERROR(del.Bind(1, email).Run());
  }
  for (Attachment& a : web.attachments) {
    if (a.report_id.empty()) a.report_id = report_id;
    if (a.message_seq < 0) {
      if (b.messages.empty()) return Status::Internal("attachment refers to a missing message");
      a.message_seq = b.messages.front().seq;
    }
    Query q(w, "SELECT COALESCE(MAX(number), 0) + 1 FROM attachments WHERE report_id = ?");
    q.Bind(1, a.report_id);
    if (!q.Step()) return q.status().ok() ? Status::Internal("no row") : q.status();
    a.number = q.Int(0);
    Query ins(w,
              "INSERT INTO attachments (report_id, number, message_seq, filename, content_type, "
              "size, sha256, data, uploaded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins.Bind(1, a.report_id).Bind(2, a.number).Bind(3, a.message_seq).Bind(4, a.filename);
    ins.Bind(5, a.content_type).Bind(6, a.size).Bind(7, a.sha256).BindBlob(8, a.data);
    VIGIL_RETURN_IF_ERROR(ins.Bind(9, a.uploaded_by).Bind(10, a.created_at).Run());
  }
  if (web.index_search) VIGIL_RETURN_IF_ERROR(IndexSearchNow());
  if (web.reporter_prefs) {
    ReporterPrefs& p = *web.reporter_prefs;
    if (p.report_id.empty()) p.report_id = report_id;
    Query up(w,
             "INSERT INTO reporter_prefs (report_id, anonymous, credit_name, public_key, "
             "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (report_id) DO UPDATE SET "
             "anonymous = excluded.anonymous, credit_name = excluded.credit_name, "
             "public_key = excluded.public_key, updated_at = excluded.updated_at");
    up.Bind(1, p.report_id).Bind(2, static_cast<int64_t>(p.anonymous)).Bind(3, p.credit_name);
    VIGIL_RETURN_IF_ERROR(up.Bind(4, p.public_key).Bind(5, p.updated_at).Run());
  }
  return Status::Ok();
}

// After the batch's events are written (FinishEvents): the read-in list's sums of views.
Status SqlStore::SummarizeEvents(WriteBatch& b, const std::string& report_id) {
  if (!b.web.summarize_events) return Status::Ok();
  SqlConnection& w = *writer_conn_;
  for (const NewEvent& e : b.events) {
    const std::string& chain = e.chain.empty() ? report_id : e.chain;
    Query up(w,
             "INSERT INTO chain_activity (chain, actor, events, first_at, last_at, first_seq, "
             "last_seq) SELECT ?1, ?2, 1, ?3, ?3, s, s FROM (SELECT MAX(seq) AS s FROM events "
             "WHERE chain = ?1) AS head WHERE true ON CONFLICT (chain, actor) DO UPDATE SET "
             "events = chain_activity.events + 1, first_at = CASE WHEN excluded.first_at < "
             "chain_activity.first_at THEN excluded.first_at ELSE chain_activity.first_at END, "
             "last_at = CASE WHEN excluded.last_at > chain_activity.last_at THEN "
             "excluded.last_at ELSE chain_activity.last_at END, last_seq = excluded.last_seq");
    VIGIL_RETURN_IF_ERROR(up.Bind(1, chain).Bind(2, e.actor).Bind(3, e.time).Run());
  }
  return Status::Ok();
}

Result<std::optional<WebSession>> SqlStore::FindSession(const std::string& hash) {
  return OnReader([&](SqlConnection& c) {
    return FirstRow(
        c,
        "SELECT hash, account_email, created_at, expires_at, revoked_at FROM "
        "web_sessions WHERE hash = ?",
        [](const Query& q) {
          WebSession s;
          s.hash = q.Text(0);
          s.account_email = q.Text(1);
          s.created_at = q.Int(2);
          s.expires_at = q.Int(3);
          s.revoked_at = q.Int(4);
          return s;
        },
        hash);
  });
}

Result<std::optional<TotpEnrolment>> SqlStore::FindTotp(const std::string& email) {
  return OnReader([&](SqlConnection& c) {
    return FirstRow(
        c, "SELECT email, secret, enabled, last_step FROM totp_secrets WHERE email = ?",
        [](const Query& q) {
          TotpEnrolment t;
          t.email = q.Text(0);
          t.secret = q.Text(1);
          t.enabled = q.Int(2) != 0;
          t.last_step = q.Int(3);
          return t;
        },
        email);
  });
}

Result<HitCount> SqlStore::CountHits(const std::string& key, Instant since) {
  return OnReader([&](SqlConnection& c) -> Result<HitCount> {
    Result<std::optional<HitCount>> row = FirstRow(
        c, "SELECT COUNT(*), COALESCE(MIN(at), 0) FROM limit_hits WHERE name = ? AND at > ?",
        [](const Query& q) {
          return HitCount{q.Int(0), q.Int(1)};
        },
        std::string_view(key), since);
    if (!row.ok()) return row.status();
    return row->value_or(HitCount{});
  });
}

namespace {

constexpr char kAttachmentColumns[] =
    "report_id, number, message_seq, filename, content_type, size, sha256, uploaded_by, "
    "created_at";

Attachment ReadAttachmentRow(const Query& q) {
  Attachment a;
  a.report_id = q.Text(0);
  a.number = q.Int(1);
  a.message_seq = q.Int(2);
  a.filename = q.Text(3);
  a.content_type = q.Text(4);
  a.size = q.Int(5);
  a.sha256 = q.Text(6);
  a.uploaded_by = q.Text(7);
  a.created_at = q.Int(8);
  return a;
}

}  // namespace

Result<std::vector<Attachment>> SqlStore::Attachments(const std::string& report_id) {
  return OnReader([&](SqlConnection& c) {
    return Rows(c,
                std::string("SELECT ") + kAttachmentColumns +
                    " FROM attachments WHERE report_id = ? ORDER BY number",
                ReadAttachmentRow, report_id);
  });
}

Result<std::optional<Attachment>> SqlStore::GetAttachment(const std::string& report_id,
                                                          int64_t number) {
  return OnReader([&](SqlConnection& c) {
    return FirstRow(
        c,
        std::string("SELECT ") + kAttachmentColumns +
            ", data FROM attachments WHERE report_id = ? AND number = ?",
        [](const Query& q) {
          Attachment a = ReadAttachmentRow(q);
          a.data = q.Blob(9);
          return a;
        },
        report_id, number);
  });
}

Result<std::optional<ReporterPrefs>> SqlStore::GetReporterPrefs(const std::string& report_id) {
  return OnReader([&](SqlConnection& c) {
    return FirstRow(
        c,
        "SELECT report_id, anonymous, credit_name, public_key, updated_at FROM "
        "reporter_prefs WHERE report_id = ?",
        [](const Query& q) {
          ReporterPrefs p;
          p.report_id = q.Text(0);
          p.anonymous = q.Int(1) != 0;
          p.credit_name = q.Text(2);
          p.public_key = q.Text(3);
          p.updated_at = q.Int(4);
          return p;
        },
        report_id);
  });
}

Result<ChainActivity> SqlStore::SummarizeChain(const std::string& chain) {
  return OnReader([&](SqlConnection& c) -> Result<ChainActivity> {
    ChainActivity out;
    VIGIL_RETURN_IF_ERROR(EachRow(
        c,
        "SELECT actor, events, first_at, last_at, last_seq FROM chain_activity WHERE chain = ? "
        "ORDER BY first_seq",
        [&](const Query& q) {
          out.actors.push_back({q.Text(0), q.Int(1), q.Int(2), q.Int(3)});
          out.length = std::max(out.length, q.Int(4));
        },
        chain));
    return out;
  });
}

Result<std::vector<StoredEvent>> SqlStore::LatestEvents(const std::string& chain, int64_t limit) {
  return OnReader([&](SqlConnection& c) {
    return Rows(c,
                "SELECT chain, seq, time, actor, kind, payload, prev_hash, hash, row_digests FROM "
                "events WHERE "
                "chain = ? ORDER BY seq DESC LIMIT ?",
                ReadEventRow, chain, limit);
  });
}

}  // namespace vigil
