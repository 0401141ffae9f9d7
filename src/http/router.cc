#include "http/router.h"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

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

void Router::Add(Endpoint endpoint) {
  endpoint.segments = Segments(endpoint.pattern);
  routes_.push_back(std::move(endpoint));
}

HttpResponse Router::Handle(const HttpRequest& req, std::string* route_name) const {
  *route_name = "unmatched";
  boost::system::result<boost::urls::url_view> url = boost::urls::parse_origin_form(req.target);
  if (!url) return ErrorResponse(Status::Invalid("malformed request target"));
  if (!url->is_path_absolute()) return ErrorResponse(Status::Invalid("malformed request target"));
  // Segments are decoded one by one, so an encoded '/' stays inside its segment.
  std::vector<std::string> segments;
  for (std::string seg : url->segments()) {
    if (seg.find('\0') != std::string::npos) {
      return ErrorResponse(Status::Invalid("malformed request target"));
    }
    segments.push_back(std::move(seg));
  }
  if (segments.empty()) segments.emplace_back();
  RequestContext ctx;
  const Endpoint* found = nullptr;
  bool path_matched = false;
  for (const Endpoint& r : routes_) {
    std::map<std::string, std::string> params;
    if (!Match(r.segments, segments, &params)) continue;
    path_matched = true;
    if (r.method == req.method || (r.method == "GET" && req.method == "HEAD")) {
      found = &r;
      ctx.params = std::move(params);
      break;
    }
  }
  if (!found) {
    if (path_matched) {
      HttpResponse resp = ErrorResponse(Status(Code::kInvalidArgument, "method not allowed"));
      resp.status = 405;
      return resp;
    }
    return ErrorResponse(Status::NotFound("no such endpoint"));
  }
  *route_name = found->pattern;
  for (auto param : url->params()) {
    if (param.key.size() > 64 || param.value.size() > 1024) {
      return ErrorResponse(Status::Invalid("query parameter too long"));
    }
    ctx.query[std::string(param.key)] = std::string(param.value);
  }

  if (found->action) {
    std::string_view auth = req.authorization;
    std::string_view bearer;
    if (!auth.empty()) {
      constexpr std::string_view kScheme = "Bearer ";
      if (auth.size() <= kScheme.size() || !auth.starts_with(kScheme)) {
        return ErrorResponse(Status::Unauthenticated("invalid credentials"));
      }
      bearer = auth.substr(kScheme.size());
    }
    Result<Principal> principal = service_.Authenticate(bearer);
    if (!principal.ok()) return ErrorResponse(principal.status());
    ctx.principal = *principal;
    if (found->rate_limited) {
      int retry = 0;
      if (!limiter_.Allow(req.client_address, &retry)) {
        HttpResponse resp = ErrorResponse(Status::RateLimited("too many submissions; retry in " +
                                                              std::to_string(retry) + " seconds"));
        resp.headers.emplace_back("Retry-After", std::to_string(retry));
        return resp;
      }
    }
    auto id = ctx.params.find("id");
    Status allowed =
        service_.Authorize(ctx.principal, *found->action, id == ctx.params.end() ? "" : id->second);
    if (!allowed.ok()) return ErrorResponse(allowed);
  }
  return found->handler(req, ctx);
}

}  // namespace vigil
