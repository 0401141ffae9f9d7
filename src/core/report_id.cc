#include "core/report_id.h"

#include <cstdio>

namespace vigil {
namespace {
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

Status ValidateIdPrefix(std::string_view prefix) {
  bool ok = !prefix.empty() && prefix.size() <= 16 && IsUpper(prefix[0]);
  for (char c : prefix) ok = ok && (IsUpper(c) || IsDigit(c));
  if (!ok) {
    return Status::Invalid("id prefix \"" + std::string(prefix.substr(0, 32)) +
                           "\" must be 1 to 16 upper-case letters and digits, starting with a "
                           "letter");
  }
  return Status::Ok();
}

std::string FormatReportId(std::string_view prefix, int year, int64_t number) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "-%04d-%04lld", year, static_cast<long long>(number));
  return std::string(prefix) + buf;
}

bool IsWellFormedReportId(std::string_view id) {
  // PREFIX '-' YYYY '-' NNNN+
  const size_t first = id.find('-');
  if (first == std::string_view::npos || !ValidateIdPrefix(id.substr(0, first)).ok()) return false;
  const std::string_view rest = id.substr(first + 1);
  if (rest.size() < 9 || rest.size() > 20 || rest[4] != '-') return false;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (i != 4 && !IsDigit(rest[i])) return false;
  }
  return true;
}

}  // namespace vigil
