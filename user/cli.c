// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "log.h"

volatile sig_atomic_t nl_stop;
static volatile sig_atomic_t discard_fd = -1;

static void on_stop_signal(int sig)
{
	int saved = errno;

	nl_stop = sig;
	/* Whatever write comes next goes nowhere, so none can block. */
	if (discard_fd >= 0)
		dup2(discard_fd, STDOUT_FILENO);
	errno = saved;
}

void nl_stop_on_signals(void)
{
	/* No SA_RESTART: a system call blocked when the signal comes (a write
	 * to a pipe nobody reads) returns EINTR instead of going on. */
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* The terminal went away: stop the same way, so that top puts the
	 * terminal back as it found it. */
	sigaction(SIGHUP, &sa, NULL);
}

void nl_stop_discards_stdout(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (fd >= 0)
		discard_fd = fd;
}

double nl_monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void nl_sleep_until(double deadline, const volatile sig_atomic_t *stop)
{
	double left;

	while (!*stop && (left = deadline - nl_monotonic_s()) > 0) {
		if (left > 0.1)
			left = 0.1;
		nanosleep(&(struct timespec){ .tv_nsec = (long)(left * 1e9) }, NULL);
	}
}

int nl_parse_uint(const char *arg, const char *what, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || *out > max || arg[0] == '-') {
		nl_err("%s must be a whole number up to %lu, not '%s'", what, max, arg);
		return -EINVAL;
	}
	return 0;
}

int nl_parse_pid(const char *arg, const char *what, int *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v <= 0 || v > INT_MAX) {
		nl_err("%s must be a process id, a whole number from 1 to %d, not '%s'", what,
		       INT_MAX, arg);
		return -EINVAL;
	}
	*pid = (int)v;
	return 0;
}

int nl_parse_seconds(const char *arg, const char *what, double min, double max, double *out)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end || !(v >= min) || v > max) {
		nl_err("%s must be a number of seconds from %g to %g, not '%s'", what, min, max,
		       arg);
		return -EINVAL;
	}
	*out = v;
	return 0;
}
