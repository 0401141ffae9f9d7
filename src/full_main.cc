// `vigil-full`: the complete `vigil` command (every command group). Users run `vigil`, which
// execs this program for every command it does not run itself (see main.cc).
#include "cli/cli.h"

int main(int argc, char** argv) { return vigil::RunVigil(argc, argv); }
