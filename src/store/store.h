// The Store: Vigil's only durable state, as the write core (write_batch.h) and one query
// interface per purpose (report_queries.h, account_queries.h, search_queries.h, mail_queries.h,
// patch_queries.h, disclosure_queries.h). A service takes the narrowest of these it needs.
// Implementations: SqliteStore (embedded default); PostgreSQL to follow (keep SQL portable).
// Every implementation passes the contract tests in store/store_contract_test.cc.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "store/account_queries.h"
#include "store/disclosure_queries.h"
#include "store/mail_queries.h"
#include "store/patch_queries.h"
#include "store/report_queries.h"
#include "store/search_queries.h"
#include "store/write_batch.h"

namespace vigil {

/// The result of checking every hash chain.
struct AuditVerdict {
  bool ok = true;
  int64_t chains = 0;
  int64_t events = 0;
  /// For a broken chain: "SEC-2026-0001 event 3: hash does not match its content".
  std::string first_broken;
};

class Store : public StoreWriter,
              public ReportQueries,
              public AccountQueries,
              public SearchQueries,
              public MailQueries,
              public PatchQueries,
              public DisclosureQueries {
 public:
  ~Store() override = default;
  /// Recomputes every chain and compares with the stored hashes.
  virtual Result<AuditVerdict> VerifyAudit() = 0;
  /// Writes a consistent snapshot of the whole store to PATH while writes go on.
  virtual Status Backup(const std::string& path) = 0;
};

}  // namespace vigil
