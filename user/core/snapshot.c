// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "snapshot.h"

static uint64_t since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

/* The counters are all __u64, in order: subtract them one by one. */
static void pmu_since(struct nl_pmu_proc *out, const struct nl_pmu_proc *now,
		      const struct nl_pmu_proc *then)
{
	const __u64 *a = (const __u64 *)now, *b = (const __u64 *)then;
	__u64 *o = (__u64 *)out;
	size_t i;

	for (i = 0; i < sizeof(*out) / sizeof(__u64); i++)
		o[i] = since(a[i], b[i]);
}

/* The pool's arrays when they fit, zeroed as calloc would; else new ones. */
static int snapshot_arrays(struct nl_snapshot_pool *pool, size_t nr, int nodes,
			   struct nl_snapshot *snap)
{
	size_t cap = nr ? nr : 1;

	if (pool && pool->procs && pool->cap >= cap && pool->nr_nodes == nodes) {
		snap->procs = pool->procs;
		snap->node_arena = pool->node_arena;
		cap = pool->cap;
		pool->procs = NULL;
		pool->node_arena = NULL;
		memset(snap->procs, 0, nr * sizeof(*snap->procs));
		memset(snap->node_arena, 0, nr * nodes * sizeof(*snap->node_arena));
	} else {
		if (pool) {
			nl_snapshot_pool_free(pool); /* too small */
			cap += cap / 8;		     /* room for a few more processes next time */
		}
		snap->procs = calloc(cap, sizeof(*snap->procs));
		snap->node_arena = calloc(cap * nodes, sizeof(*snap->node_arena));
		if (!snap->procs || !snap->node_arena)
			return -ENOMEM;
	}
	snap->pool = pool;
	snap->cap = cap;
	return 0;
}

int nl_snapshot_build(const struct nl_topology *topo, const struct nl_sample_table *before,
		      const struct nl_sample_table *after, struct nl_snapshot *snap)
{
	return nl_snapshot_build_pooled(NULL, topo, before, after, snap);
}

int nl_snapshot_build_pooled(struct nl_snapshot_pool *pool, const struct nl_topology *topo,
			     const struct nl_sample_table *before,
			     const struct nl_sample_table *after, struct nl_snapshot *snap)
{
	int nodes = after->nr_nodes;
	size_t i, next = 0; /* both tables are sorted by pid: one walk */

	memset(snap, 0, sizeof(*snap));
	snap->topo = topo;
	snap->nr_nodes = nodes;
	if (before && after->taken_ns > before->taken_ns) {
		snap->window_s = (after->taken_ns - before->taken_ns) / 1e9;
		memcpy(snap->start_real_ns, before->read_real_ns, sizeof(snap->start_real_ns));
	}
	memcpy(snap->end_real_ns, after->read_real_ns, sizeof(snap->end_real_ns));
	if (snapshot_arrays(pool, after->nr, nodes, snap)) {
		nl_snapshot_free(snap);
		return -ENOMEM;
	}
	for (i = 0; i < after->nr; i++) {
		const struct nl_proc_sample *a = &after->procs[i], *b = NULL;
		const struct nl_node_count *an = nl_sample_nodes(after, i), *bn = NULL;
		struct nl_proc_view *v = &snap->procs[snap->nr];
		static const struct nl_proc_sample zero;
		long j = -1;
		int n;

		while (before && next < before->nr && before->procs[next].pid < a->pid)
			next++;
		if (before && next < before->nr && before->procs[next].pid == a->pid)
			j = next;
		if (j >= 0 && before->procs[j].start_time_ns == a->start_time_ns &&
		    before->nr_nodes == nodes) {
			b = &before->procs[j];
			bn = nl_sample_nodes(before, j);
		} else {
			b = &zero;
		}
		v->node = &snap->node_arena[snap->nr * nodes];
		v->pid = a->pid;
		v->nr_threads = a->nr_threads;
		v->start_time_ns = a->start_time_ns;
		memcpy(v->comm, a->comm, sizeof(v->comm));
		v->exited = a->flags & NL_PS_EXITED;
		v->preferred_nid = a->preferred_nid;
		v->best_node = -1;
		v->main_cpu_node = -1;
#define SINCE(field, ...) v->field = since(a->field, b->field);
		NL_PROC_COUNTERS(SINCE)
#undef SINCE
		v->locality_remote = a->locality[0];
		v->locality_local = a->locality[1];
		pmu_since(&v->pmu, &a->pmu, &b->pmu);
		for (n = 0; n < nodes; n++) {
			v->node[n].cpu_s = since(an[n].cpu_ns, bn ? bn[n].cpu_ns : 0) / 1e9;
#define SINCE(field, ...) v->node[n].field = since(an[n].field, bn ? bn[n].field : 0);
			NL_NODE_COUNTERS(SINCE)
#undef SINCE
		}
		snap->nr++;
	}
	return 0;
}

void nl_snapshot_drop_advice(struct nl_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->nr; i++) {
		free(snap->procs[i].advice);
		snap->procs[i].advice = NULL;
	}
}

void nl_snapshot_free(struct nl_snapshot *snap)
{
	nl_snapshot_drop_advice(snap);
	nl_cgtier_set_free(&snap->cgtiers);
	struct nl_snapshot_pool *pool = snap->pool;

	if (pool && !pool->procs && snap->procs && snap->node_arena) {
		/* Back to the pool, for the next one. */
		pool->procs = snap->procs;
		pool->node_arena = snap->node_arena;
		pool->cap = snap->cap;
		pool->nr_nodes = snap->nr_nodes;
	} else {
		free(snap->procs);
		free(snap->node_arena);
	}
	snap->pool = NULL;
	snap->cap = 0;
	free(snap->latency);
	snap->latency = NULL;
	snap->nr_latency = 0;
	snap->procs = NULL;
	snap->node_arena = NULL;
	snap->nr = 0;
}

void nl_snapshot_pool_free(struct nl_snapshot_pool *pool)
{
	free(pool->procs);
	free(pool->node_arena);
	memset(pool, 0, sizeof(*pool));
}

struct nl_proc_view *nl_snapshot_find(struct nl_snapshot *snap, uint32_t pid)
{
	size_t i;

	/* Linear: the model reorders the views by rank. */
	for (i = 0; i < snap->nr; i++)
		if (snap->procs[i].pid == pid)
			return &snap->procs[i];
	return NULL;
}
