// DatabaseFiles: the operator's work on database files themselves, for the commands that handle
// the file rather than the project in it: create one (`vigil init`), write a consistent snapshot
// (`vigil backup`, and the copy `vigil restore` keeps aside), and check a file's audit chains
// (`vigil audit verify`, and a backup before `vigil restore` trusts it).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "store/store.h"

namespace vigil {

class DatabaseFiles {
 public:
  /// Opens (creating it when missing) the database file at PATH with the store implementation.
  using Opener = std::function<Result<std::unique_ptr<Store>>(const std::string& path)>;

  explicit DatabaseFiles(Opener open) : open_(std::move(open)) {}

  /// Creates the database at PATH (with its schema) unless it exists. Errors: the store's.
  Status Create(const std::string& path) const;
  /// Writes a consistent snapshot of the database at DB to TO, safe while a server writes DB.
  Status Backup(const std::string& db, const std::string& to) const;
  /// Recomputes every hash chain of the database at PATH, and checks each against CHECKPOINTED
  /// (ReplayAuditLog; empty: no checkpoint log). Errors: the store's.
  Result<AuditVerdict> VerifyAudit(const std::string& path,
                                   const CheckpointedHeads& checkpointed = {}) const;

 private:
  Opener open_;
};

}  // namespace vigil
