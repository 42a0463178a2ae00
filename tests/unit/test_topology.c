// SPDX-License-Identifier: GPL-2.0
/*
 * Topology from sysfs fixture trees (tests/unit/fixtures/sysfs/NAME is the
 * sysfs root), and libnuma against sysfs on this machine.
 */
#include "fixtures.h"

#include <numa.h>

#include "procfs.h"
#include "topology.h"

static struct nl_topology topo, other;

static bool cpu_in(const struct nl_topology *t, int node, int cpu)
{
	return (t->node_cpus[node][cpu / 64] >> (cpu % 64)) & 1;
}

/* Every CPU id below NL_MAX_CPUS: in `node` if first <= cpu <= last, else in none. */
static void assert_cpu_nodes(const struct nl_topology *t, const int16_t *expect, int nr)
{
	int cpu;

	for (cpu = 0; cpu < NL_MAX_CPUS; cpu++) {
		int16_t want = cpu < nr ? expect[cpu] : -1;

		if (t->cpu_node[cpu] != want)
			fail_msg("cpu %d: node %d, expected %d", cpu, t->cpu_node[cpu], want);
		if (want >= 0)
			assert_true(cpu_in(t, want, cpu));
	}
}

/* Nothing recorded for a node that is not there. */
static void assert_node_absent(const struct nl_topology *t, int node)
{
	int i;

	assert_false(nl_node_present(t, node));
	assert_int_equal(t->node_nr_cpus[node], 0);
	assert_int_equal(t->node_mem_total[node], 0);
	for (i = 0; i < NL_CPU_WORDS; i++)
		assert_int_equal(t->node_cpus[node][i], 0);
	for (i = 0; i < NL_MAX_NODES; i++) {
		assert_int_equal(t->distance[node][i], 0);
		assert_int_equal(t->distance[i][node], 0);
	}
}

static void test_one_node(void **state)
{
	int16_t expect[] = { 0, 0, 0, 0 };
	int n;

	assert_int_equal(nl_topology_from_sysfs(FIXTURE("sysfs/one-node"), &topo), 0);
	assert_string_equal(topo.source, "sysfs");
	assert_int_equal(topo.nr_nodes, 1);
	assert_int_equal(topo.nr_node_ids, 1);
	assert_int_equal(topo.node_present, 1);
	assert_int_equal(topo.nr_cpu_ids, 4);
	assert_int_equal(topo.node_nr_cpus[0], 4);
	assert_int_equal(topo.node_cpus[0][0], 0xf);
	assert_cpu_nodes(&topo, expect, 4);
	assert_int_equal(topo.node_mem_total[0], 16318908 * KIB);
	assert_int_equal(topo.node_mem_free[0], 12000000 * KIB);
	assert_int_equal(topo.distance[0][0], 10);
	assert_int_equal(topo.clamped, 0);
	for (n = 1; n < NL_MAX_NODES; n++)
		assert_node_absent(&topo, n);
}

static void test_two_nodes(void **state)
{
	/* node0 0-3,8-11; node1 4-7,12-15 (SMT siblings interleaved like on many Xeons) */
	int16_t expect[] = { 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1 };

	assert_int_equal(nl_topology_from_sysfs(FIXTURE("sysfs/two-node"), &topo), 0);
	assert_int_equal(topo.nr_nodes, 2);
	assert_int_equal(topo.nr_node_ids, 2);
	assert_int_equal(topo.node_present, 3);
	assert_int_equal(topo.nr_cpu_ids, 16);
	assert_int_equal(topo.node_nr_cpus[0], 8);
	assert_int_equal(topo.node_nr_cpus[1], 8);
	assert_int_equal(topo.node_cpus[0][0], 0x0f0f);
	assert_int_equal(topo.node_cpus[1][0], 0xf0f0);
	assert_cpu_nodes(&topo, expect, 16);
	assert_int_equal(topo.node_mem_total[0], 32768000 * KIB);
	assert_int_equal(topo.node_mem_free[0], 30000000 * KIB);
	assert_int_equal(topo.node_mem_total[1], 32 * GIB);
	assert_int_equal(topo.node_mem_free[1], 1 * MIB);
	assert_int_equal(topo.distance[0][0], 10);
	assert_int_equal(topo.distance[0][1], 21);
	assert_int_equal(topo.distance[1][0], 21);
	assert_int_equal(topo.distance[1][1], 10);
	assert_node_absent(&topo, 2);
}

static void test_four_nodes_distances(void **state)
{
	/* rows as in the fixture; node3's row starts with 28: not symmetric */
	static const uint8_t want[4][4] = {
		{ 10, 12, 32, 22 },
		{ 12, 10, 22, 32 },
		{ 32, 22, 10, 12 },
		{ 28, 32, 12, 10 },
	};
	int a, b, cpu;

	assert_int_equal(nl_topology_from_sysfs(FIXTURE("sysfs/four-node"), &topo), 0);
	assert_int_equal(topo.nr_nodes, 4);
	assert_int_equal(topo.nr_node_ids, 4);
	assert_int_equal(topo.node_present, 0xf);
	assert_int_equal(topo.nr_cpu_ids, 32);
	for (a = 0; a < 4; a++)
		for (b = 0; b < 4; b++)
			if (topo.distance[a][b] != want[a][b])
				fail_msg("distance %d -> %d: %d, expected %d", a, b,
					 topo.distance[a][b], want[a][b]);
	assert_int_equal(topo.distance[0][3], 22);
	assert_int_equal(topo.distance[3][0], 28);
	for (cpu = 0; cpu < 32; cpu++)
		assert_int_equal(topo.cpu_node[cpu], cpu / 8);
	assert_int_equal(topo.cpu_node[32], -1);
	for (a = 0; a < 4; a++) {
		assert_int_equal(topo.node_nr_cpus[a], 8);
		assert_int_equal(topo.node_mem_total[a], (a + 1) * 1000 * KIB);
		assert_int_equal(topo.node_mem_free[a], (500 + 100 * a) * KIB);
	}
}

static void test_node_holes(void **state)
{
	int16_t expect[] = { 0, 0, 2, 2 };

	/* node0 and node2: distance rows have two columns, for node0 and node2 */
	assert_int_equal(nl_topology_from_sysfs(FIXTURE("sysfs/holes"), &topo), 0);
	assert_int_equal(topo.nr_nodes, 2);
	assert_int_equal(topo.nr_node_ids, 3);
	assert_int_equal(topo.node_present, 0x5);
	assert_true(nl_node_present(&topo, 0));
	assert_false(nl_node_present(&topo, 1));
	assert_true(nl_node_present(&topo, 2));
	assert_false(nl_node_present(&topo, -1));
	assert_false(nl_node_present(&topo, NL_MAX_NODES));
	assert_cpu_nodes(&topo, expect, 4);
	assert_int_equal(topo.distance[0][0], 10);
	assert_int_equal(topo.distance[0][2], 20);
	assert_int_equal(topo.distance[2][0], 25);
	assert_int_equal(topo.distance[2][2], 10);
	assert_node_absent(&topo, 1);
	assert_int_equal(topo.node_mem_total[2], 4100000 * KIB);
	assert_int_equal(topo.node_mem_free[2], 3100000 * KIB);
}

static void test_memory_only_node(void **state)
{
	int16_t expect[] = { 0, 0, 0, 0 };

	/* node1 is a CXL expander: 64 GiB of memory, empty cpulist */
	assert_int_equal(nl_topology_from_sysfs(FIXTURE("sysfs/cxl"), &topo), 0);
	assert_int_equal(topo.nr_nodes, 2);
	assert_int_equal(topo.nr_node_ids, 2);
	assert_true(nl_node_present(&topo, 1));
	assert_int_equal(topo.node_nr_cpus[1], 0);
	assert_int_equal(topo.node_cpus[1][0], 0);
	assert_int_equal(topo.node_mem_total[1], 64 * GIB);
	assert_int_equal(topo.node_mem_free[1], 67000000 * KIB);
	assert_int_equal(topo.nr_cpu_ids, 4);
	assert_cpu_nodes(&topo, expect, 4);
	assert_int_equal(topo.distance[0][1], 20);
	assert_int_equal(topo.distance[1][0], 20);
	assert_int_equal(topo.distance[1][1], 10);
}

/* Debian's 6.12 in a qemu guest with HMAT: node 2 has no CPU and is slower. */
static void test_tiers(void **state)
{
	const struct nl_node_access *a;

	assert_int_equal(nl_topology_from_sysfs(FIXTURE("sysfs/tiered"), &topo), 0);
	assert_int_equal(topo.nr_nodes, 3);
	assert_true(topo.tiers_known);
	assert_int_equal(topo.node_tier[0], 4);
	assert_int_equal(topo.node_tier[1], 4);
	assert_int_equal(topo.node_tier[2], 54);
	assert_int_equal(topo.node_tier[3], -1);
	assert_int_equal(topo.toptier_nodes, 0x3);
	assert_false(nl_node_slow_tier(&topo, 0));
	assert_false(nl_node_slow_tier(&topo, 1));
	assert_true(nl_node_slow_tier(&topo, 2));
	assert_false(nl_node_slow_tier(&topo, 3)); /* not there */
	assert_int_equal(nl_cpuless_nodes(&topo), 0x4);
	assert_int_equal(topo.demotion_enabled, 0);
	assert_true(topo.weighted_interleave);
	a = &topo.access[2];
	assert_true(a->known);
	assert_int_equal(a->read_latency_ns, 30);
	assert_int_equal(a->write_latency_ns, 30);
	assert_int_equal(a->read_bandwidth_mbps, 5120);
	assert_int_equal(a->write_bandwidth_mbps, 5120);
	assert_int_equal(a->initiators, 0x1);
	assert_int_equal(topo.access[1].initiators, 0x2);
	assert_int_equal(topo.access[0].read_bandwidth_mbps, 20480);
}

/* Debian's 6.1 in the same guest: every node in one tier, demotion on. */
static void test_one_tier(void **state)
{
	int node;

	assert_int_equal(nl_topology_from_sysfs(FIXTURE("sysfs/one-tier"), &topo), 0);
	assert_true(topo.tiers_known);
	for (node = 0; node < 3; node++) {
		assert_int_equal(topo.node_tier[node], 4);
		assert_false(topo.access[node].known);
		assert_int_equal(topo.access[node].initiators, 0);
	}
	assert_int_equal(topo.toptier_nodes, 0x7);
	assert_int_equal(nl_cpuless_nodes(&topo), 0x4);
	assert_int_equal(topo.demotion_enabled, 1);
	assert_false(topo.weighted_interleave);
}

/*
 * The top tier reaches down to the slowest tier holding a CPU node (node 1
 * in memory_tier54 here), as in the kernel. A node in no readable tier
 * (memory_tier60's list is malformed, memory_tierX is no tier) counts as
 * top tier, as the kernel counts a node without a memtier.
 */
static void test_tiers_cpu_node_below(void **state)
{
	assert_int_equal(nl_topology_from_sysfs(FIXTURE("sysfs/cpu-slow"), &topo), 0);
	assert_true(topo.tiers_known);
	assert_int_equal(topo.node_tier[0], 4);
	assert_int_equal(topo.node_tier[1], 54);
	assert_int_equal(topo.node_tier[2], -1);
	assert_int_equal(topo.toptier_nodes, 0x7);
	assert_int_equal(topo.demotion_enabled, -1);
	assert_false(topo.access[2].known);
}

/* Without memory_tiering every node is top tier. */
static void test_no_tiers(void **state)
{
	assert_int_equal(nl_topology_from_sysfs(FIXTURE("sysfs/cxl"), &topo), 0);
	assert_false(topo.tiers_known);
	assert_int_equal(topo.node_tier[0], -1);
	assert_int_equal(topo.node_tier[1], -1);
	assert_int_equal(topo.toptier_nodes, 0x3);
	assert_false(nl_node_slow_tier(&topo, 1));
	assert_int_equal(nl_cpuless_nodes(&topo), 0x2);
	assert_int_equal(topo.demotion_enabled, -1);
}

static void test_clamped(void **state)
{
	/* node64 is past NL_MAX_NODES (64), CPUs 4096-4097 past NL_MAX_CPUS (4096) */
	assert_int_equal(nl_topology_from_sysfs(FIXTURE("sysfs/clamp"), &topo), 0);
	assert_int_equal(topo.clamped, 1);
	assert_int_equal(topo.nr_nodes, 1);
	assert_int_equal(topo.nr_node_ids, 1);
	assert_int_equal(topo.node_present, 1);
	/* 0-3 and 4095 */
	assert_int_equal(topo.node_nr_cpus[0], 5);
	assert_int_equal(topo.nr_cpu_ids, NL_MAX_CPUS);
	assert_int_equal(topo.cpu_node[4095], 0);
	assert_int_equal(topo.cpu_node[4094], -1);
	assert_int_equal(topo.cpu_node[3], 0);
	/* node64's CPUs 8-9 are not taken */
	assert_int_equal(topo.cpu_node[8], -1);
	assert_int_equal(topo.distance[0][0], 10);
	assert_int_equal(topo.node_mem_total[0], 1000 * KIB);
}

static void test_defaults_without_distance_and_meminfo(void **state)
{
	assert_int_equal(nl_topology_from_sysfs(FIXTURE("sysfs/sparse"), &topo), 0);
	assert_int_equal(topo.nr_nodes, 2);
	assert_int_equal(topo.distance[0][0], 10);
	assert_int_equal(topo.distance[0][1], 20);
	assert_int_equal(topo.distance[1][0], 20);
	assert_int_equal(topo.distance[1][1], 10);
	assert_int_equal(topo.node_mem_total[0], 0);
	assert_int_equal(topo.node_mem_free[1], 0);
	assert_int_equal(topo.cpu_node[3], 1);
}

static void test_no_numa(void **state)
{
	int16_t expect[] = { 0, 0, 0, 0, 0, 0 };

	/* no devices/system/node: one node 0 with the online CPUs (0-5, not possible 0-7) */
	nl_proc_root = FIXTURE("proc");
	assert_int_equal(nl_topology_from_sysfs(FIXTURE("sysfs/nonuma"), &topo), 0);
	assert_string_equal(topo.source, "sysfs");
	assert_int_equal(topo.nr_nodes, 1);
	assert_int_equal(topo.nr_node_ids, 1);
	assert_int_equal(topo.node_present, 1);
	assert_int_equal(topo.nr_cpu_ids, 6);
	assert_int_equal(topo.node_nr_cpus[0], 6);
	assert_cpu_nodes(&topo, expect, 6);
	assert_int_equal(topo.distance[0][0], 10);
	/* MemTotal and MemFree of <proc>/meminfo */
	assert_int_equal(topo.node_mem_total[0], 8123456 * KIB);
	assert_int_equal(topo.node_mem_free[0], 4000000 * KIB);
	assert_node_absent(&topo, 1);

	/* no meminfo to read: 0 */
	nl_proc_root = FIXTURE("no-such-dir");
	assert_int_equal(nl_topology_from_sysfs(FIXTURE("sysfs/nonuma"), &topo), 0);
	assert_int_equal(topo.node_mem_total[0], 0);
	assert_int_equal(topo.node_nr_cpus[0], 6);

	/* only cpu/possible */
	assert_int_equal(nl_topology_from_sysfs(FIXTURE("sysfs/nonuma-possible"), &topo), 0);
	assert_int_equal(topo.node_nr_cpus[0], 8);
	assert_int_equal(topo.nr_cpu_ids, 8);
}

static void test_sysfs_errors(void **state)
{
	assert_int_equal(nl_topology_from_sysfs(FIXTURE("no-such-dir"), &topo), -ENOENT);
	assert_int_equal(nl_topology_from_sysfs(NULL, &topo), -EINVAL);
	assert_int_equal(nl_topology_from_sysfs(FIXTURE("sysfs/one-node"), NULL), -EINVAL);
	assert_int_equal(nl_topology_from_libnuma(NULL), -EINVAL);
	assert_int_equal(nl_topology_load(NULL), -EINVAL);
}

static void test_libnuma_matches_sysfs(void **state)
{
	int a, b, cpu, w;

	if (nl_topology_from_libnuma(&topo) == -ENOSYS)
		skip_because("libnuma: numa_available() < 0 here");
	assert_string_equal(topo.source, "libnuma");
	assert_int_equal(nl_topology_from_sysfs("/sys", &other), 0);
	assert_int_equal(topo.nr_nodes, other.nr_nodes);
	assert_int_equal(topo.nr_node_ids, other.nr_node_ids);
	assert_int_equal(topo.node_present, other.node_present);
	assert_int_equal(topo.nr_cpu_ids, other.nr_cpu_ids);
	assert_int_equal(topo.clamped, other.clamped);
	for (cpu = 0; cpu < NL_MAX_CPUS; cpu++)
		if (topo.cpu_node[cpu] != other.cpu_node[cpu])
			fail_msg("cpu %d: libnuma node %d, sysfs node %d", cpu, topo.cpu_node[cpu],
				 other.cpu_node[cpu]);
	for (a = 0; a < NL_MAX_NODES; a++) {
		assert_int_equal(topo.node_nr_cpus[a], other.node_nr_cpus[a]);
		for (w = 0; w < NL_CPU_WORDS; w++)
			assert_int_equal(topo.node_cpus[a][w], other.node_cpus[a][w]);
		/* both read node meminfo's MemTotal */
		assert_int_equal(topo.node_mem_total[a], other.node_mem_total[a]);
		for (b = 0; b < NL_MAX_NODES; b++)
			if (topo.distance[a][b] != other.distance[a][b])
				fail_msg("distance %d -> %d: libnuma %d, sysfs %d", a, b,
					 topo.distance[a][b], other.distance[a][b]);
	}
	assert_true(topo.nr_nodes >= 1);
}

static void test_live_machine(void **state)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	int cpu, in_nodes = 0, node;

	assert_int_equal(nl_topology_load(&topo), 0);
	assert_true(topo.nr_nodes >= 1);
	assert_true(topo.nr_cpu_ids >= 1);
	for (cpu = 0; cpu < NL_MAX_CPUS; cpu++)
		in_nodes += topo.cpu_node[cpu] >= 0;
	/* every online CPU is in a node (no hot-plug during the test) */
	assert_int_equal(in_nodes, online);
	for (node = 0; node < NL_MAX_NODES; node++)
		if (nl_node_present(&topo, node))
			assert_int_equal(topo.distance[node][node], 10);
	print_message("topology from %s: %d node(s), %d CPU(s)\n", topo.source, topo.nr_nodes,
		      in_nodes);
}

static int reset_root(void **state)
{
	nl_proc_root = "/proc";
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_node),
		cmocka_unit_test(test_two_nodes),
		cmocka_unit_test(test_four_nodes_distances),
		cmocka_unit_test(test_node_holes),
		cmocka_unit_test(test_memory_only_node),
		cmocka_unit_test(test_tiers),
		cmocka_unit_test(test_one_tier),
		cmocka_unit_test(test_tiers_cpu_node_below),
		cmocka_unit_test(test_no_tiers),
		cmocka_unit_test(test_clamped),
		cmocka_unit_test(test_defaults_without_distance_and_meminfo),
		cmocka_unit_test_teardown(test_no_numa, reset_root),
		cmocka_unit_test(test_sysfs_errors),
		cmocka_unit_test(test_libnuma_matches_sysfs),
		cmocka_unit_test(test_live_machine),
	};

	return cmocka_run_group_tests_name("topology", tests, NULL, NULL);
}
