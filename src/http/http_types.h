// Plain request/response values exchanged between the Beast server and the router, so that
// routing, authorization and handlers can be tested without sockets.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace vigil {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // "/api/v1/reports?state=triage"
  std::string authorization;
  std::string cookie;  // the Cookie header
  std::string host;    // the Host header
  std::string content_type;
  std::string body;
  std::string client_address;  // remote IP, for rate limits
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  /// Extra headers; each replaces a default header of the same name (e.g. the CSP), except
  /// Set-Cookie, which may appear several times.
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace vigil
