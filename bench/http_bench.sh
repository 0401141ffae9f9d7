#!/usr/bin/env bash
# Benchmark for issue 2: N clients post reports to Vigil for DURATION with wrk, and, in the same
# run on the same machine, wrk fetches a static file from nginx on loopback (the anchor).
# Prints reports/s, p50/p99 latency, Vigil's peak RSS, and the ratio to nginx.
# Usage: bench/http_bench.sh [--quick] [CONNECTIONS=64] [DURATION=10s]   (env: VIGIL=build/vigil)
#   --quick: 16 connections for 2 s each, and nothing installed or built (the test
#   bench_quick_http runs it; wrk and nginx-light come with VIGIL_TEST_DEPS=1 install-deps.sh).
# In every mode it exits 1, naming each failure, when a correctness check fails (never on a
# figure): a submission answered other than 201 or a socket error; the reports stored are not the
# 201 answers (plus at most one per connection, in flight when wrk stopped); the audit chain is
# broken; the server logged an error or did not stop cleanly on SIGTERM; nginx answered other
# than 200 (the anchor then measures nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
if [[ ${1:-} == --quick ]]; then
  quick=1
  shift
fi
if ((quick)); then
  conns=${1:-16}
  duration=${2:-2s}
else
  conns=${1:-64}
  duration=${2:-10s}
fi
vigil=${VIGIL:-build/vigil}
threads=2

if ((!quick)); then
  bash scripts/install-deps.sh
  missing=()
  for p in wrk nginx-light; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  fi
  [[ -x $vigil ]] || bash scripts/build.sh --programs
fi
for tool in wrk nginx sqlite3 curl; do
  command -v "$tool" >/dev/null ||
    { echo "http_bench: $tool not found (VIGIL_TEST_DEPS=1 bash scripts/install-deps.sh)" >&2; exit 2; }
done
[[ -x $vigil ]] || { echo "http_bench: no vigil binary at $vigil (build first)" >&2; exit 2; }

work=$(mktemp -d)
vigil_pid=""
nginx_pid=""
cleanup() {
  [[ -n $vigil_pid ]] && kill "$vigil_pid" 2>/dev/null || true
  [[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
die() {
  echo "http_bench: $*" >&2
  exit 1
}
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- Vigil on a fresh data folder, no submission rate limit, access log off.
"$vigil" init --dir "$work/vigil" --port 0 >/dev/null
sed -i 's/^submit_per_minute = .*/submit_per_minute = 0/' "$work/vigil/vigil.toml"
VIGIL_LOG_LEVEL=warn "$vigil" -c "$work/vigil/vigil.toml" serve --port 0 >"$work/vigil.out" 2>"$work/vigil.err" &
vigil_pid=$!
for _ in $(seq 100); do grep -q listening "$work/vigil.out" && break; sleep 0.1; done
vigil_url=$(sed -n 's/^vigil: listening on //p' "$work/vigil.out")
[[ -n $vigil_url ]] || die "vigil serve did not start: $(cat "$work/vigil.err")"

# --- nginx serving a static file of the size of a submission answer, on a free port, its workers
# as this user (the default, nobody, cannot read the temporary folder).
nginx_port=$(free_port)
mkdir -p "$work/nginx/html" "$work/nginx/tmp"
head -c 150 /dev/zero | tr '\0' 'x' >"$work/nginx/html/report.json"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 2;
user $(id -un);
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/tmp;
  proxy_temp_path $work/nginx/tmp;
  fastcgi_temp_path $work/nginx/tmp;
  uwsgi_temp_path $work/nginx/tmp;
  scgi_temp_path $work/nginx/tmp;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/nginx/html;
  }
}
CONF
nginx -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" 2>"$work/nginx/start.err" &
nginx_pid=$!
nginx_url=http://127.0.0.1:$nginx_port/report.json
for _ in $(seq 100); do curl -fs "$nginx_url" >/dev/null && break; sleep 0.1; done
curl -fs "$nginx_url" >/dev/null ||
  die "nginx does not serve $nginx_url: $(cat "$work/nginx/start.err" "$work/nginx/error.log" 2>/dev/null)"

echo "== wrk: $conns connections, $threads threads, $duration"
wrk -t$threads -c"$conns" -d"$duration" --latency -s bench/submit.lua "$vigil_url/api/v1/reports" >"$work/vigil.wrk" 2>&1 ||
  die "wrk against Vigil failed: $(cat "$work/vigil.wrk")"
wrk -t$threads -c"$conns" -d"$duration" --latency -s bench/static.lua "$nginx_url" >"$work/nginx.wrk" 2>&1 ||
  die "wrk against nginx failed: $(cat "$work/nginx.wrk")"

rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$vigil_pid/status" 2>/dev/null || echo 0)
kill -TERM "$vigil_pid"
serve_rc=0
wait "$vigil_pid" || serve_rc=$?
vigil_pid=""
stored=$(sqlite3 "$work/vigil/data/vigil.db" 'SELECT COUNT(*) FROM reports')
verify_rc=0
verify=$("$vigil" -c "$work/vigil/vigil.toml" audit verify 2>&1) || verify_rc=$?

vigil_rps=$(awk '/Requests\/sec/ {print $2}' "$work/vigil.wrk")
nginx_rps=$(awk '/Requests\/sec/ {print $2}' "$work/nginx.wrk")
# (Each line is read with 0s after it, which stand when the line is missing.)
read -r created other < <(sed -n 's/^STATUS created=\([0-9]*\) other=\([0-9]*\)/\1 \2/p' "$work/vigil.wrk"; echo 0 0)
read -r nginx_ok nginx_other < <(sed -n 's/^STATUS ok=\([0-9]*\) other=\([0-9]*\)/\1 \2/p' "$work/nginx.wrk"; echo 0 0)
read -r p50 p99 < <(sed -n 's/^LATENCY p50_us=\([0-9]*\) p99_us=\([0-9]*\)/\1 \2/p' "$work/vigil.wrk"; echo 0 0)
read -r np50 np99 < <(sed -n 's/^LATENCY p50_us=\([0-9]*\) p99_us=\([0-9]*\)/\1 \2/p' "$work/nginx.wrk"; echo 0 0)
# wrk prints "Socket errors: connect C, read R, write W, timeout T" only when there are some.
read -r sock_connect sock_read sock_write sock_timeout < <(
  sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\)/\1 \2 \3 \4/p' \
    "$work/vigil.wrk"
  echo 0 0 0 0
)

echo
printf '%-34s %s\n' "Vigil reports/s (201, durable)" "$vigil_rps"
printf '%-34s %s\n' "Vigil p50 / p99 latency (ms)" "$(awk -v a="$p50" -v b="$p99" 'BEGIN{printf "%.2f / %.2f", a/1000, b/1000}')"
printf '%-34s %s MB\n' "Vigil peak RSS" "$(awk -v k="$rss_kb" 'BEGIN{printf "%.1f", k/1024}')"
printf '%-34s %s (other statuses: %s; socket errors: connect %s, read %s, write %s, timeout %s)\n' \
  "201 answers" "$created" "$other" "$sock_connect" "$sock_read" "$sock_write" "$sock_timeout"
printf '%-34s %s (the 201 answers plus at most one in flight per connection)\n' \
  "reports stored after the run" "$stored"
printf '%-34s %s\n' "audit" "$verify"
printf '%-34s %s (200 answers: %s, other: %s)\n' "nginx static req/s" "$nginx_rps" "$nginx_ok" "$nginx_other"
printf '%-34s %s\n' "nginx p50 / p99 latency (ms)" "$(awk -v a="$np50" -v b="$np99" 'BEGIN{printf "%.2f / %.2f", a/1000, b/1000}')"
printf '%-34s %s\n' "ratio Vigil / nginx" "$(awk -v a="$vigil_rps" -v b="$nginx_rps" 'BEGIN{printf "%.3f", a/b}')"
echo "goals: ratio >= 0.2, p99 < 20 ms at 64 connections, RSS < 100 MB, every 201 stored"

# --- Correctness: every check, in every mode. Timeouts (a request slower than wrk's 2 s) are a
# latency figure, printed above, not a failure.
failures=()
((created > 0)) || failures+=("no submission was answered 201")
((other == 0)) || failures+=("$other submissions were answered other than 201")
((sock_connect + sock_read + sock_write == 0)) ||
  failures+=("socket errors: connect $sock_connect, read $sock_read, write $sock_write")
((stored >= created)) || failures+=("$((created - stored)) reports answered 201 are not stored")
((stored <= created + conns)) ||
  failures+=("$stored reports stored, more than the $created answered 201 plus $conns in flight")
((verify_rc == 0)) || failures+=("vigil audit verify exited $verify_rc: $verify")
((serve_rc == 0)) || failures+=("vigil serve exited $serve_rc on SIGTERM")
# The log is JSON lines at warn level and above; an error, or anything else (a crash's message).
bad_log=$(grep -v '^{"ts":"[^"]*","level":"warn"' "$work/vigil.err" | head -n 5 || true)
[[ -z $bad_log ]] || failures+=("the server logged errors: $bad_log")
((nginx_ok > 0 && nginx_other == 0)) ||
  failures+=("nginx answered $nginx_ok times 200 and $nginx_other times otherwise (the anchor)")
if ((${#failures[@]})); then
  printf 'http_bench: FAILED: %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "checks passed: every answer 201, each stored once, audit intact, no error logged"
