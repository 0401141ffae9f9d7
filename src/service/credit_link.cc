#include "service/credit_link.h"

#include <charconv>

namespace vigil {
namespace {

// Associated data apart from a TOTP secret's (an email, no space) and an outbox link's.
constexpr std::string_view kContext = "vigil credit link";

bool IsUrlSafeBase64(std::string_view s) {
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string MakeCreditLinkToken(const TotpSecretBox& box, const CreditLink& link) {
  const std::string payload =
      link.report_id + "\n" + link.email + "\n" + std::to_string(link.expires);
  std::string sealed = box.Seal(kContext, payload).substr(TotpSecretBox::kSealedPrefix.size());
  std::string out(kCreditLinkPrefix);
  for (char c : sealed) {
    if (c == '=') break;
    out += c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return out;
}

std::optional<CreditLink> ReadCreditLinkToken(const TotpSecretBox& box, std::string_view token) {
  if (token.size() > kMaxCreditLinkBytes || !token.starts_with(kCreditLinkPrefix)) {
    return std::nullopt;
  }
  token.remove_prefix(kCreditLinkPrefix.size());
  if (token.empty() || !IsUrlSafeBase64(token) || token.size() % 4 == 1) return std::nullopt;
  std::string sealed(TotpSecretBox::kSealedPrefix);
  for (char c : token) sealed += c == '-' ? '+' : c == '_' ? '/' : c;
  while ((sealed.size() - TotpSecretBox::kSealedPrefix.size()) % 4 != 0) sealed += '=';
  std::optional<std::string> payload = box.Open(kContext, sealed);
  if (!payload) return std::nullopt;
  const size_t a = payload->find('\n');
  const size_t b = a == std::string::npos ? a : payload->find('\n', a + 1);
  if (b == std::string::npos) return std::nullopt;
  CreditLink link;
  link.report_id = payload->substr(0, a);
  link.email = payload->substr(a + 1, b - a - 1);
  const std::string_view expires = std::string_view(*payload).substr(b + 1);
  auto [end, ec] = std::from_chars(expires.data(), expires.data() + expires.size(), link.expires);
  if (ec != std::errc() || end != expires.data() + expires.size()) return std::nullopt;
  return link;
}

}  // namespace vigil
