// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of the cgroup parsers (user/kernel/cgroup.c, export_cgroup.c)
 * on any bytes, as a delegated cgroup can be given any name:
 *   /proc/PID/cgroup text: each path is exactly the one of the line naming
 *     its hierarchy (model below), or "" when no line, two lines (a forged
 *     one) or a path too long for the buffer; a line whose path holds a NUL
 *     is none; 0 when any line parsed;
 *   the classifier, on each of those paths and on the whole input as one:
 *     container, pod and unit are terminated within their buffers, and
 *     each is a whole name found in the path (a cut one would name another
 *     container or unit), the runtime agreeing with what was found;
 *   the exporter's path: text (no control byte, so no newline);
 *   mountinfo text: every field terminated within its buffer.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "export.h"
#include "model.h"

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

/* Does "<before>name<after>" occur in s, after being one of afters
 * (NULL-ended) or the end of s? A NULL before: at s's start or after '/'. */
static bool whole_in(const char *s, const char *before, const char *name, const char *const *afters)
{
	size_t blen = before ? strlen(before) : 0, nlen = strlen(name);
	const char *p;

	for (p = strstr(s, name); p; p = strstr(p + 1, name)) {
		const char *const *a;

		if (!before && p != s && p[-1] != '/')
			continue;
		if (before && ((size_t)(p - s) < blen || memcmp(p - blen, before, blen)))
			continue;
		if (!p[nlen])
			return true;
		for (a = afters; *a; a++)
			if (!strncmp(p + nlen, *a, strlen(*a)))
				return true;
	}
	return false;
}

static void check_classify(const char *path)
{
	static const char *const id_ends[] = { "/", ".scope", NULL };
	static const char *const pod_ends[] = { "/", ".slice", NULL };
	static const char *const unit_ends[] = { "/", NULL };
	struct nl_cgroup_context ctx;
	char *dashed = strdup(path), *c;
	size_t n;

	if (!dashed)
		abort();
	nl_cgroup_classify(path, &ctx);
	if (!TERMINATED(ctx.container) || !TERMINATED(ctx.pod) || !TERMINATED(ctx.unit))
		abort();
	/* A container id: 64 hex digits, the whole of them. */
	n = strlen(ctx.container);
	if (n && (n != 64 || strspn(ctx.container, "0123456789abcdef") != n ||
		  (!whole_in(path, "-", ctx.container, id_ends) &&
		   !whole_in(path, NULL, ctx.container, id_ends))))
		abort();
	/* A pod UID, whose '-' may be '_' in the path. */
	for (c = dashed; *c; c++)
		if (*c == '_')
			*c = '-';
	if (ctx.pod[0] && !whole_in(dashed, "pod", ctx.pod, pod_ends))
		abort();
	/* A unit: a whole segment. */
	n = strlen(ctx.unit);
	if (n && ((n < 8 || strcmp(ctx.unit + n - 8, ".service")) &&
		  (n < 6 || strcmp(ctx.unit + n - 6, ".scope"))))
		abort();
	if (n && (strchr(ctx.unit, '/') || !whole_in(path, NULL, ctx.unit, unit_ends)))
		abort();
	/* ... and one systemd could have named: at most 255 bytes of its set. */
	if (n > 255 || strspn(ctx.unit, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					"0123456789:_.\\-@") != n)
		abort();
	if (ctx.unit[0] && ctx.refused == NL_REFUSED_UNIT)
		abort();
	if (ctx.user_unit && !ctx.unit[0])
		abort();
	switch (ctx.runtime) {
	case NL_RT_NONE:
		if (ctx.container[0] || ctx.pod[0] || ctx.unit[0])
			abort();
		break;
	case NL_RT_DOCKER:
	case NL_RT_PODMAN:
		if (!ctx.container[0])
			abort();
		break;
	case NL_RT_KUBERNETES:
		if (!strstr(path, "kubepods") || (ctx.pod[0] && ctx.unit[0]))
			abort();
		break;
	case NL_RT_SYSTEMD: /* a unit, or one refused */
		if (!ctx.unit[0] && ctx.refused != NL_REFUSED_UNIT)
			abort();
		break;
	}
	free(dashed);
}

/* What nl_cgroup_paths_parse must find: each hierarchy's line, once. */
struct model_paths {
	const char *path[3];
	size_t len[3];
	int lines[3];
	int found;
};

static bool controller_listed(const char *list, size_t len, const char *name)
{
	size_t nlen = strlen(name), i;

	for (i = 0; i + nlen <= len; i++)
		if ((!i || list[i - 1] == ',') && !memcmp(list + i, name, nlen) &&
		    (i + nlen == len || list[i + nlen] == ','))
			return true;
	return false;
}

static void model_paths(const char *text, size_t len, struct model_paths *m)
{
	size_t start = 0;

	memset(m, 0, sizeof(*m));
	while (start < len) {
		size_t end = start, c1, c2;
		int h;

		while (end < len && text[end] != '\n')
			end++;
		for (c1 = start; c1 < end && text[c1] != ':'; c1++)
			;
		for (c2 = c1 + 1; c2 < end && text[c2] != ':'; c2++)
			;
		if (c2 < end && c2 + 1 < end && text[c2 + 1] == '/' &&
		    strnlen(text + c2 + 1, end - c2 - 1) == end - c2 - 1) {
			m->found++;
			if (c1 == start + 1 && text[start] == '0' && c2 == c1 + 1)
				h = 0;
			else if (controller_listed(text + c1 + 1, c2 - c1 - 1, "cpuset"))
				h = 1;
			else if (controller_listed(text + c1 + 1, c2 - c1 - 1, "name=systemd"))
				h = 2;
			else
				h = -1;
			if (h >= 0) {
				m->lines[h]++;
				m->path[h] = text + c2 + 1;
				m->len[h] = end - c2 - 1;
			}
		}
		start = end + 1;
	}
}

static void check_path(const char *got, size_t size, const struct model_paths *m, int h)
{
	if (!memchr(got, '\0', size))
		abort();
	if (m->lines[h] == 1 && m->len[h] < size) {
		if (strlen(got) != m->len[h] || memcmp(got, m->path[h], m->len[h]))
			abort();
	} else if (got[0]) {
		abort();
	}
}

static void check_paths(const char *text, size_t len)
{
	struct nl_cgroup_paths paths;
	struct model_paths m;
	char label[256];
	int ret = nl_cgroup_paths_parse(text, len, &paths);
	size_t n;

	model_paths(text, len, &m);
	if (ret != (m.found ? 0 : -EINVAL))
		abort();
	check_path(paths.unified, sizeof(paths.unified), &m, 0);
	check_path(paths.cpuset, sizeof(paths.cpuset), &m, 1);
	check_path(paths.systemd, sizeof(paths.systemd), &m, 2);
	if (!ret) {
		check_classify(paths.unified);
		check_classify(paths.cpuset);
		check_classify(paths.systemd);
	}

	/* The exporter's label: made text, no longer than the buffer. */
	if (nl_export_cgroup_path(text, len, label, sizeof(label)) != ret)
		abort();
	n = strnlen(label, sizeof(label));
	if (n == sizeof(label) || !utf8_ok(label, n) || !no_controls(label, n))
		abort();
}

static void check_mounts(const char *text, size_t len)
{
	struct nl_cgroup_mounts m;

	if (nl_cgroup_mounts_parse(text, len, &m) || !TERMINATED(m.v2) || !TERMINATED(m.v2_root) ||
	    !TERMINATED(m.cpuset) || !TERMINATED(m.cpuset_root))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1), *str = malloc(size + 1);

	if (!text || !str)
		abort();
	memcpy(text, data, size); /* exactly the input: reads past it are caught */
	check_paths(text, size);
	check_mounts(text, size);
	memcpy(str, data, size);
	str[size] = '\0';
	check_classify(str);
	free(text);
	free(str);
	return 0;
}
