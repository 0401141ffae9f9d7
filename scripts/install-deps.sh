#!/usr/bin/env bash
# Installs every Debian package Vigil needs to build, run and test. Idempotent: a package already
# installed (or provided by an installed package) is left alone, and `apt-get update` runs only
# when something is missing.
#
#   scripts/install-deps.sh                     what building and running Vigil needs
#   VIGIL_TEST_DEPS=1 scripts/install-deps.sh   also what every test needs
#   VIGIL_CI_DEPS=1 scripts/install-deps.sh     also what CI's extra builds need (clang and its
#                                               sanitizer runtimes)
#   scripts/install-deps.sh --print             prints the package names it would ensure, one a
#                                               line (the same variables apply); installs nothing
#
# Every program and library a test uses comes from here: the tests call Debian's own interpreters
# (/usr/bin/python3, /usr/bin/node), never whatever another one first on the PATH holds.
# tests/install_deps_guard.py checks that every header the build read and every shared library
# the binaries link belongs to a package this list installs or pulls in.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates curl
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev sqlite3 libsodium-dev libssl-dev
  libcli11-dev libtoml11-dev libspdlog-dev libfmt-dev
  libgmime-3.0-dev libpq-dev libcurl4-openssl-dev
  libcmark-gfm-dev libcmark-gfm-extensions-dev librnp-dev libkainjow-mustache-dev
  libgoogle-perftools-dev libqrencode-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
if [[ "${VIGIL_TEST_DEPS:-0}" == 1 ]]; then
  # Schema checks of advisories (Debian's python3 and python3-jsonschema 4.10); the install guard
  # (dpkg, ldd from libc-bin); browser tests (chromium driven by playwright-core from npm, run by
  # Debian's nodejs); mail gateway tests: real clients (swaks, git send-email), gpg, Postfix's
  # smtp-sink/smtp-source. The benchmarks' quick modes (bench/, run as tests): wrk and nginx-light
  # (its anchor); Postfix's tools and sqlite3 again. /metrics is checked with Prometheus's own
  # parser (promtool, in the prometheus package; its service is not started). The PostgreSQL
  # store tests: postgresql-15's server binaries, run by scripts/with-postgres.sh on a throwaway
  # cluster of their own (the system service and its clusters are never used).
  packages+=(python3 python3-jsonschema libc-bin
    chromium nodejs npm swaks gnupg git-email libmailtools-perl postfix wrk nginx-light prometheus
    postgresql-15)
fi
if [[ "${VIGIL_CI_DEPS:-0}" == 1 ]]; then
  # CI also builds Vigil with Debian's clang 14 under sanitizers (scripts/sanitize.sh) and builds
  # the libFuzzer harnesses (scripts/fuzz.sh). The sanitizer and libFuzzer runtimes are in
  # libclang-rt-14-dev, which clang only recommends; llvm-symbolizer (llvm) symbolizes reports.
  packages+=(clang libclang-rt-14-dev llvm)
fi

if [[ "${1:-}" == --print ]]; then
  printf '%s\n' "${packages[@]}" | sort -u
  exit 0
fi

# Packages installed, and the names they provide (a nodejs from elsewhere provides npm).
declare -A have=()
while read -r status name provides; do
  [[ $status == ii ]] || continue
  have[$name]=1
  for p in ${provides//,/ }; do
    [[ $p == \(* || $p == *\) || $p == = ]] || have[$p]=1
  done
done < <(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' 2>/dev/null)

missing=()
for p in "${packages[@]}"; do
  [[ -n ${have[$p]:-} ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
