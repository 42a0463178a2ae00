/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data every front end reads: two sample tables of a collector
 * (sample.h) make a snapshot (what happened in between, per process), to
 * which the model adds ratios and findings and the advice step its
 * suggestions. Per-node arrays are sized by the machine's node count, not
 * by NL_MAX_NODES, so 10,000 processes stay small.
 */
#ifndef NUMALENS_SNAPSHOT_H
#define NUMALENS_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cgroup_tiers.h"
#include "numalens.h"
#include "sample.h"
#include "sources.h"
#include "sysstate.h"
#include "topology.h"

/* What one process did in a window, per node. */
struct nl_node_stat {
	double cpu_s;
	uint64_t mem_bytes;
	NL_NODE_COUNTERS(NL_COUNTER_FIELD) /* sample.h */
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
	struct nl_node_stat *node;	   /* [nr_nodes] */
	NL_PROC_COUNTERS(NL_COUNTER_FIELD) /* numalens.h */
	uint64_t locality_local;	   /* snapshot source, latest scan window */
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
	uint64_t slow_tier_bytes;	 /* on nodes below the top memory tier */
	struct nl_ratio slow_tier_share; /* of its memory; invalid without tiers or memory */
	bool slow_tier;			 /* busy with most of its memory on slower tiers */

	/* Attached by the agent's advice step (nl_snapshot_advise) for the
	 * processes its options name; NULL for the others. */
	struct nl_proc_advice *advice;
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
	/* Tier movement of the reported processes' cgroups (cgroup_tiers.h),
	 * when the agent's options ask for it. */
	struct nl_cgtier_set cgtiers;
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
