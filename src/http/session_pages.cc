// Account pages: login (password + TOTP), logout (this or every session), password change,
// TOTP enrolment with a QR code, and the admins' account management.
#include "http/qr_svg.h"
#include "http/web_pages.h"
#include "service/credentials.h"

namespace vigil {
namespace {

using web::json::array;
using web::json::object;

constexpr CredentialSource kCookie = CredentialSource::kCookie;

// NEXT when it is a path on this server, else the dashboard: one '/' first, then only visible
// ASCII other than '\', '"', '<', '>' and '`'. Browsers drop tabs and newlines and read '\' as
// '/', so "/<TAB>/x" and "/\x" would lead to another host.
std::string SafeNext(std::string_view next) {
  if (next.empty() || next.size() >= 200 || next[0] != '/' || next.starts_with("//")) {
    return "/dashboard";
  }
  for (char c : next) {
    if (c <= ' ' || c >= 0x7f || std::string_view("\\\"<>`").find(c) != std::string_view::npos) {
      return "/dashboard";
    }
  }
  return std::string(next);
}

HttpResponse WithSession(HttpResponse r, const Config& config, const NewSession& s) {
  r.headers.emplace_back("Set-Cookie",
                         web::CookieHeader(config, kSessionCookie, s.token,
                                           static_cast<int64_t>(config.session_hours) * 3600));
  return r;
}

HttpResponse EndSession(HttpResponse r, const Config& config) {
  r.headers.emplace_back("Set-Cookie", web::CookieHeader(config, kSessionCookie, "", 0));
  return r;
}

HttpResponse LoginPage(WebContext& web, const HttpRequest& req, const RequestContext& ctx,
                       const std::string& email, const std::string& next, const std::string& error,
                       int status) {
  object model{
      {"email", email}, {"next", next}, {"error", error}, {"bye", ctx.query.count("bye") > 0}};
  return web::Page(web, req, ctx, "login", "Log in", std::move(model), status);
}

HttpResponse AccountPage(WebContext& web, const HttpRequest& req, const RequestContext& ctx,
                         const std::string& error, int status) {
  const Principal& p = ctx.principal;
  Result<bool> totp = web.sessions.TotpEnabled(p.email);
  if (!totp.ok()) return web::ErrorPage(web, req, totp.status());
  Result<std::optional<TotpSetup>> pending = web.sessions.PendingTotp(p);
  if (!pending.ok()) return web::ErrorPage(web, req, pending.status());
  std::string done;
  if (auto d = ctx.query.find("done"); d != ctx.query.end()) {
    if (d->second == "password") done = "Your password was changed. Other sessions were ended.";
    if (d->second == "totp-on") done = "Two-factor login is on.";
    if (d->second == "totp-off") done = "Two-factor login is off.";
  }
  object model{{"email", p.email},
               {"role", AccountRoleName(p.account_role)},
               {"totp_enabled", *totp},
               {"error", error},
               {"done", done}};
  if (pending->has_value()) {
    // The secret in groups of four, as authenticator apps show it.
    std::string grouped;
    const std::string& secret = (*pending)->secret_base32;
    for (size_t i = 0; i < secret.size(); ++i) {
      if (i && i % 4 == 0) grouped += ' ';
      grouped += secret[i];
    }
    model["pending"] = object{{"secret", secret},
                              {"secret_grouped", grouped},
                              {"uri", (*pending)->uri},
                              {"qr_svg", QrSvg((*pending)->uri, "QR code of the secret")}};
  }
  return web::Page(web, req, ctx, "account", "Your account", std::move(model), status);
}

HttpResponse AccountsPage(WebContext& web, const HttpRequest& req, const RequestContext& ctx,
                          const std::string& error, const std::string& notice, int status) {
  Result<std::vector<Account>> accounts = web.reports.ListAccounts();
  if (!accounts.ok()) return web::ErrorPage(web, req, accounts.status());
  array rows;
  for (const Account& a : *accounts) {
    array roles;
    for (AccountRole r : {AccountRole::kMember, AccountRole::kMaintainer, AccountRole::kAdmin}) {
      roles.push_back(object{{"name", AccountRoleName(r)}, {"selected", r == a.role}});
    }
    rows.push_back(object{{"email", a.email},
                          {"name", a.name},
                          {"role", AccountRoleName(a.role)},
                          {"roles", std::move(roles)},
                          {"disabled", a.disabled},
                          {"self", a.email == ctx.principal.email},
                          {"created", web::Utc(a.created_at)}});
  }
  object model{{"accounts", std::move(rows)}, {"error", error}, {"notice", notice}};
  return web::Page(web, req, ctx, "admin_accounts", "Accounts", std::move(model), status);
}

// Logging in (password, then the TOTP code when enabled) and out (this session or every one).
void AddLoginRoutes(Router& router, WebContext* w) {
  router.Add({"GET", "/login", Action::kSubmit,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                if (ctx.principal.kind == Principal::Kind::kAccount) {
                  return web::Redirect("/dashboard");
                }
                auto next = ctx.query.find("next");
                return LoginPage(*w, req, ctx, "",
                                 next == ctx.query.end() ? "" : SafeNext(next->second), "", 200);
              },
              false, kCookie});

  router.Add({"POST", "/login", Action::kSubmit,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                Result<Form> form = web::CheckedForm(req, ctx);
                if (!form.ok()) return web::ErrorPage(*w, req, form.status());
                LoginAttempt attempt{form->Get("email"), form->Get("password"), form->Get("code"),
                                     req.client_address};
                Result<NewSession> s =
                    w->sessions.Login(attempt, CookieValue(req.cookie, kSessionCookie));
                if (!s.ok()) {
                  RequestContext anonymous = ctx;
                  anonymous.principal = Principal{};
                  HttpResponse r = LoginPage(*w, req, anonymous, form->Get("email").substr(0, 254),
                                             SafeNext(form->Get("next")), s.status().message(),
                                             HttpStatusFor(s.status().code()));
                  return r;
                }
                return WithSession(web::Redirect(SafeNext(form->Get("next"))), w->config, *s);
              },
              false, kCookie});

  router.Add({"POST", "/logout", Action::kList,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                Result<Form> form = web::CheckedForm(req, ctx);
                if (!form.ok()) return web::ErrorPage(*w, req, form.status());
                Status s = w->sessions.Logout(CookieValue(req.cookie, kSessionCookie));
                if (!s.ok()) return web::ErrorPage(*w, req, s);
                return EndSession(web::Redirect("/login?bye=1"), w->config);
              },
              false, kCookie});

  router.Add({"POST", "/logout/all", Action::kList,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                Result<Form> form = web::CheckedForm(req, ctx);
                if (!form.ok()) return web::ErrorPage(*w, req, form.status());
                Status s = w->sessions.LogoutEverywhere(ctx.principal);
                if (!s.ok()) return web::ErrorPage(*w, req, s);
                return EndSession(web::Redirect("/login?bye=1"), w->config);
              },
              false, kCookie});
}

// The signed-in person's own account: password change and two-factor login.
void AddOwnAccountRoutes(Router& router, WebContext* w) {
  router.Add({"GET", "/account", Action::kList,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                return AccountPage(*w, req, ctx, "", 200);
              },
              false, kCookie});

  router.Add({"POST", "/account/password", Action::kList,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                Result<Form> form = web::CheckedForm(req, ctx);
                if (!form.ok()) return web::ErrorPage(*w, req, form.status());
                if (form->Get("new_password") != form->Get("confirm_password")) {
                  return AccountPage(*w, req, ctx, "the new passwords do not match", 400);
                }
                Result<NewSession> s =
                    w->sessions.ChangePassword(ctx.principal, form->Get("current_password"),
                                               form->Get("new_password"), req.client_address);
                if (!s.ok()) {
                  return AccountPage(*w, req, ctx, s.status().message(),
                                     HttpStatusFor(s.status().code()));
                }
                return WithSession(web::Redirect("/account?done=password"), w->config, *s);
              },
              false, kCookie});

  router.Add({"POST", "/account/totp/start", Action::kList,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                Result<Form> form = web::CheckedForm(req, ctx);
                if (!form.ok()) return web::ErrorPage(*w, req, form.status());
                Result<TotpSetup> s = w->sessions.BeginTotp(ctx.principal);
                if (!s.ok()) {
                  return AccountPage(*w, req, ctx, s.status().message(),
                                     HttpStatusFor(s.status().code()));
                }
                return web::Redirect("/account#totp");
              },
              false, kCookie});

  router.Add({"POST", "/account/totp/confirm", Action::kList,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                Result<Form> form = web::CheckedForm(req, ctx);
                if (!form.ok()) return web::ErrorPage(*w, req, form.status());
                Status s = w->sessions.ConfirmTotp(ctx.principal, form->Get("code"));
                if (!s.ok()) return AccountPage(*w, req, ctx, s.message(), HttpStatusFor(s.code()));
                return web::Redirect("/account?done=totp-on");
              },
              false, kCookie});

  router.Add({"POST", "/account/totp/disable", Action::kList,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                Result<Form> form = web::CheckedForm(req, ctx);
                if (!form.ok()) return web::ErrorPage(*w, req, form.status());
                Status s = w->sessions.DisableTotp(ctx.principal, form->Get("password"),
                                                   form->Get("code"), req.client_address);
                if (!s.ok()) return AccountPage(*w, req, ctx, s.message(), HttpStatusFor(s.code()));
                return web::Redirect("/account?done=totp-off");
              },
              false, kCookie});
}

// The admins' account management: list, create, change role, disable or enable.
void AddAccountAdminRoutes(Router& router, WebContext* w) {
  router.Add({"GET", "/admin/accounts", Action::kAdminister,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                return AccountsPage(*w, req, ctx, "", "", 200);
              },
              false, kCookie});

  router.Add({"POST", "/admin/accounts", Action::kAdminister,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                Result<Form> form = web::CheckedForm(req, ctx);
                if (!form.ok()) return web::ErrorPage(*w, req, form.status());
                std::optional<AccountRole> role = ParseAccountRole(form->Get("role"));
                if (!role) return AccountsPage(*w, req, ctx, "choose a role", "", 400);
                std::string password = form->Get("password");
                const bool generated = password.empty();
                if (generated) password = NewPassword();
                Status s = w->reports.AddAccount(ctx.principal, form->Get("email"),
                                                 form->Get("name"), *role, password);
                if (!s.ok())
                  return AccountsPage(*w, req, ctx, s.message(), "", HttpStatusFor(s.code()));
                return AccountsPage(
                    *w, req, ctx, "",
                    "Account " + LowerAscii(form->Get("email")) + " created." +
                        (generated ? " Its password (shown once): " + password : ""),
                    201);
              },
              false, kCookie});

  router.Add({"POST", "/admin/accounts/role", Action::kAdminister,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                Result<Form> form = web::CheckedForm(req, ctx);
                if (!form.ok()) return web::ErrorPage(*w, req, form.status());
                std::optional<AccountRole> role = ParseAccountRole(form->Get("role"));
                if (!role) return AccountsPage(*w, req, ctx, "choose a role", "", 400);
                Status s = w->sessions.SetAccountRole(ctx.principal, form->Get("email"), *role);
                if (!s.ok())
                  return AccountsPage(*w, req, ctx, s.message(), "", HttpStatusFor(s.code()));
                return web::Redirect("/admin/accounts");
              },
              false, kCookie});

  router.Add({"POST", "/admin/accounts/status", Action::kAdminister,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                Result<Form> form = web::CheckedForm(req, ctx);
                if (!form.ok()) return web::ErrorPage(*w, req, form.status());
                Status s = w->reports.SetAccountDisabled(
                    ctx.principal, LowerAscii(form->Get("email")), form->Get("disabled") == "1");
                if (!s.ok())
                  return AccountsPage(*w, req, ctx, s.message(), "", HttpStatusFor(s.code()));
                return web::Redirect("/admin/accounts");
              },
              false, kCookie});
}

}  // namespace

void AddSessionPageRoutes(Router& router, WebContext& web) {
  AddLoginRoutes(router, &web);
  AddOwnAccountRoutes(router, &web);
  AddAccountAdminRoutes(router, &web);
}

}  // namespace vigil
