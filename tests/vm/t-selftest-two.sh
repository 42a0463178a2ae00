# numalens selftest on two nodes (CPUs 0-1 on node 0, 2-3 on node 1, 1 GiB
# each): placement and hinting faults against the probes' known shares.
# Sourced by run.sh.
# shellcheck shell=bash disable=SC2034,SC2016

T_NODES="0-1:1G 2-3:1G"
T_DISTS=""
T_GUEST=$VM_HERE/guest/selftest.sh
T_SECONDS=55 # its guest's time, about: run.sh boots the longest first
T_PAIRS='[[0,1],[1,0],[0,0],[1,1]]'

t_check() {
	selftest_check "$1"
}

# selftest_check DIR: what the guest's selftest runs handed back, against
# the probes' known shares and T_PAIRS (t-selftest-four.sh shares it).
selftest_check() {
	local d=$1 src tol=0.1
	check "kernel: numa_balancing is 1 (got $(vm_v "$d" numa_balancing))" [ "$(vm_v "$d" numa_balancing)" = 1 ]
	check "selftest: exit status 0 (got $(vm_v "$d" st.rc); stderr: $(head -c 300 "$d/st.err"))" \
		[ "$(vm_v "$d" st.rc)" = 0 ]
	jq_check "selftest: verdict pass, exit_status 0" "$d/st.json" '[.verdict, .exit_status]' \
		'. == ["pass", 0]'
	jq_check "selftest: probes (cpu node, mem node) are $T_PAIRS" "$d/st.json" \
		'[.probes[] | [.cpu_node, .mem_node]]' ". == $T_PAIRS"
	jq_check "selftest: known shares 1 for A != B, 0 for A == B" "$d/st.json" \
		'[.probes[] | .known_remote_share == (if .cpu_node == .mem_node then 0 else 1 end)] | all' '. == true'
	jq_check "kernel: every probe's memory on its mem node (move_pages >= 0.99)" "$d/st.json" \
		'[.probes[] | .ran and .memory_on_mem_node >= 0.99] | all' '. == true'
	for src in placement hint_faults; do
		jq_check "selftest: $src active, verdict pass over every probe" "$d/st.json" \
			".sources.$src | [.active, .verdict, .probes]" "(. == [true, \"pass\", $(jq '.probes | length' "$d/st.json")])"
		# The figures themselves against the known answers, not selftest's verdict.
		jq_check "selftest: $src within $tol of the known share on every probe" "$d/st.json" \
			"[.probes[] | .known_remote_share - .sources.$src.remote_share | fabs <= $tol] | all" '. == true'
		echo "  $src per probe (cpu node, mem node, share): $(jq -c \
			"[.probes[] | [.cpu_node, .mem_node, .sources.$src.remote_share]]" "$d/st.json" 2>&1)"
	done
	jq_check "selftest: hint_faults counted fault pages on every probe (>= 64)" "$d/st.json" \
		'[.probes[] | .sources.hint_faults.samples >= 64] | all' '. == true'
	jq_check "selftest: pmu not tested here (qemu has no PEBS or IBS), and says why" "$d/st.json" \
		'.sources.pmu | [.verdict, (.why_not_tested | length > 0)]' '. == ["not_tested", true]'
	jq_check "selftest: state file records placement and hint_faults passed for this CPU" "$d/state" \
		'[.cpus[] | .sources.placement.verdict, .sources.hint_faults.verdict]' '. == ["pass", "pass"]'
	check "doctor before: placement has not been verified on this CPU" \
		grep -Eq '^ +placement +has not been verified on this CPU: run numalens selftest' "$d/doctor-before"
	check "doctor after: hint_faults and placement passed" \
		bash -c "grep -Eq '^ +hint_faults +passed on ' '$d/doctor-after' && grep -Eq '^ +placement +passed on ' '$d/doctor-after'"
	check "no probe left running (got $(vm_v "$d" probes_left))" [ "$(vm_v "$d" probes_left)" = 0 ]
	# Two nodes only: balancing off, then turned on for one run.
	[ "$T_PAIRS" = '[[0,1],[1,0],[0,0],[1,1]]' ] || return 0
	check "balancing off: text exits 0, verdict pass, hint_faults not tested and says --enable-balancing (rc $(vm_v "$d" off.rc))" \
		bash -c "[ '$(vm_v "$d" off.rc)' = 0 ] && grep -q '^verdict: pass' '$d/off' && grep -Eq '^ +hint_faults +not_tested .*--enable-balancing' '$d/off'"
	jq_check "--enable-balancing: hint_faults tested and passed with balancing turned on" "$d/on.json" \
		'.sources.hint_faults.verdict' '. == "pass"'
	check "--enable-balancing: kernel.numa_balancing back to 0 after (got $(vm_v "$d" on.numab_after))" \
		[ "$(vm_v "$d" on.numab_after)" = 0 ]
}
