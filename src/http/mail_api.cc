#include "http/mail_api.h"

#include <boost/json.hpp>

#include "http/json_body.h"
#include "service/mail_admin_service.h"
#include "service/report_json.h"

namespace vigil {
namespace {

namespace json = boost::json;

// The outbox number N of a path; 0 when it is not one.
int64_t OutboxNumber(const std::string& n) {
  char* end = nullptr;
  const long long id = std::strtoll(n.c_str(), &end, 10);
  if (n.empty() || n.size() > 18 || *end != '\0' || id <= 0) return 0;
  return id;
}

HttpResponse ShowMail(MailAdminService* m, const Config* config, const RequestContext& ctx,
                      const std::string& report_id) {
  const std::string& n = ctx.params.at("n");
  const int64_t id = OutboxNumber(n);
  if (id == 0) return ErrorResponse(Status::NotFound("no outbox mail " + n.substr(0, 20)));
  Result<ShownMail> shown = m->Show(*config, id, report_id);
  if (!shown.ok()) return ErrorResponse(shown.status());
  return JsonResponse(200, ShownMailJson(*shown));
}

}  // namespace

void AddMailRoutes(Router& router, MailAdminService& mail, const Config& config) {
  MailAdminService* m = &mail;
  const Config* c = &config;
  router.Add({"GET", "/api/v1/mail/outbox", Action::kAdminister,
              [m](const HttpRequest&, const RequestContext& ctx) {
                std::optional<OutboxState> state;
                if (auto it = ctx.query.find("state"); it != ctx.query.end()) {
                  state = ParseOutboxState(it->second);
                  if (!state) {
                    return ErrorResponse(
                        Status::Invalid("state must be pending, sending, sent or dead"));
                  }
                }
                Result<std::vector<OutboxEntry>> rows = m->Outbox(state, 1000);
                if (!rows.ok()) return ErrorResponse(rows.status());
                json::array out;
                for (const OutboxEntry& e : *rows) out.push_back(OutboxJson(e));
                return JsonResponse(200, json::object{{"outbox", std::move(out)}});
              }});
  // One mail in full: any mail for an admin; a report's mail for whoever may triage that report
  // (its coordinator, maintainers), authorized on the report like every report route.
  router.Add(
      {"GET", "/api/v1/mail/outbox/{n}", Action::kAdminister,
       [m, c](const HttpRequest&, const RequestContext& ctx) { return ShowMail(m, c, ctx, ""); }});
  router.Add({"GET", "/api/v1/reports/{id}/mail/{n}", Action::kTriage,
              [m, c](const HttpRequest&, const RequestContext& ctx) {
                return ShowMail(m, c, ctx, ctx.params.at("id"));
              }});
  router.Add({"POST", "/api/v1/mail/outbox/{n}/retry", Action::kAdminister,
              [m](const HttpRequest&, const RequestContext& ctx) {
                const std::string& n = ctx.params.at("n");
                const int64_t id = OutboxNumber(n);
                if (id == 0) {
                  return ErrorResponse(Status::NotFound("no outbox mail " + n.substr(0, 20)));
                }
                Status st = m->Retry(ctx.principal, id);
                if (!st.ok()) return ErrorResponse(st);
                return JsonResponse(200, json::object{{"id", id}, {"state", "pending"}});
              }});
  router.Add({"POST", "/api/v1/reports/{id}/keys", Action::kTriage,
              [m](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(body, JsonBody::Parse(req, {"email", "key"}));
                VIGIL_HTTP_TRY(email_field, body.String("email", true));
                VIGIL_HTTP_TRY(key, body.String("key", true));
                const std::string email = LowerAscii(email_field);
                Status st = m->SetParticipantKey(ctx.principal, ctx.params.at("id"), email, key);
                if (!st.ok()) return ErrorResponse(st);
                return JsonResponse(200, json::object{{"email", email}, {"encrypted", true}});
              }});
}

}  // namespace vigil
