// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of user/base/shquote.c, the quoting of every suggested
 * command. The first byte picks a short line buffer (0..255 bytes); the
 * rest is NUL-separated arguments, as /proc/PID/cmdline holds them.
 *   one word: read back by the strict bash word reader below, it is the
 *     argument; it holds no C0 or DEL byte, and nothing a terminal takes
 *     as C1 or bidirectional control; in a short buffer it is the same
 *     word or nothing, never a cut one;
 *   a command line: shorter than its buffer, and read back it is every
 *     argument, or a prefix of them followed by the "..." mark.
 * The reader knows only what bash does with the forms it accepts (plain
 * bytes without meaning to bash, '...', \' outside quotes, $'...' with \n
 * \t \\ \' \xHH) and refuses everything else, so output it accepts runs
 * in bash as that argv.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shquote.h"
#include "untrusted.h"

#define MAX_ARGS 64

struct words {
	char *w[MAX_ARGS + 1];
	size_t len[MAX_ARGS + 1];
	size_t nr;
};

/* Bytes bash takes as themselves unquoted ('=' but in a first word). */
static bool literal(char ch, bool first_word)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
		return true;
	switch (ch) {
	case '-':
	case '_':
	case '.':
	case '/':
	case ':':
	case ',':
	case '+':
	case '@':
	case '%':
		return true;
	case '=':
		return !first_word;
	}
	return false;
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* The body of $'...' from s[*i], up to its closing quote, onto out. */
static bool read_ansi_c(const char *s, size_t len, size_t *i, char *out, size_t *o)
{
	while (*i < len && s[*i] != '\'') {
		int hi, lo;

		if (s[*i] != '\\') {
			out[(*o)++] = s[(*i)++];
			continue;
		}
		if (*i + 1 >= len)
			return false;
		switch (s[*i + 1]) {
		case 'n':
			out[(*o)++] = '\n';
			break;
		case 't':
			out[(*o)++] = '\t';
			break;
		case '\\':
		case '\'':
			out[(*o)++] = s[*i + 1];
			break;
		case 'x':
			if (*i + 3 >= len)
				return false;
			hi = hex_digit(s[*i + 2]);
			lo = hex_digit(s[*i + 3]);
			if (hi < 0 || lo < 0 || (!hi && !lo))
				return false;
			out[(*o)++] = (char)(hi * 16 + lo);
			*i += 2;
			break;
		default:
			return false; /* \a, \e, \c, \u...: never written, refused */
		}
		*i += 2;
	}
	if (*i >= len)
		return false;
	(*i)++;
	return true;
}

/* Words of line, separated by one space each; false on anything bash
 * would read otherwise than as literal words. A line is read as a command
 * (its first word may not hold a bare '='), else as arguments. */
static bool read_words(const char *s, size_t len, bool command, struct words *ws)
{
	size_t i = 0;

	ws->nr = 0;
	while (i < len) {
		char *out = malloc(len + 1);
		size_t o = 0, start = i;

		if (!out)
			abort();
		if (ws->nr == MAX_ARGS + 1) {
			free(out);
			return false;
		}
		ws->w[ws->nr] = out;
		ws->len[ws->nr] = 0;
		ws->nr++;
		while (i < len && s[i] != ' ') {
			if (s[i] == '\'') {
				for (i++; i < len && s[i] != '\''; i++)
					out[o++] = s[i];
				if (i++ >= len)
					return false;
			} else if (s[i] == '$' && i + 1 < len && s[i + 1] == '\'') {
				i += 2;
				if (!read_ansi_c(s, len, &i, out, &o))
					return false;
			} else if (s[i] == '\\' && i + 1 < len && s[i + 1] == '\'') {
				out[o++] = '\'';
				i += 2;
			} else if (literal(s[i], command && ws->nr == 1)) {
				out[o++] = s[i++];
			} else {
				return false;
			}
		}
		if (i == start)
			return false; /* an empty word: two spaces, or a space at an end */
		ws->len[ws->nr - 1] = o;
		if (i < len && ++i == len)
			return false;
	}
	return true;
}

static void words_free(struct words *ws)
{
	size_t i;

	for (i = 0; i < ws->nr; i++)
		free(ws->w[i]);
	ws->nr = 0;
}

/* No C0 or DEL byte, and every character one a terminal may be shown. */
static void check_text(const char *s, size_t len)
{
	size_t i = 0, n;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
	for (i = 0; i < len; i += n) {
		n = nl_text_char_len(s + i, len - i);
		if (!n)
			abort();
	}
}

static void check_word(const char *arg, size_t alen, size_t short_size)
{
	size_t size = 4 * alen + 4, n, m;
	char *out = malloc(size), *cut = malloc(short_size ? short_size : 1);
	struct words ws;

	if (!out || !cut)
		abort();
	n = nl_shquote(arg, alen, out, size);
	if (!n || n != strlen(out))
		abort();
	check_text(out, n);
	if (!read_words(out, n, false, &ws) || ws.nr != 1 || ws.len[0] != alen ||
	    memcmp(ws.w[0], arg, alen))
		abort();
	words_free(&ws);
	m = nl_shquote(arg, alen, cut, short_size);
	if (m ? m != n || memcmp(cut, out, n + 1) : short_size && cut[0])
		abort();
	free(out);
	free(cut);
}

/* The first count words are a[0..count). */
static bool args_equal(const struct words *ws, const char *const *a, const size_t *alen,
		       size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (ws->len[i] != alen[i] || memcmp(ws->w[i], a[i], alen[i]))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *args = (const char *)data + 1, *a[MAX_ARGS];
	size_t alen[MAX_ARGS], len, nr = 0, i = 0, line_size;
	struct words ws;
	char *line;
	bool whole;

	if (!size)
		return 0;
	line_size = data[0];
	len = size - 1;
	while (i < len && nr < MAX_ARGS) {
		a[nr] = args + i;
		alen[nr] = strnlen(args + i, len - i);
		i += alen[nr] + 1;
		if (!alen[nr] && i >= len)
			break; /* as a command line ends */
		check_word(a[nr], alen[nr], line_size);
		nr++;
	}
	if (i < len)
		return 0; /* more arguments than checked */

	line = malloc(line_size ? line_size : 1);
	if (!line)
		abort();
	nl_shquote_args(args, len, line, line_size);
	if (line_size && strlen(line) >= line_size)
		abort();
	if (line_size && line[0]) {
		check_text(line, strlen(line));
		if (!read_words(line, strlen(line), true, &ws))
			abort();
		/* Every argument, or a prefix of them and the mark. */
		whole = ws.nr == nr && args_equal(&ws, a, alen, nr);
		if (!whole && (ws.nr - 1 >= nr || !args_equal(&ws, a, alen, ws.nr - 1) ||
			       ws.len[ws.nr - 1] != 3 || memcmp(ws.w[ws.nr - 1], "...", 3)))
			abort();
		words_free(&ws);
	} else if (line_size > 4 && nr) {
		abort(); /* even a word that does not fit leaves the mark */
	}
	free(line);
	return 0;
}
