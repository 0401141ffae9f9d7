// The MIME reader (mail/mime_message): any bytes as a received message; also the signed-part
// finder and the recipient parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mail/mail_address.h"
#include "mail/mime_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  vigil::mail::MimeLimits limits;
  auto mail = vigil::mail::DecodeMail(raw, limits);
  if (mail.ok()) {
    // An OpenPGP plaintext goes through the same reader as a nested message.
    vigil::mail::ApplyDecrypted(&mail.value(), raw, limits);
  }
  // The RFC 3156 signed parts, taken from the raw bytes (not through GMime).
  if (auto parts = vigil::mail::FindPgpSignedParts(raw)) {
    if (parts->signed_entity.size() > 2 * raw.size() + 2) __builtin_trap();
  }
  // A recipient of ours taken apart (the first line, as an address).
  vigil::mail::SecurityAddress ours;
  (void)vigil::mail::ParseSecurityRecipient(raw.substr(0, raw.find('\n')), ours);
  (void)vigil::mail::CleanText(raw);
  (void)vigil::mail::HtmlToText(raw);
  return 0;
}
