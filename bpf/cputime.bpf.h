/* SPDX-License-Identifier: GPL-2.0 */
/*
 * On-CPU time per node, without a program on sched_switch.
 *
 * A thread's CPU changes only in set_task_cpu(), which fires
 * sched_migrate_task while the thread is off every CPU (a wakeup placing it,
 * the load balancer moving it while queued, or the stopper that preempted
 * it): its se.sum_exec_runtime is then final for the CPU it leaves, and all
 * of it since the last credit was run there. So the time is credited to the
 * node of the CPU left at each move to another node and at exit (a move
 * within a node changes nothing), and a read adds the part
 * not credited yet to the node of the CPU the thread is on now. What an
 * exited thread runs after sched_process_exit is added when it is freed,
 * after its final switch (sched_process_free).
 *
 * Every way a thread gets another CPU, and why each is covered:
 * - wakeup placement (try_to_wake_up, after p->on_cpu is 0), load balancing
 *   of queued threads (detach_task), the stopper moving a thread it
 *   preempted (affinity changes, exec balancing, NUMA balancing's
 *   migrate_task_to and migrate_swap, CPU hotplug's balance_push and
 *   migrate_tasks), sched_ext's dispatch to another CPU's local queue: all
 *   through set_task_cpu(), so through sched_migrate_task;
 * - fork: sched_fork() and wake_up_new_task() call __set_task_cpu() without
 *   the tracepoint, on a thread that has run 0 ns: nothing to credit.
 *
 * Kernels with proxy execution's migration (proxy_migrate_task) move a
 * blocked donor with __set_task_cpu() and no tracepoint; there the loader
 * also attaches the sched_switch program, which credits every switch-out on
 * the CPU it happened on, as numalens did before.
 *
 * sum_exec_runtime of a running thread is as of its last update_curr() (the
 * scheduler tick at the latest), so a read of a running thread lags the
 * kernel's /proc/PID/task/TID/schedstat by at most one tick.
 */
#ifndef NUMALENS_CPUTIME_BPF_H
#define NUMALENS_CPUTIME_BPF_H

#include "maps.bpf.h"

/* The node slot of a CPU, always below nr_node_ids: time put in a slot the
 * sum does not cover would be credited again at every event. */
static __always_inline __u32 node_slot(__u32 cpu)
{
	__u32 node = node_of_cpu(cpu);

	if (node >= nr_node_ids)
		node = nr_node_ids - 1;
	return node & (NL_MAX_NODES - 1);
}

static __always_inline __u64 credited_ns(const struct nl_task *t)
{
	__u64 sum = t->base_ns;
	__u32 n;

	for (n = 0; n < NL_MAX_NODES; n++) {
		if (n >= nr_node_ids)
			break;
		sum += t->cpu_ns[n];
	}
	return sum;
}

/* Credits what task ran since the last credit to node. Only one writer at
 * a time: the thread is either off-CPU and being moved (under the kernel's
 * pi_lock or runqueue lock), or the thread itself exiting or switching out. */
static __always_inline void cputime_credit(struct nl_task *t, struct task_struct *task, __u32 node)
{
	__u64 credited = credited_ns(t), runtime = task->se.sum_exec_runtime;

	if (runtime > credited)
		t->cpu_ns[node] += runtime - credited;
}

#endif /* NUMALENS_CPUTIME_BPF_H */
