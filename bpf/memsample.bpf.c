// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware memory-access sampling: the most trusted source of a remote
 * access ratio. Attached to a precise memory-sampling event on every CPU
 * (Intel PEBS load latency, AMD IBS op), it sees one sampled load at a time
 * with where it was served from (data_src), its latency (weight) and, where
 * the PMU gives it, its physical address.
 *
 * Per thread (task-local storage, so a multi-threaded process's counters do
 * not bounce between CPUs, and plain adds do: see counter_add) it counts
 * samples by memory level, remote memory samples by distance, and per
 * process memory samples per (CPU node, memory node). The memory node
 * is exact when the physical address maps to a node through the table the
 * loader fills from sysfs; otherwise the data source's remote bit says
 * local (this CPU's node) or remote (node unknown). Machine-wide it keeps a
 * latency histogram per (CPU node, memory node), per CPU.
 *
 * What a sample costs is the lines it touches and its locked adds: the
 * thread's storage, the process's matrix cell (a hash: the only shared
 * entry, so the only atomic adds of a thread with storage), this CPU's
 * latency slot (an array).
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

/* Set by the loader: physical address >> phys_block_shift indexes phys_node. */
const volatile __u32 phys_block_shift = 27;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* resized by the loader */
	__type(key, struct nl_pmu_matrix_key);
	__type(value, struct nl_pmu_cell);
} pmu_matrix SEC(".maps");

/* Per CPU, at nl_pmu_lat_slot(): no hash, no shared line, no atomic add.
 * The loader sizes it for the machine's nodes (NL_PMU_LAT_SLOTS). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NL_PMU_LAT_SLOTS(NL_MAX_NODES));
	__type(key, __u32);
	__type(value, struct nl_pmu_lat);
} pmu_lat SEC(".maps");

/* Memory block -> its node + 1; 0, as the loader leaves a block no node
 * holds (a hole), for none. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NL_PHYS_BLOCKS);
	__type(key, __u32);
	__type(value, __u8);
} phys_node SEC(".maps");

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

static __always_inline __u32 phys_to_node(__u64 phys)
{
	__u32 block = phys >> phys_block_shift;
	__u8 *node;

	if (block >= NL_PHYS_BLOCKS)
		return NL_NODE_UNKNOWN;
	node = bpf_map_lookup_elem(&phys_node, &block);
	return node && *node ? *node - 1 : NL_NODE_UNKNOWN;
}

/*
 * Adds n to a counter of a thread's task storage (shared false) or of its
 * process's pmu_procs entry (shared true). A thread's counters are written
 * only by that thread's samples, on the CPU it runs on: a PMU NMI (or a
 * software event with preemption off), and perf_event programs do not nest,
 * so one at a time; a thread is on one CPU at a time and the switch that
 * moves it orders the two CPUs' writes. A plain add loses nothing there and
 * saves a locked one (the exit handler and the iterator only read them). A
 * process's entry takes the samples of all its threads on any CPU, and the
 * exit folds: atomic adds.
 */
static __always_inline void counter_add(__u64 *counter, __u64 n, bool shared)
{
	if (shared)
		__sync_fetch_and_add(counter, n);
	else
		*counter += n;
}

/*
 * The accounting of one sample, whatever read it: the thread's counters, its
 * process's matrix cell, the latency histogram. pid_tgid is the sampled
 * thread's, task the thread whose storage holds its counters (NULL: none, the
 * process's pmu_procs entry takes them), cpu the CPU the sample was taken on.
 */
static __always_inline int count_sample(struct mem_sample *s, __u64 pid_tgid,
					struct task_struct *task, __u32 cpu)
{
	static const struct nl_pmu_proc zero_proc;
	static const struct nl_pmu_cell zero_cell;
	__u32 tgid = pid_tgid >> 32, hops, class, mem_node = NL_NODE_UNKNOWN, cpu_node, slot;
	struct nl_pmu_matrix_key mkey;
	struct nl_pmu_cell *cell;
	struct nl_pmu_proc *proc = NULL;
	struct nl_pmu_lat *lat;
	bool remote, shared = false;

	if (!(__u32)pid_tgid)
		return 0; /* idle */
	if (task)
		proc = bpf_task_storage_get(&task_pmu, task, 0, 0);
	if (!proc) { /* a thread the iterator has not seen yet, or a busy storage */
		proc = map_get_or_create(&pmu_procs, &tgid, &zero_proc, NL_H_PMU_PROCS_FULL);
		shared = true;
	}
	if (!proc)
		return 0;
	counter_add(&proc->samples, 1, shared);
	if (s->addr)
		counter_add(&proc->with_addr, 1, shared);
	class = s->flags & PERF_SAMPLE_DATA_SRC ? nl_mem_classify(s->data_src, &hops) :
						  NL_MEM_UNKNOWN;
	if (class >= NL_PMU_CLASSES)
		return 0;
	counter_add(&proc->by_class[class], 1, shared);
	if (!nl_mem_class_is_memory(class))
		return 0;

	cpu_node = node_of_cpu(cpu);
	if ((s->flags & PERF_SAMPLE_PHYS_ADDR) && s->phys_addr)
		mem_node = phys_to_node(s->phys_addr);
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
		counter_add(&proc->mem_remote, 1, shared);
		counter_add(&proc->weight_remote, s->weight, shared);
		counter_add(&proc->remote_by_hops[hops & 3], 1, shared);
	} else {
		counter_add(&proc->mem_local, 1, shared);
		counter_add(&proc->weight_local, s->weight, shared);
	}

	mkey.tgid = tgid;
	mkey.cpu_node = cpu_node;
	mkey.mem_node = mem_node;
	cell = map_get_or_create(&pmu_matrix, &mkey, &zero_cell, NL_H_PMU_MATRIX_FULL);
	if (cell) {
		__sync_fetch_and_add(&cell->samples, 1);
		__sync_fetch_and_add(&cell->weight, s->weight);
	}
	/* This CPU's copy: only this CPU's samples write it, one at a time. */
	slot = nl_pmu_lat_slot(cpu_node, mem_node, nr_node_ids);
	lat = bpf_map_lookup_elem(&pmu_lat, &slot);
	if (lat) {
		lat->samples++;
		lat->weight += s->weight;
		lat->hist[log2_bucket(s->weight)]++;
	}
	return 0;
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
	return count_sample(&s, bpf_get_current_pid_tgid(), bpf_get_current_task_btf(),
			    bpf_get_smp_processor_id());
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
	return count_sample(&s, bpf_get_current_pid_tgid(), bpf_get_current_task_btf(),
			    bpf_get_smp_processor_id());
}

/*
 * Test-only (the agent never loads it): a sample the caller made up, through
 * the same accounting, so the long path runs where there is no PMU. The
 * caller's thread, with its task storage, unless NL_SYNTH_GIVEN_THREAD.
 * It runs preemptible (migration off), unlike a PMU sample: its callers feed
 * one sample at a time, or plain adds to this CPU's slot could interleave.
 */
SEC("syscall")
int nl_synth_sample(struct nl_synth_sample *ctx)
{
	struct task_struct *task = NULL;
	struct mem_sample s = {};
	__u64 pid_tgid;

	s.flags = ctx->sample_flags;
	s.data_src = ctx->data_src;
	s.weight = ctx->weight;
	s.phys_addr = ctx->phys_addr;
	s.addr = ctx->addr;
	if (ctx->opts & NL_SYNTH_GIVEN_THREAD) {
		pid_tgid = ctx->pid_tgid;
	} else {
		pid_tgid = bpf_get_current_pid_tgid();
		task = bpf_get_current_task_btf();
	}
	return count_sample(&s, pid_tgid, task, ctx->cpu);
}
