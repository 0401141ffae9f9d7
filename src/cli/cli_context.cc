#include "cli/cli_context.h"

#include <unistd.h>

namespace vigil {

DiscloseServices* CliContext::Disclose() {
  if (!disclose_.disclosure) {
    Result<AdvisoryService*> a = runtime.advisories();
    if (!Check(a.status())) return nullptr;
    Result<DisclosureService*> d = runtime.disclosure();
    if (!Check(d.status())) return nullptr;
    disclose_ = {*a, *d};
  }
  return &disclose_;
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
