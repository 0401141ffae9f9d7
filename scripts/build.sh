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
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j"$jobs" "${targets[@]}"
