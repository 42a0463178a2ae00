// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's refresh (nl_exporter_refresh, what `numalens export` runs
 * every --interval, default options) with EXTRA idle processes more than
 * this machine has, started and ended here: the time of each refresh
 * (median and max) and where it went, from the agent's and the exporter's
 * phase timers: the collector read (task iterator, maps), the snapshot,
 * /proc (numa_maps, vmstat), the model, cgroup reads, the series,
 * suggestions, the Prometheus text and publishing it.
 *
 * usage: refresh [EXTRA_PROCESSES [REFRESHES [SECONDS_BETWEEN]]]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
#include "cli.h"
#include "exporter.h"

#define MAX_REFRESHES 101

static volatile sig_atomic_t never; /* signals end the benchmark (bench.h) */

enum phase {
	PH_COLLECT,
	PH_SNAPSHOT,
	PH_PROC,
	PH_MODEL,
	PH_CGROUP,
	PH_SERIES,
	PH_ADVICE,
	PH_RENDER,
	PH_PUBLISH,
	PH_TOTAL,
	NR_PHASES,
};

static const char *const phase_name[NR_PHASES] = {
	"collector read (task iterator, maps)",
	"snapshot (tables into views)",
	"/proc (numa_maps, vmstat)",
	"model (ratios, ranking)",
	"cgroup reads",
	"series (grouping, counters)",
	"advice",
	"formatting (Prometheus text)",
	"publishing, memory trimmed",
	"refresh, all of it",
};

int main(int argc, char **argv)
{
	size_t extra = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	int refreshes = argc > 2 ? atoi(argv[2]) : 10, r, p;
	double between = argc > 3 ? atof(argv[3]) : 1;
	static double ms[NR_PHASES][MAX_REFRESHES];
	struct nl_exporter x = { .tf.dirfd = -1 };
	size_t tracked = 0, mem_reads = 0, cgroup_reads = 0;
	struct nl_export_opts eopts;
	struct nl_agent_opts aopts;
	int err;

	if (refreshes < 1 || refreshes > MAX_REFRESHES || between < 0) {
		fprintf(stderr, "usage: %s [EXTRA_PROCESSES [REFRESHES<=%d [SECONDS]]]\n", argv[0],
			MAX_REFRESHES);
		return 2;
	}
	bench_on_signals(bench_idle_kill);
	/* As `numalens export` sets them up, with its defaults. */
	nl_agent_opts_default(&aopts);
	nl_export_opts_default(&eopts);
	nl_exporter_prepare(&x, &eopts, &aopts);
	if (bench_idle_start(extra)) {
		bench_idle_end();
		return 1;
	}
	err = nl_agent_open(&aopts, &x.agent);
	if (!err)
		err = nl_exporter_setup(&x, &eopts, &aopts);
	/* The first one not timed: it meets every process for the first time. */
	if (!err) {
		nl_sleep_until(nl_monotonic_s() + between, &never);
		err = nl_exporter_refresh(&x);
	}
	for (r = 0; r < refreshes && !err; r++) {
		const struct nl_agent_times *at = nl_agent_times(x.agent);
		const struct nl_exporter_times *xt = &x.times;

		nl_sleep_until(nl_monotonic_s() + between, &never);
		err = nl_exporter_refresh(&x);
		ms[PH_COLLECT][r] = at->collect_s * 1e3;
		ms[PH_SNAPSHOT][r] = at->snapshot_s * 1e3;
		ms[PH_PROC][r] = at->proc_s * 1e3;
		ms[PH_MODEL][r] = at->model_s * 1e3;
		ms[PH_CGROUP][r] = xt->cgroup_s * 1e3;
		ms[PH_SERIES][r] = xt->series_s * 1e3;
		ms[PH_ADVICE][r] = (at->advice_s + xt->advice_s) * 1e3;
		ms[PH_RENDER][r] = xt->render_s * 1e3;
		ms[PH_PUBLISH][r] = xt->publish_s * 1e3;
		ms[PH_TOTAL][r] = xt->total_s * 1e3;
		tracked = x.series->tracked;
		mem_reads += at->mem_reads;
		cgroup_reads += xt->cgroup_reads;
	}
	bench_idle_end();
	if (err) {
		fprintf(stderr, "bench: refresh failed: %s\n", strerror(-err));
		return 1;
	}
	printf("\nExporter refresh (nl_exporter_refresh, default options), %zu idle processes "
	       "added, %zu tracked, %d refreshes %.1f s apart\n\n",
	       extra, tracked, refreshes, between);
	printf("| %-38s | %9s | %9s |\n", "phase", "median ms", "max ms");
	printf("| %-38s | %9s | %9s |\n", "---", "---:", "---:");
	for (p = 0; p < NR_PHASES; p++) {
		double max = 0;

		for (r = 0; r < refreshes; r++)
			max = ms[p][r] > max ? ms[p][r] : max;
		printf("| %-38s | %9.2f | %9.2f |\n", phase_name[p],
		       bench_median_double(ms[p], refreshes), max);
	}
	printf("numa_maps read: %.1f, cgroups read: %.1f per refresh\n",
	       (double)mem_reads / refreshes, (double)cgroup_reads / refreshes);
	printf("Target: at most 25 ms per refresh (median) with 10,000 idle processes.\n");
	nl_export_free(x.series);
	nl_buf_free(&x.text);
	nl_agent_close(x.agent);
	return 0;
}
