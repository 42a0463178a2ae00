/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The advisor: a pure function from one process's window (CPU time and
 * memory per node, its remote ratio), the topology, the load per node and
 * what the process may use, to a recommendation: which node(s), whether its
 * threads move to its memory (affinity) or its memory moves to its threads
 * (page migration), how much would move, and why, in a sentence or two.
 * No I/O: every rule is unit-tested on synthetic topologies. The commands
 * that carry it out are advice_text.h's; applying a recommendation is
 * user/act/pin.c's business.
 */
#ifndef NUMALENS_ADVISOR_H
#define NUMALENS_ADVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cgroup.h"
#include "model.h"
#include "snapshot.h"
#include "topology.h"

enum nl_action {
	NL_ACT_NONE,	 /* nothing to do, or nothing allowed (see block) */
	NL_ACT_AFFINITY, /* run the threads where the memory is */
	NL_ACT_MIGRATE,	 /* move the memory to the node the threads are held on */
};

/* Why a plan cannot be carried out (NL_ACT_NONE, or a forced plan refused). */
enum nl_block {
	NL_BLOCK_NONE,
	NL_BLOCK_NO_NODE,     /* no such node */
	NL_BLOCK_NO_CPUS,     /* a node without CPUs (memory only) */
	NL_BLOCK_CPUSET_CPUS, /* the cpuset allows none of the target CPUs */
	NL_BLOCK_CPUSET_MEMS, /* the cpuset does not allow the target node's memory */
	NL_BLOCK_NO_ROOM,     /* no node (set) has the CPUs or memory for it */
	NL_BLOCK_SLOWER_TIER, /* its memory would move onto a slower memory tier */
};

const char *nl_action_name(enum nl_action a);
const char *nl_block_name(enum nl_block b);

struct nl_advisor_opts {
	struct nl_model_opts thresholds; /* what the model flags (--min-remote-ratio ...) */
	double hysteresis; /* a suggestion stays until the ratio is this far under the threshold */
	double good_ratio; /* moving the threads is enough when it leaves at most this remote */
	double min_gain;   /* a partial fix must cut the ratio (or the mean distance) by this */
	double switch_margin; /* a new target replaces the last one only when better by this */
	double max_load;      /* busy CPUs per CPU a target may reach (more if no worse than now) */
	double mem_reserve;   /* share of a node's memory left free when pages move in */
	bool allow_migrate;   /* page migration may be part of the plan */
	bool use_model_flag;  /* take v->flagged as the model set it (its caller's thresholds) */
	/* pin --node / --cpus: plan for these, whatever the thresholds. */
	uint64_t force_nodes;
	const uint64_t *force_cpus; /* [NL_CPU_WORDS] or NULL */
};

void nl_advisor_opts_default(struct nl_advisor_opts *o);

struct nl_advice {
	enum nl_action action;
	enum nl_block block;
	bool flagged;		     /* flagged, with hysteresis */
	bool multi_node;	     /* needs more than one node */
	uint64_t nodes;		     /* target node set */
	uint64_t cpus[NL_CPU_WORDS]; /* the target nodes' CPUs the cpuset allows */
	int nr_cpus;
	bool whole_nodes;    /* the CPUs are all of the nodes' CPUs (numactl --cpunodebind) */
	uint64_t move_from;  /* nodes whose pages move to the target nodes */
	uint64_t move_bytes; /* how much would move */
	double remote_now;   /* estimated remote share now */
	double remote_after; /* ... after the plan */
	double dist_now;     /* mean distance from its CPUs to its memory (10: local) */
	double dist_after;
	double cpus_used;   /* CPUs it keeps busy on average */
	double target_load; /* busy CPUs per CPU on the target after the move (-1: unknown) */
	double load_now;    /* ... on the nodes it runs on now (-1: unknown) */
	char reason[800];   /* one or two sentences: what, why, what else was weighed */
};

struct nl_advisor_input {
	const struct nl_topology *topo;
	const struct nl_proc_view *v;
	int nr_nodes;		 /* length of v->node */
	double window_s;	 /* the window v's CPU times cover */
	const double *node_busy; /* [nr_nodes] CPUs busy per node, all processes; NULL: unknown */
	const struct nl_proc_limits *limits; /* NULL: everything allowed */
	const struct nl_advice *prev;	     /* the last suggestion for it, or NULL */
};

/* The recommendation for one process. */
void nl_advise(const struct nl_advisor_input *in, const struct nl_advisor_opts *o,
	       struct nl_advice *out);

/* Worth advising at all (before any /proc read): over the thresholds, with
 * room for the hysteresis that keeps a suggestion once made. */
bool nl_advisor_candidate(const struct nl_advisor_opts *o, const struct nl_proc_view *v,
			  double window_s);

/* Average busy CPUs per node over the window, every process but skip_pid. */
void nl_advisor_node_busy(const struct nl_snapshot *snap, uint32_t skip_pid, double *busy);

/*
 * Last suggestions per process (pid + start time), for hysteresis across
 * refreshes (top, export, auto-pin). nl_advise_tracked looks the previous
 * one up, advises and records the result; streak counts refreshes in a row
 * with the same action and nodes.
 */
struct nl_advisor_entry {
	uint32_t pid;
	uint64_t start_time_ns;
	struct nl_advice advice;
	unsigned int streak;
	uint64_t generation; /* last refresh it was seen in */
};

struct nl_advisor_memory {
	struct nl_advisor_entry *e;
	size_t nr, cap;
	uint64_t generation;
};

const struct nl_advisor_entry *nl_advise_tracked(struct nl_advisor_memory *m,
						 const struct nl_advisor_input *in,
						 const struct nl_advisor_opts *o,
						 struct nl_advice *out);
/* Ends a refresh: forgets processes not seen in it. */
void nl_advisor_memory_sweep(struct nl_advisor_memory *m);
void nl_advisor_memory_free(struct nl_advisor_memory *m);

/*
 * The advisor with its inputs read (user/core/advisor_proc.c, the one part that
 * does I/O): the process's limits from /proc and its cgroup, checked to be
 * the same process as v (start time), and the load per node from the
 * snapshot. Front ends do not call these: they read what the agent attached
 * to the snapshot (nl_proc_view.advice, below).
 */

/* A process's limits and advice, as attached to its view in the snapshot. */
struct nl_proc_advice {
	int err; /* 0, or -ESRCH: its pid is gone or names another process now
		  * (advice then says so, limits unrestricted) */
	struct nl_advice advice;
	struct nl_proc_limits limits;
};

/* Which processes of a snapshot are advised: their limits are read only
 * when flagged (or for every one advised, without use_model_flag). */
enum nl_advice_for {
	NL_ADVICE_NONE,
	NL_ADVICE_PIDS,	      /* only the pids asked for */
	NL_ADVICE_LISTED,     /* those asked for, else those that ran (diagnose's list) */
	NL_ADVICE_CANDIDATES, /* those over the thresholds, less the hysteresis
			       * (nl_advisor_candidate): the exporter's */
};

struct nl_advice_step {
	enum nl_advice_for which;
	size_t max; /* LISTED, CANDIDATES: at most this many, in rank order; 0: no bound */
	struct nl_advisor_opts opts;
};

/* What diagnose, top and pin --node auto plan with: the defaults, with the
 * model's flag as the snapshot has it (the thresholds the agent was given). */
void nl_advice_step_default(struct nl_advice_step *s);

/*
 * The pipeline's advice step: attaches a struct nl_proc_advice to each view
 * s selects (pids: those asked for, as the agent's), replacing what it had;
 * the others have none.
 * The load per node is worked out once. m, when not NULL, keeps the last
 * suggestion per process across refreshes (hysteresis) and is swept here:
 * one call per refresh. Without a topology nothing is advised. 0 or -ENOMEM
 * (views advised so far keep theirs).
 */
int nl_snapshot_advise(struct nl_snapshot *snap, const struct nl_advice_step *s,
		       const uint32_t *pids, size_t nr_pids, struct nl_advisor_memory *m);
/* The same for one more view of an advised snapshot (top's detail, opened
 * between refreshes); m is not swept. 0, -ENOMEM, or -EINVAL without a
 * topology. */
int nl_snapshot_advise_one(struct nl_snapshot *snap, struct nl_proc_view *v,
			   const struct nl_advisor_opts *o, struct nl_advisor_memory *m);

/* Is the process whose limits were read the one the snapshot saw (start
 * times within a clock tick)? True when either is unknown. */
bool nl_proc_limits_same(const struct nl_proc_view *v, const struct nl_proc_limits *l);

#endif /* NUMALENS_ADVISOR_H */
