// SPDX-License-Identifier: GPL-2.0
/*
 * The baseline of the cost benchmark: a tp_btf/sched_switch program that
 * does nothing. Its run_time_ns per event is the floor that the kernel's
 * own measurement (a clock read on each side of every run, with
 * kernel.bpf_stats_enabled=1) reports for any program on this tracepoint,
 * so the numalens handler is compared with it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sched_switch")
int BPF_PROG(bench_empty_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
