// SPDX-License-Identifier: GPL-2.0
/*
 * The one thing the process detail reads itself: the threads of a process
 * and the CPU each last ran on (/proc/PID/task/TID/stat), which the
 * per-process snapshot does not keep. Read for the process on screen only.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "procfs.h"
#include "top.h"

static int cmp_tid(const void *a, const void *b)
{
	const struct top_thread *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

int top_threads_read(uint32_t pid, const struct nl_topology *topo, struct top_thread *out,
		     size_t max, size_t *total)
{
	long hz = sysconf(_SC_CLK_TCK);
	char path[320], buf[4096];
	struct dirent *de;
	size_t nr = 0;
	DIR *dir;

	*total = 0;
	snprintf(path, sizeof(path), "%s/%u/task", nl_proc_root, pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	if (hz <= 0)
		hz = 100;
	while ((de = readdir(dir))) {
		struct nl_proc_stat st;
		struct top_thread *t;
		int len;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		(*total)++;
		if (nr == max)
			continue;
		snprintf(path, sizeof(path), "%s/%u/task/%s/stat", nl_proc_root, pid, de->d_name);
		len = nl_read_file(path, buf, sizeof(buf));
		if (len < 0 || nl_proc_stat_parse(buf, len, &st))
			continue; /* exited meanwhile */
		t = &out[nr++];
		t->tid = st.pid;
		memcpy(t->comm, st.comm, sizeof(t->comm));
		t->comm[NL_COMM_LEN - 1] = '\0';
		t->state = st.state;
		t->cpu = st.processor;
		t->node = -1;
		if (topo && st.processor >= 0 && st.processor < topo->nr_cpu_ids &&
		    st.processor < NL_MAX_CPUS)
			t->node = topo->cpu_node[st.processor];
		t->cpu_s = (double)(st.utime_ticks + st.stime_ticks) / hz;
	}
	closedir(dir);
	qsort(out, nr, sizeof(*out), cmp_tid);
	return nr;
}
