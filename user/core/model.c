// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "tiering.h"

void nl_model_opts_default(struct nl_model_opts *o)
{
	o->min_remote_ratio = 0.3;
	o->min_cpu = 0.05;
	o->min_rss = 4ull << 20;
}

void nl_format_bytes(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = bytes;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
}

struct nl_ratio nl_placement_ratio(const struct nl_node_stat *node, int nr_nodes)
{
	struct nl_ratio r = { 0 };
	double cpu = 0, mem = 0, sum = 0;
	int n;

	for (n = 0; n < nr_nodes; n++) {
		cpu += node[n].cpu_s;
		mem += node[n].mem_bytes;
	}
	if (cpu <= 0 || mem <= 0)
		return r;
	for (n = 0; n < nr_nodes; n++)
		sum += node[n].cpu_s / cpu * (1 - node[n].mem_bytes / mem);
	r.valid = true;
	r.value = sum < 0 ? 0 : sum > 1 ? 1 : sum;
	return r;
}

struct nl_ratio nl_hint_ratio(const struct nl_node_stat *node, int nr_nodes, double *coverage)
{
	double mem = 0, weight = 0, weighted = 0;
	uint64_t local = 0, remote = 0;
	struct nl_ratio r = { 0 };
	int n;

	*coverage = -1;
	for (n = 0; n < nr_nodes; n++) {
		local += node[n].hint_local;
		remote += node[n].hint_remote;
		mem += node[n].mem_bytes;
	}
	if (local + remote < NL_HINT_MIN_PAGES)
		return r;
	r.valid = true;
	r.value = (double)remote / (local + remote);
	if (mem <= 0)
		return r;
	for (n = 0; n < nr_nodes; n++) {
		uint64_t faults = node[n].hint_local + node[n].hint_remote;
		double share = node[n].mem_bytes / mem;

		if (!faults || share <= 0)
			continue;
		weight += share;
		weighted += share * node[n].hint_remote / faults;
	}
	*coverage = weight;
	if (weight > 0)
		r.value = weighted / weight;
	return r;
}

struct nl_ratio nl_pmu_ratio(const struct nl_pmu_proc *pmu)
{
	uint64_t samples = pmu->mem_local + pmu->mem_remote;
	struct nl_ratio r = { 0 };

	if (samples < NL_PMU_MIN_SAMPLES)
		return r;
	r.valid = true;
	r.value = (double)pmu->mem_remote / samples;
	return r;
}

static int argmax_cpu(const struct nl_proc_view *v, int nr_nodes)
{
	int n, best = -1;

	for (n = 0; n < nr_nodes; n++)
		if (v->node[n].cpu_s > 0 && (best < 0 || v->node[n].cpu_s > v->node[best].cpu_s))
			best = n;
	return best;
}

/* The node holding most of its memory (where its threads would run
 * locally); ties go to where it already runs; without memory, where it runs. */
static int best_node(const struct nl_proc_view *v, int nr_nodes, const struct nl_topology *topo)
{
	int n, best = -1;

	for (n = 0; n < nr_nodes; n++) {
		if (topo && nl_node_present(topo, n) && !topo->node_nr_cpus[n])
			continue; /* memory-only node (CXL, PMEM): nothing runs there */
		if (!v->node[n].mem_bytes)
			continue;
		if (best < 0 || v->node[n].mem_bytes > v->node[best].mem_bytes ||
		    (v->node[n].mem_bytes == v->node[best].mem_bytes &&
		     v->node[n].cpu_s > v->node[best].cpu_s))
			best = n;
	}
	return best >= 0 ? best : v->main_cpu_node;
}

static int pct(double share)
{
	return (int)lround(share * 100);
}

/* "100% of its 2.1 GiB is on node 1" or "... on nodes 1 (60%), 2 (40%)" */
static void describe_memory_elsewhere(const struct nl_proc_view *v, int nr_nodes, int home,
				      char *buf, size_t size)
{
	char total[32];
	int n, others = 0, top = -1;
	size_t used;

	nl_format_bytes(v->mem_bytes, total, sizeof(total));
	for (n = 0; n < nr_nodes; n++) {
		if (n == home || !v->node[n].mem_bytes)
			continue;
		others++;
		if (top < 0 || v->node[n].mem_bytes > v->node[top].mem_bytes)
			top = n;
	}
	if (others <= 1) {
		snprintf(buf, size, "%d%% of its %s is on node %d",
			 pct((double)v->node[top].mem_bytes / v->mem_bytes), total, top);
		return;
	}
	used = snprintf(buf, size, "%d%% of its %s is on other nodes (",
			pct(1 - (double)v->node[home].mem_bytes / v->mem_bytes), total);
	for (n = 0; n < nr_nodes && used < size; n++) {
		if (n == home || !v->node[n].mem_bytes)
			continue;
		used += snprintf(buf + used, size - used, "node %d: %d%%", n,
				 pct((double)v->node[n].mem_bytes / v->mem_bytes));
		if (--others > 0 && used < size)
			used += snprintf(buf + used, size - used, ", ");
	}
	if (used < size)
		snprintf(buf + used, size - used, ")");
}

void nl_model_finding(const struct nl_proc_view *v, int nr_nodes, const struct nl_topology *topo,
		      char *f, size_t size)
{
	char mem[200], total[32];
	size_t used = 0;
	int home = v->main_cpu_node;
	double run_share;

	if (v->exited)
		used += snprintf(f + used, size - used, "exited during the window; ");
	if (home < 0 || v->cpu_s <= 0) {
		snprintf(f + used, size - used, "did not run in the window");
		return;
	}
	run_share = v->node[home].cpu_s / v->cpu_s;
	if (topo && topo->nr_nodes < 2) {
		snprintf(f + used, size - used,
			 "one NUMA node: all of its memory accesses are local");
		return;
	}
	if (!v->mem_bytes) {
		used += snprintf(f + used, size - used,
				 "runs %d%% on node %d; its memory per node is unknown",
				 pct(run_share), home);
	} else if (v->node[home].mem_bytes < v->mem_bytes * NL_MOSTLY_LOCAL) {
		describe_memory_elsewhere(v, nr_nodes, home, mem, sizeof(mem));
		used += snprintf(f + used, size - used, "runs %d%% on node %d while %s",
				 pct(run_share), home, mem);
	} else {
		nl_format_bytes(v->mem_bytes, total, sizeof(total));
		if (v->node[home].mem_bytes == v->mem_bytes)
			snprintf(mem, sizeof(mem), "all");
		else
			snprintf(mem, sizeof(mem), "%d%%",
				 pct((double)v->node[home].mem_bytes / v->mem_bytes));
		used += snprintf(f + used, size - used,
				 "runs %d%% on node %d, where %s of its %s is", pct(run_share),
				 home, mem, total);
	}
	if (used < size)
		used += snprintf(f + used, size - used, " (estimated %d%% remote, from %s)",
				 pct(v->remote_ratio), nl_source_name(v->source));
	if (used < size && v->disagree)
		used += snprintf(f + used, size - used,
				 "; hinting faults say %d%% remote but cover %s of its memory",
				 pct(v->hint.value),
				 v->hint_coverage < 0			 ? "an unknown share" :
				 v->hint_coverage < NL_HINT_MIN_COVERAGE ? "too little" :
									   "most");
	if (used < size && v->flagged && v->best_node >= 0 && v->best_node != home)
		used += snprintf(f + used, size - used, "; it would run best on node %d",
				 v->best_node);
	if (used < size && v->slow_tier_share.valid &&
	    v->slow_tier_share.value >= NL_SLOW_TIER_SAY) {
		nl_slow_tier_phrase(v, nr_nodes, topo, mem, sizeof(mem));
		used += snprintf(f + used, size - used,
				 "; %d%% of its memory is on a slower tier: %s",
				 pct(v->slow_tier_share.value), mem);
		if (used < size && v->slow_tier)
			snprintf(f + used, size - used,
				 ", while it is busy: keep it on top-tier memory");
	}
}

uint64_t nl_hint_pages(const struct nl_proc_view *v, int nr_nodes)
{
	uint64_t pages = 0;
	int n;

	for (n = 0; n < nr_nodes; n++)
		pages += v->node[n].hint_local + v->node[n].hint_remote;
	return pages ? pages : v->locality_local + v->locality_remote;
}

void nl_model_evaluate(struct nl_proc_view *v, int nr_nodes, const struct nl_topology *topo,
		       double window_s, const struct nl_model_opts *o)
{
	uint64_t faults = v->locality_local + v->locality_remote;
	bool hint_trusted, busy;
	int n;

	v->cpu_s = 0;
	v->mem_bytes = 0;
	for (n = 0; n < nr_nodes; n++) {
		v->cpu_s += v->node[n].cpu_s;
		v->mem_bytes += v->node[n].mem_bytes;
	}
	v->main_cpu_node = argmax_cpu(v, nr_nodes);
	v->placement = nl_placement_ratio(v->node, nr_nodes);
	v->pmu_ratio = nl_pmu_ratio(&v->pmu);
	v->hint = nl_hint_ratio(v->node, nr_nodes, &v->hint_coverage);
	if (!v->hint.valid && faults >= NL_HINT_MIN_PAGES) {
		/* Snapshot source: no per-node detail, so no coverage either. */
		v->hint.valid = true;
		v->hint.value = (double)v->locality_remote / faults;
		v->hint_coverage = -1;
	}
	/* Trust the faults only where they sampled most of the memory. */
	hint_trusted = v->hint.valid && v->hint_coverage >= NL_HINT_MIN_COVERAGE;

	v->ratio_samples = 0;
	if (v->pmu_ratio.valid) {
		v->source = NL_SRC_PMU;
		v->remote_ratio = v->pmu_ratio.value;
		v->ratio_samples = v->pmu.mem_local + v->pmu.mem_remote;
	} else if (hint_trusted) {
		v->source = NL_SRC_HINT_FAULTS;
		v->remote_ratio = v->hint.value;
		v->ratio_samples = nl_hint_pages(v, nr_nodes);
	} else if (v->placement.valid) {
		v->source = NL_SRC_PLACEMENT;
		v->remote_ratio = v->placement.value;
	} else if (v->hint.valid) {
		v->source = NL_SRC_HINT_FAULTS;
		v->remote_ratio = v->hint.value;
		v->ratio_samples = nl_hint_pages(v, nr_nodes);
	} else {
		v->source = NL_SRC_PLACEMENT;
		v->remote_ratio = 0;
	}
	v->disagree = v->hint.valid && v->placement.valid &&
		      fabs(v->hint.value - v->placement.value) > NL_DISAGREE;
	v->best_node = best_node(v, nr_nodes, topo);
	v->score = v->remote_ratio * v->cpu_s;
	busy = window_s > 0 && v->cpu_s / window_s >= o->min_cpu && v->mem_bytes >= o->min_rss;
	v->flagged = (!topo || topo->nr_nodes > 1) && v->remote_ratio >= o->min_remote_ratio &&
		     busy;
	v->slow_tier_bytes = 0;
	v->slow_tier_share.valid = topo && topo->tiers_known && v->mem_known && v->mem_bytes;
	for (n = 0; topo && n < nr_nodes && n < NL_MAX_NODES; n++)
		if (nl_node_slow_tier(topo, n))
			v->slow_tier_bytes += v->node[n].mem_bytes;
	v->slow_tier_share.value =
		v->slow_tier_share.valid ? (double)v->slow_tier_bytes / v->mem_bytes : 0;
	v->slow_tier = busy && v->slow_tier_share.valid &&
		       v->slow_tier_share.value >= NL_SLOW_TIER_FLAG;
}

static int by_score(const void *a, const void *b)
{
	const struct nl_proc_view *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->cpu_s != y->cpu_s)
		return x->cpu_s > y->cpu_s ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

void nl_model_rank(struct nl_snapshot *snap, const struct nl_model_opts *o)
{
	size_t i;

	for (i = 0; i < snap->nr; i++)
		nl_model_evaluate(&snap->procs[i], snap->nr_nodes, snap->topo, snap->window_s, o);
	qsort(snap->procs, snap->nr, sizeof(*snap->procs), by_score);
}
