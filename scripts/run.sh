#!/usr/bin/env bash
# The first README command: installs what Vigil needs, builds it, initialises a project in
# ./vigil-project (SQLite in vigil-project/data) on first use, and runs the server.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/install-deps.sh
bash scripts/build.sh --programs
project=${VIGIL_PROJECT:-$root/vigil-project}
port=${VIGIL_PORT:-8080}
"$root/build/vigil" init --dir "$project" --port "$port"
token=$(sed -n 's/^token=//p' "$project/data/initial-admin.txt")
cat <<TXT

Vigil is starting on http://127.0.0.1:$port (Ctrl-C stops it).

Submit a report as a reporter would (no account needed):
  curl -s -X POST http://127.0.0.1:$port/api/v1/reports -H 'Content-Type: application/json' \\
    -d '{"subject":"Token leak in agent logs","steps":"1. run the agent\\n2. read its log"}'

List reports:
  $root/build/vigil -c $project/vigil.toml report list
  curl -s http://127.0.0.1:$port/api/v1/reports -H 'Authorization: Bearer $token'

Log in: the first admin's email, password and API token are in
  $project/data/initial-admin.txt
Configuration (every key documented): $project/vigil.toml

TXT
exec "$root/build/vigil" -c "$project/vigil.toml" serve --port "$port"
