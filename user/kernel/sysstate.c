// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "procfs.h"
#include "sysstate.h"

/* Each counter's line in /proc/vmstat and its field, in enum order. */
static const struct {
	const char *name;
	size_t offset;
} vmstat_fields[NL_VM_MAX] = {
	[NL_VM_HINT_FAULTS] = { "numa_hint_faults", offsetof(struct nl_system, numa_hint_faults) },
	[NL_VM_HINT_FAULTS_LOCAL] = { "numa_hint_faults_local",
				      offsetof(struct nl_system, numa_hint_faults_local) },
	[NL_VM_PAGES_MIGRATED] = { "numa_pages_migrated",
				   offsetof(struct nl_system, numa_pages_migrated) },
	[NL_VM_PTE_UPDATES] = { "numa_pte_updates", offsetof(struct nl_system, numa_pte_updates) },
	[NL_VM_PROMOTE_SUCCESS] = { "pgpromote_success",
				    offsetof(struct nl_system, pgpromote_success) },
	[NL_VM_PROMOTE_CANDIDATE] = { "pgpromote_candidate",
				      offsetof(struct nl_system, pgpromote_candidate) },
	[NL_VM_DEMOTE_KSWAPD] = { "pgdemote_kswapd", offsetof(struct nl_system, pgdemote_kswapd) },
	[NL_VM_DEMOTE_DIRECT] = { "pgdemote_direct", offsetof(struct nl_system, pgdemote_direct) },
	[NL_VM_DEMOTE_KHUGEPAGED] = { "pgdemote_khugepaged",
				      offsetof(struct nl_system, pgdemote_khugepaged) },
	[NL_VM_DEMOTE_PROACTIVE] = { "pgdemote_proactive",
				     offsetof(struct nl_system, pgdemote_proactive) },
};

const char *nl_vmstat_name(enum nl_vmstat_id id)
{
	return id < NL_VM_MAX ? vmstat_fields[id].name : "";
}

bool nl_vmstat_value(const struct nl_system *s, enum nl_vmstat_id id, uint64_t *value)
{
	if (id >= NL_VM_MAX || !(s->present >> id & 1))
		return false;
	*value = *(const uint64_t *)((const char *)s + vmstat_fields[id].offset);
	return true;
}

bool nl_vmstat_delta(const struct nl_system *before, const struct nl_system *after,
		     enum nl_vmstat_id id, uint64_t *delta)
{
	uint64_t b, a;

	if (!nl_vmstat_value(before, id, &b) || !nl_vmstat_value(after, id, &a) || a < b)
		return false;
	*delta = a - b;
	return true;
}

int nl_vmstat_parse(const char *text, size_t len, struct nl_system *s)
{
	const char *line = text, *end = text + len;

	while (line < end) {
		const char *nl = memchr(line, '\n', end - line);
		const char *stop = nl ? nl : end;
		const char *space = memchr(line, ' ', stop - line);
		size_t i;

		for (i = 0; space && i < NL_VM_MAX; i++) {
			size_t n = strlen(vmstat_fields[i].name);
			uint64_t value;

			/* "name value", the value all digits: a line such as
			 * "name -1" or "name 12x" is not taken for a count. */
			if ((size_t)(space - line) == n &&
			    !memcmp(line, vmstat_fields[i].name, n) &&
			    nl_parse_u64(space + 1, stop - space - 1, &value)) {
				*(uint64_t *)((char *)s + vmstat_fields[i].offset) = value;
				s->present |= 1U << i;
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

int nl_vmstat_flush(void)
{
	char path[PATH_MAX];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/sys/vm/stat_refresh", nl_proc_root);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fputs("1\n", f) < 0)
		err = -EIO;
	if (fclose(f) && !err)
		err = errno ? -errno : -EIO;
	return err;
}

int nl_system_read(struct nl_system *s)
{
	char path[PATH_MAX], buf[16384];
	int len;

	int rate;

	memset(s, 0, sizeof(*s));
	s->numa_balancing = nl_numa_balancing_read();
	s->promote_rate_limit_mbps =
		nl_sysctl_int("kernel/numa_balancing_promote_rate_limit_MBps", &rate) ? -1 : rate;
	snprintf(path, sizeof(path), "%s/vmstat", nl_proc_root);
	len = nl_read_file(path, buf, sizeof(buf));
	if (len < 0)
		return len;
	return nl_vmstat_parse(buf, len, s);
}
