#!/bin/sh
# Runs each libFuzzer target for SECONDS on a copy of its seed corpus
# (tests/fuzz/corpus/NAME for build/fuzz/fuzz_NAME), so the repository is
# left as it was. Prints the executions done per target; fails if any target
# finds a crash, a leak, undefined behaviour or a timeout. Inputs that fail
# are kept in FUZZ_ARTIFACTS (default: artifacts/ beside the binary). Ends
# with "N passed, N failed, N skipped", a target a test (tests/results-lib.sh).
# tests/fuzz/NAME.dict, where present, is the target's dictionary. The
# targets run FUZZ_JOBS at a time (default: the CPUs).
#   tests/fuzz/run.sh SECONDS BINARY...
set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 SECONDS BINARY..." >&2
	exit 2
fi
secs=$1
shift
case "$secs" in
'' | *[!0-9]*)
	echo "$0: SECONDS must be a number, not '$secs'" >&2
	exit 2
	;;
esac

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/results-lib.sh
. "$here/../results-lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/numalens-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT INT TERM

# Undefined behaviour stops the run (the targets are built recoverable).
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

# fuzz_one BIN: runs one target into $work/NAME.{log,rc}.
fuzz_one() {
	name=$(basename "$1")
	target=${name#fuzz_}
	corpus="$work/$target"
	mkdir -p "$corpus"
	if [ -d "$here/corpus/$target" ]; then
		cp "$here/corpus/$target"/* "$corpus"/ 2>/dev/null
	fi
	find "$corpus" -type f | wc -l >"$work/$target.seeds"
	art=${FUZZ_ARTIFACTS:-$(dirname "$1")/artifacts}/$target
	mkdir -p "$art"
	dict=""
	[ -f "$here/$target.dict" ] && dict="-dict=$here/$target.dict"
	# shellcheck disable=SC2086
	"$1" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 $dict \
		-print_final_stats=1 -artifact_prefix="$art/" "$corpus" >"$work/$target.log" 2>&1
	echo $? >"$work/$target.rc"
}

# Each target is one process: one per CPU at a time, reported in order.
jobs=${FUZZ_JOBS:-$(nproc)}
running=0
for bin in "$@"; do
	[ -x "$bin" ] || continue
	fuzz_one "$bin" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

for bin in "$@"; do
	name=$(basename "$bin")
	target=${name#fuzz_}
	if [ ! -x "$bin" ]; then
		fail "$name: not found or not executable"
		continue
	fi
	log="$work/$target.log"
	art=${FUZZ_ARTIFACTS:-$(dirname "$bin")/artifacts}/$target
	rc=$(cat "$work/$target.rc" 2>/dev/null || echo '?')
	seeds=$(cat "$work/$target.seeds" 2>/dev/null)
	execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	files=$(find "$work/$target" -type f | wc -l)
	if [ "$rc" != 0 ]; then
		fail "$name: exit $rc after ${execs:-?} executions; last lines of its log:"
		tail -n 40 "$log" | sed 's/^/  | /'
		for f in "$art"/*; do
			[ -f "$f" ] && echo "  input kept: $f"
		done
	else
		pass "$name: ${execs:-?} executions in ${secs} s, corpus $seeds -> $files inputs"
	fi
done

echo "fuzz: $T_PASSED of $# targets clean"
tally
