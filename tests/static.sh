#!/bin/sh
# make static-test: what is checked without running anything: the layers of
# user/ (tests/check-layers.sh) and the code's format (.clang-format).
set -u
cd "$(dirname "$0")/.." || exit 2
# shellcheck source=tests/results-lib.sh
. tests/results-lib.sh

check "every include of user/ goes down the layers (make check-layers)" \
	tests/check-layers.sh
check "the C sources are formatted as .clang-format says (make check-format)" \
	make --no-print-directory check-format
tally
