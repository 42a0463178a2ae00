// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's text: label escaping and UTF-8 repair, numbers, HELP and
 * TYPE lines, samples, cgroup paths and the ids in them, the whole
 * rendering of a hand-made state (well-formed, no duplicate series, every
 * family declared once before its samples) and the textfile writer.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "export.h"
#include "fixtures.h"
#include "model.h"

static char *escaped(const char *s, size_t len)
{
	struct nl_buf b;

	nl_buf_init(&b);
	nl_prom_escape_value(&b, s, len);
	assert_false(b.failed);
	return b.data;
}

static void check_escape(const char *in, size_t len, const char *want)
{
	char *got = escaped(in, len);

	assert_string_equal(got, want);
	free(got);
}

static void test_escape_specials(void **state)
{
	check_escape("plain", 5, "\"plain\"");
	check_escape("a\\b", 3, "\"a\\\\b\"");
	check_escape("say \"hi\"", 8, "\"say \\\"hi\\\"\"");
	check_escape("two\nlines", 9, "\"two\\nlines\"");
	/* Other control characters have no escape in the format, and a scrape
	 * shown on a terminal must carry none: U+FFFD, a C1 one whole. */
	check_escape("tab\there", 8, "\"tab\xef\xbf\xbdhere\"");
	check_escape("\x1b[31mred\x7f", 9, "\"\xef\xbf\xbd[31mred\xef\xbf\xbd\"");
	check_escape("a\xc2\x9b"
		     "1m",
		     5,
		     "\"a\xef\xbf\xbd"
		     "1m\"");
	check_escape("", 0, "\"\"");
}

static void test_escape_utf8(void **state)
{
	/* Valid sequences of 2, 3 and 4 bytes are kept. */
	check_escape("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");
	check_escape("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"");
	check_escape("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"");
	/* Each bad byte becomes U+FFFD: stray, overlong, surrogate, cut short,
	 * beyond U+10FFFF. */
	check_escape("a\xff"
		     "b",
		     3,
		     "\"a\xef\xbf\xbd"
		     "b\"");
	check_escape("\xc0\x80", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");
	check_escape("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	check_escape("x\xe2\x82", 3, "\"x\xef\xbf\xbd\xef\xbf\xbd\"");
	check_escape("\xf4\x90\x80\x80", 4, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	/* A NUL inside the value (a comm can hold none, a buffer can). */
	check_escape("a\0b", 3,
		     "\"a\xef\xbf\xbd"
		     "b\"");
}

static void test_labels(void **state)
{
	struct nl_buf b;

	nl_buf_init(&b);
	nl_prom_label(&b, "pid", "12");
	nl_prom_label(&b, "cgroup", "");
	nl_prom_label(&b, "container_id", NULL);
	nl_prom_label(&b, "comm", "a\"b");
	assert_string_equal(b.data, "pid=\"12\",comm=\"a\\\"b\"");
	nl_buf_free(&b);
}

static char *rendered_double(double v)
{
	struct nl_buf b;

	nl_buf_init(&b);
	nl_prom_double(&b, v);
	return b.data;
}

static void check_double(double v, const char *want)
{
	char *got = rendered_double(v);

	assert_string_equal(got, want);
	free(got);
}

static void test_numbers(void **state)
{
	check_double(0, "0");
	check_double(42, "42");
	check_double(-3, "-3");
	check_double(0.25, "0.25");
	check_double(1.5e-9, "1.5e-09");
	check_double(0.1 + 0.2, "0.3");
	check_double(9007199254740992.0, "9.00719925474099e+15");
	check_double(0.0 / 0.0, "NaN");
	check_double(1.0 / 0.0, "+Inf");
	check_double(-1.0 / 0.0, "-Inf");
}

static void test_family_and_samples(void **state)
{
	struct nl_buf b;

	nl_buf_init(&b);
	nl_prom_family(&b, "x_total", "counter", "back\\slash and\nnewline \"kept\"");
	assert_string_equal(b.data, "# HELP x_total back\\\\slash and\\nnewline \"kept\"\n"
				    "# TYPE x_total counter\n");
	nl_buf_reset(&b);
	nl_prom_sample(&b, "m", NULL, NULL, NULL, NULL, NULL, 1.5);
	nl_prom_sample(&b, "m", "", "k", "v", NULL, NULL, 2);
	nl_prom_sample(&b, "m", "a=\"1\"", "k", "v", "l", "w", 3);
	nl_prom_sample(&b, "m", "a=\"1\"", NULL, NULL, NULL, NULL, 4);
	nl_prom_sample(&b, "m", NULL, "k", "", "l", "w", 5); /* empty: left out */
	nl_prom_sample_u64(&b, "m", NULL, "k", "v", NULL, NULL, UINT64_MAX);
	assert_string_equal(b.data, "m 1.5\n"
				    "m{k=\"v\"} 2\n"
				    "m{a=\"1\",k=\"v\",l=\"w\"} 3\n"
				    "m{a=\"1\"} 4\n"
				    "m{l=\"w\"} 5\n"
				    "m{k=\"v\"} 18446744073709551615\n");
	nl_buf_free(&b);
}

static void test_valid_names(void **state)
{
	assert_true(nl_prom_valid_name("numalens_process_cpu_seconds_total"));
	assert_true(nl_prom_valid_name("a:b_c9"));
	assert_false(nl_prom_valid_name("9lives"));
	assert_false(nl_prom_valid_name("with-dash"));
	assert_false(nl_prom_valid_name(""));
}

static void test_buf_growth(void **state)
{
	struct nl_buf b;
	int i;

	nl_buf_init(&b);
	for (i = 0; i < 100000; i++)
		nl_buf_printf(&b, "%d,", i % 10);
	assert_false(b.failed);
	assert_int_equal(b.len, 200000);
	assert_int_equal(strlen(b.data), 200000);
	nl_buf_free(&b);
}

static void check_cgroup(const char *text, int err, const char *want)
{
	char path[256];

	assert_int_equal(nl_export_cgroup_path(text, strlen(text), path, sizeof(path)), err);
	if (!err)
		assert_string_equal(path, want);
}

static void test_cgroup_paths(void **state)
{
	check_cgroup("0::/system.slice/nginx.service\n", 0, "/system.slice/nginx.service");
	/* Hybrid: the unified line wins; v1 only: systemd's, then cpuset's. */
	check_cgroup("12:cpuset:/a\n1:name=systemd:/user.slice/x.scope\n0::/user.slice/x.scope\n",
		     0, "/user.slice/x.scope");
	check_cgroup("12:cpuset:/docker/abc\n1:name=systemd:/docker/abc\n", 0, "/docker/abc");
	check_cgroup("12:cpuset:/only-cpuset\n", 0, "/only-cpuset");
	check_cgroup("0::/gone.scope (deleted)\n", 0, "/gone.scope");
	check_cgroup("0::/../../kubepods.slice/x\n", 0, "/../../kubepods.slice/x");
	check_cgroup("garbage\n", -EINVAL, NULL);
	check_cgroup("", -EINVAL, NULL);
}

static void check_ids(const char *path, const char *cid, const char *pod)
{
	char c[72], p[40];

	nl_export_cgroup_ids(path, c, sizeof(c), p, sizeof(p));
	assert_string_equal(c, cid);
	assert_string_equal(p, pod);
}

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_cgroup_ids(void **state)
{
	check_ids("/system.slice/docker-" HEX64 ".scope", HEX64, "");
	check_ids("/machine.slice/libpod-" HEX64 ".scope/container", HEX64, "");
	check_ids("/kubepods.slice/kubepods-burstable.slice/"
		  "kubepods-burstable-pod12345678_aaaa_bbbb_cccc_1234567890ab.slice/"
		  "cri-containerd-" HEX64 ".scope",
		  HEX64, "12345678-aaaa-bbbb-cccc-1234567890ab");
	check_ids("/kubepods/besteffort/pod12345678-aaaa-bbbb-cccc-1234567890ab/" HEX64, HEX64,
		  "12345678-aaaa-bbbb-cccc-1234567890ab");
	check_ids("/user.slice/user-0.slice/session-3.scope", "", "");
	check_ids("/", "", "");
}

/* ---- A whole rendering ---- */

static struct nl_topology topo;

static void two_nodes(void)
{
	memset(&topo, 0, sizeof(topo));
	topo.nr_node_ids = topo.nr_nodes = 2;
	topo.node_present = 3;
	topo.nr_cpu_ids = 4;
	topo.cpu_node[0] = topo.cpu_node[1] = 0;
	topo.cpu_node[2] = topo.cpu_node[3] = 1;
	topo.node_nr_cpus[0] = topo.node_nr_cpus[1] = 2;
	topo.node_mem_total[0] = topo.node_mem_total[1] = 1ull << 30;
	topo.distance[0][0] = topo.distance[1][1] = 10;
	topo.distance[0][1] = topo.distance[1][0] = 21;
	topo.source = "test";
}

static int fake_cgroup(void *ctx, uint32_t pid, char *path, size_t size)
{
	snprintf(path, size, "/system.slice/docker-" HEX64 ".scope");
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Checks the exposition: families declared once, HELP then TYPE, samples
 * only under their own family, no series twice; returns the lines. */
static size_t check_exposition(char *text, char ***out)
{
	char **lines = NULL, **series = NULL, *save, *line, family[128] = "";
	size_t nr = 0, nr_series = 0, i;
	bool help_seen = false, histogram = false;
	const char *rest;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lines = realloc(lines, (nr + 1) * sizeof(*lines));
		lines[nr++] = line;
		if (!strncmp(line, "# HELP ", 7)) {
			char name[128];

			assert_int_equal(sscanf(line + 7, "%127s", name), 1);
			assert_true(nl_prom_valid_name(name));
			for (i = 0; i + 1 < nr; i++)
				if (!strncmp(lines[i], "# HELP ", 7) &&
				    !strncmp(lines[i] + 7, name, strlen(name)) &&
				    lines[i][7 + strlen(name)] == ' ')
					fail_msg("family %s declared twice", name);
			snprintf(family, sizeof(family), "%s", name);
			help_seen = true;
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			char name[128], type[32];

			assert_true(help_seen);
			assert_int_equal(sscanf(line + 7, "%127s %31s", name, type), 2);
			assert_string_equal(name, family);
			assert_true(!strcmp(type, "counter") || !strcmp(type, "gauge") ||
				    !strcmp(type, "histogram"));
			histogram = !strcmp(type, "histogram");
			if (strstr(name, "_total"))
				assert_string_equal(type, "counter");
			else if (!histogram)
				assert_string_equal(type, "gauge");
			help_seen = false;
			continue;
		}
		assert_true(line[0] != '#');
		/* name{...} value, the name the family's (a histogram's with
		 * _bucket{le=...}, _sum or _count) */
		assert_true(family[0]);
		assert_memory_equal(line, family, strlen(family));
		rest = line + strlen(family);
		if (histogram)
			assert_true(!strncmp(rest, "_bucket{le=\"", 12) ||
				    !strncmp(rest, "_sum ", 5) || !strncmp(rest, "_count ", 7));
		else
			assert_true(rest[0] == '{' || rest[0] == ' ');
		series = realloc(series, (nr_series + 1) * sizeof(*series));
		series[nr_series] = strndup(line, strrchr(line, ' ') - line);
		nr_series++;
	}
	qsort(series, nr_series, sizeof(*series), cmp_str);
	for (i = 1; i < nr_series; i++)
		if (!strcmp(series[i - 1], series[i]))
			fail_msg("series twice: %s", series[i]);
	for (i = 0; i < nr_series; i++)
		free(series[i]);
	free(series);
	*out = lines;
	return nr;
}

static bool has_line(char **lines, size_t nr, const char *want)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (!strcmp(lines[i], want))
			return true;
	return false;
}

static bool has_prefix(char **lines, size_t nr, const char *want)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (!strncmp(lines[i], want, strlen(want)))
			return true;
	return false;
}

static void test_render(void **state)
{
	struct nl_node_stat nodes[3][2] = { 0 };
	struct nl_proc_view procs[3] = { 0 };
	struct nl_snapshot snap = { 0 };
	struct nl_export_opts o;
	struct nl_export_host h = { 0 };
	struct nl_sources sources = { 0 };
	struct nl_system sys = { 0 };
	struct nl_health health = { 0 };
	struct nl_prog_info progs[1] = {
		{ .name = "nl_switch", .loaded = true, .run_cnt = 10, .run_time_ns = 2500 }
	};
	struct nl_model_opts mo;
	struct nl_export *e;
	struct nl_buf b;
	char **lines;
	size_t nr;
	int i;

	two_nodes();
	nl_model_opts_default(&mo);
	snap.topo = &topo;
	snap.nr_nodes = 2;
	snap.window_s = 1;
	snap.nr = 3;
	snap.procs = procs;
	for (i = 0; i < 3; i++) {
		procs[i].pid = 100 + i;
		procs[i].start_time_ns = 5;
		procs[i].nr_threads = 2;
		procs[i].node = nodes[i];
		procs[i].mem_known = true;
		nodes[i][0].cpu_s = 0.5 * (3 - i);
		nodes[i][1].mem_bytes = 64 << 20;
		nodes[i][1].hint_remote = 7;
		procs[i].migrations = 5;
		procs[i].cross_node_migrations = 2;
	}
	/* A comm that needs escaping and repair. */
	snprintf(procs[0].comm, sizeof(procs[0].comm), "we\"ird\\\xff");
	snprintf(procs[1].comm, sizeof(procs[1].comm), "db");
	snprintf(procs[2].comm, sizeof(procs[2].comm), "idle");
	nl_model_rank(&snap, &mo);

	nl_export_opts_default(&o);
	o.max_processes = 2;
	o.read_cgroup = fake_cgroup;
	assert_int_equal(nl_export_new(&o, 2, &e), 0);
	assert_int_equal(nl_export_update(e, &snap, 1), 0);

	nl_source_set(&sources, NL_SRC_HINT_FAULTS, true, "fentry", "test");
	nl_source_set(&sources, NL_SRC_BALANCING, true, "tp_btf", "test");
	sys.vmstat_valid = 1;
	sys.numa_balancing = 1;
	sys.numa_hint_faults = 10;
	sys.numa_hint_faults_local = 4;
	sys.nr_migrate_reasons = 2;
	snprintf(sys.migrated[0].reason, sizeof(sys.migrated[0].reason), "compaction");
	sys.migrated[0].pages = 16698;
	snprintf(sys.migrated[1].reason, sizeof(sys.migrated[1].reason), "numa_misplaced");
	h.topo = &topo;
	h.sources = &sources;
	h.sys = &sys;
	health.proc_node_full = 2;
	health.map_refused = 1;
	health.pmu_short_reads = 3;
	h.health = &health;
	h.progs = progs;
	h.nr_progs = 1;
	h.bpf_stats = true;
	h.version = "test";
	h.refresh_seconds = 0.002;
	nl_buf_init(&b);
	nl_export_render(e, &h, &b);
	assert_false(b.failed);
	nr = check_exposition(b.data, &lines);

	/* The two busiest have series, the third is in other. */
	assert_true(has_line(lines, nr,
			     "numalens_process_cpu_seconds_total{pid=\"100\",comm=\"we\\\"ird\\\\"
			     "\xef\xbf\xbd\",cgroup=\"/system.slice/docker-" HEX64 ".scope\","
			     "container_id=\"" HEX64 "\",numa_node=\"0\"} 1.5"));
	assert_true(has_prefix(lines, nr, "numalens_process_cpu_seconds_total{pid=\"101\""));
	/* Dropped events: on a full map, and refused with room left. */
	assert_true(has_line(lines, nr,
			     "numalens_exporter_bpf_map_full_events_total{map=\"proc_node\"} 2"));
	assert_true(has_line(lines, nr, "numalens_exporter_bpf_map_refused_updates_total 1"));
	assert_true(has_line(lines, nr, "numalens_exporter_pmu_short_reads_total 3"));
	/* Pages migrated, a series per reason of the kernel's. */
	assert_true(has_line(lines, nr,
			     "numalens_system_migrated_pages_total{reason=\"compaction\"} 16698"));
	assert_true(has_line(lines, nr,
			     "numalens_system_migrated_pages_total{reason=\"numa_misplaced\"} 0"));
	assert_false(has_prefix(lines, nr, "numalens_process_cpu_seconds_total{pid=\"102\""));
	assert_true(
		has_line(lines, nr,
			 "numalens_process_cpu_seconds_total{comm=\"other\",numa_node=\"0\"} 0.5"));
	/* Memory on node 1 only; the remote ratio: all of it remote. */
	assert_true(
		has_line(lines, nr,
			 "numalens_process_resident_memory_bytes{comm=\"other\",numa_node=\"1\"} "
			 "67108864"));
	assert_true(has_line(
		lines, nr,
		"numalens_process_resident_memory_bytes{comm=\"other\",numa_node=\"0\"} 0"));
	assert_true(has_line(
		lines, nr, "numalens_process_remote_ratio{comm=\"other\",source=\"placement\"} 1"));
	assert_true(
		has_line(lines, nr,
			 "numalens_process_numa_hint_faults_total{comm=\"other\",numa_node=\"1\","
			 "locality=\"remote\"} 7"));
	assert_true(
		has_line(lines, nr,
			 "numalens_process_migrations_total{comm=\"other\",kind=\"same_node\"} 3"));
	assert_true(has_line(
		lines, nr,
		"numalens_process_migrations_total{comm=\"other\",kind=\"cross_node\"} 2"));
	assert_true(has_line(lines, nr, "numalens_process_threads{comm=\"other\"} 2"));
	/* Host, system and exporter families. */
	assert_true(has_line(lines, nr, "numalens_numa_node_info{numa_node=\"1\",cpus=\"2-3\"} 1"));
	assert_true(has_line(lines, nr,
			     "numalens_numa_node_distance{numa_node=\"0\",to_numa_node=\"1\"} 21"));
	assert_true(has_line(lines, nr,
			     "numalens_system_numa_hint_faults_total{locality=\"remote\"} 6"));
	assert_true(has_line(lines, nr, "numalens_exporter_folded_processes 1"));
	assert_true(has_line(lines, nr, "numalens_exporter_process_series 2"));
	assert_true(has_line(lines, nr, "numalens_exporter_tracked_processes 3"));
	assert_true(
		has_line(lines, nr,
			 "numalens_exporter_bpf_program_run_seconds_total{program=\"nl_switch\"} "
			 "2.5e-06"));
	assert_true(has_line(lines, nr,
			     "numalens_exporter_build_info{version=\"test\",group_by=\"pid\"} 1"));
	/* No PMU: the family is declared, without samples. */
	assert_true(has_line(lines, nr, "# TYPE numalens_process_memory_samples_total counter"));
	assert_false(has_prefix(lines, nr, "numalens_process_memory_samples_total{"));
	/* The duration last: a reader can tell a whole text from a cut one. */
	assert_string_equal(lines[nr - 1], "numalens_exporter_refresh_duration_seconds 0.002");
	free(lines);
	nl_buf_free(&b);
	nl_export_free(e);
}

/*
 * The HMAT guest's topology (node 2 CPU-less, memory_tier54): the node info
 * labels, the firmware's figures, memory per tier, the kernel's promotion
 * and demotion counters, and the findings of a window in mode 2 where 1000
 * of 4096 candidates were promoted.
 */
static void test_render_tiers(void **state)
{
	struct nl_node_stat nodes[3] = { { .cpu_s = 1.0, .mem_bytes = 4 << 20 },
					 { 0 },
					 { .mem_bytes = 124 << 20 } };
	struct nl_proc_view proc = { .pid = 100,
				     .start_time_ns = 5,
				     .nr_threads = 1,
				     .node = nodes,
				     .mem_known = true,
				     .comm = "slow" };
	struct nl_snapshot snap = { .nr_nodes = 3, .window_s = 1, .nr = 1, .procs = &proc };
	struct nl_system before = { .vmstat_valid = 1, .numa_balancing = 2 }, after;
	struct nl_export_host h = { .version = "test" };
	struct nl_topology t;
	struct nl_model_opts mo;
	struct nl_export_opts o;
	struct nl_export *e;
	struct nl_buf b;
	char **lines;
	size_t nr;

	assert_int_equal(nl_topology_from_sysfs(FIXTURE("sysfs/tiered"), &t), 0);
	snap.topo = &t;
	nl_model_opts_default(&mo);
	nl_model_rank(&snap, &mo);
	nl_export_opts_default(&o);
	assert_int_equal(nl_export_new(&o, 3, &e), 0);
	assert_int_equal(nl_export_update(e, &snap, 1), 0);
	before.present = 1U << NL_VM_PROMOTE_SUCCESS | 1U << NL_VM_PROMOTE_CANDIDATE |
			 1U << NL_VM_DEMOTE_KSWAPD | 1U << NL_VM_DEMOTE_DIRECT;
	before.promote_rate_limit_mbps = 65536;
	after = before;
	after.pgpromote_success = 1000;
	after.pgpromote_candidate = 4096;
	after.pgdemote_kswapd = 17;
	h.topo = &t;
	h.sys = &after;
	h.sys_before = &before;
	nl_buf_init(&b);
	nl_export_render(e, &h, &b);
	assert_false(b.failed);
	nr = check_exposition(b.data, &lines);

	assert_true(has_line(lines, nr,
			     "numalens_numa_node_info{numa_node=\"0\",cpus=\"0\",memory_tier=\"4\","
			     "tier_class=\"top\"} 1"));
	assert_true(has_line(lines, nr,
			     "numalens_numa_node_info{numa_node=\"2\",memory_tier=\"54\","
			     "tier_class=\"slower\"} 1"));
	assert_true(has_line(lines, nr,
			     "numalens_numa_node_access_latency_seconds{numa_node=\"2\","
			     "access=\"read\"} 3e-08"));
	assert_true(has_line(lines, nr,
			     "numalens_numa_node_access_bandwidth_bytes{numa_node=\"2\","
			     "access=\"write\"} 5368709120"));
	assert_true(has_line(lines, nr,
			     "numalens_process_memory_tier_bytes{pid=\"100\",comm=\"slow\","
			     "memory_tier=\"54\"} 130023424"));
	assert_true(has_line(lines, nr,
			     "numalens_process_memory_tier_bytes{pid=\"100\",comm=\"slow\","
			     "memory_tier=\"4\"} 4194304"));
	assert_true(has_line(lines, nr, "numalens_system_promoted_pages_total 1000"));
	assert_true(has_line(lines, nr, "numalens_system_promote_candidate_pages_total 4096"));
	assert_true(has_line(lines, nr, "numalens_system_demoted_pages_total{by=\"kswapd\"} 17"));
	assert_true(has_line(lines, nr, "numalens_system_demoted_pages_total{by=\"direct\"} 0"));
	/* not in this kernel's vmstat: no sample, not a 0 */
	assert_false(
		has_prefix(lines, nr, "numalens_system_demoted_pages_total{by=\"khugepaged\"}"));
	assert_true(has_line(lines, nr, "numalens_system_promote_rate_limit_bytes 68719476736"));
	assert_true(has_line(lines, nr, "numalens_system_finding{finding=\"tiering_only\"} 1"));
	assert_true(
		has_line(lines, nr, "numalens_system_finding{finding=\"promotion_stalled\"} 1"));
	assert_false(has_prefix(lines, nr, "numalens_system_finding{finding=\"one_tier\"}"));
	free(lines);
	nl_buf_free(&b);
	nl_export_free(e);
}

/* Without fentry, no hint-fault samples; no bpf_stats, no program samples. */
static void test_render_inactive_sources(void **state)
{
	struct nl_snapshot snap = { 0 };
	struct nl_export_opts o;
	struct nl_export_host h = { 0 };
	struct nl_sources sources = { 0 };
	struct nl_prog_info progs[1] = { { .name = "nl_switch", .loaded = true, .missed = 3 } };
	struct nl_export *e;
	struct nl_buf b;
	char **lines;
	size_t nr;

	two_nodes();
	snap.topo = &topo;
	snap.nr_nodes = 2;
	nl_export_opts_default(&o);
	assert_int_equal(nl_export_new(&o, 2, &e), 0);
	assert_int_equal(nl_export_update(e, &snap, 1), 0);
	nl_source_set(&sources, NL_SRC_HINT_FAULTS, true, "snapshot", "test");
	h.topo = &topo;
	h.sources = &sources;
	h.progs = progs;
	h.nr_progs = 1;
	nl_buf_init(&b);
	nl_export_render(e, &h, &b);
	nr = check_exposition(b.data, &lines);
	assert_true(has_line(lines, nr, "# TYPE numalens_process_numa_hint_faults_total counter"));
	assert_false(has_prefix(lines, nr, "numalens_process_numa_hint_faults_total{"));
	assert_false(has_prefix(lines, nr, "numalens_exporter_bpf_program_runs_total{"));
	/* Skipped runs are the kernel's count, whether bpf_stats is on or not. */
	assert_true(has_line(
		lines, nr,
		"numalens_exporter_bpf_program_missed_runs_total{program=\"nl_switch\"} 3"));
	assert_false(has_prefix(lines, nr, "numalens_system_numa_hint_faults_total"));
	/* other is always there, even empty. */
	assert_true(has_line(
		lines, nr, "numalens_process_cpu_seconds_total{comm=\"other\",numa_node=\"1\"} 0"));
	free(lines);
	nl_buf_free(&b);
	nl_export_free(e);
}

static void test_textfile(void **state)
{
	char dir[] = "/tmp/numalens-textfile.XXXXXX", moved[64], path[128], buf[64], why[256];
	struct nl_textfile tf;
	struct dirent *de;
	FILE *f;
	DIR *d;
	int files = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/numalens.prom", dir);
	assert_int_equal(nl_textfile_open(path, &tf, why, sizeof(why)), 0);
	assert_int_equal(nl_textfile_check(&tf, why, sizeof(why)), 0);
	assert_int_equal(nl_textfile_write(&tf, "first 1\n", 8), 0);
	/* Relative to the directory opened at the start, wherever it went. */
	snprintf(moved, sizeof(moved), "%s.moved", dir);
	assert_int_equal(rename(dir, moved), 0);
	assert_int_equal(nl_textfile_write(&tf, "second 2\n", 9), 0);
	nl_textfile_close(&tf);
	snprintf(path, sizeof(path), "%s/numalens.prom", moved);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "second 2\n");
	/* Nothing left beside it. */
	d = opendir(moved);
	while ((de = readdir(d)))
		files += de->d_name[0] != '.' ||
			 (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
	closedir(d);
	assert_int_equal(files, 1);
	unlink(path);
	rmdir(moved);
	assert_int_equal(nl_textfile_open("/nonexistent-dir/x.prom", &tf, why, sizeof(why)),
			 -ENOENT);
	assert_non_null(strstr(why, "does not exist"));
	nl_textfile_close(&tf);
	assert_int_equal(nl_textfile_open("/tmp/", &tf, why, sizeof(why)), -EINVAL);
	nl_textfile_close(&tf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_tiers), cmocka_unit_test(test_escape_specials),
		cmocka_unit_test(test_escape_utf8),  cmocka_unit_test(test_labels),
		cmocka_unit_test(test_numbers),	     cmocka_unit_test(test_family_and_samples),
		cmocka_unit_test(test_valid_names),  cmocka_unit_test(test_buf_growth),
		cmocka_unit_test(test_cgroup_paths), cmocka_unit_test(test_cgroup_ids),
		cmocka_unit_test(test_render),	     cmocka_unit_test(test_render_inactive_sources),
		cmocka_unit_test(test_textfile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
