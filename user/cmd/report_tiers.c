// SPDX-License-Identifier: GPL-2.0
/*
 * The memory tiers in the diagnosis: which tier each node is in and what
 * the firmware says of it, the kernel's promotion and demotion over the
 * window, the machine's tiering findings, and a process's memory per tier.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include "model.h"
#include "procfs.h"
#include "report.h"
#include "tiering.h"

static json_object *access_json(const struct nl_node_access *a)
{
	json_object *obj;

	if (!a->known)
		return NULL;
	obj = json_object_new_object();
	json_object_object_add(obj, "read_latency_ns", json_object_new_int64(a->read_latency_ns));
	json_object_object_add(obj, "write_latency_ns", json_object_new_int64(a->write_latency_ns));
	json_object_object_add(obj, "read_bandwidth_mbps",
			       json_object_new_int64(a->read_bandwidth_mbps));
	json_object_object_add(obj, "write_bandwidth_mbps",
			       json_object_new_int64(a->write_bandwidth_mbps));
	json_object_object_add(obj, "initiators", nl_json_nodes(a->initiators));
	return obj;
}

void nl_report_node_tier_json(json_object *node, const struct nl_topology *t, int n)
{
	json_object_object_add(node, "tier",
			       t->tiers_known && t->node_tier[n] >= 0 ?
				       json_object_new_int(t->node_tier[n]) :
				       NULL);
	json_object_object_add(node, "top_tier", json_object_new_boolean(!nl_node_slow_tier(t, n)));
	json_object_object_add(node, "cpuless",
			       json_object_new_boolean((nl_cpuless_nodes(t) >> n) & 1));
	json_object_object_add(node, "access", access_json(&t->access[n]));
}

void nl_report_tiers_json(json_object *topo, const struct nl_topology *t)
{
	json_object *tiers = json_object_new_array();
	int ids[NL_MAX_NODES], nr, i;

	nr = nl_topology_tiers(t, ids, NL_MAX_NODES);
	for (i = 0; i < nr; i++) {
		json_object *tier = json_object_new_object();
		uint64_t nodes = nl_tier_nodes(t, ids[i]);

		json_object_object_add(tier, "id", json_object_new_int(ids[i]));
		json_object_object_add(tier, "nodes", nl_json_nodes(nodes));
		json_object_object_add(
			tier, "top", json_object_new_boolean((t->toptier_nodes & nodes) == nodes));
		json_object_array_add(tiers, tier);
	}
	json_object_object_add(topo, "memory_tiering", json_object_new_boolean(t->tiers_known));
	json_object_object_add(topo, "tiers", tiers);
	json_object_object_add(
		topo, "demotion_enabled",
		t->demotion_enabled < 0 ? NULL : json_object_new_boolean(t->demotion_enabled));
	json_object_object_add(topo, "weighted_interleave",
			       json_object_new_boolean(t->weighted_interleave));
}

/* vmstat's tier counters over the window; null where this kernel has none. */
void nl_report_tier_system_json(json_object *sys, const struct nl_snapshot *snap)
{
	static const enum nl_vmstat_id counters[] = {
		NL_VM_PROMOTE_SUCCESS, NL_VM_PROMOTE_CANDIDATE, NL_VM_DEMOTE_KSWAPD,
		NL_VM_DEMOTE_DIRECT,   NL_VM_DEMOTE_KHUGEPAGED, NL_VM_DEMOTE_PROACTIVE,
	};
	const struct nl_system *a = &snap->sys_after, *b = &snap->sys_before;
	size_t i;

	json_object_object_add(sys, "promote_rate_limit_mbps",
			       a->promote_rate_limit_mbps < 0 ?
				       NULL :
				       json_object_new_int64(a->promote_rate_limit_mbps));
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		uint64_t delta;

		json_object_object_add(sys, nl_vmstat_name(counters[i]),
				       nl_vmstat_delta(b, a, counters[i], &delta) ?
					       json_object_new_uint64(delta) :
					       NULL);
	}
}

json_object *nl_report_sys_findings_json(const struct nl_snapshot *snap)
{
	struct nl_sys_finding found[NL_SF_MAX];
	json_object *arr = json_object_new_array();
	int nr, i;

	nr = nl_sys_findings(snap->topo, &snap->sys_before, &snap->sys_after, found, NL_SF_MAX);
	for (i = 0; i < nr; i++) {
		json_object *f = json_object_new_object();

		json_object_object_add(f, "id",
				       json_object_new_string(nl_sys_finding_name(found[i].id)));
		json_object_object_add(f, "text", json_object_new_string(found[i].text));
		json_object_array_add(arr, f);
	}
	return arr;
}

void nl_report_proc_tiers_json(json_object *p, const struct nl_snapshot *snap,
			       const struct nl_proc_view *v)
{
	const struct nl_topology *t = snap->topo;
	json_object *by_tier;
	int ids[NL_MAX_NODES], nr, i;

	if (!t || !t->tiers_known || !v->mem_known) {
		json_object_object_add(p, "memory_bytes_by_tier", NULL);
		json_object_object_add(p, "slow_tier_share", NULL);
		json_object_object_add(p, "slow_tier", json_object_new_boolean(false));
		return;
	}
	by_tier = json_object_new_object();
	nr = nl_topology_tiers(t, ids, NL_MAX_NODES);
	for (i = 0; i < nr; i++) {
		char key[16];

		snprintf(key, sizeof(key), "%d", ids[i]);
		json_object_object_add(
			by_tier, key,
			json_object_new_uint64(nl_proc_tier_bytes(v, snap->nr_nodes, t, ids[i])));
	}
	json_object_object_add(p, "memory_bytes_by_tier", by_tier);
	json_object_object_add(p, "slow_tier_bytes", json_object_new_uint64(v->slow_tier_bytes));
	json_object_object_add(
		p, "slow_tier_share",
		v->slow_tier_share.valid ?
			json_object_new_double(round(v->slow_tier_share.value * 1e4) / 1e4) :
			NULL);
	json_object_object_add(p, "slow_tier", json_object_new_boolean(v->slow_tier));
}

void nl_report_node_tier_text(char *buf, size_t size, const struct nl_topology *t, int n)
{
	const struct nl_node_access *a = &t->access[n];
	char init[64];
	size_t used = 0;

	buf[0] = '\0';
	if (t->node_tier[n] >= 0)
		used += snprintf(buf, size, "  tier %d%s", t->node_tier[n],
				 nl_node_slow_tier(t, n) ? " (slower)" : "");
	if (a->known && used < size)
		snprintf(buf + used, size - used, "  read %" PRIu32 " ns %" PRIu32 " MB/s from %s",
			 a->read_latency_ns, a->read_bandwidth_mbps,
			 a->initiators ? nl_nodes_to_list(a->initiators, init, sizeof(init)) : "?");
}

void nl_report_tiers_text(FILE *f, const struct nl_snapshot *snap)
{
	const struct nl_system *a = &snap->sys_after, *b = &snap->sys_before;
	const struct nl_topology *t = snap->topo;
	struct nl_sys_finding found[NL_SF_MAX];
	int ids[NL_MAX_NODES], nr, i;
	char line[512];
	bool relevant;

	if (!t || t->nr_nodes < 2)
		return;
	nl_tiers_summary(line, sizeof(line), t);
	fprintf(f, "  memory tiers: %s\n", line);
	/* The window's tier traffic where tiers or tiering mode make it news. */
	relevant = a->pgpromote_success != b->pgpromote_success ||
		   nl_system_demoted(a) != nl_system_demoted(b) ||
		   nl_topology_tiers(t, ids, NL_MAX_NODES) > 1 ||
		   (a->numa_balancing > 0 && (a->numa_balancing & NL_NUMAB_TIERING));
	if (relevant && (a->present & b->present) >> NL_VM_PROMOTE_SUCCESS & 1)
		fprintf(f,
			"  tiers in the window: %" PRIu64 " pages promoted (of %" PRIu64
			" candidates), %" PRIu64 " demoted\n",
			a->pgpromote_success - b->pgpromote_success,
			a->pgpromote_candidate - b->pgpromote_candidate,
			nl_system_demoted(a) - nl_system_demoted(b));
	nr = nl_sys_findings(t, b, a, found, NL_SF_MAX);
	for (i = 0; i < nr; i++)
		fprintf(f, "Finding (%s): %s\n", nl_sys_finding_name(found[i].id), found[i].text);
}
