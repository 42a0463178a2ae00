// SPDX-License-Identifier: GPL-2.0
#include "pidsearch.h"

static uint32_t pid_at(const void *base, size_t i, size_t entry_size, size_t pid_offset)
{
	return *(const uint32_t *)((const char *)base + i * entry_size + pid_offset);
}

bool nl_pid_listed(const uint32_t *pids, size_t nr, uint32_t pid)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

size_t nl_pid_search(const void *base, size_t nr, size_t entry_size, size_t pid_offset,
		     uint32_t pid, bool *found)
{
	size_t lo = 0, hi = nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pid_at(base, mid, entry_size, pid_offset) < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < nr && pid_at(base, lo, entry_size, pid_offset) == pid;
	return lo;
}
