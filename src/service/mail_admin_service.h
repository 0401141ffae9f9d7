// MailAdminService: what an administrator does with the mail gateway's queues, from the CLI or
// the API: the outbound queue with its dead letters, the inbox and what became of each message,
// the patches a report received by mail, and the OpenPGP keys mail to a person is encrypted with.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/access.h"
#include "core/time.h"
#include "store/store.h"

namespace vigil {

/// An outbox mail as a person reads it.
struct ShownMail {
  OutboxEntry entry;
  std::string envelope_from;  // the bounce address it goes (went) out with
  /// True when it goes out encrypted to the recipient's OpenPGP key (TEXT is before that).
  bool encrypted = false;
  /// Its headers (From, To, Reply-To, Subject, Date, Message-ID), a blank line, the body in
  /// UTF-8 with LF line ends.
  std::string text;
};

/// ADDRESS with the personal tag of a reply or bounce address replaced by "<personal tag>"
/// ("security+ID.<personal tag>@example.org"); any other address unchanged.
std::string HideAddressTag(std::string address);
/// TEXT with every capability token (a private link's secret) replaced by "<private link of
/// the recipient, not shown>".
std::string HideCapabilities(std::string text);

class MailAdminService {
 public:
  /// STORE and CLOCK must outlive the service. Thread-safe.
  MailAdminService(Store& store, const Clock& clock);

  /// The newest outbound mails, in STATE only when given; at most LIMIT of them.
  Result<std::vector<OutboxEntry>> Outbox(std::optional<OutboxState> state, int limit);
  /// Makes outbox mail ID (dead or pending) pending again, due now; audited. Errors: kNotFound,
  /// kConflict "outbox mail N was already sent" (see RetryOutboxMail).
  Status Retry(const Principal& actor, int64_t id);
  /// Outbox mail ID as it goes out (pending) or went out (sent, dead): composed again from its
  /// row as MailSender does, so a report's tag, the reply address and the embargo reminder are
  /// the current ones. What is secret to the recipient is hidden (HideAddressTag,
  /// HideCapabilities): whoever reads another person's mail cannot act as them. REPORT_ID
  /// non-empty: only a mail about that report. Errors: kNotFound "no outbox mail N" (or "… about
  /// ID"), the report's lookup.
  Result<ShownMail> Show(const Config& config, int64_t id, const std::string& report_id = "");
  /// Received mail, newest first, without the raw text; at most LIMIT of them.
  Result<std::vector<InboxMail>> Inbox(int limit);
  /// The patch mails REPORT_ID received, in the order they arrived.
  Result<std::vector<MailPatch>> PatchMails(const std::string& report_id);
  /// Records ARMORED as EMAIL's OpenPGP key; audited. Errors: SetMailKey's.
  Status SetKey(const Principal& actor, const std::string& email, const std::string& armored);
  /// SetKey for a participant of REPORT_ID only. Errors: the report's lookup; kInvalidArgument
  /// "<EMAIL> is not a participant of <ID>"; SetMailKey's.
  Status SetParticipantKey(const Principal& actor, const std::string& report_id,
                           const std::string& email, const std::string& armored);

  /// The personal reply address of participant EMAIL on REPORT_ID (what Vigil's mail to them
  /// carries as Reply-To; to hand it to someone who sends patches with `git send-email`).
  /// Errors: the report's lookup; kInvalidArgument "EMAIL is not a participant of ID"; the key
  /// file's.
  Result<std::string> ReplyAddress(const Config& config, const std::string& report_id,
                                   const std::string& email);
  /// The bounce (envelope sender) address outbox mail ID went out with. kNotFound "no outbox
  /// mail N"; kInvalidArgument "outbox mail N is not about a report" (its bounces are ignored).
  Result<std::string> BounceAddress(const Config& config, int64_t id);
  /// Replaces the key of reply and bounce address tags (service/mail_tags.h) at KEY_PATH: every
  /// address Vigil mailed from before proves nothing any more (replies to it are held as
  /// unverified). Writes "mail.tag-key-rotated" on the system chain. A running server reads the
  /// new key when it is restarted.
  Status RotateTagKey(const Principal& actor, const std::string& key_path);

 private:
  Store& store_;
  const Clock& clock_;
};

}  // namespace vigil
