// Reporter pages: no account, no JavaScript needed. The landing page with the policy, the
// report form, and the private tracking page behind the capability link /track/<token>.
#include "http/markdown.h"
#include "http/web_pages.h"

namespace vigil {
namespace {

using web::json::array;
using web::json::object;

// The report form's model, with the values sent so far (after an error) and the error.
object FormModel(const WebContext& web, const Form* sent, const std::string& error) {
  // What the browser sent comes back into the form as text, never as bytes a page must not
  // carry (a refused submission may have been refused for them).
  auto echo = [sent](const char* name) { return sent ? RepairUtf8(sent->Get(name)) : ""; };
  array fields;
  for (const FormField& f : web.config.report_form.fields) {
    fields.push_back(object{{"name", f.key},
                            {"label", f.label},
                            {"hint", f.help},
                            {"required", f.required},
                            {"multiline", f.rows > 0},
                            {"rows", f.rows},
                            {"value", echo(f.key.c_str())}});
  }
  const bool named = sent && sent->Get("credit") == "name";
  return object{{"fields", std::move(fields)},
                {"reporter_email", echo("reporter_email")},
                {"reporter_name", echo("reporter_name")},
                {"credit_name", echo("credit_name")},
                {"credit_named", named},
                {"credit_anonymous", !named},
                {"public_key", echo("public_key")},
                {"max_attachments", web.config.max_attachments},
                {"attachments_allowed", web.config.max_attachments > 0},
                {"max_attachment_kib", web.config.max_attachment_bytes / 1024},
                {"error", error}};
}

// Where a tracking page sends the browser after a form: the token-free address when the
// browser holds the cookie, else the link itself (which exchanges the token for the cookie).
std::string TrackBase(const RequestContext& ctx) {
  return "/track/" +
         (ctx.params.count("report") ? ctx.principal.report_id : ctx.params.at("token"));
}

HttpResponse TrackPage(WebContext& web, const HttpRequest& req, const RequestContext& ctx,
                       const std::string& error, int status) {
  const std::string& token = ctx.params.at("token");
  const std::string& id = ctx.principal.report_id;
  Result<web::ReportReads> reads = web::ReadReportForPage(web, ctx.principal, id);
  if (!reads.ok()) return web::ErrorPage(web, req, reads.status());
  const Report* r = &reads->report;
  const std::vector<ThreadMessage>* thread = &reads->thread;
  const std::vector<Attachment>* files = &reads->files;
  const std::optional<ReporterPrefs>* prefs = &reads->prefs;
  // The view is durable before the page is answered.
  if (Status viewed = reads->view.Wait(); !viewed.ok()) return web::ErrorPage(web, req, viewed);
  const Participant* me = r->FindParticipant(ctx.principal.email);
  const bool reporter = me && me->role == Role::kReporter;
  // Forms and files use the token-free address; the link to keep is shown to its holder.
  const std::string base = "/track/" + id;
  const bool embargoed = UnderEmbargo(*r);
  const bool named = prefs->has_value() && !(*prefs)->anonymous && !(*prefs)->credit_name.empty();
  // The coordinator's decisions, each with its reason: what the reporter is owed an answer on.
  Result<std::vector<Decision>> decided = web.reports.Decisions(id);
  if (!decided.ok()) return web::ErrorPage(web, req, decided.status());
  array decisions;
  for (const Decision& d : *decided) {
    decisions.push_back(
        object{{"when", web::Utc(d.time)}, {"summary", d.summary}, {"reason", d.reason}});
  }
  object model{
      {"id", r->id},
      {"subject", r->fields.subject},
      {"state", StateName(r->state)},
      {"state_label", web::StateLabel(r->state)},
      {"level", r->level},
      {"classified", r->level > 0},
      {"embargoed", embargoed},
      {"embargo_end", web::Utc(r->embargo.end)},
      {"received", web::Utc(r->created_at)},
      {"new", ctx.query.count("new") > 0},
      {"sent", ctx.query.count("sent") > 0},
      {"link", web::AbsoluteUrl(web.config, req, "/track/" + token)},
      {"base", base},
      {"fields", web::FieldsModel(web.config.report_form, r->fields)},
      {"report_files", web::ReportFilesModel(*files, base + "/files/")},
      {"messages", web::ThreadModel(*thread, *files, base + "/files/")},
      {"has_messages", !thread->empty()},
      {"has_decisions", !decisions.empty()},
      {"decisions", std::move(decisions)},
      {"reporter", reporter},
      {"role", me ? RoleName(me->role) : ""},
      {"credit_named", named},
      {"credit_anonymous", !named},
      {"credit_name", named ? (*prefs)->credit_name : ""},
      {"can_reply", AcceptsMessages(r->state)},
      {"attachments_allowed", web.config.max_attachments > 0},
      {"max_attachment_kib", web.config.max_attachment_bytes / 1024},
      {"error", error},
  };
  return web::Page(web, req, ctx, "track", r->id + " — " + r->fields.subject, std::move(model),
                   status);
}

}  // namespace

void AddReporterPageRoutes(Router& router, WebContext& web) {
  WebContext* w = &web;
  constexpr CredentialSource kCookie = CredentialSource::kCookie;
  constexpr CredentialSource kPath = CredentialSource::kPath;
  const std::string policy_html =
      w->config.policy_markdown.empty() ? "" : MarkdownToSafeHtml(w->config.policy_markdown);

  router.Add({"GET", "/", Action::kSubmit,
              [w, policy_html](const HttpRequest& req, const RequestContext& ctx) {
                object model{{"policy_html", policy_html},
                             {"has_policy", !policy_html.empty()},
                             {"mail_template", MailTemplate(w->config.report_form)},
                             {"pgp_key", w->config.pgp_public_key},
                             {"has_key", !w->config.pgp_public_key.empty()},
                             {"security_address", w->config.security_address}};
                return web::Page(*w, req, ctx, "landing", "Report a vulnerability",
                                 std::move(model));
              },
              false, kCookie});

  router.Add({"GET", "/report", Action::kSubmit,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                return web::Page(*w, req, ctx, "report_form", "Report a vulnerability",
                                 FormModel(*w, nullptr, ""));
              },
              false, kCookie});

  router.Add({"POST", "/report", Action::kSubmit,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                Result<Form> form = web::CheckedForm(req, ctx);
                if (!form.ok()) return web::ErrorPage(*w, req, form.status());
                SubmitRequest s;
                for (const FormField& f : w->config.report_form.fields) {
                  *FieldText(s.fields, f.key) = form->Get(f.key);
                }
                s.reporter_email = form->Get("reporter_email");
                s.reporter_name = form->Get("reporter_name");
                CreditChoice credit;
                credit.anonymous = form->Get("credit") != "name";
                credit.name = form->Get("credit_name");
                Result<Submitted> done = w->workspace.Submit(ctx.principal, std::move(s),
                                                             web::Uploads(*form, "attachments"),
                                                             credit, form->Get("public_key"));
                if (!done.ok()) {
                  return web::Page(*w, req, ctx, "report_form", "Report a vulnerability",
                                   FormModel(*w, &*form, done.status().message()),
                                   HttpStatusFor(done.status().code()));
                }
                return web::Redirect("/track/" + done->token + "?new=1");
              },
              true, kCookie});

  // The link /track/<token> is exchanged for a cookie scoped to /track/<ID> and a redirect
  // there, so the token leaves the address bar, the history and any proxy's log at once.
  router.Add({"GET", "/track/{token}", Action::kRead,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                if (ctx.params.count("report")) return TrackPage(*w, req, ctx, "", 200);
                const std::string path = "/track/" + ctx.principal.report_id;
                HttpResponse r = web::Redirect(path + (ctx.query.count("new") ? "?new=1" : ""));
                std::string cookie = std::string(kTrackCookie) + "=" + ctx.params.at("token") +
                                     "; Path=" + path + "; HttpOnly; SameSite=Strict";
                if (w->config.secure_cookies) cookie += "; Secure";
                r.headers.emplace_back("Set-Cookie", std::move(cookie));
                return r;
              },
              false, kPath});

  router.Add({"POST", "/track/{token}/reply", Action::kPost,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                Result<Form> form = web::CheckedForm(req, ctx);
                if (!form.ok()) return web::ErrorPage(*w, req, form.status());
                Result<ThreadMessage> m =
                    w->workspace.Reply(ctx.principal, ctx.principal.report_id, form->Get("body"),
                                       web::Uploads(*form, "attachments"));
                if (!m.ok()) {
                  return TrackPage(*w, req, ctx, m.status().message(),
                                   HttpStatusFor(m.status().code()));
                }
                return web::Redirect(TrackBase(ctx) + "?sent=1#thread");
              },
              false, kPath});

  router.Add({"POST", "/track/{token}/credit", Action::kPost,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                Result<Form> form = web::CheckedForm(req, ctx);
                if (!form.ok()) return web::ErrorPage(*w, req, form.status());
                CreditChoice credit;
                credit.anonymous = form->Get("credit") != "name";
                credit.name = form->Get("credit_name");
                Status s = w->workspace.SetCredit(ctx.principal, ctx.principal.report_id, credit);
                if (!s.ok()) return TrackPage(*w, req, ctx, s.message(), HttpStatusFor(s.code()));
                return web::Redirect(TrackBase(ctx) + "#credit");
              },
              false, kPath});

  router.Add({"GET", "/track/{token}/files/{n}", Action::kRead,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                const std::string& n = ctx.params.at("n");
                if (n.empty() || n.size() > 9 || n.find_first_not_of("0123456789") != n.npos) {
                  return web::ErrorPage(*w, req, Status::NotFound("no such attachment"));
                }
                Result<std::optional<Attachment>> a =
                    w->workspace.GetAttachment(ctx.principal.report_id, std::stoll(n));
                if (!a.ok()) return web::ErrorPage(*w, req, a.status());
                if (!a->has_value()) {
                  return web::ErrorPage(*w, req, Status::NotFound("no such attachment"));
                }
                return web::AttachmentResponse(**a);
              },
              false, kPath});
}

}  // namespace vigil
