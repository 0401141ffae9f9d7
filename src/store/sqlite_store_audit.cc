// The audit of projections: every row the application reads (reports, participants, messages,
// attachments, patches, approvals, disclosure, accounts, tokens, sessions, TOTP) is committed to
// by the chain that owns it. Each batch's last event on a chain carries the digests of the rows
// of that chain the batch left behind (`rows`, part of the event's hash), so that
// `vigil audit verify` can fold the digests of every chain in order and compare them with the
// tables: a row edited, inserted or deleted without an event behind it is named.
//
// Which rows a batch touched is recorded by TEMP triggers on the writer connection only (they
// are not part of the schema, so readers and other tools never see them), each row's digest
// computed by the SQL function vigil_row_digest over a fixed list of columns per table.
#include <sqlite3.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <set>

#include "store/audit_chain.h"
#include "store/sqlite_query.h"
#include "store/sqlite_store.h"

namespace vigil {

namespace {

// The audited tables: the row's key (its primary key columns, joined with '/'), the column that
// names its owning chain (empty: the system chain "-") and the digested columns. Append a column
// here only together with a migration that writes a fresh audit.baseline (existing digests were
// computed without it); AuditCoversEveryColumn checks that no column is forgotten.
struct AuditedTable {
  const char* name;
  std::vector<const char*> key;
  const char* owner;
  std::vector<const char*> columns;
};

const std::vector<AuditedTable>& AuditedTables() {
  static const std::vector<AuditedTable> tables = {
      {"reports",
       {"id"},
       "id",
       {"id",
        "prefix",
        "year",
        "number",
        "version",
        "state",
        "level",
        "subject",
        "steps",
        "effects_cluster",
        "effects_applications",
        "effects_infrastructure",
        "workflows",
        "attack_vectors",
        "other_software",
        "coordinator",
        "embargo_start",
        "embargo_end",
        "embargo_cap_days",
        "embargo_state",
        "embargo_reason",
        "duplicate_of",
        "reason",
        "created_at",
        "updated_at",
        "closed_at"}},
      {"participants",
       {"report_id", "position"},
       "report_id",
       {"report_id", "position", "email", "name", "role", "added_at", "added_by", "token_hash",
        "bouncing", "removed_at", "removed_by"}},
      {"messages",
       {"report_id", "seq"},
       "report_id",
       {"report_id", "seq", "author_email", "author_name", "author_role", "body", "created_at"}},
      {"attachments",
       {"report_id", "number"},
       "report_id",
       {"report_id", "number", "message_seq", "filename", "content_type", "size", "sha256", "data",
        "uploaded_by", "created_at"}},
      {"reporter_prefs",
       {"report_id"},
       "report_id",
       {"report_id", "anonymous", "credit_name", "public_key", "updated_at"}},
      {"advisory_drafts", {"report_id"}, "report_id", {"report_id", "document", "updated_at"}},
      {"disclosure_plans",
       {"report_id"},
       "report_id",
       {"report_id", "slot", "notice_days", "on_duty", "confirmed_at", "confirmed_by",
        "public_view", "updated_at"}},
      {"disclosure_log",
       {"report_id", "seq"},
       "report_id",
       {"report_id", "seq", "step", "state", "detail", "at"}},
      {"patch_revisions",
       {"report_id", "series", "version"},
       "report_id",
       {"report_id", "series", "version", "target_branch", "submitter", "change_id", "message_ids",
        "patch_ids", "created_at"}},
      {"patches",
       {"report_id", "revision", "position"},
       "report_id",
       {"report_id", "revision", "position", "author_name", "author_email", "author_date",
        "subject", "message", "patch_id", "diff"}},
      {"patch_trailers",
       {"report_id", "revision", "position", "seq"},
       "report_id",
       {"report_id", "revision", "position", "seq", "name", "person_name", "email"}},
      {"patch_approvals",
       {"report_id", "revision", "approver"},
       "report_id",
       {"report_id", "revision", "approver", "patch_ids", "created_at", "voided_at",
        "voided_reason"}},
      {"accounts",
       {"email"},
       "",
       {"email", "name", "role", "password_hash", "disabled", "created_at"}},
      {"api_tokens",
       {"hash"},
       "",
       {"hash", "account_email", "label", "created_at", "expires_at", "revoked_at"}},
      {"web_sessions",
       {"hash"},
       "",
       {"hash", "account_email", "created_at", "expires_at", "revoked_at"}},
      {"totp_secrets", {"email"}, "", {"email", "secret", "enabled", "last_step"}},
  };
  return tables;
}

std::string Qualified(const std::string& prefix, const char* column) {
  return prefix.empty() ? std::string(column) : prefix + "." + column;
}

// SQL for the row's key, owner and digest, with columns read from PREFIX ("NEW", "OLD", "").
std::string KeySql(const AuditedTable& t, const std::string& prefix) {
  std::string out;
  for (const char* c : t.key) {
    if (!out.empty()) out += " || '/' || ";
    out += Qualified(prefix, c);
  }
  return out;
}

std::string OwnerSql(const AuditedTable& t, const std::string& prefix) {
  return *t.owner ? Qualified(prefix, t.owner) : std::string("'") + kSystemChain + "'";
}

std::string DigestSql(const AuditedTable& t, const std::string& prefix) {
  std::string out = std::string("vigil_row_digest('") + t.name + "'";
  for (const char* c : t.columns) out += ", " + Qualified(prefix, c);
  return out + ")";
}

void PutField(std::string* out, char type, std::string_view bytes) {
  *out += type;
  *out += std::to_string(bytes.size());
  *out += ':';
  out->append(bytes.data(), bytes.size());
}

// vigil_row_digest(TABLE, VALUE...): hex SHA-256 of "vigil-row-v1", the table name and each
// value with its type, length-prefixed, so that no two different rows share an encoding.
void RowDigest(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  std::string canonical = "vigil-row-v1";
  for (int i = 0; i < argc; ++i) {
    sqlite3_value* v = argv[i];
    switch (sqlite3_value_type(v)) {
      case SQLITE_INTEGER:
        PutField(&canonical, 'i', std::to_string(sqlite3_value_int64(v)));
        break;
      case SQLITE_FLOAT: {
        char buf[32];
        const int n = std::snprintf(buf, sizeof buf, "%.17g", sqlite3_value_double(v));
        PutField(&canonical, 'f', std::string_view(buf, static_cast<size_t>(n)));
        break;
      }
      case SQLITE_NULL:
        PutField(&canonical, 'n', "");
        break;
      case SQLITE_BLOB:
        PutField(&canonical, 'b',
                 std::string_view(static_cast<const char*>(sqlite3_value_blob(v)),
                                  static_cast<size_t>(sqlite3_value_bytes(v))));
        break;
      default:
        PutField(&canonical, 't',
                 std::string_view(reinterpret_cast<const char*>(sqlite3_value_text(v)),
                                  static_cast<size_t>(sqlite3_value_bytes(v))));
    }
  }
  const std::string hex = Sha256Hex(canonical);
  sqlite3_result_text(ctx, hex.data(), static_cast<int>(hex.size()), SQLITE_TRANSIENT);
}

// What a chain's events say about its rows: per (table, key), the last digest recorded ("" for
// a deleted row) and the event that recorded it.
struct Recorded {
  std::string digest;
  int64_t seq = 0;
};
using RowKey = std::pair<std::string, std::string>;  // table, key

}  // namespace

std::map<std::string, std::vector<std::string>> AuditedColumns() {
  std::map<std::string, std::vector<std::string>> out;
  for (const AuditedTable& t : AuditedTables())
    out[t.name].assign(t.columns.begin(), t.columns.end());
  return out;
}

Status RegisterRowDigest(sqlite3* db) {
  const int rc =
      sqlite3_create_function_v2(db, "vigil_row_digest", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                 nullptr, &RowDigest, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return Status::Internal(std::string("cannot register vigil_row_digest: ") + sqlite3_errstr(rc));
  }
  return Status::Ok();
}

namespace {

// vigil_touched(TABLE, KEY, OWNER, DIGEST), called by the audit triggers: appends to the
// store's touched_rows_ (the function's user data).
template <typename Row>
void Touched(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto* rows = static_cast<std::vector<Row>*>(sqlite3_user_data(ctx));
  auto text = [&](int i) {
    const unsigned char* t = sqlite3_value_text(argv[i]);
    return t ? std::string(reinterpret_cast<const char*>(t),
                           static_cast<size_t>(sqlite3_value_bytes(argv[i])))
             : std::string();
  };
  rows->push_back({text(0), text(1), text(2), text(3)});
  sqlite3_result_null(ctx);
}

}  // namespace

Status SqliteStore::InstallAuditTriggers() {
  SqliteConnection& w = *writer_;
  const int rc = sqlite3_create_function_v2(w.db(), "vigil_touched", 4, SQLITE_UTF8, &touched_rows_,
                                            &Touched<TouchedRow>, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return Status::Internal(std::string("cannot register vigil_touched: ") + sqlite3_errstr(rc));
  }
  std::string sql;
  for (const AuditedTable& t : AuditedTables()) {
    const std::string name = t.name;
    auto row = [&](const std::string& prefix, bool present) {
      return "SELECT vigil_touched('" + name + "', " + KeySql(t, prefix) + ", " +
             OwnerSql(t, prefix) + ", " + (present ? DigestSql(t, prefix) : std::string("''")) +
             ");";
    };
    sql += "CREATE TEMP TRIGGER IF NOT EXISTS audit_insert_" + name + " AFTER INSERT ON main." +
           name + " BEGIN " + row("NEW", true) + " END;";
    // The old key first: an update that changes the key leaves the old one deleted.
    sql += "CREATE TEMP TRIGGER IF NOT EXISTS audit_update_" + name + " AFTER UPDATE ON main." +
           name + " BEGIN " + row("OLD", false) + row("NEW", true) + " END;";
    sql += "CREATE TEMP TRIGGER IF NOT EXISTS audit_delete_" + name + " AFTER DELETE ON main." +
           name + " BEGIN " + row("OLD", false) + " END;";
  }
  return w.Exec(sql.c_str());
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

Status InsertEventRow(SqliteConnection& w, const StoredEvent& e) {
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
Result<StoredEvent> VigilEvent(SqliteConnection& w, const std::string& chain, Instant now,
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

Status SqliteStore::FinishEvents(ChainHeads& heads) {
  SqliteConnection& w = *writer_;
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

Status WriteAuditBaseline(SqliteConnection& w, Instant now) {
  {
    Query seen(w, "SELECT 1 FROM schema_migrations WHERE name = 'audit-baseline'");
    if (seen.Step()) return Status::Ok();
    VIGIL_RETURN_IF_ERROR(seen.status());
  }
  // Each report's chain gets one event, and its version follows the chain.
  VIGIL_RETURN_IF_ERROR(w.Run("UPDATE reports SET version = version + 1"));
  std::map<std::string, std::map<RowKey, std::string>> by_owner;
  for (const AuditedTable& t : AuditedTables()) {
    Query q(w, "SELECT " + OwnerSql(t, "") + ", " + KeySql(t, "") + ", " + DigestSql(t, "") +
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

ProjectionAudit::ProjectionAudit(SqliteConnection& c) {
  for (const AuditedTable& t : AuditedTables()) {
    auto cursor = std::make_unique<Cursor>();
    cursor->table = &t;
    std::string sql = "SELECT " + OwnerSql(t, "") + ", " + KeySql(t, "") + ", " + DigestSql(t, "") +
                      " FROM " + t.name;
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

}  // namespace vigil
