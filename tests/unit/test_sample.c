// SPDX-License-Identifier: GPL-2.0
/*
 * The reader's half of a CPU's sampling state (bpf/numalens.h,
 * struct nl_pmu_pending): the samples each slot holds go to their process
 * in the sample table, counts and per-node memory samples, on a CPU node
 * the entry says; empty slots and processes the table does not have add
 * nothing. The layout is the one the BPF side writes, built here by hand.
 */
#include <stdlib.h>
#include <string.h>
#include "fixtures.h"
#include "sample.h"

#define NODES 2

static struct nl_pmu_slot *slot_at(struct nl_pmu_pending *p, int i)
{
	return nl_pending_slot(p, NODES, i);
}

static void test_pending_to_processes(void **state)
{
	struct nl_pmu_pending *p = calloc(1, NL_PMU_PENDING_SIZE(NODES));
	struct nl_sample_table t;
	struct nl_node_count *nodes;
	struct nl_pmu_slot *s;
	long a, b;

	assert_non_null(p);
	/* The layout: slots after the header, the latency rows after them. */
	assert_ptr_equal(slot_at(p, 0), (char *)p + sizeof(*p));
	assert_ptr_equal(nl_slot_row(slot_at(p, 1), 0), (char *)slot_at(p, 1) + sizeof(*s));
	assert_ptr_equal((char *)nl_pending_lat(p, NODES, NODES + 1),
			 (char *)p + NL_PMU_PENDING_SIZE(NODES));
	nl_sample_table_init(&t, NODES);
	a = nl_sample_table_add(&t, 100);
	b = nl_sample_table_add(&t, 201);
	assert_true(a >= 0 && b >= 0);

	p->cpu_node = 1;
	s = slot_at(p, 100 % NL_PMU_SLOTS); /* process 100: 5 samples */
	s->tgid = 100;
	s->counts.samples = 5;
	s->counts.mem_local = 2;
	s->counts.mem_remote = 3;
	s->counts.by_class[3] = 5;
	nl_slot_row(s, 0)->samples = 3;	    /* node 0's memory: remote from node 1 */
	nl_slot_row(s, 1)->samples = 2;	    /* node 1's: local */
	nl_slot_row(s, NODES)->samples = 9; /* unknown node: no per-node count */
	s = slot_at(p, 303 % NL_PMU_SLOTS); /* a process the table lacks */
	s->tgid = 303;
	s->counts.samples = 7;
	nl_slot_row(s, 0)->samples = 7;
	s = slot_at(p, 201 % NL_PMU_SLOTS); /* its samples moved out */
	s->tgid = 201;
	nl_slot_row(s, 0)->samples = 4; /* a reader between two stores */

	nl_sample_table_add_pending(&t, p);
	nl_sample_table_add_pending(&t, p); /* a second CPU with the same */
	assert_int_equal(t.procs[a].pmu.samples, 10);
	assert_int_equal(t.procs[a].pmu.mem_local, 4);
	assert_int_equal(t.procs[a].pmu.mem_remote, 6);
	assert_int_equal(t.procs[a].pmu.by_class[3], 10);
	nodes = nl_sample_nodes(&t, a);
	assert_int_equal(nodes[0].pmu_remote, 6);
	assert_int_equal(nodes[0].pmu_local, 0);
	assert_int_equal(nodes[1].pmu_local, 4);
	assert_int_equal(nodes[1].pmu_remote, 0);
	assert_int_equal(t.procs[b].pmu.samples, 0);
	nodes = nl_sample_nodes(&t, b);
	assert_int_equal(nodes[0].pmu_remote + nodes[0].pmu_local, 0);

	nl_sample_table_free(&t);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pending_to_processes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
