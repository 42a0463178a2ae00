#!/bin/sh
# make test-load: every host stage of `make test` (tests/run-all.sh without the
# VM stage) while stress-ng keeps every CPU busy. Same output and exit status
# as run-all.sh.
set -u

cd "$(dirname "$0")/.." || exit 2
if ! command -v stress-ng >/dev/null; then
	echo "test-load: stress-ng is missing (make deps, or apt-get install stress-ng)" >&2
	exit 2
fi
cpus=$(nproc)
stress-ng --cpu "$cpus" --timeout 3600 --quiet &
load=$!
trap 'kill "$load" 2>/dev/null; wait "$load" 2>/dev/null' EXIT
trap 'exit 130' INT TERM
echo "test-load: stress-ng --cpu $cpus keeps every CPU busy (pid $load)"
NUMALENS_SKIP_VM=1 tests/run-all.sh
