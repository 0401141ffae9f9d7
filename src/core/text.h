#pragma once
// Small ASCII text helpers shared by every module. Locale-independent on purpose: mail headers,
// git output and HTTP fields are ASCII protocols, and the C locale's <cctype> would differ by
// machine.
#include <string>
#include <string_view>

namespace vigil {

/// Space, tab, CR and LF: what git's isspace() accepts and what HTTP/SMTP lines end with.
inline constexpr std::string_view kWhitespace = " \t\r\n";
/// What C's isspace() accepts in the C locale: kWhitespace plus vertical tab and form feed.
inline constexpr std::string_view kAsciiSpace = " \t\n\v\f\r";
/// Space and tab: RFC 5322 WSP, the folding whitespace inside a header line.
inline constexpr std::string_view kBlanks = " \t";

/// S without the leading and trailing characters in CHARS.
std::string_view Trim(std::string_view s, std::string_view chars = kWhitespace);
/// S without the trailing characters in CHARS.
std::string_view TrimEnd(std::string_view s, std::string_view chars = kWhitespace);

/// The longest prefix of S of at most N bytes that does not cut a UTF-8 sequence in two.
std::string_view Utf8Prefix(std::string_view s, size_t n);

/// The offset of the first byte of S that is not part of well-formed UTF-8 (RFC 3629: no
/// overlong forms, no surrogates, nothing above U+10FFFF, no cut sequence), or npos.
size_t FirstInvalidUtf8(std::string_view s);
/// S with each byte that is not part of well-formed UTF-8 replaced by U+FFFD.
std::string RepairUtf8(std::string_view s);

/// C with ASCII letters lower-cased; every other byte unchanged.
constexpr char LowerAsciiChar(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
/// S with ASCII letters lower-cased: emails are compared case-insensitively throughout Vigil.
std::string LowerAscii(std::string_view s);
/// A and B are equal ignoring ASCII case.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
/// S starts with PREFIX, ignoring ASCII case.
bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix);

}  // namespace vigil
