#include "mail/mail_address.h"

#include <cctype>

#include "core/report.h"
#include "core/report_id.h"

namespace vigil::mail {

std::optional<std::string> MatchSecurityRecipient(std::string_view address,
                                                  const SecurityAddress& ours) {
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  if (LowerAscii(address.substr(at + 1)) != LowerAscii(ours.domain)) return std::nullopt;
  const std::string local(address.substr(0, at));
  const std::string lower = LowerAscii(local);
  const std::string base = LowerAscii(ours.local);
  if (lower == base) return std::string();
  if (!lower.starts_with(base + "+")) return std::nullopt;
  std::string id = local.substr(base.size() + 1);
  for (char& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!IsWellFormedReportId(id)) return std::nullopt;
  return id;
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
