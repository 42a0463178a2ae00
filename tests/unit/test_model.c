// SPDX-License-Identifier: GPL-2.0
/* The model's arithmetic and rules, on hand-made processes with known answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "memsrc.h"
#include "model.h"

#define MiB (1ull << 20)

static struct nl_topology topo;
static struct nl_node_stat nodes[4];
static struct nl_proc_view view;
static struct nl_model_opts opts;

/* n nodes, one CPU each, node 3 memory-only when asked. */
static void make_topology(int n, bool memory_only_last)
{
	int i;

	memset(&topo, 0, sizeof(topo));
	topo.nr_node_ids = topo.nr_nodes = n;
	topo.nr_cpu_ids = n;
	for (i = 0; i < n; i++) {
		topo.node_present |= 1ull << i;
		topo.cpu_node[i] = i;
		topo.node_nr_cpus[i] = 1;
	}
	if (memory_only_last) {
		topo.node_nr_cpus[n - 1] = 0;
		topo.cpu_node[n - 1] = -1;
	}
	topo.source = "test";
}

static int reset(void **state)
{
	make_topology(2, false);
	memset(nodes, 0, sizeof(nodes));
	memset(&view, 0, sizeof(view));
	view.pid = 42;
	strcpy(view.comm, "worker");
	view.node = nodes;
	view.mem_known = true;
	nl_model_opts_default(&opts);
	return 0;
}

static const char *finding(const struct nl_proc_view *v)
{
	static char buf[NL_FINDING_MAX];

	nl_model_finding(v, topo.nr_node_ids, &topo, buf, sizeof(buf));
	return buf;
}

static void assert_near(double got, double want)
{
	if (got < want - 1e-9 || got > want + 1e-9)
		fail_msg("got %.12f, want %.12f", got, want);
}

static void test_placement_all_remote(void **state)
{
	struct nl_ratio r;

	nodes[0].cpu_s = 2.0;
	nodes[1].mem_bytes = 64 * MiB;
	r = nl_placement_ratio(nodes, 2);
	assert_true(r.valid);
	assert_near(r.value, 1.0);
}

static void test_placement_all_local(void **state)
{
	struct nl_ratio r;

	nodes[0].cpu_s = 2.0;
	nodes[0].mem_bytes = 64 * MiB;
	r = nl_placement_ratio(nodes, 2);
	assert_true(r.valid);
	assert_near(r.value, 0.0);
}

/* sum cpu_share * (1 - mem_share): 0.75 * (1 - 0.25) + 0.25 * (1 - 0.75) */
static void test_placement_mixed(void **state)
{
	struct nl_ratio r;

	nodes[0].cpu_s = 3.0;
	nodes[1].cpu_s = 1.0;
	nodes[0].mem_bytes = 1 * MiB;
	nodes[1].mem_bytes = 3 * MiB;
	r = nl_placement_ratio(nodes, 2);
	assert_true(r.valid);
	assert_near(r.value, 0.75 * 0.75 + 0.25 * 0.25);
}

static void test_placement_needs_cpu_and_memory(void **state)
{
	nodes[0].cpu_s = 1.0;
	assert_false(nl_placement_ratio(nodes, 2).valid);
	nodes[0].cpu_s = 0;
	nodes[0].mem_bytes = MiB;
	assert_false(nl_placement_ratio(nodes, 2).valid);
}

static void test_hint_needs_enough_faults(void **state)
{
	double coverage;

	nodes[0].hint_local = NL_HINT_MIN_PAGES / 2;
	nodes[1].hint_remote = NL_HINT_MIN_PAGES / 2 - 1;
	assert_false(nl_hint_ratio(nodes, 2, &coverage).valid);
	nodes[1].hint_remote++;
	assert_true(nl_hint_ratio(nodes, 2, &coverage).valid);
}

/* Memory unknown: plain remote / (local + remote). */
static void test_hint_unweighted_without_memory(void **state)
{
	struct nl_ratio r;
	double coverage;

	nodes[0].hint_local = 300;
	nodes[1].hint_remote = 100;
	r = nl_hint_ratio(nodes, 2, &coverage);
	assert_true(r.valid);
	assert_near(r.value, 0.25);
	assert_near(coverage, -1);
}

/* 100 local faults on node 0 (10% of the memory) and 10 remote ones on node
 * 1 (90%): by count 9% remote, by the memory they stand for 90%. */
static void test_hint_weighted_by_memory(void **state)
{
	struct nl_ratio r;
	double coverage;

	nodes[0].mem_bytes = 10 * MiB;
	nodes[1].mem_bytes = 90 * MiB;
	nodes[0].hint_local = 100;
	nodes[1].hint_remote = 10;
	r = nl_hint_ratio(nodes, 2, &coverage);
	assert_true(r.valid);
	assert_near(r.value, 0.9);
	assert_near(coverage, 1.0);
}

/*
 * Memory bound to node 1 with MPOL_BIND is never scanned by NUMA balancing:
 * the only faults are on the stack and libraries on node 0. The faults say
 * 0% remote but cover 1% of the memory: placement must win, and the finding
 * say the sources disagree.
 */
static void test_bound_memory_placement_wins(void **state)
{
	nodes[0].cpu_s = 4.0;
	nodes[0].mem_bytes = 1 * MiB;
	nodes[1].mem_bytes = 99 * MiB;
	nodes[0].hint_local = 500;
	nl_model_evaluate(&view, 2, &topo, 4.0, &opts);
	assert_true(view.hint.valid);
	assert_near(view.hint.value, 0.0);
	assert_near(view.hint_coverage, 0.01);
	assert_int_equal(view.source, NL_SRC_PLACEMENT);
	assert_near(view.remote_ratio, 0.99);
	assert_true(view.disagree);
	assert_true(view.flagged);
	assert_int_equal(view.best_node, 1);
	assert_non_null(strstr(finding(&view), "cover too little"));
}

static void test_hint_trusted_when_covering(void **state)
{
	nodes[0].cpu_s = 4.0;
	nodes[0].mem_bytes = 50 * MiB;
	nodes[1].mem_bytes = 50 * MiB;
	nodes[0].hint_local = 300;
	nodes[1].hint_remote = 100;
	nl_model_evaluate(&view, 2, &topo, 4.0, &opts);
	assert_int_equal(view.source, NL_SRC_HINT_FAULTS);
	/* each node weighs 0.5: 0.5 * 0 + 0.5 * 1 */
	assert_near(view.remote_ratio, 0.5);
	assert_near(view.placement.value, 0.5);
	assert_false(view.disagree);
}

static void test_pmu_takes_precedence(void **state)
{
	nodes[0].cpu_s = 4.0;
	nodes[1].mem_bytes = 64 * MiB;
	nodes[0].hint_remote = 1000;
	nodes[1].hint_remote = 1000;
	view.pmu.mem_local = 58;
	view.pmu.mem_remote = 42;
	nl_model_evaluate(&view, 2, &topo, 4.0, &opts);
	assert_int_equal(view.source, NL_SRC_PMU);
	assert_near(view.remote_ratio, 0.42);
	assert_int_equal(view.ratio_samples, 100);
}

/* Too few memory samples: the next source speaks. */
static void test_pmu_needs_enough_samples(void **state)
{
	nodes[0].cpu_s = 4.0;
	nodes[1].mem_bytes = 64 * MiB;
	view.pmu.mem_remote = NL_PMU_MIN_SAMPLES - 1;
	nl_model_evaluate(&view, 2, &topo, 4.0, &opts);
	assert_false(view.pmu_ratio.valid);
	assert_int_equal(view.source, NL_SRC_PLACEMENT);
	assert_near(view.remote_ratio, 1.0);
	assert_int_equal(view.ratio_samples, 0);
	view.pmu.mem_local = 1;
	nl_model_evaluate(&view, 2, &topo, 4.0, &opts);
	assert_int_equal(view.source, NL_SRC_PMU);
	assert_near(view.remote_ratio, (NL_PMU_MIN_SAMPLES - 1.0) / NL_PMU_MIN_SAMPLES);
}

/* Cache hits and unknown samples do not count: only loads from memory. */
static void test_pmu_counts_memory_samples_only(void **state)
{
	view.pmu.by_class[NL_MEM_CACHE] = 10000;
	view.pmu.samples = 10030;
	view.pmu.mem_local = 10;
	view.pmu.mem_remote = 20;
	assert_true(nl_pmu_ratio(&view.pmu).valid);
	assert_near(nl_pmu_ratio(&view.pmu).value, 20.0 / 30);
}

/* Snapshot source: no per-node faults, only the kernel's locality counts. */
static void test_snapshot_faults_when_memory_unknown(void **state)
{
	nodes[0].cpu_s = 1.0;
	view.mem_known = false;
	view.locality_local = 30;
	view.locality_remote = 90;
	nl_model_evaluate(&view, 2, &topo, 1.0, &opts);
	assert_int_equal(view.source, NL_SRC_HINT_FAULTS);
	assert_near(view.remote_ratio, 0.75);
	assert_near(view.hint_coverage, -1);
}

static void test_finding_remote(void **state)
{
	nodes[0].cpu_s = 4.9;
	nodes[1].cpu_s = 0.1;
	nodes[1].mem_bytes = 2254857830ull; /* 2.1 GiB */
	nl_model_evaluate(&view, 2, &topo, 5.0, &opts);
	assert_true(view.flagged);
	assert_int_equal(view.main_cpu_node, 0);
	assert_int_equal(view.best_node, 1);
	assert_near(view.remote_ratio, 0.98);
	assert_string_equal(finding(&view),
			    "runs 98% on node 0 while 100% of its 2.1 GiB is on node 1 "
			    "(estimated 98% remote, from placement); it would run best on node 1");
}

static void test_finding_spread_memory(void **state)
{
	make_topology(4, false);
	view.node = nodes;
	nodes[0].cpu_s = 2.0;
	nodes[0].mem_bytes = 10 * MiB;
	nodes[1].mem_bytes = 60 * MiB;
	nodes[2].mem_bytes = 30 * MiB;
	nl_model_evaluate(&view, 4, &topo, 2.0, &opts);
	assert_near(view.remote_ratio, 0.9);
	assert_string_equal(finding(&view),
			    "runs 100% on node 0 while 90% of its 100.0 MiB is on other nodes "
			    "(node 1: 60%, node 2: 30%) (estimated 90% remote, from placement); "
			    "it would run best on node 1");
}

static void test_finding_local(void **state)
{
	nodes[1].cpu_s = 2.0;
	nodes[1].mem_bytes = 64 * MiB;
	nl_model_evaluate(&view, 2, &topo, 2.0, &opts);
	assert_false(view.flagged);
	assert_near(view.remote_ratio, 0);
	assert_string_equal(finding(&view), "runs 100% on node 1, where all of its 64.0 MiB is "
					    "(estimated 0% remote, from placement)");
}

/* Nothing runs on a memory-only node (CXL): the best node is where the most
 * of the rest of the memory is. */
/* A few pages elsewhere (libraries, first-touch leftovers) keep it local. */
static void test_finding_mostly_local(void **state)
{
	nodes[0].cpu_s = 2.0;
	nodes[0].mem_bytes = 97 * MiB;
	nodes[1].mem_bytes = 3 * MiB;
	nl_model_evaluate(&view, 2, &topo, 2.0, &opts);
	assert_string_equal(finding(&view), "runs 100% on node 0, where 97% of its 100.0 MiB is "
					    "(estimated 3% remote, from placement)");
}

static void test_best_node_skips_memory_only(void **state)
{
	make_topology(4, true);
	view.node = nodes;
	nodes[0].cpu_s = 1.0;
	nodes[3].mem_bytes = 80 * MiB;
	nodes[2].mem_bytes = 15 * MiB;
	nodes[0].mem_bytes = 5 * MiB;
	nl_model_evaluate(&view, 4, &topo, 1.0, &opts);
	assert_int_equal(view.best_node, 2);
}

static void test_thresholds(void **state)
{
	nodes[0].cpu_s = 0.01; /* 1% of a CPU over 1 s: below min_cpu */
	nodes[1].mem_bytes = 64 * MiB;
	nl_model_evaluate(&view, 2, &topo, 1.0, &opts);
	assert_near(view.remote_ratio, 1.0);
	assert_false(view.flagged);
	nodes[0].cpu_s = 1.0;
	nodes[1].mem_bytes = 1 * MiB; /* below min_rss */
	nl_model_evaluate(&view, 2, &topo, 1.0, &opts);
	assert_false(view.flagged);
	nodes[1].mem_bytes = 64 * MiB;
	nl_model_evaluate(&view, 2, &topo, 1.0, &opts);
	assert_true(view.flagged);
}

static void test_single_node(void **state)
{
	make_topology(1, false);
	nodes[0].cpu_s = 1.0;
	nodes[0].mem_bytes = 64 * MiB;
	nl_model_evaluate(&view, 1, &topo, 1.0, &opts);
	assert_near(view.remote_ratio, 0);
	assert_false(view.flagged);
	assert_string_equal(finding(&view), "one NUMA node: all of its memory accesses are local");
}

static void test_idle_and_exited(void **state)
{
	view.exited = true;
	nl_model_evaluate(&view, 2, &topo, 1.0, &opts);
	assert_string_equal(finding(&view), "exited during the window; did not run in the window");
	assert_int_equal(view.best_node, -1);
}

/* Busy and remote first; a remote but idle process below a busy local one
 * with some remote share. */
static void test_rank(void **state)
{
	struct nl_node_stat arena[3][2] = { 0 };
	struct nl_proc_view views[3] = { 0 };
	struct nl_snapshot snap = { 0 };
	int i;

	for (i = 0; i < 3; i++) {
		views[i].pid = 100 + i;
		views[i].node = arena[i];
		views[i].mem_known = true;
	}
	arena[0][0].cpu_s = 0.1; /* pid 100: 100% remote, 0.1 s: score 0.1 */
	arena[0][1].mem_bytes = 8 * MiB;
	arena[1][0].cpu_s = 2.0; /* pid 101: 50% remote, 2 s: score 1.0 */
	arena[1][0].mem_bytes = 8 * MiB;
	arena[1][1].mem_bytes = 8 * MiB;
	arena[2][1].cpu_s = 3.0; /* pid 102: local, score 0 */
	arena[2][1].mem_bytes = 8 * MiB;
	snap.topo = &topo;
	snap.nr_nodes = 2;
	snap.window_s = 2.0;
	snap.nr = 3;
	snap.procs = views;
	nl_model_rank(&snap, &opts);
	assert_int_equal(snap.procs[0].pid, 101);
	assert_int_equal(snap.procs[1].pid, 100);
	assert_int_equal(snap.procs[2].pid, 102);
	assert_ptr_equal(nl_snapshot_find(&snap, 100), &snap.procs[1]);
}

static void test_format_bytes(void **state)
{
	char buf[32];

	nl_format_bytes(512, buf, sizeof(buf));
	assert_string_equal(buf, "512 B");
	nl_format_bytes(64 * MiB, buf, sizeof(buf));
	assert_string_equal(buf, "64.0 MiB");
	nl_format_bytes(3ull << 40, buf, sizeof(buf));
	assert_string_equal(buf, "3.0 TiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_placement_all_remote, reset),
		cmocka_unit_test_setup(test_placement_all_local, reset),
		cmocka_unit_test_setup(test_placement_mixed, reset),
		cmocka_unit_test_setup(test_placement_needs_cpu_and_memory, reset),
		cmocka_unit_test_setup(test_hint_needs_enough_faults, reset),
		cmocka_unit_test_setup(test_hint_unweighted_without_memory, reset),
		cmocka_unit_test_setup(test_hint_weighted_by_memory, reset),
		cmocka_unit_test_setup(test_bound_memory_placement_wins, reset),
		cmocka_unit_test_setup(test_hint_trusted_when_covering, reset),
		cmocka_unit_test_setup(test_pmu_takes_precedence, reset),
		cmocka_unit_test_setup(test_pmu_needs_enough_samples, reset),
		cmocka_unit_test_setup(test_pmu_counts_memory_samples_only, reset),
		cmocka_unit_test_setup(test_snapshot_faults_when_memory_unknown, reset),
		cmocka_unit_test_setup(test_finding_remote, reset),
		cmocka_unit_test_setup(test_finding_spread_memory, reset),
		cmocka_unit_test_setup(test_finding_local, reset),
		cmocka_unit_test_setup(test_finding_mostly_local, reset),
		cmocka_unit_test_setup(test_best_node_skips_memory_only, reset),
		cmocka_unit_test_setup(test_thresholds, reset),
		cmocka_unit_test_setup(test_single_node, reset),
		cmocka_unit_test_setup(test_idle_and_exited, reset),
		cmocka_unit_test_setup(test_rank, reset),
		cmocka_unit_test_setup(test_format_bytes, reset),
	};

	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
