// PgConnection: libpq behind SqlConnection (see pg_connection.h).
#include "store/pg_connection.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace vigil {

namespace {

std::string Trimmed(const char* message) {
  std::string out = message ? message : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out.empty() ? "unknown error" : out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The server's primary message for a failed result, or FALLBACK (the connection's message).
std::string PrimaryMessage(const PGresult* res, const std::string& fallback) {
  const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  return primary ? std::string(primary) : fallback;
}

// The status for a failed result: by SQLSTATE, with the server's primary message.
Status ResultError(const PGresult* res, const std::string& fallback) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = "storage: " + PrimaryMessage(res, fallback);
  if (state != nullptr) {
    if (std::strcmp(state, "23505") == 0) return Status::Conflict(std::move(message));
    // A serialization failure or a deadlock: the transaction is retried by its caller.
    if (std::strcmp(state, "40001") == 0 || std::strcmp(state, "40P01") == 0) {
      return Status::Aborted(std::move(message));
    }
  }
  return Status::Unavailable(std::move(message));
}

bool ResultOk(const PGresult* res) {
  const ExecStatusType s = PQresultStatus(res);
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

}  // namespace

std::string RedactedPgUrl(const std::string& url) {
  // postgresql://user:secret@host -> postgresql://user:***@host
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t at = url.find('@', scheme + 3);
  const size_t slash = url.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return url;
  const size_t colon = url.find(':', scheme + 3);
  std::string out = url;
  if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  // A password given as a query option is hidden too.
  const size_t opt = out.find("password=");
  if (opt != std::string::npos) {
    const size_t end = out.find('&', opt);
    out.replace(opt + 9, (end == std::string::npos ? out.size() : end) - opt - 9, "***");
  }
  return out;
}

std::string NumberPgParameters(const std::string& sql, int* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {  // a literal or a quoted identifier, doubled quotes inside
      const size_t end = sql.find(c, i + 1);
      const size_t stop = end == std::string::npos ? sql.size() : end + 1;
      out.append(sql, i, stop - i);
      i = stop - 1;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const size_t end = sql.find('\n', i);
      const size_t stop = end == std::string::npos ? sql.size() : end;
      out.append(sql, i, stop - i);
      i = stop - 1;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const size_t end = sql.find("*/", i + 2);
      const size_t stop = end == std::string::npos ? sql.size() : end + 2;
      out.append(sql, i, stop - i);
      i = stop - 1;
    } else if (c == '?' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      // ?NNN, SQLite's numbered parameter: the same number.
      size_t end = i + 1;
      while (end < sql.size() && sql[end] >= '0' && sql[end] <= '9') ++end;
      const int number = std::atoi(sql.substr(i + 1, end - i - 1).c_str());
      out += '$';
      out.append(sql, i + 1, end - i - 1);
      n = std::max(n, number);
      i = end - 1;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  if (count != nullptr) *count = n;
  return out;
}

class PgStatement final : public SqlStatement {
 public:
  PgStatement(PgConnection& conn, std::string name, int params)
      : conn_(conn), name_(std::move(name)), values_(params), binary_(params, false) {}
  ~PgStatement() override { Clear(); }
  PgStatement(const PgStatement&) = delete;
  PgStatement& operator=(const PgStatement&) = delete;

  void BindText(int i, std::string_view v) override {
    // A text parameter travels as a C string: a NUL would cut it short, silently. Refused.
    if (v.find('\0') != std::string_view::npos) {
      failed_ = true;
      error_ = Status::Invalid("storage: text with a NUL byte cannot be stored in PostgreSQL");
      conn_.error_ = error_.message();
      return;
    }
    Set(i, std::string(v), false);
  }
  void BindBlob(int i, std::string_view v) override { Set(i, std::string(v), true); }
  void BindInt(int i, int64_t v) override { Set(i, std::to_string(v), false); }

  bool Step() override {
    if (failed_) return false;
    if (result_ == nullptr) {
      std::vector<const char*> values(values_.size());
      std::vector<int> lengths(values_.size()), formats(values_.size());
      for (size_t i = 0; i < values_.size(); ++i) {
        values[i] = values_[i] ? values_[i]->c_str() : nullptr;
        lengths[i] = values_[i] ? static_cast<int>(values_[i]->size()) : 0;
        formats[i] = binary_[i] ? 1 : 0;
      }
      result_ = PQexecPrepared(conn_.conn_, name_.c_str(), static_cast<int>(values.size()),
                               values.data(), lengths.data(), formats.data(), 0);
      if (!ResultOk(result_)) {
        failed_ = true;
        const std::string fallback = Trimmed(PQerrorMessage(conn_.conn_));
        error_ = ResultError(result_, fallback);
        conn_.error_ = PrimaryMessage(result_, fallback);
        return false;
      }
      const char* changed = PQcmdTuples(result_);
      conn_.changes_ = (changed && *changed) ? std::strtoll(changed, nullptr, 10) : 0;
      row_ = -1;
    }
    return ++row_ < PQntuples(result_);
  }
  bool failed() const override { return failed_; }
  Status Error() const override { return error_; }
  std::string Text(int col) const override {
    if (PQgetisnull(result_, row_, col)) return std::string();
    return std::string(PQgetvalue(result_, row_, col),
                       static_cast<size_t>(PQgetlength(result_, row_, col)));
  }
  std::string Blob(int col) const override {
    std::string text = Text(col);
    if (PQftype(result_, col) != kByteaOid || text.size() < 2 || text[0] != '\\' ||
        text[1] != 'x') {
      return text;  // not a bytea: as text, like SQLite reads a text column as a blob
    }
    std::string out;
    out.reserve((text.size() - 2) / 2);
    for (size_t i = 2; i + 1 < text.size(); i += 2) {
      out += static_cast<char>(HexValue(text[i]) * 16 + HexValue(text[i + 1]));
    }
    return out;
  }
  int64_t Int(int col) const override {
    if (PQgetisnull(result_, row_, col)) return 0;
    const char* v = PQgetvalue(result_, row_, col);
    if (v[0] == 't' && v[1] == '\0') return 1;  // boolean
    if (v[0] == 'f' && v[1] == '\0') return 0;
    return std::strtoll(v, nullptr, 10);
  }
  void Reset() override {
    Clear();
    for (auto& v : values_) v.reset();
    for (size_t i = 0; i < binary_.size(); ++i) binary_[i] = false;
  }

 private:
  static constexpr Oid kByteaOid = 17;
  void Set(int i, std::string v, bool binary) {
    if (i < 1 || static_cast<size_t>(i) > values_.size()) return;  // as SQLite: ignored
    values_[i - 1] = std::move(v);
    binary_[i - 1] = binary;
  }
  void Clear() {
    if (result_ != nullptr) PQclear(result_);
    result_ = nullptr;
    failed_ = false;
    error_ = Status::Ok();
    row_ = -1;
  }

  PgConnection& conn_;
  std::string name_;
  std::vector<std::optional<std::string>> values_;
  std::vector<bool> binary_;
  PGresult* result_ = nullptr;
  int row_ = -1;
  bool failed_ = false;
  Status error_;
};

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const PgTarget& target) {
  std::vector<const char*> keys = {"dbname", "application_name", "connect_timeout",
                                   "client_encoding"};
  std::vector<const char*> values = {target.url.c_str(), "vigil", "10", "UTF8"};
  if (!target.password.empty()) {
    keys.push_back("password");
    values.push_back(target.password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  pg_conn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) {
    return Status::Unavailable("cannot connect to PostgreSQL at " + RedactedPgUrl(target.url) +
                               ": out of memory");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return Status::Unavailable("cannot connect to PostgreSQL at " + RedactedPgUrl(target.url) +
                               ": " + message);
  }
  // Notices ("relation ... already exists, skipping") are not errors: not printed on stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  std::unique_ptr<PgConnection> out(new PgConnection(conn));
  // Times never leave the server as text; UTC all the same.
  VIGIL_RETURN_IF_ERROR(out->Exec("SET TIME ZONE 'UTC'"));
  return out;
}

PgConnection::PgConnection(pg_conn* conn) : conn_(conn) {}

PgConnection::~PgConnection() {
  cache_.clear();
  PQfinish(conn_);
}

int PgConnection::ServerVersion() const { return PQserverVersion(conn_); }

bool PgConnection::Healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

bool PgConnection::InFailedTransaction() const {
  return PQtransactionStatus(conn_) == PQTRANS_INERROR;
}

Status PgConnection::Reconnect() {
  cache_.clear();
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    error_ = Trimmed(PQerrorMessage(conn_));
    return Status::Unavailable("storage: cannot connect to PostgreSQL again: " + error_);
  }
  return Exec("SET TIME ZONE 'UTC'");
}

SqlStatement* PgConnection::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  int params = 0;
  const std::string numbered = NumberPgParameters(sql, &params);
  std::string name = "v" + std::to_string(++next_name_);
  PGresult* res = PQprepare(conn_, name.c_str(), numbered.c_str(), params, nullptr);
  const bool ok = ResultOk(res);
  if (!ok) error_ = PrimaryMessage(res, Trimmed(PQerrorMessage(conn_)));
  PQclear(res);
  if (!ok) return nullptr;
  return cache_.emplace(sql, std::make_unique<PgStatement>(*this, std::move(name), params))
      .first->second.get();
}

Status PgConnection::Run(const std::string& sql) { return Exec(sql.c_str()); }

Status PgConnection::Exec(const char* sql) {
  PGresult* res = PQexec(conn_, sql);
  Status status = Status::Ok();
  if (!ResultOk(res)) {
    const std::string fallback = Trimmed(PQerrorMessage(conn_));
    status = ResultError(res, fallback);
    error_ = PrimaryMessage(res, fallback);
  } else {
    const char* changed = PQcmdTuples(res);
    changes_ = (changed && *changed) ? std::strtoll(changed, nullptr, 10) : 0;
  }
  PQclear(res);
  return status;
}

Status PgConnection::CopyIn(const std::string& sql,
                            const std::function<Result<bool>(std::string&)>& fill) {
  PGresult* res = PQexec(conn_, sql.c_str());
  if (PQresultStatus(res) != PGRES_COPY_IN) {
    const std::string fallback = Trimmed(PQerrorMessage(conn_));
    Status status = ResultOk(res) ? Status::Internal("not a COPY FROM STDIN: " + sql)
                                  : ResultError(res, fallback);
    error_ = status.message();
    PQclear(res);
    return status;
  }
  PQclear(res);
  Status failed = Status::Ok();
  std::string chunk;
  for (;;) {
    chunk.clear();
    Result<bool> more = fill(chunk);
    if (!more.ok()) {
      failed = more.status();
      break;
    }
    if (!chunk.empty() && PQputCopyData(conn_, chunk.data(), static_cast<int>(chunk.size())) != 1) {
      break;  // the connection's error is read below
    }
    if (!*more) break;
  }
  if (PQputCopyEnd(conn_, failed.ok() ? nullptr : "the source failed") != 1 && failed.ok()) {
    failed = Status::Unavailable("storage: " + Trimmed(PQerrorMessage(conn_)));
  }
  Status status = Status::Ok();
  while ((res = PQgetResult(conn_)) != nullptr) {
    if (!ResultOk(res) && status.ok()) {
      const std::string fallback = Trimmed(PQerrorMessage(conn_));
      status = ResultError(res, fallback);
      error_ = PrimaryMessage(res, fallback);
      // Which row and column: "COPY reports, line 2, column subject: ..." (the value cut).
      if (const char* where = PQresultErrorField(res, PG_DIAG_CONTEXT)) {
        std::string context = Trimmed(where);
        if (const size_t value = context.find(": \""); value != std::string::npos) {
          context.resize(value);
        }
        status = Status(status.code(), status.message() + " (" + context + ")");
      }
    } else if (ResultOk(res)) {
      const char* changed = PQcmdTuples(res);
      changes_ = (changed && *changed) ? std::strtoll(changed, nullptr, 10) : 0;
    }
    PQclear(res);
  }
  return failed.ok() ? status : failed;
}

void AppendCopyText(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

void AppendCopyBytea(std::string& out, std::string_view v) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\\\x";
  for (unsigned char c : v) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
}

}  // namespace vigil
