#!/bin/sh
# Runs the cmocka unit test binaries given as arguments, from the repository's
# top (the fixtures' paths are relative to it), shows their output, lists the
# tests skipped and why, and ends with one line "N passed, N failed,
# N skipped" counting tests across the binaries. A binary that crashes, or
# exits non-zero without a FAILED count, counts as one failed test.
# Exit status: 0 only if nothing failed.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/results-lib.sh
. "$top/tests/results-lib.sh"
if [ $# -eq 0 ]; then
	echo "usage: $0 TEST_BINARY..." >&2
	exit 2
fi

# Absolute paths before changing directory.
bins=""
for bin in "$@"; do
	case "$bin" in
	/*) ;;
	*) bin="$(pwd)/$bin" ;;
	esac
	bins="$bins $bin"
done
cd "$top" || exit 2

log=$(mktemp "${TMPDIR:-/tmp}/numalens-unit.XXXXXX") || exit 2
trap 'rm -f "$log"' EXIT INT TERM

for bin in $bins; do
	name=$(basename "$bin")
	echo "== $name"
	if [ ! -x "$bin" ]; then
		fail "$name: not found or not executable"
		continue
	fi
	# cmocka's standard output format, whatever the environment says.
	CMOCKA_MESSAGE_OUTPUT=stdout "$bin" >"$log" 2>&1
	rc=$?
	cat "$log"
	cmocka_results "$name" "$log" "$rc"
done

tally
