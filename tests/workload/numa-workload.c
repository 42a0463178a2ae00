// SPDX-License-Identifier: GPL-2.0
/*
 * numa-workload: a busy process whose NUMA placement the tests know.
 *
 * It places its CPUs on one node (--cpu-node) and its memory on another
 * (--mem-node), or interleaves it over several (--interleave, MPOL_INTERLEAVE:
 * page by page, or huge page by huge page with THP), touches every page,
 * then runs --threads threads that keep reading and writing the buffer, each
 * over its own slice of pages, so they stay busy on the CPU and in memory.
 * "ready pid=PID" on stdout says the memory is placed and the threads run.
 * --hop-to-node moves every thread to another node's CPUs after --hop-after
 * seconds (SIGUSR1 also moves them, and a second SIGUSR1 moves them back),
 * which makes cross-node migrations.
 * --unbound sets no CPU or memory binding at all, for NUMA balancing tests.
 * --release-policy places the buffer as --mem-node or --interleave say, then
 * sets its policy back to the default (mbind MPOL_DEFAULT, moving nothing):
 * pages that start on a chosen node and that NUMA balancing may then move
 * (it never moves pages under MPOL_BIND), as memory-tier promotion needs.
 * --spawn-every MS starts, after "ready", a thread that creates one more
 * (sleeping) thread every MS milliseconds until --spawn-max of them exist:
 * threads that appear while numalens pin works on the process.
 * --flip-every MS has each thread move itself between --cpu-node and
 * --hop-to-node every MS ms, keeping its own CPU time per node (its
 * CLOCK_THREAD_CPUTIME_ID at each move); at the end it prints
 * "flip node_ns A=NS B=NS main_ns=NS main_unbound_ns=NS moving_ns=NS
 * process_ns=NS flips=N": the workers' time per node, the main thread's
 * (and of that, before it bound itself to A), the time the workers spent in
 * the syscalls that moved them, the kernel's process total and how many
 * moves the workers made.
 *
 * Exit status: 0 after the run time (or SIGINT/SIGTERM), 2 for bad arguments,
 * 1 for a failure to place memory or threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../fork_into.h"

#define MAX_THREADS 256
#define MAX_SIZE_MIB (1024 * 1024)
#define CACHE_LINE 64
#define MAX_INTERLEAVE 64
#define STR(x) STR_(x)
#define STR_(x) #x

struct options {
	int cpu_node;		      /* -1: not bound */
	int mem_node;		      /* -1: not bound */
	int il_nodes[MAX_INTERLEAVE]; /* --interleave, in the order given */
	int nr_il_nodes;	      /* 0: no interleaving */
	const char *il_arg;	      /* --interleave's text, for messages */
	long size_mib;
	int threads;
	long seconds;	/* 0: until killed */
	int hop_node;	/* -1: no hop */
	long hop_after; /* -1: only on SIGUSR1 */
	bool unbound;
	long spawn_every_ms; /* 0: no spawning */
	int spawn_max;
	long flip_every_ms; /* 0: no flipping */
	bool no_thp;
	bool release_policy; /* --release-policy */
	int extra_node;	     /* --extra: -1 none */
	long extra_mib;
};

struct worker {
	pthread_t thread;
	pid_t tid;
	unsigned char *start;
	size_t len;
	uint64_t node_ns[2]; /* --flip-every: on --cpu-node, on --hop-to-node */
	uint64_t moving_ns;  /* ... in the syscalls that moved it: either node */
	unsigned int flips;
};

#define MAX_SPAWN 4096

static pthread_t spawned[MAX_SPAWN];
static int nr_spawned;
static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t hop_requests;
static int workers_stop;
/* Spawned threads sleep on this until the end: 400 of them polling every
 * 10 ms kept two CPUs busy. */
static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cond = PTHREAD_COND_INITIALIZER;
static struct options opts;

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: numa-workload [OPTIONS]\n"
		"Runs busy threads over a buffer with a known NUMA placement.\n"
		"\n"
		"  --cpu-node N        run the threads on node N's CPUs\n"
		"  --mem-node M        bind the buffer to node M (MPOL_BIND)\n"
		"  --interleave LIST   interleave the buffer over the nodes of LIST, page by page\n"
		"                      (MPOL_INTERLEAVE; huge pages with THP, unless --no-thp);\n"
		"                      comma-separated, at most %d distinct nodes; 0,1: half on each\n"
		"  --size MIB          buffer size in MiB (default 64)\n"
		"  --threads T         busy threads (default 1, at most %d)\n"
		"  --seconds S         run time (default 10; 0 runs until killed)\n"
		"  --hop-to-node K     move every thread to node K's CPUs ...\n"
		"  --hop-after S       ... S seconds after ready (default: only on SIGUSR1;\n"
		"                      each SIGUSR1 moves the threads, a second one back)\n"
		"  --unbound           no CPU or memory binding at all\n"
		"  --spawn-every MS    after ready, one more (sleeping) thread every MS ms ...\n"
		"  --spawn-max N       ... until N exist (default 500, at most %d)\n"
		"  --flip-every MS     each thread moves itself between --cpu-node and\n"
		"                      --hop-to-node every MS ms, and its CPU time per node\n"
		"                      is printed at the end\n"
		"  --no-thp            small pages only, in the whole process\n"
		"                      (PR_SET_THP_DISABLE, MADV_NOHUGEPAGE), so that one\n"
		"                      hinting fault is one page, as /proc/vmstat counts\n"
		"  --release-policy    once --mem-node or --interleave placed the buffer, set\n"
		"                      its policy back to the default (pages stay where they\n"
		"                      are; NUMA balancing may then move them)\n"
		"  --extra NODE:MIB    also hold MIB MiB on node NODE (MPOL_BIND), resident\n"
		"                      and never touched again: memory the threads do not use\n"
		"  -h, --help          this text\n"
		"\n"
		"numa-workload --rusage-of [--cgroup DIR] CMD [ARGS...] runs CMD, waits for it,\n"
		"and prints \"rusage pid=PID status=S cpu_ns=NS\": its CPU time as the kernel\n"
		"counted it at its exit (wait4: user + system, to the microsecond); with\n"
		"--cgroup, CMD is born in the cgroup v2 directory DIR (its cpu.stat then counts\n"
		"all of CMD's time, once CMD's last thread has switched out for good).\n"
		"\n"
		"Prints \"ready pid=PID\" once the memory is placed and the threads run.\n"
		"Example: numa-workload --cpu-node 0 --mem-node 1 --size 128 --threads 2\n",
		MAX_INTERLEAVE, MAX_THREADS, MAX_SPAWN);
}

static void bad_arg(const char *fmt, const char *arg)
{
	fprintf(stderr, "numa-workload: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'numa-workload --help'.\n");
	exit(2);
}

static long parse_long(const char *opt, const char *arg, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "numa-workload: %s wants an integer in %ld..%ld, not '%s'\n", opt,
			min, max, arg);
		fprintf(stderr, "Try 'numa-workload --help'.\n");
		exit(2);
	}
	return v;
}

/* --interleave LIST: comma-separated node numbers, each once. */
static void parse_nodes(const char *arg, struct options *o)
{
	const char *p = arg;
	char num[32];
	size_t len;
	int i, n;

	o->nr_il_nodes = 0;
	o->il_arg = arg;
	for (;;) {
		len = strcspn(p, ",");
		if (len == 0 || len >= sizeof(num))
			bad_arg("--interleave wants comma-separated node numbers (e.g. 0,1), not '%s'",
				arg);
		memcpy(num, p, len);
		num[len] = '\0';
		if (strspn(num, "0123456789") != len)
			bad_arg("--interleave wants comma-separated node numbers (e.g. 0,1), not '%s'",
				arg);
		n = parse_long("--interleave", num, 0, INT_MAX);
		for (i = 0; i < o->nr_il_nodes; i++)
			if (o->il_nodes[i] == n)
				bad_arg("--interleave names a node twice: '%s'", arg);
		if (o->nr_il_nodes == MAX_INTERLEAVE)
			bad_arg("--interleave names more than " STR(MAX_INTERLEAVE) " nodes: '%s'",
				arg);
		o->il_nodes[o->nr_il_nodes++] = n;
		if (!p[len])
			break;
		p += len + 1;
	}
}

static void parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "cpu-node", required_argument, NULL, 'c' },
		{ "mem-node", required_argument, NULL, 'm' },
		{ "interleave", required_argument, NULL, 'i' },
		{ "size", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "hop-to-node", required_argument, NULL, 'k' },
		{ "hop-after", required_argument, NULL, 'a' },
		{ "unbound", no_argument, NULL, 'u' },
		{ "spawn-every", required_argument, NULL, 'e' },
		{ "spawn-max", required_argument, NULL, 'x' },
		{ "flip-every", required_argument, NULL, 'f' },
		{ "no-thp", no_argument, NULL, 'n' },
		{ "release-policy", no_argument, NULL, 'r' },
		{ "extra", required_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct options){ .cpu_node = -1,
			       .mem_node = -1,
			       .size_mib = 64,
			       .threads = 1,
			       .seconds = 10,
			       .hop_node = -1,
			       .hop_after = -1,
			       .spawn_max = 500,
			       .extra_node = -1 };

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->cpu_node = parse_long("--cpu-node", optarg, 0, INT_MAX);
			break;
		case 'm':
			o->mem_node = parse_long("--mem-node", optarg, 0, INT_MAX);
			break;
		case 'i':
			parse_nodes(optarg, o);
			break;
		case 's':
			o->size_mib = parse_long("--size", optarg, 1, MAX_SIZE_MIB);
			break;
		case 't':
			o->threads = parse_long("--threads", optarg, 1, MAX_THREADS);
			break;
		case 'S':
			o->seconds = parse_long("--seconds", optarg, 0, LONG_MAX / 2);
			break;
		case 'k':
			o->hop_node = parse_long("--hop-to-node", optarg, 0, INT_MAX);
			break;
		case 'a':
			o->hop_after = parse_long("--hop-after", optarg, 0, LONG_MAX / 2);
			break;
		case 'u':
			o->unbound = true;
			break;
		case 'e':
			o->spawn_every_ms = parse_long("--spawn-every", optarg, 1, 60000);
			break;
		case 'x':
			o->spawn_max = parse_long("--spawn-max", optarg, 1, MAX_SPAWN);
			break;
		case 'f':
			o->flip_every_ms = parse_long("--flip-every", optarg, 1, 60000);
			break;
		case 'n':
			o->no_thp = true;
			break;
		case 'r':
			o->release_policy = true;
			break;
		case 'X': {
			char node[32], *colon = strchr(optarg, ':');

			if (!colon || colon == optarg || (size_t)(colon - optarg) >= sizeof(node))
				bad_arg("--extra wants NODE:MIB (e.g. 1:8), not '%s'", optarg);
			memcpy(node, optarg, colon - optarg);
			node[colon - optarg] = '\0';
			o->extra_node = parse_long("--extra", node, 0, INT_MAX);
			o->extra_mib = parse_long("--extra", colon + 1, 1, MAX_SIZE_MIB);
			break;
		}
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'numa-workload --help'.\n");
			exit(2);
		}
	}
	if (optind < argc)
		bad_arg("unexpected argument '%s'", argv[optind]);
	if (o->unbound &&
	    (o->cpu_node >= 0 || o->mem_node >= 0 || o->nr_il_nodes || o->hop_node >= 0))
		bad_arg("%s cannot be combined with --cpu-node, --mem-node, --interleave or "
			"--hop-to-node",
			"--unbound");
	if (o->unbound && o->extra_node >= 0)
		bad_arg("%s cannot be combined with --extra", "--unbound");
	if (o->mem_node >= 0 && o->nr_il_nodes)
		bad_arg("%s cannot be combined with --mem-node", "--interleave");
	if (o->release_policy && o->mem_node < 0 && !o->nr_il_nodes)
		bad_arg("%s needs --mem-node or --interleave", "--release-policy");
	if (o->flip_every_ms && (o->cpu_node < 0 || o->hop_node < 0))
		bad_arg("%s needs --cpu-node and --hop-to-node", "--flip-every");
	if (o->flip_every_ms && o->hop_after >= 0)
		bad_arg("%s cannot be combined with --hop-after", "--flip-every");
	if (o->hop_after >= 0 && o->hop_node < 0)
		bad_arg("%s needs --hop-to-node", "--hop-after");
	if (o->hop_after >= 0 && o->seconds > 0 && o->hop_after >= o->seconds)
		bad_arg("%s must be shorter than --seconds", "--hop-after");
}

/* Exits with a message unless NODE exists and has what ROLE needs. */
static void check_node(const char *opt, int node, bool need_cpus, bool need_memory)
{
	struct bitmask *cpus;
	long long size;
	int max = numa_max_node();

	if (node > max || !numa_bitmask_isbitset(numa_nodes_ptr, node)) {
		fprintf(stderr,
			"numa-workload: %s %d: no such NUMA node (this machine has nodes 0-%d)\n",
			opt, node, max);
		exit(2);
	}
	if (need_cpus) {
		cpus = numa_allocate_cpumask();
		if (numa_node_to_cpus(node, cpus) < 0 || numa_bitmask_weight(cpus) == 0) {
			fprintf(stderr, "numa-workload: %s %d: node %d has no CPUs\n", opt, node,
				node);
			exit(2);
		}
		numa_free_cpumask(cpus);
	}
	if (need_memory) {
		size = numa_node_size64(node, NULL);
		if (size <= 0) {
			fprintf(stderr, "numa-workload: %s %d: node %d has no memory\n", opt, node,
				node);
			exit(2);
		}
	}
}

/* Fills SET with node NODE's CPUs. */
static int node_cpuset(int node, cpu_set_t *set)
{
	struct bitmask *cpus = numa_allocate_cpumask();
	unsigned int i;
	int n = 0;

	CPU_ZERO(set);
	if (numa_node_to_cpus(node, cpus) == 0) {
		for (i = 0; i < cpus->size && i < CPU_SETSIZE; i++) {
			if (numa_bitmask_isbitset(cpus, i)) {
				CPU_SET(i, set);
				n++;
			}
		}
	}
	numa_free_cpumask(cpus);
	return n > 0 ? 0 : -1;
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* --flip-every: credits the time since *last to the node it is on, then
 * moves to the other one. */
static void flip(struct worker *w, int *at, uint64_t *last)
{
	int to[2] = { opts.cpu_node, opts.hop_node };
	uint64_t now;
	cpu_set_t set;

	if (node_cpuset(to[!*at], &set))
		return;
	now = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	w->node_ns[*at] += now - *last;
	w->flips++;
	*at = !*at;
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	*last = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	w->moving_ns += *last - now;
}

static void *work(void *arg)
{
	uint64_t flip_ns = opts.flip_every_ms * 1000000ull, next_flip = 0, last = 0;
	struct worker *w = arg;
	volatile unsigned char *p;
	int at = 0;
	size_t off;

	__atomic_store_n(&w->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELAXED);
	if (flip_ns) {
		last = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		next_flip = clock_ns(CLOCK_MONOTONIC) + flip_ns;
	}
	/* Every cache line of every page of this thread's slice, again and again. */
	while (!__atomic_load_n(&workers_stop, __ATOMIC_RELAXED)) {
		p = w->start;
		for (off = 0; off < w->len; off += CACHE_LINE) {
			p[off] = (unsigned char)(p[off] + 1);
			if (flip_ns && !(off & 0x3fff) && clock_ns(CLOCK_MONOTONIC) >= next_flip) {
				flip(w, &at, &last);
				next_flip += flip_ns;
			}
		}
	}
	if (flip_ns)
		w->node_ns[at] += clock_ns(CLOCK_THREAD_CPUTIME_ID) - last;
	return NULL;
}

/* A spawned thread: sleeps until the end. */
static void *idle(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&stop_lock);
	while (!__atomic_load_n(&workers_stop, __ATOMIC_RELAXED))
		pthread_cond_wait(&stop_cond, &stop_lock);
	pthread_mutex_unlock(&stop_lock);
	return NULL;
}

/* Creates an idle thread every interval until max exist (--spawn-every). */
static void *spawner(void *arg)
{
	const struct options *o = arg;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	while (nr_spawned < o->spawn_max && !__atomic_load_n(&workers_stop, __ATOMIC_RELAXED)) {
		if (pthread_create(&spawned[nr_spawned], &attr, idle, NULL))
			break;
		__atomic_store_n(&nr_spawned, nr_spawned + 1, __ATOMIC_RELEASE);
		usleep(o->spawn_every_ms * 1000);
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

/* Moves the process and every worker thread to NODE's CPUs. */
static int move_all(struct worker *w, int n, int node)
{
	cpu_set_t set;
	int i, err;

	if (node_cpuset(node, &set) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		err = pthread_setaffinity_np(w[i].thread, sizeof(set), &set);
		if (err) {
			fprintf(stderr, "numa-workload: moving thread %d to node %d: %s\n",
				w[i].tid, node, strerror(err));
			return -1;
		}
	}
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		fprintf(stderr, "numa-workload: moving to node %d: %s\n", node, strerror(errno));
		return -1;
	}
	fprintf(stderr, "numa-workload: moved %d threads to node %d\n", n, node);
	return 0;
}

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void on_usr1(int sig)
{
	(void)sig;
	hop_requests++;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --extra: MIB MiB bound to NODE, placed now, never used again. */
static int hold_extra(const struct options *o, size_t page)
{
	size_t size = (size_t)o->extra_mib << 20, off;
	struct bitmask *nodes = numa_allocate_nodemask();
	unsigned char *extra =
		mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	numa_bitmask_setbit(nodes, o->extra_node);
	if (extra == MAP_FAILED ||
	    mbind(extra, size, MPOL_BIND, nodes->maskp, nodes->size + 1, MPOL_MF_STRICT) < 0) {
		fprintf(stderr, "numa-workload: cannot hold %ld MiB on node %d: %s\n", o->extra_mib,
			o->extra_node, strerror(errno));
		return -1;
	}
	numa_free_nodemask(nodes);
	for (off = 0; off < size; off += page)
		extra[off] = 1;
	return 0;
}

/*
 * --rusage-of [--cgroup DIR] CMD...: the kernel's count of CMD's CPU time at
 * its exit (wait4), which lacks what the threads other than the last ran
 * between their release and their last switch (the kernel adds a thread's
 * time to its process at its release). With --cgroup, CMD is born in the
 * cgroup DIR, whose cpu.stat then has every instant of every thread once
 * the last one's last switch is done: read it later (the parent is woken
 * before that switch, and the cgroup says "populated 0" sooner still).
 */
static int rusage_of(char **cmd)
{
	int status, cgroup_fd = -1;
	struct rusage ru;
	pid_t pid;

	if (cmd[0] && !strcmp(cmd[0], "--cgroup")) {
		if (!cmd[1] || !cmd[2])
			bad_arg("%s needs a directory and a command", "--rusage-of --cgroup");
		cgroup_fd = open(cmd[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cgroup_fd < 0) {
			fprintf(stderr, "numa-workload: cannot open the cgroup %s: %s\n", cmd[1],
				strerror(errno));
			return 1;
		}
		cmd += 2;
	}
	pid = fork_into(cgroup_fd);
	if (pid < 0) {
		fprintf(stderr, "numa-workload: cannot start %s: %s\n", cmd[0], strerror(errno));
		return 1;
	}
	if (!pid) {
		execvp(cmd[0], cmd);
		fprintf(stderr, "numa-workload: cannot run %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	if (cgroup_fd >= 0)
		close(cgroup_fd);
	if (wait4(pid, &status, 0, &ru) < 0) {
		fprintf(stderr, "numa-workload: cannot wait for %s: %s\n", cmd[0], strerror(errno));
		return 1;
	}
	fflush(stdout);
	printf("rusage pid=%d status=%d cpu_ns=%llu\n", (int)pid,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
	       (unsigned long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
		       (unsigned long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	struct worker workers[MAX_THREADS];
	pthread_t spawner_thread;
	struct options o;
	struct sigaction sa;
	struct bitmask *nodes;
	unsigned char *buf;
	size_t size, page, npages, off, first, count;
	double start, deadline, hop_at;
	int handled_hops = 0, at_node, i, err;
	uint64_t bound_ns;
	bool timed_hop_done = false;

	if (argc > 1 && !strcmp(argv[1], "--rusage-of")) {
		if (argc < 3)
			bad_arg("%s needs a command", "--rusage-of");
		return rusage_of(argv + 2);
	}
	parse_args(argc, argv, &o);
	opts = o;
	/* Memory placement is this program's to set, whatever its parent's
	 * policy: the VM tests run their shell bound to every node (so that
	 * NUMA balancing leaves the shell alone), and a workload inheriting
	 * that binding would not be balanced either. ENOSYS: no NUMA. */
	if (set_mempolicy(MPOL_DEFAULT, NULL, 0) < 0 && errno != ENOSYS) {
		fprintf(stderr, "numa-workload: cannot reset the memory policy: %s\n",
			strerror(errno));
		return 1;
	}

	if (!o.unbound && (o.cpu_node >= 0 || o.mem_node >= 0 || o.nr_il_nodes || o.hop_node >= 0 ||
			   o.extra_node >= 0)) {
		if (numa_available() < 0) {
			fprintf(stderr, "numa-workload: NUMA is not available on this kernel; "
					"run with --unbound or without node options\n");
			return 2;
		}
		if (o.cpu_node >= 0)
			check_node("--cpu-node", o.cpu_node, true, false);
		if (o.mem_node >= 0)
			check_node("--mem-node", o.mem_node, false, true);
		for (i = 0; i < o.nr_il_nodes; i++)
			check_node("--interleave", o.il_nodes[i], false, true);
		if (o.hop_node >= 0)
			check_node("--hop-to-node", o.hop_node, true, false);
		if (o.extra_node >= 0)
			check_node("--extra", o.extra_node, false, true);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);

	/* CPUs first: the worker threads inherit this affinity. */
	bound_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	if (o.cpu_node >= 0 && numa_run_on_node(o.cpu_node) < 0) {
		fprintf(stderr, "numa-workload: cannot run on node %d: %s\n", o.cpu_node,
			strerror(errno));
		return 1;
	}

	page = (size_t)sysconf(_SC_PAGESIZE);
	size = (size_t)o.size_mib << 20;
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		fprintf(stderr, "numa-workload: cannot map %ld MiB: %s\n", o.size_mib,
			strerror(errno));
		return 1;
	}
	/* The whole process in small pages, its stacks and heap too: a test
	 * that takes one hinting fault per page (vmstat counts a huge page's
	 * fault once, task_numa_fault its 512 pages) once met a thread stack's
	 * huge pages on 6.1. */
	if (o.no_thp && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0) {
		fprintf(stderr, "numa-workload: cannot turn off huge pages: %s\n", strerror(errno));
		return 1;
	}
	if (o.no_thp && madvise(buf, size, MADV_NOHUGEPAGE) < 0) {
		fprintf(stderr, "numa-workload: cannot turn off huge pages: %s\n", strerror(errno));
		return 1;
	}
	if (o.mem_node >= 0) {
		nodes = numa_allocate_nodemask();
		numa_bitmask_setbit(nodes, o.mem_node);
		if (mbind(buf, size, MPOL_BIND, nodes->maskp, nodes->size + 1, MPOL_MF_STRICT) <
		    0) {
			fprintf(stderr, "numa-workload: cannot bind memory to node %d: %s\n",
				o.mem_node, strerror(errno));
			return 1;
		}
		numa_free_nodemask(nodes);
	}
	if (o.nr_il_nodes) {
		nodes = numa_allocate_nodemask();
		for (i = 0; i < o.nr_il_nodes; i++)
			numa_bitmask_setbit(nodes, o.il_nodes[i]);
		if (mbind(buf, size, MPOL_INTERLEAVE, nodes->maskp, nodes->size + 1,
			  MPOL_MF_STRICT) < 0) {
			fprintf(stderr,
				"numa-workload: cannot interleave memory over nodes %s: %s\n",
				o.il_arg, strerror(errno));
			return 1;
		}
		numa_free_nodemask(nodes);
	}
	/* Touch every page now, so it is placed before "ready". */
	for (off = 0; off < size; off += page)
		buf[off] = 1;
	/* The range's policy back to the default, its pages left where they
	 * are (no MPOL_MF_MOVE). The task's own policy is the default already
	 * (above), so the pages the buffer gets from now on follow it too. */
	if (o.release_policy && mbind(buf, size, MPOL_DEFAULT, NULL, 0, 0) < 0) {
		fprintf(stderr, "numa-workload: cannot reset the buffer's memory policy: %s\n",
			strerror(errno));
		return 1;
	}
	if (o.extra_node >= 0 && hold_extra(&o, page))
		return 1;

	npages = size / page;
	first = 0;
	for (i = 0; i < o.threads; i++) {
		count = npages / o.threads + ((size_t)i < npages % o.threads ? 1 : 0);
		workers[i] = (struct worker){ .start = buf + first * page, .len = count * page };
		first += count;
		err = pthread_create(&workers[i].thread, NULL, work, &workers[i]);
		if (err) {
			fprintf(stderr, "numa-workload: cannot start thread %d: %s\n", i,
				strerror(err));
			return 1;
		}
	}
	/* Wait until every thread has started and reported its tid. */
	for (i = 0; i < o.threads; i++)
		while (!__atomic_load_n(&workers[i].tid, __ATOMIC_RELAXED))
			usleep(1000);

	printf("ready pid=%d\n", (int)getpid());
	fflush(stdout);
	if (o.spawn_every_ms && pthread_create(&spawner_thread, NULL, spawner, &o)) {
		fprintf(stderr, "numa-workload: cannot start the spawner thread\n");
		return 1;
	}

	start = now();
	deadline = o.seconds > 0 ? start + o.seconds : 0;
	hop_at = o.hop_after >= 0 ? start + o.hop_after : 0;
	at_node = o.cpu_node;
	while (!stop_flag) {
		double t = now();

		if (deadline && t >= deadline)
			break;
		if (o.hop_node >= 0 && hop_at && !timed_hop_done && t >= hop_at) {
			timed_hop_done = true;
			if (move_all(workers, o.threads, o.hop_node) < 0)
				return 1;
			at_node = o.hop_node;
		}
		while (o.hop_node >= 0 && handled_hops != hop_requests) {
			int to = at_node == o.hop_node ? o.cpu_node : o.hop_node;

			handled_hops++;
			if (to < 0) {
				/* Never bound before: back to every CPU. */
				cpu_set_t all;
				int c;

				CPU_ZERO(&all);
				for (c = 0; c < numa_num_configured_cpus() && c < CPU_SETSIZE; c++)
					CPU_SET(c, &all);
				for (i = 0; i < o.threads; i++)
					pthread_setaffinity_np(workers[i].thread, sizeof(all),
							       &all);
				sched_setaffinity(0, sizeof(all), &all);
				fprintf(stderr, "numa-workload: unbound %d threads\n", o.threads);
			} else if (move_all(workers, o.threads, to) < 0) {
				return 1;
			}
			at_node = to;
		}
		usleep(20000);
	}

	pthread_mutex_lock(&stop_lock);
	__atomic_store_n(&workers_stop, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&stop_cond);
	pthread_mutex_unlock(&stop_lock);
	for (i = 0; i < o.threads; i++)
		pthread_join(workers[i].thread, NULL);
	if (o.spawn_every_ms) {
		pthread_join(spawner_thread, NULL);
		for (i = 0; i < nr_spawned; i++)
			pthread_join(spawned[i], NULL);
	}
	munmap(buf, size);
	if (o.flip_every_ms) {
		uint64_t node_ns[2] = { 0 }, moving = 0,
			 process = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		unsigned int flips = 0;

		for (i = 0; i < o.threads; i++) {
			node_ns[0] += workers[i].node_ns[0];
			node_ns[1] += workers[i].node_ns[1];
			moving += workers[i].moving_ns;
			flips += workers[i].flips;
		}
		/* The main thread ran on --cpu-node from the start (the caller
		 * placed it there, as the tests do with taskset) or since
		 * bound_ns into its run. */
		printf("flip node_ns %d=%llu %d=%llu main_ns=%llu main_unbound_ns=%llu moving_ns=%llu "
		       "process_ns=%llu flips=%u\n",
		       o.cpu_node, (unsigned long long)node_ns[0], o.hop_node,
		       (unsigned long long)node_ns[1],
		       (unsigned long long)(process - node_ns[0] - node_ns[1] - moving),
		       (unsigned long long)bound_ns, (unsigned long long)moving,
		       (unsigned long long)process, flips);
	}
	return 0;
}
