// MailGateway: what Vigil does with mail it receives. Implements mail::MailIntake for the
// SMTP/LMTP listener and `vigil ingest`: a message is validated, decrypted if it is encrypted
// (so an unreadable one is refused while the client is still connected), stored raw, and only
// then acknowledged. A processor then classifies each stored message — a new report, a reply,
// a patch, a review, a bounce — and records the result in the same transaction that marks the
// message processed, so a crash at any point neither loses nor doubles a message.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "config/config.h"
#include "core/ip_network.h"
#include "core/time.h"
#include "mail/mail_address.h"
#include "mail/mail_intake.h"
#include "mail/mime_message.h"
#include "mail/openpgp.h"
#include "patch/mailinfo.h"
#include "service/mail_tags.h"
#include "service/patch_service.h"
#include "service/report_service.h"
#include "service/report_template.h"
#include "store/store.h"

namespace vigil {

class MailGateway final : public mail::MailIntake {
 public:
  /// STORE, CLOCK, REPORTS and PATCHES must outlive the gateway. KEY (may be null: encrypted
  /// mail is then refused) is the project's OpenPGP key. Thread-safe; processing is serialised
  /// across processes too (`vigil ingest` processes what it stored while a server may run), by
  /// a lock file in the data folder.
  MailGateway(Store& store, const Clock& clock, const Config& config, ReportService& reports,
              PatchService& patches, const mail::ProjectKey* key);
  ~MailGateway() override;  // stops the processor

  /// Accepts the security address and security+<REPORT-ID>@domain for any well-formed id (so
  /// the reply does not reveal which reports exist); others: "recipient not accepted".
  Status CheckRecipient(std::string_view address) override;
  /// Validates, decrypts if needed, and stores MESSAGE. Errors, as sent to the client:
  ///  kInvalidArgument "message is empty" | "message contains NUL bytes" |
  ///                   "message does not start with a header field"
  ///  kTooLarge        "message is larger than N bytes" | "message header is larger than N bytes"
  ///  kPermissionDenied (encrypted to another key, or no project key): see ProjectKey::Decrypt
  ///  kTooLarge        "decrypted message is larger than N bytes; kept in quarantine as ID": a
  ///                   compression bomb is stopped at [mail] max_decrypted_bytes and its
  ///                   encrypted original kept, processed as "quarantined: ..." (`vigil mail
  ///                   inbox`)
  ///  kInvalidArgument "recipient not accepted" (ingest with a foreign --recipient)
  ///  kUnavailable     "storage failure; try again later"
  Result<std::string> Deliver(const mail::Envelope& envelope, std::string message) override;

  /// Classifies and records one stored message. kUnavailable: leave it for a later attempt.
  Status Process(const InboxMail& mail);
  /// Processes stored message ID now if it is among the oldest 1000 still pending; else
  /// nothing (a processor has it, or will).
  Status ProcessStored(const std::string& id);
  /// Processes stored messages (oldest first) until none is left or LIMIT were done.
  Result<int> ProcessPending(int limit);
  /// Runs ProcessPending on a background thread, woken by each delivery (and every second, for
  /// messages stored by `vigil ingest` in another process), until StopProcessor().
  void StartProcessor();
  void StopProcessor();

  const mail::SecurityAddress& address() const { return address_; }

  /// How encrypted mail is decrypted: by default in this process (ProjectKey::Decrypt); the
  /// runtime of `vigil serve` and `vigil ingest` sets mail::DecryptInChild. Call before
  /// delivering anything.
  using Decryptor = std::function<Result<std::string>(std::string_view message, size_t max_bytes)>;
  void SetDecryptor(Decryptor decrypt) { decrypt_ = std::move(decrypt); }

 private:
  struct Classified;
  /// Process() under the processing lock.
  Status ProcessOne(const InboxMail& mail);
  Status NewReport(const InboxMail& in, const mail::DecodedMail& m, const std::string& note);
  /// Who a mail on report R is proven to come from, and how; EMAIL empty: nobody (WHY says
  /// what was missing).
  struct Proof {
    std::string email;
    std::string how;  // "reply-address" | "openpgp" | "authentication-results"
    std::string why;
  };
  Proof Prove(const InboxMail& in, const mail::DecodedMail& m, const Report& r,
              const mail::SecurityRecipient* addressed) const;
  Status Reply(const InboxMail& in, const mail::DecodedMail& m, const Report& r,
               const Principal& sender, const Proof& proof);
  /// A mail on R from an unverified sender: kept in the thread, relayed to nobody, no role
  /// (ReportService::HoldMessage).
  Status Hold(const InboxMail& in, const mail::DecodedMail& m, const Report& r,
              const std::string& why);
  Status Bounce(const InboxMail& in, const mail::DecodedMail& m,
                const std::optional<mail::SecurityRecipient>& addressed);
  Status MarkOnly(const InboxMail& in, const std::string& outcome);
  /// Stores MESSAGE as processed with outcome "quarantined: WHY" and returns the refusal.
  Status Quarantine(const mail::Envelope& envelope, std::string message, const Status& why);
  /// A patch mail: once every part of its series (same sender, version and count) has arrived,
  /// the parts go to PatchService::SubmitSeries as one revision; then the mail is recorded as a
  /// thread message and a mail_patches row. A revision that already holds the mail's Message-ID
  /// is not submitted again (a crash between the two writes).
  Status HandOverPatch(const InboxMail& in, const mail::DecodedMail& m, const Report& r,
                       const Principal& sender, const Proof& proof, const std::string& normalized);
  /// Submits the series MAIL_TEXT (part INDEX) completes, if it completes one. Returns what
  /// happened, for the thread: "revision s1v2", "part 2 of 3; waiting for the others", or why
  /// the patch engine refused the series. kUnavailable: try again later.
  Result<std::string> SubmitIfComplete(const InboxMail& in, const mail::DecodedMail& m,
                                       const Report& r, const Principal& sender,
                                       const patch::MailInfo& info, const std::string& mail_text,
                                       const std::string& message_id);
  /// The rows every processed message adds: the processed marker and its Message-ID.
  std::function<void(WriteBatch&)> Processed(const InboxMail& in, const mail::DecodedMail& m,
                                             const std::string& outcome,
                                             const std::string& report_id) const;
  /// The principal the sender acts as on report R, or nullopt when they are not read into it.
  std::optional<Principal> SenderOn(const Report& r, const std::string& email) const;
  bool IsMaintainer(const Report& r, const std::string& email) const;
  void ProcessorLoop();

  Store& store_;
  const Clock& clock_;
  const Config& config_;
  ReportService& reports_;
  PatchService& patches_;
  const mail::ProjectKey* key_;
  Decryptor decrypt_;      // empty: key_->Decrypt
  Result<MailTags> tags_;  // proves reply and bounce addresses (or why the key file is unreadable)
  mail::SecurityAddress address_;
  mail::MimeLimits mime_limits_;
  std::vector<IpNetwork> authserv_relays_;  // [mail] authserv_relays

  std::mutex process_mu_;  // one message at a time in this process (and across: a run lock)
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  bool pending_ = false;   // guarded by mu_: a delivery since the last pass
  std::thread processor_;  // runs ProcessorLoop when started
};

}  // namespace vigil
