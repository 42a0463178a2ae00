// SPDX-License-Identifier: GPL-2.0
/*
 * NUMA topology from libnuma or from sysfs (<root>/devices/system/node).
 * Node ids can have holes (node0, node2); a node can have memory and no CPU
 * (CXL memory expanders). Nodes >= NL_MAX_NODES and CPUs >= NL_MAX_CPUS are
 * left out and flagged in `clamped`.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <numa.h>
#include <linux/types.h>

#include "procfs.h"
#include "topology.h"

/* Biggest sysfs file read here: a cpulist such as "0,2,4,..." on a large machine. */
#define TOPO_BUF_SIZE (64 * 1024)
/* CPU ids parsed (then clamped to NL_MAX_CPUS) when a list goes past NL_MAX_CPUS. */
#define TOPO_BIG_CPUS (1 << 20)
#define DIST_LOCAL 10
#define DIST_REMOTE 20

static void topo_init(struct nl_topology *t, const char *source)
{
	int cpu;

	memset(t, 0, sizeof(*t));
	for (cpu = 0; cpu < NL_MAX_CPUS; cpu++)
		t->cpu_node[cpu] = -1;
	for (cpu = 0; cpu < NL_MAX_NODES; cpu++)
		t->node_tier[cpu] = -1;
	t->demotion_enabled = -1;
	t->source = source;
}

static void topo_add_node(struct nl_topology *t, int node)
{
	t->node_present |= 1ULL << node;
	t->toptier_nodes |= 1ULL << node; /* until tiers say otherwise */
	t->nr_nodes++;
	if (node + 1 > t->nr_node_ids)
		t->nr_node_ids = node + 1;
}

static void topo_add_cpu(struct nl_topology *t, int node, int cpu)
{
	uint64_t mask = 1ULL << (cpu % 64);

	if (cpu >= NL_MAX_CPUS) {
		t->clamped = 1;
		return;
	}
	if (t->node_cpus[node][cpu / 64] & mask)
		return;
	t->node_cpus[node][cpu / 64] |= mask;
	t->node_nr_cpus[node]++;
	t->cpu_node[cpu] = node;
	if (cpu + 1 > t->nr_cpu_ids)
		t->nr_cpu_ids = cpu + 1;
}

static int path_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Adds the CPUs of a list to node; ids past NL_MAX_CPUS are dropped and flagged. */
static int topo_add_cpulist(struct nl_topology *t, int node, const char *text, size_t len)
{
	uint64_t cpus[NL_CPU_WORDS], *big = NULL, *bits = cpus;
	int ret, cpu;

	ret = nl_cpulist_parse(text, len, cpus, NL_MAX_CPUS);
	if (ret == -ERANGE) {
		big = calloc(TOPO_BIG_CPUS / 64, sizeof(*big));
		if (!big)
			return -ENOMEM;
		ret = nl_cpulist_parse(text, len, big, TOPO_BIG_CPUS);
		bits = big;
		t->clamped = 1;
	}
	if (ret >= 0) {
		for (cpu = 0; cpu < NL_MAX_CPUS; cpu++)
			if (bits[cpu / 64] & (1ULL << (cpu % 64)))
				topo_add_cpu(t, node, cpu);
		ret = 0;
	}
	free(big);
	return ret;
}

/* Value in kB of "key" in meminfo text, lines "[Node N ]Key:   X kB"; false if absent. */
static bool meminfo_value(const char *text, const char *key, uint64_t *bytes)
{
	size_t klen = strlen(key);
	const char *line = text;

	while (*line) {
		const char *end = strchr(line, '\n'), *p = line;
		unsigned long long kb;
		char *num_end;

		if (!end)
			end = line + strlen(line);
		if (!strncmp(p, "Node ", 5)) {
			p += 5;
			while (*p >= '0' && *p <= '9')
				p++;
			while (*p == ' ')
				p++;
		}
		if (end - p > (ptrdiff_t)klen && !strncmp(p, key, klen) && p[klen] == ':') {
			p += klen + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p < '0' || *p > '9')
				return false;
			errno = 0;
			kb = strtoull(p, &num_end, 10);
			if (errno || num_end > end)
				return false;
			*bytes = kb > UINT64_MAX / 1024 ? UINT64_MAX : kb * 1024;
			return true;
		}
		line = *end ? end + 1 : end;
	}
	return false;
}

static void topo_read_meminfo(struct nl_topology *t, int node, const char *path, char *buf)
{
	if (nl_read_file(path, buf, TOPO_BUF_SIZE) < 0)
		return; /* no meminfo: 0 bytes, as for a node without memory */
	meminfo_value(buf, "MemTotal", &t->node_mem_total[node]);
	meminfo_value(buf, "MemFree", &t->node_mem_free[node]);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* A kernel without CONFIG_NUMA: one node 0 with every online CPU. */
static int topo_no_numa(const char *root, struct nl_topology *t, char *path, char *buf)
{
	int ret, len;

	ret = path_fmt(path, PATH_MAX, "%s/devices/system/cpu/online", root);
	if (ret)
		return ret;
	len = nl_read_file(path, buf, TOPO_BUF_SIZE);
	if (len < 0) {
		ret = path_fmt(path, PATH_MAX, "%s/devices/system/cpu/possible", root);
		if (ret)
			return ret;
		len = nl_read_file(path, buf, TOPO_BUF_SIZE);
		if (len < 0)
			return len;
	}
	topo_add_node(t, 0);
	ret = topo_add_cpulist(t, 0, buf, len);
	if (ret)
		return ret;
	t->distance[0][0] = DIST_LOCAL;
	/* The machine's memory, from /proc/meminfo; 0 where it cannot be read. */
	ret = path_fmt(path, PATH_MAX, "%s/meminfo", nl_proc_root);
	if (!ret)
		topo_read_meminfo(t, 0, path, buf);
	return 0;
}

/* Distances of node `from` in the order of ids[] (every node present, sorted). */
static void topo_parse_distance(struct nl_topology *t, int from, const int *ids, int nr_ids,
				const char *text)
{
	const char *p = text;
	int col;

	for (col = 0; col < nr_ids; col++) {
		unsigned long d;
		char *end;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			return; /* short or bad row: the rest keep their defaults */
		errno = 0;
		d = strtoul(p, &end, 10);
		p = end;
		if (ids[col] >= NL_MAX_NODES)
			continue;
		t->distance[from][ids[col]] = errno || d > UINT8_MAX ? UINT8_MAX : (uint8_t)d;
	}
}

int nl_topology_from_sysfs(const char *root, struct nl_topology *t)
{
	int *ids = NULL, nr_ids = 0, cap = 0, i, j, ret = 0, len;
	char path[PATH_MAX], *buf;
	struct dirent *de;
	DIR *dir;

	if (!root || !t)
		return -EINVAL;
	topo_init(t, "sysfs");
	buf = malloc(TOPO_BUF_SIZE);
	if (!buf)
		return -ENOMEM;
	ret = path_fmt(path, sizeof(path), "%s/devices/system/node", root);
	if (ret)
		goto out;
	dir = opendir(path);
	if (!dir) {
		ret = errno == ENOENT ? topo_no_numa(root, t, path, buf) : -errno;
		goto out;
	}
	while ((de = readdir(dir))) {
		const char *p = de->d_name + 4;
		long id = 0;

		if (strncmp(de->d_name, "node", 4) || !*p)
			continue;
		for (; *p >= '0' && *p <= '9' && id <= INT_MAX; p++)
			id = id * 10 + (*p - '0');
		if (*p || id > INT_MAX)
			continue;
		if (nr_ids == cap) {
			int *grown = realloc(ids, (cap ? cap * 2 : 16) * sizeof(*ids));

			if (!grown) {
				ret = -ENOMEM;
				closedir(dir);
				goto out;
			}
			ids = grown;
			cap = cap ? cap * 2 : 16;
		}
		ids[nr_ids++] = (int)id;
	}
	closedir(dir);
	if (!nr_ids) {
		ret = topo_no_numa(root, t, path, buf);
		goto out;
	}
	qsort(ids, nr_ids, sizeof(*ids), cmp_int);

	for (i = 0; i < nr_ids; i++) {
		if (ids[i] >= NL_MAX_NODES)
			t->clamped = 1;
		else
			topo_add_node(t, ids[i]);
	}
	for (i = 0; i < nr_ids; i++) {
		int node = ids[i];

		if (node >= NL_MAX_NODES)
			continue;
		ret = path_fmt(path, sizeof(path), "%s/devices/system/node/node%d/cpulist", root,
			       node);
		if (ret)
			goto out;
		len = nl_read_file(path, buf, TOPO_BUF_SIZE);
		if (len < 0) {
			ret = len;
			goto out;
		}
		ret = topo_add_cpulist(t, node, buf, len);
		if (ret)
			goto out;

		ret = path_fmt(path, sizeof(path), "%s/devices/system/node/node%d/meminfo", root,
			       node);
		if (ret)
			goto out;
		topo_read_meminfo(t, node, path, buf);

		for (j = 0; j < nr_ids; j++)
			if (ids[j] < NL_MAX_NODES)
				t->distance[node][ids[j]] = ids[j] == node ? DIST_LOCAL :
									     DIST_REMOTE;
		ret = path_fmt(path, sizeof(path), "%s/devices/system/node/node%d/distance", root,
			       node);
		if (ret)
			goto out;
		if (nl_read_file(path, buf, TOPO_BUF_SIZE) >= 0)
			topo_parse_distance(t, node, ids, nr_ids, buf);
	}
	ret = nl_tiers_read(root, t);
out:
	free(ids);
	free(buf);
	return ret;
}

int nl_topology_from_libnuma(struct nl_topology *t)
{
	struct bitmask *cpus;
	int max_node, node, other, ret = 0;
	unsigned int cpu;

	if (!t)
		return -EINVAL;
	if (numa_available() < 0)
		return -ENOSYS;
	topo_init(t, "libnuma");
	cpus = numa_allocate_cpumask();
	if (!cpus)
		return -ENOMEM;
	max_node = numa_max_node();
	for (node = 0; node <= max_node; node++) {
		long long size, free_bytes = 0;

		if (!numa_bitmask_isbitset(numa_nodes_ptr, node))
			continue;
		if (node >= NL_MAX_NODES) {
			t->clamped = 1;
			continue;
		}
		topo_add_node(t, node);
		if (numa_node_to_cpus(node, cpus) < 0) {
			ret = errno ? -errno : -EINVAL;
			goto out;
		}
		for (cpu = 0; cpu < cpus->size; cpu++)
			if (numa_bitmask_isbitset(cpus, cpu))
				topo_add_cpu(t, node, cpu);
		size = numa_node_size64(node, &free_bytes);
		if (size > 0) {
			t->node_mem_total[node] = size;
			t->node_mem_free[node] = free_bytes > 0 ? free_bytes : 0;
		}
	}
	for (node = 0; node < NL_MAX_NODES; node++) {
		if (!nl_node_present(t, node))
			continue;
		for (other = 0; other < NL_MAX_NODES; other++) {
			int d;

			if (!nl_node_present(t, other))
				continue;
			d = numa_distance(node, other);
			if (d <= 0) /* no distance table */
				d = node == other ? DIST_LOCAL : DIST_REMOTE;
			t->distance[node][other] = d > UINT8_MAX ? UINT8_MAX : d;
		}
	}
out:
	numa_free_cpumask(cpus);
	return ret;
}

int nl_topology_load(struct nl_topology *t)
{
	if (!t)
		return -EINVAL;
	if (!nl_topology_from_libnuma(t) && t->nr_nodes > 0)
		return nl_tiers_read("/sys", t);
	return nl_topology_from_sysfs("/sys", t);
}

char *nl_node_cpulist(const struct nl_topology *t, int node, char *buf, size_t size)
{
	size_t used = 0;
	int cpu, first;

	buf[0] = '\0';
	for (cpu = 0; cpu < t->nr_cpu_ids && cpu < NL_MAX_CPUS && used < size; cpu++) {
		if (t->cpu_node[cpu] != node)
			continue;
		first = cpu;
		while (cpu + 1 < t->nr_cpu_ids && cpu + 1 < NL_MAX_CPUS &&
		       t->cpu_node[cpu + 1] == node)
			cpu++;
		used += snprintf(buf + used, size - used, cpu > first ? "%s%d-%d" : "%s%d",
				 used ? "," : "", first, cpu);
	}
	return buf;
}
