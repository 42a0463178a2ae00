// SPDX-License-Identifier: GPL-2.0
/*
 * Lifecycle: probe the kernel (BTF, tracepoints, fentry) -> open the
 * skeleton -> set rodata (cpu -> node table) and map sizes, disable the
 * programs this kernel cannot run -> load -> attach one by one, so an
 * optional source that fails is reported and skipped -> run the task
 * iterator once to give threads that predate us their storage.
 *
 * Reading: the task iterator yields every live thread's on-CPU time and
 * NUMA-balancing snapshot; the procs and proc_node maps add the rare events,
 * hinting faults and the time of threads that exited. Processes that have
 * exited are reported once, then removed from the maps.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "collect.h"
#include "log.h"
#include "numalens.skel.h"
#include "privs.h"
#include "procfs.h"

#define TRACEFS "/sys/kernel/tracing"

struct nl_collector {
	struct numalens *skel;
	int nr_nodes;
	bool fentry;
	/* Map entries with no live process and no exit mark, seen last read:
	 * removed when seen twice (a missed exit, such as when the map was full). */
	uint32_t *stale;
	size_t nr_stale;
	uint64_t expired;
	uint64_t procs_used;
	/* Hardware memory sampling: events per CPU, their program links. */
	struct nl_pmu_config pmu;
	struct nl_pmu_fds pmu_fds;
	struct bpf_link **pmu_links;
	struct nl_physmap physmap;
	char pmu_reason[240];
};

/* Set while loading with fentry, which may fail and is then retried without:
 * libbpf's messages about that first attempt would only alarm. */
static bool libbpf_quiet;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (libbpf_quiet && nl_verbose < 2)
		return 0;
	if (level == LIBBPF_DEBUG && nl_verbose < 2)
		return 0;
	if (level == LIBBPF_INFO && nl_verbose < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bool btf_has_tracepoint(const char *name)
{
	return libbpf_find_vmlinux_btf_id(name, BPF_TRACE_RAW_TP) > 0;
}

static bool btf_has_function(const char *name)
{
	return libbpf_find_vmlinux_btf_id(name, BPF_TRACE_FENTRY) > 0;
}

/* Classic tracepoints are attached by the id tracefs gives: mount it if
 * nothing has (our CI machines boot without it). */
static bool tracefs_ready(void)
{
	struct stat st;

	if (!stat(TRACEFS "/events", &st))
		return true;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY) {
		nl_debug("cannot mount tracefs on %s: %s", TRACEFS, strerror(errno));
		return false;
	}
	return !stat(TRACEFS "/events", &st);
}

static int read_sysctl(const char *path)
{
	char buf[32];

	return nl_read_file(path, buf, sizeof(buf)) > 0 ? atoi(buf) : -1;
}

/*
 * Before load: find and open the sampling events, so a PMU that cannot be
 * used leaves its programs out of the load. Fills pmu_reason when not.
 */
static void pmu_setup(struct nl_collector *c, const struct nl_topology *topo,
		      const struct nl_collect_opts *opts)
{
	struct numalens *skel = c->skel;
	bool kctx = false;
	struct btf *vmlinux;
	int err;

	if (opts->no_pmu) {
		snprintf(c->pmu_reason, sizeof(c->pmu_reason), "turned off (--no-pmu)");
		goto off;
	}
	if (opts->pmu_software)
		nl_pmu_software_faults(&c->pmu);
	else if (nl_pmu_probe("/sys", opts->sample_period, opts->pmu_rate, &c->pmu, c->pmu_reason,
			      sizeof(c->pmu_reason)))
		goto off;
	err = nl_pmu_open(&c->pmu, topo, &c->pmu_fds, c->pmu_reason, sizeof(c->pmu_reason));
	if (err)
		goto off;
	if (!nl_physmap_load("/sys", &c->physmap))
		skel->rodata->phys_block_shift = c->physmap.block_shift;
	/* Direct loads through bpf_cast_to_kern_ctx() where the kernel has it (v6.2+). */
	vmlinux = btf__load_vmlinux_btf();
	if (!libbpf_get_error(vmlinux)) {
		kctx = btf__find_by_name_kind(vmlinux, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC) > 0;
		btf__free(vmlinux);
	}
	bpf_program__set_autoload(kctx ? skel->progs.nl_mem_sample : skel->progs.nl_mem_sample_kctx,
				  false);
	return;
off:
	c->pmu.kind = NL_PMU_NONE;
	bpf_program__set_autoload(skel->progs.nl_mem_sample, false);
	bpf_program__set_autoload(skel->progs.nl_mem_sample_kctx, false);
}

/* After load: the phys -> node table, then the program on every event. */
static void pmu_attach(struct nl_collector *c, struct nl_sources *s)
{
	struct bpf_program *prog = bpf_program__autoload(c->skel->progs.nl_mem_sample_kctx) ?
					   c->skel->progs.nl_mem_sample_kctx :
					   c->skel->progs.nl_mem_sample;
	int fd = bpf_map__fd(c->skel->maps.phys_node), i, err;
	__u32 block;

	if (c->pmu.kind == NL_PMU_NONE) {
		nl_source_set(s, NL_SRC_PMU, false, NULL, "%s", c->pmu_reason);
		return;
	}
	for (block = 0; c->physmap.node && block < c->physmap.nr_blocks; block++) {
		__u8 node = c->physmap.node[block];

		if (node != NL_NODE_UNKNOWN)
			bpf_map_update_elem(fd, &block, &node, BPF_ANY);
	}
	c->pmu_links = calloc(c->pmu_fds.nr, sizeof(*c->pmu_links));
	if (!c->pmu_links) {
		nl_source_set(s, NL_SRC_PMU, false, NULL, "out of memory");
		return;
	}
	for (i = 0; i < c->pmu_fds.nr; i++) {
		c->pmu_links[i] = bpf_program__attach_perf_event(prog, c->pmu_fds.fds[i]);
		if (!c->pmu_links[i]) {
			err = -errno;
			nl_source_set(s, NL_SRC_PMU, false, NULL,
				      "cannot attach the sampling program to %s (%s)", c->pmu.desc,
				      strerror(-err));
			return;
		}
	}
	nl_source_set(s, NL_SRC_PMU, true, c->pmu.kind == NL_PMU_IBS ? "ibs" : c->pmu.kind == NL_PMU_PEBS ? "pebs" : "software",
		      "%s on %d CPUs%s", c->pmu.desc, c->pmu_fds.nr,
		      c->physmap.node ? "; memory nodes from physical addresses" : "");
}

static void configure(struct nl_collector *c, const struct nl_topology *topo,
		      const struct nl_collect_opts *opts)
{
	struct numalens *skel = c->skel;
	unsigned int procs = opts->max_procs ? opts->max_procs : NL_DEFAULT_MAX_PROCS;
	int cpu, node;

	for (cpu = 0; cpu < topo->nr_cpu_ids && cpu < NL_MAX_CPUS; cpu++) {
		node = topo->cpu_node[cpu];
		skel->rodata->cpu_node[cpu] = node < 0 ? 0 : node;
	}
	skel->rodata->nr_node_ids = c->nr_nodes;
	bpf_map__set_max_entries(skel->maps.procs, procs);
	/* Most processes touch one or two nodes. */
	bpf_map__set_max_entries(skel->maps.proc_node, procs * (c->nr_nodes > 1 ? 2 : 1));
	bpf_map__set_max_entries(skel->maps.pmu_procs, procs);
	bpf_map__set_max_entries(skel->maps.pmu_matrix, procs * (c->nr_nodes > 1 ? 2 : 1));
}

/* Marks programs this kernel cannot load; returns -ENOTSUP for a required one. */
static int probe_programs(struct nl_collector *c, const struct nl_collect_opts *opts,
			  struct nl_sources *s, char *balancing_gaps, size_t gaps_size)
{
	static const char *const required[] = { "sched_switch", "sched_process_fork",
						"sched_process_exit", "sched_migrate_task" };
	static const char *const balancing[] = { "sched_move_numa", "sched_swap_numa",
						 "sched_stick_numa" };
	struct bpf_program *balancing_progs[] = { c->skel->progs.nl_move_numa,
						  c->skel->progs.nl_swap_numa,
						  c->skel->progs.nl_stick_numa };
	struct btf *vmlinux;
	size_t i, used = 0;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!btf_has_tracepoint(required[i])) {
			nl_err("this kernel has no BTF for the %s tracepoint, which numalens needs "
			       "(a kernel built with CONFIG_DEBUG_INFO_BTF and tracepoints, 5.8 or later)",
			       required[i]);
			return -ENOTSUP;
		}
	}
	balancing_gaps[0] = '\0';
	for (i = 0; i < sizeof(balancing) / sizeof(balancing[0]); i++) {
		if (btf_has_tracepoint(balancing[i]))
			continue;
		bpf_program__set_autoload(balancing_progs[i], false);
		used += snprintf(balancing_gaps + used, gaps_size - used, "%s%s", used ? ", " : "",
				 balancing[i]);
		if (used >= gaps_size)
			used = gaps_size - 1;
	}

	/* mm_migrate_pages is read through its record by CO-RE: it needs the
	 * record's BTF, the reason enum and tracefs for the id. */
	vmlinux = btf__load_vmlinux_btf();
	if (libbpf_get_error(vmlinux) ||
	    btf__find_by_name_kind(vmlinux, "trace_event_raw_mm_migrate_pages", BTF_KIND_STRUCT) <
		    0 ||
	    btf__find_by_name_kind(vmlinux, "migrate_reason", BTF_KIND_ENUM) < 0 ||
	    !tracefs_ready()) {
		bpf_program__set_autoload(c->skel->progs.nl_migrate_pages, false);
		snprintf(balancing_gaps + used, gaps_size - used, "%smm_migrate_pages",
			 used ? ", " : "");
	}
	if (!libbpf_get_error(vmlinux))
		btf__free(vmlinux);

	c->fentry = !opts->no_fentry && btf_has_function("task_numa_fault");
	bpf_program__set_autoload(c->skel->progs.nl_numa_fault, c->fentry);
	return 0;
}

static int open_and_load(struct nl_collector *c, const struct nl_topology *topo,
			 const struct nl_collect_opts *opts, struct nl_sources *s, char *gaps,
			 size_t gaps_size, char *fentry_note, size_t note_size)
{
	int err;

	c->skel = numalens__open();
	if (!c->skel) {
		err = -errno;
		nl_err("cannot open the BPF object: %s", strerror(-err));
		return err;
	}
	configure(c, topo, opts);
	err = probe_programs(c, opts, s, gaps, gaps_size);
	if (err)
		return err;
	pmu_setup(c, topo, opts);
	libbpf_quiet = c->fentry;
	err = numalens__load(c->skel);
	libbpf_quiet = false;
	if (!err || !c->fentry)
		return err;
	/* Some kernels refuse fentry at load: try once more without it. */
	snprintf(fentry_note, note_size, "fentry on task_numa_fault failed to load (%s)",
		 strerror(-err));
	numalens__destroy(c->skel);
	c->skel = NULL;
	nl_pmu_close(&c->pmu_fds);
	nl_physmap_free(&c->physmap);
	struct nl_collect_opts no_fentry = *opts;

	no_fentry.no_fentry = true;
	return open_and_load(c, topo, &no_fentry, s, gaps, gaps_size, fentry_note, note_size);
}

static int attach_one(struct bpf_program *prog, struct bpf_link **link)
{
	*link = bpf_program__attach(prog);
	if (!*link)
		return -errno;
	return 0;
}

struct prog_link {
	struct bpf_program *prog;
	struct bpf_link **link;
};

static int attach(struct nl_collector *c, struct nl_sources *s, const char *gaps, char *fentry_note,
		  size_t note_size)
{
	struct numalens *skel = c->skel;
	/* Fork first, so no thread created from here on lacks storage. */
	struct prog_link required[] = {
		{ skel->progs.nl_sched_fork, &skel->links.nl_sched_fork },
		{ skel->progs.nl_sched_exit, &skel->links.nl_sched_exit },
		{ skel->progs.nl_sched_migrate, &skel->links.nl_sched_migrate },
		{ skel->progs.nl_sched_switch, &skel->links.nl_sched_switch },
	};
	struct prog_link balancing[] = {
		{ skel->progs.nl_move_numa, &skel->links.nl_move_numa },
		{ skel->progs.nl_swap_numa, &skel->links.nl_swap_numa },
		{ skel->progs.nl_stick_numa, &skel->links.nl_stick_numa },
		{ skel->progs.nl_migrate_pages, &skel->links.nl_migrate_pages },
	};
	int balancing_on = 0, numab, err;
	char failed[160] = "";
	size_t i, used = 0;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		err = attach_one(required[i].prog, required[i].link);
		if (err) {
			nl_err("cannot attach %s: %s", bpf_program__name(required[i].prog),
			       strerror(-err));
			return err == -EPERM ? -EPERM : -ENOTSUP;
		}
	}
	nl_source_set(s, NL_SRC_SCHEDULER, true, "tp_btf",
		      "sched_switch, sched_migrate_task, sched_process_fork/exit");

	for (i = 0; i < sizeof(balancing) / sizeof(balancing[0]); i++) {
		if (!bpf_program__autoload(balancing[i].prog))
			continue;
		err = attach_one(balancing[i].prog, balancing[i].link);
		if (err) {
			used += snprintf(failed + used, sizeof(failed) - used, "%s%s (%s)",
					 used ? ", " : "", bpf_program__name(balancing[i].prog),
					 strerror(-err));
			if (used >= sizeof(failed))
				used = sizeof(failed) - 1;
			continue;
		}
		balancing_on++;
	}
	numab = read_sysctl("/proc/sys/kernel/numa_balancing");
	if (!balancing_on)
		nl_source_set(s, NL_SRC_BALANCING, false, NULL,
			      "no NUMA-balancing tracepoint could be used (missing: %s%s%s)", gaps,
			      *gaps && *failed ? "; failed: " : "", failed);
	else
		nl_source_set(s, NL_SRC_BALANCING, true, "tp_btf+tracepoint", "%s%s%s%s%s",
			      numab == 0 ? "kernel.numa_balancing is 0: the kernel makes no "
					   "balancing decisions" :
					   "sched_{move,swap,stick}_numa, mm_migrate_pages",
			      *gaps ? "; not in this kernel: " : "", gaps,
			      *failed ? "; failed to attach: " : "", failed);

	/* Hinting faults: fentry where allowed, else the task_struct snapshot. */
	if (c->fentry) {
		err = attach_one(skel->progs.nl_numa_fault, &skel->links.nl_numa_fault);
		if (err) {
			c->fentry = false;
			snprintf(
				fentry_note, note_size,
				"the kernel refused fentry on task_numa_fault (%s%s)",
				strerror(-err),
				err == -EPERM ?
					": lockdown or a security policy forbids ftrace-based attach" :
					"");
		}
	}
	if (numab == 0)
		nl_source_set(s, NL_SRC_HINT_FAULTS, false, NULL,
			      "kernel.numa_balancing is 0, so the kernel takes no hinting faults "
			      "(enable it with: sysctl kernel.numa_balancing=1); when on, %s",
			      c->fentry ? "fentry on task_numa_fault counts them" :
			      *fentry_note ? fentry_note :
					     "the task_struct snapshot is read");
	else if (numab < 0)
		nl_source_set(s, NL_SRC_HINT_FAULTS, false, NULL,
			      "this kernel has no NUMA balancing (CONFIG_NUMA_BALANCING)");
	else if (c->fentry)
		nl_source_set(s, NL_SRC_HINT_FAULTS, true, "fentry",
			      "per process and memory node, from fentry/task_numa_fault");
	else
		nl_source_set(s, NL_SRC_HINT_FAULTS, true, "snapshot",
			      "%s%stask_struct->numa_faults_locality[] (reset every scan window; "
			      "shared faults inside a numa_group count as local)",
			      fentry_note, *fentry_note ? "; using " : "using ");

	skel->links.nl_iter_task = bpf_program__attach_iter(skel->progs.nl_iter_task, NULL);
	if (!skel->links.nl_iter_task) {
		err = -errno;
		nl_err("cannot create the task iterator: %s (kernel 5.8 or later needed)",
		       strerror(-err));
		return -ENOTSUP;
	}
	return 0;
}

int nl_collector_open(const struct nl_topology *topo, const struct nl_collect_opts *opts,
		      struct nl_sources *sources, struct nl_collector **out)
{
	char missing[64], gaps[200], fentry_note[160] = "";
	struct nl_sample_table warmup;
	struct nl_collector *c;
	struct stat st;
	int err;

	*out = NULL;
	if (nl_missing_bpf_caps(missing, sizeof(missing))) {
		nl_err("missing %s: run numalens as root, or grant them "
		       "(setcap cap_bpf,cap_perfmon,cap_sys_resource+ep numalens)",
		       missing);
		return -EPERM;
	}
	if (stat("/sys/kernel/btf/vmlinux", &st)) {
		nl_err("this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing); numalens "
		       "needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->nr_nodes = topo->nr_node_ids > NL_MAX_NODES ? NL_MAX_NODES : topo->nr_node_ids;
	libbpf_set_print(libbpf_print);

	err = open_and_load(c, topo, opts, sources, gaps, sizeof(gaps), fentry_note,
			    sizeof(fentry_note));
	if (err) {
		if (err == -EPERM)
			nl_err("the kernel refused to load the BPF programs (EPERM): numalens needs "
			       "CAP_BPF and CAP_PERFMON, and no lockdown forbidding BPF");
		else if (err != -ENOTSUP)
			nl_err("cannot load the BPF programs: %s (run with -vv for the verifier log)",
			       strerror(-err));
		goto fail;
	}
	err = attach(c, sources, gaps, fentry_note, sizeof(fentry_note));
	if (err)
		goto fail;
	pmu_attach(c, sources);
	nl_source_set(sources, NL_SRC_PLACEMENT, true, "sched_switch+numa_maps",
		      topo->nr_nodes < 2 ? "one NUMA node here: every access is local" :
					   "on-CPU time per node x resident memory per node");

	/* Give existing threads their storage now, so their time counts. */
	nl_sample_table_init(&warmup, c->nr_nodes);
	err = nl_collector_read(c, &warmup);
	nl_sample_table_free(&warmup);
	if (err)
		goto fail;
	*out = c;
	return 0;
fail:
	nl_collector_free(c);
	return err;
}

/* Reads the iterator's whole output. */
static int read_iter(struct nl_collector *c, char **buf, size_t *len)
{
	size_t cap = 1 << 16, used = 0;
	char *data = malloc(cap);
	int fd, err = 0;
	ssize_t n;

	if (!data)
		return -ENOMEM;
	fd = bpf_iter_create(bpf_link__fd(c->skel->links.nl_iter_task));
	if (fd < 0) {
		free(data);
		return -errno;
	}
	for (;;) {
		if (used == cap) {
			char *bigger = realloc(data, cap * 2);

			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			data = bigger;
			cap *= 2;
		}
		n = read(fd, data + used, cap - used);
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
	if (err) {
		free(data);
		return err;
	}
	*buf = data;
	*len = used;
	return 0;
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
		if (rec.tid == rec.tgid)
			p->preferred_nid = rec.preferred_nid;
		memcpy(p->locality, rec.faults_locality, sizeof(p->locality));
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
	size_t i;

	for (i = 0; i < c->nr_stale; i++)
		if (c->stale[i] == pid)
			return true;
	return false;
}

struct pid_list {
	uint32_t *pids;
	size_t nr, cap;
};

static int pid_list_add(struct pid_list *l, uint32_t pid)
{
	if (l->nr == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		uint32_t *p = realloc(l->pids, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->pids = p;
		l->cap = cap;
	}
	l->pids[l->nr++] = pid;
	return 0;
}

static bool pid_list_has(const struct pid_list *l, uint32_t pid)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		if (l->pids[i] == pid)
			return true;
	return false;
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
		}
		p = &t->procs[i];
		if (val.exit_ns) {
			p->flags |= NL_PS_EXITED;
			err = pid_list_add(gone, key);
			if (err)
				return err;
		}
		p->migrations = val.migrations;
		p->cross_node_migrations = val.cross_node_migrations;
		p->numa_moves = val.numa_moves;
		p->numa_swaps = val.numa_swaps;
		p->numa_sticks = val.numa_sticks;
		p->numa_pages_migrated = val.numa_pages_migrated;
		p->hint_migrated_pages = val.hint_migrated_pages;
		p->hint_failed_pages = val.hint_failed_pages;
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
		if (pid_list_has(gone, key.tgid)) {
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

/* Adds the hardware samples; deletes the entries of gone processes. */
static int read_pmu(struct nl_collector *c, struct nl_sample_table *t, const struct pid_list *gone)
{
	int fd = bpf_map__fd(c->skel->maps.pmu_procs);
	struct nl_pmu_matrix_key mkey, mnext, *mprev = NULL, *doomed = NULL;
	__u32 key, next, *prev = NULL;
	struct nl_pmu_proc val;
	struct nl_pmu_cell cell;
	size_t nr_doomed = 0, i;
	int err = 0;

	if (c->pmu.kind == NL_PMU_NONE)
		return 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		long j;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		j = nl_sample_table_find(t, key);
		if (j >= 0)
			t->procs[j].pmu = val;
	}
	for (i = 0; i < gone->nr; i++)
		bpf_map_delete_elem(fd, &gone->pids[i]);

	fd = bpf_map__fd(c->skel->maps.pmu_matrix);
	while (!bpf_map_get_next_key(fd, mprev, &mnext)) {
		struct nl_node_count *nodes;
		long j;

		mkey = mnext;
		mprev = &mkey;
		if (pid_list_has(gone, mkey.tgid)) {
			struct nl_pmu_matrix_key *k = realloc(doomed, (nr_doomed + 1) * sizeof(*k));

			if (!k) {
				err = -ENOMEM;
				break;
			}
			doomed = k;
			doomed[nr_doomed++] = mkey;
		}
		if (mkey.mem_node >= t->nr_nodes || bpf_map_lookup_elem(fd, &mkey, &cell))
			continue; /* an unknown node has no per-node slot */
		j = nl_sample_table_find(t, mkey.tgid);
		if (j < 0)
			continue;
		nodes = nl_sample_nodes(t, j);
		if (mkey.cpu_node == mkey.mem_node)
			nodes[mkey.mem_node].pmu_local += cell.samples;
		else
			nodes[mkey.mem_node].pmu_remote += cell.samples;
	}
	for (i = 0; i < nr_doomed; i++)
		bpf_map_delete_elem(fd, &doomed[i]);
	free(doomed);
	return err;
}

int nl_collector_pmu_matrix(struct nl_collector *c, uint32_t pid, int nr_nodes, uint64_t *matrix)
{
	int fd = bpf_map__fd(c->skel->maps.pmu_matrix), cols = nr_nodes + 1;
	struct nl_pmu_matrix_key key, next, *prev = NULL;
	struct nl_pmu_cell cell;

	memset(matrix, 0, nr_nodes * cols * sizeof(*matrix));
	if (c->pmu.kind == NL_PMU_NONE)
		return -ENODEV;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		int mem;

		key = next;
		prev = &key;
		if (key.tgid != pid || key.cpu_node >= nr_nodes || bpf_map_lookup_elem(fd, &key, &cell))
			continue;
		mem = key.mem_node < nr_nodes ? key.mem_node : nr_nodes;
		matrix[key.cpu_node * cols + mem] += cell.samples;
	}
	return 0;
}

size_t nl_collector_pmu_latency(struct nl_collector *c, struct nl_latency_cell *out, size_t max)
{
	int fd = bpf_map__fd(c->skel->maps.pmu_lat);
	struct nl_pmu_lat_key key, next, *prev = NULL;
	struct nl_pmu_lat lat;
	size_t nr = 0;

	if (c->pmu.kind == NL_PMU_NONE)
		return 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &lat))
			continue;
		if (nr < max) {
			out[nr].cpu_node = key.cpu_node;
			out[nr].mem_node = key.mem_node;
			out[nr].samples = lat.samples;
			out[nr].weight = lat.weight;
			memcpy(out[nr].hist, lat.hist, sizeof(lat.hist));
		}
		nr++;
	}
	return nr;
}

int nl_collector_read(struct nl_collector *c, struct nl_sample_table *t)
{
	struct pid_list gone = { 0 }, stale = { 0 };
	struct nl_proc_node_key *gone_keys = NULL;
	struct timespec now;
	char *buf = NULL;
	size_t len = 0, i;
	int err, nr;

	nl_sample_table_reset(t);
	clock_gettime(CLOCK_BOOTTIME, &now);
	t->taken_ns = now.tv_sec * 1000000000ull + now.tv_nsec;
	err = read_iter(c, &buf, &len);
	if (err)
		goto out;
	err = parse_threads(buf, len, t);
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
	err = read_pmu(c, t, &gone);
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
	free(buf);
	free(gone.pids);
	free(stale.pids);
	free(gone_keys);
	return err;
}

void nl_collector_health(struct nl_collector *c, struct nl_health *h)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(c->skel->maps.health);
	__u64 *values;
	__u32 key;

	memset(h, 0, sizeof(*h));
	h->procs_capacity = bpf_map__max_entries(c->skel->maps.procs);
	h->procs_used = c->procs_used;
	h->procs_expired = c->expired;
	if (ncpu <= 0)
		return;
	values = calloc(ncpu, sizeof(*values));
	if (!values)
		return;
	for (key = 0; key < NL_H_MAX; key++) {
		uint64_t sum = 0;
		int cpu;

		if (bpf_map_lookup_elem(fd, &key, values))
			continue;
		for (cpu = 0; cpu < ncpu; cpu++)
			sum += values[cpu];
		switch (key) {
		case NL_H_PROCS_FULL:
			h->procs_full = sum;
			break;
		case NL_H_PROC_NODE_FULL:
			h->proc_node_full = sum;
			break;
		case NL_H_TASK_STORAGE_FAIL:
			h->task_storage_fail = sum;
			break;
		case NL_H_NODE_CLAMPED:
			h->node_clamped = sum;
			break;
		case NL_H_PMU_PROCS_FULL:
			h->pmu_procs_full = sum;
			break;
		case NL_H_PMU_MATRIX_FULL:
			h->pmu_matrix_full = sum;
			break;
		}
	}
	free(values);
}

size_t nl_collector_programs(struct nl_collector *c, struct nl_prog_info *out, size_t max)
{
	struct bpf_link **links = (struct bpf_link **)&c->skel->links;
	struct bpf_program *prog;
	size_t nr = 0;

	/* bpftool lays the skeleton's links out in the order of its programs. */
	bpf_object__for_each_program(prog, c->skel->obj)
	{
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (nr == max)
			break;
		out[nr].name = bpf_program__name(prog);
		out[nr].section = bpf_program__section_name(prog);
		out[nr].loaded = fd >= 0;
		out[nr].attached = links[nr] != NULL;
		/* The sampling program has a link per CPU, not the skeleton's. */
		if ((prog == c->skel->progs.nl_mem_sample ||
		     prog == c->skel->progs.nl_mem_sample_kctx) &&
		    fd >= 0)
			out[nr].attached = c->pmu_links && c->pmu_links[0];
		out[nr].run_cnt = out[nr].run_time_ns = 0;
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
			out[nr].run_cnt = info.run_cnt;
			out[nr].run_time_ns = info.run_time_ns;
		}
		nr++;
	}
	return nr;
}

void nl_collector_free(struct nl_collector *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; c->pmu_links && i < c->pmu_fds.nr; i++)
		bpf_link__destroy(c->pmu_links[i]);
	free(c->pmu_links);
	nl_pmu_close(&c->pmu_fds);
	nl_physmap_free(&c->physmap);
	numalens__destroy(c->skel);
	free(c->stale);
	free(c);
}
