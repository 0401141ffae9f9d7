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

#include "store/store.h"

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

class SqliteStore final : public Store {
 public:
  /// Opens (creating if needed) the database at PATH and applies pending migrations.
  /// Errors: kUnavailable with SQLite's message when the file cannot be opened or migrated.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                   CheckpointPolicy checkpoints = {});
  ~SqliteStore() override;  // drains the write queue, then stops the writer thread
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  /// As StoreWriter::Write. When the disk is full or fails a write, every write of the group
  /// commit fails with kUnavailable "storage is full: nothing was stored; try again later" or
  /// "storage I/O error: nothing was stored; try again later", and nothing of it is stored; the
  /// next write succeeds as soon as the disk takes writes again (no reopen).
  Result<WriteResult> Write(WriteBatch batch) override;
  std::future<Result<WriteResult>> WriteAsync(WriteBatch batch) override;
  void WriteThen(WriteBatch batch, WriteCallback done) override;
  Status WaitDurable() override;
  Result<Report> GetReport(const std::string& id) override;
  Result<std::vector<ReportSummary>> ListReports(const ReportFilter& filter) override;
  Result<std::vector<ThreadMessage>> Thread(const std::string& report_id) override;
  Result<std::vector<StoredEvent>> Events(const std::string& chain) override;
  Result<std::optional<Account>> FindAccount(const std::string& email) override;
  Result<std::vector<Account>> ListAccounts() override;
  Result<std::optional<ApiToken>> FindApiToken(const std::string& hash) override;
  Result<std::vector<ApiToken>> ListApiTokens(const std::string& email) override;
  Result<std::optional<CapabilityGrant>> FindCapability(const std::string& hash) override;
  Result<std::vector<OutboxMail>> Outbox(const std::string& report_id) override;
  Result<int64_t> Counter(const std::string& name) override;
  Result<std::map<State, int64_t>> CountReportsByState() override;
  Result<std::map<State, int64_t>> CountReports(const ReportFilter& filter) override;
  Result<int64_t> PendingOutbox() override;
  Result<std::optional<WebSession>> FindSession(const std::string& hash) override;
  Result<std::optional<TotpEnrolment>> FindTotp(const std::string& email) override;
  Result<std::vector<Attachment>> Attachments(const std::string& report_id) override;
  Result<std::optional<Attachment>> GetAttachment(const std::string& report_id,
                                                  int64_t number) override;
  Result<std::optional<ReporterPrefs>> GetReporterPrefs(const std::string& report_id) override;
  Result<ChainActivity> SummarizeChain(const std::string& chain) override;
  Result<std::vector<StoredEvent>> LatestEvents(const std::string& chain, int64_t limit) override;
  Result<std::vector<ReportSummary>> SearchReports(const std::string& match_expr,
                                                   const ReportFilter& filter) override;
  // disclose module (sqlite_store_disclose.cc)
  Result<std::optional<AdvisoryDraftRow>> FindAdvisoryDraft(const std::string& report_id) override;
  Result<std::optional<DisclosurePlanRow>> FindDisclosurePlan(
      const std::string& report_id) override;
  Result<std::vector<DisclosureStepRow>> DisclosureLog(const std::string& report_id) override;

  Result<std::vector<InboxMail>> PendingInbox(int limit) override;
  Result<std::vector<InboxMail>> ListInbox(int limit) override;
  Result<std::optional<InboxMail>> FindInboxMail(const std::string& id) override;
  Result<std::optional<std::string>> ReportOfMessageId(const std::string& message_id) override;
  Result<bool> SeenIncoming(const std::string& message_id) override;
  Result<std::vector<MailPatch>> MailPatches(const std::string& report_id) override;
  Result<std::vector<MailAttachment>> MailAttachments(const std::string& inbox_id) override;
  Result<std::optional<MailKey>> FindMailKey(const std::string& email) override;
  Result<std::vector<OutboxEntry>> ListOutbox(const OutboxQuery& query) override;
  Result<std::vector<PatchRevision>> PatchRevisions(const std::string& report_id) override;
  using Store::VerifyAudit;
  Result<AuditVerdict> VerifyAudit(const CheckpointedHeads& checkpointed) override;
  Result<ChainHeadsDelta> ChainHeadsSince(int64_t cursor) override;
  Status Backup(const std::string& path) override;

 private:
  struct PendingWrite;
  class ReadLease;
  // Runs READ(SqliteConnection&) on a leased read connection and returns what it returns (or
  // the lease's error). Defined in sqlite_query.h, with the row readers Rows and FirstRow.
  template <typename F>
  auto OnReader(F&& read) -> decltype(read(std::declval<SqliteConnection&>()));

  explicit SqliteStore(std::string path);
  void WriterLoop();                                    // runs on writer_thread_
  void Enqueue(std::unique_ptr<PendingWrite> pending);  // hands PENDING to the writer thread
  void CheckpointLoop();                                // runs on checkpoint_thread_
  // How a batch's writes are bounded inside its group's transaction (see ApplyBatch).
  enum class BatchScope {
    kNoWrites,   // nothing written yet
    kSavepoint,  // inside SAVEPOINT batch: a failure rolls back this batch alone
    kUnguarded,  // written without a savepoint: a failure rolls back the whole group
  };
  // On writer_thread_, inside a transaction. Opens SAVEPOINT batch before its first write unless
  // the batch only adds a new report (see OnlyAddsAReport in sqlite_store.cc); SCOPE says which.
  Result<WriteResult> ApplyBatch(WriteBatch& batch, BatchScope& scope);
  // The parts of ApplyBatch (sqlite_store_reports.cc), in the order it runs them.
  // For a new report: allocates its id and reads its turn; otherwise checks expected_version.
  Status CheckReport(WriteBatch& batch);
  Status ApplyCounters(WriteBatch& batch);
  // Each chain's last event as the batch's events leave it.
  using ChainHeads = std::unordered_map<std::string, StoredEvent>;
  Result<ChainHeads> AppendEvents(WriteBatch& batch, const std::string& report_id,
                                  WriteResult& out);
  Status WriteReportRow(Report& report);  // the projection and its participants
  Status ApplyThreadRows(WriteBatch& batch, const std::string& report_id);  // messages, outbox
  Status ApplyAccountRows(WriteBatch& batch);  // accounts, tokens, revocations
  // Module parts of ApplyBatch live in their own files (sqlite_store_<module>.cc) as
  // `Status Apply<Module>Rows(WriteBatch&, const std::string& report_id)` members.
  Status ApplyDisclosureRows(WriteBatch& batch, const std::string& report_id);
  Status ApplyMailRows(WriteBatch& batch, const std::string& report_id);  // sqlite_store_mail.cc
  Result<std::unique_ptr<SqliteConnection>> OpenReader();
  Status ApplyWebRows(WriteBatch& batch, const std::string& report_id);    // sqlite_store_web.cc
  Status ApplyPatchRows(WriteBatch& batch, const std::string& report_id);  // patch module
  // Last: puts the digests of the rows the batch touched on its last event of each owning
  // chain (sqlite_store_audit.cc); a chain without an event in the batch gets an audit.rows
  // event for them. Then writes the batch's events.
  Status FinishEvents(ChainHeads& heads);
  Status SummarizeEvents(WriteBatch& batch, const std::string& report_id);  // web module
  // The writer's TEMP triggers that report each audited row a batch touches to touched_rows_
  // (through the SQL function vigil_touched, registered on the writer only).
  Status InstallAuditTriggers();
  struct TouchedRow {
    std::string table, key, owner, digest;  // digest "" = deleted
  };
  std::vector<TouchedRow> touched_rows_;   // writer_thread_ only; the current batch's
  std::vector<StoredEvent> batch_events_;  // writer_thread_ only; the current batch's
  // The search index (sqlite_store_web.cc) is kept outside the transactions that change what
  // it indexes: they queue rows in search_pending, and the writer thread indexes them later in
  // batches (IndexSearchBacklog), or at once for a search (WebWrites::index_search).
  void IndexSearchBacklog();                      // on writer_thread_, outside a transaction
  Result<int> IndexPendingSearchRows(int limit);  // inside a transaction; returns rows indexed
  static constexpr int kSearchRowsPerPass = 128;
  static constexpr int kSearchMergePages = 32;  // FTS5 merge work per pass, in pages

  const std::string path_;
  std::unique_ptr<SqliteConnection> writer_;  // used by writer_thread_ only

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::unique_ptr<PendingWrite>> queue_;  // guarded by queue_mu_
  bool stopping_ = false;                            // guarded by queue_mu_
  std::thread writer_thread_;                        // applies queued batches; started by Open
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

  std::mutex readers_mu_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_;  // guarded by readers_mu_
};

}  // namespace vigil
