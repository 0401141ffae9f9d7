#!/usr/bin/env bash
# Builds Vigil's libFuzzer harnesses (fuzz/, clang with ASan and UBSan, into build-fuzz/) and
# runs each for SECONDS (default 60), two at a time. Exits non-zero when a harness finds
# anything (a crash, a sanitizer report, a leak, a timeout, running out of memory).
#
#   scripts/fuzz.sh [SECONDS] [HARNESS...]     e.g. scripts/fuzz.sh 60 fuzz_smtp fuzz_diff
#
# HARNESS is a name of fuzz/ (fuzz_mime fuzz_mailinfo fuzz_mbox fuzz_diff fuzz_trailers
# fuzz_auth_results fuzz_smtp fuzz_router fuzz_json_body fuzz_cvss fuzz_config); all by default.
# Per harness it prints the CPU seconds it got, the executions, executions per second, coverage (cov: edges, ft:
# features) and the corpus size at the end, and the number of findings.
#
# Seeds come from ../shared/testdata (mailinfo samples, b4 threads, CVSS vectors, OSV records),
# read in place, and from fuzz/seeds/<harness without fuzz_>/. The corpus each run grows is kept in
# build-fuzz/corpus/<harness>/, so the next run starts from it. Crashers go to
# build-fuzz/crashers/<harness>/ (crash-*, leak-*, timeout-*, oom-*); reproduce one with
#   build-fuzz/fuzz/<harness> build-fuzz/crashers/<harness>/crash-...
# and turn it into a regression test of the module's unit tests once fixed.
#
# CI runs `scripts/fuzz.sh 60` (about 6 minutes on 2 cores). The longer campaign, run before a
# release or after a parser changes, is
#   nice -n 19 scripts/fuzz.sh 640 && nice -n 19 scripts/fuzz.sh 800 fuzz_config
# which gives each harness at least 10 CPU-minutes (SECONDS is wall time: 600 s gave 588-596 CPU
# seconds; fuzz_config writes each input to a file and got 691 CPU seconds in 800 s), about 1 hour
# 10 minutes on 2 cores, from the kept corpus; its figures belong in the release note. VIGIL_FUZZ_JOBS sets how many harnesses run at
# once (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
all=(fuzz_mime fuzz_mailinfo fuzz_mbox fuzz_diff fuzz_trailers fuzz_auth_results fuzz_smtp
     fuzz_router fuzz_json_body fuzz_cvss fuzz_config)
harnesses=("$@")
((${#harnesses[@]})) || harnesses=("${all[@]}")
for h in "${harnesses[@]}"; do
  [[ " ${all[*]} " == *" $h "* ]] || { echo "fuzz: unknown harness $h (one of: ${all[*]})" >&2; exit 2; }
done
VIGIL_CI_DEPS=1 bash scripts/install-deps.sh
testdata=$(cd .. && pwd)/shared/testdata
build=build-fuzz
jobs=${VIGIL_FUZZ_JOBS:-2}

# The build: clang, -O1, ASan+UBSan+libFuzzer coverage (VIGIL_FUZZ in CMakeLists.txt). Builds
# go through the machine's build lock when there is one (several worktrees share the cores).
lock=()
[[ -e /tmp/vigil-build.lock ]] && command -v flock >/dev/null && lock=(flock /tmp/vigil-build.lock)
start=$SECONDS
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DVIGIL_FUZZ=ON -DVIGIL_TCMALLOC=OFF -DVIGIL_TESTS=OFF -DVIGIL_WERROR=ON >/dev/null
"${lock[@]}" cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target "${harnesses[@]}" \
  >"$build/fuzz-build.log" 2>&1 || { tail -n 80 "$build/fuzz-build.log"; exit 1; }
echo "fuzz: built ${#harnesses[@]} harness(es) in $((SECONDS - start)) s"

# The seed folders of HARNESS: testdata read in place, and fuzz/seeds/.
seeds() {
  local name=${1#fuzz_} dirs=()
  case $name in
    mime | mailinfo | mbox) dirs+=("$testdata/git-mailinfo" "$testdata/b4-trailers") ;;
    diff | trailers) dirs+=("$testdata/b4-trailers" "$testdata/git-mailinfo") ;;
    auth_results) dirs+=("$testdata/git-mailinfo") ;;
    json_body) dirs+=("$testdata/advisories") ;;
    cvss) dirs+=("$build/seeds/cvss") ;;
  esac
  [[ -d fuzz/seeds/$name ]] && dirs+=("fuzz/seeds/$name")
  for d in "${dirs[@]}"; do [[ -d $d ]] && echo "$d"; done
  return 0
}
# The CVSS vector files hold one "VECTOR - (scores)" per line: one seed per line.
if [[ " ${harnesses[*]} " == *" fuzz_cvss "* && -d $testdata/cvss ]]; then
  rm -rf "$build/seeds/cvss" && mkdir -p "$build/seeds/cvss"
  cat "$testdata"/cvss/* | sed 's/ - .*//' | sort -u |
    split -l 1 -a 4 - "$build/seeds/cvss/v"
fi

run() {
  local h=$1
  local corpus=$build/corpus/$h crashers=$build/crashers/$h log=$build/fuzz-$h.log
  mkdir -p "$corpus" "$crashers"
  local rc=0
  # -rss_limit_mb: a parser that needs 2 GB for one input is a finding. -timeout: 10 s for one
  # input (ASan makes everything slower; a parser is linear). -max_len: inputs up to 256 KiB.
  # The temporary files of the harnesses (fuzz_config, fuzz_router) go to a folder of this run.
  # The CPU time it got (user + system) goes to $log.cpu: under load it is less than SECONDS.
  local TIMEFORMAT='%U %S'
  { time TMPDIR=$tmp ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/fuzz/$h" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=262144 \
    -print_final_stats=1 -artifact_prefix="$crashers/" "$corpus" $(seeds "$h") >"$log" 2>&1; } \
    2>"$log.cpu" || rc=$?
  echo "$rc" >"$log.rc"
}

summary() {
  local h=$1 log=$build/fuzz-$h.log rc
  rc=$(cat "$log.rc")
  local execs eps cov ft corp found
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  local last
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
  found=$(find "$build/crashers/$h" -type f | wc -l)
  ((rc == 0)) || ((found > 0)) || found=1
  local cpu
  cpu=$(awk '{printf "%.0f", $1 + $2}' "$log.cpu" 2>/dev/null || true)
  printf 'fuzz: %-18s cpu %5s s  execs %-10s exec/s %-7s cov %-6s ft %-7s corpus %-12s findings %s\n' \
    "$h" "${cpu:-?}" "${execs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$found"
  if ((found > 0)); then
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 20 || true
    echo "fuzz: $h: see $log and $build/crashers/$h/"
    return 1
  fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Earlier findings are not this run's.
for h in "${harnesses[@]}"; do rm -rf "$build/crashers/$h"; done
start=$SECONDS
running=0
for h in "${harnesses[@]}"; do
  if ((running >= jobs)); then
    wait -n
    running=$((running - 1))
  fi
  run "$h" &
  running=$((running + 1))
done
wait
failed=0
for h in "${harnesses[@]}"; do summary "$h" || failed=1; done
echo "fuzz: ${#harnesses[@]} harness(es), ${seconds} s each, $jobs at a time, in $((SECONDS - start)) s"
exit "$failed"
