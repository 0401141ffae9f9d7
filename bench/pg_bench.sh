#!/usr/bin/env bash
# Intake on PostgreSQL against PostgreSQL itself. On one throwaway server (scripts/with-postgres.sh,
# fsync and synchronous_commit on), in one run:
#   1. pgbench: a custom script of one-row durable INSERTs (a report-sized row, one transaction
#      each) from 64 clients for DURATION seconds: what this server commits at best;
#   2. store_bench --postgres: submissions through ReportService and PgStore, 64 in flight (each
#      a report row, its participant, its events with row digests, its search words).
# Prints transactions/s for both and the ratio (the issue's goal: Vigil >= 0.4x pgbench).
# Usage: bench/pg_bench.sh [--quick] [path/to/store_bench]  (env: DURATION=10 TOTAL=20000)
#   --quick: DURATION 2, TOTAL 2000.
# Exits 1 when store_bench's check fails (an acknowledged submission not stored) or pgbench
# reports a failed transaction; never on a figure.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
if [[ ${1:-} == --quick ]]; then
  quick=1
  shift
fi
STORE_BENCH=${1:-build/bench/store_bench}
if ((quick)); then
  DURATION=${DURATION:-2} TOTAL=${TOTAL:-2000}
else
  DURATION=${DURATION:-10} TOTAL=${TOTAL:-20000}
fi
[[ -x $STORE_BENCH ]] || { echo "pg_bench: no store_bench at $STORE_BENCH (build first)" >&2; exit 2; }

if [[ ${VIGIL_PG_BENCH_INNER:-} != 1 ]]; then
  export VIGIL_PG_BENCH_INNER=1 DURATION TOTAL
  exec bash scripts/with-postgres.sh bash "$0" "$STORE_BENCH"
fi

# Inside: the server is up. pgbench and psql log in as the test role.
export PGPASSWORD
PGPASSWORD=$(cat "$VIGIL_TEST_PG_PASSWORD_FILE")
bin=$VIGIL_TEST_PG_BIN
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin/psql" -q -v ON_ERROR_STOP=1 "$VIGIL_TEST_PG_URL" -c \
  "CREATE TABLE intake (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     subject TEXT NOT NULL, steps TEXT NOT NULL, created_at BIGINT NOT NULL)"
cat >"$tmp/insert.sql" <<'SQL'
INSERT INTO intake (subject, steps, created_at) VALUES ('Heap overflow in the flow exporter', '1. send a crafted IPFIX record 2. watch the agent crash', 1790000000000000);
SQL
"$bin/pgbench" -n -c 64 -j 2 -T "$DURATION" -f "$tmp/insert.sql" "$VIGIL_TEST_PG_URL" \
  >"$tmp/pgbench.out" 2>&1 || { cat "$tmp/pgbench.out" >&2; exit 1; }
pg_tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$tmp/pgbench.out")
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$tmp/pgbench.out")
if [[ -z $pg_tps || ${failed:-0} != 0 ]]; then
  cat "$tmp/pgbench.out" >&2
  echo "pg_bench: FAILED: pgbench gave no rate or failed transactions" >&2
  exit 1
fi
"$STORE_BENCH" --postgres "$TOTAL" 64 >"$tmp/store.out" 2>&1 || { cat "$tmp/store.out" >&2; exit 1; }
cat "$tmp/store.out"
vigil_rate=$(sed -n 's/^[0-9]* submissions (0 failed) in [0-9.]* s: \([0-9]*\)\/s.*/\1/p' "$tmp/store.out")
[[ -n $vigil_rate ]] || { echo "pg_bench: FAILED: no rate from store_bench" >&2; exit 1; }
echo "pgbench one-row durable inserts, 64 clients: $pg_tps tps"
echo "vigil submissions on PostgreSQL, 64 in flight: $vigil_rate/s"
awk -v v="$vigil_rate" -v p="$pg_tps" 'BEGIN { printf "ratio vigil/pgbench: %.2f (goal >= 0.4)\n", v / p }'
