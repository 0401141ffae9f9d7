#!/usr/bin/env bash
# Runs the browser tests: installs playwright-core from the committed lockfile when needed
# (`npm ci`), then `node --test` against VIGIL_BINARY, writing screenshots under
# VIGIL_TEST_OUTPUT. Usage: run.sh <vigil binary> <output folder>
set -euo pipefail
cd "$(dirname "$0")"
export VIGIL_BINARY=$1
export VIGIL_TEST_OUTPUT=$2
# Debian's own programs, whatever else the PATH holds (scripts/install-deps.sh installs them).
for tool in /usr/bin/node /usr/bin/npm /usr/bin/chromium; do
  [[ -x $tool ]] || { echo "browser tests need $tool (scripts/install-deps.sh with VIGIL_TEST_DEPS=1)" >&2; exit 1; }
done
if [[ ! -d node_modules/playwright-core || package-lock.json -nt node_modules/.package-lock.json ]]; then
  /usr/bin/npm ci --no-audit --no-fund >&2
fi
mkdir -p "$VIGIL_TEST_OUTPUT"
exec /usr/bin/node --test --test-reporter=spec web.test.mjs
