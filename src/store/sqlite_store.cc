#include "store/sqlite_store.h"

#include <cerrno>

#include <cstring>

#include <unistd.h>

#include <fcntl.h>

#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "store/sqlite_query.h"

#include "core/report_id.h"
#include "store/audit_chain.h"
#include "store/wal_write_vfs.h"

namespace vigil {

namespace {

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
  VIGIL_RETURN_IF_ERROR(RegisterRowDigest(db));
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

// When the last statement on DB failed because the disk did (full, or an I/O error), the error
// every write of its group gets: the group's transaction is rolled back (SQLite usually has done
// it already), so none of them is stored. Otherwise nothing.
std::optional<Status> DiskFailure(sqlite3* db) {
  switch (sqlite3_extended_errcode(db) & 0xff) {
    case SQLITE_FULL:
      return Status::Unavailable("storage is full: nothing was stored; try again later");
    case SQLITE_IOERR:
      return Status::Unavailable("storage I/O error: nothing was stored; try again later");
    default:
      return std::nullopt;
  }
}

}  // namespace

SqliteStore::SqliteStore(std::string path) : path_(std::move(path)) {}

Result<std::unique_ptr<SqlConnection>> SqliteStore::OpenReader() {
  Result<std::unique_ptr<SqliteConnection>> c = OpenConnection(path_, /*writer=*/false);
  if (!c.ok()) return c.status();
  return std::unique_ptr<SqlConnection>(std::move(c).value());
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
  store->writer_conn_ = store->writer_.get();
  SqliteConnection& w = *store->writer_;

  VIGIL_RETURN_IF_ERROR(w.Exec("BEGIN IMMEDIATE"));
  Status migrated = ApplyMigrations(w, SqlDialect::kSqlite);
  if (migrated.ok()) {
    migrated = WriteAuditBaseline(w, SqliteRowDigestSql,
                                  static_cast<Instant>(time(nullptr)) * kMicrosPerSecond);
  }
  if (!migrated.ok()) {
    (void)w.Exec("ROLLBACK");
    return Status::Unavailable("cannot migrate " + path + ": " + migrated.message());
  }
  VIGIL_RETURN_IF_ERROR(w.Exec("COMMIT"));
  VIGIL_RETURN_IF_ERROR(store->InstallAuditTriggers());
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
  store->StartWriter();
  store->checkpoint_thread_ = std::thread([s = store.get()] { s->CheckpointLoop(); });
  return store;
}

SqliteStore::~SqliteStore() {
  StopWriter();
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

std::optional<Status> SqliteStore::WritesRefused() const {
  if (!sync_failed_) return std::nullopt;
  return Status::Unavailable(
      "storage could not make writes durable (fdatasync failed); check the disk and restart");
}

bool SqliteStore::IdleWork() {
  if (!search_backlog_) return false;
  IndexSearchBacklog();  // idle: bring the search index up to date
  return true;
}

void SqliteStore::CommitGroup(Group& group) {
  {
    SqliteConnection& w = *writer_;
    Status tx = w.Run("BEGIN IMMEDIATE");
    // A batch that fails after writing without a savepoint (OnlyAddsAReport), or whose failure
    // made SQLite roll the whole transaction back itself (SQLITE_FULL, IOERR, NOMEM), takes the
    // group's transaction with it.
    std::optional<size_t> group_failure;
    // A disk that is full or fails to write fails the whole group with one clear error, whichever
    // statement met it; the writer goes on with the next group, which succeeds once the disk
    // takes writes again.
    std::optional<Status> disk_failure;
    if (!tx.ok()) disk_failure = DiskFailure(w.db());
    if (tx.ok()) {
      for (size_t i = 0; i < group.size() && !group_failure; ++i) {
        BatchScope scope = BatchScope::kNoWrites;
        Result<WriteResult> r = ApplyBatch(group[i]->batch, scope);
        if (!r.ok() && r.status().code() == Code::kUnavailable &&
            (disk_failure = DiskFailure(w.db()))) {
          group_failure = i;
        } else if (!r.ok() &&
                   (scope == BatchScope::kUnguarded || sqlite3_get_autocommit(w.db()) != 0)) {
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
        if (!tx.ok()) {
          disk_failure = DiskFailure(w.db());
          (void)w.Run("ROLLBACK");
        }
      }
    }
    if (disk_failure) {
      tx = *disk_failure;
      group_failure.reset();  // no batch keeps an error of its own
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
    if (tx.ok()) search_backlog_ = true;  // an idle writer looks for rows left over
    FinishCheckpoint();
  }
}

Result<AuditVerdict> SqliteStore::VerifyAudit(const CheckpointedHeads& checkpointed) {
  ReadLease lease(*this);
  VIGIL_RETURN_IF_ERROR(lease.status());
  SqlConnection& c = lease.conn();
  // The whole database is read once, the events in chain order: a larger page cache and the
  // file mapped instead of read page by page (both back to the defaults afterwards).
  VIGIL_RETURN_IF_ERROR(c.Exec("PRAGMA cache_size=-65536"));
  VIGIL_RETURN_IF_ERROR(c.Exec("PRAGMA mmap_size=1073741824"));
  VIGIL_RETURN_IF_ERROR(c.Exec("BEGIN"));
  Result<AuditVerdict> verdict = VerifyAuditOn(c, SqliteRowDigestSql, checkpointed);
  (void)c.Exec("COMMIT");
  (void)c.Exec("PRAGMA mmap_size=0");
  (void)c.Exec("PRAGMA cache_size=-2000");
  return verdict;
}

namespace {

class FileRunLock final : public RunLock {
 public:
  explicit FileRunLock(int fd) : fd_(fd) {}
  ~FileRunLock() override { ::close(fd_); }  // releases the flock
  FileRunLock(const FileRunLock&) = delete;
  FileRunLock& operator=(const FileRunLock&) = delete;

 private:
  const int fd_;
};

}  // namespace

Result<std::unique_ptr<RunLock>> SqliteStore::TryRunLock(const std::string& name, bool wait) {
  if (!IsRunLockName(name)) return Status::Invalid("\"" + name + "\" cannot name a run lock");
  const size_t slash = path_.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash);
  const std::string file = dir + "/" + name + ".lock";
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::Unavailable("cannot open the lock file " + file + ": " + std::strerror(errno));
  }
  int locked;
  do {
    locked = ::flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB);
  } while (locked != 0 && errno == EINTR);
  if (locked != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) return std::unique_ptr<RunLock>();
    return Status::Unavailable("cannot lock " + file + ": " + std::strerror(error));
  }
  return std::unique_ptr<RunLock>(std::make_unique<FileRunLock>(fd));
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
  sqlite3_backup* bk =
      sqlite3_backup_init(dest, "main", static_cast<SqliteConnection&>(lease.conn()).db(), "main");
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
