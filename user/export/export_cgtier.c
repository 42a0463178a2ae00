// SPDX-License-Identifier: GPL-2.0
/*
 * Tier promotions and demotions per cgroup: the cgroups of the processes
 * the latest snapshot reports (flagged, or advised as a series would be),
 * read by the agent (cgroup_tiers.h), at most NL_CGTIER_MAX of them; those
 * beyond are counted. The counters are the kernel's own (memory.stat,
 * since the cgroup was made), so a cgroup's series that goes and comes
 * back never goes down. Only the kinds this kernel counts have series.
 */
#include <stdio.h>
#include "cgroup_tiers.h"
#include "export.h"
#include "procfs.h"

#define TIER_PAGES "numalens_cgroup_tier_pages_total"
#define OUTSIDE_INFO "numalens_cgroup_demotion_outside_mems_info"
#define OUTSIDE_BYTES "numalens_cgroup_demotion_outside_mems_bytes"
#define LEFT_OUT "numalens_exporter_cgroup_tier_left_out"

/* cgroup="PATH" as a ready label list; false without memory. */
static bool cgroup_label(struct nl_buf *lb, const struct nl_cgroup_tiers *c)
{
	nl_buf_reset(lb);
	nl_prom_label(lb, "cgroup", c->name[0] ? c->name : "unknown");
	return !lb->failed;
}

void nl_export_cgtier_families(struct nl_buf *b, const struct nl_cgtier_set *s)
{
	struct nl_buf lb;
	size_t i;
	int ev;

	nl_buf_init(&lb);
	nl_prom_family(b, TIER_PAGES, "counter",
		       "Pages promoted into and demoted out of the cgroup's memory tiers "
		       "(memory.stat), for the cgroups of the processes reported.");
	for (i = 0; s && i < s->nr; i++) {
		const struct nl_cgroup_tiers *c = &s->list[i];

		if (!c->r.stat_known || !cgroup_label(&lb, c))
			continue;
		for (ev = 0; ev < NL_MEMCG_EVENTS; ev++)
			if ((c->r.stat.present >> ev) & 1)
				nl_prom_sample_u64(b, TIER_PAGES, lb.data, "kind",
						   nl_memcg_event_kind(ev), NULL, NULL,
						   c->r.stat.pages[ev]);
	}
	nl_prom_family(b, OUTSIDE_INFO, "gauge",
		       "The cgroup demoted pages and holds memory on slower nodes outside its "
		       "cpuset.mems: demotion ignoring cpuset.mems (always 1).");
	for (i = 0; s && i < s->nr; i++) {
		const struct nl_cgroup_tiers *c = &s->list[i];
		char nodes[64];

		if (!c->outside_mems || !cgroup_label(&lb, c))
			continue;
		nl_nodes_to_list(c->outside_nodes, nodes, sizeof(nodes));
		nl_prom_sample_u64(b, OUTSIDE_INFO, lb.data, "numa_nodes", nodes, "cpuset_mems",
				   c->r.mems_list, 1);
	}
	nl_prom_family(b, OUTSIDE_BYTES, "gauge",
		       "The cgroup's memory on the nodes outside its cpuset.mems that demotion "
		       "moved it to (memory.numa_stat anon + file).");
	for (i = 0; s && i < s->nr; i++) {
		const struct nl_cgroup_tiers *c = &s->list[i];

		if (c->outside_mems && cgroup_label(&lb, c))
			nl_prom_sample_u64(b, OUTSIDE_BYTES, lb.data, NULL, NULL, NULL, NULL,
					   c->outside_bytes);
	}
	nl_prom_family(b, LEFT_OUT, "gauge",
		       "Cgroups of reported processes beyond the most read per refresh: no tier "
		       "series.");
	if (s)
		nl_prom_sample_u64(b, LEFT_OUT, NULL, NULL, NULL, NULL, NULL, s->over);
	if (lb.failed)
		b->failed = true;
	nl_buf_free(&lb);
}
