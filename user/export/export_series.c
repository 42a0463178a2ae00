// SPDX-License-Identifier: GPL-2.0
/*
 * Which processes get series of their own, and the counters behind them.
 *
 * Each window every process joins a group: itself (--group-by pid), its
 * command or its cgroup. Groups are ranked by activity, an exponentially
 * weighted mean of the CPUs they kept busy per window; a group that has a
 * series keeps it against a newcomer up to NL_EXPORT_INCUMBENT_BONUS, so
 * series do not flap between processes of equal weight. The top
 * --max-processes groups that ran, plus those on the allowlist, have
 * series; every other group's window goes into comm="other".
 *
 * Counters only grow: a group's counters add the windows in which it had
 * a series of its own, other's add the windows of everything else, so a
 * process moving in or out of the top never makes a counter go down, and
 * the sum over all series is the machine's total. A group disappears (and
 * its series with it) once no process of it is left; a pid that comes
 * back with another start time is another process.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "export.h"

#define SOURCE_NONE (-2)

struct nl_export_proc {
	struct nl_export_proc *next;
	uint32_t pid;
	uint64_t start_time_ns;
	uint64_t seen;
	char *cgroup;		       /* NULL: not read yet */
	char cgroup_comm[NL_COMM_LEN]; /* its comm when the cgroup was read */
	double cgroup_at;
	struct nl_export_group *group; /* this refresh */
};

void nl_export_opts_default(struct nl_export_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->group_by = NL_EXPORT_BY_PID;
	o->max_processes = NL_EXPORT_MAX_PROCESSES;
	o->cgroup_labels = true;
}

static const char *const group_by_names[] = {
	[NL_EXPORT_BY_PID] = "pid",
	[NL_EXPORT_BY_COMM] = "comm",
	[NL_EXPORT_BY_CGROUP] = "cgroup",
};

int nl_export_parse_group_by(const char *s, enum nl_export_group_by *out)
{
	size_t i;

	for (i = 0; i < sizeof(group_by_names) / sizeof(group_by_names[0]); i++) {
		if (!strcmp(s, group_by_names[i])) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *nl_export_group_by_name(enum nl_export_group_by g)
{
	return g <= NL_EXPORT_BY_CGROUP ? group_by_names[g] : "?";
}

/* ---- Hash tables: chained, doubled when as full as they are wide ---- */

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static uint32_t hash_pid(uint32_t pid)
{
	return pid * 2654435761u;
}

/* Every entry starts with its chain pointer. */
struct entry {
	struct entry *next;
};

static int table_init(struct nl_export_table *t)
{
	t->nr_buckets = 256;
	t->nr = 0;
	t->buckets = calloc(t->nr_buckets, sizeof(*t->buckets));
	return t->buckets ? 0 : -ENOMEM;
}

static void table_grow(struct nl_export_table *t, uint32_t (*hash)(const void *))
{
	size_t nr = t->nr_buckets * 2, i;
	void **buckets;

	if (t->nr <= t->nr_buckets)
		return;
	buckets = calloc(nr, sizeof(*buckets));
	if (!buckets)
		return; /* stays slower, still correct */
	for (i = 0; i < t->nr_buckets; i++) {
		struct entry *en = t->buckets[i], *next;

		for (; en; en = next) {
			size_t b = hash(en) & (nr - 1);

			next = en->next;
			en->next = buckets[b];
			buckets[b] = en;
		}
	}
	free(t->buckets);
	t->buckets = buckets;
	t->nr_buckets = nr;
}

static uint32_t group_hash(const void *en)
{
	return ((const struct nl_export_group *)en)->hash;
}

static uint32_t proc_hash(const void *en)
{
	return hash_pid(((const struct nl_export_proc *)en)->pid);
}

/* ---- Counters and series ---- */

static void counts_free(struct nl_export_counts *c)
{
	free(c->cpu_s);
	free(c->hint_local);
	free(c->hint_remote);
}

static void series_free(struct nl_export_series *s)
{
	if (!s)
		return;
	counts_free(&s->acc);
	free(s->mem_bytes);
	free(s->cgroup);
	free(s->labels);
	free(s);
}

static struct nl_export_series *series_new(int nr_nodes)
{
	struct nl_export_series *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->acc.cpu_s = calloc(nr_nodes, sizeof(*s->acc.cpu_s));
	s->acc.hint_local = calloc(nr_nodes, sizeof(*s->acc.hint_local));
	s->acc.hint_remote = calloc(nr_nodes, sizeof(*s->acc.hint_remote));
	s->mem_bytes = calloc(nr_nodes, sizeof(*s->mem_bytes));
	if (!s->acc.cpu_s || !s->acc.hint_local || !s->acc.hint_remote || !s->mem_bytes) {
		series_free(s);
		return NULL;
	}
	return s;
}

static void group_release(struct nl_export_group *g)
{
	series_free(g->s);
	free(g->key);
}

/* A new window for a group: what the last one added is gone. */
static void group_window_reset(struct nl_export_group *g, int nr_nodes)
{
	g->members = 0;
	g->threads = 0;
	g->allowed = false;
	g->win_cpu = 0;
	g->win_ratio_sum = 0;
	g->win_ratio_cpu = 0;
	g->win_source = SOURCE_NONE;
	if (g->s) {
		memset(g->s->mem_bytes, 0, nr_nodes * sizeof(*g->s->mem_bytes));
		g->s->mem_known = false;
	}
}

/* Everything about the process that had this key before. */
static void group_forget(struct nl_export_group *g, int nr_nodes)
{
	g->activity = 0;
	g->selected = false;
	g->ratio_valid = false;
	g->ratio = 0;
	g->ratio_source = SOURCE_NONE;
	series_free(g->s);
	g->s = NULL;
}

int nl_export_new(const struct nl_export_opts *o, int nr_nodes, struct nl_export **out)
{
	struct nl_export *e = calloc(1, sizeof(*e));
	size_t i;

	*out = NULL;
	if (!e)
		return -ENOMEM;
	e->opts = *o;
	e->nr_nodes = nr_nodes > 0 ? nr_nodes : 1;
	e->allow_comm = calloc(o->nr_allow_comm + 1, sizeof(char *));
	e->allow_cgroup = calloc(o->nr_allow_cgroup + 1, sizeof(char *));
	if (!e->allow_comm || !e->allow_cgroup)
		goto fail;
	for (i = 0; i < o->nr_allow_comm; i++)
		if (!(e->allow_comm[i] = strdup(o->allow_comm[i])))
			goto fail;
	for (i = 0; i < o->nr_allow_cgroup; i++)
		if (!(e->allow_cgroup[i] = strdup(o->allow_cgroup[i])))
			goto fail;
	e->opts.allow_comm = (const char *const *)e->allow_comm;
	e->opts.allow_cgroup = (const char *const *)e->allow_cgroup;
	if (table_init(&e->groups) || table_init(&e->procs))
		goto fail;
	e->other.s = series_new(e->nr_nodes);
	e->other.key = strdup("other");
	if (!e->other.s || !e->other.key || !(e->other.s->labels = strdup("comm=\"other\"")))
		goto fail;
	e->other.selected = true;
	e->other.ratio_source = SOURCE_NONE;
	snprintf(e->other.comm, sizeof(e->other.comm), "other");
	*out = e;
	return 0;
fail:
	nl_export_free(e);
	return -ENOMEM;
}

static struct nl_export_group *group_lookup(const struct nl_export_table *t, const char *key,
					    uint32_t h)
{
	struct nl_export_group *g = t->buckets[h & (t->nr_buckets - 1)];

	for (; g; g = g->next)
		if (g->hash == h && !strcmp(g->key, key))
			return g;
	return NULL;
}

const struct nl_export_group *nl_export_find(const struct nl_export *e, const char *key)
{
	if (!strcmp(key, "other"))
		return &e->other;
	return group_lookup(&e->groups, key, hash_str(key));
}

static struct nl_export_group *group_get(struct nl_export *e, const char *key)
{
	uint32_t h = hash_str(key);
	struct nl_export_group *g = group_lookup(&e->groups, key, h);
	size_t b;

	if (g)
		return g;
	g = calloc(1, sizeof(*g));
	if (!g || !(g->key = strdup(key))) {
		free(g);
		return NULL;
	}
	g->hash = h;
	g->ratio_source = SOURCE_NONE;
	g->win_source = SOURCE_NONE;
	b = h & (e->groups.nr_buckets - 1);
	g->next = e->groups.buckets[b];
	e->groups.buckets[b] = g;
	e->groups.nr++;
	table_grow(&e->groups, group_hash);
	return g;
}

static struct nl_export_proc *proc_get(struct nl_export *e, uint32_t pid)
{
	size_t b = hash_pid(pid) & (e->procs.nr_buckets - 1);
	struct nl_export_proc *p = e->procs.buckets[b];

	for (; p; p = p->next)
		if (p->pid == pid)
			return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	p->next = e->procs.buckets[b];
	e->procs.buckets[b] = p;
	e->procs.nr++;
	table_grow(&e->procs, proc_hash);
	return p;
}

static struct nl_export_proc *proc_find(const struct nl_export *e, uint32_t pid)
{
	struct nl_export_proc *p = e->procs.buckets[hash_pid(pid) & (e->procs.nr_buckets - 1)];

	for (; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

/* Reads the cgroup of a new process, or again when it exec'd (containers
 * are entered before the exec) or is old, within the refresh's budget. */
static void proc_cgroup(struct nl_export *e, struct nl_export_proc *p, const char *comm,
			size_t *rereads)
{
	char path[1024];
	bool stale;

	if (!e->opts.read_cgroup)
		return;
	stale = !p->cgroup;
	if (!stale && *rereads < NL_EXPORT_CGROUP_REREADS &&
	    (strcmp(p->cgroup_comm, comm) || e->now - p->cgroup_at >= NL_EXPORT_CGROUP_MAX_AGE)) {
		stale = true;
		(*rereads)++;
	}
	if (!stale)
		return;
	p->cgroup_at = e->now;
	snprintf(p->cgroup_comm, sizeof(p->cgroup_comm), "%s", comm);
	e->cgroup_reads++;
	if (e->opts.read_cgroup(e->opts.read_cgroup_ctx, p->pid, path, sizeof(path))) {
		if (p->cgroup)
			return; /* gone: keep what it was */
		path[0] = '\0';
	}
	if (p->cgroup && !strcmp(p->cgroup, path))
		return;
	free(p->cgroup);
	p->cgroup = strdup(path);
}

static bool matches(char *const *patterns, const char *s)
{
	for (; *patterns; patterns++)
		if (!fnmatch(*patterns, s, 0))
			return true;
	return false;
}

static bool ratio_valid(const struct nl_proc_view *v)
{
	switch (v->source) {
	case NL_SRC_PMU:
		return v->pmu_ratio.valid;
	case NL_SRC_HINT_FAULTS:
		return v->hint.valid;
	case NL_SRC_PLACEMENT:
		return v->placement.valid;
	default:
		return false;
	}
}

static void merge_source(int *to, int source)
{
	if (source == SOURCE_NONE)
		return;
	if (*to == SOURCE_NONE)
		*to = source;
	else if (*to != source)
		*to = NL_EXPORT_SOURCE_MIXED;
}

static double proc_cpu(const struct nl_proc_view *v, int nr_nodes)
{
	double cpu = 0;
	int n;

	for (n = 0; n < nr_nodes; n++)
		cpu += v->node[n].cpu_s;
	return cpu;
}

/* What ranking needs of a process's window. */
static void add_to_rank(struct nl_export_group *g, const struct nl_proc_view *v, int nr_nodes)
{
	double cpu = proc_cpu(v, nr_nodes);

	g->members++;
	g->threads += v->nr_threads;
	g->win_cpu += cpu;
	if (cpu > 0 && ratio_valid(v)) {
		g->win_ratio_sum += cpu * v->remote_ratio;
		g->win_ratio_cpu += cpu;
		merge_source(&g->win_source, v->source);
	}
}

/* A process's window into the counters of a series (its group's or other's). */
static void add_to_series(struct nl_export_series *s, const struct nl_proc_view *v, int nr_nodes)
{
	struct nl_export_counts *c = &s->acc;
	double cpu = proc_cpu(v, nr_nodes);
	int n;

	for (n = 0; n < nr_nodes; n++) {
		c->cpu_s[n] += v->node[n].cpu_s;
		c->hint_local[n] += v->node[n].hint_local;
		c->hint_remote[n] += v->node[n].hint_remote;
		if (v->mem_known)
			s->mem_bytes[n] += v->node[n].mem_bytes;
	}
	s->mem_known |= v->mem_known;
	c->pmu_local += v->pmu.mem_local;
	c->pmu_remote += v->pmu.mem_remote;
	c->migrations_cross += v->cross_node_migrations;
	c->migrations_same += v->migrations > v->cross_node_migrations ?
				      v->migrations - v->cross_node_migrations :
				      0;
	c->moves += v->numa_moves;
	c->swaps += v->numa_swaps;
	c->sticks += v->numa_sticks;
	c->pages_migrated += v->numa_pages_migrated;
	c->pages_promoted += v->promoted_pages;
	if (cpu > 0 && ratio_valid(v))
		c->remote_cpu_s += cpu * v->remote_ratio;
}

/* A folded group's ranking figures into other's. */
static void fold(struct nl_export *e, const struct nl_export_group *g)
{
	struct nl_export_group *o = &e->other;

	o->members += g->members;
	o->threads += g->threads;
	o->win_cpu += g->win_cpu;
	o->win_ratio_sum += g->win_ratio_sum;
	o->win_ratio_cpu += g->win_ratio_cpu;
	if (g->win_ratio_cpu > 0)
		merge_source(&o->win_source, g->win_source);
}

static void settle_ratio(struct nl_export_group *g)
{
	if (g->win_ratio_cpu <= 0)
		return; /* did not run: the last figure stands */
	g->ratio_valid = true;
	g->ratio = g->win_ratio_sum / g->win_ratio_cpu;
	g->ratio = g->ratio < 0 ? 0 : g->ratio > 1 ? 1 : g->ratio;
	g->ratio_source = g->win_source;
}

static double rank_score(const struct nl_export_group *g)
{
	return g->activity * (g->selected ? NL_EXPORT_INCUMBENT_BONUS : 1);
}

static int by_rank(const void *a, const void *b)
{
	const struct nl_export_group *x = *(const struct nl_export_group *const *)a;
	const struct nl_export_group *y = *(const struct nl_export_group *const *)b;
	double sx = rank_score(x), sy = rank_score(y);

	if (sx != sy)
		return sx > sy ? -1 : 1;
	if (x->selected != y->selected)
		return x->selected ? -1 : 1;
	return strcmp(x->key, y->key);
}

static int by_key(const void *a, const void *b, void *mode)
{
	const struct nl_export_group *x = *(const struct nl_export_group *const *)a;
	const struct nl_export_group *y = *(const struct nl_export_group *const *)b;

	if (*(const enum nl_export_group_by *)mode == NL_EXPORT_BY_PID)
		return x->pid < y->pid ? -1 : x->pid > y->pid;
	return strcmp(x->key, y->key);
}

static void set_cgroup(struct nl_export_series *s, const char *path)
{
	if (!path || (s->cgroup && !strcmp(s->cgroup, path)))
		return;
	free(s->cgroup);
	s->cgroup = strdup(path);
	nl_export_cgroup_ids(path, s->container_id, sizeof(s->container_id), s->pod_uid,
			     sizeof(s->pod_uid));
}

static int build_labels(struct nl_export *e, struct nl_export_group *g)
{
	struct nl_export_series *s = g->s;
	struct nl_buf b;
	char pid[16];

	nl_buf_init(&b);
	if (e->opts.group_by == NL_EXPORT_BY_PID) {
		snprintf(pid, sizeof(pid), "%u", g->pid);
		nl_prom_label(&b, "pid", pid);
	}
	if (e->opts.group_by != NL_EXPORT_BY_CGROUP)
		nl_prom_label(&b, "comm", g->comm[0] ? g->comm : "?");
	if (e->opts.group_by != NL_EXPORT_BY_COMM) {
		nl_prom_label(&b, "cgroup", s->cgroup);
		nl_prom_label(&b, "container_id", s->container_id);
		nl_prom_label(&b, "pod_uid", s->pod_uid);
	}
	/* cgroup mode, cgroup unknown: still one distinct series. */
	if (!b.data)
		nl_prom_label(&b, "cgroup", "unknown");
	if (b.failed) {
		nl_buf_free(&b);
		return -ENOMEM;
	}
	free(s->labels);
	s->labels = b.data;
	return 0;
}

/* Every process into its group, with what ranking needs. */
static int group_processes(struct nl_export *e, const struct nl_snapshot *snap, int nodes,
			   size_t *rereads)
{
	bool need_cgroup = e->opts.read_cgroup &&
			   (e->opts.group_by == NL_EXPORT_BY_CGROUP || e->opts.nr_allow_cgroup);
	uint64_t gen = e->generation;
	char key[32];
	size_t i;

	for (i = 0; i < snap->nr; i++) {
		const struct nl_proc_view *v = &snap->procs[i];
		struct nl_export_proc *p = proc_get(e, v->pid);
		struct nl_export_group *g;
		const char *k;

		if (!p)
			return -ENOMEM;
		if (p->seen && p->start_time_ns != v->start_time_ns) {
			free(p->cgroup); /* the pid was reused */
			p->cgroup = NULL;
		}
		p->start_time_ns = v->start_time_ns;
		p->seen = gen;
		p->group = NULL;
		if (need_cgroup)
			proc_cgroup(e, p, v->comm, rereads);

		switch (e->opts.group_by) {
		case NL_EXPORT_BY_PID:
			snprintf(key, sizeof(key), "%u", v->pid);
			k = key;
			break;
		case NL_EXPORT_BY_COMM:
			k = v->comm;
			break;
		default:
			k = p->cgroup ? p->cgroup : "";
			break;
		}
		g = group_get(e, k);
		if (!g)
			return -ENOMEM;
		if (g->seen != gen) {
			group_window_reset(g, e->nr_nodes);
			g->seen = gen;
		}
		if (e->opts.group_by == NL_EXPORT_BY_PID) {
			if (g->pid == v->pid && g->start_time_ns != v->start_time_ns)
				group_forget(g, e->nr_nodes); /* another process, same pid */
			g->pid = v->pid;
			g->start_time_ns = v->start_time_ns;
		}
		if (e->opts.group_by != NL_EXPORT_BY_CGROUP) {
			memcpy(g->comm, v->comm, sizeof(g->comm));
			g->comm[sizeof(g->comm) - 1] = '\0';
		}
		add_to_rank(g, v, nodes);
		if (matches(e->allow_comm, v->comm) ||
		    (p->cgroup && matches(e->allow_cgroup, p->cgroup)))
			g->allowed = true;
		p->group = g;
	}
	return 0;
}

/* Removes the groups left without a process (their series go) and lists
 * the others, their activity and ratio updated. */
static size_t sweep_groups(struct nl_export *e, double window_s, struct nl_export_group **cand)
{
	struct nl_export_group *g;
	size_t i, nr = 0;

	for (i = 0; i < e->groups.nr_buckets; i++) {
		struct nl_export_group **link = (struct nl_export_group **)&e->groups.buckets[i];

		while ((g = *link)) {
			if (g->seen != e->generation) {
				*link = g->next;
				e->groups.nr--;
				group_release(g);
				free(g);
				continue;
			}
			g->activity = NL_EXPORT_ACTIVITY_ALPHA *
					      (window_s > 0 ? g->win_cpu / window_s : 0) +
				      (1 - NL_EXPORT_ACTIVITY_ALPHA) * g->activity;
			settle_ratio(g);
			cand[nr++] = g;
			link = &g->next;
		}
	}
	return nr;
}

/* The allowlist, then the busiest that ran (or kept a series). A real
 * command named "other" would collide with the folded series: folded too. */
static int select_groups(struct nl_export *e, struct nl_export_group **cand, size_t nr)
{
	size_t i, allowed = 0, by_activity = 0, ranked = 0;

	/* Only the groups that may get a series need an order: those that ran
	 * (or still have some activity), had a series or are allowlisted. The
	 * rest (idle processes, thousands of them) are folded whatever their
	 * order, and what they fold is exact (counts, and zeros). */
	for (i = 0; i < nr; i++) {
		const struct nl_export_group *c = cand[i];

		if (c->activity > 0 || c->win_cpu > 0 || c->selected || c->allowed) {
			struct nl_export_group *g = cand[ranked];

			cand[ranked++] = cand[i];
			cand[i] = g;
		}
	}
	qsort(cand, ranked, sizeof(*cand), by_rank);
	e->nr_selected = 0;
	e->folded = 0;
	e->allowed_over = 0;
	if (e->cap_selected < nr) {
		struct nl_export_group **sel = realloc(e->selected, nr * sizeof(*sel));

		if (!sel)
			return -ENOMEM;
		e->selected = sel;
		e->cap_selected = nr;
	}
	for (i = 0; i < nr; i++) {
		struct nl_export_group *g = cand[i];
		bool was = g->selected;

		g->selected = false;
		if (e->opts.group_by == NL_EXPORT_BY_COMM && !strcmp(g->key, "other")) {
			/* stays folded */
		} else if (g->allowed) {
			if (allowed < NL_EXPORT_MAX_ALLOWED) {
				allowed++;
				g->selected = true;
			} else {
				e->allowed_over++;
			}
		} else if (by_activity < e->opts.max_processes && (g->activity > 0 || was)) {
			by_activity++;
			g->selected = true;
		}
		if (g->selected && !g->s && !(g->s = series_new(e->nr_nodes))) {
			g->selected = false;
			return -ENOMEM;
		}
		if (g->selected) {
			e->selected[e->nr_selected++] = g;
		} else {
			fold(e, g);
			e->folded += g->members;
		}
	}
	return 0;
}

int nl_export_update(struct nl_export *e, const struct nl_snapshot *snap, double now)
{
	int nodes = e->nr_nodes < snap->nr_nodes ? e->nr_nodes : snap->nr_nodes;
	struct nl_export_group **cand = NULL;
	size_t i, nr_cand, rereads = 0;
	int err;

	e->generation++;
	e->now = now;
	group_window_reset(&e->other, e->nr_nodes);
	err = group_processes(e, snap, nodes, &rereads);
	if (err)
		return err;
	cand = malloc((e->groups.nr ? e->groups.nr : 1) * sizeof(*cand));
	if (!cand)
		return -ENOMEM;
	nr_cand = sweep_groups(e, snap->window_s, cand);
	err = select_groups(e, cand, nr_cand);
	free(cand);
	if (err)
		return err;
	settle_ratio(&e->other);

	/* Windows into counters: a process's group's series, or other's. */
	for (i = 0; i < snap->nr; i++) {
		const struct nl_proc_view *v = &snap->procs[i];
		struct nl_export_proc *p = proc_find(e, v->pid);
		struct nl_export_group *g = p ? p->group : NULL;

		add_to_series(g && g->selected ? g->s : e->other.s, v, nodes);
	}

	/* Labels of the series; by pid, cgroups are read for these only. */
	for (i = 0; i < e->nr_selected; i++) {
		struct nl_export_group *g = e->selected[i];

		if (e->opts.group_by == NL_EXPORT_BY_PID && e->opts.cgroup_labels) {
			struct nl_export_proc *p = proc_find(e, g->pid);

			if (p)
				proc_cgroup(e, p, g->comm, &rereads); /* a no-op if fresh */
			if (p && p->cgroup)
				set_cgroup(g->s, p->cgroup);
		} else if (e->opts.group_by == NL_EXPORT_BY_CGROUP) {
			set_cgroup(g->s, g->key);
		}
		if (build_labels(e, g))
			return -ENOMEM;
	}
	qsort_r(e->selected, e->nr_selected, sizeof(*e->selected), by_key, &e->opts.group_by);
	e->tracked = snap->nr;

	/* Processes no longer there. */
	for (i = 0; i < e->procs.nr_buckets; i++) {
		struct nl_export_proc **link = (struct nl_export_proc **)&e->procs.buckets[i], *p;

		while ((p = *link)) {
			if (p->seen != e->generation) {
				*link = p->next;
				e->procs.nr--;
				free(p->cgroup);
				free(p);
				continue;
			}
			link = &p->next;
		}
	}
	return 0;
}

void nl_export_free(struct nl_export *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; e->groups.buckets && i < e->groups.nr_buckets; i++) {
		struct nl_export_group *g = e->groups.buckets[i], *next;

		for (; g; g = next) {
			next = g->next;
			group_release(g);
			free(g);
		}
	}
	for (i = 0; e->procs.buckets && i < e->procs.nr_buckets; i++) {
		struct nl_export_proc *p = e->procs.buckets[i], *next;

		for (; p; p = next) {
			next = p->next;
			free(p->cgroup);
			free(p);
		}
	}
	free(e->groups.buckets);
	free(e->procs.buckets);
	group_release(&e->other);
	for (i = 0; e->allow_comm && e->allow_comm[i]; i++)
		free(e->allow_comm[i]);
	for (i = 0; e->allow_cgroup && e->allow_cgroup[i]; i++)
		free(e->allow_cgroup[i]);
	free(e->allow_comm);
	free(e->allow_cgroup);
	free(e->selected);
	free(e);
}
