#!/bin/bash
# The counting of the suites (make results-test): tests/results-lib.sh on
# made-up results, on cmocka output with skipped tests, through
# tests/run-unit.sh on a real cmocka binary made to skip a test, and
# tests/run-all.sh adding up stages (a stand-in for make prints them).
#   tests/results-test.sh TEST_EXPORT_ADVICE_BINARY
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/results-lib.sh
. "$top/tests/results-lib.sh"
out=$(mktemp -d "${TMPDIR:-/tmp}/numalens-results.XXXXXX") || exit 2
trap 'rm -rf "$out"' EXIT
advice=${1:-$top/build/tests/test_export_advice}

# suite CODE: runs CODE as a suite of its own (in sh, as run-unit.sh does);
# its output in $out/suite, its exit status in $status.
suite() {
	sh -c ". '$top/tests/results-lib.sh'; $1" >"$out/suite" 2>&1
	status=$?
}
last_is() { [ "$(tail -n 1 "$out/suite")" = "$1" ] || { echo "  last line: $(tail -n 1 "$out/suite")"; false; }; }
has_line() { grep -qxF -- "$1" "$out/suite" || { sed 's/^/  | /' "$out/suite"; false; }; }

suite 'pass a; fail b; skip c "no c here"; check d true; check e false; tally'
check "a suite: 2 passed, 2 failed, 1 skipped" last_is "2 passed, 2 failed, 1 skipped"
check "a suite: the skip listed with its reason, before the last line" \
	bash -c "tail -n 2 '$out/suite' | head -n 1 | grep -qxF 'skipped: c: no c here'"
check "a suite with failures: exit 1 ($status)" [ "$status" -eq 1 ]
suite 'pass a; skip b "why b"; skip c "why c"; tally'
check "passes and skips only: exit 0 ($status), a skip does not fail" [ "$status" -eq 0 ]
check "passes and skips only: 1 passed, 0 failed, 2 skipped" last_is "1 passed, 0 failed, 2 skipped"
suite 'TEST_LABEL="6.1 pin"; skip x "no y"; need no-such-command-here p q; tally'
check "TEST_LABEL names the skip" has_line "skipped: 6.1 pin: x: no y"
check "need: a missing command skips each test named" \
	bash -c "grep -qxF 'skipped: 6.1 pin: q: no-such-command-here is not installed' '$out/suite' &&
		tail -n 1 '$out/suite' | grep -qxF '0 passed, 0 failed, 3 skipped'"

# cmocka's output (1.1) for a run of four: one passed, one failed, two skipped.
cat >"$out/cmocka" <<'EOF'
[==========] Running 4 test(s).
[ RUN      ] test_ok
[       OK ] test_ok
[ RUN      ] test_why
skip: no CPU 1 here
[  SKIPPED ] test_why
[ RUN      ] test_mute
[  SKIPPED ] test_mute
[ RUN      ] test_bad
[  ERROR   ] --- 1 != 2
[   LINE   ] --- x.c:3: error: Failure!
[  FAILED  ] test_bad
[==========] 4 test(s) run.
[  PASSED  ] 1 test(s).
[  FAILED  ] 1 test(s), listed below:
[  FAILED  ] test_bad
[  SKIPPED ] 2 test(s), listed below:
[  SKIPPED ] test_why
[  SKIPPED ] test_mute

 1 FAILED TEST(S)
EOF
suite "cmocka_results bin '$out/cmocka' 1; tally"
check "cmocka output: 1 passed, 1 failed, 2 skipped" last_is "1 passed, 1 failed, 2 skipped"
check "cmocka output: a skip with the reason the test gave" has_line "skipped: bin/test_why: no CPU 1 here"
check "cmocka output: a skip without one says so" has_line "skipped: bin/test_mute: gave no reason"
head -n 3 "$out/cmocka" >"$out/cut"
suite "cmocka_results bin '$out/cut' 139; tally"
check "a binary killed before its results: one failure" \
	bash -c "grep -qxF 'FAIL bin: killed by signal 11' '$out/suite' && tail -n 1 '$out/suite' | grep -qxF '0 passed, 1 failed, 0 skipped'"

# A real cmocka binary: on CPU 0 only, test_suggestion_per_pid skips.
taskset -c 0 "$top/tests/run-unit.sh" "$advice" >"$out/suite" 2>&1
status=$?
check "run-unit.sh, test_export_advice on CPU 0: 3 passed, 0 failed, 1 skipped, exit 0 ($status)" \
	bash -c "[ $status -eq 0 ] && tail -n 1 '$out/suite' | grep -qxF '3 passed, 0 failed, 1 skipped'"
check "run-unit.sh: names the skipped test and why" \
	has_line "skipped: test_export_advice/test_suggestion_per_pid: this process may not run on CPU 1 (node 1 of the fake topology)"

# run-all.sh adding up stages; a stage without a count line is one failure.
cat >"$out/make" <<'EOF'
#!/bin/sh
case $2 in
unit-test) printf '%s\n' "skipped: t/a: no a" "3 passed, 0 failed, 1 skipped" ;;
bpf-test) echo "2 passed, 0 failed" ;;
cli-test) printf '%s\n' "skipped: b: no b" "skipped: c: no c" "1 passed, 1 failed, 2 skipped" \
	"make[1]: *** [Makefile:1: cli-test] Error 1" ;;
fuzz-smoke) printf '%s\n' "cc: error: x.c: No such file" "make: *** [Makefile:2: x] Error 1" ;;
tui-test) printf '%s\n' "4 passed, 0 failed, 0 skipped" "make: *** [Makefile:3: y] Error 2" ;;
*) echo "1 passed, 0 failed, 0 skipped" ;;
esac
EOF
chmod +x "$out/make"
MAKE=$out/make NUMALENS_SKIP_VM=1 "$top/tests/run-all.sh" >"$out/suite" 2>&1
status=$?
stages=$(grep -c '^==== ' "$out/suite")
others=$((stages - 6)) # less the summary and the five above
check "run-all.sh: the stages' counts added up, exit 1 ($status)" \
	bash -c "[ $status -eq 1 ] && tail -n 1 '$out/suite' | grep -qxF '$((8 + others)) passed, 4 failed, 3 skipped'"
check "run-all.sh: a stage with the old count line is a failure" \
	grep -qE '^  bpf-test: 0 passed, 1 failed, 0 skipped \([0-9]+ s\)$' "$out/suite"
check "run-all.sh: a stage's failures and its make's error are counted once" \
	grep -qE '^  cli-test: 1 passed, 1 failed, 2 skipped \([0-9]+ s\)$' "$out/suite"
check "run-all.sh: a make error without a count line is one failure" \
	grep -qE '^  fuzz-smoke: 0 passed, 1 failed, 0 skipped \([0-9]+ s\)$' "$out/suite"
check "run-all.sh: a make error after passes only is one failure" \
	grep -qE '^  tui-test: 4 passed, 1 failed, 0 skipped \([0-9]+ s\)$' "$out/suite"
check "run-all.sh: lists each stage's skips" \
	bash -c "grep -qxF 'skipped: unit-test: t/a: no a' '$out/suite' && grep -qxF 'skipped: cli-test: c: no c' '$out/suite'"

tally
