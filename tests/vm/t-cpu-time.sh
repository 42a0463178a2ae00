# CPU time per node on two nodes (CPUs 0-1 on node 0, 2-3 on node 1): the
# host's exactness tests (tests/bpf/test_cputime.c) pass on this kernel, and
# a thread the workload moves between the nodes every 50 ms has the per-node
# time the workload measured itself, and a thread moved by CPU hotplug has
# its time split at the move. Also the long path of a hardware memory
# sample with made-up samples (tests/bpf/test_synth.c: its own topology and
# physical address table): the test-only program loads, verifies and runs
# through BPF_PROG_TEST_RUN here, every exact count holds, and the
# perf_event variants around the same accounting load. Sourced by run.sh.
# shellcheck shell=bash disable=SC2034,SC2016

T_NODES="0-1:512M 2-3:512M"
T_DISTS=""
T_GUEST=$VM_HERE/guest/cpu-time.sh
T_SECONDS=40 # its guest's time, about: run.sh boots the longest first

# flip_v DIR KEY: a value of the workload's "flip ..." line.
flip_v() {
	sed -n 's/^flip //p' "$1/wl.flip" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

t_check() {
	local d=$1 n0 n1 main moving total flips exit_ns cgroup_ns

	check "exactness tests on $VM_KERNEL_LABEL: exit 0 ($(vm_v "$d" cputime-tests.rc))" \
		rc_is "$d" cputime-tests 0
	check "exactness tests on $VM_KERNEL_LABEL: all 6 passed" \
		grep -q 'PASSED  \] 6 test' "$d/cputime-tests"
	check "synthetic samples on $VM_KERNEL_LABEL: exit 0 ($(vm_v "$d" synth-tests.rc))" \
		rc_is "$d" synth-tests 0
	check "synthetic samples on $VM_KERNEL_LABEL: all 12 passed" \
		grep -q 'PASSED  \] 12 test' "$d/synth-tests"
	# The sampling variant with direct loads needs bpf_cast_to_kern_ctx,
	# which 6.1 lacks (the test reports what the kernel's BTF has).
	local kctx=yes
	[ "$VM_KERNEL_LABEL" = 6.1 ] && kctx=no
	check "synthetic samples on $VM_KERNEL_LABEL: bpf_cast_to_kern_ctx $kctx, the variants that load with it loaded" \
		grep -q "bpf_cast_to_kern_ctx: $kctx" "$d/synth-tests"

	check "flip workload: exit 0 ($(vm_v "$d" flip.wl_rc))" [ "$(vm_v "$d" flip.wl_rc)" = 0 ]
	n0=$(flip_v "$d" 0) n1=$(flip_v "$d" 1) main=$(flip_v "$d" main_ns)
	moving=$(flip_v "$d" moving_ns) total=$(flip_v "$d" process_ns) flips=$(flip_v "$d" flips)
	check "flip workload: it moved every 50 ms ($flips moves)" num_ge "${flips:-0}" 40
	FLIP=$(vm_v "$d" flip.pid)
	export FLIP
	diag_check "$d" flip
	jq_check "flip: reported as exited" "$d/flip.json" 'proc($ENV.FLIP).exited' '. == true'
	# The workload's own clocks: its thread's time on each node, its main
	# thread's on node 0, and the syscalls that moved the thread on either.
	jq_check "flip: node 0 within 2% of the workload's ($n0 + $main ns, + $moving moving, of $total)" \
		"$d/flip.json" 'proc($ENV.FLIP).cpu_seconds_by_node["0"] * 1e9' \
		". >= $n0 + $main - 0.02 * $total and . <= $n0 + $main + $moving + 0.02 * $total"
	jq_check "flip: node 1 within 2% of the workload's ($n1 ns, + $moving moving, of $total)" \
		"$d/flip.json" 'proc($ENV.FLIP).cpu_seconds_by_node["1"] * 1e9' \
		". >= $n1 - 0.02 * $total and . <= $n1 + $moving + 0.02 * $total"
	# The kernel's counts at its exit: of the cgroup it was born in, which
	# update_curr() adds every instant of every thread to (the known answer,
	# to the us: both rounded to it), and of the process (its parent's
	# wait4), which lacks what the threads other than the last ran between
	# their release and their last switch (0.2 ms here, once 17 ms on a
	# loaded host: a vCPU switched out there runs on the guest's clock).
	exit_ns=$(sed -n 's/^rusage pid=[0-9]* status=0 cpu_ns=//p' "$d/wl.flip")
	cgroup_ns=$(vm_v "$d" flip.cgroup_ns)
	jq_check "flip: both nodes minus its cgroup's count ($cgroup_ns ns; $total ns before it ended), in ns: within 2 us" \
		"$d/flip.json" 'proc($ENV.FLIP).cpu_seconds * 1e9 | . - '"${cgroup_ns:-0}" \
		"${cgroup_ns:-0} > 0 and . >= -2000 and . <= 2000"
	jq_check "flip: both nodes minus the process's count at its exit ($exit_ns ns), in ns: at least -5 us" \
		"$d/flip.json" 'proc($ENV.FLIP).cpu_seconds * 1e9 | . - '"${exit_ns:-0}" \
		"${exit_ns:-0} > 0 and . >= -5000"
	jq_check "flip: a cross-node migration per move ($flips)" "$d/flip.json" \
		'proc($ENV.FLIP).migrations.cross_node' ". >= $flips and . <= $flips + 3"
	t_check_hotplug "$d"
}

# The CPU-hotplug part (guest/cpu-time.sh): node 1's time ends at the move,
# which happened between the two schedstat reads around the offlining.
t_check_hotplug() {
	local d=$1 before after
	before=$(vm_v "$d" hotplug.before_ns) after=$(vm_v "$d" hotplug.after_ns)
	check "hotplug: CPU 3 went offline ($(vm_v "$d" hotplug.offline_rc))" \
		[ "$(vm_v "$d" hotplug.offline_rc)" = 0 ]
	check "hotplug: the thread ran on CPU 3, then on CPU 1 ($(vm_v "$d" hotplug.cpu_before) -> $(vm_v "$d" hotplug.cpu_after))" \
		[ "$(vm_v "$d" hotplug.cpu_before) $(vm_v "$d" hotplug.cpu_after)" = "3 1" ]
	HOT=$(vm_v "$d" hotplug.pid)
	export HOT
	diag_check "$d" hotplug
	# Taskset ran a few instants on another CPU before it went to CPU 3.
	jq_check "hotplug: node 1's time is what it ran until the move ($before to $after ns)" \
		"$d/hotplug.json" 'proc($ENV.HOT).cpu_seconds_by_node["1"] * 1e9' \
		". >= $before - 5e6 and . <= $after"
	jq_check "hotplug: it ran on node 0 after the move" "$d/hotplug.json" \
		'proc($ENV.HOT).cpu_seconds_by_node["0"]' '. >= 0.5'
	jq_check "hotplug: no move of a running thread seen" "$d/hotplug.json" \
		'.health.running_thread_moves' '. == 0'
}
