// SPDX-License-Identifier: GPL-2.0
/*
 * A process's limits and surroundings: /proc/PID/status (affinity, memory
 * nodes, owner), /proc/PID/stat (kernel thread, start time), /proc/PID/cgroup
 * and the cgroup hierarchy's cpuset files, found through mountinfo.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgroup.h"
#include "procfs.h"
#include "shquote.h"
#include "untrusted.h"

/* PF_KTHREAD in include/linux/sched.h: /proc/PID/stat's flags field. */
#define NL_PF_KTHREAD 0x00200000u
#define BIG_FILE (64 * 1024)

const char *nl_mountinfo_path = "/proc/self/mountinfo";
const char *nl_isolated_cpus_path = "/sys/devices/system/cpu/isolated";
const char *nl_systemd_marker = "/run/systemd/system";

const char *nl_runtime_name(enum nl_runtime rt)
{
	switch (rt) {
	case NL_RT_SYSTEMD:
		return "systemd";
	case NL_RT_DOCKER:
		return "docker";
	case NL_RT_PODMAN:
		return "podman";
	case NL_RT_KUBERNETES:
		return "kubernetes";
	default:
		return "none";
	}
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

static bool all_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return len > 0;
}

static void copy_span(char *dst, size_t size, const char *s, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* "<prefix><id>.scope" or "<prefix><id>": the id part, if 64 hex digits
 * (Docker, Podman, containerd and CRI-O ids are all sha256 ones). */
static bool scope_id(const char *seg, size_t len, const char *prefix, char *id, size_t size)
{
	size_t plen = strlen(prefix);

	if (!starts_with(seg, len, prefix))
		return false;
	seg += plen;
	len -= plen;
	if (ends_with(seg, len, ".scope"))
		len -= strlen(".scope");
	if (len != 64 || !all_hex(seg, len))
		return false;
	copy_span(id, size, seg, len);
	return true;
}

/* A pod UID as the kubelet makes it: a UUID (8-4-4-4-12 hex digits) or,
 * for a static pod, the 32 hex digits of its manifest's hash. */
static bool pod_uid_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 32)
		return all_hex(s, len);
	if (len != 36)
		return false;
	for (i = 0; i < len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !all_hex(s + i, 1))
			return false;
	}
	return true;
}

/* A pod segment: "pod<uid>" (cgroupfs driver) or "kubepods-<qos>-pod<uid>.slice"
 * (systemd driver, '-' in the UID written '_'). *refused is set for one
 * whose UID is not valid. */
static bool pod_uid(const char *seg, size_t len, char *uid, size_t size, bool *refused)
{
	const char *p = NULL;
	char found[72];
	size_t i, n;

	if (starts_with(seg, len, "pod"))
		p = seg + 3;
	else if (starts_with(seg, len, "kubepods-"))
		for (i = 0; i + 3 < len; i++)
			if (!memcmp(seg + i, "-pod", 4))
				p = seg + i + 4;
	if (!p)
		return false;
	n = len - (p - seg);
	if (ends_with(p, n, ".slice"))
		n -= strlen(".slice");
	copy_span(found, sizeof(found), p, n);
	for (i = 0; found[i]; i++)
		if (found[i] == '_')
			found[i] = '-';
	if (n >= sizeof(found) || !pod_uid_valid(found, n)) {
		*refused = true;
		return false;
	}
	copy_span(uid, size, found, n);
	return true;
}

/* One of the unit types of systemd's unit_type_from_string(). */
static bool unit_suffix_known(const char *s, size_t len)
{
	static const char *const types[] = { "service", "socket",    "target", "device",
					     "mount",	"automount", "swap",   "timer",
					     "path",	"slice",     "scope" };
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i]) == len && !memcmp(s, types[i], len))
			return true;
	return false;
}

/*
 * systemd's unit_name_is_valid() for a plain or instance name (a template,
 * "foo@.service", names no running unit): shorter than 256 bytes, a known
 * type after the last dot, before it only [A-Za-z0-9:_.\-@] and a
 * non-empty prefix before the first '@', a non-empty instance after it.
 */
static bool unit_name_valid(const char *s, size_t len)
{
	const char *dot = NULL, *at = NULL;
	size_t i;

	if (!len || len > 255)
		return false;
	for (i = len; i > 0; i--)
		if (s[i - 1] == '.') {
			dot = s + i - 1;
			break;
		}
	if (!dot || dot == s || !unit_suffix_known(dot + 1, len - (dot + 1 - s)))
		return false;
	for (i = 0; s + i < dot; i++) {
		char ch = s[i];

		if (ch == '@' && !at)
			at = s + i;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || (ch && strchr(":-_.\\@", ch))))
			return false;
	}
	return at != s && (!at || dot > at + 1);
}

void nl_cgroup_classify(const char *path, struct nl_cgroup_context *ctx)
{
	const char *seg = path, *end;
	bool kube = false, under_user = false, bad_pod = false;

	memset(ctx, 0, sizeof(*ctx));
	if (!path)
		return;
	kube = strstr(path, "kubepods") != NULL;
	while (*seg) {
		size_t len;

		while (*seg == '/')
			seg++;
		end = strchr(seg, '/');
		len = end ? (size_t)(end - seg) : strlen(seg);
		if (!len)
			break;
		if (kube) {
			pod_uid(seg, len, ctx->pod, sizeof(ctx->pod), &bad_pod);
			if (!scope_id(seg, len, "cri-containerd-", ctx->container,
				      sizeof(ctx->container)) &&
			    !scope_id(seg, len, "crio-", ctx->container, sizeof(ctx->container)) &&
			    !scope_id(seg, len, "docker-", ctx->container, sizeof(ctx->container)))
				scope_id(seg, len, "", ctx->container, sizeof(ctx->container));
		} else if (scope_id(seg, len, "docker-", ctx->container, sizeof(ctx->container))) {
			ctx->runtime = NL_RT_DOCKER;
		} else if (scope_id(seg, len, "libpod-", ctx->container, sizeof(ctx->container))) {
			ctx->runtime = NL_RT_PODMAN;
		} else if (ctx->runtime == NL_RT_NONE && !strncmp(path, "/docker/", 8) &&
			   scope_id(seg, len, "", ctx->container, sizeof(ctx->container))) {
			ctx->runtime = NL_RT_DOCKER; /* cgroupfs driver: /docker/<id> */
		} else if (ctx->runtime != NL_RT_DOCKER && ctx->runtime != NL_RT_PODMAN &&
			   (ends_with(seg, len, ".service") || ends_with(seg, len, ".scope"))) {
			ctx->runtime = NL_RT_SYSTEMD;
			/* Below a name systemd would not give, no cgroup is
			 * one of its units either. */
			if (ctx->refused == NL_REFUSED_UNIT || !unit_name_valid(seg, len)) {
				ctx->refused = NL_REFUSED_UNIT;
				ctx->unit[0] = '\0';
				ctx->user_unit = false;
			} else if (starts_with(seg, len, "user@") &&
				   ends_with(seg, len, ".service") && !under_user) {
				/* The deepest unit; user@UID.service is the user manager. */
				under_user = true;
				ctx->user_unit = false;
				copy_span(ctx->unit, sizeof(ctx->unit), seg, len);
			} else {
				ctx->user_unit = under_user;
				copy_span(ctx->unit, sizeof(ctx->unit), seg, len);
			}
		}
		if (!end)
			break;
		seg = end;
	}
	if (kube && ctx->pod[0]) {
		ctx->runtime = NL_RT_KUBERNETES;
		ctx->unit[0] = '\0';
		ctx->user_unit = false;
		ctx->refused = NL_REFUSED_NONE;
	} else if (kube) {
		ctx->runtime = NL_RT_KUBERNETES; /* the kubepods slice itself */
		ctx->refused = bad_pod ? NL_REFUSED_POD : NL_REFUSED_NONE;
	}
}

/* The next line of text[0..len) from *pos; false at the end. */
static bool next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *llen)
{
	const char *nl;

	if (*pos >= len)
		return false;
	*line = text + *pos;
	nl = memchr(*line, '\n', len - *pos);
	*llen = nl ? (size_t)(nl - *line) : len - *pos;
	*pos += *llen + 1;
	return true;
}

bool nl_text_next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *llen)
{
	return next_line(text, len, pos, line, llen);
}

/* Does a comma-separated list (list[0..len)) hold word? */
static bool list_has(const char *list, size_t len, const char *word)
{
	size_t wlen = strlen(word), i = 0;

	while (i <= len) {
		const char *c = memchr(list + i, ',', len - i);
		size_t n = c ? (size_t)(c - list - i) : len - i;

		if (n == wlen && !memcmp(list + i, word, n))
			return true;
		if (!c)
			break;
		i += n + 1;
	}
	return false;
}

/*
 * The path of a hierarchy's line, whole. A cgroup name may hold a newline,
 * so a line can be forged inside another's path: a hierarchy named twice
 * is not known, and neither is a path too long to keep whole.
 */
static void set_path(char *dst, size_t size, bool *seen, const char *path, size_t plen)
{
	if (*seen || plen >= size)
		dst[0] = '\0';
	else
		copy_span(dst, size, path, plen);
	*seen = true;
}

int nl_cgroup_paths_parse(const char *text, size_t len, struct nl_cgroup_paths *out)
{
	bool unified = false, cpuset = false, systemd = false, memory = false;
	const char *line;
	size_t llen, pos = 0;
	int found = 0;

	memset(out, 0, sizeof(*out));
	while (next_line(text, len, &pos, &line, &llen)) {
		const char *c1 = memchr(line, ':', llen), *c2, *path;
		size_t plen;

		if (!c1)
			continue;
		c2 = memchr(c1 + 1, ':', llen - (c1 + 1 - line));
		if (!c2)
			continue;
		path = c2 + 1;
		plen = llen - (path - line);
		/* A NUL would cut the path short, to another cgroup's. */
		if (!plen || path[0] != '/' || memchr(path, '\0', plen))
			continue;
		found++;
		if (c1 == line + 1 && line[0] == '0' && c2 == c1 + 1)
			set_path(out->unified, sizeof(out->unified), &unified, path, plen);
		else if (list_has(c1 + 1, c2 - c1 - 1, "cpuset"))
			set_path(out->cpuset, sizeof(out->cpuset), &cpuset, path, plen);
		else if (list_has(c1 + 1, c2 - c1 - 1, "name=systemd"))
			set_path(out->systemd, sizeof(out->systemd), &systemd, path, plen);
		/* Its own test: v1 may mount memory with cpuset. */
		if (list_has(c1 + 1, c2 - c1 - 1, "memory"))
			set_path(out->memory, sizeof(out->memory), &memory, path, plen);
	}
	return found ? 0 : -EINVAL;
}

/* Copies a mountinfo field, turning \ooo escapes back into bytes. */
static void unescape(char *dst, size_t size, const char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < size; i++) {
		if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3') {
			dst[o++] = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
					  (s[i + 3] - '0'));
			i += 3;
		} else {
			dst[o++] = s[i];
		}
	}
	dst[o] = '\0';
}

int nl_cgroup_mounts_parse(const char *text, size_t len, struct nl_cgroup_mounts *out)
{
	const char *line;
	size_t llen, pos = 0;

	memset(out, 0, sizeof(*out));
	while (next_line(text, len, &pos, &line, &llen)) {
		const char *field[6], *sep = NULL, *p = line, *e = line + llen;
		size_t flen[6], n = 0;
		const char *fstype, *super;
		size_t tlen, slen;

		/* id parent dev root mountpoint options [optional...] - type source super */
		while (p < e && n < 6) {
			const char *sp = memchr(p, ' ', e - p);

			field[n] = p;
			flen[n] = sp ? (size_t)(sp - p) : (size_t)(e - p);
			n++;
			p = sp ? sp + 1 : e;
		}
		if (n < 6)
			continue;
		for (; p + 1 < e; p++)
			if (p[0] == '-' && p[1] == ' ' && p[-1] == ' ') {
				sep = p + 2;
				break;
			}
		if (!sep)
			continue;
		fstype = sep;
		p = memchr(sep, ' ', e - sep);
		if (!p)
			continue;
		tlen = p - fstype;
		p = memchr(p + 1, ' ', e - p - 1); /* past the source */
		super = p ? p + 1 : e;
		slen = e - super;
		if (tlen == 7 && !memcmp(fstype, "cgroup2", 7) && !out->v2[0]) {
			unescape(out->v2, sizeof(out->v2), field[4], flen[4]);
			unescape(out->v2_root, sizeof(out->v2_root), field[3], flen[3]);
		} else if (tlen == 6 && !memcmp(fstype, "cgroup", 6) && !out->cpuset[0] &&
			   list_has(super, slen, "cpuset")) {
			unescape(out->cpuset, sizeof(out->cpuset), field[4], flen[4]);
			unescape(out->cpuset_root, sizeof(out->cpuset_root), field[3], flen[3]);
		}
		if (tlen == 6 && !memcmp(fstype, "cgroup", 6) && !out->memory[0] &&
		    list_has(super, slen, "memory")) {
			unescape(out->memory, sizeof(out->memory), field[4], flen[4]);
			unescape(out->memory_root, sizeof(out->memory_root), field[3], flen[3]);
		}
	}
	return 0;
}

void nl_proc_limits_unrestricted(const struct nl_topology *topo, struct nl_proc_limits *out)
{
	int n, w;

	memset(out, 0, sizeof(*out));
	for (n = 0; n < NL_MAX_NODES; n++) {
		if (!nl_node_present(topo, n))
			continue;
		out->mems |= 1ull << n;
		for (w = 0; w < NL_CPU_WORDS; w++)
			out->cpus[w] |= topo->node_cpus[n][w];
	}
	memcpy(out->affinity, out->cpus, sizeof(out->cpus));
}

int nl_cgroup_read_up(char *dir, const char *stop, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	int ret;

	for (;;) {
		char *slash;

		if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
			return -ENAMETOOLONG;
		ret = nl_read_file(path, buf, size);
		if (ret != -ENOENT)
			return ret;
		if (strlen(dir) <= strlen(stop))
			return -ENOENT;
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return -ENOENT;
		*slash = '\0';
	}
}

/* mount + the part of cgroup path below the mount's own root. */
int nl_cgroup_dir(const char *mnt, const char *root, const char *path, char *dir, size_t size)
{
	size_t rlen = strlen(root);

	if (rlen > 1 && !strncmp(path, root, rlen) && (path[rlen] == '/' || !path[rlen]))
		path += rlen;
	else if (rlen > 1)
		return -ENOENT; /* outside what this mount shows */
	if (!strcmp(path, "/"))
		path = "";
	return snprintf(dir, size, "%s%s", mnt, path) >= (int)size ? -ENAMETOOLONG : 0;
}

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* The cgroup cpuset that applies to the process: v2 where the controller is
 * there, else v1. Narrows out->cpus and out->mems. */
static void read_cpuset(const struct nl_cgroup_paths *paths, struct nl_proc_limits *out)
{
	static const struct {
		bool v2;
		const char *cpus, *mems;
	} kinds[] = {
		{ true, "cpuset.cpus.effective", "cpuset.mems.effective" },
		{ false, "cpuset.effective_cpus", "cpuset.effective_mems" },
		{ false, "cpuset.cpus", "cpuset.mems" },
	};
	struct nl_cgroup_mounts m;
	char *text = malloc(BIG_FILE), dir[PATH_MAX], cpus[4096], mems[512];
	uint64_t cbits[NL_CPU_WORDS], mbits = 0;
	int len, k, w;

	if (!text)
		return;
	len = nl_read_file(nl_mountinfo_path, text, BIG_FILE);
	if (len < 0 || nl_cgroup_mounts_parse(text, len, &m))
		goto out;
	for (k = 0; k < 3; k++) {
		const char *mnt = kinds[k].v2 ? m.v2 : m.cpuset;
		const char *root = kinds[k].v2 ? m.v2_root : m.cpuset_root;
		const char *path = kinds[k].v2 ? paths->unified : paths->cpuset;
		char stop[PATH_MAX];

		if (!mnt[0] || !path[0] || nl_cgroup_dir(mnt, root, path, dir, sizeof(dir)))
			continue;
		snprintf(stop, sizeof(stop), "%s", mnt);
		if (nl_cgroup_read_up(dir, stop, kinds[k].cpus, cpus, sizeof(cpus)) < 0)
			continue;
		/* read_up may have climbed: the mems file of the same cgroup. */
		if (nl_cgroup_read_up(dir, stop, kinds[k].mems, mems, sizeof(mems)) < 0)
			continue;
		trim(cpus);
		trim(mems);
		if (nl_cpulist_parse(cpus, strlen(cpus), cbits, NL_MAX_CPUS) <= 0 ||
		    nl_cpulist_parse(mems, strlen(mems), &mbits, NL_MAX_NODES) <= 0)
			continue;
		for (w = 0; w < NL_CPU_WORDS; w++)
			out->cpus[w] &= cbits[w];
		out->mems &= mbits;
		out->cpuset_known = true;
		snprintf(out->cpuset_cgroup, sizeof(out->cpuset_cgroup), "%s",
			 dir[strlen(mnt)] ? dir + strlen(mnt) : "/");
		copy_span(out->cpuset_cpus, sizeof(out->cpuset_cpus), cpus, strlen(cpus));
		copy_span(out->cpuset_mems, sizeof(out->cpuset_mems), mems, strlen(mems));
		break;
	}
out:
	free(text);
}

/* Every name in l that came from the process or its cgroup, made text
 * (untrusted.h), once all are read: what the cpuset was read from stays
 * raw in read_cpuset alone. The command line is quoted already. */
static void limits_clean(struct nl_proc_limits *l)
{
	nl_untrusted_clean(l->comm);
	nl_untrusted_clean(l->cgroup);
	nl_untrusted_clean(l->cpuset_cgroup);
	nl_untrusted_clean(l->ctx.container);
	nl_untrusted_clean(l->ctx.pod);
	nl_untrusted_clean(l->ctx.unit);
}

int nl_proc_limits_read(int pid, const struct nl_topology *topo, struct nl_proc_limits *out)
{
	char path[PATH_MAX], *text = malloc(BIG_FILE);
	struct nl_cgroup_paths paths;
	struct nl_proc_status status;
	struct nl_proc_stat st;
	uint64_t bits[NL_CPU_WORDS];
	int len, ret, w;

	nl_proc_limits_unrestricted(topo, out);
	if (!text)
		return -ENOMEM;
	ret = nl_proc_stat_read(pid, &st);
	if (ret)
		goto out;
	out->kthread = st.flags & NL_PF_KTHREAD;
	out->start_ticks = st.starttime_ticks;
	snprintf(out->comm, sizeof(out->comm), "%s", st.comm);

	snprintf(path, sizeof(path), "%s/%d/status", nl_proc_root, pid);
	len = nl_read_file(path, text, BIG_FILE);
	if (len < 0) {
		ret = len;
		goto out;
	}
	if (!nl_proc_status_parse(text, len, &status)) {
		if (status.ids_known) {
			out->uid = status.uid;
			out->euid = status.euid;
		}
		if (status.affinity_known)
			memcpy(out->affinity, status.affinity, sizeof(out->affinity));
		if (status.mems_known)
			out->mems &= status.mems;
	}

	snprintf(path, sizeof(path), "%s/%d/cgroup", nl_proc_root, pid);
	len = nl_read_file(path, text, BIG_FILE);
	if (len >= 0 && !nl_cgroup_paths_parse(text, len, &paths)) {
		const char *where = paths.unified[0] && strcmp(paths.unified, "/") ? paths.unified :
				    paths.systemd[0]				   ? paths.systemd :
				    paths.cpuset[0]				   ? paths.cpuset :
										     paths.unified;

		snprintf(out->cgroup, sizeof(out->cgroup), "%s", where);
		nl_cgroup_classify(where, &out->ctx);
		/* v1 Docker names its container in the cpuset hierarchy too. */
		if (out->ctx.runtime == NL_RT_NONE && paths.cpuset[0])
			nl_cgroup_classify(paths.cpuset, &out->ctx);
		read_cpuset(&paths, out);
	}
	/* CPUs isolated from the scheduler (isolcpus=) are for work placed
	 * there on purpose: a target only where the process runs already. */
	len = nl_read_file(nl_isolated_cpus_path, text, BIG_FILE);
	if (len > 0 && nl_cpulist_parse(text, len, bits, NL_MAX_CPUS) > 0)
		for (w = 0; w < NL_CPU_WORDS; w++)
			out->cpus[w] &= ~(bits[w] & ~out->affinity[w]);
	/* A systemd unit only counts where systemd runs (sd_booted()). */
	if (out->ctx.runtime == NL_RT_SYSTEMD && access(nl_systemd_marker, F_OK)) {
		out->ctx.runtime = NL_RT_NONE;
		out->ctx.unit[0] = '\0';
		out->ctx.refused = NL_REFUSED_NONE;
	}
	for (w = 0; w < NL_CPU_WORDS; w++)
		if (out->cpus[w])
			break;
	if (w == NL_CPU_WORDS) {
		/* No CPU the topology knows: treat the cpuset as unknown. */
		struct nl_proc_limits all;

		nl_proc_limits_unrestricted(topo, &all);
		memcpy(out->cpus, all.cpus, sizeof(all.cpus));
		out->cpuset_known = false;
	}

	snprintf(path, sizeof(path), "%s/%d/cmdline", nl_proc_root, pid);
	len = nl_read_file(path, text, BIG_FILE);
	if (len > 0)
		nl_shquote_args(text, len, out->cmdline, sizeof(out->cmdline));
	out->known = true;
	ret = 0;
out:
	limits_clean(out);
	free(text);
	return ret;
}
