#include "service/database_files.h"

namespace vigil {

Status DatabaseFiles::Create(const std::string& path) const { return open_(path).status(); }

Status DatabaseFiles::Backup(const std::string& db, const std::string& to) const {
  Result<std::unique_ptr<Store>> store = open_(db);
  VIGIL_RETURN_IF_ERROR(store.status());
  return (*store)->Backup(to);
}

Result<AuditVerdict> DatabaseFiles::VerifyAudit(const std::string& path,
                                                const CheckpointedHeads& checkpointed) const {
  Result<std::unique_ptr<Store>> store = open_(path);
  VIGIL_RETURN_IF_ERROR(store.status());
  return (*store)->VerifyAudit(checkpointed);
}

}  // namespace vigil
