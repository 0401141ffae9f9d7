// `vigil user ...` and `vigil token ...`: accounts and API tokens.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/cli_context.h"
#include "cli/command_table.h"
#include "service/credentials.h"

namespace vigil {
namespace {

struct AccountOptions {
  std::string email, name, role = "maintainer", label, token;
  bool password_stdin = false;
  int expires_days = 90;
};

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

  auto* token = AddCommand(app, "token");
  token->require_subcommand(1);
  auto* create = token->add_subcommand("create", "Create an API token (printed once)");
  create->add_option("email", o->email, "The account it acts as")->required();
  create->add_option("--label", o->label, "What it is for");
  create->add_option("--expires-days", o->expires_days, "Lifetime in days (0 = never)")
      ->check(CLI::Range(0, 3650));
  create->callback([&ctx, o, service] {
    ReportService* s = service();
    if (!s) return;
    Result<std::string> t = s->CreateApiToken(ctx.Operator(), o->email, o->label, o->expires_days);
    if (ctx.Check(t.status())) ctx.Print(*t + "\n");
  });
  auto* revoke = token->add_subcommand("revoke", "Revoke an API token (read from stdin)");
  revoke->callback([&ctx, service] {
    ReportService* s = service();
    if (!s) return;
    std::string t;
    std::getline(std::cin, t);
    if (ctx.Check(s->RevokeApiToken(ctx.Operator(), t))) ctx.Print("revoked\n");
  });
}

}  // namespace vigil
