// Authentication-Results (RFC 8601): what the receiving MTA's DKIM/DMARC checks said about a
// message. Vigil does not verify DKIM itself; it trusts the field its own MTA adds, named by
// that MTA's authserv-id (the MTA must remove fields with its id that arrive from outside, as
// RFC 8601 section 5 requires and OpenDKIM, OpenDMARC and rspamd do).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vigil::mail {

/// One "method=result" of an Authentication-Results field, with its properties.
struct AuthResult {
  std::string method;  // lower case: "dkim", "dmarc", "spf", ...
  std::string result;  // lower case: "pass", "fail", "none", ...
  std::vector<std::pair<std::string, std::string>> properties;  // ("header.d", "example.org")
};

struct AuthResultsField {
  std::string authserv_id;  // lower case
  std::vector<AuthResult> results;
};

/// Every Authentication-Results field of the header of RAW (the text up to the first empty
/// line; folded lines unfolded, comments removed). Malformed fields are skipped. At most 64
/// fields of at most 8 KiB each are read.
std::vector<AuthResultsField> ParseAuthenticationResults(std::string_view raw);

/// True when the topmost field added by AUTHSERV_ID (compared case-insensitively; empty never
/// matches) vouches for mail from FROM_DOMAIN: dmarc=pass with header.from equal to FROM_DOMAIN,
/// or dkim=pass with header.d (or header.i's domain) equal to FROM_DOMAIN or a parent domain of
/// it (relaxed alignment). Only the topmost such field counts: the receiving MTA adds its field
/// above every field that came with the message (RFC 8601 section 5), so a lower one with the
/// same id was written by someone else; a topmost one that cannot be read vouches for nothing.
/// A field of another authserv-id counts for nothing: anyone can write one.
bool AuthenticatesDomain(std::string_view raw, std::string_view authserv_id,
                         std::string_view from_domain);

/// RAW without the Authentication-Results fields of its header that claim AUTHSERV_ID (compared
/// case-insensitively; with their folded lines), for mail that did not come through that MTA:
/// what RFC 8601 section 5 asks of the MTA that owns the id. *REMOVED (if given) is set to how
/// many were removed. The body and every other field are kept byte for byte.
std::string RemoveAuthenticationResults(std::string_view raw, std::string_view authserv_id,
                                        int* removed = nullptr);

}  // namespace vigil::mail
