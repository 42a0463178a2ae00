/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data every front end reads. A collector fills a sample table
 * (cumulative counters per process, as the kernel has them); two tables
 * make a snapshot (what happened in between, per process), to which the
 * model adds ratios and findings. Per-node arrays are sized by the
 * machine's node count, not by NL_MAX_NODES, so 10,000 processes stay small.
 */
#ifndef NUMALENS_SNAPSHOT_H
#define NUMALENS_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "numalens.h"
#include "sources.h"
#include "sysstate.h"
#include "topology.h"

/* Cumulative per-node counters of one process. */
struct nl_node_count {
	uint64_t cpu_ns;      /* on-CPU time on this node's CPUs */
	uint64_t hint_local;  /* hinting-fault pages on this node's memory, local */
	uint64_t hint_remote; /* ... remote */
	uint64_t pmu_local;   /* sampled loads from this node's memory, by its own CPUs */
	uint64_t pmu_remote;  /* ... by other nodes' CPUs */
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
	uint64_t migrations;
	uint64_t cross_node_migrations;
	uint64_t numa_moves;
	uint64_t numa_swaps;
	uint64_t numa_sticks;
	uint64_t numa_pages_migrated;
	uint64_t hint_migrated_pages;
	uint64_t hint_failed_pages;
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

/* What one process did in a window, per node. */
struct nl_node_stat {
	double cpu_s;
	uint64_t mem_bytes;
	uint64_t hint_local;
	uint64_t hint_remote;
	uint64_t pmu_local;
	uint64_t pmu_remote;
};

/* A process's limits and advice (advisor.h), attached by the agent. */
struct nl_proc_advice;

struct nl_ratio {
	bool valid;
	double value;
};

struct nl_proc_view {
	uint32_t pid;
	uint32_t nr_threads;
	uint64_t start_time_ns;
	char comm[NL_COMM_LEN];
	bool exited;	/* ended during the window */
	bool requested; /* named with --pid */
	bool mem_known; /* numa_maps was read */
	bool mem_truncated;
	int mem_err; /* numa_maps could not be read in this refresh: why (-errno) */
	int32_t preferred_nid;
	struct nl_node_stat *node; /* [nr_nodes] */
	uint64_t migrations;
	uint64_t cross_node_migrations;
	uint64_t numa_moves;
	uint64_t numa_swaps;
	uint64_t numa_sticks;
	uint64_t numa_pages_migrated;
	uint64_t hint_migrated_pages;
	uint64_t locality_local; /* snapshot source, latest scan window */
	uint64_t locality_remote;
	struct nl_pmu_proc pmu; /* hardware memory samples in the window */

	/* Filled by the model. */
	double cpu_s;	    /* total in the window */
	uint64_t mem_bytes; /* total resident */
	struct nl_ratio placement;
	struct nl_ratio hint;
	struct nl_ratio pmu_ratio;
	double hint_coverage;	/* share of its memory on nodes with hint faults */
	uint64_t ratio_samples; /* samples (pmu) or fault pages (hint_faults) behind remote_ratio */
	enum nl_source_id source;
	double remote_ratio;
	bool disagree; /* hint faults and placement differ widely */
	int best_node;
	int main_cpu_node; /* where it ran most */
	double score;	   /* ranking: remote ratio x busyness */
	bool flagged;

	/* Attached by the agent's advice step (nl_snapshot_advise) for the
	 * processes its options name; NULL for the others. */
	struct nl_proc_advice *advice;
};

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
};

/* Latency of sampled memory loads between two nodes, since the start. */
struct nl_latency_cell {
	uint32_t cpu_node;
	uint32_t mem_node; /* NL_NODE_UNKNOWN: another node, which one unknown */
	uint64_t samples;
	uint64_t weight; /* summed sample weight (core cycles on Intel and AMD) */
	uint64_t hist[NL_LAT_BUCKETS];
};

struct nl_snapshot_pool;

struct nl_snapshot {
	const struct nl_topology *topo;
	int nr_nodes;
	double window_s;
	/* When the window began and ended (CLOCK_REALTIME, each the span of
	 * the read that stands for it), for reports: as read_real_ns. */
	uint64_t start_real_ns[2], end_real_ns[2];
	size_t nr;
	struct nl_proc_view *procs;
	struct nl_node_stat *node_arena;
	struct nl_system sys_before, sys_after;
	struct nl_sources sources;
	struct nl_health health;
	struct nl_latency_cell *latency; /* when hardware sampling is active */
	size_t nr_latency;
	/* Where procs and node_arena go back when freed (NULL: freed), and
	 * how many views they hold. */
	struct nl_snapshot_pool *pool;
	size_t cap;
};

/* The arrays of a freed snapshot, kept for the next: at 10,000 processes
 * new ones each refresh are megabytes of fresh pages to fault in. */
struct nl_snapshot_pool {
	struct nl_proc_view *procs;
	struct nl_node_stat *node_arena;
	size_t cap;
	int nr_nodes;
};

/*
 * Builds the window between two tables of the same collector: counters of
 * processes present in both (same start time) are differences, those of
 * processes that started in the window are whole.
 */
int nl_snapshot_build(const struct nl_topology *topo, const struct nl_sample_table *before,
		      const struct nl_sample_table *after, struct nl_snapshot *snap);
/* The same, its arrays taken from the pool when they fit; freeing the
 * snapshot gives them back, so it must be freed before the pool is. */
int nl_snapshot_build_pooled(struct nl_snapshot_pool *pool, const struct nl_topology *topo,
			     const struct nl_sample_table *before,
			     const struct nl_sample_table *after, struct nl_snapshot *snap);
void nl_snapshot_free(struct nl_snapshot *snap);
/* Frees the advice attached to the views (nl_snapshot_free does too). */
void nl_snapshot_drop_advice(struct nl_snapshot *snap);
void nl_snapshot_pool_free(struct nl_snapshot_pool *pool);
struct nl_proc_view *nl_snapshot_find(struct nl_snapshot *snap, uint32_t pid);

#endif /* NUMALENS_SNAPSHOT_H */
