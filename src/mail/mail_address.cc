#include "mail/mail_address.h"

#include <algorithm>
#include <cctype>

#include "core/report.h"
#include "core/report_id.h"

namespace vigil::mail {

namespace {

bool IsTagText(std::string_view t) {
  if (t.empty() || t.size() > 64) return false;
  return std::all_of(t.begin(), t.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

std::optional<SecurityRecipient> ParseSecurityRecipient(std::string_view address,
                                                        const SecurityAddress& ours) {
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  if (LowerAscii(address.substr(at + 1)) != LowerAscii(ours.domain)) return std::nullopt;
  const std::string lower = LowerAscii(address.substr(0, at));
  const std::string base = LowerAscii(ours.local);
  if (lower == base) return SecurityRecipient{};
  if (!lower.starts_with(base + "+")) return std::nullopt;
  std::string_view plus = std::string_view(lower).substr(base.size() + 1);
  SecurityRecipient out;
  const size_t dot = plus.find('.');
  std::string id(plus.substr(0, dot));
  for (char& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!IsWellFormedReportId(id)) return std::nullopt;
  out.report_id = std::move(id);
  if (dot == std::string_view::npos) return out;
  std::string_view rest = plus.substr(dot + 1);
  const size_t second = rest.find('.');
  if (second != std::string_view::npos) {
    const std::string_view n = rest.substr(0, second);
    if (n.size() < 2 || n.size() > 19 || n[0] != 'b' ||
        !std::all_of(n.begin() + 1, n.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    out.outbox_id = std::stoll(std::string(n.substr(1)));
    if (out.outbox_id <= 0) return std::nullopt;
    rest = rest.substr(second + 1);
  }
  if (!IsTagText(rest)) return std::nullopt;
  out.tag = std::string(rest);
  return out;
}

std::optional<std::string> MatchSecurityRecipient(std::string_view address,
                                                  const SecurityAddress& ours) {
  std::optional<SecurityRecipient> r = ParseSecurityRecipient(address, ours);
  if (!r) return std::nullopt;
  return r->report_id;
}

std::string SubjectReportTag(std::string_view subject) {
  size_t pos = 0;
  while ((pos = subject.find('[', pos)) != std::string_view::npos) {
    const size_t close = subject.find(']', pos);
    if (close == std::string_view::npos) break;
    std::string id(subject.substr(pos + 1, close - pos - 1));
    if (id.size() <= 40 && IsWellFormedReportId(id)) return id;
    pos = pos + 1;
  }
  return "";
}

}  // namespace vigil::mail
