// SPDX-License-Identifier: GPL-2.0
/*
 * Churn: short processes and threads start and end while the collector runs
 * with small maps, as an agent does. A burst of exits larger than the procs
 * map with no read in between fills it: every exit that found it full is
 * counted. Reads during thread churn keep the maps within their size, and
 * the processes the test tracks lose no count. Needs root and 2 CPUs.
 */
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
#include "helpers.h"
#include "topology.h"

#define MAX_PROCS 64
#define TRACKED 4
#define TRACKED_FLIPS 10
#define BURST_PROCS (2 * MAX_PROCS)
#define CHURN_THREADS 2000
#define READ_EVERY 250

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
	int go[2], hold[2], done[2], i, status, got_entry;
	uint64_t used_before, full_before;
	pid_t burst[BURST_PROCS];
	char byte = 1;

	assert_int_equal(fake_two_nodes(&topo), 0);
	assert_int_equal(nl_collector_open(&topo, &opts, &sources, &collector), 0);
	nl_sample_table_init(&t, 2);

	/* Tracked processes: an entry each before the churn, then more moves
	 * during it; they live until the end. */
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(hold), 0);
	for (i = 0; i < TRACKED; i++) {
		tracked[i] = fork();
		assert_true(tracked[i] >= 0);
		if (!tracked[i]) {
			close(go[1]);
			close(hold[1]);
			flip(TRACKED_FLIPS);
			if (read(go[0], &byte, 1) != 1)
				_exit(92);
			flip(TRACKED_FLIPS);
			(void)!read(hold[0], &byte, 1);
			_exit(0);
		}
	}
	usleep(200 * 1000);
	assert_int_equal(nl_collector_read(collector, &t), 0);
	for (i = 0; i < TRACKED; i++) {
		long j = nl_sample_table_find(&t, tracked[i]);

		assert_true(j >= 0);
		first[i] = t.procs[j].migrations;
		assert_true(first[i] >= TRACKED_FLIPS);
	}

	/* The burst: BURST_PROCS processes, each marked as exited in the
	 * procs map when it ends, with no read to empty it meanwhile. They
	 * stay on CPU 0 (no moves), so each exit asks for one entry. */
	assert_int_equal(nl_collector_read(collector, &t), 0);
	assert_int_equal(nl_collector_read(collector, &t), 0);
	nl_collector_health(collector, &health);
	used_before = health.procs_used;
	full_before = health.procs_full;
	assert_int_equal(pipe(done), 0);
	churner = fork();
	assert_true(churner >= 0);
	if (!churner) {
		pin(0);
		for (i = 0; i < BURST_PROCS; i++) {
			pid_t p = fork();

			if (p == 0)
				_exit(0);
			burst[i] = p;
			if (p > 0)
				waitpid(p, NULL, 0);
		}
		if (write(done[1], burst, sizeof(burst)) != sizeof(burst))
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
	assert_int_equal(read(done[0], burst, sizeof(burst)), sizeof(burst));
	assert_int_equal(nl_collector_read(collector, &t), 0);
	nl_collector_health(collector, &health);
	for (i = 0, got_entry = 0; i < BURST_PROCS; i++) {
		long j = nl_sample_table_find(&t, burst[i]);

		got_entry += j >= 0 && (t.procs[j].flags & NL_PS_EXITED);
	}
	print_message("burst: %d exits, %d found room (%lu entries used before), %lu drops\n",
		      BURST_PROCS, got_entry, (unsigned long)used_before,
		      (unsigned long)(health.procs_full - full_before));
	assert_int_equal(health.procs_used, MAX_PROCS);
	assert_true(got_entry <= MAX_PROCS - (int)used_before);
	assert_true(BURST_PROCS - got_entry >= MAX_PROCS);
	/* Each exit that found no room is one drop; other processes of the
	 * machine that ended meanwhile may add theirs. */
	assert_true(health.procs_full - full_before >= (uint64_t)(BURST_PROCS - got_entry));

	for (i = 0; i < TRACKED; i++)
		assert_int_equal(write(go[1], &byte, 1), 1);
	for (i = 0; waitpid(churner, &status, WNOHANG) == 0; i++) {
		usleep(50 * 1000);
		assert_int_equal(nl_collector_read(collector, &t), 0);
		nl_collector_health(collector, &health);
		assert_true(health.procs_used <= MAX_PROCS);
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

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
