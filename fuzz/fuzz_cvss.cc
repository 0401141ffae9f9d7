// CVSS vectors (advisory/cvss): any bytes as a vector; a line of the test vector files
// ("VECTOR - (scores)") is cut at " - ".
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "advisory/cvss.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view vector(reinterpret_cast<const char*>(data), size);
  if (size_t dash = vector.find(" - "); dash != std::string_view::npos) {
    (void)vigil::advisory::FormatScoreLine(vector.substr(0, dash));
  }
  (void)vigil::advisory::FormatScoreLine(vector, vigil::advisory::ScoreLineStyle::kTuple);
  (void)vigil::advisory::FormatScoreLine(vector, vigil::advisory::ScoreLineStyle::kBare);
  return 0;
}
