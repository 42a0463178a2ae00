// SPDX-License-Identifier: GPL-2.0
/*
 * Cost of one collector read (nl_collector_read: the task iterator, the
 * parse, the procs and proc_node maps), first with the processes live on
 * this machine, then with EXTRA idle processes more, which the benchmark
 * starts and ends. Prints the median time per read and per process.
 *
 * usage: read [EXTRA_PROCESSES [READS]]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench.h"
#include "collect.h"
#include "topology.h"

#define MAX_READS 101

struct result {
	double ms; /* median per read */
	double min_ms;
	size_t procs; /* processes in the table */
	size_t threads;
};

static int measure(struct nl_collector *c, int nr_nodes, int reads, struct result *res)
{
	double ms[MAX_READS];
	struct nl_sample_table t;
	size_t i;
	int r, err;

	nl_sample_table_init(&t, nr_nodes);
	/* The first read after new processes appear may create their storage:
	 * a steady agent does not pay that every time. */
	err = nl_collector_read(c, &t);
	for (r = 0; r < reads && !err; r++) {
		double start = bench_now_s();

		err = nl_collector_read(c, &t);
		ms[r] = (bench_now_s() - start) * 1e3;
	}
	if (err) {
		nl_sample_table_free(&t);
		return err;
	}
	qsort(ms, reads, sizeof(ms[0]), bench_cmp_double);
	res->ms = ms[reads / 2];
	res->min_ms = ms[0];
	res->procs = t.nr;
	res->threads = 0;
	for (i = 0; i < t.nr; i++)
		res->threads += t.procs[i].nr_threads;
	nl_sample_table_free(&t);
	return 0;
}

static void print_row(const char *what, const struct result *r)
{
	printf("%-34s %6zu %7zu %9.2f %9.2f %10.2f\n", what, r->procs, r->threads, r->ms, r->min_ms,
	       r->procs ? r->ms * 1e3 / r->procs : 0);
}

int main(int argc, char **argv)
{
	struct nl_collect_opts opts = { .max_procs = NL_DEFAULT_MAX_PROCS };
	size_t extra = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000;
	int reads = argc > 2 ? atoi(argv[2]) : 21, err;
	struct nl_sources sources = { 0 };
	static struct nl_topology topo;
	struct nl_collector *c;
	struct result live, more;
	char label[64];

	if (reads < 1 || reads > MAX_READS) {
		fprintf(stderr, "usage: %s [EXTRA_PROCESSES [READS<=%d]]\n", argv[0], MAX_READS);
		return 2;
	}
	bench_on_signals(bench_idle_kill);
	c = bench_collector_open(&topo, &opts, &sources);
	err = measure(c, topo.nr_node_ids, reads, &live);
	if (!err && bench_idle_start(extra)) {
		bench_idle_end();
		err = -1;
	}
	if (!err)
		err = measure(c, topo.nr_node_ids, reads, &more);
	bench_idle_end();
	nl_collector_free(c);
	if (err) {
		fprintf(stderr, "bench: collector read failed: %s\n", strerror(-err));
		return 1;
	}

	printf("\nCollector read (nl_collector_read), median of %d reads\n\n", reads);
	printf("%-34s %6s %7s %9s %9s %10s\n", "processes", "procs", "threads", "ms/read", "min ms",
	       "us/process");
	print_row("live on this machine", &live);
	snprintf(label, sizeof(label), "live + %zu idle processes", extra);
	print_row(label, &more);
	if (more.procs > live.procs)
		printf("each extra process adds %.2f us per read\n",
		       (more.ms - live.ms) * 1e3 / (more.procs - live.procs));
	return 0;
}
