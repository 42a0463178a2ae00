/* SPDX-License-Identifier: GPL-2.0 */
/* What the host BPF tests share: pinning the caller, and a two-node view of
 * this one-node host (CPU n on node n % 2), through which the BPF side can
 * be given known per-node answers. */
#ifndef NUMALENS_TESTS_BPF_HELPERS_H
#define NUMALENS_TESTS_BPF_HELPERS_H

#include <sched.h>
#include <unistd.h>
#include "topology.h"

static inline void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		_exit(90);
}

static inline int fake_two_nodes(struct nl_topology *t)
{
	int cpu, err = nl_topology_load(t);

	if (err)
		return err;
	t->nr_node_ids = 2;
	t->nr_nodes = 2;
	t->node_present = 3;
	for (cpu = 0; cpu < t->nr_cpu_ids; cpu++)
		if (t->cpu_node[cpu] >= 0)
			t->cpu_node[cpu] = cpu % 2;
	return 0;
}

#endif /* NUMALENS_TESTS_BPF_HELPERS_H */
