// SPDX-License-Identifier: GPL-2.0
/*
 * The report's cgroups section (report_cgroups.h).
 */
#include <inttypes.h>
#include <string.h>
#include "cgroup_tiers.h"
#include "model.h"
#include "procfs.h"
#include "report.h"
#include "report_cgroups.h"

static bool has(const struct nl_cgroup_tiers *c, int ev)
{
	return c->r.stat_known && (c->r.stat.present >> ev) & 1;
}

/* The kinds this kernel counts, "kswapd" for pgdemote_kswapd. */
static json_object *demoted_json(const struct nl_cgroup_tiers *c, const uint64_t *pages)
{
	json_object *o = json_object_new_object();
	int ev;

	for (ev = NL_MEMCG_DEMOTE_KSWAPD; ev < NL_MEMCG_EVENTS; ev++)
		if (has(c, ev))
			json_object_object_add(o, nl_memcg_event_kind(ev) + strlen("demote_"),
					       json_object_new_uint64(pages[ev]));
	return o;
}

static json_object *window_json(const struct nl_cgroup_tiers *c)
{
	json_object *o;

	if (!c->window_known)
		return NULL;
	o = json_object_new_object();
	if (has(c, NL_MEMCG_PROMOTE))
		json_object_object_add(o, "promoted",
				       json_object_new_uint64(c->window[NL_MEMCG_PROMOTE]));
	json_object_object_add(o, "demoted", json_object_new_uint64(c->demoted_window));
	json_object_object_add(o, "demoted_by_kind", demoted_json(c, c->window));
	return o;
}

static json_object *tiers_json(const struct nl_cgroup_tiers *c)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < c->nr_tiers; i++) {
		json_object *t = json_object_new_object();

		json_object_object_add(t, "tier",
				       c->tier[i] >= 0 ? json_object_new_int(c->tier[i]) : NULL);
		json_object_object_add(t, "nodes", nl_json_nodes(c->tier_nodes[i]));
		json_object_object_add(t, "bytes", json_object_new_uint64(c->tier_bytes[i]));
		json_object_array_add(a, t);
	}
	return a;
}

static json_object *nodes_json(const struct nl_cgroup_tiers *c)
{
	json_object *o = json_object_new_object();
	char id[16];
	int n;

	for (n = 0; n < NL_MAX_NODES; n++) {
		if (!((c->r.numa.nodes >> n) & 1))
			continue;
		snprintf(id, sizeof(id), "%d", n);
		json_object_object_add(
			o, id, json_object_new_uint64(c->r.numa.anon[n] + c->r.numa.file[n]));
	}
	return o;
}

static json_object *cgroup_json(const struct nl_cgroup_tiers *c)
{
	/* Counts of some kind of demotion: null where the kernel has none. */
	bool demotes = c->r.stat_known && c->r.stat.present & ~(1u << NL_MEMCG_PROMOTE);
	json_object *o = json_object_new_object();

	json_object_object_add(o, "path", nl_json_text(c->name));
	json_object_object_add(o, "pid", json_object_new_uint64(c->pid));
	json_object_object_add(o, "cgroup_version", json_object_new_int(c->r.version));
	json_object_object_add(o, "promoted",
			       has(c, NL_MEMCG_PROMOTE) ? json_object_new_uint64(c->promoted) :
							  NULL);
	json_object_object_add(o, "demoted", demotes ? json_object_new_uint64(c->demoted) : NULL);
	json_object_object_add(o, "demoted_by_kind",
			       demotes ? demoted_json(c, c->r.stat.pages) : NULL);
	json_object_object_add(o, "window", window_json(c));
	json_object_object_add(o, "memory_bytes_by_node", c->r.numa_known ? nodes_json(c) : NULL);
	json_object_object_add(o, "memory_bytes_by_tier", c->r.numa_known ? tiers_json(c) : NULL);
	json_object_object_add(o, "cpuset_mems", c->r.mems_known ? nl_json_nodes(c->r.mems) : NULL);
	json_object_object_add(o, "cpuset_cgroup",
			       c->r.mems_known ? nl_json_text(c->r.mems_cgroup) : NULL);
	json_object_object_add(o, "unavailable",
			       c->r.reason[0] ? json_object_new_string(c->r.reason) : NULL);
	if (c->outside_mems) {
		json_object *out = json_object_new_object();

		json_object_object_add(out, "nodes", nl_json_nodes(c->outside_nodes));
		json_object_object_add(out, "bytes", json_object_new_uint64(c->outside_bytes));
		json_object_object_add(o, "outside_mems", out);
	} else {
		json_object_object_add(o, "outside_mems", NULL);
	}
	json_object_object_add(o, "finding", c->finding[0] ? nl_json_text(c->finding) : NULL);
	return o;
}

void nl_report_cgroups_json(json_object *doc, const struct nl_snapshot *snap)
{
	const struct nl_cgtier_set *s = &snap->cgtiers;
	json_object *a;
	size_t i;

	if (!s->asked)
		return;
	a = json_object_new_array();
	for (i = 0; i < s->nr; i++)
		json_object_array_add(a, cgroup_json(&s->list[i]));
	json_object_object_add(doc, "cgroups", a);
	if (s->over)
		json_object_object_add(doc, "cgroups_left_out", json_object_new_uint64(s->over));
	if (s->reason[0])
		json_object_object_add(doc, "cgroups_unavailable",
				       json_object_new_string(s->reason));
}

/* "promoted 12, demoted 40 (kswapd 30, direct 10, khugepaged 0)" */
static size_t movement_text(const struct nl_cgroup_tiers *c, char *buf, size_t size)
{
	size_t len = 0;
	int ev, kinds = 0;

	if (!c->r.stat_known || !c->r.stat.present)
		return snprintf(buf, size, "promotions and demotions not counted");
	if (has(c, NL_MEMCG_PROMOTE))
		len += snprintf(buf + len, size - len, "promoted %" PRIu64 ", ", c->promoted);
	len += snprintf(buf + len, size - len, "demoted %" PRIu64, c->demoted);
	for (ev = NL_MEMCG_DEMOTE_KSWAPD; ev < NL_MEMCG_EVENTS && len < size; ev++)
		if (has(c, ev))
			len += snprintf(buf + len, size - len, "%s%s %" PRIu64,
					kinds++ ? ", " : " (",
					nl_memcg_event_kind(ev) + strlen("demote_"),
					c->r.stat.pages[ev]);
	if (kinds && len < size)
		len += snprintf(buf + len, size - len, ")");
	if (c->window_known && len < size)
		len += snprintf(buf + len, size - len,
				"; in the window %" PRIu64 " promoted, %" PRIu64 " demoted",
				c->window[NL_MEMCG_PROMOTE], c->demoted_window);
	return len;
}

static void memory_text(const struct nl_cgroup_tiers *c, char *buf, size_t size)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < c->nr_tiers && len < size; i++) {
		char mem[32], nodes[64];

		nl_format_bytes(c->tier_bytes[i], mem, sizeof(mem));
		nl_nodes_to_list(c->tier_nodes[i], nodes, sizeof(nodes));
		if (c->tier[i] >= 0)
			len += snprintf(buf + len, size - len, "%s%s in tier %d (node %s)",
					i ? ", " : "", mem, c->tier[i], nodes);
		else
			len += snprintf(buf + len, size - len, "%s%s on node %s", i ? ", " : "",
					mem, nodes);
	}
}

void nl_report_cgroups_text(FILE *f, const struct nl_snapshot *snap, unsigned int width)
{
	const struct nl_cgtier_set *s = &snap->cgtiers;
	size_t i;

	if (!s->asked)
		return;
	fprintf(f,
		"\nCgroups of these processes: pages promoted and demoted since each was made\n");
	if (s->reason[0])
		fprintf(f, "  not available: %s\n", s->reason);
	else if (!s->nr)
		fprintf(f, "  (none: no process listed outside the root cgroup)\n");
	for (i = 0; i < s->nr; i++) {
		const struct nl_cgroup_tiers *c = &s->list[i];
		char move[256], mem[512], line[1400];

		movement_text(c, move, sizeof(move));
		memory_text(c, mem, sizeof(mem));
		snprintf(line, sizeof(line), "%s: %s%s%s%s%s", c->name, move,
			 c->r.numa_known ? "; memory " : "", mem,
			 c->r.mems_known ? "; cpuset.mems " : "",
			 c->r.mems_known ? c->r.mems_list : "");
		fprintf(f, "%c ", c->outside_mems ? '!' : ' ');
		nl_report_put_wrapped(f, line, 2, width);
		if (c->r.reason[0]) {
			snprintf(line, sizeof(line), "(%s)", c->r.reason);
			fprintf(f, "    ");
			nl_report_put_wrapped(f, line, 4, width);
		}
		if (c->finding[0]) {
			fprintf(f, "    ");
			nl_report_put_wrapped(f, c->finding, 4, width);
		}
	}
	if (s->over)
		fprintf(f, "  (%zu more cgroups left out: at most %d are read)\n", s->over,
			NL_CGTIER_MAX);
}
