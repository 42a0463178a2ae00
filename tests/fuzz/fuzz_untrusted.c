// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of user/base/untrusted.c and the Prometheus label escaper:
 * any bytes, as a comm, cgroup path or command line can hold. The first
 * byte sets a short buffer size; the rest is the name.
 *   text sanitiser: well-formed UTF-8 (checked here on the Unicode table of
 *     well-formed sequences, not with the code under test), no C0, DEL, C1
 *     or bidirectional control (so no ESC), never longer than the input,
 *     unchanged when the input was clean, the same in place, cleaning its
 *     output changes nothing, and in a short buffer a prefix of the whole;
 *   UTF-8 repair: well-formed, unchanged when the input was; as json-c
 *     writes it (as diagnose does) it holds no raw control byte and parses
 *     back, UTF-8 validated, to the same string;
 *   label escaper: well-formed, no control byte, between quotes, every
 *     backslash starts \\, \" or \n and no quote is bare.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "export.h"
#include "model.h"
#include "untrusted.h"

static void check_text(const char *in, size_t len, size_t small)
{
	char *out = malloc(len + 1), *again = malloc(len + 1), *place = malloc(len + 1);
	char *part = malloc(small ? small : 1);
	size_t n, m;

	if (!out || !again || !place || !part)
		abort();
	n = nl_untrusted_text(out, len + 1, in, len);
	if (n > len || out[n] || strlen(out) != n || !utf8_ok(out, n) || !no_controls(out, n))
		abort();
	/* Clean input comes out as it went in. */
	if (utf8_ok(in, len) && no_controls(in, len) && (n != len || memcmp(out, in, len)))
		abort();
	/* Cleaning is done once: again changes nothing. */
	m = nl_untrusted_text(again, len + 1, out, n);
	if (m != n || memcmp(again, out, n))
		abort();
	/* In place, as at the edges, gives the same. */
	memcpy(place, in, len);
	m = nl_untrusted_text(place, len + 1, place, len);
	if (m != n || memcmp(place, out, n + 1))
		abort();
	/* A short buffer: a prefix of the whole, whole characters only. */
	m = nl_untrusted_text(part, small, in, len);
	if (small && (m >= small || part[m] || memcmp(part, out, m) || !utf8_ok(part, m)))
		abort();
	free(out);
	free(again);
	free(place);
	free(part);
}

static void check_json(const char *in, size_t len)
{
	char *out = malloc(3 * len + 1);
	struct json_tokener *tok;
	json_object *s, *doc, *back;
	const char *text;
	size_t n, i;

	if (!out)
		abort();
	n = nl_untrusted_utf8(out, 3 * len + 1, in, len);
	if (n > 3 * len || out[n] || !utf8_ok(out, n))
		abort();
	if (utf8_ok(in, len) && (n != len || memcmp(out, in, len)))
		abort();
	/* As diagnose --json writes it. */
	doc = json_object_new_object();
	s = json_object_new_string_len(out, (int)n);
	if (!doc || !s)
		abort();
	json_object_object_add(doc, "comm", s);
	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	for (i = 0; text[i]; i++)
		if ((uint8_t)text[i] < 0x20)
			abort();
	if (!utf8_ok(text, strlen(text)))
		abort();
	tok = json_tokener_new();
	if (!tok)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	back = json_tokener_parse_ex(tok, text, (int)strlen(text));
	if (!back || json_tokener_get_error(tok) != json_tokener_success)
		abort();
	if (!json_object_object_get_ex(back, "comm", &s) ||
	    !json_object_is_type(s, json_type_string) ||
	    (size_t)json_object_get_string_len(s) != n || memcmp(json_object_get_string(s), out, n))
		abort();
	json_object_put(back);
	json_tokener_free(tok);
	json_object_put(doc);
	free(out);
}

static void check_label(const char *in, size_t len)
{
	struct nl_buf b;
	size_t i;

	nl_buf_init(&b);
	nl_prom_escape_value(&b, in, len);
	if (b.failed)
		goto out; /* out of memory: nothing to check */
	if (b.len < 2 || b.data[0] != '"' || b.data[b.len - 1] != '"' || !utf8_ok(b.data, b.len) ||
	    !no_controls(b.data, b.len))
		abort();
	for (i = 1; i < b.len - 1; i++) {
		if (b.data[i] == '"')
			abort();
		if (b.data[i] == '\\') {
			if (i + 1 >= b.len - 1 || !strchr("\\\"n", b.data[i + 1]))
				abort();
			i++;
		}
	}
out:
	nl_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t small;
	char *in;

	if (!size)
		return 0;
	small = data[0] % 24;
	data++;
	size--;
	in = malloc(size ? size : 1); /* exact size: reads past it are caught */
	if (!in)
		return 0;
	memcpy(in, data, size);
	check_text(in, size, small);
	check_json(in, size);
	check_label(in, size);
	free(in);
	return 0;
}
