# Counting results in the test suites (sh or bash, sourced). pass, fail,
# skip and check add one result each and print it; tally prints every skip
# as "skipped: NAME: REASON", then the suite's last line, "N passed,
# N failed, N skipped", and is true only if nothing failed. A skip is
# neither a pass nor a failure. TEST_LABEL, when set, prefixes the names.
# tests/run-all.sh adds up the last lines of the suites.
# shellcheck shell=sh disable=SC3043 # local: dash and bash have it

T_PASSED=0
T_FAILED=0
T_SKIPPED=0
T_SKIPS=""

pass() {
	echo "PASS ${TEST_LABEL:+$TEST_LABEL: }$*"
	T_PASSED=$((T_PASSED + 1))
}

fail() {
	echo "FAIL ${TEST_LABEL:+$TEST_LABEL: }$*"
	T_FAILED=$((T_FAILED + 1))
}

# skip NAME REASON: a test that did not run here, and why (one line).
skip() {
	local line="${TEST_LABEL:+$TEST_LABEL: }$1: $2"
	echo "SKIP $line"
	T_SKIPPED=$((T_SKIPPED + 1))
	T_SKIPS="${T_SKIPS:+$T_SKIPS
}skipped: $line"
}

# check NAME CONDITION...: passes when the command CONDITION succeeds.
check() {
	local name="$1"
	shift
	if "$@"; then
		pass "$name"
	else
		fail "$name"
	fi
}

# check_showing FILE... -- NAME COMMAND...: check, and on failure the
# files the command judged (paths without blanks), indented, so that a rare
# failure can be read from the log alone.
check_showing() {
	local files="" failed f
	while [ "$1" != -- ]; do
		files="$files $1"
		shift
	done
	shift
	failed=$T_FAILED
	check "$@"
	[ "$T_FAILED" = "$failed" ] && return 0
	for f in $files; do
		echo "    --- $f"
		sed 's/^/    /' "$f" 2>/dev/null | head -n 40
	done
	return 0
}

# need COMMAND NAME...: true when COMMAND is installed, else each test NAME
# is skipped.
need() {
	local cmd="$1" name
	shift
	if command -v "$cmd" >/dev/null; then
		return 0
	fi
	for name in "$@"; do
		skip "$name" "$cmd is not installed"
	done
	return 1
}

# tally: every skip, then the last line; true only if nothing failed. A
# suite ends with it, which gives the suite's exit status.
tally() {
	if [ -n "$T_SKIPS" ]; then
		printf '%s\n' "$T_SKIPS"
	fi
	echo "$T_PASSED passed, $T_FAILED failed, $T_SKIPPED skipped"
	[ "$T_FAILED" -eq 0 ]
}

# give_up: a suite that cannot go on (after a fail saying why) stops here,
# with its tally so far.
give_up() {
	tally
	exit
}

# cmocka_results NAME LOG STATUS: the tests of a cmocka binary, from its
# output (LOG, written with CMOCKA_MESSAGE_OUTPUT=stdout) and exit status.
# A skipped test's reason is the "skip: REASON" line it printed
# (skip_because in tests/unit/fixtures.h). A binary that exits non-zero
# without a FAILED count, or that ran no test, is one failure.
cmocka_results() {
	local name="$1" log="$2" rc="$3" p f skipped line
	p=$(sed -n 's/.*\[  PASSED  \] \([0-9][0-9]*\) test(s)\..*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/.*\[  FAILED  \] \([0-9][0-9]*\) test(s).*/\1/p' "$log" | tail -n 1)
	T_PASSED=$((T_PASSED + ${p:-0}))
	T_FAILED=$((T_FAILED + ${f:-0}))
	# "TEST: REASON" per skipped test (the list at the end names them again).
	skipped=$(awk '
		/\[ RUN      \] / { test = $NF; why = ""; next }
		test != "" && /^skip: / { why = substr($0, 7); next }
		/\[  SKIPPED \] / && $NF == test { print test ": " (why == "" ? "gave no reason" : why) }
		/\[ *[A-Z]+ *\] / { test = "" }' "$log")
	while IFS= read -r line; do
		if [ -n "$line" ]; then
			skip "$name/${line%%: *}" "${line#*: }"
		fi
	done <<EOF
$skipped
EOF
	if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
		if [ "$rc" -gt 128 ]; then
			fail "$name: killed by signal $((rc - 128))"
		else
			fail "$name: exit status $rc without a test result"
		fi
	elif [ -z "$p" ] && [ -z "$f" ]; then
		fail "$name: ran no test"
	fi
}
