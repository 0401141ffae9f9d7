#pragma once

#include <string>

namespace vigil::net {

// scheme://host:port of URL (the port made explicit from the scheme's default), without the path,
// the query or credentials: how errors and logs name a server without leaking a password or a
// token embedded in its URL. A URL libcurl cannot parse is returned as "an unparsable URL".
std::string UrlOrigin(const std::string& url);

}  // namespace vigil::net
