/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a collector gives at each read: a sample table (cumulative counters
 * per process, as the kernel has them), the BPF side's health and the
 * latency of sampled loads. Two tables make a snapshot (snapshot.h).
 */
#ifndef NUMALENS_SAMPLE_H
#define NUMALENS_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "numalens.h"

/* A counter of the tables (NL_PROC_COUNTERS, NL_NODE_COUNTERS) as a field. */
#define NL_COUNTER_FIELD(field, ...) uint64_t field;

/* The per-node counters kept as they are in both the sample and the
 * snapshot's window (struct nl_node_stat), which is their difference.
 * X(field, what it counts) */
#define NL_NODE_COUNTERS(X)                                                    \
	X(hint_local, "hinting-fault pages on this node's memory, local")      \
	X(hint_remote, "... remote")                                           \
	X(pmu_local, "sampled loads from this node's memory, by its own CPUs") \
	X(pmu_remote, "... by other nodes' CPUs")

/* Cumulative per-node counters of one process. */
struct nl_node_count {
	uint64_t cpu_ns; /* on-CPU time on this node's CPUs */
	NL_NODE_COUNTERS(NL_COUNTER_FIELD)
};

#define NL_PS_EXITED 0x1 /* the last thread has exited */
#define NL_PS_LIVE 0x2	 /* seen by the task iterator */

struct nl_proc_sample {
	uint32_t pid;
	uint32_t nr_threads;
	uint64_t start_time_ns; /* boot-based, as the kernel's start_boottime */
	char comm[NL_COMM_LEN];
	int32_t preferred_nid;
	uint32_t flags;
	NL_PROC_COUNTERS(NL_COUNTER_FIELD) /* numalens.h */
	/* task_struct->numa_faults_locality[] summed over threads: remote,
	 * local, failed. Reset by the kernel every scan window: not cumulative. */
	uint64_t locality[3];
	struct nl_pmu_proc pmu; /* hardware memory samples */
};

struct nl_sample_table {
	int nr_nodes; /* length of each process's node array */
	size_t nr, cap;
	struct nl_proc_sample *procs; /* sorted by pid */
	struct nl_node_count *nodes;  /* nr_nodes per process */
	uint64_t taken_ns;	      /* CLOCK_BOOTTIME when read */
	/* CLOCK_REALTIME before and after the threads' CPU times were read:
	 * the moment they stand for is in between. */
	uint64_t read_real_ns[2];
};

static inline struct nl_node_count *nl_sample_nodes(const struct nl_sample_table *t, size_t i)
{
	return &t->nodes[i * t->nr_nodes];
}

void nl_sample_table_init(struct nl_sample_table *t, int nr_nodes);
void nl_sample_table_reset(struct nl_sample_table *t);
/* A collector's read: resets t and stamps when it begins (taken_ns,
 * read_real_ns[0]); nl_sample_table_read_end stamps read_real_ns[1]. */
void nl_sample_table_read_begin(struct nl_sample_table *t);
void nl_sample_table_read_end(struct nl_sample_table *t);
void nl_sample_table_free(struct nl_sample_table *t);
/* Appends a zeroed process; returns its index or -ENOMEM. */
long nl_sample_table_add(struct nl_sample_table *t, uint32_t pid);
void nl_sample_table_sort(struct nl_sample_table *t);
/* Index of pid in a sorted table, or -1. */
long nl_sample_table_find(const struct nl_sample_table *t, uint32_t pid);

/* Adds one set of sample counts to another, field by field (all __u64). */
static inline void nl_pmu_add(struct nl_pmu_proc *to, const struct nl_pmu_proc *from)
{
	const __u64 *f = (const __u64 *)from;
	__u64 *t = (__u64 *)to;
	size_t i;

	for (i = 0; i < sizeof(*to) / sizeof(__u64); i++)
		t[i] += f[i];
}

/* Adds a CPU's pending samples (bpf/numalens.h; its rows per t->nr_nodes)
 * to their processes, those the table has: their counts, and their memory
 * samples per node. */
void nl_sample_table_add_pending(struct nl_sample_table *t, struct nl_pmu_pending *p);

struct nl_health {
	uint64_t procs_full;
	uint64_t proc_node_full;
	uint64_t task_storage_fail;
	uint64_t node_clamped;
	uint64_t procs_capacity;
	uint64_t procs_used;
	uint64_t procs_expired; /* entries removed without an exit seen */
	uint64_t pmu_procs_full;
	uint64_t pmu_matrix_full;
	uint64_t migrate_running; /* moves of a running thread: cputime.bpf.h's premise broken */
	uint64_t runs_missed;	  /* BPF program runs the kernel skipped (recursion guard) */
	/* hinting-fault pages fentry saw since load, any process */
	uint64_t hint_local_total, hint_remote_total;
	uint64_t map_refused;	    /* updates refused with room left: events lost */
	uint64_t map_refused_errno; /* the errno of one of them */
	/* reads of the memory samples that saw CPUs move samples on every
	 * try: maybe short by what moved, counted twice at the next read */
	uint64_t pmu_short_reads;
};

/* Latency of sampled memory loads between two nodes, since the start. */
struct nl_latency_cell {
	uint32_t cpu_node;
	uint32_t mem_node; /* NL_NODE_UNKNOWN: another node, which one unknown */
	uint64_t samples;
	uint64_t weight; /* summed sample weight (core cycles on Intel and AMD) */
	uint64_t hist[NL_LAT_BUCKETS];
};

/* One BPF program: whether it is loaded and attached, and its statistics. */
struct nl_prog_info {
	const char *name;
	const char *section; /* where it attaches, e.g. "tp_btf/sched_switch" */
	bool loaded;
	bool attached;
	uint64_t run_cnt; /* with kernel.bpf_stats_enabled=1 */
	uint64_t run_time_ns;
	/* runs the kernel skipped: the program was already running on that
	 * CPU (its recursion guard); counted whether or not bpf_stats is on */
	uint64_t missed;
};

#endif /* NUMALENS_SAMPLE_H */
