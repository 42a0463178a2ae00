// SPDX-License-Identifier: GPL-2.0
/*
 * Reading the collector: the task iterator yields every live thread's
 * on-CPU time, moves and NUMA-balancing snapshot; the procs and proc_node
 * maps add the rare events, hinting faults, and the time and moves of
 * threads that exited.
 * Processes that have exited are reported once, then removed from the maps;
 * entries whose exit was missed are expired after two reads.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "array.h"
#include "collect_priv.h"
#include "log.h"
#include "pidsearch.h"
#include "untrusted.h"

/* Reads the iterator's whole output into the collector's buffer. */
static int read_iter(struct nl_collector *c, size_t *len)
{
	size_t used = 0;
	int fd, err = 0;
	ssize_t n;

	if (!c->iter_buf) {
		c->iter_buf = malloc(1 << 16);
		if (!c->iter_buf)
			return -ENOMEM;
		c->iter_cap = 1 << 16;
	}
	fd = bpf_iter_create(bpf_link__fd(c->skel->links.nl_iter_task));
	if (fd < 0)
		return -errno;
	for (;;) {
		if (used == c->iter_cap) {
			char *bigger = realloc(c->iter_buf, c->iter_cap * 2);

			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			c->iter_buf = bigger;
			c->iter_cap *= 2;
		}
		n = read(fd, c->iter_buf + used, c->iter_cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		used += n;
	}
	close(fd);
	*len = used;
	return err;
}

/* One sample per thread, keyed by tgid; merged per process afterwards. */
static int parse_threads(const char *buf, size_t len, struct nl_sample_table *t)
{
	size_t off = 0;

	while (off + sizeof(struct nl_thread_rec) <= len) {
		struct nl_thread_rec rec;
		struct nl_proc_sample *p;
		struct nl_node_count *nodes;
		uint32_t n;
		long i;

		memcpy(&rec, buf + off, sizeof(rec));
		off += sizeof(rec);
		if (rec.nr_nodes > NL_MAX_NODES || off + rec.nr_nodes * sizeof(__u64) > len)
			return -EPROTO;
		i = nl_sample_table_add(t, rec.tgid);
		if (i < 0)
			return i;
		p = &t->procs[i];
		nodes = nl_sample_nodes(t, i);
		p->nr_threads = 1;
		p->start_time_ns = rec.start_time_ns;
		p->flags = NL_PS_LIVE;
		memcpy(p->comm, rec.comm, sizeof(p->comm));
		p->comm[NL_COMM_LEN - 1] = '\0';
		/* Any bytes the process chose: text from here on (untrusted.h). */
		nl_untrusted_clean(p->comm);
		if (rec.tid == rec.tgid)
			p->preferred_nid = rec.preferred_nid;
		memcpy(p->locality, rec.faults_locality, sizeof(p->locality));
#define COPY(field, ...) p->field = rec.field;
		NL_THREAD_COUNTERS(COPY)
#undef COPY
		for (n = 0; n < rec.nr_nodes; n++) {
			__u64 ns;

			memcpy(&ns, buf + off + n * sizeof(ns), sizeof(ns));
			if (n < (uint32_t)t->nr_nodes)
				nodes[n].cpu_ns = ns;
		}
		off += rec.nr_nodes * sizeof(__u64);
	}
	return off == len ? 0 : -EPROTO;
}

/* Folds adjacent samples of one process (the table is sorted). */
static void merge_threads(struct nl_sample_table *t)
{
	size_t r, w = 0;
	int n;

	for (r = 0; r < t->nr; r++) {
		struct nl_proc_sample *src = &t->procs[r], *dst;
		struct nl_node_count *sn = nl_sample_nodes(t, r), *dn;

		if (w && t->procs[w - 1].pid == src->pid) {
			dst = &t->procs[w - 1];
			dn = nl_sample_nodes(t, w - 1);
			dst->nr_threads++;
			if (src->preferred_nid >= 0)
				dst->preferred_nid = src->preferred_nid;
			for (n = 0; n < 3; n++)
				dst->locality[n] += src->locality[n];
#define ADD(field, ...) dst->field += src->field;
			NL_THREAD_COUNTERS(ADD)
#undef ADD
			for (n = 0; n < t->nr_nodes; n++)
				dn[n].cpu_ns += sn[n].cpu_ns;
			continue;
		}
		if (w != r) {
			t->procs[w] = *src;
			memcpy(nl_sample_nodes(t, w), sn, t->nr_nodes * sizeof(*sn));
		}
		w++;
	}
	t->nr = w;
}

static bool was_stale(const struct nl_collector *c, uint32_t pid)
{
	return nl_pid_listed(c->stale, c->nr_stale, pid);
}

static int pid_list_add(struct pid_list *l, uint32_t pid)
{
	uint32_t *room = nl_array_room(l->pids, l->nr, &l->cap, sizeof(*room), 64);

	if (!room)
		return -ENOMEM;
	l->pids = room;
	l->pids[l->nr++] = pid;
	return 0;
}

bool nl_pid_list_has(const struct pid_list *l, uint32_t pid)
{
	return nl_pid_listed(l->pids, l->nr, pid);
}

/* Merges the procs map; collects the processes whose entries are to go. */
static int read_procs(struct nl_collector *c, struct nl_sample_table *t, struct pid_list *gone,
		      struct pid_list *stale)
{
	int fd = bpf_map__fd(c->skel->maps.procs), err;
	size_t sorted = t->nr;
	__u32 key, next, *prev = NULL;
	struct nl_proc val;

	c->procs_used = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct nl_proc_sample *p;
		long i;

		key = next;
		prev = &key;
		c->procs_used++;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue; /* deleted meanwhile */
		i = nl_sample_table_find(
			&(struct nl_sample_table){ .procs = t->procs, .nr = sorted }, key);
		if (i >= 0 && t->procs[i].start_time_ns != val.start_time_ns) {
			/* An older process that had this pid: gone. */
			err = pid_list_add(gone, key);
			if (err)
				return err;
			continue;
		}
		if (i < 0) {
			if (!val.exit_ns) {
				/* Not live, not marked as exited: a missed exit, or a
				 * process born after the iterator ran. Second time: gone. */
				err = pid_list_add(was_stale(c, key) ? gone : stale, key);
				if (err)
					return err;
				if (was_stale(c, key))
					c->expired++;
				continue;
			}
			i = nl_sample_table_add(t, key);
			if (i < 0)
				return i;
			t->procs[i].start_time_ns = val.start_time_ns;
			memcpy(t->procs[i].comm, val.comm, sizeof(val.comm));
			t->procs[i].comm[NL_COMM_LEN - 1] = '\0';
			nl_untrusted_clean(t->procs[i].comm);
		}
		p = &t->procs[i];
		if (val.exit_ns) {
			p->flags |= NL_PS_EXITED;
			err = pid_list_add(gone, key);
			if (err)
				return err;
		}
		/* Live threads' moves came from the iterator: add those of the
		 * threads that exited. The events are the map's alone. */
#define ADD(field, ...) p->field += val.field;
#define COPY(field, ...) p->field = val.field;
		NL_THREAD_COUNTERS(ADD)
		NL_EVENT_COUNTERS(COPY)
#undef ADD
#undef COPY
	}
	nl_sample_table_sort(t);
	return 0;
}

/* Adds the per-node map; returns how many keys of gone processes it found. */
static int read_proc_nodes(struct nl_collector *c, struct nl_sample_table *t,
			   const struct pid_list *gone, struct nl_proc_node_key **gone_keys)
{
	int fd = bpf_map__fd(c->skel->maps.proc_node);
	struct nl_proc_node_key key, next, *prev = NULL;
	struct nl_proc_node val;
	size_t nr_gone = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		long i;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		if (nl_pid_list_has(gone, key.tgid)) {
			struct nl_proc_node_key *k =
				realloc(*gone_keys, (nr_gone + 1) * sizeof(**gone_keys));

			if (!k)
				return -ENOMEM;
			*gone_keys = k;
			k[nr_gone++] = key;
		}
		i = nl_sample_table_find(t, key.tgid);
		if (i < 0 || key.node >= (uint32_t)t->nr_nodes)
			continue;
		nl_sample_nodes(t, i)[key.node].cpu_ns += val.exited_cpu_ns;
		nl_sample_nodes(t, i)[key.node].hint_local += val.hint_local_pages;
		nl_sample_nodes(t, i)[key.node].hint_remote += val.hint_remote_pages;
	}
	return nr_gone;
}

int nl_collector_read(struct nl_collector *c, struct nl_sample_table *t)
{
	struct pid_list gone = { 0 }, stale = { 0 };
	struct nl_proc_node_key *gone_keys = NULL;
	size_t len = 0, i;
	int err, nr;

	nl_sample_table_read_begin(t);
	err = read_iter(c, &len);
	nl_sample_table_read_end(t);
	if (err)
		goto out;
	err = parse_threads(c->iter_buf, len, t);
	if (err)
		goto out;
	nl_sample_table_sort(t);
	merge_threads(t);
	err = read_procs(c, t, &gone, &stale);
	if (err)
		goto out;
	nr = read_proc_nodes(c, t, &gone, &gone_keys);
	if (nr < 0) {
		err = nr;
		goto out;
	}
	err = nl_collector_read_pmu(c, t, &gone);
	if (err)
		goto out;
	/* Exited processes have been reported: their entries make room. */
	for (i = 0; i < gone.nr; i++)
		bpf_map_delete_elem(bpf_map__fd(c->skel->maps.procs), &gone.pids[i]);
	for (i = 0; i < (size_t)nr; i++)
		bpf_map_delete_elem(bpf_map__fd(c->skel->maps.proc_node), &gone_keys[i]);
	free(c->stale);
	c->stale = stale.pids;
	c->nr_stale = stale.nr;
	stale.pids = NULL;
out:
	free(gone.pids);
	free(stale.pids);
	free(gone_keys);
	return err;
}

int nl_collector_read_migrations(struct nl_collector *c, struct nl_system *s)
{
	int ncpu = libbpf_num_possible_cpus(), fd, cpu, err = 0;
	__u64 *values;
	__u32 slot;

	s->nr_migrate_reasons = 0;
	if (!c->nr_reasons)
		return 0;
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	values = calloc(ncpu, sizeof(*values));
	if (!values)
		return -ENOMEM;
	fd = bpf_map__fd(c->skel->maps.migrated_by_reason);
	for (slot = 0; slot < NL_MIGRATE_REASONS; slot++) {
		struct nl_migrate_count *m = &s->migrated[s->nr_migrate_reasons];

		if (!c->reason_names[slot][0])
			continue;
		if (bpf_map_lookup_elem(fd, &slot, values)) {
			err = -errno;
			s->nr_migrate_reasons = 0;
			break;
		}
		memcpy(m->reason, c->reason_names[slot], sizeof(m->reason));
		m->pages = 0;
		for (cpu = 0; cpu < ncpu; cpu++)
			m->pages += values[cpu];
		s->nr_migrate_reasons++;
	}
	free(values);
	return err;
}
