// The store contract suite, run against PostgreSQL (the server scripts/with-postgres.sh
// started). Each test directory gets a database of its own, named after the directory, so that
// opening the same directory again opens the same database.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "store/audit_chain.h"
#include "store/pg_store.h"
#include "store/store_contract.h"
#include "support/postgres.h"

namespace vigil::contract {
namespace {

Result<std::unique_ptr<Store>> OpenPostgres(const std::string& dir) {
  const PgTarget server = testing::TestPgTarget();
  if (server.url.empty()) {
    return Status::Unavailable("run through scripts/with-postgres.sh (VIGIL_TEST_PG_URL is unset)");
  }
  const std::string name = "t_" + Sha256Hex(dir).substr(0, 24);
  {
    Result<std::unique_ptr<PgConnection>> admin = PgConnection::Open(server);
    if (!admin.ok()) return admin.status();
    Result<int64_t> exists =
        IntOrDefault(**admin, "SELECT COUNT(*) FROM pg_database WHERE datname = ?", 0, name);
    if (!exists.ok()) return exists.status();
    if (*exists == 0) VIGIL_RETURN_IF_ERROR((*admin)->Exec(("CREATE DATABASE " + name).c_str()));
  }
  Result<std::unique_ptr<PgStore>> s = PgStore::Open(testing::WithDatabase(server, name));
  if (!s.ok()) return s.status();
  return std::unique_ptr<Store>(std::move(s).value());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract,
                         ::testing::Values(StoreBackend{"Postgres", OpenPostgres}),
                         [](const ::testing::TestParamInfo<StoreBackend>& backend) {
                           return backend.param.name;
                         });

}  // namespace
}  // namespace vigil::contract
