#include "store/sqlite_store.h"

#include <cerrno>

#include <cstring>

#include <unistd.h>

#include <fcntl.h>

#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdio>
#include <future>
#include <unordered_map>

#include "store/sqlite_query.h"

#include "core/report_id.h"
#include "store/audit_chain.h"
#include "store/wal_write_vfs.h"

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
};

const char* OutboxStateName(OutboxState s) {
  switch (s) {
    case OutboxState::kPending:
      return "pending";
    case OutboxState::kSent:
      return "sent";
    case OutboxState::kDead:
      return "dead";
  }
  return "pending";
}

OutboxState ParseOutboxState(const std::string& s) {
  if (s == "sent") return OutboxState::kSent;
  if (s == "dead") return OutboxState::kDead;
  return OutboxState::kPending;
}

Result<std::unique_ptr<SqliteConnection>> OpenConnection(const std::string& path, bool writer) {
  sqlite3* db = nullptr;
  const int flags = (writer ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, WalWriteVfsName());
  auto conn = std::make_unique<SqliteConnection>(db);
  if (rc != SQLITE_OK) {
    return Status::Unavailable("cannot open database " + path + ": " +
                               (db ? conn->Error() : std::string(sqlite3_errstr(rc))));
  }
  sqlite3_busy_timeout(db, 10000);
  sqlite3_extended_result_codes(db, 1);
  if (writer) {
    VIGIL_RETURN_IF_ERROR(conn->Exec("PRAGMA journal_mode=WAL"));
    VIGIL_RETURN_IF_ERROR(conn->Exec("PRAGMA synchronous=FULL"));
    // The savepoint around each batch of a group journals the pages it changes: in memory (a
    // few pages per batch, dropped at RELEASE) instead of a temporary file written page by page.
    VIGIL_RETURN_IF_ERROR(conn->Exec("PRAGMA temp_store=MEMORY"));
    // The pages a submission touches (the tails of the tables, the interior pages, the search
    // index) stay cached from one group to the next instead of being read back from the file.
    VIGIL_RETURN_IF_ERROR(conn->Exec("PRAGMA cache_size=-16384"));
    // The WAL starts over at about CheckpointPolicy::restart_frames (64 MB). Up to this size
    // the file is kept, so that it is rewritten in place (an fdatasync over blocks already
    // written is cheaper than one that appends); a larger one (after a RESTART) is cut back.
    VIGIL_RETURN_IF_ERROR(conn->Exec("PRAGMA journal_size_limit=100663296"));
    VIGIL_RETURN_IF_ERROR(conn->Exec("PRAGMA foreign_keys=ON"));
  }
  return conn;
}

constexpr char kReportColumns[] =
    "id, version, state, level, subject, steps, effects_cluster, effects_applications, "
    "effects_infrastructure, workflows, attack_vectors, other_software, coordinator, "
    "embargo_start, embargo_end, embargo_cap_days, embargo_state, embargo_reason, duplicate_of, "
    "reason, created_at, updated_at";

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
  return r;
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

}  // namespace

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
  return e;
}

struct SqliteStore::PendingWrite {
  WriteBatch batch;
  std::promise<Result<WriteResult>> done;  // when `then` is empty
  WriteCallback then;
  std::optional<Result<WriteResult>> result;  // committed, waiting for the WAL's fdatasync

  void Finish(Result<WriteResult> r) {
    if (then) {
      then(std::move(r));
    } else {
      done.set_value(std::move(r));
    }
  }
};

SqliteStore::SqliteStore(std::string path) : path_(std::move(path)) {}

Result<std::unique_ptr<SqliteConnection>> SqliteStore::OpenReader() {
  return OpenConnection(path_, /*writer=*/false);
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       CheckpointPolicy checkpoints) {
  std::unique_ptr<SqliteStore> store(new SqliteStore(path));
  store->checkpoints_ = checkpoints;
  const mode_t old_mask = umask(077);  // the database holds embargoed reports: owner only
  Result<std::unique_ptr<SqliteConnection>> writer = OpenConnection(path, /*writer=*/true);
  umask(old_mask);
  if (!writer.ok()) return writer.status();
  store->writer_ = std::move(writer).value();
  SqliteConnection& w = *store->writer_;

  VIGIL_RETURN_IF_ERROR(w.Exec("BEGIN IMMEDIATE"));
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
  if (!migrated.ok()) {
    (void)w.Exec("ROLLBACK");
    return Status::Unavailable("cannot migrate " + path + ": " + migrated.message());
  }
  VIGIL_RETURN_IF_ERROR(w.Exec("COMMIT"));
  VIGIL_RETURN_IF_ERROR(w.Exec("PRAGMA wal_autocheckpoint=0"));
  sqlite3_wal_hook(
      w.db(),
      [](void* arg, sqlite3*, const char*, int frames) {
        auto* self = static_cast<SqliteStore*>(arg);
        if (self->restart_expected_from_ > 0) {
          if (frames > self->restart_expected_from_) self->finish_checkpoint_ = true;
          self->restart_expected_from_ = 0;
        }
        bool wake;
        {
          std::lock_guard<std::mutex> lock(self->checkpoint_mu_);
          // After a restart the WAL counts from 0 again.
          if (frames < self->wal_frames_) self->checkpointed_frames_ = 0;
          self->wal_frames_ = frames;
          wake = frames - self->checkpointed_frames_ >= self->checkpoints_.pass_frames;
        }
        if (wake) self->checkpoint_cv_.notify_one();
        return SQLITE_OK;
      },
      store.get());
  // See SyncLoop. Without a descriptor of the WAL, commits sync themselves (FULL).
  store->wal_fd_ = open((path + "-wal").c_str(), O_RDWR | O_CLOEXEC);
  if (store->wal_fd_ >= 0) {
    VIGIL_RETURN_IF_ERROR(w.Exec("PRAGMA synchronous=NORMAL"));
    store->sync_thread_ = std::thread([s = store.get()] { s->SyncLoop(); });
  }
  store->writer_thread_ = std::thread([s = store.get()] { s->WriterLoop(); });
  store->checkpoint_thread_ = std::thread([s = store.get()] { s->CheckpointLoop(); });
  return store;
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    sync_stopping_ = true;
  }
  sync_cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
  if (wal_fd_ >= 0) close(wal_fd_);
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    checkpoint_stopping_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
}

void SqliteStore::SyncLoop() {
  std::vector<std::unique_ptr<PendingWrite>> committed;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(sync_mu_);
      sync_cv_.wait(lock, [&] { return sync_stopping_ || !synced_queue_.empty(); });
      if (synced_queue_.empty()) return;  // stopping, and every commit answered
      committed.swap(synced_queue_);
    }
    // One fdatasync for every group committed since the last one.
    const Status synced = WaitDurable();
    for (auto& p : committed) {
      p->Finish(synced.ok() ? std::move(*p->result) : Result<WriteResult>(synced));
    }
    committed.clear();
  }
}

Status SqliteStore::WaitDurable() {
  if (wal_fd_ < 0) return Status::Ok();  // every commit synced itself
  if (fdatasync(wal_fd_) != 0) {
    // The kernel may have dropped the unwritten pages: nothing committed since the last good
    // sync can be called durable, and nothing more is accepted.
    sync_failed_ = true;
    return Status::Unavailable(std::string("storage could not make writes durable: ") +
                               std::strerror(errno));
  }
  return Status::Ok();
}

void SqliteStore::CheckpointLoop() {
  Result<std::unique_ptr<SqliteConnection>> conn = OpenConnection(path_, /*writer=*/true);
  if (!conn.ok()) return;  // the WAL then grows until the next open; nothing is lost
  // A pass that does not reach the end of the WAL does not sync the database (SQLite syncs it
  // when a pass completes, before the WAL may start over). Syncing here after such a pass writes
  // the copied pages out in small steps, off the writer's path, so that the pass that completes
  // (FinishCheckpoint, on the writer) has only its own few pages left to sync. Through SQLite's
  // own file: a second descriptor of the database, once closed, would drop the process's POSIX
  // locks on it.
  sqlite3_file* db_file = nullptr;
  if (sqlite3_file_control((*conn)->db(), "main", SQLITE_FCNTL_FILE_POINTER, &db_file) !=
          SQLITE_OK ||
      !db_file || !db_file->pMethods) {
    db_file = nullptr;
  }
  for (;;) {
    int frames, before;
    bool stopping;
    {
      std::unique_lock<std::mutex> lock(checkpoint_mu_);
      checkpoint_cv_.wait(lock, [&] {
        return checkpoint_stopping_ ||
               wal_frames_ - checkpointed_frames_ >= checkpoints_.pass_frames;
      });
      frames = wal_frames_;
      stopping = checkpoint_stopping_;
      before = checkpointed_frames_;
      checkpointed_frames_ = wal_frames_;  // the pass below copies up to here
    }
    // PASSIVE never blocks the writer. Under a steady flood it never catches up by itself
    // either (the writer appends while it copies): the writer finishes a small remainder (see
    // FinishCheckpoint). A WAL that keeps growing anyway gets a RESTART, which copies the bulk
    // first without blocking anyone. At close, TRUNCATE leaves an empty WAL.
    const int mode = stopping                                      ? SQLITE_CHECKPOINT_TRUNCATE
                     : frames >= checkpoints_.force_restart_frames ? SQLITE_CHECKPOINT_RESTART
                                                                   : SQLITE_CHECKPOINT_PASSIVE;
    if (mode == SQLITE_CHECKPOINT_RESTART) {
      sqlite3_wal_checkpoint_v2((*conn)->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                nullptr);
    }
    int log = 0, copied = 0;
    const int rc = sqlite3_wal_checkpoint_v2((*conn)->db(), nullptr, mode, &log, &copied);
    if (stopping) return;
    if (rc == SQLITE_BUSY) {
      // The writer's finishing pass holds the checkpoint for a moment: this pass is still owed
      // (the writer may be waiting on nothing but it), so it is tried again at once.
      std::lock_guard<std::mutex> lock(checkpoint_mu_);
      if (checkpointed_frames_ == frames) checkpointed_frames_ = before;
      continue;
    }
    if (rc != SQLITE_OK) continue;
    // The pass copied what the WAL held when it started; the writer went on appending.
    int now;
    {
      std::lock_guard<std::mutex> lock(checkpoint_mu_);
      now = wal_frames_;
    }
    // Only an optimisation: durability of the copy rests on SQLite's own sync at completion.
    if (db_file && copied < now) {
      (void)db_file->pMethods->xSync(db_file, SQLITE_SYNC_NORMAL | SQLITE_SYNC_DATAONLY);
    }
    const bool finish =
        now >= checkpoints_.restart_frames && now - copied <= checkpoints_.finish_frames;
    if (finish) finish_checkpoint_ = true;
    if (checkpoints_.after_pass) checkpoints_.after_pass(finish);
  }
}

void SqliteStore::FinishCheckpoint() {
  if (!finish_checkpoint_.exchange(false)) return;
  // Between two groups nothing else writes, so this pass copies up to the last commit (unless
  // a reader still holds an older snapshot) and the next commit starts the WAL over. While the
  // checkpoint thread is in a pass of its own, this one is refused: try after the next group.
  int log = 0, copied = 0;
  const int rc =
      sqlite3_wal_checkpoint_v2(writer_->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  if (rc == SQLITE_BUSY) {
    finish_checkpoint_ = true;
  } else if (rc == SQLITE_OK && copied == log) {
    // The next commit starts over unless a lock was held at that moment (the checkpoint thread
    // or a reader): the WAL hook then asks for another try.
    restart_expected_from_ = log;
  }
}

Result<WriteResult> SqliteStore::Write(WriteBatch batch) {
  return WriteAsync(std::move(batch)).get();
}

std::future<Result<WriteResult>> SqliteStore::WriteAsync(WriteBatch batch) {
  auto pending = std::make_unique<PendingWrite>(PendingWrite{std::move(batch), {}, {}, {}});
  std::future<Result<WriteResult>> done = pending->done.get_future();
  Enqueue(std::move(pending));
  return done;
}

void SqliteStore::WriteThen(WriteBatch batch, WriteCallback done) {
  Enqueue(std::make_unique<PendingWrite>(PendingWrite{std::move(batch), {}, std::move(done), {}}));
}

void SqliteStore::Enqueue(std::unique_ptr<PendingWrite> pending) {
  // Owned by the queue, then by the writer thread until it has answered.
  if (sync_failed_) {
    return pending->Finish(Status::Unavailable(
        "storage could not make writes durable (fdatasync failed); check the disk and restart"));
  }
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (!stopping_) {
      // Only a push to an empty queue can find the writer waiting: it looks at the queue again
      // before it waits.
      wake = queue_.empty();
      queue_.push_back(std::move(pending));
    }
  }
  if (pending) return pending->Finish(Status::Unavailable("storage is shutting down"));
  if (wake) queue_cv_.notify_one();
}

void SqliteStore::WriterLoop() {
  constexpr size_t kMaxGroup = 256;
  std::vector<std::unique_ptr<PendingWrite>> group;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      if (queue_.empty() && !stopping_ && search_backlog_) {
        lock.unlock();
        IndexSearchBacklog();  // idle: bring the search index up to date
        continue;
      }
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && group.size() < kMaxGroup) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    SqliteConnection& w = *writer_;
    Status tx = w.Run("BEGIN IMMEDIATE");
    // A batch that fails after writing without a savepoint (OnlyAddsAReport), or whose failure
    // made SQLite roll the whole transaction back itself (SQLITE_FULL, IOERR, NOMEM), takes the
    // group's transaction with it.
    std::optional<size_t> group_failure;
    if (tx.ok()) {
      for (size_t i = 0; i < group.size() && !group_failure; ++i) {
        BatchScope scope = BatchScope::kNoWrites;
        Result<WriteResult> r = ApplyBatch(group[i]->batch, scope);
        if (!r.ok() && (scope == BatchScope::kUnguarded || sqlite3_get_autocommit(w.db()) != 0)) {
          group_failure = i;
        } else if (scope == BatchScope::kSavepoint) {
          if (!r.ok()) (void)w.Run("ROLLBACK TO batch");
          (void)w.Run("RELEASE batch");
        }
        group[i]->result = std::move(r);
      }
      if (group_failure) {
        if (sqlite3_get_autocommit(w.db()) == 0) (void)w.Run("ROLLBACK");
        tx = Status::Unavailable(
            "the database could not store this write: another write of the same commit failed "
            "(nothing was stored); try again");
      } else {
        // The search rows the group queued, and as many of an older backlog, ride on the
        // group's commit: one commit per round instead of a second one for the index. A
        // failure leaves them queued and the group intact.
        if (w.Run("SAVEPOINT search").ok()) {
          if (!IndexPendingSearchRows(static_cast<int>(2 * group.size()) + kSearchRowsPerPass)
                   .ok()) {
            (void)w.Run("ROLLBACK TO search");
          }
          (void)w.Run("RELEASE search");
        }
        tx = w.Run("COMMIT");  // the fsync the whole group shares (here or on sync_thread_)
        if (!tx.ok()) (void)w.Run("ROLLBACK");
      }
    }
    if (tx.ok() && wal_fd_ >= 0) {
      {
        std::lock_guard<std::mutex> lock(sync_mu_);
        for (auto& p : group) synced_queue_.push_back(std::move(p));
      }
      sync_cv_.notify_one();
    } else {
      for (size_t i = 0; i < group.size(); ++i) {
        // The batch that failed keeps its own error; the others get the group's.
        const bool own = tx.ok() || (group_failure && *group_failure == i);
        group[i]->Finish(own ? std::move(*group[i]->result) : Result<WriteResult>(tx));
      }
    }
    group.clear();
    if (tx.ok()) search_backlog_ = true;  // an idle writer looks for rows left over
    FinishCheckpoint();
  }
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

Result<WriteResult> SqliteStore::ApplyBatch(WriteBatch& b, BatchScope& scope) {
  SqliteConnection& w = *writer_;
  WriteResult out;
  std::string report_id;
  if (b.report) {
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
    report_id = r.id;
  }
  // Everything above only read. From here on the batch writes.
  if (OnlyAddsAReport(b)) {
    scope = BatchScope::kUnguarded;
  } else {
    VIGIL_RETURN_IF_ERROR(w.Run("SAVEPOINT batch"));
    scope = BatchScope::kSavepoint;
  }
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

  // Events: each appended to the head of its chain.
  std::unordered_map<std::string, std::pair<int64_t, std::string>> heads;
  for (NewEvent& ne : b.events) {
    if (ne.chain.empty()) ne.chain = report_id;
    auto it = heads.find(ne.chain);
    if (it == heads.end()) {
      Query q(w, "SELECT seq, hash FROM events WHERE chain = ? ORDER BY seq DESC LIMIT 1");
      q.Bind(1, ne.chain);
      std::pair<int64_t, std::string> head{0, kGenesisHash};
      if (q.Step()) head = {q.Int(0), q.Text(1)};
      VIGIL_RETURN_IF_ERROR(q.status());
      it = heads.emplace(ne.chain, head).first;
    }
    StoredEvent e;
    e.chain = ne.chain;
    e.seq = it->second.first + 1;
    e.time = ne.time;
    e.actor = ne.actor;
    e.kind = ne.kind;
    e.payload = ne.payload;
    e.prev_hash = it->second.second;
    e.hash = EventHash(e);
    out.last_event_seq = e.seq;
    Query ins(w,
              "INSERT INTO events (chain, seq, time, actor, kind, payload, prev_hash, hash) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    ins.Bind(1, e.chain).Bind(2, e.seq).Bind(3, e.time).Bind(4, e.actor).Bind(5, e.kind);
    VIGIL_RETURN_IF_ERROR(ins.Bind(6, e.payload).Bind(7, e.prev_hash).Bind(8, e.hash).Run());
    it->second = {e.seq, e.hash};
  }

  if (b.report) {
    Report& r = *b.report;
    auto head = heads.find(r.id);
    r.version = head == heads.end() ? b.expected_version : head->second.first;
    Query up(w, std::string("INSERT INTO reports (") + kReportColumns +
                    ", prefix, year, number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
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
                    "updated_at = excluded.updated_at");
    const size_t dash = r.id.find('-');
    up.Bind(1, r.id).Bind(2, r.version).Bind(3, StateName(r.state)).Bind(4, int64_t{r.level});
    up.Bind(5, r.fields.subject).Bind(6, r.fields.steps).Bind(7, r.fields.effects_cluster);
    up.Bind(8, r.fields.effects_applications).Bind(9, r.fields.effects_infrastructure);
    up.Bind(10, r.fields.workflows).Bind(11, r.fields.attack_vectors);
    up.Bind(12, r.fields.other_software).Bind(13, r.coordinator).Bind(14, r.embargo.start);
    up.Bind(15, r.embargo.end).Bind(16, int64_t{r.embargo.cap_days});
    up.Bind(17, EmbargoStateName(r.embargo.state)).Bind(18, r.embargo.reason);
    up.Bind(19, r.duplicate_of).Bind(20, r.reason).Bind(21, r.created_at).Bind(22, r.updated_at);
    up.Bind(23, r.id.substr(0, dash));
    up.Bind(24, static_cast<int64_t>(std::stoll(r.id.substr(dash + 1, 4))));
    up.Bind(25, static_cast<int64_t>(std::stoll(r.id.substr(dash + 6))));
    VIGIL_RETURN_IF_ERROR(up.Run());

    Query del(w, "DELETE FROM participants WHERE report_id = ?");
    VIGIL_RETURN_IF_ERROR(del.Bind(1, r.id).Run());
    int64_t position = 0;
    for (const Participant& p : r.participants) {
      Query ins(w,
                "INSERT INTO participants (report_id, position, email, name, role, added_at, "
                "added_by, token_hash, bouncing) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
      ins.Bind(1, r.id).Bind(2, position++).Bind(3, p.email).Bind(4, p.name);
      ins.Bind(5, RoleName(p.role)).Bind(6, p.added_at).Bind(7, p.added_by);
      VIGIL_RETURN_IF_ERROR(
          ins.Bind(8, p.token_hash).Bind(9, static_cast<int64_t>(p.bouncing)).Run());
    }
    out.report_id = r.id;
    out.version = r.version;
  }

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
  VIGIL_RETURN_IF_ERROR(ApplyMailRows(b, report_id));
  for (const std::string& h : b.revoke_token_hashes) {
    Query up(w, "UPDATE api_tokens SET revoked_at = ? WHERE hash = ? AND revoked_at = 0");
    VIGIL_RETURN_IF_ERROR(up.Bind(1, b.now).Bind(2, h).Run());
    if (sqlite3_changes(w.db()) == 0) return Status::NotFound("no such active token");
  }
  VIGIL_RETURN_IF_ERROR(ApplyWebRows(b, report_id));
  VIGIL_RETURN_IF_ERROR(ApplyDisclosureRows(b, report_id));
  VIGIL_RETURN_IF_ERROR(ApplyPatchRows(b, report_id));
  return out;
}

Result<Report> SqliteStore::GetReport(const std::string& id) {
  ReadLease lease(*this);
  VIGIL_RETURN_IF_ERROR(lease.status());
  SqliteConnection& c = lease.conn();
  // One read transaction so the report and its participants are one snapshot.
  VIGIL_RETURN_IF_ERROR(c.Exec("BEGIN"));
  Report r;
  Status st;
  {
    Query q(c, std::string("SELECT ") + kReportColumns + " FROM reports WHERE id = ?");
    q.Bind(1, id);
    if (q.Step()) {
      r = ReadReportRow(q);
    } else {
      st = q.status().ok() ? Status::NotFound("report " + id + " not found") : q.status();
    }
  }
  if (st.ok()) {
    Query q(c,
            "SELECT email, name, role, added_at, added_by, token_hash, bouncing FROM participants "
            "WHERE report_id = ? ORDER BY position");
    q.Bind(1, id);
    while (q.Step()) {
      Participant p;
      p.email = q.Text(0);
      p.name = q.Text(1);
      p.role = ParseRole(q.Text(2)).value_or(Role::kObserver);
      p.added_at = q.Int(3);
      p.added_by = q.Text(4);
      p.token_hash = q.Text(5);
      p.bouncing = q.Int(6) != 0;
      r.participants.push_back(std::move(p));
    }
    st = q.status();
  }
  (void)c.Exec("COMMIT");
  if (!st.ok()) return st;
  return r;
}

Result<std::vector<ReportSummary>> SqliteStore::ListReports(const ReportFilter& f) {
  ReadLease lease(*this);
  VIGIL_RETURN_IF_ERROR(lease.status());
  std::string sql =
      "SELECT id, subject, state, level, coordinator, created_at, updated_at, embargo_end FROM "
      "reports r WHERE 1 = 1";
  int n = 0;
  const int email_at = f.participant_email ? ++n : 0;
  if (f.participant_email) {
    sql += " AND EXISTS (SELECT 1 FROM participants p WHERE p.report_id = r.id AND p.email = ?)";
  }
  const int id_at = f.report_id ? ++n : 0;
  if (f.report_id) sql += " AND id = ?";
  const int state_at = f.state ? ++n : 0;
  if (f.state) sql += " AND state = ?";
  sql += " ORDER BY created_at DESC, id DESC";
  if (f.limit > 0) sql += " LIMIT ?";
  Query q(lease.conn(), sql);
  if (email_at) q.Bind(email_at, *f.participant_email);
  if (id_at) q.Bind(id_at, *f.report_id);
  if (state_at) q.Bind(state_at, StateName(*f.state));
  if (f.limit > 0) q.Bind(n + 1, static_cast<int64_t>(f.limit));
  std::vector<ReportSummary> out;
  while (q.Step()) {
    ReportSummary s;
    s.id = q.Text(0);
    s.title = q.Text(1);
    s.state = ParseState(q.Text(2)).value_or(State::kReceived);
    s.level = static_cast<int>(q.Int(3));
    s.coordinator = q.Text(4);
    s.created_at = q.Int(5);
    s.updated_at = q.Int(6);
    s.embargo_end = q.Int(7);
    out.push_back(std::move(s));
  }
  VIGIL_RETURN_IF_ERROR(q.status());
  return out;
}

Result<std::vector<ThreadMessage>> SqliteStore::Thread(const std::string& report_id) {
  ReadLease lease(*this);
  VIGIL_RETURN_IF_ERROR(lease.status());
  Query q(lease.conn(),
          "SELECT seq, author_email, author_name, author_role, body, created_at FROM messages "
          "WHERE report_id = ? ORDER BY seq");
  q.Bind(1, report_id);
  std::vector<ThreadMessage> out;
  while (q.Step()) {
    ThreadMessage m;
    m.report_id = report_id;
    m.seq = q.Int(0);
    m.author_email = q.Text(1);
    m.author_name = q.Text(2);
    m.author_role = q.Text(3);
    m.body = q.Text(4);
    m.created_at = q.Int(5);
    out.push_back(std::move(m));
  }
  VIGIL_RETURN_IF_ERROR(q.status());
  return out;
}

Result<std::vector<StoredEvent>> SqliteStore::Events(const std::string& chain) {
  ReadLease lease(*this);
  VIGIL_RETURN_IF_ERROR(lease.status());
  Query q(lease.conn(),
          "SELECT chain, seq, time, actor, kind, payload, prev_hash, hash FROM events WHERE "
          "chain = ? ORDER BY seq");
  q.Bind(1, chain);
  std::vector<StoredEvent> out;
  while (q.Step()) out.push_back(ReadEventRow(q));
  VIGIL_RETURN_IF_ERROR(q.status());
  return out;
}

Result<std::optional<Account>> SqliteStore::FindAccount(const std::string& email) {
  ReadLease lease(*this);
  VIGIL_RETURN_IF_ERROR(lease.status());
  Query q(lease.conn(),
          "SELECT email, name, role, password_hash, disabled, created_at FROM accounts WHERE "
          "email = ?");
  q.Bind(1, email);
  if (q.Step()) return std::optional<Account>(ReadAccountRow(q));
  VIGIL_RETURN_IF_ERROR(q.status());
  return std::optional<Account>();
}

Result<std::vector<Account>> SqliteStore::ListAccounts() {
  ReadLease lease(*this);
  VIGIL_RETURN_IF_ERROR(lease.status());
  Query q(lease.conn(),
          "SELECT email, name, role, password_hash, disabled, created_at FROM accounts ORDER BY "
          "email");
  std::vector<Account> out;
  while (q.Step()) out.push_back(ReadAccountRow(q));
  VIGIL_RETURN_IF_ERROR(q.status());
  return out;
}

Result<std::optional<ApiToken>> SqliteStore::FindApiToken(const std::string& hash) {
  ReadLease lease(*this);
  VIGIL_RETURN_IF_ERROR(lease.status());
  Query q(lease.conn(),
          "SELECT hash, account_email, label, created_at, expires_at, revoked_at FROM api_tokens "
          "WHERE hash = ?");
  q.Bind(1, hash);
  if (q.Step()) {
    ApiToken t;
    t.hash = q.Text(0);
    t.account_email = q.Text(1);
    t.label = q.Text(2);
    t.created_at = q.Int(3);
    t.expires_at = q.Int(4);
    t.revoked_at = q.Int(5);
    return std::optional<ApiToken>(std::move(t));
  }
  VIGIL_RETURN_IF_ERROR(q.status());
  return std::optional<ApiToken>();
}

Result<std::optional<CapabilityGrant>> SqliteStore::FindCapability(const std::string& hash) {
  ReadLease lease(*this);
  VIGIL_RETURN_IF_ERROR(lease.status());
  Query q(lease.conn(), "SELECT report_id, email, role FROM participants WHERE token_hash = ?");
  q.Bind(1, hash);
  if (q.Step()) {
    CapabilityGrant g;
    g.report_id = q.Text(0);
    g.email = q.Text(1);
    g.role = ParseRole(q.Text(2)).value_or(Role::kObserver);
    return std::optional<CapabilityGrant>(std::move(g));
  }
  VIGIL_RETURN_IF_ERROR(q.status());
  return std::optional<CapabilityGrant>();
}

Result<std::vector<OutboxMail>> SqliteStore::Outbox(const std::string& report_id) {
  ReadLease lease(*this);
  VIGIL_RETURN_IF_ERROR(lease.status());
  Query q(lease.conn(),
          "SELECT id, report_id, recipient, kind, subject, body, created_at, state, attempts FROM "
          "outbox WHERE report_id = ? OR ? = '' ORDER BY id");
  q.Bind(1, report_id).Bind(2, report_id);
  std::vector<OutboxMail> out;
  while (q.Step()) {
    OutboxMail o;
    o.id = q.Int(0);
    o.report_id = q.Text(1);
    o.recipient = q.Text(2);
    o.kind = q.Text(3);
    o.subject = q.Text(4);
    o.body = q.Text(5);
    o.created_at = q.Int(6);
    o.state = ParseOutboxState(q.Text(7));
    o.attempts = static_cast<int>(q.Int(8));
    out.push_back(std::move(o));
  }
  VIGIL_RETURN_IF_ERROR(q.status());
  return out;
}

Result<int64_t> SqliteStore::Counter(const std::string& name) {
  ReadLease lease(*this);
  VIGIL_RETURN_IF_ERROR(lease.status());
  Query q(lease.conn(), "SELECT value FROM counters WHERE name = ?");
  q.Bind(1, name);
  if (q.Step()) return q.Int(0);
  VIGIL_RETURN_IF_ERROR(q.status());
  return int64_t{0};
}

Result<std::map<State, int64_t>> SqliteStore::CountReportsByState() {
  ReadLease lease(*this);
  VIGIL_RETURN_IF_ERROR(lease.status());
  Query q(lease.conn(), "SELECT state, COUNT(*) FROM reports GROUP BY state");
  std::map<State, int64_t> out;
  for (State s : kAllStates) out[s] = 0;
  while (q.Step()) {
    if (auto s = ParseState(q.Text(0))) out[*s] = q.Int(1);
  }
  VIGIL_RETURN_IF_ERROR(q.status());
  return out;
}

Result<int64_t> SqliteStore::PendingOutbox() {
  ReadLease lease(*this);
  VIGIL_RETURN_IF_ERROR(lease.status());
  Query q(lease.conn(), "SELECT COUNT(*) FROM outbox WHERE state = 'pending'");
  if (q.Step()) return q.Int(0);
  VIGIL_RETURN_IF_ERROR(q.status());
  return int64_t{0};
}

Result<AuditVerdict> SqliteStore::VerifyAudit() {
  ReadLease lease(*this);
  VIGIL_RETURN_IF_ERROR(lease.status());
  SqliteConnection& c = lease.conn();
  VIGIL_RETURN_IF_ERROR(c.Exec("BEGIN"));
  AuditVerdict v;
  Status st;
  std::map<std::string, int64_t> lengths;
  {
    Query q(c,
            "SELECT chain, seq, time, actor, kind, payload, prev_hash, hash FROM events ORDER BY "
            "chain, seq");
    std::vector<StoredEvent> chain;
    auto finish = [&] {
      if (chain.empty()) return;
      ++v.chains;
      lengths[chain.front().chain] = static_cast<int64_t>(chain.size());
      if (v.ok) {
        std::string broken = VerifyChain(chain);
        if (!broken.empty()) {
          v.ok = false;
          v.first_broken = broken;
        }
      }
      chain.clear();
    };
    while (q.Step()) {
      StoredEvent e = ReadEventRow(q);
      if (!chain.empty() && chain.front().chain != e.chain) finish();
      chain.push_back(std::move(e));
      ++v.events;
    }
    finish();
    st = q.status();
  }
  if (st.ok()) {
    // A chain cut at its end still links; the projection remembers how long it was.
    Query q(c, "SELECT id, version FROM reports ORDER BY id");
    while (q.Step()) {
      const std::string id = q.Text(0);
      const int64_t have = lengths.count(id) ? lengths[id] : 0;
      if (v.ok && have != q.Int(1)) {
        v.ok = false;
        v.first_broken = id + " event " + std::to_string(have + 1) + ": missing (the report has " +
                         std::to_string(q.Int(1)) + " events, the chain " + std::to_string(have) +
                         ")";
      }
    }
    st = q.status();
  }
  (void)c.Exec("COMMIT");
  if (!st.ok()) return st;
  return v;
}

Status SqliteStore::Backup(const std::string& path) {
  ReadLease lease(*this);
  VIGIL_RETURN_IF_ERROR(lease.status());
  const std::string tmp = path + ".partial";
  std::remove(tmp.c_str());
  sqlite3* dest = nullptr;
  const mode_t old_mask = umask(077);
  int rc = sqlite3_open_v2(tmp.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  umask(old_mask);
  SqliteConnection dest_conn(dest);  // closes dest
  if (rc != SQLITE_OK)
    return Status::Unavailable("cannot create " + tmp + ": " + dest_conn.Error());
  // One step copies every page from one read snapshot: the backup is consistent even while the
  // writer commits.
  sqlite3_backup* bk = sqlite3_backup_init(dest, "main", lease.conn().db(), "main");
  if (bk == nullptr) return Status::Unavailable("backup failed: " + dest_conn.Error());
  rc = sqlite3_backup_step(bk, -1);
  sqlite3_backup_finish(bk);
  if (rc != SQLITE_DONE) {
    std::remove(tmp.c_str());
    return Status::Unavailable(std::string("backup failed: ") + sqlite3_errstr(rc));
  }
  VIGIL_RETURN_IF_ERROR(dest_conn.Exec("PRAGMA journal_mode=DELETE"));
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Unavailable("cannot rename " + tmp + " to " + path);
  }
  return Status::Ok();
}

}  // namespace vigil
