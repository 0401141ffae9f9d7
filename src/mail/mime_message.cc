#include "mail/mime_message.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <set>
#include "core/text.h"

namespace vigil::mail {
namespace {

void InitGMime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// Owns one GObject reference.
template <typename T>
struct GObjectPtr {
  T* p = nullptr;
  explicit GObjectPtr(T* ptr) : p(ptr) {}
  ~GObjectPtr() {
    if (p) g_object_unref(p);
  }
  GObjectPtr(const GObjectPtr&) = delete;
  GObjectPtr& operator=(const GObjectPtr&) = delete;
};

// The transfer-decoded bytes of a leaf part (base64/quoted-printable undone; a truncated
// encoding yields what decodes).
std::string PartBytes(GMimePart* part, size_t limit, size_t* total) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  *total = 0;
  if (!content) return "";
  GObjectPtr<GMimeStream> mem(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(content, mem.p);
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.p));
  *total = bytes->len;
  return std::string(reinterpret_cast<const char*>(bytes->data),
                     std::min<size_t>(bytes->len, limit));
}

// Converts BYTES from CHARSET to UTF-8; unknown charsets and invalid bytes degrade to
// replacement characters rather than failing (what a mail client shows).
std::string ToUtf8(const std::string& bytes, const char* charset) {
  if (charset && *charset) {
    const char* name = g_mime_charset_iconv_name(charset);
    const std::string lower = LowerAscii(name ? name : charset);
    if (lower != "utf-8" && lower != "utf8" && lower != "us-ascii" && lower != "ascii") {
      gsize written = 0;
      GError* err = nullptr;
      gchar* out = g_convert_with_fallback(bytes.data(), static_cast<gssize>(bytes.size()), "UTF-8",
                                           name, "\xEF\xBF\xBD", nullptr, &written, &err);
      if (out) {
        std::string s(out, written);
        g_free(out);
        return CleanText(s);
      }
      if (err) g_error_free(err);
    }
  }
  return CleanText(bytes);
}

bool IsType(GMimeObject* obj, const char* type, const char* subtype) {
  GMimeContentType* ct = g_mime_object_get_content_type(obj);
  return ct && g_mime_content_type_is_type(ct, type, subtype);
}

std::string MessageIdFromHeaders(std::string_view headers) {
  // "Message-ID: <x@y>" in a text/rfc822-headers part or a returned message.
  std::string lower = LowerAscii(headers);
  size_t at = lower.find("\nmessage-id:");
  if (at == std::string::npos) {
    if (!lower.starts_with("message-id:")) return "";
    at = 0;
  } else {
    ++at;
  }
  const size_t lt = headers.find('<', at);
  const size_t gt = headers.find('>', lt == std::string::npos ? at : lt);
  if (lt == std::string::npos || gt == std::string::npos || gt - at > 1000) return "";
  return std::string(headers.substr(lt + 1, gt - lt - 1));
}

// Reads "Final-Recipient: rfc822; a@b" / "Action: failed" groups of a message/delivery-status.
void ParseDeliveryStatus(std::string_view text, DecodedMail* mail) {
  std::string recipient;
  bool failed = false;
  auto flush = [&] {
    if (failed && !recipient.empty()) mail->dsn_failed.push_back(LowerAscii(recipient));
    recipient.clear();
    failed = false;
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line(Trim(text.substr(pos, nl - pos), kAsciiSpace));
    pos = nl + 1;
    if (line.empty()) {
      flush();
      continue;
    }
    const std::string lower = LowerAscii(line);
    if (lower.starts_with("final-recipient:") || lower.starts_with("original-recipient:")) {
      if (lower.starts_with("original-recipient:") && !recipient.empty()) continue;
      std::string v = line.substr(line.find(':') + 1);
      const size_t semi = v.find(';');
      if (semi != std::string::npos) v = v.substr(semi + 1);
      v = std::string(Trim(v, kAsciiSpace));
      if (v.size() > 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
      recipient = v;
    } else if (lower.starts_with("action:")) {
      failed = Trim(lower.substr(7), kAsciiSpace) == "failed";
    }
  }
  flush();
}

struct Walker {
  const MimeLimits& limits;
  DecodedMail* mail;
  std::string plain, html;

  void Keep(GMimePart* part, const std::string& content_type) {
    size_t total = 0;
    Attachment a;
    const char* name = g_mime_part_get_filename(part);
    a.filename = name ? CleanText(name).substr(0, 255) : "";
    a.content_type = content_type;
    const bool room = mail->attachments.size() < limits.max_attachments;
    a.data = PartBytes(part, room ? limits.max_attachment_bytes + 1 : 0, &total);
    a.size = total;
    if (!room || total > limits.max_attachment_bytes) {
      a.omitted = true;
      a.data.clear();
    }
    mail->attachments.push_back(std::move(a));
  }

  void Walk(GMimeObject* obj, int depth, bool in_alternative) {
    if (!obj || depth > limits.max_depth) return;
    if (GMIME_IS_MULTIPART_ENCRYPTED(obj)) {
      mail->encryption = Encryption::kPgpMime;
      GMimeObject* payload =
          g_mime_multipart_get_part(GMIME_MULTIPART(obj), GMIME_MULTIPART_ENCRYPTED_CONTENT);
      if (payload && GMIME_IS_PART(payload)) {
        size_t total = 0;
        mail->encrypted_payload = PartBytes(GMIME_PART(payload), 64u << 20, &total);
      }
      return;
    }
    if (GMIME_IS_MULTIPART(obj)) {
      GMimeMultipart* mp = GMIME_MULTIPART(obj);
      const int n = g_mime_multipart_get_count(mp);
      if (IsType(obj, "multipart", "report")) {
        const char* rt = g_mime_object_get_content_type_parameter(obj, "report-type");
        if (rt && LowerAscii(rt) == "delivery-status") mail->is_dsn = true;
      }
      if (IsType(obj, "multipart", "alternative")) {
        // The last text/plain alternative wins; html only when there is no plain text.
        GMimeObject* best = nullptr;
        for (int i = 0; i < n; ++i) {
          GMimeObject* child = g_mime_multipart_get_part(mp, i);
          if (IsType(child, "text", "plain")) best = child;
        }
        if (best) {
          Walk(best, depth + 1, true);
          return;
        }
      }
      for (int i = 0; i < n; ++i) Walk(g_mime_multipart_get_part(mp, i), depth + 1, in_alternative);
      return;
    }
    if (GMIME_IS_MESSAGE_PART(obj)) {
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
      if (mail->is_dsn && inner) {
        const char* id = g_mime_message_get_message_id(inner);
        if (id) mail->dsn_original_message_id = id;
        return;
      }
      if (inner) {
        Attachment a;
        a.filename = "forwarded.eml";
        a.content_type = "message/rfc822";
        GObjectPtr<GMimeStream> mem(g_mime_stream_mem_new());
        g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, mem.p);
        GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.p));
        a.size = bytes->len;
        if (a.size > limits.max_attachment_bytes ||
            mail->attachments.size() >= limits.max_attachments) {
          a.omitted = true;
        } else {
          a.data.assign(reinterpret_cast<const char*>(bytes->data), bytes->len);
        }
        mail->attachments.push_back(std::move(a));
      }
      return;
    }
    if (!GMIME_IS_PART(obj)) return;
    GMimePart* part = GMIME_PART(obj);
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    std::string type = "application/octet-stream";
    if (ct) {
      char* mime = g_mime_content_type_get_mime_type(ct);
      if (mime) {
        type = LowerAscii(mime);
        g_free(mime);
      }
    }
    if (type == "message/delivery-status") {
      size_t total = 0;
      ParseDeliveryStatus(PartBytes(part, 64u << 10, &total), mail);
      return;
    }
    if (type == "text/rfc822-headers" && mail->is_dsn) {
      size_t total = 0;
      mail->dsn_original_message_id = MessageIdFromHeaders(PartBytes(part, 64u << 10, &total));
      return;
    }
    const bool attachment = g_mime_part_is_attachment(part) && !in_alternative;
    if (!attachment && (type == "text/plain" || type == "text/html")) {
      size_t total = 0;
      std::string bytes = PartBytes(part, limits.max_text_bytes, &total);
      std::string text = ToUtf8(bytes, g_mime_object_get_content_type_parameter(obj, "charset"));
      std::string& into = type == "text/plain" ? plain : html;
      if (!into.empty() && !text.empty()) into += "\n";
      into += text;
      return;
    }
    Keep(part, type);
  }
};

std::string HeaderMessageId(GMimeObject* obj, const char* header) {
  const char* v = g_mime_object_get_header(obj, header);
  if (!v) return "";
  char* id = g_mime_utils_decode_message_id(v);
  if (!id) return "";
  std::string out = CleanText(id).substr(0, 998);
  g_free(id);
  return out;
}

void FinishText(Walker& w, DecodedMail* mail, const MimeLimits& limits) {
  if (!w.plain.empty()) {
    mail->text = std::move(w.plain);
    mail->text_from_html = false;
  } else if (!w.html.empty()) {
    mail->text = HtmlToText(w.html);
    mail->text_from_html = true;
  }
  if (mail->text.size() > limits.max_text_bytes) mail->text.resize(limits.max_text_bytes);
  mail->text = CleanText(mail->text);  // also repairs a cut UTF-8 sequence
  if (mail->encryption == Encryption::kNone) {
    const size_t begin = mail->text.find("-----BEGIN PGP MESSAGE-----");
    const size_t end = mail->text.find("-----END PGP MESSAGE-----", begin);
    if (begin != std::string::npos && end != std::string::npos) {
      mail->encryption = Encryption::kInlinePgp;
      mail->encrypted_payload = mail->text.substr(begin, end + 25 - begin) + "\n";
    }
  }
}

}  // namespace

std::string CleanText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '\r') {
        if (i + 1 < s.size() && s[i + 1] == '\n') {
          ++i;
          continue;
        }
        out += '\n';
      } else if (c >= 0x20 || c == '\t' || c == '\n') {
        if (c != 0x7f) out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    const int extra = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 0;
    bool ok = extra > 0 && i + static_cast<size_t>(extra) < s.size();
    uint32_t cp = c & (0x3Fu >> extra);
    if (ok) {
      for (int k = 1; ok && k <= extra; ++k) {
        const unsigned char cc = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
        if ((cc & 0xC0) != 0x80) ok = false;
        cp = (cp << 6) | (cc & 0x3Fu);
      }
      const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
      if (ok && (cp < min[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    }
    if (!ok) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (cp >= 0x80 && cp < 0xA0) {  // C1 controls
      i += static_cast<size_t>(extra) + 1;
      continue;
    }
    out.append(s.substr(i, static_cast<size_t>(extra) + 1));
    i += static_cast<size_t>(extra) + 1;
  }
  return out;
}

std::string HtmlToText(std::string_view html) {
  std::string out;
  size_t i = 0;
  auto lower_at = [&](size_t at, std::string_view word) {
    if (at + word.size() > html.size()) return false;
    for (size_t k = 0; k < word.size(); ++k) {
      if (std::tolower(static_cast<unsigned char>(html[at + k])) != word[k]) return false;
    }
    return true;
  };
  while (i < html.size()) {
    const char c = html[i];
    if (c == '<') {
      const size_t close = html.find('>', i);
      if (close == std::string_view::npos) break;
      std::string tag;
      for (size_t k = i + 1; k < close && tag.size() < 16; ++k) {
        const char t = html[k];
        if (t == ' ' || t == '\t' || t == '\n' || t == '\r' || (t == '/' && !tag.empty())) break;
        tag += static_cast<char>(std::tolower(static_cast<unsigned char>(t)));
      }
      if (tag == "script" || tag == "style") {
        const std::string end = "</" + tag;
        size_t e = close;
        while (e < html.size() && !lower_at(e, end)) ++e;
        const size_t end_close = html.find('>', e);
        i = end_close == std::string_view::npos ? html.size() : end_close + 1;
        continue;
      }
      static const char* kBreaks[] = {"br",         "p",           "/p",  "div", "/div",  "tr",
                                      "/tr",        "li",          "h1",  "h2",  "h3",    "h4",
                                      "/h1",        "/h2",         "/h3", "/h4", "pre",   "/pre",
                                      "blockquote", "/blockquote", "hr",  "/li", "/table"};
      for (const char* b : kBreaks) {
        if (tag == b) {
          if (!out.empty() && out.back() != '\n') out += '\n';
          if (tag == "p" || tag == "/p" || tag.starts_with("h") || tag == "/h1") {
            if (!out.empty() && !out.ends_with("\n\n")) out += '\n';
          }
          if (tag == "li") out += "- ";
          break;
        }
      }
      i = close + 1;
      continue;
    }
    if (c == '&') {
      const size_t semi = html.find(';', i);
      if (semi != std::string_view::npos && semi - i <= 10) {
        const std::string ent(html.substr(i + 1, semi - i - 1));
        std::string rep;
        if (ent == "amp")
          rep = "&";
        else if (ent == "lt")
          rep = "<";
        else if (ent == "gt")
          rep = ">";
        else if (ent == "quot")
          rep = "\"";
        else if (ent == "apos" || ent == "#39")
          rep = "'";
        else if (ent == "nbsp")
          rep = " ";
        else if (ent.size() > 1 && ent[0] == '#') {
          unsigned long cp = 0;
          try {
            cp = ent[1] == 'x' || ent[1] == 'X' ? std::stoul(ent.substr(2), nullptr, 16)
                                                : std::stoul(ent.substr(1));
          } catch (...) {
            cp = 0xFFFD;
          }
          if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
          if (cp < 0x80)
            rep = static_cast<char>(cp);
          else if (cp < 0x800)
            rep = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
          else if (cp < 0x10000)
            rep = {static_cast<char>(0xE0 | (cp >> 12)),
                   static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                   static_cast<char>(0x80 | (cp & 0x3F))};
          else
            rep = {static_cast<char>(0xF0 | (cp >> 18)),
                   static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
                   static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                   static_cast<char>(0x80 | (cp & 0x3F))};
        }
        if (!rep.empty()) {
          out += rep;
          i = semi + 1;
          continue;
        }
      }
    }
    if (c == '\r' || c == '\n' || c == '\t' || c == ' ') {
      if (!out.empty() && out.back() != ' ' && out.back() != '\n') out += ' ';
    } else {
      out += c;
    }
    ++i;
  }
  // Trim spaces at line starts and ends, and blank runs.
  std::string clean;
  size_t pos = 0;
  int blank = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    if (nl == std::string::npos) nl = out.size();
    std::string line(Trim(std::string_view(out).substr(pos, nl - pos), kAsciiSpace));
    pos = nl + 1;
    if (line.empty()) {
      if (++blank > 1 || clean.empty()) continue;
    } else {
      blank = 0;
    }
    clean += line + "\n";
  }
  while (clean.ends_with("\n\n")) clean.pop_back();
  return CleanText(clean);
}

Status CheckMimeShape(std::string_view raw, const MimeLimits& limits) {
  // Every boundary a Content-Type parameter declares (anywhere: a phantom one from a body only
  // makes the count below more careful).
  std::set<std::string, std::less<>> boundaries;
  std::set<size_t> lengths;
  // The parameter as a MIME parser reads it: "boundary", RFC 2231's "*", "*0", "*0*" (the first
  // piece of a continued value is a prefix of the boundary, which is enough below), blanks
  // around "=", a quoted string or a token, and a "charset''" prefix on an extended value.
  constexpr std::string_view kParam = "boundary";
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  for (size_t at = 0; at + kParam.size() < raw.size(); ++at) {
    if ((raw[at] | 0x20) != 'b') continue;
    size_t k = 0;
    while (k < kParam.size() && (raw[at + k] | 0x20) == kParam[k]) ++k;
    if (k != kParam.size()) continue;
    size_t i = at + kParam.size();
    bool extended = false;
    while (i < raw.size() && (raw[i] == '*' || (raw[i] >= '0' && raw[i] <= '9'))) {
      extended = true;
      ++i;
    }
    while (i < raw.size() && blank(raw[i])) ++i;
    if (i >= raw.size() || raw[i] != '=') continue;
    ++i;
    while (i < raw.size() && blank(raw[i])) ++i;
    std::string_view b;
    if (i < raw.size() && raw[i] == '"') {
      const size_t close = raw.find('"', i + 1);
      b = raw.substr(i + 1, std::min<size_t>(close == std::string_view::npos ? raw.size() : close,
                                             i + 1 + 200) -
                                (i + 1));
    } else {
      size_t end = i;
      while (end < raw.size() && end - i < 200 && raw[end] != ';' && !blank(raw[end])) ++end;
      b = raw.substr(i, end - i);
    }
    if (extended) {
      const size_t quotes = b.find("''");
      if (quotes != std::string_view::npos) b.remove_prefix(quotes + 2);
    }
    if (b.empty() || boundaries.count(b)) continue;
    if (boundaries.size() == limits.max_boundaries) {
      return Status::TooLarge("message declares more than " +
                              std::to_string(limits.max_boundaries) + " MIME boundaries");
    }
    boundaries.emplace(b);
    lengths.insert(b.size());
  }
  if (boundaries.empty()) return Status::Ok();
  // Every line that starts a part (or ends a multipart): "--" and a declared boundary.
  size_t parts = 0;
  for (size_t pos = 0; pos < raw.size();) {
    size_t nl = raw.find('\n', pos);
    if (nl == std::string_view::npos) nl = raw.size();
    const std::string_view line = raw.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.size() < 3 || line[0] != '-' || line[1] != '-') continue;
    for (size_t n : lengths) {
      if (line.size() >= 2 + n && boundaries.count(line.substr(2, n))) {
        if (++parts > limits.max_parts) {
          return Status::TooLarge("message has more than " + std::to_string(limits.max_parts) +
                                  " MIME parts");
        }
        break;
      }
    }
  }
  return Status::Ok();
}

namespace {

// The end of the header of an entity (the index just past its blank line), or npos.
size_t HeaderEnd(std::string_view entity, size_t* body_start) {
  for (size_t i = 0; i < entity.size(); i = entity.find('\n', i) + 1) {
    const size_t eol = entity.find('\n', i);
    if (eol == std::string_view::npos) return std::string_view::npos;
    std::string_view line = entity.substr(i, eol - i);
    if (line.empty() || line == "\r") {
      *body_start = eol + 1;
      return i;
    }
  }
  return std::string_view::npos;
}

// The unfolded value of header field NAME (lower-case) in HEAD, or "".
std::string FieldValue(std::string_view head, std::string_view name) {
  std::string value;
  bool in_field = false;
  for (size_t i = 0; i < head.size();) {
    size_t eol = head.find('\n', i);
    if (eol == std::string_view::npos) eol = head.size();
    std::string_view line = head.substr(i, eol - i);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    i = eol + 1;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      if (in_field) value += std::string(line);
      continue;
    }
    if (in_field) return value;
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos && LowerAscii(line.substr(0, colon)) == name) {
      in_field = true;
      value = std::string(line.substr(colon + 1));
    }
  }
  return in_field ? value : "";
}

// Parameter NAME (lower-case) of a structured field VALUE, unquoted, or "".
std::string Parameter(std::string_view value, std::string_view name) {
  const std::string lower = LowerAscii(value);
  for (size_t at = lower.find(name); at != std::string::npos; at = lower.find(name, at + 1)) {
    if (at > 0 && lower[at - 1] != ';' && lower[at - 1] != ' ' && lower[at - 1] != '\t') {
      continue;
    }
    size_t i = at + name.size();
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    if (i >= value.size() || value[i] != '=') continue;
    ++i;
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    if (i < value.size() && value[i] == '"') {
      const size_t close = value.find('"', i + 1);
      if (close == std::string_view::npos) return "";
      return std::string(value.substr(i + 1, close - i - 1));
    }
    const size_t end = value.find_first_of("; \t", i);
    return std::string(value.substr(i, end == std::string_view::npos ? end : end - i));
  }
  return "";
}

// The index of the next delimiter line "--BOUNDARY" (at a line start, at or after FROM), or npos.
size_t NextDelimiter(std::string_view body, std::string_view boundary, size_t from) {
  const std::string dash = "--" + std::string(boundary);
  for (size_t at = body.find(dash, from); at != std::string_view::npos;
       at = body.find(dash, at + 1)) {
    if (at == 0 || body[at - 1] == '\n') return at;
  }
  return std::string_view::npos;
}

}  // namespace

std::optional<PgpSignedParts> FindPgpSignedParts(std::string_view raw) {
  size_t body_start = 0;
  const size_t head_end = HeaderEnd(raw, &body_start);
  if (head_end == std::string_view::npos) return std::nullopt;
  const std::string type = FieldValue(raw.substr(0, head_end), "content-type");
  if (!LowerAscii(Trim(type)).starts_with("multipart/signed") ||
      LowerAscii(Parameter(type, "protocol")) != "application/pgp-signature") {
    return std::nullopt;
  }
  const std::string boundary = Parameter(type, "boundary");
  if (boundary.empty() || boundary.size() > 70) return std::nullopt;
  const std::string_view body = raw.substr(body_start);
  const size_t first = NextDelimiter(body, boundary, 0);
  if (first == std::string_view::npos) return std::nullopt;
  const size_t part1 = body.find('\n', first);
  if (part1 == std::string_view::npos) return std::nullopt;
  const size_t second = NextDelimiter(body, boundary, part1 + 1);
  if (second == std::string_view::npos) return std::nullopt;
  size_t part1_end = second - 1;  // the line break before the delimiter belongs to it
  if (part1_end > part1 + 1 && body[part1_end - 1] == '\r') --part1_end;
  if (part1_end < part1 + 1) return std::nullopt;
  const std::string_view signed_part = body.substr(part1 + 1, part1_end - part1 - 1);
  const size_t part2 = body.find('\n', second);
  if (part2 == std::string_view::npos) return std::nullopt;
  const size_t close = NextDelimiter(body, boundary, part2 + 1);
  const std::string_view second_part =
      body.substr(part2 + 1, close == std::string_view::npos ? close : close - part2 - 1);
  size_t sig_start = 0;
  if (HeaderEnd(second_part, &sig_start) == std::string_view::npos) return std::nullopt;
  PgpSignedParts out;
  out.signed_entity.reserve(signed_part.size() + signed_part.size() / 32);
  for (size_t i = 0; i < signed_part.size(); ++i) {
    if (signed_part[i] == '\n' && (i == 0 || signed_part[i - 1] != '\r')) out.signed_entity += '\r';
    out.signed_entity += signed_part[i];
  }
  out.signature = std::string(second_part.substr(sig_start));
  if (out.signature.find("-----BEGIN PGP SIGNATURE-----") == std::string::npos) return std::nullopt;
  return out;
}

Result<DecodedMail> DecodeMail(std::string_view raw, const MimeLimits& limits) {
  InitGMime();
  if (raw.find(':') == std::string_view::npos) return Status::Invalid("message has no header");
  VIGIL_RETURN_IF_ERROR(CheckMimeShape(raw, limits));
  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.p));
  g_mime_parser_set_format(parser.p, GMIME_FORMAT_MESSAGE);
  GObjectPtr<GMimeMessage> msg(g_mime_parser_construct_message(parser.p, nullptr));
  if (!msg.p) return Status::Invalid("message has no header");
  DecodedMail mail;
  GMimeObject* obj = GMIME_OBJECT(msg.p);
  if (InternetAddressList* from = g_mime_message_get_from(msg.p)) {
    for (int i = 0; i < internet_address_list_length(from); ++i) {
      InternetAddress* a = internet_address_list_get_address(from, i);
      if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
        const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
        const char* name = internet_address_get_name(a);
        mail.from_email = LowerAscii(CleanText(addr ? addr : "").substr(0, 254));
        mail.from_name = CleanText(name ? name : "").substr(0, 256);
        break;
      }
    }
  }
  if (const char* subject = g_mime_message_get_subject(msg.p)) {
    mail.subject = CleanText(subject);
    std::replace(mail.subject.begin(), mail.subject.end(), '\n', ' ');
    std::replace(mail.subject.begin(), mail.subject.end(), '\t', ' ');
  }
  if (const char* id = g_mime_message_get_message_id(msg.p)) {
    mail.message_id = CleanText(id).substr(0, 998);
  }
  mail.in_reply_to = HeaderMessageId(obj, "In-Reply-To");
  if (const char* refs = g_mime_object_get_header(obj, "References")) {
    GMimeReferences* list = g_mime_references_parse(nullptr, refs);
    if (list) {
      const int n = g_mime_references_length(list);
      for (int i = 0; i < n && i < 100; ++i) {
        mail.references.push_back(CleanText(g_mime_references_get_message_id(list, i)));
      }
      g_mime_references_free(list);
    }
  }
  Walker w{limits, &mail, "", ""};
  w.Walk(g_mime_message_get_mime_part(msg.p), 0, false);
  FinishText(w, &mail, limits);
  return mail;
}

void ApplyDecrypted(DecodedMail* mail, std::string_view plaintext, const MimeLimits& limits) {
  InitGMime();
  if (mail->encryption == Encryption::kInlinePgp) {
    const size_t begin = mail->text.find("-----BEGIN PGP MESSAGE-----");
    const size_t end = mail->text.find("-----END PGP MESSAGE-----", begin);
    mail->text = mail->text.substr(0, begin) + CleanText(plaintext) +
                 (end == std::string::npos ? "" : mail->text.substr(end + 25));
    return;
  }
  if (Status shape = CheckMimeShape(plaintext, limits); !shape.ok()) {
    mail->text = "[the decrypted message was not read: " + shape.message() + "]";
    return;
  }
  GObjectPtr<GMimeStream> stream(
      g_mime_stream_mem_new_with_buffer(plaintext.data(), plaintext.size()));
  GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.p));
  GObjectPtr<GMimeObject> part(g_mime_parser_construct_part(parser.p, nullptr));
  mail->text.clear();
  Walker w{limits, mail, "", ""};
  w.Walk(part.p, 0, false);
  const Encryption was = mail->encryption;
  FinishText(w, mail, limits);
  mail->encryption = was;
}

}  // namespace vigil::mail
