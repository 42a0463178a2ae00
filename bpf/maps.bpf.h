/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The maps and load-time constants every numalens BPF file shares. They are
 * defined once in state.bpf.c and declared extern here; `bpftool gen object`
 * links the per-concern objects into one, so there is one skeleton.
 */
#ifndef NUMALENS_MAPS_BPF_H
#define NUMALENS_MAPS_BPF_H

#include "numalens.h"

/* errno values are not in vmlinux.h */
#define NL_E2BIG 7
#define NL_EEXIST 17

/* Set by the loader before load (frozen rodata: the verifier sees the values). */
extern const volatile __u8 cpu_node[NL_MAX_CPUS];
extern const volatile __u32 nr_node_ids;
/* Set by the loader: bit n for a node the kernel's node_is_toptier() holds
 * (every node where there are no memory tiers). Data, not rodata: tiers can
 * change while the agent runs. */
extern volatile __u64 toptier_nodes;

typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192); /* resized by the loader */
	__type(key, __u32);	   /* tgid */
	__type(value, struct nl_proc);
} procs_map_t;

typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* resized by the loader */
	__type(key, struct nl_proc_node_key);
	__type(value, struct nl_proc_node);
} proc_node_map_t;

typedef struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct nl_task);
} task_cpu_map_t;

typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NL_H_MAX);
	__type(key, __u32);
	__type(value, __u64);
} health_map_t;

/* Pages mm_migrate_pages moved, per CPU, by reason (NL_MIGRATE_REASONS). */
typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NL_MIGRATE_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} migrated_by_reason_map_t;

extern procs_map_t procs SEC(".maps");
extern proc_node_map_t proc_node SEC(".maps");
extern task_cpu_map_t task_cpu_ns SEC(".maps");
extern health_map_t health SEC(".maps");
extern migrated_by_reason_map_t migrated_by_reason SEC(".maps");

static __always_inline void health_add(__u32 what, __u64 n)
{
	__u64 *count = bpf_map_lookup_elem(&health, &what);

	if (count)
		*count += n;
}

static __always_inline void health_inc(__u32 what)
{
	health_add(what, 1);
}

static __always_inline void health_set(__u32 what, __u64 value)
{
	__u64 *slot = bpf_map_lookup_elem(&health, &what);

	if (slot)
		*slot = value;
}

static __always_inline __u32 node_of_cpu(__u32 cpu)
{
	return cpu_node[cpu & (NL_MAX_CPUS - 1)];
}

static __always_inline bool node_is_toptier(int node)
{
	return node >= 0 && node < NL_MAX_NODES && ((toptier_nodes >> node) & 1);
}

static __always_inline __u32 clamp_node(int node)
{
	if (node < 0)
		return 0;
	if (node >= NL_MAX_NODES) {
		health_inc(NL_H_NODE_CLAMPED);
		return NL_MAX_NODES - 1;
	}
	return node;
}

/*
 * An update's result as the int the map's code returned: before v6.4 the
 * maps' update functions returned int, and the helper's 64-bit result holds
 * it zero-extended (-EEXIST read as 4294967279), so a comparison with a
 * negative long never matched there.
 */
static __always_inline int map_update(void *map, const void *key, const void *value, __u64 flags)
{
	return (int)bpf_map_update_elem(map, key, value, flags);
}

/*
 * Inserts fresh under key in a hash map where key has no entry yet. Two
 * CPUs may insert the same key at once: the one that loses gets EEXIST and
 * must use the winner's entry. Returns 0 when fresh went in, 1 when another
 * CPU's entry is there (look it up), -1 when the map is full (E2BIG, counted
 * in health as full_counter) or the kernel refused the update otherwise
 * twice (EBUSY: this CPU held the bucket's lock; counted with its errno).
 */
static __always_inline int map_insert_new(void *map, const void *key, const void *fresh,
					  __u32 full_counter)
{
	int err = map_update(map, key, fresh, BPF_NOEXIST);

	if (err && err != -NL_EEXIST && err != -NL_E2BIG)
		err = map_update(map, key, fresh, BPF_NOEXIST);
	if (!err)
		return 0;
	if (err == -NL_EEXIST)
		return 1;
	if (err == -NL_E2BIG) {
		health_inc(full_counter);
	} else {
		health_inc(NL_H_MAP_REFUSED);
		health_set(NL_H_MAP_REFUSED_ERRNO, -err);
	}
	return -1;
}

/* The entry of key, created from fresh on first use; NULL, counted, when
 * the map is full. */
static __always_inline void *map_get_or_create(void *map, const void *key, const void *fresh,
					       __u32 full_counter)
{
	void *value = bpf_map_lookup_elem(map, key);

	if (value || map_insert_new(map, key, fresh, full_counter) < 0)
		return value;
	return bpf_map_lookup_elem(map, key);
}

/* The process entry of task's thread group, created on first use; NULL,
 * counted, when the map is full. */
static __always_inline struct nl_proc *proc_get(struct task_struct *task)
{
	struct task_struct *leader = task->group_leader;
	__u32 tgid = task->tgid;
	struct nl_proc *proc, fresh = {};

	proc = bpf_map_lookup_elem(&procs, &tgid);
	if (proc)
		return proc;
	fresh.start_time_ns = BPF_CORE_READ(leader, start_boottime);
	bpf_probe_read_kernel_str(fresh.comm, sizeof(fresh.comm), leader->comm);
	if (map_insert_new(&procs, &tgid, &fresh, NL_H_PROCS_FULL) < 0)
		return NULL;
	return bpf_map_lookup_elem(&procs, &tgid);
}

static __always_inline struct nl_proc_node *proc_node_get(__u32 tgid, __u32 node)
{
	struct nl_proc_node_key key = { .tgid = tgid, .node = node };
	struct nl_proc_node zero = {};

	return map_get_or_create(&proc_node, &key, &zero, NL_H_PROC_NODE_FULL);
}

#endif /* NUMALENS_MAPS_BPF_H */
