// Server-side render time of the report page of a report with 200 messages (goal: < 5 ms).
// Measures the whole GET /reports/{id} through the router (session check, authorization, store
// reads, the recorded view of the embargoed report, rendering), and the template rendering of
// the same page alone, and the durable view record alone. Before measuring, checks that each page
// is what it must be (200, the report's id, its 200 messages escaped); after, that every view of
// the embargoed report it acknowledged is stored. Exits 1 naming what failed if a check fails or an
// iteration errs (never on a figure).
// Usage: web_render_bench [--quick] [--benchmark_* flags]
//   --quick: each benchmark runs for 0.05 s instead of 2 s, the mode the test
//   bench_quick_web_render runs.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "http/router.h"
#include "http/web.h"
#include "service/system_clock.h"
#include "service/totp_secret_box.h"
#include "store/sqlite_store.h"

namespace vigil {
namespace {

struct Fixture {
  Fixture() {
    char tmpl[] = "/tmp/vigil-bench-XXXXXX";
    dir = mkdtemp(tmpl);
    store = std::move(SqliteStore::Open(dir + "/vigil.db")).value();
    config.maintainers = {"alice@example.org"};
    reports = std::make_unique<ReportService>(*store, clock, config);
    sessions = std::make_unique<SessionService>(*store, clock, config, totp_box);
    workspace = std::make_unique<WorkspaceService>(*reports, *store, clock, config);
    if (!renderer.Init().ok()) std::abort();
    limiter = std::make_unique<RateLimiter>(*store, clock, 1000);
    router = std::make_unique<Router>(*reports, *limiter);
    web = std::make_unique<WebContext>(
        WebContext{*reports, *sessions, *workspace, config, clock, renderer, {}});
    AddWebRoutes(*router, *web);
    Principal local;
    local.kind = Principal::Kind::kLocal;
    local.email = "root";
    (void)reports->AddAccount(local, "alice@example.org", "Alice", AccountRole::kMaintainer,
                              "alice-password");
    id = MakeReport(local);
    public_id = MakeReport(local);
    // Not under embargo: its views are not recorded, which isolates the cost of that write.
    (void)reports->BreakEmbargo(local, public_id, "benchmark");
    session = *sessions->Login({"alice@example.org", "alice-password", "", "127.0.0.1"}, "");
  }
  std::string MakeReport(const Principal& local) {
    SubmitRequest req;
    req.fields.subject = "Token leak in agent logs";
    req.fields.steps = std::string(2000, 'x');
    req.fields.attack_vectors = "network";
    req.reporter_email = "rita@example.org";
    Submitted s = *reports->Submit(Principal{}, req);
    Principal reporter = *reports->Authenticate(s.token);
    for (int i = 0; i < 200; ++i) {
      const Principal& who = i % 2 ? reporter : local;
      (void)reports->PostMessage(
          who, s.id,
          "Message " + std::to_string(i) + ": " + std::string(400, 'm') + " <b>escaped</b> & more");
    }
    return s.id;
  }
  ~Fixture() {
    router.reset();
    web.reset();
    workspace.reset();
    sessions.reset();
    reports.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }

  std::string dir, id, public_id;
  SystemClock clock;
  Config config;
  TotpSecretBox totp_box{std::string(TotpSecretBox::kKeyBytes, '\x5a')};
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<ReportService> reports;
  std::unique_ptr<SessionService> sessions;
  std::unique_ptr<WorkspaceService> workspace;
  PageRenderer renderer;
  std::unique_ptr<RateLimiter> limiter;
  std::unique_ptr<Router> router;
  std::unique_ptr<WebContext> web;
  NewSession session;
};

Fixture& F() {
  static Fixture f;
  return f;
}

// Set when an iteration of any benchmark errs: the run then exits 1.
bool iteration_failed = false;
// Views of the embargoed report acknowledged (a 200 page, or RecordView ok): each must be stored.
int64_t acknowledged_views = 0;

// The number of views recorded for the embargoed report (the length of its view chain).
Result<int64_t> StoredViews(Fixture& f) {
  Result<std::vector<StoredEvent>> newest = f.store->LatestEvents(ViewChain(f.id), 1);
  if (!newest.ok()) return newest.status();
  return newest->empty() ? 0 : newest->front().seq;
}
void Fail(benchmark::State& state, const char* what) {
  iteration_failed = true;
  state.SkipWithError(what);
}

constexpr int kMessages = 200;

// What a rendered report page (or its template alone) must hold, as failures (empty when it
// holds it): the report's id and its 200 messages, each in order and escaped.
std::vector<std::string> CheckReportHtml(const std::string& what, const std::string& html,
                                         const std::string& id) {
  std::vector<std::string> failures;
  if (html.empty()) return {what + ": empty"};
  if (html.find(id) == std::string::npos) failures.push_back(what + ": no report id " + id);
  size_t at = 0;
  for (int i = 0; i < kMessages; ++i) {
    const std::string start = "Message " + std::to_string(i) + ": ";
    const size_t found = html.find(start, at);
    if (found == std::string::npos) {
      failures.push_back(what + ": message " + std::to_string(i) + " missing or out of order");
      break;
    }
    at = found + start.size();
    const std::string escaped = std::string(400, 'm') + " &lt;b&gt;escaped&lt;/b&gt; &amp; more";
    if (html.compare(at, escaped.size(), escaped) != 0) {
      failures.push_back(what + ": message " + std::to_string(i) + " not escaped as text");
      break;
    }
  }
  if (html.find("<b>escaped</b>") != std::string::npos) {
    failures.push_back(what + ": a message's markup is not escaped");
  }
  return failures;
}

HttpRequest PageRequest(const Fixture& f, const std::string& id) {
  HttpRequest req;
  req.method = "GET";
  req.target = "/reports/" + id;
  req.cookie = std::string(kSessionCookie) + "=" + f.session.token;
  req.client_address = "127.0.0.1";
  return req;
}

boost::json::object TemplateModel(Fixture& f) {
  // The same thread model the page uses, rendered without the store.
  std::vector<ThreadMessage> thread =
      *f.reports->Thread(Principal{Principal::Kind::kLocal, "bench"}, f.id);
  boost::json::array messages;
  for (const ThreadMessage& m : thread) {
    messages.push_back(boost::json::object{{"author", m.author_email},
                                           {"role", m.author_role},
                                           {"when", FormatUtc(m.created_at)},
                                           {"body", m.body},
                                           {"files", boost::json::array{}}});
  }
  return boost::json::object{{"id", f.id}, {"subject", "Token leak"}, {"messages", messages}};
}

void ReportPage(benchmark::State& state, bool embargoed) {
  Fixture& f = F();
  const HttpRequest req = PageRequest(f, embargoed ? f.id : f.public_id);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string route;
    HttpResponse r = f.router->Handle(req, &route);
    if (r.status != 200) {
      Fail(state, "status is not 200");
    } else if (embargoed) {
      ++acknowledged_views;
    }
    bytes = r.body.size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["html_bytes"] = static_cast<double>(bytes);
}
// Embargoed: every view is durably recorded (a store write with its fsync) before rendering.
void BM_ReportPageEmbargoed(benchmark::State& state) { ReportPage(state, true); }
void BM_ReportPageNotEmbargoed(benchmark::State& state) { ReportPage(state, false); }

void BM_ReportTemplateOnly(benchmark::State& state) {
  Fixture& f = F();
  const boost::json::object model = TemplateModel(f);
  for (auto _ : state) {
    std::string html = f.renderer.Render("report", model);
    benchmark::DoNotOptimize(html);
  }
}

// The durable record of one view alone (a store write with its fsync, nothing shared with another
// request): the floor of the embargoed page's latency while the view is recorded before rendering.
void BM_ViewRecordOnly(benchmark::State& state) {
  Fixture& f = F();
  const Report report = *f.reports->Show(f.id);
  Principal viewer;
  viewer.kind = Principal::Kind::kAccount;
  viewer.email = "alice@example.org";
  for (auto _ : state) {
    if (f.workspace->RecordView(viewer, report).ok()) {
      ++acknowledged_views;
    } else {
      Fail(state, "write failed");
    }
  }
}

// The checks made once before measuring, as failures (empty when all pass).
std::vector<std::string> CheckPages() {
  Fixture& f = F();
  std::vector<std::string> failures;
  for (const std::string& id : {f.id, f.public_id}) {
    std::string route;
    const HttpResponse r = f.router->Handle(PageRequest(f, id), &route);
    const std::string what = "GET /reports/" + id;
    if (r.status != 200) {
      failures.push_back(what + ": status " + std::to_string(r.status));
      continue;
    }
    if (id == f.id) ++acknowledged_views;
    for (std::string& failure : CheckReportHtml(what, r.body, id)) failures.push_back(failure);
  }
  for (std::string& failure :
       CheckReportHtml("template alone", f.renderer.Render("report", TemplateModel(f)), f.id)) {
    failures.push_back(failure);
  }
  return failures;
}

}  // namespace
}  // namespace vigil

int main(int argc, char** argv) {
  using namespace vigil;
  std::vector<char*> args(argv, argv + argc);
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  if (quick) args.erase(args.begin() + 1);
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;

  const Result<int64_t> views_before = StoredViews(F());
  if (!views_before.ok()) {
    std::fprintf(stderr, "web_render_bench: FAILED: %s\n",
                 views_before.status().ToString().c_str());
    return 1;
  }
  const std::vector<std::string> failures = CheckPages();
  for (const std::string& f : failures)
    std::fprintf(stderr, "web_render_bench: FAILED: %s\n", f.c_str());
  if (!failures.empty()) return 1;
  std::printf("checked: both report pages and the template alone hold the id and %d messages\n",
              kMessages);

  const double min_time = quick ? 0.05 : 2.0;
  // Registered here rather than with BENCHMARK(): a benchmark's own MinTime overrides the flag.
  // MIN_TIME is wall-clock time (UseRealTime): measured in CPU time, the two benchmarks that wait
  // for an fsync ran for minutes (0.03 ms of CPU per 4 ms view record), and their figures are
  // latencies anyway.
  struct Named {
    const char* name;
    void (*fn)(benchmark::State&);
  };
  for (const Named& b : {Named{"BM_ReportPageEmbargoed", BM_ReportPageEmbargoed},
                         Named{"BM_ReportPageNotEmbargoed", BM_ReportPageNotEmbargoed},
                         Named{"BM_ReportTemplateOnly", BM_ReportTemplateOnly},
                         Named{"BM_ViewRecordOnly", BM_ViewRecordOnly}}) {
    benchmark::RegisterBenchmark(b.name, b.fn)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(min_time)
        ->UseRealTime();
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  bool ok = true;
  if (iteration_failed) {
    std::fprintf(stderr, "web_render_bench: FAILED: an iteration erred (see the error above)\n");
    ok = false;
  }
  const Result<int64_t> views_after = StoredViews(F());
  const int64_t stored = views_after.ok() ? *views_after - *views_before : -1;
  if (stored != acknowledged_views) {
    std::fprintf(stderr, "web_render_bench: FAILED: %lld views acknowledged, %lld stored%s\n",
                 static_cast<long long>(acknowledged_views), static_cast<long long>(stored),
                 views_after.ok() ? "" : (" (" + views_after.status().ToString() + ")").c_str());
    ok = false;
  } else {
    std::printf("checked: %lld acknowledged views of the embargoed report, each stored\n",
                static_cast<long long>(stored));
  }
  return ok ? 0 : 1;
}
