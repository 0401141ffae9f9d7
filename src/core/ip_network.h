#pragma once
// IP addresses and networks (CIDR), IPv4 and IPv6, for trusting a reverse proxy's word about who
// its client is. IPv4 is held as its IPv4-mapped IPv6 form, so "127.0.0.1" and "::ffff:127.0.0.1"
// (how a dual-stack socket names an IPv4 peer) are the same address.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vigil {

using IpAddress = std::array<uint8_t, 16>;

/// TEXT as an address ("192.0.2.7", "2001:db8::1", "::ffff:192.0.2.7"); nullopt for anything
/// else (no port, no brackets, no zone).
std::optional<IpAddress> ParseIpAddress(std::string_view text);

class IpNetwork {
 public:
  /// "10.0.0.0/8", "2001:db8::/32", or a single address (a /32 or /128). Error kInvalidArgument
  /// "not an IP address or network: TEXT" (bits outside the prefix must be zero: "10.0.0.1/8" is
  /// refused, it is most likely a typo).
  static Result<IpNetwork> Parse(std::string_view text);

  /// ADDRESS (text as ParseIpAddress reads it) is inside; false when it is not an address.
  bool Contains(std::string_view address) const;
  bool Contains(const IpAddress& address) const;

 private:
  IpAddress base_{};
  int prefix_ = 128;  // in bits of the IPv6 (or IPv4-mapped) form
};

}  // namespace vigil
