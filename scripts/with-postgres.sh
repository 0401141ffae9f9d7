#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL 15 server: initialises a fresh cluster in a temp
# dir with Debian's server binaries (/usr/lib/postgresql/15/bin, from postgresql-15), starts it,
# runs the command, stops the server, removes the temp dir and exits with the command's exit code.
# The system's PostgreSQL service and its clusters (pg_ctlcluster) are never used or touched.
#
#   scripts/with-postgres.sh CMD [ARGS...]
#
# CMD runs as the invoking user, with:
#   VIGIL_TEST_PG_URL            postgresql://vigil@127.0.0.1:PORT/vigil: role vigil (LOGIN
#                                CREATEDB, scram-sha-256 password), owner of database vigil
#   VIGIL_TEST_PG_PASSWORD_FILE  vigil's random password (32 hex digits, no trailing newline)
#   VIGIL_TEST_PG_ADMIN_URL      postgresql://postgres@/postgres?host=SOCKDIR&port=PORT: the
#                                superuser over the Unix socket (trust)
#   VIGIL_TEST_PG_BIN            /usr/lib/postgresql/15/bin
#
# VIGIL_TEST_PG_SETTINGS, when set, holds more server settings as NAME=VALUE words separated by
# spaces (e.g. "shared_buffers=1GB"); they come after, and so override, the defaults below.
#
# The server listens on 127.0.0.1 only, on a random port in 20000-60999 (another one is tried when
# it is taken, so copies can run in parallel under ctest -j), and on a socket in the temp dir.
# fsync stays on. PostgreSQL refuses to run as root: as root (CI), initdb and the server run as the
# system user vigil-pg, created on first use. The only output of a start is one line on stderr;
# a server that does not start has its log printed and the script exits 1. Ctrl-C or SIGTERM
# stops CMD, then the server. If this script is killed outright (ctest kills a timed-out test's
# process tree with SIGKILL, and the server, which pg_ctl starts in its own session, escapes
# it), a detached watchdog stops the server and removes the temp dir.
set -euo pipefail
# A closed stdin becomes /dev/null before anything can take its fd (CMD inherits this stdin).
[[ -e /proc/$$/fd/0 ]] || exec </dev/null

readonly pg_bin=/usr/lib/postgresql/15/bin
readonly pg_user=vigil-pg

if (($# == 0)); then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi
for p in initdb pg_ctl postgres psql; do
  if [[ ! -x $pg_bin/$p ]]; then
    echo "with-postgres: $pg_bin/$p is missing (VIGIL_TEST_DEPS=1 scripts/install-deps.sh" \
      "installs postgresql-15)" >&2
    exit 1
  fi
done

# initdb, pg_ctl, the server and psql get a clean environment: no PGHOST, PGOPTIONS, PGDATA, TZ
# or locale of the caller's reaches them.
readonly pg_env=(env -i PATH=/usr/bin:/bin LC_ALL=C.UTF-8)

# Which of SIGINT and SIGQUIT this script's caller does not ignore (trap -p shows a signal ignored
# on entry as ''), read before any trap is set: CMD gets those back (see the end).
restore_signals=()
for sig in INT QUIT; do
  if [[ -z $(trap -p "$sig") ]]; then restore_signals+=("$sig"); fi
done

# Stops the server whose temp dir is $1 (if it runs) and removes the dir; $2 is 1 when root.
# Self-contained: the watchdog runs it too.
# shellcheck disable=SC2317  # called from traps and the watchdog
stop_and_remove() {
  local dir=$1 root=$2 pid=""
  [[ -d $dir ]] || return 0
  if [[ -f $dir/data/postmaster.pid ]]; then
    local stop=("${pg_env[@]}" "$pg_bin/pg_ctl" stop -D "$dir/data" -m immediate -s -t 30)
    if ((root)); then stop=(runuser -u "$pg_user" -- "${stop[@]}"); fi
    if ! (cd / && "${stop[@]}") >/dev/null 2>&1; then
      read -r pid <"$dir/data/postmaster.pid" 2>/dev/null || true
      if [[ $pid =~ ^[0-9]+$ && $(cat "/proc/$pid/comm" 2>/dev/null) == postgres ]]; then
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
  fi
  rm -rf -- "$dir"
}

cmd_pid=""
# INT, TERM, HUP: passed on to CMD, which is waited for; then the server is stopped, the temp dir
# removed, and the script dies of the same signal.
# shellcheck disable=SC2317  # called from traps
on_signal() {
  trap '' INT TERM HUP
  if [[ -n $cmd_pid ]]; then
    kill -"$1" "$cmd_pid" 2>/dev/null || true
    wait "$cmd_pid" 2>/dev/null || true
  fi
  stop_and_remove "$tmp" "$as_root"
  trap - EXIT "$1"
  kill -"$1" $$
}

as_root=0
if [[ $(id -u) -eq 0 ]]; then
  as_root=1
  if ! getent passwd "$pg_user" >/dev/null; then
    # Copies running at once may race to create it; the loser's "already exists" is fine.
    gid=()
    if getent group "$pg_user" >/dev/null; then gid=(--gid "$pg_user"); fi
    err=$(useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      "${gid[@]}" "$pg_user" 2>&1) || true
    if ! getent passwd "$pg_user" >/dev/null; then
      echo "with-postgres: could not create the system user $pg_user: $err" >&2
      exit 1
    fi
  fi
  # Reachable by vigil-pg (/tmp, not the caller's TMPDIR), short enough for the socket's path.
  tmp=$(mktemp -d /tmp/vigil-pg.XXXXXXXX)
else
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/vigil-pg.XXXXXXXX")
fi
# From here on the temp dir is removed however this script ends (after a SIGKILL: the watchdog).
trap 'stop_and_remove "$tmp" "$as_root"' EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

# The watchdog: started through setsid -f, it leaves this script's process tree at once. It reads
# a pipe whose only writer is this script until EOF, i.e. until this script is gone, however it
# ended; after a normal end the temp dir is already gone and it just exits. The long-lived
# children (the server, CMD) get the pipe closed so they cannot hold it open.
# shellcheck disable=SC2016  # $1 and $2 are the watchdog's own arguments
exec {watch_fd}> >(exec setsid -f bash -c "$(declare -p pg_bin pg_user pg_env)
$(declare -f stop_and_remove)"'
cat >/dev/null; stop_and_remove "$1" "$2"' with-postgres-watchdog "$tmp" "$as_root" \
  >/dev/null 2>&1)

# Runs a PostgreSQL program as the server's user (vigil-pg when root), in the clean environment.
as_pg() {
  if ((as_root)); then
    (cd / && runuser -u "$pg_user" -- "${pg_env[@]}" "$@")
  else
    (cd / && "${pg_env[@]}" "$@")
  fi
}

fail() {
  echo "with-postgres: $*" >&2
  exit 1
}

data=$tmp/data
log=$tmp/server.log
chmod 700 "$tmp"
if ((as_root)); then chown "$pg_user": "$tmp"; fi

if ! as_pg "$pg_bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  --encoding=UTF8 --locale=C.UTF-8 --no-sync --no-instructions >"$tmp/initdb.out" 2>&1; then
  cat "$tmp/initdb.out" >&2
  fail "PostgreSQL did not start: initdb failed (its output is above)"
fi

# A random port; when a concurrent run (or anything else) holds it, the server fails to bind and
# another one is tried.
settings="-c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=32MB"
# More server settings from the caller (a benchmark's larger shared_buffers): NAME=VALUE words.
for setting in ${VIGIL_TEST_PG_SETTINGS:-}; do
  [[ $setting =~ ^[a-z_]+=[A-Za-z0-9._]+$ ]] ||
    fail "VIGIL_TEST_PG_SETTINGS: \"$setting\" is not NAME=VALUE (letters, digits, . and _)"
  settings+=" -c $setting"
done
port=""
for ((try = 1; try <= 20; try++)); do
  candidate=$((20000 + ((RANDOM << 15) | RANDOM) % 41000))
  rm -f "$log"
  if as_pg "$pg_bin/pg_ctl" start -D "$data" -l "$log" -w -t 60 -s \
    -o "-p $candidate -k '$tmp' $settings" >"$tmp/pg_ctl.out" 2>&1 {watch_fd}>&-; then
    port=$candidate
    break
  fi
  if ! grep -q 'Address already in use' "$log" 2>/dev/null; then
    cat "$tmp/pg_ctl.out" "$log" >&2 2>/dev/null || true
    reason=$(sed -n 's/^.*\(FATAL\|PANIC\): *//p' "$log" 2>/dev/null | tail -n 1)
    fail "PostgreSQL did not start: ${reason:-$(tail -n 1 "$tmp/pg_ctl.out")} (server log above)"
  fi
done
if [[ -z $port ]]; then
  cat "$log" >&2 2>/dev/null || true
  fail "PostgreSQL did not start: every one of 20 random ports was in use (server log above)"
fi

password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s' "$password" >"$tmp/password"
chmod 0644 "$tmp/password"
if ! "${pg_env[@]}" "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 \
  -d "host=$tmp port=$port user=postgres dbname=postgres" >"$tmp/psql.out" 2>&1 <<SQL; then
CREATE ROLE vigil LOGIN CREATEDB PASSWORD '$password';
CREATE DATABASE vigil OWNER vigil;
SQL
  cat "$tmp/psql.out" "$log" >&2 2>/dev/null || true
  fail "PostgreSQL did not start: creating role and database vigil failed (output above)"
fi

export VIGIL_TEST_PG_URL="postgresql://vigil@127.0.0.1:$port/vigil"
export VIGIL_TEST_PG_PASSWORD_FILE="$tmp/password"
export VIGIL_TEST_PG_ADMIN_URL="postgresql://postgres@/postgres?host=$tmp&port=$port"
export VIGIL_TEST_PG_BIN="$pg_bin"
echo "with-postgres: PostgreSQL 15 on 127.0.0.1:$port (data in $tmp)" >&2

# CMD runs in the background so that a signal reaches the trap at once (bash defers traps while a
# foreground child runs). A background child would get stdin from /dev/null and SIGINT and SIGQUIT
# ignored: it keeps this script's stdin, and env restores the signals (unless this script's caller
# ignores them too).
cmd=("$@")
if ((${#restore_signals[@]})); then
  cmd=(env "--default-signal=$(IFS=,; echo "${restore_signals[*]}")" -- "$@")
fi
"${cmd[@]}" <&0 {watch_fd}>&- &
cmd_pid=$!
status=0
wait "$cmd_pid" || status=$?
cmd_pid=""
exit "$status"
