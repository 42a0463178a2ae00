// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include "log.h"

int nl_verbose;

static void emit(const char *level, const char *fmt, va_list ap)
{
	fprintf(stderr, "numalens: %s", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void nl_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("error: ", fmt, ap);
	va_end(ap);
}

void nl_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("warning: ", fmt, ap);
	va_end(ap);
}

void nl_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("", fmt, ap);
	va_end(ap);
}

void nl_info(const char *fmt, ...)
{
	va_list ap;

	if (nl_verbose < 1)
		return;
	va_start(ap, fmt);
	emit("", fmt, ap);
	va_end(ap);
}

void nl_debug(const char *fmt, ...)
{
	va_list ap;

	if (nl_verbose < 2)
		return;
	va_start(ap, fmt);
	emit("debug: ", fmt, ap);
	va_end(ap);
}

int nl_exit_for_errno(int err)
{
	if (err == -EPERM)
		return NL_EXIT_PRIVILEGE;
	if (err == -ENOTSUP)
		return NL_EXIT_KERNEL;
	return NL_EXIT_FAILURE;
}
