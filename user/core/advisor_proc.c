// SPDX-License-Identifier: GPL-2.0
/*
 * The advisor's inputs for a live process: what /proc and its cgroup say it
 * may use, and the load per node from the snapshot. Kept apart from
 * advisor.c, which stays pure. Here too the pipeline's advice step, which
 * attaches limits and advice to a snapshot's views so that front ends only
 * read them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "advisor.h"
#include "pidsearch.h"

/* Is the process behind pid still the one the snapshot saw? Start times
 * agree to within a clock tick (stat has ticks, the snapshot nanoseconds). */
bool nl_proc_limits_same(const struct nl_proc_view *v, const struct nl_proc_limits *l)
{
	long hz = sysconf(_SC_CLK_TCK);
	double a, b;

	if (!v->start_time_ns || !l->start_ticks || hz <= 0)
		return true; /* not known: cannot tell */
	a = (double)l->start_ticks * 1e9 / hz;
	b = (double)v->start_time_ns;
	return a - b < 2e9 / hz && b - a < 2e9 / hz;
}

/* Its limits are read (and the load per node weighed) only for these:
 * a flagged process is worth the reads. */
static bool reads_limits(const struct nl_advisor_opts *o, const struct nl_proc_view *v)
{
	return !v->exited && (v->flagged || !o->use_model_flag);
}

static int advise_process(struct nl_advisor_memory *m, const struct nl_snapshot *snap,
			  const struct nl_proc_view *v, const double *busy,
			  const struct nl_advisor_opts *o, struct nl_advice *adv,
			  struct nl_proc_limits *limits)
{
	struct nl_advisor_input in = { .topo = snap->topo,
				       .v = v,
				       .nr_nodes = snap->nr_nodes,
				       .window_s = snap->window_s,
				       .node_busy = busy,
				       .limits = limits };
	double *own = NULL;
	int ret = 0;

	if (!snap->topo)
		return -EINVAL;
	nl_proc_limits_unrestricted(snap->topo, limits);
	if (v->exited) {
		memset(adv, 0, sizeof(*adv));
		adv->remote_now = adv->remote_after = v->remote_ratio;
		adv->target_load = adv->load_now = -1;
		snprintf(adv->reason, sizeof(adv->reason), "it exited during the window");
		return -ESRCH;
	}
	if (reads_limits(o, v)) {
		if (nl_proc_limits_read((int)v->pid, snap->topo, limits) ||
		    !nl_proc_limits_same(v, limits)) {
			nl_proc_limits_unrestricted(snap->topo, limits);
			in.limits = NULL;
			ret = -ESRCH;
		}
		if (!busy) {
			own = calloc(snap->nr_nodes ? snap->nr_nodes : 1, sizeof(*own));
			if (own) {
				nl_advisor_node_busy(snap, (uint32_t)getpid(), own);
				in.node_busy = own;
			}
		}
	}
	if (!m || !nl_advise_tracked(m, &in, o, adv))
		nl_advise(&in, o, adv);
	if (ret == -ESRCH && adv->action != NL_ACT_NONE)
		snprintf(adv->reason, sizeof(adv->reason), "it has exited since the window");
	if (ret == -ESRCH && adv->action != NL_ACT_NONE)
		adv->action = NL_ACT_NONE;
	free(own);
	return ret;
}

void nl_advice_step_default(struct nl_advice_step *s)
{
	memset(s, 0, sizeof(*s));
	nl_advisor_opts_default(&s->opts);
	s->opts.use_model_flag = true;
}

static int attach(const struct nl_snapshot *snap, struct nl_proc_view *v, const double *busy,
		  const struct nl_advisor_opts *o, struct nl_advisor_memory *m)
{
	struct nl_proc_advice *a = v->advice ? v->advice : malloc(sizeof(*a));

	if (!a)
		return -ENOMEM;
	v->advice = a;
	a->err = advise_process(m, snap, v, reads_limits(o, v) ? busy : NULL, o, &a->advice,
				&a->limits);
	return 0;
}

/* Does s advise v? taken counts those chosen by rank so far. */
static bool chosen(const struct nl_advice_step *s, const struct nl_snapshot *snap,
		   const struct nl_proc_view *v, const uint32_t *pids, size_t nr_pids,
		   size_t *taken)
{
	bool ranked;

	switch (s->which) {
	case NL_ADVICE_PIDS:
		return nl_pid_listed(pids, nr_pids, v->pid);
	case NL_ADVICE_LISTED:
		if (nr_pids)
			return nl_pid_listed(pids, nr_pids, v->pid);
		ranked = v->cpu_s > 0;
		break;
	case NL_ADVICE_CANDIDATES:
		ranked = nl_advisor_candidate(&s->opts, v, snap->window_s);
		break;
	default:
		return false;
	}
	if (!ranked || (s->max && *taken >= s->max))
		return false;
	++*taken;
	return true;
}

int nl_snapshot_advise(struct nl_snapshot *snap, const struct nl_advice_step *s,
		       const uint32_t *pids, size_t nr_pids, struct nl_advisor_memory *m)
{
	double *busy = NULL;
	size_t i, taken = 0;
	int err = 0;

	for (i = 0; snap->topo && i < snap->nr && !err; i++) {
		struct nl_proc_view *v = &snap->procs[i];

		if (!chosen(s, snap, v, pids, nr_pids, &taken)) {
			free(v->advice);
			v->advice = NULL;
			continue;
		}
		/* The same for every process: worked out once. */
		if (!busy && reads_limits(&s->opts, v)) {
			busy = calloc(snap->nr_nodes ? snap->nr_nodes : 1, sizeof(*busy));
			if (!busy) {
				err = -ENOMEM;
				break;
			}
			nl_advisor_node_busy(snap, (uint32_t)getpid(), busy);
		}
		err = attach(snap, v, busy, &s->opts, m);
	}
	if (m)
		nl_advisor_memory_sweep(m);
	free(busy);
	return err;
}

int nl_snapshot_advise_one(struct nl_snapshot *snap, struct nl_proc_view *v,
			   const struct nl_advisor_opts *o, struct nl_advisor_memory *m)
{
	return snap->topo ? attach(snap, v, NULL, o, m) : -EINVAL;
}
