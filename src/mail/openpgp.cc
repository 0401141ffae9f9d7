#include "mail/openpgp.h"

#include <rnp/rnp.h>
#include <rnp/rnp_err.h>

#include <fcntl.h>
#include <unistd.h>

#include <vector>

namespace vigil::mail {
namespace {

// RAII holders for the rnp handles used here.
// rnp logs failures to stderr; send the context's log elsewhere. (Debian's librnp 0.16 still
// prints some parser errors straight to stderr: `vigil ingest` silences fd 2 around delivery.)
int QuietFd() {
  static const int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  return fd;
}

struct Ffi {
  rnp_ffi_t p = nullptr;
  Ffi() {
    rnp_ffi_create(&p, "GPG", "GPG");
    // rnp fdopen()s the descriptor and fclose()s it with the context: give it its own.
    if (p && QuietFd() >= 0) {
      const int fd = fcntl(QuietFd(), F_DUPFD_CLOEXEC, 3);
      if (fd >= 0 && rnp_ffi_set_log_fd(p, fd) != RNP_SUCCESS) close(fd);
    }
  }
  ~Ffi() {
    if (p) rnp_ffi_destroy(p);
  }
};
struct Input {
  rnp_input_t p = nullptr;
  explicit Input(std::string_view data) {
    rnp_input_from_memory(&p, reinterpret_cast<const uint8_t*>(data.data()), data.size(), false);
  }
  ~Input() {
    if (p) rnp_input_destroy(p);
  }
};
struct Output {
  rnp_output_t p = nullptr;
  /// MAX_BYTES: writing more fails (0 = unlimited).
  explicit Output(size_t max_bytes = 0) { rnp_output_to_memory(&p, max_bytes); }
  ~Output() {
    if (p) rnp_output_destroy(p);
  }
  size_t Size() const {
    uint8_t* buf = nullptr;
    size_t len = 0;
    rnp_output_memory_get_buf(p, &buf, &len, false);
    return len;
  }
  std::string Text() const {
    uint8_t* buf = nullptr;
    size_t len = 0;
    if (rnp_output_memory_get_buf(p, &buf, &len, false) != RNP_SUCCESS) return "";
    return std::string(reinterpret_cast<const char*>(buf), len);
  }
};
struct Key {
  rnp_key_handle_t p = nullptr;
  ~Key() {
    if (p) rnp_key_handle_destroy(p);
  }
};

std::string TakeString(char* s) {
  std::string out = s ? s : "";
  if (s) rnp_buffer_destroy(s);
  return out;
}

bool Import(rnp_ffi_t ffi, std::string_view armored, uint32_t flags) {
  Input in(armored);
  return in.p && rnp_import_keys(ffi, in.p, flags, nullptr) == RNP_SUCCESS;
}

// The first primary key of FFI.
bool FirstPrimary(rnp_ffi_t ffi, Key* key) {
  rnp_identifier_iterator_t it = nullptr;
  if (rnp_identifier_iterator_create(ffi, &it, "fingerprint") != RNP_SUCCESS) return false;
  const char* fp = nullptr;
  bool found = false;
  while (!found && rnp_identifier_iterator_next(it, &fp) == RNP_SUCCESS && fp) {
    Key k;
    if (rnp_locate_key(ffi, "fingerprint", fp, &k.p) != RNP_SUCCESS || !k.p) continue;
    bool primary = false;
    rnp_key_is_primary(k.p, &primary);
    if (primary) {
      key->p = k.p;
      k.p = nullptr;
      found = true;
    }
  }
  rnp_identifier_iterator_destroy(it);
  return found;
}

// True when KEY or one of its subkeys may encrypt.
bool CanEncrypt(rnp_key_handle_t key) {
  bool ok = false;
  rnp_key_allows_usage(key, "encrypt", &ok);
  if (ok) return true;
  size_t n = 0;
  rnp_key_get_subkey_count(key, &n);
  for (size_t i = 0; i < n; ++i) {
    Key sub;
    if (rnp_key_get_subkey_at(key, i, &sub.p) != RNP_SUCCESS) continue;
    bool sub_ok = false;
    rnp_key_allows_usage(sub.p, "encrypt", &sub_ok);
    bool revoked = false;
    rnp_key_is_revoked(sub.p, &revoked);
    if (sub_ok && !revoked) return true;
  }
  return false;
}

}  // namespace

Result<ProjectKey> ProjectKey::Generate(const std::string& userid) {
  Ffi ffi;
  Key key;
  if (rnp_generate_key_25519(ffi.p, userid.c_str(), nullptr, &key.p) != RNP_SUCCESS) {
    return Status::Internal("project key: key generation failed");
  }
  Output sec;
  if (rnp_key_export(key.p, sec.p,
                     RNP_KEY_EXPORT_ARMORED | RNP_KEY_EXPORT_SECRET | RNP_KEY_EXPORT_SUBKEYS) !=
      RNP_SUCCESS) {
    return Status::Internal("project key: export failed");
  }
  return Load(sec.Text());
}

Result<ProjectKey> ProjectKey::Load(std::string_view secret_armored) {
  const Status bad = Status::Invalid("project key: not an OpenPGP secret key");
  Ffi ffi;
  if (!Import(ffi.p, secret_armored, RNP_LOAD_SAVE_PUBLIC_KEYS | RNP_LOAD_SAVE_SECRET_KEYS)) {
    return bad;
  }
  Key key;
  if (!FirstPrimary(ffi.p, &key)) return bad;
  bool has_secret = false;
  rnp_key_have_secret(key.p, &has_secret);
  if (!has_secret) return bad;
  ProjectKey out;
  char* fp = nullptr;
  rnp_key_get_fprint(key.p, &fp);
  out.fingerprint_ = TakeString(fp);
  Output pub;
  if (rnp_key_export(key.p, pub.p,
                     RNP_KEY_EXPORT_ARMORED | RNP_KEY_EXPORT_PUBLIC | RNP_KEY_EXPORT_SUBKEYS) !=
      RNP_SUCCESS) {
    return bad;
  }
  out.public_armored_ = pub.Text();
  out.secret_armored_ = std::string(secret_armored);
  return out;
}

Result<std::string> ProjectKey::Decrypt(std::string_view message, size_t max_bytes) const {
  Ffi ffi;
  if (!Import(ffi.p, secret_armored_, RNP_LOAD_SAVE_PUBLIC_KEYS | RNP_LOAD_SAVE_SECRET_KEYS)) {
    return Status::Internal("project key: cannot load");
  }
  Input in(message);
  // One byte over the cap is kept so that a plaintext of exactly MAX_BYTES still fits and one
  // longer is recognised; rnp stops writing (and inflating) there, whatever the compression.
  Output out(max_bytes + 1);
  rnp_op_verify_t op = nullptr;
  if (rnp_op_verify_create(&op, ffi.p, in.p, out.p) != RNP_SUCCESS) {
    return Status::Invalid("message is not a readable OpenPGP message");
  }
  // Senders' signatures are not checked here (their keys are unknown to the project).
  rnp_op_verify_set_flags(op, RNP_VERIFY_IGNORE_SIGS_ON_DECRYPT);
  const rnp_result_t rc = rnp_op_verify_execute(op);
  std::vector<std::string> recipients;
  size_t n = 0;
  rnp_op_verify_get_recipient_count(op, &n);
  for (size_t i = 0; i < n && i < 16; ++i) {
    rnp_recipient_handle_t r = nullptr;
    if (rnp_op_verify_get_recipient_at(op, i, &r) != RNP_SUCCESS || !r) continue;
    char* id = nullptr;
    rnp_recipient_get_keyid(r, &id);
    recipients.push_back(TakeString(id));
  }
  rnp_op_verify_destroy(op);
  // A memory output fails a write only at its cap: rnp stops there (before or after the byte
  // that would exceed it, by its buffering).
  if (rc == RNP_ERROR_WRITE || out.Size() > max_bytes) {
    return Status::TooLarge("decrypted message is larger than " + std::to_string(max_bytes) +
                            " bytes");
  }
  if (rc == RNP_SUCCESS) return out.Text();
  if (!recipients.empty()) {
    std::string ids;
    for (const std::string& id : recipients) ids += (ids.empty() ? "" : ", ") + id;
    return Status::Denied("message is encrypted to key " + ids + ", not to the project key " +
                          fingerprint_);
  }
  return Status::Invalid("message is not a readable OpenPGP message");
}

Result<std::string> ProjectKey::EncryptAndSign(std::string_view plaintext,
                                               std::string_view recipient_public) const {
  Ffi ffi;
  if (!Import(ffi.p, secret_armored_, RNP_LOAD_SAVE_PUBLIC_KEYS | RNP_LOAD_SAVE_SECRET_KEYS)) {
    return Status::Internal("project key: cannot load");
  }
  Key signer;
  if (rnp_locate_key(ffi.p, "fingerprint", fingerprint_.c_str(), &signer.p) != RNP_SUCCESS ||
      !signer.p) {
    return Status::Internal("project key: cannot load");
  }
  // The recipient's key goes into a second context so it can never shadow the project key.
  Ffi rffi;
  Key recipient_probe;
  if (!Import(rffi.p, recipient_public, RNP_LOAD_SAVE_PUBLIC_KEYS) ||
      !FirstPrimary(rffi.p, &recipient_probe) || !CanEncrypt(recipient_probe.p)) {
    return Status::Invalid("recipient key cannot encrypt");
  }
  char* rfp = nullptr;
  rnp_key_get_fprint(recipient_probe.p, &rfp);
  const std::string recipient_fpr = TakeString(rfp);
  if (!Import(ffi.p, recipient_public, RNP_LOAD_SAVE_PUBLIC_KEYS)) {
    return Status::Invalid("recipient key cannot encrypt");
  }
  Key recipient;
  if (rnp_locate_key(ffi.p, "fingerprint", recipient_fpr.c_str(), &recipient.p) != RNP_SUCCESS ||
      !recipient.p) {
    return Status::Invalid("recipient key cannot encrypt");
  }
  Input in(plaintext);
  Output out;
  rnp_op_encrypt_t op = nullptr;
  if (rnp_op_encrypt_create(&op, ffi.p, in.p, out.p) != RNP_SUCCESS) {
    return Status::Internal("encryption failed");
  }
  rnp_result_t rc = rnp_op_encrypt_add_recipient(op, recipient.p);
  if (rc == RNP_SUCCESS) rc = rnp_op_encrypt_add_signature(op, signer.p, nullptr);
  if (rc == RNP_SUCCESS) rc = rnp_op_encrypt_set_armor(op, true);
  if (rc == RNP_SUCCESS) rc = rnp_op_encrypt_set_cipher(op, "AES256");
  if (rc == RNP_SUCCESS) rc = rnp_op_encrypt_execute(op);
  rnp_op_encrypt_destroy(op);
  if (rc != RNP_SUCCESS) return Status::Invalid("recipient key cannot encrypt");
  return out.Text();
}

Result<std::string> PublicKeyFingerprint(std::string_view armored) {
  const Status bad = Status::Invalid("not an OpenPGP public key that can encrypt");
  if (armored.size() > (1u << 20)) return bad;
  Ffi ffi;
  Key key;
  if (!Import(ffi.p, armored, RNP_LOAD_SAVE_PUBLIC_KEYS) || !FirstPrimary(ffi.p, &key) ||
      !CanEncrypt(key.p)) {
    return bad;
  }
  char* fp = nullptr;
  rnp_key_get_fprint(key.p, &fp);
  return TakeString(fp);
}

Result<std::string> VerifyDetachedSignature(std::string_view data, std::string_view signature,
                                            std::string_view signer_public) {
  Ffi ffi;
  if (!ffi.p || !Import(ffi.p, signer_public, RNP_LOAD_SAVE_PUBLIC_KEYS)) {
    return Status::Invalid("the key on record is not a readable OpenPGP public key");
  }
  Input text(data);
  Input sig(signature);
  rnp_op_verify_t op = nullptr;
  if (!text.p || !sig.p ||
      rnp_op_verify_detached_create(&op, ffi.p, text.p, sig.p) != RNP_SUCCESS) {
    return Status::Invalid("not a readable OpenPGP signature");
  }
  const rnp_result_t rc = rnp_op_verify_execute(op);
  size_t count = 0;
  rnp_op_verify_get_signature_count(op, &count);
  std::string fingerprint;
  bool unknown_key = false;
  for (size_t i = 0; i < count && fingerprint.empty(); ++i) {
    rnp_op_verify_signature_t s = nullptr;
    if (rnp_op_verify_get_signature_at(op, i, &s) != RNP_SUCCESS) continue;
    const rnp_result_t status = rnp_op_verify_signature_get_status(s);
    if (status == RNP_ERROR_KEY_NOT_FOUND) unknown_key = true;
    if (status != RNP_SUCCESS) continue;
    Key key;
    if (rnp_op_verify_signature_get_key(s, &key.p) != RNP_SUCCESS || !key.p) continue;
    bool primary = false;
    rnp_key_is_primary(key.p, &primary);
    char* fp = nullptr;
    if ((primary ? rnp_key_get_fprint(key.p, &fp) : rnp_key_get_primary_fprint(key.p, &fp)) ==
        RNP_SUCCESS) {
      fingerprint = TakeString(fp);
    }
  }
  rnp_op_verify_destroy(op);
  if (!fingerprint.empty()) return fingerprint;
  if (count == 0 && rc != RNP_SUCCESS && !unknown_key) {
    return Status::Invalid("not a readable OpenPGP signature");
  }
  if (unknown_key) return Status::Invalid("the signature is not by the key on record");
  return Status::Invalid("the signature does not match the signed text");
}

}  // namespace vigil::mail
