// Routes requests to handlers. Per request, in this order and in this one place: match the
// route, authenticate the caller, apply the submit rate limit, authorize once (the route's
// Action, on the report named in the path), then run the handler.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/access.h"
#include "core/status.h"
#include "http/http_types.h"
#include "service/rate_limiter.h"
#include "service/report_service.h"

namespace vigil {

struct RequestContext {
  Principal principal;
  std::map<std::string, std::string> params;  // {name} segments of the pattern, decoded
  std::map<std::string, std::string> query;   // decoded query parameters (last one wins)
};

using Handler = std::function<HttpResponse(const HttpRequest&, const RequestContext&)>;
/// Receives a request's response; callable from any thread, once.
using Respond = std::function<void(HttpResponse)>;
/// A handler that does not wait: it hands its response to RESPOND, at once or later from
/// another thread (a store write's completion). It must not block.
using AsyncHandler = std::function<void(const HttpRequest&, const RequestContext&, Respond)>;

struct Endpoint {
  std::string method;
  std::string pattern;  // "/api/v1/reports/{id}/confirm"; "{id}" is the report id
  /// The action authorized before the handler runs; nullopt = public (health checks).
  std::optional<Action> action;
  Handler handler;
  bool rate_limited = false;  // counts against the per-address submit limit
  /// Where the caller's credential is: the Authorization header (the API), the session cookie
  /// (HTML pages; a missing, stale or revoked cookie is the anonymous caller), or the path
  /// segment {token} (capability links; the report authorized is the token's own).
  CredentialSource credential = CredentialSource::kBearer;
  /// The largest request body this route accepts; 0 = the server's max_body_bytes. The server
  /// enforces it before reading the body (413 "request body is larger than N bytes").
  int64_t max_body_bytes = 0;
  std::vector<std::string> segments = {};  // the pattern split at '/', filled by Router::Add
  /// Instead of `handler`: a handler that never blocks (see AsyncHandler).
  AsyncHandler async_handler = {};
};

/// The name of the browser session cookie.
inline constexpr char kSessionCookie[] = "vigil_session";

/// The cookie a capability link is exchanged for on its first visit (GET /track/<token>), scoped
/// to the report's tracking path /track/<ID>: the token leaves the address bar at once.
inline constexpr char kTrackCookie[] = "vigil_track";

/// The value of cookie NAME in a Cookie header, or "".
std::string CookieValue(std::string_view header, std::string_view name);

class Router {
 public:
  /// SERVICE and LIMITER must outlive the router.
  Router(ReportService& service, RateLimiter& limiter) : service_(service), limiter_(limiter) {}

  void Add(Endpoint endpoint);
  const std::vector<Endpoint>& routes() const { return routes_; }

  /// The body limit of the route METHOD TARGET would be handled by: its max_body_bytes, or
  /// FALLBACK when it has none or no route matches. Thread-safe after setup.
  int64_t BodyLimit(std::string_view method, std::string_view target, int64_t fallback) const;

  /// Handles REQ. *ROUTE_NAME receives the matched pattern (or "unmatched") for metrics and
  /// logs, which never see concrete paths (they may hold tokens). Thread-safe after setup.
  HttpResponse Handle(const HttpRequest& req, std::string* route_name) const;
  /// Handle, answering through DONE. Runs the same steps up to the handler; a route with an
  /// async_handler returns before its response is ready, and does not block if authenticating
  /// the caller does not (an anonymous caller). *ROUTE_NAME is set before DONE runs.
  void HandleAsync(const HttpRequest& req, std::string* route_name, Respond done) const;
  /// Whether METHOD TARGET goes to an async_handler. Thread-safe after setup.
  bool IsAsync(std::string_view method, std::string_view target) const;

  /// Renders refusals (authentication, authorization, rate limits) of routes whose credential
  /// is not a bearer token, as pages instead of JSON. Set once, before serving.
  using PageErrorRenderer = std::function<HttpResponse(const HttpRequest&, const Status&)>;
  void SetPageErrorRenderer(PageErrorRenderer render) { page_error_ = std::move(render); }

 private:
  HttpResponse Refuse(const Endpoint& e, const HttpRequest& req, const Status& s) const;
  /// Matches, authenticates, rate-limits and authorizes REQ: the endpoint to run with *CTX, or
  /// nullptr with the refusal in *REFUSAL.
  const Endpoint* Admit(const HttpRequest& req, std::string* route_name, RequestContext* ctx,
                        HttpResponse* refusal) const;
  /// The route for METHOD and the decoded path SEGMENTS (filling *PARAMS), or nullptr;
  /// *PATH_MATCHED tells whether some route has that path with another method.
  const Endpoint* Find(std::string_view method, const std::vector<std::string>& segments,
                       std::map<std::string, std::string>* params, bool* path_matched) const;

  PageErrorRenderer page_error_;
  ReportService& service_;
  RateLimiter& limiter_;
  std::vector<Endpoint> routes_;
};

/// A JSON error response {"error": {"code": ..., "message": ...}} with the status for S.
HttpResponse ErrorResponse(const Status& s);
/// The HTTP status of a Status code.
int HttpStatusFor(Code code);

}  // namespace vigil
