// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's series on hand-made snapshots: the busiest processes get
 * series and the rest go to other, counters never go down and add up to
 * what was fed, exited processes and reused pids, grouping by comm and by
 * cgroup, the allowlists, hysteresis, the remote ratio of a group.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "export.h"

#define NODES 2
#define MAXP 64

/* A snapshot built by hand, one window. */
struct window {
	struct nl_snapshot snap;
	struct nl_proc_view procs[MAXP];
	struct nl_node_stat nodes[MAXP][NODES];
};

static void window_init(struct window *w, double seconds)
{
	memset(w, 0, sizeof(*w));
	w->snap.nr_nodes = NODES;
	w->snap.window_s = seconds;
	w->snap.procs = w->procs;
}

/* A process that ran cpu0 + cpu1 seconds; its ratio from placement. */
static struct nl_proc_view *proc(struct window *w, uint32_t pid, uint64_t start, const char *comm,
				 double cpu0, double cpu1)
{
	struct nl_proc_view *v = &w->procs[w->snap.nr];

	assert_true(w->snap.nr < MAXP);
	v->node = w->nodes[w->snap.nr];
	w->snap.nr++;
	v->pid = pid;
	v->start_time_ns = start;
	v->nr_threads = 1;
	snprintf(v->comm, sizeof(v->comm), "%s", comm);
	v->node[0].cpu_s = cpu0;
	v->node[1].cpu_s = cpu1;
	v->cpu_s = cpu0 + cpu1;
	v->source = NL_SRC_PLACEMENT;
	v->placement.valid = v->cpu_s > 0;
	return v;
}

static struct nl_export *new_export(enum nl_export_group_by by, unsigned int max)
{
	struct nl_export_opts o;
	struct nl_export *e;

	nl_export_opts_default(&o);
	o.group_by = by;
	o.max_processes = max;
	o.cgroup_labels = false;
	assert_int_equal(nl_export_new(&o, NODES, &e), 0);
	return e;
}

static const struct nl_export_group *group(const struct nl_export *e, const char *key)
{
	const struct nl_export_group *g = nl_export_find(e, key);

	if (!g)
		fail_msg("no group %s", key);
	return g;
}

static double cpu(const struct nl_export_group *g)
{
	return g->s ? g->s->acc.cpu_s[0] + g->s->acc.cpu_s[1] : 0;
}

static bool selected(const struct nl_export *e, const char *key)
{
	size_t i;

	for (i = 0; i < e->nr_selected; i++)
		if (!strcmp(e->selected[i]->key, key))
			return true;
	return false;
}

static void test_top_and_other(void **state)
{
	struct nl_export *e = new_export(NL_EXPORT_BY_PID, 2);
	struct window w;

	window_init(&w, 1);
	proc(&w, 10, 1, "a", 0.1, 0);
	proc(&w, 11, 1, "b", 0.5, 0);
	proc(&w, 12, 1, "c", 0.3, 0.1);
	proc(&w, 13, 1, "d", 0, 0.2);
	proc(&w, 14, 1, "idle", 0, 0);
	assert_int_equal(nl_export_update(e, &w.snap, 1), 0);
	assert_int_equal(e->nr_selected, 2);
	/* Sorted by pid, the two busiest. */
	assert_string_equal(e->selected[0]->key, "11");
	assert_string_equal(e->selected[1]->key, "12");
	assert_int_equal(e->folded, 3);
	assert_int_equal(e->tracked, 5);
	assert_float_equal(cpu(group(e, "11")), 0.5, 1e-9);
	assert_float_equal(group(e, "12")->s->acc.cpu_s[1], 0.1, 1e-9);
	assert_float_equal(e->other.s->acc.cpu_s[0], 0.1, 1e-9);
	assert_float_equal(e->other.s->acc.cpu_s[1], 0.2, 1e-9);
	assert_int_equal(e->other.members, 3);
	assert_string_equal(group(e, "11")->s->labels, "pid=\"11\",comm=\"b\"");
	nl_export_free(e);
}

/* An idle process gets no series even with room to spare. */
static void test_idle_not_selected(void **state)
{
	struct nl_export *e = new_export(NL_EXPORT_BY_PID, 50);
	struct window w;

	window_init(&w, 1);
	proc(&w, 10, 1, "busy", 0.1, 0);
	proc(&w, 11, 1, "idle", 0, 0);
	assert_int_equal(nl_export_update(e, &w.snap, 1), 0);
	assert_int_equal(e->nr_selected, 1);
	assert_true(selected(e, "10"));
	assert_int_equal(e->folded, 1);
	nl_export_free(e);
}

/* Random windows: every series's counters only grow, and own + other add
 * up to everything fed, whatever moves in and out of the top. */
static void test_counters_monotonic_and_conserved(void **state)
{
	struct nl_export *e = new_export(NL_EXPORT_BY_PID, 3);
	double last[20] = { 0 }, last_other = 0, fed = 0;
	uint64_t last_mig[20] = { 0 }, fed_mig = 0;
	unsigned int seed = 42;
	int round, i;

	for (round = 0; round < 200; round++) {
		struct window w;
		double total = 0;
		uint64_t mig = 0;
		size_t k;

		window_init(&w, 1);
		for (i = 0; i < 20; i++) {
			struct nl_proc_view *v;
			double c = (rand_r(&seed) % 1000) / 1000.0;
			char comm[8];

			snprintf(comm, sizeof(comm), "p%d", i);
			v = proc(&w, 100 + i, 1, comm, c, c / 2);
			v->migrations = rand_r(&seed) % 5;
			fed += c * 1.5;
			fed_mig += v->migrations;
		}
		assert_int_equal(nl_export_update(e, &w.snap, round), 0);
		assert_true(e->nr_selected <= 3);
		for (k = 0; k < e->nr_selected; k++) {
			const struct nl_export_group *g = e->selected[k];
			int idx = g->pid - 100;

			assert_true(cpu(g) >= last[idx] - 1e-9);
			assert_true(g->s->acc.migrations_same >= last_mig[idx]);
			last[idx] = cpu(g);
			last_mig[idx] = g->s->acc.migrations_same;
		}
		assert_true(cpu(&e->other) >= last_other - 1e-9);
		last_other = cpu(&e->other);
		/* Conservation: groups keep their counters while they exist. */
		total = cpu(&e->other);
		mig = e->other.s->acc.migrations_same;
		for (i = 0; i < 20; i++) {
			char key[8];

			snprintf(key, sizeof(key), "%d", 100 + i);
			total += cpu(group(e, key));
			mig += group(e, key)->s ? group(e, key)->s->acc.migrations_same : 0;
		}
		assert_float_equal(total, fed, 1e-6);
		assert_int_equal(mig, fed_mig);
	}
	nl_export_free(e);
}

/* An exiting process's last window is counted, then its series goes. */
static void test_exited_disappears(void **state)
{
	struct nl_export *e = new_export(NL_EXPORT_BY_PID, 5);
	struct window w;

	window_init(&w, 1);
	proc(&w, 10, 1, "short", 0.5, 0);
	proc(&w, 11, 1, "long", 0.5, 0);
	assert_int_equal(nl_export_update(e, &w.snap, 1), 0);
	window_init(&w, 1);
	proc(&w, 10, 1, "short", 0.25, 0)->exited = true;
	proc(&w, 11, 1, "long", 0.5, 0);
	assert_int_equal(nl_export_update(e, &w.snap, 2), 0);
	assert_true(selected(e, "10"));
	assert_float_equal(cpu(group(e, "10")), 0.75, 1e-9);
	window_init(&w, 1);
	proc(&w, 11, 1, "long", 0.5, 0);
	assert_int_equal(nl_export_update(e, &w.snap, 3), 0);
	assert_null(nl_export_find(e, "10"));
	assert_false(selected(e, "10"));
	assert_int_equal(e->nr_selected, 1);
	assert_int_equal(e->procs.nr, 1);
	nl_export_free(e);
}

/* The same pid with another start time is another process: from zero. */
static void test_pid_reuse(void **state)
{
	struct nl_export *e = new_export(NL_EXPORT_BY_PID, 5);
	struct window w;

	window_init(&w, 1);
	proc(&w, 10, 1, "first", 0.5, 0);
	assert_int_equal(nl_export_update(e, &w.snap, 1), 0);
	window_init(&w, 1);
	proc(&w, 10, 2, "second", 0.125, 0);
	assert_int_equal(nl_export_update(e, &w.snap, 2), 0);
	assert_float_equal(cpu(group(e, "10")), 0.125, 1e-9);
	assert_string_equal(group(e, "10")->comm, "second");
	assert_string_equal(group(e, "10")->s->labels, "pid=\"10\",comm=\"second\"");
	nl_export_free(e);
}

static void test_group_by_comm(void **state)
{
	struct nl_export *e = new_export(NL_EXPORT_BY_COMM, 1);
	struct window w;

	window_init(&w, 1);
	proc(&w, 10, 1, "web", 0.25, 0);
	proc(&w, 11, 1, "web", 0.25, 0);
	proc(&w, 12, 1, "web", 0, 0.25);
	proc(&w, 13, 1, "db", 0.5, 0);
	/* A real command named other never gets the folded series' name. */
	proc(&w, 14, 1, "other", 2, 0);
	assert_int_equal(nl_export_update(e, &w.snap, 1), 0);
	assert_int_equal(e->nr_selected, 1);
	assert_string_equal(e->selected[0]->key, "web");
	assert_string_equal(e->selected[0]->s->labels, "comm=\"web\"");
	assert_int_equal(e->selected[0]->members, 3);
	assert_int_equal(e->selected[0]->threads, 3);
	assert_float_equal(cpu(e->selected[0]), 0.75, 1e-9);
	assert_float_equal(cpu(&e->other), 2.5, 1e-9);
	assert_int_equal(e->folded, 2);
	nl_export_free(e);
}

/* Paths by pid, for the cgroup tests; counts reads. */
static int reads;
static int fake_cgroup(void *ctx, uint32_t pid, char *path, size_t size)
{
	reads++;
	if (pid == 99)
		return -ENOENT;
	if (pid >= 20)
		snprintf(path, size,
			 "/kubepods.slice/kubepods-pod11111111_2222_3333_4444_555555555555.slice/"
			 "cri-containerd-%064x.scope",
			 pid);
	else
		snprintf(path, size, "/system.slice/svc%u.service", pid % 2);
	return 0;
}

static void test_group_by_cgroup(void **state)
{
	struct nl_export_opts o;
	struct nl_export *e;
	struct window w;
	char key[160];

	nl_export_opts_default(&o);
	o.group_by = NL_EXPORT_BY_CGROUP;
	o.read_cgroup = fake_cgroup;
	assert_int_equal(nl_export_new(&o, NODES, &e), 0);
	window_init(&w, 1);
	proc(&w, 10, 1, "a", 0.25, 0);
	proc(&w, 12, 1, "b", 0.25, 0);
	proc(&w, 11, 1, "c", 0.5, 0);
	proc(&w, 20, 1, "pod", 1, 0);
	proc(&w, 99, 1, "gone", 0.5, 0);
	assert_int_equal(nl_export_update(e, &w.snap, 1), 0);
	assert_int_equal(e->nr_selected, 4);
	assert_float_equal(cpu(group(e, "/system.slice/svc0.service")), 0.5, 1e-9);
	assert_string_equal(group(e, "/system.slice/svc1.service")->s->labels,
			    "cgroup=\"/system.slice/svc1.service\"");
	snprintf(key, sizeof(key),
		 "/kubepods.slice/kubepods-pod11111111_2222_3333_4444_555555555555.slice/"
		 "cri-containerd-%064x.scope",
		 20);
	assert_string_equal(group(e, key)->s->pod_uid, "11111111-2222-3333-4444-555555555555");
	assert_int_equal(strlen(group(e, key)->s->container_id), 64);
	assert_non_null(strstr(group(e, key)->s->labels, ",container_id=\"0000"));
	/* A process whose cgroup could not be read: a series of its own kind. */
	assert_string_equal(group(e, "")->s->labels, "cgroup=\"unknown\"");
	nl_export_free(e);
}

/* By pid, cgroups are read for the processes with series only, then
 * again only after an exec or a minute. */
static void test_cgroup_reads_bounded(void **state)
{
	struct nl_export_opts o;
	struct nl_export *e;
	struct window w;
	int i;

	nl_export_opts_default(&o);
	o.max_processes = 2;
	o.read_cgroup = fake_cgroup;
	assert_int_equal(nl_export_new(&o, NODES, &e), 0);
	reads = 0;
	window_init(&w, 1);
	for (i = 0; i < 30; i++)
		proc(&w, 30 + i, 1, "x", i == 3 || i == 4 ? 1 : 0.001, 0);
	assert_int_equal(nl_export_update(e, &w.snap, 1), 0);
	assert_int_equal(reads, 2);
	assert_non_null(strstr(group(e, "33")->s->labels, "cgroup=\"/kubepods.slice/"));
	assert_non_null(strstr(group(e, "33")->s->labels, "pod_uid=\"11111111-2222-"));
	assert_int_equal(nl_export_update(e, &w.snap, 2), 0);
	assert_int_equal(reads, 2);
	snprintf(w.procs[3].comm, sizeof(w.procs[3].comm), "exec'd");
	assert_int_equal(nl_export_update(e, &w.snap, 3), 0);
	assert_int_equal(reads, 3);
	assert_int_equal(nl_export_update(e, &w.snap, 3 + NL_EXPORT_CGROUP_MAX_AGE), 0);
	assert_int_equal(reads, 5);
	nl_export_free(e);
}

static void test_allowlists(void **state)
{
	const char *comm[] = { "db*" }, *cg[] = { "/system.slice/svc1.*" };
	struct nl_export_opts o;
	struct nl_export *e;
	struct window w;

	nl_export_opts_default(&o);
	o.max_processes = 1;
	o.allow_comm = comm;
	o.nr_allow_comm = 1;
	o.allow_cgroup = cg;
	o.nr_allow_cgroup = 1;
	o.read_cgroup = fake_cgroup;
	assert_int_equal(nl_export_new(&o, NODES, &e), 0);
	window_init(&w, 1);
	proc(&w, 2, 1, "busy", 1, 0);	    /* svc0: the top one */
	proc(&w, 4, 1, "dbwriter", 0, 0);   /* idle, allowed by comm */
	proc(&w, 5, 1, "worker", 0.001, 0); /* svc1: allowed by cgroup */
	proc(&w, 6, 1, "busy2", 0.5, 0);    /* svc0: beyond the top */
	assert_int_equal(nl_export_update(e, &w.snap, 1), 0);
	assert_int_equal(e->nr_selected, 3);
	assert_true(selected(e, "2"));
	assert_true(selected(e, "4"));
	assert_true(selected(e, "5"));
	assert_false(selected(e, "6"));
	assert_int_equal(e->folded, 1);
	nl_export_free(e);
}

/* A series keeps its place against a newcomer up to the bonus. */
static void test_hysteresis(void **state)
{
	struct nl_export *e = new_export(NL_EXPORT_BY_PID, 1);
	struct window w;

	window_init(&w, 1);
	proc(&w, 1, 1, "a", 1, 0);
	proc(&w, 2, 1, "b", 0, 0);
	assert_int_equal(nl_export_update(e, &w.snap, 1), 0); /* a 0.5, b 0 */
	assert_true(selected(e, "1"));
	window_init(&w, 1);
	proc(&w, 1, 1, "a", 1, 0);
	proc(&w, 2, 1, "b", 1.6, 0);
	assert_int_equal(nl_export_update(e, &w.snap, 2), 0); /* a 0.75 x 1.25, b 0.8 */
	assert_true(selected(e, "1"));
	assert_false(selected(e, "2"));
	assert_int_equal(nl_export_update(e, &w.snap, 3), 0); /* a 0.875 x 1.25, b 1.2 */
	assert_false(selected(e, "1"));
	assert_true(selected(e, "2"));
	/* b's series counts from when it got one; its earlier windows went to other. */
	assert_float_equal(cpu(group(e, "2")), 1.6, 1e-9);
	assert_float_equal(cpu(&e->other), 2.6, 1e-9); /* b before, a now */
	nl_export_free(e);
}

/* A group's ratio is the CPU-weighted mean of its processes'; it stays
 * when the group does not run; sources that differ make it mixed. */
static void test_group_ratio(void **state)
{
	struct nl_export *e = new_export(NL_EXPORT_BY_COMM, 5);
	struct nl_proc_view *v;
	struct window w;

	window_init(&w, 1);
	v = proc(&w, 1, 1, "app", 1, 0);
	v->remote_ratio = 1;
	v = proc(&w, 2, 1, "app", 3, 0);
	v->remote_ratio = 0;
	v = proc(&w, 3, 1, "mix", 1, 0);
	v->remote_ratio = 0.5;
	v = proc(&w, 4, 1, "mix", 1, 0);
	v->remote_ratio = 0.25;
	v->source = NL_SRC_HINT_FAULTS;
	v->hint.valid = true;
	/* An invalid ratio (no memory known) counts for nothing. */
	v = proc(&w, 5, 1, "mix", 2, 0);
	v->remote_ratio = 0;
	v->placement.valid = false;
	assert_int_equal(nl_export_update(e, &w.snap, 1), 0);
	assert_true(group(e, "app")->ratio_valid);
	assert_float_equal(group(e, "app")->ratio, 0.25, 1e-9);
	assert_int_equal(group(e, "app")->ratio_source, NL_SRC_PLACEMENT);
	assert_float_equal(group(e, "app")->s->acc.remote_cpu_s, 1, 1e-9);
	assert_float_equal(group(e, "mix")->ratio, 0.375, 1e-9);
	assert_int_equal(group(e, "mix")->ratio_source, NL_EXPORT_SOURCE_MIXED);
	window_init(&w, 1);
	proc(&w, 1, 1, "app", 0, 0);
	proc(&w, 3, 1, "mix", 0, 0);
	assert_int_equal(nl_export_update(e, &w.snap, 2), 0);
	assert_float_equal(group(e, "app")->ratio, 0.25, 1e-9);
	nl_export_free(e);
}

/* Thousands of processes and groups: the tables grow, nothing is lost. */
static void test_many(void **state)
{
	struct nl_export *e = new_export(NL_EXPORT_BY_PID, 50);
	struct nl_snapshot snap = { 0 };
	struct nl_node_stat *nodes = calloc(5000 * NODES, sizeof(*nodes));
	struct nl_proc_view *procs = calloc(5000, sizeof(*procs));
	double fed = 0, got;
	size_t i;
	int round;

	snap.nr_nodes = NODES;
	snap.window_s = 1;
	snap.procs = procs;
	snap.nr = 5000;
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 5000; i++) {
			procs[i].pid = 1000 + i;
			procs[i].start_time_ns = 1;
			procs[i].node = &nodes[i * NODES];
			procs[i].node[0].cpu_s = (i % 97) / 1000.0;
			fed += procs[i].node[0].cpu_s;
			snprintf(procs[i].comm, sizeof(procs[i].comm), "c%zu", i % 300);
		}
		assert_int_equal(nl_export_update(e, &snap, round), 0);
	}
	assert_int_equal(e->nr_selected, 50);
	assert_int_equal(e->groups.nr, 5000);
	assert_int_equal(e->tracked, 5000);
	got = cpu(&e->other);
	for (i = 0; i < 5000; i++) {
		char key[16];

		snprintf(key, sizeof(key), "%zu", 1000 + i);
		got += cpu(group(e, key));
	}
	assert_float_equal(got, fed, 1e-6);
	snap.nr = 10;
	assert_int_equal(nl_export_update(e, &snap, 4), 0);
	assert_int_equal(e->groups.nr, 10);
	assert_true(e->nr_selected <= 10);
	nl_export_free(e);
	free(nodes);
	free(procs);
}

static void test_parse_group_by(void **state)
{
	enum nl_export_group_by g;

	assert_int_equal(nl_export_parse_group_by("comm", &g), 0);
	assert_int_equal(g, NL_EXPORT_BY_COMM);
	assert_int_equal(nl_export_parse_group_by("cgroup", &g), 0);
	assert_int_equal(g, NL_EXPORT_BY_CGROUP);
	assert_int_equal(nl_export_parse_group_by("pid", &g), 0);
	assert_int_equal(g, NL_EXPORT_BY_PID);
	assert_int_equal(nl_export_parse_group_by("user", &g), -EINVAL);
	assert_string_equal(nl_export_group_by_name(NL_EXPORT_BY_CGROUP), "cgroup");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top_and_other),
		cmocka_unit_test(test_idle_not_selected),
		cmocka_unit_test(test_counters_monotonic_and_conserved),
		cmocka_unit_test(test_exited_disappears),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_group_by_comm),
		cmocka_unit_test(test_group_by_cgroup),
		cmocka_unit_test(test_cgroup_reads_bounded),
		cmocka_unit_test(test_allowlists),
		cmocka_unit_test(test_hysteresis),
		cmocka_unit_test(test_group_ratio),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_parse_group_by),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
