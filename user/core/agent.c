// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "agent.h"
#include "cli.h"
#include "log.h"
#include "pidsearch.h"
#include "procfs.h"

/* Resident memory per node of one process, as last read. */
struct mem_entry {
	uint32_t pid;
	uint64_t start_time_ns;
	double read_at;
	int err; /* why this refresh's read failed */
	bool truncated;
	uint64_t *bytes; /* [nr_nodes] */
};

struct nl_agent {
	struct nl_agent_opts opts;
	struct nl_topology topo;
	struct nl_collector *collector; /* NULL with opts.proc_only */
	struct nl_proc_collector *proc; /* with opts.proc_only */
	struct nl_sources sources;
	struct nl_sample_table tables[2];
	struct nl_system sys[2];
	int prev; /* index of the previous refresh's table */
	int nr_nodes;
	struct mem_entry *mem; /* sorted by pid */
	size_t nr_mem, cap_mem;
	uint64_t *mem_bytes; /* arena: nr_nodes per entry, parallel to mem */
	/* The last suggestion per process (opts.advice_remember): state across
	 * refreshes, like mem, so the agent keeps it and the advice step takes
	 * it as an input; front ends only read the result. */
	struct nl_advisor_memory advice_memory;
	/* The previous refresh's arrays, rebuilt into next time: new ones at
	 * every refresh would be fresh pages to fault in. */
	struct mem_entry *old_mem;
	uint64_t *old_mem_bytes;
	size_t cap_old_mem;
	struct nl_snapshot_pool pool;	       /* the snapshots' arrays */
	struct nl_cgtier_memory cgtier_memory; /* the cgroups' last readings */
	struct nl_agent_times times;
};

void nl_agent_opts_default(struct nl_agent_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->collect.max_procs = NL_DEFAULT_MAX_PROCS;
	nl_model_opts_default(&o->model);
	o->mem_per_refresh = 64;
	o->mem_max_bytes = 64u << 20;
	o->mem_max_age_s = 10;
	nl_advice_step_default(&o->advice);
}

/* The machine-wide counters now: vmstat, and the pages migrated by reason
 * that the BPF side counts. */
static void read_system(struct nl_agent *a, struct nl_system *s)
{
	int err;

	if (a->opts.flush_vmstat)
		nl_vmstat_flush(); /* not root, or no such file: the totals as they are */
	nl_system_read(s);
	if (!a->collector)
		return;
	err = nl_collector_read_migrations(a->collector, s);
	if (err)
		nl_warn("cannot read the pages migrated by reason: %s", strerror(-err));
}

/* The cumulative counters now, from whichever collector it has. */
static int collect(struct nl_agent *a, struct nl_sample_table *t)
{
	int err = a->proc ? nl_proc_collector_read(a->proc, t) : nl_collector_read(a->collector, t);

	if (err)
		nl_err("cannot read %s: %s", a->proc ? "/proc" : "the BPF maps", strerror(-err));
	return err;
}

int nl_agent_open(const struct nl_agent_opts *o, struct nl_agent **out)
{
	struct nl_agent *a;
	int err;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->opts = *o;
	err = nl_topology_load(&a->topo);
	if (err) {
		nl_err("cannot read the NUMA topology: %s", strerror(-err));
		free(a);
		return err;
	}
	if (a->topo.clamped)
		nl_warn("this machine has more nodes or CPUs than numalens tracks (%d nodes, %d "
			"CPUs); the rest are folded into the last",
			NL_MAX_NODES, NL_MAX_CPUS);
	a->nr_nodes = a->topo.nr_node_ids > NL_MAX_NODES ? NL_MAX_NODES : a->topo.nr_node_ids;
	if (o->proc_only)
		err = nl_proc_collector_open(&a->topo, a->nr_nodes, o->pids, o->nr_pids, &a->proc);
	else
		err = nl_collector_open(&a->topo, &o->collect, &a->sources, &a->collector);
	if (err)
		goto fail;
	nl_sample_table_init(&a->tables[0], a->nr_nodes);
	nl_sample_table_init(&a->tables[1], a->nr_nodes);
	read_system(a, &a->sys[0]);
	err = collect(a, &a->tables[0]);
	if (err)
		goto fail;
	*out = a;
	return 0;
fail:
	nl_agent_close(a);
	return err;
}

static long mem_find(const struct nl_agent *a, uint32_t pid)
{
	bool found;
	size_t i = NL_PID_SEARCH(a->mem, a->nr_mem, pid, &found);

	return found ? (long)i : -1;
}

/* Keeps the entries of processes still in the table; returns 0 or -ENOMEM. */
static int mem_rebuild(struct nl_agent *a, const struct nl_sample_table *t)
{
	struct mem_entry *mem = a->old_mem, *spare;
	uint64_t *bytes = a->old_mem_bytes, *spare_bytes;
	size_t i, cap = a->cap_old_mem;

	if (cap < t->nr || !mem) {
		cap = t->nr + t->nr / 8 + 1;
		free(mem);
		free(bytes);
		a->old_mem = NULL;
		a->old_mem_bytes = NULL;
		a->cap_old_mem = 0;
		mem = malloc(cap * sizeof(*mem));
		bytes = malloc(cap * a->nr_nodes * sizeof(*bytes));
		if (!mem || !bytes) {
			free(mem);
			free(bytes);
			return -ENOMEM;
		}
	}
	/* Both are sorted by pid: one entry per live process, old figures kept
	 * where the same process (same start time) had some. */
	for (i = 0; i < t->nr; i++) {
		long j = mem_find(a, t->procs[i].pid);

		memset(&mem[i], 0, sizeof(mem[i]));
		mem[i].pid = t->procs[i].pid;
		mem[i].start_time_ns = t->procs[i].start_time_ns;
		mem[i].bytes = &bytes[i * a->nr_nodes];
		if (j >= 0 && a->mem[j].start_time_ns == mem[i].start_time_ns &&
		    a->mem[j].read_at) {
			mem[i].read_at = a->mem[j].read_at;
			mem[i].truncated = a->mem[j].truncated;
			memcpy(mem[i].bytes, a->mem[j].bytes, a->nr_nodes * sizeof(*bytes));
		} else {
			memset(mem[i].bytes, 0, a->nr_nodes * sizeof(*bytes));
		}
	}
	spare = a->mem;
	spare_bytes = a->mem_bytes;
	a->old_mem = spare;
	a->old_mem_bytes = spare_bytes;
	a->cap_old_mem = spare ? a->cap_mem : 0;
	a->mem = mem;
	a->mem_bytes = bytes;
	a->cap_mem = cap;
	a->nr_mem = t->nr;
	return 0;
}

static bool mem_read(struct nl_agent *a, struct mem_entry *e, double now)
{
	struct nl_numa_maps maps;
	int n;

	e->err = nl_numa_maps_read(e->pid, a->opts.mem_max_bytes, &maps);
	if (e->err)
		return false;
	for (n = 0; n < a->nr_nodes; n++)
		e->bytes[n] = maps.node_bytes[n];
	e->truncated = maps.truncated;
	e->read_at = now;
	return true;
}

static int cmp_cpu_desc(const void *a, const void *b)
{
	const struct nl_proc_view *x = *(const struct nl_proc_view *const *)a;
	const struct nl_proc_view *y = *(const struct nl_proc_view *const *)b;

	return x->cpu_s > y->cpu_s ? -1 : x->cpu_s < y->cpu_s;
}

/* Fresh numa_maps for the processes asked for and the busiest ones whose
 * figures are old, within the per-refresh budget; cached figures for the rest. */
static void add_memory(struct nl_agent *a, struct nl_snapshot *snap)
{
	struct nl_proc_view **busy = calloc(snap->nr ? snap->nr : 1, sizeof(*busy));
	double now = nl_monotonic_s();
	size_t i, nr = 0, reads = 0;
	int n;

	if (!busy)
		return;
	for (i = 0; i < snap->nr; i++) {
		struct nl_proc_view *v = &snap->procs[i];
		long j = mem_find(a, v->pid);

		v->cpu_s = 0; /* the model sums it again; needed here to choose */
		for (n = 0; n < snap->nr_nodes; n++)
			v->cpu_s += v->node[n].cpu_s;
		if (j < 0 || v->exited)
			continue;
		if (nl_pid_listed(a->opts.pids, a->opts.nr_pids, v->pid))
			reads += mem_read(a, &a->mem[j], now);
		else if (v->cpu_s > 0 && now - a->mem[j].read_at >= a->opts.mem_max_age_s)
			busy[nr++] = v;
	}
	qsort(busy, nr, sizeof(*busy), cmp_cpu_desc);
	for (i = 0; i < nr && reads < a->opts.mem_per_refresh; i++)
		reads += mem_read(a, &a->mem[mem_find(a, busy[i]->pid)], now);
	a->times.mem_reads = reads;
	for (i = 0; i < snap->nr; i++) {
		struct nl_proc_view *v = &snap->procs[i];
		long j = mem_find(a, v->pid);

		if (j < 0)
			continue;
		v->mem_err = a->mem[j].err;
		if (!a->mem[j].read_at)
			continue;
		v->mem_known = true;
		v->mem_truncated = a->mem[j].truncated;
		for (n = 0; n < snap->nr_nodes; n++)
			v->node[n].mem_bytes = a->mem[j].bytes[n];
	}
	free(busy);
}

static void add_latency(struct nl_agent *a, struct nl_snapshot *snap)
{
	size_t max = (size_t)(a->nr_nodes + 1) * (a->nr_nodes + 1);

	if (!a->sources.src[NL_SRC_PMU].active)
		return;
	snap->latency = calloc(max, sizeof(*snap->latency));
	if (snap->latency)
		snap->nr_latency = nl_collector_pmu_latency(a->collector, snap->latency, max);
	if (snap->nr_latency > max)
		snap->nr_latency = max;
}

int nl_agent_refresh(struct nl_agent *a, struct nl_snapshot *snap)
{
	struct nl_agent_times *tm = &a->times;
	int cur = !a->prev, err;
	double t = nl_monotonic_s(), t2;

	memset(snap, 0, sizeof(*snap));
	memset(tm, 0, sizeof(*tm));
	err = collect(a, &a->tables[cur]);
	t2 = nl_monotonic_s();
	tm->collect_s = t2 - t;
	if (err)
		return err;
	read_system(a, &a->sys[cur]);
	t = nl_monotonic_s();
	tm->proc_s = t - t2;
	err = nl_snapshot_build_pooled(&a->pool, &a->topo, &a->tables[a->prev], &a->tables[cur],
				       snap);
	if (!err)
		err = mem_rebuild(a, &a->tables[cur]);
	if (err) {
		nl_snapshot_free(snap);
		return err;
	}
	snap->sources = a->sources;
	snap->sys_before = a->sys[a->prev];
	snap->sys_after = a->sys[cur];
	if (a->collector)
		nl_collector_health(a->collector, &snap->health);
	add_latency(a, snap);
	t2 = nl_monotonic_s();
	tm->snapshot_s = t2 - t;
	add_memory(a, snap);
	t = nl_monotonic_s();
	tm->proc_s += t - t2;
	nl_model_rank(snap, &a->opts.model);
	t2 = nl_monotonic_s();
	tm->model_s = t2 - t;
	a->prev = cur;
	err = nl_snapshot_advise(snap, &a->opts.advice, a->opts.pids, a->opts.nr_pids,
				 a->opts.advice_remember ? &a->advice_memory : NULL);
	tm->advice_s = nl_monotonic_s() - t2;
	if (!err && a->opts.cgroup_tiers) {
		t = nl_monotonic_s();
		err = nl_snapshot_cgroup_tiers(snap, a->opts.pids, a->opts.nr_pids,
					       a->opts.cgroup_tiers_ranked, &a->cgtier_memory);
		tm->cgtier_s = nl_monotonic_s() - t;
	}
	if (err)
		nl_snapshot_free(snap);
	return err;
}

int nl_agent_advise(struct nl_agent *a, struct nl_snapshot *snap, struct nl_proc_view *v)
{
	return nl_snapshot_advise_one(snap, v, &a->opts.advice.opts,
				      a->opts.advice_remember ? &a->advice_memory : NULL);
}

const struct nl_topology *nl_agent_topology(const struct nl_agent *a)
{
	return &a->topo;
}

const struct nl_sources *nl_agent_sources(const struct nl_agent *a)
{
	return &a->sources;
}

/* With proc_only there is no BPF side: no programs, no health, no samples. */
size_t nl_agent_programs(struct nl_agent *a, struct nl_prog_info *out, size_t max)
{
	return a->collector ? nl_collector_programs(a->collector, out, max) : 0;
}

void nl_agent_health(struct nl_agent *a, struct nl_health *h)
{
	memset(h, 0, sizeof(*h));
	if (a->collector)
		nl_collector_health(a->collector, h);
}

int nl_agent_pmu_matrix(struct nl_agent *a, uint32_t pid, uint64_t *matrix)
{
	if (!a->collector)
		return -ENOENT;
	return nl_collector_pmu_matrix(a->collector, pid, a->nr_nodes, matrix);
}

const struct nl_agent_times *nl_agent_times(const struct nl_agent *a)
{
	return &a->times;
}

void nl_agent_close(struct nl_agent *a)
{
	if (!a)
		return;
	nl_collector_free(a->collector);
	nl_proc_collector_free(a->proc);
	nl_sample_table_free(&a->tables[0]);
	nl_sample_table_free(&a->tables[1]);
	free(a->mem);
	free(a->mem_bytes);
	nl_advisor_memory_free(&a->advice_memory);
	free(a->old_mem);
	free(a->old_mem_bytes);
	nl_snapshot_pool_free(&a->pool);
	nl_cgtier_memory_free(&a->cgtier_memory);
	free(a);
}
