/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the collector: its state and the pieces its files share.
 * collect_bpf.c owns the lifecycle, collect_read.c turns maps into sample
 * tables, collect_pmu.c does hardware sampling. Nothing else includes this
 * but the BPF tests that read a map as it is (tests/bpf/test_churn.c).
 */
#ifndef NUMALENS_COLLECT_PRIV_H
#define NUMALENS_COLLECT_PRIV_H

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "collect.h"
#include "numalens.skel.h"
#include "pmu.h"
#include "sysstate.h"

/* Pids whose map entries are to be deleted after a read. */
struct pid_list {
	uint32_t *pids;
	size_t nr, cap;
};

struct nl_collector {
	struct numalens *skel;
	/* The kernel's BTF while the collector opens, read once: a 5 MB file
	 * parsed for each name asked about took 0.4 s a start here and several
	 * seconds under emulation. NULL after the open. */
	struct btf *vmlinux;
	int nr_nodes;
	bool fentry;
	/* nl_numa_migrate_src is loaded: promotions are counted per process,
	 * else promotions_gap says why not. */
	bool promotions;
	int promotions_load_err; /* the load with it failed: left out of the next */
	char promotions_gap[160];
	/* The reason each slot of migrated_by_reason counts ("": none), from
	 * this kernel's enum migrate_reason; nr_reasons 0 where no
	 * mm_migrate_pages program is loaded. */
	char reason_names[NL_MIGRATE_REASONS][NL_MIGRATE_REASON_LEN];
	int nr_reasons;
	bool at_switch; /* nl_sched_switch credits CPU time (cputime.bpf.h) */
	const char *at_switch_why;
	/* Map entries with no live process and no exit mark, seen last read:
	 * removed when seen twice (a missed exit, such as when the map was full). */
	uint32_t *stale;
	size_t nr_stale;
	uint64_t expired;
	uint64_t procs_used;
	/* The task iterator's output, kept between reads: a new buffer each
	 * read would be a new mapping to fault in (megabytes at 10,000 tasks). */
	char *iter_buf;
	size_t iter_cap;
	/* Hardware memory sampling: events per CPU, their program links. */
	struct nl_pmu_config pmu;
	struct nl_pmu_fds pmu_fds;
	struct bpf_link **pmu_links;
	struct nl_physmap physmap;
	char pmu_reason[240];
	/* Processes gone with entries in pmu_procs or pmu_matrix, seen last
	 * read: deleted when seen again. */
	struct pid_list pmu_orphans;
	/* Reads whose every try saw a CPU move samples to the shared maps. */
	uint64_t pmu_short_reads;
};

bool nl_pid_list_has(const struct pid_list *l, uint32_t pid);

/* Before load: finds and opens the sampling events, or leaves the sampling
 * programs out of the load and says why. */
void nl_collector_pmu_setup(struct nl_collector *c, const struct nl_topology *topo,
			    const struct nl_collect_opts *opts);
/* After load: the phys -> node table, then the program on every event. */
void nl_collector_pmu_attach(struct nl_collector *c, struct nl_sources *s);
/* Adds the hardware samples to t; deletes the entries of gone processes. */
int nl_collector_read_pmu(struct nl_collector *c, struct nl_sample_table *t,
			  const struct pid_list *gone);

#endif /* NUMALENS_COLLECT_PRIV_H */
