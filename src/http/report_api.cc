#include "http/report_api.h"

#include <boost/json.hpp>
#include <initializer_list>
#include <set>

#include "core/level_policy.h"
#include "core/text.h"
#include "http/json_body.h"
#include "service/credentials.h"
#include "service/report_json.h"
#include "service/report_service.h"

namespace vigil {
namespace {

namespace json = boost::json;

constexpr char kReportsBase[] = "/api/v1/reports";

HttpResponse ReportOr(const Result<Report>& r) {
  if (!r.ok()) return ErrorResponse(r.status());
  return JsonResponse(200, ReportJson(*r));
}

/// The submission in REQ's body, or the error naming the field at fault.
Status ParseSubmission(const HttpRequest& req, SubmitRequest* out) {
  Result<JsonBody> b = JsonBody::Parse(
      req, {"subject", "steps", "effects_cluster", "effects_applications", "effects_infrastructure",
            "workflows", "attack_vectors", "other_software", "reporter_email", "reporter_name"});
  if (!b.ok()) return b.status();
  const std::pair<const char*, std::string*> fields[] = {
      {"subject", &out->fields.subject},
      {"steps", &out->fields.steps},
      {"effects_cluster", &out->fields.effects_cluster},
      {"effects_applications", &out->fields.effects_applications},
      {"effects_infrastructure", &out->fields.effects_infrastructure},
      {"workflows", &out->fields.workflows},
      {"attack_vectors", &out->fields.attack_vectors},
      {"other_software", &out->fields.other_software},
      {"reporter_email", &out->reporter_email},
      {"reporter_name", &out->reporter_name},
  };
  for (auto [key, value] : fields) {
    Result<std::string> v = b->String(key, false);
    if (!v.ok()) return v.status();
    *value = *std::move(v);
  }
  return Status::Ok();
}

// GET /healthz, GET /metrics (the server's counters, reports by state, outbox depth) and
// GET /api/v1/whoami.
void AddStatusRoutes(Router& router, ReportService* s, const Metrics* m) {
  router.Add({"GET", "/healthz", std::nullopt, [](const HttpRequest&, const RequestContext&) {
                return JsonResponse(200, json::object{{"status", "ok"}});
              }});
  router.Add(
      {"GET", "/metrics", Action::kMetrics, [s, m](const HttpRequest&, const RequestContext&) {
         HttpResponse r;
         r.content_type = "text/plain; version=0.0.4";
         r.body = m->Render();
         r.body += "# HELP vigil_reports Reports by state.\n# TYPE vigil_reports gauge\n";
         if (auto counts = s->CountByState(); counts.ok()) {
           for (const auto& [state, n] : *counts) {
             r.body += std::string("vigil_reports{state=\"") + StateName(state) + "\"} " +
                       std::to_string(n) + "\n";
           }
         }
         r.body +=
             "# HELP vigil_outbox_pending Mails waiting for delivery.\n"
             "# TYPE vigil_outbox_pending gauge\n";
         if (auto depth = s->PendingMailCount(); depth.ok()) {
           r.body += "vigil_outbox_pending " + std::to_string(*depth) + "\n";
         }
         return r;
       }});
  router.Add(
      {"GET", "/api/v1/whoami", Action::kList, [](const HttpRequest&, const RequestContext& ctx) {
         const Principal& p = ctx.principal;
         json::object o{{"principal", p.AuditName()}, {"email", p.email}};
         if (p.kind == Principal::Kind::kAccount) o["role"] = AccountRoleName(p.account_role);
         if (p.kind == Principal::Kind::kCapability) o["report"] = p.report_id;
         return JsonResponse(200, o);
       }});
}

// Submitting, listing and reading reports: the report, its thread (and posting to it), its
// audit trail.
void AddReportRoutes(Router& router, ReportService* s) {
  const std::string base = kReportsBase;
  // The busiest route, and the one anonymous callers use: it does not hold a thread while the
  // report is written (the response goes out from the write's completion).
  Endpoint submit{"POST", base, Action::kSubmit, nullptr, /*rate_limited=*/true};
  submit.async_handler = [s](const HttpRequest& req, const RequestContext& ctx, Respond respond) {
    SubmitRequest sr;
    if (Status st = ParseSubmission(req, &sr); !st.ok()) return respond(ErrorResponse(st));
    s->SubmitThen(
        ctx.principal, std::move(sr), [s, respond = std::move(respond)](Result<Submitted> done) {
          if (!done.ok()) return respond(ErrorResponse(done.status()));
          HttpResponse r = JsonResponse(
              201, json::object{{"id", done->id},
                                {"token", done->token},
                                {"url", s->config().public_url + "/api/v1/reports/" + done->id},
                                {"tracking_url", s->TrackingUrl(done->token)}});
          r.headers.emplace_back("Location", "/api/v1/reports/" + done->id);
          respond(std::move(r));
        });
  };
  router.Add(std::move(submit));

  // One page of the reports the caller may see, newest first; next_cursor continues it.
  router.Add(
      {"GET", base, Action::kList, [s](const HttpRequest&, const RequestContext& ctx) {
         ReportQuery q;
         q.limit = 500;
         auto param = [&](const char* name) -> const std::string* {
           auto it = ctx.query.find(name);
           return it == ctx.query.end() ? nullptr : &it->second;
         };
         if (const std::string* v = param("state")) {
           q.state = ParseState(*v);
           if (!q.state) {
             return ErrorResponse(Status::Invalid("unknown state \"" + v->substr(0, 32) + "\""));
           }
         }
         if (const std::string* v = param("limit")) {
           char* end = nullptr;
           const long n = std::strtol(v->c_str(), &end, 10);
           if (v->empty() || *end != '\0' || n < 1 || n > kMaxPageSize) {
             return ErrorResponse(
                 Status::Invalid("limit must be 1 to " + std::to_string(kMaxPageSize)));
           }
           q.limit = static_cast<int>(n);
         }
         if (const std::string* v = param("level")) {
           if (*v == "none") {
             q.level = 0;
           } else if (v->size() == 1 && (*v)[0] >= '0' + kMinLevel && (*v)[0] <= '0' + kMaxLevel) {
             q.level = (*v)[0] - '0';
           } else {
             return ErrorResponse(Status::Invalid("level must be " + std::to_string(kMinLevel) +
                                                  " to " + std::to_string(kMaxLevel) +
                                                  ", or none (not classified)"));
           }
         }
         if (const std::string* v = param("coordinator")) {
           q.coordinator = *v == "none" ? "" : LowerAscii(*v);
         }
         if (const std::string* v = param("updated_since")) {
           Result<Instant> t = ParseUtc(*v);
           if (!t.ok()) {
             return ErrorResponse(
                 Status::Invalid("updated_since must be a UTC time like 2026-12-01T00:00:00Z"));
           }
           q.updated_since = *t;
         }
         if (const std::string* v = param("q")) q.text = *v;
         if (const std::string* v = param("cursor")) q.cursor = *v;
         Result<ReportListPage> page = s->ListPage(ctx.principal, q);
         if (!page.ok()) return ErrorResponse(page.status());
         json::array items;
         for (const ReportSummary& r : page->reports) items.push_back(SummaryJson(r));
         return JsonResponse(
             200, json::object{
                      {"reports", std::move(items)},
                      {"next_cursor", page->next_cursor.empty() ? json::value(nullptr)
                                                                : json::value(page->next_cursor)}});
       }});

  router.Add(
      {"GET", base + "/{id}", Action::kRead, [s](const HttpRequest&, const RequestContext& ctx) {
         return ReportOr(s->Show(ctx.params.at("id")));
       }});
  router.Add({"GET", base + "/{id}/thread", Action::kRead,
              [s](const HttpRequest&, const RequestContext& ctx) {
                Result<std::vector<ThreadMessage>> t =
                    s->Thread(ctx.principal, ctx.params.at("id"));
                if (!t.ok()) return ErrorResponse(t.status());
                json::array items;
                for (const ThreadMessage& msg : *t) items.push_back(MessageJson(msg));
                return JsonResponse(200, json::object{{"messages", std::move(items)}});
              }});
  router.Add({"POST", base + "/{id}/messages", Action::kPost,
              [s](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(b, JsonBody::Parse(req, {"body"}));
                VIGIL_HTTP_TRY(body, b.String("body", true));
                Result<ThreadMessage> msg =
                    s->PostMessage(ctx.principal, ctx.params.at("id"), std::move(body));
                if (!msg.ok()) return ErrorResponse(msg.status());
                return JsonResponse(201, MessageJson(*msg));
              }});
  router.Add({"POST", base + "/{id}/messages/{seq}/release", Action::kTriage,
              [s](const HttpRequest&, const RequestContext& ctx) {
                const std::string& seq = ctx.params.at("seq");
                if (seq.empty() || seq.size() > 9 ||
                    seq.find_first_not_of("0123456789") != std::string::npos) {
                  return ErrorResponse(Status::NotFound("message " + seq.substr(0, 32) + " of " +
                                                        ctx.params.at("id") + " not found"));
                }
                Result<ThreadMessage> msg =
                    s->ReleaseMessage(ctx.principal, ctx.params.at("id"), std::stoll(seq));
                if (!msg.ok()) return ErrorResponse(msg.status());
                return JsonResponse(201, MessageJson(*msg));
              }});
  router.Add({"GET", base + "/{id}/events", Action::kAudit,
              [s](const HttpRequest&, const RequestContext& ctx) {
                Result<std::vector<StoredEvent>> events = s->AuditTrail(ctx.params.at("id"));
                if (!events.ok()) return ErrorResponse(events.status());
                json::array items;
                for (const StoredEvent& e : *events) items.push_back(EventJson(e));
                return JsonResponse(200, json::object{{"events", std::move(items)}});
              }});
}

// The coordinator's commands on one report (assign, confirm, reject, duplicate, classify,
// embargo, participants) and the reporter's withdrawal.
void AddTriageRoutes(Router& router, ReportService* s) {
  const std::string base = kReportsBase;
  router.Add({"POST", base + "/{id}/assign", Action::kTriage,
              [s](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(b, JsonBody::Parse(req, {"coordinator"}));
                VIGIL_HTTP_TRY(coordinator, b.String("coordinator", false));
                return ReportOr(s->Assign(ctx.principal, ctx.params.at("id"), coordinator));
              }});
  router.Add({"POST", base + "/{id}/confirm", Action::kTriage,
              [s](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(b, JsonBody::Parse(req, {}));
                (void)b;
                return ReportOr(s->Confirm(ctx.principal, ctx.params.at("id")));
              }});
  router.Add({"POST", base + "/{id}/reject", Action::kTriage,
              [s](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(b, JsonBody::Parse(req, {"reason"}));
                VIGIL_HTTP_TRY(reason, b.String("reason", true));
                return ReportOr(s->Reject(ctx.principal, ctx.params.at("id"), reason));
              }});
  router.Add({"POST", base + "/{id}/duplicate", Action::kTriage,
              [s](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(b, JsonBody::Parse(req, {"of", "reason"}));
                VIGIL_HTTP_TRY(of, b.String("of", true));
                VIGIL_HTTP_TRY(reason, b.String("reason", false));
                return ReportOr(s->MarkDuplicate(ctx.principal, ctx.params.at("id"), of, reason));
              }});
  router.Add({"POST", base + "/{id}/classify", Action::kTriage,
              [s](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(b, JsonBody::Parse(req, {"level", "reason"}));
                VIGIL_HTTP_TRY(level, b.Int("level", true));
                VIGIL_HTTP_TRY(reason, b.String("reason", false));
                if (level < kMinLevel || level > kMaxLevel) {
                  return ErrorResponse(
                      Status::Invalid("level must be 1 to 7, got " + std::to_string(level)));
                }
                return ReportOr(s->Classify(ctx.principal, ctx.params.at("id"),
                                            static_cast<int>(level), reason));
              }});
  router.Add({"POST", base + "/{id}/embargo", Action::kTriage,
              [s](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(b, JsonBody::Parse(req, {"end", "reason", "broken"}));
                VIGIL_HTTP_TRY(reason, b.String("reason", false));
                VIGIL_HTTP_TRY(broken, b.String("broken", false));
                if (!broken.empty()) {
                  if (broken != "true") {
                    return ErrorResponse(Status::Invalid("field \"broken\" must be \"true\""));
                  }
                  return ReportOr(s->BreakEmbargo(ctx.principal, ctx.params.at("id"), reason));
                }
                VIGIL_HTTP_TRY(end_text, b.String("end", true));
                Result<Instant> end = ParseUtc(end_text);
                if (!end.ok()) return ErrorResponse(end.status());
                return ReportOr(s->SetEmbargo(ctx.principal, ctx.params.at("id"), *end, reason));
              }});
  router.Add({"POST", base + "/{id}/participants", Action::kTriage,
              [s](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(b, JsonBody::Parse(req, {"email", "name", "role"}));
                VIGIL_HTTP_TRY(email, b.String("email", true));
                VIGIL_HTTP_TRY(name, b.String("name", false));
                VIGIL_HTTP_TRY(role_name, b.String("role", true));
                std::optional<Role> role = ParseRole(role_name);
                if (!role) {
                  return ErrorResponse(Status::Invalid(
                      "role must be reporter, maintainer, collaborator or observer"));
                }
                Result<Invited> inv =
                    s->Invite(ctx.principal, ctx.params.at("id"), email, name, *role);
                if (!inv.ok()) return ErrorResponse(inv.status());
                json::object o = ReportJson(inv->report);
                o["token"] = inv->token;
                o["tracking_url"] = s->TrackingUrl(inv->token);
                return JsonResponse(201, o);
              }});
  router.Add({"POST", base + "/{id}/participants/remove", Action::kManageParticipants,
              [s](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(b, JsonBody::Parse(req, {"email"}));
                VIGIL_HTTP_TRY(email, b.String("email", true));
                return ReportOr(s->RemoveParticipant(ctx.principal, ctx.params.at("id"), email));
              }});
  router.Add({"POST", base + "/{id}/participants/relink", Action::kManageParticipants,
              [s](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(b, JsonBody::Parse(req, {"email"}));
                VIGIL_HTTP_TRY(email, b.String("email", true));
                return ReportOr(s->ReplaceLink(ctx.principal, ctx.params.at("id"), email));
              }});
  router.Add({"POST", base + "/{id}/participants/unbounce", Action::kManageParticipants,
              [s](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(b, JsonBody::Parse(req, {"email"}));
                VIGIL_HTTP_TRY(email, b.String("email", true));
                return ReportOr(s->ClearBouncing(ctx.principal, ctx.params.at("id"), email));
              }});
  router.Add({"POST", base + "/{id}/withdraw", Action::kWithdraw,
              [s](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(b, JsonBody::Parse(req, {"reason"}));
                VIGIL_HTTP_TRY(reason, b.String("reason", false));
                return ReportOr(s->Withdraw(ctx.principal, ctx.params.at("id"), reason));
              }});
}

// Account administration: list and add accounts, issue API tokens.
void AddAccountRoutes(Router& router, ReportService* s) {
  router.Add({"GET", "/api/v1/accounts", Action::kAdminister,
              [s](const HttpRequest&, const RequestContext&) {
                Result<std::vector<Account>> list = s->ListAccounts();
                if (!list.ok()) return ErrorResponse(list.status());
                json::array items;
                for (const Account& a : *list) {
                  items.push_back({{"email", a.email},
                                   {"name", a.name},
                                   {"role", AccountRoleName(a.role)},
                                   {"disabled", a.disabled},
                                   {"created_at", FormatUtc(a.created_at)}});
                }
                return JsonResponse(200, json::object{{"accounts", std::move(items)}});
              }});
  router.Add({"POST", "/api/v1/accounts", Action::kAdminister,
              [s](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(b, JsonBody::Parse(req, {"email", "name", "role", "password"}));
                VIGIL_HTTP_TRY(email, b.String("email", true));
                VIGIL_HTTP_TRY(name, b.String("name", false));
                VIGIL_HTTP_TRY(role_name, b.String("role", true));
                VIGIL_HTTP_TRY(password, b.String("password", false));
                std::optional<AccountRole> role = ParseAccountRole(role_name);
                if (!role) {
                  return ErrorResponse(Status::Invalid("role must be member, maintainer or admin"));
                }
                Status st = s->AddAccount(ctx.principal, email, name, *role, password);
                if (!st.ok()) return ErrorResponse(st);
                return JsonResponse(201, json::object{{"email", email}});
              }});
  router.Add({"POST", "/api/v1/tokens", Action::kAdminister,
              [s](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(b, JsonBody::Parse(req, {"account", "label", "expires_days"}));
                VIGIL_HTTP_TRY(account, b.String("account", true));
                VIGIL_HTTP_TRY(label, b.String("label", false));
                VIGIL_HTTP_TRY(days, b.OptInt("expires_days"));
                if (days && (*days < 0 || *days > 3650)) {
                  return ErrorResponse(Status::Invalid("expiry must be 0 to 3650 days"));
                }
                const std::optional<int> ttl =
                    days ? std::optional<int>(static_cast<int>(*days)) : std::nullopt;
                Result<std::string> token = s->CreateApiToken(ctx.principal, account, label, ttl);
                if (!token.ok()) return ErrorResponse(token.status());
                json::object out{{"token", *token}, {"id", TokenHashLabel(TokenHash(*token))}};
                // A token that never expires is allowed, but said aloud.
                if (ttl == 0) out["warning"] = "this API token never expires";
                return JsonResponse(201, out);
              }});
}

// API tokens by id: an account lists and revokes its own, an admin every account's
// (Action::kManageTokens here, MayManageTokensOf per token in the service).
void AddTokenRoutes(Router& router, ReportService* s) {
  router.Add({"GET", "/api/v1/tokens", Action::kManageTokens,
              [s](const HttpRequest&, const RequestContext& ctx) {
                auto email = ctx.query.find("email");
                Result<std::vector<ApiTokenInfo>> list =
                    s->ListApiTokens(ctx.principal, email == ctx.query.end() ? "" : email->second);
                if (!list.ok()) return ErrorResponse(list.status());
                json::array items;
                for (const ApiTokenInfo& t : *list) items.push_back(ApiTokenJson(t));
                return JsonResponse(200, json::object{{"tokens", std::move(items)}});
              }});
  router.Add({"DELETE", "/api/v1/tokens/{token_id}", Action::kManageTokens,
              [s](const HttpRequest&, const RequestContext& ctx) {
                const std::string& id = ctx.params.at("token_id");
                Status st = s->RevokeApiTokenById(ctx.principal, id);
                if (!st.ok()) return ErrorResponse(st);
                return JsonResponse(200, json::object{{"id", id}, {"state", "revoked"}});
              }});
}

}  // namespace

void AddReportApiRoutes(Router& router, ReportService& service, const Metrics& metrics) {
  AddStatusRoutes(router, &service, &metrics);
  AddReportRoutes(router, &service);
  AddTriageRoutes(router, &service);
  AddAccountRoutes(router, &service);
  AddTokenRoutes(router, &service);
}

}  // namespace vigil
