// SPDX-License-Identifier: GPL-2.0
/*
 * The task iterator through which the loader reads per-thread state: the
 * on-CPU time and moves in task-local storage (not readable from userspace
 * otherwise) and the kernel's own NUMA-balancing snapshot of each thread.
 * It also creates the storage of threads that existed before the agent
 * started.
 *
 * Per user thread it writes one struct nl_thread_rec, then nr_nodes __u64
 * on-CPU nanoseconds (one per node id). The time run
 * since the last credit (cputime.bpf.h) is added to the node of the CPU the
 * thread is on, in a copy: the scheduler's handlers stay the only writers.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "compat.bpf.h"
#include "cputime.bpf.h"
#include "maps.bpf.h"

/* The per-node times of the thread being written, too large for the stack.
 * An iterator runs with migration disabled, and one at a time per map. */
struct nl_iter_times {
	__u64 cpu_ns[NL_MAX_NODES];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nl_iter_times);
} iter_times SEC(".maps");

/* Copies t's per-node times into out and adds what the thread ran since
 * the last credit to the node of its CPU now. */
static __always_inline void times_now(struct task_struct *task, const struct nl_task *t,
				      struct nl_iter_times *out, __u32 nodes)
{
	__u64 credited = t->base_ns, runtime;
	__u32 n;

	for (n = 0; n < NL_MAX_NODES; n++) {
		if (n >= nodes)
			break;
		out->cpu_ns[n] = t->cpu_ns[n];
		credited += out->cpu_ns[n];
	}
	/* Read after the copies: the thread may be moved meanwhile, which
	 * only ever raises what was credited up to this value. */
	asm volatile("" ::: "memory");
	runtime = task->se.sum_exec_runtime;
	if (runtime > credited)
		out->cpu_ns[node_slot(task_cpu(task))] += runtime - credited;
}

SEC("iter/task")
int nl_iter_task(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct seq_file *seq = ctx->meta->seq;
	struct nl_iter_times *times = NULL;
	struct task_struct___numab *numab;
	struct nl_thread_rec rec = {};
	__u32 nodes = nr_node_ids, zero = 0;
	struct nl_task *t;

	if (!task || (task->flags & NL_PF_KTHREAD))
		return 0;
	if (nodes > NL_MAX_NODES)
		nodes = NL_MAX_NODES;
	t = bpf_task_storage_get(&task_cpu_ns, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		health_inc(NL_H_TASK_STORAGE_FAIL);
	} else if (t->state == NL_TASK_NEW) {
		/* A thread older than the agent: count from now on. The atomic
		 * orders base_ns before the state for the handlers that check it. */
		t->base_ns = task->se.sum_exec_runtime;
		t->base_migrations = task->se.nr_migrations;
		__sync_fetch_and_add(&t->state, NL_TASK_COUNTING);
	}
	times = bpf_map_lookup_elem(&iter_times, &zero);
	/* An exited thread not reaped yet: its process has its time. */
	if (t && times && t->state == NL_TASK_COUNTING) {
		times_now(task, t, times, nodes);
		rec.migrations = task->se.nr_migrations - t->base_migrations;
		rec.cross_node_migrations = t->cross_node_migrations;
	} else {
		nodes = 0;
	}

	rec.tgid = task->tgid;
	rec.tid = task->pid;
	rec.start_time_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	rec.cpu = task_cpu(task);
	rec.preferred_nid = -1;
	if (task_has_numab()) {
		numab = (void *)task;
		rec.preferred_nid = BPF_CORE_READ(numab, numa_preferred_nid);
		bpf_core_read(rec.faults_locality, sizeof(rec.faults_locality),
			      &numab->numa_faults_locality);
	}
	rec.nr_nodes = nodes;
	bpf_probe_read_kernel_str(rec.comm, sizeof(rec.comm), task->group_leader->comm);
	bpf_seq_write(seq, &rec, sizeof(rec));
	if (nodes && times)
		bpf_seq_write(seq, times->cpu_ns, nodes * sizeof(__u64));
	return 0;
}
