// SendSmtp: hands one message to an SMTP server (the smarthost) with libcurl.
#pragma once

#include <atomic>
#include <string>

#include "core/status.h"

namespace vigil::mail {

struct SmtpTarget {
  std::string url = "smtp://127.0.0.1:25";  // smtp:// or smtps://
  /// The attempt is abandoned when the server makes no progress for this long (no connection,
  /// no greeting, no reply, or under 16 bytes a second), or after ten times this long in all.
  int timeout_seconds = 30;
  /// When set, the attempt is abandoned (within about a second) once it turns true: how a
  /// sender that is stopping gets its thread back from a server that hangs.
  const std::atomic<bool>* abandon = nullptr;
};

/// Delivers DATA (CRLF line ends; curl does the dot-stuffing) from MAIL_FROM to RECIPIENT.
/// Errors: kInvalidArgument "smarthost refused: <code>" for a 5xx reply (permanent, do not
/// retry); kUnavailable (retry) for connection failures and 4xx replies, with curl's reason, or
/// "smarthost: no answer from <scheme>://<host>:<port> within <timeout> s", or
/// "smarthost: <scheme>://<host>:<port> did not finish within <10 × timeout> s", or
/// "smarthost: abandoned" after TARGET.abandon turned true.
Status SendSmtp(const SmtpTarget& target, const std::string& mail_from,
                const std::string& recipient, const std::string& data);

}  // namespace vigil::mail
