// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of nl_vmstat_parse, against a model written here: each
 * "name value" line of a field it keeps, the value all digits and within
 * 64 bits, sets that field exactly (the last such line wins); any other
 * line changes nothing, so "numa_hint_faults -1" or "... 12x" or one past
 * 2^64 - 1 is rejected, and present has a bit for each field set. 0 when
 * some field was set, else -ENOENT. The buffer is exactly the input, so a
 * read past its length is caught.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "sysstate.h"

#define UNTOUCHED 0x5a5a5a5a5a5a5a5aull

/* In the order of enum nl_vmstat_id. */
static const char *const field_names[] = {
	"numa_hint_faults",    "numa_hint_faults_local", "numa_pages_migrated", "numa_pte_updates",
	"pgpromote_success",   "pgpromote_candidate",	 "pgdemote_kswapd",	"pgdemote_direct",
	"pgdemote_khugepaged", "pgdemote_proactive",
};
#define NR_FIELDS (sizeof(field_names) / sizeof(field_names[0]))

/* What the parser must have made of text. */
static bool model(const char *text, size_t len, uint64_t want[NR_FIELDS], uint32_t *set)
{
	size_t pos = 0;
	bool any = false;

	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;
		const char *space = memchr(line, ' ', llen);
		size_t f;

		pos += llen + 1;
		if (!space)
			continue;
		for (f = 0; f < NR_FIELDS; f++) {
			uint64_t v;

			if (strlen(field_names[f]) != (size_t)(space - line) ||
			    memcmp(line, field_names[f], space - line))
				continue;
			if (model_decimal(space + 1, llen - (space + 1 - line), &v)) {
				want[f] = v;
				*set |= 1U << f;
				any = true;
			}
		}
	}
	return any;
}

/* The fields of s in the same order. */
static void fields_of(struct nl_system *s, uint64_t *p[NR_FIELDS])
{
	uint64_t *all[] = { &s->numa_hint_faults,    &s->numa_hint_faults_local,
			    &s->numa_pages_migrated, &s->numa_pte_updates,
			    &s->pgpromote_success,   &s->pgpromote_candidate,
			    &s->pgdemote_kswapd,     &s->pgdemote_direct,
			    &s->pgdemote_khugepaged, &s->pgdemote_proactive };

	memcpy(p, all, sizeof(all));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t want[NR_FIELDS], got[NR_FIELDS], *field[NR_FIELDS];
	struct nl_system s = { 0 };
	char *text = malloc(size ? size : 1);
	uint32_t present = 0;
	size_t f;
	bool any;
	int ret;

	_Static_assert(NR_FIELDS == NL_VM_MAX, "a vmstat field the model does not know");
	if (!text)
		return 0;
	memcpy(text, data, size);
	fields_of(&s, field);
	for (f = 0; f < NR_FIELDS; f++)
		want[f] = *field[f] = UNTOUCHED;
	ret = nl_vmstat_parse(text, size, &s);
	any = model(text, size, want, &present);
	for (f = 0; f < NR_FIELDS; f++)
		got[f] = *field[f];
	if (ret != (any ? 0 : -ENOENT) || s.vmstat_valid != any || memcmp(got, want, sizeof(got)) ||
	    s.present != present)
		abort();
	free(text);
	return 0;
}
