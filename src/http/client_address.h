#pragma once
// Who the client is when Vigil sits behind a reverse proxy: the address the rate limits, the
// login back-off and the logs count requests by.
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_network.h"

namespace vigil {

/// The client's address. PEER is the connection's address; FORWARDED and X_FORWARDED_FOR are
/// the values of those headers (all occurrences joined with ", "; empty when absent). Only when
/// PEER is in TRUSTED are the headers believed: their hops are read from the nearest backwards,
/// skipping those that are themselves trusted proxies, and the first other one is the client.
/// `Forwarded` (RFC 7239, its for= parameters) wins over `X-Forwarded-For` when both are sent. A
/// hop that is not an address ("unknown", an obfuscated name, garbage) ends the walk at the last
/// trusted proxy, which is then taken as the client: nothing a client writes can make it count as
/// someone else.
std::string ClientAddress(const std::vector<IpNetwork>& trusted, const std::string& peer,
                          std::string_view forwarded, std::string_view x_forwarded_for);

}  // namespace vigil
