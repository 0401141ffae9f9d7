// HTTP request handling through the router (http/router) with the JSON API's routes on real
// services and a SQLite store in a temporary folder, as router_test sets them up: the input
// chooses the method, the target, the caller's credential and the body. In process, no sockets.
//
// Input: "METHOD TARGET\n" then the body; the first byte chooses the credential (none, the
// maintainer's API token, the reporter's capability token, a garbage bearer) and the content type.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/access.h"
#include "core/time.h"
#include "http/advisory_api.h"
#include "http/mail_api.h"
#include "http/metrics.h"
#include "http/patch_api.h"
#include "http/report_api.h"
#include "http/router.h"
#include "service/advisory_service.h"
#include "service/disclosure_service.h"
#include "service/mail_admin_service.h"
#include "service/patch_revision_source.h"
#include "service/patch_service.h"
#include "service/report_service.h"
#include "store/sqlite_store.h"

namespace vigil {
namespace {

constexpr Instant kT0 = 1'790'000'000LL * kMicrosPerSecond;

// Everything the routes need, built once (a fresh store per input would cost most of the run).
struct App {
  App() {
    const char* tmp = getenv("TMPDIR");
    std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/vigil-fuzz-router.XXXXXX";
    if (mkdtemp(dir.data()) == nullptr) abort();
    config.maintainers = {"alice@example.org"};
    config.submit_per_minute = 1'000'000;
    config.data_dir = dir;
    store = std::move(SqliteStore::Open(dir + "/vigil.db")).value();
    reports = std::make_unique<ReportService>(*store, clock, config);
    patches = std::make_unique<PatchService>(*store, clock, config);
    // The limit counts in the store (a write per request); off here, so that inputs run fast.
    limiter = std::make_unique<RateLimiter>(*store, clock, 0);
    router = std::make_unique<Router>(*reports, *limiter);
    AddReportApiRoutes(*router, *reports, metrics);
    mail_admin = std::make_unique<MailAdminService>(*store, clock);
    AddMailRoutes(*router, *mail_admin, config);
    approved = std::make_unique<PatchRevisionSource>(*store, config);
    advisories = std::make_unique<AdvisoryService>(*store, clock, config, *approved);
    disclosure =
        std::make_unique<DisclosureService>(*store, clock, config, *approved, *advisories, nullptr);
    AddAdvisoryRoutes(*router, *advisories, *disclosure);
    AddPatchRoutes(*router, *patches);

    const Principal local{Principal::Kind::kLocal, "root"};
    if (!reports->AddAccount(local, "alice@example.org", "", AccountRole::kMaintainer, "").ok()) {
      abort();
    }
    maintainer_token = *reports->CreateApiToken(local, "alice@example.org", "fuzz", 30);
    SubmitRequest req;
    req.fields.subject = "Heap overflow";
    req.fields.steps = "send a long header";
    req.reporter_email = "rita@example.org";
    Submitted mine = *reports->Submit(Principal{}, req);
    report_id = mine.id;
    reporter_token = mine.token;
  }

  FakeClock clock{kT0};
  Config config;
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<ReportService> reports;
  std::unique_ptr<PatchService> patches;
  std::unique_ptr<RateLimiter> limiter;
  std::unique_ptr<Router> router;
  Metrics metrics;
  std::unique_ptr<MailAdminService> mail_admin;
  std::unique_ptr<PatchRevisionSource> approved;
  std::unique_ptr<AdvisoryService> advisories;
  std::unique_ptr<DisclosureService> disclosure;
  std::string maintainer_token;
  std::string reporter_token;
  std::string report_id;
};

}  // namespace
}  // namespace vigil

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static vigil::App* app = new vigil::App();  // lives until exit, as the server's does
  if (size == 0 || size > 64 * 1024) return 0;
  const uint8_t flags = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t eol = in.find('\n');
  std::string_view line = in.substr(0, eol);
  std::string_view body = eol == std::string_view::npos ? std::string_view() : in.substr(eol + 1);
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return 0;
  vigil::HttpRequest req;
  req.method = std::string(line.substr(0, space));
  req.target = std::string(line.substr(space + 1));
  // "{id}" in the target stands for the report the reporter's token belongs to.
  if (size_t at = req.target.find("{id}"); at != std::string::npos) {
    req.target.replace(at, 4, app->report_id);
  }
  switch (flags & 3) {
    case 0:
      break;
    case 1:
      req.authorization = "Bearer " + app->maintainer_token;
      break;
    case 2:
      req.authorization = "Bearer " + app->reporter_token;
      break;
    case 3:
      req.authorization = "Bearer garbage";
      break;
  }
  req.content_type = (flags & 4) ? "text/plain" : "application/json";
  req.body = std::string(body);
  req.client_address = (flags & 8) ? "::1" : "127.0.0.1";
  std::string route;
  (void)app->router->Handle(req, &route);
  app->clock.Advance(vigil::kMicrosPerSecond);
  return 0;
}
