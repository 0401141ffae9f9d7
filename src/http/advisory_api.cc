#include "http/advisory_api.h"

#include <boost/json.hpp>
#include <set>

#include "service/advisory_service.h"
#include "service/disclosure_service.h"

namespace vigil {
namespace {

namespace json = boost::json;

HttpResponse JsonResponse(int status, const json::value& v) {
  HttpResponse r;
  r.status = status;
  r.body = json::serialize(v);
  r.body += '\n';
  return r;
}

// The request's JSON object, with only ALLOWED keys. An empty body is an empty object.
Result<json::object> ParseBody(const HttpRequest& req, std::initializer_list<const char*> allowed) {
  if (req.body.empty()) return json::object();
  if (!std::string_view(req.content_type).starts_with("application/json")) {
    return Status::Invalid("Content-Type must be application/json");
  }
  json::parse_options opts;
  opts.max_depth = 8;
  std::error_code ec;
  json::value v = json::parse(req.body, ec, {}, opts);
  if (ec) return Status::Invalid("request body is not valid JSON");
  if (!v.is_object()) return Status::Invalid("request body must be a JSON object");
  const std::set<std::string_view> known(allowed.begin(), allowed.end());
  for (const auto& kv : v.as_object()) {
    if (!known.count(kv.key())) {
      return Status::Invalid("unknown field \"" + std::string(kv.key().substr(0, 64)) + "\"");
    }
  }
  return std::move(v.as_object());
}

Status WrongType(const std::string& field, const char* what) {
  return Status::Invalid("field \"" + field + "\" must be " + what);
}

Result<std::optional<std::string>> OptString(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) return WrongType(key, "a string");
  return std::optional<std::string>(std::string(v->as_string()));
}

// An array of objects whose string fields FIELDS are read in order ("" when absent).
Result<std::optional<std::vector<std::vector<std::string>>>> OptRows(
    const json::object& o, const char* key, std::initializer_list<const char*> fields) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<std::vector<std::vector<std::string>>>();
  if (!v->is_array()) return WrongType(key, "an array");
  std::vector<std::vector<std::string>> rows;
  for (const json::value& item : v->as_array()) {
    if (!item.is_object()) return WrongType(key, "an array of objects");
    std::vector<std::string> row;
    for (const char* f : fields) {
      const json::value* x = item.as_object().if_contains(f);
      if (x && !x->is_string()) return WrongType(std::string(key) + "." + f, "a string");
      row.push_back(x ? std::string(x->as_string()) : "");
    }
    rows.push_back(std::move(row));
  }
  return std::optional<std::vector<std::vector<std::string>>>(std::move(rows));
}

json::object DraftView(const std::string& id, const AdvisoryDraft& d) {
  json::object o = DraftToJsonObject(d);
  o["report"] = id;
  json::array scores;
  for (const std::string& v : d.cvss_vectors) {
    Result<std::string> s = DescribeScores(v);
    scores.push_back({{"vector", v}, {"scores", s.ok() ? *s : s.status().message()}});
  }
  o["scores"] = std::move(scores);
  return o;
}

HttpResponse DraftOr(const std::string& id, const Result<AdvisoryDraft>& d) {
  if (!d.ok()) return ErrorResponse(d.status());
  return JsonResponse(200, DraftView(id, *d));
}

json::value PlanJson(const std::optional<DisclosurePlanRow>& p) {
  if (!p) return nullptr;
  return json::object{{"slot", FormatUtc(p->slot)},
                      {"notice_days", p->notice_days},
                      {"on_duty", p->on_duty},
                      {"confirmed_at", p->confirmed_at ? FormatUtc(p->confirmed_at) : ""},
                      {"confirmed_by", p->confirmed_by},
                      {"public_view", p->public_view}};
}

#define VIGIL_TRY(var, expr)                                 \
  auto var##_r = (expr);                                     \
  if (!var##_r.ok()) return ErrorResponse(var##_r.status()); \
  auto var = std::move(var##_r).value()

}  // namespace

void AddAdvisoryRoutes(Router& router, AdvisoryService& advisories, DisclosureService& disclosure) {
  AdvisoryService* a = &advisories;
  DisclosureService* d = &disclosure;
  const std::string base = "/api/v1/reports/{id}";

  router.Add({"GET", base + "/advisory", Action::kRead,
              [a](const HttpRequest&, const RequestContext& ctx) {
                const std::string& id = ctx.params.at("id");
                return DraftOr(id, a->Draft(id));
              }});
  router.Add({"POST", base + "/advisory", Action::kTriage,
              [a](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_TRY(body, ParseBody(req, {"title", "summary", "details", "ranges",
                                                "weaknesses", "cvss", "references"}));
                AdvisoryEdit e;
                VIGIL_TRY(title, OptString(body, "title"));
                VIGIL_TRY(summary, OptString(body, "summary"));
                VIGIL_TRY(details, OptString(body, "details"));
                e.title = title;
                e.summary = summary;
                e.details = details;
                VIGIL_TRY(ranges, OptRows(body, "ranges", {"introduced", "fixed"}));
                if (ranges) {
                  e.ranges.emplace();
                  for (auto& r : *ranges) e.ranges->push_back({r[0], r[1]});
                }
                VIGIL_TRY(weaknesses, OptRows(body, "weaknesses", {"id", "name"}));
                if (weaknesses) {
                  e.weaknesses.emplace();
                  for (auto& w : *weaknesses) e.weaknesses->push_back({w[0], w[1]});
                }
                VIGIL_TRY(refs, OptRows(body, "references", {"type", "url"}));
                if (refs) {
                  e.references.emplace();
                  for (auto& r : *refs) {
                    VIGIL_TRY(type, advisory::ParseReferenceType(r[0]));
                    e.references->push_back({type, r[1]});
                  }
                }
                if (const json::value* v = body.if_contains("cvss"); v && !v->is_null()) {
                  if (!v->is_array()) return ErrorResponse(WrongType("cvss", "an array"));
                  e.cvss_vectors.emplace();
                  for (const json::value& x : v->as_array()) {
                    if (!x.is_string()) {
                      return ErrorResponse(WrongType("cvss", "an array of strings"));
                    }
                    e.cvss_vectors->emplace_back(x.as_string());
                  }
                }
                const std::string& id = ctx.params.at("id");
                return DraftOr(id, a->Edit(ctx.principal, id, e));
              }});
  router.Add({"POST", base + "/advisory/credits", Action::kTriage,
              [a](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_TRY(body, ParseBody(req, {"name", "email", "type", "consent"}));
                VIGIL_TRY(name, OptString(body, "name"));
                VIGIL_TRY(email, OptString(body, "email"));
                VIGIL_TRY(type_name, OptString(body, "type"));
                VIGIL_TRY(consent_name, OptString(body, "consent"));
                VIGIL_TRY(type, advisory::ParseCreditType(type_name.value_or("finder")));
                std::optional<CreditConsent> consent =
                    ParseConsent(consent_name.value_or("pending"));
                if (!consent) {
                  return ErrorResponse(
                      Status::Invalid("consent must be pending, named, anonymous or declined"));
                }
                DraftCredit c;
                c.name = name.value_or("");
                c.email = email.value_or("");
                c.type = type;
                c.consent = *consent;
                const std::string& id = ctx.params.at("id");
                return DraftOr(id, a->SetCredit(ctx.principal, id, c));
              }});
  router.Add({"POST", base + "/advisory/consent", Action::kPost,
              [a](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_TRY(body, ParseBody(req, {"consent"}));
                VIGIL_TRY(consent_name, OptString(body, "consent"));
                std::optional<CreditConsent> consent = ParseConsent(consent_name.value_or(""));
                if (!consent) {
                  return ErrorResponse(
                      Status::Invalid("consent must be pending, named, anonymous or declined"));
                }
                const std::string& id = ctx.params.at("id");
                Result<AdvisoryDraft> done = a->SetOwnConsent(ctx.principal, id, *consent);
                if (!done.ok()) return ErrorResponse(done.status());
                return JsonResponse(200, json::object{{"consent", ConsentName(*consent)}});
              }});
  router.Add({"POST", base + "/advisory/id", Action::kTriage,
              [a](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_TRY(body, ParseBody(req, {"id"}));
                VIGIL_TRY(external, OptString(body, "id"));
                if (!external) return ErrorResponse(Status::Invalid("field \"id\" is required"));
                const std::string& id = ctx.params.at("id");
                return DraftOr(id, a->SetExternalId(ctx.principal, id, *external));
              }});
  router.Add({"GET", base + "/advisory/export", Action::kRead,
              [a](const HttpRequest&, const RequestContext& ctx) {
                auto f = ctx.query.find("format");
                VIGIL_TRY(format, ParseExportFormat(f == ctx.query.end() ? "" : f->second));
                VIGIL_TRY(text, a->Export(ctx.params.at("id"), format));
                HttpResponse r;
                r.content_type = format == ExportFormat::kMarkdown ? "text/markdown; charset=utf-8"
                                                                   : "application/json";
                r.body = std::move(text);
                return r;
              }});
  router.Add(
      {"GET", base + "/plan", Action::kRead, [d](const HttpRequest&, const RequestContext& ctx) {
         const std::string& id = ctx.params.at("id");
         VIGIL_TRY(plan, d->Plan(id));
         VIGIL_TRY(log, d->Log(id));
         json::array steps;
         for (const DisclosureStepRow& s : log) {
           steps.push_back({{"step", s.step},
                            {"state", s.state},
                            {"detail", s.detail},
                            {"at", FormatUtc(s.at)}});
         }
         return JsonResponse(200,
                             json::object{{"plan", PlanJson(plan)}, {"log", std::move(steps)}});
       }});
  router.Add({"POST", base + "/plan", Action::kTriage,
              [d](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_TRY(body, ParseBody(req, {"slot", "on_duty", "notice_days"}));
                VIGIL_TRY(slot_text, OptString(body, "slot"));
                VIGIL_TRY(on_duty, OptString(body, "on_duty"));
                if (!slot_text) return ErrorResponse(Status::Invalid("field \"slot\" is required"));
                if (!on_duty)
                  return ErrorResponse(Status::Invalid("field \"on_duty\" is required"));
                VIGIL_TRY(slot, ParseUtc(*slot_text));
                PlanRequest pr;
                pr.slot = slot;
                pr.on_duty = *on_duty;
                if (const json::value* n = body.if_contains("notice_days"); n && !n->is_null()) {
                  if (!n->is_int64() || n->as_int64() < 0 || n->as_int64() > 90) {
                    return ErrorResponse(Status::Invalid("notice must be 0 to 90 days"));
                  }
                  pr.notice_days = static_cast<int>(n->as_int64());
                }
                VIGIL_TRY(planned, d->Schedule(ctx.principal, ctx.params.at("id"), pr));
                json::array warnings;
                for (const std::string& w : planned.warnings) warnings.push_back(json::value(w));
                return JsonResponse(200, json::object{{"plan", PlanJson(planned.plan)},
                                                      {"warnings", std::move(warnings)}});
              }});
  router.Add({"POST", base + "/plan/confirm", Action::kTriage,
              [d](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_TRY(body, ParseBody(req, {}));
                (void)body;
                VIGIL_TRY(plan, d->ConfirmOnDuty(ctx.principal, ctx.params.at("id"), ""));
                return JsonResponse(200, json::object{{"plan", PlanJson(plan)}});
              }});
  router.Add({"POST", base + "/redaction", Action::kTriage,
              [d](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_TRY(body, ParseBody(req, {"title", "text"}));
                VIGIL_TRY(title, OptString(body, "title"));
                VIGIL_TRY(text, OptString(body, "text"));
                const std::string& id = ctx.params.at("id");
                return DraftOr(id,
                               d->Redact(ctx.principal, id, title.value_or(""), text.value_or("")));
              }});
  // The public route's last step: the regular public issue, then the report is public. Only
  // through here (never a bare state change), so a report goes public only redacted.
  router.Add({"POST", base + "/publish", Action::kTriage,
              [d](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_TRY(body, ParseBody(req, {"publish_closed"}));
                const json::value* closed = body.if_contains("publish_closed");
                if (closed && !closed->is_bool())
                  return ErrorResponse(WrongType("publish_closed", "a boolean"));
                VIGIL_TRY(item, d->OpenPublicIssue(ctx.principal, ctx.params.at("id"),
                                                   closed && closed->as_bool()));
                return JsonResponse(
                    200, json::object{{"issue", {{"number", item.number}, {"url", item.url}}}});
              }});
}

}  // namespace vigil
