#include "service/totp_secret_box.h"

#include <sodium.h>

#include <cstring>
#include <vector>

#include "service/credentials.h"
#include "service/key_file.h"

namespace vigil {

TotpSecretBox::TotpSecretBox(std::string key) : key_(std::move(key)) { InitCrypto(); }

TotpSecretBox::~TotpSecretBox() { sodium_memzero(key_.data(), key_.size()); }

bool TotpSecretBox::IsSealed(std::string_view stored) { return stored.starts_with(kSealedPrefix); }

std::string TotpSecretBox::Seal(std::string_view email, std::string_view secret) const {
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::vector<unsigned char> box(kNonce + secret.size() +
                                 crypto_aead_xchacha20poly1305_ietf_ABYTES);
  randombytes_buf(box.data(), kNonce);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      box.data() + kNonce, &len, reinterpret_cast<const unsigned char*>(secret.data()),
      secret.size(), reinterpret_cast<const unsigned char*>(email.data()), email.size(), nullptr,
      box.data(), reinterpret_cast<const unsigned char*>(key_.data()));
  const size_t total = kNonce + static_cast<size_t>(len);
  std::string b64(sodium_base64_ENCODED_LEN(total, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(b64.data(), b64.size(), box.data(), total, sodium_base64_VARIANT_ORIGINAL);
  b64.resize(std::strlen(b64.c_str()));
  return std::string(kSealedPrefix) + b64;
}

std::optional<std::string> TotpSecretBox::Open(std::string_view email,
                                               std::string_view sealed) const {
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  if (!IsSealed(sealed) || sealed.size() > 1024) return std::nullopt;
  sealed.remove_prefix(kSealedPrefix.size());
  // (libsodium takes no null buffer: "v1:" alone has nothing to open. Found by UBSan.)
  if (sealed.empty()) return std::nullopt;
  std::vector<unsigned char> box(sealed.size());
  size_t len = 0;
  if (sodium_base642bin(box.data(), box.size(), sealed.data(), sealed.size(), nullptr, &len,
                        nullptr, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      len < kNonce + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return std::nullopt;
  }
  std::string out(len - kNonce - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long out_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &out_len, nullptr, box.data() + kNonce,
          len - kNonce, reinterpret_cast<const unsigned char*>(email.data()), email.size(),
          box.data(), reinterpret_cast<const unsigned char*>(key_.data())) != 0) {
    return std::nullopt;
  }
  out.resize(static_cast<size_t>(out_len));
  return out;
}

Result<std::string> LoadOrCreateTotpKey(const std::string& path) {
  InitCrypto();
  const KeyFileKind kind{"TOTP key file", "a", TotpSecretBox::kKeyBytes, [] {
                           std::string key(TotpSecretBox::kKeyBytes, '\0');
                           crypto_secretbox_keygen(reinterpret_cast<unsigned char*>(key.data()));
                           return key;
                         }};
  return LoadOrCreateKeyFile(path, kind);
}

}  // namespace vigil
