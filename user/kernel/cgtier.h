/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A cgroup's part in memory tiering: the pages the kernel promoted into it
 * and demoted out of it (cgroup v2 memory.stat: pgpromote_success,
 * pgdemote_kswapd, _direct, _khugepaged, _proactive, whichever this kernel
 * has), its memory per node (memory.numa_stat) and the nodes its cpuset
 * lets it use (cpuset.mems.effective). Demotion in older kernels moves
 * pages to any slower node, outside cpuset.mems too; core/cgtier.h makes
 * the finding.
 *
 * memory.stat has the tier counters since Linux 6.12 ("mm,memcg: provide
 * per-cgroup counters for NUMA balancing operations"): 6.1's has none,
 * pgdemote_proactive came later (6.18 has it). Cgroup v1 has memory per
 * node (memory.numa_stat, in pages) but no tier counters.
 *
 * The parsers take text so they are unit-tested; the readers find the
 * files through /proc/PID/cgroup and mountinfo (cgroup.h).
 */
#ifndef NUMALENS_CGTIER_H
#define NUMALENS_CGTIER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cgroup.h"
#include "topology.h"

enum nl_memcg_event {
	NL_MEMCG_PROMOTE,	    /* pgpromote_success */
	NL_MEMCG_DEMOTE_KSWAPD,	    /* pgdemote_kswapd */
	NL_MEMCG_DEMOTE_DIRECT,	    /* pgdemote_direct */
	NL_MEMCG_DEMOTE_KHUGEPAGED, /* pgdemote_khugepaged */
	NL_MEMCG_DEMOTE_PROACTIVE,  /* pgdemote_proactive (memory.reclaim): 6.18 has it, 6.12 not */
	NL_MEMCG_EVENTS,
};

/* The memory.stat key ("pgdemote_kswapd"), and the kind it is in reports
 * and metrics ("demote_kswapd", "promote"). */
const char *nl_memcg_event_key(int ev);
const char *nl_memcg_event_kind(int ev);

struct nl_memcg_tier_stat {
	uint64_t pages[NL_MEMCG_EVENTS];
	unsigned int present; /* 1 << event: this kernel's file has the line */
};

/* memory.stat text: 0 (present 0 when the kernel has none of the lines),
 * -EINVAL when no "key value" line parses. */
int nl_memcg_stat_parse(const char *text, size_t len, struct nl_memcg_tier_stat *out);

struct nl_memcg_numa {
	uint64_t anon[NL_MAX_NODES]; /* bytes; nodes past NL_MAX_NODES fold into the last */
	uint64_t file[NL_MAX_NODES];
	uint64_t nodes; /* the nodes the file names */
	bool v1;	/* cgroup v1's form: hierarchical_anon=PAGES N0=PAGES */
};

/* memory.numa_stat text: v2's "anon N0=BYTES N1=BYTES" and "file ..."
 * lines, or v1's "hierarchical_anon=PAGES N0=PAGES" (this cgroup and those
 * below, as v2 counts), times page_size. 0, or -EINVAL without both lines. */
int nl_memcg_numa_stat_parse(const char *text, size_t len, uint64_t page_size,
			     struct nl_memcg_numa *out);

/* Where the memory controller is: found once per refresh. */
struct nl_cgtier_where {
	struct nl_cgroup_mounts m;
	int version;	  /* 2, 1, 0: no memory controller */
	char reason[160]; /* with version 0: why */
};
int nl_cgtier_where_read(struct nl_cgtier_where *w);

/* One cgroup's files, as read. */
struct nl_cgtier_read {
	char path[512];		    /* the memory cgroup, as /proc/PID/cgroup names it */
	int version;		    /* the hierarchy it is in: 2 or 1 */
	char mem_dir[PATH_MAX / 4]; /* its directory */
	/* Where its cpuset may be: [0] in v2, [1] in v1's cpuset hierarchy
	 * (each a directory and the mount it is under; "" none). */
	char cpuset_dir[2][PATH_MAX / 4];
	char cpuset_mnt[2][256];
	bool stat_known; /* memory.stat read */
	struct nl_memcg_tier_stat stat;
	bool numa_known; /* memory.numa_stat read */
	struct nl_memcg_numa numa;
	bool mems_known;       /* a cpuset's effective mems read */
	uint64_t mems;	       /* ... as a node set */
	char mems_list[64];    /* ... as the file has it: "0-1" */
	char mems_cgroup[512]; /* the cgroup it came from ("/": the whole machine) */
	char reason[160];      /* what could not be read and why; "" when all was */
};

/* The memory cgroup of pid (and its cpuset's): 0, -ENOENT (gone, or in
 * no memory cgroup this mount shows), another negative errno. */
int nl_cgtier_locate(const struct nl_cgtier_where *w, int pid, struct nl_cgtier_read *out);
/* Reads the files of a located cgroup: each one missing is said in
 * out->reason ("no memory.numa_stat: ..."), not an error. */
void nl_cgtier_read_files(struct nl_cgtier_read *out);

#endif /* NUMALENS_CGTIER_H */
