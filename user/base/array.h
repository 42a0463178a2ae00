/* SPDX-License-Identifier: GPL-2.0 */
/* Arrays that grow by doubling, as every list of pids or threads here does. */
#ifndef NUMALENS_ARRAY_H
#define NUMALENS_ARRAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * Room for entry nr of an array of *cap entries of entry_size bytes: the
 * array itself while nr < *cap, else the array moved to twice the room (to
 * first entries when it had none) with *cap updated. NULL when memory runs
 * out: the array is then still the caller's, unchanged.
 */
static inline void *nl_array_room(void *array, size_t nr, size_t *cap, size_t entry_size,
				  size_t first)
{
	size_t grown_cap;
	void *grown;

	if (nr < *cap)
		return array;
	grown_cap = *cap ? *cap * 2 : first;
	if (grown_cap > SIZE_MAX / entry_size)
		return NULL;
	grown = realloc(array, grown_cap * entry_size);
	if (grown)
		*cap = grown_cap;
	return grown;
}

#endif /* NUMALENS_ARRAY_H */
