// The mail gateway's part of SqlStore: inbox, Message-IDs, patches received by mail,
// attachments, participants' OpenPGP keys and outbox delivery bookkeeping.
#include "store/sql_connection.h"
#include "store/sql_store.h"

namespace vigil {
namespace {

std::string JoinLines(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += s + "\n";
  return out;
}

std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

}  // namespace

Status SqlStore::ApplyMailRows(WriteBatch& b, const std::string& report_id) {
  SqlConnection& w = *writer_conn_;
  MailWrites& m = b.mail;
  for (const InboxMail& in : m.inbox) {
    Query q(w,
            "INSERT INTO mail_inbox (id, received_at, client, mail_from, recipients, raw, "
            "plaintext, state, outcome, report_id, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, 0)");
    q.Bind(1, in.id).Bind(2, in.received_at).Bind(3, in.client).Bind(4, in.mail_from);
    // Raw mail is bytes (any 8-bit text, NULs even): a blob on both engines.
    q.Bind(5, JoinLines(in.recipients)).BindBlob(6, in.raw).BindBlob(7, in.plaintext);
    q.Bind(8, in.state);
    VIGIL_RETURN_IF_ERROR(q.Bind(9, in.outcome).Bind(10, in.report_id).Run());
  }
  for (const InboxOutcome& o : m.processed) {
    Query q(w,
            "UPDATE mail_inbox SET state = 'processed', outcome = ?, report_id = ?, "
            "processed_at = ? WHERE id = ? AND state = 'stored'");
    q.Bind(1, o.outcome).Bind(2, o.report_id.empty() ? report_id : o.report_id);
    VIGIL_RETURN_IF_ERROR(q.Bind(3, b.now).Bind(4, o.inbox_id).Run());
    // Processing twice would post twice: the second attempt of a message fails the batch.
    if (w.Changes() == 0) {
      return Status::Conflict("inbox message " + o.inbox_id + " was already processed");
    }
  }
  for (const MailMessageId& id : m.message_ids) {
    Query q(w,
            "INSERT INTO mail_message_ids (message_id, report_id, direction, created_at) VALUES "
            "(?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING");
    q.Bind(1, id.message_id).Bind(2, id.report_id.empty() ? report_id : id.report_id);
    VIGIL_RETURN_IF_ERROR(q.Bind(3, id.direction).Bind(4, id.created_at).Run());
  }
  for (const MailPatch& p : m.patches) {
    Query q(w,
            "INSERT INTO mail_patches (report_id, inbox_id, message_id, subject, author, version, "
            "idx, total, patch_id, received_at, sender) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Bind(1, p.report_id.empty() ? report_id : p.report_id).Bind(2, p.inbox_id);
    q.Bind(3, p.message_id).Bind(4, p.subject).Bind(5, p.author);
    q.Bind(6, int64_t{p.version}).Bind(7, int64_t{p.index}).Bind(8, int64_t{p.total});
    q.Bind(9, p.patch_id).Bind(10, p.received_at);
    VIGIL_RETURN_IF_ERROR(q.Bind(11, p.sender).Run());
  }
  int64_t position = 0;
  for (const MailAttachment& a : m.attachments) {
    Query q(w,
            "INSERT INTO mail_attachments (inbox_id, position, filename, content_type, size, "
            "data) VALUES (?, ?, ?, ?, ?, ?)");
    q.Bind(1, a.inbox_id).Bind(2, position++).Bind(3, a.filename).Bind(4, a.content_type);
    VIGIL_RETURN_IF_ERROR(q.Bind(5, a.size).BindBlob(6, a.data).Run());
  }
  for (const MailKey& k : m.keys) {
    Query q(w,
            "INSERT INTO mail_keys (email, fingerprint, armored, added_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (email) DO UPDATE SET fingerprint = excluded.fingerprint, "
            "armored = excluded.armored, added_at = excluded.added_at");
    q.Bind(1, k.email).Bind(2, k.fingerprint).Bind(3, k.armored);
    VIGIL_RETURN_IF_ERROR(q.Bind(4, k.added_at).Run());
  }
  for (const OutboxUpdate& u : m.outbox_updates) {
    const bool claim = u.only_if && u.claim;
    Query q(w, claim       ? "UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?, "
                             "last_error = ? WHERE id = ? AND state = ? AND attempts = ?"
               : u.only_if ? "UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?, "
                             "last_error = ? WHERE id = ? AND state = ?"
                           : "UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?, "
                             "last_error = ? WHERE id = ?");
    q.Bind(1, OutboxStateName(u.state)).Bind(2, int64_t{u.attempts}).Bind(3, u.next_attempt_at);
    q.Bind(4, u.last_error).Bind(5, u.id);
    if (u.only_if) q.Bind(6, OutboxStateName(*u.only_if));
    if (claim) q.Bind(7, int64_t{u.attempts});
    VIGIL_RETURN_IF_ERROR(q.Run());
    if (w.Changes() == 0 && claim) {
      return Status::Conflict("outbox mail " + std::to_string(u.id) +
                              " was taken by another sender");
    }
    if (w.Changes() == 0 && !u.only_if) {
      return Status::NotFound("outbox mail " + std::to_string(u.id) + " not found");
    }
  }
  return Status::Ok();
}

namespace {

// Columns: id, received_at, client, mail_from, recipients, state, outcome, report_id.
InboxMail ReadInbox(const Query& q) {
  InboxMail m;
  m.id = q.Text(0);
  m.received_at = q.Int(1);
  m.client = q.Text(2);
  m.mail_from = q.Text(3);
  m.recipients = SplitLines(q.Text(4));
  m.state = q.Text(5);
  m.outcome = q.Text(6);
  m.report_id = q.Text(7);
  return m;
}

// ReadInbox's columns, then raw and plaintext.
InboxMail ReadInboxWithRaw(const Query& q) {
  InboxMail m = ReadInbox(q);
  m.raw = q.Blob(8);
  m.plaintext = q.Blob(9);
  return m;
}

}  // namespace

Result<std::vector<InboxMail>> SqlStore::PendingInbox(int limit) {
  return OnReader([&](SqlConnection& c) {
    return Rows(c,
                "SELECT id, received_at, client, mail_from, recipients, state, outcome, "
                "report_id, raw, plaintext FROM mail_inbox WHERE state = 'stored' ORDER BY "
                "received_at, id LIMIT ?",
                ReadInboxWithRaw, int64_t{limit});
  });
}

Result<std::vector<InboxMail>> SqlStore::ListInbox(int limit) {
  return OnReader([&](SqlConnection& c) {
    return Rows(c,
                "SELECT id, received_at, client, mail_from, recipients, state, outcome, "
                "report_id FROM mail_inbox ORDER BY received_at DESC, id LIMIT ?",
                ReadInbox, int64_t{limit});
  });
}

Result<std::optional<InboxMail>> SqlStore::FindInboxMail(const std::string& id) {
  return OnReader([&](SqlConnection& c) {
    return FirstRow(c,
                    "SELECT id, received_at, client, mail_from, recipients, state, outcome, "
                    "report_id, raw, plaintext FROM mail_inbox WHERE id = ?",
                    ReadInboxWithRaw, id);
  });
}

Result<std::optional<std::string>> SqlStore::ReportOfMessageId(const std::string& message_id) {
  return OnReader([&](SqlConnection& c) {
    return FirstRow(
        c, "SELECT report_id FROM mail_message_ids WHERE message_id = ?",
        [](const Query& q) { return q.Text(0); }, message_id);
  });
}

Result<bool> SqlStore::SeenIncoming(const std::string& message_id) {
  return OnReader([&](SqlConnection& c) -> Result<bool> {
    Result<int64_t> seen =
        IntOrDefault(c, "SELECT 1 FROM mail_message_ids WHERE message_id = ? AND direction = 'in'",
                     0, message_id);
    VIGIL_RETURN_IF_ERROR(seen.status());
    return *seen != 0;
  });
}

Result<std::vector<MailPatch>> SqlStore::MailPatches(const std::string& report_id) {
  return OnReader([&](SqlConnection& c) {
    return Rows(
        c,
        "SELECT report_id, inbox_id, message_id, subject, author, version, idx, total, "
        "patch_id, received_at, sender FROM mail_patches WHERE report_id = ? ORDER BY version, "
        "idx, received_at",
        [](const Query& q) {
          MailPatch p;
          p.report_id = q.Text(0);
          p.inbox_id = q.Text(1);
          p.message_id = q.Text(2);
          p.subject = q.Text(3);
          p.author = q.Text(4);
          p.version = static_cast<int>(q.Int(5));
          p.index = static_cast<int>(q.Int(6));
          p.total = static_cast<int>(q.Int(7));
          p.patch_id = q.Text(8);
          p.received_at = q.Int(9);
          p.sender = q.Text(10);
          return p;
        },
        report_id);
  });
}

Result<std::vector<MailAttachment>> SqlStore::MailAttachments(const std::string& inbox_id) {
  return OnReader([&](SqlConnection& c) {
    return Rows(
        c,
        "SELECT filename, content_type, size, data FROM mail_attachments WHERE "
        "inbox_id = ? ORDER BY position",
        [&](const Query& q) {
          MailAttachment a;
          a.inbox_id = inbox_id;
          a.filename = q.Text(0);
          a.content_type = q.Text(1);
          a.size = q.Int(2);
          a.data = q.Blob(3);
          return a;
        },
        inbox_id);
  });
}

Result<std::optional<MailKey>> SqlStore::FindMailKey(const std::string& email) {
  return OnReader([&](SqlConnection& c) {
    return FirstRow(
        c, "SELECT email, fingerprint, armored, added_at FROM mail_keys WHERE email = ?",
        [](const Query& q) {
          return MailKey{q.Text(0), q.Text(1), q.Text(2), q.Int(3)};
        },
        email);
  });
}

Result<std::vector<OutboxEntry>> SqlStore::ListOutbox(const OutboxQuery& f) {
  std::string sql =
      "SELECT id, report_id, recipient, kind, subject, body, created_at, state, attempts, "
      "next_attempt_at, last_error FROM outbox WHERE 1 = 1";
  int n = 0;
  const int state_at = f.state ? ++n : 0;
  if (f.state) sql += " AND state = ?";
  const int due_at = f.due_by ? ++n : 0;
  if (f.due_by) sql += " AND next_attempt_at <= ?";
  const int id_at = f.id ? ++n : 0;
  if (f.id) sql += " AND id = ?";
  sql += " ORDER BY id LIMIT ?";
  return OnReader([&](SqlConnection& c) -> Result<std::vector<OutboxEntry>> {
    Query q(c, sql);
    if (state_at) q.Bind(state_at, OutboxStateName(*f.state));
    if (due_at) q.Bind(due_at, f.due_by);
    if (id_at) q.Bind(id_at, f.id);
    q.Bind(n + 1, int64_t{f.limit});
    std::vector<OutboxEntry> out;
    while (q.Step()) {
      OutboxEntry e;
      e.mail = ReadOutboxRow(q);
      e.next_attempt_at = q.Int(9);
      e.last_error = q.Text(10);
      out.push_back(std::move(e));
    }
    VIGIL_RETURN_IF_ERROR(q.status());
    return out;
  });
}

}  // namespace vigil
