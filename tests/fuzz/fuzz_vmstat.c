// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of nl_vmstat_parse, against a model written here: each
 * "name value" line of a field it keeps, the value all digits and within
 * 64 bits, sets that field exactly (the last such line wins); any other
 * line changes nothing, so "numa_hint_faults -1" or "... 12x" or one past
 * 2^64 - 1 is rejected. 0 when some field was set, else -ENOENT. The
 * buffer is exactly the input, so a read past its length is caught.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "sysstate.h"

#define UNTOUCHED 0x5a5a5a5a5a5a5a5aull

static const char *const field_names[] = {
	"numa_hint_faults",
	"numa_hint_faults_local",
	"numa_pages_migrated",
	"numa_pte_updates",
};
#define NR_FIELDS (sizeof(field_names) / sizeof(field_names[0]))

/* What the parser must have made of text. */
static bool model(const char *text, size_t len, uint64_t want[NR_FIELDS])
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
				any = true;
			}
		}
	}
	return any;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t want[NR_FIELDS] = { UNTOUCHED, UNTOUCHED, UNTOUCHED, UNTOUCHED };
	struct nl_system s = { 0 };
	uint64_t got[NR_FIELDS];
	char *text = malloc(size ? size : 1);
	bool any;
	int ret;

	if (!text)
		return 0;
	memcpy(text, data, size);
	s.numa_hint_faults = s.numa_hint_faults_local = UNTOUCHED;
	s.numa_pages_migrated = s.numa_pte_updates = UNTOUCHED;
	ret = nl_vmstat_parse(text, size, &s);
	any = model(text, size, want);
	got[0] = s.numa_hint_faults;
	got[1] = s.numa_hint_faults_local;
	got[2] = s.numa_pages_migrated;
	got[3] = s.numa_pte_updates;
	if (ret != (any ? 0 : -ENOENT) || s.vmstat_valid != any || memcmp(got, want, sizeof(got)))
		abort();
	free(text);
	return 0;
}
