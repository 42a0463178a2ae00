// SPDX-License-Identifier: GPL-2.0
/*
 * The long path of a hardware memory sample (bpf/memsample.bpf.c), with
 * made-up samples: no machine here has PEBS or IBS, so nl_synth_sample, a
 * test-only program around the same accounting (count_sample), is run
 * through BPF_PROG_TEST_RUN with the data source, physical address, weight
 * and CPU each test chooses. Needs root.
 *
 * The production object is loaded with only that program (and the
 * sampling variants), on a made-up topology: CPU c on node c % 4, each
 * made-up CPU's entry in synth_pending with its copy of the physical
 * address map (node n holds 16 blocks of 128 MiB, with a hole between
 * nodes 1 and 2), emptied before each test. Each test's samples come from a
 * process of its own (a child, or a pid given), and are read where the
 * collector reads them: the process's pmu_procs entry and pmu_matrix cells,
 * then the slots still holding its samples; the latency rows of the CPUs.
 * Every value is asserted exactly, the data sources encoded with the
 * kernel's UAPI macros. The perf_event variants this kernel can load are
 * loaded too (not attached): the same accounting inlined into them must
 * verify.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "helpers.h"
#include "memsrc.h"
#include "numalens.h"
#include "sample.h"
#include "numalens.skel.h"

#define NODES 4
#define SHIFT 27 /* 128 MiB memory blocks */
#define BLOCKS_PER_NODE 16
#define UNKNOWN NL_NODE_UNKNOWN

/* First block of each node; blocks 32-39 are a hole. */
static const uint32_t first_block[NODES] = { 0, 16, 40, 56 };

static struct numalens *skel;
static bool has_kctx; /* bpf_cast_to_kern_ctx (6.2+) */

static uint64_t phys_on(int node)
{
	return ((uint64_t)(first_block[node] + 5) << SHIFT) + 0x1234c0;
}

#define PHYS_HOLE (((uint64_t)35 << SHIFT) + 0x40)
#define PHYS_PAST_TABLE ((uint64_t)NL_PHYS_BLOCKS << SHIFT) /* past the table */

/* Data sources as the kernel's drivers encode them (UAPI macros). */
#define LOAD PERF_MEM_S(OP, LOAD)
#ifdef PERF_MEM_LVLNUM_CXL
#define LVLNUM_CXL PERF_MEM_S(LVLNUM, CXL)
#else /* before Linux 6.2's UAPI header: the value it gave it */
#define LVLNUM_CXL (0x09ull << PERF_MEM_LVLNUM_SHIFT)
#endif
static const uint64_t src_local_dram = LOAD | PERF_MEM_S(LVL, HIT) | PERF_MEM_S(LVL, LOC_RAM) |
				       PERF_MEM_S(LVLNUM, RAM) | PERF_MEM_S(SNOOP, NONE);
/* Older PEBS: REM_RAM1, no hops. */
static const uint64_t src_remote_dram_1 = LOAD | PERF_MEM_S(LVL, HIT) | PERF_MEM_S(LVL, REM_RAM1) |
					  PERF_MEM_S(LVLNUM, RAM) | PERF_MEM_S(REMOTE, REMOTE) |
					  PERF_MEM_S(SNOOP, NONE);
/* IBS (Zen 4): the remote bit and hops, another socket. */
static const uint64_t src_remote_dram_2 = LOAD | PERF_MEM_S(LVLNUM, RAM) |
					  PERF_MEM_S(REMOTE, REMOTE) | PERF_MEM_S(HOPS, 2);
/* A modified line in another node's cache. */
static const uint64_t src_remote_hitm = LOAD | PERF_MEM_S(LVL, HIT) | PERF_MEM_S(LVL, REM_CCE1) |
					PERF_MEM_S(LVLNUM, ANY_CACHE) | PERF_MEM_S(REMOTE, REMOTE) |
					PERF_MEM_S(HOPS, 1) | PERF_MEM_S(SNOOP, HITM);
static const uint64_t src_cxl = LOAD | PERF_MEM_S(LVL, NA) | LVLNUM_CXL | PERF_MEM_S(SNOOP, NONE);
static const uint64_t src_remote_cxl = LOAD | PERF_MEM_S(LVL, NA) | LVLNUM_CXL |
				       PERF_MEM_S(REMOTE, REMOTE) | PERF_MEM_S(HOPS, 1);
static const uint64_t src_na = LOAD | PERF_MEM_S(LVL, NA) | PERF_MEM_S(LVLNUM, NA) |
			       PERF_MEM_S(SNOOP, NA);
static const uint64_t src_l1 = LOAD | PERF_MEM_S(LVL, HIT) | PERF_MEM_S(LVL, L1) |
			       PERF_MEM_S(LVLNUM, L1);

#define ALL_FIELDS                                                             \
	(PERF_SAMPLE_ADDR | PERF_SAMPLE_DATA_SRC | PERF_SAMPLE_WEIGHT_STRUCT | \
	 PERF_SAMPLE_PHYS_ADDR)
#define DATA_ADDR 0x7f0000001000ull

static struct nl_synth_sample sample(uint64_t src, uint32_t cpu, uint64_t phys, uint64_t weight)
{
	return (struct nl_synth_sample){ .sample_flags = ALL_FIELDS,
					 .data_src = src,
					 .weight = weight,
					 .phys_addr = phys,
					 .addr = DATA_ADDR,
					 .cpu = cpu };
}

/* 0 when the program ran and returned 0. */
static int feed(const struct nl_synth_sample *s)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = s, .ctx_size_in = sizeof(*s));
	int err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.nl_synth_sample), &opts);

	return err ? err : (int)opts.retval;
}

struct batch {
	const struct nl_synth_sample *s;
	int n;
};

/* In the child: its samples, through its own thread. */
static double feed_batch(void *arg)
{
	const struct batch *b = arg;
	int i, bad = 0;

	for (i = 0; i < b->n; i++)
		bad += feed(&b->s[i]) != 0;
	return bad;
}

#define ENTRY_SIZE NL_PMU_PENDING_SIZE(NODES)

/* Made-up CPU cpu's entry in synth_pending, its rows for NODES nodes. */
static struct nl_pmu_pending *entry(char *entries, int cpu)
{
	return (struct nl_pmu_pending *)(entries + cpu * ENTRY_SIZE);
}

/* The slot of process tgid in a made-up CPU's entry. */
static struct nl_pmu_slot *slot_of(char *entries, int cpu, uint32_t tgid)
{
	return nl_pending_slot(entry(entries, cpu), NODES, tgid % NL_PMU_SLOTS);
}

/* Every made-up CPU's entry, read after the shared maps as the collector
 * reads its CPUs'; free() it. */
static char *read_entries(void)
{
	int fd = bpf_map__fd(skel->maps.synth_pending);
	char *entries = calloc(NL_SYNTH_CPUS, ENTRY_SIZE);
	uint32_t cpu;

	assert_non_null(entries);
	for (cpu = 0; cpu < NL_SYNTH_CPUS; cpu++)
		assert_int_equal(bpf_map_lookup_elem(fd, &cpu, entry(entries, cpu)), 0);
	return entries;
}

/* The process's counters where a reader finds them: its pmu_procs entry,
 * then what CPUs hold pending. false: none anywhere. */
static bool process_counters(uint32_t tgid, struct nl_pmu_proc *out)
{
	char *entries;
	bool found;
	int cpu;

	memset(out, 0, sizeof(*out));
	found = !bpf_map_lookup_elem(bpf_map__fd(skel->maps.pmu_procs), &tgid, out);
	entries = read_entries();
	for (cpu = 0; cpu < NL_SYNTH_CPUS; cpu++) {
		struct nl_pmu_slot *slot = slot_of(entries, cpu, tgid);

		if (slot->tgid != tgid || !slot->counts.samples)
			continue;
		nl_pmu_add(out, &slot->counts);
		found = true;
	}
	free(entries);
	return found;
}

static void assert_counters(const char *what, const struct nl_pmu_proc *got,
			    const struct nl_pmu_proc *want)
{
	/* __u64, the fields' own type: uint64_t here is another (aliasing). */
	const __u64 *g = (const __u64 *)got, *w = (const __u64 *)want;
	static const char *const names[] = {
		"samples",
		"with_addr",
		"by_class[unknown]",
		"by_class[cache]",
		"by_class[remote cache]",
		"by_class[local dram]",
		"by_class[remote dram]",
		"by_class[local cxl]",
		"by_class[remote cxl]",
		"by_class[other]",
		"remote_by_hops[0]",
		"remote_by_hops[1]",
		"remote_by_hops[2]",
		"remote_by_hops[3]",
		"mem_local",
		"mem_remote",
		"weight_local",
		"weight_remote",
	};
	size_t i, bad = 0;

	_Static_assert(sizeof(names) / sizeof(names[0]) == sizeof(*got) / sizeof(__u64),
		       "a name per counter");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (g[i] == w[i])
			continue;
		print_error("%s: %s is %llu, want %llu\n", what, names[i], (unsigned long long)g[i],
			    (unsigned long long)w[i]);
		bad++;
	}
	if (bad)
		fail_msg("%s: %zu counters differ", what, bad);
}

/* The process's counters are exactly want; want NULL: it has none. */
static void assert_process(uint32_t tgid, const struct nl_pmu_proc *want)
{
	struct nl_pmu_proc got;
	bool found = process_counters(tgid, &got);

	if (!want) {
		if (found)
			fail_msg("samples of %u counted (%llu)", tgid,
				 (unsigned long long)got.samples);
		return;
	}
	if (!found)
		fail_msg("no samples of %u anywhere", tgid);
	assert_counters("process counters", &got, want);
}

struct cell {
	uint16_t cpu_node, mem_node;
	uint64_t samples, weight;
};

#define MAX_CELLS (NODES * (NODES + 1))

/* Adds samples to (cpu_node, mem_node) in cells[0..*n). */
static void cell_add(struct cell *cells, int *n, uint16_t cpu_node, uint16_t mem_node,
		     uint64_t samples, uint64_t weight)
{
	int i;

	for (i = 0; i < *n; i++)
		if (cells[i].cpu_node == cpu_node && cells[i].mem_node == mem_node)
			break;
	if (i == *n) {
		assert_true(*n < MAX_CELLS);
		cells[(*n)++] = (struct cell){ cpu_node, mem_node, 0, 0 };
	}
	cells[i].samples += samples;
	cells[i].weight += weight;
}

/* tgid's cells, in pmu_matrix and pending in CPUs' rows added, are exactly
 * want[0..n). */
static void assert_matrix(uint32_t tgid, const struct cell *want, int n)
{
	int fd = bpf_map__fd(skel->maps.pmu_matrix), found = 0, i, j, cpu;
	struct nl_pmu_matrix_key key, next, *prev = NULL;
	struct cell got[MAX_CELLS];
	struct nl_pmu_cell cell;
	char *entries;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (key.tgid != tgid)
			continue;
		assert_int_equal(bpf_map_lookup_elem(fd, &key, &cell), 0);
		cell_add(got, &found, key.cpu_node, key.mem_node, cell.samples, cell.weight);
	}
	entries = read_entries();
	for (cpu = 0; cpu < NL_SYNTH_CPUS; cpu++) {
		struct nl_pmu_pending *p = entry(entries, cpu);
		struct nl_pmu_slot *slot = slot_of(entries, cpu, tgid);

		if (slot->tgid != tgid || !slot->counts.samples)
			continue;
		for (j = 0; j <= NODES; j++) {
			struct nl_pmu_cell *row = nl_slot_row(slot, j);

			if (row->samples)
				cell_add(got, &found, p->cpu_node, j < NODES ? j : UNKNOWN,
					 row->samples, row->weight);
		}
	}
	free(entries);
	for (j = 0; j < found; j++) {
		for (i = 0; i < n; i++)
			if (want[i].cpu_node == got[j].cpu_node &&
			    want[i].mem_node == got[j].mem_node)
				break;
		if (i == n)
			fail_msg("unexpected matrix cell (%u, %u): %llu samples", got[j].cpu_node,
				 got[j].mem_node, (unsigned long long)got[j].samples);
		if (got[j].samples != want[i].samples || got[j].weight != want[i].weight)
			fail_msg("matrix cell (%u, %u): %llu samples, weight %llu; want %llu, %llu",
				 got[j].cpu_node, got[j].mem_node,
				 (unsigned long long)got[j].samples,
				 (unsigned long long)got[j].weight,
				 (unsigned long long)want[i].samples,
				 (unsigned long long)want[i].weight);
	}
	if (found != n)
		fail_msg("%d matrix cells for %u, want %d", found, tgid, n);
}

struct lat {
	uint32_t cpu_node, mem_node;
	uint64_t samples, weight;
	int nr_buckets;
	struct {
		int bucket;
		uint64_t count;
	} b[6];
};

/* The latency cell (cpu_node, mem_node): the made-up CPUs' rows added. */
static void read_lat(uint32_t cpu_node, uint32_t mem_node, struct nl_pmu_lat *sum)
{
	char *entries = read_entries();
	int cpu, b;

	memset(sum, 0, sizeof(*sum));
	for (cpu = 0; cpu < NL_SYNTH_CPUS; cpu++) {
		struct nl_pmu_pending *p = entry(entries, cpu);
		struct nl_pmu_lat *lat;

		if (p->cpu_node != cpu_node)
			continue;
		lat = nl_pending_lat(p, NODES, mem_node < NODES ? mem_node : NODES);
		sum->samples += lat->samples;
		sum->weight += lat->weight;
		for (b = 0; b < NL_LAT_BUCKETS; b++)
			sum->hist[b] += lat->hist[b];
	}
	free(entries);
}

/* The latency cells (machine-wide, each CPU's rows, emptied before each
 * test) are exactly want[0..n): every (CPU node, memory node). */
static void assert_lat(const struct lat *want, int n)
{
	int found = 0, i, j;
	uint32_t slot, cpu_node, mem_node;
	struct nl_pmu_lat got;

	for (slot = 0; slot < NL_PMU_LAT_SLOTS(NODES); slot++) {
		uint64_t hist[NL_LAT_BUCKETS] = { 0 };

		cpu_node = slot / (NODES + 1);
		mem_node = slot % (NODES + 1) < NODES ? slot % (NODES + 1) : UNKNOWN;
		assert_int_equal(nl_pmu_lat_slot(cpu_node, mem_node, NODES), slot);
		read_lat(cpu_node, mem_node, &got);
		for (i = 0; i < n; i++)
			if (want[i].cpu_node == cpu_node && want[i].mem_node == mem_node)
				break;
		if (i == n) {
			if (got.samples || got.weight)
				fail_msg("unexpected latency cell (%u, %u): %llu samples", cpu_node,
					 mem_node, (unsigned long long)got.samples);
			for (j = 0; j < NL_LAT_BUCKETS; j++)
				if (got.hist[j])
					fail_msg(
						"latency cell (%u, %u): bucket %d has %llu, want 0",
						cpu_node, mem_node, j,
						(unsigned long long)got.hist[j]);
			continue;
		}
		if (got.samples != want[i].samples || got.weight != want[i].weight)
			fail_msg(
				"latency cell (%u, %u): %llu samples, weight %llu; want %llu, %llu",
				cpu_node, mem_node, (unsigned long long)got.samples,
				(unsigned long long)got.weight, (unsigned long long)want[i].samples,
				(unsigned long long)want[i].weight);
		for (j = 0; j < want[i].nr_buckets; j++)
			hist[want[i].b[j].bucket] = want[i].b[j].count;
		for (j = 0; j < NL_LAT_BUCKETS; j++)
			if (got.hist[j] != hist[j])
				fail_msg("latency cell (%u, %u): bucket %d has %llu, want %llu",
					 cpu_node, mem_node, j, (unsigned long long)got.hist[j],
					 (unsigned long long)hist[j]);
		found++;
	}
	if (found != n)
		fail_msg("%d latency cells, want %d", found, n);
}

/* Runs the samples in a new child process; returns it, alive, for reading. */
static struct child run_child(const struct nl_synth_sample *s, int n)
{
	static struct batch b;
	struct child c;

	b = (struct batch){ s, n };
	c = start_child(feed_batch, &b);
	assert_int_equal(child_result(&c), 0);
	return c;
}

/* Empties every made-up CPU's entry (no process, no latency) but for its
 * copy of the physical address map, as the loader writes it: a run of
 * blocks per node, the hole, the end. */
static int empty_cpus(void **state)
{
	const struct nl_phys_range ranges[] = {
		{ first_block[0], 0 }, { first_block[1], 1 },
		{ 32, UNKNOWN },       { first_block[2], 2 },
		{ first_block[3], 3 }, { first_block[3] + BLOCKS_PER_NODE, UNKNOWN },
	};
	int fd = bpf_map__fd(skel->maps.synth_pending), err = 0;
	struct nl_pmu_pending *empty = calloc(1, ENTRY_SIZE);
	uint32_t cpu;

	if (!empty)
		return -1;
	empty->block_shift = SHIFT;
	empty->nr_ranges = sizeof(ranges) / sizeof(ranges[0]);
	memcpy(empty->ranges, ranges, sizeof(ranges));
	for (cpu = 0; cpu < NL_SYNTH_CPUS && !err; cpu++)
		err = bpf_map_update_elem(fd, &cpu, empty, BPF_ANY);
	free(empty);
	return err ? -1 : 0;
}

static void test_local_dram(void **state)
{
	/* CPU 2 (node 2), its memory on node 2, 100 cycles. */
	struct nl_synth_sample s[] = { sample(src_local_dram, 2, phys_on(2), 100) };
	struct child c = run_child(s, 1);
	struct nl_pmu_proc want = {
		.samples = 1, .with_addr = 1, .mem_local = 1, .weight_local = 100
	};

	want.by_class[NL_MEM_LOCAL_DRAM] = 1;
	assert_process(c.pid, &want);
	assert_matrix(c.pid, (struct cell[]){ { 2, 2, 1, 100 } }, 1);
	assert_lat((struct lat[]){ { 2, 2, 1, 100, 1, { { 6, 1 } } } }, 1); /* 64-127 */
	end_child(&c);
}

/* One hop (REM_RAM1) and two (IBS's hops), memory on the node the physical
 * address says, then the same without a physical address: the remote bit
 * alone, memory node unknown. */
static void test_remote_dram_hops(void **state)
{
	struct nl_synth_sample s[] = {
		sample(src_remote_dram_1, 0, phys_on(1), 300),
		sample(src_remote_dram_2, 0, phys_on(3), 500),
		sample(src_remote_dram_2, 0, phys_on(3), 520),
		sample(src_remote_dram_1, 0, 0, 1000),
	};
	struct child c = run_child(s, 4);
	struct nl_pmu_proc want = {
		.samples = 4, .with_addr = 4, .mem_remote = 4, .weight_remote = 2320
	};

	want.by_class[NL_MEM_REMOTE_DRAM] = 4;
	want.remote_by_hops[1] = 2;
	want.remote_by_hops[2] = 2;
	assert_process(c.pid, &want);
	assert_matrix(
		c.pid,
		(struct cell[]){ { 0, 1, 1, 300 }, { 0, 3, 2, 1020 }, { 0, UNKNOWN, 1, 1000 } }, 3);
	assert_lat((struct lat[]){ { 0, 1, 1, 300, 1, { { 8, 1 } } },
				   { 0, 3, 2, 1020, 2, { { 8, 1 }, { 9, 1 } } },
				   { 0, UNKNOWN, 1, 1000, 1, { { 9, 1 } } } },
		   3);
	end_child(&c);
}

/* A modified line in another node's cache: counted as a remote cache hit,
 * not as memory (no matrix or latency cell, no hops). */
static void test_remote_hitm(void **state)
{
	struct nl_synth_sample s[] = { sample(src_remote_hitm, 1, phys_on(0), 250),
				       sample(src_l1, 1, phys_on(1), 4) };
	struct child c = run_child(s, 2);
	struct nl_pmu_proc want = { .samples = 2, .with_addr = 2 };

	want.by_class[NL_MEM_REMOTE_CACHE] = 1;
	want.by_class[NL_MEM_CACHE] = 1;
	assert_process(c.pid, &want);
	assert_matrix(c.pid, NULL, 0);
	assert_lat(NULL, 0);
	end_child(&c);
}

/*
 * CXL memory on node 3 (a CPU-less node on real machines) read from node 0:
 * the class says local CXL (no remote bit), the node from the physical
 * address says remote, and the node decides (hops 0: no distance known).
 * Without a physical address, local CXL is this CPU's node; remote CXL is
 * remote, its node unknown.
 */
static void test_cxl(void **state)
{
	struct nl_synth_sample s[] = {
		sample(src_cxl, 0, phys_on(3), 700),
		sample(src_cxl, 0, 0, 600),
		sample(src_remote_cxl, 0, 0, 900),
	};
	struct child c = run_child(s, 3);
	struct nl_pmu_proc want = { .samples = 3,
				    .with_addr = 3,
				    .mem_local = 1,
				    .mem_remote = 2,
				    .weight_local = 600,
				    .weight_remote = 1600 };

	assert_int_equal(NL_MEM_LVLNUM_CXL, (LVLNUM_CXL >> PERF_MEM_LVLNUM_SHIFT));
	want.by_class[NL_MEM_LOCAL_CXL] = 2;
	want.by_class[NL_MEM_REMOTE_CXL] = 1;
	want.remote_by_hops[0] = 1;
	want.remote_by_hops[1] = 1;
	assert_process(c.pid, &want);
	assert_matrix(c.pid,
		      (struct cell[]){ { 0, 3, 1, 700 }, { 0, 0, 1, 600 }, { 0, UNKNOWN, 1, 900 } },
		      3);
	assert_lat((struct lat[]){ { 0, 3, 1, 700, 1, { { 9, 1 } } },
				   { 0, 0, 1, 600, 1, { { 9, 1 } } },
				   { 0, UNKNOWN, 1, 900, 1, { { 9, 1 } } } },
		   3);
	end_child(&c);
}

/* No data source: N/A everywhere, all zero, or a word the PMU did not fill
 * (no PERF_SAMPLE_DATA_SRC: a stale local-DRAM value must not count). */
static void test_unknown_source(void **state)
{
	struct nl_synth_sample s[] = {
		sample(src_na, 3, phys_on(3), 100),
		sample(0, 3, phys_on(3), 100),
		sample(src_local_dram, 3, phys_on(3), 100),
	};
	struct child c;
	struct nl_pmu_proc want = { .samples = 3, .with_addr = 2 };

	s[1].addr = 0;
	s[2].sample_flags &= ~PERF_SAMPLE_DATA_SRC;
	c = run_child(s, 3);
	want.by_class[NL_MEM_UNKNOWN] = 3;
	assert_process(c.pid, &want);
	assert_matrix(c.pid, NULL, 0);
	assert_lat(NULL, 0);
	end_child(&c);
}

/* From CPU 1 (node 1), local DRAM by its data source on each node by its
 * physical address, in the hole and past the table: the address decides
 * where it maps, the data source's local where it does not. */
static void test_physical_address_nodes(void **state)
{
	struct nl_synth_sample s[] = {
		sample(src_local_dram, 1, phys_on(0), 10),
		sample(src_local_dram, 1, phys_on(1), 20),
		sample(src_local_dram, 1, phys_on(2), 40),
		sample(src_local_dram, 1, phys_on(3), 80),
		sample(src_local_dram, 1, PHYS_HOLE, 160),
		sample(src_local_dram, 1, PHYS_PAST_TABLE, 320),
		/* the first and the last byte of node 2 */
		sample(src_local_dram, 1, (uint64_t)first_block[2] << SHIFT, 1),
		sample(src_local_dram, 1,
		       ((uint64_t)(first_block[2] + BLOCKS_PER_NODE) << SHIFT) - 1, 1),
	};
	struct child c = run_child(s, 8);
	struct nl_pmu_proc want = { .samples = 8,
				    .with_addr = 8,
				    .mem_local = 3,
				    .mem_remote = 5,
				    .weight_local = 500,
				    .weight_remote = 132 };

	want.by_class[NL_MEM_LOCAL_DRAM] = 8;
	want.remote_by_hops[0] = 5;
	assert_process(c.pid, &want);
	assert_matrix(c.pid,
		      (struct cell[]){
			      { 1, 0, 1, 10 }, { 1, 1, 3, 500 }, { 1, 2, 3, 42 }, { 1, 3, 1, 80 } },
		      4);
	assert_lat((struct lat[]){ { 1, 0, 1, 10, 1, { { 3, 1 } } },
				   { 1, 1, 3, 500, 3, { { 4, 1 }, { 7, 1 }, { 8, 1 } } },
				   { 1, 2, 3, 42, 2, { { 0, 2 }, { 5, 1 } } },
				   { 1, 3, 1, 80, 1, { { 6, 1 } } } },
		   4);
	end_child(&c);
}

/* Remote DRAM whose physical address the PMU did not give: the flag is
 * missing (the field holds a stale node-1 address), or the address is 0.
 * The remote bit decides, memory node unknown. */
static void test_no_physical_address(void **state)
{
	struct nl_synth_sample s[] = {
		sample(src_remote_dram_1, 0, phys_on(1), 200),
		sample(src_remote_dram_1, 0, 0, 200),
		sample(src_local_dram, 0, phys_on(1), 50),
	};
	struct child c;
	struct nl_pmu_proc want = { .samples = 3,
				    .with_addr = 3,
				    .mem_local = 1,
				    .mem_remote = 2,
				    .weight_local = 50,
				    .weight_remote = 400 };

	s[0].sample_flags &= ~PERF_SAMPLE_PHYS_ADDR;
	s[2].sample_flags &= ~PERF_SAMPLE_PHYS_ADDR;
	c = run_child(s, 3);
	want.by_class[NL_MEM_LOCAL_DRAM] = 1;
	want.by_class[NL_MEM_REMOTE_DRAM] = 2;
	want.remote_by_hops[1] = 2;
	assert_process(c.pid, &want);
	assert_matrix(c.pid, (struct cell[]){ { 0, UNKNOWN, 2, 400 }, { 0, 0, 1, 50 } }, 2);
	assert_lat((struct lat[]){ { 0, UNKNOWN, 2, 400, 1, { { 7, 2 } } },
				   { 0, 0, 1, 50, 1, { { 5, 1 } } } },
		   2);
	end_child(&c);
}

/* Weights at the histogram's edges: 0 and 1 in bucket 0, 2^b in b, a weight
 * past 2^23 in the last bucket; a weight the PMU did not fill counts 0. */
static void test_latency_weights(void **state)
{
	static const uint64_t w[] = { 0,	  1,	     2, 3, 65535, 65536, (1ull << 23) - 1,
				      1ull << 23, 1ull << 40 };
	struct nl_synth_sample s[10];
	struct child c;
	struct nl_pmu_proc want = { .samples = 10, .with_addr = 10, .mem_local = 10 };
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < 9; i++) {
		s[i] = sample(src_local_dram, 3, phys_on(3), w[i]);
		sum += w[i];
	}
	s[9] = sample(src_local_dram, 3, phys_on(3), 12345);
	s[9].sample_flags &= ~PERF_SAMPLE_WEIGHT_STRUCT;
	/* The plain u64 weight of kernels before 5.12 counts as well. */
	s[8].sample_flags = (s[8].sample_flags & ~PERF_SAMPLE_WEIGHT_STRUCT) | PERF_SAMPLE_WEIGHT;
	c = run_child(s, 10);
	want.by_class[NL_MEM_LOCAL_DRAM] = 10;
	want.weight_local = sum;
	assert_process(c.pid, &want);
	assert_matrix(c.pid, (struct cell[]){ { 3, 3, 10, sum } }, 1);
	assert_lat(
		(struct lat[]){
			{ 3,
			  3,
			  10,
			  sum,
			  6,
			  { { 0, 3 }, { 1, 2 }, { 15, 1 }, { 16, 1 }, { 22, 1 }, { 23, 2 } } } },
		1);
	end_child(&c);
}

/* Exit between samples: the second thread's two samples, then it exits,
 * then the first thread's one, all the process's; then the process exits,
 * and a late sample of it (the exit path itself) is still its. */
static struct nl_synth_sample exit_thread_s[2], exit_main_s[1];

static void *second_thread(void *arg)
{
	int i, bad = 0;

	for (i = 0; i < 2; i++)
		bad += feed(&exit_thread_s[i]) != 0;
	*(pid_t *)arg = gettid();
	return (void *)(long)bad;
}

static double exit_child(void *arg)
{
	pthread_t t;
	void *bad;
	pid_t tid = 0;
	char path[64];
	int tries;

	if (pthread_create(&t, NULL, second_thread, &tid) || pthread_join(t, &bad) || bad)
		return 1;
	/* Joined when its tid is cleared, which can be before its exit
	 * tracepoint: gone from /proc only after it. */
	snprintf(path, sizeof(path), "/proc/self/task/%d", tid);
	for (tries = 0; !access(path, F_OK); tries++) {
		if (tries == 5000)
			return 2;
		usleep(1000);
	}
	return feed(&exit_main_s[0]) != 0 ? 3 : 0;
}

static void test_thread_exits_between_samples(void **state)
{
	struct nl_pmu_proc all = { .samples = 3,
				   .with_addr = 3,
				   .mem_remote = 2,
				   .weight_remote = 800,
				   .mem_local = 1,
				   .weight_local = 100 };
	struct nl_synth_sample late = sample(src_local_dram, 2, phys_on(2), 100);
	struct child c;
	int status;

	exit_thread_s[0] = sample(src_remote_dram_1, 2, phys_on(0), 300);
	exit_thread_s[1] = sample(src_remote_dram_1, 2, phys_on(0), 500);
	exit_main_s[0] = sample(src_local_dram, 2, phys_on(2), 100);
	all.by_class[NL_MEM_REMOTE_DRAM] = 2;
	all.remote_by_hops[1] = 2;
	all.by_class[NL_MEM_LOCAL_DRAM] = 1;

	/* The second thread's samples, its exit, then the main thread's. */
	c = start_child(exit_child, NULL);
	assert_int_equal(child_result(&c), 0);
	assert_process(c.pid, &all);
	assert_matrix(c.pid, (struct cell[]){ { 2, 0, 2, 800 }, { 2, 2, 1, 100 } }, 2);

	/* The whole process ends: nothing is lost. */
	close(c.from_parent);
	close(c.to_parent);
	assert_int_equal(waitpid(c.pid, &status, 0), c.pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_process(c.pid, &all);

	/* A sample of it after its end (taken before, read late) still counts. */
	late.opts = NL_SYNTH_GIVEN_THREAD;
	late.pid_tgid = (uint64_t)c.pid << 32 | c.pid;
	assert_int_equal(feed(&late), 0);
	all.samples++;
	all.with_addr++;
	all.by_class[NL_MEM_LOCAL_DRAM]++;
	all.mem_local++;
	all.weight_local += 100;
	assert_process(c.pid, &all);
	assert_matrix(c.pid, (struct cell[]){ { 2, 0, 2, 800 }, { 2, 2, 2, 200 } }, 2);
	assert_lat((struct lat[]){ { 2, 0, 2, 800, 1, { { 8, 2 } } },
				   { 2, 2, 2, 200, 1, { { 6, 2 } } } },
		   2);
}

/* Process A's samples wait in a slot of its CPU's entry until the CPU
 * samples process B, whose slot is the same (tgid % NL_PMU_SLOTS): then
 * they move to A's shared entries whole, and B's wait. Process C, in
 * another slot, waits all along. */
static void test_pending_moves_out(void **state)
{
	uint32_t a = 0x7ffff0, c = 0x7ffff1, b = a + NL_PMU_SLOTS;
	struct {
		uint32_t tgid;
		struct nl_synth_sample s;
	} in[] = {
		{ a, sample(src_remote_dram_1, 1, phys_on(0), 300) },
		{ a, sample(src_local_dram, 1, phys_on(1), 40) },
		{ c, sample(src_local_dram, 1, phys_on(1), 10) },
		{ b, sample(src_local_dram, 1, phys_on(1), 70) },
		{ b, sample(src_local_dram, 2, phys_on(2), 20) }, /* on CPU 2 */
	};
	struct nl_pmu_proc
		want_a = { .samples = 2,
			   .with_addr = 2,
			   .mem_remote = 1,
			   .weight_remote = 300,
			   .mem_local = 1,
			   .weight_local = 40 },
		want_b = { .samples = 2, .with_addr = 2, .mem_local = 2, .weight_local = 90 },
		want_c = { .samples = 1, .with_addr = 1, .mem_local = 1, .weight_local = 10 }, got;
	int procs = bpf_map__fd(skel->maps.pmu_procs);
	struct nl_pmu_slot *slot;
	char *entries;
	size_t i;

	want_a.by_class[NL_MEM_REMOTE_DRAM] = 1;
	want_a.remote_by_hops[1] = 1;
	want_a.by_class[NL_MEM_LOCAL_DRAM] = 1;
	want_b.by_class[NL_MEM_LOCAL_DRAM] = 2;
	want_c.by_class[NL_MEM_LOCAL_DRAM] = 1;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		in[i].s.opts = NL_SYNTH_GIVEN_THREAD;
		in[i].s.pid_tgid = (uint64_t)in[i].tgid << 32 | in[i].tgid;
		assert_int_equal(feed(&in[i].s), 0);
		if (i != 2)
			continue;
		/* A's two and C's wait on CPU 1; nothing is shared yet. */
		entries = read_entries();
		slot = slot_of(entries, 1, a);
		assert_int_equal(slot->tgid, a);
		assert_int_equal(entry(entries, 1)->cpu_node, 1);
		assert_counters("A's slot", &slot->counts, &want_a);
		assert_int_equal(nl_slot_row(slot, 0)->samples, 1);
		assert_int_equal(nl_slot_row(slot, 0)->weight, 300);
		assert_int_equal(nl_slot_row(slot, 1)->samples, 1);
		assert_int_equal(nl_slot_row(slot, 1)->weight, 40);
		assert_int_equal(slot_of(entries, 1, c)->tgid, c);
		free(entries);
		assert_int_not_equal(bpf_map_lookup_elem(procs, &a, &got), 0);
	}
	/* A's, whole, in the shared maps; its slot holds B's. */
	assert_int_equal(bpf_map_lookup_elem(procs, &a, &got), 0);
	assert_counters("pmu_procs of A", &got, &want_a);
	assert_process(a, &want_a);
	assert_matrix(a, (struct cell[]){ { 1, 0, 1, 300 }, { 1, 1, 1, 40 } }, 2);
	entries = read_entries();
	slot = slot_of(entries, 1, b);
	assert_int_equal(slot->tgid, b);
	assert_int_equal(slot->counts.samples, 1);
	assert_int_equal(nl_slot_row(slot, 0)->samples, 0);
	assert_int_equal(nl_slot_row(slot, 1)->samples, 1);
	free(entries);
	/* B's on two CPUs, C's on one, none shared: a reader adds them. */
	assert_int_not_equal(bpf_map_lookup_elem(procs, &b, &got), 0);
	assert_int_not_equal(bpf_map_lookup_elem(procs, &c, &got), 0);
	assert_process(b, &want_b);
	assert_matrix(b, (struct cell[]){ { 1, 1, 1, 70 }, { 2, 2, 1, 20 } }, 2);
	assert_process(c, &want_c);
	assert_matrix(c, (struct cell[]){ { 1, 1, 1, 10 } }, 1);
	/* The latency rows stay with the CPUs: A's moved out, not its latency. */
	assert_lat((struct lat[]){ { 1, 0, 1, 300, 1, { { 8, 1 } } },
				   { 1, 1, 3, 120, 3, { { 3, 1 }, { 5, 1 }, { 6, 1 } } },
				   { 2, 2, 1, 20, 1, { { 4, 1 } } } },
		   3);
}

/* The perf_event programs around the same accounting load: the CO-RE
 * variant everywhere, the direct one where bpf_cast_to_kern_ctx exists. */
static void test_sampling_variants_load(void **state)
{
	assert_true(bpf_program__fd(skel->progs.nl_mem_sample) >= 0);
	assert_int_equal(bpf_program__fd(skel->progs.nl_mem_sample_kctx) >= 0, has_kctx);
	print_message("bpf_cast_to_kern_ctx: %s\n", has_kctx ? "yes" : "no");
}

/* A sample of the idle task (tid 0) counts nowhere. */
static void test_idle(void **state)
{
	struct nl_synth_sample s = sample(src_local_dram, 0, phys_on(0), 100);

	s.opts = NL_SYNTH_GIVEN_THREAD;
	s.pid_tgid = 0;
	assert_int_equal(feed(&s), 0);
	assert_process(0, NULL);
	assert_matrix(0, NULL, 0);
	assert_lat(NULL, 0);
}

static int setup(void **state)
{
	struct bpf_program *prog;
	struct btf *vmlinux;
	int cpu;

	skel = numalens__open();
	if (!skel)
		return -1;
	/* The made-up samples and the sampling variants this kernel can load
	 * (verified with count_sample inlined, never attached). */
	bpf_object__for_each_program(prog, skel->obj)
	{
		bpf_program__set_autoload(prog, prog == skel->progs.nl_synth_sample ||
							prog == skel->progs.nl_mem_sample);
	}
	vmlinux = btf__load_vmlinux_btf();
	if (libbpf_get_error(vmlinux))
		return -1;
	has_kctx = btf__find_by_name_kind(vmlinux, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	bpf_program__set_autoload(skel->progs.nl_mem_sample_kctx, has_kctx);
	for (cpu = 0; cpu < NL_MAX_CPUS; cpu++)
		skel->rodata->cpu_node[cpu] = cpu % NODES;
	skel->rodata->nr_node_ids = NODES;
	/* Sized for the nodes, as the loader does. */
	if (bpf_map__set_value_size(skel->maps.pmu_pending, ENTRY_SIZE) ||
	    bpf_map__set_value_size(skel->maps.synth_pending, ENTRY_SIZE))
		return -1;
	return numalens__load(skel) ? -1 : 0;
}

static int teardown(void **state)
{
	numalens__destroy(skel);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_local_dram, empty_cpus),
		cmocka_unit_test_setup(test_remote_dram_hops, empty_cpus),
		cmocka_unit_test_setup(test_remote_hitm, empty_cpus),
		cmocka_unit_test_setup(test_cxl, empty_cpus),
		cmocka_unit_test_setup(test_unknown_source, empty_cpus),
		cmocka_unit_test_setup(test_physical_address_nodes, empty_cpus),
		cmocka_unit_test_setup(test_no_physical_address, empty_cpus),
		cmocka_unit_test_setup(test_latency_weights, empty_cpus),
		cmocka_unit_test_setup(test_thread_exits_between_samples, empty_cpus),
		cmocka_unit_test_setup(test_pending_moves_out, empty_cpus),
		cmocka_unit_test_setup(test_idle, empty_cpus),
		cmocka_unit_test(test_sampling_variants_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
