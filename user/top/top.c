// SPDX-License-Identifier: GPL-2.0
/*
 * `numatop-lite` (or `numalens top`): the live view. Every -d seconds it
 * takes the agent's snapshot of the window since the last one and shows
 * it: the process list, a process's detail, the nodes, the help. The
 * screens are drawn by top_view.c into frames; here is the loop, the keys,
 * ncurses, and batch mode, which prints the list's frames as plain text.
 *
 * The loop waits for a key with a timeout that ends at the next refresh, so
 * an idle view costs one refresh per interval and nothing in between.
 */
#include <curses.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "agent.h"
#include "cli.h"
#include "commands.h"
#include "log.h"
#include "options.h"
#include "pin_status.h"
#include "procfs.h"
#include "top.h"

#define MAX_PIDS 64
#define MAX_THREADS 512
#define MIN_COLS 40
#define MIN_LINES 8

enum top_screen { SCR_LIST, SCR_DETAIL, SCR_NODES, SCR_HELP };

struct top {
	struct nl_agent *agent;
	struct nl_agent_opts aopts;
	/* The -p pids, then one slot for the process in the detail screen:
	 * the agent reads the memory of every process listed here at each
	 * refresh. It keeps the pointer, so the slot can change. */
	uint32_t mem_pids[MAX_PIDS + 1];
	size_t nr_pids;
	struct nl_snapshot snap;
	bool have_snap;
	struct top_rows rows;
	struct top_filter filter;
	enum top_sort sort;
	bool reverse;
	double interval;
	unsigned long iterations, done;
	bool batch, color;
	int width; /* batch */

	/* Interactive state */
	enum top_screen screen, help_from;
	bool paused;
	uint32_t sel_pid;
	long sel;
	size_t first;
	size_t scroll; /* of the detail, nodes and help screens */
	uint32_t detail_pid;
	struct top_thread threads[MAX_THREADS];
	int nr_threads;
	size_t total_threads;
	uint64_t *matrix; /* the detail's node x node samples, NULL without a PMU */
	bool matrix_ok;
	char suggestion[832];  /* the detail's advice, "" when none */
	char last_change[600]; /* the detail's pin record, "" when none */
	struct nl_command commands[NL_MAX_COMMANDS];
	size_t nr_commands;
	struct nl_topology *live; /* node memory as read now, for the node screen */
	bool live_ok;
	int prompt; /* '/' or 'f' while a filter is typed */
	char input[NL_COMM_LEN];
	size_t input_len;
	char message[160];
	double message_until;
	struct top_frame frame;
	char clock[16];
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: numatop-lite [-d SECONDS] [-b] [-n ITERATIONS] [-p PID]... [-s SORT]\n"
		"       numalens top [same options]\n"
		"\n"
		"A live view of remote memory access per process, refreshed every SECONDS:\n"
		"remote ratio and its source, accesses per second, CPU, where each process's\n"
		"memory is and where it runs, its best node; Enter shows a process's detail,\n"
		"n the nodes, h the keys.\n"
		"\n"
		"  -d, --delay SECONDS      refresh interval (default 2)\n"
		"  -b, --batch              print plain-text frames to stdout, no keys\n"
		"  -n, --iterations N       stop after N refreshes (default: until q or Ctrl-C)\n"
		"  -p, --pid PID            only this process, with its memory read at every\n"
		"                           refresh (repeatable)\n"
		"  -s, --sort KEY           rank (default), pid, command, remote, remote-rate,\n"
		"                           local-rate, cpu, memory, best, migrations, threads\n"
		"  -a, --all                also processes that did not run in the window\n"
		"  -w, --width COLUMNS      batch line width (default $COLUMNS, else 132)\n"
		"      --no-color           monochrome (also when NO_COLOR is set)\n"
		"  -v, --verbose            more messages (twice: libbpf's too)\n"
		"      --version            print the version\n"
		"\n"
		"Data sources:\n" NL_AGENT_OPTIONS_HELP "\n"
		"Thresholds (a process over all three is flagged, highlighted):\n" NL_THRESHOLD_OPTIONS_HELP
		"\n"
		"Exit status: 0 done (q, -n, or SIGINT/SIGTERM/SIGHUP), 2 bad usage, or without\n"
		"-b no terminal it can draw on (TERM unset, unknown or dumb), 3 missing\n"
		"privileges, 4 kernel lacks BTF or a needed tracepoint, 5 no such process,\n"
		"1 other failures.\n"
		"\n"
		"Examples:\n"
		"  numatop-lite                          # interactive\n"
		"  numatop-lite -b -n 3 -d 1 > log.txt   # three frames, one second apart\n"
		"  numatop-lite -b -n 1 -d 5 -p 1234     # one process over 5 seconds\n");
}

static void set_clock(struct top *t)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(t->clock, sizeof(t->clock), "%H:%M:%S", &tm);
}

/* The advisor's suggestion for the detail's process, as the agent attached
 * it: at each refresh (the detail's pid is one it is asked for), or now for
 * a detail opened between refreshes. */
static void read_advice(struct top *t)
{
	struct nl_proc_view *v = nl_snapshot_find(&t->snap, t->detail_pid);
	const struct nl_proc_advice *a;

	t->suggestion[0] = '\0';
	t->nr_commands = 0;
	if (!v || v->exited || !t->snap.topo || t->snap.topo->nr_nodes < 2)
		return;
	if (!v->advice && nl_agent_advise(t->agent, &t->snap, v))
		return;
	a = v->advice;
	if (a && !a->err) {
		snprintf(t->suggestion, sizeof(t->suggestion), "%s%s",
			 a->advice.action == NL_ACT_NONE ? "nothing: " : "", a->advice.reason);
		t->nr_commands = nl_advice_commands(&a->advice, v->pid, &a->limits, t->commands,
						    NL_MAX_COMMANDS);
	}
}

/* The last change numalens made to the detail's process, from its pin
 * record (same pid and start time): one file read per refresh. */
static void read_last_change(struct top *t)
{
	const struct nl_proc_view *v = nl_snapshot_find(&t->snap, t->detail_pid);
	struct nl_pin_record r;
	time_t now = time(NULL);

	t->last_change[0] = '\0';
	if (!v || !nl_pin_changes_of(&v, 1, &r))
		return;
	nl_pin_change_text(&r, now > 0 ? (uint64_t)now : 0, t->last_change, sizeof(t->last_change));
	nl_pin_record_free(&r);
}

/* What the detail screen shows besides the snapshot: threads, samples,
 * advice, the last change. */
static void read_detail(struct top *t)
{
	int nr = top_threads_read(t->detail_pid, nl_agent_topology(t->agent), t->threads,
				  MAX_THREADS, &t->total_threads);
	int nodes = t->have_snap ? t->snap.nr_nodes : 0;

	if (t->have_snap) {
		read_advice(t);
		read_last_change(t);
	}

	t->nr_threads = nr < 0 ? 0 : nr;
	t->matrix_ok = false;
	if (!nodes || !nl_agent_sources(t->agent)->src[NL_SRC_PMU].active)
		return;
	free(t->matrix);
	t->matrix = calloc((size_t)nodes * (nodes + 1), sizeof(*t->matrix));
	if (t->matrix)
		t->matrix_ok = !nl_agent_pmu_matrix(t->agent, t->detail_pid, t->matrix);
}

static int rebuild_rows(struct top *t)
{
	if (!t->have_snap)
		return 0;
	return top_rows_build(&t->rows, &t->snap, &t->filter, t->sort, t->reverse);
}

/* One refresh: the agent's window since the previous one. */
static int take_snapshot(struct top *t)
{
	int err;

	/* The previous snapshot goes first: with 10,000 processes, two of them
	 * at once would be 7 MiB more resident. */
	t->rows.nr = 0;
	if (t->have_snap)
		nl_snapshot_free(&t->snap);
	t->have_snap = false;
	err = nl_agent_refresh(t->agent, &t->snap);
	if (err)
		return err;
	t->have_snap = true;
	set_clock(t);
	if (t->screen == SCR_DETAIL)
		read_detail(t);
	if (t->screen == SCR_NODES && t->live)
		t->live_ok = !nl_topology_load(t->live);
	return rebuild_rows(t);
}

/* Batch mode */

/*
 * One frame to the standard output, in write(2)s of our own rather than
 * stdio's: stdio would write the rest again after a stop signal cut a write
 * short, and block there. 0, 1 when a stop signal ended it (the frame may be
 * cut), or -EIO with the reason said.
 */
static int write_frame(const struct top_frame *f)
{
	char *buf = NULL;
	size_t len = 0, done = 0;
	FILE *mem = open_memstream(&buf, &len);
	int err = 0;

	if (!mem || top_frame_print(f, 0, f->nr, mem) || fputc('\n', mem) < 0 || fclose(mem)) {
		free(buf);
		nl_err("out of memory");
		return -EIO;
	}
	while (done < len && !nl_stop) {
		ssize_t n = write(STDOUT_FILENO, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			nl_err("cannot write to standard output: %s",
			       n < 0 ? strerror(errno) : "nothing written");
			err = -EIO;
			break;
		}
		done += n;
	}
	free(buf);
	return err ? err : done < len;
}

static int run_batch(struct top *t)
{
	struct top_status st = { 0 };
	double t0, t1;
	int err;

	st.interval_s = t->interval;
	st.filter = &t->filter;
	st.min_remote_ratio = t->aopts.model.min_remote_ratio;
	st.batch = true;
	while (!nl_stop && (!t->iterations || t->done < t->iterations)) {
		nl_sleep_until(nl_monotonic_s() + t->interval, &nl_stop);
		if (nl_stop)
			break;
		t0 = nl_monotonic_s();
		err = take_snapshot(t);
		if (err)
			return err;
		t1 = nl_monotonic_s();
		t->done++;
		st.clock = t->clock;
		st.sort = t->sort;
		st.reverse = t->reverse;
		top_frame_reset(&t->frame, t->width);
		top_render_list(&t->frame, &t->snap, &t->rows, &st, 0, 0, -1);
		err = write_frame(&t->frame);
		if (err)
			return err < 0 ? err : 0; /* stopped: as at any other moment */
		/* For bench/top.sh: what one refresh costs, and where. */
		nl_info("refresh %lu: %.2f ms snapshot, %.2f ms frame, %zu processes, %zu rows",
			t->done, (t1 - t0) * 1e3, (nl_monotonic_s() - t1) * 1e3, t->snap.nr,
			t->rows.nr);
	}
	return 0;
}

/* ncurses */

static chtype attr_of(const struct top *t, enum top_attr a)
{
	if (a >= TA_NODE)
		return t->color ? COLOR_PAIR(10 + (a - TA_NODE) % TOP_NODE_COLORS) : A_NORMAL;
	switch (a) {
	case TA_TITLE:
		return A_BOLD;
	case TA_HEADER:
		return t->color ? COLOR_PAIR(1) : A_REVERSE;
	case TA_SORTED:
		return (t->color ? COLOR_PAIR(1) : A_REVERSE) | A_BOLD | A_UNDERLINE;
	case TA_SELECTED:
		return A_REVERSE | A_BOLD;
	case TA_FOOTER:
		return t->color ? COLOR_PAIR(2) : A_REVERSE;
	case TA_GOOD:
		return t->color ? COLOR_PAIR(3) : A_NORMAL;
	case TA_WARN:
		return t->color ? COLOR_PAIR(4) : A_BOLD;
	case TA_BAD:
		return t->color ? COLOR_PAIR(5) | A_BOLD : A_BOLD | A_UNDERLINE;
	case TA_DIM:
		return A_DIM;
	default:
		return A_NORMAL;
	}
}

static void setup_colors(struct top *t)
{
	static const short node_colors[TOP_NODE_COLORS] = { COLOR_CYAN,	  COLOR_MAGENTA,
							    COLOR_YELLOW, COLOR_GREEN,
							    COLOR_BLUE,	  COLOR_RED };
	short bg = COLOR_BLACK;
	int i;

	if (!t->color || !has_colors() || start_color() == ERR) {
		t->color = false;
		return;
	}
	if (use_default_colors() == OK)
		bg = -1;
	init_pair(1, COLOR_BLACK, COLOR_CYAN);
	init_pair(2, COLOR_BLACK, COLOR_WHITE);
	init_pair(3, COLOR_GREEN, bg);
	init_pair(4, COLOR_YELLOW, bg);
	init_pair(5, COLOR_RED, bg);
	for (i = 0; i < TOP_NODE_COLORS; i++)
		init_pair(10 + i, node_colors[i], bg);
}

/* Paints lines [first, first + nr) of the frame from screen row y. */
static void paint(const struct top *t, const struct top_frame *f, size_t first, int y, int nr)
{
	int row, x;

	for (row = 0; row < nr && first + row < f->nr; row++) {
		const char *text = top_line_text(f, first + row);
		const uint8_t *at = &f->attr[(first + row) * f->cols];
		int cols = f->cols < COLS ? f->cols : COLS;

		for (x = 0; x < cols;) {
			int run = 1;

			while (x + run < cols && at[x + run] == at[x])
				run++;
			attrset(attr_of(t, at[x]));
			/* The last cell of the last line would scroll: stop short. */
			if (y + row == LINES - 1 && x + run == COLS)
				run--;
			mvaddnstr(y + row, x, text + x, run);
			x += run ? run : 1;
		}
	}
	attrset(A_NORMAL);
}

static void footer(struct top *t)
{
	char buf[TOP_MAX_COLS + 1];
	const char *text;
	long line;

	if (t->prompt) {
		snprintf(buf, sizeof(buf), "%s (Enter applies, empty clears, Esc cancels): %s_",
			 t->prompt == '/' ? "Filter by command" : "Filter by node", t->input);
		text = buf;
	} else if (t->message[0] && nl_monotonic_s() < t->message_until) {
		text = t->message;
	} else {
		switch (t->screen) {
		case SCR_LIST:
			text = "Enter detail  n nodes  / f filter  P M R N sort  h help  space pause"
			       "  q quit";
			break;
		case SCR_DETAIL:
			text = "b back  n nodes  up/down scroll  h help  space pause  q quit";
			break;
		case SCR_NODES:
			text = "b back  up/down scroll  h help  space pause  q quit";
			break;
		default:
			text = "b back  up/down scroll  q quit";
			break;
		}
	}
	top_frame_reset(&t->frame, COLS);
	line = top_frame_add(&t->frame);
	top_line_attr(&t->frame, line, TA_FOOTER);
	top_put(&t->frame, line, 0, TA_FOOTER, text);
	paint(t, &t->frame, 0, LINES - 1, 1);
}

static void draw_list(struct top *t)
{
	struct top_status st = { 0 };
	size_t visible = LINES > 4 ? LINES - 4 : 1;

	st.clock = t->clock;
	st.interval_s = t->interval;
	st.paused = t->paused;
	st.sort = t->sort;
	st.reverse = t->reverse;
	st.filter = &t->filter;
	st.min_remote_ratio = t->aopts.model.min_remote_ratio;

	/* The selection follows its process across refreshes and sorts. */
	if (t->sel_pid) {
		long i = top_rows_find(&t->rows, t->sel_pid);

		if (i >= 0)
			t->sel = i;
	}
	if (t->sel >= (long)t->rows.nr)
		t->sel = (long)t->rows.nr - 1;
	if (t->sel < 0 && t->rows.nr)
		t->sel = 0;
	t->sel_pid = t->sel >= 0 ? t->rows.row[t->sel].v->pid : 0;
	if (t->sel >= 0 && (size_t)t->sel < t->first)
		t->first = t->sel;
	if (t->sel >= 0 && (size_t)t->sel >= t->first + visible)
		t->first = t->sel - visible + 1;
	if (t->first + visible > t->rows.nr)
		t->first = t->rows.nr > visible ? t->rows.nr - visible : 0;

	top_frame_reset(&t->frame, COLS);
	top_render_list(&t->frame, &t->snap, &t->rows, &st, t->first, visible, t->sel);
	paint(t, &t->frame, 0, 0, LINES - 1);
}

static void draw_text_screen(struct top *t)
{
	size_t visible = LINES - 1;

	top_frame_reset(&t->frame, COLS);
	switch (t->screen) {
	case SCR_DETAIL: {
		struct top_detail d = {
			.pid = t->detail_pid,
			.threads = t->threads,
			.nr_threads = t->nr_threads,
			.total_threads = t->total_threads,
			.matrix = t->matrix_ok ? t->matrix : NULL,
			.suggestion = t->suggestion,
			.commands = t->commands,
			.nr_commands = t->nr_commands,
			.last_change = t->last_change,
		};

		top_render_detail(&t->frame, &t->snap, nl_snapshot_find(&t->snap, t->detail_pid),
				  &d);
		break;
	}
	case SCR_NODES:
		top_render_nodes(&t->frame, &t->snap, t->live_ok ? t->live : NULL);
		break;
	default:
		top_render_help(&t->frame);
		break;
	}
	if (t->scroll + visible > t->frame.nr)
		t->scroll = t->frame.nr > visible ? t->frame.nr - visible : 0;
	paint(t, &t->frame, t->scroll, 0, visible);
}

static void draw(struct top *t)
{
	erase();
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		mvprintw(0, 0, "too small: %dx%d, needs %dx%d", COLS, LINES, MIN_COLS, MIN_LINES);
		refresh();
		return;
	}
	if (!t->have_snap && t->screen != SCR_HELP) {
		mvprintw(0, 0, "numatop-lite: watching for the first %.1f s...",
			 t->interval < 1 ? t->interval : 1.0);
	} else if (t->screen == SCR_LIST) {
		draw_list(t);
	} else {
		draw_text_screen(t);
	}
	footer(t);
	refresh();
}

static void notice(struct top *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void notice(struct top *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->message, sizeof(t->message), fmt, ap);
	va_end(ap);
	t->message_until = nl_monotonic_s() + 3;
}

/* The agent reads the memory of the process in the detail screen (and of
 * its help) at every refresh; of none otherwise. */
static void sync_mem_slot(struct top *t)
{
	bool detail = t->screen == SCR_DETAIL ||
		      (t->screen == SCR_HELP && t->help_from == SCR_DETAIL);

	t->mem_pids[t->nr_pids] = detail ? t->detail_pid : 0;
}

static void open_detail(struct top *t)
{
	if (t->sel < 0 || (size_t)t->sel >= t->rows.nr)
		return;
	t->detail_pid = t->rows.row[t->sel].v->pid;
	t->screen = SCR_DETAIL;
	t->scroll = 0;
	sync_mem_slot(t);
	read_detail(t);
}

static void show_screen(struct top *t, enum top_screen s)
{
	if (s == SCR_HELP && t->screen != SCR_HELP)
		t->help_from = t->screen;
	if (s == SCR_NODES && t->live)
		t->live_ok = !nl_topology_load(t->live);
	t->screen = s;
	t->scroll = 0;
	sync_mem_slot(t);
}

static void go_back(struct top *t)
{
	if (t->screen == SCR_HELP)
		t->screen = t->help_from;
	else
		t->screen = SCR_LIST;
	t->scroll = 0;
	sync_mem_slot(t);
}

static void apply_prompt(struct top *t)
{
	if (t->prompt == '/') {
		snprintf(t->filter.name, sizeof(t->filter.name), "%s", t->input);
	} else if (!t->input_len) {
		t->filter.node = -1;
	} else {
		char *end;
		long node = strtol(t->input, &end, 10);

		if (*end || node < 0 || node >= NL_MAX_NODES ||
		    (t->snap.topo && !nl_node_present(t->snap.topo, node)))
			notice(t, "no node '%s' here", t->input);
		else
			t->filter.node = node;
	}
	t->prompt = 0;
	t->first = 0;
	rebuild_rows(t);
}

static void prompt_key(struct top *t, int ch)
{
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		apply_prompt(t);
	} else if (ch == 27) {
		t->prompt = 0;
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (t->input_len)
			t->input[--t->input_len] = '\0';
	} else if (ch >= 0x20 && ch < 0x7f && t->input_len + 1 < sizeof(t->input)) {
		t->input[t->input_len++] = ch;
		t->input[t->input_len] = '\0';
	}
}

static void set_sort(struct top *t, enum top_sort s)
{
	if (t->sort == s)
		t->reverse = !t->reverse;
	else
		t->reverse = false;
	t->sort = s;
	rebuild_rows(t);
}

static void move_selection(struct top *t, long by)
{
	long visible = LINES > 4 ? LINES - 4 : 1;

	if (by == LONG_MAX)
		by = visible - 1;
	else if (by == LONG_MIN)
		by = -(visible - 1);
	if (t->screen != SCR_LIST) {
		if (by < 0 && (size_t)-by > t->scroll)
			t->scroll = 0;
		else
			t->scroll += by; /* draw() clamps it */
		return;
	}
	t->sel += by;
	if (t->sel >= (long)t->rows.nr)
		t->sel = (long)t->rows.nr - 1;
	if (t->sel < 0)
		t->sel = 0;
	t->sel_pid = t->sel < (long)t->rows.nr ? t->rows.row[t->sel].v->pid : 0;
}

/* Returns false to quit. */
static bool handle_key(struct top *t, int ch)
{
	int s;

	if (t->prompt) {
		prompt_key(t, ch);
		return true;
	}
	switch (ch) {
	case 'q':
		return false;
	case 'h':
	case '?':
		show_screen(t, SCR_HELP);
		return true;
	case 'b':
	case 27:
	case KEY_LEFT:
		go_back(t);
		return true;
	case 'n':
		show_screen(t, SCR_NODES);
		return true;
	case ' ':
		t->paused = !t->paused;
		notice(t, t->paused ? "paused: space resumes" : "resumed");
		return true;
	case KEY_RESIZE:
	case 12: /* Ctrl-L */
		clear();
		return true;
	case KEY_UP:
	case 'k':
		move_selection(t, -1);
		return true;
	case KEY_DOWN:
	case 'j':
		move_selection(t, 1);
		return true;
	case KEY_PPAGE:
		move_selection(t, LONG_MIN);
		return true;
	case KEY_NPAGE:
		move_selection(t, LONG_MAX);
		return true;
	case KEY_HOME:
		move_selection(t, -(long)(t->rows.nr + t->frame.nr + 1));
		return true;
	case KEY_END:
		move_selection(t, (long)(t->rows.nr + t->frame.nr + 1));
		return true;
	}
	if (t->screen != SCR_LIST)
		return true;
	switch (ch) {
	case '\n':
	case '\r':
	case KEY_ENTER:
	case KEY_RIGHT:
		open_detail(t);
		return true;
	case '/':
	case 'f':
		t->prompt = ch;
		t->input_len = 0;
		t->input[0] = '\0';
		return true;
	case '=':
		t->filter.name[0] = '\0';
		t->filter.node = -1;
		rebuild_rows(t);
		return true;
	case 'a':
		t->filter.all = !t->filter.all;
		notice(t, t->filter.all ? "all processes" : "processes that ran in the window");
		rebuild_rows(t);
		return true;
	case 'I':
		t->reverse = !t->reverse;
		rebuild_rows(t);
		return true;
	case '<':
		set_sort(t, t->sort ? t->sort - 1 : TS_MAX - 1);
		return true;
	case '>':
		set_sort(t, (t->sort + 1) % TS_MAX);
		return true;
	}
	s = top_sort_by_key(ch);
	if (s >= 0)
		set_sort(t, s);
	return true;
}

static int run_interactive(struct top *t)
{
	double first = t->interval < 1 ? t->interval : 1, next = nl_monotonic_s() + first;
	SCREEN *scr;
	int err = 0;

	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		nl_err("cannot drive this terminal (TERM=%s); use -b for plain text",
		       getenv("TERM") ? getenv("TERM") : "");
		return -ENOTTY;
	}
	set_term(scr);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	setup_colors(t);

	while (!nl_stop) {
		double now = nl_monotonic_s();
		int ch, wait_ms;

		draw(t);
		wait_ms = (int)((next - now) * 1000);
		if (t->message[0] && t->message_until > now &&
		    (t->message_until - now) * 1000 < wait_ms)
			wait_ms = (int)((t->message_until - now) * 1000) + 1;
		timeout(wait_ms < 0 ? 0 : wait_ms);
		ch = getch();
		if (ch != ERR) {
			if (!handle_key(t, ch))
				break;
			continue;
		}
		if (nl_monotonic_s() < next)
			continue;
		next += t->interval;
		if (next < nl_monotonic_s())
			next = nl_monotonic_s() + t->interval;
		if (t->paused)
			continue;
		err = take_snapshot(t);
		if (err)
			break;
		t->done++;
		if (t->iterations && t->done >= t->iterations) {
			draw(t);
			break;
		}
	}
	endwin();
	delscreen(scr);
	return err;
}

int cmd_top(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "batch", no_argument, NULL, 'b' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "pid", required_argument, NULL, 'p' },
		{ "sort", required_argument, NULL, 's' },
		{ "all", no_argument, NULL, 'a' },
		{ "width", required_argument, NULL, 'w' },
		{ "no-color", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	static struct top top; /* big (the thread list): not on the stack */
	struct top *t = &top;
	/* How it was called, for the messages: main() passes "top" first. */
	const char *self = strcmp(argv[0], "top") ? "numatop-lite" : "numalens top";
	struct nl_cmdline cl = {
		.cmd = self,
		.shortopts = "d:bn:p:s:aw:",
		.usage = usage,
		.agent = &t->aopts,
		.thresholds = true,
	};
	unsigned long value;
	int pid;
	const char *columns;
	char why[160];
	int opt, err, s;

	memset(t, 0, sizeof(*t));
	nl_agent_opts_default(&t->aopts);
	t->interval = 2;
	t->sort = TS_RANK;
	t->filter.node = -1;
	t->color = !getenv("NO_COLOR");
	t->sel = -1;
	t->width = 132;
	columns = getenv("COLUMNS");
	if (columns && atoi(columns) >= MIN_COLS)
		t->width = atoi(columns);

	nl_cmdline_init(&cl, long_opts);
	while ((opt = nl_cmdline_next(&cl, argc, argv)) >= 0) {
		switch (opt) {
		case 'd':
			if (nl_parse_seconds(optarg, "--delay", 0.1, 86400, &t->interval))
				return NL_EXIT_USAGE;
			break;
		case 'b':
			t->batch = true;
			break;
		case 'n':
			if (nl_parse_uint(optarg, "--iterations", 1, 1000000000, &value))
				return NL_EXIT_USAGE;
			t->iterations = value;
			break;
		case 'p':
			if (nl_parse_pid(optarg, "--pid", &pid))
				return NL_EXIT_USAGE;
			if (t->nr_pids == MAX_PIDS) {
				nl_usage_err("at most %d --pid options", MAX_PIDS);
				return NL_EXIT_USAGE;
			}
			t->mem_pids[t->nr_pids++] = pid;
			break;
		case 's':
			s = top_sort_by_name(optarg);
			if (s < 0) {
				nl_usage_err("unknown sort '%s'", optarg);
				return NL_EXIT_USAGE;
			}
			t->sort = s;
			break;
		case 'a':
			t->filter.all = true;
			break;
		case 'w':
			if (nl_parse_uint(optarg, "--width", MIN_COLS, TOP_MAX_COLS, &value))
				return NL_EXIT_USAGE;
			t->width = value;
			break;
		case 'C':
			t->color = false;
			break;
		case 'V':
			printf("numatop-lite (numalens) %s\n", NUMALENS_VERSION);
			return NL_EXIT_OK;
		}
	}
	if (opt == NL_CMDLINE_EXIT)
		return cl.status;
	if (!t->batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		nl_err("%s needs a terminal (standard %s is not one); for plain text frames use "
		       "batch mode: %s -b -n ITERATIONS",
		       self, isatty(STDIN_FILENO) ? "output" : "input", self);
		return NL_EXIT_USAGE;
	}
	if (!t->batch && top_terminal_check(why, sizeof(why))) {
		nl_err("%s cannot draw on this terminal: %s; for plain text frames use batch "
		       "mode: %s -b -n ITERATIONS",
		       self, why, self);
		return NL_EXIT_USAGE;
	}
	if (nl_pids_exist(t->mem_pids, t->nr_pids))
		return NL_EXIT_NO_PID;
	t->filter.pids = t->mem_pids;
	t->filter.nr_pids = t->nr_pids;
	t->aopts.pids = t->mem_pids;
	t->aopts.nr_pids = t->nr_pids + 1; /* the detail slot, 0 until used */
	t->aopts.advice.which = NL_ADVICE_PIDS;

	err = nl_agent_open(&t->aopts, &t->agent);
	if (err)
		return nl_exit_for_errno(err);
	/* Loading the BPF object parsed the kernel's BTF: give that back. */
	malloc_trim(0);
	nl_stop_on_signals();
	t->live = calloc(1, sizeof(*t->live));

	if (t->batch) {
		nl_stop_discards_stdout();
		top_frame_init(&t->frame, t->width);
		err = run_batch(t);
	} else {
		top_frame_init(&t->frame, 80);
		err = run_interactive(t);
	}
	if (err && err != -EIO && err != -ENOTTY)
		nl_err("refresh failed: %s", strerror(-err));

	top_frame_free(&t->frame);
	top_rows_free(&t->rows);
	if (t->have_snap)
		nl_snapshot_free(&t->snap);
	free(t->live);
	free(t->matrix);
	nl_agent_close(t->agent);
	return err == -ENOTTY ? NL_EXIT_USAGE : err ? NL_EXIT_FAILURE : NL_EXIT_OK;
}
