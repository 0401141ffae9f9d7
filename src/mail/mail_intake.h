// The seam between the SMTP/LMTP protocol (src/mail) and what is done with a message (the mail
// gateway in src/service). The listener calls it; tests and the benchmark's sink fake it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil::mail {

/// One SMTP transaction's envelope.
struct Envelope {
  std::string client;                   // remote IP address, or "ingest" for `vigil ingest`
  std::string helo;                     // the EHLO/HELO/LHLO argument
  std::string mail_from;                // reverse-path without angle brackets; empty for a bounce
  std::vector<std::string> recipients;  // accepted forward-paths, without angle brackets
  bool lmtp = false;
};

class MailIntake {
 public:
  virtual ~MailIntake() = default;
  /// Whether RCPT TO ADDRESS may be accepted. Must be fast (no disk I/O): it runs on an io
  /// thread. The message of a failure is sent to the client.
  virtual Status CheckRecipient(std::string_view address) = 0;
  /// Stores MESSAGE (CRLF line ends, dot-unstuffed) durably and returns its queue id. Returns
  /// OK only once the message survives a crash. Errors map to replies: kTooLarge 552,
  /// kInvalidArgument/kPermissionDenied 554 (permanent), kUnavailable (the message could not be
  /// stored) 452 4.3.1, anything else 451 (try later).
  /// Called on a worker thread; may block. Thread-safe.
  virtual Result<std::string> Deliver(const Envelope& envelope, std::string message) = 0;
};

}  // namespace vigil::mail
