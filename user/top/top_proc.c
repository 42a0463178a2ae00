// SPDX-License-Identifier: GPL-2.0
/*
 * The one thing the process detail reads itself: the threads of a process
 * and the CPU each last ran on (/proc/PID/task/TID/stat), which the
 * per-process snapshot does not keep. Read for the process on screen only.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "procfs.h"
#include "top.h"

static int cmp_tid(const void *a, const void *b)
{
	const struct top_thread *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

struct thread_walk {
	uint32_t pid;
	const struct nl_topology *topo;
	long hz;
	struct top_thread *out;
	size_t max, nr, total;
};

static int thread_visit(int tid, void *walk)
{
	struct thread_walk *w = walk;
	struct nl_proc_stat st;
	struct top_thread *t;

	w->total++;
	if (w->nr == w->max || nl_thread_stat_read(w->pid, tid, &st))
		return 0; /* only counted, or exited meanwhile */
	t = &w->out[w->nr++];
	t->tid = st.pid;
	memcpy(t->comm, st.comm, sizeof(t->comm));
	t->comm[NL_COMM_LEN - 1] = '\0';
	t->state = st.state;
	t->cpu = st.processor;
	t->node = -1;
	if (w->topo && st.processor >= 0 && st.processor < w->topo->nr_cpu_ids &&
	    st.processor < NL_MAX_CPUS)
		t->node = w->topo->cpu_node[st.processor];
	t->cpu_s = (double)(st.utime_ticks + st.stime_ticks) / w->hz;
	return 0;
}

int top_threads_read(uint32_t pid, const struct nl_topology *topo, struct top_thread *out,
		     size_t max, size_t *total)
{
	struct thread_walk w = { .pid = pid, .topo = topo, .out = out, .max = max };
	int err;

	w.hz = sysconf(_SC_CLK_TCK);
	if (w.hz <= 0)
		w.hz = 100;
	err = nl_task_walk(pid, thread_visit, &w);
	*total = w.total;
	if (err)
		return err;
	qsort(out, w.nr, sizeof(*out), cmp_tid);
	return w.nr;
}
