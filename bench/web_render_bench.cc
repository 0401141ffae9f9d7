// Server-side render time of the report page of a report with 200 messages (goal: < 5 ms).
// Measures the whole GET /reports/{id} through the router (session check, authorization, store
// reads, the recorded view of the embargoed report, rendering), and the template rendering of
// the same page alone, and the durable view record alone. Usage: web_render_bench [--benchmark_*
// flags]
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>

#include "http/router.h"
#include "http/web.h"
#include "service/system_clock.h"
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
    sessions = std::make_unique<SessionService>(*store, clock, config);
    workspace = std::make_unique<WorkspaceService>(*reports, *store, clock, config);
    if (!renderer.Init().ok()) std::abort();
    limiter = std::make_unique<RateLimiter>(clock, 1000);
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

void ReportPage(benchmark::State& state, bool embargoed) {
  Fixture& f = F();
  HttpRequest req;
  req.method = "GET";
  req.target = "/reports/" + (embargoed ? f.id : f.public_id);
  req.cookie = std::string(kSessionCookie) + "=" + f.session.token;
  req.client_address = "127.0.0.1";
  size_t bytes = 0;
  for (auto _ : state) {
    std::string route;
    HttpResponse r = f.router->Handle(req, &route);
    if (r.status != 200) state.SkipWithError("status is not 200");
    bytes = r.body.size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["html_bytes"] = static_cast<double>(bytes);
}
// Embargoed: every view is durably recorded (a store write with its fsync) before rendering.
void BM_ReportPageEmbargoed(benchmark::State& state) { ReportPage(state, true); }
BENCHMARK(BM_ReportPageEmbargoed)->Unit(benchmark::kMillisecond)->MinTime(2.0);
void BM_ReportPageNotEmbargoed(benchmark::State& state) { ReportPage(state, false); }
BENCHMARK(BM_ReportPageNotEmbargoed)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_ReportTemplateOnly(benchmark::State& state) {
  Fixture& f = F();
  // The same thread model the page uses, rendered without the store.
  std::vector<ThreadMessage> thread = *f.reports->Thread(f.id);
  boost::json::array messages;
  for (const ThreadMessage& m : thread) {
    messages.push_back(boost::json::object{{"author", m.author_email},
                                           {"role", m.author_role},
                                           {"when", FormatUtc(m.created_at)},
                                           {"body", m.body},
                                           {"files", boost::json::array{}}});
  }
  boost::json::object model{{"id", f.id}, {"subject", "Token leak"}, {"messages", messages}};
  for (auto _ : state) {
    std::string html = f.renderer.Render("report", model);
    benchmark::DoNotOptimize(html);
  }
}
BENCHMARK(BM_ReportTemplateOnly)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The durable record of one view alone (a store write with its fsync, nothing shared with another
// request): the floor of the embargoed page's latency while the view is recorded before rendering.
void BM_ViewRecordOnly(benchmark::State& state) {
  Fixture& f = F();
  const Report report = *f.reports->Show(f.id);
  Principal viewer;
  viewer.kind = Principal::Kind::kAccount;
  viewer.email = "alice@example.org";
  for (auto _ : state) {
    if (!f.workspace->RecordView(viewer, report).ok()) state.SkipWithError("write failed");
  }
}
BENCHMARK(BM_ViewRecordOnly)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace
}  // namespace vigil

BENCHMARK_MAIN();
