// SPDX-License-Identifier: GPL-2.0
/*
 * The option layer (issue 14): the one number parser, its one-line errors
 * naming the option, the value and the range, and the shared options every
 * front end takes from one table.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "cli.h"
#include "log.h"
#include "options.h"

/* What the last call said on stderr. */
static char said[1024];

/* Runs the call with stderr into said. */
#define SAYING(call)                                         \
	({                                                   \
		FILE *tmp_ = tmpfile();                      \
		int saved_ = dup(STDERR_FILENO), ret_;       \
		size_t n_;                                   \
		fflush(stderr);                              \
		dup2(fileno(tmp_), STDERR_FILENO);           \
		ret_ = (call);                               \
		fflush(stderr);                              \
		dup2(saved_, STDERR_FILENO);                 \
		close(saved_);                               \
		rewind(tmp_);                                \
		n_ = fread(said, 1, sizeof(said) - 1, tmp_); \
		said[n_] = '\0';                             \
		fclose(tmp_);                                \
		ret_;                                        \
	})

static void assert_one_line(const char *want)
{
	if (!strstr(said, want))
		fail_msg("said '%s', not '%s'", said, want);
	assert_int_equal(strncmp(said, "numalens: ", 10), 0);
	assert_ptr_equal(strchr(said, '\n'), said + strlen(said) - 1);
}

static void test_whole_numbers(void **state)
{
	static const char *const bad[] = { "39",   "1025", "-1",   "+50", " 50",
					   "0x40", "4e1",  "40.0", "",	  "50x" };
	unsigned long v;
	int pid;
	size_t i;

	assert_int_equal(nl_parse_uint("40", "--width", 40, 1024, &v), 0);
	assert_int_equal(v, 40);
	assert_int_equal(nl_parse_uint("1024", "--width", 40, 1024, &v), 0);
	assert_int_equal(v, 1024);
	/* Out of range, signed, spaced, hex, exponent, fraction, empty. */
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(SAYING(nl_parse_uint(bad[i], "--width", 40, 1024, &v)), -EINVAL);
		assert_one_line("--width must be a whole number from 40 to 1024, not '");
	}
	assert_int_equal(SAYING(nl_parse_uint("99999999999999999999", "--top", 0, 100000, &v)),
			 -EINVAL);
	assert_one_line(
		"--top must be a whole number from 0 to 100000, not '99999999999999999999'");

	assert_int_equal(nl_parse_pid("2147483647", "--pid", &pid), 0);
	assert_int_equal(pid, 2147483647);
	assert_int_equal(SAYING(nl_parse_pid("0", "--pid", &pid)), -EINVAL);
	assert_one_line("--pid must be a process id, a whole number from 1 to 2147483647, not '0'");
}

static void test_seconds(void **state)
{
	double s;

	assert_int_equal(nl_parse_seconds("0.1", "--delay", 0.1, 86400, &s), 0);
	assert_float_equal(s, 0.1, 1e-12);
	assert_int_equal(SAYING(nl_parse_seconds("0.05", "--delay", 0.1, 86400, &s)), -EINVAL);
	assert_one_line("--delay must be a number of seconds from 0.1 to 86400, not '0.05'");
	assert_int_equal(SAYING(nl_parse_duration("0", "--duration", 3600, &s)), -EINVAL);
	assert_one_line("--duration must be a number of seconds above 0 and up to 3600, not '0'");
	assert_int_equal(SAYING(nl_parse_duration("inf", "--duration", 3600, &s)), -EINVAL);
	assert_int_equal(SAYING(nl_parse_duration("nan", "--duration", 3600, &s)), -EINVAL);
	assert_int_equal(SAYING(nl_parse_duration("1e-3", "--duration", 3600, &s)), 0);
	assert_float_equal(s, 0.001, 1e-12);
}

static void test_shared_options(void **state)
{
	struct nl_agent_opts o;

	nl_agent_opts_default(&o);
	assert_int_equal(nl_shared_option(NL_OPT_MIN_RSS, "512K", &o), 1);
	assert_int_equal(o.model.min_rss, 512 * 1024);
	assert_int_equal(nl_shared_option(NL_OPT_MIN_RSS, "1GiB", &o), 1);
	assert_int_equal(o.model.min_rss, 1024ull * 1024 * 1024);
	assert_int_equal(nl_shared_option(NL_OPT_MIN_RSS, "1.5m", &o), 1);
	assert_int_equal(o.model.min_rss, 1536 * 1024);
	assert_int_equal(nl_shared_option(NL_OPT_MIN_RSS, "100B", &o), 1);
	assert_int_equal(o.model.min_rss, 100);
	assert_int_equal(SAYING(nl_shared_option(NL_OPT_MIN_RSS, "lots", &o)), -EINVAL);
	assert_one_line("--min-rss must be a size (K, M, G, T) from 0 to 1024T, not 'lots'");
	assert_int_equal(SAYING(nl_shared_option(NL_OPT_MIN_RSS, "4iB", &o)), -EINVAL);

	assert_int_equal(nl_shared_option(NL_OPT_MIN_REMOTE_RATIO, "0.5", &o), 1);
	assert_float_equal(o.model.min_remote_ratio, 0.5, 1e-12);
	assert_int_equal(SAYING(nl_shared_option(NL_OPT_MIN_REMOTE_RATIO, "1.5", &o)), -EINVAL);
	assert_one_line("--min-remote-ratio must be a number from 0 to 1, not '1.5'");
	assert_int_equal(SAYING(nl_shared_option(NL_OPT_MIN_CPU, "-1", &o)), -EINVAL);
	assert_one_line("--min-cpu must be a number of CPUs from 0 to 1000000, not '-1'");

	assert_int_equal(nl_shared_option(NL_OPT_MAX_PROCS, "16", &o), 1);
	assert_int_equal(o.collect.max_procs, 16);
	assert_int_equal(SAYING(nl_shared_option(NL_OPT_MAX_PROCS, "abc", &o)), -EINVAL);
	assert_one_line("--max-procs must be a whole number from 16 to 4194304, not 'abc'");
	assert_int_equal(nl_shared_option(NL_OPT_SAMPLE_PERIOD, "4294967296", &o), 1);
	assert_int_equal(o.collect.sample_period, 1ull << 32);
	assert_int_equal(SAYING(nl_shared_option(NL_OPT_PMU_RATE, "fast", &o)), -EINVAL);
	assert_one_line("--pmu-rate must be low, normal or high, not 'fast'");
	assert_int_equal(nl_shared_option('x', "1", &o), 0);
}

static int usage_calls;

static void count_usage(FILE *f)
{
	(void)f;
	usage_calls++;
}

/* A command's own options come back; the shared ones, -v and -h are taken
 * on the way; what is wrong ends the command, said in one line. */
static void test_cmdline(void **state)
{
	static const struct option own[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ 0 },
	};
	char *argv[] = { "top", "--no-pmu", "-b", "--min-cpu", "2", "--max-procs=64", "left", NULL };
	int argc = 7;
	struct nl_agent_opts o;
	struct nl_cmdline cl = {
		.cmd = "numalens top", .shortopts = "b", .agent = &o, .usage = count_usage
	};
	char *help[] = { "top", "-vv", "--help", "-b", NULL };
	int verbose = nl_verbose;

	nl_agent_opts_default(&o);
	nl_cmdline_init(&cl, own);
	/* Without thresholds, --min-cpu is not one of its options. */
	assert_int_equal(SAYING(nl_cmdline_next(&cl, argc, argv)), 'b');
	assert_true(o.collect.no_pmu);
	assert_int_equal(SAYING(nl_cmdline_next(&cl, argc, argv)), NL_CMDLINE_EXIT);
	assert_int_equal(cl.status, NL_EXIT_USAGE);
	assert_one_line("unknown option '--min-cpu' (see numalens top --help)");

	nl_agent_opts_default(&o);
	cl.thresholds = true;
	nl_cmdline_init(&cl, own);
	assert_int_equal(nl_cmdline_next(&cl, argc, argv), 'b');
	assert_int_equal(SAYING(nl_cmdline_next(&cl, argc, argv)), NL_CMDLINE_EXIT);
	assert_int_equal(cl.status, NL_EXIT_USAGE);
	assert_float_equal(o.model.min_cpu, 2, 0);
	assert_int_equal(o.collect.max_procs, 64);
	assert_one_line("numalens top takes no arguments, not 'left' (see numalens top --help)");

	/* One that takes arguments finds them at optind. */
	cl.args = true;
	nl_cmdline_init(&cl, own);
	assert_int_equal(nl_cmdline_next(&cl, argc, argv), 'b');
	assert_int_equal(nl_cmdline_next(&cl, argc, argv), -1);
	assert_string_equal(argv[optind], "left");

	/* -v counts, --help prints the usage and ends before -b. */
	nl_cmdline_init(&cl, own);
	assert_int_equal(nl_cmdline_next(&cl, 4, help), NL_CMDLINE_EXIT);
	assert_int_equal(cl.status, NL_EXIT_OK);
	assert_int_equal(usage_calls, 1);
	assert_int_equal(nl_verbose, verbose + 2);
	nl_verbose = verbose;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_numbers),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_shared_options),
		cmocka_unit_test(test_cmdline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
