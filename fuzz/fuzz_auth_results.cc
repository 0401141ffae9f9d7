// Authentication-Results (mail/authentication_results): any bytes as a message header.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mail/authentication_results.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  (void)vigil::mail::ParseAuthenticationResults(raw);
  (void)vigil::mail::AuthenticatesDomain(raw, "mx.example.org", "example.org");
  (void)vigil::mail::AuthenticatesDomain(raw, "mx.example.org", "sub.example.org");
  return 0;
}
