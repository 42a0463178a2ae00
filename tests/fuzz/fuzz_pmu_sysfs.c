// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of the PMU sysfs parsers (user/kernel/pmu.c), against a model
 * written here. The input's first line is an event's terms ("event=0xcd,
 * umask=0x1"), read also as a type file; each later line "name=format"
 * is the PMU's format/name file ("config:0-7,32-35").
 *   type: a plain decimal below 2^31, else -EINVAL;
 *   format: each value bit goes to the next bit named, the other bits of
 *     attr stay as they were, -ERANGE for a value wider than the bits
 *     named, -EINVAL for any other text ("config: 5", "config:5,",
 *     "config:3-1", bit 64, a bit named twice, so never more than 64);
 *   terms: the same attr and the same error as applying, in order, each
 *     term's format with its value (decimal, 0x hex or 0 octal, no sign or
 *     blank), names only [A-Za-z0-9_] (no path in format/).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "pmu.h"

#define MAX_FORMATS 16

struct formats {
	int nr;
	const char *name[MAX_FORMATS], *text[MAX_FORMATS];
};

static const char *find_format(const struct formats *f, const char *name)
{
	int i;

	for (i = 0; i < f->nr; i++)
		if (!strcmp(f->name[i], name))
			return f->text[i];
	return NULL;
}

static int table_format(void *ctx, const char *name, char *buf, size_t size)
{
	const char *text = find_format(ctx, name);

	if (!text)
		return -ENOENT;
	if (strlen(text) >= size)
		return -E2BIG;
	strcpy(buf, text);
	return (int)strlen(text);
}

/* A bit list piece s[0..len): "N" or "N-M", 0 <= N <= M <= 63. */
static bool model_piece(const char *s, size_t len, int *lo, int *hi)
{
	const char *dash = memchr(s, '-', len);
	uint64_t a, b;

	if (!dash) {
		if (!model_decimal(s, len, &a) || a > 63)
			return false;
		*lo = *hi = (int)a;
		return true;
	}
	if (!model_decimal(s, dash - s, &a) || !model_decimal(dash + 1, len - (dash + 1 - s), &b) ||
	    a > b || b > 63)
		return false;
	*lo = (int)a;
	*hi = (int)b;
	return true;
}

static int model_format(const char *format, uint64_t value, struct perf_event_attr *attr)
{
	static const char *const prefixes[] = { "config:", "config1:", "config2:" };
	uint64_t *fields[] = { (uint64_t *)&attr->config, (uint64_t *)&attr->config1,
			       (uint64_t *)&attr->config2 };
	const char *list = NULL, *p;
	int lo, hi, f, width = 0, which = -1;
	uint64_t seen = 0, range;

	for (f = 0; f < 3; f++)
		if (!strncmp(format, prefixes[f], strlen(prefixes[f]))) {
			list = format + strlen(prefixes[f]);
			which = f;
		}
	if (!list)
		return -EINVAL;
	/* Every piece first: a bad list leaves nothing to compare. */
	for (p = list;; p++) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (!model_piece(p, len, &lo, &hi))
			return -EINVAL;
		range = (hi == 63 ? ~0ull : (1ull << (hi + 1)) - 1) & ~((1ull << lo) - 1);
		if (seen & range)
			return -EINVAL; /* a bit named twice */
		seen |= range;
		p += len;
		if (!comma)
			break;
	}
	for (p = list;; p++) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		int bit;

		model_piece(p, len, &lo, &hi);
		for (bit = lo; bit <= hi; bit++, width++) {
			bool set = (value >> width) & 1;

			*fields[which] = (*fields[which] & ~(1ull << bit)) | ((uint64_t)set << bit);
		}
		p += len;
		if (!comma)
			break;
	}
	return width < 64 && (value >> width) ? -ERANGE : 0;
}

/* A term's value as C writes numbers: 0x hex, 0 octal, else decimal. */
static bool model_number(const char *s, uint64_t *out)
{
	unsigned int base = 10, d;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0') {
		base = 8;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return false;
		if (d >= base || __builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, d, &v))
			return false;
	}
	*out = v;
	return true;
}

static int model_terms(const char *terms, const struct formats *f, struct perf_event_attr *attr)
{
	char *copy = strdup(terms), *term, *next;
	int err = 0;

	if (!copy)
		abort();
	if (strlen(terms) >= 256) {
		free(copy);
		return -E2BIG;
	}
	for (term = copy; term && !err; term = next) {
		char *eq, *c;
		uint64_t value = 1;
		const char *format;

		next = strchr(term, ',');
		if (next)
			*next++ = '\0';
		if (!*term)
			continue;
		eq = strchr(term, '=');
		if (eq) {
			*eq = '\0';
			if (eq[1] < '0' || eq[1] > '9' || !model_number(eq + 1, &value)) {
				err = -EINVAL;
				break;
			}
		}
		for (c = term; *c; c++)
			if (!strchr("abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
				    *c))
				err = -EINVAL;
		if (!*term)
			err = -EINVAL;
		if (err)
			break;
		format = find_format(f, term);
		if (!format)
			err = -ENOENT;
		else if (strlen(format) >= 128)
			err = -E2BIG;
		else
			err = model_format(format, value, attr);
	}
	free(copy);
	return err;
}

static void check_type(const char *text)
{
	uint64_t v;
	int want = model_decimal(text, strlen(text), &v) && v <= INT32_MAX ? (int)v : -EINVAL;

	if (nl_pmu_parse_type(text) != want)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perf_event_attr got, want;
	struct formats f = { 0 };
	char *text = malloc(size + 1), *line, *next;
	uint64_t value;
	int ret, i;

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	/* The attr starts as input bytes, so untouched bits are seen. */
	memset(&got, 0, sizeof(got));
	memcpy(&got, data, size < sizeof(got) ? size : sizeof(got));
	want = got;

	next = strchr(text, '\n');
	if (next)
		*next++ = '\0';
	for (line = next; line && f.nr < MAX_FORMATS; line = next) {
		char *eq;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		f.name[f.nr] = line;
		f.text[f.nr++] = eq + 1;
	}

	check_type(text);
	ret = nl_pmu_parse_terms(text, table_format, &f, &got);
	if (ret != model_terms(text, &f, &want))
		abort();
	if ((!ret || ret == -ERANGE) && memcmp(&got, &want, sizeof(got)))
		abort();

	/* Each format alone, with a value from the input. */
	memcpy(&value, &want, sizeof(value));
	for (i = 0; i < f.nr; i++) {
		got = want;
		ret = nl_pmu_apply_format(f.text[i], value, &got);
		if (ret != model_format(f.text[i], value, &want))
			abort();
		if (ret != -EINVAL && memcmp(&got, &want, sizeof(got)))
			abort();
		want = got;
	}
	free(text);
	return 0;
}
