// SPDX-License-Identifier: GPL-2.0
/*
 * NUMA balancing side of numalens: what the kernel's automatic NUMA
 * balancing does to a process, and what its hinting faults say.
 *
 * The scheduler's NUMA decisions (move, swap, stick) and the pages it
 * migrates are rare events, counted straight into the per-process hash.
 *
 * Hinting faults are counted per (process, memory node) by fentry on
 * task_numa_fault() where the kernel allows fentry; the loader falls back to
 * the task_struct->numa_faults_locality[] snapshot (read by the iterator)
 * where it does not.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "compat.bpf.h"
#include "maps.bpf.h"

SEC("tp_btf/sched_move_numa")
int BPF_PROG(nl_move_numa, struct task_struct *task)
{
	struct nl_proc *proc = proc_get(task);

	if (proc)
		__sync_fetch_and_add(&proc->numa_moves, 1);
	return 0;
}

SEC("tp_btf/sched_swap_numa")
int BPF_PROG(nl_swap_numa, struct task_struct *src, int src_cpu, struct task_struct *dst)
{
	struct nl_proc *proc = proc_get(src);

	if (proc)
		__sync_fetch_and_add(&proc->numa_swaps, 1);
	if (dst && dst->tgid != src->tgid) {
		proc = proc_get(dst);
		if (proc)
			__sync_fetch_and_add(&proc->numa_swaps, 1);
	}
	return 0;
}

SEC("tp_btf/sched_stick_numa")
int BPF_PROG(nl_stick_numa, struct task_struct *task)
{
	struct nl_proc *proc = proc_get(task);

	if (proc)
		__sync_fetch_and_add(&proc->numa_sticks, 1);
	return 0;
}

/*
 * A NUMA-misplaced migration runs in the context of the task whose hinting
 * fault asked for it; the tracepoint carries no pid.
 *
 * A raw tracepoint, not the classic one: a classic tracepoint's program is
 * skipped, without a count before v6.7, whenever another tracing program or
 * a bpf() map call holds this CPU's bpf_prog_active; a raw tracepoint's
 * guard is its own and its misses are counted (recursion_misses).
 */
static __always_inline void migrate_pages_seen(unsigned long succeeded, int reason)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct nl_proc *proc;

	if (reason != bpf_core_enum_value(enum migrate_reason, MR_NUMA_MISPLACED) || !succeeded ||
	    (task->flags & NL_PF_KTHREAD))
		return;
	proc = proc_get(task);
	if (proc)
		__sync_fetch_and_add(&proc->numa_pages_migrated, succeeded);
}

/* Its arguments moved when v6.9 added large_folio_split before mode and
 * reason: the loader keeps the program whose layout this kernel's BTF has. */
SEC("tp_btf/mm_migrate_pages")
int BPF_PROG(nl_migrate_pages, unsigned long succeeded, unsigned long failed,
	     unsigned long thp_succeeded, unsigned long thp_failed, unsigned long thp_split,
	     int mode, int reason)
{
	migrate_pages_seen(succeeded, reason);
	return 0;
}

SEC("tp_btf/mm_migrate_pages")
int BPF_PROG(nl_migrate_pages_split, unsigned long succeeded, unsigned long failed,
	     unsigned long thp_succeeded, unsigned long thp_failed, unsigned long thp_split,
	     unsigned long large_folio_split, int mode, int reason)
{
	migrate_pages_seen(succeeded, reason);
	return 0;
}

SEC("fentry/task_numa_fault")
int BPF_PROG(nl_numa_fault, int last_cpupid, int mem_node, int pages, int flags)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct nl_proc_node *pn;
	struct nl_proc *proc;

	if (pages <= 0)
		return 0;
	health_add(flags & NL_TNF_FAULT_LOCAL ? NL_H_HINT_LOCAL : NL_H_HINT_REMOTE, pages);
	pn = proc_node_get(task->tgid, clamp_node(mem_node));
	if (pn) {
		if (flags & NL_TNF_FAULT_LOCAL)
			__sync_fetch_and_add(&pn->hint_local_pages, pages);
		else
			__sync_fetch_and_add(&pn->hint_remote_pages, pages);
	}
	if (!(flags & (NL_TNF_MIGRATED | NL_TNF_MIGRATE_FAIL)))
		return 0;
	proc = proc_get(task);
	if (!proc)
		return 0;
	if (flags & NL_TNF_MIGRATED)
		__sync_fetch_and_add(&proc->hint_migrated_pages, pages);
	else
		__sync_fetch_and_add(&proc->hint_failed_pages, pages);
	return 0;
}
