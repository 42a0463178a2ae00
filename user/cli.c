// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

/* Seconds from min (or above it) to max, the message saying exactly that. */
static int parse_seconds(const char *arg, const char *what, double min, bool min_too, double max,
			 double *out)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end || !(min_too ? v >= min : v > min) || v > max) {
		nl_err("%s must be a number of seconds %s %g %s %g, not '%s'", what,
		       min_too ? "from" : "above", min, min_too ? "to" : "and up to", max, arg);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int nl_parse_seconds(const char *arg, const char *what, double min, double max, double *out)
{
	return parse_seconds(arg, what, min, true, max, out);
}

int nl_parse_duration(const char *arg, const char *what, double max, double *out)
{
	return parse_seconds(arg, what, 0, false, max, out);
}

/* The long option an erring element names (maybe abbreviated, maybe with
 * "=VALUE"), when its value is optopt. */
static const struct option *erring_long(const char *arg, const struct option *longopts)
{
	size_t len;

	if (strncmp(arg, "--", 2) || !optopt)
		return NULL;
	arg += 2;
	len = strcspn(arg, "=");
	for (; longopts->name; longopts++)
		if (longopts->val == optopt && !strncmp(longopts->name, arg, len))
			return longopts;
	return NULL;
}

/* "--no" for --no-pmu and --no-fentry: getopt_long takes no guess. The
 * options it could be, ", "-separated, into buf; how many. */
static int long_candidates(const char *arg, const struct option *longopts, char *buf, size_t size)
{
	size_t len = strcspn(arg + 2, "="), used = 0;
	int n = 0;

	buf[0] = '\0';
	if (strncmp(arg, "--", 2))
		return 0;
	for (; longopts->name; longopts++) {
		if (strncmp(longopts->name, arg + 2, len))
			continue;
		if (used < size)
			used += snprintf(buf + used, size - used, "%s--%s", n ? ", " : "",
					 longopts->name);
		n++;
	}
	return n;
}

int nl_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	      const char *cmd)
{
	const char *arg;
	const struct option *o;
	char quiet[64], which[200];
	int opt;

	/* ':' first: a missing value is told apart from an unknown option. */
	snprintf(quiet, sizeof(quiet), ":%s", shortopts);
	opterr = 0;
	opt = getopt_long(argc, argv, quiet, longopts, NULL);
	if (opt != '?' && opt != ':')
		return opt;
	/* A long option and a short one ending its word have been stepped
	 * over; a short one inside a word ("-xj") has not, but it is optopt. */
	arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	o = erring_long(arg, longopts);
	if (opt == ':' && o)
		nl_err("option '--%s' needs a value (see %s --help)", o->name, cmd);
	else if (opt == ':')
		nl_err("option '-%c' needs a value (see %s --help)", optopt, cmd);
	else if (o)
		nl_err("option '--%s' takes no value (see %s --help)", o->name, cmd);
	else if (optopt)
		nl_err("unknown option '-%c' (see %s --help)", optopt, cmd);
	else if (long_candidates(arg, longopts, which, sizeof(which)) > 1)
		nl_err("ambiguous option '%.*s': %s (see %s --help)", (int)strcspn(arg, "="), arg,
		       which, cmd);
	else
		nl_err("unknown option '%.*s' (see %s --help)", (int)strcspn(arg, "="), arg, cmd);
	return '?';
}

unsigned int nl_output_width(void)
{
	const char *columns = getenv("COLUMNS");
	struct winsize ws;
	unsigned long n;
	char *end;

	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col)
		return ws.ws_col;
	if (!columns || !*columns)
		return 0;
	errno = 0;
	n = strtoul(columns, &end, 10);
	return !errno && !*end && n <= 10000 ? (unsigned int)n : 0;
}
