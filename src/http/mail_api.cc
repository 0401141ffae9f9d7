#include "http/mail_api.h"

#include <boost/json.hpp>

#include "http/json_body.h"
#include "service/mail_admin_service.h"
#include "service/report_json.h"

namespace vigil {
namespace {

namespace json = boost::json;

}  // namespace

void AddMailRoutes(Router& router, MailAdminService& mail) {
  MailAdminService* m = &mail;
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
  router.Add({"POST", "/api/v1/mail/outbox/{n}/retry", Action::kAdminister,
              [m](const HttpRequest&, const RequestContext& ctx) {
                const std::string& n = ctx.params.at("n");
                char* end = nullptr;
                const long long id = std::strtoll(n.c_str(), &end, 10);
                if (n.empty() || n.size() > 18 || *end != '\0' || id <= 0) {
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
