// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "cli.h"
#include "log.h"

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
