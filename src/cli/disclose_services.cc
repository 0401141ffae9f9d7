#include "cli/disclose_services.h"

#include <cstdlib>

namespace vigil {

DiscloseServices* DiscloseServicesFor(CliContext& ctx) {
  static std::unique_ptr<DiscloseServices> services;
  if (services) return services.get();
  Result<ReportService*> reports = ctx.Service();
  if (!ctx.Check(reports.status())) return nullptr;
  const Config& config = (*reports)->config();
  auto s = std::make_unique<DiscloseServices>();
  if (const char* now = std::getenv(kTestNowEnv); now && *now) {
    Result<Instant> t = ParseUtc(now);
    if (!ctx.Check(t.status())) return nullptr;
    s->clock = std::make_unique<FakeClock>(*t);
  } else {
    s->clock = std::make_unique<SystemClock>();
  }
  s->approved = std::make_unique<PatchRevisionSource>((*reports)->store());
  if (!config.forge_api_url.empty()) {
    s->forge = MakeGitHubForge(config.forge_api_url, config.forge_repository, config.forge_token);
  }
  s->advisories =
      std::make_unique<AdvisoryService>((*reports)->store(), *s->clock, config, *s->approved);
  s->disclosure = std::make_unique<DisclosureService>((*reports)->store(), *s->clock, config,
                                                      *s->approved, *s->advisories, s->forge.get());
  services = std::move(s);
  return services.get();
}

}  // namespace vigil
