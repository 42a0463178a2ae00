// SPDX-License-Identifier: GPL-2.0
/*
 * BPF cost per context switch. Attached at the same time, in this order: an
 * empty tp_btf/sched_switch program, the numalens collector (every program
 * it attaches), a second empty tp_btf/sched_switch program, and a bpftrace
 * script doing the old per-switch accounting. Programs on one tracepoint run
 * in attach order and the order alone moves their cost, so the floor is
 * measured on both sides of numalens.
 *
 * Two loads take turns, each window sized to last about SECONDS: perf bench
 * sched pipe (two tasks ping-ponging, almost no migrations) and perf bench
 * sched messaging (groups of processes, which the scheduler migrates). Over
 * each window, the deltas of run_time_ns and run_cnt
 * (kernel.bpf_stats_enabled=1) give every program's cost per event; the sum
 * of run_time_ns over all of numalens's programs divided by the context
 * switches (the first empty program's run_cnt) gives numalens's total cost
 * per context switch, whatever programs it uses. The median over the
 * windows is reported.
 *
 * usage: cost BPFTRACE_SCRIPT [SECONDS_PER_WINDOW [WINDOWS [split]]]
 * "split" gives numalens a topology where CPU n is on node n % 2, so that
 * every move between CPUs crosses nodes (its costliest path).
 */
#include <bpf/bpf.h>
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
#define MIGRATE_SECTION "tp_btf/sched_migrate_task"
#define MESSAGING_GROUPS "10" /* of 40 processes each */

/*
 * numalens's total BPF time per context switch must be at most the cost of
 * an empty program on sched_switch (the lower of the two), and at most
 * this fraction of bpftrace's cost per event.
 */
#define TARGET_VS_BPFTRACE 0.1

enum load { LOAD_PIPE, LOAD_MESSAGING, NR_LOADS };

static const struct {
	const char *name;
	const char *opts;     /* before -l, as printed */
	long calibrate_loops; /* the -l of the first run that sizes the windows */
} loads[NR_LOADS] = {
	[LOAD_PIPE] = { "pipe", "", 100000 },
	[LOAD_MESSAGING] = { "messaging", " -g " MESSAGING_GROUPS, 50 },
};

/* The empty programs: attached before and after the numalens collector. */
enum { EMPTY_BEFORE, EMPTY_AFTER, NR_EMPTY };

static const char *const empty_names[NR_EMPTY] = {
	[EMPTY_BEFORE] = "empty sched_switch, 1st",
	[EMPTY_AFTER] = "empty sched_switch, 2nd",
};

/* Empty programs on the tracepoints numalens uses besides sched_switch: the
 * floor of any program there, in the same runs. */
enum { FLOOR_MIGRATE, FLOOR_FORK, FLOOR_EXIT, FLOOR_FREE, NR_FLOOR };

static const char *const floor_names[NR_FLOOR] = {
	[FLOOR_MIGRATE] = "sched_migrate_task",
	[FLOOR_FORK] = "sched_process_fork",
	[FLOOR_EXIT] = "sched_process_exit",
	[FLOOR_FREE] = "sched_process_free",
};

/* Cumulative stats of every measured program at one instant. */
struct point {
	uint64_t cnt[MAX_ROWS];
	uint64_t ns[MAX_ROWS];
};

/* Rows: the numalens programs [0, nl_rows), then the empty programs and bpftrace. */
static struct bench_row rows[NR_LOADS][MAX_ROWS];
static char sections[MAX_ROWS][64];
static bool attached[MAX_ROWS];
static size_t nr_rows, nl_rows, empty_row[NR_EMPTY], floor_row[NR_EMPTY][NR_FLOOR], bt_row;
static long load_loops[NR_LOADS];

static pid_t bpftrace_pid = -1, load_pid = -1;
static int bpftrace_out = -1;

static struct nl_collector *collector;
static struct bench_empty *empty[NR_EMPTY];
static uint32_t bt_ids[MAX_BT_PROGS];
static int bt_fds[MAX_BT_PROGS]; /* for their stats, without bpftool in the windows */
static size_t nr_bt_ids;

/* Async-signal-safe: only kill() and waitpid(). */
static void cleanup(void)
{
	if (load_pid > 0) {
		/* perf and the processes it started; perf alone if the signal
		 * came before its group existed. */
		if (kill(-load_pid, SIGKILL))
			kill(load_pid, SIGKILL);
		waitpid(load_pid, NULL, 0);
		load_pid = -1;
	}
	if (bpftrace_pid > 0) {
		kill(bpftrace_pid, SIGKILL);
		waitpid(bpftrace_pid, NULL, 0);
		bpftrace_pid = -1;
	}
}

/* Runs `perf bench sched LOAD ... -l loops`, quietly; returns its wall time. */
static double run_load(enum load load, long loops)
{
	char arg_loops[32];
	double start = bench_now_s();
	int status;

	snprintf(arg_loops, sizeof(arg_loops), "%ld", loops);
	load_pid = fork();
	if (load_pid < 0)
		bench_die("fork: %s", strerror(errno));
	if (load_pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		setpgid(0, 0); /* a group of its own, killed whole by cleanup() */
		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		if (load == LOAD_PIPE)
			execlp("perf", "perf", "bench", "sched", "pipe", "-l", arg_loops,
			       (char *)NULL);
		else
			execlp("perf", "perf", "bench", "sched", "messaging", "-g",
			       MESSAGING_GROUPS, "-l", arg_loops, (char *)NULL);
		_exit(127);
	}
	setpgid(load_pid, load_pid); /* as the child does: whichever runs first */
	if (waitpid(load_pid, &status, 0) != load_pid || !WIFEXITED(status) || WEXITSTATUS(status))
		bench_die("perf bench sched %s failed (is linux-perf installed?)",
			  loads[load].name);
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
	for (i = 0; i < nr_bt_ids; i++) {
		bt_fds[i] = bpf_prog_get_fd_by_id(bt_ids[i]);
		if (bt_fds[i] < 0)
			bench_die("bpf_prog_get_fd_by_id(%u), bpftrace's program: %s", bt_ids[i],
				  strerror(-bt_fds[i]));
	}
}

static void stop_bpftrace(void)
{
	char buf[4096];
	size_t i;
	int status;

	for (i = 0; i < nr_bt_ids; i++)
		close(bt_fds[i]);
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
	size_t nr = nl_collector_programs(collector, progs, MAX_ROWS), i;
	int e;

	if (nr != nl_rows)
		bench_die("the collector lists %zu programs now, %zu at the start", nr, nl_rows);
	memset(pt, 0, sizeof(*pt));
	for (i = 0; i < nl_rows; i++) {
		pt->cnt[i] = progs[i].run_cnt;
		pt->ns[i] = progs[i].run_time_ns;
	}
	for (e = 0; e < NR_EMPTY; e++) {
		struct bpf_program *floors[NR_FLOOR] = {
			[FLOOR_MIGRATE] = empty[e]->progs.bench_empty_migrate,
			[FLOOR_FORK] = empty[e]->progs.bench_empty_fork,
			[FLOOR_EXIT] = empty[e]->progs.bench_empty_exit,
			[FLOOR_FREE] = empty[e]->progs.bench_empty_free,
		};
		int f;

		bench_prog_stats(bpf_program__fd(empty[e]->progs.bench_empty_switch),
				 &pt->cnt[empty_row[e]], &pt->ns[empty_row[e]]);
		for (f = 0; f < NR_FLOOR; f++)
			bench_prog_stats(bpf_program__fd(floors[f]), &pt->cnt[floor_row[e][f]],
					 &pt->ns[floor_row[e][f]]);
	}
	for (i = 0; i < nr_bt_ids; i++) {
		uint64_t cnt, ns;

		bench_prog_stats(bt_fds[i], &cnt, &ns);
		pt->cnt[bt_row] += cnt;
		pt->ns[bt_row] += ns;
	}
}

/* Opens, loads and attaches one copy of bench/empty.bpf.c. */
static struct bench_empty *empty_attach(const char *which)
{
	struct bench_empty *skel = bench_empty__open_and_load();
	int err;

	if (!skel)
		bench_die("cannot load bench/empty.bpf.c (%s): %s", which, strerror(errno));
	err = bench_empty__attach(skel);
	if (err) {
		bench_empty__destroy(skel);
		bench_die("cannot attach bench/empty.bpf.c (%s) to tp_btf/sched_switch: %s", which,
			  strerror(-err));
	}
	return skel;
}

static bool ran(const struct bench_row *r, int windows)
{
	int w;

	for (w = 0; w < windows; w++)
		if (r->cnt[w])
			return true;
	return false;
}

/* The context switches of each window: the first empty program's runs. */
static const struct bench_row *switches(enum load load)
{
	return &rows[load][empty_row[EMPTY_BEFORE]];
}

/* The median over the windows of r's runs per context switch. */
static double per_switch(const struct bench_row *r, enum load load, int windows)
{
	const struct bench_row *sw = switches(load);
	double v[MAX_WINDOWS];
	int w;

	for (w = 0; w < windows; w++)
		v[w] = sw->cnt[w] ? (double)r->cnt[w] / sw->cnt[w] : 0;
	return bench_median_double(v, windows);
}

/* r's run time per context switch: a row with the switches as its runs. */
static struct bench_row time_per_switch(const struct bench_row *r, enum load load, int windows)
{
	struct bench_row t = *r;
	int w;

	for (w = 0; w < windows; w++)
		t.cnt[w] = switches(load)->cnt[w];
	return t;
}

/* All of numalens's run time, per context switch. */
static struct bench_row numalens_total(enum load load, int windows)
{
	struct bench_row t = { .name = "numalens total" };
	size_t i;
	int w;

	for (w = 0; w < windows; w++) {
		t.cnt[w] = switches(load)->cnt[w];
		for (i = 0; i < nl_rows; i++)
			t.ns[w] += rows[load][i].ns[w];
	}
	return t;
}

static void print_row(const struct bench_row *r, enum load load, int windows)
{
	struct bench_row t = time_per_switch(r, load, windows);
	int w;

	printf("%-34s %10llu", r->name, (unsigned long long)bench_median_u64(r->cnt, windows));
	for (w = 0; w < windows; w++)
		printf(" %6.1f", bench_ns_per_run(r, w));
	printf(" %9.1f %10.5f %9.2f\n", bench_median_ns(r, windows), per_switch(r, load, windows),
	       bench_median_ns(&t, windows));
}

static void print_load(enum load load, int windows)
{
	const struct bench_row *r = rows[load];
	struct bench_row total = numalens_total(load, windows);
	size_t i;
	int w;

	printf("\nperf bench sched %s%s -l %ld: %llu context switches per window (median)\n",
	       loads[load].name, loads[load].opts, load_loops[load],
	       (unsigned long long)bench_median_u64(switches(load)->cnt, windows));
	printf("%-34s %10s", "program (ns/event in each window)", "events");
	for (w = 0; w < windows; w++)
		printf("   run%d", w + 1);
	printf(" %9s %10s %9s\n", "ns/event", "per switch", "ns/switch");
	for (i = 0; i < nl_rows; i++)
		if (ran(&r[i], windows))
			print_row(&r[i], load, windows);
	/* The total's "event" is the context switch. */
	printf("%-34s %10llu", "numalens total, per switch",
	       (unsigned long long)bench_median_u64(total.cnt, windows));
	for (w = 0; w < windows; w++)
		printf(" %6.1f", bench_ns_per_run(&total, w));
	printf(" %9.1f %10s %9.1f\n", bench_median_ns(&total, windows), "",
	       bench_median_ns(&total, windows));
	for (i = nl_rows; i < nr_rows; i++)
		print_row(&r[i], load, windows);
	printf("numalens programs attached that did not run:");
	for (i = 0; i < nl_rows; i++)
		if (attached[i] && !ran(&r[i], windows))
			printf(" %s", r[i].name + strlen("numalens "));
	printf("\n");
}

/* The numalens program on sched_migrate_task, found by section; -1 if none. */
static long migrate_row(void)
{
	size_t i;

	for (i = 0; i < nl_rows; i++)
		if (!strcmp(sections[i], MIGRATE_SECTION))
			return i;
	return -1;
}

/* What empty programs on numalens's tracepoints cost per context switch
 * (the 2nd copy, which runs after numalens's, as numalens's run after the
 * 1st): the part of numalens's total that merely being there costs. */
static void print_floor(enum load load, int windows, double nl_ns)
{
	double floor_ns = 0;
	int f;

	for (f = 0; f < NR_FLOOR; f++) {
		struct bench_row t =
			time_per_switch(&rows[load][floor_row[EMPTY_AFTER][f]], load, windows);

		floor_ns += bench_median_ns(&t, windows);
	}
	printf("  empty programs on numalens's tracepoints (the 2nd copies): %.1f ns per switch;"
	       " numalens's own work: %.1f ns\n",
	       floor_ns, nl_ns - floor_ns);
}

static void print_targets(enum load load, int windows)
{
	struct bench_row total = numalens_total(load, windows);
	double nl_ns = bench_median_ns(&total, windows);
	double before = bench_median_ns(&rows[load][empty_row[EMPTY_BEFORE]], windows);
	double after = bench_median_ns(&rows[load][empty_row[EMPTY_AFTER]], windows);
	double bt_ns = bench_median_ns(&rows[load][bt_row], windows);
	double lower = before < after ? before : after, mean = (before + after) / 2;
	long m = migrate_row();

	printf("\n%s:\n", loads[load].name);
	if (m < 0)
		printf("  sched_migrate_task per context switch: unknown (no numalens program on "
		       "%s)\n",
		       MIGRATE_SECTION);
	else
		printf("  sched_migrate_task per context switch: %.5f (%llu per window)\n",
		       per_switch(&rows[load][m], load, windows),
		       (unsigned long long)bench_median_u64(rows[load][m].cnt, windows));
	if (nl_ns <= 0 || before <= 0 || after <= 0 || bt_ns <= 0) {
		printf("  cannot evaluate: numalens, an empty program or bpftrace did not run\n");
		return;
	}
	printf("  empty sched_switch: %.1f ns attached before numalens, %.1f ns after; the "
	       "lower %.1f, the mean %.1f\n",
	       before, after, lower, mean);
	printf("  numalens total <= empty (the lower, %.1f ns): %-7s (%.1f ns = %.2f x; "
	       "x the mean: %.2f, %s)\n",
	       lower, nl_ns <= lower ? "met" : "NOT MET", nl_ns, nl_ns / lower, nl_ns / mean,
	       nl_ns <= mean ? "met" : "not met");
	printf("  numalens total <= 1/%.0f of bpftrace:        %-7s (%.1f ns = 1/%.1f of %.1f ns)\n",
	       1 / TARGET_VS_BPFTRACE, nl_ns <= TARGET_VS_BPFTRACE * bt_ns ? "met" : "NOT MET",
	       nl_ns, bt_ns / nl_ns, bt_ns);
	print_floor(load, windows, nl_ns);
}

static void print_results(int windows, double seconds)
{
	int l;

	printf("\nBPF cost per context switch: median of %d windows of ~%.0f s per load, the\n"
	       "loads taking turns, all programs attached at once (kernel.bpf_stats_enabled=1,\n"
	       "run_time_ns / run_cnt). Context switches: the 1st empty program's runs.\n"
	       "ns/switch: a program's run time divided by the context switches.\n",
	       windows, seconds);
	for (l = 0; l < NR_LOADS; l++)
		print_load(l, windows);
	printf("\nTargets (numalens total: all its programs' run time per context switch;\n"
	       "empty sched_switch 1st attached before numalens, 2nd after)\n");
	for (l = 0; l < NR_LOADS; l++)
		print_targets(l, windows);
}

/*
 * Sizes each load so that one window lasts about `seconds`, everything
 * attached. perf bench sched messaging forks all its processes first: a
 * start-up time of seconds on a busy host, whatever the loops. So the loops
 * are doubled (at least) until a run takes 1.5x the first one, or a whole
 * window; the first and the last run then give the time per loop and the
 * fixed start-up time. If they disagree (a noisy moment), the last run
 * alone is scaled.
 */
static void calibrate(double seconds)
{
	int l;

	for (l = 0; l < NR_LOADS; l++) {
		long l1 = loads[l].calibrate_loops, l2 = l1, loops = l1;
		double t1 = run_load(l, l1), t2 = t1, per_loop, fixed;

		while (t2 < 1.5 * t1 && t2 < seconds) {
			long next = l2 * (seconds / 2) / (t2 > 0.001 ? t2 : 0.001);

			l2 = next > 2 * l2 ? next : 2 * l2;
			t2 = run_load(l, l2);
		}
		if (l2 > l1) {
			per_loop = (t2 - t1) / (l2 - l1);
			fixed = t2 - per_loop * l2;
			if (per_loop > 0 && fixed >= 0 && fixed < seconds)
				loops = (seconds - fixed) / per_loop;
			else
				loops = l2 * seconds / (t2 > 0.001 ? t2 : 0.001);
		}
		load_loops[l] = loops > l1 ? loops : l1;
		printf("load: perf bench sched %s%s -l %ld (-l %ld: %.2f s", loads[l].name,
		       loads[l].opts, load_loops[l], l1, t1);
		if (l2 > l1)
			printf(", -l %ld: %.2f s", l2, t2);
		printf(")\n");
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	/* No memory sampling: it has its own benchmark (sample.c) and its
	 * samples are not context switches. */
	struct nl_collect_opts opts = { .max_procs = NL_DEFAULT_MAX_PROCS, .no_pmu = true };
	struct nl_prog_info progs[MAX_ROWS];
	struct nl_sources sources = { 0 };
	static struct nl_topology topo;
	double seconds = argc > 2 ? atof(argv[2]) : 10, took;
	int windows = argc > 3 ? atoi(argv[3]) : 3, w, l, e;
	struct point before, after;
	size_t i, nr, nr_attached = 0;

	bool split = argc > 4 && !strcmp(argv[4], "split");

	if (argc < 2 || seconds <= 0 || windows < 1 || windows > MAX_WINDOWS ||
	    (argc > 4 && !split)) {
		fprintf(stderr,
			"usage: %s BPFTRACE_SCRIPT [SECONDS_PER_WINDOW [WINDOWS<=%d [split]]]\n",
			argv[0], MAX_WINDOWS);
		return 2;
	}
	bench_on_signals(cleanup);
	bench_stats_enable();

	/* Attach order: an empty program, numalens, another empty program. */
	empty[EMPTY_BEFORE] = empty_attach("the 1st, before numalens");
	if (split) {
		bench_split_nodes(&topo);
		printf("topology: every CPU n on node n %% 2 (\"split\"): every move crosses nodes\n");
		collector = bench_collector_open_topo(&topo, &opts, &sources);
	} else {
		collector = bench_collector_open(&topo, &opts, &sources);
		printf("topology: this machine's, %d node%s\n", topo.nr_nodes,
		       topo.nr_nodes == 1 ? "" : "s");
	}
	empty[EMPTY_AFTER] = empty_attach("the 2nd, after numalens");

	nr = nl_collector_programs(collector, progs, MAX_ROWS);
	if (nr > MAX_ROWS - NR_EMPTY * (1 + NR_FLOOR) - 1)
		bench_die("the collector has %zu programs, more than the %d measured", nr,
			  MAX_ROWS - NR_EMPTY * (1 + NR_FLOOR) - 1);
	for (i = 0; i < nr; i++) {
		snprintf(rows[0][i].name, sizeof(rows[0][i].name), "numalens %s", progs[i].name);
		snprintf(sections[i], sizeof(sections[i]), "%s", progs[i].section);
		attached[i] = progs[i].attached;
		nr_attached += attached[i];
	}
	nl_rows = nr_rows = nr;
	for (e = 0; e < NR_EMPTY; e++) {
		int f;

		empty_row[e] = nr_rows++;
		snprintf(rows[0][empty_row[e]].name, sizeof(rows[0][0].name), "%s", empty_names[e]);
		for (f = 0; f < NR_FLOOR; f++) {
			floor_row[e][f] = nr_rows++;
			snprintf(rows[0][floor_row[e][f]].name, sizeof(rows[0][0].name),
				 "empty %s, %s", floor_names[f], e == EMPTY_BEFORE ? "1st" : "2nd");
		}
	}
	bt_row = nr_rows++;
	snprintf(rows[0][bt_row].name, sizeof(rows[0][0].name), "bpftrace %s",
		 strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1]);
	for (l = 1; l < NR_LOADS; l++)
		for (i = 0; i < nr_rows; i++)
			memcpy(rows[l][i].name, rows[0][i].name, sizeof(rows[0][i].name));

	start_bpftrace(argv[1]);
	printf("attached, in this order: an empty sched_switch program, numalens (%zu of its %zu "
	       "programs:",
	       nr_attached, nl_rows);
	for (i = 0; i < nl_rows; i++)
		if (attached[i])
			printf(" %s", rows[0][i].name + strlen("numalens "));
	printf("), another empty sched_switch program, bpftrace (prog id");
	for (i = 0; i < nr_bt_ids; i++)
		printf(" %u", bt_ids[i]);
	printf(")\n");
	fflush(stdout);

	calibrate(seconds);

	/* The loads take turns, so that a noisy moment hits both alike. */
	for (w = 0; w < windows; w++) {
		for (l = 0; l < NR_LOADS; l++) {
			struct bench_row *r = rows[l];

			take_point(&before);
			took = run_load(l, load_loops[l]);
			take_point(&after);
			for (i = 0; i < nr_rows; i++) {
				r[i].cnt[w] = after.cnt[i] - before.cnt[i];
				r[i].ns[w] = after.ns[i] - before.ns[i];
			}
			printf("window %d, %s: %.1f s, %llu context switches\n", w + 1,
			       loads[l].name, took, (unsigned long long)switches(l)->cnt[w]);
			fflush(stdout);
		}
	}

	stop_bpftrace();
	for (e = 0; e < NR_EMPTY; e++)
		bench_empty__destroy(empty[e]);
	nl_collector_free(collector);
	bench_cleanup();
	print_results(windows, seconds);
	return 0;
}
