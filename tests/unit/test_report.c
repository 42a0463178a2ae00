// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots from sample tables, and the diagnosis report's JSON document,
 * parsed back and checked field by field.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "fixtures.h"
#include "model.h"
#include "report.h"
#include "sysstate.h"

#define MiB (1ull << 20)

static struct nl_topology topo;

static void two_nodes(void)
{
	memset(&topo, 0, sizeof(topo));
	topo.nr_node_ids = topo.nr_nodes = 2;
	topo.node_present = 3;
	topo.nr_cpu_ids = 4;
	topo.cpu_node[0] = topo.cpu_node[1] = 0;
	topo.cpu_node[2] = topo.cpu_node[3] = 1;
	topo.node_nr_cpus[0] = topo.node_nr_cpus[1] = 2;
	topo.node_mem_total[0] = topo.node_mem_total[1] = 1024 * MiB;
	topo.distance[0][0] = topo.distance[1][1] = 10;
	topo.distance[0][1] = topo.distance[1][0] = 20;
	topo.source = "test";
}

static long add(struct nl_sample_table *t, uint32_t pid, uint64_t start, uint64_t ns0, uint64_t ns1)
{
	long i = nl_sample_table_add(t, pid);

	assert_true(i >= 0);
	t->procs[i].start_time_ns = start;
	snprintf(t->procs[i].comm, sizeof(t->procs[i].comm), "p%u", pid);
	nl_sample_nodes(t, i)[0].cpu_ns = ns0;
	nl_sample_nodes(t, i)[1].cpu_ns = ns1;
	return i;
}

/* Differences for the same process; whole counts for a new one and for a
 * pid reused by another process (different start time). */
static void test_snapshot_deltas(void **state)
{
	struct nl_sample_table before, after;
	struct nl_snapshot snap;
	struct nl_proc_view *v;
	long i;

	two_nodes();
	nl_sample_table_init(&before, 2);
	nl_sample_table_init(&after, 2);
	before.taken_ns = 1000000000;
	after.taken_ns = 3000000000;
	i = add(&before, 10, 5, 1000000000, 0);
	before.procs[i].migrations = 7;
	nl_sample_nodes(&before, i)[1].pmu_remote = 5;
	add(&before, 20, 5, 500000000, 0);
	i = add(&after, 20, 6, 0, 200000000); /* pid 20 reused */
	i = add(&after, 10, 5, 1500000000, 250000000);
	after.procs[i].migrations = 10;
	after.procs[i].locality[0] = 4;
	nl_sample_nodes(&after, i)[1].pmu_remote = 12;
	add(&after, 30, 9, 0, 100000000); /* new */
	nl_sample_table_sort(&after);
	assert_int_equal(after.procs[0].pid, 10);
	assert_int_equal(after.procs[1].pid, 20);
	/* the node arrays moved with their processes */
	assert_int_equal(nl_sample_nodes(&after, 1)[1].cpu_ns, 200000000);

	assert_int_equal(nl_snapshot_build(&topo, &before, &after, &snap), 0);
	assert_true(snap.window_s > 1.999 && snap.window_s < 2.001);
	assert_int_equal(snap.nr, 3);
	v = nl_snapshot_find(&snap, 10);
	assert_non_null(v);
	assert_true(v->node[0].cpu_s > 0.4999 && v->node[0].cpu_s < 0.5001);
	assert_true(v->node[1].cpu_s > 0.2499 && v->node[1].cpu_s < 0.2501);
	assert_int_equal(v->migrations, 3);
	/* the per-node sampled loads too: numatop-lite's rates with the PMU */
	assert_int_equal(v->node[1].pmu_remote, 7);
	assert_int_equal(v->locality_remote, 4);
	v = nl_snapshot_find(&snap, 20);
	assert_true(v->node[1].cpu_s > 0.1999 && v->node[1].cpu_s < 0.2001);
	assert_true(v->node[0].cpu_s == 0);
	v = nl_snapshot_find(&snap, 30);
	assert_true(v->node[1].cpu_s > 0.0999 && v->node[1].cpu_s < 0.1001);
	nl_snapshot_free(&snap);
	nl_sample_table_free(&before);
	nl_sample_table_free(&after);
}

static void assert_vmstat(const struct nl_system *s, uint64_t hint_faults, uint64_t local,
			  uint64_t migrated, uint64_t pte_updates)
{
	assert_int_equal(s->numa_hint_faults, hint_faults);
	assert_int_equal(s->numa_hint_faults_local, local);
	assert_int_equal(s->numa_pages_migrated, migrated);
	assert_int_equal(s->numa_pte_updates, pte_updates);
}

static void test_vmstat_parse(void **state)
{
	const char text[] = "nr_free_pages 100\nnuma_hit 5\nnuma_hint_faults 1234\n"
			    "numa_hint_faults_local 1000\nnuma_pages_migrated 77\n"
			    "numa_hint_faults_localx 9\nnuma_pte_updates 4321";
	/* Values that are no count are skipped, not read as 2^64 - 1 or 12;
	 * nothing is read past len (no NUL after the digits there). */
	const char bad[] = "numa_hint_faults -1\nnuma_hint_faults_local 12x\n"
			   "numa_pages_migrated 18446744073709551616\nnuma_pte_updates  5\n"
			   "numa_pte_updates 42";
	struct nl_system s = { 0 };

	assert_int_equal(nl_vmstat_parse(text, sizeof(text) - 1, &s), 0);
	assert_vmstat(&s, 1234, 1000, 77, 4321);
	memset(&s, 0, sizeof(s));
	assert_int_equal(nl_vmstat_parse("pgfault 3\n", 10, &s), -ENOENT);
	assert_int_equal(nl_vmstat_parse(bad, sizeof(bad) - 2, &s), 0);
	assert_vmstat(&s, 0, 0, 0, 4);
	memset(&s, 0, sizeof(s));
	assert_int_equal(nl_vmstat_parse(bad, sizeof(bad) - 6, &s), -ENOENT);
}

/* The tier lines as 6.18 writes them; a kernel without one of them leaves
 * its bit out of present, so "0" and "not in this kernel" differ. */
static void test_vmstat_tiers(void **state)
{
	const char text[] = "pgpromote_success 512\npgpromote_candidate 2048\n"
			    "pgpromote_candidate_nrl 7\npgdemote_kswapd 30\npgdemote_direct 4\n"
			    "pgdemote_khugepaged 0\npgdemote_proactive 1\nnuma_pte_updates 9\n";
	const char old[] = "pgpromote_success 3\npgdemote_kswapd 2\npgdemote_direct 1\n";
	struct nl_system s = { 0 };

	assert_int_equal(nl_vmstat_parse(text, sizeof(text) - 1, &s), 0);
	assert_int_equal(s.pgpromote_success, 512);
	assert_int_equal(s.pgpromote_candidate, 2048);
	assert_int_equal(s.pgdemote_kswapd, 30);
	assert_int_equal(s.pgdemote_direct, 4);
	assert_int_equal(s.pgdemote_khugepaged, 0);
	assert_int_equal(s.pgdemote_proactive, 1);
	assert_int_equal(nl_system_demoted(&s), 35);
	assert_int_equal(s.present, 1U << NL_VM_PTE_UPDATES | 1U << NL_VM_PROMOTE_SUCCESS |
					    1U << NL_VM_PROMOTE_CANDIDATE |
					    1U << NL_VM_DEMOTE_KSWAPD | 1U << NL_VM_DEMOTE_DIRECT |
					    1U << NL_VM_DEMOTE_KHUGEPAGED |
					    1U << NL_VM_DEMOTE_PROACTIVE);
	memset(&s, 0, sizeof(s));
	assert_int_equal(nl_vmstat_parse(old, sizeof(old) - 1, &s), 0);
	assert_int_equal(s.present, 1U << NL_VM_PROMOTE_SUCCESS | 1U << NL_VM_DEMOTE_KSWAPD |
					    1U << NL_VM_DEMOTE_DIRECT);
	assert_int_equal(nl_system_demoted(&s), 3);
}

/* A snapshot of two processes: one remote and busy, one idle. */
struct fixture {
	struct nl_sample_table after;
	struct nl_snapshot snap;
};

/* Pages migrated by reason as the collector reads them: compaction and
 * demotion of this kernel's reasons. */
static void migrated(struct nl_system *s, uint64_t compaction, uint64_t demotion)
{
	s->nr_migrate_reasons = 2;
	snprintf(s->migrated[0].reason, sizeof(s->migrated[0].reason), "compaction");
	s->migrated[0].pages = compaction;
	snprintf(s->migrated[1].reason, sizeof(s->migrated[1].reason), "demotion");
	s->migrated[1].pages = demotion;
}

static struct fixture *make_fixture(void)
{
	static struct fixture f;
	struct nl_model_opts opts;
	struct nl_proc_view *v;
	long i;

	two_nodes();
	nl_sample_table_init(&f.after, 2);
	f.after.taken_ns = 5000000000;
	i = add(&f.after, 4321, 1, 4900000000, 0);
	f.after.procs[i].cross_node_migrations = 2;
	f.after.procs[i].migrations = 9;
	f.after.procs[i].numa_moves = 3;
	f.after.procs[i].nr_threads = 2;
	nl_sample_nodes(&f.after, i)[1].hint_remote = 5;
	add(&f.after, 99, 1, 0, 0);
	assert_int_equal(nl_snapshot_build(&topo, NULL, &f.after, &f.snap), 0);
	f.snap.window_s = 5.0;
	f.snap.sys_before.numa_balancing = f.snap.sys_after.numa_balancing = 1;
	f.snap.sys_before.numa_hint_faults = 100;
	f.snap.sys_after.numa_hint_faults = 150;
	f.snap.sys_before.present = f.snap.sys_after.present = 1U << NL_VM_PROMOTE_SUCCESS |
							       1U << NL_VM_DEMOTE_KSWAPD;
	f.snap.sys_before.pgpromote_success = 12;
	f.snap.sys_after.pgpromote_success = 42;
	f.snap.sys_before.pgdemote_proactive = 1; /* not in present: not read */
	migrated(&f.snap.sys_before, 1000, 7);
	migrated(&f.snap.sys_after, 1250, 7);
	nl_source_set(&f.snap.sources, NL_SRC_PMU, false, NULL, "no PMU");
	nl_source_set(&f.snap.sources, NL_SRC_HINT_FAULTS, true, "fentry", "ok");
	nl_source_set(&f.snap.sources, NL_SRC_PLACEMENT, true, "x", "always");
	v = nl_snapshot_find(&f.snap, 4321);
	v->node[1].mem_bytes = 64 * MiB;
	v->mem_known = true;
	nl_model_opts_default(&opts);
	nl_model_rank(&f.snap, &opts);
	return &f;
}

static void free_fixture(struct fixture *f)
{
	nl_snapshot_free(&f->snap);
	nl_sample_table_free(&f->after);
}

static json_object *round_trip(struct fixture *f, const struct nl_report_opts *o)
{
	json_object *doc = nl_report_json(&f->snap, o);
	const char *text = json_object_to_json_string(doc);
	json_object *parsed = json_tokener_parse(text);

	assert_non_null(parsed);
	json_object_put(doc);
	return parsed;
}

static void test_json_document(void **state)
{
	struct nl_report_opts o = { .top = 10 };
	struct fixture *f = make_fixture();
	json_object *doc = round_trip(f, &o), *p;

	assert_int_equal(json_object_array_length(json_get(doc, "topology.nodes")), 2);
	assert_int_equal(json_object_get_int(json_get(doc, "topology.nodes.1.id")), 1);
	assert_int_equal(json_object_get_int(json_get(doc, "topology.nodes.1.cpus.0")), 2);
	assert_int_equal(json_object_get_int(json_get(doc, "topology.nodes.1.cpus.1")), 3);
	assert_int_equal(json_object_get_int64(json_get(doc, "topology.nodes.0.memory_bytes")),
			 1024 * MiB);
	assert_int_equal(json_object_get_int(json_get(doc, "topology.distances.0.1")), 20);
	assert_int_equal(json_object_get_int(json_get(doc, "topology.distances.1.1")), 10);
	assert_false(json_object_get_boolean(json_get(doc, "sources.pmu.active")));
	assert_string_equal(json_object_get_string(json_get(doc, "sources.pmu.reason")), "no PMU");
	assert_string_equal(json_object_get_string(json_get(doc, "sources.hint_faults.method")),
			    "fentry");
	assert_true(json_object_get_boolean(json_get(doc, "system.numa_balancing")));
	assert_int_equal(json_object_get_int(json_get(doc, "system.numa_hint_faults")), 50);
	/* The tier lines over the window; null where the kernel has none. */
	assert_int_equal(json_object_get_int(json_get(doc, "system.pgpromote_success")), 30);
	assert_int_equal(json_object_get_int(json_get(doc, "system.pgdemote_kswapd")), 0);
	assert_true(json_object_object_get_ex(json_get(doc, "system"), "pgdemote_proactive", NULL));
	assert_null(json_get(doc, "system.pgdemote_proactive"));
	/* Over the window, every reason of the kernel's, none or not. */
	assert_int_equal(json_object_get_int(json_get(doc, "system.migrated_pages_by_reason."
							   "compaction")),
			 250);
	assert_int_equal(
		json_object_get_int(json_get(doc, "system.migrated_pages_by_reason.demotion")), 0);
	assert_int_equal(
		json_object_object_length(json_get(doc, "system.migrated_pages_by_reason")), 2);

	/* The idle process is left out of a ranking. */
	assert_int_equal(json_object_array_length(json_get(doc, "processes")), 1);
	p = json_get(doc, "processes.0");
	assert_int_equal(json_object_get_int(json_get(p, "pid")), 4321);
	assert_string_equal(json_object_get_string(json_get(p, "comm")), "p4321");
	assert_true(json_object_get_double(json_get(p, "cpu_seconds_by_node.0")) == 4.9);
	assert_true(json_object_get_double(json_get(p, "cpu_seconds_by_node.1")) == 0);
	assert_int_equal(json_object_get_int64(json_get(p, "memory_bytes_by_node.1")), 64 * MiB);
	assert_int_equal(json_object_get_int64(json_get(p, "memory_bytes_by_node.0")), 0);
	assert_true(json_object_get_double(json_get(p, "remote_ratio")) == 1.0);
	assert_string_equal(json_object_get_string(json_get(p, "remote_ratio_source")),
			    "placement");
	assert_int_equal(json_object_get_int(json_get(p, "migrations.total")), 9);
	assert_int_equal(json_object_get_int(json_get(p, "migrations.cross_node")), 2);
	assert_int_equal(json_object_get_int(json_get(p, "numa_balancing.moves")), 3);
	assert_int_equal(json_object_get_int(json_get(p, "hint_faults.remote")), 5);
	assert_int_equal(json_object_get_int(json_get(p, "hint_faults.local")), 0);
	assert_int_equal(json_object_get_int(json_get(p, "best_node")), 1);
	assert_true(json_object_get_boolean(json_get(p, "flagged")));
	assert_non_null(strstr(json_object_get_string(json_get(p, "finding")), "on node 1"));
	assert_string_equal(json_object_get_string(json_get(doc, "verdict")),
			    "1 process loses time to remote memory: pid 4321 (100% remote)");
	assert_int_equal(json_object_get_int(json_get(doc, "flagged_processes")), 1);
	json_object_put(doc);
	free_fixture(f);
}

/* --pid lists the processes asked for, idle or not, and only them. */
static void test_json_requested_pids(void **state)
{
	uint32_t pids[] = { 99 };
	struct nl_report_opts o = { .top = 10, .pids = pids, .nr_pids = 1 };
	struct fixture *f = make_fixture();
	json_object *doc = round_trip(f, &o);

	assert_int_equal(json_object_array_length(json_get(doc, "processes")), 1);
	assert_int_equal(json_object_get_int(json_get(doc, "processes.0.pid")), 99);
	assert_string_equal(json_object_get_string(json_get(doc, "processes.0.finding")),
			    "did not run in the window");
	/* The verdict is about the processes asked for. */
	assert_string_equal(json_object_get_string(json_get(doc, "verdict")),
			    "no process asked for loses time to remote memory");
	/* numa_maps was not read for it: the memory is unknown, not zero. */
	assert_true(json_object_is_type(json_get(doc, "processes.0.memory_bytes_by_node"),
					json_type_null));
	json_object_put(doc);
	free_fixture(f);
}

static void test_text_report(void **state)
{
	struct nl_report_opts o = { .top = 10 };
	struct fixture *f = make_fixture();
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	nl_report_text(out, &f->snap, &o);
	fclose(out);
	assert_memory_equal(buf,
			    "numalens diagnosis over 5.0 s\nverdict: 1 process loses time to "
			    "remote memory: pid 4321 (100% remote)\n\n",
			    strlen("numalens diagnosis over 5.0 s\nverdict: 1 process loses time "
				   "to remote memory: pid 4321 (100% remote)\n\n"));
	assert_non_null(strstr(buf, "Topology (test): 2 NUMA nodes, 4 CPUs"));
	assert_non_null(strstr(buf, "node 1:    1.0 GiB  cpus 2-3"));
	assert_non_null(strstr(buf, "pmu             inactive no PMU"));
	assert_non_null(strstr(buf, "50 hinting faults"));
	assert_non_null(strstr(buf, "\n  pages migrated for any reason in the window: compaction "
				    "250\n"));
	assert_non_null(strstr(buf, "!     4321 p4321              100% placement"));
	assert_null(strstr(buf, "p99 "));
	assert_null(strstr(buf, "Warning"));
	free(buf);
	free_fixture(f);
}

/* Events the BPF side dropped are said, with the kernel's reason. */
static void test_dropped_events(void **state)
{
	struct nl_report_opts o = { .top = 10 };
	struct fixture *f = make_fixture();
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	json_object *doc;

	f->snap.health.proc_node_full = 2;
	f->snap.health.map_refused = 1;
	f->snap.health.map_refused_errno = EBUSY;
	f->snap.health.pmu_short_reads = 3;
	nl_report_text(out, &f->snap, &o);
	fclose(out);
	assert_non_null(strstr(buf, "Warning: BPF maps were full (0 + 2 events dropped)"));
	assert_non_null(strstr(buf, "Warning: the kernel refused 1 BPF map updates with room "
				    "left (last: Device or resource busy)"));
	assert_non_null(strstr(buf,
			       "Warning: 3 reads of the memory samples overlapped CPUs passing "
			       "samples on, on every try"));
	doc = round_trip(f, &o);
	assert_int_equal(json_object_get_int(json_get(doc, "health.map_updates_refused")), 1);
	assert_int_equal(json_object_get_int(json_get(doc, "health.map_update_refused_errno")),
			 EBUSY);
	assert_int_equal(json_object_get_int(json_get(doc, "health.proc_node_map_full")), 2);
	assert_int_equal(json_object_get_int(json_get(doc, "health.pmu_short_reads")), 3);
	json_object_put(doc);
	free(buf);
	free_fixture(f);
}

/* The last change of a process listed, from its pin record (the caller
 * matched pid and start time): a line under it, and last_change in the
 * JSON; null for the others. */
static void test_last_change(void **state)
{
	struct nl_pin_record pin = {
		.pid = 4321,
		.start = 1,
		.comm = "p4321",
		.target = { 0xc },
		.original = { 0x3 },
		.moved_from = 0x1,
		.moved_to = 0x2,
		.applied = 1764979200,
		.verified = { .result = NL_VERIFY_GAIN,
			      .window_ms = 3000,
			      .has_remote = true,
			      .source = NL_SRC_PLACEMENT,
			      .remote_ppm = { 999881, 119 } },
	};
	uint32_t pids[] = { 4321, 99 };
	struct nl_report_opts o = {
		.top = 10,
		.pids = pids,
		.nr_pids = 2,
		.pins = &pin,
		.nr_pins = 1,
		.now = 1764979200 + 303,
	};
	struct fixture *f = make_fixture();
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	json_object *doc;

	nl_report_text(out, &f->snap, &o);
	fclose(out);
	assert_non_null(strstr(buf, "\n           last change: pinned to CPUs 2-3 (from 0-1) 5m 3s "
				    "ago, pages moved from node 0 to 1; verified gain over 3.0 s: "
				    "remote share 1.00 -> 0.00 (placement)\n"));
	/* Once: the idle process has none. */
	assert_null(strstr(strstr(buf, "last change") + 1, "last change"));
	doc = round_trip(f, &o);
	assert_int_equal(json_object_get_int(json_get(doc, "processes.0.pid")), 4321);
	assert_string_equal(
		json_object_get_string(json_get(doc, "processes.0.last_change.target_cpus")),
		"2-3");
	assert_int_equal(json_object_get_int(json_get(doc, "processes.0.last_change.age_seconds")),
			 303);
	assert_string_equal(
		json_object_get_string(json_get(doc, "processes.0.last_change.verified.result")),
		"gain");
	assert_true(json_object_get_double(json_get(
			    doc, "processes.0.last_change.verified.remote_share.before")) ==
		    0.999881);
	assert_int_equal(json_object_get_int(
				 json_get(doc, "processes.0.last_change.memory_moved.to_nodes.0")),
			 1);
	assert_true(json_object_is_type(json_get(doc, "processes.1.last_change"), json_type_null));
	json_object_put(doc);
	free(buf);
	free_fixture(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_deltas),	    cmocka_unit_test(test_vmstat_parse),
		cmocka_unit_test(test_vmstat_tiers),	    cmocka_unit_test(test_json_document),
		cmocka_unit_test(test_json_requested_pids), cmocka_unit_test(test_text_report),
		cmocka_unit_test(test_dropped_events),	    cmocka_unit_test(test_last_change),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
