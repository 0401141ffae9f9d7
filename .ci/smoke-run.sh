#!/usr/bin/env bash
# Proves the README's run command as a new user meets it: starts `bash scripts/run.sh` (install,
# build, init, serve) on a free port, waits for /healthz, submits the README's `curl` example,
# lists the report with the README's CLI line, and stops the server. Exits non-zero, with the
# server's output, if any of it fails. VIGIL_PROJECT may point elsewhere than ./vigil-project.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
project=${VIGIL_PROJECT:-$root/vigil-project}
export VIGIL_PROJECT=$project
log=$(mktemp)

# A free port: nothing answers a connection there (bash's /dev/tcp; no other tool is installed yet).
port=""
for _ in $(seq 50); do
  p=$((20000 + RANDOM % 40000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[[ -n $port ]] || { echo "smoke: no free port found" >&2; exit 1; }
export VIGIL_PORT=$port

start=$SECONDS
bash scripts/run.sh >"$log" 2>&1 &
server=$!
stop() {
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}
fail() {
  echo "smoke: $*" >&2
  echo "smoke: scripts/run.sh printed:" >&2
  tail -n 60 "$log" >&2
  stop
  exit 1
}

# run.sh installs and builds first (minutes on a fresh machine), then serves: wait for /healthz
# while it is alive, up to 40 minutes, polling with a growing interval.
delay=1
until curl -sf -m 2 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
  kill -0 "$server" 2>/dev/null || fail "scripts/run.sh exited before /healthz answered"
  ((SECONDS - start < 2400)) || fail "/healthz did not answer within 40 minutes"
  sleep "$delay"
  ((delay < 10)) && delay=$((delay + 1))
done
echo "smoke: scripts/run.sh answered /healthz after $((SECONDS - start)) s (install, build, start)"

# The README's curl example, exactly as written there, on this port.
example=$(awk '/^## Using it/{on=1} on && /^curl -s -X POST/{p=1} p{print} p && !/\\$/{exit}' README.md)
[[ -n $example ]] || fail "no curl example found in README.md's 'Using it' section"
answer=$(bash -c "${example//8080/$port}") || fail "the README's curl example failed"
echo "smoke: submitted: $answer"
id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$answer")
[[ -n $id ]] || fail "the submission answered no report id: $answer"

# The README's CLI line (V="build/vigil -c vigil-project/vigil.toml"; $V report list).
listing=$(build/vigil -c "$project/vigil.toml" report list) || fail "vigil report list failed"
echo "$listing"
grep -q "$id" <<<"$listing" || fail "vigil report list does not show $id"
grep -q "Token leak in agent logs" <<<"$listing" || fail "vigil report list does not show the subject"

stop
echo "smoke: the README's run command works: served, took a report, listed it, stopped"
