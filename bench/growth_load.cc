// The growth benchmark's loader (bench/growth_bench.sh): fills a Vigil database with REPORTS
// reports of realistic text and about ten events each, as the API would have written them.
// Each report is submitted through ReportService (the API's own path: report, reporter,
// submission event, receipt, search index), then its life goes on in one batch per report with
// the rows the triage and thread services write (coordinator, state, level, four thread
// messages, their events). Submissions are a minute apart on a clock that starts two years back,
// so ids run across years as in a real project.
//
// Prints, on its last lines, what the benchmark measures with:
//   LOAD reports=N events=N load_s=S raw_bytes=B
//   PROBE report=ID deep_cursor=CURSOR rare=WORD common=WORD
// (deep_cursor: the position 10,000 reports deep in the newest-first list, as the API encodes it).
// Usage: growth_load DATABASE REPORTS [--quick]   (--quick: checks the rows, for the test)
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/workflow.h"
#include "service/report_service.h"
#include "store/sqlite_store.h"

namespace {

using namespace vigil;

// A clock that a loader thread steps while the store's writer reads it.
class SteppingClock final : public Clock {
 public:
  explicit SteppingClock(Instant start) : now_(start) {}
  Instant Now() const override { return now_.load(); }
  void Step(Instant by) { now_ += by; }

 private:
  std::atomic<Instant> now_;
};

constexpr const char* kComponents[] = {"flow exporter", "agent",          "controller",
                                       "CNI plugin",    "OVS bridge",     "network policy engine",
                                       "IPsec tunnel",  "egress gateway", "multicast handler",
                                       "traceflow",     "proxy",          "webhook"};
constexpr const char* kFlaws[] = {
    "heap overflow",    "use after free",        "integer overflow",  "path traversal",
    "token leak",       "privilege escalation",  "denial of service", "race condition",
    "null dereference", "missing authorization", "command injection", "memory exhaustion"};
constexpr const char* kRare = "kubeletrace";  // in one report in 200,000 (at least 3)
constexpr const char* kCommon = "overflow";   // in about a third of the reports

std::string Text(uint64_t n, size_t reports) {
  const char* component = kComponents[n % std::size(kComponents)];
  const char* flaw = kFlaws[(n / 7) % std::size(kFlaws)];
  const bool rare = n % std::max<size_t>(1, std::min<size_t>(200000, reports / 3)) == 17;
  return std::string(flaw) + " in the " + component + (rare ? " via " + std::string(kRare) : "");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: growth_load DATABASE REPORTS [--quick]\n");
    return 2;
  }
  const std::string path = argv[1];
  const size_t total = std::strtoull(argv[2], nullptr, 10);
  const bool quick = argc > 3 && std::string(argv[3]) == "--quick";
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(path);
  if (!opened.ok()) {
    std::fprintf(stderr, "growth_load: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  SqliteStore& store = **opened;
  const Instant start = *ParseUtc("2024-12-01T00:00:00Z");
  SteppingClock clock(start);
  Config config;
  config.submit_per_minute = 0;
  ReportService service(store, clock, config);

  std::mutex mu;
  std::condition_variable cv;
  size_t in_flight = 0, failed = 0;
  std::string first_error;
  std::vector<std::string> ids(total);
  const size_t window = 128;
  auto wait_below = [&](size_t n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return in_flight < n; });
  };
  auto finished = [&](const Status& s) {
    std::lock_guard lock(mu);
    --in_flight;
    if (!s.ok() && ++failed == 1) first_error = s.ToString();
    cv.notify_all();
  };
  size_t raw_bytes = 0, events = 0;
  const auto t0 = std::chrono::steady_clock::now();

  // 1. Submissions through the service, a minute apart.
  for (size_t i = 0; i < total; ++i) {
    SubmitRequest req;
    const std::string text = Text(i, total);
    req.fields.subject = text;
    req.fields.steps = "1. deploy the " + text.substr(text.find(" in the ") + 8) +
                       " with the default configuration\n2. send the crafted input from any pod "
                       "on the node\n3. the " +
                       text + " is visible in the logs within a minute";
    req.fields.effects_cluster = "a node restarts its agent; traffic is dropped meanwhile";
    req.fields.attack_vectors = "any pod on the node, no privileges needed";
    req.reporter_email = "reporter" + std::to_string(i % 5000) + "@example.net";
    req.reporter_name = "Reporter " + std::to_string(i % 5000);
    raw_bytes += req.fields.subject.size() + req.fields.steps.size() +
                 req.fields.effects_cluster.size() + req.fields.attack_vectors.size();
    wait_below(window);
    {
      std::lock_guard lock(mu);
      ++in_flight;
    }
    service.SubmitThen(Principal{}, std::move(req), [&, i](Result<Submitted> s) {
      if (s.ok()) ids[i] = s->id;
      finished(s.status());
    });
    clock.Step(60 * kMicrosPerSecond);
  }
  wait_below(1);
  events += total;

  // 2. The rest of each report's life in one batch: assigned, confirmed, classified, and a
  //    thread of four messages (reporter and coordinator in turn).
  const std::string coordinators[] = {"alice@example.org", "bob@example.org", "carol@example.org"};
  for (size_t i = 0; i < total && !ids[i].empty(); ++i) {
    Result<Report> r = store.GetReport(ids[i]);
    if (!r.ok()) {
      std::fprintf(stderr, "growth_load: %s\n", r.status().ToString().c_str());
      return 1;
    }
    WriteBatch b;
    b.report = *r;
    b.expected_version = r->version;
    Report& rep = *b.report;
    const Instant at = r->created_at + 3600 * kMicrosPerSecond;
    rep.coordinator = coordinators[i % 3];
    rep.level = 1 + static_cast<int>(i % 7);
    // Most of a project's reports are closed; the newest are still being worked on.
    rep.state =
        i + 200 >= total ? State::kFixing : (i % 5 == 0 ? State::kRejected : State::kDisclosed);
    rep.updated_at = at + 4 * 3600 * kMicrosPerSecond;
    const std::string actor = "user:" + rep.coordinator;
    b.events.push_back(
        {ids[i], at, actor, "report.assigned", "{\"coordinator\":\"" + rep.coordinator + "\"}"});
    b.events.push_back({ids[i], at, actor, "report.confirmed", "{}"});
    b.events.push_back(
        {ids[i], at, actor, "report.classified", "{\"level\":" + std::to_string(rep.level) + "}"});
    for (int m = 0; m < 4; ++m) {
      const bool coordinator = m % 2 == 0;
      const std::string body = coordinator
                                   ? "Thanks, we can reproduce it on main and are preparing a fix."
                                   : "Great, I can test the patch on my cluster when it is ready.";
      raw_bytes += body.size();
      b.messages.push_back({"", 0, coordinator ? rep.coordinator : r->participants[0].email,
                            coordinator ? "Coordinator" : r->participants[0].name,
                            coordinator ? "coordinator" : "reporter", body,
                            at + (m + 1) * 3600 * kMicrosPerSecond});
      b.events.push_back({ids[i], at + (m + 1) * 3600 * kMicrosPerSecond,
                          coordinator ? actor : "token:" + ids[i] + "/reporter", "message.posted",
                          "{\"seq\":" + std::to_string(m + 1) + "}"});
    }
    b.events.push_back({ids[i], rep.updated_at, actor, "report.closed", "{}"});
    events += b.events.size();
    wait_below(window);
    {
      std::lock_guard lock(mu);
      ++in_flight;
    }
    store.WriteThen(std::move(b), [&](Result<WriteResult> w) { finished(w.status()); });
  }
  wait_below(1);
  // The search index catches up with what is queued before anything is measured.
  {
    WriteBatch b;
    b.web.index_search = true;
    Result<WriteResult> w = store.Write(std::move(b));
    if (!w.ok()) {
      std::fprintf(stderr, "growth_load: indexing: %s\n", w.status().ToString().c_str());
      return 1;
    }
  }
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (failed) {
    std::fprintf(stderr, "growth_load: %zu writes failed; the first: %s\n", failed,
                 first_error.c_str());
    return 1;
  }

  // The probes: a report in the middle, the position 10,000 deep (or the middle when fewer).
  ReportFilter all;
  all.limit = static_cast<int>(std::min<size_t>(total, 10000));
  Result<std::vector<ReportSummary>> newest = store.ListReports(all);
  if (!newest.ok() || newest->empty()) {
    std::fprintf(stderr, "growth_load: cannot list what was loaded\n");
    return 1;
  }
  const ReportSummary& deep = newest->back();
  if (quick) {
    // The rows are the API's: the submission's and the batch's events are on the chain, the
    // thread has its messages, and the search finds the rare word.
    Result<std::vector<StoredEvent>> ev = store.Events(ids[0]);
    Result<std::vector<ThreadMessage>> thread = store.Thread(ids[0]);
    Result<std::vector<ReportSummary>> rare = store.SearchReports(kRare, ReportFilter{});
    if (!ev.ok() || ev->size() < 9 || ev->back().kind != "report.closed" || !thread.ok() ||
        thread->size() != 4 || !rare.ok() || rare->empty() ||
        newest->size() != static_cast<size_t>(all.limit)) {
      std::fprintf(stderr, "growth_load: FAILED: the loaded rows are not as expected\n");
      return 1;
    }
  }
  std::printf("LOAD reports=%zu events=%zu load_s=%.1f raw_bytes=%zu\n", total, events, load_s,
              raw_bytes);
  std::printf("PROBE report=%s deep_cursor=%s rare=%s common=%s\n", ids[total / 2].c_str(),
              EncodeReportCursor({deep.created_at, deep.id}).c_str(), kRare, kCommon);
  return 0;
}
