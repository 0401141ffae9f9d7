#include "service/totp_secret_box.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "service/credentials.h"

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

namespace {

std::string Errno(const std::string& path, const char* what) {
  return path + ": cannot " + what + ": " + std::strerror(errno);
}

// Creates PATH with KEY: exclusively, 0600, fsynced with its folder. An error with errno EEXIST
// when another process made it first.
Status CreateKeyFile(const std::string& path, const std::string& key) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable(Errno(path, "create the TOTP key file"));
  const bool written =
      ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!written) {
    ::unlink(path.c_str());
    errno = saved;
    return Status::Unavailable(Errno(path, "write the TOTP key file"));
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || ::fsync(dfd) != 0) {
    if (dfd >= 0) ::close(dfd);
    return Status::Unavailable(Errno(dir, "sync the folder of the TOTP key file"));
  }
  ::close(dfd);
  return Status::Ok();
}

}  // namespace

Result<std::string> LoadOrCreateTotpKey(const std::string& path) {
  InitCrypto();
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      std::string key(TotpSecretBox::kKeyBytes, '\0');
      crypto_secretbox_keygen(reinterpret_cast<unsigned char*>(key.data()));
      Status made = CreateKeyFile(path, key);
      if (made.ok()) return key;
      if (errno == EEXIST) continue;  // made meanwhile by another process: read theirs
      return made;
    }
    if (fd < 0) return Status::Unavailable(Errno(path, "open the TOTP key file"));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      return Status::Unavailable(Errno(path, "read the TOTP key file"));
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      return Status::Invalid(path + ": not a regular file");
    }
    if ((st.st_mode & 077) != 0) {
      ::close(fd);
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      return Status::Invalid(path +
                             ": the TOTP key file must be readable by its owner only (mode " +
                             mode + "); run chmod 600 " + path);
    }
    if (st.st_size != static_cast<off_t>(TotpSecretBox::kKeyBytes)) {
      ::close(fd);
      return Status::Invalid(path + ": a TOTP key file holds exactly 32 bytes, this one has " +
                             std::to_string(st.st_size) + " (restore it from the backup)");
    }
    std::string key(TotpSecretBox::kKeyBytes, '\0');
    const ssize_t n = ::read(fd, key.data(), key.size());
    ::close(fd);
    if (n != static_cast<ssize_t>(key.size())) {
      return Status::Unavailable(Errno(path, "read the TOTP key file"));
    }
    return key;
  }
  return Status::Unavailable(path + ": the TOTP key file keeps appearing and disappearing");
}

}  // namespace vigil
