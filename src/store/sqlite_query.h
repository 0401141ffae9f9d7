// Internal to store/: a SQLite connection with a statement cache, and a Query helper. Used by
// the SqliteStore implementation files only.
#pragma once

#include <sqlite3.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status.h"
#include "store/sql_connection.h"
#include "store/sqlite_store.h"

namespace vigil {

// A prepared SQLite statement, kept in its connection's cache.
class SqliteStatement final : public SqlStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  sqlite3_stmt* stmt() const { return stmt_; }

  void BindText(int i, std::string_view v) override {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindBlob(int i, std::string_view v) override {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindInt(int i, int64_t v) override { sqlite3_bind_int64(stmt_, i, v); }
  bool Step() override {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) failed_ = true;
    return false;
  }
  bool failed() const override { return failed_; }
  Status Error() const override {
    const int ext = sqlite3_extended_errcode(db_);
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return Status::Conflict(std::string("storage: ") + sqlite3_errmsg(db_));
    }
    return Status::Unavailable(std::string("storage: ") + sqlite3_errmsg(db_));
  }
  std::string Text(int col) const override {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  std::string Blob(int col) const override {
    const void* p = sqlite3_column_blob(stmt_, col);
    return p ? std::string(static_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  int64_t Int(int col) const override { return sqlite3_column_int64(stmt_, col); }
  void Reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    failed_ = false;
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool failed_ = false;
};

// One SQLite connection with a cache of prepared statements. Not thread-safe: owned by one
// thread at a time (the writer, or a reader holding a lease).
class SqliteConnection final : public SqlConnection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    cache_.clear();  // statements are finalized before the connection closes
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  sqlite3* db() const { return db_; }
  std::string Error() const override { return sqlite3_errmsg(db_); }
  int64_t Changes() const override { return sqlite3_changes64(db_); }

  Status Run(const std::string& sql) override {
    SqliteStatement* stmt = static_cast<SqliteStatement*>(Prepare(sql));
    if (stmt == nullptr) return Status::Unavailable("storage: " + Error());
    const int rc = sqlite3_step(stmt->stmt());
    sqlite3_reset(stmt->stmt());
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Status::Unavailable("storage: " + Error());
    return Status::Ok();
  }

  Status Exec(const char* sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      return Status::Unavailable("storage: " + msg);
    }
    return Status::Ok();
  }

  SqlStatement* Prepare(const std::string& sql) override {
    auto it = cache_.find(sql);
    if (it != cache_.end()) {
      it->second->Reset();
      return it->second.get();
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
        SQLITE_OK) {
      return nullptr;
    }
    return cache_.emplace(sql, std::make_unique<SqliteStatement>(db_, stmt)).first->second.get();
  }

 private:
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<SqliteStatement>> cache_;
};

// Borrows an idle read connection (opening one if none is idle) and returns it on destruction.
class SqliteStore::ReadLease {
 public:
  explicit ReadLease(SqliteStore& store) : store_(store) {
    {
      std::lock_guard<std::mutex> lock(store_.readers_mu_);
      if (!store_.idle_readers_.empty()) {
        conn_ = std::move(store_.idle_readers_.back());
        store_.idle_readers_.pop_back();
      }
    }
    if (!conn_) {
      Result<std::unique_ptr<SqliteConnection>> opened = store_.OpenReader();
      if (opened.ok()) {
        conn_ = std::move(opened).value();
      } else {
        status_ = opened.status();
      }
    }
  }
  ~ReadLease() {
    if (!conn_) return;
    std::lock_guard<std::mutex> lock(store_.readers_mu_);
    if (store_.idle_readers_.size() < 16) store_.idle_readers_.push_back(std::move(conn_));
  }
  const Status& status() const { return status_; }
  SqliteConnection& conn() { return *conn_; }

 private:
  SqliteStore& store_;
  std::unique_ptr<SqliteConnection> conn_;
  Status status_;
};

template <typename F>
auto SqliteStore::OnReader(F&& read) -> decltype(read(std::declval<SqliteConnection&>())) {
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

/// Creates or brings the schema up to date (sqlite_migrations.cc), inside the caller's
/// transaction on the writer connection W.
Status ApplyMigrations(SqliteConnection& w);
/// The audited tables and the columns their row digests cover (for tests).
std::map<std::string, std::vector<std::string>> AuditedColumns();
/// The SQL function vigil_row_digest (sqlite_store_audit.cc), on every connection.
Status RegisterRowDigest(sqlite3* db);
/// Once per database (after the migration that added row digests): one audit.baseline event
/// per chain owning rows, recording the digests of the rows written before.
Status WriteAuditBaseline(SqliteConnection& w, Instant now);

/// Compares the audited tables with the row digests of the chains (sqlite_store_audit.cc):
/// reads each table once, ordered by owning chain, while the caller walks the chains in
/// ascending order. Messages name the first bad row: "participants row SEC-2026-0001/2: no event
/// records it", "reports row SEC-2026-0001: differs from what SEC-2026-0001 event 4 recorded",
/// "messages row SEC-2026-0001/1: missing (SEC-2026-0001 event 2 recorded it)".
class ProjectionAudit {
 public:
  explicit ProjectionAudit(SqliteConnection& c);
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

}  // namespace vigil
