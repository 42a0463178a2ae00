// SPDX-License-Identifier: GPL-2.0
/*
 * The baseline of the cost benchmark: a tp_btf/sched_switch program that
 * does nothing. Its run_time_ns per event is the floor that the kernel's
 * own measurement (a clock read on each side of every run, with
 * kernel.bpf_stats_enabled=1) reports for any program on this tracepoint,
 * so the numalens handler is compared with it. The same on the tracepoints
 * numalens uses instead: the floor of its own programs there.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sched_switch")
int BPF_PROG(bench_empty_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}

SEC("tp_btf/sched_migrate_task")
int BPF_PROG(bench_empty_migrate, struct task_struct *task, int dest_cpu)
{
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(bench_empty_fork, struct task_struct *parent, struct task_struct *child)
{
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(bench_empty_exit, struct task_struct *task)
{
	return 0;
}

SEC("tp_btf/sched_process_free")
int BPF_PROG(bench_empty_free, struct task_struct *task)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
