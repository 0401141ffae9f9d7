// Composes the RFC 5322 messages Vigil sends: a text/plain mail, or (RFC 3156) a PGP/MIME
// multipart/encrypted mail around an armored payload. Values are single-line: CR and LF in
// header values are replaced, so no header can be injected.
#pragma once

#include <string>
#include <string_view>

#include "core/time.h"

namespace vigil::mail {

struct OutgoingMail {
  std::string from_name;     // display name, e.g. "Example project security"
  std::string from_address;  // security@example.org
  std::string to;
  std::string reply_to;     // security+SEC-2026-0001@example.org
  std::string subject;      // UTF-8; RFC 2047-encoded when not ASCII
  std::string message_id;   // without angle brackets
  std::string in_reply_to;  // without angle brackets; may be empty
  Instant date = 0;
  std::string body;  // UTF-8 text, LF or CRLF line ends
};

/// RFC 5322 date: "Tue, 01 Sep 2026 15:00:00 +0000".
std::string FormatRfc5322Date(Instant t);
/// The MIME entity holding BODY (text/plain; charset=utf-8, quoted-printable), CRLF line ends:
/// the whole mail body when not encrypted, the encrypted content when it is.
std::string ComposeBodyEntity(std::string_view body);
/// A complete text/plain message, CRLF line ends, with Auto-Submitted: auto-generated.
std::string ComposeMessage(const OutgoingMail& mail);
/// A complete PGP/MIME message whose encrypted part is ARMORED (the encrypted body entity).
std::string ComposeEncryptedMessage(const OutgoingMail& mail, std::string_view armored);

}  // namespace vigil::mail
