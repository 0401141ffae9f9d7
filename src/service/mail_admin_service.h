// MailAdminService: what an administrator does with the mail gateway's queues, from the CLI or
// the API: the outbound queue with its dead letters, the inbox and what became of each message,
// the patches a report received by mail, and the OpenPGP keys mail to a person is encrypted with.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/access.h"
#include "core/time.h"
#include "store/store.h"

namespace vigil {

class MailAdminService {
 public:
  /// STORE and CLOCK must outlive the service. Thread-safe.
  MailAdminService(Store& store, const Clock& clock);

  /// The newest outbound mails, in STATE only when given; at most LIMIT of them.
  Result<std::vector<OutboxEntry>> Outbox(std::optional<OutboxState> state, int limit);
  /// Makes outbox mail ID (dead or pending) pending again, due now; audited. Errors: kNotFound,
  /// kConflict "outbox mail N was already sent" (see RetryOutboxMail).
  Status Retry(const Principal& actor, int64_t id);
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

 private:
  Store& store_;
  const Clock& clock_;
};

}  // namespace vigil
