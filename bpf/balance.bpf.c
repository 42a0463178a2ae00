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
 *
 * mm_migrate_pages also counts the pages every migration moved, machine-wide,
 * by reason (compaction, demotion, NUMA balancing...).
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
	__u32 slot = reason;
	struct nl_proc *proc;
	__u64 *pages;

	if (!succeeded)
		return;
	if (slot >= NL_MIGRATE_REASONS)
		slot = NL_MIGRATE_REASONS - 1;
	pages = bpf_map_lookup_elem(&migrated_by_reason, &slot);
	if (pages)
		*pages += succeeded;
	if (reason != bpf_core_enum_value(enum migrate_reason, MR_NUMA_MISPLACED) ||
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

/*
 * Promotions: a hinting fault's migration from a node outside the top memory
 * tier into one inside it, what the kernel's pgpromote_success counts.
 * task_numa_fault() is told only the node the page went to; the node it came
 * from is should_numa_migrate_memory()'s src_nid (arg 3, after a page in
 * 6.1 or a folio in 6.12: the loader checks the BTF), which mpol_misplaced()
 * asks earlier in the same fault. The thread keeps it until that fault's
 * task_numa_fault(). It is asked for every policy balancing scans (those
 * with MPOL_F_MORON); a migration without the question is no promotion here.
 */
SEC("fentry/should_numa_migrate_memory")
int BPF_PROG(nl_numa_migrate_src, struct task_struct *p, void *page_or_folio, int src_nid,
	     int dst_cpu)
{
	struct nl_task *t = bpf_task_storage_get(&task_cpu_ns, bpf_get_current_task_btf(), 0, 0);

	if (t)
		t->misplaced_from = src_nid >= 0 && src_nid < NL_MAX_NODES ? src_nid + 1 : 0;
	return 0;
}

/* The node this fault's page came from, plus 1 (0: unknown), forgotten so
 * that it never stands for another fault. */
static __always_inline __u32 misplaced_from_take(struct task_struct *task)
{
	struct nl_task *t = bpf_task_storage_get(&task_cpu_ns, task, 0, 0);
	__u32 from;

	if (!t)
		return 0;
	from = t->misplaced_from;
	t->misplaced_from = 0;
	return from;
}

SEC("fentry/task_numa_fault")
int BPF_PROG(nl_numa_fault, int last_cpupid, int mem_node, int pages, int flags)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 from = misplaced_from_take(task);
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
	if (!(flags & NL_TNF_MIGRATED)) {
		__sync_fetch_and_add(&proc->hint_failed_pages, pages);
		return 0;
	}
	__sync_fetch_and_add(&proc->hint_migrated_pages, pages);
	/* mem_node is where the page went. */
	if (from && !node_is_toptier(from - 1) && node_is_toptier(mem_node))
		__sync_fetch_and_add(&proc->promoted_pages, pages);
	return 0;
}
