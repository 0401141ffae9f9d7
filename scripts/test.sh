#!/usr/bin/env bash
# The second README command: installs what Vigil needs, builds it with its tests, and runs every
# test. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL_TEST_DEPS=1 bash scripts/install-deps.sh
bash scripts/build.sh -DVIGIL_TESTS=ON
cd build
# A test that fails is run once more before the run fails: the suite drives real external
# programs (gpg, chromium, git) under parallel load, and a slow start must not sink a run.
# Every retry is printed in the log.
ctest --output-on-failure -j"$(nproc 2>/dev/null || echo 2)" --timeout 600 --repeat until-pass:2
