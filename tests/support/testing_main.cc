// `vigil-testing`: the complete `vigil` command with the hooks end-to-end tests need, read from
// the environment. The release programs (vigil, vigil-full) have no such hooks.
//   VIGIL_TEST_NOW=<UTC time>             the whole process's clock stands still at that time
//   VIGIL_TEST_CRASH_AFTER_STEP=<N>       a disclosure kills the process (SIGKILL) at its crash
//                                         point N (see DisclosureService::CrashHook)
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/cli.h"

int main(int argc, char** argv) {
  vigil::RuntimeHooks hooks;
  if (const char* now = std::getenv("VIGIL_TEST_NOW"); now && *now) {
    vigil::Result<vigil::Instant> t = vigil::ParseUtc(now);
    if (!t.ok()) {
      std::fprintf(stderr, "vigil: VIGIL_TEST_NOW: %s\n", t.status().message().c_str());
      return 2;
    }
    hooks.clock = std::make_unique<vigil::FakeClock>(*t);
  }
  if (const char* crash = std::getenv("VIGIL_TEST_CRASH_AFTER_STEP"); crash && *crash) {
    const int at = std::atoi(crash);
    hooks.crash_hook = [at](int point) {
      if (point != at) return;
      std::fflush(stdout);
      raise(SIGKILL);
    };
  }
  return vigil::RunVigil(argc, argv, std::move(hooks));
}
