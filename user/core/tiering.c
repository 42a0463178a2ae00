// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "model.h"
#include "procfs.h"
#include "tiering.h"

const char *nl_sys_finding_name(enum nl_sys_finding_id id)
{
	static const char *const names[NL_SF_MAX] = {
		[NL_SF_ONE_TIER] = "one_tier",
		[NL_SF_TIERING_ONLY] = "tiering_only",
		[NL_SF_PROMOTE_STALLED] = "promotion_stalled",
	};

	return id < NL_SF_MAX ? names[id] : "unknown";
}

int nl_topology_tiers(const struct nl_topology *t, int *tiers, int max)
{
	int node, i, j, nr = 0;

	for (node = 0; t->tiers_known && node < NL_MAX_NODES; node++) {
		int tier = t->node_tier[node];

		if (!nl_node_present(t, node) || tier < 0)
			continue;
		for (i = 0; i < nr && tiers[i] < tier; i++)
			;
		if (i < nr && tiers[i] == tier)
			continue;
		if (nr == max)
			break;
		for (j = nr; j > i; j--)
			tiers[j] = tiers[j - 1];
		tiers[i] = tier;
		nr++;
	}
	return nr;
}

uint64_t nl_tier_nodes(const struct nl_topology *t, int tier)
{
	uint64_t nodes = 0;
	int node;

	for (node = 0; node < NL_MAX_NODES; node++)
		if (nl_node_present(t, node) && t->node_tier[node] == tier)
			nodes |= 1ULL << node;
	return nodes;
}

uint64_t nl_proc_tier_bytes(const struct nl_proc_view *v, int nr_nodes, const struct nl_topology *t,
			    int tier)
{
	uint64_t bytes = 0;
	int n;

	for (n = 0; n < nr_nodes && n < NL_MAX_NODES; n++)
		if (t->node_tier[n] == tier)
			bytes += v->node[n].mem_bytes;
	return bytes;
}

void nl_slow_tier_phrase(const struct nl_proc_view *v, int nr_nodes, const struct nl_topology *t,
			 char *buf, size_t size)
{
	size_t used = 0;
	int n, nr = 0;

	buf[0] = '\0';
	for (n = 0; n < nr_nodes && n < NL_MAX_NODES && used < size; n++) {
		if (!nl_node_slow_tier(t, n) || !v->node[n].mem_bytes)
			continue;
		used += snprintf(buf + used, size - used, "%snode %d (memory_tier%d)",
				 nr++ ? ", " : "", n, t->node_tier[n]);
	}
}

/* Whether the firmware gives memory nodes different read latencies. */
static bool hmat_differs(const struct nl_topology *t)
{
	uint32_t seen = 0;
	int node;

	for (node = 0; node < NL_MAX_NODES; node++) {
		const struct nl_node_access *a = &t->access[node];

		if (!nl_node_present(t, node) || !a->known || !a->read_latency_ns)
			continue;
		if (seen && a->read_latency_ns != seen)
			return true;
		seen = a->read_latency_ns;
	}
	return false;
}

static int one_tier(const struct nl_topology *t, const struct nl_system *s, char *buf, size_t size)
{
	uint64_t cpuless = nl_cpuless_nodes(t);
	bool tiering_mode = s && s->numa_balancing > 0 && (s->numa_balancing & NL_NUMAB_TIERING);
	char nodes[64], list[64];
	int tiers[NL_MAX_NODES], nr;
	size_t used;

	nr = nl_topology_tiers(t, tiers, NL_MAX_NODES);
	if (!t->tiers_known || nr != 1 || t->nr_nodes < 2 ||
	    (!cpuless && !tiering_mode && !hmat_differs(t)))
		return 0;
	used = snprintf(buf, size,
			"every memory node is in one tier (memory_tier%d: nodes %s), so the kernel "
			"neither demotes nor promotes",
			tiers[0],
			nl_nodes_to_list(nl_tier_nodes(t, tiers[0]), nodes, sizeof(nodes)));
	if (cpuless && used < size)
		used += snprintf(
			buf + used, size - used,
			": node%s %s ha%s memory and no CPU yet counts as fast as the rest",
			cpuless & (cpuless - 1) ? "s" : "",
			nl_nodes_to_list(cpuless, list, sizeof(list)),
			cpuless & (cpuless - 1) ? "ve" : "s");
	if (hmat_differs(t) && used < size)
		used += snprintf(buf + used, size - used,
				 "%s the firmware gives the nodes different latencies, which this "
				 "kernel does not use for tiers",
				 cpuless ? ";" : ":");
	if (tiering_mode && used < size)
		snprintf(buf + used, size - used,
			 "; kernel.numa_balancing=%d asks for promotion, which needs a slower tier",
			 s->numa_balancing);
	return 1;
}

static int tiering_only(const struct nl_topology *t, const struct nl_system *s, char *buf,
			size_t size)
{
	uint64_t top_cpu = 0;
	char list[64];
	int node;

	if (!s || s->numa_balancing < 0 ||
	    (s->numa_balancing & (NL_NUMAB_NORMAL | NL_NUMAB_TIERING)) != NL_NUMAB_TIERING)
		return 0;
	for (node = 0; node < NL_MAX_NODES; node++)
		if (nl_node_present(t, node) && t->node_nr_cpus[node] &&
		    ((t->toptier_nodes >> node) & 1))
			top_cpu |= 1ULL << node;
	if (!(top_cpu & (top_cpu - 1)))
		return 0; /* one top-tier node with CPUs: nothing to misplace */
	snprintf(buf, size,
		 "kernel.numa_balancing=%d promotes from slower tiers only: memory on the "
		 "top-tier nodes %s is not scanned, so a process whose memory sits on the other "
		 "socket's node is never moved and its hinting faults are never seen; "
		 "kernel.numa_balancing=3 does both",
		 s->numa_balancing, nl_nodes_to_list(top_cpu, list, sizeof(list)));
	return 1;
}

static int promote_stalled(const struct nl_topology *t, const struct nl_system *b,
			   const struct nl_system *a, char *buf, size_t size)
{
	uint64_t cand, done, free_top = 0;
	char free_s[32];
	size_t used;
	int node;

	if (!a || !b || !nl_vmstat_delta(b, a, NL_VM_PROMOTE_CANDIDATE, &cand) ||
	    !nl_vmstat_delta(b, a, NL_VM_PROMOTE_SUCCESS, &done) ||
	    cand < NL_PROMOTE_MIN_CANDIDATES || done >= cand * NL_PROMOTE_STALLED)
		return 0;
	for (node = 0; node < NL_MAX_NODES; node++)
		if (nl_node_present(t, node) && ((t->toptier_nodes >> node) & 1))
			free_top += t->node_mem_free[node];
	nl_format_bytes(free_top, free_s, sizeof(free_s));
	used = snprintf(buf, size,
			"promotion stalls: %llu pages on slower tiers were hot enough to promote "
			"in the window, %llu (%d%%) were promoted",
			(unsigned long long)cand, (unsigned long long)done,
			(int)(100.0 * done / cand + 0.5));
	if (a->promote_rate_limit_mbps >= 0 && used < size)
		used += snprintf(buf + used, size - used,
				 "; the rate limit is %lld MB/s "
				 "(kernel.numa_balancing_promote_rate_limit_MBps)",
				 (long long)a->promote_rate_limit_mbps);
	if (used < size)
		snprintf(buf + used, size - used,
			 "; the top tier has %s free (promotion fails when it is full)", free_s);
	return 1;
}

int nl_sys_findings(const struct nl_topology *t, const struct nl_system *before,
		    const struct nl_system *after, struct nl_sys_finding *out, int max)
{
	const struct nl_system *now = after ? after : before;
	int nr = 0;

	if (!t)
		return 0;
	if (nr < max && one_tier(t, now, out[nr].text, sizeof(out[nr].text)))
		out[nr++].id = NL_SF_ONE_TIER;
	if (nr < max && tiering_only(t, now, out[nr].text, sizeof(out[nr].text)))
		out[nr++].id = NL_SF_TIERING_ONLY;
	if (nr < max && promote_stalled(t, before, after, out[nr].text, sizeof(out[nr].text)))
		out[nr++].id = NL_SF_PROMOTE_STALLED;
	return nr;
}

void nl_tiers_summary(char *buf, size_t size, const struct nl_topology *t)
{
	int ids[NL_MAX_NODES], nr, i;
	size_t used = 0;
	char nodes[64];

	if (!t->tiers_known) {
		snprintf(buf, size,
			 "none (no memory tiering in this kernel): every node counts as "
			 "top tier");
		return;
	}
	nr = nl_topology_tiers(t, ids, NL_MAX_NODES);
	for (i = 0; i < nr && used < size; i++) {
		uint64_t members = nl_tier_nodes(t, ids[i]);

		used += snprintf(buf + used, size - used, "%smemory_tier%d node%s %s (%s)",
				 i ? ", " : "", ids[i], members & (members - 1) ? "s" : "",
				 nl_nodes_to_list(members, nodes, sizeof(nodes)),
				 (t->toptier_nodes & members) == members ? "top" : "slower");
	}
	if (used < size)
		snprintf(buf + used, size - used, "; demotion %s",
			 t->demotion_enabled < 0 ? "unknown" :
			 t->demotion_enabled	 ? "on" :
						   "off");
}
