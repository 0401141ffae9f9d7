#!/usr/bin/env bash
# The second README command: installs what Vigil needs, builds it with its tests, and runs every
# test. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL_TEST_DEPS=1 bash scripts/install-deps.sh
bash scripts/build.sh -DVIGIL_TESTS=ON
cd build
ctest --output-on-failure -j"$(nproc 2>/dev/null || echo 2)" --timeout 600
