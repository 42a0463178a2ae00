#!/bin/sh
# make test-deploy: numalens as it ships (issue 17). Each tests/deploy/t-*.sh
# is a suite of its own (tests/results-lib.sh) that gets the built tree as
# its working directory; this runs them in name order, prints their output
# and adds up their last lines. NUMALENS_DEPLOY_ONLY=NAME runs only
# t-NAME.sh. A suite that prints no count counts as one failure. Each
# suite's "skipped: " lines are in its output (run-all.sh collects them).
set -u

cd "$(dirname "$0")/../.." || exit 2
passed=0
failed=0
skipped=0
log=$(mktemp "${TMPDIR:-/tmp}/numalens-deploy.XXXXXX") || exit 2
# A signal ends the run (a trap that only cleaned up let it go on to the
# next stage), the log removed on the way out.
trap 'rm -f "$log"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
for t in tests/deploy/t-*.sh; do
	name=${t##*/t-}
	name=${name%.sh}
	[ -n "${NUMALENS_DEPLOY_ONLY:-}" ] && [ "$name" != "$NUMALENS_DEPLOY_ONLY" ] && continue
	echo "== deploy: $name"
	start=$(date +%s)
	TEST_LABEL=$name "$t" 2>&1 | tee "$log"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
	# shellcheck disable=SC2086 # its words: N passed, N failed, N skipped
	set -- $line
	passed=$((passed + ${1:-0}))
	failed=$((failed + ${3:-1}))
	skipped=$((skipped + ${5:-0}))
	echo "== deploy: $name: ${line:-no count: one failure} ($(($(date +%s) - start)) s)"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
