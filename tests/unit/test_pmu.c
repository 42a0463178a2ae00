// SPDX-License-Identifier: GPL-2.0
/*
 * Finding the sampling PMU from sysfs (fixture trees copied from real
 * machines' layouts: Skylake server, Sapphire Rapids, a hybrid Alder Lake,
 * AMD Zen 3 and Zen 4, a VM), turning event aliases into config bits, and
 * the physical-address-to-node table.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "pmu.h"

static const char *tree(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/pmu/%s", FIXTURES, name);
	return path;
}

static bool cpu_in(const struct nl_pmu_event *ev, int cpu)
{
	return (ev->cpus[cpu / 64] >> (cpu % 64)) & 1;
}

static void test_skylake_pebs(void **state)
{
	struct nl_pmu_config cfg;
	char reason[256];
	const struct perf_event_attr *a = &cfg.events[0].attr;

	assert_int_equal(nl_pmu_probe(tree("skylake"), 0, NL_PMU_RATE_NORMAL, &cfg, reason,
				      sizeof(reason)),
			 0);
	assert_int_equal(cfg.kind, NL_PMU_PEBS);
	assert_int_equal(cfg.nr_events, 1);
	assert_string_equal(cfg.events[0].pmu, "cpu");
	assert_int_equal(a->type, 4);
	assert_int_equal(a->config, 0x01cd); /* umask 0x1 << 8 | event 0xcd */
	assert_int_equal(a->config1, 30);    /* ldlat raised from the alias's 3 */
	assert_int_equal(a->precise_ip, 3);
	assert_int_equal(a->sample_period, 10007);
	assert_int_equal(a->sample_type, PERF_SAMPLE_ADDR | PERF_SAMPLE_DATA_SRC |
						 PERF_SAMPLE_WEIGHT | PERF_SAMPLE_PHYS_ADDR);
	assert_false(cfg.events[0].has_leader);
	assert_true(cpu_in(&cfg.events[0], 0) && cpu_in(&cfg.events[0], 4095));
}

static void test_sapphire_rapids_aux_leader(void **state)
{
	struct nl_pmu_config cfg;
	char reason[256];

	assert_int_equal(
		nl_pmu_probe(tree("spr"), 0, NL_PMU_RATE_LOW, &cfg, reason, sizeof(reason)), 0);
	assert_true(cfg.events[0].has_leader);
	assert_int_equal(cfg.events[0].leader.type, 4);
	assert_int_equal(cfg.events[0].leader.config, 0x8203);
	assert_int_equal(cfg.events[0].leader.sample_period, 0); /* counts, does not sample */
	assert_int_equal(cfg.events[0].attr.sample_period, 50021);
	assert_non_null(strstr(cfg.desc, "led by mem-loads-aux"));
}

static void test_hybrid_two_pmus(void **state)
{
	struct nl_pmu_config cfg;
	char reason[256];

	assert_int_equal(nl_pmu_probe(tree("hybrid"), 5000, NL_PMU_RATE_NORMAL, &cfg, reason,
				      sizeof(reason)),
			 0);
	assert_int_equal(cfg.nr_events, 2);
	assert_string_equal(cfg.events[0].pmu, "cpu_core");
	assert_string_equal(cfg.events[1].pmu, "cpu_atom");
	assert_int_equal(cfg.events[1].attr.type, 10);
	assert_int_equal(cfg.events[1].attr.config, 0x05d0);
	assert_true(cfg.events[0].has_leader);
	assert_false(cfg.events[1].has_leader);
	assert_true(cpu_in(&cfg.events[0], 7) && !cpu_in(&cfg.events[0], 8));
	assert_true(cpu_in(&cfg.events[1], 8) && cpu_in(&cfg.events[1], 15));
	assert_false(cpu_in(&cfg.events[1], 16));
	assert_int_equal(cfg.events[0].attr.sample_period, 5000);
}

static void test_amd_ibs(void **state)
{
	struct nl_pmu_config cfg;
	char reason[256];

	assert_int_equal(
		nl_pmu_probe(tree("zen3"), 0, NL_PMU_RATE_HIGH, &cfg, reason, sizeof(reason)), 0);
	assert_int_equal(cfg.kind, NL_PMU_IBS);
	assert_int_equal(cfg.events[0].attr.type, 11);
	assert_int_equal(cfg.events[0].attr.config, 1ull << 19); /* cnt_ctl */
	assert_int_equal(cfg.events[0].attr.sample_period, 100000);
	assert_int_equal(cfg.events[0].attr.precise_ip, 0);

	/* Zen 4 adds l3missonly; a period is rounded down to a multiple of 16. */
	assert_int_equal(nl_pmu_probe(tree("zen4"), 123457, NL_PMU_RATE_NORMAL, &cfg, reason,
				      sizeof(reason)),
			 0);
	assert_int_equal(cfg.events[0].attr.config, (1ull << 19) | (1ull << 16));
	assert_int_equal(cfg.events[0].attr.sample_period, 123456 - 123456 % 16);
	assert_int_equal(cfg.events[0].attr.sample_period % 16, 0);
	assert_non_null(strstr(cfg.desc, "L3 misses only"));
}

static void test_vm_has_none(void **state)
{
	struct nl_pmu_config cfg;
	char reason[256] = "";

	assert_int_equal(nl_pmu_probe(tree("vm"), 0, NL_PMU_RATE_NORMAL, &cfg, reason,
				      sizeof(reason)),
			 -ENOENT);
	assert_int_equal(cfg.kind, NL_PMU_NONE);
	assert_non_null(strstr(reason, "no hardware memory sampling here"));
	assert_non_null(strstr(reason, "ibs_op"));
	assert_non_null(strstr(reason, "usual in VMs"));
}

/* An Arm server with SPE: said so, not blamed on a VM. */
static void test_arm_spe_named(void **state)
{
	struct nl_pmu_config cfg;
	char reason[256] = "";

	assert_int_equal(nl_pmu_probe(tree("arm64"), 0, NL_PMU_RATE_NORMAL, &cfg, reason,
				      sizeof(reason)),
			 -ENOENT);
	assert_int_equal(cfg.kind, NL_PMU_NONE);
	assert_non_null(strstr(reason, "Arm SPE (arm_spe_0) is here, but numalens does not read "
				       "SPE yet"));
	assert_null(strstr(reason, "VMs"));
}

static void test_parse_event_formats(void **state)
{
	struct perf_event_attr attr = { 0 };

	/* split field: bits 0-7 then 32-35 */
	assert_int_equal(nl_pmu_parse_event(tree("zen3"), "cpu", "event=0x1d4", &attr), 0);
	assert_int_equal(attr.config, 0xd4 | (1ull << 32));
	assert_int_equal(nl_pmu_parse_event(tree("zen3"), "cpu", "event=0x1000", &attr), -ERANGE);
	assert_int_equal(nl_pmu_parse_event(tree("zen3"), "cpu", "nosuchterm=1", &attr), -ENOENT);
	assert_int_equal(nl_pmu_parse_event(tree("zen3"), "cpu", "event=zz", &attr), -EINVAL);
}

/* Bits named twice made the old parser shift a 64-bit value by 64 or more
 * (undefined: on x86 the value's bits were used again). */
static void test_format_bits_once(void **state)
{
	struct perf_event_attr attr = { 0 };

	assert_int_equal(nl_pmu_apply_format("config:0-7,32-35", 0x5cd, &attr), 0);
	assert_int_equal(attr.config, 0xcd | (5ull << 32));
	assert_int_equal(nl_pmu_apply_format("config:0-63,0-63", 1, &attr), -EINVAL);
	assert_int_equal(nl_pmu_apply_format("config1:8-15,8", 1, &attr), -EINVAL);
	assert_int_equal(nl_pmu_apply_format("config2:0-3", 0x10, &attr), -ERANGE);
	assert_int_equal(nl_pmu_apply_format("config: 5", 1, &attr), -EINVAL);
	assert_int_equal(nl_pmu_apply_format("config:5,", 1, &attr), -EINVAL);
	assert_int_equal(nl_pmu_apply_format("config:+5", 1, &attr), -EINVAL);
}

static int one_format(void *ctx, const char *name, char *buf, size_t size)
{
	return snprintf(buf, size, "%s", (const char *)ctx);
}

/* strtoull took "-1" as 2^64 - 1, and atoi took "x" as type 0. */
static void test_terms_and_type_strict(void **state)
{
	struct perf_event_attr attr = { 0 };

	assert_int_equal(
		nl_pmu_parse_terms("event=0x1f,,ldlat=010", one_format, "config:0-15", &attr), 0);
	assert_int_equal(attr.config, 8);
	assert_int_equal(nl_pmu_parse_terms("event=-1", one_format, "config:0-63", &attr), -EINVAL);
	assert_int_equal(nl_pmu_parse_terms("event= 1", one_format, "config:0-63", &attr), -EINVAL);
	assert_int_equal(nl_pmu_parse_terms("../type=1", one_format, "config:0-63", &attr),
			 -EINVAL);
	assert_int_equal(nl_pmu_parse_type("8"), 8);
	assert_int_equal(nl_pmu_parse_type("x"), -EINVAL);
	assert_int_equal(nl_pmu_parse_type("-1"), -EINVAL);
	assert_int_equal(nl_pmu_parse_type("2147483648"), -EINVAL);
}

static void test_physmap(void **state)
{
	struct nl_physmap m;
	uint64_t block = 128ull << 20;

	assert_int_equal(nl_physmap_load(tree("phys"), &m), 0);
	assert_int_equal(m.block_shift, 27);
	assert_int_equal(nl_physmap_node(&m, 0), 0);
	assert_int_equal(nl_physmap_node(&m, 4 * block - 1), 0);
	assert_int_equal(nl_physmap_node(&m, 4 * block), 1);
	assert_int_equal(nl_physmap_node(&m, 7 * block + 12345), 1);
	assert_int_equal(nl_physmap_node(&m, 8 * block), 0);
	assert_int_equal(nl_physmap_node(&m, 9 * block), NL_NODE_UNKNOWN); /* a hole */
	assert_int_equal(nl_physmap_node(&m, 40000 * block), 2);
	assert_int_equal(nl_physmap_node(&m, (uint64_t)NL_PHYS_BLOCKS * block), NL_NODE_UNKNOWN);
	nl_physmap_free(&m);
	assert_int_equal(nl_physmap_load(tree("vm"), &m), -ENOENT);
}

/* The node of a block in ranges, as the sampling program finds it. */
static uint32_t range_node(const struct nl_phys_range *r, int nr, uint32_t block)
{
	int i;

	for (i = nr - 1; i >= 0; i--)
		if (r[i].first_block <= block)
			return r[i].node;
	return NL_NODE_UNKNOWN;
}

/*
 * The blocks as the program's ranges: node 0 on blocks 0-3 and 8, node 1
 * on 4-7, a hole from 9, node 2 on block 40000. Every block gets the node
 * the table gives it; too many runs are cut, the rest on no node.
 */
static void test_physmap_ranges(void **state)
{
	const struct nl_phys_range want[] = {
		{ 0, 0 },     { 4, 1 },
		{ 8, 0 },     { 9, NL_NODE_UNKNOWN },
		{ 40000, 2 }, { 40001, NL_NODE_UNKNOWN },
	};
	struct nl_phys_range r[NL_PHYS_RANGES];
	struct nl_physmap m;
	uint32_t block;
	bool cut;
	int nr, i;

	assert_int_equal(nl_physmap_load(tree("phys"), &m), 0);
	nr = nl_physmap_ranges(&m, r, NL_PHYS_RANGES, &cut);
	assert_int_equal(nr, 6);
	assert_false(cut);
	for (i = 0; i < nr; i++) {
		assert_int_equal(r[i].first_block, want[i].first_block);
		assert_int_equal(r[i].node, want[i].node);
	}
	for (block = 0; block < m.nr_blocks; block++)
		assert_int_equal(range_node(r, nr, block),
				 nl_physmap_node(&m, (uint64_t)block << 27));
	assert_int_equal(range_node(r, nr, NL_PHYS_BLOCKS), NL_NODE_UNKNOWN);

	/* Room for 4: three runs, then the end (block 9 on, no node). */
	nr = nl_physmap_ranges(&m, r, 4, &cut);
	assert_true(cut);
	assert_int_equal(nr, 4);
	assert_int_equal(r[2].first_block, 8);
	assert_int_equal(r[3].first_block, 9);
	assert_int_equal(r[3].node, NL_NODE_UNKNOWN);
	/* Room for 5: the fourth run is the hole, which runs on. */
	nr = nl_physmap_ranges(&m, r, 5, &cut);
	assert_true(cut);
	assert_int_equal(nr, 4);
	assert_int_equal(range_node(r, nr, 40000), NL_NODE_UNKNOWN);
	assert_int_equal(nl_physmap_ranges(&m, r, 1, &cut), -EINVAL);
	nl_physmap_free(&m);

	/* A hole first (no node before the first run); a map that ends in a
	 * hole just as the room does is whole, not cut. */
	{
		uint8_t nodes[] = { NL_NODE_UNKNOWN, NL_NODE_UNKNOWN, 0, 0, 1,
				    NL_NODE_UNKNOWN, NL_NODE_UNKNOWN };
		struct nl_physmap own = { .block_shift = 27, .nr_blocks = 7, .node = nodes };

		nr = nl_physmap_ranges(&own, r, NL_PHYS_RANGES, &cut);
		assert_int_equal(nr, 3);
		assert_false(cut);
		for (block = 0; block < 9; block++)
			assert_int_equal(range_node(r, nr, block),
					 block < 7 ? nodes[block] : NL_NODE_UNKNOWN);
		nr = nl_physmap_ranges(&own, r, 3, &cut);
		assert_int_equal(nr, 3);
		assert_false(cut);
		assert_int_equal(r[2].first_block, 5);
		assert_int_equal(r[2].node, NL_NODE_UNKNOWN);
		nr = nl_physmap_ranges(&own, r, 2, &cut); /* node 1's run does not fit */
		assert_int_equal(nr, 2);
		assert_true(cut);
		assert_int_equal(range_node(r, nr, 4), NL_NODE_UNKNOWN);
	}

	/* No map: one range, no node anywhere. */
	memset(&m, 0, sizeof(m));
	assert_int_equal(nl_physmap_ranges(&m, r, NL_PHYS_RANGES, &cut), 1);
	assert_int_equal(range_node(r, 1, 0), NL_NODE_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_skylake_pebs),
		cmocka_unit_test(test_sapphire_rapids_aux_leader),
		cmocka_unit_test(test_hybrid_two_pmus),
		cmocka_unit_test(test_amd_ibs),
		cmocka_unit_test(test_vm_has_none),
		cmocka_unit_test(test_arm_spe_named),
		cmocka_unit_test(test_parse_event_formats),
		cmocka_unit_test(test_format_bits_once),
		cmocka_unit_test(test_terms_and_type_strict),
		cmocka_unit_test(test_physmap),
		cmocka_unit_test(test_physmap_ranges),
	};

	return cmocka_run_group_tests_name("pmu", tests, NULL, NULL);
}
