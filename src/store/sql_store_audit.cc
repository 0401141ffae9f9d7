// The audit of projections: every row the application reads (reports, participants, messages,
// attachments, patches, approvals, disclosure, accounts, tokens, sessions, TOTP) is committed to
// by the chain that owns it. Each batch's last event on a chain carries the digests of the rows
// of that chain the batch left behind (`rows`, part of the event's hash), so that
// `vigil audit verify` can fold the digests of every chain in order and compare them with the
// tables: a row edited, inserted or deleted without an event behind it is named.
//
// Which rows a batch touched is recorded by each engine's triggers (CollectTouchedRows), each
// row's digest computed in SQL by the engine's RowDigestSql over a fixed list of columns per
// table; both engines compute the same digest, so that a chain verifies on either.
#include <algorithm>
#include <ctime>
#include <map>
#include <set>

#include "store/audit_chain.h"
#include "store/sql_connection.h"
#include "store/sql_store.h"

namespace vigil {

// The audited tables. Append a column here only together with a migration that writes a fresh
// audit.baseline (existing digests were computed without it); AuditCoversEveryColumn checks
// that no column is forgotten and that each type is the column's.
const std::vector<AuditedTable>& AuditedTables() {
  static const std::vector<AuditedTable> tables = {
      {"reports",
       {"id"},
       "id",
       {{"id", 't'},
        {"prefix", 't'},
        {"year", 'i'},
        {"number", 'i'},
        {"version", 'i'},
        {"state", 't'},
        {"level", 'i'},
        {"subject", 't'},
        {"steps", 't'},
        {"effects_cluster", 't'},
        {"effects_applications", 't'},
        {"effects_infrastructure", 't'},
        {"workflows", 't'},
        {"attack_vectors", 't'},
        {"other_software", 't'},
        {"coordinator", 't'},
        {"embargo_start", 'i'},
        {"embargo_end", 'i'},
        {"embargo_cap_days", 'i'},
        {"embargo_state", 't'},
        {"embargo_reason", 't'},
        {"duplicate_of", 't'},
        {"reason", 't'},
        {"created_at", 'i'},
        {"updated_at", 'i'},
        {"closed_at", 'i'}}},
      {"participants",
       {"report_id", "position"},
       "report_id",
       {{"report_id", 't'},
        {"position", 'i'},
        {"email", 't'},
        {"name", 't'},
        {"role", 't'},
        {"added_at", 'i'},
        {"added_by", 't'},
        {"token_hash", 't'},
        {"bouncing", 'i'},
        {"removed_at", 'i'},
        {"removed_by", 't'}}},
      {"messages",
       {"report_id", "seq"},
       "report_id",
       {{"report_id", 't'},
        {"seq", 'i'},
        {"author_email", 't'},
        {"author_name", 't'},
        {"author_role", 't'},
        {"body", 't'},
        {"created_at", 'i'}}},
      {"attachments",
       {"report_id", "number"},
       "report_id",
       {{"report_id", 't'},
        {"number", 'i'},
        {"message_seq", 'i'},
        {"filename", 't'},
        {"content_type", 't'},
        {"size", 'i'},
        {"sha256", 't'},
        {"data", 'b'},
        {"uploaded_by", 't'},
        {"created_at", 'i'}}},
      {"reporter_prefs",
       {"report_id"},
       "report_id",
       {{"report_id", 't'},
        {"anonymous", 'i'},
        {"credit_name", 't'},
        {"public_key", 't'},
        {"updated_at", 'i'}}},
      {"advisory_drafts",
       {"report_id"},
       "report_id",
       {{"report_id", 't'}, {"document", 't'}, {"updated_at", 'i'}}},
      {"disclosure_plans",
       {"report_id"},
       "report_id",
       {{"report_id", 't'},
        {"slot", 'i'},
        {"notice_days", 'i'},
        {"on_duty", 't'},
        {"confirmed_at", 'i'},
        {"confirmed_by", 't'},
        {"public_view", 'i'},
        {"updated_at", 'i'}}},
      {"disclosure_log",
       {"report_id", "seq"},
       "report_id",
       {{"report_id", 't'},
        {"seq", 'i'},
        {"step", 't'},
        {"state", 't'},
        {"detail", 't'},
        {"at", 'i'}}},
      {"patch_revisions",
       {"report_id", "series", "version"},
       "report_id",
       {{"report_id", 't'},
        {"series", 'i'},
        {"version", 'i'},
        {"target_branch", 't'},
        {"submitter", 't'},
        {"change_id", 't'},
        {"message_ids", 't'},
        {"patch_ids", 't'},
        {"created_at", 'i'}}},
      {"patches",
       {"report_id", "revision", "position"},
       "report_id",
       {{"report_id", 't'},
        {"revision", 't'},
        {"position", 'i'},
        {"author_name", 't'},
        {"author_email", 't'},
        {"author_date", 't'},
        {"subject", 't'},
        {"message", 't'},
        {"patch_id", 't'},
        {"diff", 't'}}},
      {"patch_trailers",
       {"report_id", "revision", "position", "seq"},
       "report_id",
       {{"report_id", 't'},
        {"revision", 't'},
        {"position", 'i'},
        {"seq", 'i'},
        {"name", 't'},
        {"person_name", 't'},
        {"email", 't'}}},
      {"patch_approvals",
       {"report_id", "revision", "approver"},
       "report_id",
       {{"report_id", 't'},
        {"revision", 't'},
        {"approver", 't'},
        {"patch_ids", 't'},
        {"created_at", 'i'},
        {"voided_at", 'i'},
        {"voided_reason", 't'}}},
      {"accounts",
       {"email"},
       "",
       {{"email", 't'},
        {"name", 't'},
        {"role", 't'},
        {"password_hash", 't'},
        {"disabled", 'i'},
        {"created_at", 'i'}}},
      {"api_tokens",
       {"hash"},
       "",
       {{"hash", 't'},
        {"account_email", 't'},
        {"label", 't'},
        {"created_at", 'i'},
        {"expires_at", 'i'},
        {"revoked_at", 'i'}}},
      {"web_sessions",
       {"hash"},
       "",
       {{"hash", 't'},
        {"account_email", 't'},
        {"created_at", 'i'},
        {"expires_at", 'i'},
        {"revoked_at", 'i'}}},
      {"totp_secrets",
       {"email"},
       "",
       {{"email", 't'}, {"secret", 't'}, {"enabled", 'i'}, {"last_step", 'i'}}},
  };
  return tables;
}

namespace {

std::string Qualified(const std::string& prefix, const char* column) {
  return prefix.empty() ? std::string(column) : prefix + "." + column;
}

}  // namespace

std::string AuditKeySql(const AuditedTable& t, const std::string& prefix) {
  std::string out;
  for (const char* c : t.key) {
    if (!out.empty()) out += " || '/' || ";
    out += Qualified(prefix, c);
  }
  return out;
}

std::string AuditOwnerSql(const AuditedTable& t, const std::string& prefix) {
  return *t.owner ? Qualified(prefix, t.owner) : std::string("'") + kSystemChain + "'";
}

namespace {

void PutField(std::string* out, char type, std::string_view bytes) {
  *out += type;
  *out += std::to_string(bytes.size());
  *out += ':';
  out->append(bytes.data(), bytes.size());
}

// What a chain's events say about its rows: per (table, key), the last digest recorded ("" for
// a deleted row) and the event that recorded it.
struct Recorded {
  std::string digest;
  int64_t seq = 0;
};
using RowKey = std::pair<std::string, std::string>;  // table, key

}  // namespace

void RowDigestBuilder::Add(char type, std::string_view bytes) {
  PutField(&canonical_, type, bytes);
}

std::string RowDigestBuilder::Hex() const { return Sha256Hex(canonical_); }

std::map<std::string, std::vector<std::string>> AuditedColumns() {
  std::map<std::string, std::vector<std::string>> out;
  for (const AuditedTable& t : AuditedTables()) {
    for (const auto& [column, type] : t.columns) out[t.name].push_back(column);
  }
  return out;
}

namespace {

// A key as it appears in `rows`: '%', tab and newline percent-encoded.
std::string EscapeKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '%') {
      out += "%25";
    } else if (c == '\t') {
      out += "%09";
    } else if (c == '\n') {
      out += "%0A";
    } else {
      out += c;
    }
  }
  return out;
}

// The `rows` of an event: one line per row, "TABLE<tab>KEY<tab>DIGEST" (DIGEST empty for a
// deleted row), ordered by table and key.
std::string RowsText(const std::map<RowKey, std::string>& rows) {
  std::string out;
  for (const auto& [key, digest] : rows) {
    out += key.first + '\t' + EscapeKey(key.second) + '\t' + digest + '\n';
  }
  return out;
}

Status InsertEventRow(SqlConnection& w, const StoredEvent& e) {
  Query ins(
      w,
      "INSERT INTO events (chain, seq, time, actor, kind, payload, prev_hash, hash, row_digests) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  ins.Bind(1, e.chain).Bind(2, e.seq).Bind(3, e.time).Bind(4, e.actor).Bind(5, e.kind);
  ins.Bind(6, e.payload).Bind(7, e.prev_hash).Bind(8, e.hash);
  return ins.Bind(9, e.rows).Run();
}

// The next event on CHAIN, written by Vigil itself (actor "vigil", payload "{}"), of KIND, at
// NOW; its rows and hash are the caller's to set.
Result<StoredEvent> VigilEvent(SqlConnection& w, const std::string& chain, Instant now,
                               const char* kind) {
  StoredEvent e;
  e.chain = chain;
  e.prev_hash = kGenesisHash;
  Query head(w, "SELECT seq, hash FROM events WHERE chain = ? ORDER BY seq DESC LIMIT 1");
  head.Bind(1, chain);
  if (head.Step()) {
    e.seq = head.Int(0);
    e.prev_hash = head.Text(1);
  }
  VIGIL_RETURN_IF_ERROR(head.status());
  ++e.seq;
  e.time = now;
  e.actor = "vigil";
  e.kind = kind;
  e.payload = "{}";
  return e;
}

}  // namespace

Status SqlStore::FinishEvents(ChainHeads& heads) {
  SqlConnection& w = *writer_conn_;
  VIGIL_RETURN_IF_ERROR(CollectTouchedRows());
  // Per owning chain, each touched row's last state.
  std::map<std::string, std::map<RowKey, std::string>> touched;
  for (TouchedRow& t : touched_rows_) {
    touched[t.owner][{std::move(t.table), std::move(t.key)}] = std::move(t.digest);
  }
  touched_rows_.clear();
  Instant now = 0;
  for (const auto& [chain, last] : heads) now = std::max(now, last.time);
  if (now == 0) now = static_cast<Instant>(time(nullptr)) * kMicrosPerSecond;
  for (auto& [owner, rows] : touched) {
    auto it = heads.find(owner);
    if (it == heads.end()) {
      // A batch that changed rows of a chain without an event on it (a disclosure step's log
      // row, say): the change gets an event of its own, so that no row changes unrecorded.
      // The report's version stays: it is the seq of the event that last wrote the report.
      VIGIL_RETURN_IF_ERROR(Lock({owner}));
      Result<StoredEvent> added = VigilEvent(w, owner, now, "audit.rows");
      VIGIL_RETURN_IF_ERROR(added.status());
      batch_events_.push_back(*added);
      it = heads.emplace(owner, std::move(*added)).first;
    }
    it->second.rows = RowsText(rows);
    it->second.hash = EventHash(it->second);
  }
  // Each chain's last event of the batch carries its rows (and so its hash changed); no later
  // event of the batch links to it.
  for (StoredEvent& e : batch_events_) {
    const StoredEvent& last = heads.at(e.chain);
    VIGIL_RETURN_IF_ERROR(InsertEventRow(w, last.seq == e.seq ? last : e));
  }
  batch_events_.clear();
  return Status::Ok();
}

Status WriteAuditBaseline(SqlConnection& w, RowDigestSql digest, Instant now) {
  {
    Query seen(w, "SELECT 1 FROM schema_migrations WHERE name = 'audit-baseline'");
    if (seen.Step()) return Status::Ok();
    VIGIL_RETURN_IF_ERROR(seen.status());
  }
  // Each report's chain gets one event, and its version follows the chain.
  VIGIL_RETURN_IF_ERROR(w.Run("UPDATE reports SET version = version + 1"));
  std::map<std::string, std::map<RowKey, std::string>> by_owner;
  for (const AuditedTable& t : AuditedTables()) {
    Query q(w, "SELECT " + AuditOwnerSql(t, "") + ", " + AuditKeySql(t, "") + ", " + digest(t, "") +
                   " FROM " + t.name);
    while (q.Step()) by_owner[q.Text(0)][{t.name, q.Text(1)}] = q.Text(2);
    VIGIL_RETURN_IF_ERROR(q.status());
  }
  for (const auto& [owner, rows] : by_owner) {
    Result<StoredEvent> e = VigilEvent(w, owner, now, "audit.baseline");
    VIGIL_RETURN_IF_ERROR(e.status());
    e->rows = RowsText(rows);
    e->hash = EventHash(*e);
    VIGIL_RETURN_IF_ERROR(InsertEventRow(w, *e));
  }
  Query done(w, "INSERT INTO schema_migrations (name, applied_at) VALUES ('audit-baseline', ?)");
  return done.Bind(1, now / kMicrosPerSecond).Run();
}

namespace {

// The last digest each row got in a chain, folded from its events in order.
std::map<RowKey, Recorded> FoldRows(const std::vector<StoredEvent>& events) {
  std::map<RowKey, Recorded> out;
  for (const StoredEvent& e : events) {
    std::string_view rows = e.rows;
    while (!rows.empty()) {
      const size_t end = rows.find('\n');
      std::string_view line = rows.substr(0, end);
      rows = end == std::string_view::npos ? std::string_view() : rows.substr(end + 1);
      const size_t tab1 = line.find('\t');
      const size_t tab2 = tab1 == std::string_view::npos ? tab1 : line.find('\t', tab1 + 1);
      if (tab2 == std::string_view::npos) continue;  // not written by Vigil: caught by the hash
      out[{std::string(line.substr(0, tab1)),
           std::string(line.substr(tab1 + 1, tab2 - tab1 - 1))}] = {
          std::string(line.substr(tab2 + 1)), e.seq};
    }
  }
  return out;
}

}  // namespace

struct ProjectionAudit::Cursor {
  const AuditedTable* table;
  std::unique_ptr<Query> query;
  bool has_row = false;
  std::string owner, key, digest;

  void Next() {
    has_row = query->Step();
    if (!has_row) return;
    owner = query->Text(0);
    key = EscapeKey(query->Text(1));
    digest = query->Text(2);
  }
};

ProjectionAudit::ProjectionAudit(SqlConnection& c, RowDigestSql digest) {
  for (const AuditedTable& t : AuditedTables()) {
    auto cursor = std::make_unique<Cursor>();
    cursor->table = &t;
    std::string sql = "SELECT " + AuditOwnerSql(t, "") + ", " + AuditKeySql(t, "") + ", " +
                      digest(t, "") + " FROM " + t.name;
    if (*t.owner) sql += std::string(" ORDER BY ") + t.owner;
    cursor->query = std::make_unique<Query>(c, sql);
    cursor->Next();
    cursors_.push_back(std::move(cursor));
  }
}

ProjectionAudit::~ProjectionAudit() = default;

Status ProjectionAudit::status() const {
  for (const auto& c : cursors_) VIGIL_RETURN_IF_ERROR(c->query->status());
  return Status::Ok();
}

std::string ProjectionAudit::Chain(const std::vector<StoredEvent>& events) {
  const std::string& chain = events.front().chain;
  std::map<RowKey, std::string> present;
  for (auto& c : cursors_) {
    if (c->has_row && c->owner < chain) return Unrecorded(*c);
    while (c->has_row && c->owner == chain) {
      present[{c->table->name, c->key}] = c->digest;
      c->Next();
    }
  }
  const std::map<RowKey, Recorded> recorded = FoldRows(events);
  auto name = [](const RowKey& k) { return k.first + " row " + k.second; };
  auto by = [&chain](const Recorded& r) { return chain + " event " + std::to_string(r.seq); };
  auto p = present.begin();
  auto r = recorded.begin();
  while (p != present.end() || r != recorded.end()) {
    if (r == recorded.end() || (p != present.end() && p->first < r->first)) {
      return name(p->first) + ": no event records it";
    }
    if (p == present.end() || r->first < p->first) {
      if (!r->second.digest.empty()) {
        return name(r->first) + ": missing (" + by(r->second) + " recorded it)";
      }
      ++r;
      continue;
    }
    if (r->second.digest.empty()) {
      return name(p->first) + ": no event records it (" + by(r->second) + " recorded it deleted)";
    }
    if (r->second.digest != p->second) {
      return name(p->first) + ": differs from what " + by(r->second) + " recorded";
    }
    ++p;
    ++r;
  }
  return "";
}

std::string ProjectionAudit::Finish() {
  for (auto& c : cursors_) {
    if (c->has_row) return Unrecorded(*c);
  }
  return "";
}

std::string ProjectionAudit::Unrecorded(const Cursor& c) {
  return std::string(c.table->name) + " row " + c.key + ": no event records it (chain " + c.owner +
         " has no events)";
}

Result<AuditVerdict> VerifyAuditOn(SqlConnection& c, RowDigestSql digest,
                                   const CheckpointedHeads& checkpointed) {
  AuditVerdict v;
  auto broken = [&v](std::string what) {
    if (!v.ok || what.empty()) return;
    v.ok = false;
    v.first_broken = std::move(what);
  };
  // A chain cut at its end still links: the signed checkpoint remembers how far it went.
  auto cut = [&](const std::string& chain, int64_t have, const CheckpointedHead& head) {
    broken(chain + " event " + std::to_string(have + 1) + ": missing (" + head.where +
           " recorded event " + std::to_string(head.seq) + ")");
  };
  // Without a checkpoint, the report row still knows the seq of the event that last wrote it
  // (events of other writes may follow): a chain shorter than that was cut.
  auto short_of_version = [&](const std::string& id, int64_t have, int64_t version) {
    if (have < version) {
      broken(id + " event " + std::to_string(have + 1) + ": missing (the report has " +
             std::to_string(version) + " events, the chain " + std::to_string(have) + ")");
    }
  };
  Status st;
  {
    // Three reads in step, each ordered by chain: the events, the reports' versions and (in
    // ProjectionAudit) the audited tables.
    ProjectionAudit projections(c, digest);
    Query versions(c, "SELECT id, version FROM reports ORDER BY id");
    bool has_version = versions.Step();
    size_t checkpointed_seen = 0;
    Query q(
        c,
        "SELECT chain, seq, time, actor, kind, payload, prev_hash, hash, row_digests FROM events "
        "ORDER BY chain, seq");
    std::vector<StoredEvent> chain;
    auto finish = [&] {
      if (chain.empty()) return;
      ++v.chains;
      const std::string& name = chain.front().chain;
      const int64_t length = static_cast<int64_t>(chain.size());
      if (v.ok) broken(VerifyChain(chain));
      for (; has_version && versions.Text(0) <= name; has_version = versions.Step()) {
        const bool own = versions.Text(0) == name;
        short_of_version(versions.Text(0), own ? length : 0, versions.Int(1));
      }
      auto cp = checkpointed.find(name);
      if (cp != checkpointed.end()) {
        ++checkpointed_seen;
        const CheckpointedHead& head = cp->second;
        if (length < head.seq) {
          cut(name, length, head);
        } else if (head.seq >= 1 && chain[head.seq - 1].hash != head.hash) {
          broken(name + " event " + std::to_string(head.seq) + ": differs from " + head.where);
        }
      }
      if (v.ok) broken(projections.Chain(chain));
      chain.clear();
    };
    while (q.Step()) {
      StoredEvent e = ReadEventRow(q);
      if (!chain.empty() && chain.front().chain != e.chain) finish();
      chain.push_back(std::move(e));
      ++v.events;
    }
    finish();
    for (; has_version; has_version = versions.Step()) {
      short_of_version(versions.Text(0), 0, versions.Int(1));
    }
    if (v.ok) broken(projections.Finish());
    // A chain the checkpoint names and the database lacks entirely.
    if (checkpointed_seen < checkpointed.size()) {
      std::set<std::string> seen_chains;
      Query names(c, "SELECT DISTINCT chain FROM events");
      while (names.Step()) seen_chains.insert(names.Text(0));
      for (const auto& [name, head] : checkpointed) {
        if (!seen_chains.count(name)) cut(name, 0, head);
      }
    }
    st = q.status();
    if (st.ok()) st = versions.status();
    if (st.ok()) st = projections.status();
  }
  if (!st.ok()) return st;
  return v;
}

Result<ChainHeadsDelta> SqlStore::ChainHeadsSince(int64_t cursor) {
  return OnReader([&](SqlConnection& c) -> Result<ChainHeadsDelta> {
    VIGIL_RETURN_IF_ERROR(c.Exec(BeginSnapshot()));
    Result<ChainHeadsDelta> delta = ChainHeadsSinceOn(c, CommitOrderColumn(), cursor);
    (void)c.Exec("COMMIT");
    return delta;
  });
}

Status SqlStore::ReadSnapshot(const std::function<Status(SqlConnection&)>& read) {
  return OnReader([&](SqlConnection& c) -> Status {
    VIGIL_RETURN_IF_ERROR(c.Exec(BeginSnapshot()));
    Status s = read(c);
    (void)c.Exec("COMMIT");
    return s;
  });
}

Result<ChainHeadsDelta> ChainHeadsSinceOn(SqlConnection& c, const std::string& order_column,
                                          int64_t cursor) {
  ChainHeadsDelta out;
  {
    // A table whose largest position went below the cursor was rewritten (a restore, a
    // VACUUM): then every chain is read again.
    Query top(c, "SELECT COALESCE(MAX(" + order_column + "), 0) FROM events");
    const int64_t max_position = top.Step() ? top.Int(0) : 0;
    VIGIL_RETURN_IF_ERROR(top.status());
    if (max_position < cursor) cursor = 0;
    out.cursor = cursor;
  }
  std::map<std::string, size_t> index;
  Query q(c, "SELECT " + order_column + ", chain, seq, hash FROM events WHERE " + order_column +
                 " > ? ORDER BY " + order_column);
  q.Bind(1, cursor);
  while (q.Step()) {
    out.cursor = q.Int(0);
    std::string chain = q.Text(1);
    auto [it, fresh] = index.emplace(chain, out.heads.size());
    if (fresh) out.heads.push_back({std::move(chain), 0, ""});
    ChainHeadsDelta::Head& head = out.heads[it->second];
    if (q.Int(2) > head.seq) {
      head.seq = q.Int(2);
      head.hash = q.Text(3);
    }
  }
  VIGIL_RETURN_IF_ERROR(q.status());
  std::sort(out.heads.begin(), out.heads.end(),
            [](const auto& a, const auto& b) { return a.chain < b.chain; });
  return out;
}

}  // namespace vigil
