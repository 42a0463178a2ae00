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

/* Length of the well-formed sequence at s (Unicode 15, table 3-7), 0 if
 * none. */
static inline size_t well_formed(const uint8_t *s, size_t left)
{
	uint8_t lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] <= 0x7f)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n > left || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static inline bool utf8_ok(const char *str, size_t len)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0, n;

	while (i < len) {
		n = well_formed(s + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

/* Nothing a terminal would act on: C0, DEL, C1, bidirectional controls. */
static inline bool no_controls(const char *str, size_t len)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return false;
		if (s[i] == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
			return false;
		if (s[i] == 0xe2 && i + 2 < len &&
		    ((s[i + 1] == 0x80 && s[i + 2] >= 0xaa && s[i + 2] <= 0xae) ||
		     (s[i + 1] == 0x81 && s[i + 2] >= 0xa6 && s[i + 2] <= 0xa9)))
			return false;
	}
	return true;
}

#endif /* NUMALENS_FUZZ_MODEL_H */
