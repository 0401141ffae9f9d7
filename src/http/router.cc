#include "http/router.h"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <future>

#include "service/credentials.h"
#include "service/credit_link.h"
#include "service/report_service.h"

namespace vigil {
namespace {

// Splits a pattern or a decoded path into segments ("" for the root).
std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool Match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
           std::map<std::string, std::string>* params) {
  if (pattern.size() != path.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string& p = pattern[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      if (path[i].empty()) return false;
      (*params)[p.substr(1, p.size() - 2)] = path[i];
    } else if (p != path[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kNotFound:
      return 404;
    case Code::kUnauthenticated:
      return 401;
    case Code::kPermissionDenied:
      return 403;
    case Code::kConflict:
      return 409;
    case Code::kTooLarge:
      return 413;
    case Code::kRateLimited:
      return 429;
    case Code::kUnavailable:
    case Code::kAborted:
      return 503;
    case Code::kInternal:
      return 500;
  }
  return 500;
}

HttpResponse ErrorResponse(const Status& s) {
  HttpResponse r;
  r.status = HttpStatusFor(s.code());
  boost::json::object err{{"code", CodeName(s.code())}, {"message", s.message()}};
  r.body = boost::json::serialize(boost::json::object{{"error", std::move(err)}});
  r.body += '\n';
  if (s.code() == Code::kUnauthenticated) {
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"vigil\"");
  }
  return r;
}

std::string CookieValue(std::string_view header, std::string_view name) {
  size_t i = 0;
  while (i < header.size()) {
    size_t end = header.find(';', i);
    if (end == std::string_view::npos) end = header.size();
    std::string_view pair = header.substr(i, end - i);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      std::string_view value = pair.substr(eq + 1);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return std::string(value);
    }
    i = end + 1;
  }
  return "";
}

namespace {

/// The request target as an absolute origin-form URL, or nothing.
std::optional<boost::urls::url_view> ParseTarget(std::string_view target) {
  boost::system::result<boost::urls::url_view> url = boost::urls::parse_origin_form(target);
  if (!url || !url->is_path_absolute()) return std::nullopt;
  return *url;
}

/// The path segments of URL, decoded one by one (so an encoded '/' stays inside its segment);
/// false if one holds a NUL. An empty path is one empty segment.
bool DecodedSegments(const boost::urls::url_view& url, std::vector<std::string>* segments) {
  for (std::string seg : url.segments()) {
    if (seg.find('\0') != std::string::npos) return false;
    segments->push_back(std::move(seg));
  }
  if (segments->empty()) segments->emplace_back();
  return true;
}

}  // namespace

void Router::Add(Endpoint endpoint) {
  endpoint.segments = Segments(endpoint.pattern);
  routes_.push_back(std::move(endpoint));
}

HttpResponse Router::Refuse(const Endpoint& e, const HttpRequest& req, const Status& s) const {
  if (e.credential == CredentialSource::kBearer || !page_error_) return ErrorResponse(s);
  return page_error_(req, s);
}

const Endpoint* Router::Find(std::string_view method, const std::vector<std::string>& segments,
                             std::map<std::string, std::string>* params, bool* path_matched) const {
  *path_matched = false;
  for (const Endpoint& r : routes_) {
    std::map<std::string, std::string> matched;
    if (!Match(r.segments, segments, &matched)) continue;
    *path_matched = true;
    if (r.method == method || (r.method == "GET" && method == "HEAD")) {
      *params = std::move(matched);
      return &r;
    }
  }
  return nullptr;
}

int64_t Router::BodyLimit(std::string_view method, std::string_view target,
                          int64_t fallback) const {
  std::optional<boost::urls::url_view> url = ParseTarget(target);
  std::vector<std::string> segments;
  if (!url || !DecodedSegments(*url, &segments)) return fallback;
  std::map<std::string, std::string> params;
  bool path_matched = false;
  const Endpoint* e = Find(method, segments, &params, &path_matched);
  return e && e->max_body_bytes > 0 ? e->max_body_bytes : fallback;
}

bool Router::IsAsync(std::string_view method, std::string_view target) const {
  std::optional<boost::urls::url_view> url = ParseTarget(target);
  std::vector<std::string> segments;
  if (!url || !DecodedSegments(*url, &segments)) return false;
  std::map<std::string, std::string> params;
  bool path_matched = false;
  const Endpoint* e = Find(method, segments, &params, &path_matched);
  return e && e->async_handler;
}

HttpResponse Router::Handle(const HttpRequest& req, std::string* route_name) const {
  RequestContext ctx;
  HttpResponse refusal;
  const Endpoint* e = Admit(req, route_name, &ctx, &refusal);
  if (!e) return refusal;
  if (!e->async_handler) return e->handler(req, ctx);
  std::promise<HttpResponse> answer;
  std::future<HttpResponse> done = answer.get_future();
  e->async_handler(req, ctx, [&answer](HttpResponse r) { answer.set_value(std::move(r)); });
  return done.get();
}

void Router::HandleAsync(const HttpRequest& req, std::string* route_name, Respond done) const {
  RequestContext ctx;
  HttpResponse refusal;
  const Endpoint* e = Admit(req, route_name, &ctx, &refusal);
  if (!e) return done(std::move(refusal));
  if (!e->async_handler) return done(e->handler(req, ctx));
  e->async_handler(req, ctx, std::move(done));
}

const Endpoint* Router::Admit(const HttpRequest& req, std::string* route_name,
                              RequestContext* context, HttpResponse* refusal) const {
  *route_name = "unmatched";
  // Every refusal below goes through here: `return refuse(...)` ends admission.
  auto refuse = [refusal](HttpResponse r) -> const Endpoint* {
    *refusal = std::move(r);
    return nullptr;
  };
  std::optional<boost::urls::url_view> url = ParseTarget(req.target);
  if (!url) return refuse(ErrorResponse(Status::Invalid("malformed request target")));
  std::vector<std::string> segments;
  if (!DecodedSegments(*url, &segments)) {
    return refuse(ErrorResponse(Status::Invalid("malformed request target")));
  }
  RequestContext& ctx = *context;
  bool path_matched = false;
  const Endpoint* found = Find(req.method, segments, &ctx.params, &path_matched);
  if (!found) {
    if (path_matched) {
      HttpResponse resp = ErrorResponse(Status(Code::kInvalidArgument, "method not allowed"));
      resp.status = 405;
      return refuse(std::move(resp));
    }
    if (page_error_ && !req.target.starts_with("/api/")) {
      return refuse(page_error_(req, Status::NotFound("there is no page at this address")));
    }
    return refuse(ErrorResponse(Status::NotFound("no such endpoint")));
  }
  *route_name = found->pattern;
  for (auto param : url->params()) {
    if (param.key.size() > 64 || param.value.size() > 1024) {
      return refuse(ErrorResponse(Status::Invalid("query parameter too long")));
    }
    ctx.query[std::string(param.key)] = std::string(param.value);
  }

  if (found->action) {
    const Endpoint& e = *found;
    Result<Principal> principal = Principal{};
    if (e.credential == CredentialSource::kBearer) {
      std::string_view auth = req.authorization;
      std::string_view bearer;
      if (!auth.empty()) {
        constexpr std::string_view kScheme = "Bearer ";
        if (auth.size() <= kScheme.size() || !auth.starts_with(kScheme)) {
          return refuse(ErrorResponse(Status::Unauthenticated("invalid credentials")));
        }
        bearer = auth.substr(kScheme.size());
      }
      principal = service_.Authenticate(bearer);
    } else if (e.credential == CredentialSource::kCookie) {
      // A stale or revoked session is the anonymous caller: public pages stay usable, and
      // pages that need an account send the caller to log in.
      principal =
          service_.Authenticate(CookieValue(req.cookie, kSessionCookie), CredentialSource::kCookie);
      if (!principal.ok() && principal.status().code() == Code::kUnauthenticated) {
        principal = Principal{};
      }
    } else {
      auto token = ctx.params.find("token");
      std::string credential = token == ctx.params.end() ? "" : token->second;
      // /track/<ID> after the exchange: the capability is the cookie scoped to that path. The
      // handlers and the CSRF check read the capability as the "token" parameter either way;
      // "report" tells them which address the browser used.
      std::string path_report;
      if (token != ctx.params.end() && !credential.starts_with(kCapabilityPrefix) &&
          !credential.starts_with(kCreditLinkPrefix)) {
        path_report = credential;
        credential = CookieValue(req.cookie, kTrackCookie);
        token->second = credential;
        ctx.params["report"] = path_report;
      }
      principal = service_.Authenticate(credential, CredentialSource::kPath);
      // A wrong link and a link to a report that does not exist look the same, and so does a
      // cookie that belongs to another report.
      // Which routes a credit link opens is the access policy's decision (Action::kConsent).
      if ((principal.ok() && ((principal->kind != Principal::Kind::kCapability &&
                               principal->kind != Principal::Kind::kCreditLink) ||
                              (!path_report.empty() && principal->report_id != path_report))) ||
          (!principal.ok() && principal.status().code() == Code::kUnauthenticated)) {
        return refuse(Refuse(e, req, Status::NotFound("this link is not valid")));
      }
    }
    if (!principal.ok()) return refuse(Refuse(e, req, principal.status()));
    ctx.principal = *principal;
    if (found->rate_limited) {
      int retry = 0;
      if (!limiter_.Allow("submit:" + req.client_address, &retry)) {
        HttpResponse resp = Refuse(e, req,
                                   Status::RateLimited("too many submissions; retry in " +
                                                       std::to_string(retry) + " seconds"));
        resp.headers.emplace_back("Retry-After", std::to_string(retry));
        return refuse(std::move(resp));
      }
    }
    std::string report_id;
    if (auto id = ctx.params.find("id"); id != ctx.params.end()) report_id = id->second;
    if (e.credential == CredentialSource::kPath) report_id = ctx.principal.report_id;
    Status allowed = service_.Authorize(ctx.principal, *found->action, report_id);
    if (!allowed.ok()) {
      if (e.credential == CredentialSource::kPath && allowed.code() == Code::kNotFound) {
        allowed = Status::NotFound("this link is not valid");
      }
      return refuse(Refuse(e, req, allowed));
    }
  }
  return found;
}

}  // namespace vigil
