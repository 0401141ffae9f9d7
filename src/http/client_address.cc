#include "http/client_address.h"

#include "core/text.h"

namespace vigil {
namespace {

bool Trusted(const std::vector<IpNetwork>& trusted, std::string_view address) {
  for (const IpNetwork& n : trusted) {
    if (n.Contains(address)) return true;
  }
  return false;
}

// The for= node of one Forwarded element ("for=192.0.2.60;proto=http;by=..."), without quotes,
// brackets or port: "192.0.2.60", "2001:db8:cafe::17", or whatever else it names ("unknown").
std::string ForwardedFor(std::string_view element) {
  while (!element.empty()) {
    const size_t semi = element.find(';');
    std::string_view pair = Trim(element.substr(0, semi));
    element = semi == std::string_view::npos ? std::string_view() : element.substr(semi + 1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || !EqualsIgnoreCase(Trim(pair.substr(0, eq)), "for")) {
      continue;
    }
    std::string_view node = Trim(pair.substr(eq + 1));
    if (node.size() >= 2 && node.front() == '"' && node.back() == '"') {
      node = node.substr(1, node.size() - 2);
    }
    if (node.starts_with("[")) {  // "[2001:db8::1]:4711"
      const size_t close = node.find(']');
      return std::string(close == std::string_view::npos ? node : node.substr(1, close - 1));
    }
    const size_t colon = node.find(':');
    if (colon != std::string_view::npos && node.find(':', colon + 1) == std::string_view::npos) {
      node = node.substr(0, colon);  // "192.0.2.60:4711"
    }
    return std::string(node);
  }
  return "";
}

// The hops a header names, the client first: Forwarded's for= nodes, else X-Forwarded-For's.
std::vector<std::string> Hops(std::string_view forwarded, std::string_view x_forwarded_for) {
  std::vector<std::string> hops;
  const bool use_forwarded = !Trim(forwarded).empty();
  std::string_view list = use_forwarded ? forwarded : x_forwarded_for;
  while (hops.size() < 64) {  // a longer chain is cut: its far end is not believed anyway
    const size_t comma = list.find(',');
    const std::string_view item = Trim(list.substr(0, comma));
    hops.push_back(use_forwarded ? ForwardedFor(item) : std::string(item));
    if (comma == std::string_view::npos) break;
    list = list.substr(comma + 1);
  }
  return hops;
}

}  // namespace

std::string ClientAddress(const std::vector<IpNetwork>& trusted, const std::string& peer,
                          std::string_view forwarded, std::string_view x_forwarded_for) {
  if (!Trusted(trusted, peer)) return peer;
  if (Trim(forwarded).empty() && Trim(x_forwarded_for).empty()) return peer;
  const std::vector<std::string> hops = Hops(forwarded, x_forwarded_for);
  std::string nearest = peer;  // the last hop known to be a trusted proxy
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (!ParseIpAddress(*it)) return nearest;
    if (!Trusted(trusted, *it)) return *it;
    nearest = *it;
  }
  return nearest;
}

}  // namespace vigil
