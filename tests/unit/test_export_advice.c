// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's suggestions and auto-pin metrics: a process on node 0 with
 * its memory on node 1 (this test process, so its limits come from the real
 * /proc) gets numalens_process_suggestion_info with action affinity on node
 * 1; one under the thresholds, a process grouped by comm, and one whose pid
 * names another process get none; the auto-pin families show the counters
 * and are there (at 0) when auto-pin is off.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "fixtures.h"
#include "advisor.h"
#include "agent.h"
#include "autopin.h"
#include "export.h"

#define NODES 2

static struct nl_topology topo;
static struct nl_proc_view procs[4];
static struct nl_node_stat stats[4][NODES];
static struct nl_snapshot snap;
static struct nl_advisor_opts opts;
static struct nl_advisor_memory memory;

/* Two nodes of one CPU each: CPU 0 on node 0, CPU 1 on node 1. */
static int reset(void **state)
{
	int c;

	nl_snapshot_drop_advice(&snap);
	memset(&topo, 0, sizeof(topo));
	for (c = 0; c < NL_MAX_CPUS; c++)
		topo.cpu_node[c] = -1;
	topo.nr_node_ids = topo.nr_nodes = NODES;
	topo.nr_cpu_ids = NODES;
	for (c = 0; c < NODES; c++) {
		topo.node_present |= 1ull << c;
		topo.node_nr_cpus[c] = 1;
		topo.node_mem_total[c] = 1024 * MIB;
		topo.node_mem_free[c] = 512 * MIB;
		topo.cpu_node[c] = c;
		topo.node_cpus[c][0] = 1ull << c;
		topo.distance[c][0] = c == 0 ? 10 : 20;
		topo.distance[c][1] = c == 1 ? 10 : 20;
	}
	topo.source = "test";
	memset(procs, 0, sizeof(procs));
	memset(stats, 0, sizeof(stats));
	memset(&snap, 0, sizeof(snap));
	snap.topo = &topo;
	snap.nr_nodes = NODES;
	snap.window_s = 1.0;
	snap.procs = procs;
	nl_advisor_opts_default(&opts);
	nl_advisor_memory_free(&memory);
	memset(&memory, 0, sizeof(memory));
	return 0;
}

/* A process busy on node 0's CPU for cpu seconds, mem0/mem1 MiB on each node. */
static struct nl_proc_view *add(uint32_t pid, const char *comm, double cpu, uint64_t mem0,
				uint64_t mem1)
{
	struct nl_proc_view *v = &procs[snap.nr];

	v->node = stats[snap.nr];
	snap.nr++;
	v->pid = pid;
	v->nr_threads = 1;
	snprintf(v->comm, sizeof(v->comm), "%s", comm);
	v->node[0].cpu_s = cpu;
	v->node[0].mem_bytes = mem0 * MIB;
	v->node[1].mem_bytes = mem1 * MIB;
	v->mem_known = true;
	nl_model_evaluate(v, NODES, &topo, snap.window_s, &opts.thresholds);
	return v;
}

/* A refresh's advice step as the exporter's agent is set up to run it (the
 * processes over the thresholds, hysteresis in memory), then the series. */
static void advise(struct nl_export *e)
{
	struct nl_agent_opts a;

	nl_agent_opts_default(&a);
	a.model = opts.thresholds;
	nl_export_agent_advice(&e->opts, &a);
	assert_true(a.advice_remember);
	assert_int_equal(nl_snapshot_advise(&snap, &a.advice, a.pids, a.nr_pids, &memory), 0);
	nl_export_advise(e, &snap);
}

static struct nl_export *new_export(enum nl_export_group_by by)
{
	struct nl_export_opts o;
	struct nl_export *e;

	nl_export_opts_default(&o);
	o.group_by = by;
	o.cgroup_labels = false;
	assert_int_equal(nl_export_new(&o, NODES, &e), 0);
	return e;
}

static char *render(const struct nl_export *e, const struct nl_autopin_counters *c, bool dry)
{
	struct nl_export_host h = { .topo = &topo, .autopin = c, .autopin_dry_run = dry };
	struct nl_buf b;

	nl_buf_init(&b);
	nl_export_render(e, &h, &b);
	assert_false(b.failed);
	nl_buf_add(&b, "", 1);
	return b.data;
}

static void assert_has(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("the metrics lack '%s'", part);
}

static void assert_lacks(const char *text, const char *part)
{
	if (strstr(text, part))
		fail_msg("the metrics have '%s'", part);
}

/* The advice uses this process's real affinity: it must allow CPU 1. */
static bool may_run_on_cpu1(void)
{
	cpu_set_t set;

	return !sched_getaffinity(0, sizeof(set), &set) && CPU_ISSET(1, &set);
}

static void test_suggestion_per_pid(void **state)
{
	struct nl_export *e;
	char line[256], *text;

	if (!may_run_on_cpu1())
		skip_because("this process may not run on CPU 1 (node 1 of the fake topology)");
	e = new_export(NL_EXPORT_BY_PID);

	/* This process: threads on node 0, memory on node 1, remote. */
	add((uint32_t)getpid(), "worker", 1.0, 0, 128)->remote_ratio = 1.0;
	/* Busy and remote but tiny: under --min-rss. */
	add(999999, "tiny", 1.0, 0, 1);
	assert_int_equal(nl_export_update(e, &snap, 1.0), 0);
	advise(e);
	text = render(e, NULL, false);
	snprintf(line, sizeof(line),
		 "numalens_process_suggestion_info{pid=\"%d\",comm=\"worker\",action=\"affinity\","
		 "numa_nodes=\"1\"} 1\n",
		 getpid());
	assert_has(text, line);
	snprintf(line, sizeof(line),
		 "numalens_process_suggestion_remote_ratio{pid=\"%d\",comm=\"worker\"} 0\n",
		 getpid());
	assert_has(text, line);
	snprintf(line, sizeof(line),
		 "numalens_process_suggestion_move_bytes{pid=\"%d\",comm=\"worker\"} 0\n",
		 getpid());
	assert_has(text, line);
	assert_lacks(text, "numalens_process_suggestion_info{pid=\"999999\"");
	free(text);

	/* Local now (its memory moved to node 0): the suggestion goes. */
	stats[0][0].mem_bytes = 128 * MIB;
	stats[0][1].mem_bytes = 0;
	procs[0].remote_ratio = 0;
	nl_model_evaluate(&procs[0], NODES, &topo, snap.window_s, &opts.thresholds);
	assert_int_equal(nl_export_update(e, &snap, 2.0), 0);
	advise(e);
	text = render(e, NULL, false);
	assert_lacks(text, "numalens_process_suggestion_info{");
	assert_has(text, "# TYPE numalens_process_suggestion_info gauge\n");
	free(text);
	nl_export_free(e);
	nl_advisor_memory_free(&memory);
}

/* A pid that names another process than the snapshot's (its start time is
 * not this process's): no suggestion, nothing read about the wrong one. */
static void test_suggestion_reused_pid(void **state)
{
	struct nl_export *e = new_export(NL_EXPORT_BY_PID);
	char *text;
	struct nl_proc_view *v = add((uint32_t)getpid(), "worker", 1.0, 0, 128);

	v->remote_ratio = 1.0;
	v->start_time_ns = 1; /* booted a nanosecond before it: not this process */
	assert_int_equal(nl_export_update(e, &snap, 1.0), 0);
	advise(e);
	text = render(e, NULL, false);
	assert_lacks(text, "numalens_process_suggestion_info{");
	free(text);
	nl_export_free(e);
	nl_advisor_memory_free(&memory);
}

static void test_no_suggestion_for_groups(void **state)
{
	struct nl_export *e = new_export(NL_EXPORT_BY_COMM);
	char *text;

	add((uint32_t)getpid(), "worker", 1.0, 0, 128)->remote_ratio = 1.0;
	assert_int_equal(nl_export_update(e, &snap, 1.0), 0);
	advise(e);
	text = render(e, NULL, false);
	assert_has(text, "numalens_process_threads{comm=\"worker\"} 1\n");
	assert_lacks(text, "numalens_process_suggestion_info{");
	free(text);
	nl_export_free(e);
	nl_advisor_memory_free(&memory);
}

static void test_autopin_families(void **state)
{
	struct nl_autopin_counters c = { .actions = 3,
					 .partial = 5,
					 .dry_runs = 0,
					 .failures = 1,
					 .refused = 2,
					 .rate_limited = 7,
					 .not_allowed = 4,
					 .pages_not_moved = 11,
					 .threads_changed = 12 };
	struct nl_export *e = new_export(NL_EXPORT_BY_PID);
	char *text = render(e, NULL, false);

	/* Off: every family, at 0. */
	assert_has(text, "numalens_autopin_enabled 0\n");
	assert_has(text, "numalens_autopin_actions_total{result=\"applied\"} 0\n");
	assert_has(text, "numalens_autopin_held_total{reason=\"not_allowed\"} 0\n");
	free(text);

	text = render(e, &c, true);
	assert_has(text, "numalens_autopin_enabled 1\n");
	assert_has(text, "numalens_autopin_dry_run 1\n");
	assert_has(text, "numalens_autopin_actions_total{result=\"applied\"} 3\n");
	assert_has(text, "numalens_autopin_actions_total{result=\"dry_run\"} 0\n");
	assert_has(text, "numalens_autopin_actions_total{result=\"partial\"} 5\n");
	assert_has(text, "numalens_autopin_actions_total{result=\"failed\"} 1\n");
	assert_has(text, "numalens_autopin_actions_total{result=\"refused\"} 2\n");
	assert_has(text, "numalens_autopin_held_total{reason=\"rate_limit\"} 7\n");
	assert_has(text, "numalens_autopin_held_total{reason=\"not_allowed\"} 4\n");
	assert_has(text, "numalens_autopin_threads_changed_total 12\n");
	assert_has(text, "numalens_autopin_pages_not_moved_total 11\n");
	assert_has(text, "numalens_autopin_verifications_total{result=\"gain\"} 0\n");
	assert_has(text, "numalens_autopin_rolled_back_total 0\n");
	assert_has(text, "numalens_autopin_remote_share_change_bucket{le=\"+Inf\"} 0\n");
	free(text);

	/* Two verifications: one gain (-0.9), one no_gain (+0.02) rolled back. */
	c.verified[NL_VERIFY_GAIN] = 1;
	c.verified[NL_VERIFY_NO_GAIN] = 1;
	c.verified[NL_VERIFY_UNDONE] = 3;
	c.rolled_back = 1;
	c.rollback_failed = 2;
	c.change_buckets[0] = 1; /* -0.8 */
	c.change_buckets[6] = 1; /* 0 */
	c.change_buckets[7] = 2; /* 0.05 */
	c.change_count = 2;
	c.change_sum = -0.88;
	text = render(e, &c, false);
	assert_has(text, "# TYPE numalens_autopin_remote_share_change histogram\n");
	assert_has(text, "numalens_autopin_verifications_total{result=\"gain\"} 1\n");
	assert_has(text, "numalens_autopin_verifications_total{result=\"no_gain\"} 1\n");
	assert_has(text, "numalens_autopin_verifications_total{result=\"slower\"} 0\n");
	assert_has(text, "numalens_autopin_verifications_total{result=\"gone\"} 0\n");
	assert_has(text, "numalens_autopin_verifications_total{result=\"undone\"} 3\n");
	assert_lacks(text, "result=\"none\"");
	assert_has(text, "numalens_autopin_rolled_back_total 1\n");
	assert_has(text, "numalens_autopin_rollback_failures_total 2\n");
	assert_has(text, "numalens_autopin_remote_share_change_bucket{le=\"-0.8\"} 1\n");
	assert_has(text, "numalens_autopin_remote_share_change_bucket{le=\"-0.05\"} 0\n");
	assert_has(text, "numalens_autopin_remote_share_change_bucket{le=\"0\"} 1\n");
	assert_has(text, "numalens_autopin_remote_share_change_bucket{le=\"0.05\"} 2\n");
	assert_has(text, "numalens_autopin_remote_share_change_bucket{le=\"+Inf\"} 2\n");
	assert_has(text, "numalens_autopin_remote_share_change_sum -0.88\n");
	assert_has(text, "numalens_autopin_remote_share_change_count 2\n");
	free(text);
	nl_export_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_suggestion_per_pid, reset),
		cmocka_unit_test_setup(test_suggestion_reused_pid, reset),
		cmocka_unit_test_setup(test_no_suggestion_for_groups, reset),
		cmocka_unit_test_setup(test_autopin_families, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
