#include "store/store_copy.h"

#include <map>
#include <set>

#include "store/pg_store.h"
#include "store/sql_connection.h"

namespace vigil {
namespace {

struct PgColumn {
  std::string name;
  std::string type;        // information_schema's data_type: "bigint", "text", "bytea", ...
  bool identity = false;   // BY DEFAULT identity: its sequence is moved past the copied ids
  bool generated = false;  // ALWAYS identity or generated: PostgreSQL fills it
};

// What only one engine has, or what is not worth moving.
bool LeftBehind(const std::string& table) {
  return table == "schema_migrations" || table == "limit_hits" || table == "search_pending" ||
         table.starts_with("report_search") || table.starts_with("search_");
}

std::string Joined(const std::vector<std::string>& names, const std::string& each = "") {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += each.empty() ? n : each;
  }
  return out;
}

Result<std::map<std::string, std::vector<PgColumn>>> PgColumns(SqlConnection& pg) {
  std::map<std::string, std::vector<PgColumn>> out;
  VIGIL_RETURN_IF_ERROR(EachRow(
      pg,
      "SELECT table_name::text, column_name::text, data_type::text, is_identity::text, "
      "COALESCE(identity_generation::text, ''), is_generated::text FROM "
      "information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, "
      "ordinal_position",
      [&](const Query& q) {
        PgColumn c;
        c.name = q.Text(1);
        c.type = q.Text(2);
        c.identity = q.Text(3) == "YES" && q.Text(4) == "BY DEFAULT";
        c.generated = (q.Text(3) == "YES" && q.Text(4) == "ALWAYS") || q.Text(5) == "ALWAYS";
        out[q.Text(0)].push_back(c);
      }));
  return out;
}

// Copies TABLE's COLUMNS from SRC (ordered as written) to PG with one COPY, each field written as
// PostgreSQL stores it; the rows go in chunks of about a megabyte.
Result<int64_t> CopyTable(SqlConnection& src, PgConnection& pg, const std::string& table,
                          const std::vector<PgColumn>& columns) {
  enum class Kind { kInt, kBytes, kText };
  std::vector<std::string> names;
  std::vector<Kind> kinds;
  for (const PgColumn& c : columns) {
    names.push_back(c.name);
    kinds.push_back(c.type == "bigint" || c.type == "integer" || c.type == "smallint" ? Kind::kInt
                    : c.type == "bytea"                                               ? Kind::kBytes
                                        : Kind::kText);
  }
  Query read(src, "SELECT " + Joined(names) + " FROM " + table + " ORDER BY rowid");
  int64_t rows = 0;
  Status s = pg.CopyIn("COPY " + table + " (" + Joined(names) + ") FROM STDIN",
                       [&](std::string& chunk) -> Result<bool> {
                         while (chunk.size() < (1 << 20)) {
                           if (!read.Step()) {
                             VIGIL_RETURN_IF_ERROR(read.status());
                             return false;
                           }
                           for (size_t i = 0; i < kinds.size(); ++i) {
                             const int at = static_cast<int>(i);
                             if (i > 0) chunk += '\t';
                             switch (kinds[i]) {
                               case Kind::kInt:
                                 chunk += std::to_string(read.Int(at));
                                 break;
                               case Kind::kBytes:
                                 AppendCopyBytea(chunk, read.Blob(at));
                                 break;
                               case Kind::kText:
                                 AppendCopyText(chunk, read.Text(at));
                                 break;
                             }
                           }
                           chunk += '\n';
                           ++rows;
                         }
                         return true;
                       });
  if (!s.ok()) return Status::Unavailable("cannot copy the rows of " + table + ": " + s.message());
  return rows;
}

}  // namespace

Result<StoreCopy> CopyIntoPostgres(SqliteStore& source, const PgTarget& target) {
  const std::string where = RedactedPgUrl(target.url);
  // Opening the store migrates the destination's schema (and its audit and search triggers).
  Result<std::unique_ptr<PgStore>> dest = PgStore::Open(target);
  if (!dest.ok()) return dest.status();
  Result<std::unique_ptr<PgConnection>> opened = PgConnection::Open(target);
  if (!opened.ok()) return opened.status();
  PgConnection& pg = **opened;
  Result<int64_t> events = IntOrDefault(pg, "SELECT COUNT(*) FROM events", 0);
  if (!events.ok()) return events.status();
  if (*events > 0) {
    return Status::Conflict(where + " already holds a project (" + std::to_string(*events) +
                            " events); migrate-data copies into an empty database");
  }
  Result<std::map<std::string, std::vector<PgColumn>>> pg_columns = PgColumns(pg);
  if (!pg_columns.ok()) return pg_columns.status();

  StoreCopy out;
  VIGIL_RETURN_IF_ERROR(pg.Exec("BEGIN"));
  // The audit triggers record what a transaction touches in this session's table; the copy
  // brings the audit log as it is, so they are off while it runs (in this transaction only:
  // ALTER TABLE is transactional) and on again before it commits.
  VIGIL_RETURN_IF_ERROR(pg.Exec(kPgTouchedTableSql));
  Result<std::vector<std::string>> audited =
      Rows(pg,
           "SELECT c.relname::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
           "WHERE t.tgname = 'vigil_audit' AND c.relnamespace = (SELECT oid FROM pg_namespace "
           "WHERE nspname = "
           "current_schema())",
           [](const Query& q) { return q.Text(0); });
  if (!audited.ok()) {
    (void)pg.Exec("ROLLBACK");
    return audited.status();
  }
  for (const std::string& table : *audited) {
    Status off = pg.Run("ALTER TABLE " + table + " DISABLE TRIGGER vigil_audit");
    if (!off.ok()) {
      (void)pg.Exec("ROLLBACK");
      return off;
    }
  }
  Status copied = source.ReadSnapshot([&](SqlConnection& src) -> Status {
    // In the order the tables were created: a table comes after the tables it refers to.
    Result<std::vector<std::string>> tables =
        Rows(src,
             "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
             "ORDER BY rowid",
             [](const Query& q) { return q.Text(0); });
    VIGIL_RETURN_IF_ERROR(tables.status());
    for (const std::string& table : *tables) {
      auto on_pg = pg_columns->find(table);
      if (LeftBehind(table) || on_pg == pg_columns->end()) continue;
      std::set<std::string> in_sqlite;
      VIGIL_RETURN_IF_ERROR(EachRow(
          src, "SELECT name FROM pragma_table_info(?)",
          [&](const Query& q) { in_sqlite.insert(q.Text(0)); }, table));
      std::vector<PgColumn> columns;
      for (const PgColumn& c : on_pg->second) {
        if (!c.generated && in_sqlite.count(c.name)) columns.push_back(c);
      }
      Result<int64_t> rows = CopyTable(src, pg, table, columns);
      VIGIL_RETURN_IF_ERROR(rows.status());
      out.tables.push_back({table, *rows});
      out.rows += *rows;
    }
    return Status::Ok();
  });
  if (copied.ok()) {
    // Ids given from now on continue after the copied ones.
    for (const auto& [table, columns] : *pg_columns) {
      for (const PgColumn& c : columns) {
        if (!c.identity || copied.code() != Code::kOk) continue;
        copied =
            pg.Run("SELECT setval(pg_get_serial_sequence('" + table + "', '" + c.name +
                   "'), COALESCE((SELECT MAX(" + c.name + ") FROM " + table + "), 0) + 1, false)");
      }
    }
  }
  for (const std::string& table : *audited) {
    if (copied.ok()) copied = pg.Run("ALTER TABLE " + table + " ENABLE TRIGGER vigil_audit");
  }
  if (!copied.ok()) {
    (void)pg.Exec("ROLLBACK");
    return copied;
  }
  VIGIL_RETURN_IF_ERROR(pg.Exec("COMMIT"));
  // The planner's statistics of the new rows now, not when autovacuum gets to them (without
  // them the first queries on a large copy choose their plans blind), and the rows marked
  // visible to all: otherwise the first reads of each page write it again (hint bits) and
  // autovacuum rewrites the tables while the instances start serving.
  VIGIL_RETURN_IF_ERROR(pg.Exec("VACUUM (ANALYZE)"));
  for (const StoreCopy::Table& t : out.tables) {
    Result<int64_t> n = IntOrDefault(pg, "SELECT COUNT(*) FROM " + t.name, 0);
    if (!n.ok()) return n.status();
    if (*n != t.rows) {
      return Status::Internal(t.name + ": " + std::to_string(t.rows) + " rows copied, " +
                              std::to_string(*n) + " found in " + where);
    }
  }
  Result<AuditVerdict> verdict = (*dest)->VerifyAudit();
  if (!verdict.ok()) return verdict.status();
  out.verdict = *verdict;
  return out;
}

}  // namespace vigil
