/* SPDX-License-Identifier: GPL-2.0 */
/* The diagnosis report, as text for people and as one JSON document. */
#ifndef NUMALENS_REPORT_H
#define NUMALENS_REPORT_H

#include <json-c/json.h>
#include <stdio.h>
#include "pin_record.h"
#include "snapshot.h"

struct nl_report_opts {
	size_t top;	      /* processes listed, 0: all */
	const uint32_t *pids; /* only these, even if idle (NULL: ranking) */
	size_t nr_pids;
	unsigned int width; /* text: wrap the long lines at this width, 0: never */
	/* The last change of the processes listed that have one (their pin
	 * records, pid and start time matched), and the wall clock for its age
	 * (Unix seconds). */
	const struct nl_pin_record *pins;
	size_t nr_pins;
	uint64_t now;
};

/* The longest verdict, the report's first line ("verdict: ..."). */
#define NL_VERDICT_MAX 160

/* The processes the report lists, in rank order; returns how many. */
size_t nl_report_select(const struct nl_snapshot *snap, const struct nl_report_opts *o,
			const struct nl_proc_view **out, size_t max);
/* The advice the report shows: the agent's step for every process it lists
 * (limits read for the flagged ones). */
struct nl_advice_step;
void nl_report_advice_step(const struct nl_report_opts *o, struct nl_advice_step *s);
/* Both read the advice attached to the views: they do no I/O for it. */
/* A string of another process's bytes, made valid UTF-8 (NULL without memory). */
json_object *nl_json_text(const char *s);
/* A set of nodes as an array of their ids. */
json_object *nl_json_nodes(uint64_t nodes);
/* The memory tiers' part (report_tiers.c). */
void nl_report_node_tier_json(json_object *node, const struct nl_topology *t, int n);
void nl_report_tiers_json(json_object *topo, const struct nl_topology *t);
void nl_report_tier_system_json(json_object *sys, const struct nl_snapshot *snap);
json_object *nl_report_sys_findings_json(const struct nl_snapshot *snap);
void nl_report_proc_tiers_json(json_object *p, const struct nl_snapshot *snap,
			       const struct nl_proc_view *v);
/* "  tier 54 (slower)  read 30 ns 5120 MB/s from 0" for a node's line, or "". */
void nl_report_node_tier_text(char *buf, size_t size, const struct nl_topology *t, int n);
/* The tiers line, the window's promotions and demotions, the findings. */
void nl_report_tiers_text(FILE *f, const struct nl_snapshot *snap);
json_object *nl_report_json(const struct nl_snapshot *snap, const struct nl_report_opts *o);
void nl_report_text(FILE *f, const struct nl_snapshot *snap, const struct nl_report_opts *o);
/* Text starting at column indent, wrapped at width (0: on one line). */
void nl_report_put_wrapped(FILE *f, const char *text, unsigned int indent, unsigned int width);

#endif /* NUMALENS_REPORT_H */
