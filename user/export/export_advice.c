// SPDX-License-Identifier: GPL-2.0
/*
 * The advisor's suggestion for each per-pid series, so a dashboard can show
 * what to do next to what is wrong. The agent advises the processes over
 * the thresholds (their limits read from /proc and their cgroup, with the
 * hysteresis it keeps), at most as many as there can be series; this only
 * reads that from the snapshot, for the processes that have a series.
 * Grouped series (by comm or cgroup) get none: a group has no one pid to pin.
 */
#include <stdio.h>
#include "advisor.h"
#include "agent.h"
#include "export.h"

static void suggestion_clear(struct nl_export_series *s)
{
	s->suggest_action = NL_ACT_NONE;
	s->suggest_nodes = 0;
	s->suggest_remote_after = 0;
	s->suggest_move_bytes = 0;
}

void nl_export_agent_advice(const struct nl_export_opts *o, struct nl_agent_opts *a)
{
	nl_advisor_opts_default(&a->advice.opts);
	a->advice.opts.thresholds = a->model;
	a->advice.which = o->group_by == NL_EXPORT_BY_PID ? NL_ADVICE_CANDIDATES : NL_ADVICE_NONE;
	a->advice.max = o->max_processes + NL_EXPORT_MAX_ALLOWED;
	a->advice_remember = true;
}

void nl_export_advise(struct nl_export *e, const struct nl_snapshot *snap)
{
	size_t i;

	for (i = 0; i < e->nr_selected; i++)
		if (e->selected[i]->s)
			suggestion_clear(e->selected[i]->s);
	if (e->opts.group_by != NL_EXPORT_BY_PID)
		return;
	for (i = 0; i < snap->nr; i++) {
		const struct nl_proc_view *v = &snap->procs[i];
		const struct nl_proc_advice *a = v->advice;
		const struct nl_export_group *g;
		char key[16];

		if (!a || a->err || a->advice.action == NL_ACT_NONE)
			continue;
		snprintf(key, sizeof(key), "%u", v->pid);
		g = nl_export_find(e, key);
		if (!g || !g->selected || !g->s || g->start_time_ns != v->start_time_ns)
			continue;
		g->s->suggest_action = a->advice.action;
		g->s->suggest_nodes = a->advice.nodes;
		g->s->suggest_remote_after = a->advice.remote_after;
		g->s->suggest_move_bytes = a->advice.move_bytes;
	}
}
