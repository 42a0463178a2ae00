// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers of /proc text. Expected values are worked out by hand from the
 * fixtures, in pages: bytes = pages * kernelpagesize_kB * 1024.
 */
#include "fixtures.h"

#include <limits.h>
#include <sys/prctl.h>

#include "collect.h"
#include "procfs.h"

#define PG 4096ULL /* kernelpagesize_kB=4 */

static void parse_fixture(const char *path, struct nl_numa_maps *m)
{
	size_t len;
	char *text = fixture_load(path, &len);
	char *copy = exact_copy(text, len);

	assert_int_equal(nl_numa_maps_parse(copy, len, m), 0);
	free(copy);
	free(text);
}

static void assert_nodes_zero_from(const struct nl_numa_maps *m, int first)
{
	int n;

	for (n = first; n < NL_MAX_NODES; n++)
		assert_int_equal(m->node_bytes[n], 0);
}

/* Sum over nodes equals the sum over kinds (clamped nodes are in neither). */
static void assert_balanced(const struct nl_numa_maps *m)
{
	uint64_t sum = 0;
	int n;

	for (n = 0; n < NL_MAX_NODES; n++)
		sum += m->node_bytes[n];
	assert_int_equal(sum, m->anon_bytes + m->file_bytes + m->huge_bytes);
}

/* The process fixture: python with heap, stack, file mappings, an escaped path, N0/N1/N3. */
static void check_process(const struct nl_numa_maps *m)
{
	/* N0: 150 (text) + 4 (data) + 600 (heap) + 10 (interleave) + 33 (stack) */
	assert_int_equal(m->node_bytes[0], 797 * PG);
	/* N1: 50 + 400 (heap) + 100 + 50 (bind:1) + 10 (interleave) */
	assert_int_equal(m->node_bytes[1], 610 * PG);
	assert_int_equal(m->node_bytes[2], 0);
	/* N3: 200 (anon) + 10 (file with \040, \075 and \011 in its path) */
	assert_int_equal(m->node_bytes[3], 210 * PG);
	assert_nodes_zero_from(m, 4);
	/* file: 150 + 50 + 4 (the data segment's COW pages stay file) + 10 */
	assert_int_equal(m->file_bytes, 214 * PG);
	/* anon: 1000 (heap) + 300 + 50 + 20 + 33 (stack) */
	assert_int_equal(m->anon_bytes, 1403 * PG);
	assert_int_equal(m->huge_bytes, 0);
	assert_int_equal(m->mappings, 10);
	assert_int_equal(m->bad_lines, 0);
	assert_int_equal(m->clamped_nodes, 0);
	assert_int_equal(m->truncated, 0);
	assert_balanced(m);
}

static void test_numa_maps_process(void **state)
{
	struct nl_numa_maps m;

	parse_fixture(FIXTURE("numa_maps/process"), &m);
	check_process(&m);
}

static void test_numa_maps_hugetlb(void **state)
{
	struct nl_numa_maps m;

	parse_fixture(FIXTURE("numa_maps/hugetlb"), &m);
	/* N0: one 2 MiB page (shared hugetlbfs file) + one 1 GiB page */
	assert_int_equal(m.node_bytes[0], 2 * MIB + 1 * GIB);
	/* N1=3 with kernelpagesize_kB=2048: 6 MiB */
	assert_int_equal(m.node_bytes[1], 6 * MIB);
	assert_int_equal(m.node_bytes[2], 2 * MIB);
	assert_nodes_zero_from(&m, 3);
	/* Anonymous hugetlb shows as file=/anon_hugepage: still huge. */
	assert_int_equal(m.huge_bytes, 10 * MIB + 1 * GIB);
	assert_int_equal(m.file_bytes, 0);
	assert_int_equal(m.anon_bytes, 0);
	assert_int_equal(m.mappings, 4);
	assert_int_equal(m.bad_lines, 0);
	assert_balanced(&m);
}

static void test_numa_maps_thp(void **state)
{
	struct nl_numa_maps m;

	parse_fixture(FIXTURE("numa_maps/thp"), &m);
	/* THP counts base pages with kernelpagesize_kB=4: N0 = 1024 + 512 */
	assert_int_equal(m.node_bytes[0], 6 * MIB);
	/* N1 = 1024 + 5 */
	assert_int_equal(m.node_bytes[1], 1029 * PG);
	assert_int_equal(m.anon_bytes, 2565 * PG);
	assert_int_equal(m.huge_bytes, 0);
	assert_int_equal(m.file_bytes, 0);
	assert_int_equal(m.mappings, 3);
	assert_balanced(&m);
}

static void test_numa_maps_odd_lines(void **state)
{
	struct nl_numa_maps m;

	parse_fixture(FIXTURE("numa_maps/odd"), &m);
	/*
	 * Good: /bin/true (file N0=1), unknown tokens (N0=1 N1=2), N64/N200
	 * clamped with N2=2, "prefer (many)" (N1=1), "weighted interleave"
	 * (N0..N3 = 1), bind=static (N1=2), the last line without newline (N3=1).
	 * Bad: non-hex address, no policy, anon=x, N0=, N=1, kernelpagesize_kB=0,
	 * a 20-digit count, no address, policy "N0=5". The blank line is skipped.
	 */
	assert_int_equal(m.mappings, 7);
	assert_int_equal(m.bad_lines, 9);
	assert_int_equal(m.clamped_nodes, 2);
	assert_int_equal(m.node_bytes[0], 3 * PG);
	assert_int_equal(m.node_bytes[1], 6 * PG);
	assert_int_equal(m.node_bytes[2], 3 * PG);
	assert_int_equal(m.node_bytes[3], 2 * PG);
	assert_nodes_zero_from(&m, 4);
	assert_int_equal(m.file_bytes, 1 * PG);
	assert_int_equal(m.anon_bytes, 13 * PG);
	assert_int_equal(m.huge_bytes, 0);
	assert_balanced(&m);
}

static void test_numa_maps_no_final_newline(void **state)
{
	struct nl_numa_maps m;

	parse_fixture(FIXTURE("numa_maps/nonewline"), &m);
	assert_int_equal(m.mappings, 2);
	assert_int_equal(m.node_bytes[0], 2 * PG);
	/* 3 anon + 7 file pages, the latter without kernelpagesize_kB (4 kB then) */
	assert_int_equal(m.node_bytes[1], 10 * PG);
	assert_int_equal(m.anon_bytes, 5 * PG);
	assert_int_equal(m.file_bytes, 7 * PG);
}

static void test_numa_maps_page_size_after_nodes(void **state)
{
	const char text[] =
		"7f0000000000 default file=/dev/hugepages/x huge N1=3 kernelpagesize_kB=2048\n"
		"7f1000000000 default anon=2 N1=1 N0=1\n"
		"7f2000000000 default anon=2 N5=2 N5=3 kernelpagesize_kB=16\n";
	struct nl_numa_maps m;

	assert_int_equal(nl_numa_maps_parse(text, strlen(text), &m), 0);
	assert_int_equal(m.node_bytes[1], 6 * MIB + 4 * KIB);
	assert_int_equal(m.node_bytes[0], 4 * KIB);
	/* the same node twice adds up: 5 pages of 16 kB */
	assert_int_equal(m.node_bytes[5], 80 * KIB);
	assert_int_equal(m.huge_bytes, 6 * MIB);
	assert_int_equal(m.anon_bytes, 88 * KIB);
	assert_int_equal(m.mappings, 3);
}

static void test_numa_maps_nul_bytes(void **state)
{
	const char text[] = "7f00 default anon=1 N0=1\0 kernelpagesize_kB=4\n"
			    "\0\n"
			    "7f01 default anon=2 N1=2 kernelpagesize_kB=4\n"
			    "7f02 default\0file=/x N2=1 kernelpagesize_kB=4";
	struct nl_numa_maps m;

	assert_int_equal(nl_numa_maps_parse(text, sizeof(text) - 1, &m), 0);
	/* "N0=1\0" and the lone NUL are bad; "default\0file=/x" is an unknown policy, anon */
	assert_int_equal(m.bad_lines, 2);
	assert_int_equal(m.mappings, 2);
	assert_int_equal(m.node_bytes[0], 0);
	assert_int_equal(m.node_bytes[1], 2 * PG);
	assert_int_equal(m.node_bytes[2], 1 * PG);
	assert_int_equal(m.anon_bytes, 3 * PG);
}

static void test_numa_maps_stops_at_len(void **state)
{
	const char text[] = "7f00 default anon=12 N0=12 kernelpagesize_kB=2048\n";
	struct nl_numa_maps m;
	char *copy;
	size_t cut = strstr(text, "N0=1") + 4 - text;

	/* "N0=1" is all there is: 1 page of 4 kB, the page size is beyond len */
	copy = exact_copy(text, cut);
	assert_int_equal(nl_numa_maps_parse(copy, cut, &m), 0);
	free(copy);
	assert_int_equal(m.node_bytes[0], PG);
	assert_int_equal(m.mappings, 1);

	assert_int_equal(nl_numa_maps_parse(text, 0, &m), 0);
	assert_int_equal(m.mappings, 0);
	assert_int_equal(m.bad_lines, 0);
	assert_int_equal(nl_numa_maps_parse("\n\n \n", 4, &m), 0);
	assert_int_equal(m.mappings + m.bad_lines, 0);
}

static void test_numa_maps_overflow(void **state)
{
	const char text[] =
		"7f00 default N0=18446744073709551615 kernelpagesize_kB=4\n"
		"7f01 default N0=1 kernelpagesize_kB=18446744073709551615\n"
		"7f02 default N0=9223372036854775807 N0=9223372036854775807 N0=2\n"
		"7f03 default N0=4503599627370495 N1=4503599627370495 N2=4503599627370495 "
		"N3=4503599627370495 N4=4503599627370495 kernelpagesize_kB=1\n"
		"7f04 default N7=1\n";
	struct nl_numa_maps m;

	assert_int_equal(nl_numa_maps_parse(text, strlen(text), &m), 0);
	/* the fourth overflows only when the nodes are added up */
	assert_int_equal(m.bad_lines, 4);
	assert_int_equal(m.mappings, 1);
	assert_int_equal(m.node_bytes[0], 0);
	assert_int_equal(m.node_bytes[7], PG);
}

static void test_numa_maps_null(void **state)
{
	struct nl_numa_maps m;

	assert_int_equal(nl_numa_maps_parse(NULL, 0, &m), -EINVAL);
	assert_int_equal(nl_numa_maps_parse("", 0, NULL), -EINVAL);
	assert_int_equal(nl_numa_maps_read(1, 0, NULL), -EINVAL);
}

static void test_numa_maps_read_fixture(void **state)
{
	struct nl_numa_maps m;

	nl_proc_root = FIXTURE("proc");
	assert_int_equal(nl_numa_maps_read(1234, 0, &m), 0);
	check_process(&m);
	/* a limit beyond the file's size changes nothing */
	assert_int_equal(nl_numa_maps_read(1234, 1 << 20, &m), 0);
	check_process(&m);

	assert_int_equal(nl_numa_maps_read(77, 0, &m), 0);
	assert_int_equal(m.node_bytes[1], 6 * MIB);
	assert_int_equal(m.huge_bytes, 10 * MIB + 1 * GIB);
}

static void test_numa_maps_read_missing(void **state)
{
	struct nl_numa_maps m;

	nl_proc_root = FIXTURE("proc");
	assert_int_equal(nl_numa_maps_read(999999, 0, &m), -ENOENT);
	nl_proc_root = FIXTURE("no-such-dir");
	assert_int_equal(nl_numa_maps_read(1234, 0, &m), -ENOENT);
	nl_proc_root = "/proc";
	assert_int_equal(nl_numa_maps_read(INT_MAX, 0, &m), -ENOENT);
}

/* A generated file of nr lines alternating N0/N1, one page each; returns its size. */
static size_t write_big_maps(const char *dir, int pid, int nr, size_t *first10)
{
	size_t cap = (size_t)nr * 96 + 96, len = 0;
	char *text = malloc(cap), rel[64];
	int i;

	assert_non_null(text);
	for (i = 0; i < nr; i++) {
		len += snprintf(
			text + len, cap - len,
			"7f%010x default anon=1 dirty=1 active=0 N%d=1 kernelpagesize_kB=4\n",
			i * 4096, i % 2);
		if (i == 9 && first10)
			*first10 = len;
	}
	snprintf(rel, sizeof(rel), "%d/numa_maps", pid);
	scratch_write(dir, rel, text, len);
	free(text);
	return len;
}

static void test_numa_maps_read_large(void **state)
{
	struct nl_numa_maps m;
	char dir[256];

	scratch_dir(dir, sizeof(dir));
	nl_proc_root = dir;
	write_big_maps(dir, 42, 150000, NULL);
	assert_int_equal(nl_numa_maps_read(42, 0, &m), 0);
	assert_int_equal(m.mappings, 150000);
	assert_int_equal(m.bad_lines, 0);
	assert_int_equal(m.node_bytes[0], 75000 * PG);
	assert_int_equal(m.node_bytes[1], 75000 * PG);
	assert_int_equal(m.anon_bytes, 150000 * PG);
	assert_int_equal(m.truncated, 0);
	scratch_remove(dir);
}

static void test_numa_maps_read_max_bytes(void **state)
{
	struct nl_numa_maps m;
	size_t first10, size;
	char dir[256];

	scratch_dir(dir, sizeof(dir));
	nl_proc_root = dir;
	size = write_big_maps(dir, 43, 3000, &first10);

	/* in the middle of line 11: 10 lines, the partial one dropped */
	assert_int_equal(nl_numa_maps_read(43, first10 + 5, &m), 0);
	assert_int_equal(m.truncated, 1);
	assert_int_equal(m.mappings, 10);
	assert_int_equal(m.bad_lines, 0);
	assert_int_equal(m.node_bytes[0], 5 * PG);
	assert_int_equal(m.node_bytes[1], 5 * PG);

	/* at a line's end, more to come */
	assert_int_equal(nl_numa_maps_read(43, first10, &m), 0);
	assert_int_equal(m.truncated, 1);
	assert_int_equal(m.mappings, 10);

	/* exactly the file's size: all of it, not truncated */
	assert_int_equal(nl_numa_maps_read(43, size, &m), 0);
	assert_int_equal(m.truncated, 0);
	assert_int_equal(m.mappings, 3000);
	assert_true(size > 64 * KIB + 1000);

	/* past the size of the reader's buffer */
	assert_int_equal(nl_numa_maps_read(43, 64 * KIB + 1000, &m), 0);
	assert_int_equal(m.truncated, 1);
	/* the generated lines have the same length */
	assert_int_equal(m.mappings, (64 * KIB + 1000) / (first10 / 10));
	assert_int_equal(m.bad_lines, 0);
	scratch_remove(dir);
}

static void test_numa_maps_read_long_line(void **state)
{
	size_t path_len = 200 * 1024, len = 0;
	char dir[256], *text = malloc(path_len + 512);
	struct nl_numa_maps m;

	assert_non_null(text);
	len += sprintf(text, "7f00 default anon=1 N0=1 kernelpagesize_kB=4\n7f01 default file=/");
	memset(text + len, 'a', path_len);
	len += path_len;
	len += sprintf(text + len,
		       " N0=5 kernelpagesize_kB=4\n7f02 default anon=1 N1=1 kernelpagesize_kB=4");
	scratch_dir(dir, sizeof(dir));
	scratch_write(dir, "44/numa_maps", text, len);
	nl_proc_root = dir;
	assert_int_equal(nl_numa_maps_read(44, 0, &m), 0);
	/* the 200 kB line is skipped as bad, the lines around it are read */
	assert_int_equal(m.bad_lines, 1);
	assert_int_equal(m.mappings, 2);
	assert_int_equal(m.node_bytes[0], PG);
	assert_int_equal(m.node_bytes[1], PG);
	free(text);
	scratch_remove(dir);
}

static void test_numa_maps_read_self(void **state)
{
	struct nl_numa_maps m;
	uint64_t sum = 0;
	int n;

	nl_proc_root = "/proc";
	assert_int_equal(nl_numa_maps_read(getpid(), 0, &m), 0);
	for (n = 0; n < NL_MAX_NODES; n++)
		sum += m.node_bytes[n];
	assert_true(m.mappings > 10);
	assert_int_equal(m.bad_lines, 0);
	assert_true(m.file_bytes > 0);
	assert_true(m.anon_bytes > 0);
	assert_true(sum > 0);
	assert_balanced(&m);
}

static void test_stat_fixture(void **state)
{
	struct nl_proc_stat st;
	size_t len;
	char *text = fixture_load(FIXTURE("proc/1234/stat"), &len);

	assert_int_equal(nl_proc_stat_parse(text, len, &st), 0);
	assert_int_equal(st.pid, 1234);
	assert_string_equal(st.comm, "python3");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 1200);
	assert_int_equal(st.flags, 4194560);
	assert_int_equal(st.utime_ticks, 150);
	assert_int_equal(st.stime_ticks, 75);
	assert_int_equal(st.num_threads, 8);
	assert_int_equal(st.starttime_ticks, 123456);
	assert_int_equal(st.rss_pages, 1500);
	assert_int_equal(st.processor, 3);
	free(text);
}

static void test_stat_comm_parens(void **state)
{
	struct nl_proc_stat st;
	size_t len;
	char *text = fixture_load(FIXTURE("proc/4321/stat"), &len);

	assert_int_equal(nl_proc_stat_parse(text, len, &st), 0);
	assert_int_equal(st.pid, 4321);
	assert_string_equal(st.comm, "a) b (c) d");
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.flags, 1077936192);
	assert_int_equal(st.utime_ticks, 4294967295ULL);
	assert_int_equal(st.stime_ticks, 12);
	assert_int_equal(st.num_threads, 3);
	assert_int_equal(st.starttime_ticks, 9876543210ULL);
	assert_int_equal(st.rss_pages, 250);
	assert_int_equal(st.processor, 1);
	free(text);

	/* ") R 1" inside comm: the last ')' closes it */
	const char tricky[] = "9 ()) R 1 (x) S) S 2 0 0 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 7\n";

	assert_int_equal(nl_proc_stat_parse(tricky, strlen(tricky), &st), 0);
	assert_string_equal(st.comm, ")) R 1 (x) S");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 2);
	assert_int_equal(st.utime_ticks, 1);
	assert_int_equal(st.stime_ticks, 2);
	assert_int_equal(st.starttime_ticks, 5);
	assert_int_equal(st.rss_pages, 7);
}

static void test_stat_long_comm(void **state)
{
	struct nl_proc_stat st;
	size_t len;
	char *text = fixture_load(FIXTURE("proc/77/stat"), &len);

	/* a kworker's name is longer than TASK_COMM_LEN: cut to 15 bytes */
	assert_int_equal(nl_proc_stat_parse(text, len, &st), 0);
	assert_int_equal(st.pid, 77);
	assert_string_equal(st.comm, "kworker/u16:3-e");
	assert_int_equal(st.state, 'I');
	assert_int_equal(st.ppid, 2);
	assert_int_equal(st.processor, 0);
	free(text);

	const char empty[] = "5 () S 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0 9";

	assert_int_equal(nl_proc_stat_parse(empty, strlen(empty), &st), 0);
	assert_string_equal(st.comm, "");
	assert_int_equal(st.starttime_ticks, 9);
}

static void test_stat_fewer_fields(void **state)
{
	/* fields up to starttime (22), then up to rss (24) */
	const char to22[] = "10 (old) S 1 10 10 0 -1 64 0 0 0 0 3 4 0 0 20 0 2 0 777";
	const char to24[] = "10 (old) S 1 10 10 0 -1 64 0 0 0 0 3 4 0 0 20 0 2 0 777 1000 55\n";
	const char to21[] = "10 (old) S 1 10 10 0 -1 64 0 0 0 0 3 4 0 0 20 0 2 0\n";
	struct nl_proc_stat st;

	assert_int_equal(nl_proc_stat_parse(to22, strlen(to22), &st), 0);
	assert_int_equal(st.starttime_ticks, 777);
	assert_int_equal(st.num_threads, 2);
	assert_int_equal(st.flags, 64);
	assert_int_equal(st.rss_pages, 0);
	assert_int_equal(st.processor, -1);

	assert_int_equal(nl_proc_stat_parse(to24, strlen(to24), &st), 0);
	assert_int_equal(st.rss_pages, 55);
	assert_int_equal(st.processor, -1);

	assert_int_equal(nl_proc_stat_parse(to21, strlen(to21), &st), -EINVAL);
}

static void test_stat_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"1234",
		"1234 (bash S 1 2",
		"1234 bash) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
		"(bash) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
		"-5 (bash) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
		"12x (bash) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
		"99999999999 (bash) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
		"1234 (bash) SS 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
		"1234 (bash) S x 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
		"1234 (bash) S 1 1 1 0 -1 4294967296 0 0 0 0 0 0 0 0 20 0 1 0 5",
		"1234 (bash) S 1 1 1 0 -1 0 0 0 0 0 -1 0 0 0 20 0 1 0 5",
		"1234 (bash) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 18446744073709551616",
		/* processor (39) not a number */
		("1234 (bash) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0 "
		 "0 0 0 0 0 0 0 0 0 0 0 0 0 0 x"),
	};
	struct nl_proc_stat st;
	size_t i;

	for (i = 0; i < ARRAY_LEN(bad); i++) {
		char *copy = exact_copy(bad[i], strlen(bad[i]));

		if (nl_proc_stat_parse(copy, strlen(bad[i]), &st) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
		free(copy);
	}
	assert_int_equal(nl_proc_stat_parse(NULL, 0, &st), -EINVAL);
	assert_int_equal(nl_proc_stat_parse("1 (a) S", 7, NULL), -EINVAL);
}

static void test_stat_read(void **state)
{
	struct nl_proc_stat st;

	nl_proc_root = FIXTURE("proc");
	assert_int_equal(nl_proc_stat_read(4321, &st), 0);
	assert_string_equal(st.comm, "a) b (c) d");
	assert_int_equal(st.processor, 1);
	assert_int_equal(nl_proc_stat_read(999999, &st), -ENOENT);
	assert_int_equal(nl_proc_stat_read(1234, NULL), -EINVAL);
}

static void test_stat_read_self(void **state)
{
	struct nl_proc_stat st;
	char name[NL_COMM_LEN] = { 0 };

	nl_proc_root = "/proc";
	assert_int_equal(prctl(PR_GET_NAME, name), 0);
	assert_int_equal(nl_proc_stat_read(getpid(), &st), 0);
	assert_int_equal(st.pid, getpid());
	assert_int_equal(st.ppid, getppid());
	assert_string_equal(st.comm, name);
	assert_int_equal(st.state, 'R');
	assert_true(st.num_threads >= 1);
	assert_true(st.rss_pages > 0);
	assert_true(st.processor >= 0);
	assert_true(st.starttime_ticks > 0);
	assert_int_equal(nl_proc_stat_read(INT_MAX, &st), -ENOENT);
}

static void assert_bits(const uint64_t *bits, size_t nbits, const char *expect)
{
	char got[512];
	size_t i, n = 0;

	for (i = 0; i < nbits && n + 1 < sizeof(got); i++)
		got[n++] = (bits[i / 64] >> (i % 64)) & 1 ? '1' : '0';
	got[n] = '\0';
	assert_string_equal(got, expect);
}

static void test_status_fields(void **state)
{
	const char text[] = "Name:\tsh\nUid:\t1000\t1001\t1000\t1000\n"
			    "Cpus_allowed:\tff\nCpus_allowed_list:\t0-3,64\n"
			    "Mems_allowed_list:\t1\n";
	struct nl_proc_status st;

	assert_int_equal(nl_proc_status_parse(text, sizeof(text) - 1, &st), 0);
	assert_true(st.ids_known);
	assert_int_equal(st.uid, 1000);
	assert_int_equal(st.euid, 1001);
	assert_true(st.affinity_known);
	assert_int_equal(st.affinity[0], 0xf);
	assert_int_equal(st.affinity[1], 1);
	assert_true(st.mems_known);
	assert_int_equal(st.mems, 2);
}

/* The ids are the Uid line's own: not read from the next line, not a
 * negative or 33-bit number taken modulo 2^32. */
static void test_status_bad_ids(void **state)
{
	static const char *const bad[] = {
		"Uid:\t\n1000\t1000\n",	       "Uid:\t1000\n1000\n",  "Uid:\t-1\t-1\t0\t0\n",
		"Uid:\t4294967296\t0\t0\t0\n", "Uid:\t+5\t5\t5\t5\n",
	};
	struct nl_proc_status st;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(nl_proc_status_parse(bad[i], strlen(bad[i]), &st), -EINVAL);
		assert_false(st.ids_known);
	}
}

static void test_cpulist_basic(void **state)
{
	uint64_t bits[2];
	const char *text = "0-3,8,10-11\n";

	assert_int_equal(nl_cpulist_parse(text, strlen(text), bits, 16), 7);
	assert_bits(bits, 16, "1111000010110000");
	assert_int_equal(nl_cpulist_parse("5", 1, bits, 16), 1);
	assert_bits(bits, 16, "0000010000000000");
	/* across a word */
	assert_int_equal(nl_cpulist_parse("62-65,127", 9, bits, 128), 5);
	assert_int_equal(bits[0], 3ULL << 62);
	assert_int_equal(bits[1], 3ULL | 1ULL << 63);
	/* overlapping ranges count each id once */
	assert_int_equal(nl_cpulist_parse("0-3,2-5,5", 9, bits, 16), 6);
	assert_int_equal(nl_cpulist_parse("0-127", 5, bits, 128), 128);
	assert_int_equal(bits[0], UINT64_MAX);
	assert_int_equal(bits[1], UINT64_MAX);
}

static void test_cpulist_empty_and_space(void **state)
{
	uint64_t bits[1] = { ~0ULL };

	assert_int_equal(nl_cpulist_parse("", 0, bits, 64), 0);
	assert_int_equal(bits[0], 0);
	bits[0] = ~0ULL;
	assert_int_equal(nl_cpulist_parse("\n", 1, bits, 64), 0);
	assert_int_equal(bits[0], 0);
	assert_int_equal(nl_cpulist_parse(" \t\n", 3, bits, 64), 0);
	assert_int_equal(nl_cpulist_parse(NULL, 0, bits, 64), 0);
	assert_int_equal(nl_cpulist_parse("  1-2 \n\n", 8, bits, 64), 2);
	assert_int_equal(bits[0], 6);
	/* a NUL ends the text (a length that counts the terminator) */
	assert_int_equal(nl_cpulist_parse("1-2\n\0garbage", 12, bits, 64), 2);
	/* nothing read past len */
	assert_int_equal(nl_cpulist_parse("1-29", 3, bits, 64), 2);
	assert_int_equal(bits[0], 6);
}

static void test_cpulist_invalid(void **state)
{
	static const char *const bad[] = {
		"3-1",	   "a",	    "1,,2", "1,",    ",1",   "1-",   "-1",   "1--2",
		"1-3:2/4", "0-7:1", "1 2",  "0x1",   "+1",   "1;2",  "1\n2", "1-2-3",
		" , ",	   "1,\n",  "٣",    "1\t,2", "2-1,", "0-\n", ",",    "1 - 2",
	};
	uint64_t bits[2];
	size_t i;

	for (i = 0; i < ARRAY_LEN(bad); i++) {
		char *copy = exact_copy(bad[i], strlen(bad[i]));
		int ret;

		bits[0] = bits[1] = 0;
		ret = nl_cpulist_parse(copy, strlen(bad[i]), bits, 128);
		if (ret != -EINVAL)
			fail_msg("\"%s\": %d", bad[i], ret);
		/* nothing left set on error */
		assert_int_equal(bits[0] | bits[1], 0);
		free(copy);
	}
	assert_int_equal(nl_cpulist_parse("1", 1, NULL, 64), -EINVAL);
	assert_int_equal(nl_cpulist_parse(NULL, 1, bits, 64), -EINVAL);
}

static void test_cpulist_range(void **state)
{
	uint64_t bits[2];

	assert_int_equal(nl_cpulist_parse("0-63", 4, bits, 64), 64);
	assert_int_equal(nl_cpulist_parse("64", 2, bits, 64), -ERANGE);
	assert_int_equal(nl_cpulist_parse("0-64", 4, bits, 64), -ERANGE);
	assert_int_equal(bits[0], 0);
	assert_int_equal(nl_cpulist_parse("0,99", 4, bits, 100), 2);
	assert_int_equal(nl_cpulist_parse("0,100", 5, bits, 100), -ERANGE);
	assert_int_equal(nl_cpulist_parse("0", 1, bits, 0), -ERANGE);
	assert_int_equal(nl_cpulist_parse("", 0, bits, 0), 0);
	/* overflow of the number itself */
	assert_int_equal(nl_cpulist_parse("99999999999999999999999", 23, bits, 128), -ERANGE);
	assert_int_equal(nl_cpulist_parse("0-18446744073709551616", 22, bits, 128), -ERANGE);
	assert_int_equal(nl_cpulist_parse("4294967297", 10, bits, 128), -ERANGE);
}

static void test_read_file(void **state)
{
	char buf[64], small[8], dir[256], path[300];
	int len;

	len = nl_read_file(FIXTURE("sysfs/two-node/devices/system/node/node1/cpulist"), buf,
			   sizeof(buf));
	assert_int_equal(len, 10);
	assert_string_equal(buf, "4-7,12-15\n");
	assert_int_equal(nl_read_file(FIXTURE("no-such-file"), buf, sizeof(buf)), -ENOENT);
	assert_int_equal(nl_read_file(FIXTURE("sysfs"), buf, sizeof(buf)), -EISDIR);
	/* 10 bytes do not fit in 8 - 1 */
	assert_int_equal(nl_read_file(FIXTURE("sysfs/two-node/devices/system/node/node1/cpulist"),
				      small, sizeof(small)),
			 -EFBIG);
	assert_int_equal(nl_read_file(FIXTURE("sysfs/two-node/devices/system/node/node1/cpulist"),
				      buf, 11),
			 10);
	assert_int_equal(nl_read_file("x", buf, 0), -EINVAL);

	scratch_dir(dir, sizeof(dir));
	scratch_write(dir, "empty", "", 0);
	snprintf(path, sizeof(path), "%s/empty", dir);
	assert_int_equal(nl_read_file(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	scratch_remove(dir);

	/* a live procfs file bigger than the buffer */
	assert_int_equal(nl_read_file("/proc/self/stat", buf, sizeof(buf)), -EFBIG);
}

/* A thread's stat: utime ticks (stime 0), the CPU it last ran on, and its
 * process's start (ticks after boot). */
static void write_thread(const char *dir, int pid, int tid, uint64_t ticks, int cpu, int start)
{
	char rel[64], text[512];
	int i;

	snprintf(text, sizeof(text),
		 "%d (w) S 1 %d %d 0 -1 4194304 100 0 0 0 %llu 0 0 0 20 0 3 0 %d 123456 300 "
		 "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 %d 0 0 0 0 0\n",
		 tid, pid, pid, (unsigned long long)ticks, start, cpu);
	for (i = 0; i < 2; i++) {
		if (i)
			snprintf(rel, sizeof(rel), "%d/task/%d/stat", pid, tid);
		else if (tid == pid)
			snprintf(rel, sizeof(rel), "%d/stat", pid);
		else
			continue;
		scratch_write(dir, rel, text, strlen(text));
	}
}

/*
 * The collector without BPF (pin --node N): a thread's ticks since the last
 * read go to the node of the CPU it last ran on, a new thread's all of
 * them; a pid reused starts from zero; a process gone leaves the table.
 */
static void test_proc_collector(void **state)
{
	static struct nl_topology topo;
	const uint32_t pids[] = { 77, 88 };
	struct nl_proc_collector *c;
	struct nl_sample_table t;
	char dir[256], path[512];
	long hz = sysconf(_SC_CLK_TCK);

	memset(&topo, 0, sizeof(topo));
	topo.nr_node_ids = topo.nr_nodes = 2;
	topo.nr_cpu_ids = 2;
	topo.cpu_node[0] = 0;
	topo.cpu_node[1] = 1;
	scratch_dir(dir, sizeof(dir));
	nl_proc_root = dir;
	write_thread(dir, 77, 77, 10, 0, 500);
	write_thread(dir, 77, 78, 20, 1, 500);
	nl_sample_table_init(&t, 2);
	assert_int_equal(nl_proc_collector_open(&topo, 2, pids, 2, &c), 0);

	/* The first read is where the counting starts; 88 is not there. */
	assert_int_equal(nl_proc_collector_read(c, &t), 0);
	assert_int_equal(t.nr, 1);
	assert_int_equal(t.procs[0].pid, 77);
	assert_int_equal(t.procs[0].nr_threads, 2);
	assert_int_equal(t.procs[0].start_time_ns, 500 * 1000000000ull / hz);
	assert_string_equal(t.procs[0].comm, "w");
	assert_int_equal(nl_sample_nodes(&t, 0)[0].cpu_ns, 0);
	assert_int_equal(nl_sample_nodes(&t, 0)[1].cpu_ns, 0);

	/* 77 ran 20 ticks, now on CPU 1; 78 ran 5, now on CPU 0; 79 is new
	 * with 7, on CPU 0. */
	write_thread(dir, 77, 77, 30, 1, 500);
	write_thread(dir, 77, 78, 25, 0, 500);
	write_thread(dir, 77, 79, 7, 0, 500);
	assert_int_equal(nl_proc_collector_read(c, &t), 0);
	assert_int_equal(t.nr, 1);
	assert_int_equal(t.procs[0].nr_threads, 3);
	assert_int_equal(nl_sample_nodes(&t, 0)[0].cpu_ns, 12 * 1000000000ull / hz);
	assert_int_equal(nl_sample_nodes(&t, 0)[1].cpu_ns, 20 * 1000000000ull / hz);

	/* The pid names another process now: from zero again. */
	snprintf(path, sizeof(path), "%s/77", dir);
	scratch_remove(path);
	write_thread(dir, 77, 77, 90, 1, 600);
	assert_int_equal(nl_proc_collector_read(c, &t), 0);
	assert_int_equal(t.nr, 1);
	assert_int_equal(t.procs[0].nr_threads, 1);
	assert_int_equal(nl_sample_nodes(&t, 0)[0].cpu_ns, 0);
	assert_int_equal(nl_sample_nodes(&t, 0)[1].cpu_ns, 0);

	/* Gone. */
	scratch_remove(path);
	assert_int_equal(nl_proc_collector_read(c, &t), 0);
	assert_int_equal(t.nr, 0);

	nl_proc_collector_free(c);
	nl_sample_table_free(&t);
	scratch_remove(dir);
}

static int reset_root(void **state)
{
	nl_proc_root = "/proc";
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numa_maps_process),
		cmocka_unit_test(test_numa_maps_hugetlb),
		cmocka_unit_test(test_numa_maps_thp),
		cmocka_unit_test(test_numa_maps_odd_lines),
		cmocka_unit_test(test_numa_maps_no_final_newline),
		cmocka_unit_test(test_numa_maps_page_size_after_nodes),
		cmocka_unit_test(test_numa_maps_nul_bytes),
		cmocka_unit_test(test_numa_maps_stops_at_len),
		cmocka_unit_test(test_numa_maps_overflow),
		cmocka_unit_test(test_numa_maps_null),
		cmocka_unit_test_teardown(test_numa_maps_read_fixture, reset_root),
		cmocka_unit_test_teardown(test_proc_collector, reset_root),
		cmocka_unit_test_teardown(test_numa_maps_read_missing, reset_root),
		cmocka_unit_test_teardown(test_numa_maps_read_large, reset_root),
		cmocka_unit_test_teardown(test_numa_maps_read_max_bytes, reset_root),
		cmocka_unit_test_teardown(test_numa_maps_read_long_line, reset_root),
		cmocka_unit_test_teardown(test_numa_maps_read_self, reset_root),
		cmocka_unit_test(test_stat_fixture),
		cmocka_unit_test(test_stat_comm_parens),
		cmocka_unit_test(test_stat_long_comm),
		cmocka_unit_test(test_stat_fewer_fields),
		cmocka_unit_test(test_stat_malformed),
		cmocka_unit_test(test_status_fields),
		cmocka_unit_test(test_status_bad_ids),
		cmocka_unit_test_teardown(test_stat_read, reset_root),
		cmocka_unit_test_teardown(test_stat_read_self, reset_root),
		cmocka_unit_test(test_cpulist_basic),
		cmocka_unit_test(test_cpulist_empty_and_space),
		cmocka_unit_test(test_cpulist_invalid),
		cmocka_unit_test(test_cpulist_range),
		cmocka_unit_test(test_read_file),
	};

	return cmocka_run_group_tests_name("procfs", tests, NULL, NULL);
}
