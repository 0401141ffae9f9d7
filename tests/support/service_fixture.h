// ServiceFixture: the base of the tests that run Vigil's services on a store of their own, with
// a fake clock at kT0: SQLite in a temporary folder, or, when VIGIL_TEST_BACKEND=postgres (the
// *_postgres tests run the same programs so, under scripts/with-postgres.sh), a fresh database
// on the test's PostgreSQL. Test-only; header-only.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/access.h"
#include "core/time.h"
#include "service/patch_service.h"
#include "service/report_service.h"
#include "store/audit_chain.h"
#include "store/pg_store.h"
#include "store/sqlite_query.h"
#include "store/sqlite_store.h"
#include "support/postgres.h"
#include "support/temp_dir.h"

namespace vigil::testing {

/// The instant the service tests start at: Mon 2026-09-21 14:13:20 UTC.
inline constexpr Instant kT0 = 1'790'000'000LL * kMicrosPerSecond;

/// A derived fixture sets config_ in its SetUp, then calls OpenServices() (under
/// ASSERT_NO_FATAL_FAILURE) and builds what it tests on store_, reports_ and patches_. A derived
/// TearDown closes what it built, then calls CloseServices(). The folder, with the database in
/// it, is removed after everything else.
class ServiceFixture : public ::testing::Test {
 protected:
  /// The database file, in the temporary folder (SQLite).
  std::string DatabasePath() const { return dir_.path() + "/vigil.db"; }
  /// Whether this run stores in PostgreSQL (VIGIL_TEST_BACKEND=postgres).
  static bool OnPostgres() {
    const char* backend = std::getenv("VIGIL_TEST_BACKEND");
    return backend != nullptr && std::string(backend) == "postgres";
  }

  /// The test's PostgreSQL database: named after its temporary folder.
  std::string PgDatabaseName() const { return "f_" + Sha256Hex(dir_.path()).substr(0, 24); }

  /// Opens the test's store: the SQLite file, or its PostgreSQL database (made on first use,
  /// named after the temporary folder), as it was left.
  void OpenStore() {
    if (!OnPostgres()) {
      Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(DatabasePath());
      ASSERT_TRUE(store.ok()) << store.status().message();
      store_ = std::move(store).value();
      return;
    }
    const PgTarget server = TestPgTarget();
    ASSERT_FALSE(server.url.empty())
        << "VIGIL_TEST_BACKEND=postgres needs scripts/with-postgres.sh";
    const std::string name = PgDatabaseName();
    if (!pg_created_) {
      Result<std::unique_ptr<PgConnection>> admin = PgConnection::Open(server);
      ASSERT_TRUE(admin.ok()) << admin.status().message();
      ASSERT_TRUE((*admin)->Exec(("CREATE DATABASE " + name).c_str()).ok()) << (*admin)->Error();
      pg_created_ = true;
    }
    Result<std::unique_ptr<PgStore>> store = PgStore::Open(WithDatabase(server, name));
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
  }

  /// Opens the store and the report and patch services on config_ (which they copy: later
  /// changes of config_ reach only what reads it by reference).
  void OpenServices() {
    ASSERT_TRUE(dir_.ok());
    // Key files (mail tags, TOTP, audit) go to the temp folder, never the working directory.
    if (config_.data_dir == Config{}.data_dir) config_.data_dir = dir_.path();
    ASSERT_NO_FATAL_FAILURE(OpenStore());
    reports_ = std::make_unique<ReportService>(*store_, clock_, config_);
    patches_ = std::make_unique<PatchService>(*store_, clock_, config_);
  }

  /// The first column of the first row SQL reads straight from the database, apart from the
  /// store (a new connection to the file or the server), "" when there is none.
  std::string RawFirstValue(const std::string& sql) {
    std::unique_ptr<SqlConnection> c;
    if (OnPostgres()) {
      Result<std::unique_ptr<PgConnection>> pg =
          PgConnection::Open(WithDatabase(TestPgTarget(), PgDatabaseName()));
      EXPECT_TRUE(pg.ok()) << pg.status().message();
      if (!pg.ok()) return "";
      c = std::move(pg).value();
    } else {
      sqlite3* db = nullptr;
      EXPECT_EQ(sqlite3_open_v2(DatabasePath().c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
                SQLITE_OK);
      c = std::make_unique<SqliteConnection>(db);
    }
    Result<std::optional<std::string>> v =
        FirstRow(*c, sql, [](const Query& q) { return q.Text(0); });
    EXPECT_TRUE(v.ok()) << v.status().message();
    return v.ok() && v->has_value() ? **v : "";
  }

  /// Closes the services, then the store they write to.
  void CloseServices() {
    patches_.reset();
    reports_.reset();
    store_.reset();
  }

  void TearDown() override { CloseServices(); }

  TempDir dir_;
  FakeClock clock_{kT0};
  Config config_;
  std::unique_ptr<Store> store_;
  bool pg_created_ = false;
  std::unique_ptr<ReportService> reports_;
  std::unique_ptr<PatchService> patches_;
  /// The local operator (the CLI's root): full rights.
  const Principal local_{Principal::Kind::kLocal, "root"};
};

}  // namespace vigil::testing
