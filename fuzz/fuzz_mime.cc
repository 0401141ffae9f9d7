// The MIME reader (mail/mime_message): any bytes as a received message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mail/mime_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  vigil::mail::MimeLimits limits;
  auto mail = vigil::mail::DecodeMail(raw, limits);
  if (mail.ok()) {
    // An OpenPGP plaintext goes through the same reader as a nested message.
    vigil::mail::ApplyDecrypted(&mail.value(), raw, limits);
  }
  (void)vigil::mail::CleanText(raw);
  (void)vigil::mail::HtmlToText(raw);
  return 0;
}
