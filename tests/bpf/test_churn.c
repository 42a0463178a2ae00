// SPDX-License-Identifier: GPL-2.0
/*
 * Churn: short processes and threads start and end while the collector runs
 * with small maps, as an agent does. A burst of exits larger than the procs
 * map with no read in between fills it: every exit that found it full is
 * counted, exactly. Reads during thread churn keep the maps within their
 * size, and the processes the test tracks lose no count. Needs root (for
 * SCHED_FIFO too) and 2 CPUs.
 *
 * The map and its drop counter serve the whole machine: a process of
 * anyone's that ends during the burst takes an entry or adds a drop, and
 * this shared host has many. The exact count comes from where the drops
 * are counted: NL_H_PROCS_FULL is a per-CPU counter, incremented on the CPU
 * the exiting task runs on. The burst runs on CPU 0 under SCHED_FIFO, each
 * process vforked, exited and reaped in turn, and a spinning thread of
 * lower real-time priority holds CPU 0 whenever the burst sleeps (without
 * it, one run in a few on a loaded host counted a drop too many), so while
 * it lasts no task of the normal class runs on CPU 0 and every drop counted
 * there is one of the burst's. The kernel hands a CPU back to normal tasks
 * only once they have been starved for most of a second (RT throttling, or
 * the fair server's 50 ms in every second): the burst must take less than
 * 0.9 s (about 0.01 s on this host). Other processes still end on CPU 1,
 * taking entries (so the burst fills the map until its first drop rather
 * than by a count worked out beforehand) and adding drops (counted on CPU
 * 1: the sum over CPUs is only at least the burst's).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "collect.h"
#include "collect_priv.h"
#include "helpers.h"
#include "topology.h"

#define MAX_PROCS 64
#define TRACKED 4
#define TRACKED_FLIPS 10
/* Exits after the burst's first drop: the map is full, each is one drop. */
#define AFTER_FULL MAX_PROCS
#define CHURN_THREADS 2000

/* Moves between CPU 0 and 1 `flips` times (one migration each, as the
 * host test of migrations shows), starting from CPU 0. */
static void flip(int flips)
{
	int i;

	pin(0);
	for (i = 0; i < flips; i++)
		pin(i % 2 ? 0 : 1);
}

static void *short_thread(void *arg)
{
	return arg;
}

/* Until every tracked process has said it is done flipping. */
static void wait_ready(int fd)
{
	char bytes[TRACKED];
	size_t got = 0;

	while (got < TRACKED) {
		ssize_t n = read(fd, bytes, TRACKED - got);

		assert_true(n > 0);
		got += n;
	}
}

/* What the burst did, from the process that ran it. */
struct burst {
	int sched_errno; /* SCHED_FIFO refused */
	/* Processes that ended until the first drop: that one is the last. */
	pid_t fill[MAX_PROCS + 1];
	int nr_fill;
	pid_t after_full[AFTER_FULL];	  /* processes that ended after it */
	uint64_t cpu0_before, cpu0_after; /* NL_H_PROCS_FULL on CPU 0 */
	double seconds;			  /* from the one to the other */
};

/* NL_H_PROCS_FULL as counted on CPU 0 (the health map is per CPU). */
static uint64_t drops_on_cpu0(int fd)
{
	__u64 values[NL_MAX_CPUS] = { 0 };
	__u32 key = NL_H_PROCS_FULL;

	if (libbpf_num_possible_cpus() > NL_MAX_CPUS || bpf_map_lookup_elem(fd, &key, values))
		_exit(95);
	return values[0];
}

/* A process that ends at once, reaped before this returns (vfork: no copy
 * of this process's memory, so the burst is short). */
static pid_t exit_one(void)
{
	pid_t p = vfork();

	if (p == 0)
		_exit(0);
	if (p < 0 || waitpid(p, NULL, 0) != p)
		_exit(96);
	return p;
}

static volatile bool guard_stop;

/* Holds CPU 0 whenever the burst sleeps (in fork, exit or wait): below the
 * burst's priority, above every normal task. */
static void *guard(void *arg)
{
	while (!guard_stop)
		;
	return arg;
}

/* The burst, on CPU 0 under SCHED_FIFO, with no read of the maps between:
 * processes end until CPU 0 counts a drop, then AFTER_FULL more. */
static void run_burst(int health_fd, struct burst *b)
{
	int low = sched_get_priority_min(SCHED_FIFO), i;
	struct sched_param rt = { .sched_priority = low + 1 };
	struct timespec from, to;
	pthread_attr_t attr;
	pthread_t guard_thread;
	uint64_t drops;

	memset(b, 0, sizeof(*b));
	pin(0);
	if (sched_setscheduler(0, SCHED_FIFO, &rt)) {
		b->sched_errno = errno;
		return;
	}
	rt.sched_priority = low;
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	pthread_attr_setschedparam(&attr, &rt);
	b->sched_errno = pthread_create(&guard_thread, &attr, guard, NULL);
	pthread_attr_destroy(&attr);
	if (b->sched_errno)
		return;
	clock_gettime(CLOCK_MONOTONIC, &from);
	b->cpu0_before = drops = drops_on_cpu0(health_fd);
	while (b->nr_fill < MAX_PROCS + 1 && drops == b->cpu0_before) {
		b->fill[b->nr_fill++] = exit_one();
		drops = drops_on_cpu0(health_fd);
	}
	for (i = 0; i < AFTER_FULL; i++)
		b->after_full[i] = exit_one();
	b->cpu0_after = drops_on_cpu0(health_fd);
	clock_gettime(CLOCK_MONOTONIC, &to);
	b->seconds = to.tv_sec - from.tv_sec + (to.tv_nsec - from.tv_nsec) / 1e9;
	guard_stop = true;
	pthread_join(guard_thread, NULL);
	rt.sched_priority = 0;
	sched_setscheduler(0, SCHED_OTHER, &rt);
}

/* Did pid end with an entry of its own in the procs map (read into t)? */
/* Entries in the procs map now. health.procs_used is what the last read
 * found, counting the exited processes that read then removed. */
static unsigned long procs_entries(int fd)
{
	__u32 key, next, *prev = NULL;
	unsigned long n = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

static bool has_entry(const struct nl_sample_table *t, pid_t pid)
{
	long j = nl_sample_table_find(t, pid);

	return j >= 0 && (t->procs[j].flags & NL_PS_EXITED);
}

static void test_churn(void **state)
{
	struct nl_collect_opts opts = { .max_procs = MAX_PROCS };
	pid_t tracked[TRACKED], churner;
	uint64_t first[TRACKED];
	struct nl_collector *collector;
	struct nl_sources sources = { 0 };
	struct nl_sample_table t;
	struct nl_topology topo;
	struct nl_health health;
	int go[2], hold[2], ready[2], done[2], i, status, room;
	uint64_t used_before, full_before, drops;
	struct burst b;
	char byte = 1;

	assert_int_equal(fake_two_nodes(&topo), 0);
	assert_int_equal(nl_collector_open(&topo, &opts, &sources, &collector), 0);
	nl_sample_table_init(&t, 2);

	/* Tracked processes: an entry each before the churn, then more moves
	 * during it, saying on ready when each round of moves is done; they live
	 * until the end. */
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(hold), 0);
	assert_int_equal(pipe(ready), 0);
	for (i = 0; i < TRACKED; i++) {
		tracked[i] = fork();
		assert_true(tracked[i] >= 0);
		if (!tracked[i]) {
			close(go[1]);
			close(hold[1]);
			close(ready[0]);
			flip(TRACKED_FLIPS);
			if (write(ready[1], &byte, 1) != 1 || read(go[0], &byte, 1) != 1)
				_exit(92);
			flip(TRACKED_FLIPS);
			if (write(ready[1], &byte, 1) != 1)
				_exit(92);
			(void)!read(hold[0], &byte, 1);
			_exit(0);
		}
	}
	close(ready[1]);
	wait_ready(ready[0]);
	assert_int_equal(nl_collector_read(collector, &t), 0);
	for (i = 0; i < TRACKED; i++) {
		long j = nl_sample_table_find(&t, tracked[i]);

		assert_true(j >= 0);
		first[i] = t.procs[j].migrations;
		assert_true(first[i] >= TRACKED_FLIPS);
	}

	/* The burst (see the top): processes that end, each marked as exited
	 * in the procs map, with no read to empty it meanwhile. They stay on
	 * CPU 0 (no moves), so each exit asks for one entry. */
	assert_int_equal(nl_collector_read(collector, &t), 0);
	assert_int_equal(nl_collector_read(collector, &t), 0);
	nl_collector_health(collector, &health);
	used_before = procs_entries(bpf_map__fd(collector->skel->maps.procs));
	full_before = health.procs_full;
	assert_true(used_before < MAX_PROCS);
	assert_int_equal(pipe(done), 0);
	churner = fork();
	assert_true(churner >= 0);
	if (!churner) {
		run_burst(bpf_map__fd(collector->skel->maps.health), &b);
		if (write(done[1], &b, sizeof(b)) != sizeof(b) || b.sched_errno)
			_exit(93);
		/* Threads that start and end while the agent reads. */
		for (i = 0; i < CHURN_THREADS; i++) {
			pthread_t th;

			if (!pthread_create(&th, NULL, short_thread, NULL))
				pthread_join(th, NULL);
		}
		_exit(0);
	}
	close(done[1]);
	assert_int_equal(read(done[0], &b, sizeof(b)), sizeof(b));
	if (b.sched_errno)
		fail_msg("the burst needs SCHED_FIFO on CPU 0: %s", strerror(b.sched_errno));
	assert_int_equal(nl_collector_read(collector, &t), 0);
	nl_collector_health(collector, &health);
	room = b.nr_fill - 1;
	drops = b.cpu0_after - b.cpu0_before;
	print_message("burst: %d exits found room (%lu entries used before), then %d found the map "
		      "full, in %.3f s; drops: %lu on CPU 0 meanwhile, %lu others\n",
		      room, (unsigned long)used_before, 1 + AFTER_FULL, b.seconds,
		      (unsigned long)drops,
		      (unsigned long)(health.procs_full - full_before - drops));
	if (b.seconds >= 0.9)
		fail_msg("the burst took %.2f s: normal tasks may have run on CPU 0 meanwhile",
			 b.seconds);
	/* The first drop came at the latest when the burst had used all the
	 * room left (other processes may have used some of it). */
	assert_true(b.nr_fill >= 1);
	assert_true(room <= MAX_PROCS - (int)used_before);
	assert_int_equal(health.procs_used, MAX_PROCS);
	/* Each exit before the first drop has its entry, that one and every
	 * later one none: nothing frees an entry until the next read. */
	for (i = 0; i < room; i++)
		if (!has_entry(&t, b.fill[i]))
			fail_msg("exit %d of the burst (pid %d) found room but has no entry", i,
				 b.fill[i]);
	assert_false(has_entry(&t, b.fill[room]));
	for (i = 0; i < AFTER_FULL; i++)
		if (has_entry(&t, b.after_full[i]))
			fail_msg("pid %d ended with the map full but has an entry",
				 b.after_full[i]);
	/* Exactly one drop per exit that found the map full, the first one
	 * included; the other CPUs' drops are other processes'. */
	assert_int_equal(drops, 1 + AFTER_FULL);
	assert_true(health.procs_full - full_before >= 1 + AFTER_FULL);

	for (i = 0; i < TRACKED; i++)
		assert_int_equal(write(go[1], &byte, 1), 1);
	for (i = 0; waitpid(churner, &status, WNOHANG) == 0; i++) {
		usleep(50 * 1000);
		assert_int_equal(nl_collector_read(collector, &t), 0);
		nl_collector_health(collector, &health);
		assert_true(health.procs_used <= MAX_PROCS);
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	wait_ready(ready[0]);
	assert_int_equal(nl_collector_read(collector, &t), 0);
	nl_collector_health(collector, &health);
	print_message("procs map: %lu of %lu used, %lu expired, %d reads during thread churn\n",
		      (unsigned long)health.procs_used, (unsigned long)health.procs_capacity,
		      (unsigned long)health.procs_expired, i);
	assert_int_equal(health.procs_capacity, MAX_PROCS);
	assert_true(health.procs_used <= MAX_PROCS);
	for (i = 0; i < TRACKED; i++) {
		long j = nl_sample_table_find(&t, tracked[i]);

		assert_true(j >= 0);
		assert_true(t.procs[j].migrations >= first[i] + TRACKED_FLIPS);
		assert_true(t.procs[j].migrations <= first[i] + TRACKED_FLIPS + 1);
		assert_true(t.procs[j].cross_node_migrations >= 2 * TRACKED_FLIPS);
	}
	close(hold[1]);
	for (i = 0; i < TRACKED; i++)
		waitpid(tracked[i], NULL, 0);
	nl_sample_table_free(&t);
	nl_collector_free(collector);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_churn),
	};

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fprintf(stderr, "the churn test needs 2 CPUs\n");
		return 1;
	}
	return cmocka_run_group_tests_name("churn", tests, NULL, NULL);
}
