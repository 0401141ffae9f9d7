// Moving a project from the embedded SQLite store to PostgreSQL (`vigil migrate-data`): every
// table the two engines share is copied (COPY, table by table) from one read snapshot of the
// source, in one transaction on the destination, and the hash chains are verified on arrival.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/pg_connection.h"
#include "store/sqlite_store.h"

namespace vigil {

struct StoreCopy {
  struct Table {
    std::string name;
    int64_t rows = 0;
  };
  std::vector<Table> tables;  // in the order copied
  int64_t rows = 0;
  AuditVerdict verdict;  // of the destination, after the copy
};

/// Copies SOURCE (one snapshot: writes it takes after that are not copied) into the PostgreSQL
/// database TARGET, migrating its schema first. The destination must hold no project yet: it
/// stays as it was unless every row arrived (one transaction). Search rows are rebuilt by the
/// destination; failed logins and rate-limit counts are not copied. Errors: kConflict "<url>
/// already holds a project (N events); migrate-data copies into an empty database";
/// kUnavailable with PostgreSQL's message naming the table (text that is not UTF-8 or holds a
/// NUL byte cannot be stored as PostgreSQL text); kInternal when a table's row count differs
/// after the copy. A broken chain on arrival is reported in StoreCopy::verdict.
Result<StoreCopy> CopyIntoPostgres(SqliteStore& source, const PgTarget& target);

}  // namespace vigil
