/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tier movement per cgroup, for the cgroups of the processes a report
 * shows: pages promoted and demoted (memory.stat), memory per tier
 * (memory.numa_stat and the topology's tiers), and the finding "demotion
 * moved the cgroup's memory outside its cpuset.mems": before the kernel
 * checked cpuset.mems in reclaim (commit "vmscan,cgroup: apply
 * mems_effective to reclaim", fully only with the 2026 fix "mm/vmscan: fix
 * demotion targets checks in reclaim/demotion"), demotion moves pages to
 * any slower node, whatever the cpuset allows.
 *
 * nl_cgroup_tiers_summarize is pure (unit-tested with hand-made data); the
 * agent's step (cgroup_tiers_step.c) reads the files and attaches the result to
 * the snapshot, so front ends only read it.
 */
#ifndef NUMALENS_CGROUP_TIERS_H
#define NUMALENS_CGROUP_TIERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cgtier.h"
#include "topology.h"

/* At most this many cgroups per snapshot; more are counted, not read. */
#define NL_CGTIER_MAX 32
/* ... and at most this many processes' /proc/PID/cgroup read to find them. */
#define NL_CGTIER_MAX_LOCATE 256
#define NL_CGTIER_FINDING_MAX 2048

struct nl_cgroup_tiers {
	struct nl_cgtier_read r;
	char name[512]; /* r.path made text (untrusted.h): what reports and labels show */
	uint32_t pid;	/* the first process of the report in it */
	/* Since the previous refresh (the agent keeps the last reading). */
	bool window_known;
	uint64_t window[NL_MEMCG_EVENTS];

	/* nl_cgroup_tiers_summarize: */
	uint64_t promoted;	 /* pages, since the cgroup was made */
	uint64_t demoted;	 /* pages, every kind */
	uint64_t demoted_window; /* ... in the window, when known */
	int nr_tiers;
	int tier[NL_MAX_NODES]; /* memory_tierN; -1: nodes in none */
	uint64_t tier_nodes[NL_MAX_NODES];
	uint64_t tier_bytes[NL_MAX_NODES]; /* anon + file on the tier's nodes */
	/* The finding: demoted, and memory on (slower) nodes outside its mems. */
	bool outside_mems;
	uint64_t outside_nodes;
	uint64_t outside_bytes;
	char finding[NL_CGTIER_FINDING_MAX];
};

/* The cgroups a snapshot's report covers (struct nl_snapshot.cgtiers). */
struct nl_cgtier_set {
	bool asked; /* the agent's step ran */
	struct nl_cgroup_tiers *list;
	size_t nr;
	size_t over;	  /* cgroups beyond NL_CGTIER_MAX, left out */
	char reason[160]; /* why none could be read (no memory controller) */
};

/* Sums, memory per tier, and the finding: no I/O. t may be NULL (every
 * node one tier, -1, and no node known slower). */
void nl_cgroup_tiers_summarize(const struct nl_topology *t, struct nl_cgroup_tiers *c);

/* The last reading of each cgroup, kept by the agent for the windows. */
struct nl_cgtier_prev;
struct nl_cgtier_memory {
	struct nl_cgtier_prev *prev;
	size_t nr;
};

struct nl_snapshot;
/*
 * The agent's step: the cgroups of the processes the snapshot reports (the
 * pids asked for when there are some, else those with advice attached or
 * flagged, and the first `ranked` in rank order that ran), in rank order,
 * deduplicated, the root cgroup left out, at most NL_CGTIER_MAX; each read
 * (cgtier.h) and summarized into snap->cgtiers. m (may be NULL) keeps the
 * readings for the next window. 0 or -ENOMEM.
 */
int nl_snapshot_cgroup_tiers(struct nl_snapshot *snap, const uint32_t *pids, size_t nr_pids,
			     size_t ranked, struct nl_cgtier_memory *m);
void nl_cgtier_set_free(struct nl_cgtier_set *s);
void nl_cgtier_memory_free(struct nl_cgtier_memory *m);

#endif /* NUMALENS_CGROUP_TIERS_H */
