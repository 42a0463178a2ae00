/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exporter's refresh (export.c), shared by `numalens export` and
 * bench/refresh.c so the benchmark times the very code the command runs:
 * the agent's window, the series, the suggestions, the text, published.
 */
#ifndef NUMALENS_EXPORTER_H
#define NUMALENS_EXPORTER_H

#include "advisor.h"
#include "agent.h"
#include "export.h"

/* Where the latest refresh's time went past the agent's (nl_agent_times),
 * in seconds: always measured. */
struct nl_exporter_times {
	double series_s; /* grouping, selection, counters (cgroup reads apart) */
	double cgroup_s; /* /proc/PID/cgroup reads */
	size_t cgroup_reads;
	double advice_s;  /* the agent's suggestions into the per-pid series */
	double render_s;  /* the Prometheus text */
	double publish_s; /* to the HTTP server, the textfile, memory trimmed */
	double total_s;
};

struct nl_exporter {
	struct nl_agent *agent;
	struct nl_autopin *autopin; /* NULL without --auto-pin */
	struct nl_export *series;
	struct nl_http *http;
	const char *textfile;
	struct nl_textfile tf;
	struct nl_buf text;
	struct nl_export_host host;
	struct nl_prog_info progs[NL_EXPORT_MAX_PROGS];
	struct nl_exporter_times times;
};

/* The options as the command settles them once parsed: cgroups read where
 * labels or grouping need them (timed into x->times), the memory of every
 * process with a series read in turn. */
void nl_exporter_prepare(struct nl_exporter *x, struct nl_export_opts *eopts,
			 struct nl_agent_opts *aopts);
/* The series and the host figures, on x->agent (open). 0 or -ENOMEM. */
int nl_exporter_setup(struct nl_exporter *x, const struct nl_export_opts *eopts,
		      const struct nl_agent_opts *aopts);
/* One refresh: window, series, text; published where it goes. */
int nl_exporter_refresh(struct nl_exporter *x);

#endif /* NUMALENS_EXPORTER_H */
