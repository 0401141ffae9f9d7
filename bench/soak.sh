#!/usr/bin/env bash
# Mixed-load soak with faults (bench/soak.py has the whole story): for MINUTES (default 30),
# HTTP submissions and page views, SMTP reports, replies and patch series, patch uploads and
# scheduled disclosures against a loopback fake forge and smarthost, all at once, while the server
# is SIGKILLed and restarted and the smarthost and forge go down and come back. Then it checks
# that every acknowledged item is stored exactly once, no mail was sent twice, every due
# disclosure was done once, the audit chain and the database are intact and the log holds nothing
# the faults do not explain. Prints figures; exits 1 naming each failed check.
# Usage: bench/soak.sh [MINUTES] [path/to/vigil]   (the test soak_2min runs it for 2 minutes;
#   extra options for soak.py go in SOAK_ARGS, e.g. SOAK_ARGS="--seed 7 --keep")
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-30}
VIGIL=${2:-build/vigil}
[[ -x $VIGIL ]] || { echo "soak: no vigil binary at $VIGIL (build first)" >&2; exit 2; }
for tool in /usr/bin/python3 /usr/bin/git; do
  [[ -x $tool ]] || { echo "soak: $tool not found (apt-get install python3 git)" >&2; exit 2; }
done
# Debian's interpreter, whatever else the PATH holds; standard library only.
# shellcheck disable=SC2086
exec /usr/bin/python3 bench/soak.py --vigil "$VIGIL" --minutes "$MINUTES" ${SOAK_ARGS:-}
