#include "cli/cli_context.h"

#include <pwd.h>
#include <unistd.h>
#include <algorithm>
#include <set>

#include "core/text.h"

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
  if (!operator_.empty()) {
    p.email = operator_;
    return p;
  }
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

bool CliContext::ResolveOperator(const std::string& command) {
  std::string name = LowerAscii(as_account);
  if (name.empty()) {
    // The configured operator names who acts on reports. Commands that never do, or that must
    // run whatever the accounts are (serve, the mail server's ingest pipe, account repair),
    // do not depend on it: a disabled or missing operator account cannot lock anyone out.
    static const std::set<std::string> kNotActing = {
        "init", "backup", "restore", "cvss", "serve", "ingest", "user", "token", "audit", "key"};
    if (kNotActing.count(command)) return true;
    // A configuration that does not load is the command's own error to report.
    Result<const Config*> c = LoadConfig();
    if (!c.ok() || (*c)->cli_operator.empty()) return true;
    name = (*c)->cli_operator;
  }
  Result<ReportService*> s = Service();
  if (!Check(s.status())) return false;
  Result<std::vector<Account>> accounts = (*s)->ListAccounts();
  if (!Check(accounts.status())) return false;
  const auto active = std::find_if(accounts->begin(), accounts->end(), [&](const Account& a) {
    return a.email == name && !a.disabled;
  });
  if (active == accounts->end()) {
    exit_code = kExitNotFound;
    std::fputs(("vigil: no active account " + name + " to act as (" +
                (as_account.empty() ? "[project] operator" : "--as") +
                "); `vigil user list` shows the accounts\n")
                   .c_str(),
               stderr);
    return false;
  }
  operator_ = active->email;
  return true;
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
