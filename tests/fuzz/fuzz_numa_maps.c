// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of nl_numa_maps_parse: any bytes, never a crash or a read
 * past the input, and the per-node bytes add up to the per-kind bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nl_numa_maps m;
	uint64_t sum = 0;
	char *text;
	int n;

	/* An exact-size copy: ASan catches a read one byte past the end. */
	text = malloc(size ? size : 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	if (nl_numa_maps_parse(text, size, &m))
		abort();
	for (n = 0; n < NL_MAX_NODES; n++)
		sum += m.node_bytes[n];
	/* wrapping sums, equal modulo 2^64 */
	if (sum != m.anon_bytes + m.file_bytes + m.huge_bytes)
		abort();
	if ((uint64_t)m.mappings + m.bad_lines > (uint64_t)size)
		abort();
	if (m.truncated)
		abort();
	free(text);
	return 0;
}
