#!/bin/sh
# Runs the cmocka unit test binaries given as arguments, from the repository's
# top (the fixtures' paths are relative to it), shows their output, and ends
# with one line "N passed, N failed" counting tests across the binaries.
# A binary that crashes, or exits non-zero without a FAILED count, counts as
# one failed test. Exit status: 0 only if nothing failed.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
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

passed=0
failed=0
for bin in $bins; do
	name=$(basename "$bin")
	echo "== $name"
	if [ ! -x "$bin" ]; then
		echo "$name: not found or not executable" >&2
		failed=$((failed + 1))
		continue
	fi
	# cmocka's standard output format, whatever the environment says.
	CMOCKA_MESSAGE_OUTPUT=stdout "$bin" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\..*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s).*/\1/p' "$log" | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
		if [ "$rc" -gt 128 ]; then
			echo "$name: killed by signal $((rc - 128))" >&2
		else
			echo "$name: exit status $rc without a test result" >&2
		fi
		failed=$((failed + 1))
	elif [ -z "$p" ] && [ -z "$f" ]; then
		echo "$name: ran no test" >&2
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
