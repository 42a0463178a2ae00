/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hardware memory sampling: finding a PMU that can sample loads with their
 * data source (Intel PEBS load latency, AMD IBS op) from sysfs, with no list
 * of CPU models, and opening it on every CPU. Every function takes the sysfs
 * root so tests can use fixture trees.
 */
#ifndef NUMALENS_PMU_H
#define NUMALENS_PMU_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "topology.h"

enum nl_pmu_kind {
	NL_PMU_NONE,
	NL_PMU_PEBS,	       /* Intel load latency (mem-loads) */
	NL_PMU_IBS,	       /* AMD IBS op */
	NL_PMU_SW_PAGE_FAULTS, /* software page faults: tests the plumbing without a PMU */
};

enum nl_pmu_rate { NL_PMU_RATE_NORMAL, NL_PMU_RATE_LOW, NL_PMU_RATE_HIGH };

/* Hybrid Intel parts have one PMU per core type, each with its CPUs. */
#define NL_PMU_MAX_PMUS 2

struct nl_pmu_event {
	char pmu[32];		     /* "cpu", "cpu_core", "cpu_atom", "ibs_op" */
	struct perf_event_attr attr; /* the sampling event */
	bool has_leader;	     /* Sapphire Rapids and hybrid parts: mem-loads-aux */
	struct perf_event_attr leader;
	uint64_t cpus[NL_CPU_WORDS]; /* where it runs; all ones when the PMU covers every CPU */
};

struct nl_pmu_config {
	enum nl_pmu_kind kind;
	int nr_events;
	struct nl_pmu_event events[NL_PMU_MAX_PMUS];
	char desc[200]; /* what was chosen, for people */
};

/*
 * Finds a memory-sampling PMU under root (normally "/sys"). period 0 takes
 * the rate's preset. Returns 0, or -ENOENT with the reason in reason.
 */
int nl_pmu_probe(const char *root, uint64_t period, enum nl_pmu_rate rate,
		 struct nl_pmu_config *cfg, char *reason, size_t size);

/* Sets the config bits of terms such as "event=0xcd,umask=0x1,ldlat=3" from
 * the PMU's format directory. */
int nl_pmu_parse_event(const char *root, const char *pmu, const char *terms,
		       struct perf_event_attr *attr);

/*
 * The parsers under it, on text (sysfs files, trailing newline removed):
 * a PMU's type file ("8"): the type, or -EINVAL unless plain decimal below
 * 2^31; a format ("config:0-7,32-35", "config1:0-15"): value put into the
 * bits named, in order, 0, -ERANGE when it has more bits than named, or
 * -EINVAL (a bit named twice too); terms ("event=0xcd,umask=0x1,ldlat=3", a bare term meaning 1),
 * each name's format got from format_of (0 or a negative errno, returned):
 * 0, -E2BIG, -EINVAL, or the first error of a format.
 */
int nl_pmu_parse_type(const char *text);
int nl_pmu_apply_format(const char *format, uint64_t value, struct perf_event_attr *attr);
typedef int (*nl_pmu_format_fn)(void *ctx, const char *name, char *buf, size_t size);
int nl_pmu_parse_terms(const char *terms, nl_pmu_format_fn format_of, void *ctx,
		       struct perf_event_attr *attr);

/* The software page-fault event with PERF_SAMPLE_ADDR, one sample per fault. */
void nl_pmu_software_faults(struct nl_pmu_config *cfg);

struct nl_pmu_fds {
	int nr;
	int *fds;     /* sampling events, one per CPU opened */
	int *leaders; /* their group leaders, -1 where none */
};

/*
 * Opens the events on every CPU of the topology. Returns 0, or a negative
 * errno with a reason naming the cause and the fix (EMFILE, EACCES...).
 */
int nl_pmu_open(const struct nl_pmu_config *cfg, const struct nl_topology *topo,
		struct nl_pmu_fds *out, char *reason, size_t size);
void nl_pmu_close(struct nl_pmu_fds *f);

/* Physical memory block -> node, from sysfs memory blocks. */
struct nl_physmap {
	uint32_t block_shift; /* log2 of block_size_bytes */
	uint32_t nr_blocks;   /* entries in node[] */
	uint8_t *node;	      /* NL_NODE_UNKNOWN where no node holds the block */
};

int nl_physmap_load(const char *root, struct nl_physmap *m);
/* Node of a physical address, or NL_NODE_UNKNOWN. */
int nl_physmap_node(const struct nl_physmap *m, uint64_t phys);
/*
 * The map as runs of blocks on one node (or on none), as the sampling
 * program reads it: out[0..n) sorted by first block, the last one on no
 * node; returns n (-EINVAL for max < 2). *cut when the runs take more than
 * max: out then ends after max - 1 of them, the blocks after on no node.
 */
int nl_physmap_ranges(const struct nl_physmap *m, struct nl_phys_range *out, int max, bool *cut);
void nl_physmap_free(struct nl_physmap *m);

#endif /* NUMALENS_PMU_H */
