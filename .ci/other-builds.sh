#!/usr/bin/env bash
# Compiles Vigil's programs in the build type the README's scripts do not use, warnings as errors:
# Debug with Debian's GCC 12. Compile only (no tests): scripts/test.sh already built and ran
# everything (benchmarks included) in RelWithDebInfo, and Debian's clang compiles everything,
# warnings as errors, in the sanitizer and fuzzing builds of .ci/in-fresh-root.sh (which replaced
# a GCC Release and a clang Release build here, to keep CI under an hour).
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL_CI_DEPS=1 bash scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
build() {
  local dir=$1
  shift
  local start=$SECONDS
  cmake -S . -B "$dir" -DVIGIL_TESTS=OFF -DVIGIL_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs" -- --no-print-directory >"$dir.log" 2>&1 || { tail -n 80 "$dir.log"; return 1; }
  echo "other-builds: $dir ($*) built in $((SECONDS - start)) s"
}
build build-ci/gcc-debug -DCMAKE_BUILD_TYPE=Debug
