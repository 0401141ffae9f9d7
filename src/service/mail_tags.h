// Keyed tags in the addresses Vigil mails from, so that what comes back proves where it came from:
// - a participant's personal reply address, security+<ID>.<TAG>@domain, in the Reply-To of every
//   mail to them about report ID: a mail to it comes from someone who received that mail;
// - a bounce address per outgoing message, security+<ID>.b<OUTBOX-ID>.<TAG>@domain, its SMTP
//   envelope sender (VERP): only a delivery-status report to it, naming that message's
//   recipient, is a bounce of Vigil's mail.
// A tag is a keyed BLAKE2b MAC (libsodium crypto_generichash) of what it binds, 100 bits as 20
// base32 letters and digits. The key lives beside the database in <data_dir>/mail-tags.key (32
// random bytes, mode 0600, made on first use); `vigil mail rotate-tag-key` replaces it, which
// turns every earlier address into an unproven one. A reply address binds the report and the
// person, so removing the person from the report revokes it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/text.h"
#include "mail/mail_address.h"

namespace vigil {

class MailTags {
 public:
  static constexpr size_t kKeyBytes = 32;
  static constexpr size_t kTagChars = 20;  // 100 bits

  /// The key file's place in DATA_DIR.
  static std::string KeyPath(const std::string& data_dir);
  /// Reads the key file at PATH, making it on first use (LoadOrCreateKeyFile's errors).
  static Result<MailTags> Load(const std::string& path);
  /// Writes a fresh key to PATH in place of the old one (a temporary file, fsynced, renamed over
  /// it). kUnavailable when it cannot.
  static Status Rotate(const std::string& path);

  /// KEY: kKeyBytes bytes.
  explicit MailTags(std::string key) : key_(std::move(key)) {}

  /// The tag of EMAIL's (compared lower-cased) reply address on REPORT_ID.
  std::string ReplyTag(std::string_view report_id, std::string_view email) const;
  /// The tag of the bounce address of outbox row OUTBOX_ID, sent to EMAIL about REPORT_ID.
  std::string BounceTag(std::string_view report_id, int64_t outbox_id,
                        std::string_view email) const;
  /// security+<REPORT_ID>.<ReplyTag>@domain.
  std::string ReplyAddress(const mail::SecurityAddress& ours, std::string_view report_id,
                           std::string_view email) const;
  /// security+<REPORT_ID>.b<OUTBOX_ID>.<BounceTag>@domain.
  std::string BounceAddress(const mail::SecurityAddress& ours, std::string_view report_id,
                            int64_t outbox_id, std::string_view email) const;
  /// Constant-time: TAG (as parsed from an address) equals EXPECTED.
  static bool Matches(std::string_view tag, std::string_view expected);

 private:
  std::string Mac(std::string_view purpose, std::string_view a, std::string_view b) const;

  std::string key_;
};

}  // namespace vigil
