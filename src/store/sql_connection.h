// Internal to store/: what the store's SQL needs from a database connection, so that the same
// statements run on SQLite (sqlite_query.h) and on PostgreSQL (pg_connection.h). Statements are
// written with `?` parameters, numbered from 1 in order; the PostgreSQL connection numbers them
// $1, $2, ... itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/status.h"

namespace vigil {

/// A prepared statement of a SqlConnection, owned by the connection's statement cache. Used by
/// one Query at a time.
class SqlStatement {
 public:
  virtual ~SqlStatement() = default;
  virtual void BindText(int i, std::string_view v) = 0;  // 1-based
  virtual void BindBlob(int i, std::string_view v) = 0;
  virtual void BindInt(int i, int64_t v) = 0;
  /// Runs the statement (on the first call) and moves to the next row: true when a row is
  /// available, false when done or failed (see failed()).
  virtual bool Step() = 0;
  virtual bool failed() const = 0;
  /// Why it failed: kConflict for a uniqueness rule, kUnavailable otherwise ("storage: ...").
  virtual Status Error() const = 0;
  virtual std::string Text(int col) const = 0;
  virtual std::string Blob(int col) const = 0;
  virtual int64_t Int(int col) const = 0;
  /// Back to before the first Step, bindings cleared.
  virtual void Reset() = 0;
};

/// One connection. Not thread-safe: owned by one thread at a time.
class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  /// A cached prepared statement, reset, or null when SQL does not prepare (see Error()).
  virtual SqlStatement* Prepare(const std::string& sql) = 0;
  /// Runs one statement through the statement cache (BEGIN, COMMIT, SAVEPOINT ...).
  virtual Status Run(const std::string& sql) = 0;
  /// Runs SQL, which may hold several statements, without parameters.
  virtual Status Exec(const char* sql) = 0;
  /// Rows changed by the last INSERT, UPDATE or DELETE.
  virtual int64_t Changes() const = 0;
  /// The connection's last error message.
  virtual std::string Error() const = 0;
  /// False once the connection is lost (a pool drops it instead of lending it again).
  virtual bool Healthy() const { return true; }
};

// A statement in use: binds by position (1-based), steps, reads columns, resets on scope exit.
class Query {
 public:
  Query(SqlConnection& conn, const std::string& sql) : conn_(conn), stmt_(conn.Prepare(sql)) {}
  ~Query() {
    if (stmt_) stmt_->Reset();
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  bool prepared() const { return stmt_ != nullptr; }
  Query& Bind(int i, std::string_view v) {
    if (stmt_) stmt_->BindText(i, v);
    return *this;
  }
  Query& BindBlob(int i, std::string_view v) {
    if (stmt_) stmt_->BindBlob(i, v);
    return *this;
  }
  Query& Bind(int i, int64_t v) {
    if (stmt_) stmt_->BindInt(i, v);
    return *this;
  }
  /// True when a row is available; false when done. Sets status() on failure.
  bool Step() { return stmt_ != nullptr && stmt_->Step(); }
  Status Run() {
    Step();
    return status();
  }
  Status status() const {
    if (stmt_ == nullptr) return Status::Unavailable("storage: " + conn_.Error());
    return stmt_->failed() ? stmt_->Error() : Status::Ok();
  }
  std::string Text(int col) const { return stmt_->Text(col); }
  std::string Blob(int col) const { return stmt_->Blob(col); }
  int64_t Int(int col) const { return stmt_->Int(col); }

 private:
  SqlConnection& conn_;
  SqlStatement* stmt_;
};

/// Binds ARGS to Q's parameters 1, 2, ... in order (text as std::string_view, integers as int64).
template <typename... Args>
void BindAll(Query& q, const Args&... args) {
  int i = 0;
  (q.Bind(++i, args), ...);
}

/// The one row reader: runs SQL on CONN with ARGS bound and calls VISIT(q) on every row, in
/// order. Errors: the statement's (kUnavailable, or kConflict for a uniqueness rule).
template <typename Visit, typename... Args>
Status EachRow(SqlConnection& conn, const std::string& sql, Visit visit, const Args&... args) {
  Query q(conn, sql);
  BindAll(q, args...);
  while (q.Step()) visit(static_cast<const Query&>(q));
  return q.status();
}

/// EachRow collecting READ(q) of every row.
template <typename Read, typename... Args>
auto Rows(SqlConnection& conn, const std::string& sql, Read read, const Args&... args)
    -> Result<std::vector<std::invoke_result_t<Read&, const Query&>>> {
  std::vector<std::invoke_result_t<Read&, const Query&>> out;
  VIGIL_RETURN_IF_ERROR(EachRow(
      conn, sql, [&](const Query& q) { out.push_back(read(q)); }, args...));
  return out;
}

/// Like Rows, for the first row only: READ(q) of it, or nullopt when there is none.
template <typename Read, typename... Args>
auto FirstRow(SqlConnection& conn, const std::string& sql, Read read, const Args&... args)
    -> Result<std::optional<std::invoke_result_t<Read&, const Query&>>> {
  Query q(conn, sql);
  BindAll(q, args...);
  if (q.Step()) return std::optional<std::invoke_result_t<Read&, const Query&>>(read(q));
  VIGIL_RETURN_IF_ERROR(q.status());
  return std::optional<std::invoke_result_t<Read&, const Query&>>();
}

/// The first column of the first row as an integer, or FALLBACK when there is no row.
template <typename... Args>
Result<int64_t> IntOrDefault(SqlConnection& conn, const std::string& sql, int64_t fallback,
                             const Args&... args) {
  Result<std::optional<int64_t>> v = FirstRow(
      conn, sql, [](const Query& q) { return q.Int(0); }, args...);
  if (!v.ok()) return v.status();
  return v->value_or(fallback);
}

}  // namespace vigil
