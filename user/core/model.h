/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The model: pure functions over snapshots. Remote access ratios and which
 * source each comes from, the best node, the ranking and the findings. No
 * I/O, so every rule is unit-tested with hand-made snapshots.
 */
#ifndef NUMALENS_MODEL_H
#define NUMALENS_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "snapshot.h"

/* Hinting faults count only when there are this many pages of them... */
#define NL_HINT_MIN_PAGES 64
/* ... and they fell on nodes holding at least this share of the memory. */
#define NL_HINT_MIN_COVERAGE 0.5
/* A finding calls memory local when its home node holds this share. */
#define NL_MOSTLY_LOCAL 0.95
/* Hardware sampling counts for a process with this many memory samples. */
#define NL_PMU_MIN_SAMPLES 20
/* A busy process is flagged when this share of its memory is on slower tiers. */
#define NL_SLOW_TIER_FLAG 0.5
/* Its finding says the slow-tier share from this share on. */
#define NL_SLOW_TIER_SAY 0.1
/* Sources further apart than this are said to disagree. */
#define NL_DISAGREE 0.3

struct nl_model_opts {
	double min_remote_ratio; /* flag from this ratio up */
	double min_cpu;		 /* ... when busy at least this many CPUs on average */
	uint64_t min_rss;	 /* ... and this resident */
};

void nl_model_opts_default(struct nl_model_opts *o);

/* sum over nodes of cpu_share(n) * (1 - mem_share(n)); invalid without CPU
 * time or known memory. */
struct nl_ratio nl_placement_ratio(const struct nl_node_stat *node, int nr_nodes);

/*
 * Remote share of hinting faults, each memory node's own remote share
 * weighed by how much of the process's memory that node holds. coverage is
 * the share of the memory on nodes that took faults (-1 when the memory is
 * unknown). Valid with NL_HINT_MIN_PAGES faults.
 */
struct nl_ratio nl_hint_ratio(const struct nl_node_stat *node, int nr_nodes, double *coverage);

/* Fault pages behind the hint ratio: per node where fentry counts them,
 * else the snapshot source's locality counts. */
uint64_t nl_hint_pages(const struct nl_proc_view *v, int nr_nodes);

/* Remote share of the memory samples; valid from NL_PMU_MIN_SAMPLES. */
struct nl_ratio nl_pmu_ratio(const struct nl_pmu_proc *pmu);

/* Fills the model fields of one process view. */
void nl_model_evaluate(struct nl_proc_view *v, int nr_nodes, const struct nl_topology *topo,
		       double window_s, const struct nl_model_opts *o);
/*
 * The plain-language finding of an evaluated process, e.g. "runs 98% on
 * node 0 while 100% of its 2.1 GiB is on node 1 (estimated 98% remote, from
 * placement)". Written on demand: front ends show a few of thousands.
 */
#define NL_FINDING_MAX 320

void nl_model_finding(const struct nl_proc_view *v, int nr_nodes, const struct nl_topology *topo,
		      char *buf, size_t size);

/* Evaluates every process, then sorts by score (most remote traffic first). */
void nl_model_rank(struct nl_snapshot *snap, const struct nl_model_opts *o);

/* "2.1 GiB", "64.0 MiB", "512 KiB" */
void nl_format_bytes(uint64_t bytes, char *buf, size_t size);

#endif /* NUMALENS_MODEL_H */
