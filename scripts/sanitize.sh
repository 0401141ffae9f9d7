#!/usr/bin/env bash
# Builds Vigil with clang's sanitizers and runs tests under them; any report fails the test that
# triggered it (-fno-sanitize-recover=all, halt_on_error), so a passing run has 0 reports.
#
#   scripts/sanitize.sh asan    ASan+UBSan (build-asan/): every unit and integration test, except
#                               the long ones (soak, bench_quick_*, the browser test), the two
#                               install checks (install_deps_guard, install_layout), which test
#                               the release build's packaging, not memory, and the *_postgres
#                               reruns of the service programs (the same code as their SQLite
#                               runs; the PostgreSQL store itself runs here in pg_store_test).
#   scripts/sanitize.sh tsan    TSan (build-tsan/): the store's, the services' and the server's
#                               concurrency tests (only their targets are built).
#
# -O1 -g, tcmalloc off (the sanitizers bring their own allocator). Suppressions for reports that
# are in third-party code live in scripts/sanitizers/ with the reason for each.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?usage: scripts/sanitize.sh asan|tsan}
case $kind in
  asan) build=build-asan sanitize=address,undefined ;;
  tsan) build=build-tsan sanitize=thread ;;
  *) echo "sanitize: unknown kind $kind (asan or tsan)" >&2; exit 2 ;;
esac
VIGIL_TEST_DEPS=1 VIGIL_CI_DEPS=1 bash scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
lock=()
[[ -e /tmp/vigil-build.lock ]] && command -v flock >/dev/null && lock=(flock /tmp/vigil-build.lock)
start=$SECONDS
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DVIGIL_SANITIZE="$sanitize" -DVIGIL_TCMALLOC=OFF -DVIGIL_TESTS=ON -DVIGIL_BENCH=OFF \
  -DVIGIL_WERROR=ON >/dev/null
targets=()
if [[ $kind == tsan ]]; then
  targets=(--target store_test service_test integration_test vigil vigil-full)
fi
"${lock[@]}" cmake --build "$build" -j"$jobs" "${targets[@]}" >"$build/sanitize-build.log" 2>&1 ||
  { tail -n 80 "$build/sanitize-build.log"; exit 1; }
echo "sanitize: $kind: built in $((SECONDS - start)) s"

supp=$PWD/scripts/sanitizers
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$supp/lsan.supp
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp
start=$SECONDS
cd "$build"
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
if [[ $kind == asan ]]; then
  ctest --output-on-failure -j"$jobs" --timeout 900 \
    -E '^(soak_2min|bench_quick_.*|browser_test|install_deps_guard|install_layout|.*_postgres)$'
else
  ctest --output-on-failure -j"$jobs" --timeout 900 \
    -R '(^|/)(StoreContract|StoreTest|WalWriteVfs|ServiceTest|CredentialsTest|ServerTest|ServerProxyTest)\.'
fi
echo "sanitize: $kind: tests passed in $((SECONDS - start)) s"
