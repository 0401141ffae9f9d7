// The store's contract as tests: every Store implementation runs the very same suite
// (store_contract_*_test.cc), instantiated once per backend with a StoreBackend that opens it.
// What is specific to one engine (SQLite's WAL, tampering with its file) stays in that engine's
// own tests.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "core/status.h"
#include "core/time.h"
#include "store/store.h"

namespace vigil::contract {

/// One backend under test.
struct StoreBackend {
  std::string name;  // the instantiation's name: "Sqlite", "Postgres"
  /// Opens the store kept under DIR (an empty directory the first time); opening the same DIR
  /// again must see everything acknowledged before the previous store was destroyed.
  std::function<Result<std::unique_ptr<Store>>(const std::string& dir)> open;
};

inline void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

inline constexpr Instant kT0 = 1'790'000'000LL * kMicrosPerSecond;  // 2026-09-21 UTC
inline constexpr char kReporter[] = "rita@example.org";

class StoreContract : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override;
  void TearDown() override;
  /// Destroys the store (draining its queue) and opens it again on the same data.
  void Reopen();
  Store& store() { return *store_; }

  /// A new report (expected_version 0) by kReporter with one capability token (the SHA-256 of
  /// TOKEN), its submission event and one outbox mail.
  WriteBatch NewReport(const std::string& subject, const std::string& token = "");
  /// Writes NewReport(SUBJECT) and returns its id (fails the test on error).
  std::string Submit(const std::string& subject);
  /// A batch that changes report ID: its current projection, at its current version.
  WriteBatch Change(const std::string& id);
  /// Appends one event of KIND to report ID's chain (through Change) and returns the result.
  Result<WriteResult> Append(const std::string& id, const std::string& kind,
                             const std::string& actor = "cli:test");

  std::string dir_;
  std::unique_ptr<Store> store_;
};

/// The SHA-256 (hex) of TEXT, as the store keeps token hashes.
std::string HashOf(const std::string& text);

}  // namespace vigil::contract
