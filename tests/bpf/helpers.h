/* SPDX-License-Identifier: GPL-2.0 */
/* What the host BPF tests share: pinning the caller, and a two-node view of
 * this one-node host (CPU n on node n % 2), through which the BPF side can
 * be given known per-node answers. */
#ifndef NUMALENS_TESTS_BPF_HELPERS_H
#define NUMALENS_TESTS_BPF_HELPERS_H

#include <sched.h>
#include <time.h>
#include <unistd.h>
#include "../fork_into.h"
#include "topology.h"

/* cmocka's assertions, for the child helpers below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <cmocka.h>

static inline void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		_exit(90);
}

static inline int fake_two_nodes(struct nl_topology *t)
{
	int cpu, err = nl_topology_load(t);

	if (err)
		return err;
	t->nr_node_ids = 2;
	t->nr_nodes = 2;
	t->node_present = 3;
	t->toptier_nodes = 3; /* no memory tiers: both top tier */
	for (cpu = 0; cpu < t->nr_cpu_ids; cpu++)
		if (t->cpu_node[cpu] >= 0)
			t->cpu_node[cpu] = cpu % 2;
	return 0;
}

static inline double cpu_seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Busy for `seconds` of this thread's CPU time. */
static inline void spin(double seconds)
{
	double end = cpu_seconds(CLOCK_THREAD_CPUTIME_ID) + seconds;

	while (cpu_seconds(CLOCK_THREAD_CPUTIME_ID) < end)
		;
}

/* A child runs fn, writes the double it returns to the pipe, then waits
 * for the parent to close the pipe (so it is alive while read) and exits. */
struct child {
	pid_t pid;
	int to_parent;
	int from_parent;
};

/* A child running fn(arg) (in the cgroup cgroup_fd, or -1: the parent's),
 * which sends its result and waits for the parent to close its pipe. */
static inline struct child start_child_in(int cgroup_fd, double (*fn)(void *), void *arg)
{
	int up[2], down[2];
	struct child c;

	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	c.pid = fork_into(cgroup_fd);
	assert_true(c.pid >= 0);
	if (c.pid == 0) {
		double result;
		char byte;

		close(up[0]);
		close(down[1]);
		result = fn(arg);
		if (write(up[1], &result, sizeof(result)) != sizeof(result))
			_exit(91);
		(void)!read(down[0], &byte, 1);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	c.to_parent = up[0];
	c.from_parent = down[1];
	return c;
}

static inline struct child start_child(double (*fn)(void *), void *arg)
{
	return start_child_in(-1, fn, arg);
}

static inline double child_result(struct child *c)
{
	double result = -1;

	assert_int_equal(read(c->to_parent, &result, sizeof(result)), sizeof(result));
	return result;
}

static inline void end_child(struct child *c)
{
	int status;

	close(c->from_parent);
	close(c->to_parent);
	assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#endif /* NUMALENS_TESTS_BPF_HELPERS_H */
