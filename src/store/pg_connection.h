// Internal to store/: a PostgreSQL connection (libpq) behind SqlConnection, so that the store's
// statements, written with `?` parameters for SQLite, run unchanged on PostgreSQL. Parameters
// travel as text (blobs in binary), their types inferred by the server from where they stand;
// results are read as text (bytea decoded from its hex form, booleans as 1/0).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/sql_connection.h"

struct pg_conn;

namespace vigil {

/// Where a PostgreSQL database is and how to log in. The password is kept apart from the URL
/// and is never part of a message.
struct PgTarget {
  /// A libpq connection URI: postgresql://user@host:port/dbname?options (without a password).
  std::string url;
  std::string password;  // empty: none, or the URL's own / libpq's usual sources
};

/// The URL with any password in it replaced by "***", for messages and logs.
std::string RedactedPgUrl(const std::string& url);

/// V as a field of COPY's text format: backslash, tab, newline and carriage return escaped.
void AppendCopyText(std::string& out, std::string_view v);
/// Bytes as a bytea field of COPY's text format (`\\x` and hex digits).
void AppendCopyBytea(std::string& out, std::string_view v);

/// SQL with each `?` parameter outside string literals, quoted identifiers and comments
/// numbered $1, $2, ... in order; *COUNT is set to how many there are.
std::string NumberPgParameters(const std::string& sql, int* count);

class PgStatement;

class PgConnection final : public SqlConnection {
 public:
  /// Connects. Errors: kUnavailable "cannot connect to PostgreSQL at <redacted url>: <libpq's
  /// message>".
  static Result<std::unique_ptr<PgConnection>> Open(const PgTarget& target);
  ~PgConnection() override;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  SqlStatement* Prepare(const std::string& sql) override;
  Status Run(const std::string& sql) override;
  Status Exec(const char* sql) override;
  int64_t Changes() const override { return changes_; }
  std::string Error() const override { return error_; }
  /// The server's version as a number (150018 for 15.18).
  int ServerVersion() const;
  bool Healthy() const override;
  /// Inside a transaction that a failed statement aborted (only ROLLBACK works until then).
  bool InFailedTransaction() const;
  /// Connects again after the connection was lost (prepared statements are gone with it).
  Status Reconnect();

  /// Runs SQL, a `COPY table (columns) FROM STDIN` in text format, sending the rows FILL appends
  /// to its buffer (already escaped: see CopyTextField) chunk by chunk until FILL returns false.
  /// A FILL error ends the copy without storing anything of it and is returned; the server's
  /// refusal of a row is returned as Exec's errors are.
  Status CopyIn(const std::string& sql, const std::function<Result<bool>(std::string&)>& fill);

 private:
  friend class PgStatement;
  explicit PgConnection(pg_conn* conn);
  pg_conn* conn_;
  std::unordered_map<std::string, std::unique_ptr<PgStatement>> cache_;
  int64_t changes_ = 0;
  std::string error_;
  int next_name_ = 0;
};

}  // namespace vigil
