// SPDX-License-Identifier: GPL-2.0
/*
 * A cgroup's memory.stat tier counters, memory.numa_stat and effective
 * cpuset mems (cgtier.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgtier.h"
#include "procfs.h"

#define MOUNTINFO_MAX (64 * 1024)
/* memory.numa_stat has a line of every node per item: room for 1,024 nodes. */
#define STAT_MAX (256 * 1024)

static const char *const event_keys[NL_MEMCG_EVENTS] = {
	[NL_MEMCG_PROMOTE] = "pgpromote_success",
	[NL_MEMCG_DEMOTE_KSWAPD] = "pgdemote_kswapd",
	[NL_MEMCG_DEMOTE_DIRECT] = "pgdemote_direct",
	[NL_MEMCG_DEMOTE_KHUGEPAGED] = "pgdemote_khugepaged",
	[NL_MEMCG_DEMOTE_PROACTIVE] = "pgdemote_proactive",
};

const char *nl_memcg_event_key(int ev)
{
	return ev >= 0 && ev < NL_MEMCG_EVENTS ? event_keys[ev] : "?";
}

/* "pgdemote_kswapd" -> "demote_kswapd", "pgpromote_success" -> "promote". */
const char *nl_memcg_event_kind(int ev)
{
	if (ev == NL_MEMCG_PROMOTE)
		return "promote";
	return ev > 0 && ev < NL_MEMCG_EVENTS ? event_keys[ev] + 2 : "?";
}

int nl_memcg_stat_parse(const char *text, size_t len, struct nl_memcg_tier_stat *out)
{
	const char *line;
	size_t llen, pos = 0;
	bool any = false;
	int ev;

	memset(out, 0, sizeof(*out));
	while (nl_text_next_line(text, len, &pos, &line, &llen)) {
		const char *sp = memchr(line, ' ', llen);
		size_t klen;
		uint64_t v;

		if (!sp)
			continue;
		klen = sp - line;
		if (!nl_parse_u64(sp + 1, llen - klen - 1, &v))
			continue;
		any = true;
		for (ev = 0; ev < NL_MEMCG_EVENTS; ev++) {
			if (strlen(event_keys[ev]) != klen || memcmp(line, event_keys[ev], klen))
				continue;
			out->pages[ev] = v;
			out->present |= 1u << ev;
		}
	}
	return any ? 0 : -EINVAL;
}

/* " N0=123 N1=456": per node into bytes[] (times unit); false if malformed. */
static bool parse_nodes(const char *s, size_t len, uint64_t unit, uint64_t *bytes, uint64_t *nodes)
{
	size_t i = 0;

	while (i < len) {
		const char *eq, *end;
		uint64_t node, v;

		while (i < len && s[i] == ' ')
			i++;
		if (i >= len)
			break;
		if (s[i] != 'N')
			return false;
		end = memchr(s + i, ' ', len - i);
		if (!end)
			end = s + len;
		eq = memchr(s + i, '=', end - (s + i));
		if (!eq || !nl_parse_u64(s + i + 1, eq - (s + i + 1), &node) ||
		    !nl_parse_u64(eq + 1, end - eq - 1, &v))
			return false;
		if (node >= NL_MAX_NODES)
			node = NL_MAX_NODES - 1;
		bytes[node] += v * unit;
		*nodes |= 1ull << node;
		i = end - s;
	}
	return true;
}

int nl_memcg_numa_stat_parse(const char *text, size_t len, uint64_t page_size,
			     struct nl_memcg_numa *out)
{
	static const struct {
		const char *key; /* up to the first node */
		bool v1, anon;
	} keys[] = {
		{ "anon ", false, true },
		{ "file ", false, false },
		{ "hierarchical_anon=", true, true },
		{ "hierarchical_file=", true, false },
	};
	const char *line;
	size_t llen, pos = 0, k;
	unsigned int seen = 0;

	memset(out, 0, sizeof(*out));
	while (nl_text_next_line(text, len, &pos, &line, &llen)) {
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t klen = strlen(keys[k].key);
			const char *rest;
			uint64_t *bytes = keys[k].anon ? out->anon : out->file;

			if (llen < klen || memcmp(line, keys[k].key, klen) || (seen & (1u << k)))
				continue;
			rest = line + klen;
			if (keys[k].v1) {
				/* past the total: "=PAGES N0=..." */
				rest = memchr(rest, ' ', llen - klen);
				if (!rest)
					rest = line + llen;
			}
			if (!parse_nodes(rest, llen - (rest - line), keys[k].v1 ? page_size : 1,
					 bytes, &out->nodes))
				return -EINVAL;
			seen |= 1u << k;
		}
	}
	if ((seen & 3) == 3)
		return 0;
	if ((seen & 12) == 12) {
		out->v1 = true;
		return 0;
	}
	return -EINVAL;
}

/* Is word one of a space-separated list's? */
static bool words_have(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ' ') && (!p[n] || p[n] == ' ' || p[n] == '\n'))
			return true;
		p += n;
	}
	return false;
}

int nl_cgtier_where_read(struct nl_cgtier_where *w)
{
	char *text = malloc(MOUNTINFO_MAX), path[PATH_MAX], ctl[512];
	int len;

	memset(w, 0, sizeof(*w));
	if (!text)
		return -ENOMEM;
	len = nl_read_file(nl_mountinfo_path, text, MOUNTINFO_MAX);
	if (len < 0 || nl_cgroup_mounts_parse(text, len, &w->m)) {
		snprintf(w->reason, sizeof(w->reason), "cannot read %s: %s", nl_mountinfo_path,
			 strerror(len < 0 ? -len : EINVAL));
		free(text);
		return 0;
	}
	free(text);
	snprintf(path, sizeof(path), "%s/cgroup.controllers", w->m.v2);
	if (w->m.v2[0] && nl_read_file(path, ctl, sizeof(ctl)) >= 0 && words_have(ctl, "memory"))
		w->version = 2;
	else if (w->m.memory[0])
		w->version = 1;
	else
		snprintf(w->reason, sizeof(w->reason), "%s",
			 w->m.v2[0] ? "cgroup v2 has the memory controller off, and no cgroup v1 "
				      "memory hierarchy is mounted" :
				      "no cgroup memory controller is mounted");
	return 0;
}

/* Does path have a ".." segment? */
static bool has_dotdot(const char *path)
{
	const char *p;

	for (p = strstr(path, "/.."); p; p = strstr(p + 1, "/.."))
		if (p[3] == '/' || !p[3])
			return true;
	return false;
}

int nl_cgtier_locate(const struct nl_cgtier_where *w, int pid, struct nl_cgtier_read *out)
{
	char file[64], text[8192];
	struct nl_cgroup_paths p;
	const char *mnt, *root, *path;
	int len, err;

	memset(out, 0, sizeof(*out));
	if (!w->version)
		return -ENOENT;
	snprintf(file, sizeof(file), "%s/%d/cgroup", nl_proc_root, pid);
	len = nl_read_file(file, text, sizeof(text));
	if (len < 0)
		return len;
	err = nl_cgroup_paths_parse(text, len, &p);
	if (err)
		return err;
	out->version = w->version;
	mnt = w->version == 2 ? w->m.v2 : w->m.memory;
	root = w->version == 2 ? w->m.v2_root : w->m.memory_root;
	path = w->version == 2 ? p.unified : p.memory;
	/* Outside this cgroup namespace ("/../x"): not under the mount. */
	if (!path[0] || has_dotdot(path))
		return -ENOENT;
	err = nl_cgroup_dir(mnt, root, path, out->mem_dir, sizeof(out->mem_dir));
	if (err)
		return err;
	snprintf(out->path, sizeof(out->path), "%s", path);
	/* The cpuset: v2's where the controller is there, else v1's. */
	if (w->m.v2[0] && p.unified[0] &&
	    !nl_cgroup_dir(w->m.v2, w->m.v2_root, p.unified, out->cpuset_dir[0],
			   sizeof(out->cpuset_dir[0])))
		snprintf(out->cpuset_mnt[0], sizeof(out->cpuset_mnt[0]), "%s", w->m.v2);
	if (w->m.cpuset[0] && p.cpuset[0] &&
	    !nl_cgroup_dir(w->m.cpuset, w->m.cpuset_root, p.cpuset, out->cpuset_dir[1],
			   sizeof(out->cpuset_dir[1])))
		snprintf(out->cpuset_mnt[1], sizeof(out->cpuset_mnt[1]), "%s", w->m.cpuset);
	return 0;
}

/* Appends "; " and a formatted clause to out->reason. */
static void __attribute__((format(printf, 2, 3)))
say(struct nl_cgtier_read *out, const char *fmt, ...)
{
	size_t n = strlen(out->reason);
	va_list ap;

	if (n && n + 2 < sizeof(out->reason)) {
		memcpy(out->reason + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(out->reason + n, sizeof(out->reason) - n, fmt, ap);
	va_end(ap);
}

/* The effective mems of the nearest cpuset above the cgroup. */
static void read_mems(struct nl_cgtier_read *out)
{
	static const struct {
		int hier;
		const char *file;
	} kinds[] = {
		{ 0, "cpuset.mems.effective" },
		{ 1, "cpuset.effective_mems" },
		{ 1, "cpuset.mems" },
	};
	char dir[sizeof(out->cpuset_dir[0])], mems[sizeof(out->mems_list)];
	size_t k, mlen;
	int len;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const char *mnt = out->cpuset_mnt[kinds[k].hier];

		if (!mnt[0])
			continue;
		snprintf(dir, sizeof(dir), "%s", out->cpuset_dir[kinds[k].hier]);
		len = nl_cgroup_read_up(dir, mnt, kinds[k].file, mems, sizeof(mems));
		if (len < 0)
			continue;
		while (len && (mems[len - 1] == '\n' || mems[len - 1] == ' '))
			mems[--len] = '\0';
		out->mems = 0;
		if (nl_cpulist_parse(mems, len, &out->mems, NL_MAX_NODES) <= 0)
			continue;
		snprintf(out->mems_list, sizeof(out->mems_list), "%s", mems);
		mlen = strlen(mnt);
		snprintf(out->mems_cgroup, sizeof(out->mems_cgroup), "%s",
			 dir[mlen] ? dir + mlen : "/");
		out->mems_known = true;
		return;
	}
	say(out, "no cpuset.mems.effective found");
}

void nl_cgtier_read_files(struct nl_cgtier_read *out)
{
	char *text = malloc(STAT_MAX), path[PATH_MAX];
	long page = sysconf(_SC_PAGESIZE);
	int len;

	out->stat_known = out->numa_known = out->mems_known = false;
	out->reason[0] = '\0';
	if (!text) {
		say(out, "out of memory");
		return;
	}
	snprintf(path, sizeof(path), "%s/memory.stat", out->mem_dir);
	len = nl_read_file(path, text, STAT_MAX);
	if (len == -ENOENT)
		say(out, "no memory.stat: the memory controller is off for this cgroup");
	else if (len < 0)
		say(out, "no memory.stat: %s", strerror(-len));
	else if (nl_memcg_stat_parse(text, len, &out->stat))
		say(out, "memory.stat: not in a known form");
	else
		out->stat_known = true;
	if (out->stat_known && !out->stat.present)
		say(out, "%s",
		    out->version == 1 ?
			    "cgroup v1's memory.stat has no promotion or demotion counters" :
			    "this kernel's memory.stat has no promotion or demotion counters");
	snprintf(path, sizeof(path), "%s/memory.numa_stat", out->mem_dir);
	len = nl_read_file(path, text, STAT_MAX);
	if (len == -ENOENT)
		say(out, "no memory.numa_stat");
	else if (len < 0)
		say(out, "no memory.numa_stat: %s", strerror(-len));
	else if (nl_memcg_numa_stat_parse(text, len, page > 0 ? (uint64_t)page : 4096, &out->numa))
		say(out, "memory.numa_stat: not in a known form");
	else
		out->numa_known = true;
	free(text);
	read_mems(out);
}
