#!/usr/bin/env bash
# Every log line in src/ is built by LogLine (core/log_line.h), which JSON-escapes each value:
# prints each spdlog call whose message is anything else (a format string with raw fields
# would let attacker text forge fields or break the JSON line). Exits 1 if any. Run by ctest
# as lint_log_lines.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=$(find src -name '*.cc' ! -name '*_test.cc' -o -name '*.h' | sort | xargs perl -0777 -ne '
  while (/spdlog::(?:trace|debug|info|warn|error|critical)\((?!\s*"\{\}",\s*LogLine\()/g) {
    my $line = 1 + (substr($_, 0, pos($_)) =~ tr/\n//);
    print "$ARGV:$line\n";
  }')
if [[ -n $bad ]]; then
  echo "log calls not built with LogLine (core/log_line.h):"
  echo "$bad"
  exit 1
fi
