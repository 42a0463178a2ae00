/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fuzz targets' models share: written apart from the parsers
 * under test, so that a model agreeing with a parser means something.
 */
#ifndef NUMALENS_FUZZ_MODEL_H
#define NUMALENS_FUZZ_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* s[0..len) as a decimal number: digits only, at least one, within 64 bits. */
static inline bool model_decimal(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i] - '0', &v))
			return false;
	}
	*out = v;
	return true;
}

#endif /* NUMALENS_FUZZ_MODEL_H */
