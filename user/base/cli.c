// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
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

/* The command whose --help a usage error points at: nl_getopt's last. */
static const char *usage_cmd = "numalens";

void nl_usage_err(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nl_err("%s (see %s --help)", msg, usage_cmd);
}

/* A size's units, each 1024 times the one before. */
static const char size_units[] = "KMGT";

/* The factor of a size's unit (1 without one), *end moved past the unit. */
static double size_suffix(const char **end)
{
	const char *unit = **end ? strchr(size_units, toupper((unsigned char)**end)) : NULL;
	double factor = 1;

	if (unit) {
		factor = pow(1024, unit - size_units + 1);
		(*end)++;
	}
	if (!strcmp(*end, "iB") && unit)
		*end += 2;
	else if (!strcmp(*end, "B"))
		*end += 1;
	return factor;
}

/* A bound as the user would write it: 4194304, 0.1, 1024T. */
static void format_bound(double v, bool size, char *buf, size_t len)
{
	int unit = -1;

	while (size && unit < (int)strlen(size_units) - 1 && v >= 1024 && fmod(v, 1024) == 0) {
		v /= 1024;
		unit++;
	}
	snprintf(buf, len, "%.15g%.*s", v, unit >= 0, unit >= 0 ? &size_units[unit] : "");
}

static bool number_fits(const char *arg, const struct nl_number_rule *rule, double *out)
{
	const char *end;
	char *num_end;
	double v;

	/* strtod would take " 5", "0x10", "inf" and "nan": a user means none. */
	if (!arg[0] || !strchr(rule->whole ? "0123456789" : "0123456789.-+", arg[0]))
		return false;
	if (rule->whole && arg[strspn(arg, "0123456789")])
		return false;
	errno = 0;
	v = strtod(arg, &num_end);
	end = num_end;
	if (errno || end == arg || strcspn(arg, "xXnN") < (size_t)(end - arg))
		return false;
	if (rule->size)
		v *= size_suffix(&end);
	if (*end || (rule->above_min ? !(v > rule->min) : !(v >= rule->min)) || !(v <= rule->max))
		return false;
	*out = v;
	return true;
}

int nl_parse_number(const char *arg, const char *option, const struct nl_number_rule *rule,
		    double *out)
{
	const char *what = rule->what ? rule->what : rule->whole ? "a whole number" : "a number";
	char min[32], max[32];

	if (number_fits(arg, rule, out))
		return 0;
	format_bound(rule->min, rule->size, min, sizeof(min));
	format_bound(rule->max, rule->size, max, sizeof(max));
	nl_usage_err("%s must be %s %s %s %s %s, not '%s'", option, what,
		     rule->above_min ? "above" : "from", min, rule->above_min ? "and up to" : "to",
		     max, arg);
	return -EINVAL;
}

int nl_parse_uint(const char *arg, const char *option, unsigned long min, unsigned long max,
		  unsigned long *out)
{
	struct nl_number_rule rule = { .min = min, .max = max, .whole = true };
	double v;
	int err = nl_parse_number(arg, option, &rule, &v);

	if (!err)
		*out = (unsigned long)v;
	return err;
}

int nl_parse_pid(const char *arg, const char *option, int *pid)
{
	static const struct nl_number_rule rule = {
		.what = "a process id, a whole number",
		.min = 1,
		.max = INT_MAX,
		.whole = true,
	};
	double v;
	int err = nl_parse_number(arg, option, &rule, &v);

	if (!err)
		*pid = (int)v;
	return err;
}

int nl_parse_seconds(const char *arg, const char *option, double min, double max, double *out)
{
	struct nl_number_rule rule = { .what = "a number of seconds", .min = min, .max = max };

	return nl_parse_number(arg, option, &rule, out);
}

int nl_parse_duration(const char *arg, const char *option, double max, double *out)
{
	struct nl_number_rule rule = {
		.what = "a number of seconds",
		.max = max,
		.above_min = true,
	};

	return nl_parse_number(arg, option, &rule, out);
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
	/* Room for every option a command has (48, names under 30 bytes): a
	 * list cut in the middle of a name would name an option that is not. */
	char quiet[64], which[1536];
	int opt;

	usage_cmd = cmd;
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
