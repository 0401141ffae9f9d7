#!/usr/bin/env bash
# Benchmark for issue 2: N clients post reports to Vigil for DURATION with wrk, and, in the same
# run on the same machine, wrk fetches a static file from nginx on loopback (the anchor).
# Prints reports/s, p50/p99 latency, Vigil's peak RSS, and the ratio to nginx.
# Usage: bench/http_bench.sh [CONNECTIONS=64] [DURATION=10s]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
conns=${1:-64}
duration=${2:-10s}
threads=2

bash scripts/install-deps.sh
missing=()
for p in wrk nginx-light; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
[[ -x build/vigil ]] || bash scripts/build.sh

work=$(mktemp -d)
trap 'kill $vigil_pid $nginx_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

# --- Vigil on a fresh data folder, no submission rate limit, access log off.
build/vigil init --dir "$work/vigil" --port 0 >/dev/null
sed -i 's/^submit_per_minute = .*/submit_per_minute = 0/' "$work/vigil/vigil.toml"
VIGIL_LOG_LEVEL=warn build/vigil -c "$work/vigil/vigil.toml" serve --port 0 >"$work/vigil.out" 2>"$work/vigil.err" &
vigil_pid=$!
for _ in $(seq 100); do grep -q listening "$work/vigil.out" && break; sleep 0.1; done
vigil_url=$(sed -n 's/^vigil: listening on //p' "$work/vigil.out")

# --- nginx serving a static file of the size of a submission answer.
mkdir -p "$work/nginx/html" "$work/nginx/tmp"
head -c 150 /dev/zero | tr '\0' 'x' >"$work/nginx/html/report.json"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 2;
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
    listen 127.0.0.1:18089;
    root $work/nginx/html;
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" &
nginx_pid=$!
for _ in $(seq 100); do curl -fs http://127.0.0.1:18089/report.json >/dev/null && break; sleep 0.1; done

echo "== wrk: $conns connections, $threads threads, $duration"
wrk -t$threads -c"$conns" -d"$duration" --latency -s bench/submit.lua "$vigil_url/api/v1/reports" >"$work/vigil.wrk"
wrk -t$threads -c"$conns" -d"$duration" --latency -s bench/static.lua http://127.0.0.1:18089/report.json >"$work/nginx.wrk"

rss_kb=$(awk '/VmHWM/ {print $2}' /proc/$vigil_pid/status)
kill -TERM $vigil_pid; wait $vigil_pid || true
stored=$(sqlite3 "$work/vigil/data/vigil.db" 'SELECT COUNT(*) FROM reports')
verify=$(build/vigil -c "$work/vigil/vigil.toml" audit verify || true)

vigil_rps=$(awk '/Requests\/sec/ {print $2}' "$work/vigil.wrk")
nginx_rps=$(awk '/Requests\/sec/ {print $2}' "$work/nginx.wrk")
read -r created other < <(sed -n 's/^STATUS created=\([0-9]*\) other=\([0-9]*\)/\1 \2/p' "$work/vigil.wrk")
read -r p50 p99 < <(sed -n 's/^LATENCY p50_us=\([0-9]*\) p99_us=\([0-9]*\)/\1 \2/p' "$work/vigil.wrk")
read -r np50 np99 < <(sed -n 's/^LATENCY p50_us=\([0-9]*\) p99_us=\([0-9]*\)/\1 \2/p' "$work/nginx.wrk")

echo
printf '%-34s %s\n' "Vigil reports/s (201, durable)" "$vigil_rps"
printf '%-34s %s\n' "Vigil p50 / p99 latency (ms)" "$(awk -v a=$p50 -v b=$p99 'BEGIN{printf "%.2f / %.2f", a/1000, b/1000}')"
printf '%-34s %s MB\n' "Vigil peak RSS" "$(awk -v k=$rss_kb 'BEGIN{printf "%.1f", k/1024}')"
printf '%-34s %s (other statuses: %s)\n' "201 answers" "$created" "$other"
printf '%-34s %s (must be >= the 201 answers)\n' "reports stored after the run" "$stored"
printf '%-34s %s\n' "audit" "$verify"
printf '%-34s %s\n' "nginx static req/s" "$nginx_rps"
printf '%-34s %s\n' "nginx p50 / p99 latency (ms)" "$(awk -v a=$np50 -v b=$np99 'BEGIN{printf "%.2f / %.2f", a/1000, b/1000}')"
printf '%-34s %s\n' "ratio Vigil / nginx" "$(awk -v a=$vigil_rps -v b=$nginx_rps 'BEGIN{printf "%.3f", a/b}')"
echo "goals: ratio >= 0.2, p99 < 20 ms at 64 connections, RSS < 100 MB, every 201 stored"
