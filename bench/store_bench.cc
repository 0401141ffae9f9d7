// Benchmark (not a test): submissions through ReportService and the SQLite store alone, without
// HTTP, with CONCURRENCY submissions in flight (each answered by callback, as the server does).
// Prints submissions/s and the process's CPU time per submission, the figures that bound what the
// HTTP benchmark (bench/http_bench.sh) can reach. Then checks, on the store reopened, that every
// acknowledged submission is there exactly as submitted and nothing else is: exits 1, naming
// what failed, if not (never on a figure).
// Usage: store_bench [--quick] [--postgres] [TOTAL=50000] [CONCURRENCY=64] [DIR=a new temporary
//        folder]
//   --quick: TOTAL defaults to 10,000 (about a second), the mode the test bench_quick_store runs.
//   --postgres: the PostgreSQL store instead, on a new database of the server that
//   scripts/with-postgres.sh started (bench/pg_bench.sh runs it so, next to pgbench).
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "service/report_service.h"
#include "service/system_clock.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace {

// CPU seconds of each thread of this process, by thread id (from /proc/self/task).
std::map<std::string, double> ThreadCpu() {
  std::map<std::string, double> out;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string f;
    double utime = 0, stime = 0;
    for (int i = 3; fields >> f && i <= 15; ++i) {
      if (i == 14) utime = std::stod(f);
      if (i == 15) stime = std::stod(f);
    }
    out[task.path().filename()] = (utime + stime) / tick;
  }
  return out;
}

double Micros(const timeval& a, const timeval& b) {
  return static_cast<double>(b.tv_sec - a.tv_sec) * 1e6 +
         static_cast<double>(b.tv_usec - a.tv_usec);
}

constexpr char kSubject[] = "Heap overflow in the flow exporter";

// Where the benchmark stores: the SQLite file, or a PostgreSQL database.
struct Target {
  std::string sqlite_path;
  vigil::PgTarget postgres;
  vigil::Result<std::unique_ptr<vigil::Store>> Open() const {
    using namespace vigil;
    if (postgres.url.empty()) {
      Result<std::unique_ptr<SqliteStore>> s = SqliteStore::Open(sqlite_path);
      if (!s.ok()) return s.status();
      return std::unique_ptr<Store>(std::move(s).value());
    }
    Result<std::unique_ptr<PgStore>> s = PgStore::Open(postgres);
    if (!s.ok()) return s.status();
    return std::unique_ptr<Store>(std::move(s).value());
  }
};

// A new database on the server scripts/with-postgres.sh started (its URL and password file in
// the environment), as a login for PgStore.
vigil::Result<vigil::PgTarget> NewPostgresDatabase() {
  using namespace vigil;
  const char* url = std::getenv("VIGIL_TEST_PG_URL");
  const char* password_file = std::getenv("VIGIL_TEST_PG_PASSWORD_FILE");
  if (url == nullptr || password_file == nullptr) {
    return Status::Invalid("--postgres: run under scripts/with-postgres.sh");
  }
  PgTarget server;
  server.url = url;
  std::ifstream in(password_file);
  std::getline(in, server.password);
  const std::string name = "store_bench_" + std::to_string(getpid());
  Result<std::unique_ptr<PgConnection>> admin = PgConnection::Open(server);
  if (!admin.ok()) return admin.status();
  VIGIL_RETURN_IF_ERROR((*admin)->Exec(("CREATE DATABASE " + name).c_str()));
  PgTarget out = server;
  out.url = server.url.substr(0, server.url.rfind('/') + 1) + name;
  return out;
}

// The failures of the check that every id in ACKNOWLEDGED is in the store at PATH (opened anew)
// with the submitted subject, and that the store holds no other report; empty when it passes.
std::vector<std::string> CheckStored(const Target& target,
                                     const std::vector<std::string>& acknowledged) {
  using namespace vigil;
  std::vector<std::string> failures;
  Result<std::unique_ptr<Store>> store = target.Open();
  if (!store.ok()) return {"cannot reopen the store: " + store.status().ToString()};
  const std::set<std::string> unique(acknowledged.begin(), acknowledged.end());
  if (unique.size() != acknowledged.size()) {
    failures.push_back(std::to_string(acknowledged.size() - unique.size()) +
                       " acknowledged ids were given twice");
  }
  int missing = 0;
  for (const std::string& id : unique) {
    Result<Report> r = (*store)->GetReport(id);
    if (r.ok() && r->fields.subject == kSubject) continue;
    if (++missing <= 5) {
      failures.push_back(
          "acknowledged " + id + " is not stored as submitted: " +
          (r.ok() ? "subject \"" + r->fields.subject + "\"" : r.status().ToString()));
    }
  }
  if (missing > 5) failures.push_back("... " + std::to_string(missing - 5) + " more not stored");
  Result<std::map<State, int64_t>> counts = (*store)->CountReportsByState();
  if (!counts.ok()) return {"cannot count the reports: " + counts.status().ToString()};
  int64_t stored = 0;
  for (const auto& [state, n] : *counts) stored += n;
  if (stored != static_cast<int64_t>(unique.size())) {
    failures.push_back(std::to_string(stored) + " reports stored, " +
                       std::to_string(unique.size()) + " acknowledged");
  }
  return failures;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vigil;
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  if (quick) {
    --argc;
    ++argv;
  }
  const bool postgres = argc > 1 && std::string(argv[1]) == "--postgres";
  if (postgres) {
    --argc;
    ++argv;
  }
  const int total = argc > 1 ? std::atoi(argv[1]) : quick ? 10000 : 50000;
  const int concurrency = argc > 2 ? std::atoi(argv[2]) : 64;
  std::string dir;
  if (argc > 3) {
    dir = argv[3];
  } else {
    char tmpl[] = "/tmp/vigil-store-bench-XXXXXX";
    if (!mkdtemp(tmpl)) return 2;
    dir = tmpl;
  }
  std::filesystem::create_directories(dir);
  Target target;
  target.sqlite_path = dir + "/vigil.db";
  if (postgres) {
    Result<PgTarget> db = NewPostgresDatabase();
    if (!db.ok()) {
      std::fprintf(stderr, "store_bench: %s\n", db.status().ToString().c_str());
      return 1;
    }
    target.postgres = *db;
  }
  Result<std::unique_ptr<Store>> store = target.Open();
  if (!store.ok()) {
    std::fprintf(stderr, "store_bench: %s\n", store.status().ToString().c_str());
    return 1;
  }
  SystemClock clock;
  ReportService service(**store, clock, Config{});

  std::mutex mu;
  std::condition_variable cv;
  int started = 0, finished = 0, failed = 0;
  std::vector<std::string> acknowledged;  // guarded by mu
  std::string first_error;                // guarded by mu
  auto submit = [&](auto& self) -> void {
    SubmitRequest req;
    req.fields.subject = kSubject;
    req.fields.steps = "1. send a crafted IPFIX record\n2. watch the agent crash";
    req.fields.effects_cluster = "agent restarts";
    req.fields.attack_vectors = "any pod on the node";
    service.SubmitThen(Principal{}, std::move(req), [&](Result<Submitted> s) {
      bool more = false;
      {
        std::lock_guard lock(mu);
        ++finished;
        if (s.ok()) {
          acknowledged.push_back(s->id);
        } else if (++failed == 1) {
          first_error = s.status().ToString();
        }
        if (started < total) {
          ++started;
          more = true;
        }
      }
      if (more) {
        self(self);
      } else {
        cv.notify_all();
      }
    });
  };

  rusage r0, r1;
  const std::map<std::string, double> threads0 = ThreadCpu();
  getrusage(RUSAGE_SELF, &r0);
  const auto t0 = std::chrono::steady_clock::now();
  {
    std::unique_lock lock(mu);
    const int first = std::min(concurrency, total);
    started = first;
    lock.unlock();
    for (int i = 0; i < first; ++i) submit(submit);
    lock.lock();
    cv.wait(lock, [&] { return finished == total; });
  }
  const auto t1 = std::chrono::steady_clock::now();
  getrusage(RUSAGE_SELF, &r1);
  std::vector<double> busy;
  for (const auto& [tid, cpu] : ThreadCpu()) {
    auto before = threads0.find(tid);
    busy.push_back(cpu - (before == threads0.end() ? 0 : before->second));
  }
  std::sort(busy.rbegin(), busy.rend());
  store->reset();
  const double secs = std::chrono::duration<double>(t1 - t0).count();
  std::printf(
      "%d submissions (%d failed) in %.2f s: %.0f/s; CPU per submission %.1f us "
      "(user %.1f, system %.1f)\n",
      total, failed, secs, total / secs,
      (Micros(r0.ru_utime, r1.ru_utime) + Micros(r0.ru_stime, r1.ru_stime)) / total,
      Micros(r0.ru_utime, r1.ru_utime) / total, Micros(r0.ru_stime, r1.ru_stime) / total);
  // The busiest thread is the store's writer: the serial part of every submission.
  std::printf("busiest threads (CPU seconds per wall second):");
  for (size_t i = 0; i < busy.size() && i < 4; ++i) std::printf(" %.2f", busy[i] / secs);
  std::printf("\n");

  // Correctness, checked in every mode: no submission refused, and every acknowledged one stored.
  std::vector<std::string> failures = CheckStored(target, acknowledged);
  if (failed) {
    failures.insert(failures.begin(),
                    std::to_string(failed) + " submissions failed; the first: " + first_error);
  }
  if (argc <= 3) std::filesystem::remove_all(dir);
  for (const std::string& f : failures)
    std::fprintf(stderr, "store_bench: FAILED: %s\n", f.c_str());
  if (!failures.empty()) return 1;
  std::printf("checked: %zu acknowledged submissions, each stored once, nothing else stored\n",
              acknowledged.size());
  return 0;
}
