// SPDX-License-Identifier: GPL-2.0
/*
 * Memory tiers from sysfs: which memory_tierN holds each node, which nodes
 * the kernel counts as top tier, the demotion switch, and the firmware's
 * (HMAT) latency and bandwidth of each memory node.
 *
 * The top tier follows mm/memory-tiers.c: walking from the slowest tier
 * up, the first tier holding a node with CPUs and every faster one are top
 * tier; promotion is only from below it, demotion only into it from above.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"
#include "topology.h"

uint64_t nl_used_nodes(const struct nl_topology *t)
{
	uint64_t nodes = 0;
	int node;

	for (node = 0; node < NL_MAX_NODES; node++)
		if (nl_node_present(t, node) && (t->node_nr_cpus[node] || t->node_mem_total[node]))
			nodes |= 1ULL << node;
	return nodes;
}

/* Node ids read from a nodelist: beyond NL_MAX_NODES they are dropped. */
#define TIER_LIST_BITS 1024

uint64_t nl_cpuless_nodes(const struct nl_topology *t)
{
	uint64_t nodes = 0;
	int node;

	for (node = 0; node < NL_MAX_NODES; node++)
		if (nl_node_present(t, node) && !t->node_nr_cpus[node] && t->node_mem_total[node])
			nodes |= 1ULL << node;
	return nodes;
}

/* A nodelist file as a node set; false when unreadable or malformed. */
static bool read_nodelist(const char *path, uint64_t *nodes)
{
	uint64_t bits[TIER_LIST_BITS / 64];
	char buf[4096];
	int len;

	len = nl_read_file(path, buf, sizeof(buf));
	if (len < 0 || nl_cpulist_parse(buf, len, bits, TIER_LIST_BITS) < 0)
		return false;
	*nodes = bits[0];
	return true;
}

static bool read_u32(const char *path, uint32_t *value)
{
	uint64_t v;
	char buf[64];
	int len;

	len = nl_read_file(path, buf, sizeof(buf));
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	if (len <= 0 || !nl_parse_u64(buf, len, &v))
		return false;
	*value = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	return true;
}

/* memory_tierN directories; returns the number read or a negative errno. */
static int read_tiers(const char *root, struct nl_topology *t)
{
	char path[PATH_MAX];
	struct dirent *de;
	int nr = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/devices/virtual/memory_tiering", root);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		const char *p = de->d_name + strlen("memory_tier");
		uint64_t id, nodes;
		int node;

		if (strncmp(de->d_name, "memory_tier", strlen("memory_tier")) ||
		    !nl_parse_u64(p, strlen(p), &id) || id > INT16_MAX)
			continue;
		if ((size_t)snprintf(path, sizeof(path),
				     "%s/devices/virtual/memory_tiering/%s/nodelist", root,
				     de->d_name) >= sizeof(path) ||
		    !read_nodelist(path, &nodes))
			continue;
		for (node = 0; node < NL_MAX_NODES; node++)
			if (((nodes >> node) & 1) && nl_node_present(t, node))
				t->node_tier[node] = (int16_t)id;
		nr++;
	}
	closedir(dir);
	return nr;
}

/* Nodes in tiers no slower than the slowest tier that holds a CPU node. */
static uint64_t top_tier(const struct nl_topology *t)
{
	uint64_t nodes = t->node_present;
	int node, top = -1;

	for (node = 0; node < NL_MAX_NODES; node++)
		if (nl_node_present(t, node) && t->node_nr_cpus[node] && t->node_tier[node] > top)
			top = t->node_tier[node];
	if (top < 0)
		return nodes; /* no CPU node in a tier: nothing to promote to */
	for (node = 0; node < NL_MAX_NODES; node++)
		if (nl_node_present(t, node) && t->node_tier[node] > top)
			nodes &= ~(1ULL << node);
	return nodes;
}

static void read_access(const char *root, struct nl_topology *t, int node)
{
	static const struct {
		const char *name;
		size_t offset;
	} files[] = {
		{ "read_latency", offsetof(struct nl_node_access, read_latency_ns) },
		{ "write_latency", offsetof(struct nl_node_access, write_latency_ns) },
		{ "read_bandwidth", offsetof(struct nl_node_access, read_bandwidth_mbps) },
		{ "write_bandwidth", offsetof(struct nl_node_access, write_bandwidth_mbps) },
	};
	struct nl_node_access *a = &t->access[node];
	char path[PATH_MAX];
	struct dirent *de;
	size_t i;
	DIR *dir;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/devices/system/node/node%d/access0/initiators/%s",
			 root, node, files[i].name);
		if (read_u32(path, (uint32_t *)((char *)a + files[i].offset)))
			a->known = true;
	}
	snprintf(path, sizeof(path), "%s/devices/system/node/node%d/access0/initiators", root,
		 node);
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		const char *p = de->d_name + 4;
		uint64_t id;

		if (!strncmp(de->d_name, "node", 4) && nl_parse_u64(p, strlen(p), &id) &&
		    id < NL_MAX_NODES)
			a->initiators |= 1ULL << id;
	}
	closedir(dir);
}

int nl_tiers_read(const char *root, struct nl_topology *t)
{
	char path[PATH_MAX], buf[32];
	int node, ret, len;

	if (!root || !t)
		return -EINVAL;
	t->tiers_known = false;
	t->demotion_enabled = -1;
	for (node = 0; node < NL_MAX_NODES; node++) {
		t->node_tier[node] = -1;
		memset(&t->access[node], 0, sizeof(t->access[node]));
		if (nl_node_present(t, node))
			read_access(root, t, node);
	}
	snprintf(path, sizeof(path), "%s/kernel/mm/numa/demotion_enabled", root);
	len = nl_read_file(path, buf, sizeof(buf));
	if (len > 0)
		t->demotion_enabled = !strncmp(buf, "true", 4) || buf[0] == '1'	 ? 1 :
				      !strncmp(buf, "false", 5) || buf[0] == '0' ? 0 :
										   -1;
	snprintf(path, sizeof(path), "%s/kernel/mm/mempolicy/weighted_interleave", root);
	t->weighted_interleave = !access(path, F_OK);
	ret = read_tiers(root, t);
	t->tiers_known = ret > 0;
	t->toptier_nodes = t->tiers_known ? top_tier(t) : t->node_present;
	return ret < 0 && ret != -ENOENT ? ret : 0;
}
