#include "service/credentials.h"

#include <sodium.h>

#include "store/audit_chain.h"

namespace vigil {

bool InitCrypto() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

std::string NewToken(std::string_view prefix) {
  InitCrypto();
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char encoded[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(encoded, sizeof encoded, raw, sizeof raw,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
  return std::string(prefix) + encoded;
}

std::string TokenHash(std::string_view token) { return Sha256Hex(token); }

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
