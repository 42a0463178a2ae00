// SPDX-License-Identifier: GPL-2.0
/*
 * The advisor's suggestion for each per-pid series, so a dashboard can show
 * what to do next to what is wrong. Only processes over the thresholds are
 * advised (their limits come from /proc and their cgroup), at most one per
 * series, so the cost follows --max-processes, not the number of processes.
 * Grouped series (by comm or cgroup) get none: a group has no one pid to pin.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "advisor.h"
#include "export.h"

static void suggestion_clear(struct nl_export_series *s)
{
	s->suggest_action = NL_ACT_NONE;
	s->suggest_nodes = 0;
	s->suggest_remote_after = 0;
	s->suggest_move_bytes = 0;
}

int nl_export_advise(struct nl_export *e, const struct nl_snapshot *snap,
		     const struct nl_advisor_opts *o, struct nl_advisor_memory *m)
{
	struct nl_proc_limits *limits = NULL;
	double *busy = NULL;
	size_t i;
	int err = 0;

	for (i = 0; i < e->nr_selected; i++)
		if (e->selected[i]->s)
			suggestion_clear(e->selected[i]->s);
	if (e->opts.group_by != NL_EXPORT_BY_PID || !snap->topo)
		goto out;
	for (i = 0; i < snap->nr; i++) {
		const struct nl_proc_view *v = &snap->procs[i];
		const struct nl_export_group *g;
		struct nl_advice adv;
		char key[16];

		if (!nl_advisor_candidate(o, v, snap->window_s))
			continue;
		snprintf(key, sizeof(key), "%u", v->pid);
		g = nl_export_find(e, key);
		if (!g || !g->selected || !g->s || g->start_time_ns != v->start_time_ns)
			continue;
		if (!limits) {
			limits = malloc(sizeof(*limits));
			busy = calloc(snap->nr_nodes ? snap->nr_nodes : 1, sizeof(*busy));
			if (!limits || !busy) {
				err = -ENOMEM;
				goto out;
			}
			nl_advisor_node_busy(snap, (uint32_t)getpid(), busy);
		}
		if (nl_advise_process_tracked(m, snap, v, busy, o, &adv, limits) ||
		    adv.action == NL_ACT_NONE)
			continue;
		g->s->suggest_action = adv.action;
		g->s->suggest_nodes = adv.nodes;
		g->s->suggest_remote_after = adv.remote_after;
		g->s->suggest_move_bytes = adv.move_bytes;
	}
out:
	nl_advisor_memory_sweep(m);
	free(limits);
	free(busy);
	return err;
}
