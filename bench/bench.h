/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmarks share: the clock, kernel.bpf_stats_enabled (turned on
 * for the run, put back as it was on every way out), opening the collector,
 * a program's run_cnt and run_time_ns, the medians of the load windows, and
 * the way out on an error or a signal through each benchmark's own cleanup.
 */
#ifndef NUMALENS_BENCH_H
#define NUMALENS_BENCH_H

#include <stdint.h>

struct nl_collect_opts;
struct nl_collector;
struct nl_sources;
struct nl_topology;

#define BENCH_STATS_SYSCTL "/proc/sys/kernel/bpf_stats_enabled"
#define BENCH_MAX_WINDOWS 9

/* One measured program: its runs and run time in each load window. */
struct bench_row {
	char name[64];
	uint64_t cnt[BENCH_MAX_WINDOWS];
	uint64_t ns[BENCH_MAX_WINDOWS];
};

/* Seconds on CLOCK_MONOTONIC. */
double bench_now_s(void);

/*
 * Registers cleanup (may be NULL) and has SIGINT, SIGTERM and SIGHUP run
 * bench_cleanup() then _exit(128 + sig). cleanup runs in the signal handler:
 * it must be async-signal-safe.
 */
void bench_on_signals(void (*cleanup)(void));

/* The registered cleanup, then kernel.bpf_stats_enabled put back as it was
 * before bench_stats_enable() (once). Async-signal-safe. */
void bench_cleanup(void);

/* "bench: " and the message on stderr, bench_cleanup(), exit(1). */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Sets kernel.bpf_stats_enabled to 1, remembering the value to put back;
 * dies where it cannot (not root). */
void bench_stats_enable(void);

/* The NUMA topology into topo, then the collector on it with opts; dies
 * where it cannot. */
struct nl_collector *bench_collector_open(struct nl_topology *topo,
					  const struct nl_collect_opts *opts,
					  struct nl_sources *sources);
/* The same, on a topology already loaded (and changed). */
struct nl_collector *bench_collector_open_topo(const struct nl_topology *topo,
					       const struct nl_collect_opts *opts,
					       struct nl_sources *sources);
/* Loads the topology and makes every CPU n part of node n % 2, so that any
 * move between two neighbouring CPUs crosses nodes: the worst case of the
 * programs that act only on moves between nodes. */
void bench_split_nodes(struct nl_topology *topo);

/* A program's cumulative run_cnt and run_time_ns; dies where the kernel
 * does not give them. */
void bench_prog_stats(int prog_fd, uint64_t *cnt, uint64_t *ns);

/*
 * Starts n idle processes, each blocked in read() on a pipe only this one
 * writes to (PR_SET_PDEATHSIG too: they die with the benchmark), RLIMIT_NPROC
 * raised for them where needed (put back by bench_idle_end). 0, or -1 said.
 */
int bench_idle_start(size_t n);
/* Ends them (the pipe closed) and waits for every one. */
void bench_idle_end(void);
/* SIGKILL to each; async-signal-safe, for bench_on_signals. */
void bench_idle_kill(void);

/* qsort() order of doubles. */
int bench_cmp_double(const void *a, const void *b);

/* The median of nr values (the mean of the middle two for an even count);
 * sorts them in place. */
double bench_median_double(double *values, int nr);

/* The row's run time per run in window w (0 where it did not run). */
double bench_ns_per_run(const struct bench_row *r, int w);

/* The median over the first `windows` windows, <= BENCH_MAX_WINDOWS: of
 * the time per run (the mean of the middle two for an even count), and of
 * counts (the upper middle one). */
double bench_median_ns(const struct bench_row *r, int windows);
uint64_t bench_median_u64(const uint64_t *values, int windows);

#endif /* NUMALENS_BENCH_H */
