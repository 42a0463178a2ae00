// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of the Prometheus text writer (user/export/export_text.c) on
 * any bytes, as a comm or a cgroup path can hold:
 *   a label value, escaped and put between quotes, holds no raw newline,
 *   quote or lone backslash, and unescaped as Prometheus reads it (tiny
 *   reader below) gives the input back, with each character that is not
 *   UTF-8 or is a control character (model.h) replaced by U+FFFD;
 *   a whole sample line with that value as a label parses back to its
 *   name, label and value;
 *   HELP text unescapes back to itself on one line.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "model.h"

#define REPLACEMENT "\xef\xbf\xbd"

/* What a reader must get back: the input, characters it may not be shown
 * as U+FFFD (a whole well-formed one, else one byte). */
static size_t model_value(const char *in, size_t len, char *out)
{
	size_t i = 0, o = 0, n;

	while (i < len) {
		if (in[i] == '\n') {
			out[o++] = in[i++];
			continue;
		}
		n = well_formed((const uint8_t *)in + i, len - i);
		if (n && no_controls(in + i, n)) {
			memcpy(out + o, in + i, n);
		} else {
			memcpy(out + o, REPLACEMENT, 3);
			n = n ? n : 1;
			o += 3 - n;
		}
		o += n;
		i += n;
	}
	return o;
}

/*
 * A quoted label value at s[0..len) as Prometheus reads it: \\, \" and \n
 * are escapes, a bare quote ends it. Returns the bytes it took, quotes
 * included, or 0 when it is not one; the value goes to out.
 */
static size_t read_quoted(const char *s, size_t len, char *out, size_t *olen)
{
	size_t i;

	*olen = 0;
	if (!len || s[0] != '"')
		return 0;
	for (i = 1; i < len; i++) {
		if (s[i] == '"')
			return i + 1;
		if (s[i] == '\n')
			return 0; /* a raw newline ends the sample */
		if (s[i] != '\\') {
			out[(*olen)++] = s[i];
			continue;
		}
		if (++i == len)
			return 0;
		if (s[i] == 'n')
			out[(*olen)++] = '\n';
		else if (s[i] == '\\' || s[i] == '"')
			out[(*olen)++] = s[i];
		else
			return 0;
	}
	return 0;
}

static void check_value(const char *in, size_t len, const char *want, size_t wlen)
{
	struct nl_buf b;
	size_t blen;
	char *back;

	nl_buf_init(&b);
	nl_prom_escape_value(&b, in, len);
	back = malloc(b.len + 1);
	if (!back)
		abort();
	if (!b.failed) {
		if (read_quoted(b.data, b.len, back, &blen) != b.len)
			abort();
		if (blen != wlen || memcmp(back, want, wlen))
			abort();
		if (memchr(b.data, '\n', b.len) || !utf8_ok(b.data, b.len) ||
		    !no_controls(b.data, b.len))
			abort();
	}
	free(back);
	nl_buf_free(&b);
}

/* name{label="value"} 42\n, where the value is a C string (up to a NUL). */
static void check_sample(const char *value, const char *want, size_t wlen)
{
	static const char head[] = "numalens_test_total{comm=";
	struct nl_buf b;
	char *back;
	size_t used, blen;

	nl_buf_init(&b);
	nl_prom_sample_u64(&b, "numalens_test_total", NULL, "comm", value, NULL, NULL, 42);
	if (b.failed)
		goto out;
	if (!value[0]) {
		/* No label at all: an empty value is none to Prometheus. */
		if (strcmp(b.data, "numalens_test_total 42\n"))
			abort();
		goto out;
	}
	back = malloc(b.len + 1);
	if (!back)
		abort();
	if (b.len < sizeof(head) || memcmp(b.data, head, sizeof(head) - 1))
		abort();
	used = read_quoted(b.data + sizeof(head) - 1, b.len - (sizeof(head) - 1), back, &blen);
	if (!used || blen != wlen || memcmp(back, want, wlen))
		abort();
	if (strcmp(b.data + sizeof(head) - 1 + used, "} 42\n"))
		abort();
	free(back);
out:
	nl_buf_free(&b);
}

/* # HELP name text\n: backslash and newline escaped, nothing else. */
static void check_help(const char *help)
{
	static const char head[] = "# HELP numalens_test ";
	struct nl_buf b;
	size_t i, o = 0;
	const char *p;
	char *back;

	nl_buf_init(&b);
	nl_prom_family(&b, "numalens_test", "gauge", help);
	if (b.failed)
		goto out;
	back = malloc(b.len + 1);
	if (!back || memcmp(b.data, head, sizeof(head) - 1))
		abort();
	for (i = sizeof(head) - 1; b.data[i] != '\n'; i++) {
		if (b.data[i] != '\\') {
			back[o++] = b.data[i];
			continue;
		}
		i++;
		if (b.data[i] != '\\' && b.data[i] != 'n')
			abort();
		back[o++] = b.data[i] == 'n' ? '\n' : '\\';
	}
	p = b.data + i + 1;
	if (o != strlen(help) || memcmp(back, help, o) || strcmp(p, "# TYPE numalens_test gauge\n"))
		abort();
	free(back);
out:
	nl_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), *want = malloc(3 * size + 1);
	size_t wlen, clen;

	if (!in || !want)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';
	wlen = model_value(in, size, want);
	check_value(in, size, want, wlen);
	/* The string functions see the input up to its first NUL. */
	clen = strlen(in);
	wlen = model_value(in, clen, want);
	check_sample(in, want, wlen);
	check_help(in);
	free(in);
	free(want);
	return 0;
}
