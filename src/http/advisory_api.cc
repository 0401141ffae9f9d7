#include "http/advisory_api.h"

#include <boost/json.hpp>
#include <set>

#include "http/json_body.h"
#include "service/advisory_service.h"
#include "service/disclosure_service.h"
#include "service/report_json.h"

namespace vigil {
namespace {

namespace json = boost::json;

constexpr char kReportBase[] = "/api/v1/reports/{id}";

HttpResponse DraftOr(const std::string& id, const Result<AdvisoryDraft>& d) {
  if (!d.ok()) return ErrorResponse(d.status());
  return JsonResponse(200, AdvisoryDraftJson(id, *d));
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

// The advisory draft: read and edit it, its credits and their consent, its id, its exports.
void AddDraftRoutes(Router& router, AdvisoryService* a) {
  const std::string base = kReportBase;
  router.Add({"GET", base + "/advisory", Action::kRead,
              [a](const HttpRequest&, const RequestContext& ctx) {
                const std::string& id = ctx.params.at("id");
                return DraftOr(id, a->Draft(id));
              }});
  router.Add({"POST", base + "/advisory", Action::kTriage,
              [a](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(body, JsonBody::Parse(req, {"title", "summary", "details", "ranges",
                                                           "weaknesses", "cvss", "references"}));
                AdvisoryEdit e;
                VIGIL_HTTP_TRY(title, body.OptString("title"));
                VIGIL_HTTP_TRY(summary, body.OptString("summary"));
                VIGIL_HTTP_TRY(details, body.OptString("details"));
                e.title = title;
                e.summary = summary;
                e.details = details;
                VIGIL_HTTP_TRY(ranges, body.OptRows("ranges", {"introduced", "fixed"}));
                if (ranges) {
                  e.ranges.emplace();
                  for (auto& r : *ranges) e.ranges->push_back({r[0], r[1]});
                }
                VIGIL_HTTP_TRY(weaknesses, body.OptRows("weaknesses", {"id", "name"}));
                if (weaknesses) {
                  e.weaknesses.emplace();
                  for (auto& w : *weaknesses) e.weaknesses->push_back({w[0], w[1]});
                }
                VIGIL_HTTP_TRY(refs, body.OptRows("references", {"type", "url"}));
                if (refs) {
                  e.references.emplace();
                  for (auto& r : *refs) {
                    VIGIL_HTTP_TRY(type, advisory::ParseReferenceType(r[0]));
                    e.references->push_back({type, r[1]});
                  }
                }
                VIGIL_HTTP_TRY(cvss, body.OptStrings("cvss"));
                e.cvss_vectors = std::move(cvss);
                const std::string& id = ctx.params.at("id");
                return DraftOr(id, a->Edit(ctx.principal, id, e));
              }});
  router.Add({"POST", base + "/advisory/credits", Action::kTriage,
              [a](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(body, JsonBody::Parse(req, {"name", "email", "type", "consent"}));
                VIGIL_HTTP_TRY(name, body.OptString("name"));
                VIGIL_HTTP_TRY(email, body.OptString("email"));
                VIGIL_HTTP_TRY(type_name, body.OptString("type"));
                VIGIL_HTTP_TRY(consent_name, body.OptString("consent"));
                VIGIL_HTTP_TRY(type, advisory::ParseCreditType(type_name.value_or("finder")));
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
                VIGIL_HTTP_TRY(body, JsonBody::Parse(req, {"consent"}));
                VIGIL_HTTP_TRY(consent_name, body.OptString("consent"));
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
                VIGIL_HTTP_TRY(body, JsonBody::Parse(req, {"id"}));
                VIGIL_HTTP_TRY(external, body.OptString("id"));
                if (!external) return ErrorResponse(Status::Invalid("field \"id\" is required"));
                const std::string& id = ctx.params.at("id");
                return DraftOr(id, a->SetExternalId(ctx.principal, id, *external));
              }});
  router.Add({"GET", base + "/advisory/export", Action::kRead,
              [a](const HttpRequest&, const RequestContext& ctx) {
                auto f = ctx.query.find("format");
                VIGIL_HTTP_TRY(format, ParseExportFormat(f == ctx.query.end() ? "" : f->second));
                VIGIL_HTTP_TRY(text, a->Export(ctx.params.at("id"), format));
                HttpResponse r;
                r.content_type = format == ExportFormat::kMarkdown ? "text/markdown; charset=utf-8"
                                                                   : "application/json";
                r.body = std::move(text);
                return r;
              }});
}

// The disclosure plan (with its execution log), the on-duty confirmation, and the public route:
// redaction review and publication.
void AddPlanRoutes(Router& router, DisclosureService* d) {
  const std::string base = kReportBase;
  router.Add(
      {"GET", base + "/plan", Action::kRead, [d](const HttpRequest&, const RequestContext& ctx) {
         const std::string& id = ctx.params.at("id");
         VIGIL_HTTP_TRY(plan, d->Plan(id));
         VIGIL_HTTP_TRY(log, d->Log(id));
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
  router.Add(
      {"POST", base + "/plan", Action::kTriage,
       [d](const HttpRequest& req, const RequestContext& ctx) {
         VIGIL_HTTP_TRY(body, JsonBody::Parse(req, {"slot", "on_duty", "notice_days", "reason"}));
         VIGIL_HTTP_TRY(reason, body.OptString("reason"));
         VIGIL_HTTP_TRY(slot_text, body.OptString("slot"));
         VIGIL_HTTP_TRY(on_duty, body.OptString("on_duty"));
         if (!slot_text) return ErrorResponse(Status::Invalid("field \"slot\" is required"));
         if (!on_duty) return ErrorResponse(Status::Invalid("field \"on_duty\" is required"));
         VIGIL_HTTP_TRY(slot, ParseUtc(*slot_text));
         PlanRequest pr;
         pr.slot = slot;
         pr.on_duty = *on_duty;
         // A reason moves a scheduled disclosure (plan reschedule); without one this is the
         // first slot.
         pr.reason = reason.value_or("");
         pr.reschedule = reason.has_value();
         VIGIL_HTTP_TRY(notice, body.OptInt("notice_days"));
         if (notice) {
           if (*notice < 0 || *notice > 90) {
             return ErrorResponse(Status::Invalid("notice must be 0 to 90 days"));
           }
           pr.notice_days = static_cast<int>(*notice);
         }
         VIGIL_HTTP_TRY(planned, d->Schedule(ctx.principal, ctx.params.at("id"), pr));
         json::array warnings;
         for (const std::string& w : planned.warnings) warnings.push_back(json::value(w));
         return JsonResponse(200, json::object{{"plan", PlanJson(planned.plan)},
                                               {"warnings", std::move(warnings)}});
       }});
  router.Add({"POST", base + "/plan/unschedule", Action::kTriage,
              [d](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(body, JsonBody::Parse(req, {"reason"}));
                VIGIL_HTTP_TRY(reason, body.OptString("reason"));
                VIGIL_HTTP_TRY(
                    report, d->Unschedule(ctx.principal, ctx.params.at("id"), reason.value_or("")));
                return JsonResponse(200, ReportJson(report));
              }});
  router.Add({"POST", base + "/plan/confirm", Action::kTriage,
              [d](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(body, JsonBody::Parse(req, {}));  // no fields: refuses any
                (void)body;
                VIGIL_HTTP_TRY(plan, d->ConfirmOnDuty(ctx.principal, ctx.params.at("id"), ""));
                return JsonResponse(200, json::object{{"plan", PlanJson(plan)}});
              }});
  router.Add({"POST", base + "/redaction", Action::kTriage,
              [d](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(body, JsonBody::Parse(req, {"title", "text"}));
                VIGIL_HTTP_TRY(title, body.OptString("title"));
                VIGIL_HTTP_TRY(text, body.OptString("text"));
                const std::string& id = ctx.params.at("id");
                return DraftOr(id,
                               d->Redact(ctx.principal, id, title.value_or(""), text.value_or("")));
              }});
  // The public route's last step: the regular public issue, then the report is public. Only
  // through here (never a bare state change), so a report goes public only redacted.
  router.Add({"POST", base + "/publish", Action::kTriage,
              [d](const HttpRequest& req, const RequestContext& ctx) {
                VIGIL_HTTP_TRY(body, JsonBody::Parse(req, {"publish_closed"}));
                VIGIL_HTTP_TRY(closed, body.Bool("publish_closed"));
                VIGIL_HTTP_TRY(item,
                               d->OpenPublicIssue(ctx.principal, ctx.params.at("id"), closed));
                return JsonResponse(
                    200, json::object{{"issue", {{"number", item.number}, {"url", item.url}}}});
              }});
}

}  // namespace

void AddAdvisoryRoutes(Router& router, AdvisoryService& advisories, DisclosureService& disclosure) {
  AddDraftRoutes(router, &advisories);
  AddPlanRoutes(router, &disclosure);
}

}  // namespace vigil
