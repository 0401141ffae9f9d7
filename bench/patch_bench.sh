#!/usr/bin/env bash
# Benchmarks the patch engine against git on the same data, in one run:
#   1. `vigil patch inspect` of a 1,000-patch mbox vs `git patch-id --stable` (goal <= 1.5x)
#      and vs `git mailsplit` + one `git mailinfo` per message (goal >= 10x faster);
#   2. `vigil patch check` of one patch on 8 branches vs a loop of `git read-tree` +
#      `git apply --cached --check` (goal <= 1.0x).
# Usage: bench/patch_bench.sh [--quick] [VIGIL_BINARY] [EXISTING_REPO]
#   Without EXISTING_REPO a repository of 3,000 commits is created (scripted, deterministic) in a
#   temporary directory, which is removed at the end. Times are the best of RUNS runs (default 5).
#   --quick: 400 commits, a 200-patch mbox, RUNS=1 (the test bench_quick_patch runs it).
# In every mode it exits 1, naming the failure, when a correctness check fails (never on a
# figure): `vigil patch inspect` fails or its patch-ids are not git's (`git patch-id --stable`),
# one per patch in order; `vigil patch check` fails or its verdicts on the 8 branches are not
# those of `git apply --cached --check`.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
quick=0
if [[ ${1:-} == --quick ]]; then
  quick=1
  shift
fi
vigil=${1:-$here/build/vigil}
given_repo=${2:-}
if ((quick)); then
  runs=${RUNS:-1} commits=400 patches=200
else
  runs=${RUNS:-5} commits=3000 patches=1000
fi
[[ -x $vigil ]] || { echo "no vigil binary at $vigil (build first)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench-XXXXXX")
if [[ -n ${BENCH_KEEP:-} ]]; then echo "keeping $work" >&2; else trap 'rm -rf "$work"' EXIT; fi
export HOME=$work GIT_CONFIG_NOSYSTEM=1 LC_ALL=C TZ=UTC
export GIT_AUTHOR_NAME="Bench Author" GIT_AUTHOR_EMAIL=author@example.com
export GIT_COMMITTER_NAME="Bench Committer" GIT_COMMITTER_EMAIL=committer@example.com

if [[ -n $given_repo ]]; then
  repo=$given_repo
else
  repo=$work/repo
  git init -q -b master "$repo"
  # 200 files of 300 lines; $commits commits, each changing a few lines of one or two files
  # (some add a file), written with fast-import.
  /usr/bin/python3 - "$commits" <<'PY' | git -C "$repo" fast-import --quiet
import random, sys
random.seed(42)
files = {f"src/mod{i:03d}/file{i:03d}.c": [f"/* file {i} line {n} */ int v{i}_{n} = {n};\n" for n in range(300)] for i in range(200)}
mark = 0
def blob(lines):
    global mark
    mark += 1
    data = "".join(lines).encode()
    sys.stdout.buffer.write(b"blob\nmark :%d\ndata %d\n" % (mark, len(data)) + data + b"\n")
    return mark
t = 1700000000
out = sys.stdout.buffer
def commit(msg, changes, parent):
    global t
    t += 3600
    out.write(b"commit refs/heads/master\n")
    out.write(b"author Bench Author <author@example.com> %d +0000\n" % t)
    out.write(b"committer Bench Committer <committer@example.com> %d +0000\n" % t)
    m = msg.encode()
    out.write(b"data %d\n" % len(m) + m + b"\n")
    for c in changes: out.write(c)
    out.write(b"\n")
marks = {p: blob(l) for p, l in files.items()}
commit("initial import\n", [b"M 100644 :%d %s\n" % (m, p.encode()) for p, m in marks.items()], False)
paths = list(files)
for n in range(1, int(sys.argv[1])):
    changes = []
    for p in random.sample(paths, random.choice([1, 1, 2])):
        lines = files[p]
        for _ in range(random.randint(1, 4)):
            k = random.randrange(len(lines))
            op = random.random()
            if op < 0.6: lines[k] = f"/* edited in commit {n} */ int e{n}_{k} = {k};\n"
            elif op < 0.8: lines.insert(k, f"/* added in commit {n} */\n")
            elif len(lines) > 50: del lines[k]
        changes.append(b"M 100644 :%d %s\n" % (blob(lines), p.encode()))
    if n % 97 == 0:
        p = f"src/new/file{n}.c"
        files[p] = [f"/* new file {n} line {k} */\n" for k in range(40)]
        paths.append(p)
        changes.append(b"M 100644 :%d %s\n" % (blob(files[p]), p.encode()))
    commit(f"Change {n}: adjust {len(changes)} file(s)\n\nBody of change {n}.\n", changes, True)
PY
  git -C "$repo" reset -q --hard master
fi

count=$(git -C "$repo" rev-list --count HEAD)
git -C "$repo" format-patch -q --stdout "HEAD~$patches..HEAD" > "$work/series.mbox"
mbox_bytes=$(wc -c < "$work/series.mbox")

# best TIME (seconds, 3 decimals) of $runs runs of "$@"
best() {
  local best_ns=
  for ((i = 0; i < runs; i++)); do
    local t0 t1
    t0=$(date +%s%N)
    "$@" > /dev/null
    t1=$(date +%s%N)
    local d=$((t1 - t0))
    if [[ -z $best_ns || $d -lt $best_ns ]]; then best_ns=$d; fi
  done
  awk -v ns="$best_ns" 'BEGIN { printf "%.4f", ns / 1e9 }'
}

inspect() { "$vigil" patch inspect --json "$work/series.mbox"; }
patch_id() { git patch-id --stable < "$work/series.mbox"; }
mailinfo_loop() {
  rm -rf "$work/split" && mkdir "$work/split"
  git mailsplit -o"$work/split" "$work/series.mbox" > /dev/null
  for m in "$work/split"/*; do
    git mailinfo -u "$work/split/msg" "$work/split/patch" < "$m" > /dev/null
  done
}

fail() {
  echo "patch_bench: FAILED: $*" >&2
  exit 1
}

# The same ids as git, one per patch in order, or the comparison is meaningless.
"$vigil" patch inspect --json "$work/series.mbox" > "$work/inspect.json" ||
  fail "vigil patch inspect exited $?"
grep -o '"patch_id":"[0-9a-f]*"' "$work/inspect.json" | cut -d'"' -f4 > "$work/ours.ids" || true
git patch-id --stable < "$work/series.mbox" | cut -d' ' -f1 > "$work/git.ids"
mails=$(grep -c '^From [0-9a-f]\{40\} Mon Sep 17 00:00:00 2001$' "$work/series.mbox" || true)
[[ $(wc -l < "$work/git.ids") -eq $mails && $mails -gt 0 ]] ||
  fail "git patch-id gave $(wc -l < "$work/git.ids") ids for $mails patches"
cmp -s "$work/ours.ids" "$work/git.ids" ||
  fail "patch-ids differ from git: $(diff "$work/ours.ids" "$work/git.ids" | head -n 5 | tr '\n' ' ')"

t_inspect=$(best inspect)
t_patchid=$(best patch_id)
t_mailinfo=$(runs=1 best mailinfo_loop)

# One patch (the newest commit) checked on 8 branches spread over the history.
git -C "$repo" format-patch -q --stdout -1 HEAD > "$work/one.patch"
branches=()
for k in 1 2 3 4 5 6 7 8; do
  git -C "$repo" branch -f "bench-$k" "HEAD~$((k * 3))"
  branches+=("bench-$k")
done
onto=()
for b in "${branches[@]}"; do onto+=(--onto "$b"); done
vigil_check() { "$vigil" patch check --repo "$repo" "${onto[@]}" "$work/one.patch" || true; }
git_loop() {
  for b in "${branches[@]}"; do
    GIT_INDEX_FILE=$work/bench.index git -C "$repo" read-tree "$b"
    GIT_INDEX_FILE=$work/bench.index git -C "$repo" apply --cached --check "$work/one.patch" 2> /dev/null || true
  done
}
# Same verdicts as git, or the comparison is meaningless: prints PATCH's verdicts on the 8 branches
# (ok or no each), or fails. `vigil patch check` exits 0 when the patch applies everywhere, 4 when
# it does not somewhere; anything else is a failure.
verdicts() {
  local check_rc=0 ours theirs
  "$vigil" patch check --json --repo "$repo" "${onto[@]}" "$1" > "$work/check.json" || check_rc=$?
  [[ $check_rc -eq 0 || $check_rc -eq 4 ]] || fail "vigil patch check of $1 exited $check_rc"
  ours=$(/usr/bin/python3 -c 'import json, sys
print(" ".join("ok" if r["applies"] else "no" for r in json.load(open(sys.argv[1]))))' "$work/check.json")
  theirs=$(for b in "${branches[@]}"; do
    GIT_INDEX_FILE=$work/v.index git -C "$repo" read-tree "$b"
    if GIT_INDEX_FILE=$work/v.index git -C "$repo" apply --cached --check "$1" 2> /dev/null; then echo ok; else echo no; fi
  done | tr '\n' ' ' | sed 's/ $//')
  [[ $ours == "$theirs" ]] || fail "check verdicts of $1 differ from git: vigil [$ours] git [$theirs]"
  [[ $check_rc -eq $([[ $theirs == *no* ]] && echo 4 || echo 0) ]] ||
    fail "vigil patch check of $1 exited $check_rc with verdicts [$ours]"
  echo "$ours"
}
ours=$(verdicts "$work/one.patch")
# The measured patch applies on most branches; the patch of HEAD~13 (not measured) is already in
# the 4 newest branches, so git refuses it there: both verdicts are compared.
git -C "$repo" format-patch -q --stdout -1 HEAD~13 > "$work/mid.patch"
ours_mid=$(verdicts "$work/mid.patch")
[[ $ours_mid == *ok* && $ours_mid == *no* ]] ||
  fail "the patch of HEAD~13 should apply on some branches and not on others: [$ours_mid]"
t_check=$(best vigil_check)
t_loop=$(best git_loop)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "repository: $count commits; mbox: $mails patches, $mbox_bytes bytes; best of $runs runs"
echo "verdicts on the 8 branches (vigil = git): $ours; of HEAD~13: $ours_mid"
printf '%-58s %8ss\n' "vigil patch inspect --json ($mails patches)" "$t_inspect"
printf '%-58s %8ss  vigil/git = %sx (goal <= 1.5x)\n' "git patch-id --stable" "$t_patchid" "$(ratio "$t_inspect" "$t_patchid")"
printf '%-58s %8ss  speed-up = %sx (goal >= 10x)\n' "git mailsplit + git mailinfo per message (1 run)" "$t_mailinfo" "$(ratio "$t_mailinfo" "$t_inspect")"
printf '%-58s %8ss\n' "vigil patch check, 1 patch on 8 branches" "$t_check"
printf '%-58s %8ss  vigil/git = %sx (goal <= 1.0x)\n' "git read-tree + git apply --cached --check, 8 branches" "$t_loop" "$(ratio "$t_check" "$t_loop")"
