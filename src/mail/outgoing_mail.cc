#include "mail/outgoing_mail.h"

#include <ctime>

namespace vigil::mail {
namespace {

std::string OneLine(std::string_view v) {
  std::string out;
  for (char c : v) out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::string Base64(std::string_view in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += i + 1 < in.size() ? k[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// RFC 2047 B-encoding in encoded words of at most 45 input bytes, split on UTF-8 boundaries.
std::string EncodeWord(std::string_view v) {
  if (IsAscii(v)) return std::string(v);
  std::string out;
  size_t i = 0;
  while (i < v.size()) {
    size_t n = std::min<size_t>(45, v.size() - i);
    while (i + n < v.size() && (static_cast<unsigned char>(v[i + n]) & 0xC0) == 0x80) --n;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(v.substr(i, n)) + "?=";
    i += n;
  }
  return out;
}

std::string QuotedPrintable(std::string_view body) {
  std::string out;
  size_t col = 0;
  auto put = [&](const std::string& s) {
    if (col + s.size() > 75) {
      out += "=\r\n";
      col = 0;
    }
    out += s;
    col += s.size();
  };
  for (size_t i = 0; i < body.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(body[i]);
    if (c == '\r') continue;
    if (c == '\n') {
      out += "\r\n";
      col = 0;
      continue;
    }
    const bool at_eol = i + 1 == body.size() || body[i + 1] == '\n' || body[i + 1] == '\r';
    const bool plain = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_eol);
    // A leading dot or "From " is encoded too, so no transport can mangle the line.
    if (plain && !(col == 0 && (c == '.' || c == 'F'))) {
      put(std::string(1, static_cast<char>(c)));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "=%02X", c);
      put(buf);
    }
  }
  if (col != 0 || out.empty()) out += "\r\n";
  return out;
}

std::string Headers(const OutgoingMail& m) {
  std::string h;
  h += "Date: " + FormatRfc5322Date(m.date) + "\r\n";
  h += "From: " + (m.from_name.empty() ? "" : "\"" + EncodeWord(OneLine(m.from_name)) + "\" ") +
       "<" + OneLine(m.from_address) + ">\r\n";
  h += "To: <" + OneLine(m.to) + ">\r\n";
  if (!m.reply_to.empty()) h += "Reply-To: <" + OneLine(m.reply_to) + ">\r\n";
  h += "Subject: " + EncodeWord(OneLine(m.subject)) + "\r\n";
  h += "Message-ID: <" + OneLine(m.message_id) + ">\r\n";
  if (!m.in_reply_to.empty()) {
    h += "In-Reply-To: <" + OneLine(m.in_reply_to) + ">\r\n";
    h += "References: <" + OneLine(m.in_reply_to) + ">\r\n";
  }
  h += "Auto-Submitted: auto-generated\r\n";
  h += "MIME-Version: 1.0\r\n";
  return h;
}

}  // namespace

std::string FormatRfc5322Date(Instant t) {
  const time_t secs = static_cast<time_t>(t / kMicrosPerSecond);
  tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string ComposeBodyEntity(std::string_view body) {
  return "Content-Type: text/plain; charset=utf-8\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
         QuotedPrintable(body);
}

std::string ComposeMessage(const OutgoingMail& mail) {
  return Headers(mail) + ComposeBodyEntity(mail.body);
}

std::string ComposeEncryptedMessage(const OutgoingMail& mail, std::string_view armored) {
  const std::string boundary = "vigil-pgp-" + mail.message_id.substr(0, mail.message_id.find('@'));
  std::string armored_crlf;
  for (char c : armored) {
    if (c == '\r') continue;
    if (c == '\n') armored_crlf += '\r';
    armored_crlf += c;
  }
  return Headers(mail) +
         "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"" +
         boundary + "\"\r\n\r\nThis is an OpenPGP/MIME encrypted message (RFC 3156).\r\n--" +
         boundary +
         "\r\nContent-Type: application/pgp-encrypted\r\nContent-Description: PGP/MIME version "
         "identification\r\n\r\nVersion: 1\r\n\r\n--" +
         boundary +
         "\r\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"
         "Content-Description: OpenPGP encrypted message\r\n"
         "Content-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n" +
         armored_crlf + "\r\n--" + boundary + "--\r\n";
}

}  // namespace vigil::mail
