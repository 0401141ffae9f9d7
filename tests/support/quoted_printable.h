// Test helper: mail text with quoted-printable soft line breaks (CRLF or, as a Maildir file has
// them, LF) and =XX escapes undone, headers and all, to search a sent mail for what it says.
#pragma once

#include <cctype>
#include <string>

namespace vigil::testing {

inline std::string DecodeQp(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '=' && i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n') {
      i += 2;
    } else if (s[i] == '=' && i + 1 < s.size() && s[i + 1] == '\n') {
      i += 1;
    } else if (s[i] == '=' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace vigil::testing
