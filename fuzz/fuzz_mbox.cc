// mbox split (patch/mbox): any bytes as an uploaded mbox, plain and mboxrd, with and without
// CRLF kept; the collecting and the visiting split must agree.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "patch/mbox.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t flags = data[0];
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  vigil::patch::MboxOptions options;
  options.mboxrd = flags & 1;
  options.keep_cr = flags & 2;
  auto messages = vigil::patch::SplitMbox(input, options);
  size_t visited = 0;
  vigil::Status status =
      vigil::patch::ForEachMboxMessage(input, options, [&](std::string_view message) {
        // The two ways of splitting agree on every message (when splitting fails, the messages
        // before the one in error are visited).
        if (messages.ok() && (visited >= messages->size() || (*messages)[visited] != message)) {
          abort();
        }
        ++visited;
        return vigil::Status::Ok();
      });
  if (status.ok() != messages.ok() || (messages.ok() && visited != messages->size())) abort();
  (void)vigil::patch::IsMboxFromLine(input.substr(0, input.find('\n') + 1));
  return 0;
}
