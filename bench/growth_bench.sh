#!/usr/bin/env bash
# Growth benchmark (issue 19): loads REPORTS reports with realistic text and about ten events each
# (bench/growth_load.cc: the API's own rows), then measures over HTTP with 16 keep-alive clients
# (wrk, 2 threads, DURATION each): the list's first page, a page 10,000 reports deep through the
# cursor, a full-text search with a few matches and one with many, a report, and submissions at
# that size. Prints two lines:
#   GROWTH backend=sqlite reports=… events=… load_s=… db_bytes=… raw_bytes=… list_p99_ms=…
#   deep_list_p99_ms=… search_p99_ms=… page_p99_ms=… submit_p99_ms=…
#   GROWTH_DETAIL backend=… search_few_p99_ms=… search_many_p99_ms=… copy_s=…
# (search_p99_ms: the worse of the two searches; copy_s: on PostgreSQL, the part of load_s that
# `vigil migrate-data` took).
# Usage: bench/growth_bench.sh [--quick] [REPORTS=100000] [BACKEND=sqlite|postgres] [DURATION=10s]
#   (env: VIGIL=build/vigil, GROWTH_LOAD=build/bench/growth_load)
#   --quick: 2,000 reports, 1 s each, and it checks the loaded rows (the test bench_quick_growth).
# BACKEND=postgres: on a throwaway server that scripts/with-postgres.sh starts (shared_buffers
# 1 GB, fsync on); the reports are loaded into SQLite as for BACKEND=sqlite, then moved with
# `vigil migrate-data` (COPY; the rows are the same, chains verified on arrival), and the server
# runs with [data] backend = "postgres". db_bytes is then pg_database_size.
# Exits 1, naming the failure, when an answer is not 200/201 or the audit chain is broken (never
# on a figure).
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
quick=0
if [[ ${1:-} == --quick ]]; then
  quick=1
  shift
fi
reports=${1:-$((quick ? 2000 : 100000))}
backend=${2:-sqlite}
duration=${3:-$((quick ? 1 : 10))s}
vigil=${VIGIL:-build/vigil}
load=${GROWTH_LOAD:-build/bench/growth_load}
die() {
  echo "growth_bench: $*" >&2
  exit 1
}
[[ $backend == sqlite || $backend == postgres ]] || die "backend $backend: sqlite or postgres"
if [[ $backend == postgres && -z ${VIGIL_TEST_PG_URL:-} ]]; then
  VIGIL_TEST_PG_SETTINGS="shared_buffers=1GB ${VIGIL_TEST_PG_SETTINGS:-}" \
    exec bash scripts/with-postgres.sh bash "$0" "${args[@]}"
fi
for tool in wrk curl; do
  command -v "$tool" >/dev/null ||
    { echo "growth_bench: $tool not found (VIGIL_TEST_DEPS=1 bash scripts/install-deps.sh)" >&2; exit 2; }
done
[[ -x $vigil && -x $load ]] || { echo "growth_bench: build first ($vigil, $load)" >&2; exit 2; }

work=$(mktemp -d)
vigil_pid=""
cleanup() {
  [[ -n $vigil_pid ]] && kill "$vigil_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$vigil" init --dir "$work/vigil" --port 0 >/dev/null
config=$work/vigil/vigil.toml
sed -i 's/^submit_per_minute = .*/submit_per_minute = 0/' "$config"
db=$work/vigil/data/vigil.db
check=()
((quick)) && check=(--quick)
"$load" "$db" "$reports" "${check[@]}" >"$work/load.out" 2>"$work/load.err" ||
  die "loading failed: $(cat "$work/load.err")"
read -r events load_s raw_bytes < <(sed -n 's/^LOAD reports=[0-9]* events=\([0-9]*\) load_s=\([0-9.]*\) raw_bytes=\([0-9]*\)/\1 \2 \3/p' "$work/load.out")
read -r probe deep rare common < <(sed -n 's/^PROBE report=\([^ ]*\) deep_cursor=\([^ ]*\) rare=\([^ ]*\) common=\([^ ]*\)/\1 \2 \3 \4/p' "$work/load.out")
[[ -n ${probe:-} ]] || die "the loader printed no probe: $(cat "$work/load.out")"

"$vigil" -c "$config" user add bench@example.org --role maintainer >/dev/null
token=$("$vigil" -c "$config" token create bench@example.org --label bench | grep -o 'vgt_[A-Za-z0-9_-]*' | head -1)
[[ -n $token ]] || die "no API token"
copy_s=0
if [[ $backend == postgres ]]; then
  started=$(date +%s.%N)
  "$vigil" -c "$config" migrate-data --to "$VIGIL_TEST_PG_URL" \
    --password-file "$VIGIL_TEST_PG_PASSWORD_FILE" >"$work/migrate.out" 2>&1 ||
    die "migrate-data failed: $(cat "$work/migrate.out")"
  copy_s=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  load_s=$(awk -v a="$load_s" -v b="$copy_s" 'BEGIN{printf "%.1f", a+b}')
  rm -f "$db" "$db-wal" "$db-shm"
  # Measured as it serves, not while the server still writes back the copy (gigabytes at 1 M).
  "$VIGIL_TEST_PG_BIN/psql" -qX -v ON_ERROR_STOP=1 "$VIGIL_TEST_PG_ADMIN_URL" -c CHECKPOINT ||
    die "CHECKPOINT after the copy failed"
  sed -i -e 's|^backend = .*|backend = "postgres"|' -e "s|^url = \"\"|url = \"$VIGIL_TEST_PG_URL\"|" \
    -e "s|^password_file = \"\"|password_file = \"$VIGIL_TEST_PG_PASSWORD_FILE\"|" "$config"
fi
VIGIL_LOG_LEVEL=warn "$vigil" -c "$config" serve --port 0 >"$work/vigil.out" 2>"$work/vigil.err" &
vigil_pid=$!
for _ in $(seq 300); do grep -q listening "$work/vigil.out" && break; sleep 0.1; done
url=$(sed -n 's/^vigil: listening on //p' "$work/vigil.out")
[[ -n $url ]] || die "vigil serve did not start: $(cat "$work/vigil.err")"

# p99 in ms of DURATION of GETs of PATH (16 connections), failing on any answer but 200.
get_p99() {
  local out=$work/wrk.$1
  VIGIL_TOKEN=$token wrk -t2 -c16 -d"$duration" --timeout 60s -s bench/get.lua "$url$2" >"$out" 2>&1 ||
    die "wrk on $2 failed: $(cat "$out")"
  local ok other p99
  read -r ok other < <(sed -n 's/^STATUS ok=\([0-9]*\) other=\([0-9]*\)/\1 \2/p' "$out"; echo 0 0)
  ((ok > 0 && other == 0)) || die "GET $2: $ok answers 200, $other others"
  ! grep -q 'Socket errors' "$out" || die "GET $2: $(grep 'Socket errors' "$out")"
  read -r _ p99 < <(sed -n 's/^LATENCY p50_us=\([0-9]*\) p99_us=\([0-9]*\)/\1 \2/p' "$out")
  awk -v u="$p99" 'BEGIN{printf "%.2f", u/1000}'
}
list=$(get_p99 list "/api/v1/reports?limit=50")
deep_list=$(get_p99 deep "/api/v1/reports?limit=50&cursor=$deep")
search=$(get_p99 search "/api/v1/reports?limit=50&q=$rare")
search_many=$(get_p99 many "/api/v1/reports?limit=50&q=$common")
page=$(get_p99 page "/api/v1/reports/$probe")
wrk -t2 -c16 -d"$duration" -s bench/submit.lua "$url/api/v1/reports" >"$work/wrk.submit" 2>&1 ||
  die "wrk submissions failed: $(cat "$work/wrk.submit")"
read -r created other < <(sed -n 's/^STATUS created=\([0-9]*\) other=\([0-9]*\)/\1 \2/p' "$work/wrk.submit"; echo 0 0)
((created > 0 && other == 0)) || die "submissions: $created answered 201, $other others"
read -r _ submit_us < <(sed -n 's/^LATENCY p50_us=\([0-9]*\) p99_us=\([0-9]*\)/\1 \2/p' "$work/wrk.submit")
submit=$(awk -v u="$submit_us" 'BEGIN{printf "%.2f", u/1000}')

kill -TERM "$vigil_pid"
wait "$vigil_pid" || die "vigil serve did not stop cleanly: $(cat "$work/vigil.err")"
vigil_pid=""
"$vigil" -c "$config" audit verify >"$work/verify.out" 2>&1 || die "audit verify: $(cat "$work/verify.out")"
if [[ $backend == postgres ]]; then
  db_bytes=$("$VIGIL_TEST_PG_BIN/psql" -qtA -v ON_ERROR_STOP=1 "$VIGIL_TEST_PG_ADMIN_URL" \
    -c "CHECKPOINT" -c "SELECT pg_database_size('vigil')" | tail -1)
else
  # The database as it rests: the WAL folded in (sqlite3 is a test dependency), then both files.
  command -v sqlite3 >/dev/null && sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
  db_bytes=$(($(stat -c %s "$db") + $(stat -c %s "$db-wal" 2>/dev/null || echo 0)))
fi
search_worse=$(awk -v a="$search" -v b="$search_many" 'BEGIN{printf "%.2f", (a > b ? a : b)}')
echo "GROWTH backend=$backend reports=$reports events=$events load_s=$load_s db_bytes=$db_bytes raw_bytes=$raw_bytes list_p99_ms=$list deep_list_p99_ms=$deep_list search_p99_ms=$search_worse page_p99_ms=$page submit_p99_ms=$submit"
echo "GROWTH_DETAIL backend=$backend search_few_p99_ms=$search search_many_p99_ms=$search_many copy_s=$copy_s"
