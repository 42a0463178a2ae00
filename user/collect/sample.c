// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pidsearch.h"
#include "sample.h"

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

void nl_sample_table_add_pending(struct nl_sample_table *t, struct nl_pmu_pending *p)
{
	struct nl_node_count *nodes;
	struct nl_pmu_slot *slot;
	int i, n;
	long j;

	for (i = 0; i < NL_PMU_SLOTS; i++) {
		slot = nl_pending_slot(p, t->nr_nodes, i);
		if (!slot->tgid || !slot->counts.samples)
			continue;
		j = nl_sample_table_find(t, slot->tgid);
		if (j < 0)
			continue;
		nl_pmu_add(&t->procs[j].pmu, &slot->counts);
		nodes = nl_sample_nodes(t, j);
		/* row t->nr_nodes, an unknown node, has no per-node count */
		for (n = 0; n < t->nr_nodes; n++) {
			if ((int)p->cpu_node == n)
				nodes[n].pmu_local += nl_slot_row(slot, n)->samples;
			else
				nodes[n].pmu_remote += nl_slot_row(slot, n)->samples;
		}
	}
}
