// The schema as named migrations, the same names on both engines, applied in order by
// ApplyMigrations.
#include <ctime>
#include <regex>
#include <vector>

#include "store/sql_store.h"

namespace vigil {

extern const char kWebSqliteSearchV1[];        // sqlite_store_web.cc
extern const char kWebSearchMigration[];       // sqlite_store_web.cc
extern const char kWebSearchMergeMigration[];  // sqlite_store_web.cc
extern const char kPgSearchMigration[];        // pg_store.cc

namespace {

// The web module's tables (part of web-1).
constexpr char kWebTablesMigration[] = R"sql(
CREATE TABLE web_sessions (
  hash TEXT PRIMARY KEY,
  account_email TEXT NOT NULL REFERENCES accounts (email),
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_account ON web_sessions (account_email);
CREATE TABLE totp_secrets (
  email TEXT PRIMARY KEY REFERENCES accounts (email),
  secret TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  last_step BIGINT NOT NULL
);
CREATE TABLE attachments (
  report_id TEXT NOT NULL REFERENCES reports (id),
  number BIGINT NOT NULL,
  message_seq BIGINT NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  data BLOB NOT NULL,
  uploaded_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (report_id, number)
);
CREATE TABLE reporter_prefs (
  report_id TEXT PRIMARY KEY REFERENCES reports (id),
  anonymous INTEGER NOT NULL,
  credit_name TEXT NOT NULL,
  public_key TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
)sql";

// Per chain and actor, how many events and when: the read-in list reads a report's views from
// here (one row per viewer) instead of grouping its whole view chain on every page. Kept for
// the batches that ask (WebWrites::summarize_events); the existing view chains are summed up.
constexpr char kWebViewsMigration[] = R"sql(
CREATE TABLE chain_activity (
  chain TEXT NOT NULL,
  actor TEXT NOT NULL,
  events BIGINT NOT NULL,
  first_at BIGINT NOT NULL,
  last_at BIGINT NOT NULL,
  first_seq BIGINT NOT NULL,
  last_seq BIGINT NOT NULL,
  PRIMARY KEY (chain, actor)
);
INSERT INTO chain_activity (chain, actor, events, first_at, last_at, first_seq, last_seq)
  SELECT chain, actor, COUNT(*), MIN(time), MAX(time), MIN(seq), MAX(seq) FROM events
  WHERE chain LIKE '%/views' GROUP BY chain, actor;
)sql";

// Named migrations, applied once each in this order. Never edit a shipped entry: append a new
// one named "<module>-<n>". Names (not numbers) let modules add tables independently. The SQL
// is SQLite's and stays portable to PostgreSQL (TEXT/BIGINT/INTEGER, ON CONFLICT upserts): on
// PostgreSQL it runs as PgDialect rewrites it, unless the entry has SQL of its own for it.
struct Migration {
  std::string name;
  std::string sql;
  std::string pg_sql;  // as PostgreSQL runs it; empty: PgDialect(sql)
};
const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> migrations = {
      {"core-1", R"sql(
CREATE TABLE events (
  chain TEXT NOT NULL,
  seq BIGINT NOT NULL,
  time BIGINT NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (chain, seq)
);
CREATE TABLE reports (
  id TEXT PRIMARY KEY,
  prefix TEXT NOT NULL,
  year INTEGER NOT NULL,
  number BIGINT NOT NULL,
  version BIGINT NOT NULL,
  state TEXT NOT NULL,
  level INTEGER NOT NULL,
  subject TEXT NOT NULL,
  steps TEXT NOT NULL,
  effects_cluster TEXT NOT NULL,
  effects_applications TEXT NOT NULL,
  effects_infrastructure TEXT NOT NULL,
  workflows TEXT NOT NULL,
  attack_vectors TEXT NOT NULL,
  other_software TEXT NOT NULL,
  coordinator TEXT NOT NULL,
  embargo_start BIGINT NOT NULL,
  embargo_end BIGINT NOT NULL,
  embargo_cap_days INTEGER NOT NULL,
  embargo_state TEXT NOT NULL,
  embargo_reason TEXT NOT NULL,
  duplicate_of TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (prefix, year, number)
);
CREATE INDEX reports_state ON reports (state);
CREATE TABLE participants (
  report_id TEXT NOT NULL REFERENCES reports (id),
  position INTEGER NOT NULL,
  email TEXT NOT NULL,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  added_at BIGINT NOT NULL,
  added_by TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  bouncing INTEGER NOT NULL,
  PRIMARY KEY (report_id, position)
);
CREATE INDEX participants_email ON participants (email);
CREATE UNIQUE INDEX participants_token ON participants (token_hash) WHERE token_hash <> '';
CREATE TABLE messages (
  report_id TEXT NOT NULL REFERENCES reports (id),
  seq BIGINT NOT NULL,
  author_email TEXT NOT NULL,
  author_name TEXT NOT NULL,
  author_role TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (report_id, seq)
);
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  report_id TEXT NOT NULL,
  recipient TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at BIGINT NOT NULL
);
CREATE INDEX outbox_pending ON outbox (state, next_attempt_at);
CREATE TABLE accounts (
  email TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE api_tokens (
  hash TEXT PRIMARY KEY,
  account_email TEXT NOT NULL REFERENCES accounts (email),
  label TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT NOT NULL
);
CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);
)sql"},
      {"web-1", std::string(kWebTablesMigration) + kWebSqliteSearchV1,
       PgDialect(kWebTablesMigration)},
      {"disclose-1", R"sql(
CREATE TABLE advisory_drafts (
  report_id TEXT PRIMARY KEY REFERENCES reports (id),
  document TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE disclosure_plans (
  report_id TEXT PRIMARY KEY REFERENCES reports (id),
  slot BIGINT NOT NULL,
  notice_days INTEGER NOT NULL,
  on_duty TEXT NOT NULL,
  confirmed_at BIGINT NOT NULL,
  confirmed_by TEXT NOT NULL,
  public_view INTEGER NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE disclosure_log (
  report_id TEXT NOT NULL REFERENCES reports (id),
  seq BIGINT NOT NULL,
  step TEXT NOT NULL,
  state TEXT NOT NULL,
  detail TEXT NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (report_id, seq)
);
CREATE TABLE pinned_revisions (
  report_id TEXT NOT NULL REFERENCES reports (id),
  branch TEXT NOT NULL,
  label TEXT NOT NULL,
  mbox TEXT NOT NULL,
  patch_ids TEXT NOT NULL,
  approved_by TEXT NOT NULL,
  approved_at BIGINT NOT NULL,
  PRIMARY KEY (report_id, branch)
);
)sql"},
      {"mail-1", R"sql(
CREATE TABLE mail_inbox (
  id TEXT PRIMARY KEY,
  received_at BIGINT NOT NULL,
  client TEXT NOT NULL,
  mail_from TEXT NOT NULL,
  recipients TEXT NOT NULL,
  raw TEXT NOT NULL,
  plaintext TEXT NOT NULL,
  state TEXT NOT NULL,
  outcome TEXT NOT NULL,
  report_id TEXT NOT NULL,
  processed_at BIGINT NOT NULL
);
CREATE INDEX mail_inbox_state ON mail_inbox (state, received_at);
CREATE TABLE mail_message_ids (
  message_id TEXT PRIMARY KEY,
  report_id TEXT NOT NULL,
  direction TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE mail_patches (
  report_id TEXT NOT NULL,
  inbox_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  author TEXT NOT NULL,
  version INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  total INTEGER NOT NULL,
  patch_id TEXT NOT NULL,
  received_at BIGINT NOT NULL
);
CREATE INDEX mail_patches_report ON mail_patches (report_id);
CREATE TABLE mail_attachments (
  inbox_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (inbox_id, position)
);
CREATE TABLE mail_keys (
  email TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  armored TEXT NOT NULL,
  added_at BIGINT NOT NULL
);
ALTER TABLE outbox ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
)sql"},
      {"patch-1", R"sql(
CREATE TABLE patch_revisions (
  report_id TEXT NOT NULL REFERENCES reports (id),
  series INTEGER NOT NULL,
  version INTEGER NOT NULL,
  target_branch TEXT NOT NULL,
  submitter TEXT NOT NULL,
  change_id TEXT NOT NULL,
  message_ids TEXT NOT NULL,
  patch_ids TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (report_id, series, version)
);
CREATE TABLE patches (
  report_id TEXT NOT NULL,
  revision TEXT NOT NULL,
  position INTEGER NOT NULL,
  author_name TEXT NOT NULL,
  author_email TEXT NOT NULL,
  author_date TEXT NOT NULL,
  subject TEXT NOT NULL,
  message TEXT NOT NULL,
  patch_id TEXT NOT NULL,
  diff TEXT NOT NULL,
  PRIMARY KEY (report_id, revision, position)
);
CREATE TABLE patch_trailers (
  report_id TEXT NOT NULL,
  revision TEXT NOT NULL,
  position INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  name TEXT NOT NULL,
  person_name TEXT NOT NULL,
  email TEXT NOT NULL,
  PRIMARY KEY (report_id, revision, position, seq)
);
CREATE TABLE patch_applicability (
  report_id TEXT NOT NULL,
  revision TEXT NOT NULL,
  branch TEXT NOT NULL,
  commit_id TEXT NOT NULL,
  applies INTEGER NOT NULL,
  result TEXT NOT NULL,
  checked_at BIGINT NOT NULL,
  PRIMARY KEY (report_id, revision, branch)
);
CREATE TABLE patch_approvals (
  report_id TEXT NOT NULL,
  revision TEXT NOT NULL,
  approver TEXT NOT NULL,
  patch_ids TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  voided_at BIGINT NOT NULL,
  voided_reason TEXT NOT NULL,
  PRIMARY KEY (report_id, revision, approver)
);
)sql"},
      // Approved revisions come from the patch engine's approvals (patch-1), no longer pinned here.
      {"disclose-2", "DROP TABLE pinned_revisions;"},
      // Which address sent a patch mail: the parts of a series are gathered per sender.
      {"mail-2", "ALTER TABLE mail_patches ADD COLUMN sender TEXT NOT NULL DEFAULT '';"},
      // Search: SQLite indexes a queue of changes with FTS5 outside the writes; PostgreSQL keeps
      // a tsvector per report and message, in the same transaction.
      {"web-2", kWebSearchMigration, kPgSearchMigration},
      {"web-3", kWebViewsMigration},
      {"web-4", kWebSearchMergeMigration, "SELECT 1"},
      // When a report closed (capability links expire after it), and removed participants kept
      // for the report's history.
      {"core-2", R"sql(
ALTER TABLE reports ADD COLUMN closed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE participants ADD COLUMN removed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE participants ADD COLUMN removed_by TEXT NOT NULL DEFAULT '';
)sql"},
      // Row digests on events (see sqlite_store_audit.cc); rows written before get an
      // audit.baseline event per chain when the store opens.
      {"audit-1", "ALTER TABLE events ADD COLUMN row_digests TEXT NOT NULL DEFAULT '';"},
      // Lists page newest first by (created_at, id) without sorting the table.
      {"core-3", "CREATE INDEX reports_newest ON reports (created_at, id);"},
      // Raw mail is bytes: SQLite keeps any bytes in a TEXT column, PostgreSQL's text must be
      // valid UTF-8 without NUL.
      {"mail-3", "SELECT 1",
       "ALTER TABLE mail_inbox ALTER COLUMN raw TYPE BYTEA USING convert_to(raw, 'UTF8'), "
       "ALTER COLUMN plaintext TYPE BYTEA USING convert_to(plaintext, 'UTF8');"},
      // The order in which events were committed, for ChainHeadsSince: SQLite's rowid; a column
      // of its own on PostgreSQL.
      {"core-4", "SELECT 1",
       "ALTER TABLE events ADD COLUMN pos BIGINT GENERATED ALWAYS AS IDENTITY; "
       "CREATE UNIQUE INDEX events_pos ON events (pos);"},
      // Failed logins and rate-limited requests, counted in the store so that every instance on
      // one database enforces the same limits. Not audited: hits expire.
      {"web-5", R"sql(
CREATE TABLE limit_hits (name TEXT NOT NULL, at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX limit_hits_name ON limit_hits (name, at);
CREATE INDEX limit_hits_expiry ON limit_hits (expires_at);
)sql"},
  };
  return migrations;
}

}  // namespace

std::string PgDialect(const std::string& sql) {
  // Row ids SQLite assigns become identity columns; every integer is 64 bits; blobs are bytea.
  // Text compares byte by byte, as in SQLite and in C++ (the audit walks tables and chains in
  // step, ordered by id; a cursor compares ids), whatever the database's own collation.
  std::string out = std::regex_replace(sql, std::regex("INTEGER PRIMARY KEY"),
                                       "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
  out = std::regex_replace(out, std::regex("\\bINTEGER\\b"), "BIGINT");
  out = std::regex_replace(out, std::regex("\\bTEXT\\b"), "TEXT COLLATE \"C\"");
  return std::regex_replace(out, std::regex("\\bBLOB\\b"), "BYTEA");
}

Status ApplyMigrations(SqlConnection& w, SqlDialect dialect) {
  const std::string table =
      "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, "
      "applied_at BIGINT NOT NULL)";
  Status migrated =
      w.Exec(dialect == SqlDialect::kSqlite ? table.c_str() : PgDialect(table).c_str());
  for (const Migration& m : Migrations()) {
    if (!migrated.ok()) break;
    Query seen(w, "SELECT 1 FROM schema_migrations WHERE name = ?");
    seen.Bind(1, m.name);
    if (seen.Step()) continue;
    migrated = seen.status();
    if (!migrated.ok()) break;
    if (dialect == SqlDialect::kSqlite) {
      migrated = w.Exec(m.sql.c_str());
    } else {
      migrated = w.Exec(m.pg_sql.empty() ? PgDialect(m.sql).c_str() : m.pg_sql.c_str());
    }
    if (migrated.ok()) {
      Query ins(w, "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)");
      migrated = ins.Bind(1, m.name).Bind(2, static_cast<int64_t>(time(nullptr))).Run();
    }
  }
  return migrated;
}

}  // namespace vigil
