// `vigil-full`: the complete `vigil` command (every command group). Users run `vigil`, which
// execs this program for every command it does not run itself (see main.cc). It is also the
// decryption helper the mail gateway runs incoming encrypted mail through (openpgp_helper.h).
#include <string_view>

#include "cli/cli.h"
#include "mail/openpgp_helper.h"

int main(int argc, char** argv) {
  if (argc == 3 && std::string_view(argv[1]) == vigil::mail::kDecryptHelperCommand) {
    return vigil::mail::DecryptHelperMain(argv[2]);
  }
  return vigil::RunVigil(argc, argv);
}
