#include "service/credentials.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>

#include "store/audit_chain.h"

namespace vigil {

bool InitCrypto() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

namespace {

constexpr size_t kSelectorDigits = 16;
constexpr size_t kSecretChars = 43;  // 32 bytes in unpadded base64url

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string Hex(uint64_t value) {
  char out[kSelectorDigits + 1];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(value));
  return out;
}

// N random bytes from libsodium in unpadded base64url.
template <size_t N>
std::string RandomBase64Url() {
  InitCrypto();
  unsigned char raw[N];
  randombytes_buf(raw, sizeof raw);
  char encoded[sodium_base64_ENCODED_LEN(N, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(encoded, sizeof encoded, raw, sizeof raw,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
  return encoded;
}

}  // namespace

std::string NewSelector() {
  // The system clock, not the domain Clock: the selector only orders stored forms and ids (tests
  // that fake the time still get selectors made now).
  static std::atomic<uint64_t> last{0};
  const auto now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  uint64_t prev = last.load(std::memory_order_relaxed);
  uint64_t next;
  do {
    next = std::max(now, prev + 1);
  } while (!last.compare_exchange_weak(prev, next, std::memory_order_relaxed));
  return Hex(next);
}

std::string NewToken(std::string_view prefix) {
  return std::string(prefix) + NewSelector() + RandomBase64Url<32>();
}

std::string NewMailId() {
  InitCrypto();
  uint64_t random = 0;
  randombytes_buf(&random, sizeof random);
  return NewSelector() + Hex(random);
}

std::string NewPassword() { return RandomBase64Url<16>(); }

std::string TokenHash(std::string_view token) {
  // PREFIX is "<2 letters>_"; a token with a selector is PREFIX + 16 hex digits + 43 characters.
  const size_t prefix = token.find('_') + 1;
  if (prefix == 4 && token.size() == prefix + kSelectorDigits + kSecretChars) {
    const std::string_view selector = token.substr(prefix, kSelectorDigits);
    if (IsLowerHex(selector)) return std::string(selector) + Sha256Hex(token);
  }
  return Sha256Hex(token);
}

std::string TokenHashLabel(std::string_view stored) {
  constexpr size_t kDigest = 64;
  if (stored.size() > kDigest) stored.remove_prefix(stored.size() - kDigest);
  return std::string(stored.substr(0, 12));
}

bool IsTokenHashLabel(std::string_view id) { return id.size() == 12 && IsLowerHex(id); }

bool SecretEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<std::string> HashPassword(std::string_view password) {
  InitCrypto();
  if (password.size() < 8) return Status::Invalid("password must be at least 8 bytes");
  if (password.size() > 1024) return Status::Invalid("password must be at most 1024 bytes");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Status::Unavailable("out of memory hashing the password");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  InitCrypto();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  std::string h(hash);
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

}  // namespace vigil
