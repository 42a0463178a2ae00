// SPDX-License-Identifier: GPL-2.0
/*
 * nl_pin_apply against a scripted process: its threads are listed, read and
 * set through fake hooks (no real sched_setaffinity), so threads can appear
 * between scans, vanish between the list and the set, or keep appearing
 * until the scan limit. Each test asserts which thread got which affinity in
 * which order, how many scans ran, the result, and the record on disk.
 * The process is fixtures/proc/1234 (python3, started at tick 123456); the
 * tests of pid reuse copy it to the scratch directory and change its start
 * time in the middle of the work. The others put records and symlinks where
 * another user could have (state directories writable by others, records
 * not the caller's): pin and unpin must refuse them or write around them.
 */
#include "fixtures.h"

#include <fcntl.h>
#include <limits.h>

#include "pin.h"
#include "procfs.h"

#define PID 1234
#define START 123456
#define OLD 0x3ull  /* CPUs 0-1: every thread's affinity before */
#define WANT 0xcull /* CPUs 2-3: the target */
#define MAX_THREADS 128
#define MAX_SETS 256

enum fate {
	LIVES,
	GONE_AFTER_LIST, /* listed, then gone before its affinity is read */
	GONE_AT_SET,	 /* read, then gone when its affinity is set (ESRCH) */
};

struct fake_thread {
	int tid;
	uint64_t mask;
	int born; /* the first scan that lists it (1: there from the start) */
	enum fate fate;
	bool gone;
};

struct set_call {
	int tid;
	uint64_t mask;
	int err;
};

static struct {
	struct fake_thread t[MAX_THREADS];
	int nr;
	int scans;
	/* A new thread with the old affinity before every scan after the first:
	 * a process creating threads faster than pin converges. */
	bool spawn_every_scan;
	struct set_call set[MAX_SETS];
	int nr_set;
	/* After this set call (1: the first), the pid names another process:
	 * /proc/1234/stat (the scratch copy) says it started later. */
	int reuse_at_set;
	int clock_calls;
} fk;

static char scratch[512], proc_copy[520];

/* The scratch copy of fixtures/proc/1234, started at tick start. */
static void proc_started(unsigned long long start)
{
	char text[1024], *at;
	size_t len;
	char *fixture = fixture_load(FIXTURE("proc/1234/stat"), &len);

	at = strstr(fixture, " 123456 ");
	assert_non_null(at);
	*at = '\0';
	snprintf(text, sizeof(text), "%s %llu %s", fixture, start, at + 8);
	scratch_write(scratch, "proc/1234/stat", text, strlen(text));
	snprintf(proc_copy, sizeof(proc_copy), "%s/proc", scratch);
	nl_proc_root = proc_copy;
	free(fixture);
}

static void thread(int tid, uint64_t mask, int born, enum fate fate)
{
	assert_true(fk.nr < MAX_THREADS);
	fk.t[fk.nr++] =
		(struct fake_thread){ .tid = tid, .mask = mask, .born = born, .fate = fate };
}

static struct fake_thread *find(int tid)
{
	int i;

	for (i = 0; i < fk.nr; i++)
		if (fk.t[i].tid == tid)
			return &fk.t[i];
	return NULL;
}

static int fake_list(int pid, struct nl_tids *t, void *ctx)
{
	int i;

	assert_int_equal(pid, PID);
	fk.scans++;
	if (fk.spawn_every_scan && fk.scans > 1)
		thread(PID + 100 + fk.scans, OLD, fk.scans, LIVES);
	for (i = 0; i < fk.nr; i++) {
		struct fake_thread *th = &fk.t[i];

		if (th->gone || th->born > fk.scans)
			continue;
		assert_int_equal(nl_tids_add(t, th->tid), 0);
		if (th->fate == GONE_AFTER_LIST)
			th->gone = true;
	}
	return 0;
}

static int fake_get(int tid, uint64_t *mask, void *ctx)
{
	struct fake_thread *th = find(tid);

	if (!th || th->gone)
		return -ESRCH;
	mask[0] = th->mask;
	return 0;
}

static int fake_set(int tid, const uint64_t *mask, void *ctx)
{
	struct fake_thread *th = find(tid);
	struct set_call *c;
	int w;

	assert_true(fk.nr_set < MAX_SETS);
	for (w = 1; w < NL_CPU_WORDS; w++)
		assert_int_equal(mask[w], 0);
	c = &fk.set[fk.nr_set++];
	c->tid = tid;
	c->mask = mask[0];
	c->err = 0;
	if (!th || th->gone || th->fate == GONE_AT_SET) {
		if (th)
			th->gone = true;
		c->err = -ESRCH;
	} else {
		th->mask = mask[0];
	}
	if (fk.nr_set == fk.reuse_at_set)
		proc_started(START + 1);
	return c->err;
}

/* The wall clock: a fixed moment, then later by a step per call. */
#define APPLIED 1764979200ull
static uint64_t fake_now(void *ctx)
{
	return APPLIED + 60 * fk.clock_calls++;
}

static const struct nl_pin_hooks hooks = { .list = fake_list,
					   .get = fake_get,
					   .set = fake_set,
					   .now = fake_now };

static int setup(void **state)
{
	memset(&fk, 0, sizeof(fk));
	scratch_dir(scratch, sizeof(scratch));
	nl_proc_root = FIXTURE("proc");
	return 0;
}

static int teardown(void **state)
{
	chmod(scratch, 0700);
	scratch_remove(scratch);
	nl_proc_root = "/proc";
	return 0;
}

/* Pins PID to WANT through the fakes, as `pin --apply` does after its
 * checks, with its record in dir. */
static int apply_in(const char *dir, struct nl_pin_result *res)
{
	struct nl_proc_limits l = { .known = true, .start_ticks = START };
	struct nl_advice a = { .action = NL_ACT_AFFINITY, .nodes = 2, .nr_cpus = 2 };
	struct nl_pin_opts o = { .state_dir = dir, .hooks = &hooks };

	a.cpus[0] = WANT;
	return nl_pin_apply(PID, &l, &a, &o, res);
}

static int apply(struct nl_pin_result *res)
{
	return apply_in(scratch, res);
}

static int unpin(struct nl_unpin_result *res)
{
	struct nl_pin_opts o = { .state_dir = scratch, .hooks = &hooks };

	return nl_unpin(PID, &o, res);
}

static void expect_sets(const struct set_call *want, int nr)
{
	int i;

	for (i = 0; i < nr && i < fk.nr_set; i++)
		if (fk.set[i].tid != want[i].tid || fk.set[i].mask != want[i].mask ||
		    fk.set[i].err != want[i].err)
			fail_msg(
				"set call %d: thread %d to %#llx (%d), want thread %d to %#llx (%d)",
				i, fk.set[i].tid, (unsigned long long)fk.set[i].mask, fk.set[i].err,
				want[i].tid, (unsigned long long)want[i].mask, want[i].err);
	assert_int_equal(fk.nr_set, nr);
}

static void expect_record(const char *want)
{
	char path[PATH_MAX + 16];
	size_t len;
	char *text;

	snprintf(path, sizeof(path), "%s/%d.pin", scratch, PID);
	text = fixture_load(path, &len);
	assert_string_equal(text, want);
	free(text);
}

static void record_path(char *buf, size_t size)
{
	snprintf(buf, size, "%s/%d.pin", scratch, PID);
}

static void expect_no_record(void)
{
	char path[PATH_MAX + 16];

	record_path(path, sizeof(path));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
}

static void expect_message(const char *got, const char *part)
{
	if (!strstr(got, part))
		fail_msg("message \"%s\" does not say \"%s\"", got, part);
}

#define RECORD_HEAD                                                                            \
	"# numalens pin record: 'numalens unpin 1234' restores these affinities\n"             \
	"pid 1234\nstart 123456\ncomm python3\ntarget 2-3\noriginal 0-1\napplied 1764979200\n" \
	"by pin\n"

/*
 * Threads created while pin works: 1240 appears in the second scan and 1241
 * in the third, both with the old affinity (made by threads not changed
 * yet), 1242 in the third with the target already (made by a changed
 * thread). A fourth scan finds nothing to change, and a fifth after a
 * pause confirms it. 1236 has the target from the start: recorded, never
 * set.
 */
static void test_threads_appear_between_scans(void **state)
{
	static const struct set_call want[] = {
		{ 1234, WANT, 0 },
		{ 1235, WANT, 0 },
		{ 1240, WANT, 0 },
		{ 1241, WANT, 0 },
	};
	struct nl_pin_result res;
	int i;

	thread(1234, OLD, 1, LIVES);
	thread(1235, OLD, 1, LIVES);
	thread(1236, WANT, 1, LIVES);
	thread(1240, OLD, 2, LIVES);
	thread(1241, OLD, 3, LIVES);
	thread(1242, WANT, 3, LIVES);

	assert_int_equal(apply(&res), 0);
	assert_int_equal(res.refusal, NL_PIN_OK);
	assert_true(res.pinned);
	assert_int_equal(fk.scans, 5);
	assert_int_equal(res.passes, 5);
	assert_int_equal(res.threads, 6);
	assert_int_equal(res.threads_changed, 4);
	assert_false(res.kept_record);
	assert_string_equal(res.before, "0-1");
	assert_int_equal(res.pages_not_moved, -1);
	expect_sets(want, ARRAY_LEN(want));
	for (i = 0; i < fk.nr; i++)
		assert_int_equal(fk.t[i].mask, WANT);
	expect_record(RECORD_HEAD "thread 1234 0-1\nthread 1235 0-1\nthread 1236 2-3\n"
				  "thread 1240 0-1\nthread 1241 0-1\n");
}

/*
 * Threads that end while pin works: 1236 is listed and gone before its
 * affinity is read, 1235 is gone when its affinity is set (ESRCH), 1238
 * appears in the second scan and is gone before it is read. None fails the
 * pin or counts as pinned; the second scan finds nothing left to change
 * (the third confirms it).
 */
static void test_thread_vanishes_before_set(void **state)
{
	static const struct set_call want[] = {
		{ 1234, WANT, 0 },
		{ 1235, WANT, -ESRCH },
		{ 1237, WANT, 0 },
	};
	struct nl_pin_result res;

	thread(1234, OLD, 1, LIVES);
	thread(1235, OLD, 1, GONE_AT_SET);
	thread(1236, OLD, 1, GONE_AFTER_LIST);
	thread(1237, OLD, 1, LIVES);
	thread(1238, OLD, 2, GONE_AFTER_LIST);

	assert_int_equal(apply(&res), 0);
	assert_int_equal(res.refusal, NL_PIN_OK);
	assert_string_equal(res.message, "");
	assert_true(res.pinned);
	assert_int_equal(fk.scans, 3);
	assert_int_equal(res.passes, 3);
	assert_int_equal(res.threads, 2);
	assert_int_equal(res.threads_changed, 2);
	expect_sets(want, ARRAY_LEN(want));
	assert_int_equal(find(1234)->mask, WANT);
	assert_int_equal(find(1237)->mask, WANT);
	/* 1235 was saved before it ended; 1236 was never read. */
	expect_record(RECORD_HEAD "thread 1234 0-1\nthread 1235 0-1\nthread 1237 0-1\n");
}

/*
 * A thread created while its creator was changed: it has the old affinity
 * and is listed only after a scan found nothing to do (the third). The
 * confirming scan after the pause finds and pins it; a fifth confirms.
 * Nothing changed at all: one clean scan is enough (no pause).
 */
static void test_thread_listed_after_a_clean_scan(void **state)
{
	static const struct set_call want[] = {
		{ 1234, WANT, 0 },
		{ 1250, WANT, 0 },
	};
	struct nl_pin_result res;

	thread(1234, OLD, 1, LIVES);
	thread(1250, OLD, 3, LIVES);
	assert_int_equal(apply(&res), 0);
	assert_true(res.pinned);
	assert_int_equal(fk.scans, 5);
	assert_int_equal(res.threads, 2);
	assert_int_equal(res.threads_changed, 2);
	expect_sets(want, ARRAY_LEN(want));
	assert_int_equal(find(1250)->mask, WANT);
}

static void test_nothing_to_change_one_scan(void **state)
{
	struct nl_pin_result res;

	thread(1234, WANT, 1, LIVES);
	thread(1235, WANT, 1, LIVES);
	assert_int_equal(apply(&res), 0);
	assert_true(res.pinned);
	assert_int_equal(fk.scans, 1);
	assert_int_equal(res.threads_changed, 0);
	expect_sets(NULL, 0);
}

/*
 * A process that creates a thread with the old affinity before every scan
 * never converges: after NL_PIN_MAX_PASSES scans pin gives up, puts every
 * thread it changed back, in the order it changed them, and removes the
 * record.
 */
static void test_scan_limit(void **state)
{
	struct set_call want[2 * (NL_PIN_MAX_PASSES + 1)];
	char path[PATH_MAX + 16], msg[160];
	struct nl_pin_result res;
	int i, nr = 0;

	thread(1234, OLD, 1, LIVES);
	thread(1235, OLD, 1, LIVES);
	fk.spawn_every_scan = true;

	assert_int_equal(apply(&res), -EAGAIN);
	assert_int_equal(res.refusal, NL_PIN_FAILED);
	assert_false(res.pinned);
	assert_int_equal(fk.scans, NL_PIN_MAX_PASSES);
	assert_int_equal(res.passes, NL_PIN_MAX_PASSES);
	assert_int_equal(res.threads_changed, 0);
	snprintf(msg, sizeof(msg),
		 "pid 1234 keeps creating threads or changing their affinity (%d scans); the "
		 "%d threads it had changed are back on the affinity they had",
		 NL_PIN_MAX_PASSES, 2 + NL_PIN_MAX_PASSES - 1);
	assert_string_equal(res.message, msg);
	/* Scan 1 sets the two threads there, scans 2 to 64 the one new each. */
	assert_int_equal(fk.nr, 2 + NL_PIN_MAX_PASSES - 1);
	for (i = 0; i < fk.nr; i++)
		want[nr++] = (struct set_call){ fk.t[i].tid, WANT, 0 };
	for (i = 0; i < fk.nr; i++)
		want[nr++] = (struct set_call){ fk.t[i].tid, OLD, 0 };
	expect_sets(want, nr);
	for (i = 0; i < fk.nr; i++)
		assert_int_equal(fk.t[i].mask, OLD);
	snprintf(path, sizeof(path), "%s/%d.pin", scratch, PID);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
}

/*
 * The pid names another process by the time pin has set every thread (the
 * process exited and its pid was reused): the start time, read again after
 * acting, differs. What pin changed is put back and no record stays.
 */
static void test_pid_reused_during_pin(void **state)
{
	static const struct set_call want[] = {
		{ 1234, WANT, 0 },
		{ 1235, WANT, 0 },
		{ 1234, OLD, 0 },
		{ 1235, OLD, 0 },
	};
	struct nl_pin_result res;

	proc_started(START);
	thread(1234, OLD, 1, LIVES);
	thread(1235, OLD, 1, LIVES);
	fk.reuse_at_set = 2;

	assert_int_equal(apply(&res), -ESRCH);
	assert_int_equal(res.refusal, NL_PIN_REUSED);
	assert_false(res.pinned);
	assert_int_equal(res.threads_changed, 0);
	expect_message(res.message, "pid 1234 exited while pin worked, or names another process "
				    "now");
	expect_message(res.message,
		       "the 2 threads it had changed are back on the affinity they had");
	expect_sets(want, ARRAY_LEN(want));
	assert_int_equal(find(1234)->mask, OLD);
	assert_int_equal(find(1235)->mask, OLD);
	expect_no_record();
}

/*
 * The same during unpin: the threads it restored may be another process's,
 * so they get back the affinity unpin found them with (the target), and the
 * stale record goes.
 */
static void test_pid_reused_during_unpin(void **state)
{
	static const struct set_call want[] = {
		{ 1234, WANT, 0 }, { 1235, WANT, 0 }, /* pin */
		{ 1234, OLD, 0 },  { 1235, OLD, 0 },  /* unpin */
		{ 1234, WANT, 0 }, { 1235, WANT, 0 }, /* as unpin found them */
	};
	struct nl_pin_result res;
	struct nl_unpin_result ures;

	proc_started(START);
	thread(1234, OLD, 1, LIVES);
	thread(1235, OLD, 1, LIVES);
	assert_int_equal(apply(&res), 0);
	fk.reuse_at_set = fk.nr_set + 1;

	assert_int_equal(unpin(&ures), -ESRCH);
	assert_int_equal(ures.refusal, NL_PIN_REUSED);
	assert_int_equal(ures.restored, 0);
	expect_message(ures.message, "pid 1234 exited while unpin worked, or names another "
				     "process now: the 2 threads it changed are back on 2-3");
	expect_sets(want, ARRAY_LEN(want));
	assert_int_equal(find(1234)->mask, WANT);
	expect_no_record();
}

/* Pin, then unpin through the fakes: the threads go back, the record goes. */
static void test_unpin_restores(void **state)
{
	struct nl_pin_result res;
	struct nl_unpin_result ures;

	thread(1234, OLD, 1, LIVES);
	thread(1235, OLD, 1, LIVES);
	assert_int_equal(apply(&res), 0);
	assert_int_equal(unpin(&ures), 0);
	assert_int_equal(ures.refusal, NL_PIN_OK);
	assert_int_equal(ures.restored, 2);
	assert_int_equal(find(1234)->mask, OLD);
	assert_int_equal(find(1235)->mask, OLD);
	expect_no_record();
}

/* Pins 1234 and 1235, then plants something: unpin must refuse it, set
 * nothing, and leave the record where it is. */
static void expect_unpin_refused(const char *why)
{
	struct nl_unpin_result ures;
	int sets = fk.nr_set;

	assert_int_equal(unpin(&ures), -EPERM);
	assert_int_equal(ures.refusal, NL_PIN_UNTRUSTED);
	assert_int_equal(nl_pin_exit_status(ures.refusal), NL_EXIT_REFUSED);
	expect_message(ures.message, why);
	expect_message(ures.message, "nothing changed");
	assert_int_equal(fk.nr_set, sets);
	assert_int_equal(find(1234)->mask, WANT);
}

static void pinned(void)
{
	struct nl_pin_result res;

	thread(1234, OLD, 1, LIVES);
	thread(1235, OLD, 1, LIVES);
	assert_int_equal(apply(&res), 0);
}

/* A state directory everyone may write: anyone could have put the record. */
static void test_unpin_refuses_dir_writable_by_others(void **state)
{
	pinned();
	assert_int_equal(chmod(scratch, 0777), 0);
	expect_unpin_refused("is writable by every user (mode 0777)");
	assert_int_equal(chmod(scratch, 0770), 0);
	expect_unpin_refused("is writable by its group (mode 0770)");
}

/* A record writable by others, or a symlink to one: not believed. */
static void test_unpin_refuses_record_writable_or_symlink(void **state)
{
	char path[PATH_MAX + 16], moved[PATH_MAX + 16];

	pinned();
	record_path(path, sizeof(path));
	assert_int_equal(chmod(path, 0666), 0);
	expect_unpin_refused("the record 1234.pin is writable by others (mode 0666)");
	assert_int_equal(chmod(path, 0600), 0);
	snprintf(moved, sizeof(moved), "%s/elsewhere", scratch);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(symlink(moved, path), 0);
	expect_unpin_refused("the record 1234.pin is a symlink: not followed");
}

/* A record another user owns (as root: chown), in root's own directory. */
static void test_unpin_refuses_record_of_another_user(void **state)
{
	char path[PATH_MAX + 16];

	if (geteuid())
		skip_because("chown to another user needs root");
	pinned();
	record_path(path, sizeof(path));
	assert_int_equal(chown(path, 65534, 65534), 0);
	expect_unpin_refused("the record 1234.pin belongs to uid 65534, not to uid 0");
}

/* pin into a directory it may not trust: refused before any change, and
 * nothing written there. */
static void expect_pin_refused_in(const char *dir, const char *why)
{
	struct nl_pin_result res;
	char path[PATH_MAX + 32];

	thread(1234, OLD, 1, LIVES);
	assert_int_equal(apply_in(dir, &res), -EPERM);
	assert_int_equal(res.refusal, NL_PIN_UNTRUSTED);
	assert_false(res.pinned);
	expect_message(res.message, why);
	expect_message(res.message, "; nothing changed");
	assert_int_equal(fk.nr_set, 0);
	assert_int_equal(find(1234)->mask, OLD);
	snprintf(path, sizeof(path), "%s/%d.pin", dir, PID);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_pin_refuses_dir_writable_by_group(void **state)
{
	char dir[PATH_MAX + 8];

	snprintf(dir, sizeof(dir), "%s/g", scratch);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0770), 0);
	expect_pin_refused_in(dir, "is writable by its group (mode 0770)");
}

static void test_pin_refuses_dir_of_another_user(void **state)
{
	char dir[PATH_MAX + 8];

	if (geteuid())
		skip_because("chown to another user needs root");
	snprintf(dir, sizeof(dir), "%s/nobody", scratch);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chown(dir, 65534, 65534), 0);
	expect_pin_refused_in(dir, "belongs to uid 65534");
}

/* A state directory that does not exist yet is made 0700, the caller's. */
static void test_pin_creates_dir_0700(void **state)
{
	struct nl_pin_result res;
	char dir[PATH_MAX + 8];
	struct stat st;
	mode_t old = umask(0);

	snprintf(dir, sizeof(dir), "%s/new", scratch);
	thread(1234, OLD, 1, LIVES);
	assert_int_equal(apply_in(dir, &res), 0);
	umask(old);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_uid, geteuid());
}

/*
 * A symlink planted at the temporary name points at a file pin must not
 * touch: the record is written as a new file beside it, the symlink
 * removed, never followed.
 */
static void test_pin_does_not_follow_tmp_symlink(void **state)
{
	static const char precious[] = "root's own file\n";
	char victim[PATH_MAX + 16], tmp[PATH_MAX + 16], path[PATH_MAX + 16];
	struct nl_pin_result res;
	struct stat st;
	size_t len;
	char *text;

	snprintf(victim, sizeof(victim), "%s/victim", scratch);
	snprintf(tmp, sizeof(tmp), "%s/%d.pin.tmp", scratch, PID);
	scratch_write(scratch, "victim", precious, strlen(precious));
	assert_int_equal(chmod(victim, 0600), 0);
	assert_int_equal(symlink(victim, tmp), 0);
	thread(1234, OLD, 1, LIVES);

	assert_int_equal(apply(&res), 0);
	text = fixture_load(victim, &len);
	assert_string_equal(text, precious);
	free(text);
	assert_int_equal(lstat(tmp, &st), -1);
	record_path(path, sizeof(path));
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	expect_record(RECORD_HEAD "thread 1234 0-1\n");
}

/*
 * Pinned again: the record of the first pin is kept (its original affinity
 * is the one from before numalens), but the pin is the last change now: its
 * time, and no result, since what was verified was the earlier pin's.
 */
static void test_pin_again_is_the_last_change(void **state)
{
	static const char earlier[] = "pid 1234\nstart 123456\ncomm python3\ntarget 4-5\n"
				      "original 0-1\napplied 1000\nverified gain 3000\n"
				      "cpu 1000000 1000000\nthread 1234 0-1\n";
	struct nl_pin_result res;
	char path[PATH_MAX + 16];

	thread(1234, OLD << 4, 1, LIVES);
	scratch_write(scratch, "1234.pin", earlier, strlen(earlier));
	record_path(path, sizeof(path));
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(apply(&res), 0);
	assert_true(res.kept_record);
	assert_string_equal(res.before, "0-1");
	expect_record(RECORD_HEAD "thread 1234 0-1\n");
}

/*
 * A record whose comm line carries a second start line, as a name with a
 * newline made before comm was escaped: refused as malformed, and kept (it
 * is the only trace of the pin), not taken for a reused pid and removed.
 */
static void test_unpin_refuses_injected_line(void **state)
{
	static const char planted[] = "pid 1234\nstart 123456\ncomm a\nstart 1\ntarget 2-3\n"
				      "original 0-1\nthread 1234 0-1\n";
	struct nl_unpin_result ures;
	char path[PATH_MAX + 16];

	thread(1234, WANT, 1, LIVES);
	scratch_write(scratch, "1234.pin", planted, strlen(planted));
	record_path(path, sizeof(path));
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(unpin(&ures), -EINVAL);
	assert_int_equal(ures.refusal, NL_PIN_FAILED);
	expect_message(ures.message, "Invalid argument; nothing changed");
	assert_int_equal(fk.nr_set, 0);
	assert_int_equal(access(path, F_OK), 0);
}

/* Where the pages are, from a fake numa_maps: what migrate_pages counted
 * does not enter it. */
static int fake_numa_maps(int pid, struct nl_numa_maps *m, void *ctx)
{
	const uint64_t *per_node = ctx;

	memset(m, 0, sizeof(*m));
	if (pid != 1234)
		return -ENOENT;
	memcpy(m->node_bytes, per_node, 4 * sizeof(*per_node));
	return 0;
}

static void test_pages_off_target(void **state)
{
	/* 10 MiB left on node 0, none on 1, 1 MiB on 3; the target is 1-2. */
	uint64_t per_node[4] = { 10 << 20, 0, 50 << 20, 1 << 20 }, off, nodes;
	struct nl_pin_hooks h = { .numa_maps = fake_numa_maps, .ctx = per_node };

	assert_int_equal(nl_pin_pages_off(1234, 0x6, &h, &off, &nodes), 0);
	assert_int_equal(off, 11 << 20);
	assert_int_equal(nodes, 0x9);
	/* Everything on the target. */
	assert_int_equal(nl_pin_pages_off(1234, 0xf, &h, &off, &nodes), 0);
	assert_int_equal(off, 0);
	assert_int_equal(nodes, 0);
	/* Unreadable: the error, and nothing counted. */
	assert_int_equal(nl_pin_pages_off(99, 0x6, &h, &off, &nodes), -ENOENT);
	assert_int_equal(off, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_threads_appear_between_scans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_listed_after_a_clean_scan, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nothing_to_change_one_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_vanishes_before_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pid_reused_during_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pid_reused_during_unpin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unpin_restores, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unpin_refuses_dir_writable_by_others, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unpin_refuses_record_writable_or_symlink,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unpin_refuses_record_of_another_user, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pin_refuses_dir_writable_by_group, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pin_refuses_dir_of_another_user, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pin_creates_dir_0700, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin_does_not_follow_tmp_symlink, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unpin_refuses_injected_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin_again_is_the_last_change, setup, teardown),
		cmocka_unit_test(test_pages_off_target),
	};

	return cmocka_run_group_tests_name("pin_apply", tests, NULL, NULL);
}
