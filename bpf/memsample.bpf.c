// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware memory-access sampling: the most trusted source of a remote
 * access ratio. Attached to a precise memory-sampling event on every CPU
 * (Intel PEBS load latency, AMD IBS op), it sees one sampled load at a time
 * with where it was served from (data_src), its latency (weight) and, where
 * the PMU gives it, its physical address.
 *
 * Per process it counts samples by memory level, remote memory samples by
 * distance, and memory samples per (CPU node, memory node). The memory node
 * is exact when the physical address maps to a node through the address map
 * (runs of memory blocks, from sysfs, a copy per CPU); otherwise the data
 * source's remote bit says local (this CPU's node) or remote (node
 * unknown). Machine-wide it keeps a latency histogram per (CPU node, memory
 * node), per CPU.
 *
 * A sample runs in an NMI, so what it costs is the cache lines and pages it
 * touches: all it writes is this CPU's pmu_pending entry (bpf/numalens.h),
 * which also holds this CPU's copy of the physical address map. No hash,
 * no atomic add, no line another CPU writes. Its process's counters and
 * matrix row wait in a slot of the entry (by tgid) and move to the shared
 * maps (pmu_procs, pmu_matrix) only when a sample of another process takes
 * the slot: a CPU that runs a few processes for a while (the case where
 * sampling costs most) seldom moves anything.
 *
 * It returns 0 so perf's own ring buffer is never written. Two variants read
 * the sample: through bpf_cast_to_kern_ctx() where the kernel has it (direct
 * loads), or with CO-RE probe reads of bpf_perf_event_data_kern; the loader
 * picks one. sample_flags, where the kernel has it, says which fields of
 * perf_sample_data were filled: the rest are stale and must not be read.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "compat.bpf.h"
#include "maps.bpf.h"
#include "memsrc.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192); /* resized by the loader */
	__type(key, __u32);	   /* tgid */
	__type(value, struct nl_pmu_proc);
} pmu_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* resized by the loader */
	__type(key, struct nl_pmu_matrix_key);
	__type(value, struct nl_pmu_cell);
} pmu_matrix SEC(".maps");

/* Only this CPU's samples write its entry, one at a time: perf_event
 * programs do not nest on a CPU. A struct nl_pmu_pending and its rows, as
 * many as the loader sizes it for (NL_PMU_PENDING_SIZE). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, NL_PMU_PENDING_SIZE(NL_MAX_NODES));
} pmu_pending SEC(".maps");

/* Test-only: the entries of made-up CPUs, for nl_synth_sample. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NL_SYNTH_CPUS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, NL_PMU_PENDING_SIZE(NL_MAX_NODES));
} synth_pending SEC(".maps");

extern void *bpf_cast_to_kern_ctx(void *) __ksym __weak;

/* Before v5.12 (commit 2a6c6b7d7ad3) the weight was a plain u64. */
struct perf_sample_data___u64_weight {
	__u64 weight;
} __attribute__((preserve_access_index));

struct mem_sample {
	__u64 flags; /* which fields the PMU filled */
	__u64 data_src;
	__u64 weight;
	__u64 phys_addr;
	__u64 addr;
};

static __always_inline __u32 log2_bucket(__u64 v)
{
	__u32 b = 0;

	if (v >= 1ull << 16) {
		v >>= 16;
		b += 16;
	}
	if (v >= 1ull << 8) {
		v >>= 8;
		b += 8;
	}
	if (v >= 1ull << 4) {
		v >>= 4;
		b += 4;
	}
	if (v >= 1ull << 2) {
		v >>= 2;
		b += 2;
	}
	if (v >= 1ull << 1)
		b += 1;
	return b < NL_LAT_BUCKETS ? b : NL_LAT_BUCKETS - 1;
}

#define PHYS_STEPS 6

/* The node of a physical address: the last range that starts at or before
 * its block, by binary search. */
static __always_inline __u32 phys_to_node(const struct nl_pmu_pending *p, __u64 phys)
{
	__u64 block = phys >> (p->block_shift & 63);
	__u32 lo = 0, hi = p->nr_ranges, mid, step;

	if (hi > NL_PHYS_RANGES)
		hi = NL_PHYS_RANGES;
	if (!hi || block < p->ranges[0].first_block)
		return NL_NODE_UNKNOWN;
	_Static_assert(NL_PHYS_RANGES <= 1 << (PHYS_STEPS - 1), "steps enough for the ranges");
	for (step = 0; step < PHYS_STEPS && hi - lo > 1; step++) {
		mid = (lo + hi) / 2;
		if (mid >= NL_PHYS_RANGES)
			break;
		if (p->ranges[mid].first_block <= block)
			lo = mid;
		else
			hi = mid;
	}
	return lo < NL_PHYS_RANGES ? p->ranges[lo].node : NL_NODE_UNKNOWN;
}

static __always_inline void pmu_add(struct nl_pmu_proc *to, const struct nl_pmu_proc *from)
{
	int i;

	__sync_fetch_and_add(&to->samples, from->samples);
	__sync_fetch_and_add(&to->with_addr, from->with_addr);
	for (i = 0; i < NL_PMU_CLASSES; i++)
		__sync_fetch_and_add(&to->by_class[i], from->by_class[i]);
	for (i = 0; i < 4; i++)
		__sync_fetch_and_add(&to->remote_by_hops[i], from->remote_by_hops[i]);
	__sync_fetch_and_add(&to->mem_local, from->mem_local);
	__sync_fetch_and_add(&to->mem_remote, from->mem_remote);
	__sync_fetch_and_add(&to->weight_local, from->weight_local);
	__sync_fetch_and_add(&to->weight_remote, from->weight_remote);
}

/*
 * Moves a slot's samples into its process's shared entries (several CPUs
 * may add to them at once: atomic adds). Each part is taken out of the slot
 * before it is added, so a reader, which reads the shared maps first, may
 * miss it (and sees `moves` change: it reads again) but never counts it
 * twice. The atomic adds to `moves` also order the moves for a reader on
 * another CPU.
 */
static __always_inline void slot_spill(struct nl_pmu_pending *p, struct nl_pmu_slot *slot)
{
	static const struct nl_pmu_proc zero_proc;
	static const struct nl_pmu_cell zero_cell;
	struct nl_pmu_matrix_key mkey = { .tgid = slot->tgid, .cpu_node = p->cpu_node };
	struct nl_pmu_proc counts = slot->counts;
	struct nl_pmu_cell part, *row, *cell;
	struct nl_pmu_proc *proc;
	__u32 n;

	__sync_fetch_and_add(&p->moves, 1); /* odd: a move under way */
	__builtin_memset(&slot->counts, 0, sizeof(slot->counts));
	proc = map_get_or_create(&pmu_procs, &slot->tgid, &zero_proc, NL_H_PMU_PROCS_FULL);
	if (proc)
		pmu_add(proc, &counts);
	for (n = 0; n <= NL_MAX_NODES && n <= nr_node_ids; n++) {
		row = nl_slot_row(slot, n);
		if (!row->samples)
			continue;
		part = *row;
		row->samples = 0;
		row->weight = 0;
		mkey.mem_node = n < nr_node_ids ? n : NL_NODE_UNKNOWN;
		cell = map_get_or_create(&pmu_matrix, &mkey, &zero_cell, NL_H_PMU_MATRIX_FULL);
		if (cell) {
			__sync_fetch_and_add(&cell->samples, part.samples);
			__sync_fetch_and_add(&cell->weight, part.weight);
		}
	}
	__sync_fetch_and_add(&p->moves, 1);
}

/*
 * The accounting of one sample, whatever read it. pid_tgid is the sampled
 * thread's, cpu the CPU the sample was taken on, p that CPU's entry.
 */
static __always_inline int count_sample(struct mem_sample *s, __u64 pid_tgid, __u32 cpu,
					struct nl_pmu_pending *p)
{
	__u32 tgid = pid_tgid >> 32, hops, class, mem_node = NL_NODE_UNKNOWN, cpu_node;
	__u64 row, off; /* 64 bits: no zero-extension between test and use */
	struct nl_pmu_slot *slot;
	struct nl_pmu_proc *c;
	struct nl_pmu_cell *cell;
	struct nl_pmu_lat *lat;
	bool remote;

	if (!(__u32)pid_tgid)
		return 0; /* idle */
	/* nl_pending_slot(), with a bound the verifier can see: 6.1's loses
	 * all bounds of a product of two registers. */
	off = (__u64)(tgid & (NL_PMU_SLOTS - 1)) * NL_PMU_SLOT_SIZE(nr_node_ids);
	barrier_var(off);
	if (off > (NL_PMU_SLOTS - 1) * NL_PMU_SLOT_SIZE(nr_node_ids))
		return 0;
	slot = (struct nl_pmu_slot *)((char *)(p + 1) + off);
	c = &slot->counts;
	if (slot->tgid != tgid) {
		if (c->samples)
			slot_spill(p, slot);
		slot->tgid = tgid;
		p->cpu_node = node_of_cpu(cpu);
	}
	c->samples++;
	if (s->addr)
		c->with_addr++;
	class = s->flags & PERF_SAMPLE_DATA_SRC ? nl_mem_classify(s->data_src, &hops) :
						  NL_MEM_UNKNOWN;
	if (class >= NL_PMU_CLASSES)
		return 0;
	c->by_class[class]++;
	if (!nl_mem_class_is_memory(class))
		return 0;

	cpu_node = p->cpu_node;
	if ((s->flags & PERF_SAMPLE_PHYS_ADDR) && s->phys_addr)
		mem_node = phys_to_node(p, s->phys_addr);
	if (mem_node != NL_NODE_UNKNOWN) {
		remote = mem_node != cpu_node;
	} else {
		remote = nl_mem_class_is_remote(class);
		if (!remote)
			mem_node = cpu_node;
	}
	if (!(s->flags & (PERF_SAMPLE_WEIGHT | PERF_SAMPLE_WEIGHT_STRUCT)))
		s->weight = 0;
	if (remote) {
		c->mem_remote++;
		c->weight_remote += s->weight;
		c->remote_by_hops[hops & 3]++;
	} else {
		c->mem_local++;
		c->weight_local += s->weight;
	}

	row = mem_node < nr_node_ids ? mem_node : nr_node_ids;
	/* The entry has nr_node_ids + 1 rows: the verifier must see the
	 * bound on the register used (clang tests a copy otherwise). */
	barrier_var(row);
	if (row > nr_node_ids)
		return 0;
	barrier_var(row);
	cell = nl_slot_row(slot, row);
	cell->samples++;
	cell->weight += s->weight;
	lat = nl_pending_lat(p, nr_node_ids, row);
	lat->samples++;
	lat->weight += s->weight;
	lat->hist[log2_bucket(s->weight)]++;
	return 0;
}

/* This CPU's pending entry, then the sample. */
static __always_inline int count_here(struct mem_sample *s)
{
	__u32 zero = 0;
	struct nl_pmu_pending *p = bpf_map_lookup_elem(&pmu_pending, &zero);

	return p ? count_sample(s, bpf_get_current_pid_tgid(), bpf_get_smp_processor_id(), p) : 0;
}

/* Kernels without sample_flags (before v6.1) initialise every field. */
#define ALL_FIELDS (~0ull)

SEC("perf_event")
int nl_mem_sample_kctx(struct bpf_perf_event_data *ctx)
{
	struct bpf_perf_event_data_kern *kctx = bpf_cast_to_kern_ctx(ctx);
	struct perf_sample_data *data = kctx->data;
	struct mem_sample s = {};

	s.flags = bpf_core_field_exists(data->sample_flags) ? data->sample_flags : ALL_FIELDS;
	s.data_src = data->data_src.val;
	s.weight = data->weight.full;
	s.phys_addr = data->phys_addr;
	s.addr = ctx->addr;
	return count_here(&s);
}

SEC("perf_event")
int nl_mem_sample(struct bpf_perf_event_data *ctx)
{
	struct perf_sample_data *data = BPF_CORE_READ((struct bpf_perf_event_data_kern *)ctx, data);
	struct mem_sample s = {};

	s.flags = bpf_core_field_exists(data->sample_flags) ? BPF_CORE_READ(data, sample_flags) :
							      ALL_FIELDS;
	s.data_src = BPF_CORE_READ(data, data_src.val);
	if (bpf_core_type_exists(union perf_sample_weight))
		s.weight = BPF_CORE_READ(data, weight.full);
	else
		s.weight = BPF_CORE_READ((struct perf_sample_data___u64_weight *)data, weight);
	s.phys_addr = BPF_CORE_READ(data, phys_addr);
	s.addr = ctx->addr;
	return count_here(&s);
}

/*
 * Test-only (the agent never loads it): a sample the caller made up, through
 * the same accounting, so the long path runs where there is no PMU: the
 * caller's thread, or the one in pid_tgid with NL_SYNTH_GIVEN_THREAD; taken
 * on the made-up CPU ctx->cpu, whose node is the topology's the test chose
 * and whose entry is in synth_pending (1: no such CPU). It runs preemptible
 * (migration off), unlike a PMU sample: its callers feed one sample at a
 * time, or plain adds to an entry could interleave.
 */
SEC("syscall")
int nl_synth_sample(struct nl_synth_sample *ctx)
{
	struct mem_sample s = {};
	struct nl_pmu_pending *p;
	__u32 cpu = ctx->cpu;

	s.flags = ctx->sample_flags;
	s.data_src = ctx->data_src;
	s.weight = ctx->weight;
	s.phys_addr = ctx->phys_addr;
	s.addr = ctx->addr;
	p = bpf_map_lookup_elem(&synth_pending, &cpu);
	if (!p)
		return 1;
	return count_sample(
		&s, ctx->opts & NL_SYNTH_GIVEN_THREAD ? ctx->pid_tgid : bpf_get_current_pid_tgid(),
		cpu, p);
}
