// The fix author's credit page behind their credit link /credit/<token> (service/credit_link.h):
// one question, how the advisory credits them, and nothing of the report.
#include "http/web_pages.h"
#include "service/advisory_service.h"

namespace vigil {
namespace {

using web::json::object;

HttpResponse CreditPage(const WebContext& w, AdvisoryService& advisories, const HttpRequest& req,
                        const RequestContext& ctx, const Form* sent, const std::string& error,
                        int status) {
  const Principal& p = ctx.principal;
  Result<AdvisoryDraft> draft = advisories.Draft(p.report_id);
  if (!draft.ok()) return web::ErrorPage(w, req, draft.status());
  const DraftCredit* credit = nullptr;
  for (const DraftCredit& c : draft->credits) {
    if (c.type == advisory::CreditType::kRemediationDeveloper && c.email == p.email) credit = &c;
  }
  if (!credit) {
    return web::ErrorPage(w, req,
                          Status::Conflict("there is no fix-author credit for " + p.email + " on " +
                                           p.report_id + " any more; write to the security team"));
  }
  // After a refused answer the form shows what was sent (as text, never raw bytes).
  CreditConsent shown = credit->consent;
  std::string name = credit->name;
  if (sent) {
    shown = ParseConsent(sent->Get("consent")).value_or(CreditConsent::kPending);
    name = RepairUtf8(sent->Get("name"));
  }
  object model{{"report_id", p.report_id},
               {"name", name},
               {"pending", credit->consent == CreditConsent::kPending},
               // Unanswered, the advisory names the author: the form starts there.
               {"named", shown == CreditConsent::kNamed || shown == CreditConsent::kPending},
               {"anonymous", shown == CreditConsent::kAnonymous},
               {"declined", shown == CreditConsent::kDeclined},
               {"saved", !sent && ctx.query.count("saved") > 0},
               {"error", error},
               {"action", "/credit/" + ctx.params.at("token")}};
  return web::Page(w, req, ctx, "credit", "Credit for your fix", std::move(model), status);
}

}  // namespace

void AddCreditPageRoutes(Router& router, WebContext& web, AdvisoryService& advisories) {
  WebContext* w = &web;
  AdvisoryService* a = &advisories;
  constexpr CredentialSource kPath = CredentialSource::kPath;
  router.Add({"GET", "/credit/{token}", Action::kConsent,
              [w, a](const HttpRequest& req, const RequestContext& ctx) {
                return CreditPage(*w, *a, req, ctx, nullptr, "", 200);
              },
              false, kPath});
  router.Add({"POST", "/credit/{token}", Action::kConsent,
              [w, a](const HttpRequest& req, const RequestContext& ctx) {
                Result<Form> form = web::CheckedForm(req, ctx);
                if (!form.ok()) return web::ErrorPage(*w, req, form.status());
                std::optional<CreditConsent> consent = ParseConsent(form->Get("consent"));
                Result<AdvisoryDraft> done = a->AnswerCreditRequest(
                    ctx.principal, consent.value_or(CreditConsent::kPending), form->Get("name"));
                if (!done.ok()) {
                  return CreditPage(*w, *a, req, ctx, &*form, done.status().message(),
                                    HttpStatusFor(done.status().code()));
                }
                return web::Redirect("/credit/" + ctx.params.at("token") + "?saved=1");
              },
              false, kPath, 16 * 1024});
}

}  // namespace vigil
