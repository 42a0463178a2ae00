// SPDX-License-Identifier: GPL-2.0
/*
 * Lifecycle: probe the kernel (BTF, tracepoints, fentry) -> open the
 * skeleton -> set rodata (cpu -> node table) and map sizes, disable the
 * programs this kernel cannot run -> load -> attach one by one, so an
 * optional source that fails is reported and skipped -> run the task
 * iterator once to give threads that predate us their storage.
 * Reading is in collect_read.c, hardware sampling in collect_pmu.c.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "collect_priv.h"
#include "log.h"
#include "privs.h"
#include "procfs.h"
#include "sysstate.h"

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

/* What libbpf_find_vmlinux_btf_id() looks for, in the BTF already read (it
 * reads and parses the whole file at each call). */
static bool btf_has_tracepoint(const struct btf *vmlinux, const char *name)
{
	char type_name[128];

	snprintf(type_name, sizeof(type_name), "btf_trace_%s", name);
	return btf__find_by_name_kind(vmlinux, type_name, BTF_KIND_TYPEDEF) > 0;
}

static bool btf_has_function(const struct btf *vmlinux, const char *name)
{
	return btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) > 0;
}

/*
 * How many arguments this kernel's mm_migrate_pages has (7, or 8 from v6.9
 * on), read from its btf_trace_ typedef (a pointer to a prototype whose first
 * parameter is the tracepoint's data); 0 for a layout whose last two are not
 * mode (an enum) and reason (an int), which neither program can read.
 */
static int migrate_pages_args(const struct btf *vmlinux)
{
	const struct btf_type *t, *mode, *reason;
	const struct btf_param *params;
	int id, n;

	id = btf__find_by_name_kind(vmlinux, "btf_trace_mm_migrate_pages", BTF_KIND_TYPEDEF);
	if (id < 0)
		return 0;
	t = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, id)->type);
	if (!t || !btf_is_ptr(t))
		return 0;
	t = btf__type_by_id(vmlinux, t->type);
	if (!t || !btf_is_func_proto(t))
		return 0;
	n = btf_vlen(t) - 1;
	if (n != 7 && n != 8)
		return 0;
	params = btf_params(t);
	mode = btf__type_by_id(vmlinux, btf__resolve_type(vmlinux, params[n - 1].type));
	reason = btf__type_by_id(vmlinux, btf__resolve_type(vmlinux, params[n].type));
	if (!mode || !reason || !btf_is_any_enum(mode) || !btf_is_int(reason))
		return 0;
	return n;
}

/*
 * Names the slots of migrated_by_reason after this kernel's enum
 * migrate_reason, "MR_DEMOTION" -> "demotion"; MR_TYPES is their count, not
 * a reason, and values past the last slot share it as "other". Returns how
 * many slots have a name (0: no such enum).
 */
static int migrate_reason_names(const struct btf *vmlinux,
				char names[NL_MIGRATE_REASONS][NL_MIGRATE_REASON_LEN])
{
	const struct btf_type *t;
	const struct btf_enum *e;
	int id, i, nr = 0;

	memset(names, 0, NL_MIGRATE_REASONS * NL_MIGRATE_REASON_LEN);
	id = btf__find_by_name_kind(vmlinux, "migrate_reason", BTF_KIND_ENUM);
	if (id < 0)
		return 0;
	t = btf__type_by_id(vmlinux, id);
	for (i = 0, e = btf_enum(t); i < btf_vlen(t); i++, e++) {
		const char *name = btf__name_by_offset(vmlinux, e->name_off);
		__u32 slot = e->val;
		size_t k;

		if (!name || !strcmp(name, "MR_TYPES"))
			continue;
		if (slot >= NL_MIGRATE_REASONS - 1) {
			slot = NL_MIGRATE_REASONS - 1;
			name = "other";
		} else if (!strncmp(name, "MR_", 3)) {
			name += 3;
		}
		nr += !names[slot][0];
		/* A label value: lowercase letters, digits and '_' only. */
		for (k = 0; name[k] && k + 1 < NL_MIGRATE_REASON_LEN; k++)
			names[slot][k] = isalnum((unsigned char)name[k]) ?
						 tolower((unsigned char)name[k]) :
						 '_';
		names[slot][k] = '\0';
	}
	return nr;
}

/*
 * NULL when this kernel has should_numa_migrate_memory(p, page or folio,
 * src_nid, dst_cpu) as nl_numa_migrate_src reads it (checked in the BTF of
 * Debian's 6.1 and 6.12); else why promotions cannot be counted.
 */
static const char *migrate_src_gap(const struct btf *vmlinux)
{
	const struct btf_type *t, *src;
	const struct btf_param *params;
	const char *name;
	int id;

	id = btf__find_by_name_kind(vmlinux, "should_numa_migrate_memory", BTF_KIND_FUNC);
	if (id < 0)
		return "this kernel has no should_numa_migrate_memory to attach to (it tells the "
		       "node a page is promoted from)";
	t = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, id)->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) != 4)
		goto other_layout;
	params = btf_params(t);
	name = btf__name_by_offset(vmlinux, params[2].name_off);
	src = btf__type_by_id(vmlinux, btf__resolve_type(vmlinux, params[2].type));
	if (name && !strcmp(name, "src_nid") && src && btf_is_int(src))
		return NULL;
other_layout:
	return "should_numa_migrate_memory's arguments in this kernel are not (p, page, "
	       "src_nid, dst_cpu), which numalens reads";
}

/* The nodes the kernel holds top tier; none read would make every
 * migration a promotion, so then every node. */
static uint64_t toptier_mask(const struct nl_topology *topo)
{
	return topo->toptier_nodes ? topo->toptier_nodes : ~0ULL;
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
	skel->data->toptier_nodes = toptier_mask(topo);
	bpf_map__set_max_entries(skel->maps.procs, procs);
	/* Most processes touch one or two nodes. */
	bpf_map__set_max_entries(skel->maps.proc_node, procs * (c->nr_nodes > 1 ? 2 : 1));
	bpf_map__set_max_entries(skel->maps.pmu_procs, procs);
	bpf_map__set_max_entries(skel->maps.pmu_matrix, procs * (c->nr_nodes > 1 ? 2 : 1));
	/* Each CPU's sampling state: a row per memory node there is. */
	bpf_map__set_value_size(skel->maps.pmu_pending, NL_PMU_PENDING_SIZE(c->nr_nodes));
	bpf_map__set_autocreate(skel->maps.synth_pending, false); /* test-only */
}

/* Marks programs this kernel cannot load; returns -ENOTSUP for a required one. */
static int probe_programs(struct nl_collector *c, const struct nl_collect_opts *opts,
			  struct nl_sources *s, char *balancing_gaps, size_t gaps_size)
{
	static const char *const required[] = { "sched_process_fork", "sched_process_exit",
						"sched_process_free", "sched_migrate_task" };
	static const char *const balancing[] = { "sched_move_numa", "sched_swap_numa",
						 "sched_stick_numa" };
	struct bpf_program *balancing_progs[] = { c->skel->progs.nl_move_numa,
						  c->skel->progs.nl_swap_numa,
						  c->skel->progs.nl_stick_numa };
	const char *src_gap;
	const struct btf *vmlinux = c->vmlinux;
	size_t i, used = 0;
	int nr_args = 0;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!btf_has_tracepoint(vmlinux, required[i])) {
			nl_err("this kernel has no BTF for the %s tracepoint, which numalens needs "
			       "(a kernel built with CONFIG_DEBUG_INFO_BTF and tracepoints, 5.8 or later)",
			       required[i]);
			return -ENOTSUP;
		}
	}
	balancing_gaps[0] = '\0';
	for (i = 0; i < sizeof(balancing) / sizeof(balancing[0]); i++) {
		if (btf_has_tracepoint(vmlinux, balancing[i]))
			continue;
		bpf_program__set_autoload(balancing_progs[i], false);
		used += snprintf(balancing_gaps + used, gaps_size - used, "%s%s", used ? ", " : "",
				 balancing[i]);
		if (used >= gaps_size)
			used = gaps_size - 1;
	}

	/* One program per layout of mm_migrate_pages; the reason enum by CO-RE,
	 * its names for the pages counted by reason. */
	c->nr_reasons = migrate_reason_names(vmlinux, c->reason_names);
	nr_args = c->nr_reasons ? migrate_pages_args(vmlinux) : 0;
	src_gap = migrate_src_gap(vmlinux);
	if (!nr_args)
		c->nr_reasons = 0;
	bpf_program__set_autoload(c->skel->progs.nl_migrate_pages, nr_args == 7);
	bpf_program__set_autoload(c->skel->progs.nl_migrate_pages_split, nr_args == 8);
	if (!nr_args)
		snprintf(balancing_gaps + used, gaps_size - used, "%smm_migrate_pages",
			 used ? ", " : "");

	/* Proxy execution's migration moves a blocked task without
	 * sched_migrate_task (cputime.bpf.h): credit at every switch there.
	 * Looked up quietly: libbpf's lookup warns when a name is absent. */
	if (btf_has_function(vmlinux, "proxy_migrate_task"))
		c->at_switch_why = "this kernel can move a blocked thread between CPUs without "
				   "sched_migrate_task (proxy execution, proxy_migrate_task)";
	else if (opts->switch_accounting)
		c->at_switch_why = "asked for with --switch-accounting";

	c->at_switch = c->at_switch_why != NULL;
	if (c->at_switch && !btf_has_tracepoint(vmlinux, "sched_switch")) {
		nl_err("this kernel has no BTF for the sched_switch tracepoint, which numalens "
		       "needs here to count CPU time");
		return -ENOTSUP;
	}
	bpf_program__set_autoload(c->skel->progs.nl_sched_switch, c->at_switch);

	c->fentry = !opts->no_fentry && btf_has_function(vmlinux, "task_numa_fault");
	bpf_program__set_autoload(c->skel->progs.nl_numa_fault, c->fentry);
	/* Promotions need both fentry programs: the fault's source node is
	 * remembered for task_numa_fault to judge. */
	c->promotions = c->fentry && !src_gap && !c->promotions_load_err;
	bpf_program__set_autoload(c->skel->progs.nl_numa_migrate_src, c->promotions);
	c->promotions_gap[0] = '\0';
	if (src_gap)
		snprintf(c->promotions_gap, sizeof(c->promotions_gap), "%s", src_gap);
	else if (c->promotions_load_err)
		snprintf(c->promotions_gap, sizeof(c->promotions_gap),
			 "fentry on should_numa_migrate_memory failed to load (%s; -vv shows the "
			 "verifier's log)",
			 strerror(-c->promotions_load_err));
	else if (!btf_has_function(vmlinux, "task_numa_fault"))
		snprintf(c->promotions_gap, sizeof(c->promotions_gap),
			 "this kernel has no task_numa_fault to attach to");
	else if (opts->no_fentry)
		snprintf(c->promotions_gap, sizeof(c->promotions_gap),
			 "they need fentry, which --no-fentry turns off");
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
	/* The tests' and benchmarks' made-up samples: never the agent's. */
	bpf_program__set_autoload(c->skel->progs.nl_synth_sample, false);
	err = probe_programs(c, opts, s, gaps, gaps_size);
	if (err)
		return err;
	nl_collector_pmu_setup(c, topo, opts);
	libbpf_quiet = c->fentry;
	err = numalens__load(c->skel);
	libbpf_quiet = false;
	if (!err || !c->fentry)
		return err;
	numalens__destroy(c->skel);
	c->skel = NULL;
	nl_pmu_close(&c->pmu_fds);
	nl_physmap_free(&c->physmap);
	/* A failure other than fentry refused as such (EPERM) may be the
	 * promotions program's alone: hinting faults keep fentry without it. */
	if (c->promotions && err != -EPERM) {
		c->promotions_load_err = err;
		return open_and_load(c, topo, opts, s, gaps, gaps_size, fentry_note, note_size);
	}
	/* Some kernels refuse fentry at load: try once more without it. */
	snprintf(fentry_note, note_size, "fentry on task_numa_fault%s failed to load (%s)",
		 c->promotions ? " and should_numa_migrate_memory" : "", strerror(-err));
	struct nl_collect_opts no_fentry = *opts;

	no_fentry.no_fentry = true;
	return open_and_load(c, topo, &no_fentry, s, gaps, gaps_size, fentry_note, note_size);
}

/* Why the kernel refused to attach fentry to function, for a source's reason. */
static void fentry_refused(char *note, size_t size, const char *function, int err)
{
	snprintf(note, size, "the kernel refused fentry on %s (%s%s)", function, strerror(-err),
		 err == -EPERM ? ": lockdown or a security policy forbids ftrace-based attach" :
				 "");
}

/* Whether promotions into the top memory tier are counted per process. */
static void set_promotions_source(const struct nl_collector *c, struct nl_sources *s,
				  const struct nl_topology *topo, int numab,
				  const char *fentry_note)
{
	uint64_t slow = topo->node_present & ~toptier_mask(topo);
	char nodes[160];

	if (numab < 0)
		nl_source_set(s, NL_SRC_PROMOTIONS, false, NULL,
			      "this kernel has no NUMA balancing (CONFIG_NUMA_BALANCING), which "
			      "promotes pages");
	else if (!c->promotions)
		nl_source_set(s, NL_SRC_PROMOTIONS, false, NULL, "not counted per process: %s",
			      *fentry_note ? fentry_note : c->promotions_gap);
	else if (numab == 0)
		nl_source_set(
			s, NL_SRC_PROMOTIONS, false, "fentry",
			"kernel.numa_balancing is 0, so nothing is promoted; when on, counted "
			"per process");
	else if (!slow)
		nl_source_set(s, NL_SRC_PROMOTIONS, true, "fentry",
			      "every memory node is in the top tier here (no CPU-less or CXL node "
			      "in a slower tier), so none is promoted");
	else
		nl_source_set(
			s, NL_SRC_PROMOTIONS, true, "fentry",
			"per process: hinting-fault migrations from the slower tier (node%s %s) "
			"into the top tier, as vmstat's pgpromote_success counts them",
			slow & (slow - 1) ? "s" : "", nl_nodes_to_list(slow, nodes, sizeof(nodes)));
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

static int attach(struct nl_collector *c, const struct nl_topology *topo, struct nl_sources *s,
		  const char *gaps, char *fentry_note, size_t note_size)
{
	struct numalens *skel = c->skel;
	/* Fork first, so no thread created from here on lacks storage. */
	struct prog_link required[] = {
		{ skel->progs.nl_sched_fork, &skel->links.nl_sched_fork },
		{ skel->progs.nl_sched_exit, &skel->links.nl_sched_exit },
		{ skel->progs.nl_sched_free, &skel->links.nl_sched_free },
		{ skel->progs.nl_sched_migrate, &skel->links.nl_sched_migrate },
		{ skel->progs.nl_sched_switch, &skel->links.nl_sched_switch },
	};
	size_t nr_required = sizeof(required) / sizeof(required[0]) - !c->at_switch;
	struct prog_link balancing[] = {
		{ skel->progs.nl_move_numa, &skel->links.nl_move_numa },
		{ skel->progs.nl_swap_numa, &skel->links.nl_swap_numa },
		{ skel->progs.nl_stick_numa, &skel->links.nl_stick_numa },
		{ skel->progs.nl_migrate_pages, &skel->links.nl_migrate_pages },
		{ skel->progs.nl_migrate_pages_split, &skel->links.nl_migrate_pages_split },
	};
	int balancing_on = 0, numab, err;
	char failed[160] = "";
	size_t i, used = 0;

	for (i = 0; i < nr_required; i++) {
		err = attach_one(required[i].prog, required[i].link);
		if (err) {
			nl_err("cannot attach %s: %s", bpf_program__name(required[i].prog),
			       strerror(-err));
			return err == -EPERM ? -EPERM : -ENOTSUP;
		}
	}
	if (!c->at_switch)
		nl_source_set(
			s, NL_SRC_SCHEDULER, true, "tp_btf",
			"sched_migrate_task, sched_process_fork/exit/free; CPU time credited when "
			"a thread moves or exits, read to the last tick by the task iterator; "
			"nothing on sched_switch");
	else
		nl_source_set(
			s, NL_SRC_SCHEDULER, true, "tp_btf",
			"sched_switch, sched_migrate_task, sched_process_fork/exit/free; CPU time "
			"credited at every context switch: %s",
			c->at_switch_why);

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
	numab = nl_numa_balancing_read();
	if (!balancing_on)
		nl_source_set(s, NL_SRC_BALANCING, false, NULL,
			      "no NUMA-balancing tracepoint could be used (missing: %s%s%s)", gaps,
			      *gaps && *failed ? "; failed: " : "", failed);
	else /* attached either way: the method says so, and they count once it is on */
		nl_source_set(s, NL_SRC_BALANCING, numab != 0, "tp_btf", "%s%s%s%s%s",
			      numab == 0 ? "kernel.numa_balancing is 0, so the kernel makes no "
					   "balancing decisions to count (enable it with: sysctl "
					   "kernel.numa_balancing=1)" :
					   "sched_{move,swap,stick}_numa, mm_migrate_pages",
			      *gaps ? "; not in this kernel: " : "", gaps,
			      *failed ? "; failed to attach: " : "", failed);

	/* Hinting faults: fentry where allowed, else the task_struct snapshot;
	 * promotions only with it. */
	if (c->fentry) {
		err = attach_one(skel->progs.nl_numa_fault, &skel->links.nl_numa_fault);
		if (err) {
			c->fentry = false;
			fentry_refused(fentry_note, note_size, "task_numa_fault", err);
		}
	}
	if (c->promotions) {
		err = c->fentry ? attach_one(skel->progs.nl_numa_migrate_src,
					     &skel->links.nl_numa_migrate_src) :
				  -ENOTSUP;
		c->promotions = !err;
		if (err && c->fentry)
			fentry_refused(c->promotions_gap, sizeof(c->promotions_gap),
				       "should_numa_migrate_memory", err);
	}
	if (numab == 0)
		nl_source_set(s, NL_SRC_HINT_FAULTS, false, NULL,
			      "kernel.numa_balancing is 0, so the kernel takes no hinting faults "
			      "(enable it with: sysctl kernel.numa_balancing=1); when on, %s",
			      c->fentry	   ? "fentry on task_numa_fault counts them" :
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
	set_promotions_source(c, s, topo, numab, fentry_note);

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
		       "(setcap cap_bpf,cap_perfmon+ep numalens; kernels before 5.11 also "
		       "need cap_sys_resource, to raise the locked-memory limit BPF maps count in)",
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
	c->vmlinux = btf__load_vmlinux_btf();
	err = libbpf_get_error(c->vmlinux);
	if (err) {
		c->vmlinux = NULL;
		nl_err("cannot read this kernel's BTF (/sys/kernel/btf/vmlinux): %s",
		       strerror(-err));
		goto fail;
	}

	err = open_and_load(c, topo, opts, sources, gaps, sizeof(gaps), fentry_note,
			    sizeof(fentry_note));
	btf__free(c->vmlinux);
	c->vmlinux = NULL;
	if (err) {
		if (err == -EPERM)
			nl_err("the kernel refused to load the BPF programs (EPERM): numalens needs "
			       "CAP_BPF and CAP_PERFMON, and no lockdown forbidding BPF");
		else if (err != -ENOTSUP)
			nl_err("cannot load the BPF programs: %s (run with -vv for the verifier log)",
			       strerror(-err));
		goto fail;
	}
	err = attach(c, topo, sources, gaps, fentry_note, sizeof(fentry_note));
	if (err)
		goto fail;
	nl_collector_pmu_attach(c, sources);
	nl_source_set(sources, NL_SRC_PLACEMENT, true, "cpu_time+numa_maps",
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

void nl_collector_health(struct nl_collector *c, struct nl_health *h)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(c->skel->maps.health);
	__u64 *values;
	__u32 key;

	struct bpf_program *prog;

	memset(h, 0, sizeof(*h));
	h->procs_capacity = bpf_map__max_entries(c->skel->maps.procs);
	h->procs_used = c->procs_used;
	h->procs_expired = c->expired;
	h->pmu_short_reads = c->pmu_short_reads;
	bpf_object__for_each_program(prog, c->skel->obj)
	{
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int prog_fd = bpf_program__fd(prog);

		if (prog_fd >= 0 && !bpf_obj_get_info_by_fd(prog_fd, &info, &len))
			h->runs_missed += info.recursion_misses;
	}
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
		case NL_H_MIGRATE_RUNNING:
			h->migrate_running = sum;
			break;
		case NL_H_HINT_LOCAL:
			h->hint_local_total = sum;
			break;
		case NL_H_HINT_REMOTE:
			h->hint_remote_total = sum;
			break;
		case NL_H_MAP_REFUSED:
			h->map_refused = sum;
			break;
		case NL_H_MAP_REFUSED_ERRNO:
			/* A value per CPU, not a count: any CPU's will do. */
			for (cpu = 0; cpu < ncpu; cpu++)
				if (values[cpu])
					h->map_refused_errno = values[cpu];
			break;
		}
	}
	free(values);
}

/* The other layout's twin of a program this kernel runs (mm_migrate_pages). */
static bool unused_twin(struct bpf_program *prog, const struct bpf_object *obj)
{
	const char *section = bpf_program__section_name(prog);
	struct bpf_program *other;

	if (bpf_program__fd(prog) >= 0)
		return false;
	bpf_object__for_each_program(other, obj)
	{
		if (other != prog && bpf_program__fd(other) >= 0 &&
		    !strcmp(bpf_program__section_name(other), section))
			return true;
	}
	return false;
}

size_t nl_collector_programs(struct nl_collector *c, struct nl_prog_info *out, size_t max)
{
	struct bpf_link **links = (struct bpf_link **)&c->skel->links;
	struct bpf_program *prog;
	size_t nr = 0, idx = 0;

	/* bpftool lays the skeleton's links out in the order of its programs. */
	bpf_object__for_each_program(prog, c->skel->obj)
	{
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);
		struct bpf_link *link = links[idx++];

		if (nr == max)
			break;
		if (unused_twin(prog, c->skel->obj) || prog == c->skel->progs.nl_synth_sample)
			continue;
		out[nr].name = bpf_program__name(prog);
		out[nr].section = bpf_program__section_name(prog);
		out[nr].loaded = fd >= 0;
		out[nr].attached = link != NULL;
		/* The sampling program has a link per CPU, not the skeleton's. */
		if ((prog == c->skel->progs.nl_mem_sample ||
		     prog == c->skel->progs.nl_mem_sample_kctx) &&
		    fd >= 0)
			out[nr].attached = c->pmu_links && c->pmu_links[0];
		out[nr].run_cnt = out[nr].run_time_ns = out[nr].missed = 0;
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
			out[nr].run_cnt = info.run_cnt;
			out[nr].run_time_ns = info.run_time_ns;
			out[nr].missed = info.recursion_misses;
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
	btf__free(c->vmlinux);
	for (i = 0; c->pmu_links && i < c->pmu_fds.nr; i++)
		bpf_link__destroy(c->pmu_links[i]);
	free(c->pmu_links);
	nl_pmu_close(&c->pmu_fds);
	nl_physmap_free(&c->physmap);
	numalens__destroy(c->skel);
	free(c->stale);
	free(c->pmu_orphans.pids);
	free(c->iter_buf);
	free(c);
}
