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
	int clamped;	    /* nodes or CPUs beyond numalens's limits */
	const char *source; /* "libnuma" or "sysfs" */
};

static inline bool nl_node_present(const struct nl_topology *t, int node)
{
	return node >= 0 && node < NL_MAX_NODES && (t->node_present >> node) & 1;
}

/* root is the sysfs mount point, "/sys" on a live system. */
int nl_topology_from_sysfs(const char *root, struct nl_topology *t);
int nl_topology_from_libnuma(struct nl_topology *t);
/* libnuma, falling back to sysfs. */
int nl_topology_load(struct nl_topology *t);

/* A node's CPUs as a cpulist, "0-3,8" ("" for none); returns buf. */
char *nl_node_cpulist(const struct nl_topology *t, int node, char *buf, size_t size);

#endif /* NUMALENS_TOPOLOGY_H */
