#include "mail/smtp_session.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include "core/text.h"

namespace vigil::mail {
namespace {

struct PathArg {
  std::string address;
  std::string_view params;
};

// Parses "<path> params" after "FROM:" / "TO:" (a space after the colon is tolerated, as every
// MTA does). Strips an obsolete source route ("<@a,@b:user@d>"). nullopt on a syntax error.
std::optional<PathArg> ParsePath(std::string_view arg) {
  arg = Trim(arg, kBlanks);
  if (arg.empty() || arg.front() != '<') return std::nullopt;
  const size_t close = arg.find('>');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view path = arg.substr(1, close - 1);
  if (!path.empty() && path.front() == '@') {
    const size_t colon = path.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    path.remove_prefix(colon + 1);
  }
  if (path.size() > 254) return std::nullopt;
  for (char c : path) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '<' || c == '>') return std::nullopt;
  }
  if (!path.empty() && path.find('@') == std::string_view::npos &&
      !StartsWithIgnoreCase(path, "POSTMASTER")) {
    return std::nullopt;
  }
  PathArg out;
  out.address = std::string(path);
  out.params = Trim(arg.substr(close + 1), kBlanks);
  return out;
}

std::string DeliveryReply(const Result<std::string>& r) {
  if (r.ok()) return "250 2.0.0 Ok: queued as " + *r + "\r\n";
  // Replies are single lines: a message never carries a line break into the protocol.
  std::string msg = r.status().message().substr(0, 400);
  std::replace_if(
      msg.begin(), msg.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  switch (r.status().code()) {
    case Code::kTooLarge:
      return "552 5.3.4 " + msg + "\r\n";
    case Code::kInvalidArgument:
      return "554 5.6.0 " + msg + "\r\n";
    case Code::kPermissionDenied:
    case Code::kNotFound:
      return "554 5.7.1 " + msg + "\r\n";
    case Code::kRateLimited:
      return "450 4.7.1 " + msg + "\r\n";
    case Code::kUnavailable:
      // The message could not be stored (a full disk, an I/O error, storage shutting down):
      // RFC 5321's 452 "insufficient system storage", RFC 3463's 4.3.1 "mail system full".
      return "452 4.3.1 " + msg + "\r\n";
    default:
      return "451 4.3.0 " + msg + "\r\n";
  }
}

}  // namespace

SmtpSession::SmtpSession(std::string hostname, SmtpLimits limits, bool lmtp, std::string client,
                         std::function<Status(std::string_view)> check_recipient,
                         std::function<Status()> allow_message)
    : hostname_(std::move(hostname)),
      limits_(limits),
      lmtp_(lmtp),
      check_recipient_(std::move(check_recipient)),
      allow_message_(std::move(allow_message)) {
  envelope_.client = std::move(client);
  envelope_.lmtp = lmtp;
}

std::string SmtpSession::Greeting(std::string_view hostname, bool lmtp) {
  return "220 " + std::string(hostname) + (lmtp ? " LMTP" : " ESMTP") + " Vigil\r\n";
}

void SmtpSession::Receive(std::string_view bytes) {
  if (in_pos_ > 0 && in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  } else if (in_pos_ > (64u << 10)) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  in_.append(bytes);
}

void SmtpSession::ResetTransaction() {
  in_transaction_ = false;
  envelope_.mail_from.clear();
  envelope_.recipients.clear();
  message_.clear();
  data_too_large_ = false;
  data_line_start_ = true;
}

SmtpSession::Next SmtpSession::Fail(std::string reply, std::string* out) {
  *out += reply;
  if (++errors_ >= limits_.max_errors) {
    *out += "421 4.7.0 too many errors, closing connection\r\n";
    return Next::kClose;
  }
  return Next::kRead;
}

bool SmtpSession::ConsumeData() {
  while (in_pos_ < in_.size()) {
    if (data_line_start_ && in_[in_pos_] == '.') {
      // "." alone ends the message; a leading dot of any other line is dot-stuffing.
      const size_t nl = in_.find('\n', in_pos_);
      if (nl == std::string::npos) {
        if (in_.size() - in_pos_ < 3) return false;  // cannot tell yet
      } else {
        std::string_view line(in_.data() + in_pos_, nl - in_pos_);
        if (line == "." || line == ".\r") {
          in_pos_ = nl + 1;
          return true;
        }
      }
      ++in_pos_;  // drop the stuffed dot
    }
    const size_t nl = in_.find('\n', in_pos_);
    const size_t end = nl == std::string::npos ? in_.size() : nl + 1;
    const size_t len = end - in_pos_;
    if (!data_too_large_) {
      if (message_.size() + len > limits_.max_message_bytes) {
        data_too_large_ = true;
        message_.clear();
        message_.shrink_to_fit();
      } else {
        message_.append(in_, in_pos_, len);
      }
    }
    in_pos_ = end;
    data_line_start_ = nl != std::string::npos;
  }
  return false;
}

SmtpSession::Next SmtpSession::Process(std::string* out) {
  for (;;) {
    if (phase_ == Phase::kData) {
      if (!ConsumeData()) return Next::kRead;
      phase_ = Phase::kCommand;
      if (data_too_large_) {
        const size_t n = lmtp_ ? envelope_.recipients.size() : 1;
        for (size_t i = 0; i < n; ++i) {
          *out += "552 5.3.4 message is larger than " + std::to_string(limits_.max_message_bytes) +
                  " bytes\r\n";
        }
        ResetTransaction();
        continue;
      }
      ++messages_;
      return Next::kDeliver;
    }
    const size_t nl = in_.find('\n', in_pos_);
    if (nl == std::string::npos) {
      if (in_.size() - in_pos_ > limits_.max_command_bytes) {
        in_pos_ = in_.size();
        if (phase_ == Phase::kCommand) {
          phase_ = Phase::kDiscardLine;
          if (Fail("500 5.5.2 line too long\r\n", out) == Next::kClose) return Next::kClose;
        }
      }
      return Next::kRead;
    }
    std::string_view line(in_.data() + in_pos_, nl - in_pos_);
    in_pos_ = nl + 1;
    if (phase_ == Phase::kDiscardLine) {
      phase_ = Phase::kCommand;
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > limits_.max_command_bytes) {
      if (Fail("500 5.5.2 line too long\r\n", out) == Next::kClose) return Next::kClose;
      continue;
    }
    const Next next = Command(line, out);
    if (next != Next::kRead) return next;
  }
}

SmtpSession::Next SmtpSession::Command(std::string_view line, std::string* out) {
  const size_t sp = line.find(' ');
  std::string verb(line.substr(0, sp));
  for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::string_view arg =
      sp == std::string_view::npos ? "" : Trim(line.substr(sp + 1), kBlanks);

  if (verb == "EHLO" || verb == "HELO" || verb == "LHLO") return Hello(verb, arg, out);
  if (verb == "NOOP") {
    *out += "250 2.0.0 Ok\r\n";
    return Next::kRead;
  }
  if (verb == "RSET") {
    ResetTransaction();
    *out += "250 2.0.0 Ok\r\n";
    return Next::kRead;
  }
  if (verb == "QUIT") {
    *out += "221 2.0.0 Bye\r\n";
    return Next::kClose;
  }
  if (verb == "MAIL") return MailFrom(arg, out);
  if (verb == "RCPT") return RcptTo(arg, out);
  if (verb == "DATA") return Data(arg, out);
  if (verb == "BDAT") return Fail("502 5.5.1 CHUNKING is not supported\r\n", out);
  if (verb == "STARTTLS") return Fail("502 5.5.1 STARTTLS is not offered here\r\n", out);
  if (verb == "VRFY") {
    *out += "252 2.5.2 cannot verify, but will accept the message\r\n";
    return Next::kRead;
  }
  return Fail("500 5.5.2 command not recognized\r\n", out);
}

SmtpSession::Next SmtpSession::Hello(const std::string& verb, std::string_view arg,
                                     std::string* out) {
  if ((verb == "LHLO") != lmtp_) {
    return Fail(lmtp_ ? "500 5.5.1 this is an LMTP server: use LHLO\r\n"
                      : "500 5.5.1 LHLO is for LMTP; use EHLO\r\n",
                out);
  }
  if (arg.empty()) return Fail("501 5.5.4 " + verb + " needs a domain or address\r\n", out);
  ResetTransaction();
  greeted_ = true;
  envelope_.helo = std::string(arg.substr(0, 255));
  if (verb == "HELO") {
    *out += "250 " + hostname_ + "\r\n";
  } else {
    *out += "250-" + hostname_ + "\r\n250-PIPELINING\r\n250-SIZE " +
            std::to_string(limits_.max_message_bytes) +
            "\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n";
  }
  return Next::kRead;
}

SmtpSession::Next SmtpSession::MailFrom(std::string_view arg, std::string* out) {
  if (!greeted_)
    return Fail(std::string("503 5.5.1 send ") + (lmtp_ ? "LHLO" : "EHLO or HELO") + " first\r\n",
                out);
  if (in_transaction_) return Fail("503 5.5.1 nested MAIL command\r\n", out);
  if (!StartsWithIgnoreCase(arg, "FROM:"))
    return Fail("501 5.5.4 syntax: MAIL FROM:<address>\r\n", out);
  std::optional<PathArg> path = ParsePath(arg.substr(5));
  if (!path) return Fail("501 5.1.7 bad sender address syntax\r\n", out);
  // Parameters: SIZE=n and BODY=7BIT|8BITMIME; anything else is refused (RFC 5321 4.1.1.11).
  std::string_view params = path->params;
  while (!params.empty()) {
    const size_t end = params.find(' ');
    std::string_view p = params.substr(0, end);
    params = end == std::string_view::npos ? "" : Trim(params.substr(end), kBlanks);
    if (StartsWithIgnoreCase(p, "SIZE=")) {
      std::string_view n = p.substr(5);
      if (n.empty() || n.size() > 18 ||
          !std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return Fail("501 5.5.4 bad SIZE parameter\r\n", out);
      }
      if (std::stoull(std::string(n)) > limits_.max_message_bytes) {
        return Fail("552 5.3.4 message size exceeds the limit of " +
                        std::to_string(limits_.max_message_bytes) + " bytes\r\n",
                    out);
      }
    } else if (StartsWithIgnoreCase(p, "BODY=")) {
      std::string v(p.substr(5));
      for (char& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (v != "7BIT" && v != "8BITMIME") return Fail("501 5.5.4 bad BODY parameter\r\n", out);
    } else {
      return Fail("555 5.5.4 unsupported MAIL parameter\r\n", out);
    }
  }
  if (messages_ >= limits_.max_messages) {
    *out += "421 4.7.0 too many messages in one connection\r\n";
    return Next::kClose;
  }
  if (allow_message_) {
    if (Status s = allow_message_(); !s.ok()) {
      return Fail("450 4.7.1 " + s.message() + "\r\n", out);
    }
  }
  in_transaction_ = true;
  envelope_.mail_from = path->address;
  *out += "250 2.1.0 Ok\r\n";
  return Next::kRead;
}

SmtpSession::Next SmtpSession::RcptTo(std::string_view arg, std::string* out) {
  if (!in_transaction_) return Fail("503 5.5.1 need MAIL command\r\n", out);
  if (!StartsWithIgnoreCase(arg, "TO:"))
    return Fail("501 5.5.4 syntax: RCPT TO:<address>\r\n", out);
  std::optional<PathArg> path = ParsePath(arg.substr(3));
  if (!path || path->address.empty()) {
    return Fail("501 5.1.3 bad recipient address syntax\r\n", out);
  }
  if (!path->params.empty()) return Fail("555 5.5.4 unsupported RCPT parameter\r\n", out);
  if (envelope_.recipients.size() >= limits_.max_recipients) {
    *out += "452 4.5.3 too many recipients\r\n";  // not an error: the client sends the rest later
    return Next::kRead;
  }
  if (Status s = check_recipient_(path->address); !s.ok()) {
    return Fail("550 5.1.1 <" + path->address + ">: " + s.message() + "\r\n", out);
  }
  envelope_.recipients.push_back(path->address);
  *out += "250 2.1.5 Ok\r\n";
  return Next::kRead;
}

SmtpSession::Next SmtpSession::Data(std::string_view arg, std::string* out) {
  if (!in_transaction_) return Fail("503 5.5.1 need MAIL command\r\n", out);
  if (envelope_.recipients.empty()) return Fail("554 5.5.1 no valid recipients\r\n", out);
  if (!arg.empty()) return Fail("501 5.5.4 DATA takes no argument\r\n", out);
  *out += "354 End data with <CR><LF>.<CR><LF>\r\n";
  phase_ = Phase::kData;
  message_.clear();
  data_line_start_ = true;
  data_too_large_ = false;
  return Next::kRead;
}

void SmtpSession::Delivered(const Result<std::string>& result, std::string* out) {
  const std::string reply = DeliveryReply(result);
  const size_t n = lmtp_ ? envelope_.recipients.size() : 1;
  for (size_t i = 0; i < n; ++i) *out += reply;
  ResetTransaction();
}

}  // namespace vigil::mail
