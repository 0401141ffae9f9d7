// The mail gateway's part of the store: the inbox (stored before a mail is acknowledged),
// Message-IDs for threading, patch mails, attachments, people's OpenPGP keys and the outbox's
// delivery bookkeeping.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "store/report_queries.h"

namespace vigil {

/// A received message, stored before it is acknowledged and processed afterwards.
struct InboxMail {
  std::string id;  // queue id, unique (random)
  Instant received_at = 0;
  std::string client;  // remote address, or "ingest"
  std::string mail_from;
  std::vector<std::string> recipients;
  std::string raw;               // as received (for an encrypted mail: the encrypted original)
  std::string plaintext;         // the decrypted MIME entity or text; empty when not encrypted
  std::string state = "stored";  // "stored" (not processed yet) or "processed"
  std::string outcome;           // "new-report", "reply", "patch", "bounce", "duplicate", ...
  std::string report_id;         // the report it went to, if any
};

/// Marks an inbox message processed (in the same batch as what processing wrote).
struct InboxOutcome {
  std::string inbox_id;
  std::string outcome;
  std::string report_id;  // empty = the batch's new report, if the batch creates one
};

/// A Message-ID seen on a report's mail, incoming or outgoing, for threading replies.
struct MailMessageId {
  std::string message_id;  // without angle brackets
  std::string report_id;   // empty = the batch's new report
  std::string direction;   // "in" or "out"
  Instant created_at = 0;
};

/// A patch received by mail, with its git patch-id (until the patch engine takes it over).
struct MailPatch {
  std::string report_id;  // empty = the batch's new report
  std::string inbox_id;
  std::string message_id;
  std::string subject;
  std::string author;
  std::string sender;  // the From: address of the mail (lower-cased), which may not be the author
  int version = 1, index = 1, total = 1;
  std::string patch_id;  // `git patch-id --stable`
  Instant received_at = 0;
};

struct MailAttachment {
  std::string inbox_id;
  std::string filename;
  std::string content_type;
  int64_t size = 0;
  std::string data;  // empty when over the limit
};

/// An OpenPGP public key of a person (by email), used to encrypt mail to them.
struct MailKey {
  std::string email;
  std::string fingerprint;
  std::string armored;
  Instant added_at = 0;
};

/// A delivery attempt's result on an outbox row.
struct OutboxUpdate {
  int64_t id = 0;
  OutboxState state = OutboxState::kPending;
  int attempts = 0;
  Instant next_attempt_at = 0;
  std::string last_error;
  /// Set: the update applies only while the row is still in this state (a row that moved on,
  /// e.g. was sent meanwhile, is left as it is); unset: the row must exist.
  std::optional<OutboxState> only_if;
  /// With ONLY_IF: a claim. It applies only while the row is in that state with ATTEMPTS as
  /// read, else the whole batch fails with kConflict "outbox mail N was taken by another
  /// sender": of several senders (instances on one database) that read the row, one wins.
  bool claim = false;
};

/// An outbox row with its delivery bookkeeping.
struct OutboxEntry {
  OutboxMail mail;
  Instant next_attempt_at = 0;
  std::string last_error;
};

struct OutboxQuery {
  std::optional<OutboxState> state;
  Instant due_by = 0;  // with state pending: only rows whose next attempt is due by then
  int64_t id = 0;      // one row
  int limit = 500;
};

struct MailWrites {
  std::vector<InboxMail> inbox;  // inserted
  std::vector<InboxOutcome> processed;
  std::vector<MailMessageId> message_ids;  // inserted; an existing id is left as it is
  std::vector<MailPatch> patches;
  std::vector<MailAttachment> attachments;
  std::vector<MailKey> keys;  // upserted by email
  std::vector<OutboxUpdate> outbox_updates;
  bool empty() const {
    return inbox.empty() && processed.empty() && message_ids.empty() && patches.empty() &&
           attachments.empty() && keys.empty() && outbox_updates.empty();
  }
};

class MailQueries {
 public:
  virtual ~MailQueries() = default;
  /// Inbox messages not processed yet, oldest first.
  virtual Result<std::vector<InboxMail>> PendingInbox(int limit) = 0;
  /// The newest inbox messages (raw text omitted), newest first.
  virtual Result<std::vector<InboxMail>> ListInbox(int limit) = 0;
  /// One inbox message with its raw text, or nullopt.
  virtual Result<std::optional<InboxMail>> FindInboxMail(const std::string& id) = 0;
  /// The report a Message-ID belongs to, if known.
  virtual Result<std::optional<std::string>> ReportOfMessageId(const std::string& message_id) = 0;
  /// Whether an incoming message with this Message-ID was already processed.
  virtual Result<bool> SeenIncoming(const std::string& message_id) = 0;
  /// The patch mails of REPORT_ID by series version, then position in the series, then arrival.
  virtual Result<std::vector<MailPatch>> MailPatches(const std::string& report_id) = 0;
  virtual Result<std::vector<MailAttachment>> MailAttachments(const std::string& inbox_id) = 0;
  virtual Result<std::optional<MailKey>> FindMailKey(const std::string& email) = 0;
  virtual Result<std::vector<OutboxEntry>> ListOutbox(const OutboxQuery& query) = 0;
};

}  // namespace vigil
