// SPDX-License-Identifier: GPL-2.0
/*
 * The advisor's inputs for a live process: what /proc and its cgroup say it
 * may use, and the load per node from the snapshot. Kept apart from
 * advisor.c, which stays pure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "advisor.h"

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
	/* Only a flagged process is worth the reads. */
	if (v->flagged || !o->use_model_flag) {
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

int nl_advise_process(const struct nl_snapshot *snap, const struct nl_proc_view *v,
		      const double *busy, const struct nl_advisor_opts *o, struct nl_advice *adv,
		      struct nl_proc_limits *limits)
{
	return advise_process(NULL, snap, v, busy, o, adv, limits);
}

int nl_advise_process_tracked(struct nl_advisor_memory *m, const struct nl_snapshot *snap,
			      const struct nl_proc_view *v, const double *busy,
			      const struct nl_advisor_opts *o, struct nl_advice *adv,
			      struct nl_proc_limits *limits)
{
	return advise_process(m, snap, v, busy, o, adv, limits);
}

int nl_suggest(const struct nl_snapshot *snap, const struct nl_proc_view *v, struct nl_advice *adv,
	       struct nl_proc_limits *limits)
{
	struct nl_advisor_opts o;

	nl_advisor_opts_default(&o);
	o.use_model_flag = true;
	return nl_advise_process(snap, v, NULL, &o, adv, limits);
}
