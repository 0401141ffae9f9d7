// TOTP secrets at rest: sealed with a 32-byte key that lives outside the database (a 0600 file
// next to it by default, `[data] totp_key_file`), so a copy of the database alone yields no
// second factor. The store only ever holds the sealed text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vigil {

/// Seals and opens TOTP secrets with XChaCha20-Poly1305 (libsodium's IETF AEAD). The sealed
/// form is "v1:" + base64(nonce || ciphertext), with the account's email as associated data: a
/// row copied onto another account does not open. Immutable after construction; thread-safe.
class TotpSecretBox {
 public:
  static constexpr size_t kKeyBytes = 32;
  static constexpr std::string_view kSealedPrefix = "v1:";

  /// REQUIRES: KEY is kKeyBytes long.
  explicit TotpSecretBox(std::string key);
  ~TotpSecretBox();
  TotpSecretBox(const TotpSecretBox&) = delete;
  TotpSecretBox& operator=(const TotpSecretBox&) = delete;

  /// The sealed form of SECRET (the Base32 text) for the account EMAIL; a fresh nonce each time.
  std::string Seal(std::string_view email, std::string_view secret) const;
  /// The Base32 secret inside SEALED for EMAIL; nullopt when it is not sealed, was sealed for
  /// another account or with another key, or was altered.
  std::optional<std::string> Open(std::string_view email, std::string_view sealed) const;
  /// Whether STORED is in a sealed form (the "v1:" prefix), as opposed to a clear Base32 secret
  /// written before secrets were sealed.
  static bool IsSealed(std::string_view stored);

 private:
  std::string key_;
};

/// Reads the key file at PATH, or creates it when missing: 32 random bytes, created exclusively
/// with mode 0600 and fsynced (file and folder) before it is used. Errors, each naming PATH:
/// kInvalidArgument "PATH: the TOTP key file must be readable by its owner only (mode 0644);
/// run chmod 600 PATH", "PATH: a TOTP key file holds exactly 32 bytes, this one has N (restore it
/// from the backup)", "PATH: not a regular file"; kUnavailable when it cannot be read or made.
Result<std::string> LoadOrCreateTotpKey(const std::string& path);

}  // namespace vigil
