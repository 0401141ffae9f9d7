// SQLite's part of the audit of projections (see sql_store_audit.cc): the row digest as the SQL
// function vigil_row_digest, and the TEMP triggers on the writer connection that report each
// audited row a batch touches (they are not part of the schema, so readers and other tools
// never see them).
#include <sqlite3.h>

#include <cstdio>

#include "store/sql_store.h"
#include "store/sqlite_query.h"
#include "store/sqlite_store.h"

namespace vigil {

namespace {

std::string Qualified(const std::string& prefix, const char* column) {
  return prefix.empty() ? std::string(column) : prefix + "." + column;
}

// vigil_row_digest(TABLE, VALUE...): the row digest (RowDigestBuilder) of the values, each with
// its SQLite type.
void RowDigest(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  RowDigestBuilder digest;
  for (int i = 0; i < argc; ++i) {
    sqlite3_value* v = argv[i];
    switch (sqlite3_value_type(v)) {
      case SQLITE_INTEGER:
        digest.Add('i', std::to_string(sqlite3_value_int64(v)));
        break;
      case SQLITE_FLOAT: {
        char buf[32];
        const int n = std::snprintf(buf, sizeof buf, "%.17g", sqlite3_value_double(v));
        digest.Add('f', std::string_view(buf, static_cast<size_t>(n)));
        break;
      }
      case SQLITE_NULL:
        digest.Add('n', "");
        break;
      case SQLITE_BLOB:
        digest.Add('b', std::string_view(static_cast<const char*>(sqlite3_value_blob(v)),
                                         static_cast<size_t>(sqlite3_value_bytes(v))));
        break;
      default:
        digest.Add('t', std::string_view(reinterpret_cast<const char*>(sqlite3_value_text(v)),
                                         static_cast<size_t>(sqlite3_value_bytes(v))));
    }
  }
  const std::string hex = digest.Hex();
  sqlite3_result_text(ctx, hex.data(), static_cast<int>(hex.size()), SQLITE_TRANSIENT);
}

// vigil_touched(TABLE, KEY, OWNER, DIGEST), called by the audit triggers: appends to the
// store's touched_rows_ (the function's user data).
template <typename Row>
void Touched(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto* rows = static_cast<std::vector<Row>*>(sqlite3_user_data(ctx));
  auto text = [&](int i) {
    const unsigned char* t = sqlite3_value_text(argv[i]);
    return t ? std::string(reinterpret_cast<const char*>(t),
                           static_cast<size_t>(sqlite3_value_bytes(argv[i])))
             : std::string();
  };
  rows->push_back({text(0), text(1), text(2), text(3)});
  sqlite3_result_null(ctx);
}

}  // namespace

std::string SqliteRowDigestSql(const AuditedTable& t, const std::string& prefix) {
  std::string out = std::string("vigil_row_digest('") + t.name + "'";
  for (const auto& [column, type] : t.columns) out += ", " + Qualified(prefix, column);
  return out + ")";
}

Status RegisterRowDigest(sqlite3* db) {
  const int rc =
      sqlite3_create_function_v2(db, "vigil_row_digest", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                 nullptr, &RowDigest, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return Status::Internal(std::string("cannot register vigil_row_digest: ") + sqlite3_errstr(rc));
  }
  return Status::Ok();
}

Status SqliteStore::InstallAuditTriggers() {
  SqliteConnection& w = *writer_;
  const int rc = sqlite3_create_function_v2(w.db(), "vigil_touched", 4, SQLITE_UTF8, &touched_rows_,
                                            &Touched<TouchedRow>, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return Status::Internal(std::string("cannot register vigil_touched: ") + sqlite3_errstr(rc));
  }
  std::string sql;
  for (const AuditedTable& t : AuditedTables()) {
    const std::string name = t.name;
    auto row = [&](const std::string& prefix, bool present) {
      return "SELECT vigil_touched('" + name + "', " + AuditKeySql(t, prefix) + ", " +
             AuditOwnerSql(t, prefix) + ", " +
             (present ? SqliteRowDigestSql(t, prefix) : std::string("''")) + ");";
    };
    sql += "CREATE TEMP TRIGGER IF NOT EXISTS audit_insert_" + name + " AFTER INSERT ON main." +
           name + " BEGIN " + row("NEW", true) + " END;";
    // The old key first: an update that changes the key leaves the old one deleted.
    sql += "CREATE TEMP TRIGGER IF NOT EXISTS audit_update_" + name + " AFTER UPDATE ON main." +
           name + " BEGIN " + row("OLD", false) + row("NEW", true) + " END;";
    sql += "CREATE TEMP TRIGGER IF NOT EXISTS audit_delete_" + name + " AFTER DELETE ON main." +
           name + " BEGIN " + row("OLD", false) + " END;";
  }
  return w.Exec(sql.c_str());
}

}  // namespace vigil
