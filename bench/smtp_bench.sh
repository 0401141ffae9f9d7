#!/usr/bin/env bash
# SMTP intake benchmark. In one run, 16 concurrent sessions (Postfix's smtp-source, several
# messages per connection) deliver 20 KB messages for DURATION seconds to
#   1. Postfix's smtp-sink: a server that stores nothing (the protocol's upper bound here), and
#   2. `vigil serve`'s SMTP intake, where every 250 means fsynced in SQLite.
# Prints messages/s for both and the ratio. Needs postfix (smtp-sink, smtp-source) and sqlite3.
# Usage: bench/smtp_bench.sh [--quick] [path/to/vigil]   (env: DURATION=10 SESSIONS=16 SIZE=20480)
#   --quick: DURATION defaults to 2 (the test bench_quick_smtp runs it).
# In every mode it exits 1, naming each failure, when a correctness check fails (never on a
# figure): after SIGKILL, a message Vigil acknowledged is not stored, or more are stored than the
# acknowledged plus one in flight per session; smtp-source stopped before DURATION or reported an
# error (a 4xx/5xx answer such as 451/452); the server logged an error (a storage failure) or died
# before the SIGKILL; the database is not intact; smtp-sink delivered nothing (the anchor).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
if [[ ${1:-} == --quick ]]; then
  quick=1
  shift
fi
VIGIL=${1:-build/vigil}
if ((quick)); then DURATION=${DURATION:-2}; else DURATION=${DURATION:-10}; fi
SESSIONS=${SESSIONS:-16}
SIZE=${SIZE:-20480}
for tool in smtp-sink smtp-source sqlite3; do
  command -v "$tool" >/dev/null || { echo "smtp_bench: $tool not found (apt-get install postfix sqlite3)" >&2; exit 2; }
done
[[ -x $VIGIL ]] || { echo "smtp_bench: no vigil binary at $VIGIL (build first)" >&2; exit 2; }

tmp=$(mktemp -d)
sink_pid=""
vigil_pid=""
cleanup() {
  [[ -n $sink_pid ]] && kill "$sink_pid" 2>/dev/null || true
  [[ -n $vigil_pid ]] && kill "$vigil_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
die() {
  echo "smtp_bench: $*" >&2
  exit 1
}
failures=()

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Runs smtp-source against PORT for DURATION seconds; prints the number of messages it completed.
# smtp-source must run until `timeout` stops it (exit 124) and print nothing on stderr: anything
# else (it gives up on a 4xx or 5xx answer) is added to the failures.
load() {
  local rc=0
  timeout "$DURATION" smtp-source -c -d -s "$SESSIONS" -l "$SIZE" -m 100000000 \
    -f bench@example.net -t security@example.org "127.0.0.1:$1" >"$tmp/$2.out" 2>"$tmp/$2.err" || rc=$?
  tr '\r' '\n' <"$tmp/$2.out" | grep -E '^[0-9]+$' | tail -n1 || echo 0
  if ((rc != 124)) || [[ -s $tmp/$2.err ]]; then
    echo "smtp-source against $2 exited $rc before $DURATION s: $(head -n 3 "$tmp/$2.err")" >"$tmp/$2.failed"
  fi
}

# 1. The store-nothing sink (as nobody when run as root).
sink_port=$(free_port)
sink_user=()
[[ $(id -u) -eq 0 ]] && sink_user=(-u nobody)
smtp-sink "${sink_user[@]}" "127.0.0.1:$sink_port" 256 &
sink_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$sink_port") 2>/dev/null && break; sleep 0.05; done
sink_count=$(load "$sink_port" sink)
kill "$sink_pid"; wait "$sink_pid" 2>/dev/null || true; sink_pid=""
[[ -f $tmp/sink.failed ]] && failures+=("$(cat "$tmp/sink.failed")")
((sink_count > 0)) || failures+=("smtp-sink accepted no message (the anchor)")

# 2. Vigil.
"$VIGIL" init --dir "$tmp/vigil" --port 0 >/dev/null
sed -i -e 's/^enabled = false/enabled = true/' -e 's/^smtp_port = .*/smtp_port = 0/' \
  -e 's/^connections_per_minute = .*/connections_per_minute = 0/' \
  -e 's/^smtp_connections_per_address = .*/smtp_connections_per_address = 1000/' \
  -e 's/^messages_per_minute = .*/messages_per_minute = 0/' "$tmp/vigil/vigil.toml"
"$VIGIL" -c "$tmp/vigil/vigil.toml" serve --port 0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
vigil_pid=$!
for _ in $(seq 100); do grep -q 'smtp listening' "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
vigil_port=$(grep -o 'smtp listening on 127.0.0.1:[0-9]*' "$tmp/serve.out" | cut -d: -f2 || true)
[[ -n $vigil_port ]] || die "vigil serve did not start its SMTP intake: $(cat "$tmp/serve.err")"
vigil_count=$(load "$vigil_port" vigil)
[[ -f $tmp/vigil.failed ]] && failures+=("$(cat "$tmp/vigil.failed")")
kill -0 "$vigil_pid" 2>/dev/null || failures+=("vigil serve died during the load")
kill -KILL "$vigil_pid"; wait "$vigil_pid" 2>/dev/null || true; vigil_pid=""
stored=$(sqlite3 "$tmp/vigil/data/vigil.db" 'SELECT COUNT(*) FROM mail_inbox')
integrity=$(sqlite3 "$tmp/vigil/data/vigil.db" 'PRAGMA integrity_check' 2>&1 | head -n 3)

awk -v s="$sink_count" -v v="$vigil_count" -v d="$DURATION" -v st="$stored" -v n="$SESSIONS" -v z="$SIZE" 'BEGIN {
  printf "smtp_bench: %d sessions, %d-byte messages, %d s each\n", n, z, d
  printf "  smtp-sink (stores nothing): %8.0f messages/s\n", s / d
  printf "  vigil (durable, 250 after fsync): %8.0f messages/s (%d acknowledged, %d stored after SIGKILL)\n", v / d, v, st
  printf "  ratio vigil/smtp-sink: %.2f\n", (s > 0 ? v / s : 0)
}'

# --- Correctness: every check, in every mode.
((vigil_count > 0)) || failures+=("vigil acknowledged no message")
((stored >= vigil_count)) || failures+=("LOST: $((vigil_count - stored)) acknowledged messages are not stored")
((stored <= vigil_count + SESSIONS)) ||
  failures+=("$stored messages stored, more than the $vigil_count acknowledged plus $SESSIONS in flight")
[[ $integrity == ok ]] || failures+=("PRAGMA integrity_check: $integrity")
# The log is JSON lines; an error (such as "mail not stored") or a line that is not one (a crash).
bad_log=$(grep -Ev '^\{"ts":"[^"]*","level":"(trace|debug|info|warn)"' "$tmp/serve.err" | head -n 5 || true)
[[ -z $bad_log ]] || failures+=("the server logged errors: $bad_log")
warnings=$(grep -c '"level":"warn"' "$tmp/serve.err" || true)
echo "  server log: $warnings warnings"
if ((${#failures[@]})); then
  printf 'smtp_bench: FAILED: %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "  checks passed: every acknowledged message stored, no refusal, no error logged"
