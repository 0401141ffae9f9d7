#include "cli/cli.h"

int main(int argc, char** argv) { return vigil::RunVigil(argc, argv); }
