// Internal to store/: a SQLite connection with a statement cache behind SqlConnection. Used by
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
#include "store/sql_store.h"
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

/// An FTS5 expression matching every word of TEXT as a prefix: each word becomes a quoted
/// string (quotes doubled) followed by '*', so no user input is parsed as FTS5 syntax. Empty
/// when TEXT has no word.
std::string Fts5Query(std::string_view text);
/// The SQL function vigil_row_digest (sqlite_store_audit.cc), on every connection.
Status RegisterRowDigest(sqlite3* db);
/// The row digest as SQLite computes it (RowDigestSql): vigil_row_digest over the columns.
std::string SqliteRowDigestSql(const AuditedTable& t, const std::string& prefix);

}  // namespace vigil
