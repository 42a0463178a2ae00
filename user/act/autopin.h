/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The auto-pin policy (for `numalens export --auto-pin`), on top of pin.h:
 * a rate limit, hysteresis (the same suggestion several refreshes in a
 * row), an allowlist by command or cgroup, a log line per action and
 * counters.
 */
#ifndef NUMALENS_AUTOPIN_H
#define NUMALENS_AUTOPIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "advisor.h"
#include "pin.h"
#include "snapshot.h"
#include "verify.h"

struct nl_autopin_opts {
	struct nl_advisor_opts advisor; /* thresholds and rules; allow_migrate moves pages */
	double min_interval_s;		/* at most one action per this many seconds (60) */
	unsigned int stable_refreshes;	/* the same suggestion this many refreshes in a row (3) */
	double cooldown_s;		/* a process acted on is left alone this long (600) */
	bool dry_run;			/* log what it would do, change nothing */
	const char *const *comms;	/* allowlist: command names, fnmatch patterns */
	size_t nr_comms;
	const char *const *cgroups; /* allowlist: cgroup path prefixes */
	size_t nr_cgroups;
	const char *state_dir; /* NULL: NL_PIN_STATE_DIR */
	/* Each change measured over this many seconds of refreshes after it
	 * (0: not verified), then undone when the remote share did not drop
	 * by verify.min_gain or the CPU rate fell by more than
	 * verify.max_slowdown. */
	double verify_s;
	struct nl_verify_opts verify;
};

void nl_autopin_opts_default(struct nl_autopin_opts *o);
/* Checks an --auto-pin-cgroup path and strips its trailing slashes, in
 * place: 0, or -EINVAL with msg saying what to give instead. */
int nl_autopin_cgroup_normalize(char *path, char *msg, size_t size);

/* The histogram's upper bounds (the last bucket, +Inf, is change_count). */
#define NL_AUTOPIN_CHANGE_BUCKETS 11
extern const double nl_autopin_change_bounds[NL_AUTOPIN_CHANGE_BUCKETS];

/* Counters, for the exporter's metrics (all cumulative). */
struct nl_autopin_counters {
	uint64_t actions;	  /* suggestions applied */
	uint64_t partial;	  /* ... the threads pinned, moving the memory failed */
	uint64_t dry_runs;	  /* ... logged only (dry_run) */
	uint64_t failures;	  /* applying failed (what changed was undone) */
	uint64_t refused;	  /* refused (kernel thread, pod: once; EPERM, cpuset) */
	uint64_t rate_limited;	  /* ready, held back by the rate limit */
	uint64_t not_allowed;	  /* ready, outside the allowlist (once per process) */
	uint64_t pages_not_moved; /* summed over actions */
	uint64_t threads_changed; /* summed over actions */
	/* Verifications by result (NL_VERIFY_GAIN...; [NL_VERIFY_NONE] unused). */
	uint64_t verified[NL_VERIFY_MAX];
	uint64_t rolled_back;	  /* no_gain or slower, and undone */
	uint64_t rollback_failed; /* ... and undoing it failed (said in the log) */
	/* The measured change of the remote share (after - before, from -1 to
	 * 1) of the verifications that compared one: a histogram. */
	uint64_t change_buckets[NL_AUTOPIN_CHANGE_BUCKETS]; /* cumulative: <= bound */
	uint64_t change_count;
	double change_sum;
};

/* What auto-pin calls to read, apply and log; NULL members use the real ones
 * (tests pass fakes). */
struct nl_autopin_hooks {
	int (*limits)(int pid, const struct nl_topology *t, struct nl_proc_limits *l, void *ctx);
	enum nl_pin_refusal (*check)(int pid, const struct nl_proc_limits *l, char *msg,
				     size_t size, void *ctx);
	int (*apply)(int pid, const struct nl_proc_limits *l, const struct nl_advice *a,
		     const struct nl_pin_opts *o, struct nl_pin_result *res, void *ctx);
	void (*log)(const char *line, void *ctx);
	/* For verification: as nl_pin_state_now, nl_unpin, nl_pin_save_verified. */
	int (*state)(int pid, const uint64_t *target, const struct nl_pin_opts *o, uint64_t *start,
		     int *threads_off, void *ctx);
	int (*undo)(int pid, const struct nl_pin_opts *o, struct nl_unpin_result *res, void *ctx);
	int (*save_verified)(int pid, uint64_t start, const struct nl_pin_opts *o,
			     const struct nl_pin_verified *v, char *msg, size_t size, void *ctx);
	void *ctx;
};

struct nl_autopin;

/* Copies the options (not the strings of the allowlists: keep them alive). */
struct nl_autopin *nl_autopin_new(const struct nl_autopin_opts *o,
				  const struct nl_autopin_hooks *hooks);
/* One refresh: advises every candidate, acts on at most one. now: seconds of
 * a monotonic clock. Returns the number of actions (0 or 1). */
int nl_autopin_step(struct nl_autopin *ap, const struct nl_snapshot *snap, double now);
const struct nl_autopin_counters *nl_autopin_counters(const struct nl_autopin *ap);
void nl_autopin_free(struct nl_autopin *ap);

#endif /* NUMALENS_AUTOPIN_H */
