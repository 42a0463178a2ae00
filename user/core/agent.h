/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The refresh loop every front end shares: topology and collector once,
 * then per refresh the counters since the previous one, resident memory
 * for the processes that matter (rate-limited), the system counters, the
 * model's ratios and ranking, and the advice (limits read from /proc and the
 * cgroup, then the advisor's plan) for the processes its options name. Front
 * ends read the snapshot it returns, and do no I/O of their own for it.
 */
#ifndef NUMALENS_AGENT_H
#define NUMALENS_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include "advisor.h"
#include "collect.h"
#include "model.h"
#include "snapshot.h"

struct nl_agent_opts {
	struct nl_collect_opts collect;
	/* No BPF: the pids below only, their CPU time per node from their
	 * threads' ticks in /proc (nl_proc_collector), sources all inactive. */
	bool proc_only;
	struct nl_model_opts model;
	const uint32_t *pids; /* always given memory, whatever their CPU use */
	size_t nr_pids;
	/* numa_maps: read at most this many processes per refresh, busiest
	 * first, and at most this much text of each; a process's figures are
	 * kept this many seconds before being read again. */
	size_t mem_per_refresh;
	size_t mem_max_bytes;
	double mem_max_age_s;
	/* Advice attached to the views (nl_proc_view.advice): for which
	 * processes (pids: those above), at most how many, with which advisor
	 * options. Default: none. With advice_remember the agent keeps the
	 * last suggestion per process across refreshes, for the hysteresis. */
	struct nl_advice_step advice;
	bool advice_remember;
	/* Tier movement of the reported processes' cgroups, read after the
	 * advice (snap->cgtiers, cgroup_tiers.h): those advised or flagged,
	 * and the first cgroup_tiers_ranked in rank order. Default: off. */
	bool cgroup_tiers;
	size_t cgroup_tiers_ranked;
	/* Flush the per-CPU vmstat counters before each read (vm.stat_refresh):
	 * exact window edges for a one-shot window such as diagnose's; work on
	 * every CPU, so not for the exporter's every refresh. Default: off. */
	bool flush_vmstat;
};

void nl_agent_opts_default(struct nl_agent_opts *o);

/* Where the latest refresh's time went, in seconds (bench/refresh.c reads
 * it): always measured, a few clock reads per refresh. */
struct nl_agent_times {
	double collect_s;  /* nl_collector_read: the task iterator, the maps */
	double snapshot_s; /* the window: two tables into per-process views */
	double proc_s;	   /* /proc: numa_maps, vmstat */
	double model_s;	   /* ratios and ranking */
	double advice_s;   /* limits and advice of the processes that get it */
	double cgtier_s;   /* the cgroups' memory.stat, numa_stat, cpuset */
	size_t mem_reads;  /* numa_maps read */
};

struct nl_agent;

/* Returns 0 or a negative errno, the reason printed (see nl_exit_for_errno). */
int nl_agent_open(const struct nl_agent_opts *o, struct nl_agent **out);
/* The window since the previous refresh (or since open). snap is the
 * caller's; free it with nl_snapshot_free, before nl_agent_close (its
 * arrays go back to the agent, for the next refresh). */
int nl_agent_refresh(struct nl_agent *a, struct nl_snapshot *snap);
/* Attaches advice to one more view of the snapshot the agent returned last
 * (one its options did not name), as the refresh would have. 0 or -ENOMEM. */
int nl_agent_advise(struct nl_agent *a, struct nl_snapshot *snap, struct nl_proc_view *v);
const struct nl_topology *nl_agent_topology(const struct nl_agent *a);
const struct nl_sources *nl_agent_sources(const struct nl_agent *a);
/* The agent's queries besides the snapshot; front ends never see the
 * collector or its BPF maps. */
/* Each BPF program: loaded, attached, its statistics; returns how many. */
size_t nl_agent_programs(struct nl_agent *a, struct nl_prog_info *out, size_t max);
/* The BPF side's health counters, since load. */
void nl_agent_health(struct nl_agent *a, struct nl_health *h);
/* pid's memory samples per (CPU node, memory node), cumulative: as
 * nl_collector_pmu_matrix, for the agent's nodes. */
int nl_agent_pmu_matrix(struct nl_agent *a, uint32_t pid, uint64_t *matrix);
const struct nl_agent_times *nl_agent_times(const struct nl_agent *a);
void nl_agent_close(struct nl_agent *a);

#endif /* NUMALENS_AGENT_H */
