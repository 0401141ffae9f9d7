#include "core/log_line.h"

#include <cmath>
#include <cstdio>

namespace vigil {
namespace {

// The length of the valid UTF-8 sequence at the start of S (1 to 4), or 0 when S does not start
// with one (a stray continuation byte, an overlong form, a surrogate, beyond U+10FFFF, cut short).
size_t Utf8SequenceLength(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // the range of the second byte
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (s.size() < n || b(1) < lo || b(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (b(i) < 0x80 || b(i) > 0xbf) return 0;
  }
  return n;
}

}  // namespace

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      ++i;
    } else if (const size_t n = Utf8SequenceLength(s.substr(i)); n > 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xef\xbf\xbd";  // U+FFFD for the byte that is not UTF-8
      ++i;
    }
  }
  return out;
}

LogField::LogField(std::string_view key, std::string_view value)
    : key_(key), json_("\"" + JsonEscape(value) + "\"") {}

LogField::LogField(std::string_view key, bool value) : key_(key), json_(value ? "true" : "false") {}

LogField::LogField(std::string_view key, double value) : key_(key) {
  if (!std::isfinite(value)) {
    json_ = "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  json_ = buf;
}

std::string LogLine(std::string_view msg, std::initializer_list<LogField> fields) {
  std::string out = "\"msg\":\"" + JsonEscape(msg) + "\"";
  for (const LogField& f : fields) {
    out += ",\"";
    out += JsonEscape(f.key());
    out += "\":";
    out += f.json();
  }
  return out;
}

}  // namespace vigil
