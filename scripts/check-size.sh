#!/usr/bin/env bash
# Prints the source files in src/ over 700 lines and the functions over 120 lines (issue 12's
# limits), measured with Universal Ctags (`apt-get install universal-ctags`). Exits 1 if any.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
while read -r n f; do
  [[ $f == total ]] && continue
  echo "file over 700 lines: $f ($n)"; bad=1
done < <(find src -name '*.cc' -o -name '*.h' | xargs wc -l | awk '$1 > 700')
while read -r n name f; do
  echo "function over 120 lines: $name in $f ($n)"; bad=1
done < <(ctags -R -x --_xformat='%{end} %{line} %N %F' --kinds-c++=f --fields=+ne src |
           awk '{n = $1 - $2 + 1; if (n > 120) print n, $3, $4}' | sort -rn)
exit $bad
