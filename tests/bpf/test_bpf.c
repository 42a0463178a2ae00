// SPDX-License-Identifier: GPL-2.0
/*
 * BPF tests on the host kernel: the programs load and attach, and the
 * counters match events the test causes. Needs root.
 *
 * The host has one NUMA node, so the collector is given a topology in which
 * CPU 0 is node 0 and CPU 1 is node 1: the BPF side only knows nodes through
 * that table, which makes per-node time and cross-node migrations testable
 * with known answers. The child processes measure their own CPU time with
 * the kernel's clocks; the BPF figures must agree with them.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "collect.h"
#include "helpers.h"
#include "memsrc.h"
#include "procfs.h"
#include "topology.h"

static struct nl_topology topo;
static struct nl_collector *collector;
static struct nl_sources sources;

static int setup(void **state)
{
	int err;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fprintf(stderr, "these tests need 2 CPUs\n");
		return -1;
	}
	if (fake_two_nodes(&topo))
		return -1;
	/* Software page faults stand in for the PMU this host lacks. */
	err = nl_collector_open(
		&topo, &(struct nl_collect_opts){ .max_procs = 4096, .pmu_software = true },
		&sources, &collector);
	return err ? -1 : 0;
}

static int teardown(void **state)
{
	nl_collector_free(collector);
	collector = NULL;
	return 0;
}

static long read_proc(struct nl_sample_table *t, pid_t pid)
{
	nl_sample_table_init(t, 2);
	assert_int_equal(nl_collector_read(collector, t), 0);
	return nl_sample_table_find(t, pid);
}

static void test_programs_load_and_attach(void **state)
{
	struct nl_prog_info progs[32];
	int mem_variants = 0;
	size_t nr, i;

	nr = nl_collector_programs(collector, progs, 32);
	assert_true(nr >= 10);
	for (i = 0; i < nr; i++) {
		/* fentry may be refused (as on our CI hosts); one of the two
		 * sampling variants loads, as the kernel allows; the sched_switch
		 * program only where CPU time needs it (test_cputime.c); all else
		 * loads. */
		if (!strcmp(progs[i].name, "nl_sched_switch")) {
			assert_int_equal(progs[i].loaded, progs[i].attached);
		} else if (!strncmp(progs[i].name, "nl_mem_sample", 13)) {
			mem_variants += progs[i].loaded;
			assert_int_equal(progs[i].loaded, progs[i].attached);
		} else if (strcmp(progs[i].name, "nl_numa_fault")) {
			if (!progs[i].loaded || !progs[i].attached)
				fail_msg("%s: loaded %d attached %d", progs[i].name,
					 progs[i].loaded, progs[i].attached);
		} else if (progs[i].loaded) {
			assert_true(progs[i].attached);
		}
	}
	assert_int_equal(mem_variants, 1);
	assert_true(sources.src[NL_SRC_PMU].active);
	assert_string_equal(sources.src[NL_SRC_PMU].method, "software");
	assert_true(sources.src[NL_SRC_SCHEDULER].active);
	/* Attached; active only where the kernel balances (not on our CI hosts). */
	assert_string_equal(sources.src[NL_SRC_BALANCING].method, "tp_btf");
	assert_true(sources.src[NL_SRC_PLACEMENT].active);
}

#define FLIPS 20

static double flip_cpus(void *arg)
{
	int i;

	pin(0);
	spin(0.005);
	for (i = 0; i < FLIPS; i++) {
		pin(i % 2 ? 0 : 1);
		spin(0.001);
	}
	return 0;
}

/* Each affinity change of a running task moves it once; with CPU 0 and 1 on
 * different nodes every move crosses nodes. */
static void test_migrations(void **state)
{
	struct child c = start_child(flip_cpus, NULL);
	struct nl_sample_table before, after;
	long i, j;

	/* The first pin(0) may or may not move it: count from after it. */
	(void)child_result(&c);
	i = read_proc(&after, c.pid);
	assert_true(i >= 0);
	assert_true(after.procs[i].migrations >= FLIPS);
	assert_true(after.procs[i].migrations <= FLIPS + 1);
	assert_true(after.procs[i].cross_node_migrations >= FLIPS);
	assert_true(after.procs[i].cross_node_migrations <= after.procs[i].migrations);
	j = read_proc(&before, c.pid);
	assert_true(j >= 0);
	/* Nothing happens while it sleeps pinned. */
	assert_int_equal(before.procs[j].migrations, after.procs[i].migrations);
	nl_sample_table_free(&before);
	nl_sample_table_free(&after);
	end_child(&c);
}

static double idle(void *arg)
{
	return 0;
}

/* The start time the BPF side records is the one /proc/PID/stat shows, so
 * a reused pid is told apart. */
static void test_start_time_matches_proc(void **state)
{
	struct child c = start_child(idle, NULL);
	struct nl_proc_stat st;
	struct nl_sample_table t;
	long i, hz = sysconf(_SC_CLK_TCK);

	(void)child_result(&c);
	i = read_proc(&t, c.pid);
	assert_true(i >= 0);
	assert_int_equal(nl_proc_stat_read(c.pid, &st), 0);
	assert_int_equal(t.procs[i].start_time_ns / (1000000000 / hz), st.starttime_ticks);
	assert_string_equal(t.procs[i].comm, st.comm);
	nl_sample_table_free(&t);
	end_child(&c);
}

#define FAULT_PAGES 1000

static void *touch_pages(void *arg)
{
	long page = sysconf(_SC_PAGESIZE), i;
	volatile char *mem = mmap(NULL, FAULT_PAGES * page, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		_exit(93);
	for (i = 0; i < FAULT_PAGES; i++)
		mem[i * page] = 1;
	return NULL;
}

/* Two threads that fault FAULT_PAGES pages each and exit, then the main
 * thread does the same. */
static double threads_touch_pages(void *arg)
{
	pthread_t th[2];
	int i;

	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, touch_pages, NULL);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	touch_pages(NULL);
	return 0;
}

static void assert_fault_samples(const struct nl_pmu_proc *pmu, unsigned long faults)
{
	/* The program also sees the faults of starting up (libraries, stack). */
	if (pmu->samples < faults || pmu->samples > faults + 300)
		fail_msg("%llu samples for %lu page faults", (unsigned long long)pmu->samples,
			 faults);
	assert_int_equal(pmu->with_addr, pmu->samples);
	assert_int_equal(pmu->by_class[NL_MEM_UNKNOWN], pmu->samples);
	assert_int_equal(pmu->mem_local + pmu->mem_remote, 0);
}

/*
 * The sampling program, attached to software page faults with their
 * addresses: each first touch of a page is one sample, attributed to the
 * process, with an address and no data source (a software event has none),
 * so nothing is counted as memory traffic. Samples are counted per thread:
 * those of exited threads, then of the exited process, are kept.
 */
static void test_pmu_plumbing(void **state)
{
	struct child c = start_child(threads_touch_pages, NULL);
	struct nl_sample_table t;
	long i;

	(void)child_result(&c);
	i = read_proc(&t, c.pid);
	assert_true(i >= 0);
	assert_fault_samples(&t.procs[i].pmu, 3 * FAULT_PAGES);
	nl_sample_table_free(&t);

	end_child(&c);
	i = read_proc(&t, c.pid);
	assert_true(i >= 0);
	assert_true(t.procs[i].flags & NL_PS_EXITED);
	assert_fault_samples(&t.procs[i].pmu, 3 * FAULT_PAGES);
	nl_sample_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_programs_load_and_attach),
		cmocka_unit_test(test_migrations),
		cmocka_unit_test(test_start_time_matches_proc),
		cmocka_unit_test(test_pmu_plumbing),
	};

	return cmocka_run_group_tests_name("bpf", tests, setup, teardown);
}
