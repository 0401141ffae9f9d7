#!/usr/bin/env bash
# Configures and builds Vigil into build/ (release with debug info). Extra arguments go to cmake.
#   scripts/build.sh [--programs] [CMAKE_ARGS...]
# --programs builds only the two programs (vigil, vigil-full), not the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
targets=()
if [[ ${1:-} == --programs ]]; then
  shift
  targets=(--target vigil vigil-full)
fi
# Warnings are errors under $VIGIL_WERROR=ON (scripts/test.sh) and in CI ($CI=true): the same
# flags for the programs and the tests, so building the tests after the programs reuses them.
werror=OFF
[[ ${VIGIL_WERROR:-} == ON || ${CI:-} == true ]] && werror=ON
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_WERROR="$werror" "$@" >/dev/null
cmake --build build -j"$jobs" "${targets[@]}"
