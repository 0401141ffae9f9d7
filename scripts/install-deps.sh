#!/usr/bin/env bash
# Installs every Debian package Vigil needs to build, run and test. Idempotent: a package already
# installed is left alone, and `apt-get update` runs only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates curl
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev sqlite3 libsodium-dev libssl-dev
  libcli11-dev libtoml11-dev libspdlog-dev libfmt-dev
  libgmime-3.0-dev libpq-dev libcurl4-openssl-dev
  libcmark-gfm-dev libcmark-gfm-extensions-dev librnp-dev libkainjow-mustache-dev
  libgoogle-perftools-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-jsonschema
)
if [[ "${VIGIL_TEST_DEPS:-0}" == 1 ]]; then
  # Browser tests (chromium); mail gateway tests: real clients (swaks, git send-email), gpg,
  # Postfix's smtp-sink/smtp-source.
  packages+=(git sqlite3 chromium swaks gnupg git-email libmailtools-perl postfix)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
