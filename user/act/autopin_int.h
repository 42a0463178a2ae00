/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside auto-pin: its state, shared by the policy (autopin.c) and the
 * verification of its changes (autopin_verify.c). Not for other callers.
 */
#ifndef NUMALENS_AUTOPIN_INT_H
#define NUMALENS_AUTOPIN_INT_H

#include "autopin.h"
#include "verify.h"

/* A change auto-pin made, measured until its window is complete. */
struct pending {
	int pid;
	uint64_t start;		/* clock ticks, as the pin record has it */
	uint64_t start_time_ns; /* as the snapshots name the process */
	char comm[NL_COMM_LEN];
	uint64_t cpus[NL_CPU_WORDS]; /* the affinity set */
	uint64_t nodes;
	double at;
	struct nl_verify_sample before; /* the refresh that decided it */
	struct nl_verify_accum after;	/* the refreshes since */
};

/* A process with a suggestion, measured over the refreshes it held: the
 * window before, should auto-pin act on it. */
struct watch {
	uint32_t pid;
	uint64_t start_time_ns;
	uint64_t nodes; /* of the suggestion */
	bool seen;	/* in this refresh */
	struct nl_verify_accum acc;
};

struct nl_autopin {
	struct nl_autopin_opts o;
	struct nl_autopin_hooks h;
	struct nl_autopin_counters counters;
	struct nl_advisor_memory memory;
	double last_action; /* -1: never */
	/* Processes acted on or found outside the allowlist, for cooldown and
	 * counting once. */
	struct done {
		uint32_t pid;
		uint64_t start_time_ns;
		double at;
		bool acted;
		bool denied; /* outside the allowlist: logged and counted */
		bool held;   /* held back by the rate limit: logged */
		bool alive;  /* in the latest snapshot (done_sweep) */
		bool never;  /* refused for good (kernel thread, pod...): said once */
	} * done;	     /* sorted by pid */
	size_t nr_done, cap_done;
	struct pending *pending; /* in the order of the changes */
	size_t nr_pending, cap_pending;
	struct watch *watch; /* processes with a suggestion now */
	size_t nr_watch, cap_watch;
};

struct done *ap_done_find(struct nl_autopin *ap, const struct nl_proc_view *v);
/* The entry of v, added (and cleared) when there is none: NULL without memory. */
struct done *ap_done_add(struct nl_autopin *ap, const struct nl_proc_view *v, double now);
void ap_log(struct nl_autopin *ap, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A change just made, to verify from the next refresh on: 0 or -ENOMEM. */
int ap_verify_add(struct nl_autopin *ap, const struct nl_proc_view *v, uint64_t start,
		  const struct nl_advice *adv, const struct nl_verify_sample *before, double now);
/* Adds this refresh to each change's window; decides those complete, and
 * undoes those that did not help. */
void ap_verify_step(struct nl_autopin *ap, const struct nl_snapshot *snap, double now);
/* Adds this refresh to the window before of v, whose suggestion adv has
 * held streak refreshes (1: a new one, the window starts again). NULL
 * without memory. */
struct watch *ap_watch(struct nl_autopin *ap, const struct nl_snapshot *snap,
		       const struct nl_proc_view *v, const struct nl_advice *adv,
		       unsigned int streak);
/* Forgets the processes without a suggestion in this refresh. */
void ap_watch_sweep(struct nl_autopin *ap);
/* Whether a change to v is being verified (it is then left alone). */
bool ap_verifying(const struct nl_autopin *ap, const struct nl_proc_view *v);

#endif /* NUMALENS_AUTOPIN_INT_H */
