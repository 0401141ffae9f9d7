// Internal to the page files: rendering with the layout, CSRF, cookies, redirects, dates.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "http/form.h"
#include "http/web.h"

namespace vigil::web {

namespace json = boost::json;

inline constexpr char kVisitorCookie[] = "vigil_visitor";
inline constexpr char kCsrfField[] = "_csrf";

/// What both report pages (the reporter's and the workspace's) read: the report, its thread,
/// files and the reporter's preferences, and the view being recorded meanwhile (Wait on it
/// before answering, so that the view is durable when the page is).
struct ReportReads {
  Report report;
  ViewRecord view;
  std::vector<ThreadMessage> thread;
  std::vector<Attachment> files;
  std::optional<ReporterPrefs> prefs;
};

/// Reads report ID for VIEWER's page and starts recording the view.
Result<ReportReads> ReadReportForPage(WebContext& web, const Principal& viewer,
                                      const std::string& id);

/// The secret the request's CSRF token is derived from: the session token for an account, the
/// link's token for a capability or a credit link, or the anonymous visitor cookie ("" when
/// there is none).
std::string CsrfSecret(const HttpRequest& req, const RequestContext& ctx);

/// Renders TEMPLATE with MODEL inside the layout, with the CSRF token, the signed-in user and
/// the page headers (CSP, no caching). Sets the visitor cookie when the caller has none.
HttpResponse Page(const WebContext& web, const HttpRequest& req, const RequestContext& ctx,
                  std::string_view tmpl, const std::string& title, json::object model,
                  int status = 200);
/// A refusal or failure as a page (login redirect for kUnauthenticated on account pages).
HttpResponse ErrorPage(const WebContext& web, const HttpRequest& req, const Status& s);
/// 303 See Other to LOCATION (a path on this server).
HttpResponse Redirect(const std::string& location);
/// A Set-Cookie value: HttpOnly, SameSite=Strict, Path=/, Secure when configured.
std::string CookieHeader(const Config& config, std::string_view name, std::string_view value,
                         int64_t max_age_seconds);

/// Parses the form of a state-changing request and checks its CSRF token. Errors:
/// kPermissionDenied "the form has expired; reload the page and send it again" when the token
/// is missing or wrong.
Result<Form> CheckedForm(const HttpRequest& req, const RequestContext& ctx);

/// "2026-11-27 15:00 UTC".
std::string Utc(Instant t);
/// "3 d", "5 h", "12 min".
std::string Age(Instant from, Instant to);
/// The thread as a view-model: each message with its author, time, body and the attachments
/// posted with it (links under FILES_HREF, e.g. "/reports/SEC-2026-0001/files/").
json::array ThreadModel(const std::vector<ThreadMessage>& thread,
                        const std::vector<Attachment>& attachments, const std::string& files_href);
/// The attachments sent with the report itself (message 0).
json::array ReportFilesModel(const std::vector<Attachment>& attachments,
                             const std::string& files_href);
/// The template fields as a list of {label, value} (empty ones left out).
json::array FieldsModel(const ReportForm& form, const TemplateFields& f);
/// Serves attachment A as a download that no browser renders in the page's origin.
HttpResponse AttachmentResponse(const Attachment& a);
/// A human name for STATE ("Received", "In triage", ...).
std::string StateLabel(State s);
/// The absolute URL of PATH for links shown to people (public_url, or the request's Host when
/// public_url was left at its default).
std::string AbsoluteUrl(const Config& config, const HttpRequest& req, const std::string& path);
/// Uploads from a form's file inputs named FIELD.
std::vector<Upload> Uploads(const Form& form, std::string_view field);

/// "SEC-2026-0001" path-safe check for ids coming from forms.
bool IsSafeId(std::string_view id);

}  // namespace vigil::web
