// SPDX-License-Identifier: GPL-2.0
/*
 * Another process's bytes made text (user/base/untrusted.c): the sanitiser for
 * terminals, the UTF-8 repair for JSON, and the edges where such bytes come
 * in (/proc/PID/stat, the exporter's cgroup path) giving text and nothing
 * else; test_advisor.c's test_limits_hostile has the limits pin and the
 * advisor read.
 */
#include "fixtures.h"
#include "export.h"
#include "procfs.h"
#include "untrusted.h"

/* The name of issue 12: invalid UTF-8, then an escape sequence. */
#define RED "\xff\xfe\x1b[31mRED"

static void check_text(const char *in, size_t len, const char *want)
{
	char out[256];
	size_t n = nl_untrusted_text(out, sizeof(out), in, len);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	assert_true(n <= len);
}

static void test_text_keeps_utf8(void **state)
{
	check_text("postgres", 8, "postgres");
	check_text("caf\xc3\xa9 \xe2\x82\xac", 9, "caf\xc3\xa9 \xe2\x82\xac");
	check_text("\xe6\x97\xa5\xe6\x9c\xac", 6, "\xe6\x97\xa5\xe6\x9c\xac"); /* CJK */
	check_text("\xf0\x9f\x98\x80!", 5, "\xf0\x9f\x98\x80!");
	check_text("q\"b\\{}", 6, "q\"b\\{}"); /* printable: the renderers escape them */
	check_text("\xc2\xa0", 2, "\xc2\xa0"); /* U+00A0, just past C1 */
	check_text("", 0, "");
}

static void test_text_controls(void **state)
{
	check_text(RED, sizeof(RED) - 1, "???[31mRED");
	check_text("two\nlines\r\t", 11, "two?lines??");
	check_text("a\0b", 3, "a?b");
	check_text("del\x7f", 4, "del?");
	/* C1 (U+009B is CSI where a terminal reads C1): one '?' a character. */
	check_text("\xc2\x9b"
		   "31m\xc2\x80",
		   7, "?31m?");
	/* Bidirectional overrides and isolates reorder what follows. */
	check_text("a\xe2\x80\xae"
		   "b\xe2\x81\xa6"
		   "c",
		   9, "a?b?c");
	check_text("\xe2\x80\xad\xe2\x81\xa9", 6, "??");
	check_text("\xe2\x80\xa9", 3, "\xe2\x80\xa9"); /* U+2029 is no control: kept */
}

static void test_text_invalid(void **state)
{
	/* One '?' per byte that starts no character: stray continuation,
	 * overlong, surrogate, cut short, beyond U+10FFFF, 0xfe and 0xff. */
	check_text("\x80x", 2, "?x");
	check_text("\xc0\x80", 2, "??");
	check_text("\xe0\x80\xaf", 3, "???");
	check_text("\xed\xa0\x80", 3, "???");
	check_text("x\xe2\x82", 3, "x??");
	check_text("\xf4\x90\x80\x80", 4, "????");
	check_text("\xfe\xff", 2, "??");
}

static void test_text_bounds(void **state)
{
	char buf[16];

	/* A character that does not fit is left out whole. */
	assert_int_equal(nl_untrusted_text(buf, 5, "ab\xe2\x82\xac", 5), 2);
	assert_string_equal(buf, "ab");
	assert_int_equal(nl_untrusted_text(buf, 6, "ab\xe2\x82\xac", 5), 5);
	assert_string_equal(buf, "ab\xe2\x82\xac");
	assert_int_equal(nl_untrusted_text(buf, 1, "abc", 3), 0);
	assert_string_equal(buf, "");
	buf[0] = 'z';
	assert_int_equal(nl_untrusted_text(buf, 0, "abc", 3), 0);
	assert_int_equal(buf[0], 'z');
	/* In place, as the collectors clean a comm where it lies. */
	memcpy(buf, RED, sizeof(RED));
	nl_untrusted_clean(buf);
	assert_string_equal(buf, "???[31mRED");
	memcpy(buf,
	       "\xc2\x9b\xc2\x9b\xc2\x9b"
	       "ok",
	       9);
	nl_untrusted_text(buf, sizeof(buf), buf, 8);
	assert_string_equal(buf, "???ok");
}

static void check_utf8(const char *in, size_t len, const char *want)
{
	char out[256];
	size_t n = nl_untrusted_utf8(out, sizeof(out), in, len);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void test_utf8_for_json(void **state)
{
	char buf[16];

	/* Invalid bytes become U+FFFD; control characters stay, for json-c
	 * escapes those. */
	check_utf8(RED, sizeof(RED) - 1, "\xef\xbf\xbd\xef\xbf\xbd\x1b[31mRED");
	check_utf8("caf\xc3\xa9\n", 6, "caf\xc3\xa9\n");
	check_utf8("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	check_utf8("\xc2\x9b", 2, "\xc2\x9b");
	/* 3 * len + 1 always suffices; less cuts before a whole character. */
	assert_int_equal(nl_untrusted_utf8(buf, 7, "\xff\xff\xff", 3), 6);
	assert_int_equal(nl_untrusted_utf8(buf, 10, "\xff\xff\xff", 3), 9);
	assert_int_equal(nl_untrusted_utf8(buf, 4, "a\xe2\x82\xac", 4), 1);
	assert_string_equal(buf, "a");
	assert_int_equal(nl_untrusted_utf8(buf, 0, "a", 1), 0);
}

static void test_utf8_len(void **state)
{
	assert_int_equal(nl_utf8_len("a", 1), 1);
	assert_int_equal(nl_utf8_len("\xc3\xa9", 2), 2);
	assert_int_equal(nl_utf8_len("\xc3\xa9", 1), 0);
	assert_int_equal(nl_utf8_len("\xef\xbf\xbd", 3), 3);
	assert_int_equal(nl_utf8_len("\xf4\x8f\xbf\xbf", 4), 4); /* U+10FFFF */
	assert_int_equal(nl_utf8_len("\xc1\xbf", 2), 0);
	assert_int_equal(nl_utf8_len("", 0), 0);
	assert_int_equal(nl_text_char_len("\x1b", 1), 0);
	assert_int_equal(nl_text_char_len(" ", 1), 1);
	assert_int_equal(nl_text_char_len("~", 1), 1);
}

/* The edges: what they hand on is text. */

static void test_edge_proc_stat(void **state)
{
	static const char stat[] = "77 (" RED ") S 1 77 77 0 -1 4194304 0 0 0 0 1 2 0 0 20 0 1 0 "
				   "5 0 7\n";
	static const char nl[] = "78 (a\nb)c) R 1 78 78 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 7\n";
	struct nl_proc_stat st;

	assert_int_equal(nl_proc_stat_parse(stat, sizeof(stat) - 1, &st), 0);
	assert_string_equal(st.comm, "???[31mRED");
	assert_int_equal(st.state, 'S');
	assert_int_equal(nl_proc_stat_parse(nl, sizeof(nl) - 1, &st), 0);
	assert_string_equal(st.comm, "a?b)c");
	assert_int_equal(st.state, 'R');
}

static void test_edge_export_cgroup(void **state)
{
	static const char text[] = "0::/user.slice/e\x1b]0;x\x07vil\xff\n";
	char path[64];

	assert_int_equal(nl_export_cgroup_path(text, sizeof(text) - 1, path, sizeof(path)), 0);
	assert_string_equal(path, "/user.slice/e?]0;x?vil?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_keeps_utf8), cmocka_unit_test(test_text_controls),
		cmocka_unit_test(test_text_invalid),	cmocka_unit_test(test_text_bounds),
		cmocka_unit_test(test_utf8_for_json),	cmocka_unit_test(test_utf8_len),
		cmocka_unit_test(test_edge_proc_stat),	cmocka_unit_test(test_edge_export_cgroup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
