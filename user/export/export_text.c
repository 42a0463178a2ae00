// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus text format (version 0.0.4): a growable buffer, HELP and
 * TYPE lines, label values escaped, made valid UTF-8 and rid of control
 * characters (a comm or a cgroup path can hold any byte: cleaned where it
 * enters, untrusted.h, and again here), numbers as Go's parser reads them.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "export.h"
#include "untrusted.h"

void nl_buf_init(struct nl_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void nl_buf_free(struct nl_buf *b)
{
	free(b->data);
	nl_buf_init(b);
}

void nl_buf_reset(struct nl_buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data)
		b->data[0] = '\0';
}

static bool reserve(struct nl_buf *b, size_t more)
{
	size_t cap;
	char *data;

	if (b->failed)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	data = realloc(b->data, cap);
	if (!data) {
		b->failed = true;
		return false;
	}
	b->data = data;
	b->cap = cap;
	return true;
}

void nl_buf_add(struct nl_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void nl_buf_puts(struct nl_buf *b, const char *s)
{
	nl_buf_add(b, s, strlen(s));
}

void nl_buf_printf(struct nl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!reserve(b, 64))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (!reserve(b, n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += n;
}

void nl_prom_escape_value(struct nl_buf *b, const char *value, size_t len)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t i = 0, run = 0, n;

	nl_buf_add(b, "\"", 1);
	while (i < len) {
		if (s[i] == '\\' || s[i] == '"' || s[i] == '\n') {
			nl_buf_add(b, value + run, i - run);
			nl_buf_add(b, s[i] == '\\' ? "\\\\" : s[i] == '"' ? "\\\"" : "\\n", 2);
			run = ++i;
			continue;
		}
		n = nl_text_char_len(value + i, len - i);
		if (!n) {
			/* Not UTF-8, or a control character: the format has no
			 * escape for those, and a scrape shown on a terminal must
			 * not carry one. A whole character, else one byte. */
			nl_buf_add(b, value + run, i - run);
			nl_buf_add(b, "\xef\xbf\xbd", 3); /* U+FFFD */
			n = nl_utf8_len(value + i, len - i);
			i += n ? n : 1;
			run = i;
			continue;
		}
		i += n;
	}
	nl_buf_add(b, value + run, i - run);
	nl_buf_add(b, "\"", 1);
}

void nl_prom_label(struct nl_buf *labels, const char *name, const char *value)
{
	if (!value || !value[0])
		return;
	if (labels->len)
		nl_buf_add(labels, ",", 1);
	nl_buf_puts(labels, name);
	nl_buf_add(labels, "=", 1);
	nl_prom_escape_value(labels, value, strlen(value));
}

void nl_prom_family(struct nl_buf *b, const char *name, const char *type, const char *help)
{
	const char *p;

	nl_buf_printf(b, "# HELP %s ", name);
	/* HELP text escapes backslash and newline only. */
	for (p = help; *p; p++) {
		if (*p == '\\')
			nl_buf_add(b, "\\\\", 2);
		else if (*p == '\n')
			nl_buf_add(b, "\\n", 2);
		else
			nl_buf_add(b, p, 1);
	}
	nl_buf_printf(b, "\n# TYPE %s %s\n", name, type);
}

void nl_prom_double(struct nl_buf *b, double v)
{
	if (isnan(v))
		nl_buf_puts(b, "NaN");
	else if (isinf(v))
		nl_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0) /* 2^53: exact */
		nl_buf_printf(b, "%.0f", v);
	else
		nl_buf_printf(b, "%.15g", v);
}

static void sample_head(struct nl_buf *b, const char *name, const char *base, const char *k1,
			const char *v1, const char *k2, const char *v2)
{
	bool any = base && base[0];

	/* An empty value is no label at all to Prometheus: leave it out. */
	if (k1 && (!v1 || !v1[0]))
		k1 = NULL;
	if (k2 && (!v2 || !v2[0]))
		k2 = NULL;
	nl_buf_puts(b, name);
	if (!any && !k1 && !k2) {
		nl_buf_add(b, " ", 1);
		return;
	}
	nl_buf_add(b, "{", 1);
	if (any)
		nl_buf_puts(b, base);
	if (k1) {
		if (any)
			nl_buf_add(b, ",", 1);
		nl_buf_puts(b, k1);
		nl_buf_add(b, "=", 1);
		nl_prom_escape_value(b, v1, strlen(v1));
		any = true;
	}
	if (k2) {
		if (any)
			nl_buf_add(b, ",", 1);
		nl_buf_puts(b, k2);
		nl_buf_add(b, "=", 1);
		nl_prom_escape_value(b, v2, strlen(v2));
	}
	nl_buf_add(b, "} ", 2);
}

void nl_prom_sample(struct nl_buf *b, const char *name, const char *base, const char *k1,
		    const char *v1, const char *k2, const char *v2, double value)
{
	sample_head(b, name, base, k1, v1, k2, v2);
	nl_prom_double(b, value);
	nl_buf_add(b, "\n", 1);
}

void nl_prom_sample_u64(struct nl_buf *b, const char *name, const char *base, const char *k1,
			const char *v1, const char *k2, const char *v2, uint64_t value)
{
	sample_head(b, name, base, k1, v1, k2, v2);
	nl_buf_printf(b, "%" PRIu64 "\n", value);
}

bool nl_prom_valid_name(const char *name)
{
	const char *p;

	if (!name || !name[0] || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == ':'))
			return false;
	return true;
}
