#include "patch/mbox.h"

#include <string>

namespace vigil::patch {
namespace {

bool IsGitSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

/// One line of `text` starting at `pos`, with its '\n' if it has one.
std::string_view LineAt(std::string_view text, size_t pos) {
  size_t nl = text.find('\n', pos);
  return text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos + 1);
}

/// mboxrd escaping: one or more '>' followed by "From ".
bool IsEscapedFrom(std::string_view line) {
  size_t gt = line.find_first_not_of('>');
  return gt > 0 && gt != std::string_view::npos && line.substr(gt).starts_with("From ");
}

}  // namespace

bool IsMboxFromLine(std::string_view line) {
  // git's is_from_line(): scan back from the byte before the line's last one for a ':', then
  // require "H:MM:SS"-like digits around it and a year > 90 after "MM".
  const size_t len = line.size();
  if (len < 20 || !line.starts_with("From ")) return false;
  size_t colon = len - 2;
  for (;;) {
    if (colon <= 5) return false;
    --colon;
    if (line[colon] == ':') break;
  }
  if (colon < 4 || colon + 2 >= len) return false;
  if (!IsDigit(line[colon - 4]) || !IsDigit(line[colon - 2]) || !IsDigit(line[colon - 1]) ||
      !IsDigit(line[colon + 1]) || !IsDigit(line[colon + 2])) {
    return false;
  }
  // strtol(colon + 3): optional whitespace, optional sign, digits.
  size_t p = colon + 3;
  while (p < len && (IsGitSpace(line[p]) || line[p] == '\v' || line[p] == '\f')) ++p;
  bool negative = false;
  if (p < len && (line[p] == '+' || line[p] == '-')) negative = line[p++] == '-';
  long year = 0;
  while (p < len && IsDigit(line[p]) && year < 100000) year = year * 10 + (line[p++] - '0');
  if (negative) year = -year;
  return year > 90;
}

Result<std::vector<std::string>> SplitMbox(std::string_view input, const MboxOptions& options) {
  const MboxLimits& limits = options.limits;
  if (input.size() > limits.max_input_bytes) {
    return Status::TooLarge("mbox: input is " + std::to_string(input.size()) +
                            " bytes, over the limit of " + std::to_string(limits.max_input_bytes));
  }
  size_t pos = 0;
  while (pos < input.size() && IsGitSpace(input[pos])) ++pos;
  if (pos == input.size()) return Status::Invalid("mbox: input is empty");

  const bool bare = !IsMboxFromLine(LineAt(input, pos));
  std::vector<std::string> messages;
  std::string current;
  auto finish = [&]() -> Status {
    size_t k = messages.size() + 1;
    if (current.size() > limits.max_message_bytes) {
      return Status::TooLarge("mbox: message " + std::to_string(k) + " is over the limit of " +
                              std::to_string(limits.max_message_bytes) + " bytes");
    }
    if (!bare) {
      size_t first_nl = current.find('\n');
      if (first_nl == std::string::npos || first_nl + 1 == current.size()) {
        return Status::Invalid("mbox: message " + std::to_string(k) + " is empty");
      }
    }
    if (current.back() != '\n') {
      return Status::Invalid("mbox: message " + std::to_string(k) +
                             " is truncated: its last line has no newline");
    }
    if (messages.size() >= limits.max_messages) {
      return Status::TooLarge("mbox: more than " + std::to_string(limits.max_messages) +
                              " messages");
    }
    messages.push_back(std::move(current));
    current.clear();
    return Status::Ok();
  };

  bool first = true;
  while (pos < input.size()) {
    std::string_view line = LineAt(input, pos);
    pos += line.size();
    if (!first && !bare && IsMboxFromLine(line)) VIGIL_RETURN_IF_ERROR(finish());
    first = false;
    if (!options.keep_cr && line.size() > 1 && line.ends_with("\r\n")) {
      line.remove_suffix(2);
      if (options.mboxrd && IsEscapedFrom(line)) line.remove_prefix(1);
      current.append(line);
      current.push_back('\n');
    } else {
      if (options.mboxrd && IsEscapedFrom(line)) line.remove_prefix(1);
      current.append(line);
    }
    if (current.size() > limits.max_message_bytes) VIGIL_RETURN_IF_ERROR(finish());
  }
  VIGIL_RETURN_IF_ERROR(finish());
  return messages;
}

}  // namespace vigil::patch
