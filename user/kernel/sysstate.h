/* SPDX-License-Identifier: GPL-2.0 */
/* System-wide NUMA state: the balancing switch and /proc/vmstat counters. */
#ifndef NUMALENS_SYSSTATE_H
#define NUMALENS_SYSSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "numalens.h"

/* The /proc/vmstat counters read, in the order of nl_system's fields; bit
 * NL_VM_x of nl_system.present says this kernel has that line. */
enum nl_vmstat_id {
	NL_VM_HINT_FAULTS,
	NL_VM_HINT_FAULTS_LOCAL,
	NL_VM_PAGES_MIGRATED,
	NL_VM_PTE_UPDATES,
	NL_VM_PROMOTE_SUCCESS,	 /* pages promoted to a faster tier */
	NL_VM_PROMOTE_CANDIDATE, /* hot pages on a slower tier found by balancing */
	NL_VM_DEMOTE_KSWAPD,	 /* pages demoted to a slower tier by kswapd */
	NL_VM_DEMOTE_DIRECT,	 /* ... by direct reclaim */
	NL_VM_DEMOTE_KHUGEPAGED, /* ... by khugepaged */
	NL_VM_DEMOTE_PROACTIVE,	 /* ... by memory.reclaim (v6.14 on) */
	NL_VM_MAX,
};

/* Pages the kernel migrated for one reason (mm_migrate_pages). */
#define NL_MIGRATE_REASON_LEN 24
struct nl_migrate_count {
	char reason[NL_MIGRATE_REASON_LEN]; /* enum migrate_reason's name, lowercase, without MR_ */
	uint64_t pages;			    /* since the BPF programs were loaded */
};

struct nl_system {
	int numa_balancing; /* kernel.numa_balancing: -1 unknown, 0 off, 1+ on */
	/* kernel.numa_balancing_promote_rate_limit_MBps, -1 where absent */
	int64_t promote_rate_limit_mbps;
	uint64_t numa_hint_faults;
	uint64_t numa_hint_faults_local;
	uint64_t numa_pages_migrated;
	uint64_t numa_pte_updates;
	uint64_t pgpromote_success;
	uint64_t pgpromote_candidate;
	uint64_t pgdemote_kswapd;
	uint64_t pgdemote_direct;
	uint64_t pgdemote_khugepaged;
	uint64_t pgdemote_proactive;
	uint32_t present; /* bit NL_VM_x: the line was in vmstat */
	int vmstat_valid;
	/* Pages migrated by reason, every reason of this kernel in the order of
	 * its enum: filled by the BPF collector after nl_system_read, none
	 * where mm_migrate_pages is not counted. */
	uint32_t nr_migrate_reasons;
	struct nl_migrate_count migrated[NL_MIGRATE_REASONS];
};

/* numa_balancing's bits: 1 balances between nodes, 2 promotes from slower
 * memory tiers (NUMA_BALANCING_NORMAL, NUMA_BALANCING_MEMORY_TIERING). */
#define NL_NUMAB_NORMAL 0x1
#define NL_NUMAB_TIERING 0x2

static inline uint64_t nl_system_demoted(const struct nl_system *s)
{
	return s->pgdemote_kswapd + s->pgdemote_direct + s->pgdemote_khugepaged +
	       s->pgdemote_proactive;
}

/* The pages migrated for reason i (of after) between two reads of one
 * collector; 0 where before has no such count. */
static inline uint64_t nl_system_migrated_since(const struct nl_system *before,
						const struct nl_system *after, uint32_t i)
{
	const struct nl_migrate_count *a = &after->migrated[i], *b = &before->migrated[i];

	if (i >= after->nr_migrate_reasons || i >= before->nr_migrate_reasons ||
	    strcmp(a->reason, b->reason) || a->pages < b->pages)
		return 0;
	return a->pages - b->pages;
}

/* Fills the vmstat fields from /proc/vmstat text, "name value" lines; a
 * line whose value is not a plain decimal number is skipped. 0, or -ENOENT
 * when no field was found. */
int nl_vmstat_parse(const char *text, size_t len, struct nl_system *s);
/* A counter's /proc/vmstat name ("pgpromote_success"). */
const char *nl_vmstat_name(enum nl_vmstat_id id);
/* Its value, false where this kernel's vmstat has no such line. */
bool nl_vmstat_value(const struct nl_system *s, enum nl_vmstat_id id, uint64_t *value);
/* after - before, false where either lacks it or it went back. */
bool nl_vmstat_delta(const struct nl_system *before, const struct nl_system *after,
		     enum nl_vmstat_id id, uint64_t *delta);
/* Reads the sysctls and vmstat into s, cleared first (migrated[] too). */
int nl_system_read(struct nl_system *s);
/* Folds every CPU's share of the vmstat counters into the totals
 * (vm.stat_refresh, root only): the tier counters are node page states,
 * kept per CPU below a threshold and folded about once a second, so a read
 * right after a promotion can miss it. 0 or a negative errno. */
int nl_vmstat_flush(void);

/* kernel.numa_balancing: 0 off, 1 on, 2 and 3 memory tiering modes; -1
 * when unknown (no such sysctl in this kernel, or text that is no mode). */
int nl_numa_balancing_read(void);

#endif /* NUMALENS_SYSSTATE_H */
