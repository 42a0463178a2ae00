/* SPDX-License-Identifier: GPL-2.0 */
/*
 * numatop-lite, the interactive view. Its screens are drawn into frames of
 * plain text with one display attribute per cell, by pure functions of a
 * snapshot (top_view.c): ncurses paints a frame (top.c), batch mode prints
 * its text, and the tests read either. Nothing here knows about BPF.
 */
#ifndef NUMALENS_TOP_H
#define NUMALENS_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "model.h"
#include "advice_text.h"
#include "advisor.h"
#include "snapshot.h"

/* Display attributes of a cell; the front end maps them to colours or to
 * bold/reverse on a monochrome terminal, batch mode ignores them. */
enum top_attr {
	TA_NORMAL,
	TA_TITLE,
	TA_HEADER,
	TA_SORTED, /* the header of the sort column */
	TA_SELECTED,
	TA_FOOTER,
	TA_GOOD,
	TA_WARN,
	TA_BAD,
	TA_DIM,
	TA_NODE, /* TA_NODE + (node % TOP_NODE_COLORS) */
};

#define TOP_NODE_COLORS 6
#define TOP_MAX_COLS 1024

/* Lines of exactly cols cells, text NUL-terminated after the last cell. */
struct top_frame {
	int cols;
	size_t nr, cap;
	char *text;    /* nr * (cols + 1) */
	uint8_t *attr; /* nr * cols */
};

void top_frame_init(struct top_frame *f, int cols);
void top_frame_reset(struct top_frame *f, int cols);
void top_frame_free(struct top_frame *f);
/* Appends a blank line; returns its index, or -1 without memory. */
long top_frame_add(struct top_frame *f);
/* Writes text at col of line, clipped at the right edge; returns the
 * column after it. Bytes that are not printable ASCII become '?'. */
int top_put(struct top_frame *f, long line, int col, enum top_attr a, const char *text);
int top_putf(struct top_frame *f, long line, int col, enum top_attr a, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Appends text as lines wrapped at word boundaries, the first starting at
 * column first, the others at column indent. */
void top_put_wrapped(struct top_frame *f, int first, int indent, enum top_attr a, const char *text);
void top_line_attr(struct top_frame *f, long line, enum top_attr a);
static inline const char *top_line_text(const struct top_frame *f, size_t line)
{
	return &f->text[line * (f->cols + 1)];
}
/* Writes every line with trailing blanks removed. */
int top_frame_print(const struct top_frame *f, size_t first, size_t nr, FILE *out);

enum top_sort {
	TS_RANK, /* the model's order: most remote traffic first */
	TS_PID,
	TS_COMM,
	TS_RATIO,
	TS_REMOTE,
	TS_LOCAL,
	TS_CPU,
	TS_MEM,
	TS_BEST,
	TS_XMIG,
	TS_THREADS,
	TS_MAX,
};

struct top_sort_key {
	int key; /* the key that selects it */
	const char *name;
	const char *header; /* the column it sorts, NULL for the rank */
	bool descending;    /* its first direction */
};

extern const struct top_sort_key top_sort_keys[TS_MAX];
/* The sort selected by a key or a name ("cpu"), or -1. */
int top_sort_by_key(int key);
int top_sort_by_name(const char *name);

/* One row of the process list, with the rates it shows. */
struct top_row {
	const struct nl_proc_view *v;
	bool ratio_valid;
	bool rates_known; /* remote/local accesses per second */
	double remote_s, local_s;
	double cpu_pct; /* of one CPU */
	double xmig_s;
};

struct top_filter {
	char name[NL_COMM_LEN]; /* substring of the command; "" for any */
	int node;		/* CPU time or memory on this node; -1 for any */
	bool all;		/* also processes that did not run in the window */
	const uint32_t *pids;	/* only these, when nr_pids */
	size_t nr_pids;
};

struct top_rows {
	size_t nr, cap;
	struct top_row *row;
	size_t nr_ran; /* processes that ran in the window */
};

/* Where accesses per second come from here: NL_SRC_PMU (memory samples),
 * NL_SRC_HINT_FAULTS, or -1 (nowhere: the kernel's fault snapshot is reset
 * every scan window, so it gives no rate). */
int top_rate_source(const struct nl_sources *s);
/* Fills rows from snap, filtered and sorted. Returns 0 or -ENOMEM. */
int top_rows_build(struct top_rows *rows, const struct nl_snapshot *snap,
		   const struct top_filter *flt, enum top_sort sort, bool reverse);
void top_rows_free(struct top_rows *rows);
long top_rows_find(const struct top_rows *rows, uint32_t pid);

/* The columns of the process list that fit in a width. */
enum top_col {
	TC_PID,
	TC_COMM,
	TC_RATIO,
	TC_SRC,
	TC_REMOTE,
	TC_LOCAL,
	TC_CPU,
	TC_MEM,
	TC_MEMON,
	TC_RUNON,
	TC_BEST,
	TC_PREF,
	TC_XMIG,
	TC_THREADS,
	TC_MAX,
};

struct top_layout {
	int cols;
	bool shown[TC_MAX];
	int x[TC_MAX], w[TC_MAX];
};

/* The columns that fit in cols, the one sort orders by among them. */
void top_layout_compute(struct top_layout *l, int cols, enum top_sort sort);

/* What the process list shows above its rows. */
struct top_status {
	const char *clock; /* "12:34:56" */
	double interval_s;
	bool paused;
	enum top_sort sort;
	bool reverse;
	const struct top_filter *filter;
	const char *message; /* a prompt or a notice for the last line */
	double min_remote_ratio;
	bool batch; /* no keys: hints name options, not keys */
};

/*
 * The process list: two status lines, the column header, then the rows from
 * first (at most max_rows, all when 0); selected is a row index or -1.
 * Returns the line of the first row.
 */
long top_render_list(struct top_frame *f, const struct nl_snapshot *snap,
		     const struct top_rows *rows, const struct top_status *st, size_t first,
		     size_t max_rows, long selected);
/* The header line and one row: for batch mode and the tests. */
void top_render_header(struct top_frame *f, const struct top_layout *l, enum top_sort sort);
void top_render_row(struct top_frame *f, const struct top_layout *l, const struct nl_snapshot *snap,
		    const struct top_row *r, double min_remote_ratio);

/* One thread of a process, from /proc/PID/task/TID/stat. */
struct top_thread {
	uint32_t tid;
	char comm[NL_COMM_LEN];
	char state;
	int cpu;  /* the CPU it last ran on */
	int node; /* that CPU's node, -1 when unknown */
	double cpu_s;
};

/* Reads the threads of pid (at most max); returns how many, or a negative
 * errno (-ENOENT: the process is gone). */
int top_threads_read(uint32_t pid, const struct nl_topology *topo, struct top_thread *out,
		     size_t max, size_t *total);

/* What the detail screen shows besides the snapshot. */
struct top_detail {
	uint32_t pid;
	const struct top_thread *threads;
	int nr_threads;
	size_t total_threads;
	/* Memory samples since the start per (CPU node, memory node):
	 * matrix[cpu * (nr_nodes + 1) + mem], the last column for unknown
	 * nodes; NULL when hardware sampling is inactive. */
	const uint64_t *matrix;
	/* The advisor's suggestion and its commands, when it has one. */
	const char *suggestion;
	const struct nl_command *commands;
	size_t nr_commands;
	/* Its last change, from its pin record (nl_pin_change_text), NULL or
	 * "" when numalens has not pinned it. */
	const char *last_change;
};

/* The detail of one process. v is NULL when it is no longer there. */
void top_render_detail(struct top_frame *f, const struct nl_snapshot *snap,
		       const struct nl_proc_view *v, const struct top_detail *d);
/* The node overview; live holds the nodes' memory as read now (NULL: the
 * snapshot's topology). */
void top_render_nodes(struct top_frame *f, const struct nl_snapshot *snap,
		      const struct nl_topology *live);
void top_render_help(struct top_frame *f);

/* "0-3,8" */
void top_node_cpulist(const struct nl_topology *t, int node, char *buf, size_t size);

/* Whether $TERM can show the live view (top_term.c): 0, or -1 with why
 * saying what is missing ("TERM=dumb cannot ..."). */
int top_terminal_check(char *why, size_t size);

#endif /* NUMALENS_TOP_H */
