// SPDX-License-Identifier: GPL-2.0
/*
 * The advisor with memory tiers (tests/unit/fixtures/sysfs/tiered: nodes
 * 0-1 with CPUs in memory_tier4, node 2 CPU-less in memory_tier54): a busy
 * process on the slow tier is told how to keep its memory on fast memory,
 * and no plan, suggested or forced, moves memory onto a slower tier.
 */
#include "fixtures.h"

#include "advice_text.h"
#include "advisor.h"
#include "model.h"
#include "pin.h"

static struct nl_topology topo;
static struct nl_node_stat nodes[3];
static struct nl_proc_view view;
static struct nl_advisor_opts opts;

static int reset(void **state)
{
	assert_int_equal(nl_topology_from_sysfs(FIXTURE("sysfs/tiered"), &topo), 0);
	memset(nodes, 0, sizeof(nodes));
	memset(&view, 0, sizeof(view));
	view.pid = 42;
	view.node = nodes;
	view.mem_known = true;
	view.nr_threads = 2;
	nl_advisor_opts_default(&opts);
	return 0;
}

static void advise(struct nl_advice *a)
{
	struct nl_advisor_input in = { .topo = &topo, .v = &view, .nr_nodes = 3, .window_s = 1.0 };

	nl_model_evaluate(&view, 3, &topo, 1.0, &opts.thresholds);
	nl_advise(&in, &opts, a);
}

static void assert_has(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("'%s' does not contain '%s'", text, part);
}

/* Runs on node 0, its memory bound to node 2: bring it to node 0, and say
 * how to keep it there. */
static void test_slow_tier_process(void **state)
{
	struct nl_command cmds[NL_MAX_COMMANDS];
	struct nl_advice a;
	size_t nr, i;
	bool migratepages = false;

	nodes[0].cpu_s = 1.0;
	nodes[0].mem_bytes = 4 * MIB;
	nodes[2].mem_bytes = 124 * MIB;
	advise(&a);
	assert_true(view.slow_tier);
	assert_int_equal(a.action, NL_ACT_MIGRATE);
	assert_int_equal(a.nodes, 1u << 0);
	assert_int_equal(a.move_from, 1u << 2);
	assert_int_equal(a.move_bytes, 124 * MIB);
	assert_has(a.reason, "97% of its memory (124.0 MiB) is on a slower tier, node 2 "
			     "(memory_tier54): to keep it on fast memory, start it under numactl "
			     "--preferred=0");
	assert_has(a.reason, "--membind=0");
	assert_has(a.reason, "NUMAPolicy=preferred NUMAMask=0");
	assert_has(a.reason, "--cpuset-mems=0");
	assert_has(a.reason, "migratepages 42 2 0 moves what is there now");
	assert_has(a.reason, "weighted interleave");
	nr = nl_advice_commands(&a, view.pid, NULL, cmds, NL_MAX_COMMANDS);
	for (i = 0; i < nr; i++)
		migratepages |= cmds[i].form == NL_FORM_MIGRATEPAGES &&
				!strcmp(cmds[i].text, "migratepages 42 2 0");
	assert_true(migratepages);

	/* Without weighted interleave in the kernel, it is not offered. */
	topo.weighted_interleave = false;
	advise(&a);
	assert_null(strstr(a.reason, "weighted interleave"));
}

/* Memory on the slow tier but the process idle: not flagged, no plan; the
 * note still says where its memory is and what keeps it on fast memory. */
static void test_idle_on_slow_tier(void **state)
{
	struct nl_advice a;

	nodes[0].cpu_s = 0.001;
	nodes[2].mem_bytes = 124 * MIB;
	advise(&a);
	assert_false(view.slow_tier);
	assert_int_equal(a.action, NL_ACT_NONE);
	assert_has(a.reason, "not flagged");
	assert_has(a.reason, "is on a slower tier, node 2 (memory_tier54)");
}

/*
 * Node 1 has CPUs but sits in a slower tier than node 0 (memory_tier54): a
 * process running on node 1 with its memory on node 0 gets its threads
 * moved, never its memory; forcing node 1 with page migration is refused.
 */
static void test_never_onto_slower_tier(void **state)
{
	struct nl_advice a;

	topo.node_tier[1] = 54; /* still top tier by the kernel's rule: it has CPUs */
	nodes[1].cpu_s = 1.0;
	nodes[0].mem_bytes = 128 * MIB;
	advise(&a);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	assert_int_equal(a.nodes, 1u << 0);
	assert_int_equal(a.move_bytes, 0);

	opts.force_nodes = 1u << 1;
	advise(&a);
	assert_int_equal(a.action, NL_ACT_NONE);
	assert_int_equal(a.block, NL_BLOCK_SLOWER_TIER);
	assert_string_equal(nl_block_name(a.block), "slower_tier");
	assert_int_equal(nl_pin_refusal_for(&a), NL_PIN_BAD_TARGET);
	assert_has(a.reason, "moving its memory to node 1 would put it on a slower memory tier");

	/* Without page migration the threads may go there. */
	opts.allow_migrate = false;
	advise(&a);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	assert_int_equal(a.nodes, 1u << 1);
}

/* The same tiers with every CPU of node 0 busy: the plan that would bring
 * the memory to node 1 (slower) is not made. */
static void test_no_migration_down(void **state)
{
	struct nl_advisor_input in = { .topo = &topo, .v = &view, .nr_nodes = 3, .window_s = 1.0 };
	double busy[3] = { 2.0, 1.0, 0 };
	struct nl_advice a;

	topo.node_tier[1] = 54;
	nodes[1].cpu_s = 1.0;
	nodes[0].mem_bytes = 128 * MIB;
	in.node_busy = busy;
	nl_model_evaluate(&view, 3, &topo, 1.0, &opts.thresholds);
	nl_advise(&in, &opts, &a);
	assert_false(a.action == NL_ACT_MIGRATE && (a.nodes >> 1 & 1));
	assert_int_equal(a.move_bytes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_slow_tier_process, reset),
		cmocka_unit_test_setup(test_idle_on_slow_tier, reset),
		cmocka_unit_test_setup(test_never_onto_slower_tier, reset),
		cmocka_unit_test_setup(test_no_migration_down, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
