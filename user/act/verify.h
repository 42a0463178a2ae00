/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `pin --apply --verify`: did the change help? The decision is a pure
 * function of two measurements of the process (the window before the pin
 * and one after), its identity at the start and at the end (pid and start
 * time) and whether its threads still have the affinity pin set, so it is
 * tested without a process. nl_verify_run takes the window after and the
 * process's state through hooks (the command passes the agent's snapshot
 * and /proc; tests pass fakes), then decides.
 */
#ifndef NUMALENS_VERIFY_H
#define NUMALENS_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include "pin_record.h"
#include "snapshot.h"

/* The sources that give a remote share, the model's order of preference. */
#define NL_VERIFY_SOURCES (NL_SRC_PLACEMENT + 1)

/* One window's measurement of the process. */
struct nl_verify_sample {
	bool seen;		  /* in the window, and did not exit in it */
	double cpu_rate;	  /* CPUs busy on average */
	enum nl_source_id source; /* the source the model took for its remote share */
	struct nl_ratio ratio[NL_VERIFY_SOURCES]; /* remote share by source */
	bool mem_known;
	uint64_t target_bytes; /* resident on the target nodes */
	bool lat_valid;
	double latency; /* mean sampled load latency (sample weight) */
};

/* The measurement of v in snap (NULL: not seen), target_nodes the nodes pin
 * moved it to. */
void nl_verify_sample_of(const struct nl_snapshot *snap, const struct nl_proc_view *v,
			 uint64_t target_nodes, struct nl_verify_sample *s);

struct nl_verify_opts {
	double min_gain;     /* the remote share must drop by this much (absolute) */
	double max_slowdown; /* a CPU rate falling by more than this share is slower */
};

void nl_verify_opts_default(struct nl_verify_opts *o);

struct nl_verify_input {
	int pid;
	uint64_t start;	    /* its start time when pinned (clock ticks) */
	uint64_t start_end; /* ... at the end of the window; 0: no such process */
	int threads_off;    /* threads whose affinity is no longer the applied one */
	const struct nl_verify_sample *before, *after;
};

struct nl_verify_outcome {
	enum nl_verify_result result;
	bool compared;		  /* a source measured both windows */
	enum nl_source_id source; /* which, when compared */
	bool source_changed;	  /* not the one the window before used */
	double remote_before, remote_after;
	char reason[256];
};

/* The decision, in this order: gone, undone, slower, then gain or no_gain. */
void nl_verify_decide(const struct nl_verify_input *in, const struct nl_verify_opts *o,
		      struct nl_verify_outcome *out);

struct nl_verify_hooks {
	/* The process over the next seconds: 0, or a negative errno. */
	int (*measure)(int pid, double seconds, struct nl_verify_sample *after, void *ctx);
	/* Its start time now and how many of its threads have lost the
	 * affinity pin set: 0, -ESRCH when no process has the pid, or another
	 * negative errno. */
	int (*state)(int pid, uint64_t *start, int *threads_off, void *ctx);
	void *ctx;
};

/* Measures the window after through h, then decides into out (after is the
 * caller's, for printing and the record). 0, or the hooks' negative errno
 * other than -ESRCH, which means gone. */
int nl_verify_run(const struct nl_verify_hooks *h, double seconds, struct nl_verify_input *in,
		  struct nl_verify_sample *after, const struct nl_verify_opts *o,
		  struct nl_verify_outcome *out);

/*
 * The window after, for auto-pin, is made of the exporter's refreshes: the
 * sums of those that follow the change. Each source's remote share is the
 * mean of the refreshes' own, each weighed by what stands behind it (fault
 * pages, samples, CPU seconds); memory on the target is the latest.
 */
struct nl_verify_accum {
	bool gone; /* a refresh did not see it, or saw it exit */
	int refreshes;
	double window_s, cpu_s;
	double weight[NL_VERIFY_SOURCES], weighted[NL_VERIFY_SOURCES];
	enum nl_source_id source; /* the model's choice in the latest refresh */
	bool mem_known;
	uint64_t target_bytes;
	uint64_t lat_samples, lat_weight;
};

/* Adds one refresh: v the process in snap (NULL: not seen). */
void nl_verify_accum_add(struct nl_verify_accum *acc, const struct nl_snapshot *snap,
			 const struct nl_proc_view *v, uint64_t target_nodes);
/* The measurement the refreshes so far add up to. */
void nl_verify_accum_sample(const struct nl_verify_accum *acc, struct nl_verify_sample *s);

/* The record's form of what was measured and decided. */
void nl_verify_to_record(const struct nl_verify_input *in, const struct nl_verify_outcome *out,
			 double seconds, struct nl_pin_verified *rec);

#endif /* NUMALENS_VERIFY_H */
