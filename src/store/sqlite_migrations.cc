// The SQLite schema as named migrations, applied in order by ApplyMigrations.
#include "store/sqlite_query.h"
#include "store/sqlite_store.h"

namespace vigil {

extern const char kWebMigration[];             // sqlite_store_web.cc
extern const char kWebSearchMigration[];       // sqlite_store_web.cc
extern const char kWebViewsMigration[];        // sqlite_store_web.cc
extern const char kWebSearchMergeMigration[];  // sqlite_store_web.cc

namespace {

// Named migrations, applied once each in this order. Never edit a shipped entry: append a new
// one named "<module>-<n>". Names (not numbers) let modules add tables independently. The SQL
// stays portable to PostgreSQL (TEXT/BIGINT/INTEGER, ON CONFLICT upserts).
struct Migration {
  const char* name;
  const char* sql;
};
constexpr Migration kMigrations[] = {
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
    {"web-1", kWebMigration},
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
    {"web-2", kWebSearchMigration},
    {"web-3", kWebViewsMigration},
    {"web-4", kWebSearchMergeMigration},
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
};

}  // namespace

Status ApplyMigrations(SqliteConnection& w) {
  Status migrated = w.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, "
      "applied_at BIGINT NOT NULL)");
  for (const Migration& m : kMigrations) {
    if (!migrated.ok()) break;
    Query seen(w, "SELECT 1 FROM schema_migrations WHERE name = ?");
    seen.Bind(1, m.name);
    if (seen.Step()) continue;
    migrated = seen.status();
    if (migrated.ok()) migrated = w.Exec(m.sql);
    if (migrated.ok()) {
      Query ins(w, "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)");
      migrated = ins.Bind(1, m.name).Bind(2, static_cast<int64_t>(time(nullptr))).Run();
    }
  }
  return migrated;
}

}  // namespace vigil
