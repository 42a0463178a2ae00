// SPDX-License-Identifier: GPL-2.0
/*
 * The collector's hardware memory sampling: the events are opened before
 * load, so a PMU that cannot be used leaves its programs out; the program is
 * attached to each CPU's event after load; reading adds each process's
 * samples and its per-node counts.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "collect_priv.h"
#include "log.h"

/*
 * Before load: find and open the sampling events, so a PMU that cannot be
 * used leaves its programs out of the load. Fills pmu_reason when not.
 */
void nl_collector_pmu_setup(struct nl_collector *c, const struct nl_topology *topo,
			    const struct nl_collect_opts *opts)
{
	struct numalens *skel = c->skel;
	bool kctx = false;
	int err;

	if (opts->no_pmu) {
		snprintf(c->pmu_reason, sizeof(c->pmu_reason), "turned off (--no-pmu)");
		goto off;
	}
	if (opts->pmu_software)
		nl_pmu_software_faults(&c->pmu);
	else if (nl_pmu_probe("/sys", opts->sample_period, opts->pmu_rate, &c->pmu, c->pmu_reason,
			      sizeof(c->pmu_reason)))
		goto off;
	err = nl_pmu_open(&c->pmu, topo, &c->pmu_fds, c->pmu_reason, sizeof(c->pmu_reason));
	if (err)
		goto off;
	skel->rodata->pmu_enabled = true;
	if (!nl_physmap_load("/sys", &c->physmap))
		skel->rodata->phys_block_shift = c->physmap.block_shift;
	/* Direct loads through bpf_cast_to_kern_ctx() where the kernel has it (v6.2+). */
	kctx = btf__find_by_name_kind(c->vmlinux, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC) > 0;
	bpf_program__set_autoload(kctx ? skel->progs.nl_mem_sample : skel->progs.nl_mem_sample_kctx,
				  false);
	return;
off:
	c->pmu.kind = NL_PMU_NONE;
	bpf_program__set_autoload(skel->progs.nl_mem_sample, false);
	bpf_program__set_autoload(skel->progs.nl_mem_sample_kctx, false);
}

/* After load: the phys -> node table, then the program on every event. */
void nl_collector_pmu_attach(struct nl_collector *c, struct nl_sources *s)
{
	struct bpf_program *prog = bpf_program__autoload(c->skel->progs.nl_mem_sample_kctx) ?
					   c->skel->progs.nl_mem_sample_kctx :
					   c->skel->progs.nl_mem_sample;
	int fd = bpf_map__fd(c->skel->maps.phys_node), i, err;
	__u32 block;

	if (c->pmu.kind == NL_PMU_NONE) {
		nl_source_set(s, NL_SRC_PMU, false, NULL, "%s", c->pmu_reason);
		return;
	}
	for (block = 0; c->physmap.node && block < c->physmap.nr_blocks; block++) {
		/* node + 1: the entries left 0 are the holes. */
		__u8 node = c->physmap.node[block] + 1;

		if (c->physmap.node[block] != NL_NODE_UNKNOWN)
			bpf_map_update_elem(fd, &block, &node, BPF_ANY);
	}
	c->pmu_links = calloc(c->pmu_fds.nr, sizeof(*c->pmu_links));
	if (!c->pmu_links) {
		nl_source_set(s, NL_SRC_PMU, false, NULL, "out of memory");
		return;
	}
	for (i = 0; i < c->pmu_fds.nr; i++) {
		c->pmu_links[i] = bpf_program__attach_perf_event(prog, c->pmu_fds.fds[i]);
		if (!c->pmu_links[i]) {
			err = -errno;
			nl_source_set(s, NL_SRC_PMU, false, NULL,
				      "cannot attach the sampling program to %s (%s)", c->pmu.desc,
				      strerror(-err));
			return;
		}
	}
	nl_source_set(s, NL_SRC_PMU, true,
		      c->pmu.kind == NL_PMU_IBS	 ? "ibs" :
		      c->pmu.kind == NL_PMU_PEBS ? "pebs" :
						   "software",
		      "%s on %d CPUs%s", c->pmu.desc, c->pmu_fds.nr,
		      c->physmap.node ? "; memory nodes from physical addresses" : "");
}

/* Adds the hardware samples; deletes the entries of gone processes. */
int nl_collector_read_pmu(struct nl_collector *c, struct nl_sample_table *t,
			  const struct pid_list *gone)
{
	int fd = bpf_map__fd(c->skel->maps.pmu_procs);
	struct nl_pmu_matrix_key mkey, mnext, *mprev = NULL, *doomed = NULL;
	__u32 key, next, *prev = NULL;
	struct nl_pmu_proc val;
	struct nl_pmu_cell cell;
	size_t nr_doomed = 0, i;
	int err = 0;

	if (c->pmu.kind == NL_PMU_NONE)
		return 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		long j;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		j = nl_sample_table_find(t, key);
		if (j >= 0)
			nl_pmu_add(&t->procs[j].pmu, &val); /* to its live threads' */
	}
	for (i = 0; i < gone->nr; i++)
		bpf_map_delete_elem(fd, &gone->pids[i]);

	fd = bpf_map__fd(c->skel->maps.pmu_matrix);
	while (!bpf_map_get_next_key(fd, mprev, &mnext)) {
		struct nl_node_count *nodes;
		long j;

		mkey = mnext;
		mprev = &mkey;
		if (nl_pid_list_has(gone, mkey.tgid)) {
			struct nl_pmu_matrix_key *k = realloc(doomed, (nr_doomed + 1) * sizeof(*k));

			if (!k) {
				err = -ENOMEM;
				break;
			}
			doomed = k;
			doomed[nr_doomed++] = mkey;
		}
		if (mkey.mem_node >= t->nr_nodes || bpf_map_lookup_elem(fd, &mkey, &cell))
			continue; /* an unknown node has no per-node slot */
		j = nl_sample_table_find(t, mkey.tgid);
		if (j < 0)
			continue;
		nodes = nl_sample_nodes(t, j);
		if (mkey.cpu_node == mkey.mem_node)
			nodes[mkey.mem_node].pmu_local += cell.samples;
		else
			nodes[mkey.mem_node].pmu_remote += cell.samples;
	}
	for (i = 0; i < nr_doomed; i++)
		bpf_map_delete_elem(fd, &doomed[i]);
	free(doomed);
	return err;
}

int nl_collector_pmu_matrix(struct nl_collector *c, uint32_t pid, int nr_nodes, uint64_t *matrix)
{
	int fd = bpf_map__fd(c->skel->maps.pmu_matrix), cols = nr_nodes + 1;
	struct nl_pmu_matrix_key key, next, *prev = NULL;
	struct nl_pmu_cell cell;

	memset(matrix, 0, nr_nodes * cols * sizeof(*matrix));
	if (c->pmu.kind == NL_PMU_NONE)
		return -ENODEV;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		int mem;

		key = next;
		prev = &key;
		if (key.tgid != pid || key.cpu_node >= nr_nodes ||
		    bpf_map_lookup_elem(fd, &key, &cell))
			continue;
		mem = key.mem_node < nr_nodes ? key.mem_node : nr_nodes;
		matrix[key.cpu_node * cols + mem] += cell.samples;
	}
	return 0;
}

/* The latency cells with samples, each the sum of the CPUs' copies. */
size_t nl_collector_pmu_latency(struct nl_collector *c, struct nl_latency_cell *out, size_t max)
{
	int fd = bpf_map__fd(c->skel->maps.pmu_lat), ncpu = libbpf_num_possible_cpus(), cpu, b;
	int nr_nodes = c->nr_nodes, cpu_node, mem;
	struct nl_pmu_lat *per_cpu;
	size_t nr = 0;

	if (c->pmu.kind == NL_PMU_NONE || ncpu <= 0)
		return 0;
	per_cpu = calloc(ncpu, sizeof(*per_cpu));
	if (!per_cpu)
		return 0;
	for (cpu_node = 0; cpu_node < nr_nodes; cpu_node++) {
		/* mem == nr_nodes: the slot of an unknown memory node */
		for (mem = 0; mem <= nr_nodes; mem++) {
			__u32 slot = nl_pmu_lat_slot(cpu_node, mem, nr_nodes);
			struct nl_latency_cell sum = {
				.cpu_node = cpu_node,
				.mem_node = mem < nr_nodes ? (uint32_t)mem : NL_NODE_UNKNOWN,
			};

			if (bpf_map_lookup_elem(fd, &slot, per_cpu))
				continue;
			for (cpu = 0; cpu < ncpu; cpu++) {
				sum.samples += per_cpu[cpu].samples;
				sum.weight += per_cpu[cpu].weight;
				for (b = 0; b < NL_LAT_BUCKETS; b++)
					sum.hist[b] += per_cpu[cpu].hist[b];
			}
			if (!sum.samples)
				continue;
			if (nr < max)
				out[nr] = sum;
			nr++;
		}
	}
	free(per_cpu);
	return nr;
}
