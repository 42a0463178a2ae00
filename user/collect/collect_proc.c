// SPDX-License-Identifier: GPL-2.0
/*
 * The collector without BPF, for the processes named only: CPU time per
 * node from each thread's ticks (/proc/PID/task/TID/stat) between reads,
 * credited to the node of the CPU it last ran on; a thread that appeared
 * since the previous read is credited with all of its ticks. What pin
 * --node N and --cpus measure, where BPF may not be there. Its tables are
 * cumulative like the BPF collector's, so the agent's snapshot, memory and
 * model steps are the same for both.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "array.h"
#include "collect.h"
#include "procfs.h"

struct thread_ticks {
	int tid;
	uint64_t ticks;
};

struct watched {
	uint32_t pid;
	uint64_t start_ticks; /* 0: not read yet */
	struct thread_ticks *threads;
	size_t nr_threads, cap_threads;
	uint64_t *cpu_ns; /* [nr_nodes], since the first read */
};

struct nl_proc_collector {
	const struct nl_topology *topo;
	int nr_nodes;
	long hz;
	struct watched *w;
	size_t nr;
};

int nl_proc_collector_open(const struct nl_topology *topo, int nr_nodes, const uint32_t *pids,
			   size_t nr_pids, struct nl_proc_collector **out)
{
	struct nl_proc_collector *c = calloc(1, sizeof(*c));
	size_t i;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->topo = topo;
	c->nr_nodes = nr_nodes > 0 ? nr_nodes : 1;
	c->hz = sysconf(_SC_CLK_TCK);
	if (c->hz <= 0)
		c->hz = 100;
	c->w = calloc(nr_pids ? nr_pids : 1, sizeof(*c->w));
	if (!c->w) {
		free(c);
		return -ENOMEM;
	}
	for (i = 0; i < nr_pids; i++) {
		c->w[c->nr].pid = pids[i];
		c->w[c->nr].cpu_ns = calloc(c->nr_nodes, sizeof(*c->w[c->nr].cpu_ns));
		if (!c->w[c->nr++].cpu_ns) {
			nl_proc_collector_free(c);
			return -ENOMEM;
		}
	}
	*out = c;
	return 0;
}

/* One walk of a process's threads: their ticks now, and the time since the
 * last walk credited (none on the first). */
struct walk {
	const struct nl_proc_collector *c;
	struct watched *w;
	bool first;
	struct thread_ticks *now;
	size_t nr, cap;
};

static int visit(int tid, void *ctx)
{
	struct walk *k = ctx;
	struct thread_ticks *room;
	struct nl_proc_stat st;
	uint64_t ticks, before = 0;
	size_t i;
	int node;

	if (nl_thread_stat_read((int)k->w->pid, tid, &st))
		return 0; /* exited meanwhile */
	room = nl_array_room(k->now, k->nr, &k->cap, sizeof(*room), 16);
	if (!room)
		return -ENOMEM;
	k->now = room;
	ticks = st.utime_ticks + st.stime_ticks;
	k->now[k->nr].tid = tid;
	k->now[k->nr++].ticks = ticks;
	if (k->first)
		return 0;
	for (i = 0; i < k->w->nr_threads; i++)
		if (k->w->threads[i].tid == tid)
			before = k->w->threads[i].ticks;
	node = st.processor >= 0 && st.processor < NL_MAX_CPUS ?
		       k->c->topo->cpu_node[st.processor] :
		       -1;
	if (node >= 0 && node < k->c->nr_nodes && ticks > before)
		k->w->cpu_ns[node] += (ticks - before) * 1000000000ull / k->c->hz;
	return 0;
}

/* Adds w's process to t; a process gone is left out. */
static int read_one(const struct nl_proc_collector *c, struct watched *w, struct nl_sample_table *t)
{
	struct walk k = { .c = c, .w = w };
	struct nl_proc_stat st;
	long i;
	int err, n;

	if (nl_proc_stat_read((int)w->pid, &st))
		return 0;
	/* The first read, or the pid names another process now: from zero. */
	if (st.starttime_ticks != w->start_ticks) {
		w->start_ticks = st.starttime_ticks;
		w->nr_threads = 0;
		memset(w->cpu_ns, 0, c->nr_nodes * sizeof(*w->cpu_ns));
		k.first = true;
	}
	err = nl_task_walk((int)w->pid, visit, &k);
	if (err) {
		free(k.now);
		return err == -ENOENT ? 0 : err;
	}
	free(w->threads);
	w->threads = k.now;
	w->nr_threads = k.nr;
	w->cap_threads = k.cap;
	i = nl_sample_table_add(t, w->pid);
	if (i < 0)
		return (int)i;
	t->procs[i].nr_threads = (uint32_t)k.nr;
	t->procs[i].start_time_ns = st.starttime_ticks * 1000000000ull / c->hz;
	memcpy(t->procs[i].comm, st.comm, sizeof(t->procs[i].comm));
	t->procs[i].comm[sizeof(t->procs[i].comm) - 1] = '\0';
	t->procs[i].preferred_nid = -1;
	t->procs[i].flags = NL_PS_LIVE;
	for (n = 0; n < c->nr_nodes && n < t->nr_nodes; n++)
		nl_sample_nodes(t, i)[n].cpu_ns = w->cpu_ns[n];
	return 0;
}

int nl_proc_collector_read(struct nl_proc_collector *c, struct nl_sample_table *t)
{
	size_t i;
	int err = 0;

	nl_sample_table_read_begin(t);
	for (i = 0; i < c->nr && !err; i++)
		err = read_one(c, &c->w[i], t);
	nl_sample_table_read_end(t);
	nl_sample_table_sort(t);
	return err;
}

void nl_proc_collector_free(struct nl_proc_collector *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nr; i++) {
		free(c->w[i].threads);
		free(c->w[i].cpu_ns);
	}
	free(c->w);
	free(c);
}
