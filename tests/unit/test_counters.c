// SPDX-License-Identifier: GPL-2.0
/*
 * The per-process counters are declared once (NL_PROC_COUNTERS in
 * numalens.h); the front ends that group or combine them are written by
 * hand. Each counter in turn is given a value no other figure has, and the
 * report's JSON (under the table's key), the exporter's metrics and
 * numatop-lite's detail must each show it: a counter added to the table
 * and forgotten by a front end fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "export.h"
#include "model.h"
#include "report.h"
#include "top.h"

#define PID 4321
#define MARK 7340033 /* a value no other figure of the fixture has */
#define TEXT_OF(x) #x
#define TEXT(x) TEXT_OF(x)
#define MARK_TEXT TEXT(MARK)

struct counter {
	const char *field, *object, *key;
	size_t offset;
};

#define COUNTER(field, object, key, ...) \
	{ #field, object, key, offsetof(struct nl_proc_view, field) },
static const struct counter counters[] = { NL_PROC_COUNTERS(COUNTER) };
#undef COUNTER

/* What a front end leaves out knowingly: the exporter has no series of the
 * pages hinting faults migrated, and failed migrations are only collected.
 * Each must stay out, so that this list stays true. */
static bool left_out(const struct counter *c, const char *front_end)
{
	static const char *const list[][2] = {
		{ "hint_migrated_pages", "metrics" },
		{ "hint_failed_pages", "metrics" },
		{ "hint_failed_pages", "top detail" },
	};
	size_t i;

	for (i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		if (!strcmp(list[i][0], c->field) && !strcmp(list[i][1], front_end))
			return true;
	return false;
}

/* Two nodes: CPUs 0-1 and 2-3, distance 20. */
static const struct nl_topology topo = {
	.nr_node_ids = 2,
	.nr_nodes = 2,
	.node_present = 3,
	.nr_cpu_ids = 4,
	.cpu_node = { 0, 0, 1, 1 },
	.node_nr_cpus = { 2, 2 },
	.distance = { { 10, 20 }, { 20, 10 } },
	.source = "test",
};
static struct nl_snapshot snap;
static struct nl_proc_view view;
static struct nl_node_stat nodes[2];

/* One busy process on two nodes, every source but the PMU active, and
 * counter c (NULL: none) at MARK. */
static void setup(const struct counter *c)
{
	struct nl_model_opts opts;

	memset(&snap, 0, sizeof(snap));
	memset(&view, 0, sizeof(view));
	memset(nodes, 0, sizeof(nodes));
	snap.topo = &topo;
	snap.nr_nodes = 2;
	snap.window_s = 1;
	snap.nr = 1;
	snap.procs = &view;
	nl_source_set(&snap.sources, NL_SRC_PMU, false, NULL, "no PMU in this test");
	nl_source_set(&snap.sources, NL_SRC_HINT_FAULTS, true, "fentry", "test");
	nl_source_set(&snap.sources, NL_SRC_BALANCING, true, "tp_btf", "test");
	nl_source_set(&snap.sources, NL_SRC_PROMOTIONS, true, "fentry", "test");
	nl_source_set(&snap.sources, NL_SRC_PLACEMENT, true, "test", NULL);
	view.pid = PID;
	view.start_time_ns = 5;
	view.nr_threads = 1;
	view.preferred_nid = -1;
	snprintf(view.comm, sizeof(view.comm), "worker");
	view.node = nodes;
	nodes[0].cpu_s = 1;
	if (c)
		*(uint64_t *)((char *)&view + c->offset) = MARK;
	nl_model_opts_default(&opts);
	nl_model_rank(&snap, &opts);
}

static json_object *report_process(void)
{
	uint32_t pids[] = { PID };
	struct nl_report_opts o = { .pids = pids, .nr_pids = 1 };
	json_object *doc = nl_report_json(&snap, &o), *procs, *p;

	assert_true(json_object_object_get_ex(doc, "processes", &procs));
	assert_int_equal(json_object_array_length(procs), 1);
	p = json_object_get(json_object_array_get_idx(procs, 0));
	json_object_put(doc);
	return p;
}

static void test_json(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		const struct counter *c = &counters[i];
		json_object *p, *obj, *val;

		setup(c);
		p = report_process();
		if (!c->object) {
			assert_null(strstr(json_object_to_json_string(p), MARK_TEXT));
		} else {
			if (!json_object_object_get_ex(p, c->object, &obj) ||
			    !json_object_object_get_ex(obj, c->key, &val))
				fail_msg("%s: no %s.%s in the report", c->field, c->object, c->key);
			assert_int_equal(json_object_get_uint64(val), MARK);
		}
		json_object_put(p);
	}
}

static bool in_metrics(void)
{
	struct nl_export_opts o;
	struct nl_export_host h = { 0 };
	struct nl_system sys = { 0 };
	struct nl_health health = { 0 };
	struct nl_export *e;
	struct nl_buf b;
	bool shown;

	nl_export_opts_default(&o);
	o.read_cgroup = NULL;
	assert_int_equal(nl_export_new(&o, 2, &e), 0);
	assert_int_equal(nl_export_update(e, &snap, 1), 0);
	h.topo = &topo;
	h.sources = &snap.sources;
	h.sys = &sys;
	h.health = &health;
	h.version = "test";
	nl_buf_init(&b);
	nl_export_render(e, &h, &b);
	assert_false(b.failed);
	shown = memmem(b.data, b.len, " " MARK_TEXT "\n", strlen(MARK_TEXT) + 2);
	nl_buf_free(&b);
	nl_export_free(e);
	return shown;
}

static bool in_top_detail(void)
{
	struct top_detail d = { .pid = PID };
	struct top_frame f;
	bool shown = false;
	size_t i;

	top_frame_init(&f, 200);
	top_render_detail(&f, &snap, &view, &d);
	for (i = 0; i < f.nr; i++)
		shown |= strstr(top_line_text(&f, i), MARK_TEXT) != NULL;
	top_frame_free(&f);
	return shown;
}

/* Each counter shown by the front end, unless it leaves the counter out. */
static void check_front_end(const char *front_end, bool (*shown)(void))
{
	size_t i;

	setup(NULL);
	assert_false(shown());
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		const struct counter *c = &counters[i];

		setup(c);
		if (shown() == left_out(c, front_end))
			fail_msg("%s: %s %s", c->field, left_out(c, front_end) ? "in" : "not in",
				 front_end);
	}
}

static void test_metrics(void **state)
{
	check_front_end("metrics", in_metrics);
}

static void test_top_detail(void **state)
{
	check_front_end("top detail", in_top_detail);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_top_detail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
