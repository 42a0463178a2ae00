// SPDX-License-Identifier: GPL-2.0
/*
 * `numalens status` (user/cmd/status.c) over records made in a scratch
 * directory: a process that still runs (this test's own), one that exited
 * (a child, reaped), a pid that names another process now (a child whose
 * record has another start time); a record it may not trust and one that
 * does not parse are skipped with the others listed; no directory is no
 * pin. Text and JSON, and the exit status of each.
 */
#include "fixtures.h"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <json-c/json.h>
#include "log.h"
#include "pin_status.h"
#include "procfs.h"
#include "status.h"

#define NOW 1764979503ull /* 5m 3s after APPLIED */
#define APPLIED 1764979200ull

static char scratch[512];
static pid_t sleeper; /* a child that waits to be killed */

static uint64_t start_of(int pid)
{
	struct nl_proc_stat st;

	assert_int_equal(nl_proc_stat_read(pid, &st), 0);
	return st.starttime_ticks;
}

/* A record of pid started at start, pinned to target from CPUs 0-1. */
static void save_by(int pid, uint64_t start, const char *comm, const uint64_t *target,
		    const struct nl_pin_verified *v, enum nl_pin_by by)
{
	static const uint64_t old[NL_CPU_WORDS] = { 0x3 };
	struct nl_pin_record r = { .pid = pid, .start = start, .applied = APPLIED, .by = by };
	int dirfd = nl_pin_dir_open(scratch, false, NULL, 0);

	assert_true(dirfd >= 0);
	snprintf(r.comm, sizeof(r.comm), "%s", comm);
	memcpy(r.target, target, sizeof(r.target));
	r.original[0] = 0x3;
	if (v)
		r.verified = *v;
	assert_int_equal(nl_pin_record_add(&r, pid, old), 0);
	assert_int_equal(nl_pin_record_save(dirfd, &r), 0);
	nl_pin_record_free(&r);
	close(dirfd);
}

static void save(int pid, uint64_t start, const char *comm, const uint64_t *target,
		 const struct nl_pin_verified *v)
{
	save_by(pid, start, comm, target, v, NL_PIN_BY_PIN);
}

/* What status prints, and its exit status. */
static char *run(const int *pids, size_t nr, bool json, int *status)
{
	struct nl_status_opts o = {
		.state_dir = scratch, .pids = pids, .nr_pids = nr, .json = json, .now = NOW
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	*status = nl_status_print(&o, out);
	fclose(out);
	return buf;
}

static void expect_in(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("\"%s\" is not in:\n%s", part, text);
}

static int setup(void **state)
{
	scratch_dir(scratch, sizeof(scratch));
	setenv("TZ", "UTC", 1);
	tzset();
	sleeper = 0;
	return 0;
}

static int teardown(void **state)
{
	if (sleeper > 0) {
		kill(sleeper, SIGKILL);
		waitpid(sleeper, NULL, 0);
	}
	chmod(scratch, 0700);
	scratch_remove(scratch);
	return 0;
}

static pid_t child(bool exits)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		if (!exits)
			pause();
		_exit(0);
	}
	return pid;
}

/* This test's own process, still running with the affinity recorded as the
 * target (nothing off it), verified with every figure. */
static struct nl_pin_verified gain = {
	.result = NL_VERIFY_GAIN,
	.window_ms = 3000,
	.has_remote = true,
	.has_cpu = true,
	.has_memory = true,
	.has_latency = true,
	.source = NL_SRC_PLACEMENT,
	.remote_ppm = { 999881, 119 },
	.cpu_micro = { 1014626, 1015689 },
	.target_bytes = { 68792320, 68792320 },
	.latency = { 310, 121 },
};

static void own_record(void)
{
	uint64_t mask[NL_CPU_WORDS] = { 0 };

	assert_int_equal(sched_getaffinity(0, sizeof(mask), (cpu_set_t *)mask), 0);
	save(getpid(), start_of(getpid()), "self", mask, &gain);
}

static void test_running_exited_reused_text(void **state)
{
	static const uint64_t target[NL_CPU_WORDS] = { 0xc };
	pid_t dead = child(true);
	char *text, undo[640];
	int status;

	assert_int_equal(waitpid(dead, NULL, 0), dead);
	sleeper = child(false);
	own_record();
	save_by(dead, 42, "gone", target, NULL, NL_PIN_BY_AUTOPIN);
	save(sleeper, start_of(sleeper) + 1, "old\nname", target, NULL);

	text = run(NULL, 0, false, &status);
	assert_int_equal(status, NL_EXIT_OK);
	/* Running: its age, when, the result and each figure, the undo. */
	expect_in(text, ": running, pinned 5m 3s ago (2025-12-06 00:00:00 UTC)\n");
	expect_in(text, "  result     gain over 3.0 s\n"
			"    remote share   1.00 -> 0.00 (placement)\n"
			"    CPU rate       1.01 -> 1.02 CPUs\n"
			"    on the target  65.6 MiB -> 65.6 MiB\n"
			"    load latency   310 -> 121 (mean sampled load latency, cycles)\n");
	expect_in(text, "; 0-1 before the pin (1 thread saved)\n");
	snprintf(undo, sizeof(undo), "  undo       NUMALENS_STATE_DIR=%s numalens unpin %d\n",
		 scratch, getpid());
	expect_in(text, undo);
	/* Exited: said, not shown as pinned; the record is left over. */
	expect_in(text, "(gone): exited, pinned by auto-pin 5m 3s ago");
	expect_in(text, "  process    exited since the pin: the record is left over\n"
			"  CPUs       2-3; 0-1 before the pin (1 thread saved)\n"
			"  result     not verified\n");
	/* Reused: the process the pid names now, which was not pinned; the
	 * record's name as it was, escaped nowhere but in the file. */
	expect_in(text, "(old?name): reused");
	expect_in(text, "names another process now (");
	expect_in(text, "), which numalens did not pin: the record is left over\n");
	free(text);
}

static void test_json(void **state)
{
	static const uint64_t target[NL_CPU_WORDS] = { 0xc };
	json_object *doc, *p;
	char *text;
	int status, i, me = getpid();

	sleeper = child(false);
	own_record();
	save(sleeper, start_of(sleeper) + 1, "old", target, NULL);
	text = run(NULL, 0, true, &status);
	assert_int_equal(status, NL_EXIT_OK);
	doc = json_tokener_parse(text);
	assert_non_null(doc);
	assert_string_equal(json_object_get_string(json_get(doc, "state_dir")), scratch);
	assert_int_equal(json_object_array_length(json_get(doc, "pins")), 2);
	assert_int_equal(json_object_array_length(json_get(doc, "skipped")), 0);
	/* Sorted by pid. */
	i = me < sleeper ? 0 : 1;
	p = json_object_array_get_idx(json_get(doc, "pins"), i);
	assert_int_equal(json_object_get_int(json_get(p, "pid")), me);
	assert_string_equal(json_object_get_string(json_get(p, "process")), "running");
	assert_int_equal(json_object_get_int(json_get(p, "threads_off_target")), 0);
	assert_int_equal(json_object_get_int64(json_get(p, "applied")), APPLIED);
	assert_int_equal(json_object_get_int(json_get(p, "age_seconds")), 303);
	assert_string_equal(json_object_get_string(json_get(p, "by")), "pin");
	assert_true(json_object_is_type(json_get(p, "memory_moved"), json_type_null));
	assert_string_equal(json_object_get_string(json_get(p, "verified.result")), "gain");
	assert_true(json_object_get_double(json_get(p, "verified.window_seconds")) == 3.0);
	assert_true(json_object_get_double(json_get(p, "verified.remote_share.before")) ==
		    0.999881);
	assert_true(json_object_get_double(json_get(p, "verified.remote_share.after")) == 0.000119);
	assert_string_equal(json_object_get_string(json_get(p, "verified.remote_share.source")),
			    "placement");
	assert_true(json_object_get_double(json_get(p, "verified.cpu_rate.after")) == 1.015689);
	assert_int_equal(json_object_get_int64(json_get(p, "verified.target_memory_bytes.before")),
			 68792320);
	assert_int_equal(json_object_get_int(json_get(p, "verified.latency.after")), 121);
	assert_string_equal(json_object_get_string(json_get(p, "original_cpus")), "0-1");
	assert_int_equal(json_object_get_int(json_get(p, "threads_saved")), 1);
	p = json_object_array_get_idx(json_get(doc, "pins"), 1 - i);
	assert_string_equal(json_object_get_string(json_get(p, "process")), "reused");
	assert_string_equal(json_object_get_string(json_get(p, "target_cpus")), "2-3");
	assert_true(json_object_is_type(json_get(p, "threads_off_target"), json_type_null));
	assert_true(json_object_is_type(json_get(p, "verified"), json_type_null));
	assert_true(json_object_is_type(json_get(p, "pid_now_comm"), json_type_string));
	json_object_put(doc);
	free(text);
}

/* A record it may not trust and one that does not parse: each skipped,
 * with why, the others listed; exit status 1. */
static void test_skipped_records(void **state)
{
	static const char bad[] = "pid 77\nstart 1\n";
	char path[600], *text;
	json_object *doc;
	int status;

	own_record();
	scratch_write(scratch, "77.pin", bad, strlen(bad));
	snprintf(path, sizeof(path), "%s/77.pin", scratch);
	assert_int_equal(chmod(path, 0600), 0);
	scratch_write(scratch, "78.pin", bad, strlen(bad));
	snprintf(path, sizeof(path), "%s/78.pin", scratch);
	assert_int_equal(chmod(path, 0666), 0);
	/* Not a record's name: ignored. */
	scratch_write(scratch, "079.pin", bad, strlen(bad));
	scratch_write(scratch, "80.pin.tmp", bad, strlen(bad));

	text = run(NULL, 0, true, &status);
	assert_int_equal(status, NL_EXIT_FAILURE);
	doc = json_tokener_parse(text);
	assert_int_equal(json_object_array_length(json_get(doc, "pins")), 1);
	assert_int_equal(json_object_array_length(json_get(doc, "skipped")), 2);
	assert_int_equal(json_object_get_int(json_get(doc, "skipped.0.pid")), 77);
	expect_in(json_object_get_string(json_get(doc, "skipped.0.reason")),
		  "the record 77.pin is not in numalens's format");
	expect_in(json_object_get_string(json_get(doc, "skipped.1.reason")),
		  "the record 78.pin is writable by others (mode 0666): not trusted");
	json_object_put(doc);
	free(text);
}

/* PIDs asked for: only those; one without a record is an error. No
 * directory is no pin; a directory others may write is not trusted. */
static void test_pids_and_directories(void **state)
{
	int pids[] = { getpid(), 2147483000 }, status;
	char *text;

	own_record();
	text = run(pids, 1, false, &status);
	assert_int_equal(status, NL_EXIT_OK);
	expect_in(text, ": running, pinned");
	free(text);
	text = run(pids, 2, false, &status);
	assert_int_equal(status, NL_EXIT_FAILURE);
	free(text);

	assert_int_equal(chmod(scratch, 0777), 0);
	text = run(NULL, 0, false, &status);
	assert_int_equal(status, NL_EXIT_REFUSED);
	assert_true(!text || !text[0]);
	free(text);

	assert_int_equal(chmod(scratch, 0700), 0);
	scratch_remove(scratch);
	text = run(NULL, 0, false, &status);
	assert_int_equal(status, NL_EXIT_OK);
	expect_in(text, "no pins recorded (");
	expect_in(text, " does not exist)\n");
	free(text);
	text = run(pids, 1, false, &status);
	assert_int_equal(status, NL_EXIT_FAILURE);
	free(text);
	assert_int_equal(mkdir(scratch, 0700), 0);
	text = run(NULL, 0, false, &status);
	assert_int_equal(status, NL_EXIT_OK);
	expect_in(text, "no pins recorded in ");
	free(text);
}

/* The line diagnose and top show, and the lookup by pid and start time. */
static void test_change_text_and_lookup(void **state)
{
	struct nl_pin_record r = { .pid = 1, .start = 5, .target = { 0xc }, .original = { 0x3 } };
	char buf[400];
	int dirfd;

	nl_pin_change_text(&r, NOW, buf, sizeof(buf));
	assert_string_equal(buf, "pinned to CPUs 2-3 (from 0-1); not verified");
	r.applied = NOW - 3 * 86400 - 7200;
	r.verified = (struct nl_pin_verified){ .result = NL_VERIFY_SLOWER,
					       .window_ms = 2500,
					       .has_cpu = true,
					       .cpu_micro = { 2000000, 1000000 } };
	nl_pin_change_text(&r, NOW, buf, sizeof(buf));
	assert_string_equal(buf, "pinned to CPUs 2-3 (from 0-1) 3d 2h ago; verified slower over "
				 "2.5 s: CPU rate 2.00 -> 1.00 CPUs");
	r.by = NL_PIN_BY_AUTOPIN;
	nl_pin_change_text(&r, NOW, buf, sizeof(buf));
	expect_in(buf, "pinned by auto-pin to CPUs 2-3 (from 0-1) 3d 2h ago;");
	nl_pin_age_text(59, buf, sizeof(buf));
	assert_string_equal(buf, "59s");
	nl_pin_age_text(3600 + 120 + 5, buf, sizeof(buf));
	assert_string_equal(buf, "1h 2m");

	own_record();
	dirfd = nl_pin_dir_open(scratch, false, NULL, 0);
	assert_true(dirfd >= 0);
	assert_int_equal(nl_pin_last_change(dirfd, getpid(), start_of(getpid()), &r), 0);
	assert_string_equal(r.comm, "self");
	nl_pin_record_free(&r);
	assert_int_equal(nl_pin_last_change(dirfd, getpid(), start_of(getpid()) + 1, &r), -ENOENT);
	assert_int_equal(nl_pin_last_change(dirfd, 2147483000, 1, &r), -ENOENT);
	close(dirfd);
	/* The snapshot's start (nanoseconds after boot) in ticks. */
	assert_int_equal(nl_pin_ticks_of_ns(
				 start_of(getpid()) * (1000000000ull / sysconf(_SC_CLK_TCK)) + 999),
			 start_of(getpid()));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_running_exited_reused_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skipped_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pids_and_directories, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_text_and_lookup, setup, teardown),
	};

	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
