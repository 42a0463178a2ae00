// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's cgroup tiers step (cgroup_tiers.h): which cgroups, their
 * files read, the window since the last reading. Kept apart from
 * cgroup_tiers.c, which stays pure.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup_tiers.h"
#include "pidsearch.h"
#include "snapshot.h"
#include "untrusted.h"

struct nl_cgtier_prev {
	char path[512];
	int version;
	unsigned int present;
	uint64_t pages[NL_MEMCG_EVENTS];
};

/* Does the snapshot report v? *ranked counts down the ranked ones left. */
static bool reported(const struct nl_proc_view *v, const uint32_t *pids, size_t nr_pids,
		     size_t *ranked)
{
	if (v->exited)
		return false;
	if (nr_pids)
		return nl_pid_listed(pids, nr_pids, v->pid);
	if (*ranked && v->cpu_s > 0) {
		--*ranked;
		return true;
	}
	return v->advice || v->flagged;
}

static uint32_t hash_path(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Counts a cgroup beyond the cap once, by its path's hash. */
static void count_over(struct nl_cgtier_set *s, uint32_t *over, const char *path)
{
	uint32_t h = hash_path(path);
	size_t i;

	for (i = 0; i < s->over && i < NL_CGTIER_MAX_LOCATE; i++)
		if (over[i] == h)
			return;
	if (s->over < NL_CGTIER_MAX_LOCATE)
		over[s->over] = h;
	s->over++;
}

static bool taken(const struct nl_cgtier_set *s, const char *path)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		if (!strcmp(s->list[i].r.path, path))
			return true;
	return false;
}

/* The window since m's reading of the same cgroup: counters only grow, so
 * one that fell is another cgroup of the same name. */
static void window(struct nl_cgroup_tiers *c, const struct nl_cgtier_memory *m)
{
	size_t i;
	int ev;

	c->window_known = false;
	for (i = 0; m && c->r.stat_known && i < m->nr; i++) {
		const struct nl_cgtier_prev *p = &m->prev[i];

		if (strcmp(p->path, c->r.path) || p->version != c->r.version ||
		    p->present != c->r.stat.present)
			continue;
		for (ev = 0; ev < NL_MEMCG_EVENTS; ev++)
			if (c->r.stat.pages[ev] < p->pages[ev])
				return;
		for (ev = 0; ev < NL_MEMCG_EVENTS; ev++)
			c->window[ev] = c->r.stat.pages[ev] - p->pages[ev];
		c->window_known = true;
		return;
	}
}

/* This refresh's readings replace the last. */
static void remember(struct nl_cgtier_memory *m, const struct nl_cgtier_set *s)
{
	struct nl_cgtier_prev *prev;
	size_t i;

	if (!m)
		return;
	prev = s->nr ? calloc(s->nr, sizeof(*prev)) : NULL;
	if (s->nr && !prev)
		return; /* the old ones stay: windows are longer, still right */
	for (i = 0; i < s->nr; i++) {
		const struct nl_cgroup_tiers *c = &s->list[i];

		memcpy(prev[i].path, c->r.path, sizeof(prev[i].path));
		prev[i].version = c->r.version;
		prev[i].present = c->r.stat.present;
		memcpy(prev[i].pages, c->r.stat.pages, sizeof(prev[i].pages));
	}
	free(m->prev);
	m->prev = prev;
	m->nr = s->nr;
}

int nl_snapshot_cgroup_tiers(struct nl_snapshot *snap, const uint32_t *pids, size_t nr_pids,
			     size_t ranked, struct nl_cgtier_memory *m)
{
	struct nl_cgtier_set *s = &snap->cgtiers;
	struct nl_cgtier_where where;
	struct nl_cgtier_read *r;
	uint32_t *over;
	size_t i, located = 0;
	int err;

	nl_cgtier_set_free(s);
	s->asked = true;
	err = nl_cgtier_where_read(&where);
	if (err)
		return err;
	if (!where.version) {
		memcpy(s->reason, where.reason, sizeof(s->reason));
		return 0;
	}
	s->list = calloc(NL_CGTIER_MAX, sizeof(*s->list));
	r = malloc(sizeof(*r));
	over = calloc(NL_CGTIER_MAX_LOCATE, sizeof(*over));
	if (!s->list || !r || !over) {
		free(r);
		free(over);
		nl_cgtier_set_free(s);
		s->asked = true;
		return -ENOMEM;
	}
	for (i = 0; i < snap->nr && located < NL_CGTIER_MAX_LOCATE; i++) {
		const struct nl_proc_view *v = &snap->procs[i];
		struct nl_cgroup_tiers *c;

		if (!reported(v, pids, nr_pids, &ranked))
			continue;
		located++;
		if (nl_cgtier_locate(&where, (int)v->pid, r) || !strcmp(r->path, "/") ||
		    taken(s, r->path))
			continue;
		if (s->nr == NL_CGTIER_MAX) {
			count_over(s, over, r->path);
			continue;
		}
		c = &s->list[s->nr++];
		c->r = *r;
		c->pid = v->pid;
		nl_untrusted_text(c->name, sizeof(c->name), r->path, strlen(r->path));
		nl_cgtier_read_files(&c->r);
		/* Where the cpuset was found names a cgroup too. */
		nl_untrusted_clean(c->r.mems_cgroup);
		nl_untrusted_clean(c->r.mems_list);
		window(c, m);
		nl_cgroup_tiers_summarize(snap->topo, c);
	}
	remember(m, s);
	free(r);
	free(over);
	return 0;
}

void nl_cgtier_set_free(struct nl_cgtier_set *s)
{
	free(s->list);
	memset(s, 0, sizeof(*s));
}

void nl_cgtier_memory_free(struct nl_cgtier_memory *m)
{
	free(m->prev);
	m->prev = NULL;
	m->nr = 0;
}
