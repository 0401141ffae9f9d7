#include "http/web_pages.h"

#include "service/credentials.h"

namespace vigil {
namespace web {

std::string CsrfSecret(const HttpRequest& req, const RequestContext& ctx) {
  if (ctx.principal.kind == Principal::Kind::kCapability ||
      ctx.principal.kind == Principal::Kind::kCreditLink) {
    auto token = ctx.params.find("token");
    return token == ctx.params.end() ? "" : token->second;
  }
  if (ctx.principal.kind == Principal::Kind::kAccount) {
    return CookieValue(req.cookie, kSessionCookie);
  }
  return CookieValue(req.cookie, kVisitorCookie);
}

std::string CookieHeader(const Config& config, std::string_view name, std::string_view value,
                         int64_t max_age_seconds) {
  std::string h = std::string(name) + "=" + std::string(value) +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_seconds);
  if (config.secure_cookies) h += "; Secure";
  return h;
}

HttpResponse Page(const WebContext& web, const HttpRequest& req, const RequestContext& ctx,
                  std::string_view tmpl, const std::string& title, json::object model, int status) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  std::string secret = CsrfSecret(req, ctx);
  if (secret.empty() && ctx.principal.kind == Principal::Kind::kAnonymous) {
    // A first visit: the visitor cookie anchors the CSRF token of the forms on this page.
    secret = NewToken("");
    r.headers.emplace_back("Set-Cookie",
                           CookieHeader(web.config, kVisitorCookie, secret, 30 * 24 * 3600));
  }
  const std::string csrf = secret.empty() ? "" : CsrfToken(secret);
  model["csrf"] = csrf;
  model["project"] = web.config.project_name;
  const Principal& p = ctx.principal;
  json::object layout;
  layout["title"] = title;
  layout["project"] = web.config.project_name;
  layout["csrf"] = csrf;
  // A value that owns the model (passing the object itself would copy it into a temporary).
  const json::value page_model(std::move(model));
  layout["content"] = web.renderer.Render(tmpl, page_model);
  if (p.kind == Principal::Kind::kAccount) {
    layout["user"] = json::object{{"email", p.email},
                                  {"role", AccountRoleName(p.account_role)},
                                  {"staff", SeesAllReports(p)},
                                  {"admin", p.account_role == AccountRole::kAdmin}};
  }
  layout["capability"] = p.kind == Principal::Kind::kCapability;
  r.body = web.renderer.Render("layout", layout);
  r.headers.emplace_back("Content-Security-Policy", kPageCsp);
  return r;
}

HttpResponse Redirect(const std::string& location) {
  HttpResponse r;
  r.status = 303;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("Location", location);
  return r;
}

HttpResponse ErrorPage(const WebContext& web, const HttpRequest& req, const Status& s) {
  if (s.code() == Code::kUnauthenticated) {
    std::string path = req.target.substr(0, req.target.find('?'));
    const bool local = path.starts_with("/") && !path.starts_with("//") && path.size() < 200 &&
                       path.find_first_of("\"<>\\ ") == std::string::npos;
    return Redirect(local && req.method == "GET" ? "/login?next=" + path : "/login");
  }
  RequestContext none;
  const int status = HttpStatusFor(s.code());
  std::string heading = "Something went wrong";
  switch (s.code()) {
    case Code::kNotFound:
      heading = "Not found";
      break;
    case Code::kPermissionDenied:
      heading = "Not allowed";
      break;
    case Code::kRateLimited:
      heading = "Slow down";
      break;
    case Code::kInvalidArgument:
    case Code::kTooLarge:
      heading = "That did not work";
      break;
    case Code::kConflict:
      heading = "Not possible now";
      break;
    default:
      break;
  }
  json::object model{{"heading", heading},
                     {"message", s.code() == Code::kInternal ? "internal error" : s.message()},
                     {"status", status}};
  return Page(web, req, none, "error", heading, std::move(model), status);
}

Result<Form> CheckedForm(const HttpRequest& req, const RequestContext& ctx) {
  Result<Form> form = ParseForm(req);
  VIGIL_RETURN_IF_ERROR(form.status());
  if (!CsrfTokenValid(CsrfSecret(req, ctx), form->Get(kCsrfField))) {
    return Status::Denied("the form has expired; reload the page and send it again");
  }
  return form;
}

std::string Utc(Instant t) {
  if (t == 0) return "";
  std::string s = FormatUtc(t);  // 2026-11-27T15:00:00Z
  return s.substr(0, 10) + " " + s.substr(11, 5) + " UTC";
}

std::string Age(Instant from, Instant to) {
  const int64_t minutes = std::max<int64_t>(0, (to - from) / (60 * kMicrosPerSecond));
  if (minutes < 60) return std::to_string(minutes) + " min";
  if (minutes < 48 * 60) return std::to_string(minutes / 60) + " h";
  return std::to_string(minutes / (24 * 60)) + " d";
}

bool IsSafeId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

json::object AttachmentModel(const Attachment& a, const std::string& files_href) {
  const std::string size = a.size < 1024          ? std::to_string(a.size) + " B"
                           : a.size < 1024 * 1024 ? std::to_string(a.size / 1024) + " KiB"
                                                  : std::to_string(a.size / (1024 * 1024)) + " MiB";
  return {{"name", a.filename},
          {"href", files_href + std::to_string(a.number)},
          {"size", size},
          {"sha256", a.sha256}};
}

json::array ThreadModel(const std::vector<ThreadMessage>& thread,
                        const std::vector<Attachment>& attachments, const std::string& files_href) {
  json::array out;
  for (const ThreadMessage& m : thread) {
    json::array files;
    for (const Attachment& a : attachments) {
      if (a.message_seq == m.seq) files.push_back(AttachmentModel(a, files_href));
    }
    std::string author = !m.author_name.empty()    ? m.author_name
                         : !m.author_email.empty() ? m.author_email
                                                   : "Reporter";
    out.push_back(json::object{
        {"seq", m.seq},
        {"author", author},
        {"role", IsHeld(m) ? std::string("unverified sender, not relayed") : m.author_role},
        {"held", IsHeld(m)},
        {"reporter", m.author_role == "reporter"},
        {"when", Utc(m.created_at)},
        {"body", m.body},
        {"files", std::move(files)},
        {"has_files", !files.empty()}});
  }
  return out;
}

json::array ReportFilesModel(const std::vector<Attachment>& attachments,
                             const std::string& files_href) {
  json::array out;
  for (const Attachment& a : attachments) {
    if (a.message_seq == 0) out.push_back(AttachmentModel(a, files_href));
  }
  return out;
}

json::array FieldsModel(const ReportForm& form, const TemplateFields& f) {
  json::array out;
  for (const auto& [label, value] : LabelledFields(form, f)) {
    if (value.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    out.push_back(json::object{{"label", label}, {"value", value}});
  }
  return out;
}

HttpResponse AttachmentResponse(const Attachment& a) {
  HttpResponse r;
  r.content_type = "application/octet-stream";
  std::string ascii;
  for (char c : a.filename) {
    const unsigned char u = static_cast<unsigned char>(c);
    ascii += (u >= 0x20 && u < 0x7f && c != '"' && c != '\\' && c != ';') ? c : '_';
  }
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + ascii + "\"");
  r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; sandbox");
  r.body = a.data;
  return r;
}

std::string StateLabel(State s) {
  switch (s) {
    case State::kReceived:
      return "Received";
    case State::kTriage:
      return "In triage";
    case State::kConfirmed:
      return "Confirmed";
    case State::kFixing:
      return "Fix in progress";
    case State::kApproved:
      return "Fix approved";
    case State::kScheduled:
      return "Disclosure scheduled";
    case State::kDisclosed:
      return "Disclosed";
    case State::kRejected:
      return "Rejected";
    case State::kDuplicate:
      return "Duplicate";
    case State::kPublic:
      return "Public";
    case State::kWithdrawn:
      return "Withdrawn";
  }
  return "";
}

std::string AbsoluteUrl(const Config& config, const HttpRequest& req, const std::string& path) {
  const std::string default_url =
      "http://" + config.listen_address + ":" + std::to_string(config.listen_port);
  if (config.public_url != default_url || req.host.empty() || req.host.size() > 255 ||
      req.host.find_first_of("/\"<> ") != std::string::npos) {
    return config.public_url + path;
  }
  return "http://" + req.host + path;
}

std::vector<Upload> Uploads(const Form& form, std::string_view field) {
  std::vector<Upload> out;
  for (const FormFile& f : form.files) {
    if (f.field != field || (f.filename.empty() && f.data.empty())) continue;
    out.push_back({f.filename, f.content_type, f.data});
  }
  return out;
}

Result<ReportReads> ReadReportForPage(WebContext& web, const Principal& viewer,
                                      const std::string& id) {
  ReportReads out;
  Result<Report> r = web.reports.Show(id);
  if (!r.ok()) return r.status();
  out.report = std::move(r).value();
  // The view is written through the group commit while the page reads.
  out.view = web.workspace.StartView(viewer, out.report);
  Result<std::vector<ThreadMessage>> thread = web.reports.Thread(viewer, id);
  if (!thread.ok()) return thread.status();
  out.thread = std::move(thread).value();
  Result<std::vector<Attachment>> files = web.workspace.Attachments(id);
  if (!files.ok()) return files.status();
  out.files = std::move(files).value();
  Result<std::optional<ReporterPrefs>> prefs = web.workspace.Prefs(id);
  if (!prefs.ok()) return prefs.status();
  out.prefs = std::move(prefs).value();
  return out;
}

}  // namespace web

void AddWebRoutes(Router& router, WebContext& web) {
  WebContext* w = &web;
  router.SetPageErrorRenderer(
      [w](const HttpRequest& req, const Status& s) { return web::ErrorPage(*w, req, s); });
  router.Add(
      {"GET", "/static/{name}", std::nullopt, [w](const HttpRequest&, const RequestContext& ctx) {
         const std::string& name = ctx.params.at("name");
         const std::string_view* data = w->renderer.Static(name);
         if (!data) return ErrorResponse(Status::NotFound("no such file"));
         HttpResponse r;
         r.content_type = name.ends_with(".css")   ? "text/css; charset=utf-8"
                          : name.ends_with(".js")  ? "text/javascript; charset=utf-8"
                          : name.ends_with(".svg") ? "image/svg+xml"
                                                   : "application/octet-stream";
         r.body = std::string(*data);
         r.headers.emplace_back("Cache-Control", "public, max-age=3600");
         return r;
       }});
  AddReporterPageRoutes(router, web);
  AddSessionPageRoutes(router, web);
  AddWorkspacePageRoutes(router, web);
}

}  // namespace vigil
