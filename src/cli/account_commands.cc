// `vigil user ...` and `vigil token ...`: accounts and API tokens.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <iostream>

#include "cli/cli_context.h"
#include "cli/command_table.h"
#include "core/text.h"
#include "service/credentials.h"
#include "service/report_json.h"

namespace vigil {
namespace {

struct AccountOptions {
  std::string email, name, role = "maintainer", label, token, id;
  bool password_stdin = false;
  int expires_days = 0;  // read only when --expires-days is given
};

// `vigil token list` and `vigil token revoke`: by id, or the token itself from stdin.
void AddTokenListAndRevoke(CLI::App* token, CliContext& ctx, std::shared_ptr<AccountOptions> o) {
  auto* list = token->add_subcommand(
      "list",
      "List API tokens (of EMAIL, or every account): id, account, state, created, "
      "expires, label");
  list->add_option("email", o->email, "Only this account's tokens");
  list->add_flag("--json", ctx.json, "Print JSON");
  list->callback([&ctx, o] {
    Result<ReportService*> s = ctx.Service();
    if (!ctx.Check(s.status())) return;
    Result<std::vector<ApiTokenInfo>> tokens = (*s)->ListApiTokens(ctx.Operator(), o->email);
    if (!ctx.Check(tokens.status())) return;
    if (ctx.json) {
      boost::json::array items;
      for (const ApiTokenInfo& t : *tokens) items.push_back(ApiTokenJson(t));
      ctx.Print(boost::json::serialize(boost::json::object{{"tokens", std::move(items)}}) + "\n");
      return;
    }
    for (const ApiTokenInfo& t : *tokens) {
      char line[1024];
      std::snprintf(line, sizeof line, "%-12s %-28s %-7s %-20s %-20s %s\n", t.id.c_str(),
                    t.account.c_str(), t.state.c_str(), FormatUtc(t.created_at).c_str(),
                    t.expires_at ? FormatUtc(t.expires_at).c_str() : "never",
                    t.label.empty() ? "-" : t.label.c_str());
      ctx.Print(line);
    }
  });

  auto* revoke = token->add_subcommand(
      "revoke", "Revoke an API token: by --id, or the token itself read from stdin");
  revoke->add_option("--id", o->id, "The token's id (see vigil token list)");
  revoke->callback([&ctx, o] {
    Result<ReportService*> s = ctx.Service();
    if (!ctx.Check(s.status())) return;
    if (!o->id.empty()) {
      if (ctx.Check((*s)->RevokeApiTokenById(ctx.Operator(), o->id))) {
        ctx.Print("revoked " + o->id + "\n");
      }
      return;
    }
    std::string t;
    std::getline(std::cin, t);
    if (ctx.Check((*s)->RevokeApiToken(ctx.Operator(), t))) ctx.Print("revoked\n");
  });
}

}  // namespace

void AddAccountCommands(CLI::App& app, CliContext& ctx) {
  auto o = std::make_shared<AccountOptions>();
  auto service = [&ctx]() -> ReportService* {
    Result<ReportService*> s = ctx.Service();
    return ctx.Check(s.status()) ? *s : nullptr;
  };

  auto* user = AddCommand(app, "user");
  user->require_subcommand(1);
  auto* add = user->add_subcommand("add", "Add an account (prints a generated password)");
  add->add_option("email", o->email, "Email (the login)")->required();
  add->add_option("--name", o->name, "Display name");
  add->add_option("--role", o->role, "member, maintainer or admin")
      ->check(CLI::IsMember({"member", "maintainer", "admin"}));
  add->add_flag("--password-stdin", o->password_stdin, "Read the password from stdin");
  add->callback([&ctx, o, service] {
    ReportService* s = service();
    if (!s) return;
    std::string password;
    if (o->password_stdin) {
      std::getline(std::cin, password);
    } else {
      password = NewPassword();
    }
    if (!ctx.Check(s->AddAccount(ctx.Operator(), o->email, o->name, *ParseAccountRole(o->role),
                                 password))) {
      return;
    }
    ctx.Print("added " + o->role + " " + o->email + "\n");
    if (!o->password_stdin) ctx.Print("password (shown once): " + password + "\n");
  });

  auto* list = user->add_subcommand("list", "List accounts");
  list->callback([&ctx, service] {
    ReportService* s = service();
    if (!s) return;
    Result<std::vector<Account>> accounts = s->ListAccounts();
    if (!ctx.Check(accounts.status())) return;
    for (const Account& a : *accounts) {
      ctx.Print(a.email + "  " + AccountRoleName(a.role) + (a.disabled ? "  disabled" : "") + "\n");
    }
  });

  for (bool disable : {true, false}) {
    auto* cmd = user->add_subcommand(
        disable ? "disable" : "enable",
        disable ? "Disable an account (its tokens stop working)" : "Enable a disabled account");
    cmd->add_option("email", o->email, "Email")->required();
    cmd->callback([&ctx, o, service, disable] {
      ReportService* s = service();
      if (s && ctx.Check(s->SetAccountDisabled(ctx.Operator(), o->email, disable))) {
        ctx.Print(std::string(disable ? "disabled " : "enabled ") + o->email + "\n");
      }
    });
  }

  auto* reset = user->add_subcommand(
      "totp-reset", "Remove an account's two-factor login (a lost device); recorded as an event");
  reset->add_option("email", o->email, "Email")->required();
  reset->callback([&ctx, o] {
    Result<SessionService*> s = ctx.runtime.sessions();
    if (!ctx.Check(s.status())) return;
    if (!ctx.Check((*s)->ResetTotp(ctx.Operator(), o->email))) return;
    ctx.Print("two-factor login removed for " + LowerAscii(o->email) +
              ": the password alone logs in until it is set up again\n");
  });

  auto* token = AddCommand(app, "token");
  token->require_subcommand(1);
  auto* create = token->add_subcommand("create", "Create an API token (printed once)");
  create->add_option("email", o->email, "The account it acts as")->required();
  create->add_option("--label", o->label, "What it is for");
  CLI::Option* days =
      create
          ->add_option("--expires-days", o->expires_days,
                       "Lifetime in days (default: web.api_token_days; 0 = never, with a warning)")
          ->check(CLI::Range(0, 3650));
  create->callback([&ctx, o, service, days] {
    ReportService* s = service();
    if (!s) return;
    const std::optional<int> ttl =
        days->count() ? std::optional<int>(o->expires_days) : std::nullopt;
    Result<std::string> t = s->CreateApiToken(ctx.Operator(), o->email, o->label, ttl);
    if (!ctx.Check(t.status())) return;
    ctx.Print(*t + "\n");
    if (ttl == 0) {
      const std::string id = TokenHashLabel(TokenHash(*t));
      std::fputs(
          ("vigil: warning: API token " + id +
           " never expires; revoke it when it is no longer needed (vigil token revoke --id " + id +
           ")\n")
              .c_str(),
          stderr);
    }
  });
  AddTokenListAndRevoke(token, ctx, o);
}

}  // namespace vigil
