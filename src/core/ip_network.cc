#include "core/ip_network.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace vigil {

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;  // INET6_ADDRSTRLEN - 1
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a{};
  if (text.find(':') == std::string_view::npos) {
    in_addr v4;
    if (inet_pton(AF_INET, buf, &v4) != 1) return std::nullopt;
    a[10] = a[11] = 0xff;
    std::memcpy(a.data() + 12, &v4, 4);
    return a;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, buf, &v6) != 1) return std::nullopt;
  std::memcpy(a.data(), &v6, 16);
  return a;
}

Result<IpNetwork> IpNetwork::Parse(std::string_view text) {
  const Status bad = Status::Invalid("not an IP address or network: " + std::string(text));
  const size_t slash = text.find('/');
  std::optional<IpAddress> base = ParseIpAddress(text.substr(0, slash));
  if (!base) return bad;
  const bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  int prefix = v4 ? 32 : 128;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
        digits.size() > 3 || prefix < 0 || prefix > (v4 ? 32 : 128)) {
      return bad;
    }
  }
  IpNetwork n;
  n.base_ = *base;
  n.prefix_ = v4 ? prefix + 96 : prefix;
  for (int bit = n.prefix_; bit < 128; ++bit) {
    if (n.base_[bit / 8] & (0x80 >> (bit % 8))) return bad;
  }
  return n;
}

bool IpNetwork::Contains(const IpAddress& address) const {
  const int bytes = prefix_ / 8;
  if (std::memcmp(address.data(), base_.data(), bytes) != 0) return false;
  if (prefix_ % 8 == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - prefix_ % 8));
  return (address[bytes] & mask) == base_[bytes];
}

bool IpNetwork::Contains(std::string_view address) const {
  std::optional<IpAddress> a = ParseIpAddress(address);
  return a && Contains(*a);
}

}  // namespace vigil
