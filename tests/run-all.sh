#!/bin/sh
# Every test of numalens, as `make test` runs them: unit tests, BPF tests and
# command-line tests on this kernel, a short fuzzing pass over every parser,
# and the end-to-end tests in multi-node VMs. Each stage ends with "N passed, N failed,
# N skipped" (tests/results-lib.sh); this adds them up, lists every stage's
# "skipped: NAME: REASON" lines, and ends with the same line. A stage that
# prints no such line counts as one failure. Exit status 0 only if nothing failed.
# NUMALENS_SKIP_VM=1 leaves out the stages that take minutes, the deployment
# and VM ones (quick local runs and make test-load; CI runs them).
set -u

cd "$(dirname "$0")/.." || exit 2
# The caller's terminal size and colour choice change what numalens prints
# (COLUMNS even into a pipe, and tmux hands them to the views' panes): the
# tests set them where they test them.
unset COLUMNS LINES NO_COLOR
make=${MAKE:-make}
log=$(mktemp "${TMPDIR:-/tmp}/numalens-test.XXXXXX") || exit 2
# A signal ends the run (a trap that only cleaned up let it go on to the
# next stage), the log removed on the way out.
trap 'rm -f "$log"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

stages="results-test static-test unit-test bpf-test cli-test fuzz-smoke"
stages="$stages tui-test"
stages="$stages pin-test"
stages="$stages export-test"
[ "${NUMALENS_SKIP_VM:-0}" = 1 ] || stages="$stages test-deploy vm-test"

passed=0
failed=0
skipped=0
summary=""
skips=""
for stage in $stages; do
	echo "==== $stage"
	start=$(date +%s)
	$make --no-print-directory "$stage" 2>&1 | tee "$log"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
	# shellcheck disable=SC2086 # its words: N passed, N failed, N skipped
	set -- $line
	p=${1:-0} f=${3:-0} s=${5:-0}
	# A stage that printed no count, or whose make failed (the pipe hides
	# its status, make's own message does not) with no failure counted to
	# say why (a build error), counts as one failure.
	if [ -z "$line" ] || { [ "$f" -eq 0 ] && grep -q '^make.*Error' "$log"; }; then
		f=$((f + 1))
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	summary="$summary
  $stage: $p passed, $f failed, $s skipped ($(($(date +%s) - start)) s)"
	skips="$skips$(sed -n "s/^skipped: /skipped: $stage: /p" "$log")
"
done

echo "==== summary$summary"
printf '%s' "$skips" | grep .
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
