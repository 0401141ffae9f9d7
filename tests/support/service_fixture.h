// ServiceFixture: the base of the tests that run Vigil's services on a SQLite store in a
// temporary folder, with a fake clock at kT0. Test-only; header-only.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "config/config.h"
#include "core/access.h"
#include "core/time.h"
#include "service/patch_service.h"
#include "service/report_service.h"
#include "store/sqlite_store.h"
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
  /// The database file, in the temporary folder.
  std::string DatabasePath() const { return dir_.path() + "/vigil.db"; }

  /// Opens the store and the report and patch services on config_ (which they copy: later
  /// changes of config_ reach only what reads it by reference).
  void OpenServices() {
    ASSERT_TRUE(dir_.ok());
    // Key files (mail tags, TOTP, audit) go to the temp folder, never the working directory.
    if (config_.data_dir == Config{}.data_dir) config_.data_dir = dir_.path();
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(DatabasePath());
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
    reports_ = std::make_unique<ReportService>(*store_, clock_, config_);
    patches_ = std::make_unique<PatchService>(*store_, clock_, config_);
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
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<ReportService> reports_;
  std::unique_ptr<PatchService> patches_;
  /// The local operator (the CLI's root): full rights.
  const Principal local_{Principal::Kind::kLocal, "root"};
};

}  // namespace vigil::testing
