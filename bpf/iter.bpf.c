// SPDX-License-Identifier: GPL-2.0
/*
 * The task iterator through which the loader reads per-thread state: the
 * on-CPU time in task-local storage (not readable from userspace otherwise)
 * and the kernel's own NUMA-balancing snapshot of each thread. It also
 * creates the storage of threads that existed before the agent started.
 *
 * Per user thread it writes one struct nl_thread_rec, then nr_nodes __u64
 * on-CPU nanoseconds (one per node id) and, when hardware sampling is on,
 * the thread's sample counts (whose storage it also creates).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "compat.bpf.h"
#include "maps.bpf.h"

SEC("iter/task")
int nl_iter_task(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct___numab *numab;
	struct nl_thread_rec rec = {};
	struct nl_pmu_proc *samples = NULL;
	struct nl_task *counters;
	__u32 nodes = nr_node_ids;

	if (!task || (task->flags & NL_PF_KTHREAD))
		return 0;
	counters = bpf_task_storage_get(&task_cpu_ns, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!counters) {
		health_inc(NL_H_TASK_STORAGE_FAIL);
		nodes = 0;
	} else if (!counters->started) {
		/* A thread older than the agent: count from now on. */
		counters->counted_ns = task->se.sum_exec_runtime;
		counters->started = 1;
	}
	if (nodes > NL_MAX_NODES)
		nodes = NL_MAX_NODES;

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
	if (pmu_enabled) {
		samples = bpf_task_storage_get(&task_pmu, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (samples)
			rec.flags |= NL_THREAD_PMU;
		else
			health_inc(NL_H_TASK_STORAGE_FAIL);
	}
	bpf_probe_read_kernel_str(rec.comm, sizeof(rec.comm), task->group_leader->comm);
	bpf_seq_write(seq, &rec, sizeof(rec));
	if (counters && nodes)
		bpf_seq_write(seq, counters->cpu_ns, nodes * sizeof(__u64));
	if (samples)
		bpf_seq_write(seq, samples, sizeof(*samples));
	return 0;
}
