#!/usr/bin/env bash
# Benchmark for issue 13 (uploads off the HTTP threads): UPLOADS patch series (default 40, a
# 100-patch series each, every one to its own report) are posted at once to `vigil serve` with a
# repository of 8 branches, so every upload runs git on each branch. While they are checked, wrk
# measures GET /healthz and GET /track/ID (the reporter's page of a report, HTML, with its
# cookie); the same two are measured on the idle server first, in the same run: that is the
# anchor.
# Prints p50/p99 of both idle and under the uploads, and how long the uploads took.
# Usage: bench/upload_bench.sh [--quick] [UPLOADS=40] [DURATION=5s]   (env: VIGIL=build/vigil)
#   --quick: 8 uploads, 2 s, nothing installed or built.
# It exits 1, naming each failure (never on a figure), when an upload is answered other than 201,
# a revision is missing from the database after the run, wrk saw a socket error or an answer other
# than 200, the server logged an error or did not stop cleanly on SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
if [[ ${1:-} == --quick ]]; then
  quick=1
  shift
fi
if ((quick)); then
  uploads=${1:-8}
  duration=${2:-2s}
else
  uploads=${1:-40}
  duration=${2:-5s}
fi
vigil=${VIGIL:-build/vigil}

if ((!quick)); then
  bash scripts/install-deps.sh
  dpkg-query -W -f='${Status}' wrk 2>/dev/null | grep -q 'install ok installed' ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk >/dev/null
  [[ -x $vigil ]] || bash scripts/build.sh --programs
fi
for tool in wrk sqlite3 curl git; do
  command -v "$tool" >/dev/null ||
    { echo "upload_bench: $tool not found (VIGIL_TEST_DEPS=1 bash scripts/install-deps.sh)" >&2; exit 2; }
done
[[ -x $vigil ]] || { echo "upload_bench: no vigil binary at $vigil (build first)" >&2; exit 2; }

work=$(mktemp -d)
vigil_pid=""
cleanup() {
  [[ -n $vigil_pid ]] && kill "$vigil_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
die() {
  echo "upload_bench: $*" >&2
  exit 1
}

# --- The project's repository: master and 7 release branches, a 20,000-line file; the fix is a
# series of 100 commits, each changing one line, as `git format-patch` writes it.
repo=$work/repo
git init -q -b master "$repo"
g() { git -C "$repo" -c user.name=Dev -c user.email=dev@example.org "$@"; }
seq -f 'line %g' 20000 >"$repo/a.c"
g add a.c
g commit -q -m base
branches=()
for i in 1 2 3 4 5 6 7; do
  g branch "release-$i"
  branches+=("\"release-$i\"")
done
g checkout -q -b fix
for n in $(seq 100 190 19000); do
  sed -i "s/^line $n\$/line $n fixed/" "$repo/a.c"
  g commit -q -am "a: fix line $n"
done
g format-patch -q --stdout master >"$work/series.mbox"
g checkout -q master

# --- Vigil on a fresh data folder with that repository; no rate limits (measured here: the queue).
"$vigil" init --dir "$work/vigil" --port 0 >/dev/null
conf=$work/vigil/vigil.toml
sed -i -e 's/^submit_per_minute = .*/submit_per_minute = 0/' \
  -e 's/^work_per_minute = .*/work_per_minute = 0/' \
  -e "s|^supported_branches = .*|supported_branches = [$(IFS=,; echo "${branches[*]}")]|" "$conf"
sed -i "/^\[repository\]/,/^\[/ s|^path = .*|path = \"$repo\"|" "$conf"
token=$(sed -n 's/^token=//p' "$work/vigil/data/initial-admin.txt")
VIGIL_LOG_LEVEL=warn "$vigil" -c "$conf" serve --port 0 >"$work/vigil.out" 2>"$work/vigil.err" &
vigil_pid=$!
for _ in $(seq 100); do grep -q listening "$work/vigil.out" && break; sleep 0.1; done
url=$(sed -n 's/^vigil: listening on //p' "$work/vigil.out")
[[ -n $url ]] || die "vigil serve did not start: $(cat "$work/vigil.err")"

ids=()
for i in $(seq "$uploads"); do
  answer=$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"subject\":\"Report $i\",\"steps\":\"steps $i\"}" "$url/api/v1/reports")
  id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$answer")
  [[ -n $id ]] || die "report $i was not created: $answer"
  ((i > 1)) || page_token=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$answer")
  ids+=("$id")
done
# The reporter's page of the first report, as their browser asks for it after following their
# link (the cookie holds the link's token).
page_url=$url/track/${ids[0]}
page_cookie="Cookie: vigil_track=$page_token"
curl -fsS -o /dev/null -H "$page_cookie" "$page_url" || die "the report page does not answer 200"

# wrk with one thread and 4 connections; prints "p50_ms p99_ms requests non2xx socket_errors".
measure() {
  local out=$1
  shift
  wrk -t1 -c4 -d"$duration" --latency "$@" >"$out" 2>&1 || die "wrk failed: $(cat "$out")"
  awk '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /^ *50%/ { p50 = ms($2) } /^ *99%/ { p99 = ms($2) }
    /requests in/ { n = $1 } /Non-2xx/ { bad = $NF }
    /Socket errors/ { gsub(/,/, ""); errs = $4 + $6 + $8 + $10 }
    END { printf "%.2f %.2f %d %d %d\n", p50, p99, n, bad + 0, errs + 0 }' "$out"
}

echo "== idle: wrk 1 thread, 4 connections, $duration each"
read -r idle_h50 idle_h99 idle_hn idle_hbad idle_herr < <(measure "$work/idle-healthz.wrk" "$url/healthz")
read -r idle_r50 idle_r99 idle_rn idle_rbad idle_rerr < <(
  measure "$work/idle-report.wrk" -H "$page_cookie" "$page_url")

echo "== $uploads uploads of a 100-patch series on 8 branches, at once; meanwhile the same wrk"
start=$(date +%s.%N)
curls=()
for id in "${ids[@]}"; do
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H 'Content-Type: text/plain' \
    -H "Authorization: Bearer $token" --data-binary @"$work/series.mbox" \
    "$url/api/v1/reports/$id/patches" >>"$work/uploads.txt" &
  curls+=($!)
done
read -r load_h50 load_h99 load_hn load_hbad load_herr < <(measure "$work/load-healthz.wrk" "$url/healthz")
done_during=$(grep -c . "$work/uploads.txt" || true)
read -r load_r50 load_r99 load_rn load_rbad load_rerr < <(
  measure "$work/load-report.wrk" -H "$page_cookie" "$page_url")
done_after=$(grep -c . "$work/uploads.txt" || true)
wait "${curls[@]}"
uploads_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')

kill -TERM "$vigil_pid"
serve_rc=0
wait "$vigil_pid" || serve_rc=$?
vigil_pid=""
created=$(awk '$1 == 201' "$work/uploads.txt" | wc -l)
slowest=$(awk '{ if ($2 > m) m = $2 } END { printf "%.1f", m }' "$work/uploads.txt")
stored=$(sqlite3 "$work/vigil/data/vigil.db" 'SELECT COUNT(*) FROM patch_revisions')

echo
printf '%-44s %s\n' "/healthz p50 / p99 (ms), idle" "$idle_h50 / $idle_h99"
printf '%-44s %s\n' "/healthz p50 / p99 (ms), under uploads" "$load_h50 / $load_h99"
printf '%-44s %s\n' "report page p50 / p99 (ms), idle" "$idle_r50 / $idle_r99"
printf '%-44s %s\n' "report page p50 / p99 (ms), under uploads" "$load_r50 / $load_r99"
printf '%-44s %s\n' "ratio of p99 under uploads / idle" \
  "$(awk -v a="$load_h99" -v b="$idle_h99" -v c="$load_r99" -v d="$idle_r99" \
    'BEGIN{printf "/healthz %.1f, report %.1f", a/b, c/d}')"
printf '%-44s %s of %s (%s done while /healthz was measured, %s by the end of the page'"'"'s)\n' \
  "uploads answered 201" "$created" "$uploads" "$done_during" "$done_after"
printf '%-44s %s s (slowest single upload %s s)\n' "all uploads checked in" "$uploads_s" "$slowest"
echo "goal: /healthz and the report page keep answering while the uploads run (p99 in the tens of ms)"

failures=()
((created == uploads)) || failures+=("$((uploads - created)) uploads were not answered 201: $(sort "$work/uploads.txt" | awk '{print $1}' | uniq -c | tr '\n' ' ')")
((stored == uploads)) || failures+=("$stored revisions stored for $uploads uploads")
for w in idle_h idle_r load_h load_r; do
  bad=${w}bad err=${w}err n=${w}n
  ((${!n} > 0)) || failures+=("$w: wrk made no request")
  ((${!bad} == 0)) || failures+=("$w: ${!bad} answers other than 2xx")
  ((${!err} == 0)) || failures+=("$w: ${!err} socket errors")
done
((serve_rc == 0)) || failures+=("vigil serve exited $serve_rc on SIGTERM")
bad_log=$(grep -v '^{"ts":"[^"]*","level":"warn"' "$work/vigil.err" | head -n 5 || true)
[[ -z $bad_log ]] || failures+=("the server logged errors: $bad_log")
if ((${#failures[@]})); then
  printf 'upload_bench: FAILED: %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "checks passed: every upload 201 and stored, every measured request 200"
