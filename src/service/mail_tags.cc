#include "service/mail_tags.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/text.h"
#include "service/credentials.h"
#include "service/key_file.h"

namespace vigil {
namespace {

constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";

std::string NewKey() {
  std::string key(MailTags::kKeyBytes, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

const KeyFileKind& Kind() {
  static const KeyFileKind kind{"mail tag key file", "a", MailTags::kKeyBytes, NewKey};
  return kind;
}

}  // namespace

std::string MailTags::KeyPath(const std::string& data_dir) { return data_dir + "/mail-tags.key"; }

Result<MailTags> MailTags::Load(const std::string& path) {
  InitCrypto();
  Result<std::string> key = LoadOrCreateKeyFile(path, Kind());
  VIGIL_RETURN_IF_ERROR(key.status());
  return MailTags(std::move(key).value());
}

Status MailTags::Rotate(const std::string& path) {
  InitCrypto();
  const std::string tmp = path + ".new";
  const std::string key = NewKey();
  unlink(tmp.c_str());
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable(tmp + ": " + std::strerror(errno));
  const bool written =
      write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && fsync(fd) == 0;
  close(fd);
  if (!written || rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    unlink(tmp.c_str());
    return Status::Unavailable(path + ": cannot write a new key: " + why);
  }
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  if (const int d = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
    fsync(d);
    close(d);
  }
  return Status::Ok();
}

std::string MailTags::Mac(std::string_view purpose, std::string_view a, std::string_view b) const {
  // Length-prefixed fields, so no two different inputs read the same.
  std::string input;
  for (std::string_view field : {purpose, a, b}) {
    input += std::to_string(field.size());
    input += ':';
    input += field;
  }
  unsigned char mac[16];
  crypto_generichash(mac, sizeof mac, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size(), reinterpret_cast<const unsigned char*>(key_.data()),
                     key_.size());
  std::string out;
  out.reserve(kTagChars);
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char byte : mac) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.size() < kTagChars) {
      out += kBase32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  sodium_memzero(mac, sizeof mac);
  return out;
}

std::string MailTags::ReplyTag(std::string_view report_id, std::string_view email) const {
  return Mac("reply", report_id, LowerAscii(email));
}

std::string MailTags::BounceTag(std::string_view report_id, int64_t outbox_id,
                                std::string_view email) const {
  return Mac("bounce", std::string(report_id) + "/" + std::to_string(outbox_id), LowerAscii(email));
}

std::string MailTags::ReplyAddress(const mail::SecurityAddress& ours, std::string_view report_id,
                                   std::string_view email) const {
  return ours.local + "+" + std::string(report_id) + "." + ReplyTag(report_id, email) + "@" +
         ours.domain;
}

std::string MailTags::BounceAddress(const mail::SecurityAddress& ours, std::string_view report_id,
                                    int64_t outbox_id, std::string_view email) const {
  return ours.local + "+" + std::string(report_id) + ".b" + std::to_string(outbox_id) + "." +
         BounceTag(report_id, outbox_id, email) + "@" + ours.domain;
}

bool MailTags::Matches(std::string_view tag, std::string_view expected) {
  return tag.size() == expected.size() && SecretEquals(LowerAscii(tag), expected);
}

}  // namespace vigil
