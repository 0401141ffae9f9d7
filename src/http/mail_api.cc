#include "http/mail_api.h"

#include <boost/json.hpp>

#include "http/json_body.h"
#include "service/mail_sender.h"
#include "service/report_json.h"
#include "service/report_service.h"

namespace vigil {
namespace {

namespace json = boost::json;

}  // namespace

void AddMailRoutes(Router& router, ReportService& service, const Clock& clock) {
  ReportService* s = &service;
  const Clock* c = &clock;
  router.Add({"GET", "/api/v1/mail/outbox", Action::kAdminister,
              [s](const HttpRequest&, const RequestContext& ctx) {
                OutboxQuery q;
                q.limit = 1000;
                if (auto it = ctx.query.find("state"); it != ctx.query.end()) {
                  if (it->second == "pending") {
                    q.state = OutboxState::kPending;
                  } else if (it->second == "sent") {
                    q.state = OutboxState::kSent;
                  } else if (it->second == "dead") {
                    q.state = OutboxState::kDead;
                  } else {
                    return ErrorResponse(Status::Invalid("state must be pending, sent or dead"));
                  }
                }
                Result<std::vector<OutboxEntry>> rows = s->store().ListOutbox(q);
                if (!rows.ok()) return ErrorResponse(rows.status());
                json::array out;
                for (const OutboxEntry& e : *rows) out.push_back(OutboxJson(e));
                return JsonResponse(200, json::object{{"outbox", std::move(out)}});
              }});
  router.Add({"POST", "/api/v1/mail/outbox/{n}/retry", Action::kAdminister,
              [s, c](const HttpRequest&, const RequestContext& ctx) {
                const std::string& n = ctx.params.at("n");
                char* end = nullptr;
                const long long id = std::strtoll(n.c_str(), &end, 10);
                if (n.empty() || n.size() > 18 || *end != '\0' || id <= 0) {
                  return ErrorResponse(Status::NotFound("no outbox mail " + n.substr(0, 20)));
                }
                Status st = RetryOutboxMail(s->store(), *c, ctx.principal, id);
                if (!st.ok()) return ErrorResponse(st);
                return JsonResponse(200, json::object{{"id", id}, {"state", "pending"}});
              }});
  router.Add({"POST", "/api/v1/reports/{id}/keys", Action::kTriage,
              [s, c](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(body, JsonBody::Parse(req, {"email", "key"}));
                VIGIL_HTTP_TRY(email_field, body.String("email", true));
                VIGIL_HTTP_TRY(key, body.String("key", true));
                const std::string email = LowerAscii(email_field);
                Result<Report> r = s->Show(ctx.params.at("id"));
                if (!r.ok()) return ErrorResponse(r.status());
                if (!r->FindParticipant(email) || email.empty()) {
                  return ErrorResponse(
                      Status::Invalid(email.substr(0, 254) + " is not a participant of " + r->id));
                }
                Status st = SetMailKey(s->store(), *c, ctx.principal, email, key);
                if (!st.ok()) return ErrorResponse(st);
                return JsonResponse(200, json::object{{"email", email}, {"encrypted", true}});
              }});
}

}  // namespace vigil
