// SPDX-License-Identifier: GPL-2.0
/*
 * Tiering findings and the slow-tier share of a process, on the sysfs trees
 * of each case (tests/unit/fixtures/sysfs: tiered is Debian's 6.12 in the
 * HMAT guest, one-tier its 6.1, two-node a machine without tiering) and
 * vmstat readings with known answers.
 */
#include "fixtures.h"

#include "model.h"
#include "procfs.h"
#include "tiering.h"

#define MiB (1ull << 20)

static struct nl_topology topo;
static struct nl_sys_finding found[NL_SF_MAX];

static void load(const char *root)
{
	assert_int_equal(nl_topology_from_sysfs(root, &topo), 0);
}

static struct nl_system sys_mode(int mode)
{
	struct nl_system s = { .numa_balancing = mode, .promote_rate_limit_mbps = 65536 };

	return s;
}

/* How many findings, and that the one with id (if wanted) says each needle. */
static void expect(int nr, int got, enum nl_sys_finding_id id, const char *const *needles)
{
	int i;

	assert_int_equal(got, nr);
	if (!nr)
		return;
	for (i = 0; i < got && found[i].id != id; i++)
		;
	assert_true(i < got);
	for (; *needles; needles++)
		if (!strstr(found[i].text, *needles))
			fail_msg("\"%s\" not in \"%s\"", *needles, found[i].text);
}

static void test_tiered_quiet(void **state)
{
	struct nl_system s = sys_mode(1);

	load(FIXTURE("sysfs/tiered"));
	assert_int_equal(nl_sys_findings(&topo, &s, &s, found, NL_SF_MAX), 0);
	s = sys_mode(3);
	assert_int_equal(nl_sys_findings(&topo, &s, &s, found, NL_SF_MAX), 0);
	s = sys_mode(0);
	assert_int_equal(nl_sys_findings(&topo, NULL, &s, found, NL_SF_MAX), 0);
}

static void test_one_tier(void **state)
{
	struct nl_system s = sys_mode(0);

	load(FIXTURE("sysfs/one-tier"));
	expect(1, nl_sys_findings(&topo, &s, &s, found, NL_SF_MAX), NL_SF_ONE_TIER,
	       (const char *const[]){ "memory_tier4: nodes 0-2", "node 2 has memory and no CPU",
				      NULL });
	assert_string_equal(nl_sys_finding_name(found[0].id), "one_tier");
	assert_null(strstr(found[0].text, "numa_balancing"));
	s = sys_mode(2);
	expect(2, nl_sys_findings(&topo, &s, &s, found, NL_SF_MAX), NL_SF_ONE_TIER,
	       (const char *const[]){ "kernel.numa_balancing=2 asks for promotion", NULL });
	/* nowhere to write a second finding */
	assert_int_equal(nl_sys_findings(&topo, &s, &s, found, 1), 1);
}

/* Two sockets in one tier, nothing CPU-less: no tiering finding, unless
 * mode 2 hides the cross-socket misplacement. */
static void test_two_sockets(void **state)
{
	struct nl_system s = sys_mode(1);

	load(FIXTURE("sysfs/two-node"));
	assert_false(topo.tiers_known);
	assert_int_equal(nl_sys_findings(&topo, &s, &s, found, NL_SF_MAX), 0);
	s = sys_mode(2);
	expect(1, nl_sys_findings(&topo, &s, &s, found, NL_SF_MAX), NL_SF_TIERING_ONLY,
	       (const char *const[]){ "numa_balancing=2", "nodes 0-1", "numa_balancing=3", NULL });
	assert_string_equal(nl_sys_finding_name(found[0].id), "tiering_only");
}

static void test_tiering_only(void **state)
{
	struct nl_system s = sys_mode(2);

	load(FIXTURE("sysfs/tiered"));
	expect(1, nl_sys_findings(&topo, &s, &s, found, NL_SF_MAX), NL_SF_TIERING_ONLY,
	       (const char *const[]){ "top-tier nodes 0-1", NULL });
	/* one CPU node in the top tier: nothing can be misplaced across it */
	topo.node_nr_cpus[1] = 0;
	assert_int_equal(nl_sys_findings(&topo, &s, &s, found, NL_SF_MAX), 0);
}

static void test_promotion_stalled(void **state)
{
	const uint32_t both = 1U << NL_VM_PROMOTE_SUCCESS | 1U << NL_VM_PROMOTE_CANDIDATE;
	struct nl_system b = sys_mode(2), a = sys_mode(2);

	load(FIXTURE("sysfs/tiered")); /* nodes 0-1: 2 x 400000 kB free */
	b.present = a.present = both;
	b.pgpromote_candidate = 100;
	b.pgpromote_success = 90;
	a.pgpromote_candidate = 100 + 4096;
	a.pgpromote_success = 90 + 1000;
	expect(2, nl_sys_findings(&topo, &b, &a, found, NL_SF_MAX), NL_SF_PROMOTE_STALLED,
	       (const char *const[]){ "4096 pages", "1000 (24%)", "65536 MB/s", "781.2 MiB free",
				      NULL });
	assert_string_equal(nl_sys_finding_name(NL_SF_PROMOTE_STALLED), "promotion_stalled");
	/* half promoted is not stalled */
	a.pgpromote_success = 90 + 2048;
	assert_int_equal(nl_sys_findings(&topo, &b, &a, found, NL_SF_MAX), 1);
	/* too few candidates to say */
	a.pgpromote_success = 90;
	a.pgpromote_candidate = 100 + NL_PROMOTE_MIN_CANDIDATES - 1;
	assert_int_equal(nl_sys_findings(&topo, &b, &a, found, NL_SF_MAX), 1);
	/* a kernel without pgpromote_candidate: nothing to compare */
	a.pgpromote_candidate = 100 + 4096;
	a.present = b.present = 1U << NL_VM_PROMOTE_SUCCESS;
	assert_int_equal(nl_sys_findings(&topo, &b, &a, found, NL_SF_MAX), 1);
	/* a single reading has no window */
	a.present = b.present = both;
	assert_int_equal(nl_sys_findings(&topo, NULL, &a, found, NL_SF_MAX), 1);
}

/* A process on node 0 with its memory bound to the CPU-less node 2. */
static void test_slow_tier_process(void **state)
{
	struct nl_node_stat node[3] = { { .cpu_s = 2.0, .mem_bytes = 4 * MiB },
					{ .cpu_s = 0 },
					{ .mem_bytes = 124 * MiB } };
	struct nl_proc_view v = { .pid = 7, .node = node, .mem_known = true };
	struct nl_model_opts o;
	char finding[NL_FINDING_MAX];

	nl_model_opts_default(&o);
	load(FIXTURE("sysfs/tiered"));
	nl_model_evaluate(&v, 3, &topo, 2.0, &o);
	assert_int_equal(v.slow_tier_bytes, 124 * MiB);
	assert_true(v.slow_tier_share.valid);
	assert_float_equal(v.slow_tier_share.value, 124.0 / 128, 1e-12);
	assert_true(v.slow_tier);
	assert_int_equal(nl_proc_tier_bytes(&v, 3, &topo, 4), 4 * MiB);
	assert_int_equal(nl_proc_tier_bytes(&v, 3, &topo, 54), 124 * MiB);
	assert_int_equal(nl_proc_tier_bytes(&v, 3, &topo, 5), 0);
	nl_model_finding(&v, 3, &topo, finding, sizeof(finding));
	if (!strstr(finding, "97% of its memory is on a slower tier: node 2 (memory_tier54), "
			     "while it is busy: keep it on top-tier memory"))
		fail_msg("finding: %s", finding);

	/* idle: the share is said, the process not flagged */
	node[0].cpu_s = 0.001;
	nl_model_evaluate(&v, 3, &topo, 2.0, &o);
	assert_false(v.slow_tier);
	assert_true(v.slow_tier_share.valid);

	/* 6.1 keeps node 2 in the top tier: nothing is slow */
	node[0].cpu_s = 2.0;
	load(FIXTURE("sysfs/one-tier"));
	nl_model_evaluate(&v, 3, &topo, 2.0, &o);
	assert_int_equal(v.slow_tier_bytes, 0);
	assert_true(v.slow_tier_share.valid);
	assert_float_equal(v.slow_tier_share.value, 0, 0);
	assert_false(v.slow_tier);
	nl_model_finding(&v, 3, &topo, finding, sizeof(finding));
	assert_null(strstr(finding, "slower tier"));

	/* without tiers the share is unknown, not 0 */
	load(FIXTURE("sysfs/cxl"));
	nl_model_evaluate(&v, 2, &topo, 2.0, &o);
	assert_false(v.slow_tier_share.valid);
	assert_false(v.slow_tier);
}

/* vmstat as the 6.12 HMAT guest wrote it around the promotion of a 64 MiB
 * workload (tests/vm/t-tiers.sh), with numa_balancing=2: every candidate
 * promoted, so no stall; two CPU nodes in the top tier, so tiering_only. */
static void read_vmstat(const char *path, struct nl_system *s)
{
	char buf[8192];
	int len = nl_read_file(path, buf, sizeof(buf));

	assert_true(len > 0);
	memset(s, 0, sizeof(*s));
	assert_int_equal(nl_vmstat_parse(buf, len, s), 0);
	s->numa_balancing = 2;
	s->promote_rate_limit_mbps = 65536;
}

static void test_guest_promotion(void **state)
{
	struct nl_system b, a;

	load(FIXTURE("sysfs/tiered"));
	read_vmstat(FIXTURE("vmstat/6.12-promote-before"), &b);
	read_vmstat(FIXTURE("vmstat/6.12-promote-after"), &a);
	/* 6.12 counts khugepaged's demotions, not yet proactive ones */
	assert_true(a.present >> NL_VM_DEMOTE_KHUGEPAGED & 1);
	assert_false(a.present >> NL_VM_DEMOTE_PROACTIVE & 1);
	assert_int_equal(a.pgpromote_success - b.pgpromote_success, 15976);
	assert_int_equal(a.pgpromote_candidate - b.pgpromote_candidate, 15976);
	assert_int_equal(nl_system_demoted(&a), 0);
	expect(1, nl_sys_findings(&topo, &b, &a, found, NL_SF_MAX), NL_SF_TIERING_ONLY,
	       (const char *const[]){ "top-tier nodes 0-1", NULL });
	/* the same window had a tenth been promoted: stalled */
	a.pgpromote_success = b.pgpromote_success + 1597;
	expect(2, nl_sys_findings(&topo, &b, &a, found, NL_SF_MAX), NL_SF_PROMOTE_STALLED,
	       (const char *const[]){ "15976 pages", "1597 (10%)", NULL });
}

static void test_tier_list(void **state)
{
	int tiers[4];

	load(FIXTURE("sysfs/tiered"));
	assert_int_equal(nl_topology_tiers(&topo, tiers, 4), 2);
	assert_int_equal(tiers[0], 4);
	assert_int_equal(tiers[1], 54);
	assert_int_equal(nl_tier_nodes(&topo, 4), 0x3);
	assert_int_equal(nl_tier_nodes(&topo, 54), 0x4);
	assert_int_equal(nl_topology_tiers(&topo, tiers, 1), 1);
	load(FIXTURE("sysfs/two-node"));
	assert_int_equal(nl_topology_tiers(&topo, tiers, 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tiered_quiet),	  cmocka_unit_test(test_one_tier),
		cmocka_unit_test(test_two_sockets),	  cmocka_unit_test(test_tiering_only),
		cmocka_unit_test(test_promotion_stalled), cmocka_unit_test(test_slow_tier_process),
		cmocka_unit_test(test_tier_list),	  cmocka_unit_test(test_guest_promotion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
