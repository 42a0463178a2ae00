// SPDX-License-Identifier: GPL-2.0
/*
 * BPF cost per event: the numalens programs, an empty tp_btf/sched_switch
 * program and an equivalent bpftrace script are attached at the same time,
 * a scheduler-heavy load runs, and each program's run_time_ns / run_cnt
 * (kernel.bpf_stats_enabled=1) over the load window gives its cost per
 * event. All three see the same events in the same run, so their ratios
 * hold on a noisy machine; the window is repeated and the median reported.
 *
 * usage: cost BPFTRACE_SCRIPT [SECONDS_PER_WINDOW [WINDOWS]]
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"
#include "collect.h"
#include "empty.skel.h"
#include "topology.h"

#define MAX_WINDOWS BENCH_MAX_WINDOWS
#define MAX_ROWS 40
#define MAX_BT_PROGS 8
#define CALIBRATE_LOOPS 100000

/* The numalens handler must cost at most this many times the empty one,
 * and at most this fraction of bpftrace. */
#define TARGET_VS_EMPTY 2.0
#define TARGET_VS_BPFTRACE 0.25

/* Cumulative stats of every measured program at one instant. */
struct point {
	uint64_t cnt[MAX_ROWS];
	uint64_t ns[MAX_ROWS];
};

static struct bench_row rows[MAX_ROWS];
static size_t nr_rows, nl_rows, empty_row, bt_row;

static pid_t bpftrace_pid = -1, load_pid = -1;
static int bpftrace_out = -1;

static struct nl_collector *collector;
static struct bench_empty *empty;
static uint32_t bt_ids[MAX_BT_PROGS];
static size_t nr_bt_ids;

/* Async-signal-safe: only kill() and waitpid(). */
static void cleanup(void)
{
	if (load_pid > 0) {
		kill(-load_pid, SIGKILL); /* perf and the processes it started */
		waitpid(load_pid, NULL, 0);
		load_pid = -1;
	}
	if (bpftrace_pid > 0) {
		kill(bpftrace_pid, SIGKILL);
		waitpid(bpftrace_pid, NULL, 0);
		bpftrace_pid = -1;
	}
}

/* Runs `perf bench sched pipe -l loops`, quietly; returns its wall time. */
static double run_load(long loops)
{
	char arg[32];
	double start = bench_now_s();
	int status;

	snprintf(arg, sizeof(arg), "%ld", loops);
	load_pid = fork();
	if (load_pid < 0)
		bench_die("fork: %s", strerror(errno));
	if (load_pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		setpgid(0, 0); /* a group of its own, killed whole by cleanup() */
		dup2(null, STDOUT_FILENO);
		execlp("perf", "perf", "bench", "sched", "pipe", "-l", arg, (char *)NULL);
		_exit(127);
	}
	if (waitpid(load_pid, &status, 0) != load_pid || !WIFEXITED(status) || WEXITSTATUS(status))
		bench_die("perf bench sched pipe failed (is linux-perf installed?)");
	load_pid = -1;
	return bench_now_s() - start;
}

/* `bpftool prog show -j`, parsed; NULL on failure. */
static struct json_object *bpftool_progs(void)
{
	struct json_object *progs;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	FILE *p = popen("bpftool prog show -j", "r");
	size_t n;

	if (!buf || !p)
		bench_die("cannot run bpftool");
	while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (len + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				bench_die("out of memory");
		}
	}
	buf[len] = 0;
	if (pclose(p))
		bench_die("bpftool prog show -j failed");
	progs = json_tokener_parse(buf);
	free(buf);
	if (!progs || !json_object_is_type(progs, json_type_array))
		bench_die("cannot parse bpftool prog show -j");
	return progs;
}

static uint64_t json_u64(struct json_object *obj, const char *key)
{
	struct json_object *v;

	/* bpftool leaves run_time_ns and run_cnt out while they are zero. */
	if (!json_object_object_get_ex(obj, key, &v))
		return 0;
	return json_object_get_uint64(v);
}

static const char *json_str(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return "";
	return json_object_get_string(v);
}

static bool id_in(uint32_t id, const uint32_t *ids, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Classic sched_switch tracepoint programs loaded now, as bpftrace loads them. */
static size_t switch_tracepoint_progs(uint32_t *ids, size_t max)
{
	struct json_object *progs = bpftool_progs();
	size_t i, nr = 0;

	for (i = 0; i < json_object_array_length(progs) && nr < max; i++) {
		struct json_object *p = json_object_array_get_idx(progs, i);

		if (!strcmp(json_str(p, "type"), "tracepoint") &&
		    strstr(json_str(p, "name"), "sched_switch"))
			ids[nr++] = json_u64(p, "id");
	}
	json_object_put(progs);
	return nr;
}

/*
 * Starts bpftrace on script and waits for its "Attaching" line, then finds
 * the programs it loaded: sched_switch tracepoint programs that were not
 * there before it started.
 */
static void start_bpftrace(const char *script)
{
	uint32_t before[64], after[64];
	size_t nr_before = switch_tracepoint_progs(before, 64), nr_after, i;
	char line[512], errpath[] = "/tmp/numalens-bench-bt.XXXXXX";
	double deadline = bench_now_s() + 60;
	size_t used = 0;
	int pipefd[2], errfd = mkstemp(errpath);
	bool attached = false;

	if (errfd < 0 || pipe(pipefd))
		bench_die("pipe: %s", strerror(errno));
	unlink(errpath);
	bpftrace_pid = fork();
	if (bpftrace_pid < 0)
		bench_die("fork: %s", strerror(errno));
	if (bpftrace_pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(errfd, STDERR_FILENO);
		close(pipefd[0]);
		execlp("bpftrace", "bpftrace", script, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	bpftrace_out = pipefd[0];
	while (!attached && bench_now_s() < deadline) {
		struct pollfd pfd = { .fd = bpftrace_out, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(bpftrace_out, line + used, sizeof(line) - 1 - used);
		if (n <= 0)
			break;
		used += n;
		line[used] = 0;
		attached = strstr(line, "Attaching") != NULL;
		if (used == sizeof(line) - 1)
			used = 0;
	}
	if (!attached) {
		ssize_t n;

		lseek(errfd, 0, SEEK_SET);
		while ((n = read(errfd, line, sizeof(line))) > 0)
			fwrite(line, 1, n, stderr);
		bench_die("bpftrace did not attach");
	}
	close(errfd);
	/* The programs are attached by the time it says so; look a few times
	 * in case bpftool is slower than bpftrace's output. */
	for (i = 0; i < 20 && !nr_bt_ids; i++) {
		size_t j;

		nr_after = switch_tracepoint_progs(after, 64);
		for (j = 0; j < nr_after && nr_bt_ids < MAX_BT_PROGS; j++)
			if (!id_in(after[j], before, nr_before))
				bt_ids[nr_bt_ids++] = after[j];
		if (!nr_bt_ids)
			usleep(100000);
	}
	if (!nr_bt_ids)
		bench_die("bpftool shows no sched_switch program of bpftrace");
}

static void stop_bpftrace(void)
{
	char buf[4096];
	int status;

	kill(bpftrace_pid, SIGINT);
	/* Drain what it prints on the way out, until it closes its output. */
	for (;;) {
		struct pollfd pfd = { .fd = bpftrace_out, .events = POLLIN };

		if (poll(&pfd, 1, 10000) <= 0 || read(bpftrace_out, buf, sizeof(buf)) <= 0)
			break;
	}
	close(bpftrace_out);
	if (waitpid(bpftrace_pid, &status, WNOHANG) == 0) {
		kill(bpftrace_pid, SIGKILL);
		waitpid(bpftrace_pid, &status, 0);
	}
	bpftrace_pid = -1;
}

static void take_point(struct point *pt)
{
	struct nl_prog_info progs[MAX_ROWS];
	struct json_object *all = bpftool_progs();
	size_t nr = nl_collector_programs(collector, progs, MAX_ROWS), i;

	memset(pt, 0, sizeof(*pt));
	for (i = 0; i < nr && i < nl_rows; i++) {
		pt->cnt[i] = progs[i].run_cnt;
		pt->ns[i] = progs[i].run_time_ns;
	}
	bench_prog_stats(bpf_program__fd(empty->progs.bench_empty_switch), &pt->cnt[empty_row],
			 &pt->ns[empty_row]);
	for (i = 0; i < json_object_array_length(all); i++) {
		struct json_object *p = json_object_array_get_idx(all, i);

		if (id_in(json_u64(p, "id"), bt_ids, nr_bt_ids)) {
			pt->cnt[bt_row] += json_u64(p, "run_cnt");
			pt->ns[bt_row] += json_u64(p, "run_time_ns");
		}
	}
	json_object_put(all);
}

static bool ran(const struct bench_row *r, int windows)
{
	int w;

	for (w = 0; w < windows; w++)
		if (r->cnt[w])
			return true;
	return false;
}

static void print_results(int windows, double seconds)
{
	double empty_ns = bench_median_ns(&rows[empty_row], windows);
	double bt_ns = bench_median_ns(&rows[bt_row], windows);
	double switch_ns = -1;
	size_t i;
	int w;

	printf("\nBPF cost per event: median of %d windows of ~%.0f s of perf bench sched pipe,\n"
	       "all programs attached at once (kernel.bpf_stats_enabled=1, run_time_ns / run_cnt)\n\n",
	       windows, seconds);
	printf("%-26s %12s", "program", "events");
	for (w = 0; w < windows; w++)
		printf("   run%d", w + 1);
	printf(" %9s %8s\n", "ns/event", "x empty");
	for (i = 0; i < nr_rows; i++) {
		const struct bench_row *r = &rows[i];
		double ns = bench_median_ns(r, windows);

		if (!ran(r, windows))
			continue;
		printf("%-26s %12llu", r->name,
		       (unsigned long long)bench_median_u64(r->cnt, windows));
		for (w = 0; w < windows; w++)
			printf(" %6.0f", bench_ns_per_run(r, w));
		printf(" %9.1f %8.2f\n", ns, empty_ns > 0 ? ns / empty_ns : 0);
		if (i < nl_rows && !strcmp(r->name, "numalens nl_sched_switch"))
			switch_ns = ns;
	}
	printf("numalens programs that did not run in the windows:");
	for (i = 0; i < nl_rows; i++)
		if (!ran(&rows[i], windows))
			printf(" %s", rows[i].name + strlen("numalens "));
	printf("\n\nTargets\n");
	if (switch_ns < 0 || empty_ns <= 0 || bt_ns <= 0) {
		printf("  cannot evaluate: a sched_switch program did not run\n");
		return;
	}
	printf("  numalens sched_switch <= %.0fx empty:       %-7s (%.1f ns = %.2f x %.1f ns)\n",
	       TARGET_VS_EMPTY, switch_ns <= TARGET_VS_EMPTY * empty_ns ? "met" : "NOT MET",
	       switch_ns, switch_ns / empty_ns, empty_ns);
	printf("  numalens sched_switch <= 1/%.0f of bpftrace: %-7s (%.1f ns = 1/%.1f of %.1f ns)\n",
	       1 / TARGET_VS_BPFTRACE, switch_ns <= TARGET_VS_BPFTRACE * bt_ns ? "met" : "NOT MET",
	       switch_ns, bt_ns / switch_ns, bt_ns);
}

int main(int argc, char **argv)
{
	struct nl_collect_opts opts = { .max_procs = NL_DEFAULT_MAX_PROCS };
	struct nl_prog_info progs[MAX_ROWS];
	struct nl_sources sources = { 0 };
	static struct nl_topology topo;
	double seconds = argc > 2 ? atof(argv[2]) : 10, took;
	int windows = argc > 3 ? atoi(argv[3]) : 3, w;
	struct point before, after;
	long loops;
	size_t i, nr;

	if (argc < 2 || seconds <= 0 || windows < 1 || windows > MAX_WINDOWS) {
		fprintf(stderr, "usage: %s BPFTRACE_SCRIPT [SECONDS_PER_WINDOW [WINDOWS<=%d]]\n",
			argv[0], MAX_WINDOWS);
		return 2;
	}
	bench_on_signals(cleanup);
	bench_stats_enable();

	collector = bench_collector_open(&topo, &opts, &sources);
	empty = bench_empty__open_and_load();
	if (!empty || bench_empty__attach(empty))
		bench_die("cannot load and attach bench/empty.bpf.c");

	nr = nl_collector_programs(collector, progs, MAX_ROWS);
	for (i = 0; i < nr && nr_rows < MAX_ROWS - 2; i++)
		snprintf(rows[nr_rows++].name, sizeof(rows[0].name), "numalens %s", progs[i].name);
	nl_rows = nr_rows;
	empty_row = nr_rows++;
	snprintf(rows[empty_row].name, sizeof(rows[0].name), "empty tp_btf/sched_switch");
	bt_row = nr_rows++;
	snprintf(rows[bt_row].name, sizeof(rows[0].name), "bpftrace sched_switch");

	start_bpftrace(argv[1]);
	printf("attached: %zu numalens programs, the empty program, bpftrace (prog id", nl_rows);
	for (i = 0; i < nr_bt_ids; i++)
		printf(" %u", bt_ids[i]);
	printf(")\n");

	/* Size the load so that one window lasts about `seconds`, with all
	 * the programs attached. */
	took = run_load(CALIBRATE_LOOPS);
	loops = CALIBRATE_LOOPS * seconds / (took > 0.001 ? took : 0.001);
	if (loops < CALIBRATE_LOOPS)
		loops = CALIBRATE_LOOPS;
	printf("load: perf bench sched pipe -l %ld (%.2f s for %d loops)\n", loops, took,
	       CALIBRATE_LOOPS);
	fflush(stdout);

	for (w = 0; w < windows; w++) {
		take_point(&before);
		took = run_load(loops);
		take_point(&after);
		for (i = 0; i < nr_rows; i++) {
			rows[i].cnt[w] = after.cnt[i] - before.cnt[i];
			rows[i].ns[w] = after.ns[i] - before.ns[i];
		}
		printf("window %d: %.1f s, %llu sched_switch events\n", w + 1, took,
		       (unsigned long long)rows[empty_row].cnt[w]);
		fflush(stdout);
	}

	stop_bpftrace();
	bench_empty__destroy(empty);
	nl_collector_free(collector);
	bench_cleanup();
	print_results(windows, seconds);
	return 0;
}
