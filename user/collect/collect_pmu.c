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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "array.h"
#include "collect_priv.h"
#include "pidsearch.h"
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
	nl_physmap_load("/sys", &c->physmap); /* none: nodes from the remote bit */
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

/*
 * Before the program is attached (no sample writes them yet): each CPU's
 * copy of the physical address map, in its pmu_pending entry. Writes a
 * note for the data source's line in note.
 */
static void phys_ranges_write(struct nl_collector *c, char *note, size_t size)
{
	struct bpf_map *map = c->skel->maps.pmu_pending;
	size_t stride = (bpf_map__value_size(map) + 7) & ~(size_t)7;
	struct nl_phys_range ranges[NL_PHYS_RANGES];
	int ncpu = libbpf_num_possible_cpus(), nr, cpu;
	char *per_cpu;
	__u32 zero = 0;
	bool cut;

	*note = '\0';
	nr = nl_physmap_ranges(&c->physmap, ranges, NL_PHYS_RANGES, &cut);
	if (!c->physmap.node || nr <= 0 || ncpu <= 0)
		return;
	per_cpu = calloc(ncpu, stride);
	if (!per_cpu) {
		snprintf(note, size, "; memory nodes from the remote bit (out of memory)");
		return;
	}
	for (cpu = 0; cpu < ncpu; cpu++) {
		struct nl_pmu_pending *p = (struct nl_pmu_pending *)(per_cpu + cpu * stride);

		p->block_shift = c->physmap.block_shift;
		p->nr_ranges = nr;
		memcpy(p->ranges, ranges, nr * sizeof(ranges[0]));
	}
	if (bpf_map_update_elem(bpf_map__fd(map), &zero, per_cpu, BPF_ANY))
		snprintf(note, size,
			 "; memory nodes from the remote bit (cannot write the map: %s)",
			 strerror(errno));
	else if (cut)
		snprintf(note, size,
			 "; memory nodes from physical addresses in the first %d runs of memory "
			 "blocks, the rest from the remote bit",
			 NL_PHYS_RANGES - 1);
	else
		snprintf(note, size, "; memory nodes from physical addresses");
	free(per_cpu);
}

/* After load: the physical address map, then the program on every event. */
void nl_collector_pmu_attach(struct nl_collector *c, struct nl_sources *s)
{
	struct bpf_program *prog = bpf_program__autoload(c->skel->progs.nl_mem_sample_kctx) ?
					   c->skel->progs.nl_mem_sample_kctx :
					   c->skel->progs.nl_mem_sample;
	char phys_note[160];
	int i, err;

	if (c->pmu.kind == NL_PMU_NONE) {
		nl_source_set(s, NL_SRC_PMU, false, NULL, "%s", c->pmu_reason);
		return;
	}
	phys_ranges_write(c, phys_note, sizeof(phys_note));
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
		      "%s on %d CPUs%s", c->pmu.desc, c->pmu_fds.nr, phys_note);
}

/* A process the table does not have and the kernel no longer has. */
static bool process_gone(uint32_t tgid)
{
	return kill((pid_t)tgid, 0) && errno == ESRCH;
}

/*
 * Every CPU's sampling state (struct nl_pmu_pending and its rows), *stride
 * bytes apart: read after the shared maps, as the BPF side moves pending
 * samples from here to there. *nr: CPUs.
 */
static char *pending_read(struct nl_collector *c, int *nr, size_t *stride)
{
	int ncpu = libbpf_num_possible_cpus();
	struct bpf_map *map = c->skel->maps.pmu_pending;
	__u32 zero = 0;
	char *per_cpu;

	*stride = (bpf_map__value_size(map) + 7) & ~(size_t)7;
	if (ncpu <= 0)
		return NULL;
	per_cpu = calloc(ncpu, *stride);
	if (!per_cpu)
		return NULL;
	if (bpf_map_lookup_elem(bpf_map__fd(map), &zero, per_cpu)) {
		free(per_cpu);
		return NULL;
	}
	*nr = ncpu;
	return per_cpu;
}

/* What one walk of the shared maps found. */
struct pmu_walk {
	struct walked_proc {
		__u32 tgid;
		struct nl_pmu_proc counts;
	} * procs;
	struct walked_cell {
		struct nl_pmu_matrix_key key;
		struct nl_pmu_cell cell;
	} * cells;
	size_t nr_procs, cap_procs, nr_cells, cap_cells;
};

static int walk_shared(struct nl_collector *c, struct pmu_walk *w)
{
	int fd = bpf_map__fd(c->skel->maps.pmu_procs);
	struct nl_pmu_matrix_key mkey, mnext, *mprev = NULL;
	__u32 key, next, *prev = NULL;
	void *room;

	w->nr_procs = w->nr_cells = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		room = nl_array_room(w->procs, w->nr_procs, &w->cap_procs, sizeof(*w->procs), 64);
		if (!room)
			return -ENOMEM;
		w->procs = room;
		w->procs[w->nr_procs].tgid = key;
		if (!bpf_map_lookup_elem(fd, &key, &w->procs[w->nr_procs].counts))
			w->nr_procs++;
	}
	fd = bpf_map__fd(c->skel->maps.pmu_matrix);
	while (!bpf_map_get_next_key(fd, mprev, &mnext)) {
		mkey = mnext;
		mprev = &mkey;
		room = nl_array_room(w->cells, w->nr_cells, &w->cap_cells, sizeof(*w->cells), 64);
		if (!room)
			return -ENOMEM;
		w->cells = room;
		w->cells[w->nr_cells].key = mkey;
		if (!bpf_map_lookup_elem(fd, &mkey, &w->cells[w->nr_cells].cell))
			w->nr_cells++;
	}
	return 0;
}

/* Whether no CPU moved samples to the shared maps between two reads of
 * the CPUs' entries (nor was moving any at either). */
static bool no_moves_between(const char *before, const char *after, int ncpu, size_t stride)
{
	int cpu;

	for (cpu = 0; cpu < ncpu; cpu++) {
		__u32 a = ((const struct nl_pmu_pending *)(before + cpu * stride))->moves;
		__u32 b = ((const struct nl_pmu_pending *)(after + cpu * stride))->moves;

		if (a != b || (a & 1))
			return false;
	}
	return true;
}

/* Whether the shared entries of tgid, which the table does not have, are
 * to go: the process was reported gone this read, or it is gone and was
 * seen so last read too (not a process that started and ended between the
 * iterator and this read: its exit mark reports it next read). */
static bool orphan(struct nl_collector *c, const struct pid_list *gone, struct pid_list *seen,
		   uint32_t tgid)
{
	uint32_t *room;

	if (nl_pid_list_has(gone, tgid))
		return true;
	if (!process_gone(tgid))
		return false;
	if (!nl_pid_list_has(seen, tgid)) {
		room = nl_array_room(seen->pids, seen->nr, &seen->cap, sizeof(*room), 64);
		if (room) {
			seen->pids = room;
			seen->pids[seen->nr++] = tgid;
		}
	}
	return nl_pid_listed(c->pmu_orphans.pids, c->pmu_orphans.nr, tgid);
}

#define READ_TRIES 4

/*
 * Adds the hardware samples: the shared maps, then the samples the CPUs
 * still hold, read again (up to READ_TRIES) when a CPU moved some from the
 * one to the other meanwhile, which would make the read short. Deletes the
 * entries of gone processes, and of processes that ended before a CPU
 * passed their last samples on (it does so when another process takes
 * their slot, which may be long after).
 */
int nl_collector_read_pmu(struct nl_collector *c, struct nl_sample_table *t,
			  const struct pid_list *gone)
{
	int procs_fd = bpf_map__fd(c->skel->maps.pmu_procs), ncpu = 0, tries, cpu;
	int cells_fd = bpf_map__fd(c->skel->maps.pmu_matrix);
	struct pid_list seen = { 0 };
	char *before = NULL, *after = NULL;
	struct pmu_walk w = { 0 };
	size_t stride, i;
	int err = 0;

	if (c->pmu.kind == NL_PMU_NONE)
		return 0;
	if (t->nr_nodes != c->nr_nodes)
		return -EINVAL; /* the CPUs' entries have a row per c->nr_nodes */
	for (tries = 0; tries < READ_TRIES; tries++) {
		free(before);
		before = after ? after : pending_read(c, &ncpu, &stride);
		after = NULL;
		err = before ? walk_shared(c, &w) : -ENOMEM;
		if (!err)
			after = pending_read(c, &ncpu, &stride);
		if (!after) {
			err = err ? err : -ENOMEM;
			goto out;
		}
		if (no_moves_between(before, after, ncpu, stride))
			break;
	}
	if (tries == READ_TRIES)
		c->pmu_short_reads++; /* moves all along: the last walk, maybe short */

	for (i = 0; i < w.nr_procs; i++) {
		long j = nl_sample_table_find(t, w.procs[i].tgid);

		if (j >= 0)
			nl_pmu_add(&t->procs[j].pmu, &w.procs[i].counts);
		else if (orphan(c, gone, &seen, w.procs[i].tgid))
			bpf_map_delete_elem(procs_fd, &w.procs[i].tgid);
	}
	for (i = 0; i < w.nr_cells; i++) {
		const struct walked_cell *wc = &w.cells[i];
		struct nl_node_count *nodes;
		long j = nl_sample_table_find(t, wc->key.tgid);

		if (j < 0) {
			if (orphan(c, gone, &seen, wc->key.tgid))
				bpf_map_delete_elem(cells_fd, &wc->key);
			continue;
		}
		if (wc->key.mem_node >= t->nr_nodes)
			continue; /* an unknown node has no per-node count */
		nodes = nl_sample_nodes(t, j);
		if (wc->key.cpu_node == wc->key.mem_node)
			nodes[wc->key.mem_node].pmu_local += wc->cell.samples;
		else
			nodes[wc->key.mem_node].pmu_remote += wc->cell.samples;
	}
	for (cpu = 0; cpu < ncpu; cpu++)
		nl_sample_table_add_pending(t, (struct nl_pmu_pending *)(after + cpu * stride));
	/* Reported this read: their entries go (the CPUs' slots were read). */
	for (i = 0; i < gone->nr; i++)
		bpf_map_delete_elem(procs_fd, &gone->pids[i]);
	free(c->pmu_orphans.pids);
	c->pmu_orphans = seen;
	seen.pids = NULL;
out:
	free(seen.pids);
	free(w.procs);
	free(w.cells);
	free(before);
	free(after);
	return err;
}

int nl_collector_pmu_matrix(struct nl_collector *c, uint32_t pid, int nr_nodes, uint64_t *matrix)
{
	int fd = bpf_map__fd(c->skel->maps.pmu_matrix), cols = nr_nodes + 1, ncpu = 0, cpu, n;
	struct nl_pmu_matrix_key key, next, *prev = NULL;
	struct nl_pmu_cell cell;
	size_t stride;
	char *pending;

	memset(matrix, 0, nr_nodes * cols * sizeof(*matrix));
	if (c->pmu.kind == NL_PMU_NONE)
		return -ENODEV;
	if (nr_nodes != c->nr_nodes)
		return -EINVAL; /* the BPF side's rows are per c->nr_nodes */
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
	pending = pending_read(c, &ncpu, &stride);
	if (!pending)
		return -ENOMEM;
	for (cpu = 0; cpu < ncpu; cpu++) {
		struct nl_pmu_pending *p = (struct nl_pmu_pending *)(pending + cpu * stride);
		struct nl_pmu_slot *slot = nl_pending_slot(p, nr_nodes, pid % NL_PMU_SLOTS);

		if (slot->tgid != pid || !slot->counts.samples || (int)p->cpu_node >= nr_nodes)
			continue;
		/* row nr_nodes: an unknown node, as the matrix's last column */
		for (n = 0; n <= nr_nodes; n++)
			matrix[p->cpu_node * cols + n] += nl_slot_row(slot, n)->samples;
	}
	free(pending);
	return 0;
}

/* The latency cells with samples, each the sum of the CPUs' rows, in
 * nl_pmu_lat_slot() order. */
size_t nl_collector_pmu_latency(struct nl_collector *c, struct nl_latency_cell *out, size_t max)
{
	int nr_nodes = c->nr_nodes, ncpu = 0, cpu, mem, b;
	struct nl_latency_cell *sum;
	size_t nr = 0, stride, slot;
	char *pending;

	if (c->pmu.kind == NL_PMU_NONE)
		return 0;
	pending = pending_read(c, &ncpu, &stride);
	sum = calloc(NL_PMU_LAT_SLOTS(nr_nodes), sizeof(*sum));
	if (!pending || !sum)
		goto out;
	for (cpu = 0; cpu < ncpu; cpu++) {
		struct nl_pmu_pending *p = (struct nl_pmu_pending *)(pending + cpu * stride);

		if ((int)p->cpu_node >= nr_nodes)
			continue;
		/* mem == nr_nodes: an unknown memory node */
		for (mem = 0; mem <= nr_nodes; mem++) {
			const struct nl_pmu_lat *lat = nl_pending_lat(p, nr_nodes, mem);
			struct nl_latency_cell *cell;

			if (!lat->samples)
				continue;
			cell = &sum[nl_pmu_lat_slot(p->cpu_node, mem, nr_nodes)];
			cell->samples += lat->samples;
			cell->weight += lat->weight;
			for (b = 0; b < NL_LAT_BUCKETS; b++)
				cell->hist[b] += lat->hist[b];
		}
	}
	for (slot = 0; slot < (size_t)NL_PMU_LAT_SLOTS(nr_nodes); slot++) {
		if (!sum[slot].samples)
			continue;
		sum[slot].cpu_node = slot / (nr_nodes + 1);
		mem = slot % (nr_nodes + 1);
		sum[slot].mem_node = mem < nr_nodes ? (uint32_t)mem : NL_NODE_UNKNOWN;
		if (nr < max)
			out[nr] = sum[slot];
		nr++;
	}
out:
	free(pending);
	free(sum);
	return nr;
}
