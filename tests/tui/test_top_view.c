// SPDX-License-Identifier: GPL-2.0
/*
 * The screens of numatop-lite from hand-made snapshots with known answers:
 * the column layout at every width, a row with the largest pid, the bars,
 * sorting and filtering, the detail and the node overview.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model.h"
#include "top.h"

#define GIB (1ull << 30)
#define MIB (1ull << 20)

struct fixture {
	struct nl_topology topo;
	struct nl_snapshot snap;
	struct nl_proc_view procs[8];
	struct nl_node_stat nodes[8][2];
	struct nl_model_opts mopts;
};

static struct fixture fx;

/* Two nodes (CPUs 0-1 and 2-3, distance 20) and nr processes, each
 * evaluated by the model over a one-second window. */
static void setup(int nr)
{
	int i;

	memset(&fx, 0, sizeof(fx));
	fx.topo.nr_node_ids = 2;
	fx.topo.nr_nodes = 2;
	fx.topo.node_present = 3;
	fx.topo.nr_cpu_ids = 4;
	fx.topo.cpu_node[0] = fx.topo.cpu_node[1] = 0;
	fx.topo.cpu_node[2] = fx.topo.cpu_node[3] = 1;
	fx.topo.node_nr_cpus[0] = fx.topo.node_nr_cpus[1] = 2;
	fx.topo.distance[0][0] = fx.topo.distance[1][1] = 10;
	fx.topo.distance[0][1] = fx.topo.distance[1][0] = 20;
	fx.topo.node_mem_total[0] = fx.topo.node_mem_total[1] = 8 * GIB;
	fx.topo.node_mem_free[0] = 6 * GIB;
	fx.topo.node_mem_free[1] = 2 * GIB;
	fx.topo.source = "test";
	fx.snap.topo = &fx.topo;
	fx.snap.nr_nodes = 2;
	fx.snap.window_s = 1.0;
	fx.snap.nr = nr;
	fx.snap.procs = fx.procs;
	nl_source_set(&fx.snap.sources, NL_SRC_PMU, false, NULL, "no PMU in this test");
	nl_source_set(&fx.snap.sources, NL_SRC_HINT_FAULTS, true, "fentry", "per node");
	nl_source_set(&fx.snap.sources, NL_SRC_PLACEMENT, true, "sched_switch+numa_maps", NULL);
	nl_model_opts_default(&fx.mopts);
	for (i = 0; i < nr; i++) {
		fx.procs[i].node = fx.nodes[i];
		fx.procs[i].preferred_nid = -1;
		fx.procs[i].nr_threads = 1;
	}
}

static struct nl_proc_view *proc(int i, uint32_t pid, const char *comm, double cpu0, double cpu1,
				 uint64_t mem0, uint64_t mem1)
{
	struct nl_proc_view *v = &fx.procs[i];

	v->pid = pid;
	snprintf(v->comm, sizeof(v->comm), "%s", comm);
	v->node[0].cpu_s = cpu0;
	v->node[1].cpu_s = cpu1;
	v->node[0].mem_bytes = mem0;
	v->node[1].mem_bytes = mem1;
	v->mem_known = mem0 || mem1;
	return v;
}

static void evaluate(void)
{
	size_t i;

	for (i = 0; i < fx.snap.nr; i++)
		nl_model_evaluate(&fx.procs[i], 2, &fx.topo, fx.snap.window_s, &fx.mopts);
}

/* The line of frame f that contains text, or NULL. */
static const char *find_line(const struct top_frame *f, const char *text)
{
	size_t i;

	for (i = 0; i < f->nr; i++)
		if (strstr(top_line_text(f, i), text))
			return top_line_text(f, i);
	return NULL;
}

/* Text of the cells of column c of a line. */
static void cell(const struct top_layout *l, const char *line, int c, char *out)
{
	const char *s = line + l->x[c];
	int w = l->w[c];

	while (w && *s == ' ') {
		s++;
		w--;
	}
	while (w && s[w - 1] == ' ')
		w--;
	memcpy(out, s, w);
	out[w] = '\0';
}

static void test_layout_80(void **state)
{
	static const enum top_col want[] = { TC_PID,	TC_COMM,  TC_RATIO, TC_SRC,
					     TC_REMOTE, TC_LOCAL, TC_CPU,   TC_MEMON,
					     TC_RUNON,	TC_BEST,  TC_XMIG };
	struct top_layout l;
	size_t i;
	int c, n = 0;

	top_layout_compute(&l, 80, TS_RANK);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_true(l.shown[want[i]]);
	for (c = 0; c < TC_MAX; c++)
		n += l.shown[c];
	assert_int_equal(n, 11);
	assert_int_equal(l.x[TC_PID], 0);
	assert_int_equal(l.w[TC_PID], 7);
	assert_int_equal(l.w[TC_COMM], 15);
	assert_true(l.w[TC_MEMON] >= 6);
	assert_int_equal(l.w[TC_MEMON], l.w[TC_RUNON]);
	assert_true(l.x[TC_XMIG] + l.w[TC_XMIG] <= 80);
}

/* At every width from 40 to 1024, the columns stay inside and never overlap,
 * and wider never shows fewer. */
static void test_layout_every_width(void **state)
{
	int width, c, prev_shown = 0;

	for (width = 40; width <= TOP_MAX_COLS; width++) {
		struct top_layout l;
		int end = -1, shown = 0;

		top_layout_compute(&l, width, TS_RANK);
		assert_true(l.shown[TC_PID] && l.shown[TC_COMM] && l.shown[TC_RATIO]);
		for (c = 0; c < TC_MAX; c++) {
			if (!l.shown[c])
				continue;
			shown++;
			assert_true(l.x[c] > end);
			end = l.x[c] + l.w[c] - 1;
			assert_true(end < width);
		}
		assert_true(shown >= prev_shown);
		prev_shown = shown;
	}
	assert_int_equal(prev_shown, TC_MAX);
}

/* Whatever the sort and the width, the column it orders by is on screen
 * (M and T at 80 columns: MEMORY and THR), inside the width. */
static void test_layout_sorted(void **state)
{
	static const enum top_col by[TS_MAX] = {
		[TS_RANK] = TC_MAX,    [TS_PID] = TC_PID,	  [TS_COMM] = TC_COMM,
		[TS_RATIO] = TC_RATIO, [TS_REMOTE] = TC_REMOTE,	  [TS_LOCAL] = TC_LOCAL,
		[TS_CPU] = TC_CPU,     [TS_MEM] = TC_MEM,	  [TS_BEST] = TC_BEST,
		[TS_XMIG] = TC_XMIG,   [TS_THREADS] = TC_THREADS,
	};
	struct top_layout l;
	int sort, width, c;

	top_layout_compute(&l, 80, TS_MEM);
	assert_true(l.shown[TC_MEM] && l.shown[TC_MEMON] && l.shown[TC_RUNON]);
	top_layout_compute(&l, 80, TS_THREADS);
	assert_true(l.shown[TC_THREADS]);
	for (sort = 0; sort < TS_MAX; sort++) {
		for (width = 40; width <= 200; width++) {
			int end = -1;

			top_layout_compute(&l, width, sort);
			if (by[sort] != TC_MAX)
				assert_true(l.shown[by[sort]]);
			for (c = 0; c < TC_MAX; c++) {
				if (!l.shown[c])
					continue;
				assert_true(l.x[c] > end);
				end = l.x[c] + l.w[c] - 1;
				assert_true(end < width);
			}
		}
	}
}

/* pid 4194304 (PID_MAX_LIMIT) and a 15-character command at 80 columns:
 * every value sits under its header, within 80 columns. */
static void test_row_largest_pid(void **state)
{
	struct top_frame f;
	struct top_rows rows = { 0 };
	struct top_filter flt = { .node = -1 };
	struct top_layout l;
	const char *hdr, *row;
	char buf[64];
	int c;

	setup(1);
	proc(0, 4194304, "abcdefghijklmno", 1.0, 0, 0, 512 * MIB);
	evaluate();
	assert_int_equal(top_rows_build(&rows, &fx.snap, &flt, TS_RANK, false), 0);
	assert_int_equal(rows.nr, 1);
	top_frame_init(&f, 80);
	top_layout_compute(&l, 80, TS_RANK);
	top_render_header(&f, &l, TS_RANK);
	top_render_row(&f, &l, &fx.snap, &rows.row[0], fx.mopts.min_remote_ratio);
	hdr = top_line_text(&f, 0);
	row = top_line_text(&f, 1);
	assert_int_equal(strlen(row), 80);
	assert_memory_equal(row, "4194304 abcdefghijklmno ", 24);
	/* Right-aligned values end where their header ends. */
	for (c = 0; c < TC_MAX; c++) {
		if (!l.shown[c] || c == TC_COMM || c == TC_SRC || c == TC_MEMON || c == TC_RUNON)
			continue;
		assert_true(hdr[l.x[c] + l.w[c] - 1] != ' ');
		assert_true(row[l.x[c] + l.w[c] - 1] != ' ');
	}
	cell(&l, row, TC_RATIO, buf);
	assert_string_equal(buf, "100%");
	cell(&l, row, TC_SRC, buf);
	assert_string_equal(buf, "place");
	cell(&l, row, TC_CPU, buf);
	assert_string_equal(buf, "100");
	cell(&l, row, TC_BEST, buf);
	assert_string_equal(buf, "1");
	/* All its memory on node 1, all its CPU time on node 0. */
	cell(&l, row, TC_MEMON, buf);
	assert_int_equal(strspn(buf, "1"), l.w[TC_MEMON]);
	cell(&l, row, TC_RUNON, buf);
	assert_int_equal(strspn(buf, "0"), l.w[TC_RUNON]);
	/* No hinting faults in the window, fentry source: rates of 0. */
	cell(&l, row, TC_REMOTE, buf);
	assert_string_equal(buf, "0");
	top_frame_free(&f);
	top_rows_free(&rows);
}

/* Bars split by share, rounding to the largest remainders (a tie to the
 * lower node); memory unknown shows "?"; rates from hinting faults with
 * units. */
static void test_bars_and_rates(void **state)
{
	struct top_frame f;
	struct top_rows rows = { 0 };
	struct top_filter flt = { .node = -1, .all = true };
	struct top_layout l;
	char buf[64];

	setup(2);
	proc(0, 10, "half", 0.25, 0.75, 300 * MIB, 300 * MIB)->node[1].hint_remote = 2500;
	fx.procs[0].node[1].hint_local = 40;
	proc(1, 11, "nomem", 0.5, 0, 0, 0);
	evaluate();
	top_layout_compute(&l, 80, TS_RANK);
	assert_int_equal(l.w[TC_MEMON], 7);
	assert_int_equal(top_rows_build(&rows, &fx.snap, &flt, TS_PID, false), 0);
	top_frame_init(&f, 80);
	top_render_row(&f, &l, &fx.snap, &rows.row[0], 0.3);
	top_render_row(&f, &l, &fx.snap, &rows.row[1], 0.3);
	cell(&l, top_line_text(&f, 0), TC_MEMON, buf);
	assert_string_equal(buf, "0000111"); /* 3.5 cells each: the tie goes to node 0 */
	cell(&l, top_line_text(&f, 0), TC_RUNON, buf);
	assert_string_equal(buf, "0011111"); /* 1.75 and 5.25 cells */
	cell(&l, top_line_text(&f, 0), TC_REMOTE, buf);
	assert_string_equal(buf, "2.5k");
	cell(&l, top_line_text(&f, 0), TC_LOCAL, buf);
	assert_string_equal(buf, "40");
	cell(&l, top_line_text(&f, 1), TC_MEMON, buf);
	assert_string_equal(buf, "?......");
	top_frame_free(&f);
	top_rows_free(&rows);
}

static void test_sort_and_filter(void **state)
{
	struct top_rows rows = { 0 };
	struct top_filter flt = { .node = -1 };

	setup(4);
	proc(0, 300, "alpha", 0.1, 0, 10 * MIB, 0);
	proc(1, 100, "Beta", 0.5, 0, 30 * MIB, 0);
	proc(2, 200, "gamma", 0, 0.3, 0, 20 * MIB);
	proc(3, 400, "idle", 0, 0, 5 * MIB, 0);
	evaluate();

	assert_int_equal(top_rows_build(&rows, &fx.snap, &flt, TS_CPU, false), 0);
	assert_int_equal(rows.nr, 3); /* idle did not run */
	assert_int_equal(rows.nr_ran, 3);
	assert_int_equal(rows.row[0].v->pid, 100);
	assert_int_equal(rows.row[1].v->pid, 200);
	assert_int_equal(rows.row[2].v->pid, 300);
	top_rows_build(&rows, &fx.snap, &flt, TS_CPU, true);
	assert_int_equal(rows.row[0].v->pid, 300);
	top_rows_build(&rows, &fx.snap, &flt, TS_PID, false);
	assert_int_equal(rows.row[0].v->pid, 100);
	assert_int_equal(rows.row[2].v->pid, 300);
	top_rows_build(&rows, &fx.snap, &flt, TS_COMM, false);
	assert_string_equal(rows.row[0].v->comm, "Beta");
	top_rows_build(&rows, &fx.snap, &flt, TS_MEM, false);
	assert_int_equal(rows.row[0].v->pid, 100);
	assert_int_equal(top_rows_find(&rows, 200), 1);

	flt.all = true;
	top_rows_build(&rows, &fx.snap, &flt, TS_PID, false);
	assert_int_equal(rows.nr, 4);
	snprintf(flt.name, sizeof(flt.name), "ETA"); /* case-insensitive */
	top_rows_build(&rows, &fx.snap, &flt, TS_PID, false);
	assert_int_equal(rows.nr, 1);
	assert_int_equal(rows.row[0].v->pid, 100);
	flt.name[0] = '\0';
	flt.node = 1;
	top_rows_build(&rows, &fx.snap, &flt, TS_PID, false);
	assert_int_equal(rows.nr, 1);
	assert_int_equal(rows.row[0].v->pid, 200);
	flt.node = 5;
	top_rows_build(&rows, &fx.snap, &flt, TS_PID, false);
	assert_int_equal(rows.nr, 0);
	top_rows_free(&rows);

	assert_int_equal(top_sort_by_key('P'), TS_CPU);
	assert_int_equal(top_sort_by_key('N'), TS_PID);
	assert_int_equal(top_sort_by_name("memory"), TS_MEM);
	assert_int_equal(top_sort_by_name("nope"), -1);
}

/* The list at 80x24 as the view shows it: status lines, header, rows. */
static void test_list_frame(void **state)
{
	struct top_frame f;
	struct top_rows rows = { 0 };
	struct top_filter flt = { .node = -1 };
	struct top_status st = { .clock = "12:00:00",
				 .interval_s = 2,
				 .sort = TS_PID,
				 .filter = &flt,
				 .min_remote_ratio = 0.3 };
	long first;
	size_t i;

	setup(3);
	proc(0, 30, "c", 0.1, 0, MIB, 0);
	proc(1, 10, "a", 0.1, 0, MIB, 0);
	proc(2, 20, "b", 0.1, 0, MIB, 0);
	evaluate();
	top_rows_build(&rows, &fx.snap, &flt, TS_PID, false);
	top_frame_init(&f, 80);
	first = top_render_list(&f, &fx.snap, &rows, &st, 1, 20, 2);
	assert_int_equal(first, 3);
	assert_int_equal(f.nr, 5); /* rows 1 and 2 only */
	assert_non_null(strstr(top_line_text(&f, 0), "2 nodes 4 CPUs  3 procs, 3 ran, 3 shown"));
	assert_non_null(strstr(top_line_text(&f, 1), "sort: PID asc"));
	assert_memory_equal(top_line_text(&f, 3), "     20 b ", 10);
	assert_memory_equal(top_line_text(&f, 4), "     30 c ", 10);
	for (i = 0; i < (size_t)f.cols; i++)
		assert_int_equal(f.attr[4 * f.cols + i], TA_SELECTED);
	for (i = 0; i < f.nr; i++)
		assert_true(strlen(top_line_text(&f, i)) == 80);
	top_frame_free(&f);
	top_rows_free(&rows);
}

static void test_detail(void **state)
{
	struct top_thread th[2] = {
		{ .tid = 4194300, .comm = "worker", .state = 'R', .cpu = 3, .node = 1, .cpu_s = 2 },
		{ .tid = 4194301, .comm = "worker", .state = 'S', .cpu = 0, .node = 0 },
	};
	struct top_detail d = { .pid = 4194300, .threads = th, .nr_threads = 2, .total_threads = 2 };
	struct top_frame f;
	const char *line;

	setup(1);
	proc(0, 4194300, "worker", 1.5, 0.5, 64 * MIB, 0)->nr_threads = 2;
	fx.procs[0].numa_moves = 3;
	fx.procs[0].numa_pages_migrated = 12;
	fx.procs[0].preferred_nid = -1;
	evaluate();
	top_frame_init(&f, 80);
	top_render_detail(&f, &fx.snap, &fx.procs[0], &d);
	assert_non_null(find_line(&f, "Process 4194300 (worker)  2 threads"));
	/* What is not known is said in words, not "-" or "-1". */
	assert_non_null(find_line(&f, "Remote 25% from placement; best node 0"));
	assert_non_null(
		find_line(&f, "Remote by source: pmu unknown, hint_faults unknown, placement 25%"));
	assert_non_null(find_line(&f, "preferred node: none"));
	assert_null(find_line(&f, " -1"));
	assert_null(find_line(&f, " -,"));
	line = find_line(&f, "   0    1.50  150.0   64.0 MiB  100%");
	assert_non_null(line);
	assert_non_null(find_line(&f, "   1    0.50   50.0        0 B    0%"));
	assert_non_null(find_line(&f, "3 moves, 0 swaps, 0 sticks, 12 pages migrated"));
	assert_non_null(find_line(&f, "Node x node access matrix: inactive: no PMU in this test"));
	assert_non_null(find_line(&f, "4194300 worker          R     3    1      2.00s"));
	assert_non_null(find_line(&f, "4194301 worker          S     0    0      0.00s"));
	top_frame_free(&f);

	/* Gone: said so, no crash. */
	top_frame_init(&f, 80);
	top_render_detail(&f, &fx.snap, NULL, &d);
	assert_non_null(find_line(&f, "Process 4194300"));
	assert_non_null(find_line(&f, "not in this window"));
	top_frame_free(&f);
}

/* The advisor's suggestion (worked out by top.c) and its commands. */
static void test_detail_suggestion(void **state)
{
	struct nl_command cmds[2] = {
		{ .form = NL_FORM_TASKSET, .when = "now", .text = "taskset -a -p -c 2-3 7" },
		{ .form = NL_FORM_NUMALENS,
		  .when = "now",
		  .text = "numalens pin 7 --node 1 --apply" },
	};
	struct top_detail d = { .pid = 7,
				.suggestion = "run its threads on node 1 (CPUs 2-3)",
				.commands = cmds,
				.nr_commands = 2 };
	struct top_frame f;

	setup(1);
	proc(0, 7, "x", 1, 0, 0, 64 * MIB);
	evaluate();
	top_frame_init(&f, 80);
	top_render_detail(&f, &fx.snap, &fx.procs[0], &d);
	assert_non_null(find_line(&f, "Suggest: run its threads on node 1 (CPUs 2-3)"));
	assert_non_null(find_line(&f, "    now: taskset -a -p -c 2-3 7"));
	assert_non_null(find_line(&f, "    now: numalens pin 7 --node 1 --apply"));
	top_frame_free(&f);

	/* None: no line. */
	d.suggestion = "";
	d.nr_commands = 0;
	top_frame_init(&f, 80);
	top_render_detail(&f, &fx.snap, &fx.procs[0], &d);
	assert_null(find_line(&f, "Suggest:"));
	top_frame_free(&f);
}

/* The last change numalens made to it (top.c reads its pin record), wrapped
 * under the suggestion; none, no line. */
static void test_detail_last_change(void **state)
{
	struct top_detail d = {
		.pid = 7,
		.suggestion = "nothing: it runs where its memory is",
		.last_change = "pinned to CPUs 2-3 (from 0-1) 5m 3s ago, pages moved from "
			       "node 0 to 1; verified gain over 3.0 s: remote share 1.00 -> "
			       "0.00 (placement)",
	};
	struct top_frame f;
	long suggest = -1, change = -1;
	size_t i;

	setup(1);
	proc(0, 7, "x", 1, 0, 0, 64 * MIB);
	evaluate();
	top_frame_init(&f, 80);
	top_render_detail(&f, &fx.snap, &fx.procs[0], &d);
	for (i = 0; i < f.nr; i++) {
		if (strstr(top_line_text(&f, i), "Suggest:"))
			suggest = (long)i;
		if (strstr(top_line_text(&f, i), "Last change:"))
			change = (long)i;
	}
	assert_true(suggest >= 0 && change == suggest + 1);
	assert_non_null(find_line(&f, "Last change: pinned to CPUs 2-3 (from 0-1) 5m 3s ago, pages "
				      "moved from node 0"));
	assert_non_null(find_line(&f, "  1; verified gain over 3.0 s: remote share 1.00 -> 0.00"));
	top_frame_free(&f);

	d.last_change = "";
	top_frame_init(&f, 80);
	top_render_detail(&f, &fx.snap, &fx.procs[0], &d);
	assert_null(find_line(&f, "Last change:"));
	top_frame_free(&f);
}

static void test_detail_matrix(void **state)
{
	uint64_t matrix[2 * 3] = { 5, 95, 0, 0, 7, 1 };
	struct top_detail d = { .pid = 7, .matrix = matrix };
	struct top_frame f;

	setup(1);
	nl_source_set(&fx.snap.sources, NL_SRC_PMU, true, "pebs", NULL);
	proc(0, 7, "x", 1, 0, 0, MIB);
	evaluate();
	top_frame_init(&f, 80);
	top_render_detail(&f, &fx.snap, &fx.procs[0], &d);
	assert_non_null(find_line(&f, "CPU\\MEM         0         1   unknown"));
	assert_non_null(find_line(&f, "      0         5        95         0"));
	assert_non_null(find_line(&f, "      1         0         7         1"));
	top_frame_free(&f);
}

static void test_nodes(void **state)
{
	struct top_frame f;

	setup(2);
	proc(0, 1, "a", 0.5, 0, 0, 100 * MIB);
	proc(1, 2, "b", 1.5, 0, 100 * MIB, 0);
	evaluate();
	top_frame_init(&f, 80);
	top_render_nodes(&f, &fx.snap, NULL);
	/* Node 0: 2 of 2 CPUs busy; 1.5 of its 2 CPU seconds against local memory. */
	assert_non_null(find_line(&f, "   0 0-1           100%   2.0 GiB   6.0 GiB    75%    25%"));
	assert_non_null(find_line(&f, "   1 2-3             0%   6.0 GiB   2.0 GiB      -      -"));
	assert_non_null(find_line(&f, "   0  10  20"));
	assert_non_null(find_line(&f, "   1  20  10"));
	assert_non_null(find_line(&f, "  pmu            inactive  no PMU in this test"));
	top_frame_free(&f);
}

/* Node 1 a slower tier with the firmware's figures. */
static void test_nodes_tiers(void **state)
{
	struct top_frame f;

	setup(1);
	proc(0, 1, "a", 0.5, 0, 0, 100 * MIB);
	fx.topo.tiers_known = true;
	fx.topo.node_tier[0] = 4;
	fx.topo.node_tier[1] = 54;
	fx.topo.toptier_nodes = 0x1;
	fx.topo.demotion_enabled = 1;
	fx.topo.access[1] = (struct nl_node_access){ .read_latency_ns = 30,
						     .write_latency_ns = 31,
						     .read_bandwidth_mbps = 5120,
						     .write_bandwidth_mbps = 4096,
						     .initiators = 0x1,
						     .known = true };
	evaluate();
	top_frame_init(&f, 100);
	top_render_nodes(&f, &fx.snap, NULL);
	assert_non_null(find_line(&f, "RMT/s  TIER"));
	assert_non_null(find_line(&f, "   0 0-1            25%   2.0 GiB   6.0 GiB     0%   100%  "
				      "       0        0  4 "));
	assert_non_null(find_line(&f, "   1 2-3             0%   6.0 GiB   2.0 GiB      -      -  "
				      "       0        0  54 slower"));
	assert_non_null(find_line(
		&f,
		"Tiers: memory_tier4 node 0 (top), memory_tier54 node 1 (slower); demotion on"));
	assert_non_null(
		find_line(&f, "node 1 from 0: read 30 ns 5120 MB/s, write 31 ns 4096 MB/s"));
	assert_null(find_line(&f, "node 0 from"));
	top_frame_free(&f);
}

static void test_wrap_and_clip(void **state)
{
	struct top_frame f;
	size_t i;

	top_frame_init(&f, 20);
	top_put_wrapped(&f, 0, 2, TA_NORMAL, "one two three four five six seven eight");
	assert_int_equal(f.nr, 3);
	assert_string_equal(top_line_text(&f, 0), "one two three four  ");
	assert_string_equal(top_line_text(&f, 1), "  five six seven    ");
	for (i = 0; i < f.nr; i++)
		assert_int_equal(strlen(top_line_text(&f, i)), 20);
	/* Control bytes never reach the terminal. */
	top_put(&f, top_frame_add(&f), 0, TA_NORMAL, "a\033[2Jb\nc");
	assert_memory_equal(top_line_text(&f, 3), "a?[2Jb?c", 8);
	top_frame_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_80),	  cmocka_unit_test(test_layout_every_width),
		cmocka_unit_test(test_layout_sorted),	  cmocka_unit_test(test_row_largest_pid),
		cmocka_unit_test(test_bars_and_rates),	  cmocka_unit_test(test_sort_and_filter),
		cmocka_unit_test(test_list_frame),	  cmocka_unit_test(test_detail),
		cmocka_unit_test(test_detail_suggestion), cmocka_unit_test(test_detail_last_change),
		cmocka_unit_test(test_detail_matrix),	  cmocka_unit_test(test_nodes),
		cmocka_unit_test(test_nodes_tiers),	  cmocka_unit_test(test_wrap_and_clip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
