// Authentication-Results (mail/authentication_results): any bytes as a message header; the
// removal of the fields claiming an authserv-id must keep every other byte and leave none of
// them behind.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail/authentication_results.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  (void)vigil::mail::ParseAuthenticationResults(raw);
  (void)vigil::mail::AuthenticatesDomain(raw, "mx.example.org", "example.org");
  (void)vigil::mail::AuthenticatesDomain(raw, "mx.example.org", "sub.example.org");
  int removed = 0;
  const std::string kept =
      vigil::mail::RemoveAuthenticationResults(raw, "mx.example.org", &removed);
  if (kept.size() > raw.size() || (removed == 0 && kept != raw)) std::abort();
  for (const vigil::mail::AuthResultsField& f : vigil::mail::ParseAuthenticationResults(kept)) {
    if (f.authserv_id == "mx.example.org") std::abort();  // one was left behind
  }
  return 0;
}
