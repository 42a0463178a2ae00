// SPDX-License-Identifier: GPL-2.0
/*
 * Making another process's bytes safe to show (untrusted.h says where and
 * why). Pure functions, fuzzed by tests/fuzz/fuzz_untrusted.c.
 */
#include <stdint.h>
#include <string.h>
#include "untrusted.h"

size_t nl_utf8_len(const char *str, size_t left)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n, i;
	uint32_t cp;

	if (!left)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t nl_text_char_len(const char *str, size_t left)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = nl_utf8_len(str, left);

	if (n == 1 && (s[0] < 0x20 || s[0] == 0x7f))
		return 0; /* C0, DEL */
	if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)
		return 0; /* C1: U+0080-U+009F */
	/* U+202A-U+202E (e2 80 aa-ae), U+2066-U+2069 (e2 81 a6-a9) */
	if (n == 3 && s[0] == 0xe2 &&
	    ((s[1] == 0x80 && s[2] >= 0xaa && s[2] <= 0xae) ||
	     (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)))
		return 0;
	return n;
}

/*
 * Copies len bytes of src to dst (size bytes, NUL-terminated), each
 * character that ok() refuses, and each byte that starts none, replaced
 * by rep; stops before what would not fit. dst may be src when rep is no
 * longer than what it replaces (one byte).
 */
static size_t copy_clean(char *dst, size_t size, const char *src, size_t len,
			 size_t (*ok)(const char *, size_t), const char *rep, size_t rlen)
{
	size_t i = 0, o = 0, n;

	if (!size)
		return 0;
	while (i < len) {
		n = ok(src + i, len - i);
		if (n) {
			if (o + n >= size)
				break;
			memmove(dst + o, src + i, n);
			o += n;
			i += n;
			continue;
		}
		if (o + rlen >= size)
			break;
		/* A valid character refused whole, else the one bad byte;
		 * measured before dst[o] (which may be src[i]) is written. */
		n = nl_utf8_len(src + i, len - i);
		i += n ? n : 1;
		memcpy(dst + o, rep, rlen);
		o += rlen;
	}
	dst[o] = '\0';
	return o;
}

size_t nl_untrusted_text(char *dst, size_t size, const char *src, size_t len)
{
	return copy_clean(dst, size, src, len, nl_text_char_len, "?", 1);
}

void nl_untrusted_clean(char *s)
{
	size_t len = strlen(s);

	nl_untrusted_text(s, len + 1, s, len);
}

size_t nl_untrusted_utf8(char *dst, size_t size, const char *src, size_t len)
{
	return copy_clean(dst, size, src, len, nl_utf8_len, "\xef\xbf\xbd", 3); /* U+FFFD */
}
