// SPDX-License-Identifier: GPL-2.0
/*
 * The pin record's format (user/act/pin_record.c): every byte of a process's
 * name is written escaped, so no name adds a line, and the reader takes
 * back exactly what the writer wrote and refuses every other text: a line
 * twice, a key it does not know, a list or number not in the writer's form,
 * a file cut short. tests/fuzz/fuzz_pin_record.c checks the same on
 * arbitrary bytes.
 */
#include "fixtures.h"

#include "pin_record.h"

/* A record of pid 1234 started at tick 123456, named comm, pinned from
 * CPUs 0-1 to 2-3, with threads 1234 and 1235. */
static void sample(struct nl_pin_record *r, const char *comm)
{
	static const uint64_t old[NL_CPU_WORDS] = { 0x3 };

	memset(r, 0, sizeof(*r));
	r->pid = 1234;
	r->start = 123456;
	snprintf(r->comm, sizeof(r->comm), "%s", comm);
	r->target[0] = 0xc;
	r->original[0] = 0x3;
	assert_int_equal(nl_pin_record_add(r, 1234, old), 0);
	assert_int_equal(nl_pin_record_add(r, 1235, old), 0);
}

#define HEAD "# numalens pin record: 'numalens unpin 1234' restores these affinities\n"
#define TAIL "target 2-3\noriginal 0-1\nthread 1234 0-1\nthread 1235 0-1\n"

static void expect_same(const struct nl_pin_record *a, const struct nl_pin_record *b)
{
	size_t i;

	assert_int_equal(a->pid, b->pid);
	assert_int_equal(a->start, b->start);
	assert_memory_equal(a->comm, b->comm, strlen(a->comm) + 1);
	assert_memory_equal(a->target, b->target, sizeof(a->target));
	assert_memory_equal(a->original, b->original, sizeof(a->original));
	assert_int_equal(a->moved_from, b->moved_from);
	assert_int_equal(a->moved_to, b->moved_to);
	assert_int_equal(a->applied, b->applied);
	assert_int_equal(a->by, b->by);
	assert_memory_equal(&a->verified, &b->verified, sizeof(a->verified));
	assert_int_equal(a->nr, b->nr);
	for (i = 0; i < a->nr; i++) {
		assert_int_equal(a->t[i].tid, b->t[i].tid);
		assert_memory_equal(a->t[i].mask, b->t[i].mask, sizeof(a->t[i].mask));
	}
}

/* Writes r, reads it back, and checks it is r; returns the text (to free). */
static char *round_trip(const struct nl_pin_record *r)
{
	struct nl_pin_record back;
	size_t len;
	char *text;

	assert_int_equal(nl_pin_record_format(r, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	assert_int_equal(nl_pin_record_parse(text, len, &back), 0);
	expect_same(r, &back);
	nl_pin_record_free(&back);
	return text;
}

/* The name: "a\nstart 1" stays on its comm line, and comes back. */
static void test_newline_in_comm_is_escaped(void **state)
{
	struct nl_pin_record r;
	char *text;

	sample(&r, "a\nstart 1");
	text = round_trip(&r);
	assert_string_equal(text, HEAD "pid 1234\nstart 123456\ncomm a\\x0astart\\x201\n" TAIL);
	free(text);
	nl_pin_record_free(&r);
}

/* Every byte a name can hold (1 to 255), 15 at a time, and a backslash. */
static void test_every_byte_round_trips(void **state)
{
	struct nl_pin_record r;
	int b = 1;

	while (b < 256) {
		char comm[16];
		size_t n;

		for (n = 0; n < 15 && b < 256; n++)
			comm[n] = (char)b++;
		comm[n] = '\0';
		sample(&r, comm);
		free(round_trip(&r));
		nl_pin_record_free(&r);
	}
}

/* A move of pages, a name with a space and the widest lists. */
static void test_migrated_and_long_lists(void **state)
{
	struct nl_pin_record r;
	char *text;
	size_t w;

	sample(&r, "Web Content");
	r.moved_from = 0x5;
	r.moved_to = 0x2;
	for (w = 0; w < NL_CPU_WORDS; w++)
		r.target[w] = 0x5555555555555555ull; /* every other CPU: 2048 ranges */
	text = round_trip(&r);
	assert_non_null(strstr(text, "\ncomm Web\\x20Content\n"));
	assert_non_null(strstr(text, "\nmigrated 0,2 1\n"));
	assert_null(strstr(text, "..."));
	free(text);
	nl_pin_record_free(&r);
}

/* What the reader could not give back, the writer refuses to write. */
static void test_writer_refuses_what_reader_would(void **state)
{
	struct nl_pin_record r;
	size_t len;
	char *text;

	sample(&r, "x");
	r.start = 0;
	assert_int_equal(nl_pin_record_format(&r, &text, &len), -EINVAL);
	r.start = 1;
	r.moved_from = 1; /* a move from somewhere to nowhere */
	assert_int_equal(nl_pin_record_format(&r, &text, &len), -EINVAL);
	r.moved_from = 0;
	r.t[1].tid = 1234; /* the same thread twice */
	assert_int_equal(nl_pin_record_format(&r, &text, &len), -EINVAL);
	assert_null(text);
	nl_pin_record_free(&r);
}

/* Texts the writer never writes. */
static void test_reader_refuses(void **state)
{
	static const char *const bad[] = {
		"",						  /* nothing */
		"pid 1234\nstart 123456\ncomm a\nstart 1\n" TAIL, /* a line twice */
		"pid 1234\nstart 123456\ncomm a\n" TAIL "target 2-3\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "thread 1234 0-1\n", /* a thread twice */
		"pid 1234\nstart 123456\n" TAIL,			     /* no comm */
		"pid 1234\nstart 123456\ncomm a\n" TAIL "color red\n",	     /* unknown key */
		"pid 1234\nstart 123456\ncomm a\n" TAIL "\n",		     /* an empty line */
		"pid 1234\nstart 123456\ncomm a\ntarget 2-3\noriginal 0-1",  /* cut short */
		"pid 01234\nstart 123456\ncomm a\n" TAIL,		     /* a leading zero */
		"pid -1\nstart 123456\ncomm a\n" TAIL,
		"pid 1234\nstart 0\ncomm a\n" TAIL,
		"pid 1234\nstart 18446744073709551616\ncomm a\n" TAIL, /* 2^64 */
		"pid 2147483648\nstart 1\ncomm a\n" TAIL,
		"pid  1234\nstart 123456\ncomm a\n" TAIL,		      /* two spaces */
		"pid 1234 \nstart 123456\ncomm a\n" TAIL,		      /* a trailing space */
		"pid 1234\nstart 123456\ncomm a b\n" TAIL,		      /* a raw space */
		"pid 1234\nstart 123456\ncomm a\\x41\n" TAIL,		      /* 'A' escaped */
		"pid 1234\nstart 123456\ncomm a\\x0\n" TAIL,		      /* cut short */
		"pid 1234\nstart 123456\ncomm a\\x0A\n" TAIL,		      /* upper case */
		"pid 1234\nstart 123456\ncomm \\x00\n" TAIL,		      /* a NUL */
		"pid 1234\nstart 123456\ncomm a\\n\n" TAIL,		      /* not \xHH */
		"pid 1234\nstart 123456\ncomm 0123456789abcdef\n" TAIL,	      /* 16 bytes */
		"pid 1234\nstart 123456\ncomm a\ntarget 2,3\noriginal 0-1\n", /* not canonical */
		"pid 1234\nstart 123456\ncomm a\ntarget 3-2\noriginal 0-1\n",
		"pid 1234\nstart 123456\ncomm a\ntarget \noriginal 0-1\n", /* empty */
		"pid 1234\nstart 123456\ncomm a\ntarget 4096\noriginal 0-1\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "migrated 0\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "migrated 0 1 2\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "migrated 0 64\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "thread 0 0-1\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "thread 77\n",
		/* What verify found: after its verified line, in the writer's form. */
		"pid 1234\nstart 123456\ncomm a\n" TAIL "cpu 1 2\nverified gain 1000\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "verified none 1000\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "verified better 1000\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "verified gain 0\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "verified gain\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "verified gain 1\nverified gain 1\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL
		"verified gain 1\nremote placement 1000001 0\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "verified gain 1\nremote scheduler 1 0\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "verified gain 1\nremote placement 1\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "verified gain 1\ncpu 00 1\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "verified gain 1\ncpu 1 2 3\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "verified gain 1\nlatency -1 2\n",
		/* When the pin was applied: once, a number in the writer's form. */
		"pid 1234\nstart 123456\ncomm a\n" TAIL "applied 0\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "applied 01764979200\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "applied -1764979200\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "applied 1764979200.5\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "applied 18446744073709551616\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "applied \n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "applied 1 2\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "applied 1\napplied 1\n",
		/* What made it: a name the writer writes, once. */
		"pid 1234\nstart 123456\ncomm a\n" TAIL "by \n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "by unknown\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "by numad\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "by Pin\n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "by pin \n",
		"pid 1234\nstart 123456\ncomm a\n" TAIL "by pin\nby auto-pin\n",
	};
	struct nl_pin_record r;
	size_t i;

	for (i = 0; i < ARRAY_LEN(bad); i++) {
		if (nl_pin_record_parse(bad[i], strlen(bad[i]), &r) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
		assert_null(r.t);
	}
}

/* A record as numalens wrote it before comm was escaped parses (its comm had
 * no byte to escape), comment lines anywhere. */
static void test_reader_accepts(void **state)
{
	static const char good[] = HEAD "pid 1234\nstart 123456\ncomm python3\n# note\n" TAIL
					"migrated 0 1\n";
	struct nl_pin_record r;

	assert_int_equal(nl_pin_record_parse(good, strlen(good), &r), 0);
	assert_string_equal(r.comm, "python3");
	assert_int_equal(r.nr, 2);
	assert_int_equal(r.moved_from, 1);
	assert_int_equal(r.moved_to, 2);
	nl_pin_record_free(&r);
}

/* What pin --verify adds comes back as written, zeros included; a record
 * without it reads as not verified. */
static void test_verified_round_trip(void **state)
{
	struct nl_pin_record r;
	char *text;

	sample(&r, "db");
	r.verified.result = NL_VERIFY_GAIN;
	r.verified.window_ms = 5000;
	r.verified.has_remote = r.verified.has_cpu = true;
	r.verified.has_memory = r.verified.has_latency = true;
	r.verified.source = NL_SRC_HINT_FAULTS;
	r.verified.remote_ppm[0] = 1000000;
	r.verified.remote_ppm[1] = 0;
	r.verified.cpu_micro[0] = 1980000;
	r.verified.cpu_micro[1] = 2010000;
	r.verified.target_bytes[0] = 0;
	r.verified.target_bytes[1] = 139042816;
	r.verified.latency[0] = 310;
	r.verified.latency[1] = 121;
	text = round_trip(&r);
	assert_non_null(strstr(text,
			       "original 0-1\nverified gain 5000\nremote hint_faults 1000000 0\n"
			       "cpu 1980000 2010000\ntarget_memory 0 139042816\n"
			       "latency 310 121\nthread 1234 0-1\n"));
	free(text);
	/* Gone: the result alone. */
	memset(&r.verified, 0, sizeof(r.verified));
	r.verified.result = NL_VERIFY_GONE;
	r.verified.window_ms = 1;
	text = round_trip(&r);
	assert_non_null(strstr(text, "\nverified gone 1\nthread"));
	free(text);
	/* The writer refuses what the reader would. */
	r.verified.has_cpu = true;
	r.verified.result = NL_VERIFY_NONE;
	assert_int_equal(nl_pin_record_format(&r, &text, &(size_t){ 0 }), -EINVAL);
	r.verified.result = NL_VERIFY_NO_GAIN;
	r.verified.has_remote = true;
	r.verified.remote_ppm[0] = 1000001;
	assert_int_equal(nl_pin_record_format(&r, &text, &(size_t){ 0 }), -EINVAL);
	memset(&r.verified, 0, sizeof(r.verified));
	text = round_trip(&r);
	assert_null(strstr(text, "verified"));
	free(text);
	nl_pin_record_free(&r);
}

/* When the pin was applied and what made it come back as written, after
 * original; a record without them (written before numalens wrote them)
 * reads as not known. */
static void test_applied_round_trip(void **state)
{
	static const char older[] = HEAD "pid 1234\nstart 123456\ncomm a\n" TAIL;
	static const char moved[] = "pid 1234\napplied 7\nstart 123456\ncomm a\n" TAIL;
	struct nl_pin_record r;
	char *text;

	sample(&r, "db");
	r.applied = 1764979200;
	r.verified.result = NL_VERIFY_GONE;
	r.verified.window_ms = 1;
	text = round_trip(&r);
	assert_non_null(strstr(text, "\noriginal 0-1\napplied 1764979200\nverified gone 1\n"));
	free(text);
	r.applied = UINT64_MAX;
	r.by = NL_PIN_BY_AUTOPIN;
	text = round_trip(&r);
	assert_non_null(strstr(text, "\napplied 18446744073709551615\nby auto-pin\n"));
	free(text);
	r.by = NL_PIN_BY_PIN;
	text = round_trip(&r);
	assert_non_null(strstr(text, "\nby pin\n"));
	free(text);
	r.by = NL_PIN_BY_MAX;
	assert_int_equal(nl_pin_record_format(&r, &text, &(size_t){ 0 }), -EINVAL);
	nl_pin_record_free(&r);
	assert_int_equal(nl_pin_record_parse(older, strlen(older), &r), 0);
	assert_int_equal(r.applied, 0);
	assert_int_equal(r.by, NL_PIN_BY_UNKNOWN);
	nl_pin_record_free(&r);
	/* Anywhere among the lines, as every key. */
	assert_int_equal(nl_pin_record_parse(moved, strlen(moved), &r), 0);
	assert_int_equal(r.applied, 7);
	nl_pin_record_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newline_in_comm_is_escaped),
		cmocka_unit_test(test_every_byte_round_trips),
		cmocka_unit_test(test_migrated_and_long_lists),
		cmocka_unit_test(test_writer_refuses_what_reader_would),
		cmocka_unit_test(test_reader_refuses),
		cmocka_unit_test(test_reader_accepts),
		cmocka_unit_test(test_verified_round_trip),
		cmocka_unit_test(test_applied_round_trip),
	};

	return cmocka_run_group_tests_name("pin_record", tests, NULL, NULL);
}
