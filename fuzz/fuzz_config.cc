// The TOML configuration (config): any bytes as vigil.toml. LoadConfig reads a file, so the
// input is written to one in a private temporary folder first.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "config/config.h"

namespace {

std::string ConfigPath() {
  static const std::string path = [] {
    const char* tmp = getenv("TMPDIR");
    std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/vigil-fuzz-config.XXXXXX";
    if (mkdtemp(dir.data()) == nullptr) abort();
    return dir + "/vigil.toml";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = ConfigPath();
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr) abort();
  if (size > 0 && fwrite(data, 1, size, f) != size) abort();
  fclose(f);
  auto config = vigil::LoadConfig(path);
  if (config.ok()) (void)config->IoThreads();
  return 0;
}
