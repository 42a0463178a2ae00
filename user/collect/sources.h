/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Data sources: which ones are active on this machine, how, and why the
 * others are not. Probed once at start; every front end reports them.
 */
#ifndef NUMALENS_SOURCES_H
#define NUMALENS_SOURCES_H

#include <stdbool.h>

enum nl_source_id {
	NL_SRC_PMU,	    /* hardware memory sampling (PEBS, IBS) */
	NL_SRC_HINT_FAULTS, /* NUMA-balancing hinting faults */
	NL_SRC_PLACEMENT,   /* on-CPU time per node x resident memory per node */
	NL_SRC_SCHEDULER,   /* sched_switch / sched_migrate_task / exit */
	NL_SRC_BALANCING,   /* sched_{move,swap,stick}_numa, mm_migrate_pages */
	NL_SRC_PROMOTIONS,  /* per process, pages promoted into the top memory tier */
	NL_SRC_MAX,
};

struct nl_source_state {
	bool active;
	char method[32];  /* how it is collected, e.g. "fentry" or "snapshot" */
	char reason[240]; /* why it is inactive, or a caveat when active */
};

struct nl_sources {
	struct nl_source_state src[NL_SRC_MAX];
};

const char *nl_source_name(enum nl_source_id id);
void nl_source_set(struct nl_sources *s, enum nl_source_id id, bool active, const char *method,
		   const char *reason_fmt, ...) __attribute__((format(printf, 5, 6)));

#endif /* NUMALENS_SOURCES_H */
