#include "cli/context.h"

#include <unistd.h>

#include <filesystem>

namespace vigil {

Result<const Config*> CliContext::LoadConfig() {
  if (!config_) {
    Result<Config> c = vigil::LoadConfig(config_path);
    if (!c.ok()) return c.status();
    config_ = std::make_unique<Config>(std::move(c).value());
  }
  return config_.get();
}

Result<ReportService*> CliContext::Service() {
  if (!service_) {
    Result<const Config*> c = LoadConfig();
    if (!c.ok()) return c.status();
    std::error_code ec;
    if (!std::filesystem::exists((*c)->DatabasePath(), ec)) {
      return Status::NotFound("no database at " + (*c)->DatabasePath() + "; run `vigil init`");
    }
    Result<std::unique_ptr<SqliteStore>> s = SqliteStore::Open((*c)->DatabasePath());
    if (!s.ok()) return s.status();
    store_ = std::move(s).value();
    service_ = std::make_unique<ReportService>(*store_, clock_, **c);
  }
  return service_.get();
}

Result<PatchService*> CliContext::Patches() {
  if (!patches_) {
    Result<ReportService*> s = Service();
    if (!s.ok()) return s.status();
    patches_ = std::make_unique<PatchService>(*store_, clock_, (*s)->config());
  }
  return patches_.get();
}

Principal CliContext::Operator() const {
  Principal p;
  p.kind = Principal::Kind::kLocal;
  const char* user = std::getenv("USER");
  p.email = user && *user ? user : std::to_string(getuid());
  return p;
}

bool CliContext::Check(const Status& s) {
  if (s.ok()) return true;
  std::fprintf(stderr, "vigil: %s\n", s.message().c_str());
  exit_code = ExitCodeFor(s.code());
  return false;
}

}  // namespace vigil
