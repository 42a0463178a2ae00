// SPDX-License-Identifier: GPL-2.0
/*
 * A process's cgroup, and the container and pod it belongs to, for the
 * exported series to join with kube-state-metrics (kube_pod_container_info
 * has container_id="containerd://ID", kube_pod_info uid="UID"). The text
 * is parsed and the path classified by cgroup.c, as for the advisor.
 *
 * /proc/PID/cgroup is relative to the reader's cgroup namespace: in a pod
 * with a private one, paths outside it start with "/..", and the ids in
 * them still parse.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cgroup.h"
#include "export.h"
#include "procfs.h"
#include "untrusted.h"

int nl_export_cgroup_path(const char *text, size_t len, char *path, size_t size)
{
	struct nl_cgroup_paths paths;
	const char *best;
	size_t n;
	int err;

	if (!size)
		return -EINVAL;
	path[0] = '\0';
	err = nl_cgroup_paths_parse(text, len, &paths);
	if (err)
		return err;
	/* The unified hierarchy, else v1's systemd one, else the cpuset's. */
	best = paths.unified[0] ? paths.unified : paths.systemd[0] ? paths.systemd : paths.cpuset;
	n = strlen(best);
	/* A removed cgroup reads as "PATH (deleted)". */
	if (n >= 10 && !strcmp(best + n - 10, " (deleted)"))
		n -= 10;
	/* Any name a delegated cgroup was given: text from here on, as the
	 * label shows it and the series are grouped by it (untrusted.h). */
	nl_untrusted_text(path, size, best, n);
	return 0;
}

int nl_export_cgroup_read(uint32_t pid, char *path, size_t size)
{
	char file[64], text[8192];
	int n;

	snprintf(file, sizeof(file), "%s/%u/cgroup", nl_proc_root, pid);
	n = nl_read_file(file, text, sizeof(text));
	if (n < 0)
		return n;
	return nl_export_cgroup_path(text, n, path, size);
}

void nl_export_cgroup_ids(const char *path, char *container_id, size_t csize, char *pod_uid,
			  size_t psize)
{
	struct nl_cgroup_context ctx;

	nl_cgroup_classify(path, &ctx);
	snprintf(container_id, csize, "%s", ctx.container);
	snprintf(pod_uid, psize, "%s", ctx.pod);
}
