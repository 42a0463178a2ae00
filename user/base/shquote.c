// SPDX-License-Identifier: GPL-2.0
/*
 * Shell quoting (shquote.h). The three forms are chosen by what bash does
 * with a byte: the plain set below has no meaning to it in any position of
 * a word; inside '...' every byte but ' is literal; inside $'...' only \
 * and ' need escaping, and \xHH gives back any byte, so a terminal is never
 * sent a control character, and a paste cannot end a line early.
 */
#include <stdio.h>
#include <string.h>
#include "shquote.h"
#include "untrusted.h"

/* Not '=' for the first word (an assignment), nor '~' '#' (special at a
 * word's start), nor anything that globs, expands or separates. */
static bool plain_byte(char ch, bool first_word)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
		return true;
	if (ch == '=')
		return !first_word;
	return ch && strchr("-_./:,+@%", ch);
}

static bool is_plain(const char *a, size_t len, bool first_word)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!plain_byte(a[i], first_word))
			return false;
	return len > 0;
}

/* Whether a terminal may be shown every byte of a[0..len) (untrusted.h). */
static bool printable(const char *a, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		n = nl_text_char_len(a + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

/* Appends s[0..n) at out + *o, keeping room for the NUL. */
static bool put(char *out, size_t size, size_t *o, const char *s, size_t n)
{
	if (*o + n >= size)
		return false;
	memcpy(out + *o, s, n);
	*o += n;
	return true;
}

/* '...', each ' written as '\'' (close, an escaped quote, reopen). */
static bool single_quote(const char *a, size_t len, char *out, size_t size, size_t *o)
{
	size_t i;

	if (!put(out, size, o, "'", 1))
		return false;
	for (i = 0; i < len; i++)
		if (!(a[i] == '\'' ? put(out, size, o, "'\\''", 4) : put(out, size, o, a + i, 1)))
			return false;
	return put(out, size, o, "'", 1);
}

/* $'...': printable characters as they are, but \ and ' escaped; every
 * byte of anything else as \xHH, newline and tab as \n and \t. */
static bool ansi_c_quote(const char *a, size_t len, char *out, size_t size, size_t *o)
{
	size_t i = 0, n;
	char esc[8];

	if (!put(out, size, o, "$'", 2))
		return false;
	while (i < len) {
		n = nl_text_char_len(a + i, len - i);
		if (n) {
			if ((a[i] == '\'' || a[i] == '\\') && !put(out, size, o, "\\", 1))
				return false;
			if (!put(out, size, o, a + i, n))
				return false;
			i += n;
			continue;
		}
		if (a[i] == '\n' || a[i] == '\t')
			snprintf(esc, sizeof(esc), "\\%c", a[i] == '\n' ? 'n' : 't');
		else
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)a[i]);
		if (!put(out, size, o, esc, strlen(esc)))
			return false;
		i++;
	}
	return put(out, size, o, "'", 1);
}

static size_t quote_word(const char *a, size_t len, bool first_word, char *out, size_t size)
{
	size_t o = 0;
	bool fits;

	if (!size)
		return 0;
	if (is_plain(a, len, first_word))
		fits = put(out, size, &o, a, len);
	else if (printable(a, len))
		fits = single_quote(a, len, out, size, &o);
	else
		fits = ansi_c_quote(a, len, out, size, &o);
	out[fits ? o : 0] = '\0';
	return fits ? o : 0;
}

size_t nl_shquote(const char *arg, size_t len, char *out, size_t size)
{
	return quote_word(arg, len, false, out, size);
}

bool nl_shquote_append(char *buf, size_t size, const char *arg, size_t len)
{
	size_t used = strlen(buf), sep = used ? 1 : 0;

	if (used + sep >= size ||
	    !quote_word(arg, len, !used, buf + used + sep, size - used - sep)) {
		buf[used] = '\0';
		return false;
	}
	if (sep)
		buf[used] = ' ';
	return true;
}

void nl_shquote_args(const char *args, size_t len, char *buf, size_t size)
{
	static const char more[] = " ...";
	size_t i = 0;

	if (!size)
		return;
	buf[0] = '\0';
	if (size < sizeof(more))
		return;
	while (i < len) {
		const char *a = args + i;
		size_t alen = strnlen(a, len - i);

		i += alen + 1;
		if (!alen && i >= len)
			break; /* the NUL that ends the last argument */
		/* Room kept for the mark, so a cut line still says it is cut. */
		if (!nl_shquote_append(buf, size - (sizeof(more) - 1), a, alen)) {
			strcat(buf, buf[0] ? more : more + 1);
			return;
		}
	}
}
