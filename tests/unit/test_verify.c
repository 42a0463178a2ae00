// SPDX-License-Identifier: GPL-2.0
/*
 * The verify decision (user/act/verify.c) on made-up windows, and its run
 * through fake hooks: a gain, no gain, a slower process, a process that
 * exits in the window, a pid reused meanwhile (same pid, another start
 * time), a change undone by someone else, and the source the comparison
 * falls back to when the one before measured nothing after.
 */
#include "fixtures.h"

#include "verify.h"

#define PID 4321
#define START 777

/* A process busy cpu CPUs, remote share remote by placement only. */
static struct nl_verify_sample window(double cpu, double remote)
{
	struct nl_verify_sample s = { .seen = true, .cpu_rate = cpu, .source = NL_SRC_PLACEMENT };

	s.ratio[NL_SRC_PLACEMENT].valid = true;
	s.ratio[NL_SRC_PLACEMENT].value = remote;
	s.mem_known = true;
	return s;
}

static enum nl_verify_result decide(const struct nl_verify_sample *b,
				    const struct nl_verify_sample *a, uint64_t start_end,
				    int threads_off, struct nl_verify_outcome *out)
{
	struct nl_verify_input in = { .pid = PID,
				      .start = START,
				      .start_end = start_end,
				      .threads_off = threads_off,
				      .before = b,
				      .after = a };
	struct nl_verify_opts o;

	nl_verify_opts_default(&o);
	nl_verify_decide(&in, &o, out);
	return out->result;
}

static void test_gain(void **state)
{
	struct nl_verify_sample b = window(2, 0.95), a = window(2, 0.03);
	struct nl_verify_outcome out;

	assert_int_equal(decide(&b, &a, START, 0, &out), NL_VERIFY_GAIN);
	assert_true(out.compared);
	assert_int_equal(out.source, NL_SRC_PLACEMENT);
	assert_false(out.source_changed);
	assert_true(out.remote_before > 0.94 && out.remote_after < 0.04);
}

/* Interleaved memory stays half remote wherever the threads go; a drop of
 * less than the gain (0.2) is no gain, one of exactly the gain is one. */
static void test_no_gain(void **state)
{
	struct nl_verify_sample b = window(2, 0.5), a = window(2, 0.49);
	struct nl_verify_outcome out;

	assert_int_equal(decide(&b, &a, START, 0, &out), NL_VERIFY_NO_GAIN);
	a = window(2, 0.3);
	assert_int_equal(decide(&b, &a, START, 0, &out), NL_VERIFY_GAIN);
}

/* Less remote, but its CPU rate fell by 30% (more than 10%): slower. */
static void test_slower(void **state)
{
	struct nl_verify_sample b = window(2, 0.9), a = window(1.4, 0.1);
	struct nl_verify_outcome out;

	assert_int_equal(decide(&b, &a, START, 0, &out), NL_VERIFY_SLOWER);
	a = window(1.9, 0.1); /* 5%: within what is allowed */
	assert_int_equal(decide(&b, &a, START, 0, &out), NL_VERIFY_GAIN);
}

static void test_exited(void **state)
{
	struct nl_verify_sample b = window(2, 0.9), a = { 0 };
	struct nl_verify_outcome out;

	assert_int_equal(decide(&b, &a, 0, 0, &out), NL_VERIFY_GONE);
	assert_non_null(strstr(out.reason, "exited"));
	/* Seen in the window but no longer there at its end. */
	a = window(2, 0.1);
	assert_int_equal(decide(&b, &a, 0, 0, &out), NL_VERIFY_GONE);
}

/* The pid names a process started later: not the one pinned. */
static void test_pid_reused(void **state)
{
	struct nl_verify_sample b = window(2, 0.9), a = window(2, 0.0);
	struct nl_verify_outcome out;

	assert_int_equal(decide(&b, &a, START + 5, 0, &out), NL_VERIFY_GONE);
	assert_non_null(strstr(out.reason, "another process"));
}

/* Someone (taskset, the process itself) set another affinity meanwhile. */
static void test_undone(void **state)
{
	struct nl_verify_sample b = window(2, 0.9), a = window(2, 0.9);
	struct nl_verify_outcome out;

	assert_int_equal(decide(&b, &a, START, 3, &out), NL_VERIFY_UNDONE);
	assert_non_null(strstr(out.reason, "3 threads"));
}

/* Hinting faults measured before and stop after the pin: the comparison
 * falls back to a source that measured both, and says so. */
static void test_source_fallback(void **state)
{
	struct nl_verify_sample b = window(2, 0.9), a = window(2, 0.05);
	struct nl_verify_outcome out;

	b.source = NL_SRC_HINT_FAULTS;
	b.ratio[NL_SRC_HINT_FAULTS].valid = true;
	b.ratio[NL_SRC_HINT_FAULTS].value = 0.97;
	assert_int_equal(decide(&b, &a, START, 0, &out), NL_VERIFY_GAIN);
	assert_int_equal(out.source, NL_SRC_PLACEMENT);
	assert_true(out.source_changed);
	/* When it still measures, it is the one compared. */
	a.ratio[NL_SRC_HINT_FAULTS].valid = true;
	a.ratio[NL_SRC_HINT_FAULTS].value = 0.9;
	assert_int_equal(decide(&b, &a, START, 0, &out), NL_VERIFY_NO_GAIN);
	assert_int_equal(out.source, NL_SRC_HINT_FAULTS);
	/* No source in both windows: no gain to show. */
	a.ratio[NL_SRC_HINT_FAULTS].valid = false;
	a.ratio[NL_SRC_PLACEMENT].valid = false;
	assert_int_equal(decide(&b, &a, START, 0, &out), NL_VERIFY_NO_GAIN);
	assert_false(out.compared);
}

/* The fake process: what the window after measures, and its state at the end. */
struct fake {
	struct nl_verify_sample after;
	int measure_err, state_err;
	uint64_t start_now;
	int threads_off;
	double asked_s;
};

static int fake_measure(int pid, double seconds, struct nl_verify_sample *after, void *ctx)
{
	struct fake *f = ctx;

	assert_int_equal(pid, PID);
	f->asked_s = seconds;
	*after = f->after;
	return f->measure_err;
}

static int fake_state(int pid, uint64_t *start, int *threads_off, void *ctx)
{
	struct fake *f = ctx;

	*start = f->start_now;
	*threads_off = f->threads_off;
	return f->state_err;
}

static enum nl_verify_result run(struct fake *f, const struct nl_verify_sample *before,
				 struct nl_verify_outcome *out)
{
	struct nl_verify_hooks h = { .measure = fake_measure, .state = fake_state, .ctx = f };
	struct nl_verify_input in = { .pid = PID, .start = START, .before = before };
	struct nl_verify_sample after;
	struct nl_verify_opts o;

	nl_verify_opts_default(&o);
	assert_int_equal(nl_verify_run(&h, 5, &in, &after, &o, out), 0);
	assert_true(f->asked_s == 5);
	return out->result;
}

static void test_run_with_hooks(void **state)
{
	struct nl_verify_sample b = window(2, 0.95);
	struct fake f = { .after = window(2, 0.02), .start_now = START };
	struct nl_verify_outcome out;

	assert_int_equal(run(&f, &b, &out), NL_VERIFY_GAIN);
	/* It exited: the measure and the state say ESRCH. */
	f.measure_err = -ESRCH;
	f.state_err = -ESRCH;
	assert_int_equal(run(&f, &b, &out), NL_VERIFY_GONE);
	/* Reused: alive, measured, another start time. */
	f.measure_err = f.state_err = 0;
	f.start_now = START + 1;
	assert_int_equal(run(&f, &b, &out), NL_VERIFY_GONE);
	/* Undone by someone else. */
	f.start_now = START;
	f.threads_off = 1;
	assert_int_equal(run(&f, &b, &out), NL_VERIFY_UNDONE);
}

/* A failure to measure is the caller's to report, not a result. */
static void test_run_error(void **state)
{
	struct nl_verify_sample b = window(2, 0.95), after;
	struct fake f = { .measure_err = -EPERM };
	struct nl_verify_hooks h = { .measure = fake_measure, .state = fake_state, .ctx = &f };
	struct nl_verify_input in = { .pid = PID, .start = START, .before = &b };
	struct nl_verify_outcome out;
	struct nl_verify_opts o;

	nl_verify_opts_default(&o);
	assert_int_equal(nl_verify_run(&h, 5, &in, &after, &o, &out), -EPERM);
}

/* The record's units: millionths, bytes, whole latencies. */
static void test_to_record(void **state)
{
	struct nl_verify_sample b = window(2, 0.95), a = window(1.5, 0.02);
	struct nl_verify_input in = { .pid = PID, .start = START, .start_end = START };
	struct nl_verify_outcome out;
	struct nl_pin_verified rec;
	struct nl_verify_opts o;

	b.target_bytes = 1 << 20;
	a.target_bytes = 100 << 20;
	b.lat_valid = a.lat_valid = true;
	b.latency = 310.4;
	a.latency = 120.6;
	in.before = &b;
	in.after = &a;
	nl_verify_opts_default(&o);
	o.max_slowdown = 0.5;
	nl_verify_decide(&in, &o, &out);
	nl_verify_to_record(&in, &out, 2.5, &rec);
	assert_int_equal(rec.result, NL_VERIFY_GAIN);
	assert_int_equal(rec.window_ms, 2500);
	assert_true(rec.has_remote && rec.has_cpu && rec.has_memory && rec.has_latency);
	assert_int_equal(rec.remote_ppm[0], 950000);
	assert_int_equal(rec.remote_ppm[1], 20000);
	assert_int_equal(rec.cpu_micro[0], 2000000);
	assert_int_equal(rec.cpu_micro[1], 1500000);
	assert_int_equal(rec.target_bytes[1], 100 << 20);
	assert_int_equal(rec.latency[0], 310);
	assert_int_equal(rec.latency[1], 121);
	/* Gone: nothing measured after but the result, whether the window
	 * after saw it (a zombie) or not. */
	in.start_end = 0;
	nl_verify_decide(&in, &o, &out);
	nl_verify_to_record(&in, &out, 2.5, &rec);
	assert_int_equal(rec.result, NL_VERIFY_GONE);
	assert_false(rec.has_remote || rec.has_cpu || rec.has_memory || rec.has_latency);
	a.seen = false;
	in.start_end = START;
	nl_verify_decide(&in, &o, &out);
	nl_verify_to_record(&in, &out, 2.5, &rec);
	assert_int_equal(rec.result, NL_VERIFY_GONE);
	assert_false(rec.has_remote || rec.has_cpu || rec.has_memory || rec.has_latency);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gain),
		cmocka_unit_test(test_no_gain),
		cmocka_unit_test(test_slower),
		cmocka_unit_test(test_exited),
		cmocka_unit_test(test_pid_reused),
		cmocka_unit_test(test_undone),
		cmocka_unit_test(test_source_fallback),
		cmocka_unit_test(test_run_with_hooks),
		cmocka_unit_test(test_run_error),
		cmocka_unit_test(test_to_record),
	};

	return cmocka_run_group_tests_name("verify", tests, NULL, NULL);
}
