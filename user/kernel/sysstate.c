// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "procfs.h"
#include "sysstate.h"

int nl_vmstat_parse(const char *text, size_t len, struct nl_system *s)
{
	static const struct {
		const char *name;
		size_t offset;
	} fields[] = {
		{ "numa_hint_faults", offsetof(struct nl_system, numa_hint_faults) },
		{ "numa_hint_faults_local", offsetof(struct nl_system, numa_hint_faults_local) },
		{ "numa_pages_migrated", offsetof(struct nl_system, numa_pages_migrated) },
		{ "numa_pte_updates", offsetof(struct nl_system, numa_pte_updates) },
	};
	const char *line = text, *end = text + len;

	while (line < end) {
		const char *nl = memchr(line, '\n', end - line);
		const char *stop = nl ? nl : end;
		const char *space = memchr(line, ' ', stop - line);
		size_t i;

		for (i = 0; space && i < sizeof(fields) / sizeof(fields[0]); i++) {
			size_t n = strlen(fields[i].name);
			uint64_t value;

			/* "name value", the value all digits: a line such as
			 * "name -1" or "name 12x" is not taken for a count. */
			if ((size_t)(space - line) == n && !memcmp(line, fields[i].name, n) &&
			    nl_parse_u64(space + 1, stop - space - 1, &value)) {
				*(uint64_t *)((char *)s + fields[i].offset) = value;
				s->vmstat_valid = 1;
			}
		}
		line = stop + 1;
	}
	return s->vmstat_valid ? 0 : -ENOENT;
}

int nl_numa_balancing_read(void)
{
	int mode;

	return nl_sysctl_int("kernel/numa_balancing", &mode) || mode < 0 ? -1 : mode;
}

int nl_system_read(struct nl_system *s)
{
	char path[PATH_MAX], buf[16384];
	int len;

	memset(s, 0, sizeof(*s));
	s->numa_balancing = nl_numa_balancing_read();
	snprintf(path, sizeof(path), "%s/vmstat", nl_proc_root);
	len = nl_read_file(path, buf, sizeof(buf));
	if (len < 0)
		return len;
	return nl_vmstat_parse(buf, len, s);
}
