// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of nl_proc_status_parse, against a model written here:
 * the first "Uid:" line gives the ids when its first two blank-separated
 * words are decimal and below 2^32, else they are unknown; the first
 * "Cpus_allowed_list:" and "Mems_allowed_list:" lines give exactly the
 * CPUs and nodes they list ("0-3,8"), when the whole list is well-formed
 * and within NL_MAX_CPUS or NL_MAX_NODES, else they are unknown: a mask
 * never has a bit the line did not list. The buffer is exactly the input,
 * so a read past its length is caught.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "procfs.h"

struct span {
	const char *s;
	size_t len;
};

/* The rest of the first line that starts "key:", blanks skipped. */
static bool find_value(const char *text, size_t len, const char *key, struct span *val)
{
	size_t klen = strlen(key), at, stop;

	for (at = 0; at + klen < len; at++) {
		if ((at && text[at - 1] != '\n') || strncmp(text + at, key, klen) ||
		    text[at + klen] != ':')
			continue;
		for (at += klen + 1; at < len && (text[at] == ' ' || text[at] == '\t'); at++)
			;
		for (stop = at; stop < len && text[stop] != '\n'; stop++)
			;
		val->s = text + at;
		val->len = stop - at;
		return true;
	}
	return false;
}

/* A decimal number below limit. */
static bool decimal(const char *s, size_t len, uint64_t limit, uint64_t *out)
{
	return model_decimal(s, len, out) && *out < limit;
}

/* The first two words of a Uid: value. */
static bool model_ids(struct span val, uint32_t *uid, uint32_t *euid)
{
	uint64_t id[2];
	size_t i = 0, w;

	for (w = 0; w < 2; w++) {
		size_t start;

		while (i < val.len && (val.s[i] == ' ' || val.s[i] == '\t'))
			i++;
		start = i;
		while (i < val.len && val.s[i] != ' ' && val.s[i] != '\t')
			i++;
		if (!decimal(val.s + start, i - start, 1ull << 32, &id[w]))
			return false;
	}
	*uid = id[0];
	*euid = id[1];
	return true;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A list value: up to a NUL, spaces around it dropped, then "a" or "a-b"
 * pieces between commas, each id below nbits. False for anything else or
 * an empty list. */
static bool model_list(struct span val, uint64_t *bits, size_t nbits)
{
	const char *nul = memchr(val.s, '\0', val.len);
	size_t end = nul ? (size_t)(nul - val.s) : val.len, start = 0;

	memset(bits, 0, nbits / 8);
	while (end && is_space(val.s[end - 1]))
		end--;
	while (start < end && is_space(val.s[start]))
		start++;
	if (start == end)
		return false;
	while (start <= end) {
		const char *piece = val.s + start, *comma = memchr(piece, ',', end - start);
		size_t plen = comma ? (size_t)(comma - piece) : end - start;
		const char *dash = memchr(piece, '-', plen);
		uint64_t first, last, id;

		if (!dash && !decimal(piece, plen, nbits, &first))
			return false;
		if (!dash)
			last = first;
		else if (!decimal(piece, dash - piece, nbits, &first) ||
			 !decimal(dash + 1, plen - (dash + 1 - piece), nbits, &last) ||
			 first > last)
			return false;
		for (id = first; id <= last; id++)
			bits[id / 64] |= 1ull << (id % 64);
		start += plen + 1;
		if (!comma)
			break;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t affinity[NL_MAX_CPUS / 64], mems;
	struct nl_proc_status st;
	bool ids = false, cpus = false, nodes = false;
	uint32_t uid = 0, euid = 0;
	char *text = malloc(size ? size : 1);
	struct span val;
	int ret;

	if (!text)
		return 0;
	memcpy(text, data, size);
	ret = nl_proc_status_parse(text, size, &st);

	if (find_value(text, size, "Uid", &val))
		ids = model_ids(val, &uid, &euid);
	if (find_value(text, size, "Cpus_allowed_list", &val))
		cpus = model_list(val, affinity, NL_MAX_CPUS);
	if (find_value(text, size, "Mems_allowed_list", &val))
		nodes = model_list(val, &mems, NL_MAX_NODES);

	if (ret != (ids || cpus || nodes ? 0 : -EINVAL))
		abort();
	if (st.ids_known != ids || (ids && (st.uid != uid || st.euid != euid)))
		abort();
	if (st.affinity_known != cpus || (cpus && memcmp(st.affinity, affinity, sizeof(affinity))))
		abort();
	if (st.mems_known != nodes || (nodes && st.mems != mems))
		abort();
	free(text);
	return 0;
}
