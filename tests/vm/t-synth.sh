# The long path of a hardware memory sample, with made-up samples
# (tests/bpf/test_synth.c): the test-only program loads, verifies and runs
# through BPF_PROG_TEST_RUN on this kernel, every exact count holds, and the
# perf_event variants around the same accounting load.
# The test makes up its own topology and physical address table, so one
# node is enough. Sourced by run.sh.
# shellcheck shell=bash disable=SC2034,SC2016

T_NODES="0-1:512M"
T_DISTS=""
T_GUEST=$VM_HERE/guest/synth.sh

t_check() {
	local d=$1

	check "synthetic samples on $VM_KERNEL_LABEL: exit 0 ($(vm_v "$d" synth-tests.rc))" \
		rc_is "$d" synth-tests 0
	check "synthetic samples on $VM_KERNEL_LABEL: all 11 passed" \
		grep -q 'PASSED  \] 11 test' "$d/synth-tests"
	# The sampling variant with direct loads needs bpf_cast_to_kern_ctx (6.2+).
	local kctx=yes
	[ "$VM_KERNEL_LABEL" = 6.1 ] && kctx=no
	check "synthetic samples on $VM_KERNEL_LABEL: bpf_cast_to_kern_ctx $kctx, the variants that load with it loaded" \
		grep -q "bpf_cast_to_kern_ctx: $kctx" "$d/synth-tests"
}
