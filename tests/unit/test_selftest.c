// SPDX-License-Identifier: GPL-2.0
/*
 * `numalens selftest`'s pure half (user/cmd/selftest_model.c,
 * selftest_state.c): the probes it plans per topology, each figure against
 * its known share, the verdicts per source and the exit status, the text
 * and the JSON; the CPU model from /proc/cpuinfo text, and the state file
 * doctor reads (round trip, a file that is not JSON, a path it cannot write).
 */
#include "fixtures.h"

#include <json-c/json.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "selftest.h"

static void plan_is(uint64_t cpus, uint64_t mems, size_t max_pairs, const int (*want)[2],
		    size_t nr_want)
{
	struct nl_st_probe p[NL_ST_MAX_PROBES];
	size_t nr = nl_st_plan(cpus, mems, max_pairs, p, NL_ST_MAX_PROBES), i;

	assert_int_equal(nr, nr_want);
	for (i = 0; i < nr; i++) {
		assert_int_equal(p[i].cpu_node, want[i][0]);
		assert_int_equal(p[i].mem_node, want[i][1]);
		assert_true(p[i].known == (want[i][0] != want[i][1]));
	}
}

static void test_plan(void **state)
{
	static const int one[][2] = { { 0, 0 } };
	static const int two[][2] = { { 0, 1 }, { 1, 0 }, { 0, 0 }, { 1, 1 } };
	static const int ring[][2] = { { 0, 1 }, { 1, 2 }, { 2, 3 }, { 3, 0 },
				       { 0, 0 }, { 1, 1 }, { 2, 2 }, { 3, 3 } };
	static const int six[][2] = { { 0, 1 }, { 1, 2 }, { 2, 3 }, { 3, 0 }, { 0, 2 },
				      { 1, 3 }, { 0, 0 }, { 1, 1 }, { 2, 2 }, { 3, 3 } };
	/* Node 2 memory only (CXL): never an A, still a B. */
	static const int cxl[][2] = { { 0, 1 }, { 1, 2 }, { 0, 2 }, { 1, 0 }, { 0, 0 }, { 1, 1 } };
	/* One pair allowed: only its A gets a local probe. */
	static const int capped[][2] = { { 0, 1 }, { 0, 0 } };
	/* Node ids with a hole (0 and 2). */
	static const int holes[][2] = { { 0, 2 }, { 2, 0 }, { 0, 0 }, { 2, 2 } };

	(void)state;
	plan_is(0x1, 0x1, 6, one, 1);
	plan_is(0x3, 0x3, 6, two, 4);
	plan_is(0xf, 0xf, 4, ring, 8);
	plan_is(0xf, 0xf, 6, six, 10);
	plan_is(0x3, 0x7, 6, cxl, 6);
	plan_is(0x3, 0x3, 1, capped, 2);
	plan_is(0x5, 0x5, 6, holes, 4);
}

static void test_judge(void **state)
{
	struct nl_st_value v = { .tested = true, .valid = true, .share = 0.9 };

	(void)state;
	nl_st_judge(&v, 1, 0.1);
	assert_int_equal(v.verdict, NL_ST_PASS); /* exactly at the tolerance */
	assert_true(v.error > 0.0999 && v.error < 0.1001);
	v.share = 0.89;
	nl_st_judge(&v, 1, 0.1);
	assert_int_equal(v.verdict, NL_ST_FAIL);
	v.share = 0.05;
	nl_st_judge(&v, 0, 0.1);
	assert_int_equal(v.verdict, NL_ST_PASS);
	v.share = 1;
	nl_st_judge(&v, 0, 0.1);
	assert_int_equal(v.verdict, NL_ST_FAIL);
	assert_true(v.error == 1);
	v.valid = false;
	nl_st_judge(&v, 0, 0.1);
	assert_int_equal(v.verdict, NL_ST_NO_DATA);
	v.tested = false;
	nl_st_judge(&v, 0, 0.1);
	assert_int_equal(v.verdict, NL_ST_NOT_TESTED);
}

static void fig(struct nl_st_probe *p, enum nl_source_id s, bool valid, double share)
{
	p->src[s].tested = true;
	p->src[s].valid = valid;
	p->src[s].share = share;
}

/* Two nodes, placement and hint_faults active and right, pmu inactive. */
static void two_nodes(struct nl_st_result *r)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	snprintf(r->cpu_id, sizeof(r->cpu_id), "GenuineIntel family 6 model 85");
	snprintf(r->kernel, sizeof(r->kernel), "6.1.0-test");
	r->nr_nodes = 2;
	r->tolerance = 0.1;
	r->duration_s = 3;
	r->size_bytes = 128 << 20;
	r->nr_probes = nl_st_plan(0x3, 0x3, 6, r->probes, NL_ST_MAX_PROBES);
	r->remote_tested = true;
	snprintf(r->src[NL_SRC_PMU].why, sizeof(r->src[NL_SRC_PMU].why), "inactive: no PMU");
	r->src[NL_SRC_HINT_FAULTS].active = r->src[NL_SRC_HINT_FAULTS].testable = true;
	snprintf(r->src[NL_SRC_HINT_FAULTS].method, 32, "fentry");
	r->src[NL_SRC_PLACEMENT].active = r->src[NL_SRC_PLACEMENT].testable = true;
	snprintf(r->src[NL_SRC_PLACEMENT].method, 32, "cpu_time+numa_maps");
	for (i = 0; i < r->nr_probes; i++) {
		struct nl_st_probe *p = &r->probes[i];

		p->pid = 100 + i;
		p->mem_on_node = 1;
		p->balancing_policy = true;
		fig(p, NL_SRC_PMU, false, 0);
		fig(p, NL_SRC_HINT_FAULTS, true, p->known ? 0.99 : 0.01);
		p->src[NL_SRC_HINT_FAULTS].samples = 16384;
		fig(p, NL_SRC_PLACEMENT, true, p->known ? 0.97 : 0.02);
	}
}

static void test_conclude(void **state)
{
	struct nl_st_result *r = calloc(1, sizeof(*r));

	(void)state;
	two_nodes(r);
	nl_st_conclude(r);
	assert_int_equal(r->status, NL_EXIT_OK);
	assert_int_equal(r->src[NL_SRC_PLACEMENT].verdict, NL_ST_PASS);
	assert_int_equal(r->src[NL_SRC_PLACEMENT].probes, 4);
	assert_true(r->src[NL_SRC_PLACEMENT].max_error > 0.0299 &&
		    r->src[NL_SRC_PLACEMENT].max_error < 0.0301);
	assert_int_equal(r->src[NL_SRC_HINT_FAULTS].verdict, NL_ST_PASS);
	/* Inactive: not tested, whatever figures it would have had. */
	assert_int_equal(r->src[NL_SRC_PMU].verdict, NL_ST_NOT_TESTED);
	assert_int_equal(r->src[NL_SRC_PMU].probes, 0);
	assert_false(r->probes[0].src[NL_SRC_PMU].tested);

	/* One probe out: that source fails, the status says so. */
	two_nodes(r);
	r->probes[1].src[NL_SRC_PLACEMENT].share = 0.5;
	nl_st_conclude(r);
	assert_int_equal(r->src[NL_SRC_PLACEMENT].verdict, NL_ST_FAIL);
	assert_int_equal(r->src[NL_SRC_HINT_FAULTS].verdict, NL_ST_PASS);
	assert_int_equal(r->status, NL_ST_EXIT_MISMATCH);

	/* No figure from an active source: not a pass. */
	two_nodes(r);
	r->probes[2].src[NL_SRC_HINT_FAULTS].valid = false;
	nl_st_conclude(r);
	assert_int_equal(r->src[NL_SRC_HINT_FAULTS].verdict, NL_ST_NO_DATA);
	assert_int_equal(r->status, NL_ST_EXIT_MISMATCH);

	/* A probe without the balancing policy (before 5.12): hint_faults
	 * skips it, the others count it. */
	two_nodes(r);
	r->probes[0].src[NL_SRC_HINT_FAULTS].tested = false;
	r->probes[0].src[NL_SRC_HINT_FAULTS].valid = false;
	nl_st_conclude(r);
	assert_int_equal(r->src[NL_SRC_HINT_FAULTS].probes, 3);
	assert_int_equal(r->src[NL_SRC_HINT_FAULTS].verdict, NL_ST_PASS);
	assert_int_equal(r->status, NL_EXIT_OK);

	/* A probe that did not run: a failure of the test, not of a source. */
	two_nodes(r);
	snprintf(r->probes[3].error, sizeof(r->probes[3].error), "fork: no memory");
	nl_st_conclude(r);
	assert_int_equal(r->src[NL_SRC_PLACEMENT].probes, 3);
	assert_int_equal(r->src[NL_SRC_PLACEMENT].verdict, NL_ST_PASS);
	assert_int_equal(r->status, NL_EXIT_FAILURE);

	/* One node: the local probe passes, nothing remote: its own status. */
	two_nodes(r);
	r->nr_nodes = 1;
	r->nr_probes = nl_st_plan(0x1, 0x1, 6, r->probes, NL_ST_MAX_PROBES);
	fig(&r->probes[0], NL_SRC_PLACEMENT, true, 0);
	r->remote_tested = false;
	nl_st_conclude(r);
	assert_int_equal(r->src[NL_SRC_PLACEMENT].verdict, NL_ST_PASS);
	/* hint_faults was not asked of that probe: not tested, "no probe ran". */
	assert_int_equal(r->src[NL_SRC_HINT_FAULTS].verdict, NL_ST_NOT_TESTED);
	assert_string_equal(r->src[NL_SRC_HINT_FAULTS].why, "no probe ran");
	assert_int_equal(r->status, NL_ST_EXIT_UNTESTABLE);
	two_nodes(r);
	r->nr_probes = nl_st_plan(0x1, 0x1, 6, r->probes, NL_ST_MAX_PROBES);
	fig(&r->probes[0], NL_SRC_PLACEMENT, true, 0);
	r->src[NL_SRC_HINT_FAULTS].active = r->src[NL_SRC_HINT_FAULTS].testable = false;
	r->remote_tested = false;
	nl_st_conclude(r);
	assert_int_equal(r->status, NL_ST_EXIT_UNTESTABLE);
	/* ... and one that fails there still fails. */
	r->probes[0].src[NL_SRC_PLACEMENT].share = 0.5;
	nl_st_conclude(r);
	assert_int_equal(r->status, NL_ST_EXIT_MISMATCH);

	/* Interrupted: neither pass nor fail. */
	two_nodes(r);
	r->interrupted = true;
	nl_st_conclude(r);
	assert_int_equal(r->status, NL_EXIT_FAILURE);
	free(r);
}

static char *text_of(const struct nl_st_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	nl_st_text(f, r);
	fclose(f);
	return buf;
}

static void test_text(void **state)
{
	struct nl_st_result *r = calloc(1, sizeof(*r));
	char *t;

	(void)state;
	two_nodes(r);
	r->probes[1].src[NL_SRC_PLACEMENT].share = 0.5;
	nl_st_conclude(r);
	t = text_of(r);
	assert_non_null(strstr(t, "numalens selftest: 2 NUMA nodes, CPU GenuineIntel family 6 "
				  "model 85, Linux 6.1.0-test\n"));
	assert_non_null(strstr(t, "probes: one thread streaming over 128.0 MiB, 3.0 s each; "
				  "tolerance 0.10\n"));
	assert_non_null(strstr(t, "node 0 -> 1        1      -           0.99        0.97\n"));
	/* The one off is marked. */
	assert_non_null(strstr(t, "node 1 -> 0        1      -           0.99        0.50 !\n"));
	assert_non_null(strstr(t, "node 0 -> 0        0      -           0.01        0.02\n"));
	assert_non_null(strstr(t, "  pmu          not_tested  inactive: no PMU\n"));
	assert_non_null(strstr(t, "  placement    fail        largest error 0.50 over 4 probes "
				  "(cpu_time+numa_maps)\n"));
	assert_non_null(strstr(t, "verdict: fail: a source is off by more than 0.10"));
	assert_null(strstr(t, "latency"));
	free(t);

	/* Latency lines where the PMU gives them; a probe that did not run. */
	two_nodes(r);
	r->src[NL_SRC_PMU].active = r->src[NL_SRC_PMU].testable = true;
	fig(&r->probes[0], NL_SRC_PMU, true, 0.98);
	r->probes[0].src[NL_SRC_PMU].latency_valid = true;
	r->probes[0].src[NL_SRC_PMU].latency = 412.4;
	r->probes[0].src[NL_SRC_PMU].samples = 2000;
	snprintf(r->probes[3].error, sizeof(r->probes[3].error), "not ready after 120 s");
	nl_st_conclude(r);
	t = text_of(r);
	assert_non_null(strstr(t, "node 0 -> 1        1      0.98        0.99        0.97\n"));
	assert_non_null(
		strstr(t, "node 1 -> 1        0      did not run: not ready after 120 s\n"));
	assert_non_null(strstr(t, "  node 0 -> 1  412 cycles (2000 samples)\n"));
	/* pmu gave nothing for probe 1 -> 0: no figure, marked. */
	assert_non_null(strstr(t, "node 1 -> 0        1      none !"));
	assert_non_null(strstr(t, "verdict: error: a probe did not run\n"));
	free(t);
	free(r);
}

static json_object *get(json_object *o, const char *path)
{
	char buf[128], *save = NULL, *key;

	snprintf(buf, sizeof(buf), "%s", path);
	for (key = strtok_r(buf, ".", &save); key && o; key = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, atoi(key));
		else if (!json_object_object_get_ex(o, key, &o))
			return NULL;
	}
	return o;
}

static void test_json(void **state)
{
	struct nl_st_result *r = calloc(1, sizeof(*r));
	json_object *doc;

	(void)state;
	two_nodes(r);
	nl_st_conclude(r);
	doc = nl_st_json(r);
	assert_string_equal(json_object_get_string(get(doc, "verdict")), "pass");
	assert_int_equal(json_object_get_int(get(doc, "exit_status")), 0);
	assert_int_equal(json_object_get_int(get(doc, "nodes")), 2);
	assert_string_equal(json_object_get_string(get(doc, "cpu.id")),
			    "GenuineIntel family 6 model 85");
	assert_int_equal(json_object_array_length(get(doc, "probes")), 4);
	assert_int_equal(json_object_get_int(get(doc, "probes.1.cpu_node")), 1);
	assert_int_equal(json_object_get_int(get(doc, "probes.1.mem_node")), 0);
	assert_true(json_object_get_double(get(doc, "probes.1.known_remote_share")) == 1);
	assert_true(json_object_get_double(get(doc, "probes.1.sources.placement.remote_share")) ==
		    0.97);
	assert_string_equal(
		json_object_get_string(get(doc, "probes.1.sources.hint_faults.verdict")), "pass");
	assert_int_equal(json_object_get_int(get(doc, "probes.1.sources.hint_faults.samples")),
			 16384);
	/* Not tested: no entry in the probe, the reason in the source. */
	assert_null(get(doc, "probes.1.sources.pmu"));
	assert_string_equal(json_object_get_string(get(doc, "sources.pmu.verdict")), "not_tested");
	assert_string_equal(json_object_get_string(get(doc, "sources.pmu.why_not_tested")),
			    "inactive: no PMU");
	assert_true(json_object_get_boolean(get(doc, "sources.placement.active")));
	assert_int_equal(json_object_get_int(get(doc, "sources.placement.probes")), 4);
	assert_true(json_object_get_boolean(get(doc, "remote_tested")));
	json_object_put(doc);

	two_nodes(r);
	r->nr_probes = nl_st_plan(0x1, 0x1, 6, r->probes, NL_ST_MAX_PROBES);
	fig(&r->probes[0], NL_SRC_PLACEMENT, true, 0);
	r->src[NL_SRC_HINT_FAULTS].active = r->src[NL_SRC_HINT_FAULTS].testable = false;
	r->remote_tested = false;
	snprintf(r->untested, sizeof(r->untested), "one NUMA node");
	nl_st_conclude(r);
	doc = nl_st_json(r);
	assert_string_equal(json_object_get_string(get(doc, "verdict")), "untestable");
	assert_int_equal(json_object_get_int(get(doc, "exit_status")), NL_ST_EXIT_UNTESTABLE);
	assert_string_equal(json_object_get_string(get(doc, "cannot_test")), "one NUMA node");
	json_object_put(doc);
	free(r);
}

static void test_cpu_id(void **state)
{
	static const char intel[] =
		"processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n"
		"model\t\t: 143\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\n"
		"stepping\t: 8\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\n";
	static const char arm[] = "processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\n"
				  "CPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\n";
	char id[96], name[128];

	(void)state;
	nl_cpu_id_parse(intel, id, sizeof(id), name, sizeof(name));
	/* "model" is not "model name": the key must end there. */
	assert_string_equal(id, "GenuineIntel family 6 model 143");
	assert_string_equal(name, "Intel(R) Xeon(R) Platinum 8480+");
	nl_cpu_id_parse(arm, id, sizeof(id), name, sizeof(name));
	assert_string_equal(id, "implementer 0x41 part 0xd0c");
	assert_string_equal(name, "");
	nl_cpu_id_parse("", id, sizeof(id), name, sizeof(name));
	assert_string_equal(id, "unknown");
}

static void test_state(void **state)
{
	struct nl_st_result *r = calloc(1, sizeof(*r));
	char dir[] = "/tmp/nl-selftest.XXXXXX", path[256], msg[512];
	struct nl_st_seen seen;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* A directory made on the way. */
	snprintf(path, sizeof(path), "%s/sub/selftest.json", dir);
	assert_int_equal(nl_st_lookup(path, "x", NL_SRC_PLACEMENT, &seen), 0);
	assert_false(seen.found);

	two_nodes(r);
	nl_st_conclude(r);
	assert_int_equal(nl_st_record(path, r, 1764979200, msg, sizeof(msg)), 0);
	assert_int_equal(nl_st_lookup(path, r->cpu_id, NL_SRC_PLACEMENT, &seen), 0);
	assert_true(seen.found && seen.passed);
	assert_int_equal(seen.when, 1764979200);
	assert_true(seen.max_error > 0.0299 && seen.max_error < 0.0301);
	assert_true(seen.tolerance == 0.1);
	assert_string_equal(seen.kernel, "6.1.0-test");
	/* Never tested: not recorded. Another CPU: nothing known. */
	assert_int_equal(nl_st_lookup(path, r->cpu_id, NL_SRC_PMU, &seen), 0);
	assert_false(seen.found);
	assert_int_equal(
		nl_st_lookup(path, "AuthenticAMD family 25 model 1", NL_SRC_PLACEMENT, &seen), 0);
	assert_false(seen.found);

	/* Another CPU model recorded later keeps the first; a failure is one. */
	snprintf(r->cpu_id, sizeof(r->cpu_id), "AuthenticAMD family 25 model 1");
	r->probes[0].src[NL_SRC_HINT_FAULTS].share = 0.4;
	nl_st_conclude(r);
	assert_int_equal(nl_st_record(path, r, 1764979300, msg, sizeof(msg)), 0);
	assert_int_equal(nl_st_lookup(path, r->cpu_id, NL_SRC_HINT_FAULTS, &seen), 0);
	assert_true(seen.found && !seen.passed);
	assert_int_equal(
		nl_st_lookup(path, "GenuineIntel family 6 model 85", NL_SRC_HINT_FAULTS, &seen), 0);
	assert_true(seen.found && seen.passed);

	/* Local probes only (one node): nothing recorded. */
	two_nodes(r);
	snprintf(r->cpu_id, sizeof(r->cpu_id), "one node cpu");
	r->remote_tested = false;
	nl_st_conclude(r);
	assert_int_equal(nl_st_record(path, r, 1764979400, msg, sizeof(msg)), 0);
	assert_int_equal(nl_st_lookup(path, "one node cpu", NL_SRC_PLACEMENT, &seen), 0);
	assert_false(seen.found);

	/* Not JSON: lookup says so; record starts it again. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{ not json", f);
	fclose(f);
	assert_int_equal(nl_st_lookup(path, "x", NL_SRC_PLACEMENT, &seen), -EINVAL);
	two_nodes(r);
	nl_st_conclude(r);
	assert_int_equal(nl_st_record(path, r, 1764979500, msg, sizeof(msg)), 0);
	assert_int_equal(nl_st_lookup(path, r->cpu_id, NL_SRC_PLACEMENT, &seen), 0);
	assert_true(seen.found && seen.when == 1764979500);

	/* A path under a file: said, not recorded. */
	snprintf(path, sizeof(path), "%s/sub/selftest.json/x/selftest.json", dir);
	assert_true(nl_st_record(path, r, 1764979600, msg, sizeof(msg)) < 0);
	assert_non_null(strstr(msg, "cannot"));
	assert_non_null(strstr(msg, dir));

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),	 cmocka_unit_test(test_judge),
		cmocka_unit_test(test_conclude), cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),	 cmocka_unit_test(test_cpu_id),
		cmocka_unit_test(test_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
