// Internal to store/: what the two SQL stores share. SqlStore applies a WriteBatch and answers
// every query with the same statements on any SqlConnection; an engine (SqliteStore,
// PgStore) opens the connections, runs the write loop (transactions, group commit,
// durability) and supplies what SQL cannot say the same way on both: the full-text search,
// the audit triggers' row digests, the order in which events were committed, backups.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/sql_connection.h"
#include "store/store.h"

namespace vigil {

class SqlStore : public Store {
 public:
  // Writes queue for the engine's writer thread, which applies them in groups (CommitGroup).
  Result<WriteResult> Write(WriteBatch batch) final;
  std::future<Result<WriteResult>> WriteAsync(WriteBatch batch) final;
  void WriteThen(WriteBatch batch, WriteCallback done) final;

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
  Result<HitCount> CountHits(const std::string& key, Instant since) override;
  Result<std::vector<Attachment>> Attachments(const std::string& report_id) override;
  Result<std::optional<Attachment>> GetAttachment(const std::string& report_id,
                                                  int64_t number) override;
  Result<std::optional<ReporterPrefs>> GetReporterPrefs(const std::string& report_id) override;
  Result<ChainActivity> SummarizeChain(const std::string& chain) override;
  Result<std::vector<StoredEvent>> LatestEvents(const std::string& chain, int64_t limit) override;
  // disclose module (sql_store_disclose.cc)
  Result<std::optional<AdvisoryDraftRow>> FindAdvisoryDraft(const std::string& report_id) override;
  Result<std::optional<DisclosurePlanRow>> FindDisclosurePlan(
      const std::string& report_id) override;
  Result<std::vector<DisclosureStepRow>> DisclosureLog(const std::string& report_id) override;
  // mail module (sql_store_mail.cc)
  Result<std::vector<InboxMail>> PendingInbox(int limit) override;
  Result<std::vector<InboxMail>> ListInbox(int limit) override;
  Result<std::optional<InboxMail>> FindInboxMail(const std::string& id) override;
  Result<std::optional<std::string>> ReportOfMessageId(const std::string& message_id) override;
  Result<bool> SeenIncoming(const std::string& message_id) override;
  Result<std::vector<MailPatch>> MailPatches(const std::string& report_id) override;
  Result<std::vector<MailAttachment>> MailAttachments(const std::string& inbox_id) override;
  Result<std::optional<MailKey>> FindMailKey(const std::string& email) override;
  Result<std::vector<OutboxEntry>> ListOutbox(const OutboxQuery& query) override;
  // patch module (sql_store_patches.cc)
  Result<std::vector<PatchRevision>> PatchRevisions(const std::string& report_id) override;
  // the chains (sql_store_audit.cc), read in one snapshot
  Result<ChainHeadsDelta> ChainHeadsSince(int64_t cursor) override;
  /// Runs READ on one read snapshot of the whole store while writes go on (a copy to another
  /// engine reads every table through it).
  Status ReadSnapshot(const std::function<Status(SqlConnection&)>& read);
  /// At most N reads at once (0: no limit); the others wait for a connection. For an engine in
  /// another process: more queries at once than the machine has cores only lengthen the slowest
  /// (PostgreSQL's backends preempted holding its locks: measured on 2 cores, 32 at once gave a
  /// p99 of 2.3 s where 4 gave 6 ms, at a higher throughput). A read nested in another on the
  /// same thread is not counted, so a thread never waits for itself.
  void LimitConcurrentReads(int n) { max_reads_ = n; }  // before the store is shared

 protected:
  SqlStore() = default;
  ~SqlStore() override = default;

  // ---- the write queue ----
  struct PendingWrite {
    WriteBatch batch;
    std::promise<Result<WriteResult>> done;  // when `then` is empty
    WriteCallback then;
    std::optional<Result<WriteResult>> result;  // the engine's, between commit and answer
    void Finish(Result<WriteResult> r);         // answers the writer
  };
  using Group = std::vector<std::unique_ptr<PendingWrite>>;
  /// Starts the writer thread (the engine's Open, once the store is ready).
  void StartWriter();
  /// Stops taking writes, lets the writer thread apply every queued one and joins it (the
  /// engine's destructor, first).
  void StopWriter();

  // ---- what an engine supplies ----
  /// On the writer thread: applies GROUP (at most 256 writes, in queue order) in one
  /// transaction and answers each write, now or later (then owning it).
  virtual void CommitGroup(Group& group) = 0;
  /// On the writer thread when the queue is empty: work that waits for an idle writer; true
  /// when there was some (the queue is looked at again before the thread sleeps).
  virtual bool IdleWork() { return false; }
  /// How a read connection starts a transaction that reads one snapshot.
  virtual const char* BeginSnapshot() const { return "BEGIN"; }
  /// The events' column that grows in commit order (ChainHeadsSince).
  virtual const char* CommitOrderColumn() const = 0;
  /// Why no write is accepted any more, or nullopt (any thread).
  virtual std::optional<Status> WritesRefused() const { return std::nullopt; }
  /// A new read connection (the pool keeps up to 16 idle ones).
  virtual Result<std::unique_ptr<SqlConnection>> OpenReader() = 0;
  /// Inside the batch's transaction, before FinishEvents reads touched_rows_: the engine adds
  /// the audited rows the batch touched, each with its digest, in the order they were touched
  /// (SQLite's triggers call back into touched_rows_ as they fire; PostgreSQL's record them in
  /// a table read here).
  virtual Status CollectTouchedRows() { return Status::Ok(); }
  /// Brings the full-text index up to date inside the current transaction
  /// (WebWrites::index_search).
  virtual Status IndexSearchNow() = 0;
  /// Inside the writer's transaction, before a batch reads what it will write: holds NAMES (a
  /// chain, "number:<prefix>/<year>", "counter:<name>"; sorted) until the transaction ends,
  /// so that writers of other instances on the same database wait. An engine with one writer
  /// per database (SQLite) needs none.
  virtual Status Lock(const std::vector<std::string>& names) {
    (void)names;
    return Status::Ok();
  }

  /// The connection the write loop applies batches on (set by the engine before its first
  /// batch; used by the writer thread only).
  SqlConnection* writer_conn_ = nullptr;

  // ---- the write core, on writer_conn_ inside the engine's transaction ----
  // How a batch's writes are bounded inside its group's transaction (see ApplyBatch).
  enum class BatchScope {
    kNoWrites,   // nothing written yet
    kSavepoint,  // inside SAVEPOINT batch: a failure rolls back this batch alone
    kUnguarded,  // written without a savepoint: a failure rolls back the whole group
  };
  // Opens SAVEPOINT batch before its first write unless the batch only adds a new report (see
  // OnlyAddsAReport in sql_store_reports.cc); SCOPE says which.
  Result<WriteResult> ApplyBatch(WriteBatch& batch, BatchScope& scope);
  // What BATCH must Lock before it reads (sorted, each once).
  static std::vector<std::string> BatchLocks(const WriteBatch& batch);
  // The parts of ApplyBatch (sql_store_reports.cc), in the order it runs them.
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
  // Module parts of ApplyBatch live in their own files (sql_store_<module>.cc) as
  // `Status Apply<Module>Rows(WriteBatch&, const std::string& report_id)` members.
  Status ApplyDisclosureRows(WriteBatch& batch, const std::string& report_id);
  Status ApplyMailRows(WriteBatch& batch, const std::string& report_id);
  Status ApplyWebRows(WriteBatch& batch, const std::string& report_id);
  Status ApplyPatchRows(WriteBatch& batch, const std::string& report_id);
  // Last: puts the digests of the rows the batch touched on its last event of each owning
  // chain (sql_store_audit.cc); a chain without an event in the batch gets an audit.rows
  // event for them. Then writes the batch's events.
  Status FinishEvents(ChainHeads& heads);
  Status SummarizeEvents(WriteBatch& batch, const std::string& report_id);  // web module
  struct TouchedRow {
    std::string table, key, owner, digest;  // digest "" = deleted
  };
  std::vector<TouchedRow> touched_rows_;   // writer thread only; the current batch's
  std::vector<StoredEvent> batch_events_;  // writer thread only; the current batch's

  // ---- reads ----
  class ReadLease;
  // Runs READ(SqlConnection&) on a leased read connection and returns what it returns (or the
  // lease's error).
  template <typename F>
  auto OnReader(F&& read) -> decltype(read(std::declval<SqlConnection&>()));

 private:
  void WriterLoop();                                    // runs on writer_thread_
  void Enqueue(std::unique_ptr<PendingWrite> pending);  // hands PENDING to the writer thread
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::unique_ptr<PendingWrite>> queue_;  // guarded by queue_mu_
  bool stopping_ = false;                            // guarded by queue_mu_
  std::thread writer_thread_;

  std::mutex readers_mu_;
  std::condition_variable reader_freed_;
  std::vector<std::unique_ptr<SqlConnection>> idle_readers_;  // guarded by readers_mu_
  int reads_ = 0;                                             // guarded by readers_mu_
  int max_reads_ = 0;                                         // set before the store is shared
};

// Borrows an idle read connection (opening one if none is idle) and returns it on destruction.
class SqlStore::ReadLease {
 public:
  explicit ReadLease(SqlStore& store) : store_(store), counted_(leases_held_ == 0) {
    ++leases_held_;
    {
      std::unique_lock<std::mutex> lock(store_.readers_mu_);
      if (counted_) {
        store_.reader_freed_.wait(
            lock, [&] { return store_.max_reads_ <= 0 || store_.reads_ < store_.max_reads_; });
        ++store_.reads_;
      }
      if (!store_.idle_readers_.empty()) {
        conn_ = std::move(store_.idle_readers_.back());
        store_.idle_readers_.pop_back();
      }
    }
    if (!conn_) {
      Result<std::unique_ptr<SqlConnection>> opened = store_.OpenReader();
      if (opened.ok()) {
        conn_ = std::move(opened).value();
      } else {
        status_ = opened.status();
      }
    }
  }
  ~ReadLease() {
    --leases_held_;
    {
      std::lock_guard<std::mutex> lock(store_.readers_mu_);
      if (counted_) --store_.reads_;
      if (conn_ && store_.idle_readers_.size() < 16 && conn_->Healthy()) {
        store_.idle_readers_.push_back(std::move(conn_));
      }
    }
    if (counted_) store_.reader_freed_.notify_one();
  }
  ReadLease(const ReadLease&) = delete;
  ReadLease& operator=(const ReadLease&) = delete;
  const Status& status() const { return status_; }
  SqlConnection& conn() { return *conn_; }

 private:
  SqlStore& store_;
  const bool counted_;  // the thread's outermost lease: it counts against max_reads_
  std::unique_ptr<SqlConnection> conn_;
  Status status_;
  static thread_local int leases_held_;  // this thread's leases, of any store
};

template <typename F>
auto SqlStore::OnReader(F&& read) -> decltype(read(std::declval<SqlConnection&>())) {
  ReadLease lease(*this);
  if (!lease.status().ok()) return lease.status();
  return read(lease.conn());
}

/// The event of the current row of Q, whose columns are chain, seq, time, actor, kind, payload,
/// prev_hash, hash (in that order).
StoredEvent ReadEventRow(const Query& q);

/// The summary of the current row of Q, whose columns are id, subject, state, level, coordinator,
/// created_at, updated_at, embargo_end (in that order).
ReportSummary ReadSummaryRow(const Query& q);

/// The outbox row at Q, whose columns are id, report_id, recipient, kind, subject, body,
/// created_at, state, attempts (in that order).
OutboxMail ReadOutboxRow(const Query& q);

/// Where the parameters of a ReportFilter's clauses are in a query (0 = no such clause).
struct ReportFilterSql {
  int email_at = 0, id_at = 0, state_at = 0, level_at = 0, coordinator_at = 0, updated_at = 0,
      after_at = 0, limit_at = 0;
  void Bind(Query& q, const ReportFilter& f) const;  // binds F's values at those positions
};
/// Appends FILTER's clauses on the reports table (aliased r) to SQL, which ends in a WHERE
/// clause, then ORDER BY ORDER_BY and the limit (none when filter.limit is 0; neither when
/// ORDER_BY is null); the clauses' parameters are numbered from FIRST on.
ReportFilterSql AppendReportFilter(std::string& sql, const ReportFilter& filter, int first,
                                   const char* order_by);

// ---- the schema (migrations.cc) ----

enum class SqlDialect { kSqlite, kPostgres };
/// Creates or brings the schema up to date, inside the caller's transaction on the writer
/// connection W.
Status ApplyMigrations(SqlConnection& w, SqlDialect dialect);
/// A portable migration's SQL as PostgreSQL runs it: SQLite's row ids become identity columns,
/// INTEGER becomes BIGINT and BLOB bytea.
std::string PgDialect(const std::string& sql);

// ---- the audit of projections (sql_store_audit.cc) ----

/// An audited table: the row's key (its primary key columns, joined with '/'), the column that
/// names its owning chain (empty: the system chain "-") and the digested columns with their
/// types ('i' integer, 't' text, 'b' blob).
struct AuditedTable {
  const char* name;
  std::vector<const char*> key;
  const char* owner;
  std::vector<std::pair<const char*, char>> columns;
};
const std::vector<AuditedTable>& AuditedTables();
/// The audited tables and the columns their row digests cover (for tests).
std::map<std::string, std::vector<std::string>> AuditedColumns();
/// SQL for the row's key and owner, with columns read from PREFIX ("NEW", "OLD", "").
std::string AuditKeySql(const AuditedTable& t, const std::string& prefix);
std::string AuditOwnerSql(const AuditedTable& t, const std::string& prefix);
/// Builds an engine's SQL expression for the hex row digest of T's row, columns read from
/// PREFIX ("NEW", "OLD", ""). Every engine computes the same digest: the hex SHA-256 of
/// "vigil-row-v1", then the table name and each value with its type, each as
/// TYPE LENGTH ':' BYTES.
using RowDigestSql = std::string (*)(const AuditedTable& t, const std::string& prefix);
/// The digest the engines' SQL computes, from values already read: Add the table name ('t'),
/// then each column's type and bytes in order.
class RowDigestBuilder {
 public:
  void Add(char type, std::string_view bytes);
  std::string Hex() const;  // lower-case hex SHA-256

 private:
  std::string canonical_ = "vigil-row-v1";
};

/// Once per database (after the migration that added row digests): one audit.baseline event
/// per chain owning rows, recording the digests of the rows written before.
Status WriteAuditBaseline(SqlConnection& w, RowDigestSql digest, Instant now);

/// Compares the audited tables with the row digests of the chains (sql_store_audit.cc):
/// reads each table once, ordered by owning chain, while the caller walks the chains in
/// ascending order. Messages name the first bad row: "participants row SEC-2026-0001/2: no event
/// records it", "reports row SEC-2026-0001: differs from what SEC-2026-0001 event 4 recorded",
/// "messages row SEC-2026-0001/1: missing (SEC-2026-0001 event 2 recorded it)".
class ProjectionAudit {
 public:
  ProjectionAudit(SqlConnection& c, RowDigestSql digest);
  ~ProjectionAudit();
  /// EVENTS: one whole chain, verified, the chains given in ascending order. "" when its rows
  /// match.
  std::string Chain(const std::vector<StoredEvent>& events);
  /// After the last chain: the first row of a chain that has no events, or "".
  std::string Finish();
  /// The first storage error of the table reads.
  Status status() const;

 private:
  struct Cursor;
  static std::string Unrecorded(const Cursor& c);
  std::vector<std::unique_ptr<Cursor>> cursors_;
};

/// Walks every chain, the reports' versions and the audited tables of one snapshot that C has
/// open (sql_store_audit.cc), as Store::VerifyAudit describes. The events are read in chain
/// order.
Result<AuditVerdict> VerifyAuditOn(SqlConnection& c, RowDigestSql digest,
                                   const CheckpointedHeads& checkpointed);

/// The newest event of every chain that gained events after CURSOR, read on C (inside the
/// caller's snapshot), ORDER_COLUMN being the events' commit order (Store::ChainHeadsSince).
Result<ChainHeadsDelta> ChainHeadsSinceOn(SqlConnection& c, const std::string& order_column,
                                          int64_t cursor);

}  // namespace vigil
