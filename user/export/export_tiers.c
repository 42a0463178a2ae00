// SPDX-License-Identifier: GPL-2.0
/*
 * The memory tiers in the metrics: the firmware's latency and bandwidth of
 * each memory node, the kernel's promotions and demotions, the promotion
 * rate limit, and the tiering findings as series that are 1 while they hold.
 */
#include <stdio.h>
#include "export.h"
#include "tiering.h"

void nl_export_access_families(struct nl_buf *b, const struct nl_topology *t, const int *nodes,
			       int nr)
{
	char node[8];
	int i;

	nl_prom_family(b, "numalens_numa_node_access_latency_seconds", "gauge",
		       "Latency of the node's memory from its nearest initiators, as the "
		       "firmware gives it (ACPI HMAT, node*/access0/initiators in sysfs).");
	for (i = 0; t && i < nr; i++) {
		const struct nl_node_access *a = &t->access[nodes[i]];

		if (!a->known)
			continue;
		snprintf(node, sizeof(node), "%d", nodes[i]);
		nl_prom_sample(b, "numalens_numa_node_access_latency_seconds", NULL, "numa_node",
			       node, "access", "read", a->read_latency_ns * 1e-9);
		nl_prom_sample(b, "numalens_numa_node_access_latency_seconds", NULL, "numa_node",
			       node, "access", "write", a->write_latency_ns * 1e-9);
	}
	nl_prom_family(b, "numalens_numa_node_access_bandwidth_bytes", "gauge",
		       "Bandwidth of the node's memory per second from its nearest initiators "
		       "(ACPI HMAT; sysfs gives MB/s, taken as MiB/s as the kernel computes it).");
	for (i = 0; t && i < nr; i++) {
		const struct nl_node_access *a = &t->access[nodes[i]];

		if (!a->known)
			continue;
		snprintf(node, sizeof(node), "%d", nodes[i]);
		nl_prom_sample_u64(b, "numalens_numa_node_access_bandwidth_bytes", NULL,
				   "numa_node", node, "access", "read",
				   (uint64_t)a->read_bandwidth_mbps << 20);
		nl_prom_sample_u64(b, "numalens_numa_node_access_bandwidth_bytes", NULL,
				   "numa_node", node, "access", "write",
				   (uint64_t)a->write_bandwidth_mbps << 20);
	}
}

/* A vmstat counter as a sample, none where this kernel lacks the line. */
static void counter(struct nl_buf *b, const struct nl_system *sys, enum nl_vmstat_id id,
		    const char *name, const char *k, const char *v)
{
	uint64_t value;

	if (sys && sys->vmstat_valid && nl_vmstat_value(sys, id, &value))
		nl_prom_sample_u64(b, name, NULL, k, v, NULL, NULL, value);
}

void nl_export_tier_families(struct nl_buf *b, const struct nl_export_host *h)
{
	const struct nl_system *sys = h->sys;
	struct nl_sys_finding found[NL_SF_MAX];
	int nr, i;

	nl_prom_family(b, "numalens_system_promoted_pages_total", "counter",
		       "Pages promoted from a slower memory tier to the top tier (vmstat "
		       "pgpromote_success).");
	counter(b, sys, NL_VM_PROMOTE_SUCCESS, "numalens_system_promoted_pages_total", NULL, NULL);
	nl_prom_family(b, "numalens_system_promote_candidate_pages_total", "counter",
		       "Pages on slower tiers that NUMA balancing found hot enough to promote "
		       "(vmstat pgpromote_candidate); far above the promoted ones, promotion "
		       "stalls.");
	counter(b, sys, NL_VM_PROMOTE_CANDIDATE, "numalens_system_promote_candidate_pages_total",
		NULL, NULL);
	nl_prom_family(b, "numalens_system_demoted_pages_total", "counter",
		       "Pages demoted to a slower memory tier, by who reclaimed them (vmstat "
		       "pgdemote_*).");
	counter(b, sys, NL_VM_DEMOTE_KSWAPD, "numalens_system_demoted_pages_total", "by", "kswapd");
	counter(b, sys, NL_VM_DEMOTE_DIRECT, "numalens_system_demoted_pages_total", "by", "direct");
	counter(b, sys, NL_VM_DEMOTE_KHUGEPAGED, "numalens_system_demoted_pages_total", "by",
		"khugepaged");
	counter(b, sys, NL_VM_DEMOTE_PROACTIVE, "numalens_system_demoted_pages_total", "by",
		"proactive");
	nl_prom_family(b, "numalens_system_promote_rate_limit_bytes", "gauge",
		       "kernel.numa_balancing_promote_rate_limit_MBps, in bytes per second: "
		       "promotion is held below it.");
	if (sys && sys->promote_rate_limit_mbps >= 0)
		nl_prom_sample_u64(b, "numalens_system_promote_rate_limit_bytes", NULL, NULL, NULL,
				   NULL, NULL, (uint64_t)sys->promote_rate_limit_mbps << 20);
	nl_prom_family(b, "numalens_system_finding", "gauge",
		       "1 while a finding about memory tiering holds (numalens diagnose says it "
		       "in words): one_tier, tiering_only, promotion_stalled (over the last "
		       "refresh).");
	nr = nl_sys_findings(h->topo, h->sys_before, sys, found, NL_SF_MAX);
	for (i = 0; i < nr; i++)
		nl_prom_sample(b, "numalens_system_finding", NULL, "finding",
			       nl_sys_finding_name(found[i].id), NULL, NULL, 1);
}
