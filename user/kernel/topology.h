/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine's NUMA topology: nodes, their CPUs and memory, distances.
 * Read from libnuma, or from sysfs where libnuma is unavailable (a seccomp
 * profile that refuses get_mempolicy, for one); tests read fixture trees.
 */
#ifndef NUMALENS_TOPOLOGY_H
#define NUMALENS_TOPOLOGY_H

#include <stdbool.h>
#include <stdint.h>
#include "numalens.h"

#define NL_CPU_WORDS (NL_MAX_CPUS / 64)

/* What the firmware (ACPI HMAT) says of a memory node's access from its
 * nearest initiators: access0/initiators in sysfs. 0 where not given. */
struct nl_node_access {
	uint32_t read_latency_ns, write_latency_ns;
	uint32_t read_bandwidth_mbps, write_bandwidth_mbps;
	uint64_t initiators; /* the nodes these figures are for */
	bool known;
};

struct nl_topology {
	int nr_node_ids;	       /* highest node id + 1 (node ids can have holes) */
	int nr_nodes;		       /* nodes present */
	uint64_t node_present;	       /* bit n: node n exists */
	int nr_cpu_ids;		       /* highest CPU id + 1 */
	int16_t cpu_node[NL_MAX_CPUS]; /* -1: CPU not present */
	uint64_t node_cpus[NL_MAX_NODES][NL_CPU_WORDS];
	int node_nr_cpus[NL_MAX_NODES];
	uint64_t node_mem_total[NL_MAX_NODES]; /* bytes */
	uint64_t node_mem_free[NL_MAX_NODES];  /* bytes */
	uint8_t distance[NL_MAX_NODES][NL_MAX_NODES];
	/*
	 * Memory tiers (tiers.c). The kernel groups memory nodes into
	 * memory_tierN, a lower N being faster memory; demotion moves cold
	 * pages to a slower tier, NUMA balancing in mode 2 promotes hot ones.
	 * Without memory tiering every node is top tier, as in the kernel.
	 */
	bool tiers_known;		 /* /sys/devices/virtual/memory_tiering read */
	int16_t node_tier[NL_MAX_NODES]; /* N of memory_tierN; -1: in none */
	uint64_t toptier_nodes;		 /* nodes the kernel's node_is_toptier() holds */
	int demotion_enabled;		 /* -1 unknown, 0 or 1 */
	bool weighted_interleave;	 /* MPOL_WEIGHTED_INTERLEAVE (v6.9 on) */
	struct nl_node_access access[NL_MAX_NODES];
	int clamped;	    /* nodes or CPUs beyond numalens's limits */
	const char *source; /* "libnuma" or "sysfs" */
};

static inline bool nl_node_present(const struct nl_topology *t, int node)
{
	return node >= 0 && node < NL_MAX_NODES && (t->node_present >> node) & 1;
}

/* A node whose memory the kernel counts as slower than the top tier (never
 * without memory tiering). */
static inline bool nl_node_slow_tier(const struct nl_topology *t, int node)
{
	return t->tiers_known && nl_node_present(t, node) && !((t->toptier_nodes >> node) & 1);
}

/* Nodes with memory but no CPU (CXL expanders, persistent memory). */
uint64_t nl_cpuless_nodes(const struct nl_topology *t);
/* Nodes with CPUs or memory: fewer than two, and nothing is remote. */
uint64_t nl_used_nodes(const struct nl_topology *t);

/*
 * Reads the memory tiers, demotion switch and HMAT figures under root (the
 * sysfs mount) into a topology whose nodes are already read. A kernel
 * without memory tiering leaves tiers_known false and every node top tier.
 */
int nl_tiers_read(const char *root, struct nl_topology *t);

/* root is the sysfs mount point, "/sys" on a live system. */
int nl_topology_from_sysfs(const char *root, struct nl_topology *t);
int nl_topology_from_libnuma(struct nl_topology *t);
/* libnuma, falling back to sysfs. */
int nl_topology_load(struct nl_topology *t);

/* A node's CPUs as a cpulist, "0-3,8" ("" for none); returns buf. */
char *nl_node_cpulist(const struct nl_topology *t, int node, char *buf, size_t size);

#endif /* NUMALENS_TOPOLOGY_H */
