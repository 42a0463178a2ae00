// SPDX-License-Identifier: GPL-2.0
/*
 * The screens of numatop-lite as pure functions of a snapshot: the process
 * list (filter, sort, a column layout for any width), the process detail,
 * the node overview and the help. Each draws into a frame of text and
 * attributes; no I/O, so the tests give them hand-made snapshots.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "pidsearch.h"
#include "tiering.h"
#include "top.h"

/* Frames */

void top_frame_init(struct top_frame *f, int cols)
{
	memset(f, 0, sizeof(*f));
	f->cols = cols < 1 ? 1 : cols > TOP_MAX_COLS ? TOP_MAX_COLS : cols;
}

void top_frame_reset(struct top_frame *f, int cols)
{
	cols = cols < 1 ? 1 : cols > TOP_MAX_COLS ? TOP_MAX_COLS : cols;
	if (cols != f->cols) {
		top_frame_free(f);
		f->cols = cols;
	}
	f->nr = 0;
}

void top_frame_free(struct top_frame *f)
{
	free(f->text);
	free(f->attr);
	f->text = NULL;
	f->attr = NULL;
	f->nr = f->cap = 0;
}

long top_frame_add(struct top_frame *f)
{
	size_t w = f->cols + 1;

	if (f->nr == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		char *text = realloc(f->text, cap * w);
		uint8_t *attr;

		if (!text)
			return -1;
		f->text = text;
		attr = realloc(f->attr, cap * f->cols);
		if (!attr)
			return -1;
		f->attr = attr;
		f->cap = cap;
	}
	memset(&f->text[f->nr * w], ' ', f->cols);
	f->text[f->nr * w + f->cols] = '\0';
	memset(&f->attr[f->nr * f->cols], TA_NORMAL, f->cols);
	return f->nr++;
}

int top_put(struct top_frame *f, long line, int col, enum top_attr a, const char *text)
{
	char *t;
	uint8_t *at;

	if (line < 0 || (size_t)line >= f->nr)
		return col;
	t = &f->text[line * (f->cols + 1)];
	at = &f->attr[line * f->cols];
	for (; *text && col < f->cols; text++, col++) {
		unsigned char c = *text;

		if (col < 0)
			continue;
		t[col] = c >= 0x20 && c < 0x7f ? c : '?';
		at[col] = a;
	}
	return col;
}

int top_putf(struct top_frame *f, long line, int col, enum top_attr a, const char *fmt, ...)
{
	char buf[TOP_MAX_COLS + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return top_put(f, line, col, a, buf);
}

/* Words of text from col of line on, then on new lines from indent. */
static void wrap_from(struct top_frame *f, long line, int col, int indent, enum top_attr a,
		      const char *text)
{
	int start = col;

	while (*text) {
		size_t len = strcspn(text, " ");
		char word[TOP_MAX_COLS + 1];

		if (!len) {
			text++;
			continue;
		}
		if (col > start && col + 1 + (int)len > f->cols) {
			line = top_frame_add(f);
			col = start = indent;
		}
		if (col > start)
			col++;
		snprintf(word, sizeof(word), "%.*s", (int)len, text);
		col = top_put(f, line, col, a, word);
		text += len;
	}
}

void top_put_wrapped(struct top_frame *f, int first, int indent, enum top_attr a, const char *text)
{
	wrap_from(f, top_frame_add(f), first, indent, a, text);
}

void top_line_attr(struct top_frame *f, long line, enum top_attr a)
{
	if (line >= 0 && (size_t)line < f->nr)
		memset(&f->attr[line * f->cols], a, f->cols);
}

int top_frame_print(const struct top_frame *f, size_t first, size_t nr, FILE *out)
{
	size_t i;

	for (i = first; i < f->nr && i < first + nr; i++) {
		const char *t = top_line_text(f, i);
		int len = f->cols;

		while (len > 0 && t[len - 1] == ' ')
			len--;
		if (fprintf(out, "%.*s\n", len, t) < 0)
			return -EIO;
	}
	return 0;
}

/* Sorting and filtering */

const struct top_sort_key top_sort_keys[TS_MAX] = {
	[TS_RANK] = { 'K', "rank", NULL, false },
	[TS_PID] = { 'N', "pid", "PID", false },
	[TS_COMM] = { 'C', "command", "COMMAND", false },
	[TS_RATIO] = { 'R', "remote", "RMT%", true },
	[TS_REMOTE] = { 'A', "remote-rate", "RMT/s", true },
	[TS_LOCAL] = { 'L', "local-rate", "LCL/s", true },
	[TS_CPU] = { 'P', "cpu", "CPU%", true },
	[TS_MEM] = { 'M', "memory", "MEMORY", true },
	[TS_BEST] = { 'B', "best", "BEST", false },
	[TS_XMIG] = { 'X', "migrations", "XMIG/s", true },
	[TS_THREADS] = { 'T', "threads", "THR", true },
};

int top_sort_by_key(int key)
{
	int i;

	for (i = 0; i < TS_MAX; i++)
		if (top_sort_keys[i].key == key)
			return i;
	return -1;
}

int top_sort_by_name(const char *name)
{
	int i;

	for (i = 0; i < TS_MAX; i++)
		if (!strcmp(top_sort_keys[i].name, name))
			return i;
	return -1;
}

int top_rate_source(const struct nl_sources *s)
{
	const struct nl_source_state *h = &s->src[NL_SRC_HINT_FAULTS];

	if (s->src[NL_SRC_PMU].active)
		return NL_SRC_PMU;
	if (h->active && strcmp(h->method, "snapshot"))
		return NL_SRC_HINT_FAULTS;
	return -1;
}

/* Local and remote accesses of one node in the window, from src. */
static void node_accesses(const struct nl_node_stat *s, int src, uint64_t *local, uint64_t *remote)
{
	*local += src == NL_SRC_PMU ? s->pmu_local : s->hint_local;
	*remote += src == NL_SRC_PMU ? s->pmu_remote : s->hint_remote;
}

static bool wanted_pid(const struct top_filter *flt, uint32_t pid)
{
	return nl_pid_listed(flt->pids, flt->nr_pids, pid);
}

static bool row_wanted(const struct nl_snapshot *snap, const struct nl_proc_view *v,
		       const struct top_filter *flt)
{
	if (flt->nr_pids && !wanted_pid(flt, v->pid))
		return false;
	if (!flt->all && !flt->nr_pids && v->cpu_s <= 0)
		return false;
	if (flt->name[0] && !strcasestr(v->comm, flt->name))
		return false;
	if (flt->node >= 0) {
		if (flt->node >= snap->nr_nodes)
			return false;
		if (v->node[flt->node].cpu_s <= 0 && !v->node[flt->node].mem_bytes)
			return false;
	}
	return true;
}

struct sort_ctx {
	enum top_sort sort;
	bool reverse;
	const struct nl_proc_view *base;
};

static int cmp_double(double x, double y)
{
	return x < y ? -1 : x > y;
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct top_row *x = a, *y = b;
	const struct sort_ctx *c = arg;
	int r = 0;

	switch (c->sort) {
	case TS_RANK:
		break;
	case TS_PID:
		r = x->v->pid < y->v->pid ? -1 : x->v->pid > y->v->pid;
		break;
	case TS_COMM:
		r = strcmp(x->v->comm, y->v->comm);
		break;
	case TS_RATIO:
		/* Processes without any ratio sort below those at 0%. */
		r = cmp_double(x->ratio_valid ? x->v->remote_ratio : -1,
			       y->ratio_valid ? y->v->remote_ratio : -1);
		break;
	case TS_REMOTE:
		r = cmp_double(x->remote_s, y->remote_s);
		break;
	case TS_LOCAL:
		r = cmp_double(x->local_s, y->local_s);
		break;
	case TS_CPU:
		r = cmp_double(x->cpu_pct, y->cpu_pct);
		break;
	case TS_MEM:
		r = x->v->mem_bytes < y->v->mem_bytes ? -1 : x->v->mem_bytes > y->v->mem_bytes;
		break;
	case TS_BEST:
		r = x->v->best_node - y->v->best_node;
		break;
	case TS_XMIG:
		r = cmp_double(x->xmig_s, y->xmig_s);
		break;
	case TS_THREADS:
		r = x->v->nr_threads < y->v->nr_threads ? -1 : x->v->nr_threads > y->v->nr_threads;
		break;
	case TS_MAX:
		break;
	}
	if (top_sort_keys[c->sort].descending)
		r = -r;
	if (!r) /* ties keep the model's rank */
		r = (x->v - c->base > y->v - c->base) - (x->v - c->base < y->v - c->base);
	return c->reverse ? -r : r;
}

int top_rows_build(struct top_rows *rows, const struct nl_snapshot *snap,
		   const struct top_filter *flt, enum top_sort sort, bool reverse)
{
	int rates = top_rate_source(&snap->sources);
	struct sort_ctx ctx = { sort, reverse, snap->procs };
	size_t i;
	int n;

	rows->nr = 0;
	rows->nr_ran = 0;
	if (rows->cap < snap->nr) {
		struct top_row *r = realloc(rows->row, snap->nr * sizeof(*r));

		if (!r)
			return -ENOMEM;
		rows->row = r;
		rows->cap = snap->nr;
	}
	for (i = 0; i < snap->nr; i++) {
		const struct nl_proc_view *v = &snap->procs[i];
		struct top_row *r;
		uint64_t local = 0, remote = 0;

		if (v->cpu_s > 0)
			rows->nr_ran++;
		if (!row_wanted(snap, v, flt))
			continue;
		r = &rows->row[rows->nr++];
		memset(r, 0, sizeof(*r));
		r->v = v;
		r->ratio_valid = v->pmu_ratio.valid || v->hint.valid || v->placement.valid;
		r->rates_known = rates >= 0;
		for (n = 0; n < snap->nr_nodes && rates >= 0; n++)
			node_accesses(&v->node[n], rates, &local, &remote);
		if (snap->window_s > 0) {
			r->cpu_pct = v->cpu_s / snap->window_s * 100;
			r->xmig_s = v->cross_node_migrations / snap->window_s;
			if (rates >= 0) {
				r->local_s = local / snap->window_s;
				r->remote_s = remote / snap->window_s;
			}
		}
	}
	qsort_r(rows->row, rows->nr, sizeof(*rows->row), cmp_rows, &ctx);
	return 0;
}

void top_rows_free(struct top_rows *rows)
{
	free(rows->row);
	memset(rows, 0, sizeof(*rows));
}

long top_rows_find(const struct top_rows *rows, uint32_t pid)
{
	size_t i;

	for (i = 0; i < rows->nr; i++)
		if (rows->row[i].v->pid == pid)
			return i;
	return -1;
}

/* Layout of the process list */

static const struct {
	const char *header;
	int width, min;
	bool left;
	int prio; /* columns join in this order while they fit */
	enum top_sort sort;
} cols[TC_MAX] = {
	[TC_PID] = { "PID", 7, 7, false, 0, TS_PID }, /* pid_max is at most 4194304 */
	[TC_COMM] = { "COMMAND", 15, 8, true, 1, TS_COMM },
	[TC_RATIO] = { "RMT%", 4, 4, false, 2, TS_RATIO },
	[TC_SRC] = { "SRC", 5, 5, true, 4, TS_MAX },
	[TC_REMOTE] = { "RMT/s", 5, 5, false, 8, TS_REMOTE },
	[TC_LOCAL] = { "LCL/s", 5, 5, false, 9, TS_LOCAL },
	[TC_CPU] = { "CPU%", 5, 5, false, 3, TS_CPU },
	[TC_MEM] = { "MEMORY", 9, 9, false, 11, TS_MEM },
	[TC_MEMON] = { "MEM-ON", 6, 3, true, 5, TS_MAX },
	[TC_RUNON] = { "RUN-ON", 6, 3, true, 6, TS_MAX },
	[TC_BEST] = { "BEST", 4, 4, false, 7, TS_BEST },
	[TC_PREF] = { "PREF", 4, 4, false, 13, TS_MAX },
	[TC_XMIG] = { "XMIG/s", 6, 6, false, 10, TS_XMIG },
	[TC_THREADS] = { "THR", 5, 5, false, 12, TS_THREADS },
};

#define BAR_MAX 32

void top_layout_compute(struct top_layout *l, int width, enum top_sort sort)
{
	int used = 0, prio, c, x = 0, grow;

	memset(l, 0, sizeof(*l));
	l->cols = width;
	for (prio = 0; prio <= 13; prio++) {
		for (c = 0; c < TC_MAX; c++) {
			int sep = used ? 1 : 0;
			/* The column sorted by comes right after the remote ratio:
			 * a sort by a column out of sight would look arbitrary. */
			int p = cols[c].sort == sort && sort != TS_MAX && cols[c].prio > 2 ?
					2 :
					cols[c].prio;

			if (p != prio)
				continue;
			if (used + sep + cols[c].width <= width)
				l->w[c] = cols[c].width;
			else if (used + sep + cols[c].min <= width)
				l->w[c] = cols[c].min;
			else if (c == TC_PID)
				l->w[c] = cols[c].width; /* clipped */
			else
				continue;
			l->shown[c] = true;
			used += sep + l->w[c];
		}
	}
	/* The rest widens the two bars. */
	if (l->shown[TC_MEMON] && l->shown[TC_RUNON] && width > used) {
		grow = (width - used) / 2;
		if (grow > BAR_MAX - l->w[TC_MEMON])
			grow = BAR_MAX - l->w[TC_MEMON];
		if (grow > 0) {
			l->w[TC_MEMON] += grow;
			l->w[TC_RUNON] += grow;
		}
	}
	for (c = 0; c < TC_MAX; c++) {
		if (!l->shown[c])
			continue;
		l->x[c] = x;
		x += l->w[c] + 1;
	}
}

/* The column the header marks for a sort (none for the rank). */
static int sort_column(const struct top_layout *l, enum top_sort sort)
{
	int c;

	for (c = 0; c < TC_MAX; c++)
		if (l->shown[c] && cols[c].sort == sort && sort != TS_MAX)
			return c;
	return -1;
}

static void put_cell(struct top_frame *f, long line, const struct top_layout *l, int c,
		     enum top_attr a, const char *text)
{
	int len = strlen(text), x = l->x[c];

	if (!cols[c].left && len < l->w[c])
		x += l->w[c] - len;
	if (len > l->w[c]) {
		char clip[TOP_MAX_COLS + 1];

		snprintf(clip, sizeof(clip), "%.*s", l->w[c], text);
		top_put(f, line, x, a, clip);
		return;
	}
	top_put(f, line, x, a, text);
}

void top_render_header(struct top_frame *f, const struct top_layout *l, enum top_sort sort)
{
	long line = top_frame_add(f);
	int c, sorted = sort_column(l, sort);

	top_line_attr(f, line, TA_HEADER);
	for (c = 0; c < TC_MAX; c++)
		if (l->shown[c])
			put_cell(f, line, l, c, c == sorted ? TA_SORTED : TA_HEADER,
				 cols[c].header);
}

/* "999", "12.3k", "123k", "1.2M": at most 5 characters. */
static void format_rate(double v, char *buf, size_t size)
{
	static const char units[] = "kMGT";
	int u = -1;

	if (v < 999.5) {
		snprintf(buf, size, "%.0f", v);
		return;
	}
	while (v >= 999.5 && u < 3) {
		v /= 1000;
		u++;
	}
	snprintf(buf, size, v < 9.95 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

static char node_char(int n)
{
	return n < 10 ? '0' + n : n < 36 ? 'a' + n - 10 : '+';
}

/*
 * A bar of w cells, each showing the node that holds that share: the
 * largest remainders get the cells the rounding leaves over, so the cells
 * add up to w; of equal remainders the lower node's goes first, so a bar
 * is the same on every refresh. Unknown: "?" then dots; nothing: dots.
 */
static void put_bar(struct top_frame *f, long line, int x, int w, const double *share, int nr_nodes,
		    bool known)
{
	int cells[NL_MAX_NODES], n, given = 0, i;
	double total = 0, frac[NL_MAX_NODES];

	for (n = 0; n < nr_nodes; n++)
		total += share[n] > 0 ? share[n] : 0;
	if (!known || total <= 0) {
		for (i = 0; i < w; i++)
			top_put(f, line, x + i, TA_DIM, !known && !i ? "?" : ".");
		return;
	}
	for (n = 0; n < nr_nodes; n++) {
		double exact = (share[n] > 0 ? share[n] : 0) / total * w;

		cells[n] = (int)exact;
		frac[n] = exact - cells[n];
		given += cells[n];
	}
	while (given < w) {
		int best = -1;

		for (n = 0; n < nr_nodes; n++)
			if (share[n] > 0 && (best < 0 || frac[n] > frac[best]))
				best = n;
		if (best < 0)
			break;
		cells[best]++;
		frac[best] = -1;
		given++;
	}
	for (n = 0; n < nr_nodes; n++) {
		char ch[2] = { node_char(n), '\0' };

		for (i = 0; i < cells[n]; i++)
			x = top_put(f, line, x, TA_NODE + n % TOP_NODE_COLORS, ch);
	}
}

static const char *source_short(enum nl_source_id id)
{
	switch (id) {
	case NL_SRC_PMU:
		return "pmu";
	case NL_SRC_HINT_FAULTS:
		return "hint";
	case NL_SRC_PLACEMENT:
		return "place";
	default:
		return "?";
	}
}

void top_render_row(struct top_frame *f, const struct top_layout *l, const struct nl_snapshot *snap,
		    const struct top_row *r, double min_remote_ratio)
{
	const struct nl_proc_view *v = r->v;
	int nr_nodes = snap->nr_nodes > NL_MAX_NODES ? NL_MAX_NODES : snap->nr_nodes;
	double share[NL_MAX_NODES];
	long line = top_frame_add(f);
	enum top_attr a;
	char buf[64];
	int n;

	if (l->shown[TC_PID]) {
		snprintf(buf, sizeof(buf), "%u", v->pid);
		put_cell(f, line, l, TC_PID, TA_NORMAL, buf);
	}
	if (l->shown[TC_COMM])
		put_cell(f, line, l, TC_COMM, v->exited ? TA_DIM : TA_NORMAL, v->comm);
	if (l->shown[TC_RATIO]) {
		a = !r->ratio_valid			    ? TA_DIM :
		    v->flagged				    ? TA_BAD :
		    v->remote_ratio >= min_remote_ratio	    ? TA_WARN :
		    v->remote_ratio >= min_remote_ratio / 3 ? TA_NORMAL :
							      TA_GOOD;
		if (r->ratio_valid)
			snprintf(buf, sizeof(buf), "%.0f%%", v->remote_ratio * 100);
		else
			snprintf(buf, sizeof(buf), "-");
		put_cell(f, line, l, TC_RATIO, a, buf);
	}
	if (l->shown[TC_SRC] && r->ratio_valid)
		put_cell(f, line, l, TC_SRC, TA_DIM, source_short(v->source));
	if (l->shown[TC_REMOTE]) {
		if (r->rates_known)
			format_rate(r->remote_s, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "-");
		put_cell(f, line, l, TC_REMOTE, r->remote_s > 0 ? TA_WARN : TA_NORMAL, buf);
	}
	if (l->shown[TC_LOCAL]) {
		if (r->rates_known)
			format_rate(r->local_s, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "-");
		put_cell(f, line, l, TC_LOCAL, TA_NORMAL, buf);
	}
	if (l->shown[TC_CPU]) {
		snprintf(buf, sizeof(buf), r->cpu_pct < 99.95 ? "%.1f" : "%.0f", r->cpu_pct);
		put_cell(f, line, l, TC_CPU, TA_NORMAL, buf);
	}
	if (l->shown[TC_MEM]) {
		if (v->mem_known)
			nl_format_bytes(v->mem_bytes, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "?");
		put_cell(f, line, l, TC_MEM, TA_NORMAL, buf);
	}
	if (l->shown[TC_MEMON]) {
		for (n = 0; n < nr_nodes; n++)
			share[n] = v->node[n].mem_bytes;
		put_bar(f, line, l->x[TC_MEMON], l->w[TC_MEMON], share, nr_nodes, v->mem_known);
	}
	if (l->shown[TC_RUNON]) {
		for (n = 0; n < nr_nodes; n++)
			share[n] = v->node[n].cpu_s;
		put_bar(f, line, l->x[TC_RUNON], l->w[TC_RUNON], share, nr_nodes, true);
	}
	if (l->shown[TC_BEST]) {
		if (v->best_node >= 0)
			snprintf(buf, sizeof(buf), "%d", v->best_node);
		else
			snprintf(buf, sizeof(buf), "-");
		a = v->best_node >= 0 && v->main_cpu_node >= 0 && v->best_node != v->main_cpu_node ?
			    TA_WARN :
			    TA_NORMAL;
		put_cell(f, line, l, TC_BEST, a, buf);
	}
	if (l->shown[TC_PREF]) {
		if (v->preferred_nid >= 0)
			snprintf(buf, sizeof(buf), "%d", v->preferred_nid);
		else
			snprintf(buf, sizeof(buf), "-");
		put_cell(f, line, l, TC_PREF, TA_NORMAL, buf);
	}
	if (l->shown[TC_XMIG]) {
		if (r->xmig_s >= 999.5)
			format_rate(r->xmig_s, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "%.1f", r->xmig_s);
		put_cell(f, line, l, TC_XMIG, r->xmig_s > 0 ? TA_WARN : TA_NORMAL, buf);
	}
	if (l->shown[TC_THREADS]) {
		snprintf(buf, sizeof(buf), "%u", v->nr_threads);
		put_cell(f, line, l, TC_THREADS, TA_NORMAL, buf);
	}
}

/* The sources the remote ratio can come from, active ones only. */
static void ratio_sources(const struct nl_sources *s, char *buf, size_t size)
{
	static const enum nl_source_id ids[] = { NL_SRC_PMU, NL_SRC_HINT_FAULTS, NL_SRC_PLACEMENT };
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]) && used < size; i++)
		if (s->src[ids[i]].active)
			used += snprintf(buf + used, size - used, "%s%s", used ? "," : "",
					 nl_source_name(ids[i]));
	if (!used)
		snprintf(buf, size, "none");
}

long top_render_list(struct top_frame *f, const struct nl_snapshot *snap,
		     const struct top_rows *rows, const struct top_status *st, size_t first,
		     size_t max_rows, long selected)
{
	const struct nl_topology *t = snap->topo;
	struct top_layout l;
	char srcs[64], flt[64] = "", buf[TOP_MAX_COLS + 1];
	long line, first_line;
	size_t i;
	int col;

	top_layout_compute(&l, f->cols, st->sort);
	line = top_frame_add(f);
	col = top_put(f, line, 0, TA_TITLE, "numatop-lite");
	if (st->paused)
		col = top_put(f, line, col + 1, TA_BAD, "PAUSED");
	snprintf(buf, sizeof(buf),
		 "%s  every %gs  %d node%s %d CPUs  %zu procs, %zu ran, %zu shown", st->clock,
		 st->interval_s, t ? t->nr_nodes : snap->nr_nodes,
		 (t ? t->nr_nodes : snap->nr_nodes) == 1 ? "" : "s", t ? t->nr_cpu_ids : 0,
		 snap->nr, rows->nr_ran, rows->nr);
	top_put(f, line, col + 1, TA_NORMAL, buf);

	line = top_frame_add(f);
	ratio_sources(&snap->sources, srcs, sizeof(srcs));
	if (st->filter) {
		size_t used = 0;

		if (st->filter->name[0])
			used += snprintf(flt + used, sizeof(flt) - used, " name~%s",
					 st->filter->name);
		if (st->filter->node >= 0 && used < sizeof(flt))
			used += snprintf(flt + used, sizeof(flt) - used, " node %d",
					 st->filter->node);
		if (st->filter->nr_pids && used < sizeof(flt))
			used += snprintf(flt + used, sizeof(flt) - used, " pids");
		if (st->filter->all && used < sizeof(flt))
			snprintf(flt + used, sizeof(flt) - used, " all");
	}
	if (st->sort == TS_RANK)
		snprintf(buf, sizeof(buf), "sort: rank%s  filter:%s  ratio from: %s",
			 st->reverse ? " reversed" : "", flt[0] ? flt : " none", srcs);
	else
		snprintf(buf, sizeof(buf), "sort: %s %s  filter:%s  ratio from: %s",
			 top_sort_keys[st->sort].header,
			 top_sort_keys[st->sort].descending != st->reverse ? "desc" : "asc",
			 flt[0] ? flt : " none", srcs);
	top_put(f, line, 0, TA_NORMAL, buf);

	top_render_header(f, &l, st->sort);
	first_line = f->nr;
	if (!rows->nr) {
		const char *why;

		if (st->filter && (st->filter->name[0] || st->filter->node >= 0))
			why = "no process matches the filter ('=' clears it)";
		else if (st->filter && st->filter->nr_pids)
			why = "no data in the window for the processes asked for: kernel threads "
			      "and processes that exited are not seen";
		else if (st->batch)
			why = "no process ran in the window (-a lists all)";
		else
			why = "no process ran in the window ('a' shows all)";
		top_put_wrapped(f, 2, 2, TA_DIM, why);
		return first_line;
	}
	for (i = first; i < rows->nr && (!max_rows || i < first + max_rows); i++) {
		top_render_row(f, &l, snap, &rows->row[i], st->min_remote_ratio);
		if ((long)i == selected)
			top_line_attr(f, f->nr - 1, TA_SELECTED);
	}
	return first_line;
}

/* Process detail */

void top_node_cpulist(const struct nl_topology *t, int node, char *buf, size_t size)
{
	if (!nl_node_cpulist(t, node, buf, size)[0])
		snprintf(buf, size, "none");
}

static bool node_shown(const struct nl_snapshot *snap, int n)
{
	return !snap->topo || nl_node_present(snap->topo, n);
}

static void ratio_text(struct nl_ratio r, char *buf, size_t size)
{
	if (r.valid)
		snprintf(buf, size, "%.0f%%", r.value * 100);
	else
		snprintf(buf, size, "unknown");
}

/* A node, or the word for none ("none", "unknown"). */
static const char *node_text(int node, const char *none, char *buf, size_t size)
{
	if (node < 0)
		return none;
	snprintf(buf, size, "%d", node);
	return buf;
}

static void detail_nodes(struct top_frame *f, const struct nl_snapshot *snap,
			 const struct nl_proc_view *v)
{
	char mem[32];
	long line;
	int n;

	line = top_frame_add(f);
	top_put(f, line, 0, TA_HEADER,
		"NODE   CPU s   CPU%     MEMORY  MEM%  HINT-LOCAL HINT-REMOTE");
	top_line_attr(f, line, TA_HEADER);
	for (n = 0; n < snap->nr_nodes; n++) {
		const struct nl_node_stat *s = &v->node[n];

		if (!node_shown(snap, n))
			continue;
		if (v->mem_known)
			nl_format_bytes(s->mem_bytes, mem, sizeof(mem));
		else
			snprintf(mem, sizeof(mem), "?");
		line = top_frame_add(f);
		top_putf(f, line, 0, TA_NORMAL,
			 "%4d %7.2f %6.1f %10s %4.0f%% %11" PRIu64 " %11" PRIu64, n, s->cpu_s,
			 snap->window_s > 0 ? s->cpu_s / snap->window_s * 100 : 0, mem,
			 v->mem_bytes ? 100.0 * s->mem_bytes / v->mem_bytes : 0, s->hint_local,
			 s->hint_remote);
	}
	if (v->mem_known)
		nl_format_bytes(v->mem_bytes, mem, sizeof(mem));
	else
		snprintf(mem, sizeof(mem), "?");
	line = top_frame_add(f);
	top_putf(f, line, 0, TA_TITLE, " all %7.2f %6.1f %10s", v->cpu_s,
		 snap->window_s > 0 ? v->cpu_s / snap->window_s * 100 : 0, mem);
	if (!v->mem_known)
		top_put_wrapped(
			f, 2, 2, TA_DIM,
			"memory per node not read yet: /proc/PID/numa_maps is read for busy "
			"processes and for the one shown here");
	else if (v->mem_truncated)
		top_put_wrapped(f, 2, 2, TA_DIM,
				"memory per node counts only the start of a very long numa_maps");
}

static void detail_faults(struct top_frame *f, const struct nl_snapshot *snap,
			  const struct nl_proc_view *v)
{
	const struct nl_source_state *h = &snap->sources.src[NL_SRC_HINT_FAULTS];
	uint64_t local = 0, remote = 0;
	char buf[512], node[16], promoted[64] = "";
	int n;

	for (n = 0; n < snap->nr_nodes; n++) {
		local += v->node[n].hint_local;
		remote += v->node[n].hint_remote;
	}
	if (!h->active)
		snprintf(buf, sizeof(buf), "Hinting faults: inactive: %s", h->reason);
	else if (!strcmp(h->method, "snapshot"))
		snprintf(buf, sizeof(buf),
			 "Hinting faults in the kernel's last scan window: %" PRIu64
			 " local, %" PRIu64 " remote (%s)",
			 v->locality_local, v->locality_remote, h->method);
	else
		snprintf(buf, sizeof(buf),
			 "Hinting faults in the window: %" PRIu64 " local, %" PRIu64
			 " remote, %" PRIu64 " pages migrated (%s)",
			 local, remote, v->hint_migrated_pages, h->method);
	top_put_wrapped(f, 0, 2, TA_NORMAL, buf);
	/* Promotions where they are counted, or where some were. */
	if (snap->sources.src[NL_SRC_PROMOTIONS].active || v->promoted_pages)
		snprintf(promoted, sizeof(promoted), ", %" PRIu64 " promoted to the top tier",
			 v->promoted_pages);
	snprintf(buf, sizeof(buf),
		 "NUMA balancing in the window: %" PRIu64 " moves, %" PRIu64 " swaps, %" PRIu64
		 " sticks, %" PRIu64 " pages migrated%s; preferred node: %s",
		 v->numa_moves, v->numa_swaps, v->numa_sticks, v->numa_pages_migrated, promoted,
		 node_text(v->preferred_nid, "none", node, sizeof(node)));
	top_put_wrapped(f, 0, 2, TA_NORMAL, buf);
	snprintf(buf, sizeof(buf),
		 "Migrations in the window: %" PRIu64 " (%" PRIu64 " cross-node, %.1f/s)",
		 v->migrations, v->cross_node_migrations,
		 snap->window_s > 0 ? v->cross_node_migrations / snap->window_s : 0);
	top_put_wrapped(f, 0, 2, TA_NORMAL, buf);
}

static void detail_matrix(struct top_frame *f, const struct nl_snapshot *snap,
			  const struct nl_proc_view *v, const uint64_t *matrix)
{
	const struct nl_source_state *p = &snap->sources.src[NL_SRC_PMU];
	int nodes = snap->nr_nodes, cpu, mem, col;
	char buf[512];
	long line;

	if (!p->active || !matrix) {
		snprintf(buf, sizeof(buf), "Node x node access matrix: inactive: %s",
			 p->active ? "the samples could not be read" : p->reason);
		top_put_wrapped(f, 0, 2, TA_DIM, buf);
		return;
	}
	snprintf(buf, sizeof(buf),
		 "Memory samples in the window: %" PRIu64 " local, %" PRIu64 " remote (%s)",
		 (uint64_t)v->pmu.mem_local, (uint64_t)v->pmu.mem_remote, p->method);
	top_put_wrapped(f, 0, 2, TA_NORMAL, buf);
	line = top_frame_add(f);
	top_put(f, line, 0, TA_TITLE,
		"Node x node access matrix (memory samples since the start; rows: CPU node)");
	line = top_frame_add(f);
	col = top_put(f, line, 0, TA_HEADER, "CPU\\MEM");
	for (mem = 0; mem < nodes; mem++)
		if (node_shown(snap, mem))
			col = top_putf(f, line, col, TA_HEADER, " %9d", mem);
	top_putf(f, line, col, TA_HEADER, " %9s", "unknown");
	top_line_attr(f, line, TA_HEADER);
	for (cpu = 0; cpu < nodes; cpu++) {
		if (!node_shown(snap, cpu))
			continue;
		line = top_frame_add(f);
		col = top_putf(f, line, 0, TA_NODE + cpu % TOP_NODE_COLORS, "%7d", cpu);
		for (mem = 0; mem <= nodes; mem++)
			if (mem == nodes || node_shown(snap, mem))
				col = top_putf(f, line, col, cpu == mem ? TA_GOOD : TA_NORMAL,
					       " %9" PRIu64, matrix[cpu * (nodes + 1) + mem]);
	}
}

static void detail_threads(struct top_frame *f, const struct top_thread *th, int nr, size_t total)
{
	long line;
	int i;

	line = top_frame_add(f);
	top_putf(f, line, 0, TA_TITLE, "Threads: %zu%s", total,
		 (size_t)nr < total ? " (the first ones shown)" : "");
	line = top_frame_add(f);
	top_put(f, line, 0, TA_HEADER, "    TID COMMAND         S   CPU NODE   CPU TIME");
	top_line_attr(f, line, TA_HEADER);
	for (i = 0; i < nr; i++) {
		char node[16];

		if (th[i].node >= 0)
			snprintf(node, sizeof(node), "%d", th[i].node);
		else
			snprintf(node, sizeof(node), "-");
		line = top_frame_add(f);
		top_putf(f, line, 0, TA_NORMAL, "%7u %-15s %c %5d %4s %9.2fs", th[i].tid,
			 th[i].comm, th[i].state, th[i].cpu, node, th[i].cpu_s);
		if (th[i].node >= 0)
			top_putf(f, line, 32, TA_NODE + th[i].node % TOP_NODE_COLORS, "%4s", node);
	}
}

void top_render_detail(struct top_frame *f, const struct nl_snapshot *snap,
		       const struct nl_proc_view *v, const struct top_detail *d)
{
	char pl[16], hi[16], pm[16], node[16], buf[600], finding[NL_FINDING_MAX];
	long line;

	line = top_frame_add(f);
	if (!v) {
		top_putf(f, line, 0, TA_TITLE, "Process %u", d->pid);
		top_put_wrapped(f, 0, 2, TA_WARN,
				"not in this window: it has exited, or it is a kernel thread "
				"numalens does not see");
		return;
	}
	top_putf(f, line, 0, TA_TITLE, "Process %u (%s)  %u thread%s%s  window %.2f s", v->pid,
		 v->comm, v->nr_threads, v->nr_threads == 1 ? "" : "s", v->exited ? "  EXITED" : "",
		 snap->window_s);
	ratio_text(v->placement, pl, sizeof(pl));
	ratio_text(v->hint, hi, sizeof(hi));
	ratio_text(v->pmu_ratio, pm, sizeof(pm));
	snprintf(buf, sizeof(buf), "Remote %.0f%% from %s; best node %s", v->remote_ratio * 100,
		 nl_source_name(v->source), node_text(v->best_node, "unknown", node, sizeof(node)));
	top_put_wrapped(f, 0, 2, v->flagged ? TA_BAD : TA_NORMAL, buf);
	snprintf(buf, sizeof(buf), "Remote by source: pmu %s, hint_faults %s, placement %s%s", pm,
		 hi, pl, v->disagree ? " (they disagree)" : "");
	top_put_wrapped(f, 0, 2, TA_NORMAL, buf);
	nl_model_finding(v, snap->nr_nodes, snap->topo, finding, sizeof(finding));
	snprintf(buf, sizeof(buf), "Finding: %s", finding);
	top_put_wrapped(f, 0, 2, TA_NORMAL, buf);
	if (d->suggestion && d->suggestion[0]) {
		size_t i;

		snprintf(buf, sizeof(buf), "Suggest: %s", d->suggestion);
		top_put_wrapped(f, 0, 2, v->flagged ? TA_WARN : TA_NORMAL, buf);
		for (i = 0; i < d->nr_commands; i++) {
			snprintf(buf, sizeof(buf), "%s: %s", d->commands[i].when,
				 d->commands[i].text);
			top_put_wrapped(f, 4, 8, TA_NORMAL, buf);
		}
	}
	if (d->last_change && d->last_change[0]) {
		snprintf(buf, sizeof(buf), "Last change: %s", d->last_change);
		top_put_wrapped(f, 0, 2, TA_NORMAL, buf);
	}
	top_frame_add(f);
	detail_nodes(f, snap, v);
	top_frame_add(f);
	detail_faults(f, snap, v);
	detail_matrix(f, snap, v, d->matrix);
	top_frame_add(f);
	detail_threads(f, d->threads, d->nr_threads, d->total_threads);
}

/* Node overview */

/* The tiers, the firmware's figures of the slower nodes, the findings. */
static void top_render_tiers(struct top_frame *f, const struct nl_snapshot *snap)
{
	const struct nl_topology *t = snap->topo;
	struct nl_sys_finding found[NL_SF_MAX];
	char buf[512], init[64];
	int n, nr, i;

	if (!t->tiers_known || t->nr_nodes < 2)
		return;
	memcpy(buf, "Tiers: ", 7);
	nl_tiers_summary(buf + 7, sizeof(buf) - 7, t);
	top_frame_add(f);
	top_put_wrapped(f, 0, 2, TA_NORMAL, buf);
	for (n = 0; n < t->nr_node_ids && n < NL_MAX_NODES; n++) {
		const struct nl_node_access *a = &t->access[n];

		if (!nl_node_present(t, n) || !a->known)
			continue;
		top_putf(f, top_frame_add(f), 2, TA_DIM,
			 "node %d from %s: read %u ns %u MB/s, write %u ns %u MB/s", n,
			 nl_nodes_to_list(a->initiators, init, sizeof(init)), a->read_latency_ns,
			 a->read_bandwidth_mbps, a->write_latency_ns, a->write_bandwidth_mbps);
	}
	nr = nl_sys_findings(t, &snap->sys_before, &snap->sys_after, found, NL_SF_MAX);
	for (i = 0; i < nr; i++)
		top_put_wrapped(f, 0, 2, TA_BAD, found[i].text);
}

void top_render_nodes(struct top_frame *f, const struct nl_snapshot *snap,
		      const struct nl_topology *live)
{
	const struct nl_topology *t = snap->topo;
	int rates = top_rate_source(&snap->sources);
	char cpus[32], used_s[32], free_s[32], lo[16], re[16], hl[16], hr[16], buf[512];
	char tier[24];
	long line;
	int n, m, id, col;
	size_t i;

	if (!live)
		live = t;
	line = top_frame_add(f);
	if (!t) {
		top_put(f, line, 0, TA_TITLE, "Nodes: topology unknown");
		return;
	}
	top_putf(f, line, 0, TA_TITLE, "Nodes: %d  CPUs: %d  window %.2f s  (%s)", t->nr_nodes,
		 t->nr_cpu_ids, snap->window_s, t->source ? t->source : "");
	line = top_frame_add(f);
	top_put(f, line, 0, TA_HEADER,
		"NODE CPUS          BUSY  MEM USED  MEM FREE  LOCAL REMOTE     LCL/s    RMT/s  TIER");
	top_line_attr(f, line, TA_HEADER);
	for (n = 0; n < t->nr_node_ids && n < NL_MAX_NODES; n++) {
		double busy = 0, local = 0, remote = 0;
		uint64_t hlocal = 0, hremote = 0;
		int ncpu = t->node_nr_cpus[n];

		if (!nl_node_present(t, n))
			continue;
		/* CPU time on this node's CPUs, each process's split by where its
		 * memory is (placement); faults on this node's memory. */
		for (i = 0; i < snap->nr && n < snap->nr_nodes; i++) {
			const struct nl_proc_view *v = &snap->procs[i];
			const struct nl_node_stat *s = &v->node[n];

			busy += s->cpu_s;
			if (rates >= 0)
				node_accesses(s, rates, &hlocal, &hremote);
			if (v->mem_known && v->mem_bytes && s->cpu_s > 0) {
				double share = (double)s->mem_bytes / v->mem_bytes;

				local += s->cpu_s * share;
				remote += s->cpu_s * (1 - share);
			}
		}
		top_node_cpulist(t, n, cpus, sizeof(cpus));
		nl_format_bytes(live->node_mem_total[n] - live->node_mem_free[n], used_s,
				sizeof(used_s));
		nl_format_bytes(live->node_mem_free[n], free_s, sizeof(free_s));
		if (local + remote > 0) {
			snprintf(lo, sizeof(lo), "%.0f%%", local / (local + remote) * 100);
			snprintf(re, sizeof(re), "%.0f%%", remote / (local + remote) * 100);
		} else {
			snprintf(lo, sizeof(lo), "-");
			snprintf(re, sizeof(re), "-");
		}
		if (rates >= 0 && snap->window_s > 0) {
			format_rate(hlocal / snap->window_s, hl, sizeof(hl));
			format_rate(hremote / snap->window_s, hr, sizeof(hr));
		} else {
			snprintf(hl, sizeof(hl), "-");
			snprintf(hr, sizeof(hr), "-");
		}
		if (t->tiers_known && t->node_tier[n] >= 0)
			snprintf(tier, sizeof(tier), "%d%s", t->node_tier[n],
				 nl_node_slow_tier(t, n) ? " slower" : "");
		else
			snprintf(tier, sizeof(tier), "-");
		line = top_frame_add(f);
		top_putf(f, line, 0, TA_NORMAL, "%4d %-12s %4.0f%% %9s %9s %6s %6s %9s %8s  %s", n,
			 cpus, ncpu && snap->window_s > 0 ? busy / snap->window_s / ncpu * 100 : 0,
			 used_s, free_s, lo, re, hl, hr, tier);
		top_putf(f, line, 0, TA_NODE + n % TOP_NODE_COLORS, "%4d", n);
	}
	snprintf(buf, sizeof(buf),
		 "BUSY: CPU time on the node's CPUs. LOCAL/REMOTE: that CPU time split by "
		 "where each process's memory is (placement). LCL/s, RMT/s: accesses to the "
		 "node's memory from its own CPUs and from other nodes' (%s).",
		 rates == NL_SRC_PMU	     ? "sampled loads, pmu" :
		 rates == NL_SRC_HINT_FAULTS ? "hinting faults" :
					       "no source gives them here");
	top_put_wrapped(f, 0, 2, TA_DIM, buf);
	top_render_tiers(f, snap);

	top_frame_add(f);
	line = top_frame_add(f);
	top_put(f, line, 0, TA_TITLE, "Distances");
	line = top_frame_add(f);
	top_put(f, line, 0, TA_HEADER, "    ");
	for (m = 0, col = 4; m < t->nr_node_ids && m < NL_MAX_NODES; m++)
		if (nl_node_present(t, m))
			col = top_putf(f, line, col, TA_HEADER, "%4d", m);
	top_line_attr(f, line, TA_HEADER);
	for (n = 0; n < t->nr_node_ids && n < NL_MAX_NODES; n++) {
		if (!nl_node_present(t, n))
			continue;
		col = 4;
		line = top_frame_add(f);
		top_putf(f, line, 0, TA_NODE + n % TOP_NODE_COLORS, "%4d", n);
		for (m = 0; m < t->nr_node_ids && m < NL_MAX_NODES; m++)
			if (nl_node_present(t, m))
				col = top_putf(f, line, col, n == m ? TA_DIM : TA_NORMAL, "%4d",
					       t->distance[n][m]);
	}

	top_frame_add(f);
	line = top_frame_add(f);
	top_put(f, line, 0, TA_TITLE, "Data sources");
	for (id = 0; id < NL_SRC_MAX; id++) {
		const struct nl_source_state *s = &snap->sources.src[id];

		line = top_frame_add(f);
		top_putf(f, line, 2, s->active ? TA_NORMAL : TA_DIM, "%-14s %s", nl_source_name(id),
			 s->active ? "active" : "inactive");
		snprintf(buf, sizeof(buf), "%s%s%s", s->method, s->method[0] ? ": " : "",
			 s->reason);
		wrap_from(f, line, 27, 27, s->active ? TA_NORMAL : TA_DIM, buf);
	}
}

/* Help */

void top_render_help(struct top_frame *f)
{
	static const char *const lines[] = {
		"Help: numatop-lite keys",
		"",
		"  Enter        detail of the selected process",
		"  n            node overview",
		"  h or ?       this help",
		"  b or Esc     back",
		"  space        pause or resume the refresh",
		"  q            quit",
		"  up/down, j/k, PgUp/PgDn, Home/End   move (scroll in the other screens)",
		"",
		"  /            filter by command name (a substring; empty clears)",
		"  f            filter by node: its CPU time or memory is on that node",
		"  =            clear the filters",
		"  a            all processes, also those that did not run in the window",
		"",
		"Sort (again: reverse; I reverses too; < and > step through them)",
		"  K rank (most remote traffic first)   N PID         C COMMAND",
		"  R RMT% (remote ratio)                A RMT/s       L LCL/s",
		"  P CPU%                               M MEMORY      B BEST",
		"  X XMIG/s (cross-node migrations)     T THR (threads)",
		"",
		"Columns",
		"  RMT%, SRC     remote share of memory accesses and where it comes from:",
		"                pmu (hardware), hint (hinting faults), place (CPU time x",
		"                memory per node)",
		"  RMT/s, LCL/s  remote and local accesses per second: memory samples",
		"                (pmu), else hinting faults; - where neither gives a rate",
		"  MEM-ON        where its memory is, RUN-ON where it ran: each cell is a",
		"                node id, in proportion (? unknown, . nothing)",
		"  BEST          the node holding most of its memory",
		"  XMIG/s        migrations between CPUs of different nodes per second",
	};
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		top_put(f, top_frame_add(f), 0, i ? TA_NORMAL : TA_TITLE, lines[i]);
}
