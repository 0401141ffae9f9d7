// SendSmtp: hands one message to an SMTP server (the smarthost) with libcurl.
#pragma once

#include <string>

#include "core/status.h"

namespace vigil::mail {

struct SmtpTarget {
  std::string url = "smtp://127.0.0.1:25";  // smtp:// or smtps://
  int timeout_seconds = 30;
};

/// Delivers DATA (CRLF line ends; curl does the dot-stuffing) from MAIL_FROM to RECIPIENT.
/// Errors: kInvalidArgument "smarthost refused: <code>" for a 5xx reply (permanent, do not
/// retry); kUnavailable with curl's reason for connection failures and 4xx replies (retry).
Status SendSmtp(const SmtpTarget& target, const std::string& mail_from,
                const std::string& recipient, const std::string& data);

}  // namespace vigil::mail
