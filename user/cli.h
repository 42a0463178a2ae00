/* SPDX-License-Identifier: GPL-2.0 */
/* What every front end's command line and main loop share. */
#ifndef NUMALENS_CLI_H
#define NUMALENS_CLI_H

#include <getopt.h>
#include <signal.h>

/* Set to the signal's number by SIGINT, SIGTERM and SIGHUP once
 * nl_stop_on_signals() is called: the main loops end at the next check
 * (nl_sleep_until wakes within 0.1 s). The handlers do not restart system
 * calls: one blocked when the signal comes fails with EINTR. */
extern volatile sig_atomic_t nl_stop;
void nl_stop_on_signals(void);
/* From then on a stop signal also points the standard output at /dev/null,
 * so that no write to it can block once told to stop, not even one that
 * starts just after the signal (a reader that never reads). */
void nl_stop_discards_stdout(void);

/* Seconds on CLOCK_MONOTONIC. */
double nl_monotonic_s(void);
/* Sleeps until the monotonic deadline, in steps of at most 0.1 s so that a
 * signal handler setting *stop ends it promptly. */
void nl_sleep_until(double deadline, const volatile sig_atomic_t *stop);

/* The width to wrap standard output's text at: the terminal's, else
 * $COLUMNS when set, else 0 (do not wrap: a file or a pipe). */
unsigned int nl_output_width(void);
/* A whole number from 0 to max, or -EINVAL with "WHAT must be..." said. */
int nl_parse_uint(const char *arg, const char *what, unsigned long max, unsigned long *out);
/* A process id (1 to INT_MAX), or -EINVAL with "WHAT must be..." said. */
int nl_parse_pid(const char *arg, const char *what, int *pid);
/* A number of seconds from min to max, or -EINVAL with "WHAT must be..." said. */
int nl_parse_seconds(const char *arg, const char *what, double min, double max, double *out);
/* A number of seconds above 0 and up to max, or -EINVAL with "WHAT must be..." said. */
int nl_parse_duration(const char *arg, const char *what, double max, double *out);

/*
 * getopt_long for a command, quiet: an unknown option, a missing value or a
 * value given to an option that takes none is said in one line naming
 * "CMD --help", and '?' returned (the command then exits with status 2).
 * shortopts without the leading ':'.
 */
int nl_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	      const char *cmd);

#endif /* NUMALENS_CLI_H */
