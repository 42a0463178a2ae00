/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF collector: loads and attaches the numalens BPF programs, probing
 * each data source, and reads their maps into sample tables. The only code
 * that touches BPF. And, at the end, the collector for named processes
 * that needs no BPF.
 */
#ifndef NUMALENS_COLLECT_H
#define NUMALENS_COLLECT_H

#include <stdbool.h>
#include "sample.h"
#include "sources.h"
#include "sysstate.h"
#include "pmu.h"
#include "topology.h"

struct nl_collect_opts {
	unsigned int max_procs; /* processes tracked in the BPF maps */
	bool no_fentry;		/* use the hint-fault snapshot even where fentry works */
	bool switch_accounting; /* credit CPU time at sched_switch too, on any kernel */
	bool no_pmu;		/* no hardware memory sampling */
	enum nl_pmu_rate pmu_rate;
	uint64_t sample_period; /* 0: the rate's preset */
	/* Sample software page faults instead of a PMU: exercises the sampling
	 * path where no PMU exists (tests). */
	bool pmu_software;
};

#define NL_DEFAULT_MAX_PROCS 8192

struct nl_collector;

/*
 * Returns 0, or a negative errno with the reason already printed:
 * -EPERM missing privileges, -ENOTSUP kernel lacking BTF or a required
 * tracepoint, others for the rest.
 */
int nl_collector_open(const struct nl_topology *topo, const struct nl_collect_opts *opts,
		      struct nl_sources *sources, struct nl_collector **out);
/* Reads every process's cumulative counters into t (reset first). */
int nl_collector_read(struct nl_collector *c, struct nl_sample_table *t);
void nl_collector_health(struct nl_collector *c, struct nl_health *h);
/* Fills s's pages migrated by reason, cumulative since load (after
 * nl_system_read, which clears them). 0 or a negative errno. */
int nl_collector_read_migrations(struct nl_collector *c, struct nl_system *s);
void nl_collector_free(struct nl_collector *c);

/* Machine-wide latency of memory samples per (CPU node, memory node):
 * fills up to max cells, returns how many there are. */
size_t nl_collector_pmu_latency(struct nl_collector *c, struct nl_latency_cell *out, size_t max);

/* One process's memory samples per (CPU node, memory node), cumulative:
 * matrix[cpu * (nr_nodes + 1) + mem], the last column for unknown nodes. */
int nl_collector_pmu_matrix(struct nl_collector *c, uint32_t pid, int nr_nodes, uint64_t *matrix);

/* The BPF programs, whether each is loaded and attached, and their stats. */
size_t nl_collector_programs(struct nl_collector *c, struct nl_prog_info *out, size_t max);

/*
 * The collector without BPF (collect_proc.c): the named processes only, CPU
 * time per node from their threads' ticks in /proc between reads. Tables as
 * nl_collector_read's; a process gone is not in them. 0 or a negative errno.
 */
struct nl_proc_collector;
int nl_proc_collector_open(const struct nl_topology *topo, int nr_nodes, const uint32_t *pids,
			   size_t nr_pids, struct nl_proc_collector **out);
int nl_proc_collector_read(struct nl_proc_collector *c, struct nl_sample_table *t);
void nl_proc_collector_free(struct nl_proc_collector *c);

#endif /* NUMALENS_COLLECT_H */
