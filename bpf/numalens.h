/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by the BPF programs and the userspace loader: map keys,
 * map values and the records the task iterator writes. Plain fixed-width
 * types only, so both sides agree on the layout without vmlinux.h.
 */
#ifndef NUMALENS_H
#define NUMALENS_H

#ifndef __VMLINUX_H__ /* userspace: BPF programs get these from vmlinux.h */
#include <linux/types.h>
#endif

/* Highest number of NUMA nodes tracked; node ids at or above it are folded
 * into the last slot and reported as a limit by the loader. */
#define NL_MAX_NODES 64
/* Highest number of CPUs the cpu -> node table covers. */
#define NL_MAX_CPUS 4096
#define NL_COMM_LEN 16

/* Flags of task_numa_fault() (kernel/sched/fair.c, include/linux/sched/numa_balancing.h).
 * They are #defines, so not in BTF; unchanged since v3.13. */
#define NL_TNF_MIGRATED 0x01
#define NL_TNF_FAULT_LOCAL 0x08
#define NL_TNF_MIGRATE_FAIL 0x10

/* Slots of the pages mm_migrate_pages moved, by the raw value of its reason
 * (enum migrate_reason, 9 to 11 values so far); a reason at or above the
 * last slot is counted in it. */
#define NL_MIGRATE_REASONS 16

/* Per-CPU counters of the BPF side itself (index into the `health` map). */
enum nl_health_counter {
	NL_H_PROCS_FULL,	/* procs map full: a process's events were dropped */
	NL_H_PROC_NODE_FULL,	/* proc_node map full */
	NL_H_TASK_STORAGE_FAIL, /* task storage could not be created */
	NL_H_NODE_CLAMPED,	/* a node id >= NL_MAX_NODES was seen */
	NL_H_PMU_PROCS_FULL,	/* pmu_procs map full */
	NL_H_PMU_MATRIX_FULL,	/* pmu_matrix map full */
	NL_H_MIGRATE_RUNNING,	/* sched_migrate_task of a thread still on a CPU */
	/* Every hinting-fault page fentry saw, whatever became of its process:
	 * the check of the per-process counts against the kernel's. */
	NL_H_HINT_LOCAL,
	NL_H_HINT_REMOTE,
	/* Map updates the kernel refused with room left (twice in a row), and
	 * the errno of the last: their events were dropped. */
	NL_H_MAP_REFUSED,
	NL_H_MAP_REFUSED_ERRNO,
	NL_H_MAX,
};

/*
 * The per-process counters, each declared once here: struct nl_proc, the
 * collector's sample, the snapshot's window and the report's JSON are
 * generated from these lists, and tests/unit/test_counters.c checks that
 * the metrics and numatop-lite show every one.
 * X(field, JSON object, JSON key, what it counts); a NULL JSON object: not
 * in the report.
 *
 * Counted per thread too (nl_task, nl_thread_rec): the procs map holds
 * those of the threads that exited, the task iterator the live ones'.
 */
#define NL_THREAD_COUNTERS(X)                                              \
	X(migrations, "migrations", "total", "CPU changes of the threads") \
	X(cross_node_migrations, "migrations", "cross_node", "... where the node changed")
/* Counted per process only, in the procs map. */
#define NL_EVENT_COUNTERS(X)                                                                   \
	X(numa_moves, "numa_balancing", "moves", "sched_move_numa")                            \
	X(numa_swaps, "numa_balancing", "swaps", "sched_swap_numa (either side)")              \
	X(numa_sticks, "numa_balancing", "sticks", "sched_stick_numa")                         \
	X(numa_pages_migrated, "numa_balancing", "pages_migrated",                             \
	  "mm_migrate_pages, reason numa_misplaced")                                           \
	X(hint_migrated_pages, "hint_faults", "migrated", "task_numa_fault with TNF_MIGRATED") \
	X(hint_failed_pages, NULL, NULL, "task_numa_fault with TNF_MIGRATE_FAIL")              \
	X(promoted_pages, "numa_balancing", "promoted_pages",                                  \
	  "TNF_MIGRATED from a node outside the top memory tier into it")
#define NL_PROC_COUNTERS(X) NL_THREAD_COUNTERS(X) NL_EVENT_COUNTERS(X)

#define NL_U64_FIELD(field, ...) __u64 field;

/* Per-process counters of rare events, keyed by tgid in `procs`. */
struct nl_proc {
	NL_PROC_COUNTERS(NL_U64_FIELD)
	__u64 start_time_ns; /* group leader's start time (pid reuse) */
	__u64 exit_ns;	     /* set when the last thread exits */
	char comm[NL_COMM_LEN];
};

/* Per (process, node) counters, keyed by struct nl_proc_node_key. */
struct nl_proc_node_key {
	__u32 tgid;
	__u32 node;
};

struct nl_proc_node {
	__u64 exited_cpu_ns;	 /* on-CPU time of threads that have exited */
	__u64 hint_local_pages;	 /* hinting faults on memory of this node, local */
	__u64 hint_remote_pages; /* ... remote (the faulting CPU is elsewhere) */
};

/*
 * Per-thread on-CPU time and moves, in task-local storage. The part of
 * se.sum_exec_runtime already credited to a node is base_ns plus the sum of
 * cpu_ns[]: it is never stored on its own, so the one store that credits a
 * node also moves it, and a reader never sees one without the other.
 */
struct nl_task {
	__u64 base_ns;		     /* se.sum_exec_runtime when counting began */
	__u64 state;		     /* NL_TASK_* */
	__u64 base_migrations;	     /* se.nr_migrations when counting began */
	__u64 cross_node_migrations; /* sched_migrate_task where the node changed */
	/* The node a hinting fault's page is on (should_numa_migrate_memory's
	 * src_nid) plus 1, until that fault's task_numa_fault; 0: none. */
	__u32 misplaced_from;
	__u32 pad;
	__u64 cpu_ns[NL_MAX_NODES];
};

#define NL_TASK_NEW 0	   /* base_ns not set yet: nothing is credited */
#define NL_TASK_COUNTING 1 /* set at fork, or by the iterator */
#define NL_TASK_EXITED 2   /* folded into the process at exit */

/*
 * The task iterator writes, per user thread, one nl_thread_rec followed by
 * nr_nodes __u64 on-CPU nanoseconds (one per node id, up to the instant of
 * the read for a thread that is running).
 */
struct nl_thread_rec {
	__u32 tgid;
	__u32 tid;
	__u64 start_time_ns;	  /* group leader's start time */
	__u64 faults_locality[3]; /* remote, local, failed (snapshot source) */
	/* this thread's, since the agent saw it */
	NL_THREAD_COUNTERS(NL_U64_FIELD)
	__s32 preferred_nid; /* -1 when NUMA balancing has no preference */
	__u32 cpu;	     /* CPU it last ran on */
	__u32 flags;	     /* NL_THREAD_* */
	__u32 nr_nodes;
	char comm[NL_COMM_LEN];
};

#define NL_THREAD_KTHREAD 0x1

struct nl_node_ns {
	__u32 node;
	__u32 pad;
	__u64 ns;
};

/* Hardware memory sampling (PEBS, IBS). */
#define NL_PMU_CLASSES 8	 /* enum nl_mem_class in memsrc.h */
#define NL_NODE_UNKNOWN 0xff	 /* memory node of a sample without a physical address */
#define NL_LAT_BUCKETS 24	 /* latency histogram: log2 buckets of the sample weight */
#define NL_PHYS_BLOCKS (1 << 16) /* memory blocks the phys -> node map covers */
#define NL_PHYS_RANGES 32	 /* runs of blocks on one node (or none) it can hold */

/* Memory blocks [first_block, the next range's first_block) are on node
 * (NL_NODE_UNKNOWN: a hole, or past the last block). */
struct nl_phys_range {
	__u32 first_block;
	__u32 node;
};

/* Sample counts of a process: in `pmu_procs`, and in a slot of the
 * `pmu_pending` entry of each CPU that sampled it lately. */
struct nl_pmu_proc {
	__u64 samples;
	__u64 with_addr; /* samples carrying a data address */
	__u64 by_class[NL_PMU_CLASSES];
	__u64 remote_by_hops[4];	   /* remote memory samples by distance 0..3 */
	__u64 mem_local, mem_remote;	   /* memory samples, node-based when the node is known */
	__u64 weight_local, weight_remote; /* their summed latency (sample weight) */
};

/* Memory samples per (process, CPU node, memory node) in `pmu_matrix`. */
struct nl_pmu_matrix_key {
	__u32 tgid;
	__u16 cpu_node;
	__u16 mem_node; /* NL_NODE_UNKNOWN when it could not be told */
};

struct nl_pmu_cell {
	__u64 samples;
	__u64 weight;
};

/*
 * Latency of memory samples per (CPU node, memory node), machine-wide: each
 * CPU keeps its own node's row (in its pmu_pending entry), the reader adds
 * the CPUs and gives the cells in nl_pmu_lat_slot() order. Each CPU node has
 * a slot per memory node and one for a memory node it could not tell.
 */
#define NL_PMU_LAT_SLOTS(nr_nodes) ((nr_nodes) * ((nr_nodes) + 1))

static inline __u32 nl_pmu_lat_slot(__u32 cpu_node, __u32 mem_node, __u32 nr_nodes)
{
	return cpu_node * (nr_nodes + 1) + (mem_node < nr_nodes ? mem_node : nr_nodes);
}

struct nl_pmu_lat {
	__u64 samples;
	__u64 weight;
	__u64 hist[NL_LAT_BUCKETS]; /* bucket b: weight in [2^b, 2^(b+1)) */
};

/*
 * A CPU's sampling state, in `pmu_pending` (per CPU, one entry): all a
 * sample writes. It holds the samples this CPU took of the last
 * NL_PMU_SLOTS processes it sampled (a slot each, by tgid), not yet added
 * to `pmu_procs` and `pmu_matrix`: a slot's samples move there when a
 * sample of another process takes the slot. A reader adds them to the
 * process tgid: the shared maps first, then the slots, so that a move
 * between the two reads can make a read short but never count a sample
 * twice, and `moves` tells it when a read was short. Then this CPU's
 * latency histograms, kept.
 *
 * The entry is this header, then NL_PMU_SLOTS slots (each a struct
 * nl_pmu_slot and nr_node_ids + 1 cells: the pending memory samples per
 * memory node, the last for an unknown node), then nr_node_ids + 1 latency
 * rows (this CPU's node to each memory node, the last unknown):
 * NL_PMU_PENDING_SIZE(nr_node_ids) bytes, as the loader sizes the map.
 */
#define NL_PMU_SLOTS 8 /* a power of two: slot = tgid % NL_PMU_SLOTS */

struct nl_pmu_pending {
	__u32 cpu_node; /* of the CPU the samples were taken on */
	/* Physical address -> node, a copy per CPU, so that a sample reads
	 * no other page: block = address >> block_shift, in ranges[0..nr),
	 * sorted. Written by the loader before the program is attached. */
	__u32 block_shift;
	__u32 nr_ranges;
	/* Bumped before and after each move to the shared maps (odd while
	 * one is under way): a reader whose walk of the shared maps saw the
	 * same even count before and after knows it missed no move. */
	__u32 moves;
	struct nl_phys_range ranges[NL_PHYS_RANGES];
};

struct nl_pmu_slot {
	__u32 tgid; /* 0: none */
	__u32 pad;
	struct nl_pmu_proc counts;
};

#define NL_PMU_SLOT_SIZE(nr_nodes) \
	(sizeof(struct nl_pmu_slot) + ((nr_nodes) + 1) * sizeof(struct nl_pmu_cell))
#define NL_PMU_PENDING_SIZE(nr_nodes)                                                \
	(sizeof(struct nl_pmu_pending) + NL_PMU_SLOTS * NL_PMU_SLOT_SIZE(nr_nodes) + \
	 ((nr_nodes) + 1) * sizeof(struct nl_pmu_lat))

static inline struct nl_pmu_slot *nl_pending_slot(struct nl_pmu_pending *p, __u32 nr_nodes, __u32 i)
{
	return (struct nl_pmu_slot *)((char *)(p + 1) + i * NL_PMU_SLOT_SIZE(nr_nodes));
}

/* Memory node n's pending cell in a slot (n == nr_nodes: unknown). */
static inline struct nl_pmu_cell *nl_slot_row(struct nl_pmu_slot *slot, __u32 n)
{
	return (struct nl_pmu_cell *)(slot + 1) + n;
}

/* The latency row of memory node n (n == nr_nodes: unknown). */
static inline struct nl_pmu_lat *nl_pending_lat(struct nl_pmu_pending *p, __u32 nr_nodes, __u32 n)
{
	return (struct nl_pmu_lat *)nl_pending_slot(p, nr_nodes, NL_PMU_SLOTS) + n;
}

/*
 * One sample made up by a test or benchmark: the context of nl_synth_sample
 * (bpf/memsample.bpf.c), run with BPF_PROG_TEST_RUN, never loaded by the
 * agent. It goes through the accounting a PMU sample goes through.
 */
struct nl_synth_sample {
	__u64 sample_flags; /* PERF_SAMPLE_* bits: which fields the PMU filled */
	__u64 data_src;	    /* perf_mem_data_src */
	__u64 weight;	    /* latency, in cycles */
	__u64 phys_addr;
	__u64 addr;
	__u64 pid_tgid; /* with NL_SYNTH_GIVEN_THREAD; else the caller's */
	__u32 cpu;	/* the CPU it was taken on: its node from cpu_node, its
			 * entry in synth_pending (< NL_SYNTH_CPUS) */
	__u32 opts;	/* NL_SYNTH_* */
};

/* The made-up CPUs a test or benchmark can take samples on. */
#define NL_SYNTH_CPUS 16

/* The thread given by pid_tgid, not the caller. */
#define NL_SYNTH_GIVEN_THREAD 0x1

#endif /* NUMALENS_H */
