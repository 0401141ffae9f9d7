// PgStore: the Store on PostgreSQL (libpq), for teams that outgrow one process on one machine.
// The same statements as SqliteStore (SqlStore), on a writer connection that applies each group
// of queued writes in one transaction (a commit returns once PostgreSQL made it durable:
// synchronous_commit is on), and a pool of read connections. What differs: the schema's text
// compares byte by byte (COLLATE "C"), the search index is a tsvector per report and message
// kept in the same transaction (GIN), the audit triggers are PL/pgSQL and record touched rows in
// a temporary table of the writer's session, and backups are PostgreSQL's own (pg_dump, a
// replica).
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "store/pg_connection.h"
#include "store/sql_store.h"

namespace vigil {

/// A tsquery for WORDS with the semantics of SearchQueries::SearchReports (every word, as the
/// beginning of a word; a word's inner punctuation asks for its parts in order), or "" when
/// WORDS hold no letter or digit. Only letters, digits and bytes outside ASCII reach it.
std::string PgTsQuery(std::string_view words);

/// Creates the session's table the audit triggers record touched rows in (ON COMMIT DELETE
/// ROWS: nothing a transaction recorded outlives it). Every session that writes audited tables
/// runs it first: the writer, and a copy into PostgreSQL (store_copy.cc).
extern const char kPgTouchedTableSql[];

/// The row digest as PostgreSQL computes it (RowDigestSql), with sha256() over the same bytes.
std::string PgRowDigestSql(const AuditedTable& t, const std::string& prefix);

class PgStore final : public SqlStore {
 public:
  /// Connects to TARGET, migrates the schema (under an advisory lock: instances starting
  /// together migrate once) and starts the writer. Errors: kUnavailable "cannot connect to
  /// PostgreSQL at <url without password>: <reason>" or "cannot migrate <url>: <reason>".
  static Result<std::unique_ptr<PgStore>> Open(const PgTarget& target);
  ~PgStore() override;  // drains the write queue, then stops the writer thread
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

  Status WaitDurable() override;
  Result<std::vector<ReportSummary>> SearchReports(const std::string& words,
                                                   const ReportFilter& filter) override;
  using Store::VerifyAudit;
  Result<AuditVerdict> VerifyAudit(const CheckpointedHeads& checkpointed) override;
  /// kInvalidArgument: a PostgreSQL store is backed up with PostgreSQL's own tools.
  Status Backup(const std::string& path) override;
  /// A session-level advisory lock (64-bit hash of "run:" NAME) on a session of its own (kept
  /// for the next lock once released): a killed instance's sessions end, and their locks too.
  Result<std::unique_ptr<RunLock>> TryRunLock(const std::string& name, bool wait) override;

 protected:
  void CommitGroup(Group& group) override;
  Result<std::unique_ptr<SqlConnection>> OpenReader() override;
  Status CollectTouchedRows() override;
  Status IndexSearchNow() override { return Status::Ok(); }  // indexed by the write itself
  const char* BeginSnapshot() const override {
    return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  }
  // Grows with every event appended, in commit order while one writer commits at a time.
  const char* CommitOrderColumn() const override { return "pos"; }
  /// Transaction-scoped advisory locks, one per name (64-bit hash of the name); names the
  /// group already holds are skipped.
  Status Lock(const std::vector<std::string>& names) override;

 private:
  explicit PgStore(PgTarget target) : target_(std::move(target)) {}
  // The writer session's temporary table of touched rows (again after a reconnect).
  Status PrepareWriterSession();

  friend class PgRunLock;
  // Gives SESSION back after its lock was released (closed when it is unhealthy).
  void ReturnLockSession(std::unique_ptr<PgConnection> session);

  const PgTarget target_;
  std::mutex lock_sessions_mu_;
  std::vector<std::unique_ptr<PgConnection>> lock_sessions_;  // idle; guarded
  std::unique_ptr<PgConnection> writer_;                      // the writer thread's
  // What the writer's open transaction holds: CommitGroup takes every lock of its group first,
  // in one sorted order, so that two instances' groups never wait on each other in a cycle
  // (each taking its batches' locks in turn, they could: a deadlock, and a failed group).
  std::set<std::string> group_locks_;  // writer thread only
};

}  // namespace vigil
