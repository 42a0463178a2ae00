/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shell quoting for the commands numalens prints for a user to paste: every
 * argument of every suggested command (advice_text.c) and the command line a
 * numactl form restarts (cgroup.c). Names in them come from processes and
 * cgroups other users control (untrusted.h), so a printed line must run
 * exactly the argv meant, in bash, and must be safe to show on a terminal.
 *
 * A word is written as it is when every byte is one bash takes literally
 * anywhere in a word, between single quotes when it is printable text, and
 * as bash's $'...' otherwise, with each byte a terminal must not see as
 * \xHH (newline and tab as \n and \t). Output never holds a control byte.
 * A word that does not fit is never cut: the caller is told instead.
 */
#ifndef NUMALENS_SHQUOTE_H
#define NUMALENS_SHQUOTE_H

#include <stdbool.h>
#include <stddef.h>

/* arg[0..len) quoted as one argument word into out (size bytes, always
 * NUL-terminated when size > 0). Returns its length, 0 when it does not
 * fit (out is then ""). */
size_t nl_shquote(const char *arg, size_t len, char *out, size_t size);

/* Appends arg[0..len), quoted, to the line in buf (size bytes), a space
 * before it unless the line is empty. The first word of a line is quoted
 * if it holds '=' too, which bash would take as an assignment. Returns
 * false, leaving the line as it was, when it does not fit. */
bool nl_shquote_append(char *buf, size_t size, const char *arg, size_t len);

/* NUL-separated arguments (a /proc/PID/cmdline) into one quoted line in
 * buf, cut after a whole word with " ..." when the rest does not fit. */
void nl_shquote_args(const char *args, size_t len, char *buf, size_t size);

#endif /* NUMALENS_SHQUOTE_H */
