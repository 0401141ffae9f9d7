// SmtpSession: the SMTP (RFC 5321) and LMTP (RFC 2033) server protocol as a state machine over
// bytes, without I/O, so it can be tested exactly and driven by any transport. Supports EHLO,
// HELO, LHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT and the extensions SIZE (RFC 1870), 8BITMIME
// (RFC 6152), PIPELINING (RFC 2920) and ENHANCEDSTATUSCODES (RFC 2034).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "mail/mail_intake.h"

namespace vigil::mail {

/// Per-connection limits on an untrusted client.
struct SmtpLimits {
  size_t max_message_bytes = 10u << 20;  // SIZE; larger messages get 552 5.3.4
  size_t max_recipients = 100;           // more get 452 4.5.3
  size_t max_command_bytes = 2048;       // a longer command line gets 500 5.5.2
  int max_errors = 20;                   // after this many failed commands: 421 and close
  size_t max_messages = 10000;           // messages per connection; then 421 and close
};

class SmtpSession {
 public:
  /// What the driver must do next.
  enum class Next {
    kRead,     // send what was appended to OUT (if anything), then read more input
    kDeliver,  // send OUT, then deliver envelope()/TakeMessage() and call Delivered()
    kClose,    // send OUT, then close the connection
  };
  /// CHECK_RECIPIENT decides RCPT (see MailIntake::CheckRecipient); ALLOW_MESSAGE is asked at
  /// each MAIL command (rate limits: a failure is a 450 4.7.1 with its message).
  SmtpSession(std::string hostname, SmtpLimits limits, bool lmtp, std::string client,
              std::function<Status(std::string_view)> check_recipient,
              std::function<Status()> allow_message);

  /// The 220 greeting of a server named HOSTNAME.
  static std::string Greeting(std::string_view hostname, bool lmtp);
  /// Appends received bytes.
  void Receive(std::string_view bytes);
  /// Processes buffered input, appending replies to *OUT, until more input is needed, a message
  /// is complete, or the session ends. Replies to pipelined commands accumulate in *OUT.
  Next Process(std::string* out);
  /// After kDeliver: the transaction and its message (the message is moved out).
  const Envelope& envelope() const { return envelope_; }
  std::string TakeMessage() { return std::move(message_); }
  /// Appends the reply (LMTP: one per recipient) for the delivery's RESULT (a queue id) and
  /// resets the transaction. Then call Process() again.
  void Delivered(const Result<std::string>& result, std::string* out);
  /// The reply sent when the idle timer fires.
  static std::string TimeoutReply() { return "421 4.4.2 idle timeout, closing connection\r\n"; }

 private:
  enum class Phase { kCommand, kData, kDiscardLine };
  Next Command(std::string_view line, std::string* out);
  // The commands that take arguments or change the session, called by Command: the reply is
  // appended to OUT.
  Next Hello(const std::string& verb, std::string_view arg, std::string* out);  // EHLO HELO LHLO
  Next MailFrom(std::string_view arg, std::string* out);
  Next RcptTo(std::string_view arg, std::string* out);
  Next Data(std::string_view arg, std::string* out);
  Next Fail(std::string reply, std::string* out);
  void ResetTransaction();
  /// Consumes DATA content from the buffer; true when the terminating "." line was seen.
  bool ConsumeData();

  const std::string hostname_;
  const SmtpLimits limits_;
  const bool lmtp_;
  std::function<Status(std::string_view)> check_recipient_;
  std::function<Status()> allow_message_;

  std::string in_;  // received, not yet processed bytes start at in_pos_
  size_t in_pos_ = 0;
  Phase phase_ = Phase::kCommand;
  bool greeted_ = false;
  bool in_transaction_ = false;
  int errors_ = 0;
  size_t messages_ = 0;
  Envelope envelope_;
  std::string message_;
  bool data_line_start_ = true;
  bool data_too_large_ = false;
};

}  // namespace vigil::mail
