// The diff parser and patch-id (patch/diff, patch/patch_id): any bytes as a patch.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "patch/diff.h"
#include "patch/patch_id.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto files = vigil::patch::ParseDiff(text);
  if (files.ok()) {
    for (const auto& file : *files) (void)vigil::patch::FileStatusName(file.status);
  }
  (void)vigil::patch::ComputePatchIds(text, vigil::patch::PatchIdMode::kStable);
  (void)vigil::patch::ComputePatchIds(text, vigil::patch::PatchIdMode::kUnstable);
  std::string out;
  std::string_view rest;
  (void)vigil::patch::UnquoteCStyle(text, &out, &rest);
  return 0;
}
