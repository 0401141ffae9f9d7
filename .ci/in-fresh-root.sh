#!/usr/bin/env bash
# The CI run inside the fresh Debian root (see .ci/run). Each step prints its name and how long it
# took, so the log shows how long a new user waits for each README command.
set -euo pipefail
cd "$(dirname "$0")/.."
# $1: PEM certificates the host trusts beyond Debian's (see .ci/run). Written one per file where
# the ca-certificates package looks, so that its installation (scripts/install-deps.sh) adds them
# to /etc/ssl/certs; Node.js reads that bundle through NODE_EXTRA_CA_CERTS.
if [[ -n ${1:-} ]]; then
  mkdir -p /usr/local/share/ca-certificates
  awk '/-----BEGIN CERTIFICATE-----/{n++} n{print > sprintf("/usr/local/share/ca-certificates/ci-host-%d.crt", n)}' <<<"$1"
  if command -v update-ca-certificates >/dev/null; then update-ca-certificates >/dev/null; fi
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
  echo "ci: trusting $(ls /usr/local/share/ca-certificates | wc -l) extra CA certificate(s) of the host"
fi
step() {
  local name=$1
  shift
  echo "ci: === $name ==="
  local start=$SECONDS
  "$@"
  echo "ci: === $name: passed in $((SECONDS - start)) s ==="
}
step "README run command (bash scripts/run.sh), smoke" bash .ci/smoke-run.sh
step "README test command (bash scripts/test.sh)" bash scripts/test.sh
step "other build types (compile only)" bash .ci/other-builds.sh
# Clang 14 with sanitizers (scripts/sanitize.sh): every test under ASan+UBSan (assertions on),
# the concurrency tests under TSan; then each libFuzzer harness for 40 s, two at a time
# (scripts/fuzz.sh). Any report fails the step.
step "sanitizers: ASan+UBSan, every test (bash scripts/sanitize.sh asan)" bash scripts/sanitize.sh asan
step "sanitizers: TSan, concurrency tests (bash scripts/sanitize.sh tsan)" bash scripts/sanitize.sh tsan
step "fuzzing: 40 s per harness (bash scripts/fuzz.sh 40)" bash scripts/fuzz.sh 40
echo "ci: all steps passed in $SECONDS s"
