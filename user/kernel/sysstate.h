/* SPDX-License-Identifier: GPL-2.0 */
/* System-wide NUMA state: the balancing switch and /proc/vmstat counters. */
#ifndef NUMALENS_SYSSTATE_H
#define NUMALENS_SYSSTATE_H

#include <stddef.h>
#include <stdint.h>

struct nl_system {
	int numa_balancing; /* kernel.numa_balancing: -1 unknown, 0 off, 1+ on */
	uint64_t numa_hint_faults;
	uint64_t numa_hint_faults_local;
	uint64_t numa_pages_migrated;
	uint64_t numa_pte_updates;
	int vmstat_valid;
};

/* Fills the vmstat fields from /proc/vmstat text, "name value" lines; a
 * line whose value is not a plain decimal number is skipped. 0, or -ENOENT
 * when no field was found. */
int nl_vmstat_parse(const char *text, size_t len, struct nl_system *s);
int nl_system_read(struct nl_system *s);

/* kernel.numa_balancing: 0 off, 1 on, 2 and 3 memory tiering modes; -1
 * when unknown (no such sysctl in this kernel, or text that is no mode). */
int nl_numa_balancing_read(void);

#endif /* NUMALENS_SYSSTATE_H */
