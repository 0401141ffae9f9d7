#pragma once
// The body of a JSON log line, built so that every value is escaped: the logger's pattern wraps it
// as {"ts":...,"level":...,BODY}. Attacker text (a charset name, a file name from a patch, an
// HTTP method) reaches the log only through here, as a JSON string.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace vigil {

/// S as the contents of a JSON string (without the quotes): '"', '\\' and the control characters
/// (below 0x20, and 0x7f) escaped, each byte that is not part of valid UTF-8 replaced by U+FFFD.
std::string JsonEscape(std::string_view s);

/// One "key":value of a log line. Strings are always escaped; numbers and booleans are written
/// as JSON numbers and literals. KEY is a literal of Vigil's own.
class LogField {
 public:
  LogField(std::string_view key, std::string_view value);
  LogField(std::string_view key, const std::string& value)
      : LogField(key, std::string_view(value)) {}
  LogField(std::string_view key, const char* value) : LogField(key, std::string_view(value)) {}
  LogField(std::string_view key, bool value);
  LogField(std::string_view key, double value);
  template <typename I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && !std::is_same_v<I, char>)
      LogField(std::string_view key, I value)
      : key_(key), json_(std::to_string(value)) {}

  std::string_view key() const { return key_; }
  const std::string& json() const { return json_; }

 private:
  std::string_view key_;
  std::string json_;
};

/// "msg":"MSG" followed by each of FIELDS, e.g. LogLine("mail: delivery failed",
/// {{"outbox", 7}, {"error", status.message()}}).
std::string LogLine(std::string_view msg, std::initializer_list<LogField> fields = {});

}  // namespace vigil
