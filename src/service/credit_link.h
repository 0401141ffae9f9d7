// Credit links: how a fix author who may not be read into the report answers one question, how
// their name appears in the advisory. The token is the report, the author's address and an
// expiry, sealed with the secrets key (`[data] totp_key_file`, service/totp_secret_box.h) under
// its own associated data: nothing is stored, the holder learns nothing from the token, and it
// opens the credit page of that one credit (Action::kConsent) and nothing else.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"
#include "service/totp_secret_box.h"

namespace vigil {

/// The prefix of a credit link's token ("vgcr_" + URL-safe Base64, no padding).
inline constexpr std::string_view kCreditLinkPrefix = "vgcr_";
/// How long a credit link opens its page after the request was made.
inline constexpr int kCreditLinkDays = 180;
/// The longest token read; longer ones are refused unread.
inline constexpr size_t kMaxCreditLinkBytes = 600;

struct CreditLink {
  std::string report_id;
  std::string email;  // lower-case: the credit's address, to which the request went
  Instant expires = 0;
};

/// The token of LINK, sealed with BOX (a fresh nonce each time).
std::string MakeCreditLinkToken(const TotpSecretBox& box, const CreditLink& link);

/// The link inside TOKEN; nullopt when it is not a credit link, was sealed with another key or
/// altered. Expiry is the caller's to check.
std::optional<CreditLink> ReadCreditLinkToken(const TotpSecretBox& box, std::string_view token);

}  // namespace vigil
