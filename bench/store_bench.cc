// Benchmark (not a test): submissions through ReportService and the SQLite store alone, without
// HTTP, with CONCURRENCY submissions in flight (each answered by callback, as the server does).
// Prints submissions/s and the process's CPU time per submission, the figures that bound what the
// HTTP benchmark (bench/http_bench.sh) can reach.
// Usage: store_bench [TOTAL=50000] [CONCURRENCY=64] [DIR=a new temporary folder]
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
#include <sstream>
#include <string>
#include <vector>

#include "service/report_service.h"
#include "service/system_clock.h"
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

}  // namespace

int main(int argc, char** argv) {
  using namespace vigil;
  const int total = argc > 1 ? std::atoi(argv[1]) : 50000;
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
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir + "/vigil.db");
  if (!store.ok()) {
    std::fprintf(stderr, "store_bench: %s\n", store.status().ToString().c_str());
    return 1;
  }
  SystemClock clock;
  ReportService service(**store, clock, Config{});

  std::mutex mu;
  std::condition_variable cv;
  int started = 0, finished = 0, failed = 0;
  auto submit = [&](auto& self) -> void {
    SubmitRequest req;
    req.fields.subject = "Heap overflow in the flow exporter";
    req.fields.steps = "1. send a crafted IPFIX record\n2. watch the agent crash";
    req.fields.effects_cluster = "agent restarts";
    req.fields.attack_vectors = "any pod on the node";
    service.SubmitThen(Principal{}, std::move(req), [&](Result<Submitted> s) {
      bool more = false;
      {
        std::lock_guard lock(mu);
        ++finished;
        if (!s.ok()) ++failed;
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
  if (argc <= 3) std::filesystem::remove_all(dir);
  return failed ? 1 : 0;
}
