// SPDX-License-Identifier: GPL-2.0
/*
 * The one definition of the maps and load-time constants that the other
 * numalens BPF files declare in maps.bpf.h. Sizes here are defaults: the
 * loader sets max_entries from its options before load.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"

const volatile __u8 cpu_node[NL_MAX_CPUS] = {};
const volatile __u32 nr_node_ids = 1;
/* Every node counts as top tier until the loader says otherwise. */
volatile __u64 toptier_nodes = ~0ULL;

procs_map_t procs SEC(".maps");
proc_node_map_t proc_node SEC(".maps");
task_cpu_map_t task_cpu_ns SEC(".maps");
health_map_t health SEC(".maps");
migrated_by_reason_map_t migrated_by_reason SEC(".maps");

char LICENSE[] SEC("license") = "GPL";
