#include "http/mail_api.h"

#include <boost/json.hpp>

#include "service/mail_sender.h"
#include "service/report_json.h"
#include "service/report_service.h"

namespace vigil {
namespace {

namespace json = boost::json;

HttpResponse Json(int status, const json::value& v) {
  HttpResponse r;
  r.status = status;
  r.body = json::serialize(v) + "\n";
  return r;
}

// Reads a JSON object body with exactly the string fields REQUIRED (no others).
Result<json::object> StringFields(const HttpRequest& req, std::initializer_list<const char*> keys) {
  if (!std::string_view(req.content_type).starts_with("application/json")) {
    return Status::Invalid("Content-Type must be application/json");
  }
  std::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec) return Status::Invalid("request body is not valid JSON");
  if (!v.is_object()) return Status::Invalid("request body must be a JSON object");
  json::object& o = v.as_object();
  for (const auto& kv : o) {
    bool known = false;
    for (const char* k : keys) known = known || kv.key() == k;
    if (!known) {
      return Status::Invalid("unknown field \"" + std::string(kv.key().substr(0, 64)) + "\"");
    }
  }
  for (const char* k : keys) {
    const json::value* f = o.if_contains(k);
    if (!f) return Status::Invalid(std::string("field \"") + k + "\" is required");
    if (!f->is_string())
      return Status::Invalid(std::string("field \"") + k + "\" must be a string");
  }
  return std::move(o);
}

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
                return Json(200, json::object{{"outbox", std::move(out)}});
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
                return Json(200, json::object{{"id", id}, {"state", "pending"}});
              }});
  router.Add({"POST", "/api/v1/reports/{id}/keys", Action::kTriage,
              [s, c](const HttpRequest& req, const RequestContext& ctx) {
                Result<json::object> body = StringFields(req, {"email", "key"});
                if (!body.ok()) return ErrorResponse(body.status());
                const std::string email = LowerAscii(std::string(body->at("email").as_string()));
                Result<Report> r = s->Show(ctx.params.at("id"));
                if (!r.ok()) return ErrorResponse(r.status());
                if (!r->FindParticipant(email) || email.empty()) {
                  return ErrorResponse(
                      Status::Invalid(email.substr(0, 254) + " is not a participant of " + r->id));
                }
                Status st = SetMailKey(s->store(), *c, ctx.principal, email,
                                       std::string(body->at("key").as_string()));
                if (!st.ok()) return ErrorResponse(st);
                return Json(200, json::object{{"email", email}, {"encrypted", true}});
              }});
}

}  // namespace vigil
