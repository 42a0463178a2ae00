/* SPDX-License-Identifier: GPL-2.0 */
/* What every front end's command line and main loop share. */
#ifndef NUMALENS_CLI_H
#define NUMALENS_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>

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
/*
 * The one number parser of every command line. What a number may be, said
 * in the error when it is not: "OPTION must be WHAT from MIN to MAX, not
 * 'ARG' (see CMD --help)", one line.
 */
struct nl_number_rule {
	const char *what; /* "a number of seconds"; NULL: "a whole number" or "a number" */
	double min, max;
	bool above_min; /* min itself is refused */
	bool whole;	/* digits only: no sign, fraction or exponent */
	bool size;	/* a K, M, G or T suffix (powers of 1024), then B or iB */
};

/* 0, or -EINVAL with the error said. */
int nl_parse_number(const char *arg, const char *option, const struct nl_number_rule *rule,
		    double *out);
/* Its shorthands: a whole number from min to max; a process id (1 to
 * INT_MAX); seconds from min to max; seconds above 0 and up to max. */
int nl_parse_uint(const char *arg, const char *option, unsigned long min, unsigned long max,
		  unsigned long *out);
int nl_parse_pid(const char *arg, const char *option, int *pid);
int nl_parse_seconds(const char *arg, const char *option, double min, double max, double *out);
int nl_parse_duration(const char *arg, const char *option, double max, double *out);

/* A usage error: one line, pointing at the --help of the command that
 * nl_getopt last read for ("numalens: error: ... (see numalens top --help)"). */
void nl_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * getopt_long for a command, quiet: an unknown option, a missing value or a
 * value given to an option that takes none is said in one line naming
 * "CMD --help", and '?' returned (the command then exits with status 2).
 * CMD is kept for nl_usage_err: the errors in values point at it too.
 * shortopts without the leading ':'.
 */
int nl_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	      const char *cmd);

#endif /* NUMALENS_CLI_H */
