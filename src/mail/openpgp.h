// OpenPGP with librnp: the project's key pair, decryption of incoming mail and encryption (with
// the project's signature) of outgoing mail. Keyrings live in memory only (no agent, no home
// directory); each operation builds its own rnp context, so every method is thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vigil::mail {

class ProjectKey {
 public:
  /// Generates a new Ed25519/Curve25519 key pair for USERID ("Project security
  /// <security@example.org>"), unprotected (the file holding it is the protection).
  static Result<ProjectKey> Generate(const std::string& userid);
  /// Reads an armored secret key as written by SecretArmored(). Error (kInvalidArgument):
  /// "project key: not an OpenPGP secret key".
  static Result<ProjectKey> Load(std::string_view secret_armored);

  const std::string& fingerprint() const { return fingerprint_; }  // upper-case hex
  const std::string& public_armored() const { return public_armored_; }
  const std::string& secret_armored() const { return secret_armored_; }

  /// Decrypts MESSAGE (armored or binary) into at most MAX_BYTES: a compressed message that
  /// inflates beyond it (a compression bomb) is stopped there, never held whole. Errors:
  ///  kPermissionDenied "message is encrypted to key <KEYID>, not to the project key <FPR>"
  ///  kInvalidArgument  "message is not a readable OpenPGP message"
  ///  kTooLarge         "decrypted message is larger than MAX_BYTES bytes"
  Result<std::string> Decrypt(std::string_view message, size_t max_bytes) const;
  /// Encrypts PLAINTEXT to RECIPIENT_PUBLIC (an armored public key), signed by the project key;
  /// armored output. Error (kInvalidArgument): "recipient key cannot encrypt".
  Result<std::string> EncryptAndSign(std::string_view plaintext,
                                     std::string_view recipient_public) const;

 private:
  std::string fingerprint_, public_armored_, secret_armored_;
};

/// Checks that ARMORED holds a usable OpenPGP public key (one that can encrypt) and returns its
/// primary key's fingerprint. Error (kInvalidArgument): "not an OpenPGP public key that can
/// encrypt".
Result<std::string> PublicKeyFingerprint(std::string_view armored);

/// Checks SIGNATURE (armored or binary, detached) over DATA against SIGNER_PUBLIC (an armored
/// public key with its subkeys) and returns that key's primary fingerprint when a signature in
/// it is good and made by that key or one of its subkeys. Errors (kInvalidArgument): "the key on
/// record is not a readable OpenPGP public key", "not a readable OpenPGP signature", "the
/// signature is not by the key on record", "the signature does not match the signed text".
Result<std::string> VerifyDetachedSignature(std::string_view data, std::string_view signature,
                                            std::string_view signer_public);

}  // namespace vigil::mail
