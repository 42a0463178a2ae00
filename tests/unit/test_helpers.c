// SPDX-License-Identifier: GPL-2.0
/*
 * The helpers the code shares instead of writing them again (issue 14):
 * the binary search by pid, the walk of /proc/PID/task and the reader of
 * one thread's stat, and the sysctl readers (kernel.numa_balancing), on
 * fake /proc trees made in a scratch directory.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "array.h"
#include "fixtures.h"
#include "pidsearch.h"
#include "procfs.h"
#include "sysstate.h"

/* ---- Binary search by pid ---- */

/* The pid not first, as in most of the tables searched. */
struct entry {
	uint64_t start_time_ns;
	uint32_t pid;
	char tag;
};

static void check_search(const struct entry *e, size_t nr, uint32_t pid, size_t want_index,
			 bool want_found)
{
	bool found = !want_found;
	size_t i = NL_PID_SEARCH(e, nr, pid, &found);

	assert_int_equal(i, want_index);
	assert_int_equal(found, want_found);
}

static void test_pid_search(void **state)
{
	const struct entry e[] = {
		{ .pid = 3, .tag = 'a' },	   { .pid = 10, .tag = 'b' },
		{ .pid = 11, .tag = 'c' },	   { .pid = 40, .tag = 'd' },
		{ .pid = UINT32_MAX, .tag = 'e' },
	};
	size_t nr = ARRAY_LEN(e), i;

	/* empty: nothing found, insert at 0 */
	check_search(e, 0, 3, 0, false);
	check_search(NULL, 0, 7, 0, false);
	/* first, last, each one */
	for (i = 0; i < nr; i++)
		check_search(e, nr, e[i].pid, i, true);
	/* absent: where it would go */
	check_search(e, nr, 0, 0, false);
	check_search(e, nr, 2, 0, false);
	check_search(e, nr, 4, 1, false);
	check_search(e, nr, 12, 3, false);
	check_search(e, nr, 41, 4, false);
	/* past the last: at nr */
	check_search(e, nr - 1, 41, nr - 1, false);
	check_search(e, 1, 4, 1, false);
	/* one entry */
	check_search(e, 1, 3, 0, true);
}

static void test_pid_search_offsets(void **state)
{
	/* The function form, for a plain array of pids. */
	const uint32_t pids[] = { 1, 5, 9 };
	bool found;

	assert_int_equal(nl_pid_search(pids, 3, sizeof(pids[0]), 0, 9, &found), 2);
	assert_true(found);
	assert_int_equal(nl_pid_search(pids, 3, sizeof(pids[0]), 0, 6, &found), 2);
	assert_false(found);
	assert_int_equal(nl_pid_search(pids, 3, sizeof(pids[0]), 0, 10, &found), 3);
	assert_false(found);
}

static void test_pid_listed(void **state)
{
	const uint32_t pids[] = { 40, 3, 17 };

	assert_false(nl_pid_listed(NULL, 0, 3));
	assert_true(nl_pid_listed(pids, 3, 40));
	assert_true(nl_pid_listed(pids, 3, 17));
	assert_false(nl_pid_listed(pids, 3, 4));
	assert_false(nl_pid_listed(pids, 2, 17));
}

/* ---- Arrays that grow ---- */

static void test_array_room(void **state)
{
	size_t cap = 0, nr;
	int *a = NULL, *room;

	for (nr = 0; nr < 9; nr++) {
		room = nl_array_room(a, nr, &cap, sizeof(*a), 4);
		assert_non_null(room);
		a = room;
		a[nr] = (int)nr;
	}
	assert_int_equal(cap, 16); /* 4, 8, 16 */
	for (nr = 0; nr < 9; nr++)
		assert_int_equal(a[nr], nr);
	/* room left: the same array, cap untouched */
	assert_ptr_equal(nl_array_room(a, 9, &cap, sizeof(*a), 4), a);
	assert_int_equal(cap, 16);
	/* no memory for it: NULL, the array and cap the caller's still */
	assert_null(nl_array_room(a, 16, &cap, SIZE_MAX / 8, 4));
	assert_int_equal(cap, 16);
	assert_int_equal(a[8], 8);
	free(a);
}

/* ---- The walk of /proc/PID/task ---- */

#define STAT_LINE                                                                 \
	"%d (worker) S 1 %d %d 0 -1 4194304 10 0 0 0 %d %d 0 0 20 0 1 0 100 0 0 " \
	"0 0 0 0 0 0 0 0 0 0 0 0 0 0 %d 0 0 0 0 0"

static void fake_thread(const char *root, int pid, int tid, int cpu)
{
	char rel[128], text[512];
	int len;

	len = snprintf(text, sizeof(text), STAT_LINE "\n", tid, pid, pid, tid, 2 * tid, cpu);
	snprintf(rel, sizeof(rel), "%d/task/%d/stat", pid, tid);
	scratch_write(root, rel, text, len);
}

static void remove_thread(const char *root, int pid, int tid)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%d/task/%d/stat", root, pid, tid);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/%d/task/%d", root, pid, tid);
	assert_int_equal(rmdir(path), 0);
}

struct seen {
	uint32_t tid[16];
	size_t nr;
	size_t stop_after; /* 0: never */
};

static int record(int tid, void *ctx)
{
	struct seen *s = ctx;

	assert_true(s->nr < ARRAY_LEN(s->tid));
	s->tid[s->nr++] = tid;
	return s->stop_after && s->nr == s->stop_after ? 42 : 0;
}

static bool has_tid(const struct seen *s, int tid)
{
	return nl_pid_listed(s->tid, s->nr, tid);
}

static void test_task_walk(void **state)
{
	struct seen s = { 0 };
	char root[256];

	scratch_dir(root, sizeof(root));
	nl_proc_root = root;
	fake_thread(root, 500, 500, 0);
	fake_thread(root, 500, 501, 1);
	fake_thread(root, 500, 507, 3);
	/* no thread ids: passed over */
	scratch_write(root, "500/task/self/stat", "", 0);
	scratch_write(root, "500/task/12x/stat", "", 0);
	scratch_write(root, "500/task/0/stat", "", 0);
	scratch_write(root, "500/task/-3/stat", "", 0);
	scratch_write(root, "500/task/99999999999/stat", "", 0);

	assert_int_equal(nl_task_walk(500, record, &s), 0);
	assert_int_equal(s.nr, 3);
	assert_true(has_tid(&s, 500) && has_tid(&s, 501) && has_tid(&s, 507));

	/* a thread ends, another starts: the next walk sees the tree as it is */
	remove_thread(root, 500, 501);
	fake_thread(root, 500, 512, 2);
	memset(&s, 0, sizeof(s));
	assert_int_equal(nl_task_walk(500, record, &s), 0);
	assert_int_equal(s.nr, 3);
	assert_true(has_tid(&s, 500) && has_tid(&s, 507) && has_tid(&s, 512));
	assert_false(has_tid(&s, 501));

	/* a visit that says stop ends the walk with its value */
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	assert_int_equal(nl_task_walk(500, record, &s), 42);
	assert_int_equal(s.nr, 2);

	/* the process is gone, or there never was one */
	memset(&s, 0, sizeof(s));
	assert_int_equal(nl_task_walk(600, record, &s), -ENOENT);
	assert_int_equal(s.nr, 0);
	nl_proc_root = FIXTURE("no-such-dir");
	assert_int_equal(nl_task_walk(500, record, &s), -ENOENT);
	nl_proc_root = "/proc";
	scratch_remove(root);
}

static void test_thread_stat_read(void **state)
{
	struct nl_proc_stat st;
	char root[256];

	scratch_dir(root, sizeof(root));
	nl_proc_root = root;
	fake_thread(root, 500, 507, 3);
	assert_int_equal(nl_thread_stat_read(500, 507, &st), 0);
	assert_int_equal(st.pid, 507);
	assert_string_equal(st.comm, "worker");
	assert_int_equal(st.utime_ticks, 507);
	assert_int_equal(st.stime_ticks, 2 * 507);
	assert_int_equal(st.processor, 3);
	/* exited */
	remove_thread(root, 500, 507);
	assert_int_equal(nl_thread_stat_read(500, 507, &st), -ENOENT);
	assert_int_equal(nl_thread_stat_read(600, 600, &st), -ENOENT);
	assert_int_equal(nl_thread_stat_read(500, 507, NULL), -EINVAL);
	nl_proc_root = "/proc";
	scratch_remove(root);
}

static void test_task_walk_self(void **state)
{
	struct seen s = { 0 };

	nl_proc_root = "/proc";
	assert_int_equal(nl_task_walk(getpid(), record, &s), 0);
	assert_true(has_tid(&s, getpid()));
}

/* ---- Sysctls ---- */

static void write_sysctl(const char *root, const char *name, const char *text)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "sys/%s", name);
	scratch_write(root, rel, text, strlen(text));
}

static void test_numa_balancing_read(void **state)
{
	static const struct {
		const char *text;
		int mode;
	} cases[] = {
		{ "0\n", 0 },
		{ "1\n", 1 },
		{ "2\n", 2 },
		{ "3\n", 3 },
		{ "1", 1 },
		{ "", -1 },
		{ "\n", -1 },
		{ "on\n", -1 },
		{ "1x\n", -1 },
		{ " 1\n", -1 },
		{ "-1\n", -1 },
		{ "1\n2\n", -1 },
		{ "99999999999\n", -1 },
	};
	char root[256];
	size_t i;

	scratch_dir(root, sizeof(root));
	nl_proc_root = root;
	/* missing: a kernel without NUMA balancing */
	assert_int_equal(nl_numa_balancing_read(), -1);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		write_sysctl(root, "kernel/numa_balancing", cases[i].text);
		if (nl_numa_balancing_read() != cases[i].mode)
			fail_msg("\"%s\": %d, not %d", cases[i].text, nl_numa_balancing_read(),
				 cases[i].mode);
	}
	nl_proc_root = "/proc";
	scratch_remove(root);
}

static void test_sysctl_int(void **state)
{
	char root[256];
	int v = 7;

	scratch_dir(root, sizeof(root));
	nl_proc_root = root;
	assert_int_equal(nl_sysctl_int("kernel/perf_event_paranoid", &v), -ENOENT);
	assert_int_equal(v, 7);
	write_sysctl(root, "kernel/perf_event_paranoid", "-1\n");
	assert_int_equal(nl_sysctl_int("kernel/perf_event_paranoid", &v), 0);
	assert_int_equal(v, -1);
	write_sysctl(root, "kernel/perf_event_paranoid", "2147483648\n");
	assert_int_equal(nl_sysctl_int("kernel/perf_event_paranoid", &v), -EINVAL);
	/* longer than any number: junk, not an error of its own */
	write_sysctl(root, "kernel/perf_event_paranoid",
		     "0000000000000000000000000000000000000000000000000001\n");
	assert_int_equal(nl_sysctl_int("kernel/perf_event_paranoid", &v), -EINVAL);
	assert_int_equal(v, -1);
	nl_proc_root = "/proc";
	scratch_remove(root);
}

/* Both of the system's files through the fake tree, not the host's. */
static void test_system_read_seam(void **state)
{
	const char *vmstat = "numa_hint_faults 17\nnuma_pages_migrated 5\n";
	struct nl_system sys;
	char root[256];

	scratch_dir(root, sizeof(root));
	nl_proc_root = root;
	assert_int_equal(nl_system_read(&sys), -ENOENT);
	assert_int_equal(sys.numa_balancing, -1);
	write_sysctl(root, "kernel/numa_balancing", "2\n");
	scratch_write(root, "vmstat", vmstat, strlen(vmstat));
	assert_int_equal(nl_system_read(&sys), 0);
	assert_int_equal(sys.numa_balancing, 2);
	assert_int_equal(sys.numa_hint_faults, 17);
	assert_int_equal(sys.numa_pages_migrated, 5);
	assert_int_equal(sys.promote_rate_limit_mbps, -1);
	write_sysctl(root, "kernel/numa_balancing_promote_rate_limit_MBps", "65536\n");
	assert_int_equal(nl_system_read(&sys), 0);
	assert_int_equal(sys.promote_rate_limit_mbps, 65536);
	nl_proc_root = "/proc";
	scratch_remove(root);
}

/* vm.stat_refresh is written "1" where it is; where not, the error says so. */
static void test_vmstat_flush(void **state)
{
	char root[256], path[512], buf[16] = "";
	FILE *f;

	scratch_dir(root, sizeof(root));
	nl_proc_root = root;
	assert_int_equal(nl_vmstat_flush(), -ENOENT);
	write_sysctl(root, "vm/stat_refresh", "");
	assert_int_equal(nl_vmstat_flush(), 0);
	snprintf(path, sizeof(path), "%s/sys/vm/stat_refresh", root);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "1\n");
	nl_proc_root = "/proc";
	scratch_remove(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid_search),     cmocka_unit_test(test_pid_search_offsets),
		cmocka_unit_test(test_pid_listed),     cmocka_unit_test(test_array_room),
		cmocka_unit_test(test_task_walk),      cmocka_unit_test(test_thread_stat_read),
		cmocka_unit_test(test_task_walk_self), cmocka_unit_test(test_numa_balancing_read),
		cmocka_unit_test(test_sysctl_int),     cmocka_unit_test(test_system_read_seam),
		cmocka_unit_test(test_vmstat_flush),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
