// MailSender: delivers the outbox. Each pending row whose time has come is checked against the
// report as it is now (the recipient must still be a participant; an embargoed report's mail
// starts with the current reminder), composed with a Message-ID that is a function of the row
// (so a retry is the same mail, never a second one), encrypted and signed when the recipient has
// an OpenPGP key, and handed to the smarthost. Failures are retried with exponential backoff;
// after max_attempts, or on a permanent refusal, the row is dead-lettered for an admin.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "config/config.h"
#include "core/time.h"
#include "mail/mail_address.h"
#include "mail/openpgp.h"
#include "mail/outgoing_mail.h"
#include "service/mail_tags.h"
#include "store/store.h"

namespace vigil {

class MailSender {
 public:
  /// Hands DATA to the next hop. kInvalidArgument = permanent refusal; others are retried.
  using Transport = std::function<Status(const std::string& mail_from, const std::string& rcpt,
                                         const std::string& data)>;
  /// The transport mail.smarthost names: libcurl to an SMTP smarthost (smarthost_timeout_seconds
  /// applies; an attempt in progress is abandoned once ABANDON, if given, turns true), or a
  /// Maildir for "maildir:PATH" (mail/maildir.h).
  static Transport Smarthost(const Config& config, const std::atomic<bool>* abandon = nullptr);

  /// STORE and CLOCK must outlive the sender. KEY may be null (then mail to a participant with
  /// a key fails and is retried, never sent in clear). TRANSPORT empty: the configured
  /// smarthost, whose attempt in progress Stop() abandons.
  MailSender(Store& store, const Clock& clock, const Config& config, const mail::ProjectKey* key,
             Transport transport);
  ~MailSender();

  /// Attempts every pending row due now, once. Returns how many were attempted.
  Result<int> SendDue();
  /// The message an outbox row becomes (before encryption), or the reason it must not be sent
  /// (kPermissionDenied: the recipient is not a participant of the report).
  Result<std::string> Compose(const OutboxMail& row, std::string* envelope_from);
  /// The Message-ID of row ROW (without angle brackets): stable across attempts.
  std::string MessageIdFor(const OutboxMail& row) const;
  /// Makes a dead (or pending) row pending again, due now, with its attempts reset.
  Status Retry(const Principal& actor, int64_t id);

  /// Runs SendDue every second (and when Wake() is called) on a background thread until Stop(),
  /// each round after settling the rows a crash left in doubt (see SettleInDoubt).
  /// The thread holds no lock while it talks to the smarthost.
  void Start();
  /// Ends the background thread. A round in progress stops before its next mail; the attempt
  /// in progress on the configured smarthost is abandoned (within about a second) and not
  /// counted, so the mail is tried again on the next start.
  void Stop();
  void Wake();

 private:
  Status Attempt(const OutboxEntry& row);
  /// Claims ROW (still pending, with the attempts read) and marks it sending, durably, before it
  /// is handed to the smarthost, with a lease until now + LeaseSeconds() (kept in
  /// next_attempt_at). kConflict when another sender claimed it first.
  Status MarkSending(const OutboxEntry& row);
  /// How long a sending row is its sender's: ten times the smarthost timeout, at least a minute.
  int64_t LeaseSeconds() const;
  /// Dead-letters every row left sending whose lease ran out (its sender stopped mid-attempt: a
  /// crash, or a killed instance): the smarthost may have accepted it, so it is not sent again
  /// unless an operator retries it. Runs at the start and before every round.
  Status SettleInDoubt();

  Store& store_;
  const Clock& clock_;
  const Config& config_;
  const mail::ProjectKey* key_;
  Transport transport_;
  Result<MailTags> tags_;  // reply and bounce addresses (or why the key file cannot be read)

  // Set by Stop(); read without mu_ by the delivery thread and by libcurl's progress callback.
  std::atomic<bool> stopping_now_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  bool woken_ = false;     // guarded by mu_
  std::thread thread_;     // runs the delivery loop when started
};

/// An outbox row as the mail it becomes, before encryption.
struct PreparedMail {
  mail::OutgoingMail mail;    // headers (Reply-To: the recipient's reply address) and body
  std::string envelope_from;  // the bounce address of this one mail
  std::string recipient_key;  // armoured OpenPGP key the mail is encrypted to; empty = clear
};

/// What outbox row ROW becomes as mail now: the report's tag in the subject, the embargo
/// reminder as the embargo is now, the recipient's reply and bounce addresses (TAGS), the key
/// it goes out encrypted to. REQUIRE_PARTICIPANT: kPermissionDenied "<rcpt> is not a participant
/// of <ID>; not sent" when the recipient is no longer on the report (else the mail is shown
/// without their reply address).
Result<PreparedMail> PrepareOutboxMail(Store& store, const Config& config,
                                       const Result<MailTags>& tags, const OutboxMail& row,
                                       bool require_participant);
/// The Message-ID of outbox row ROW (without angle brackets): stable across attempts.
std::string OutboxMessageId(const Config& config, const OutboxMail& row);

/// Makes outbox row ID (dead or pending) pending again, due now, with its attempts reset;
/// audited. Errors: kNotFound, kConflict "outbox mail N was already sent".
Status RetryOutboxMail(Store& store, const Clock& clock, const Principal& actor, int64_t id);

/// Records ARMORED as EMAIL's OpenPGP key (mail to them is then encrypted); audited. Error
/// (kInvalidArgument): "not an OpenPGP public key that can encrypt", or a bad address.
Status SetMailKey(Store& store, const Clock& clock, const Principal& actor, std::string email,
                  const std::string& armored);

/// The reminder every mail about an embargoed report starts with: the configured wording (or
/// the built-in one) and the embargo end in UTC.
std::string MailEmbargoReminder(const Config& config, const Report& report);

}  // namespace vigil
