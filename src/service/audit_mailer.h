// Mailing the checkpoint log to an audit address: the copy of the log that leaves the machine.
// The checkpoint log (service/audit_checkpoints.h) catches a database edited behind Vigil's back,
// but whoever holds the machine holds the log and its key too. With `[audit] mail_to`, the lines
// written since the last mail go to that address through the outbox (encrypted when the address
// has an OpenPGP key), so an auditor holds a copy nobody on the server can take back: the lines
// link to each other by hash, and `vigil audit verify --checkpoint-log COPY --public-key HEX`
// checks the project against that copy.
//
// Which lines were mailed is the store's counter "audit-mailed" (the number of the last line
// queued), set in the same write as the outbox rows, so a line is queued once even when the
// server and a CLI command mail at the same moment.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "core/time.h"
#include "store/store.h"

namespace vigil {

/// Complete lines of a checkpoint log, in order.
struct CheckpointLines {
  int64_t first = 0;  // the number of the first line in TEXT (0: none)
  int64_t last = 0;   // the number of the last line in TEXT (0: none)
  int64_t total = 0;  // the number of complete lines in the log
  std::string text;   // the lines, each with its newline
};

/// Reads the complete lines of the log at PATH numbered after AFTER: as many as fit in MAX_BYTES,
/// and at least one when there is one (a line is never split). A final line without its newline
/// (never acknowledged) is left out. A missing log has no lines. Errors: kUnavailable when it
/// cannot be read; kTooLarge "PATH line K: longer than 256 MiB".
Result<CheckpointLines> ReadCheckpointLines(const std::string& path, int64_t after,
                                            size_t max_bytes);

/// What one AuditMailer::MailNew queued.
struct AuditMailing {
  int mails = 0;           // outbox rows queued
  int64_t first = 0;       // the first line they carry (0: none)
  int64_t last = 0;        // the last line they carry (0: none)
  bool restarted = false;  // the log had fewer lines than were mailed: mailed again from line 1
};

class AuditMailer {
 public:
  /// The largest body of one mail, lines included; a longer series of lines goes out as several
  /// mails (a single longer line goes out alone).
  static constexpr size_t kMaxLinesPerMail = size_t{1} << 20;
  /// How many mails one MailNew queues at most; the rest wait for the next call.
  static constexpr int kMaxMailsPerCall = 16;

  /// STORE and CLOCK must outlive the mailer. LOG_PATH: the checkpoint log; PUBLIC_KEY: the
  /// 32-byte key that verifies it (AuditPublicKey); TO: the audit address; PROJECT: the project's
  /// name, for the subject.
  AuditMailer(Store& store, const Clock& clock, std::string log_path, std::string public_key,
              std::string to, std::string project);

  const std::string& to() const { return to_; }

  /// Queues, in the outbox, the lines written since the last line mailed, in mails of at most
  /// kMaxLinesPerMail; nothing when no line is new. When the log has fewer lines than were mailed
  /// (it was moved away or started over), it is mailed again from line 1 and a warning is
  /// logged. Errors: those of ReadCheckpointLines and of the store; kAborted when another process
  /// mailed the same lines at the same moment (nothing queued twice; call again).
  Result<AuditMailing> MailNew();

  /// The subject and body of the mail carrying LINES.
  std::string Subject(const CheckpointLines& lines) const;
  std::string Body(const CheckpointLines& lines) const;

 private:
  Store& store_;
  const Clock& clock_;
  const std::string log_path_;
  const std::string public_key_hex_;
  const std::string to_;
  const std::string project_;
};

}  // namespace vigil
