// The addresses the gateway answers to: the security address and its plus-addresses
// (security+<REPORT-ID>@domain), and the [<REPORT-ID>] subject tag.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vigil::mail {

struct SecurityAddress {
  std::string local = "security";  // compared case-insensitively
  std::string domain = "example.org";
  std::string Plain() const { return local + "@" + domain; }
  std::string For(std::string_view report_id) const {
    return local + "+" + std::string(report_id) + "@" + domain;
  }
};

/// For an envelope or header recipient: nullopt when ADDRESS is not ours; "" for the security
/// address; the (upper-cased) report id for a plus-address with a well-formed id.
std::optional<std::string> MatchSecurityRecipient(std::string_view address,
                                                  const SecurityAddress& ours);

/// The first "[<REPORT-ID>]" tag with a well-formed id in SUBJECT, or "".
std::string SubjectReportTag(std::string_view subject);

}  // namespace vigil::mail
