/* SPDX-License-Identifier: GPL-2.0 */
/* A child process born in a cgroup, for the tests that compare with a
 * cgroup's CPU time (tests/bpf/helpers.h, numa-workload --rusage-of). */
#ifndef NUMALENS_TESTS_FORK_INTO_H
#define NUMALENS_TESTS_FORK_INTO_H

#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* fork(), or with a cgroup v2 directory's fd a child born in that cgroup
 * (clone3 CLONE_INTO_CGROUP): all its time is the cgroup's, from its first
 * instant. The child runs on, as after fork(), on a copy of the stack. */
static inline pid_t fork_into(int cgroup_fd)
{
	struct clone_args args = { .exit_signal = SIGCHLD };

	if (cgroup_fd < 0)
		return fork();
	args.flags = CLONE_INTO_CGROUP;
	args.cgroup = (uint64_t)cgroup_fd;
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

#endif /* NUMALENS_TESTS_FORK_INTO_H */
