// SPDX-License-Identifier: GPL-2.0
/*
 * What the benchmarks share (bench.h): the clock, kernel.bpf_stats_enabled,
 * the collector, a program's stats, the medians of the windows, the way out.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"
#include "collect.h"
#include "topology.h"

static void (*bench_cleanup_fn)(void);
static volatile sig_atomic_t old_stats = -1; /* to put back, or -1 */

double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* kernel.bpf_stats_enabled, or -1. */
static int stats_read(void)
{
	char buf[16] = "";
	int fd = open(BENCH_STATS_SYSCTL, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoi(buf) : -1;
}

/* 0 or -1. Async-signal-safe: the digits by hand, then only open() and write(). */
static int stats_write(int value)
{
	char buf[16];
	int fd, len = sizeof(buf), ok;
	unsigned int v = value < 0 ? 0 : value;

	buf[--len] = '\n';
	do {
		buf[--len] = '0' + v % 10;
		v /= 10;
	} while (v && len > 0);
	fd = open(BENCH_STATS_SYSCTL, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, buf + len, sizeof(buf) - len) == (ssize_t)(sizeof(buf) - len);
	close(fd);
	return ok ? 0 : -1;
}

void bench_stats_enable(void)
{
	old_stats = stats_read();
	if (old_stats < 0 || stats_write(1))
		bench_die("cannot set %s (run as root)", BENCH_STATS_SYSCTL);
}

/* Async-signal-safe: the benchmark's cleanup, then open() and write(). */
void bench_cleanup(void)
{
	if (bench_cleanup_fn)
		bench_cleanup_fn();
	if (old_stats >= 0) {
		stats_write(old_stats);
		old_stats = -1;
	}
}

static void on_signal(int sig)
{
	bench_cleanup();
	_exit(128 + sig);
}

void bench_on_signals(void (*cleanup)(void))
{
	bench_cleanup_fn = cleanup;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
}

void bench_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	bench_cleanup();
	exit(1);
}

struct nl_collector *bench_collector_open(struct nl_topology *topo,
					  const struct nl_collect_opts *opts,
					  struct nl_sources *sources)
{
	if (nl_topology_load(topo))
		bench_die("cannot read the NUMA topology");
	return bench_collector_open_topo(topo, opts, sources);
}

void bench_split_nodes(struct nl_topology *topo)
{
	int cpu;

	if (nl_topology_load(topo))
		bench_die("cannot read the NUMA topology");
	topo->nr_node_ids = 2;
	topo->nr_nodes = 2;
	topo->node_present = 3;
	for (cpu = 0; cpu < topo->nr_cpu_ids; cpu++)
		if (topo->cpu_node[cpu] >= 0)
			topo->cpu_node[cpu] = cpu % 2;
}

struct nl_collector *bench_collector_open_topo(const struct nl_topology *topo,
					       const struct nl_collect_opts *opts,
					       struct nl_sources *sources)
{
	struct nl_collector *c;
	int err;

	err = nl_collector_open(topo, opts, sources, &c);
	if (err)
		bench_die("cannot open the numalens collector: %s", strerror(-err));
	return c;
}

void bench_prog_stats(int prog_fd, uint64_t *cnt, uint64_t *ns)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int err;

	if (prog_fd < 0)
		bench_die("no BPF program to read the statistics of (fd %d)", prog_fd);
	err = bpf_obj_get_info_by_fd(prog_fd, &info, &len);
	if (err)
		bench_die("bpf_obj_get_info_by_fd(program fd %d): %s", prog_fd, strerror(-err));
	*cnt = info.run_cnt;
	*ns = info.run_time_ns;
}

int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

double bench_ns_per_run(const struct bench_row *r, int w)
{
	return r->cnt[w] ? (double)r->ns[w] / r->cnt[w] : 0;
}

double bench_median_double(double *values, int nr)
{
	qsort(values, nr, sizeof(values[0]), bench_cmp_double);
	return nr % 2 ? values[nr / 2] : (values[nr / 2 - 1] + values[nr / 2]) / 2;
}

double bench_median_ns(const struct bench_row *r, int windows)
{
	double v[BENCH_MAX_WINDOWS];
	int w;

	for (w = 0; w < windows; w++)
		v[w] = bench_ns_per_run(r, w);
	return bench_median_double(v, windows);
}

uint64_t bench_median_u64(const uint64_t *values, int windows)
{
	uint64_t v[BENCH_MAX_WINDOWS];

	memcpy(v, values, windows * sizeof(v[0]));
	qsort(v, windows, sizeof(v[0]), cmp_u64);
	return v[windows / 2];
}

static pid_t *idle_pids;
static volatile size_t nr_idle;
static int idle_release_fd = -1;
static struct rlimit idle_old_nproc;
static bool idle_nproc_raised;

int bench_idle_start(size_t n)
{
	struct rlimit want = { RLIM_INFINITY, RLIM_INFINITY };
	int fds[2];
	size_t i;

	if (!getrlimit(RLIMIT_NPROC, &idle_old_nproc) && idle_old_nproc.rlim_cur != RLIM_INFINITY &&
	    idle_old_nproc.rlim_cur < n + 1024 && !setrlimit(RLIMIT_NPROC, &want))
		idle_nproc_raised = true;
	idle_pids = calloc(n ? n : 1, sizeof(*idle_pids));
	if (!idle_pids || pipe(fds)) {
		fprintf(stderr, "bench: %s\n", strerror(errno));
		return -1;
	}
	idle_release_fd = fds[1];
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "bench: fork after %zu processes: %s\n", i,
				strerror(errno));
			close(fds[0]);
			return -1;
		}
		if (pid == 0) {
			char byte;

			close(fds[1]);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(0);
			(void)!read(fds[0], &byte, 1);
			_exit(0);
		}
		idle_pids[nr_idle++] = pid;
	}
	close(fds[0]);
	return 0;
}

/* Closing the pipe's write end lets every child's read() return: they exit. */
void bench_idle_end(void)
{
	size_t i;

	if (idle_release_fd >= 0)
		close(idle_release_fd);
	idle_release_fd = -1;
	for (i = 0; i < nr_idle; i++)
		waitpid(idle_pids[i], NULL, 0);
	nr_idle = 0;
	free(idle_pids);
	idle_pids = NULL;
	if (idle_nproc_raised)
		setrlimit(RLIMIT_NPROC, &idle_old_nproc);
	idle_nproc_raised = false;
}

void bench_idle_kill(void)
{
	size_t i;

	for (i = 0; i < nr_idle; i++)
		kill(idle_pids[i], SIGKILL);
}
