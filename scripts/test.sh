#!/usr/bin/env bash
# The second README command: installs what Vigil needs, builds it with its tests, and runs every
# test. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL_TEST_DEPS=1 bash scripts/install-deps.sh
# Warnings are errors on Vigil's own code here (a user's `scripts/run.sh` build only warns). The
# benchmarks are built too: their quick modes are tests (bench/README.md).
VIGIL_WERROR=${VIGIL_WERROR:-ON} bash scripts/build.sh -DVIGIL_TESTS=ON -DVIGIL_BENCH=ON
cd build
# Tests run with Debian's programs only (python3, node, git, gpg, ...), never with another
# interpreter or tool that happens to be first on this machine's PATH.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# A test that fails is run once more before the run fails: the suite drives real external
# programs (gpg, chromium, git) under parallel load, and a slow start must not sink a run.
# Every retry is printed in the log.
ctest --output-on-failure -j"$(nproc 2>/dev/null || echo 2)" --timeout 600 --repeat until-pass:2
