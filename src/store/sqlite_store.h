// SqliteStore: the embedded Store. WAL with synchronous=FULL; one writer thread that applies
// every queued batch in one transaction (group commit: concurrent writers share an fsync);
// a pool of read-only connections for queries.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/sql_store.h"

struct sqlite3;

namespace vigil {

class SqliteConnection;

/// When the WAL is copied back into the database, in WAL frames (pages of 4 KiB). The defaults
/// are what a server uses; tests make them small.
struct CheckpointPolicy {
  /// New frames since the last pass that wake the checkpoint thread for a PASSIVE pass. Small
  /// passes keep each database fsync short: it shares the disk with the WAL's fdatasync, on
  /// which every answer waits.
  int pass_frames = 4000;
  /// From this WAL size on, the WAL starts over as soon as a pass leaves at most finish_frames
  /// behind: the writer copies those itself between two groups (a pause of a few milliseconds),
  /// and its next commit restarts the WAL from the beginning of the same file.
  int restart_frames = 16000;
  int finish_frames = 300;
  /// A WAL this large (readers held old snapshots for long) gets a RESTART checkpoint, which
  /// waits for them and holds the writer off meanwhile.
  int force_restart_frames = 256000;
  /// Called on the checkpoint thread after each pass, with whether it asked the writer to
  /// finish (a test's window into the thread; empty in a server).
  std::function<void(bool finish_requested)> after_pass;
};

class SqliteStore final : public SqlStore {
 public:
  /// Opens (creating if needed) the database at PATH and applies pending migrations.
  /// Errors: kUnavailable with SQLite's message when the file cannot be opened or migrated.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                   CheckpointPolicy checkpoints = {});
  ~SqliteStore() override;  // drains the write queue, then stops the writer thread
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  /// Writes as StoreWriter::Write. When the disk is full or fails a write, every write of the group
  /// commit fails with kUnavailable "storage is full: nothing was stored; try again later" or
  /// "storage I/O error: nothing was stored; try again later", and nothing of it is stored; the
  /// next write succeeds as soon as the disk takes writes again (no reopen).
  Status WaitDurable() override;
  Result<std::vector<ReportSummary>> SearchReports(const std::string& words,
                                                   const ReportFilter& filter) override;
  using Store::VerifyAudit;
  Result<AuditVerdict> VerifyAudit(const CheckpointedHeads& checkpointed) override;
  Status Backup(const std::string& path) override;
  /// A lock file NAME.lock in the database's folder, held with flock.
  Result<std::unique_ptr<RunLock>> TryRunLock(const std::string& name, bool wait) override;

 protected:
  void CommitGroup(Group& group) override;
  bool IdleWork() override;
  std::optional<Status> WritesRefused() const override;
  Result<std::unique_ptr<SqlConnection>> OpenReader() override;
  Status IndexSearchNow() override;
  // Events are only ever appended, so rowids grow in commit order (one writer).
  const char* CommitOrderColumn() const override { return "rowid"; }

 private:
  explicit SqliteStore(std::string path);
  void CheckpointLoop();  // runs on checkpoint_thread_
  // The writer's TEMP triggers that report each audited row a batch touches to touched_rows_
  // (through the SQL function vigil_touched, registered on the writer only).
  Status InstallAuditTriggers();
  // The search index (sqlite_store_web.cc) is kept outside the transactions that change what
  // it indexes: they queue rows in search_pending, and the writer thread indexes them later in
  // batches (IndexSearchBacklog), or at once for a search (WebWrites::index_search).
  void IndexSearchBacklog();                      // on writer_thread_, outside a transaction
  Result<int> IndexPendingSearchRows(int limit);  // inside a transaction; returns rows indexed
  static constexpr int kSearchRowsPerPass = 128;
  static constexpr int kSearchMergePages = 32;  // FTS5 merge work per pass, in pages

  const std::string path_;
  std::unique_ptr<SqliteConnection> writer_;  // used by writer_thread_ only

  bool search_backlog_ = true;  // writer_thread_ only: search_pending may have rows

  // WAL checkpoints run on their own thread and connection so that the writer never waits for
  // them (the writer's automatic checkpoints are off).
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  CheckpointPolicy checkpoints_;
  int wal_frames_ = 0;                // guarded by checkpoint_mu_; set by the writer's WAL hook
  int checkpointed_frames_ = 0;       // guarded by checkpoint_mu_: WAL size at the last pass
  bool checkpoint_stopping_ = false;  // guarded by checkpoint_mu_
  std::thread checkpoint_thread_;
  // Set by the checkpoint thread when a pass left little behind in a large WAL: the writer then
  // copies the rest itself between two groups, so that the WAL starts over.
  std::atomic<bool> finish_checkpoint_{false};
  void FinishCheckpoint();  // on writer_thread_, between groups
  // Writer thread only (FinishCheckpoint and the WAL hook): the WAL size a complete finishing
  // pass left; the next commit should find the WAL started over (0 = nothing expected).
  int restart_expected_from_ = 0;

  // Durability is pipelined: the writer commits a group without syncing (synchronous=NORMAL)
  // and goes on with the next one while this thread fdatasyncs the WAL (wal_fd_, the same file
  // through a descriptor of its own) and only then answers the group. WAL frames are appended
  // in commit order, so one fdatasync makes every earlier commit durable, and an answered write
  // is durable as before. When the WAL cannot be opened here, the writer commits with FULL and
  // answers itself.
  void SyncLoop();  // runs on sync_thread_
  int wal_fd_ = -1;
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::vector<std::unique_ptr<PendingWrite>> synced_queue_;  // guarded by sync_mu_; committed
  bool sync_stopping_ = false;                               // guarded by sync_mu_
  std::atomic<bool> sync_failed_{false};  // an fdatasync failed: no more writes are accepted
  std::thread sync_thread_;
};

}  // namespace vigil
