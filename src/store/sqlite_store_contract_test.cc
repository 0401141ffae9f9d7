// The store contract suite, run against the embedded SQLite backend.
#include "store/sqlite_store.h"
#include "store/store_contract.h"

namespace vigil::contract {
namespace {

Result<std::unique_ptr<Store>> OpenSqlite(const std::string& dir) {
  Result<std::unique_ptr<SqliteStore>> s = SqliteStore::Open(dir + "/vigil.db");
  if (!s.ok()) return s.status();
  return std::unique_ptr<Store>(std::move(s).value());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract,
                         ::testing::Values(StoreBackend{"Sqlite", OpenSqlite}),
                         [](const ::testing::TestParamInfo<StoreBackend>& backend) {
                           return backend.param.name;
                         });

}  // namespace
}  // namespace vigil::contract
