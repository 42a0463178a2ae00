/* SPDX-License-Identifier: GPL-2.0 */
/* What every front end's command line and main loop share. */
#ifndef NUMALENS_CLI_H
#define NUMALENS_CLI_H

#include <signal.h>

/* Seconds on CLOCK_MONOTONIC. */
double nl_monotonic_s(void);
/* Sleeps until the monotonic deadline, in steps of at most 0.1 s so that a
 * signal handler setting *stop ends it promptly. */
void nl_sleep_until(double deadline, const volatile sig_atomic_t *stop);
/* A whole number from 0 to max, or -EINVAL with "WHAT must be..." said. */
int nl_parse_uint(const char *arg, const char *what, unsigned long max, unsigned long *out);

#endif /* NUMALENS_CLI_H */
