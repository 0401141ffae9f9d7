#!/usr/bin/env bash
# SMTP intake benchmark (not a test). In one run, 16 concurrent sessions (Postfix's smtp-source,
# several messages per connection) deliver 20 KB messages for DURATION seconds to
#   1. Postfix's smtp-sink: a server that stores nothing (the protocol's upper bound here), and
#   2. `vigil serve`'s SMTP intake, where every 250 means fsynced in SQLite.
# Prints messages/s for both and the ratio, and checks that Vigil stored every message it
# acknowledged. Needs postfix (smtp-sink, smtp-source) and sqlite3.
# Usage: bench/smtp_bench.sh [path/to/vigil]     (env: DURATION=10 SESSIONS=16 SIZE=20480)
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL=${1:-build/vigil}
DURATION=${DURATION:-10}
SESSIONS=${SESSIONS:-16}
SIZE=${SIZE:-20480}
for tool in smtp-sink smtp-source sqlite3; do
  command -v "$tool" >/dev/null || { echo "smtp_bench: $tool not found (apt-get install postfix sqlite3)" >&2; exit 2; }
done

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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Runs smtp-source against PORT for DURATION seconds; prints the number of messages it completed.
load() {
  timeout "$DURATION" smtp-source -c -d -s "$SESSIONS" -l "$SIZE" -m 100000000 \
    -f bench@example.net -t security@example.org "127.0.0.1:$1" >"$tmp/$2.out" 2>"$tmp/$2.err" || true
  tr '\r' '\n' <"$tmp/$2.out" | grep -E '^[0-9]+$' | tail -n1 || echo 0
}

# 1. The store-nothing sink.
sink_port=$(free_port)
smtp-sink -u nobody "127.0.0.1:$sink_port" 256 &
sink_pid=$!
sleep 0.3
sink_count=$(load "$sink_port" sink)
kill "$sink_pid"; wait "$sink_pid" 2>/dev/null || true; sink_pid=""

# 2. Vigil.
"$VIGIL" init --dir "$tmp/vigil" --port 0 >/dev/null
sed -i -e 's/^enabled = false/enabled = true/' -e 's/^smtp_port = .*/smtp_port = 0/' \
  -e 's/^connections_per_minute = .*/connections_per_minute = 0/' \
  -e 's/^messages_per_minute = .*/messages_per_minute = 0/' "$tmp/vigil/vigil.toml"
"$VIGIL" -c "$tmp/vigil/vigil.toml" serve --port 0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
vigil_pid=$!
for _ in $(seq 100); do grep -q 'smtp listening' "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
vigil_port=$(grep -o 'smtp listening on 127.0.0.1:[0-9]*' "$tmp/serve.out" | cut -d: -f2)
vigil_count=$(load "$vigil_port" vigil)
kill -KILL "$vigil_pid"; wait "$vigil_pid" 2>/dev/null || true; vigil_pid=""
stored=$(sqlite3 "$tmp/vigil/data/vigil.db" 'SELECT COUNT(*) FROM mail_inbox')

awk -v s="$sink_count" -v v="$vigil_count" -v d="$DURATION" -v st="$stored" -v n="$SESSIONS" -v z="$SIZE" 'BEGIN {
  printf "smtp_bench: %d sessions, %d-byte messages, %d s each\n", n, z, d
  printf "  smtp-sink (stores nothing): %8.0f messages/s\n", s / d
  printf "  vigil (durable, 250 after fsync): %8.0f messages/s (%d acknowledged, %d stored after SIGKILL)\n", v / d, v, st
  printf "  ratio vigil/smtp-sink: %.2f\n", (s > 0 ? v / s : 0)
  if (st < v) { printf "  LOST: %d acknowledged messages are not stored\n", v - st; exit 1 }
}'
