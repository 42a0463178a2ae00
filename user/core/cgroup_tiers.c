// SPDX-License-Identifier: GPL-2.0
/*
 * Tier movement per cgroup, and the finding of demotion outside the
 * cgroup's cpuset.mems (cgroup_tiers.h). No I/O here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "cgroup_tiers.h"
#include "model.h"
#include "procfs.h"

static int node_tier(const struct nl_topology *t, int node)
{
	return t && t->tiers_known ? t->node_tier[node] : -1;
}

/* Could demotion have put pages on node? A slower tier than the top, or
 * any node when the topology does not say. */
static bool demotion_target(const struct nl_topology *t, int node)
{
	return !t || !t->tiers_known || nl_node_slow_tier(t, node);
}

static void tiers_sum(const struct nl_topology *t, struct nl_cgroup_tiers *c)
{
	int n, i;

	c->nr_tiers = 0;
	for (n = 0; n < NL_MAX_NODES && c->r.numa_known; n++) {
		uint64_t bytes = c->r.numa.anon[n] + c->r.numa.file[n];
		int tier = node_tier(t, n);

		if (!((c->r.numa.nodes >> n) & 1))
			continue;
		for (i = 0; i < c->nr_tiers && c->tier[i] != tier; i++)
			;
		if (i == c->nr_tiers) {
			c->tier[i] = tier;
			c->tier_nodes[i] = 0;
			c->tier_bytes[i] = 0;
			c->nr_tiers++;
		}
		c->tier_nodes[i] |= 1ull << n;
		c->tier_bytes[i] += bytes;
	}
}

/* "node 2 (memory_tier22)" for each node of the set, with its bytes. */
static void nodes_text(const struct nl_topology *t, const struct nl_cgroup_tiers *c, uint64_t nodes,
		       char *buf, size_t size)
{
	size_t len = 0;
	int n;

	buf[0] = '\0';
	for (n = 0; n < NL_MAX_NODES && len < size; n++) {
		char mem[32];

		if (!((nodes >> n) & 1))
			continue;
		nl_format_bytes(c->r.numa.anon[n] + c->r.numa.file[n], mem, sizeof(mem));
		if (node_tier(t, n) >= 0)
			len += snprintf(buf + len, size - len, "%s%s on node %d (memory_tier%d)",
					len ? ", " : "", mem, n, node_tier(t, n));
		else
			len += snprintf(buf + len, size - len, "%s%s on node %d", len ? ", " : "",
					mem, n);
	}
}

static void finding(const struct nl_topology *t, struct nl_cgroup_tiers *c)
{
	char where[256], list[64], window[64] = "";
	bool many;
	int n;

	c->outside_mems = false;
	c->outside_nodes = 0;
	c->outside_bytes = 0;
	c->finding[0] = '\0';
	if (!c->r.stat_known || !c->r.numa_known || !c->r.mems_known || !c->r.mems)
		return;
	if (!c->demoted && !c->demoted_window)
		return;
	for (n = 0; n < NL_MAX_NODES; n++) {
		uint64_t bytes = c->r.numa.anon[n] + c->r.numa.file[n];

		if (!bytes || ((c->r.mems >> n) & 1) || !demotion_target(t, n))
			continue;
		c->outside_nodes |= 1ull << n;
		c->outside_bytes += bytes;
	}
	if (!c->outside_nodes)
		return;
	c->outside_mems = true;
	nodes_text(t, c, c->outside_nodes, where, sizeof(where));
	nl_nodes_to_list(c->outside_nodes, list, sizeof(list));
	if (c->window_known)
		snprintf(window, sizeof(window), ", %" PRIu64 " in the window", c->demoted_window);
	many = __builtin_popcountll(c->outside_nodes) > 1;
	snprintf(c->finding, sizeof(c->finding),
		 "cgroup %s demoted %" PRIu64 " pages since it was made%s and holds %s, outside "
		 "its cpuset.mems %s (set in %s): this kernel's demotion moves pages to any "
		 "slower node, ignoring cpuset.mems (later kernels keep it within them). To keep "
		 "the cgroup on its nodes turn demotion off (echo false > "
		 "/sys/kernel/mm/numa/demotion_enabled), or, if node%s %s %s meant for it, add "
		 "%s to the cpuset.mems of %s",
		 c->name[0] ? c->name : "?", c->demoted, window, where, c->r.mems_list,
		 c->r.mems_cgroup[0] ? c->r.mems_cgroup : "?", many ? "s" : "", list,
		 many ? "are" : "is", many ? "them" : "it",
		 c->r.mems_cgroup[0] ? c->r.mems_cgroup : "?");
}

void nl_cgroup_tiers_summarize(const struct nl_topology *t, struct nl_cgroup_tiers *c)
{
	int ev;

	c->promoted = c->demoted = c->demoted_window = 0;
	if (c->r.stat_known) {
		c->promoted = c->r.stat.pages[NL_MEMCG_PROMOTE];
		for (ev = NL_MEMCG_DEMOTE_KSWAPD; ev < NL_MEMCG_EVENTS; ev++) {
			c->demoted += c->r.stat.pages[ev];
			if (c->window_known)
				c->demoted_window += c->window[ev];
		}
	}
	tiers_sum(t, c);
	finding(t, c);
}
