/* SPDX-License-Identifier: GPL-2.0 */
/* Messages to stderr and the exit statuses every subcommand shares. */
#ifndef NUMALENS_LOG_H
#define NUMALENS_LOG_H

#include <stdbool.h>

/* Exit statuses: distinct per cause so scripts can tell them apart. */
enum nl_exit {
	NL_EXIT_OK = 0,
	NL_EXIT_FAILURE = 1,   /* anything else */
	NL_EXIT_USAGE = 2,     /* bad command line */
	NL_EXIT_PRIVILEGE = 3, /* missing capabilities */
	NL_EXIT_KERNEL = 4,    /* kernel without BTF or a needed tracepoint */
	NL_EXIT_NO_PID = 5,    /* a --pid that does not exist */
	NL_EXIT_REFUSED = 6,   /* pin/unpin refused: kernel thread, pid 1, a cpuset... */
	NL_EXIT_NO_GAIN = 7,   /* pin --verify: the change did not hold a gain */
};

extern int nl_verbose;

/* The exit status for an error a collector returned (-EPERM, -ENOTSUP...). */
int nl_exit_for_errno(int err);

void nl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void nl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* At every verbosity: what an operator must be able to find in the log. */
void nl_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void nl_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void nl_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* NUMALENS_LOG_H */
