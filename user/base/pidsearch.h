/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Searches by pid. Binary, in an array of structs kept sorted by a uint32_t
 * pid field: the sample table, the agent's memory reads, the advisor's
 * memory and auto-pin's record all keep one entry per pid in this order.
 * Linear, in the short lists of pids a user names or the collector drops.
 */
#ifndef NUMALENS_PIDSEARCH_H
#define NUMALENS_PIDSEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The index of pid among the nr entries of entry_size bytes at base, whose
 * uint32_t pid is pid_offset bytes into each; where absent, the index it
 * would be inserted at to keep the order (nr when it sorts last), with
 * *found false.
 */
size_t nl_pid_search(const void *base, size_t nr, size_t entry_size, size_t pid_offset,
		     uint32_t pid, bool *found);

/* Whether pid is among the nr pids of an unsorted list. */
bool nl_pid_listed(const uint32_t *pids, size_t nr, uint32_t pid);

/* nl_pid_search for an array of a struct type with a pid member. */
#define NL_PID_SEARCH(array, nr, key, found)                                                       \
	nl_pid_search((array), (nr), sizeof(*(array)), offsetof(__typeof__(*(array)), pid), (key), \
		      (found))

#endif /* NUMALENS_PIDSEARCH_H */
