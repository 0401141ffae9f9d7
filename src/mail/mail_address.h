// The addresses the gateway answers to: the security address, its plus-addresses
// (security+<REPORT-ID>@domain), a participant's personal reply address
// (security+<REPORT-ID>.<TAG>@domain), the per-message bounce address
// (security+<REPORT-ID>.b<OUTBOX-ID>.<TAG>@domain), and the [<REPORT-ID>] subject tag.
#pragma once

#include <cstdint>
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

/// A recipient of ours, taken apart. TAG and OUTBOX_ID say what the address claims; whether
/// the tag is genuine is the MailTags' decision (service/mail_tags.h).
struct SecurityRecipient {
  std::string report_id;  // upper-cased; "" for the bare security address
  std::string tag;        // lower-cased; "" when the address has none
  int64_t outbox_id = 0;  // > 0: a bounce address (security+<ID>.b<N>.<TAG>)
};

/// Taken apart: nullopt when ADDRESS is not ours or its plus-part is not one of the forms above
/// (a well-formed report id; a tag of 1 to 64 letters and digits; N of 1 to 18 digits).
std::optional<SecurityRecipient> ParseSecurityRecipient(std::string_view address,
                                                        const SecurityAddress& ours);

/// For an envelope or header recipient: nullopt when ADDRESS is not ours; "" for the security
/// address; the (upper-cased) report id for a plus-address with a well-formed id (tagged or
/// not).
std::optional<std::string> MatchSecurityRecipient(std::string_view address,
                                                  const SecurityAddress& ours);

/// The first "[<REPORT-ID>]" tag with a well-formed id in SUBJECT, or "".
std::string SubjectReportTag(std::string_view subject);

}  // namespace vigil::mail
