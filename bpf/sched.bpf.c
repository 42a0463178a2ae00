// SPDX-License-Identifier: GPL-2.0
/*
 * Scheduler side of numalens: where each thread runs, and when it moves.
 *
 * sched_switch is the hottest tracepoint in the kernel, so its handler does
 * the least it can: the scheduler has just brought the outgoing thread's
 * se.sum_exec_runtime up to date, so the time it ran since it was last
 * counted goes to its task-local counter for this CPU's node. No clock read,
 * no shared map, no atomics: a thread is switched out only on the CPU it ran
 * on. The counts are the kernel's own CPU time, as getrusage() reports it.
 *
 * The task-local storage is created outside the scheduler (fork, and the
 * task iterator for threads that predate the agent) because allocating
 * memory with a runqueue lock held can deadlock on kernels whose local
 * storage uses kmalloc (before v6.4).
 *
 * When a thread exits its time is folded into its process's per-node
 * counters, and when the last thread exits the process is marked as exited,
 * so a process that lives shorter than a refresh is still reported.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "compat.bpf.h"
#include "maps.bpf.h"

SEC("tp_btf/sched_switch")
int BPF_PROG(nl_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct nl_task *counters = bpf_task_storage_get(&task_cpu_ns, prev, 0, 0);
	__u64 runtime;

	if (!counters)
		return 0; /* kernel thread, or a thread the iterator has not seen yet */
	runtime = prev->se.sum_exec_runtime;
	counters->cpu_ns[node_of_cpu(bpf_get_smp_processor_id()) & (NL_MAX_NODES - 1)] +=
		runtime - counters->counted_ns;
	counters->counted_ns = runtime;
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(nl_sched_fork, struct task_struct *parent, struct task_struct *child)
{
	struct nl_task *counters;

	if (child->flags & NL_PF_KTHREAD)
		return 0;
	counters = bpf_task_storage_get(&task_cpu_ns, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!counters) {
		health_inc(NL_H_TASK_STORAGE_FAIL);
		return 0;
	}
	counters->started = 1; /* it has run 0 ns: count from there */
	task_pmu_create(child);
	return 0;
}

SEC("tp_btf/sched_migrate_task")
int BPF_PROG(nl_sched_migrate, struct task_struct *task, int dest_cpu)
{
	struct nl_proc *proc;

	if (task->flags & NL_PF_KTHREAD)
		return 0;
	proc = proc_get(task);
	if (!proc)
		return 0;
	__sync_fetch_and_add(&proc->migrations, 1);
	if (node_of_cpu(task_cpu(task)) != node_of_cpu(dest_cpu))
		__sync_fetch_and_add(&proc->cross_node_migrations, 1);
	return 0;
}

/* Threads of one process can exit at once on several CPUs: create the
 * entry (or find the other's), then add. */
static __always_inline void pmu_fold(__u32 tgid, const struct nl_pmu_proc *samples)
{
	static const struct nl_pmu_proc zero;
	struct nl_pmu_proc *proc;
	long err;

	proc = bpf_map_lookup_elem(&pmu_procs, &tgid);
	if (!proc) {
		err = bpf_map_update_elem(&pmu_procs, &tgid, &zero, BPF_NOEXIST);
		if (err && err != -NL_EEXIST) {
			health_inc(NL_H_PMU_PROCS_FULL);
			return;
		}
		proc = bpf_map_lookup_elem(&pmu_procs, &tgid);
		if (!proc)
			return;
	}
	pmu_add(proc, samples);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(nl_sched_exit, struct task_struct *task)
{
	struct nl_pmu_proc *samples;
	struct nl_proc_node *pn;
	struct nl_task *counters;
	struct nl_proc *proc;
	__u32 node;

	if (task->flags & NL_PF_KTHREAD)
		return 0;
	counters = bpf_task_storage_get(&task_cpu_ns, task, 0, 0);
	if (counters) {
		/* What it ran since its last switch, on the CPU it exits on. */
		node = node_of_cpu(bpf_get_smp_processor_id()) & (NL_MAX_NODES - 1);
		counters->cpu_ns[node] += task->se.sum_exec_runtime - counters->counted_ns;
		counters->counted_ns = task->se.sum_exec_runtime;
		for (node = 0; node < NL_MAX_NODES && node < nr_node_ids; node++) {
			if (!counters->cpu_ns[node])
				continue;
			pn = proc_node_get(task->tgid, node);
			if (pn)
				__sync_fetch_and_add(&pn->exited_cpu_ns, counters->cpu_ns[node]);
		}
		/* The iterator still sees a zombie: drop its storage so its time
		 * is not counted twice. */
		bpf_task_storage_delete(&task_cpu_ns, task);
	}
	/* Its samples go to the process, as its time did. */
	samples = bpf_task_storage_get(&task_pmu, task, 0, 0);
	if (samples) {
		if (samples->samples)
			pmu_fold(task->tgid, samples);
		bpf_task_storage_delete(&task_pmu, task);
	}
	/* do_exit() decrements signal->live before this tracepoint: zero means
	 * this was the last thread of the process. */
	if (BPF_CORE_READ(task, signal, live.counter) == 0) {
		proc = proc_get(task);
		if (proc)
			proc->exit_ns = bpf_ktime_get_ns();
	}
	return 0;
}
