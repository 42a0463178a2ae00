#!/bin/sh
# Every test of numalens, as `make test` runs them: unit tests, BPF tests and
# command-line tests on this kernel, a short fuzzing pass over every parser,
# and the end-to-end tests in multi-node VMs. Each stage ends with "N passed, N failed"; this
# adds them up and ends with the same line. Exit status 0 only if all passed.
# NUMALENS_SKIP_VM=1 leaves out the VM stage (quick local runs only; CI runs it).
set -u

cd "$(dirname "$0")/.." || exit 2
make=${MAKE:-make}
log=$(mktemp "${TMPDIR:-/tmp}/numalens-test.XXXXXX") || exit 2
trap 'rm -f "$log"' EXIT INT TERM

stages="unit-test bpf-test cli-test fuzz-smoke"
stages="$stages tui-test"
stages="$stages pin-test"
stages="$stages export-test"
[ "${NUMALENS_SKIP_VM:-0}" = 1 ] || stages="$stages vm-test"

passed=0
failed=0
summary=""
for stage in $stages; do
	echo "==== $stage"
	start=$(date +%s)
	$make --no-print-directory "$stage" 2>&1 | tee "$log"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	# A stage that printed no count, or whose make failed (the pipe hides
	# its status, make's own message does not), counts as a failure.
	if [ -z "$line" ] || grep -q '^make.*Error' "$log"; then
		f=$((${f:-0} + 1))
	fi
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	summary="$summary
  $stage: ${p:-0} passed, ${f:-0} failed ($(($(date +%s) - start)) s)"
done

echo "==== summary$summary"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
