# numalens selftest on the host (one NUMA node), sourced by tests/cli/run.sh
# (its run, check, jtrue, status_is, $nl and $out): what it says it cannot
# test and its own exit status, the local probe against its known share 0,
# the JSON's shape, the probes gone after SIGTERM and after SIGKILL, and
# what doctor says from the state file. 42 s on a loaded 2-core host.
# shellcheck shell=bash disable=SC2154 # out, nl: run.sh's

st_state=$out/st/selftest.json
st_nodes=$(find /sys/devices/system/node -maxdepth 1 -name 'node[0-9]*' | wc -l)
if [ "$st_nodes" -ne 1 ]; then
	skip "selftest on the host" "written for a one-node host, this one has $st_nodes (the VM tests t-selftest-*.sh cover more)"
	return 0
fi
# probe_pids PARENT: the selftest probes whose parent is PARENT.
probe_pids() { pgrep -P "$1" -x numalens-probe; }

run env NUMALENS_SELFTEST_FILE="$st_state" "$nl" selftest -d 1 --json
check "selftest on one node: exit 9 (nothing remote), not a failure ($status: $(head -c 300 "$out/stderr"))" status_is 9
check "selftest --json: verdict untestable, exit_status 9, one node, remote not tested" \
	jtrue '[.verdict, .exit_status, .nodes, .remote_tested] == ["untestable", 9, 1, false]'
check "selftest --json: says what it cannot test (one NUMA node)" \
	jtrue '.cannot_test | test("one NUMA node")'
check "selftest --json: one probe, node 0 -> 0, known share 0, its memory on node 0 (move_pages)" \
	jtrue '[.probes[] | [.cpu_node, .mem_node, .known_remote_share, .ran, .memory_on_mem_node >= 0.99]] == [[0, 0, 0, true, true]]'
check "selftest --json: placement measured the probe at 0, passed" \
	jtrue '.probes[0].sources.placement | [.remote_share, .verdict] == [0, "pass"]'
check "selftest --json: the probe was busy (cpu_seconds > 0.05)" jtrue '.probes[0].cpu_seconds > 0.05'
check "selftest --json: every source listed with active, method, verdict, probes; an inactive one says why" \
	jtrue '.sources | keys == ["hint_faults", "placement", "pmu"] and (to_entries | all(.value | has("active") and has("method") and has("verdict") and has("probes") and (.active or (.why_not_tested | length > 0))))'
check "selftest --json: cpu id and kernel" jtrue '(.cpu.id | length > 0) and (.kernel | length > 0)'
check "selftest on one node: nothing recorded for doctor (no remote probe)" [ ! -e "$st_state" ]
cpu_id=$(jq -r .cpu.id "$out/stdout")

# Software sampling (page faults) has no remote share: pmu not tested, why.
run "$nl" selftest -d 1 --no-record --pmu-software
check "selftest --pmu-software: pmu not tested, says software sampling has no remote share" \
	grep -Eq '^  pmu +not_tested +software sampling .* has no remote share to check$' "$out/stdout"
check "selftest text on one node: exit 9, says why, verdict untestable" \
	bash -c "[ $status -eq 9 ] && grep -q '^cannot test here: this machine has one NUMA node' '$out/stdout' && grep -q '^verdict: untestable' '$out/stdout'"
check "selftest text: the local probe's row, placement 0.00" \
	grep -Eq '^node 0 -> 0 +0 +.* 0\.00$' "$out/stdout"

run "$nl" selftest --help
check "selftest --help: exit 0, documents statuses 8 and 9 and the state file" \
	bash -c "[ $status -eq 0 ] && grep -q '8 a source outside it' '$out/stdout' && grep -q '9 nothing remote to test' '$out/stdout' && grep -q NUMALENS_SELFTEST_FILE '$out/stdout'"
run "$nl" selftest --max-pairs 0
one_line_error "selftest --max-pairs 0" "--max-pairs must be .*from 1 to 64, not '0'"
run "$nl" selftest --tolerance 0
one_line_error "selftest --tolerance 0" "--tolerance must be a share above 0 and up to 1, not '0'"
run "$nl" selftest --size 1K
one_line_error "selftest --size 1K" "--size must be a size"

# Stopped while a probe runs: the probe goes with it, by SIGTERM (its
# cleanup) and by SIGKILL (the probe's parent-death signal).
for sig in TERM KILL; do
	"$nl" selftest -d 60 --no-record >"$out/st-sig" 2>&1 &
	st_pid=$!
	for _ in $(seq 100); do
		[ -n "$(probe_pids "$st_pid")" ] && break
		sleep 0.1
	done
	st_probe=$(probe_pids "$st_pid")
	kill -"$sig" "$st_pid"
	# (bash's own "Killed" line kept out of the log)
	{ wait "$st_pid"; } 2>/dev/null
	status=$?
	for _ in $(seq 50); do
		if [ -z "$st_probe" ] || [ ! -d "/proc/$st_probe" ]; then break; fi
		sleep 0.1
	done
	check "selftest SIG$sig while probe ${st_probe:-(none seen)} runs: the probe is gone within 5 s" \
		bash -c "[ -n '$st_probe' ] && [ ! -d '/proc/$st_probe' ]"
	[ "$sig" = TERM ] && check "selftest SIGTERM: exit 1, no verdict of pass (status $status)" \
		bash -c "[ $status -eq 1 ] && grep -q '^verdict: interrupted' '$out/st-sig'"
done

# doctor: never verified here; then what a recorded test found; a file
# that is not JSON.
run env NUMALENS_SELFTEST_FILE="$st_state" "$nl" doctor
# (One node here: a self-test cannot verify it, and doctor does not send
# the user to one; the VM tests check the advice on two nodes.)
check "doctor without a record, one node: placement not verified and cannot be here ($cpu_id)" \
	bash -c "[ $status -eq 0 ] && grep -Eq '^ +placement +has not been verified on this CPU, and cannot be here: one NUMA node' '$out/stdout' && ! grep -q 'run numalens selftest' '$out/stdout' && grep -qF 'self-test on this CPU ($cpu_id)' '$out/stdout'"
mkdir -p "$out/st"
jq -n --arg id "$cpu_id" '{cpus: {($id): {sources: {placement: {verdict: "fail", time: 1764979200,
	max_error: 0.42, tolerance: 0.1, probes: 4, kernel: "6.1.0-test"}}}}}' >"$st_state"
run env NUMALENS_SELFTEST_FILE="$st_state" "$nl" doctor
check "doctor with a failed record: placement FAILED, its error and kernel" \
	grep -Eq '^ +placement +FAILED on 2025-12-0[56] \(Linux 6\.1\.0-test\): largest error 0\.42, tolerance 0\.10; ' "$out/stdout"
echo '{ not json' >"$st_state"
run env NUMALENS_SELFTEST_FILE="$st_state" "$nl" doctor
check "doctor with a state file that is not JSON: says it cannot read it, exit 0" \
	bash -c "[ $status -eq 0 ] && grep -Eq '^ +placement +cannot read $st_state' '$out/stdout'"
