// DecodeMail: reads an RFC 5322/MIME message with GMime 3 the way a mail client shows it: the
// text/plain body preferred over text/html (turned into text), charsets converted to UTF-8,
// RFC 2047 headers decoded, attachments kept within limits, DSNs and OpenPGP recognised, and
// broken MIME tolerated (a truncated base64 part yields what decodes; an unknown charset is read
// as UTF-8 with replacement characters).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil::mail {

struct MimeLimits {
  size_t max_attachment_bytes = 5u << 20;  // larger attachments are listed but not kept
  size_t max_attachments = 20;             // further ones are listed but not kept
  size_t max_text_bytes = 1u << 20;        // the body text is cut here
  int max_depth = 16;                      // nested multiparts below this are ignored
  /// Checked before the MIME parser builds anything (CheckMimeShape): a 10 MB mail of empty
  /// parts would otherwise become more than a million objects and gigabytes of memory.
  size_t max_parts = 1000;      // boundary delimiter lines in the whole message
  size_t max_boundaries = 128;  // distinct boundaries declared (this also bounds nesting)
};

struct Attachment {
  std::string filename;
  std::string content_type;
  size_t size = 0;
  std::string data;  // empty when omitted
  bool omitted = false;
};

enum class Encryption { kNone, kPgpMime, kInlinePgp };

struct DecodedMail {
  std::string from_email;  // lower-cased; empty when the From: header is unusable
  std::string from_name;
  std::string subject;     // decoded, UTF-8, one line
  std::string message_id;  // without angle brackets; empty when missing
  std::string in_reply_to;
  std::vector<std::string> references;
  std::string text;  // UTF-8, LF line ends, no control characters but tab and LF
  bool text_from_html = false;
  std::vector<Attachment> attachments;
  Encryption encryption = Encryption::kNone;
  std::string encrypted_payload;        // the OpenPGP message to decrypt
  bool is_dsn = false;                  // a multipart/report; report-type=delivery-status
  std::vector<std::string> dsn_failed;  // lower-cased Final-Recipient addresses, Action: failed
  std::string dsn_original_message_id;  // Message-ID of the returned message, if included
};

/// Decodes RAW. Error (kInvalidArgument): "message has no header" when GMime cannot read any
/// message at all (empty input, or no header section).
Result<DecodedMail> DecodeMail(std::string_view raw, const MimeLimits& limits = {});

/// Whether RAW stays within LIMITS' max_boundaries and max_parts, found by scanning the text
/// (every `boundary=` parameter, then every line starting with "--" and one of them) without
/// parsing it. Errors, kTooLarge: "message declares more than N MIME boundaries", "message has
/// more than N MIME parts". DecodeMail checks it first.
Status CheckMimeShape(std::string_view raw, const MimeLimits& limits = {});

/// The parts of an RFC 3156 signed message: the top level of the mail is multipart/signed with
/// protocol="application/pgp-signature".
struct PgpSignedParts {
  /// The first part exactly as sent, its MIME headers and body up to (not including) the line
  /// break before the next delimiter, with every line ending made CRLF: what the signature is
  /// over (RFC 3156 section 5).
  std::string signed_entity;
  std::string signature;  // the second part's body: the armored detached signature
};
/// RAW's signed parts; nullopt when RAW is not such a message or its parts cannot be found.
std::optional<PgpSignedParts> FindPgpSignedParts(std::string_view raw);

/// Replaces MAIL's body with the decrypted PLAINTEXT: for PGP/MIME a MIME entity (parsed like a
/// body part: text, html, attachments), for inline PGP the text itself.
void ApplyDecrypted(DecodedMail* mail, std::string_view plaintext, const MimeLimits& limits = {});

/// Valid UTF-8 with LF line ends and no control characters except tab and LF: invalid bytes
/// become U+FFFD, CR LF becomes LF, other controls are dropped.
std::string CleanText(std::string_view text);

/// A plain-text rendering of HTML: tags dropped (script and style with their content), block
/// elements and <br> as line breaks, entities decoded.
std::string HtmlToText(std::string_view html);

}  // namespace vigil::mail
