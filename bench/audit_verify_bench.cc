// Benchmark (not a test): `vigil audit verify` on a large store. Writes EVENTS events through
// the store (reports of 10 events each, with their participants and a thread message, as
// submissions and triage leave them), then times SqliteStore::VerifyAudit: every chain's hashes
// and links, and every audited row against the digests its chain recorded. Prints the event log
// size, the time and MB/s (the target is >= 200 MB/s of event log), and, as the ceiling on the
// same machine, OpenSSL SHA-256 over the same number of bytes. Then checks that the untouched
// store verifies and that a participant row inserted behind the store's back is named: exits 1,
// naming what failed, if not (never on a figure).
// Usage: audit_verify_bench [--quick] [EVENTS=1000000] [DIR=a new temporary folder]
//   --quick: EVENTS defaults to 20,000, the mode the test bench_quick_audit_verify runs.
#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <future>
#include <string>

#include "store/audit_chain.h"
#include "store/sqlite_store.h"

namespace {

using vigil::Instant;
using vigil::kMicrosPerSecond;

constexpr Instant kT0 = 1'790'000'000LL * kMicrosPerSecond;
constexpr int kEventsPerReport = 10;

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

vigil::WriteBatch NewReport(int n) {
  vigil::Report r;
  r.fields.subject = "Heap overflow in the flow exporter #" + std::to_string(n);
  r.fields.steps = std::string(600, 's');
  r.fields.effects_cluster = "A crafted IPFIX template crashes the agent on every node.";
  r.created_at = r.updated_at = kT0 + n;
  r.embargo.start = kT0;
  r.embargo.end = kT0 + 90 * vigil::kMicrosPerDay;
  for (int i = 0; i < 2; ++i) {
    vigil::Participant p;
    p.email = "person" + std::to_string(i) + "@example.org";
    p.role = i == 0 ? vigil::Role::kReporter : vigil::Role::kMaintainer;
    p.token_hash = vigil::Sha256Hex(std::to_string(n) + "/" + std::to_string(i));
    r.participants.push_back(p);
  }
  vigil::WriteBatch b;
  b.report = r;
  b.id_prefix = "SEC";
  for (int e = 0; e < kEventsPerReport; ++e) {
    b.events.push_back({"", kT0 + n * 100 + e, "maintainer@example.org",
                        e == 0 ? "report.submitted" : "message.posted",
                        "{\"subject\":\"Heap overflow in the flow exporter\",\"body\":\"" +
                            std::string(200, 'b') + "\",\"n\":" + std::to_string(e) + "}"});
  }
  vigil::ThreadMessage m;
  m.author_email = "person0@example.org";
  m.author_role = "reporter";
  m.body = std::string(300, 'm');
  m.created_at = kT0 + n;
  b.messages.push_back(m);
  return b;
}

int64_t QueryInt(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  sqlite3_stmt* stmt = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    n = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int arg = 1;
  if (arg < argc && std::string(argv[arg]) == "--quick") {
    quick = true;
    ++arg;
  }
  const long events = arg < argc ? std::atol(argv[arg++]) : (quick ? 20'000 : 1'000'000);
  std::string dir;
  bool own_dir = false;
  if (arg < argc) {
    dir = argv[arg++];
  } else {
    char tmpl[] = "/tmp/vigil-audit-bench-XXXXXX";
    dir = mkdtemp(tmpl);
    own_dir = true;
  }
  const std::string path = dir + "/vigil.db";
  const long reports = events / kEventsPerReport;
  {
    auto store = vigil::SqliteStore::Open(path);
    if (!store.ok()) {
      std::fprintf(stderr, "audit_verify_bench: %s\n", store.status().ToString().c_str());
      return 1;
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::deque<std::future<vigil::Result<vigil::WriteResult>>> window;
    for (long i = 0; i < reports; ++i) {
      window.push_back((*store)->WriteAsync(NewReport(static_cast<int>(i))));
      if (window.size() >= 256 || i + 1 == reports) {
        while (!window.empty()) {
          vigil::Result<vigil::WriteResult> w = window.front().get();
          window.pop_front();
          if (!w.ok()) {
            std::fprintf(stderr, "audit_verify_bench: write failed: %s\n",
                         w.status().ToString().c_str());
            return 1;
          }
        }
      }
    }
    std::printf("wrote %ld reports, %ld events in %.1f s\n", reports, reports * kEventsPerReport,
                Seconds(t0, std::chrono::steady_clock::now()));
  }
  const int64_t log_bytes =
      QueryInt(path,
               "SELECT SUM(length(chain) + length(actor) + length(kind) + length(payload) + "
               "length(prev_hash) + length(hash) + length(row_digests) + 16) FROM events");
  int failures = 0;
  double verify_s = 0;
  {
    auto store = vigil::SqliteStore::Open(path);
    const auto t0 = std::chrono::steady_clock::now();
    vigil::Result<vigil::AuditVerdict> v = (*store)->VerifyAudit();
    verify_s = Seconds(t0, std::chrono::steady_clock::now());
    if (!v.ok() || !v->ok) {
      std::fprintf(stderr, "audit_verify_bench: FAILED: the untouched store does not verify: %s\n",
                   v.ok() ? v->first_broken.c_str() : v.status().ToString().c_str());
      ++failures;
    } else if (v->events != reports * kEventsPerReport) {
      std::fprintf(stderr, "audit_verify_bench: FAILED: %lld events verified, %ld written\n",
                   static_cast<long long>(v->events), reports * kEventsPerReport);
      ++failures;
    }
  }
  // The ceiling: SHA-256 alone over as many bytes, in event-sized pieces.
  const std::string piece(static_cast<size_t>(log_bytes / std::max<long>(1, events)), 'x');
  const auto h0 = std::chrono::steady_clock::now();
  size_t sink = 0;
  for (long i = 0; i < events; ++i) sink += vigil::Sha256Hex(piece)[0];
  const double sha_s = Seconds(h0, std::chrono::steady_clock::now());
  const double mb = static_cast<double>(log_bytes) / 1e6;
  std::printf("event log: %ld events, %.1f MB (%.0f bytes/event)\n", events, mb,
              static_cast<double>(log_bytes) / static_cast<double>(events));
  std::printf("audit verify: %.2f s, %.0f MB/s of event log, %.0f events/s (target >= 200 MB/s)\n",
              verify_s, mb / verify_s, static_cast<double>(events) / verify_s);
  std::printf("sha-256 alone over the same bytes: %.2f s, %.0f MB/s; verify/sha-256 = %.2f (%zu)\n",
              sha_s, mb / sha_s, sha_s / verify_s, sink % 2);

  // A participant with a token hash of an attacker's choice, written with sqlite3.
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  const int rc = sqlite3_exec(db,
                              "INSERT INTO participants (report_id, position, email, name, role, "
                              "added_at, added_by, token_hash, bouncing) SELECT MAX(id), 9, "
                              "'mallory@evil.example', '', 'observer', 0, '', 'chosen', 0 FROM "
                              "reports",
                              nullptr, nullptr, nullptr);
  sqlite3_close(db);
  {
    auto store = vigil::SqliteStore::Open(path);
    vigil::Result<vigil::AuditVerdict> v = (*store)->VerifyAudit();
    if (rc != SQLITE_OK || !v.ok() || v->ok || v->first_broken.find("participants row ") != 0 ||
        v->first_broken.find("/9: no event records it") == std::string::npos) {
      std::fprintf(stderr,
                   "audit_verify_bench: FAILED: an inserted participant is not named (%s)\n",
                   v.ok() ? v->first_broken.c_str() : v.status().ToString().c_str());
      ++failures;
    }
  }
  if (own_dir) std::filesystem::remove_all(dir);
  return failures == 0 ? 0 : 1;
}
