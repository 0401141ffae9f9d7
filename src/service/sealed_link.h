// Private links waiting in the outbox. A mail that carries someone's capability link (the
// reporter's receipt, an invitation, a replaced link) is queued with the token sealed, so the
// database and its backups never hold a working link: "<public_url>/track/" + kSealedLinkMarker
// + the sealed token. The mail sender opens it when the mail goes out; `vigil mail show` never
// does. The key is the one that seals TOTP secrets (outside the database, `[data]
// totp_key_file`), with associated data that binds the token to its report and recipient and
// sets it apart from a TOTP secret.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "service/totp_secret_box.h"

namespace vigil {

inline constexpr std::string_view kSealedLinkMarker = "vigil-sealed-link:";

/// kSealedLinkMarker + BOX's sealed form of TOKEN for RECIPIENT's mail about REPORT_ID.
std::string SealLink(const TotpSecretBox& box, std::string_view report_id,
                     std::string_view recipient, std::string_view token);

/// TEXT with every sealed link opened (BOX) back into its token. Error (kInvalidArgument, the
/// mail cannot be sent as written): "the private link in this mail cannot be opened (sealed
/// with another key, or altered); replace RECIPIENT's link on ID (its report page, or POST
/// /api/v1/reports/ID/participants/relink) to send a new one".
Result<std::string> OpenSealedLinks(const TotpSecretBox& box, std::string_view report_id,
                                    std::string_view recipient, std::string text);

/// Whether TEXT holds a sealed link.
bool HasSealedLink(std::string_view text);

/// Whether outbox mail of KIND may carry a sealed link: the kinds whose whole body the service
/// writes (a receipt or invitation, a replaced link, a fix author's credit request). Only those are
/// opened or hidden, so text someone wrote (a message, a reason) that happens to hold the marker
/// goes out as written.
bool CarriesPrivateLink(std::string_view kind);

/// TEXT with every sealed link replaced by REPLACEMENT, unopened.
std::string HideSealedLinks(std::string text, std::string_view replacement);

}  // namespace vigil
