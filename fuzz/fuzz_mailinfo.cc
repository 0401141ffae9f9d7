// mailinfo (patch/mailinfo): any bytes as one mail of a patch series, with and without scissors
// and in-body headers.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "patch/mailinfo.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte chooses the options; the rest is the mail.
  uint8_t flags = data[0];
  std::string_view mail(reinterpret_cast<const char*>(data + 1), size - 1);
  vigil::patch::MailinfoOptions options;
  options.scissors = flags & 1;
  options.inbody_headers = (flags & 2) == 0;
  options.keep_subject = flags & 4;
  options.keep_non_patch_brackets = flags & 8;
  options.message_id = flags & 16;
  options.strip_quoted_cr = flags & 32;
  auto info = vigil::patch::ParseMail(mail, options);
  if (info.ok()) (void)vigil::patch::ParseSeriesPosition(info->subject);
  (void)vigil::patch::StripSpace(mail);
  return 0;
}
