#include "cli/cli_context.h"

#include <pwd.h>
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
  // The login name of whoever ran the command, never a bare number: USER, else the password
  // database's name for the uid (cron and service managers often set no USER).
  const char* user = std::getenv("USER");
  if (user && *user) {
    p.email = user;
  } else if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name && *pw->pw_name) {
    p.email = pw->pw_name;
  } else {
    p.email = "local operator (uid " + std::to_string(getuid()) + ")";
  }
  return p;
}

Result<std::string> TextArgument(const std::string& value, size_t limit) {
  if (value != "-") return value;
  std::string in;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) {
    in.append(buf, n);
    if (in.size() > limit) {
      return Status::TooLarge("input is larger than " + std::to_string(limit) + " bytes");
    }
  }
  return in;
}

bool CliContext::Check(const Status& s) {
  if (s.ok()) return true;
  std::fprintf(stderr, "vigil: %s\n", s.message().c_str());
  exit_code = ExitCodeFor(s.code());
  return false;
}

}  // namespace vigil
