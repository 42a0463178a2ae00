// SPDX-License-Identifier: GPL-2.0
/*
 * The baseline of the long-path benchmark (synth.c): a syscall program that
 * does nothing, run through BPF_PROG_TEST_RUN with the same context as
 * numalens's nl_synth_sample. Its run_time_ns per run is the floor the
 * kernel's own measurement reports for any program of this type.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("syscall")
int bench_empty_syscall(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
