// SPDX-License-Identifier: GPL-2.0
/*
 * Tier movement per cgroup: memory.stat and memory.numa_stat in the forms
 * of 6.1, 6.12, 6.18 and cgroup v1; the finding of demotion outside
 * cpuset.mems; the step on a scratch cgroup tree; the report's and the
 * exporter's output; and, as root, a cgroup made on this host, its files
 * read back against what the reader says.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <numa.h>
#include "cgroup_tiers.h"
#include "cgtier.h"
#include "export.h"
#include "fixtures.h"
#include "procfs.h"
#include "report.h"
#include "snapshot.h"
#include "topology.h"

static struct nl_memcg_tier_stat stat_of(const char *fixture)
{
	struct nl_memcg_tier_stat st;
	size_t len;
	char *text = fixture_load(fixture, &len);
	char *copy = exact_copy(text, len);

	assert_int_equal(nl_memcg_stat_parse(copy, len, &st), 0);
	free(copy);
	free(text);
	return st;
}

/* 6.1's memory.stat has none of the lines: parsed, nothing present. */
static void test_stat_61(void **state)
{
	struct nl_memcg_tier_stat st = stat_of(FIXTURE("cgroup/memory.stat-6.1"));

	assert_int_equal(st.present, 0);
	assert_int_equal(st.pages[NL_MEMCG_DEMOTE_KSWAPD], 0);
}

static void test_stat_612(void **state)
{
	struct nl_memcg_tier_stat st = stat_of(FIXTURE("cgroup/memory.stat-6.12"));

	assert_int_equal(st.present, (1u << NL_MEMCG_PROMOTE) | (1u << NL_MEMCG_DEMOTE_KSWAPD) |
					     (1u << NL_MEMCG_DEMOTE_DIRECT) |
					     (1u << NL_MEMCG_DEMOTE_KHUGEPAGED));
	assert_int_equal(st.pages[NL_MEMCG_PROMOTE], 4096);
	assert_int_equal(st.pages[NL_MEMCG_DEMOTE_KSWAPD], 131072);
	assert_int_equal(st.pages[NL_MEMCG_DEMOTE_DIRECT], 2048);
	assert_int_equal(st.pages[NL_MEMCG_DEMOTE_KHUGEPAGED], 17);
	assert_int_equal(st.pages[NL_MEMCG_DEMOTE_PROACTIVE], 0);
}

static void test_stat_618(void **state)
{
	struct nl_memcg_tier_stat st = stat_of(FIXTURE("cgroup/memory.stat-6.18"));

	assert_int_equal(st.present, (1u << NL_MEMCG_EVENTS) - 1);
	assert_int_equal(st.pages[NL_MEMCG_DEMOTE_PROACTIVE], 512);
	assert_int_equal(st.pages[NL_MEMCG_DEMOTE_KHUGEPAGED], 17);
}

/* v1's memory.stat: a form it reads, no tier counters in it. */
static void test_stat_v1(void **state)
{
	struct nl_memcg_tier_stat st = stat_of(FIXTURE("cgroup/memory.stat-v1"));

	assert_int_equal(st.present, 0);
}

static void test_stat_bad(void **state)
{
	struct nl_memcg_tier_stat st;
	const char *bad[] = { "", "\n\n", "pgdemote_kswapd\n", "pgdemote_kswapd -1\n",
			      "pgdemote_kswapd 12x\n" };
	size_t i;

	for (i = 0; i < ARRAY_LEN(bad); i++) {
		char *copy = exact_copy(bad[i], strlen(bad[i]));

		assert_int_equal(nl_memcg_stat_parse(copy, strlen(bad[i]), &st), -EINVAL);
		free(copy);
	}
	/* A line cut short counts only when whole. */
	assert_int_equal(nl_memcg_stat_parse("anon 1\npgdemote_direct 5", 24, &st), 0);
	assert_int_equal(st.pages[NL_MEMCG_DEMOTE_DIRECT], 5);
	assert_int_equal(nl_memcg_stat_parse("anon 1\npgdemote_direct 5", 23, &st), 0);
	assert_int_equal(st.present, 0);
}

static void test_numa_v2(void **state)
{
	struct nl_memcg_numa numa;
	size_t len;
	char *text = fixture_load(FIXTURE("cgroup/memory.numa_stat-v2"), &len);

	assert_int_equal(nl_memcg_numa_stat_parse(text, len, 4096, &numa), 0);
	assert_false(numa.v1);
	assert_int_equal(numa.nodes, 7);
	assert_int_equal(numa.anon[0], 805306368);
	assert_int_equal(numa.anon[1], 0);
	assert_int_equal(numa.anon[2], 268435456);
	assert_int_equal(numa.file[1], 4096);
	assert_int_equal(numa.file[2], 67104768);
	free(text);
	/* anon alone, or a node that is not a number: not this file. */
	assert_int_equal(nl_memcg_numa_stat_parse("anon N0=1\n", 10, 4096, &numa), -EINVAL);
	assert_int_equal(nl_memcg_numa_stat_parse("anon N0=1\nfile Nx=2\n", 20, 4096, &numa),
			 -EINVAL);
}

/* v1: the hierarchical lines, in pages; the host's own file. */
static void test_numa_v1(void **state)
{
	struct nl_memcg_numa numa;
	size_t len;
	char *text = fixture_load(FIXTURE("cgroup/memory.numa_stat-v1"), &len);

	assert_int_equal(nl_memcg_numa_stat_parse(text, len, 4096, &numa), 0);
	assert_true(numa.v1);
	assert_int_equal(numa.nodes, 1);
	assert_int_equal(numa.anon[0], 3027ull * 4096);
	assert_int_equal(numa.file[0], 208824ull * 4096);
	free(text);
}

/* Node 0 top tier (memory_tier4), node 1 slower (memory_tier22). */
static void tiered(struct nl_topology *t)
{
	memset(t, 0, sizeof(*t));
	t->nr_node_ids = t->nr_nodes = 2;
	t->node_present = 3;
	t->tiers_known = true;
	t->node_tier[0] = 4;
	t->node_tier[1] = 22;
	t->toptier_nodes = 1;
	t->source = "test";
}

/* A cgroup holding 1 GiB on node 0 and 256 MiB on node 1, cpuset.mems 0,
 * that demoted 1000 pages. */
static void demoting(struct nl_cgroup_tiers *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->r.path, sizeof(c->r.path), "/db.slice/pg.service");
	snprintf(c->name, sizeof(c->name), "/db.slice/pg.service");
	c->r.version = 2;
	c->r.stat_known = true;
	c->r.stat.present = (1u << NL_MEMCG_EVENTS) - 1;
	c->r.stat.pages[NL_MEMCG_DEMOTE_KSWAPD] = 900;
	c->r.stat.pages[NL_MEMCG_DEMOTE_DIRECT] = 100;
	c->r.stat.pages[NL_MEMCG_PROMOTE] = 40;
	c->r.numa_known = true;
	c->r.numa.nodes = 3;
	c->r.numa.anon[0] = 768 * MIB;
	c->r.numa.file[0] = 256 * MIB;
	c->r.numa.anon[1] = 256 * MIB;
	c->r.mems_known = true;
	c->r.mems = 1;
	snprintf(c->r.mems_list, sizeof(c->r.mems_list), "0");
	snprintf(c->r.mems_cgroup, sizeof(c->r.mems_cgroup), "/db.slice");
}

static void test_finding(void **state)
{
	struct nl_topology t;
	struct nl_cgroup_tiers c;

	tiered(&t);
	demoting(&c);
	nl_cgroup_tiers_summarize(&t, &c);
	assert_int_equal(c.promoted, 40);
	assert_int_equal(c.demoted, 1000);
	assert_int_equal(c.nr_tiers, 2);
	assert_int_equal(c.tier[0], 4);
	assert_int_equal(c.tier_bytes[0], 1024 * MIB);
	assert_int_equal(c.tier[1], 22);
	assert_int_equal(c.tier_nodes[1], 2);
	assert_int_equal(c.tier_bytes[1], 256 * MIB);
	assert_true(c.outside_mems);
	assert_int_equal(c.outside_nodes, 2);
	assert_int_equal(c.outside_bytes, 256 * MIB);
	assert_non_null(strstr(c.finding, "cgroup /db.slice/pg.service demoted 1000 pages"));
	assert_non_null(strstr(c.finding, "256.0 MiB on node 1 (memory_tier22)"));
	assert_non_null(strstr(c.finding, "outside its cpuset.mems 0"));
	assert_non_null(strstr(c.finding, "ignoring cpuset.mems"));
	assert_non_null(strstr(c.finding, "/sys/kernel/mm/numa/demotion_enabled"));
	assert_non_null(strstr(c.finding, "(set in /db.slice)"));
	assert_non_null(strstr(c.finding, "if node 1 is meant for it, add it to the cpuset.mems "
					  "of /db.slice"));

	/* Demoted in the window only (a new cgroup's total is the same). */
	demoting(&c);
	c.r.stat.pages[NL_MEMCG_DEMOTE_KSWAPD] = 0;
	c.r.stat.pages[NL_MEMCG_DEMOTE_DIRECT] = 0;
	c.window_known = true;
	c.window[NL_MEMCG_DEMOTE_DIRECT] = 3;
	nl_cgroup_tiers_summarize(&t, &c);
	assert_true(c.outside_mems);
	assert_non_null(strstr(c.finding, "3 in the window"));
}

static void test_no_finding(void **state)
{
	struct nl_topology t;
	struct nl_cgroup_tiers c;

	tiered(&t);
	/* Demoted, but every node it has memory on is allowed. */
	demoting(&c);
	c.r.mems = 3;
	nl_cgroup_tiers_summarize(&t, &c);
	assert_false(c.outside_mems);
	assert_string_equal(c.finding, "");
	/* Memory outside its mems, but nothing demoted. */
	demoting(&c);
	c.r.stat.pages[NL_MEMCG_DEMOTE_KSWAPD] = 0;
	c.r.stat.pages[NL_MEMCG_DEMOTE_DIRECT] = 0;
	nl_cgroup_tiers_summarize(&t, &c);
	assert_false(c.outside_mems);
	assert_int_equal(c.demoted, 0);
	/* No cpuset known. */
	demoting(&c);
	c.r.mems_known = false;
	nl_cgroup_tiers_summarize(&t, &c);
	assert_false(c.outside_mems);
	/* No counters in this kernel's memory.stat (6.1). */
	demoting(&c);
	c.r.stat.present = 0;
	memset(c.r.stat.pages, 0, sizeof(c.r.stat.pages));
	nl_cgroup_tiers_summarize(&t, &c);
	assert_false(c.outside_mems);
	/* Outside its mems, but on a top-tier node: not demotion's doing. */
	demoting(&c);
	t.toptier_nodes = 3;
	nl_cgroup_tiers_summarize(&t, &c);
	assert_false(c.outside_mems);
}

/* A scratch cgroup v2 tree mounted (as mountinfo says) at DIR/cg, with
 * /proc at DIR/proc; the snapshot over views, on the tiered topology. */
struct scratch {
	char dir[512], mi[600], proc[600];
	const char *saved_mi, *saved_proc;
	struct nl_topology t;
	struct nl_snapshot snap;
	struct nl_cgtier_memory mem;
};

static void scratch_begin(struct scratch *s, struct nl_proc_view *views, size_t nr)
{
	char line[1200];

	memset(s, 0, sizeof(*s));
	scratch_dir(s->dir, sizeof(s->dir));
	snprintf(s->mi, sizeof(s->mi), "%s/mountinfo", s->dir);
	snprintf(s->proc, sizeof(s->proc), "%s/proc", s->dir);
	snprintf(line, sizeof(line), "30 22 0:27 / %s/cg rw,nosuid - cgroup2 cgroup2 rw\n", s->dir);
	scratch_write(s->dir, "mountinfo", line, strlen(line));
	s->saved_mi = nl_mountinfo_path;
	s->saved_proc = nl_proc_root;
	nl_mountinfo_path = s->mi;
	nl_proc_root = s->proc;
	tiered(&s->t);
	s->snap.topo = &s->t;
	s->snap.nr_nodes = 2;
	s->snap.procs = views;
	s->snap.nr = nr;
}

static void scratch_end(struct scratch *s)
{
	nl_cgtier_set_free(&s->snap.cgtiers);
	nl_cgtier_memory_free(&s->mem);
	nl_mountinfo_path = s->saved_mi;
	nl_proc_root = s->saved_proc;
	scratch_remove(s->dir);
}

/* The step on a scratch tree; the cpuset is the parent's (v2 puts its
 * files where the controller is on). */
static void test_step_scratch(void **state)
{
	struct nl_proc_view views[3];
	struct scratch sc;
	const struct nl_cgroup_tiers *c;
	char *text, *dir = sc.dir;
	size_t len;

	memset(views, 0, sizeof(views));
	scratch_begin(&sc, views, 3);
	scratch_write(dir, "cg/cgroup.controllers", "cpuset cpu memory pids\n", 23);
	scratch_write(dir, "cg/db.slice/cpuset.mems.effective", "0\n", 2);
	text = fixture_load(FIXTURE("cgroup/memory.stat-6.18"), &len);
	scratch_write(dir, "cg/db.slice/pg.service/memory.stat", text, len);
	free(text);
	scratch_write(dir, "cg/db.slice/pg.service/memory.numa_stat",
		      "anon N0=1048576 N1=2097152\nfile N0=4096 N1=0\n", 45);
	scratch_write(dir, "proc/100/cgroup", "0::/db.slice/pg.service\n", 24);
	scratch_write(dir, "proc/101/cgroup", "0::/db.slice/pg.service\n", 24);
	scratch_write(dir, "proc/102/cgroup", "0::/\n", 5);
	views[0].pid = 100;
	views[0].flagged = true;
	views[1].pid = 101;
	views[1].flagged = true;
	views[2].pid = 102;
	views[2].flagged = true;
	assert_int_equal(nl_snapshot_cgroup_tiers(&sc.snap, NULL, 0, 0, &sc.mem), 0);
	assert_true(sc.snap.cgtiers.asked);
	/* One cgroup: the two processes share it, the root is left out. */
	assert_int_equal(sc.snap.cgtiers.nr, 1);
	c = &sc.snap.cgtiers.list[0];
	assert_string_equal(c->name, "/db.slice/pg.service");
	assert_int_equal(c->pid, 100);
	assert_int_equal(c->r.version, 2);
	assert_true(c->r.stat_known);
	assert_int_equal(c->r.stat.pages[NL_MEMCG_DEMOTE_PROACTIVE], 512);
	assert_false(c->window_known);
	assert_true(c->r.mems_known);
	assert_string_equal(c->r.mems_list, "0");
	assert_string_equal(c->r.mems_cgroup, "/db.slice");
	assert_int_equal(c->r.numa.anon[1], 2097152);
	assert_string_equal(c->r.reason, "");
	assert_true(c->outside_mems);
	assert_int_equal(c->outside_bytes, 2097152);

	/* The next refresh: a window since this reading. */
	text = fixture_load(FIXTURE("cgroup/memory.stat-6.18"), &len);
	{
		char *more = malloc(len + 64);
		char *p;

		assert_non_null(more);
		memcpy(more, text, len + 1);
		p = strstr(more, "pgdemote_kswapd 131072");
		assert_non_null(p);
		memcpy(p, "pgdemote_kswapd 131079", 22);
		scratch_write(dir, "cg/db.slice/pg.service/memory.stat", more, len);
		free(more);
	}
	free(text);
	nl_cgtier_set_free(&sc.snap.cgtiers);
	assert_int_equal(nl_snapshot_cgroup_tiers(&sc.snap, NULL, 0, 0, &sc.mem), 0);
	c = &sc.snap.cgtiers.list[0];
	assert_true(c->window_known);
	assert_int_equal(c->window[NL_MEMCG_DEMOTE_KSWAPD], 7);
	assert_int_equal(c->demoted_window, 7);

	/* A path outside the cgroup namespace is not under the mount. */
	scratch_write(dir, "proc/104/cgroup", "0::/../db.slice/pg.service\n", 27);
	{
		uint32_t pids[] = { 104 };

		views[2].pid = 104;
		assert_int_equal(nl_snapshot_cgroup_tiers(&sc.snap, pids, 1, 0, &sc.mem), 0);
		assert_int_equal(sc.snap.cgtiers.nr, 0);
		views[2].pid = 102;
	}
	/* Only the pids asked for, when some are. */
	{
		uint32_t pids[] = { 102 };

		assert_int_equal(nl_snapshot_cgroup_tiers(&sc.snap, pids, 1, 0, &sc.mem), 0);
		assert_int_equal(sc.snap.cgtiers.nr, 0);
	}
	/* No memory controller anywhere: said once, no cgroup. */
	scratch_write(dir, "cg/cgroup.controllers", "cpuset cpu pids\n", 16);
	assert_int_equal(nl_snapshot_cgroup_tiers(&sc.snap, NULL, 0, 0, &sc.mem), 0);
	assert_int_equal(sc.snap.cgtiers.nr, 0);
	assert_non_null(strstr(sc.snap.cgtiers.reason, "memory controller off"));
	/* The memory files missing: the reason, not an error. */
	scratch_write(dir, "cg/cgroup.controllers", "cpuset memory\n", 14);
	scratch_write(dir, "proc/103/cgroup", "0::/other\n", 10);
	scratch_write(dir, "cg/other/cgroup.procs", "", 0);
	views[0].pid = 103;
	assert_int_equal(nl_snapshot_cgroup_tiers(&sc.snap, NULL, 0, 0, &sc.mem), 0);
	assert_int_equal(sc.snap.cgtiers.nr, 2);
	c = &sc.snap.cgtiers.list[0];
	assert_string_equal(c->name, "/other");
	assert_false(c->r.stat_known);
	assert_non_null(strstr(c->r.reason, "no memory.stat"));
	assert_non_null(strstr(c->r.reason, "no memory.numa_stat"));
	assert_false(c->outside_mems);

	/* Neither flagged nor advised: the first ranked that ran, as many as
	 * asked (the exporter's series). */
	views[0].flagged = views[1].flagged = views[2].flagged = false;
	views[0].cpu_s = 1;
	views[1].pid = 101;
	views[1].cpu_s = 1;
	assert_int_equal(nl_snapshot_cgroup_tiers(&sc.snap, NULL, 0, 0, &sc.mem), 0);
	assert_int_equal(sc.snap.cgtiers.nr, 0);
	assert_int_equal(nl_snapshot_cgroup_tiers(&sc.snap, NULL, 0, 1, &sc.mem), 0);
	assert_int_equal(sc.snap.cgtiers.nr, 1);
	assert_string_equal(sc.snap.cgtiers.list[0].name, "/other");
	assert_int_equal(nl_snapshot_cgroup_tiers(&sc.snap, NULL, 0, 5, &sc.mem), 0);
	assert_int_equal(sc.snap.cgtiers.nr, 2);

	scratch_end(&sc);
}

/* More cgroups than NL_CGTIER_MAX: the rest counted, each once. */
static void test_step_cap(void **state)
{
	struct nl_proc_view *views;
	struct scratch sc;
	size_t i, nr = NL_CGTIER_MAX + 6;

	views = calloc(nr * 2, sizeof(*views));
	assert_non_null(views);
	scratch_begin(&sc, views, nr * 2);
	scratch_write(sc.dir, "cg/cgroup.controllers", "memory\n", 7);
	for (i = 0; i < nr * 2; i++) {
		char rel[64], body[64];

		views[i].pid = 1000 + i;
		views[i].flagged = true;
		snprintf(rel, sizeof(rel), "proc/%zu/cgroup", 1000 + i);
		/* Two processes per cgroup. */
		snprintf(body, sizeof(body), "0::/c%zu\n", i / 2);
		scratch_write(sc.dir, rel, body, strlen(body));
	}
	assert_int_equal(nl_snapshot_cgroup_tiers(&sc.snap, NULL, 0, 0, &sc.mem), 0);
	assert_int_equal(sc.snap.cgtiers.nr, NL_CGTIER_MAX);
	assert_int_equal(sc.snap.cgtiers.over, 6);
	scratch_end(&sc);
	free(views);
}

/* The snapshot's cgroups in the report, JSON and text, and the exporter. */
static void test_outputs(void **state)
{
	struct nl_topology t;
	struct nl_snapshot snap;
	struct nl_cgroup_tiers *c = calloc(1, sizeof(*c));
	struct nl_report_opts o = { 0 };
	struct nl_buf b;
	json_object *doc;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	assert_non_null(c);
	tiered(&t);
	demoting(c);
	c->pid = 42;
	nl_cgroup_tiers_summarize(&t, c);
	memset(&snap, 0, sizeof(snap));
	snap.topo = &t;
	snap.nr_nodes = 2;
	snap.cgtiers.asked = true;
	snap.cgtiers.list = c;
	snap.cgtiers.nr = 1;
	snap.cgtiers.over = 2;

	doc = nl_report_json(&snap, &o);
	assert_string_equal(json_object_get_string(json_get(doc, "cgroups.0.path")),
			    "/db.slice/pg.service");
	assert_int_equal(json_object_get_int64(json_get(doc, "cgroups.0.promoted")), 40);
	assert_int_equal(json_object_get_int64(json_get(doc, "cgroups.0.demoted")), 1000);
	assert_int_equal(json_object_get_int64(json_get(doc, "cgroups.0.demoted_by_kind.kswapd")),
			 900);
	assert_int_equal(
		json_object_get_int64(json_get(doc, "cgroups.0.demoted_by_kind.proactive")), 0);
	assert_int_equal(
		json_object_get_int(json_get(doc, "cgroups.0.memory_bytes_by_tier.1.tier")), 22);
	assert_int_equal(
		json_object_get_int64(json_get(doc, "cgroups.0.memory_bytes_by_tier.1.bytes")),
		256 * MIB);
	assert_int_equal(json_object_get_int(json_get(doc, "cgroups.0.cpuset_mems.0")), 0);
	assert_int_equal(json_object_get_int(json_get(doc, "cgroups.0.outside_mems.nodes.0")), 1);
	assert_non_null(strstr(json_object_get_string(json_get(doc, "cgroups.0.finding")),
			       "ignoring cpuset.mems"));
	assert_int_equal(json_object_get_int(json_get(doc, "cgroups_left_out")), 2);
	assert_null(json_get(doc, "cgroups.0.window"));
	json_object_put(doc);
	/* A kernel without the counters (6.1, v1): null, not 0. */
	c->r.stat.present = 0;
	doc = nl_report_json(&snap, &o);
	assert_null(json_get(doc, "cgroups.0.promoted"));
	assert_null(json_get(doc, "cgroups.0.demoted"));
	assert_null(json_get(doc, "cgroups.0.demoted_by_kind"));
	json_object_put(doc);
	c->r.stat.present = (1u << NL_MEMCG_EVENTS) - 1;

	f = open_memstream(&out, &outlen);
	assert_non_null(f);
	nl_report_text(f, &snap, &o);
	fclose(f);
	assert_non_null(strstr(out, "! /db.slice/pg.service: promoted 40, demoted 1000 (kswapd "
				    "900, direct 100, khugepaged 0, proactive 0); memory 1.0 GiB "
				    "in tier 4 (node 0), 256.0 MiB in tier 22 (node 1); "
				    "cpuset.mems 0\n"));
	assert_non_null(strstr(out, "    cgroup /db.slice/pg.service demoted 1000 pages"));
	assert_non_null(strstr(out, "(2 more cgroups left out"));
	free(out);

	nl_buf_init(&b);
	nl_export_cgtier_families(&b, &snap.cgtiers);
	assert_false(b.failed);
	nl_buf_add(&b, "", 1);
	assert_non_null(strstr(b.data, "numalens_cgroup_tier_pages_total{cgroup=\"/db.slice/"
				       "pg.service\",kind=\"demote_kswapd\"} 900\n"));
	assert_non_null(strstr(b.data, "numalens_cgroup_tier_pages_total{cgroup=\"/db.slice/"
				       "pg.service\",kind=\"promote\"} 40\n"));
	assert_non_null(strstr(b.data, "numalens_cgroup_demotion_outside_mems_info{cgroup=\"/"
				       "db.slice/pg.service\",numa_nodes=\"1\",cpuset_mems=\"0\"} "
				       "1\n"));
	assert_non_null(strstr(b.data, "numalens_cgroup_demotion_outside_mems_bytes{cgroup=\"/"
				       "db.slice/pg.service\"} 268435456\n"));
	assert_non_null(strstr(b.data, "numalens_exporter_cgroup_tier_left_out 2\n"));
	nl_buf_free(&b);
	/* Not read: the families' HELP and TYPE only. */
	nl_buf_init(&b);
	nl_export_cgtier_families(&b, NULL);
	nl_buf_add(&b, "", 1);
	assert_non_null(strstr(b.data, "# TYPE numalens_cgroup_tier_pages_total counter\n"));
	assert_null(strstr(b.data, "numalens_cgroup_tier_pages_total{"));
	nl_buf_free(&b);
	free(c);
}

/* ---- On this host, as root: a cgroup made for the test ---- */

struct host_cg {
	char mem[512];	  /* the memory cgroup's directory */
	char cpuset[512]; /* v1: the cpuset cgroup's; "" in v2 (the same) */
	char path[256];	  /* as /proc/PID/cgroup names it */
	char enabled[64]; /* v2: controllers this test enabled in the root */
};

static int write_str(const char *dir, const char *file, const char *s)
{
	char path[1024];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fputs(s, f) < 0)
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

static int read_str(const char *dir, const char *file, char *buf, size_t size)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return nl_read_file(path, buf, size);
}

static void trim_nl(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* Makes the cgroup(s); false when this host cannot (said). */
static bool host_cg_make(const struct nl_cgtier_where *w, struct host_cg *h)
{
	char mems[64], cpus[4096];

	memset(h, 0, sizeof(*h));
	snprintf(h->path, sizeof(h->path), "/numalens-test-%d", (int)getpid());
	if (w->version == 2) {
		char ctl[256];

		if (strcmp(w->m.v2_root, "/"))
			return false;
		snprintf(h->mem, sizeof(h->mem), "%s%s", w->m.v2, h->path);
		/* memory and cpuset in the root's subtree_control. */
		if (read_str(w->m.v2, "cgroup.subtree_control", ctl, sizeof(ctl)) < 0)
			return false;
		if (!strstr(ctl, "memory")) {
			if (write_str(w->m.v2, "cgroup.subtree_control", "+memory"))
				return false;
			strcat(h->enabled, " -memory");
		}
		if (!strstr(ctl, "cpuset") &&
		    !write_str(w->m.v2, "cgroup.subtree_control", "+cpuset"))
			strcat(h->enabled, " -cpuset");
		return !mkdir(h->mem, 0755);
	}
	if (strcmp(w->m.memory_root, "/"))
		return false;
	snprintf(h->mem, sizeof(h->mem), "%s%s", w->m.memory, h->path);
	if (mkdir(h->mem, 0755))
		return false;
	if (!w->m.cpuset[0] || strcmp(w->m.cpuset_root, "/"))
		return true;
	snprintf(h->cpuset, sizeof(h->cpuset), "%s%s", w->m.cpuset, h->path);
	if (mkdir(h->cpuset, 0755)) {
		h->cpuset[0] = '\0';
		return true;
	}
	/* A v1 cpuset takes no task before its cpus and mems are set. */
	if (read_str(w->m.cpuset, "cpuset.effective_mems", mems, sizeof(mems)) < 0 ||
	    read_str(w->m.cpuset, "cpuset.effective_cpus", cpus, sizeof(cpus)) < 0 ||
	    write_str(h->cpuset, "cpuset.mems", mems) ||
	    write_str(h->cpuset, "cpuset.cpus", cpus)) {
		rmdir(h->cpuset);
		h->cpuset[0] = '\0';
	}
	return true;
}

static void host_cg_remove(const struct nl_cgtier_where *w, struct host_cg *h)
{
	int i;

	/* A task that exited leaves its cgroup a little later. */
	for (i = 0; i < 100; i++) {
		if ((!h->mem[0] || !rmdir(h->mem) || errno == ENOENT) &&
		    (!h->cpuset[0] || !rmdir(h->cpuset) || errno == ENOENT))
			break;
		usleep(10000);
	}
	if (h->enabled[0]) {
		char *tok, *save = NULL;

		for (tok = strtok_r(h->enabled, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			write_str(w->m.v2, "cgroup.subtree_control", tok);
	}
}

/* A child that waits to be moved, then touches 8 MiB of anonymous memory
 * (charged to the cgroup it is in by then) and waits to be killed. */
static pid_t child_start(int *go, int *ready)
{
	int p1[2], p2[2];
	pid_t pid;

	assert_int_equal(pipe(p1), 0);
	assert_int_equal(pipe(p2), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		char c;
		size_t i, size = 8 << 20;
		char *mem;

		close(p1[1]);
		close(p2[0]);
		if (read(p1[0], &c, 1) != 1)
			_exit(1);
		mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			_exit(1);
		for (i = 0; i < size; i += 4096)
			mem[i] = 1;
		if (write(p2[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p1[0]);
	close(p2[1]);
	*go = p1[1];
	*ready = p2[0];
	return pid;
}

/* memory.stat's tier lines as the test reads them: sscanf, line by line. */
static void host_stat(const char *dir, uint64_t *pages, unsigned int *present)
{
	static char text[65536];
	char *line, *save = NULL;
	int ev;

	*present = 0;
	memset(pages, 0, NL_MEMCG_EVENTS * sizeof(*pages));
	assert_true(read_str(dir, "memory.stat", text, sizeof(text)) > 0);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[64];
		unsigned long long v;

		if (sscanf(line, "%63s %llu", key, &v) != 2)
			continue;
		for (ev = 0; ev < NL_MEMCG_EVENTS; ev++)
			if (!strcmp(key, nl_memcg_event_key(ev))) {
				pages[ev] = v;
				*present |= 1u << ev;
			}
	}
}

/* memory.numa_stat's anon and file per node, as the test reads it. */
static void host_numa(const char *dir, int version, uint64_t *anon, uint64_t *file)
{
	static char text[65536];
	char *line, *save = NULL;
	long page = sysconf(_SC_PAGESIZE);

	memset(anon, 0, NL_MAX_NODES * sizeof(*anon));
	memset(file, 0, NL_MAX_NODES * sizeof(*file));
	assert_true(read_str(dir, "memory.numa_stat", text, sizeof(text)) > 0);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *want[2] = { version == 2 ? "anon " : "hierarchical_anon=",
					version == 2 ? "file " : "hierarchical_file=" };
		char *p;
		int k;

		for (k = 0; k < 2; k++)
			if (!strncmp(line, want[k], strlen(want[k])))
				break;
		if (k == 2)
			continue;
		for (p = strstr(line, " N"); p; p = strstr(p + 1, " N")) {
			int node;
			unsigned long long v;

			assert_int_equal(sscanf(p, " N%d=%llu", &node, &v), 2);
			assert_true(node >= 0 && node < NL_MAX_NODES);
			(k ? file : anon)[node] += version == 2 ? v : v * page;
		}
	}
}

/* cgroup v1's numa_stat counts the pages on the LRU lists, and the last
 * pages a task touched wait in its CPU's lru_add batch until something drains
 * it: 2022-2031 of the child's 2048 pages in half the runs here, for good.
 * migrate_pages from all nodes to the same nodes moves nothing and drains
 * every CPU's batches first (lru_cache_disable, migrate_prep before 5.14). */
static void lru_drain(pid_t pid)
{
	assert_true(numa_migrate_pages(pid, numa_all_nodes_ptr, numa_all_nodes_ptr) >= 0);
}

/* Both files, as the test reads them. */
struct host_files {
	uint64_t pages[NL_MEMCG_EVENTS];
	unsigned int present;
	uint64_t anon[NL_MAX_NODES], file[NL_MAX_NODES];
};

static void host_files(const char *dir, int version, struct host_files *f)
{
	host_stat(dir, f->pages, &f->present);
	host_numa(dir, version, f->anon, f->file);
}

static uint64_t sum(const uint64_t *v)
{
	uint64_t total = 0;
	int n;

	for (n = 0; n < NL_MAX_NODES; n++)
		total += v[n];
	return total;
}

/* What the host test made, undone by its teardown even when it fails. */
static struct {
	struct nl_cgtier_where w;
	struct host_cg h;
	pid_t pid;
	int go, ready;
	struct nl_snapshot snap;
} hs = { .pid = -1, .go = -1, .ready = -1 };

static int host_teardown(void **state)
{
	int status;

	if (hs.pid > 0) {
		kill(hs.pid, SIGKILL);
		waitpid(hs.pid, &status, 0);
	}
	if (hs.go >= 0)
		close(hs.go);
	if (hs.ready >= 0)
		close(hs.ready);
	if (hs.h.mem[0])
		host_cg_remove(&hs.w, &hs.h);
	nl_cgtier_set_free(&hs.snap.cgtiers);
	hs.pid = hs.go = hs.ready = -1;
	return 0;
}

static void test_host_cgroup(void **state)
{
	struct nl_topology t;
	struct nl_proc_view view;
	const struct nl_cgroup_tiers *c;
	struct host_files before, after;
	char pidtext[32], mems[64], sig;
	int n, ev, i;

	if (getuid() != 0)
		skip_because("not root: cannot make a cgroup");
	assert_int_equal(nl_cgtier_where_read(&hs.w), 0);
	if (!hs.w.version)
		skip_because("%s", hs.w.reason);
	if (!host_cg_make(&hs.w, &hs.h))
		skip_because("cannot make a cgroup under %s",
			     hs.w.version == 2 ? hs.w.m.v2 : hs.w.m.memory);
	hs.pid = child_start(&hs.go, &hs.ready);
	snprintf(pidtext, sizeof(pidtext), "%d\n", (int)hs.pid);
	assert_int_equal(write_str(hs.h.mem, "cgroup.procs", pidtext), 0);
	if (hs.h.cpuset[0])
		assert_int_equal(write_str(hs.h.cpuset, "cgroup.procs", pidtext), 0);
	assert_int_equal(write(hs.go, "g", 1), 1);
	assert_int_equal(read(hs.ready, &sig, 1), 1);
	lru_drain(hs.pid);
	/* The kernel folds its per-CPU counts into the cgroup's within 2 s
	 * (rstat's periodic flush): until the child's 8 MiB show, and what
	 * the files said when they have not within 5 s. */
	for (i = 0; i < 50; i++) {
		host_files(hs.h.mem, hs.w.version, &before);
		if (sum(before.anon) >= 8 << 20)
			break;
		usleep(100000);
	}
	if (sum(before.anon) < 8 << 20) {
		static char text[65536];

		if (read_str(hs.h.mem, "memory.numa_stat", text, sizeof(text)) > 0)
			print_message("%s/memory.numa_stat after 5 s:\n%s", hs.h.mem, text);
	}
	assert_true(sum(before.anon) >= 8 << 20);

	assert_int_equal(nl_topology_load(&t), 0);
	memset(&view, 0, sizeof(view));
	hs.snap.topo = &t;
	hs.snap.nr_nodes = t.nr_node_ids;
	hs.snap.procs = &view;
	hs.snap.nr = 1;
	view.pid = hs.pid;
	view.requested = true;
	/* Read between two readings of the test's own that agree. */
	for (i = 0; i < 20; i++) {
		host_files(hs.h.mem, hs.w.version, &before);
		assert_int_equal(
			nl_snapshot_cgroup_tiers(&hs.snap, (uint32_t *)&view.pid, 1, 0, NULL), 0);
		host_files(hs.h.mem, hs.w.version, &after);
		if (!memcmp(&before, &after, sizeof(before)))
			break;
		usleep(100000);
	}
	assert_memory_equal(&before, &after, sizeof(before));

	/* What the reader says is what the files hold. */
	assert_int_equal(hs.snap.cgtiers.nr, 1);
	c = &hs.snap.cgtiers.list[0];
	assert_string_equal(c->name, hs.h.path);
	assert_int_equal(c->r.version, hs.w.version);
	assert_true(c->r.stat_known);
	assert_int_equal(c->r.stat.present, after.present);
	for (ev = 0; ev < NL_MEMCG_EVENTS; ev++)
		assert_int_equal(c->r.stat.pages[ev], after.pages[ev]);
	if (hs.w.version == 1)
		assert_non_null(strstr(c->r.reason, "no promotion or demotion counters"));
	assert_true(c->r.numa_known);
	for (n = 0; n < NL_MAX_NODES; n++) {
		assert_int_equal(c->r.numa.anon[n], after.anon[n]);
		assert_int_equal(c->r.numa.file[n], after.file[n]);
	}
	/* Its cpuset: ours (v1, or v2 with the controller on), else one above. */
	if (hs.h.cpuset[0] || hs.w.version == 2) {
		assert_true(c->r.mems_known);
		if (!strcmp(c->r.mems_cgroup, hs.h.path)) {
			assert_true(read_str(hs.h.cpuset[0] ? hs.h.cpuset : hs.h.mem,
					     hs.h.cpuset[0] ? "cpuset.effective_mems" :
							      "cpuset.mems.effective",
					     mems, sizeof(mems)) > 0);
			trim_nl(mems);
			assert_string_equal(c->r.mems_list, mems);
		}
	}
	/* One node here: nothing promoted or demoted, nothing outside. */
	if (t.nr_nodes < 2) {
		assert_int_equal(c->promoted, 0);
		assert_int_equal(c->demoted, 0);
	}
	assert_false(c->outside_mems);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_61),
		cmocka_unit_test(test_stat_612),
		cmocka_unit_test(test_stat_618),
		cmocka_unit_test(test_stat_v1),
		cmocka_unit_test(test_stat_bad),
		cmocka_unit_test(test_numa_v2),
		cmocka_unit_test(test_numa_v1),
		cmocka_unit_test(test_finding),
		cmocka_unit_test(test_no_finding),
		cmocka_unit_test(test_step_scratch),
		cmocka_unit_test(test_step_cap),
		cmocka_unit_test(test_outputs),
		cmocka_unit_test_teardown(test_host_cgroup, host_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
