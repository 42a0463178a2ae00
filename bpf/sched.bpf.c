// SPDX-License-Identifier: GPL-2.0
/*
 * Scheduler side of numalens: where each thread runs, and when it moves.
 *
 * On-CPU time per node is credited when a thread changes CPU and when it
 * exits (cputime.bpf.h tells why that is exact); the task iterator adds the
 * part not credited yet at each read. Nothing runs at sched_switch, the
 * hottest tracepoint in the kernel, except on kernels that can move a
 * thread without sched_migrate_task, where the loader attaches
 * nl_sched_switch too. The counts are the kernel's own CPU time, as
 * getrusage() reports it.
 *
 * The task-local storage is created outside the scheduler (fork, and the
 * task iterator for threads that predate the agent) because allocating
 * memory with a runqueue lock held can deadlock on kernels whose local
 * storage uses kmalloc (before v6.4). A thread without storage is a kernel
 * thread or one the iterator has not seen yet: it is skipped.
 *
 * When a thread exits its time and moves are folded into its process's
 * counters (and what it runs after that, when it is freed), and when the
 * last thread exits the process is marked as exited, so a process that
 * lives shorter than a refresh is still reported.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "compat.bpf.h"
#include "cputime.bpf.h"
#include "maps.bpf.h"

/*
 * Only a move to another node needs a credit: until then the time not
 * credited yet was all run on the node the thread is on. Moves within a
 * node, the most frequent by far, cost no more than this test; the kernel
 * counts every move in se.nr_migrations, which the iterator reads.
 */
SEC("tp_btf/sched_migrate_task")
int BPF_PROG(nl_sched_migrate, struct task_struct *task, int dest_cpu)
{
	__u32 from = node_slot(task_cpu(task));
	struct nl_task *t;

	if (from == node_slot(dest_cpu))
		return 0;
	t = bpf_task_storage_get(&task_cpu_ns, task, 0, 0);
	if (!t || t->state != NL_TASK_COUNTING)
		return 0;
	/* set_task_cpu() of a running thread would break the design: count
	 * it, so that `numalens doctor` can say this kernel does it. */
	if (task->on_cpu)
		health_inc(NL_H_MIGRATE_RUNNING);
	cputime_credit(t, task, from);
	t->cross_node_migrations++;
	return 0;
}

/* Only where the loader sets it to load (see cputime.bpf.h): the time the
 * outgoing thread ran goes to the node of the CPU it ran on. */
SEC("tp_btf/sched_switch")
int BPF_PROG(nl_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct nl_task *t = bpf_task_storage_get(&task_cpu_ns, prev, 0, 0);

	if (t && t->state == NL_TASK_COUNTING)
		cputime_credit(t, prev, node_slot(bpf_get_smp_processor_id()));
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(nl_sched_fork, struct task_struct *parent, struct task_struct *child)
{
	struct nl_task *t;

	if (child->flags & NL_PF_KTHREAD)
		return 0;
	t = bpf_task_storage_get(&task_cpu_ns, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		health_inc(NL_H_TASK_STORAGE_FAIL);
		return 0;
	}
	/* It has not run yet (0 ns): wake_up_new_task() gives it its CPU. */
	t->base_ns = child->se.sum_exec_runtime;
	t->base_migrations = child->se.nr_migrations;
	t->state = NL_TASK_COUNTING;
	return 0;
}

/* Adds ns to the exited time of (tgid, node): one update when the entry is
 * new, as it is for most processes that end. */
static __always_inline void exited_time_add(__u32 tgid, __u32 node, __u64 ns)
{
	struct nl_proc_node_key key = { .tgid = tgid, .node = node };
	struct nl_proc_node *pn = bpf_map_lookup_elem(&proc_node, &key);
	struct nl_proc_node fresh = { .exited_cpu_ns = ns };

	if (!pn) {
		/* Done when fresh went in whole, or when the map is full. */
		if (map_insert_new(&proc_node, &key, &fresh, NL_H_PROC_NODE_FULL) <= 0)
			return;
		pn = bpf_map_lookup_elem(&proc_node, &key); /* another thread made it */
		if (!pn)
			return;
	}
	__sync_fetch_and_add(&pn->exited_cpu_ns, ns);
}

/* Adds an exited thread's moves to its process, and marks the process as
 * ended when it was the last thread: one update when the entry is new. */
static __always_inline void exited_proc_add(struct task_struct *task, __u64 migrations,
					    __u64 cross_node, bool last)
{
	struct task_struct *leader = task->group_leader;
	struct nl_proc *proc, fresh = {};
	__u32 tgid = task->tgid;

	proc = bpf_map_lookup_elem(&procs, &tgid);
	if (!proc) {
		fresh.migrations = migrations;
		fresh.cross_node_migrations = cross_node;
		fresh.exit_ns = last ? bpf_ktime_get_ns() : 0;
		fresh.start_time_ns = leader->start_boottime;
		bpf_probe_read_kernel_str(fresh.comm, sizeof(fresh.comm), leader->comm);
		/* Done when fresh went in whole, or when the map is full. */
		if (map_insert_new(&procs, &tgid, &fresh, NL_H_PROCS_FULL) <= 0)
			return;
		proc = bpf_map_lookup_elem(&procs, &tgid); /* another thread made it */
		if (!proc)
			return;
	}
	if (migrations) {
		__sync_fetch_and_add(&proc->migrations, migrations);
		__sync_fetch_and_add(&proc->cross_node_migrations, cross_node);
	}
	if (last)
		proc->exit_ns = bpf_ktime_get_ns();
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(nl_sched_exit, struct task_struct *task)
{
	/* do_exit() decrements signal->live before this tracepoint: zero means
	 * this is the last thread of the process. */
	bool last = task->signal->live.counter == 0;
	__u64 migrations = 0, cross_node = 0;
	struct nl_task *t;
	__u32 node;

	if (task->flags & NL_PF_KTHREAD)
		return 0;
	t = bpf_task_storage_get(&task_cpu_ns, task, 0, 0);
	if (t && t->state == NL_TASK_COUNTING) {
		/* What it ran since the last credit, on the CPU it exits on. The
		 * storage stays, marked, until the thread is freed (below). */
		cputime_credit(t, task, node_slot(task_cpu(task)));
		for (node = 0; node < NL_MAX_NODES && node < nr_node_ids; node++)
			if (t->cpu_ns[node])
				exited_time_add(task->tgid, node, t->cpu_ns[node]);
		migrations = task->se.nr_migrations - t->base_migrations;
		cross_node = t->cross_node_migrations;
		t->state = NL_TASK_EXITED;
	}
	if (migrations || last)
		exited_proc_add(task, migrations, cross_node, last);
	return 0;
}

/*
 * The last of an exited thread: after its final context switch (the RCU
 * callback that frees it waits for it), so se.sum_exec_runtime is final.
 * What it ran after sched_process_exit (tearing down its memory and files)
 * goes to its process, if the collector has not reported the process as
 * gone yet: entries are not created here, or nothing would remove them.
 */
SEC("tp_btf/sched_process_free")
int BPF_PROG(nl_sched_free, struct task_struct *task)
{
	struct nl_task *t = bpf_task_storage_get(&task_cpu_ns, task, 0, 0);
	struct nl_proc_node_key key;
	struct nl_proc_node *pn;
	__u64 credited;

	if (!t || t->state != NL_TASK_EXITED)
		return 0;
	credited = credited_ns(t);
	if (task->se.sum_exec_runtime <= credited)
		return 0;
	key.tgid = task->tgid;
	key.node = node_slot(task_cpu(task));
	pn = bpf_map_lookup_elem(&proc_node, &key);
	if (pn)
		__sync_fetch_and_add(&pn->exited_cpu_ns, task->se.sum_exec_runtime - credited);
	return 0;
}
