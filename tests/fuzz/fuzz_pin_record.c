// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of the pin record (user/act/pin_record.c). The first byte
 * picks what the rest is:
 *   even: a record's text, as planted in a state directory. The parser must
 *     not crash, and a text it takes must be one whose record the writer
 *     writes, to a text that parses to the same record;
 *   odd: the record's fields as raw bytes (pid, start, every byte of comm,
 *     the lists, the moved nodes, threads). The writer must refuse it exactly
 *     when a field breaks a rule the reader keeps (checked here, not with the
 *     code under test); otherwise parse(write(x)) == x, field by field, and
 *     the text holds exactly one line per field.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pin_record.h"

static void same(const struct nl_pin_record *a, const struct nl_pin_record *b)
{
	size_t i;

	if (a->pid != b->pid || a->start != b->start || strcmp(a->comm, b->comm) ||
	    memcmp(a->target, b->target, sizeof(a->target)) ||
	    memcmp(a->original, b->original, sizeof(a->original)) ||
	    a->moved_from != b->moved_from || a->moved_to != b->moved_to ||
	    a->applied != b->applied || a->by != b->by || a->nr != b->nr ||
	    memcmp(&a->verified, &b->verified, sizeof(a->verified)))
		abort();
	for (i = 0; i < a->nr; i++)
		if (a->t[i].tid != b->t[i].tid ||
		    memcmp(a->t[i].mask, b->t[i].mask, sizeof(a->t[i].mask)))
			abort();
}

static void from_text(const uint8_t *data, size_t size)
{
	struct nl_pin_record r, again;
	size_t len;
	char *text;
	int err = nl_pin_record_parse((const char *)data, size, &r);

	if (err) {
		if (err != -EINVAL && err != -ENOMEM)
			abort();
		if (r.t || r.nr)
			abort();
		return;
	}
	if (nl_pin_record_format(&r, &text, &len) || nl_pin_record_parse(text, len, &again))
		abort();
	same(&r, &again);
	free(text);
	nl_pin_record_free(&again);
	nl_pin_record_free(&r);
}

/* Takes n bytes off the input into out (zeros once it runs out). */
static void take(const uint8_t **data, size_t *size, void *out, size_t n)
{
	size_t k = n < *size ? n : *size;

	memset(out, 0, n);
	memcpy(out, *data, k);
	*data += k;
	*size -= k;
}

static bool empty(const uint64_t *m)
{
	size_t w;

	for (w = 0; w < NL_CPU_WORDS; w++)
		if (m[w])
			return false;
	return true;
}

/* A mask: a word index byte and a value, twice (sparse, anywhere in the
 * NL_MAX_CPUS bits). */
static void take_mask(const uint8_t **data, size_t *size, uint64_t *m)
{
	int i;

	memset(m, 0, NL_CPU_WORDS * sizeof(*m));
	for (i = 0; i < 2; i++) {
		uint8_t w;
		uint64_t v;

		take(data, size, &w, 1);
		take(data, size, &v, 8);
		m[w % NL_CPU_WORDS] |= v;
	}
}

static size_t count_lines(const char *text, size_t len, const char *key)
{
	size_t n = 0, k = strlen(key), pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		if (!nl)
			abort(); /* every line ends */
		if ((size_t)(nl - text - pos) > k && !memcmp(text + pos, key, k) &&
		    text[pos + k] == ' ')
			n++;
		pos = nl - text + 1;
	}
	return n;
}

static void from_fields(const uint8_t *data, size_t size)
{
	struct nl_pin_record r = { 0 }, back;
	uint8_t nr, by;
	size_t i, j, len;
	bool valid;
	char *text;
	int err;

	take(&data, &size, &r.pid, sizeof(r.pid));
	take(&data, &size, &r.start, sizeof(r.start));
	take(&data, &size, r.comm, sizeof(r.comm) - 1); /* a NUL ends it early */
	take_mask(&data, &size, r.target);
	take_mask(&data, &size, r.original);
	take(&data, &size, &r.moved_from, sizeof(r.moved_from));
	take(&data, &size, &r.moved_to, sizeof(r.moved_to));
	take(&data, &size, &r.applied, sizeof(r.applied));
	take(&data, &size, &by, 1);
	r.by = by % 4; /* NL_PIN_BY_MAX (3) and over are refused */
	take(&data, &size, &nr, 1);
	for (i = 0; i < nr % 8; i++) {
		uint64_t m[NL_CPU_WORDS];
		int tid;

		take(&data, &size, &tid, sizeof(tid));
		take_mask(&data, &size, m);
		if (nl_pin_record_add(&r, tid, m))
			abort();
	}
	valid = r.pid > 0 && r.start && r.by < NL_PIN_BY_MAX && !empty(r.target) &&
		!empty(r.original) && !r.moved_from == !r.moved_to;
	for (i = 0; i < r.nr; i++) {
		valid &= r.t[i].tid > 0 && !empty(r.t[i].mask);
		for (j = 0; j < i; j++)
			valid &= r.t[i].tid != r.t[j].tid;
	}
	err = nl_pin_record_format(&r, &text, &len);
	if (!valid) {
		if (err != -EINVAL || text)
			abort();
		nl_pin_record_free(&r);
		return;
	}
	if (err || strlen(text) != len)
		abort();
	if (count_lines(text, len, "pid") != 1 || count_lines(text, len, "start") != 1 ||
	    count_lines(text, len, "comm") != 1 || count_lines(text, len, "thread") != r.nr ||
	    count_lines(text, len, "migrated") != (r.moved_from ? 1 : 0) ||
	    count_lines(text, len, "applied") != (r.applied ? 1 : 0) ||
	    count_lines(text, len, "by") != (r.by ? 1 : 0))
		abort();
	if (nl_pin_record_parse(text, len, &back))
		abort();
	same(&r, &back);
	free(text);
	nl_pin_record_free(&back);
	nl_pin_record_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		from_fields(data + 1, size - 1);
	else
		from_text(data + 1, size - 1);
	return 0;
}
