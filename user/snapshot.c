// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pidsearch.h"
#include "snapshot.h"

void nl_sample_table_init(struct nl_sample_table *t, int nr_nodes)
{
	memset(t, 0, sizeof(*t));
	t->nr_nodes = nr_nodes > 0 ? nr_nodes : 1;
}

void nl_sample_table_reset(struct nl_sample_table *t)
{
	t->nr = 0;
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void nl_sample_table_read_begin(struct nl_sample_table *t)
{
	nl_sample_table_reset(t);
	t->taken_ns = clock_ns(CLOCK_BOOTTIME);
	t->read_real_ns[0] = clock_ns(CLOCK_REALTIME);
}

void nl_sample_table_read_end(struct nl_sample_table *t)
{
	t->read_real_ns[1] = clock_ns(CLOCK_REALTIME);
}

void nl_sample_table_free(struct nl_sample_table *t)
{
	free(t->procs);
	free(t->nodes);
	memset(t, 0, sizeof(*t));
}

long nl_sample_table_add(struct nl_sample_table *t, uint32_t pid)
{
	struct nl_proc_sample *p;

	if (t->nr == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct nl_node_count *nodes;

		p = realloc(t->procs, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		t->procs = p;
		nodes = realloc(t->nodes, cap * t->nr_nodes * sizeof(*nodes));
		if (!nodes)
			return -ENOMEM;
		t->nodes = nodes;
		t->cap = cap;
	}
	p = &t->procs[t->nr];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->preferred_nid = -1;
	memset(nl_sample_nodes(t, t->nr), 0, t->nr_nodes * sizeof(struct nl_node_count));
	return t->nr++;
}

static int cmp_slot_pid(const void *a, const void *b, void *table)
{
	const struct nl_proc_sample *procs = ((const struct nl_sample_table *)table)->procs;
	uint32_t x = procs[*(const uint32_t *)a].pid, y = procs[*(const uint32_t *)b].pid;

	return x < y ? -1 : x > y;
}

/* Sorts by pid, moving each process's node array along with it: the order
 * sorted apart, then applied in place, cycle by cycle (no second copy of
 * the table, which would be megabytes to fault in at every read). */
void nl_sample_table_sort(struct nl_sample_table *t)
{
	size_t node_size = t->nr_nodes * sizeof(struct nl_node_count);
	struct nl_node_count *node_tmp;
	struct nl_proc_sample tmp;
	uint32_t *order;
	size_t i, j, k;

	for (i = 1; i < t->nr && t->procs[i - 1].pid < t->procs[i].pid; i++)
		;
	if (i >= t->nr)
		return; /* already sorted, the usual case */
	order = malloc(t->nr * sizeof(*order));
	node_tmp = malloc(node_size);
	if (!order || !node_tmp) {
		free(order);
		free(node_tmp);
		return;
	}
	for (i = 0; i < t->nr; i++)
		order[i] = i;
	qsort_r(order, t->nr, sizeof(*order), cmp_slot_pid, t);
	/* Slot i takes what is in slot order[i]; a slot done points at itself. */
	for (i = 0; i < t->nr; i++) {
		if (order[i] == i)
			continue;
		tmp = t->procs[i];
		memcpy(node_tmp, nl_sample_nodes(t, i), node_size);
		for (j = i; (k = order[j]) != i; j = k) {
			t->procs[j] = t->procs[k];
			memcpy(nl_sample_nodes(t, j), nl_sample_nodes(t, k), node_size);
			order[j] = j;
		}
		t->procs[j] = tmp;
		memcpy(nl_sample_nodes(t, j), node_tmp, node_size);
		order[j] = j;
	}
	free(order);
	free(node_tmp);
}

long nl_sample_table_find(const struct nl_sample_table *t, uint32_t pid)
{
	bool found;
	size_t i = NL_PID_SEARCH(t->procs, t->nr, pid, &found);

	return found ? (long)i : -1;
}

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
		v->migrations = since(a->migrations, b->migrations);
		v->cross_node_migrations =
			since(a->cross_node_migrations, b->cross_node_migrations);
		v->numa_moves = since(a->numa_moves, b->numa_moves);
		v->numa_swaps = since(a->numa_swaps, b->numa_swaps);
		v->numa_sticks = since(a->numa_sticks, b->numa_sticks);
		v->numa_pages_migrated = since(a->numa_pages_migrated, b->numa_pages_migrated);
		v->hint_migrated_pages = since(a->hint_migrated_pages, b->hint_migrated_pages);
		v->locality_remote = a->locality[0];
		v->locality_local = a->locality[1];
		pmu_since(&v->pmu, &a->pmu, &b->pmu);
		for (n = 0; n < nodes; n++) {
			v->node[n].cpu_s = since(an[n].cpu_ns, bn ? bn[n].cpu_ns : 0) / 1e9;
			v->node[n].hint_local = since(an[n].hint_local, bn ? bn[n].hint_local : 0);
			v->node[n].hint_remote =
				since(an[n].hint_remote, bn ? bn[n].hint_remote : 0);
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
