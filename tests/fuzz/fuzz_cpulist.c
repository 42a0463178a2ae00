// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of nl_cpulist_parse. The first byte picks the bitmap's
 * size (0..255 bits, in an exact-size block); the rest is the list. The
 * result must be the number of bits set, and no bit past nbits is set.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nbits, words, i, set = 0;
	uint64_t *bits;
	char *text;
	int ret;

	if (!size)
		return 0;
	nbits = data[0];
	words = (nbits + 63) / 64;
	data++;
	size--;
	text = malloc(size ? size : 1);
	bits = malloc(words ? words * sizeof(*bits) : 1);
	if (!text || !bits)
		abort();
	if (size)
		memcpy(text, data, size);
	ret = nl_cpulist_parse(text, size, bits, nbits);
	for (i = 0; i < words; i++)
		set += __builtin_popcountll(bits[i]);
	if (ret >= 0) {
		if ((size_t)ret != set || (size_t)ret > nbits)
			abort();
		if (nbits % 64 && (bits[words - 1] >> (nbits % 64)))
			abort();
	} else if ((ret != -EINVAL && ret != -ERANGE) || set) {
		abort();
	}
	free(bits);
	free(text);
	return 0;
}
