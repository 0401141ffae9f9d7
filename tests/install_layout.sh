#!/usr/bin/env bash
# `cmake --install` puts `vigil` in bin/ and `vigil-full` in libexec/vigil/, and the installed
# front finds the complete program there. Usage: install_layout.sh BUILD_DIR
set -euo pipefail
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
fail() { echo "install_layout: $*" >&2; exit 1; }
[[ -x $prefix/bin/vigil ]] || fail "bin/vigil is missing"
[[ -x $prefix/libexec/vigil/vigil-full ]] || fail "libexec/vigil/vigil-full is missing"
[[ ! -e $prefix/bin/vigil-full ]] || fail "vigil-full must not be in bin/"
# Run by the front itself, and exec'd to libexec/vigil/vigil-full.
"$prefix/bin/vigil" patch inspect --help | grep -q "Show what git am would make" ||
  fail "bin/vigil patch inspect --help"
"$prefix/bin/vigil" report --help | grep -q "Work on reports" || fail "bin/vigil report --help"
rm "$prefix/libexec/vigil/vigil-full"
set +e
err=$("$prefix/bin/vigil" report --help 2>&1 >/dev/null)
rc=$?
set -e
[[ $rc -ne 0 ]] || fail "bin/vigil without vigil-full exited 0"
[[ $err == "vigil: cannot run $prefix/bin/../libexec/vigil/vigil-full: No such file or directory" ]] ||
  fail "unexpected error: $err"
echo "install layout: ok"
