// The Store: Vigil's only durable state, as the write core (write_batch.h) and one query
// interface per purpose (report_queries.h, account_queries.h, search_queries.h, mail_queries.h,
// patch_queries.h, disclosure_queries.h). A service takes the narrowest of these it needs.
// Implementations: SqliteStore (embedded default) and PgStore (several instances on one database).
// Every implementation passes the contract tests in store/store_contract_test.cc.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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

/// A chain's head as a signed checkpoint recorded it.
struct CheckpointedHead {
  int64_t seq = 0;
  std::string hash;
  /// Which checkpoint recorded it, for messages: "checkpoint 12 of 2026-12-06T20:15:03Z".
  std::string where;
};
/// Chain name -> its head in the latest checkpoint that named the chain.
using CheckpointedHeads = std::map<std::string, CheckpointedHead>;

/// The heads of the chains that gained events since a cursor (see Store::ChainHeadsSince).
struct ChainHeadsDelta {
  struct Head {
    std::string chain;
    int64_t seq = 0;
    std::string hash;
  };
  /// By chain name; each chain once, at its newest event.
  std::vector<Head> heads;
  /// Pass to the next call: covers every event committed before this call.
  int64_t cursor = 0;
};

/// A run lock (Store::TryRunLock): held until destroyed, or until the process holding it dies.
class RunLock {
 public:
  virtual ~RunLock() = default;
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
  Result<AuditVerdict> VerifyAudit() { return VerifyAudit(CheckpointedHeads{}); }
  /// Also checks each chain against CHECKPOINTED: the chain must hold an event at the
  /// checkpointed seq with the checkpointed hash (a chain cut below it, or gone, is named as
  /// "CHAIN event N: missing (CHECKPOINT recorded event M)").
  virtual Result<AuditVerdict> VerifyAudit(const CheckpointedHeads& checkpointed) = 0;
  /// The newest event of every chain that gained events after CURSOR (0: every chain), read
  /// from one snapshot, and the cursor that covers them. Cheap when little changed: a
  /// checkpoint writer calls it every second.
  virtual Result<ChainHeadsDelta> ChainHeadsSince(int64_t cursor) = 0;
  /// Writes a consistent snapshot of the whole store to PATH while writes go on.
  virtual Status Backup(const std::string& path) = 0;
  /// Takes the lock NAME ([A-Za-z0-9._-], at most 128 bytes) for every process that uses this
  /// store (the CLI and every server instance on the same database). Without WAIT: nullptr when
  /// another holder has it; with WAIT: waits until it is free. A killed holder releases it
  /// (SQLite: a lock file next to the database; PostgreSQL: an advisory lock of a session of
  /// its own, which ends with the process). The lock must be released before the store is
  /// destroyed. Errors: kInvalidArgument for another NAME; kUnavailable when the lock cannot be
  /// asked for (a lock file that cannot be opened, a database that cannot be reached).
  virtual Result<std::unique_ptr<RunLock>> TryRunLock(const std::string& name,
                                                      bool wait = false) = 0;
};

/// Whether NAME may name a run lock (see Store::TryRunLock).
bool IsRunLockName(std::string_view name);

}  // namespace vigil
