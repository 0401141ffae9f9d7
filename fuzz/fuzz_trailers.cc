// Trailers (patch/trailers): any bytes as a commit message and as a follow-up reply.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "patch/trailers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto source :
       {vigil::patch::TrailerSource::kCommitMessage, vigil::patch::TrailerSource::kFollowup}) {
    for (const auto& trailer : vigil::patch::ParseTrailers(text, source)) {
      (void)vigil::patch::IsApprovalTrailer(trailer);
      (void)vigil::patch::TrailerMatchesSender(trailer, "a@example.org");
    }
  }
  return 0;
}
