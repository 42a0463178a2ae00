// SPDX-License-Identifier: GPL-2.0
/*
 * On-CPU time per node against the kernel's own count (cputime.bpf.h).
 * Needs root and 2 CPUs.
 *
 * The host has one NUMA node, so the collector sees CPU 0 as node 0 and
 * CPU 1 as node 1 (helpers.h). The children read their own CPU-time clock
 * (CLOCK_THREAD_CPUTIME_ID, exact) at the instants they change CPU, and the
 * test reads /proc/PID/task/TID/schedstat around each numalens read. Those
 * give bounds a correct count must fall in, with no tolerance added:
 * - a thread's total is schedstat's first field (se.sum_exec_runtime, which
 *   for a running thread is as of its last tick) read before numalens's
 *   read or after it, or in between;
 * - the time on a node is at least what the thread's clock saw between its
 *   moves there, and at most that plus all the time no clock reading
 *   attributed to a node (the kernel's total less the attributed time:
 *   syscalls that moved it, and its start).
 */
#include <pthread.h>
#include <sched.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "collect.h"
#include "helpers.h"
#include "procfs.h"
#include "topology.h"

/* After the RCU grace periods (waited for below), the time its callbacks
 * (the one that frees an exited thread among them) take to run. */
#define CALLBACKS_US 20000

static struct nl_topology topo;
static struct nl_collector *collector;
static struct nl_sources sources;

/* Shared with the children: phases they reach and the clock readings they
 * make there. */
struct shared {
	volatile int phase;
	volatile int stop;
	uint64_t mark[8];
};

static struct shared *sh;

static int setup(void **state)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fprintf(stderr, "these tests need 2 CPUs\n");
		return -1;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || fake_two_nodes(&topo))
		return -1;
	return nl_collector_open(&topo, &(struct nl_collect_opts){ .max_procs = 4096 }, &sources,
				 &collector) ?
		       -1 :
		       0;
}

static int teardown(void **state)
{
	nl_collector_free(collector);
	collector = NULL;
	return 0;
}

static int reset_shared(void **state)
{
	memset((void *)sh, 0, sizeof(*sh));
	return 0;
}

/* Waits until exited threads have been freed (sched_process_free): their
 * RCU callback was queued before two grace periods that membarrier waits
 * for, then gets a moment to run. */
static void wait_freed(void)
{
	int i;

	for (i = 0; i < 2; i++)
		if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
			usleep(100000); /* nohz_full: no such command */
	usleep(CALLBACKS_US);
}

static uint64_t thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The kernel's CPU time of a thread, up to date even while it runs. */
static uint64_t schedstat_ns(pid_t pid, pid_t tid)
{
	char path[64], buf[128];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
	assert_true(nl_read_file(path, buf, sizeof(buf)) > 0);
	return strtoull(buf, NULL, 10);
}

/* Voluntary plus involuntary context switches of a thread. */
static uint64_t switches(pid_t pid, pid_t tid)
{
	char path[64], buf[2048], *line;
	uint64_t sum = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	assert_true(nl_read_file(path, buf, sizeof(buf)) > 0);
	for (line = strstr(buf, "voluntary_ctxt_switches:"); line;
	     line = strstr(line + 1, "voluntary_ctxt_switches:"))
		sum += strtoull(line + strlen("voluntary_ctxt_switches:"), NULL, 10);
	return sum;
}

static void wait_phase(int phase)
{
	int i;

	for (i = 0; sh->phase < phase; i++) {
		if (i > 10000)
			fail_msg("the child did not reach phase %d in 10 s", phase);
		usleep(1000);
	}
}

/* Waits until pid's main thread sleeps, and stays asleep. */
static void wait_asleep(pid_t pid)
{
	struct nl_proc_stat st;
	int i;

	for (i = 0; i < 1000; i++) {
		assert_int_equal(nl_proc_stat_read(pid, &st), 0);
		if (st.state == 'S')
			break;
		usleep(1000);
	}
	assert_int_equal(st.state, 'S');
	usleep(20000);
}

struct reading {
	uint64_t before, after; /* schedstat of the thread around the read */
	uint64_t node[2];	/* numalens, per node */
};

static void read_around(struct nl_collector *c, pid_t pid, pid_t tid, struct reading *r)
{
	struct nl_sample_table t;
	long i;

	nl_sample_table_init(&t, 2);
	r->before = schedstat_ns(pid, tid);
	assert_int_equal(nl_collector_read(c, &t), 0);
	r->after = schedstat_ns(pid, tid);
	i = nl_sample_table_find(&t, pid);
	assert_true(i >= 0);
	r->node[0] = nl_sample_nodes(&t, i)[0].cpu_ns;
	r->node[1] = nl_sample_nodes(&t, i)[1].cpu_ns;
	nl_sample_table_free(&t);
}

static void assert_between(const char *what, uint64_t got, uint64_t lo, uint64_t hi)
{
	if (getenv("NL_TEST_VERBOSE"))
		fprintf(stderr,
			"  %-28s %.6f s: %+.3f ms above the low bound, %+.3f ms below the high\n",
			what, got / 1e9, ((double)got - lo) / 1e6, ((double)hi - got) / 1e6);
	if (got < lo || got > hi)
		fail_msg("%s: %.6f s, want %.6f to %.6f s", what, got / 1e9, lo / 1e9, hi / 1e9);
}

static double spin_fifo_on_cpu1(void *arg)
{
	struct sched_param fifo = { .sched_priority = 1 };

	pin(0);
	sh->mark[0] = thread_ns();
	spin(0.01);
	/* SCHED_FIFO, alone on CPU 1: nothing switches it out. */
	if (sched_setscheduler(0, SCHED_FIFO, &fifo))
		_exit(92);
	sh->mark[1] = thread_ns();
	pin(1);
	sh->mark[2] = thread_ns();
	sh->phase = 1;
	while (!sh->stop)
		;
	return 0;
}

/*
 * A thread that runs on CPU 1 with no context switch is read in the middle
 * of its run: its time on node 1 is there, up to the read. (Counting at
 * switch-out, numalens used to show 0 s here.)
 */
static void test_running_thread(void **state)
{
	uint64_t on0_from, left0_before, on1_from;
	cpu_set_t all;
	struct reading r;
	struct child c;
	uint64_t sw0, sw1;
	int attempt;

	sched_getaffinity(0, sizeof(all), &all);
	pin(0); /* out of the FIFO thread's way */
	c = start_child(spin_fifo_on_cpu1, NULL);
	wait_phase(1);
	usleep(200000);
	/* The premise, checked: no switch during the read. SCHED_FIFO still
	 * yields CPU 1 to starved normal tasks (RT throttling, the fair
	 * server: 50 ms a second), which a read that lasts long on a busy host
	 * can overlap; then the read is made again, at most 5 times in all. */
	for (attempt = 1;; attempt++) {
		sw0 = switches(c.pid, c.pid);
		read_around(collector, c.pid, c.pid, &r);
		sw1 = switches(c.pid, c.pid);
		if (sw0 == sw1 || attempt == 5)
			break;
		print_message("read %d: the thread was switched out meanwhile: reading again\n",
			      attempt);
	}
	sh->stop = 1;
	(void)child_result(&c);
	end_child(&c);
	sched_setaffinity(0, sizeof(all), &all);
	on0_from = sh->mark[0];
	left0_before = sh->mark[1];
	on1_from = sh->mark[2];

	if (sw0 != sw1)
		fail_msg("the thread was switched out during each of %d reads (%llu -> %llu "
			 "switches in the last)",
			 attempt, (unsigned long long)sw0, (unsigned long long)sw1);
	assert_true(r.before - on1_from > 150000000ull); /* it ran 0.2 s there */
	assert_between("both nodes", r.node[0] + r.node[1], r.before, r.after);
	assert_between("node 1, running", r.node[1], r.before - on1_from, r.after - left0_before);
	assert_between("node 0, before it moved", r.node[0], left0_before - on0_from, on1_from);
}

static double node1_then_node0(void *arg)
{
	pin(1);
	sh->mark[0] = thread_ns();
	spin(0.3);
	sh->mark[1] = thread_ns();
	pin(0);
	sh->mark[2] = thread_ns();
	sh->phase = 1;
	while (!sh->stop)
		;
	sh->mark[3] = thread_ns();
	return 0;
}

/*
 * Time on the node it left is final at the move, time on the node it runs
 * on grows up to each read, and once it sleeps both are the kernel's to the
 * nanosecond. With --switch-accounting (credits at every context switch
 * too, for kernels with proxy execution) the figures are the same.
 */
static void check_running_then_asleep(struct nl_collector *c)
{
	struct child ch = start_child(node1_then_node0, NULL);
	struct reading running, asleep;
	uint64_t on1, on0, unattributed;

	wait_phase(1);
	usleep(100000);
	read_around(c, ch.pid, ch.pid, &running);
	sh->stop = 1;
	(void)child_result(&ch);
	wait_asleep(ch.pid);
	read_around(c, ch.pid, ch.pid, &asleep);
	end_child(&ch);

	on1 = sh->mark[1] - sh->mark[0];
	on0 = sh->mark[3] - sh->mark[2];
	assert_int_equal(asleep.before, asleep.after);
	assert_int_equal(asleep.node[0] + asleep.node[1], asleep.before);
	unattributed = asleep.before - on1 - on0;
	assert_between("both nodes, running", running.node[0] + running.node[1], running.before,
		       running.after);
	assert_between("node 1, after it left", running.node[1], on1, on1 + unattributed);
	assert_int_equal(asleep.node[1], running.node[1]);
	assert_between("node 0, asleep", asleep.node[0], on0, on0 + unattributed);
}

static void test_running_then_asleep(void **state)
{
	check_running_then_asleep(collector);
}

static void test_switch_accounting_agrees(void **state)
{
	struct nl_collect_opts opts = { .max_procs = 4096, .switch_accounting = true };
	struct nl_collector *at_switch;
	struct nl_sources s2 = { 0 };
	struct nl_prog_info progs[32];
	struct nl_topology t2;
	size_t nr, i;
	int seen = 0;

	/* This kernel has no proxy execution: no program on sched_switch. */
	nr = nl_collector_programs(collector, progs, 32);
	for (i = 0; i < nr; i++)
		if (!strcmp(progs[i].section, "tp_btf/sched_switch"))
			seen += 1 + progs[i].loaded;
	assert_int_equal(seen, 1);
	assert_non_null(strstr(sources.src[NL_SRC_SCHEDULER].reason, "nothing on sched_switch"));

	assert_int_equal(fake_two_nodes(&t2), 0);
	assert_int_equal(nl_collector_open(&t2, &opts, &s2, &at_switch), 0);
	nr = nl_collector_programs(at_switch, progs, 32);
	for (i = 0; i < nr; i++)
		if (!strcmp(progs[i].section, "tp_btf/sched_switch"))
			assert_true(progs[i].attached);
	assert_non_null(strstr(s2.src[NL_SRC_SCHEDULER].reason, "--switch-accounting"));
	check_running_then_asleep(at_switch);
	nl_collector_free(at_switch);
}

#define FLIP_PHASES 20

static double flip_every_50ms(void *arg)
{
	uint64_t *on_node = &sh->mark[0], last, now;
	int i, node = 0;

	pin(0);
	last = thread_ns();
	for (i = 0; i < FLIP_PHASES; i++) {
		spin(0.05);
		now = thread_ns();
		on_node[node] += now - last;
		node = !node;
		pin(node);
		last = thread_ns();
	}
	on_node[node] += thread_ns() - last;
	return 0;
}

/* A thread moved between the nodes every 50 ms of its run: each node's
 * time is what its own clock saw there. */
static void test_flips(void **state)
{
	struct child c = start_child(flip_every_50ms, NULL);
	struct reading r;
	int n;

	(void)child_result(&c);
	wait_asleep(c.pid);
	read_around(collector, c.pid, c.pid, &r);
	end_child(&c);

	assert_int_equal(r.before, r.after);
	assert_int_equal(r.node[0] + r.node[1], r.before);
	for (n = 0; n < 2; n++) {
		char what[32];

		snprintf(what, sizeof(what), "node %d", n);
		assert_between(what, r.node[n], sh->mark[n],
			       sh->mark[n] + r.before - sh->mark[0] - sh->mark[1]);
	}
}

/* Records the time it spun on CPU 1. */
static void *spin_on_cpu1(void *arg)
{
	uint64_t *ran = arg, start;

	pin(1);
	start = thread_ns();
	spin(0.1);
	*ran = thread_ns() - start;
	return NULL;
}

/* Three threads spin on CPU 1 and exit, while the main thread stays on
 * CPU 0 (mark[3]: its time there). */
static double threads_then_exit(void *arg)
{
	pthread_t th[3];
	uint64_t start;
	int i;

	pin(0);
	start = thread_ns();
	for (i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, spin_on_cpu1, &sh->mark[i]);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	sh->mark[3] = thread_ns() - start;
	return 0;
}

/*
 * A cgroup v2 directory of the test's own, for a process's whole CPU time:
 * update_curr() adds every instant of every thread of a cgroup's tasks to
 * it (cpu.stat usage_usec), also what a thread runs at its exit after the
 * kernel added its time to its process (at its release, before its last
 * switch, for a thread that is not the last): the process totals of
 * getrusage() and the process CPU clock lack that (20-60 us a thread on the
 * host, up to ms under emulation), numalens counts it.
 */
struct test_cgroup {
	char mnt[PATH_MAX];	 /* where cgroup2 is mounted */
	char dir[PATH_MAX + 32]; /* the test's cgroup under it */
	bool mounted_here;	 /* mounted by the test, on a temporary directory */
	int fd;
};

static bool cgroup2_mount(char *mnt, size_t size)
{
	char line[4096], point[PATH_MAX], *sep;
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - ");
		if (sep && !strncmp(sep, " - cgroup2 ", 11) &&
		    sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1) {
			snprintf(mnt, size, "%s", point);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static void cgroup_open(struct test_cgroup *cg)
{
	memset(cg, 0, sizeof(*cg));
	cg->fd = -1;
	if (!cgroup2_mount(cg->mnt, sizeof(cg->mnt))) {
		snprintf(cg->mnt, sizeof(cg->mnt), "/tmp/numalens-cgroup2.XXXXXX");
		assert_non_null(mkdtemp(cg->mnt));
		assert_int_equal(mount("cgroup2", cg->mnt, "cgroup2", 0, NULL), 0);
		cg->mounted_here = true;
	}
	snprintf(cg->dir, sizeof(cg->dir), "%s/numalens-test-%d", cg->mnt, (int)getpid());
	assert_int_equal(mkdir(cg->dir, 0755), 0);
	cg->fd = open(cg->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(cg->fd >= 0);
}

/* Also after a failed assertion (the test's teardown): its tasks killed. */
static void cgroup_close(struct test_cgroup *cg)
{
	char path[PATH_MAX + 64];
	int fd, i;

	if (!cg->dir[0])
		return;
	snprintf(path, sizeof(path), "%s/cgroup.kill", cg->dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "1", 1);
		close(fd);
	}
	for (i = 0; i < 100 && rmdir(cg->dir) && errno == EBUSY; i++)
		usleep(10000);
	if (cg->fd >= 0)
		close(cg->fd);
	if (cg->mounted_here) {
		umount(cg->mnt);
		rmdir(cg->mnt);
	}
	memset(cg, 0, sizeof(*cg));
}

static struct test_cgroup exit_cgroup;

static int close_exit_cgroup(void **state)
{
	cgroup_close(&exit_cgroup);
	return 0;
}

/* The cgroup's CPU time in ns, truncated to the us by the kernel. */
static uint64_t cgroup_ns(const struct test_cgroup *cg)
{
	char path[PATH_MAX + 64], buf[512], *us;

	snprintf(path, sizeof(path), "%s/cpu.stat", cg->dir);
	assert_true(nl_read_file(path, buf, sizeof(buf)) > 0);
	us = strstr(buf, "usage_usec ");
	assert_non_null(us);
	return strtoull(us + strlen("usage_usec "), NULL, 10) * 1000;
}

static void read_process(pid_t pid, uint64_t *node, uint32_t *flags)
{
	struct nl_sample_table t;
	long i;

	nl_sample_table_init(&t, 2);
	assert_int_equal(nl_collector_read(collector, &t), 0);
	i = nl_sample_table_find(&t, pid);
	assert_true(i >= 0);
	node[0] = nl_sample_nodes(&t, i)[0].cpu_ns;
	node[1] = nl_sample_nodes(&t, i)[1].cpu_ns;
	*flags = t.procs[i].flags;
	nl_sample_table_free(&t);
}

/*
 * Threads that exit keep their time in the process; a process that exits
 * between two reads is reported once, with its final counts, including what
 * its threads ran after sched_process_exit (tearing down the memory: 0.3 ms
 * here, 5 ms under qemu's emulation). The known answer is the count of the
 * cgroup the process was born in (struct test_cgroup), to the microsecond.
 */
static void test_exited_threads_and_process(void **state)
{
	struct test_cgroup *cg = &exit_cgroup;
	struct child c;
	uint64_t node[2], kernel, on1, on0, unattributed;
	uint32_t flags;
	int status;

	cgroup_open(cg);
	c = start_child_in(cg->fd, threads_then_exit, NULL);
	(void)child_result(&c);
	on1 = sh->mark[0] + sh->mark[1] + sh->mark[2];
	on0 = sh->mark[3];
	wait_asleep(c.pid);
	wait_freed();
	kernel = cgroup_ns(cg);
	read_process(c.pid, node, &flags);
	assert_true(flags & NL_PS_LIVE);
	/* Its main thread asleep, its other threads freed: nothing changes. */
	assert_between("the process", node[0] + node[1], kernel, kernel + 999);
	/* What no clock reading of the threads' attributed to a node: their
	 * starts, their exits, the syscalls between the readings. */
	unattributed = kernel + 999 - on1 - on0;
	assert_between("node 1, three exited threads", node[1], on1, on1 + unattributed);
	assert_between("node 0, the main thread", node[0], on0, on0 + unattributed);

	close(c.from_parent);
	close(c.to_parent);
	assert_int_equal(waitpid(c.pid, &status, 0), c.pid);
	/* Freed, so after its last thread's last switch: the cgroup's count is
	 * whole (a wait for "populated 0" would not do: the cgroup says so, and
	 * the parent is woken, before that switch). */
	wait_freed();
	kernel = cgroup_ns(cg);
	read_process(c.pid, node, &flags);
	assert_true(flags & NL_PS_EXITED);
	assert_between("the exited process", node[0] + node[1], kernel, kernel + 999);
	cgroup_close(cg);
}

/* Nothing above broke the premise cputime.bpf.h rests on. */
static void test_no_move_of_a_running_thread(void **state)
{
	struct nl_health h;

	nl_collector_health(collector, &h);
	assert_int_equal(h.migrate_running, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_running_thread, reset_shared),
		cmocka_unit_test_setup(test_running_then_asleep, reset_shared),
		cmocka_unit_test_setup(test_switch_accounting_agrees, reset_shared),
		cmocka_unit_test_setup(test_flips, reset_shared),
		cmocka_unit_test_setup_teardown(test_exited_threads_and_process, reset_shared,
						close_exit_cgroup),
		cmocka_unit_test(test_no_move_of_a_running_thread),
	};

	return cmocka_run_group_tests_name("cputime", tests, setup, teardown);
}
