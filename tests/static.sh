#!/bin/sh
# make static-test: what is checked without running anything: the layers of
# user/ (tests/check-layers.sh) and the code's format (.clang-format).
set -u
cd "$(dirname "$0")/.." || exit 2
# shellcheck source=tests/results-lib.sh
. tests/results-lib.sh

check "every include of user/ goes down the layers (make check-layers)" \
	tests/check-layers.sh
# The check itself catches what it is for: a copy of user/ with a kernel
# header that includes a front end's, and a front end that includes the
# collector's header.
copy=$(mktemp -d "${TMPDIR:-/tmp}/numalens-layers.XXXXXX")
trap 'rm -rf "$copy"' EXIT
cp -r user "$copy/user"
printf '#include "top.h"\n' >>"$copy/user/kernel/procfs.h"
printf '#include "collect.h"\n' >>"$copy/user/top/top_view.c"
tests/check-layers.sh "$copy" 2>"$copy/breaches"
check "check-layers fails on a copy with two breaches (status $?)" [ $? -eq 1 ]
check "... and names the lower layer that includes a higher one" \
	grep -q 'user/kernel/procfs.h (kernel) includes top.h from a higher layer (top)' "$copy/breaches"
check "... and the front end that includes the collector's header" \
	grep -q "user/top/top_view.c (top) includes the collector's collect.h" "$copy/breaches"

check "the C sources are formatted as .clang-format says (make check-format)" \
	make --no-print-directory check-format
tally
