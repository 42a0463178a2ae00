/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory tiers in the model: how much of a process sits on slower tiers,
 * and the machine-wide findings about tiering (one tier only, balancing
 * that cannot see cross-socket misplacement, promotion that stalls). Pure
 * functions over the topology, vmstat and snapshots: unit-tested with
 * fixtures from each case.
 */
#ifndef NUMALENS_TIERING_H
#define NUMALENS_TIERING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "snapshot.h"
#include "sysstate.h"
#include "topology.h"

/* Promotion stalls when, over at least this many candidate pages in the
 * window, ... */
#define NL_PROMOTE_MIN_CANDIDATES 1024
/* ... fewer than this share of them were promoted. */
#define NL_PROMOTE_STALLED 0.5

enum nl_sys_finding_id {
	NL_SF_ONE_TIER,	       /* CPU-less memory or tiering mode, but one tier only */
	NL_SF_TIERING_ONLY,    /* numa_balancing=2: top-tier misplacement unseen */
	NL_SF_PROMOTE_STALLED, /* candidates far above successes */
	NL_SF_MAX,
};

struct nl_sys_finding {
	enum nl_sys_finding_id id;
	char text[400];
};

/* "one_tier", "tiering_only", "promotion_stalled": JSON ids, metric labels. */
const char *nl_sys_finding_name(enum nl_sys_finding_id id);

/*
 * The machine's tiering findings over a window (before and after are the
 * vmstat readings that bound it; either may be NULL for a single look).
 * Returns how many were written to out (at most max).
 */
int nl_sys_findings(const struct nl_topology *t, const struct nl_system *before,
		    const struct nl_system *after, struct nl_sys_finding *out, int max);

/* Bytes of a process on nodes of memory_tierN (tier -1: nodes in no tier). */
uint64_t nl_proc_tier_bytes(const struct nl_proc_view *v, int nr_nodes, const struct nl_topology *t,
			    int tier);

/* Distinct tier ids of the present nodes, fastest first; returns how many. */
int nl_topology_tiers(const struct nl_topology *t, int *tiers, int max);

/* Nodes of memory_tierN. */
uint64_t nl_tier_nodes(const struct nl_topology *t, int tier);

/* "node 2 (memory_tier54)" for the slow-tier nodes of a process, for findings. */
void nl_slow_tier_phrase(const struct nl_proc_view *v, int nr_nodes, const struct nl_topology *t,
			 char *buf, size_t size);

/* "memory_tier4 nodes 0-1 (top), memory_tier54 node 2 (slower); demotion off" */
void nl_tiers_summary(char *buf, size_t size, const struct nl_topology *t);

#endif /* NUMALENS_TIERING_H */
