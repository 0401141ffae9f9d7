#include "service/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <cctype>

#include "service/credentials.h"

namespace vigil {
namespace {

constexpr char kBase32Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::string UriEscape(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || c == '@') {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

}  // namespace

std::string Base32Encode(std::string_view bytes) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 5) {
      out += kBase32Alphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32Alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

std::optional<std::string> Base32Decode(std::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == ' ' || c == '=' || c == '-') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= '2' && c <= '7') {
      v = c - '2' + 26;
    } else {
      return std::nullopt;
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xFF);
      bits -= 8;
    }
  }
  return out;
}

std::string Hotp(std::string_view key, uint64_t counter, int digits, TotpHash hash) {
  unsigned char msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<unsigned char>(counter & 0xFF);
    counter >>= 8;
  }
  const EVP_MD* md = hash == TotpHash::kSha1     ? EVP_sha1()
                     : hash == TotpHash::kSha256 ? EVP_sha256()
                                                 : EVP_sha512();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), msg, sizeof msg, mac, &mac_len);
  // Dynamic truncation (RFC 4226 section 5.3).
  const unsigned offset = mac[mac_len - 1] & 0x0F;
  const uint32_t bin = (static_cast<uint32_t>(mac[offset] & 0x7F) << 24) |
                       (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                       (static_cast<uint32_t>(mac[offset + 2]) << 8) | mac[offset + 3];
  uint64_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  std::string code = std::to_string(bin % mod);
  return std::string(static_cast<size_t>(digits) - code.size(), '0') + code;
}

int64_t TotpStep(Instant t, int step_seconds) {
  const int64_t seconds = t / kMicrosPerSecond;
  return seconds / step_seconds;
}

std::string Totp(std::string_view key, Instant t, int digits, TotpHash hash, int step_seconds) {
  return Hotp(key, static_cast<uint64_t>(TotpStep(t, step_seconds)), digits, hash);
}

std::optional<int64_t> VerifyTotp(std::string_view key, std::string_view code, Instant now) {
  if (code.size() != 6) return std::nullopt;
  const int64_t step = TotpStep(now);
  std::optional<int64_t> matched;
  for (int64_t s = step - 1; s <= step + 1; ++s) {
    // Every candidate is computed and compared, so timing does not tell which one matched.
    if (SecretEquals(Hotp(key, static_cast<uint64_t>(s)), code)) matched = s;
  }
  return matched;
}

std::string NewTotpSecret() {
  InitCrypto();
  std::string secret(20, '\0');
  randombytes_buf(secret.data(), secret.size());
  return secret;
}

std::string TotpUri(std::string_view issuer, std::string_view account,
                    std::string_view base32_secret) {
  return "otpauth://totp/" + UriEscape(issuer) + ":" + UriEscape(account) +
         "?secret=" + std::string(base32_secret) + "&issuer=" + UriEscape(issuer) +
         "&algorithm=SHA1&digits=6&period=30";
}

}  // namespace vigil
