// The report and account part of SqlStore: ApplyBatch (the write core: report ids, version
// checks, counters, events on their chains, the report projection, thread, outbox, accounts and
// tokens, then each module's rows) and the report and account reads.
#include <set>
#include <unordered_map>

#include "store/sql_connection.h"
#include "store/sql_store.h"

#include "core/report_id.h"
#include "store/audit_chain.h"

namespace vigil {

namespace {

constexpr char kReportColumns[] =
    "id, version, state, level, subject, steps, effects_cluster, effects_applications, "
    "effects_infrastructure, workflows, attack_vectors, other_software, coordinator, "
    "embargo_start, embargo_end, embargo_cap_days, embargo_state, embargo_reason, duplicate_of, "
    "reason, created_at, updated_at, closed_at";

Report ReadReportRow(const Query& q) {
  Report r;
  r.id = q.Text(0);
  r.version = q.Int(1);
  r.state = ParseState(q.Text(2)).value_or(State::kReceived);
  r.level = static_cast<int>(q.Int(3));
  r.fields.subject = q.Text(4);
  r.fields.steps = q.Text(5);
  r.fields.effects_cluster = q.Text(6);
  r.fields.effects_applications = q.Text(7);
  r.fields.effects_infrastructure = q.Text(8);
  r.fields.workflows = q.Text(9);
  r.fields.attack_vectors = q.Text(10);
  r.fields.other_software = q.Text(11);
  r.coordinator = q.Text(12);
  r.embargo.start = q.Int(13);
  r.embargo.end = q.Int(14);
  r.embargo.cap_days = static_cast<int>(q.Int(15));
  r.embargo.state = ParseEmbargoState(q.Text(16)).value_or(EmbargoState::kActive);
  r.embargo.reason = q.Text(17);
  r.duplicate_of = q.Text(18);
  r.reason = q.Text(19);
  r.created_at = q.Int(20);
  r.updated_at = q.Int(21);
  r.closed_at = q.Int(22);
  return r;
}

ApiToken ReadApiTokenRow(const Query& q) {
  ApiToken t;
  t.hash = q.Text(0);
  t.account_email = q.Text(1);
  t.label = q.Text(2);
  t.created_at = q.Int(3);
  t.expires_at = q.Int(4);
  t.revoked_at = q.Int(5);
  return t;
}

Account ReadAccountRow(const Query& q) {
  Account a;
  a.email = q.Text(0);
  a.name = q.Text(1);
  a.role = ParseAccountRole(q.Text(2)).value_or(AccountRole::kMember);
  a.password_hash = q.Text(3);
  a.disabled = q.Int(4) != 0;
  a.created_at = q.Int(5);
  return a;
}

Participant ReadParticipantRow(const Query& q) {
  Participant p;
  p.email = q.Text(0);
  p.name = q.Text(1);
  p.role = ParseRole(q.Text(2)).value_or(Role::kObserver);
  p.added_at = q.Int(3);
  p.added_by = q.Text(4);
  p.token_hash = q.Text(5);
  p.bouncing = q.Int(6) != 0;
  p.removed_at = q.Int(7);
  p.removed_by = q.Text(8);
  return p;
}

}  // namespace

OutboxMail ReadOutboxRow(const Query& q) {
  OutboxMail o;
  o.id = q.Int(0);
  o.report_id = q.Text(1);
  o.recipient = q.Text(2);
  o.kind = q.Text(3);
  o.subject = q.Text(4);
  o.body = q.Text(5);
  o.created_at = q.Int(6);
  o.state = ParseOutboxState(q.Text(7)).value_or(OutboxState::kPending);
  o.attempts = static_cast<int>(q.Int(8));
  return o;
}

ReportSummary ReadSummaryRow(const Query& q) {
  ReportSummary s;
  s.id = q.Text(0);
  s.title = q.Text(1);
  s.state = ParseState(q.Text(2)).value_or(State::kReceived);
  s.level = static_cast<int>(q.Int(3));
  s.coordinator = q.Text(4);
  s.created_at = q.Int(5);
  s.updated_at = q.Int(6);
  s.embargo_end = q.Int(7);
  return s;
}

StoredEvent ReadEventRow(const Query& q) {
  StoredEvent e;
  e.chain = q.Text(0);
  e.seq = q.Int(1);
  e.time = q.Int(2);
  e.actor = q.Text(3);
  e.kind = q.Text(4);
  e.payload = q.Text(5);
  e.prev_hash = q.Text(6);
  e.hash = q.Text(7);
  e.rows = q.Text(8);
  return e;
}

namespace {

// A batch that only adds a new report, with its events, participants, thread messages and
// outbox rows, has no check that can refuse it once it starts writing (its id, turn and
// callback come first): only a storage error or a broken constraint (a bug, or a token hash
// that is already taken) can fail it then. Such a batch runs without a savepoint of its own,
// which would copy every page it touches into a statement journal, and a failure rolls back its
// whole group instead (every write in it gets an error; none was acknowledged). A submission
// through the JSON API is such a batch (the web form's and mail's also write reporter
// preferences or mail rows, and keep the savepoint).
bool OnlyAddsAReport(const WriteBatch& b) {
  return b.report && b.expected_version == 0 && !b.counter && b.accounts.empty() &&
         b.tokens.empty() && b.revoke_token_hashes.empty() && b.disclosure.empty() &&
         b.mail.empty() && b.web.empty() && b.patches.empty();
}

}  // namespace

std::vector<std::string> SqlStore::BatchLocks(const WriteBatch& b) {
  std::set<std::string> names;
  if (b.report && b.expected_version == 0) {
    // A new report's number (its chain is new: nobody else can write it).
    names.insert("number:" + b.id_prefix + "/" + std::to_string(UtcYear(b.report->created_at)));
    if (!b.turn_counter.empty()) names.insert("counter:" + b.turn_counter);
  } else if (b.report) {
    names.insert(b.report->id);
  }
  for (const NewEvent& e : b.events) {
    if (!e.chain.empty()) names.insert(e.chain);
  }
  if (b.counter) names.insert("counter:" + b.counter->name);
  // A limit is counted and then added to: two instances must not both see room for one more.
  for (const LimitHit& h : b.web.limit_hits) {
    if (h.limit > 0) names.insert("limit:" + h.key);
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<WriteResult> SqlStore::ApplyBatch(WriteBatch& b, BatchScope& scope) {
  SqlConnection& w = *writer_conn_;
  // Before anything is read: the chains and counters it reads and then writes (another
  // instance's writer may be about to write them too).
  VIGIL_RETURN_IF_ERROR(Lock(BatchLocks(b)));
  if (b.report) VIGIL_RETURN_IF_ERROR(CheckReport(b));
  const std::string report_id = b.report ? b.report->id : std::string();
  // Everything above only read. From here on the batch writes.
  if (OnlyAddsAReport(b)) {
    scope = BatchScope::kUnguarded;
  } else {
    VIGIL_RETURN_IF_ERROR(w.Run("SAVEPOINT batch"));
    scope = BatchScope::kSavepoint;
  }
  VIGIL_RETURN_IF_ERROR(ApplyCounters(b));
  touched_rows_.clear();  // what a failed batch before this one left
  WriteResult out;
  Result<ChainHeads> heads = AppendEvents(b, report_id, out);
  VIGIL_RETURN_IF_ERROR(heads.status());
  if (b.report) {
    Report& r = *b.report;
    auto head = heads->find(r.id);
    r.version = head == heads->end() ? b.expected_version : head->second.seq;
    VIGIL_RETURN_IF_ERROR(WriteReportRow(r));
    out.report_id = r.id;
    out.version = r.version;
  }
  VIGIL_RETURN_IF_ERROR(ApplyThreadRows(b, report_id));
  VIGIL_RETURN_IF_ERROR(ApplyAccountRows(b));
  VIGIL_RETURN_IF_ERROR(ApplyMailRows(b, report_id));
  VIGIL_RETURN_IF_ERROR(ApplyWebRows(b, report_id));
  VIGIL_RETURN_IF_ERROR(ApplyDisclosureRows(b, report_id));
  VIGIL_RETURN_IF_ERROR(ApplyPatchRows(b, report_id));
  VIGIL_RETURN_IF_ERROR(FinishEvents(*heads));
  VIGIL_RETURN_IF_ERROR(SummarizeEvents(b, report_id));
  return out;
}

Status SqlStore::CheckReport(WriteBatch& b) {
  SqlConnection& w = *writer_conn_;
  Report& r = *b.report;
  if (b.expected_version == 0) {
    VIGIL_RETURN_IF_ERROR(ValidateIdPrefix(b.id_prefix));
    const int year = UtcYear(r.created_at);
    Query q(w, "SELECT COALESCE(MAX(number), 0) + 1 FROM reports WHERE prefix = ? AND year = ?");
    q.Bind(1, b.id_prefix).Bind(2, static_cast<int64_t>(year));
    if (!q.Step()) return q.status().ok() ? Status::Internal("no row") : q.status();
    r.id = FormatReportId(b.id_prefix, year, q.Int(0));
    if (!b.turn_counter.empty()) {
      Query turn(w, "SELECT value FROM counters WHERE name = ?");
      turn.Bind(1, b.turn_counter);
      b.turn = turn.Step() ? turn.Int(0) : 0;
      VIGIL_RETURN_IF_ERROR(turn.status());
    }
    if (b.on_id_allocated) b.on_id_allocated(b);
  } else {
    Query q(w, "SELECT version FROM reports WHERE id = ?");
    q.Bind(1, r.id);
    if (!q.Step()) {
      VIGIL_RETURN_IF_ERROR(q.status());
      return Status::NotFound("report " + r.id + " not found");
    }
    if (q.Int(0) != b.expected_version) {
      return Status::Aborted("report " + r.id + " changed concurrently");
    }
  }
  return Status::Ok();
}

Status SqlStore::ApplyCounters(WriteBatch& b) {
  SqlConnection& w = *writer_conn_;
  if (b.report && b.expected_version == 0 && !b.turn_counter.empty()) {
    Query up(w,
             "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE "
             "SET value = excluded.value");
    VIGIL_RETURN_IF_ERROR(up.Bind(1, b.turn_counter).Bind(2, b.turn + 1).Run());
  }
  if (b.counter) {
    Query q(w, "SELECT value FROM counters WHERE name = ?");
    q.Bind(1, b.counter->name);
    const int64_t current = q.Step() ? q.Int(0) : 0;
    VIGIL_RETURN_IF_ERROR(q.status());
    if (current != b.counter->expected) return Status::Aborted("counter changed concurrently");
    Query up(w,
             "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET "
             "value = excluded.value");
    VIGIL_RETURN_IF_ERROR(up.Bind(1, b.counter->name).Bind(2, b.counter->value).Run());
  }

  return Status::Ok();
}

// Events: each placed at the head of its chain (seq, previous hash, hash), kept in
// batch_events_; FinishEvents writes them once the batch's rows are known.
Result<SqlStore::ChainHeads> SqlStore::AppendEvents(WriteBatch& b, const std::string& report_id,
                                                    WriteResult& out) {
  SqlConnection& w = *writer_conn_;
  ChainHeads heads;
  batch_events_.clear();
  for (NewEvent& ne : b.events) {
    if (ne.chain.empty()) ne.chain = report_id;
    auto it = heads.find(ne.chain);
    if (it == heads.end()) {
      Query q(w, "SELECT seq, hash FROM events WHERE chain = ? ORDER BY seq DESC LIMIT 1");
      q.Bind(1, ne.chain);
      StoredEvent head;
      head.hash = kGenesisHash;
      if (q.Step()) {
        head.seq = q.Int(0);
        head.hash = q.Text(1);
      }
      VIGIL_RETURN_IF_ERROR(q.status());
      it = heads.emplace(ne.chain, head).first;
    }
    StoredEvent e;
    e.chain = ne.chain;
    e.seq = it->second.seq + 1;
    e.time = ne.time;
    e.actor = ne.actor;
    e.kind = ne.kind;
    e.payload = ne.payload;
    e.prev_hash = it->second.hash;
    e.hash = EventHash(e);
    out.last_event_seq = e.seq;
    batch_events_.push_back(e);
    it->second = std::move(e);
  }

  return heads;
}

Status SqlStore::WriteReportRow(Report& r) {
  SqlConnection& w = *writer_conn_;
  Query up(w, std::string("INSERT INTO reports (") + kReportColumns +
                  ", prefix, year, number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                  "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                  "version = excluded.version, state = excluded.state, level = excluded.level, "
                  "subject = excluded.subject, steps = excluded.steps, "
                  "effects_cluster = excluded.effects_cluster, "
                  "effects_applications = excluded.effects_applications, "
                  "effects_infrastructure = excluded.effects_infrastructure, "
                  "workflows = excluded.workflows, attack_vectors = excluded.attack_vectors, "
                  "other_software = excluded.other_software, "
                  "coordinator = excluded.coordinator, embargo_start = excluded.embargo_start, "
                  "embargo_end = excluded.embargo_end, "
                  "embargo_cap_days = excluded.embargo_cap_days, "
                  "embargo_state = excluded.embargo_state, "
                  "embargo_reason = excluded.embargo_reason, "
                  "duplicate_of = excluded.duplicate_of, reason = excluded.reason, "
                  "updated_at = excluded.updated_at, closed_at = excluded.closed_at");
  const size_t dash = r.id.find('-');
  up.Bind(1, r.id).Bind(2, r.version).Bind(3, StateName(r.state)).Bind(4, int64_t{r.level});
  up.Bind(5, r.fields.subject).Bind(6, r.fields.steps).Bind(7, r.fields.effects_cluster);
  up.Bind(8, r.fields.effects_applications).Bind(9, r.fields.effects_infrastructure);
  up.Bind(10, r.fields.workflows).Bind(11, r.fields.attack_vectors);
  up.Bind(12, r.fields.other_software).Bind(13, r.coordinator).Bind(14, r.embargo.start);
  up.Bind(15, r.embargo.end).Bind(16, int64_t{r.embargo.cap_days});
  up.Bind(17, EmbargoStateName(r.embargo.state)).Bind(18, r.embargo.reason);
  up.Bind(19, r.duplicate_of).Bind(20, r.reason).Bind(21, r.created_at).Bind(22, r.updated_at);
  up.Bind(23, r.closed_at).Bind(24, r.id.substr(0, dash));
  up.Bind(25, static_cast<int64_t>(std::stoll(r.id.substr(dash + 1, 4))));
  up.Bind(26, static_cast<int64_t>(std::stoll(r.id.substr(dash + 6))));
  VIGIL_RETURN_IF_ERROR(up.Run());

  Query del(w, "DELETE FROM participants WHERE report_id = ?");
  VIGIL_RETURN_IF_ERROR(del.Bind(1, r.id).Run());
  int64_t position = 0;
  // Removed participants keep their rows (removed_at set, no token) after the present ones.
  for (const std::vector<Participant>* people : {&r.participants, &r.removed_participants}) {
    for (const Participant& p : *people) {
      Query ins(w,
                "INSERT INTO participants (report_id, position, email, name, role, added_at, "
                "added_by, token_hash, bouncing, removed_at, removed_by) VALUES (?, ?, ?, ?, ?, "
                "?, ?, ?, ?, ?, ?)");
      ins.Bind(1, r.id).Bind(2, position++).Bind(3, p.email).Bind(4, p.name);
      ins.Bind(5, RoleName(p.role)).Bind(6, p.added_at).Bind(7, p.added_by);
      ins.Bind(8, p.token_hash).Bind(9, static_cast<int64_t>(p.bouncing));
      VIGIL_RETURN_IF_ERROR(ins.Bind(10, p.removed_at).Bind(11, p.removed_by).Run());
    }
  }
  return Status::Ok();
}

Status SqlStore::ApplyThreadRows(WriteBatch& b, const std::string& report_id) {
  SqlConnection& w = *writer_conn_;
  for (ThreadMessage& m : b.messages) {
    if (m.report_id.empty()) m.report_id = report_id;
    Query q(w, "SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE report_id = ?");
    q.Bind(1, m.report_id);
    if (!q.Step()) return q.status().ok() ? Status::Internal("no row") : q.status();
    m.seq = q.Int(0);
    Query ins(w,
              "INSERT INTO messages (report_id, seq, author_email, author_name, author_role, "
              "body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    ins.Bind(1, m.report_id).Bind(2, m.seq).Bind(3, m.author_email).Bind(4, m.author_name);
    VIGIL_RETURN_IF_ERROR(ins.Bind(5, m.author_role).Bind(6, m.body).Bind(7, m.created_at).Run());
  }
  for (OutboxMail& o : b.outbox) {
    if (o.report_id.empty()) o.report_id = report_id;
    Query ins(w,
              "INSERT INTO outbox (report_id, recipient, kind, subject, body, created_at, state, "
              "attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)");
    ins.Bind(1, o.report_id).Bind(2, o.recipient).Bind(3, o.kind).Bind(4, o.subject);
    ins.Bind(5, o.body).Bind(6, o.created_at).Bind(7, OutboxStateName(o.state));
    VIGIL_RETURN_IF_ERROR(ins.Bind(8, o.created_at).Run());
  }
  return Status::Ok();
}

Status SqlStore::ApplyAccountRows(WriteBatch& b) {
  SqlConnection& w = *writer_conn_;
  for (const Account& a : b.accounts) {
    Query up(w,
             "INSERT INTO accounts (email, name, role, password_hash, disabled, created_at) "
             "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO UPDATE SET name = excluded.name, "
             "role = excluded.role, password_hash = excluded.password_hash, "
             "disabled = excluded.disabled");
    up.Bind(1, a.email).Bind(2, a.name).Bind(3, AccountRoleName(a.role)).Bind(4, a.password_hash);
    VIGIL_RETURN_IF_ERROR(up.Bind(5, static_cast<int64_t>(a.disabled)).Bind(6, a.created_at).Run());
  }
  for (const ApiToken& t : b.tokens) {
    Query ins(w,
              "INSERT INTO api_tokens (hash, account_email, label, created_at, expires_at, "
              "revoked_at) VALUES (?, ?, ?, ?, ?, 0)");
    ins.Bind(1, t.hash).Bind(2, t.account_email).Bind(3, t.label).Bind(4, t.created_at);
    VIGIL_RETURN_IF_ERROR(ins.Bind(5, t.expires_at).Run());
  }
  for (const std::string& h : b.revoke_token_hashes) {
    Query up(w, "UPDATE api_tokens SET revoked_at = ? WHERE hash = ? AND revoked_at = 0");
    VIGIL_RETURN_IF_ERROR(up.Bind(1, b.now).Bind(2, h).Run());
    if (w.Changes() == 0) return Status::NotFound("no such active token");
  }
  return Status::Ok();
}

Result<Report> SqlStore::GetReport(const std::string& id) {
  return OnReader([&](SqlConnection& c) -> Result<Report> {
    // One read transaction so the report and its participants are one snapshot.
    VIGIL_RETURN_IF_ERROR(c.Exec("BEGIN"));
    Result<std::optional<Report>> r =
        FirstRow(c, std::string("SELECT ") + kReportColumns + " FROM reports WHERE id = ?",
                 ReadReportRow, id);
    Result<std::vector<Participant>> participants = std::vector<Participant>{};
    if (r.ok() && r->has_value()) {
      participants =
          Rows(c,
               "SELECT email, name, role, added_at, added_by, token_hash, bouncing, removed_at, "
               "removed_by FROM participants WHERE report_id = ? ORDER BY position",
               ReadParticipantRow, id);
    }
    (void)c.Exec("COMMIT");
    VIGIL_RETURN_IF_ERROR(r.status());
    if (!r->has_value()) return Status::NotFound("report " + id + " not found");
    VIGIL_RETURN_IF_ERROR(participants.status());
    Report report = std::move(**r);
    for (Participant& p : *participants) {
      (p.removed_at == 0 ? report.participants : report.removed_participants)
          .push_back(std::move(p));
    }
    return report;
  });
}

ReportFilterSql AppendReportFilter(std::string& sql, const ReportFilter& f, int first,
                                   const char* order_by) {
  ReportFilterSql at;
  int n = first;
  if (f.participant_email) {
    sql +=
        " AND EXISTS (SELECT 1 FROM participants p WHERE p.report_id = r.id AND p.email = ? "
        "AND p.removed_at = 0)";
    at.email_at = n++;
  }
  if (f.report_id) {
    sql += " AND r.id = ?";
    at.id_at = n++;
  }
  if (f.state) {
    sql += " AND r.state = ?";
    at.state_at = n++;
  }
  if (f.level) {
    sql += " AND r.level = ?";
    at.level_at = n++;
  }
  if (f.coordinator) {
    sql += " AND r.coordinator = ?";
    at.coordinator_at = n++;
  }
  if (f.updated_since != 0) {
    sql += " AND r.updated_at >= ?";
    at.updated_at = n++;
  }
  if (f.after) {
    // Row values compare as the order does, and use the (created_at, id) index.
    sql += " AND (r.created_at, r.id) < (?, ?)";
    at.after_at = n;
    n += 2;
  }
  if (!order_by) return at;  // a count: no order, no limit
  sql += std::string(" ORDER BY ") + order_by;
  if (f.limit > 0) {
    sql += " LIMIT ?";
    at.limit_at = n++;
  }
  return at;
}

void ReportFilterSql::Bind(Query& q, const ReportFilter& f) const {
  if (email_at) q.Bind(email_at, *f.participant_email);
  if (id_at) q.Bind(id_at, *f.report_id);
  if (state_at) q.Bind(state_at, StateName(*f.state));
  if (level_at) q.Bind(level_at, static_cast<int64_t>(*f.level));
  if (coordinator_at) q.Bind(coordinator_at, *f.coordinator);
  if (updated_at) q.Bind(updated_at, f.updated_since);
  if (after_at) q.Bind(after_at, f.after->created_at).Bind(after_at + 1, f.after->id);
  if (limit_at) q.Bind(limit_at, static_cast<int64_t>(f.limit));
}

Result<std::vector<ReportSummary>> SqlStore::ListReports(const ReportFilter& f) {
  std::string sql =
      "SELECT r.id, r.subject, r.state, r.level, r.coordinator, r.created_at, r.updated_at, "
      "r.embargo_end FROM reports r WHERE 1 = 1";
  const ReportFilterSql where = AppendReportFilter(sql, f, 1, "r.created_at DESC, r.id DESC");
  return OnReader([&](SqlConnection& c) -> Result<std::vector<ReportSummary>> {
    Query q(c, sql);
    where.Bind(q, f);
    std::vector<ReportSummary> out;
    while (q.Step()) out.push_back(ReadSummaryRow(q));
    VIGIL_RETURN_IF_ERROR(q.status());
    return out;
  });
}

Result<std::vector<ThreadMessage>> SqlStore::Thread(const std::string& report_id) {
  return OnReader([&](SqlConnection& c) {
    return Rows(
        c,
        "SELECT seq, author_email, author_name, author_role, body, created_at FROM messages "
        "WHERE report_id = ? ORDER BY seq",
        [&](const Query& q) {
          ThreadMessage m;
          m.report_id = report_id;
          m.seq = q.Int(0);
          m.author_email = q.Text(1);
          m.author_name = q.Text(2);
          m.author_role = q.Text(3);
          m.body = q.Text(4);
          m.created_at = q.Int(5);
          return m;
        },
        report_id);
  });
}

Result<std::vector<StoredEvent>> SqlStore::Events(const std::string& chain) {
  return OnReader([&](SqlConnection& c) {
    return Rows(c,
                "SELECT chain, seq, time, actor, kind, payload, prev_hash, hash, row_digests FROM "
                "events WHERE "
                "chain = ? ORDER BY seq",
                ReadEventRow, chain);
  });
}

Result<std::optional<Account>> SqlStore::FindAccount(const std::string& email) {
  return OnReader([&](SqlConnection& c) {
    return FirstRow(c,
                    "SELECT email, name, role, password_hash, disabled, created_at FROM accounts "
                    "WHERE email = ?",
                    ReadAccountRow, email);
  });
}

Result<std::vector<Account>> SqlStore::ListAccounts() {
  return OnReader([&](SqlConnection& c) {
    return Rows(c,
                "SELECT email, name, role, password_hash, disabled, created_at FROM accounts "
                "ORDER BY email",
                ReadAccountRow);
  });
}

Result<std::optional<ApiToken>> SqlStore::FindApiToken(const std::string& hash) {
  return OnReader([&](SqlConnection& c) {
    return FirstRow(
        c,
        "SELECT hash, account_email, label, created_at, expires_at, revoked_at FROM api_tokens "
        "WHERE hash = ?",
        ReadApiTokenRow, hash);
  });
}

Result<std::vector<ApiToken>> SqlStore::ListApiTokens(const std::string& email) {
  return OnReader([&](SqlConnection& c) {
    return Rows(c,
                "SELECT hash, account_email, label, created_at, expires_at, revoked_at FROM "
                "api_tokens WHERE ?1 = '' OR account_email = ?1 ORDER BY created_at, hash",
                ReadApiTokenRow, email);
  });
}

Result<std::optional<CapabilityGrant>> SqlStore::FindCapability(const std::string& hash) {
  return OnReader([&](SqlConnection& c) {
    return FirstRow(
        c,
        "SELECT p.report_id, p.email, p.role, r.state, r.closed_at, r.updated_at FROM "
        "participants p JOIN reports r ON r.id = p.report_id WHERE p.token_hash = ? AND "
        "p.removed_at = 0",
        [](const Query& q) {
          CapabilityGrant g;
          g.report_id = q.Text(0);
          g.email = q.Text(1);
          g.role = ParseRole(q.Text(2)).value_or(Role::kObserver);
          g.state = ParseState(q.Text(3)).value_or(State::kReceived);
          g.closed_at = q.Int(4);
          g.updated_at = q.Int(5);
          return g;
        },
        hash);
  });
}

Result<std::vector<OutboxMail>> SqlStore::Outbox(const std::string& report_id) {
  return OnReader([&](SqlConnection& c) {
    return Rows(c,
                "SELECT id, report_id, recipient, kind, subject, body, created_at, state, "
                "attempts FROM outbox WHERE report_id = ? OR ? = '' ORDER BY id",
                ReadOutboxRow, report_id, report_id);
  });
}

Result<int64_t> SqlStore::Counter(const std::string& name) {
  return OnReader([&](SqlConnection& c) {
    return IntOrDefault(c, "SELECT value FROM counters WHERE name = ?", 0, name);
  });
}

Result<std::map<State, int64_t>> SqlStore::CountReportsByState() {
  return OnReader([&](SqlConnection& c) -> Result<std::map<State, int64_t>> {
    Result<std::vector<std::pair<std::string, int64_t>>> rows =
        Rows(c, "SELECT state, COUNT(*) FROM reports GROUP BY state",
             [](const Query& q) { return std::make_pair(q.Text(0), q.Int(1)); });
    VIGIL_RETURN_IF_ERROR(rows.status());
    std::map<State, int64_t> out;
    for (State s : kAllStates) out[s] = 0;
    for (const auto& [name, count] : *rows) {
      if (auto s = ParseState(name)) out[*s] = count;
    }
    return out;
  });
}

Result<std::map<State, int64_t>> SqlStore::CountReports(const ReportFilter& filter) {
  ReportFilter f = filter;
  f.after.reset();
  std::string sql = "SELECT r.state, COUNT(*) FROM reports r WHERE 1 = 1";
  const ReportFilterSql where = AppendReportFilter(sql, f, 1, nullptr);
  sql += " GROUP BY r.state";
  return OnReader([&](SqlConnection& c) -> Result<std::map<State, int64_t>> {
    Query q(c, sql);
    where.Bind(q, f);
    std::map<State, int64_t> out;
    for (State s : kAllStates) out[s] = 0;
    while (q.Step()) {
      if (auto s = ParseState(q.Text(0))) out[*s] = q.Int(1);
    }
    VIGIL_RETURN_IF_ERROR(q.status());
    return out;
  });
}

Result<int64_t> SqlStore::PendingOutbox() {
  return OnReader([&](SqlConnection& c) {
    return IntOrDefault(c, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'", 0);
  });
}

}  // namespace vigil
