#!/usr/bin/env bash
# The CI run inside the fresh Debian root (see .ci/run). Each step prints its name and how long it
# took, so the log shows how long a new user waits for each README command.
set -euo pipefail
cd "$(dirname "$0")/.."
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
echo "ci: all steps passed in $SECONDS s"
