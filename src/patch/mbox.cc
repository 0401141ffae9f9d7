#include "patch/mbox.h"

#include <string.h>

#include <functional>
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

Status ForEachMboxMessage(std::string_view input, const MboxOptions& options,
                          const std::function<Status(std::string_view)>& visit) {
  const MboxLimits& limits = options.limits;
  if (input.size() > limits.max_input_bytes) {
    return Status::TooLarge("mbox: input is " + std::to_string(input.size()) +
                            " bytes, over the limit of " + std::to_string(limits.max_input_bytes));
  }
  size_t pos = 0;
  while (pos < input.size() && IsGitSpace(input[pos])) ++pos;
  if (pos == input.size()) return Status::Invalid("mbox: input is empty");

  const bool bare = !IsMboxFromLine(LineAt(input, pos));

  // First find where each message starts, then copy each one once, reserved to its size.
  std::vector<size_t> starts = {pos};
  if (!bare) {
    // Every "\nFrom " (memmem finds them much faster than looking at every line).
    const char* const begin = input.data();
    const char* const end = begin + input.size();
    for (const char* at = begin + pos; at < end;) {
      const void* hit = memmem(at, static_cast<size_t>(end - at), "\nFrom ", 6);
      if (!hit) break;
      const size_t p = static_cast<size_t>(static_cast<const char*>(hit) - begin);
      at = static_cast<const char*>(hit) + 1;
      if (IsMboxFromLine(LineAt(input, p + 1))) {
        if (starts.size() >= limits.max_messages) {
          return Status::TooLarge("mbox: more than " + std::to_string(limits.max_messages) +
                                  " messages");
        }
        starts.push_back(p + 1);
      }
    }
  }
  starts.push_back(input.size());

  std::string buffer;  // holds a message only when it had to change
  for (size_t k = 1; k < starts.size(); ++k) {
    const std::string number = std::to_string(k);
    std::string_view raw = input.substr(starts[k - 1], starts[k] - starts[k - 1]);
    std::string_view message = raw;
    if ((!options.keep_cr && raw.find("\r\n") != std::string_view::npos) ||
        (options.mboxrd && raw.find(">From ") != std::string_view::npos)) {
      buffer.clear();
      for (size_t p = 0; p < raw.size();) {
        std::string_view line = LineAt(raw, p);
        p += line.size();
        const bool crlf = !options.keep_cr && line.size() > 1 && line.ends_with("\r\n");
        if (crlf) line.remove_suffix(2);
        if (options.mboxrd && IsEscapedFrom(line)) line.remove_prefix(1);
        buffer.append(line);
        if (crlf) buffer.push_back('\n');
      }
      message = buffer;
    }
    if (message.size() > limits.max_message_bytes) {
      return Status::TooLarge("mbox: message " + number + " is over the limit of " +
                              std::to_string(limits.max_message_bytes) + " bytes");
    }
    if (!bare) {
      size_t first_nl = message.find('\n');
      if (first_nl == std::string_view::npos || first_nl + 1 == message.size()) {
        return Status::Invalid("mbox: message " + number + " is empty");
      }
    }
    if (message.back() != '\n') {
      return Status::Invalid("mbox: message " + number +
                             " is truncated: its last line has no newline");
    }
    VIGIL_RETURN_IF_ERROR(visit(message));
  }
  return Status::Ok();
}

Result<std::vector<std::string>> SplitMbox(std::string_view input, const MboxOptions& options) {
  std::vector<std::string> messages;
  VIGIL_RETURN_IF_ERROR(ForEachMboxMessage(input, options, [&](std::string_view message) {
    messages.emplace_back(message);
    return Status::Ok();
  }));
  return messages;
}

}  // namespace vigil::patch
