// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "advice_text.h"
#include "advisor.h"
#include "memsrc.h"
#include "model.h"
#include "pidsearch.h"
#include "pin_status.h"
#include "report.h"
#include "report_cgroups.h"
#include "status.h"
#include "untrusted.h"

static bool requested(const struct nl_report_opts *o, uint32_t pid)
{
	return nl_pid_listed(o->pids, o->nr_pids, pid);
}

size_t nl_report_select(const struct nl_snapshot *snap, const struct nl_report_opts *o,
			const struct nl_proc_view **out, size_t max)
{
	size_t i, nr = 0;

	for (i = 0; i < snap->nr && nr < max; i++) {
		const struct nl_proc_view *v = &snap->procs[i];

		if (o->nr_pids ? !requested(o, v->pid) : v->cpu_s <= 0)
			continue;
		if (!o->nr_pids && o->top && nr >= o->top)
			break;
		out[nr++] = v;
	}
	return nr;
}

void nl_report_advice_step(const struct nl_report_opts *o, struct nl_advice_step *s)
{
	nl_advice_step_default(s);
	s->which = NL_ADVICE_LISTED;
	s->max = o->top;
}

/*
 * A string holding another process's bytes (its comm, cgroup, unit,
 * container, pod, command line, or text that quotes them): valid UTF-8
 * whatever came in. They were made text where they entered (untrusted.h);
 * this keeps the document valid JSON should one ever not be, as json-c
 * escapes control characters but copies invalid UTF-8 as it is.
 */
json_object *nl_json_text(const char *s)
{
	size_t len = strlen(s), n;
	char *buf = malloc(3 * len + 1);
	json_object *o;

	if (!buf)
		return NULL;
	n = nl_untrusted_utf8(buf, 3 * len + 1, s, len);
	o = json_object_new_string_len(buf, (int)n);
	free(buf);
	return o;
}

/* Rounded to microseconds: more digits would only be noise. */
static json_object *json_seconds(double s)
{
	return json_object_new_double(round(s * 1e6) / 1e6);
}

/* When the window began and ended, in Unix seconds: each end is the moment
 * the threads' CPU times were read, between its time and read_seconds
 * later (what lets a check hold them against the kernel's own counts). */
static json_object *window_json(const struct nl_snapshot *snap)
{
	json_object *w = json_object_new_object();
	uint64_t read_ns = snap->start_real_ns[1] - snap->start_real_ns[0];

	if (snap->end_real_ns[1] - snap->end_real_ns[0] > read_ns)
		read_ns = snap->end_real_ns[1] - snap->end_real_ns[0];
	json_object_object_add(w, "start", json_seconds(snap->start_real_ns[0] / 1e9));
	json_object_object_add(w, "end", json_seconds(snap->end_real_ns[0] / 1e9));
	json_object_object_add(w, "read_seconds", json_seconds(read_ns / 1e9));
	return w;
}

static json_object *json_ratio(double r)
{
	return json_object_new_double(round(r * 1e4) / 1e4);
}

static json_object *topology_json(const struct nl_topology *t)
{
	json_object *topo = json_object_new_object(), *nodes = json_object_new_array();
	json_object *dist = json_object_new_array();
	int n, m, cpu;

	for (n = 0; n < t->nr_node_ids && n < NL_MAX_NODES; n++) {
		json_object *node, *cpus, *row;

		if (!nl_node_present(t, n))
			continue;
		node = json_object_new_object();
		cpus = json_object_new_array();
		for (cpu = 0; cpu < t->nr_cpu_ids && cpu < NL_MAX_CPUS; cpu++)
			if (t->cpu_node[cpu] == n)
				json_object_array_add(cpus, json_object_new_int(cpu));
		json_object_object_add(node, "id", json_object_new_int(n));
		json_object_object_add(node, "cpus", cpus);
		json_object_object_add(node, "memory_bytes",
				       json_object_new_uint64(t->node_mem_total[n]));
		json_object_object_add(node, "memory_free_bytes",
				       json_object_new_uint64(t->node_mem_free[n]));
		nl_report_node_tier_json(node, t, n);
		json_object_array_add(nodes, node);
		row = json_object_new_array();
		for (m = 0; m < t->nr_node_ids && m < NL_MAX_NODES; m++)
			if (nl_node_present(t, m))
				json_object_array_add(row, json_object_new_int(t->distance[n][m]));
		json_object_array_add(dist, row);
	}
	json_object_object_add(topo, "nodes", nodes);
	json_object_object_add(topo, "distances", dist);
	json_object_object_add(topo, "source", json_object_new_string(t->source ? t->source : ""));
	nl_report_tiers_json(topo, t);
	return topo;
}

static json_object *sources_json(const struct nl_sources *s)
{
	json_object *obj = json_object_new_object();
	int id;

	for (id = 0; id < NL_SRC_MAX; id++) {
		const struct nl_source_state *st = &s->src[id];
		json_object *src = json_object_new_object();

		json_object_object_add(src, "active", json_object_new_boolean(st->active));
		if (st->method[0])
			json_object_object_add(src, "method", json_object_new_string(st->method));
		json_object_object_add(src, "reason", json_object_new_string(st->reason));
		json_object_object_add(obj, nl_source_name(id), src);
	}
	return obj;
}

/* Hinting faults numalens counted in the window over every process it saw,
 * to hold against the kernel's (vmstat). */
static void hint_faults_seen(const struct nl_snapshot *snap, uint64_t *local, uint64_t *remote)
{
	size_t i;
	int n;

	*local = *remote = 0;
	for (i = 0; i < snap->nr; i++)
		for (n = 0; n < snap->nr_nodes; n++) {
			*local += snap->procs[i].node[n].hint_local;
			*remote += snap->procs[i].node[n].hint_remote;
		}
}

/* Pages the kernel migrated in the window by reason; NULL where the BPF
 * side does not count them. */
static json_object *migrated_by_reason_json(const struct nl_system *b, const struct nl_system *a)
{
	json_object *obj;
	uint32_t i;

	if (!a->nr_migrate_reasons)
		return NULL;
	obj = json_object_new_object();
	for (i = 0; i < a->nr_migrate_reasons; i++)
		json_object_object_add(obj, a->migrated[i].reason,
				       json_object_new_uint64(nl_system_migrated_since(b, a, i)));
	return obj;
}

static json_object *system_json(const struct nl_snapshot *snap)
{
	const struct nl_system *a = &snap->sys_after, *b = &snap->sys_before;
	json_object *sys = json_object_new_object();

	if (a->numa_balancing >= 0)
		json_object_object_add(sys, "numa_balancing",
				       json_object_new_boolean(a->numa_balancing > 0));
	else
		json_object_object_add(sys, "numa_balancing", NULL);
	json_object_object_add(sys, "numa_balancing_mode", json_object_new_int(a->numa_balancing));
	/* Counters over the window, from /proc/vmstat. */
	json_object_object_add(sys, "numa_hint_faults",
			       json_object_new_uint64(a->numa_hint_faults - b->numa_hint_faults));
	json_object_object_add(
		sys, "numa_hint_faults_local",
		json_object_new_uint64(a->numa_hint_faults_local - b->numa_hint_faults_local));
	json_object_object_add(
		sys, "numa_pages_migrated",
		json_object_new_uint64(a->numa_pages_migrated - b->numa_pages_migrated));
	json_object_object_add(sys, "migrated_pages_by_reason", migrated_by_reason_json(b, a));
	if (snap->sources.src[NL_SRC_HINT_FAULTS].active) {
		json_object *seen = json_object_new_object();
		uint64_t local, remote;

		hint_faults_seen(snap, &local, &remote);
		json_object_object_add(seen, "local", json_object_new_uint64(local));
		json_object_object_add(seen, "remote", json_object_new_uint64(remote));
		json_object_object_add(sys, "hint_faults_seen", seen);
	}
	nl_report_tier_system_json(sys, snap);
	return sys;
}

static json_object *health_json(const struct nl_health *h)
{
	/* Every counter of struct nl_health (a uint64_t) and its key. */
	static const struct {
		const char *key;
		size_t offset;
	} counters[] = {
		{ "procs_map_capacity", offsetof(struct nl_health, procs_capacity) },
		{ "procs_map_used", offsetof(struct nl_health, procs_used) },
		{ "procs_map_full", offsetof(struct nl_health, procs_full) },
		{ "proc_node_map_full", offsetof(struct nl_health, proc_node_full) },
		{ "task_storage_failures", offsetof(struct nl_health, task_storage_fail) },
		{ "nodes_clamped", offsetof(struct nl_health, node_clamped) },
		{ "procs_expired", offsetof(struct nl_health, procs_expired) },
		{ "pmu_procs_map_full", offsetof(struct nl_health, pmu_procs_full) },
		{ "pmu_matrix_map_full", offsetof(struct nl_health, pmu_matrix_full) },
		{ "running_thread_moves", offsetof(struct nl_health, migrate_running) },
		{ "bpf_runs_missed", offsetof(struct nl_health, runs_missed) },
		{ "hint_pages_local_since_load", offsetof(struct nl_health, hint_local_total) },
		{ "hint_pages_remote_since_load", offsetof(struct nl_health, hint_remote_total) },
		{ "map_updates_refused", offsetof(struct nl_health, map_refused) },
		{ "map_update_refused_errno", offsetof(struct nl_health, map_refused_errno) },
		{ "pmu_short_reads", offsetof(struct nl_health, pmu_short_reads) },
	};
	json_object *obj = json_object_new_object();
	size_t i;

	for (i = 0; i < sizeof(counters) / sizeof(*counters); i++) {
		uint64_t v = *(const uint64_t *)((const char *)h + counters[i].offset);

		json_object_object_add(obj, counters[i].key, json_object_new_uint64(v));
	}
	return obj;
}

static json_object *ratio_or_null(struct nl_ratio r)
{
	return r.valid ? json_ratio(r.value) : NULL;
}

static const char *const level_names[NL_PMU_CLASSES] = {
	[NL_MEM_UNKNOWN] = "unknown",
	[NL_MEM_CACHE] = "cache",
	[NL_MEM_REMOTE_CACHE] = "remote_cache",
	[NL_MEM_LOCAL_DRAM] = "local_dram",
	[NL_MEM_REMOTE_DRAM] = "remote_dram",
	[NL_MEM_LOCAL_CXL] = "local_cxl_pmem",
	[NL_MEM_REMOTE_CXL] = "remote_cxl_pmem",
	[NL_MEM_OTHER] = "io_uncached",
};

static json_object *mean_or_null(uint64_t weight, uint64_t samples)
{
	return samples ? json_object_new_double(round(10.0 * weight / samples) / 10) : NULL;
}

static json_object *pmu_json(const struct nl_pmu_proc *pmu)
{
	json_object *obj = json_object_new_object(), *levels = json_object_new_object();
	json_object *hops = json_object_new_array(), *mem = json_object_new_object();
	int i;

	json_object_object_add(obj, "samples", json_object_new_uint64(pmu->samples));
	for (i = 0; i < NL_PMU_CLASSES; i++)
		json_object_object_add(levels, level_names[i],
				       json_object_new_uint64(pmu->by_class[i]));
	json_object_object_add(obj, "by_level", levels);
	json_object_object_add(mem, "local", json_object_new_uint64(pmu->mem_local));
	json_object_object_add(mem, "remote", json_object_new_uint64(pmu->mem_remote));
	json_object_object_add(obj, "memory_samples", mem);
	for (i = 1; i < 4; i++)
		json_object_array_add(hops, json_object_new_uint64(pmu->remote_by_hops[i]));
	json_object_object_add(obj, "remote_by_hops", hops);
	mem = json_object_new_object();
	json_object_object_add(mem, "local", mean_or_null(pmu->weight_local, pmu->mem_local));
	json_object_object_add(mem, "remote", mean_or_null(pmu->weight_remote, pmu->mem_remote));
	json_object_object_add(obj, "mean_latency", mem);
	return obj;
}

static json_object *latency_json(const struct nl_snapshot *snap)
{
	json_object *cells = json_object_new_array();
	size_t i;
	int b;

	for (i = 0; i < snap->nr_latency; i++) {
		const struct nl_latency_cell *l = &snap->latency[i];
		json_object *cell = json_object_new_object(), *hist = json_object_new_array();

		json_object_object_add(cell, "cpu_node", json_object_new_int(l->cpu_node));
		json_object_object_add(
			cell, "memory_node",
			l->mem_node == NL_NODE_UNKNOWN ? NULL : json_object_new_int(l->mem_node));
		json_object_object_add(cell, "samples", json_object_new_uint64(l->samples));
		json_object_object_add(cell, "mean_latency", mean_or_null(l->weight, l->samples));
		for (b = 0; b < NL_LAT_BUCKETS; b++)
			json_object_array_add(hist, json_object_new_uint64(l->hist[b]));
		json_object_object_add(cell, "histogram_log2", hist);
		json_object_array_add(cells, cell);
	}
	return cells;
}

static json_object *suggestion_json(const struct nl_snapshot *snap, const struct nl_proc_view *v);

static bool in_object(const char *object, const char *name)
{
	return object && !strcmp(object, name);
}

/* Adds the counters the table (NL_PROC_COUNTERS) puts in JSON object name. */
static void counters_json(json_object *obj, const char *name, const struct nl_proc_view *v)
{
#define ADD(field, object, key, ...) \
	if (in_object(object, name)) \
		json_object_object_add(obj, key, json_object_new_uint64(v->field));
	NL_PROC_COUNTERS(ADD)
#undef ADD
}

/* The record of the last change of a process listed, NULL when none. */
static const struct nl_pin_record *last_change(const struct nl_report_opts *o, uint32_t pid)
{
	size_t i;

	for (i = 0; i < o->nr_pins; i++)
		if ((uint32_t)o->pins[i].pid == pid)
			return &o->pins[i];
	return NULL;
}

static json_object *process_json(const struct nl_snapshot *snap, const struct nl_proc_view *v,
				 const struct nl_report_opts *o)
{
	const struct nl_pin_record *pin = last_change(o, v->pid);
	json_object *p = json_object_new_object(), *cpu = json_object_new_object();
	json_object *mem = json_object_new_object(), *obj, *ratios;
	char key[16], finding[NL_FINDING_MAX];
	uint64_t local = 0, remote = 0;
	int n;

	json_object_object_add(p, "pid", json_object_new_int64(v->pid));
	json_object_object_add(p, "comm", nl_json_text(v->comm));
	json_object_object_add(p, "threads", json_object_new_int64(v->nr_threads));
	json_object_object_add(p, "exited", json_object_new_boolean(v->exited));
	for (n = 0; n < snap->nr_nodes; n++) {
		if (snap->topo && !nl_node_present(snap->topo, n))
			continue;
		snprintf(key, sizeof(key), "%d", n);
		json_object_object_add(cpu, key, json_seconds(v->node[n].cpu_s));
		json_object_object_add(mem, key, json_object_new_uint64(v->node[n].mem_bytes));
		local += v->node[n].hint_local;
		remote += v->node[n].hint_remote;
	}
	json_object_object_add(p, "cpu_seconds", json_seconds(v->cpu_s));
	json_object_object_add(p, "cpu_seconds_by_node", cpu);
	json_object_object_add(p, "memory_bytes_by_node", v->mem_known ? mem : NULL);
	if (!v->mem_known)
		json_object_put(mem);
	json_object_object_add(p, "memory_bytes", json_object_new_uint64(v->mem_bytes));
	nl_report_proc_tiers_json(p, snap, v);
	json_object_object_add(p, "remote_ratio", json_ratio(v->remote_ratio));
	json_object_object_add(p, "remote_ratio_source",
			       json_object_new_string(nl_source_name(v->source)));
	json_object_object_add(p, "remote_ratio_samples", json_object_new_uint64(v->ratio_samples));
	ratios = json_object_new_object();
	json_object_object_add(ratios, "pmu", ratio_or_null(v->pmu_ratio));
	json_object_object_add(ratios, "hint_faults", ratio_or_null(v->hint));
	json_object_object_add(ratios, "placement", ratio_or_null(v->placement));
	json_object_object_add(p, "remote_ratio_by_source", ratios);
	if (v->hint_coverage >= 0)
		json_object_object_add(p, "hint_faults_memory_coverage",
				       json_ratio(v->hint_coverage));
	json_object_object_add(p, "sources_disagree", json_object_new_boolean(v->disagree));

	obj = json_object_new_object();
	counters_json(obj, "migrations", v);
	json_object_object_add(p, "migrations", obj);
	obj = json_object_new_object();
	counters_json(obj, "numa_balancing", v);
	json_object_object_add(obj, "preferred_node", json_object_new_int(v->preferred_nid));
	json_object_object_add(p, "numa_balancing", obj);
	obj = json_object_new_object();
	/* Per-node counts where fentry gives them, else the kernel's snapshot. */
	if (!local && !remote) {
		local = v->locality_local;
		remote = v->locality_remote;
	}
	json_object_object_add(obj, "local", json_object_new_uint64(local));
	json_object_object_add(obj, "remote", json_object_new_uint64(remote));
	counters_json(obj, "hint_faults", v);
	json_object_object_add(p, "hint_faults", obj);
	if (snap->sources.src[NL_SRC_PMU].active)
		json_object_object_add(p, "pmu", pmu_json(&v->pmu));
	json_object_object_add(p, "best_node", json_object_new_int(v->best_node));
	json_object_object_add(p, "flagged", json_object_new_boolean(v->flagged));
	nl_model_finding(v, snap->nr_nodes, snap->topo, finding, sizeof(finding));
	json_object_object_add(p, "finding", json_object_new_string(finding));
	json_object_object_add(p, "suggestion", suggestion_json(snap, v));
	json_object_object_add(p, "last_change", pin ? nl_pin_json(pin, o->now) : NULL);
	return p;
}

json_object *nl_json_nodes(uint64_t nodes)
{
	json_object *arr = json_object_new_array();
	int n;

	for (n = 0; n < NL_MAX_NODES; n++)
		if (nodes >> n & 1)
			json_object_array_add(arr, json_object_new_int(n));
	return arr;
}

/* The advice the agent attached (NULL: none was). */
static json_object *suggestion_json(const struct nl_snapshot *snap, const struct nl_proc_view *v)
{
	json_object *s, *cmds, *obj;
	struct nl_command list[NL_MAX_COMMANDS];
	const struct nl_proc_limits *l;
	const struct nl_advice *adv;
	char buf[512];
	size_t i, nr;

	if (!v->advice || !snap->topo)
		return NULL;
	s = json_object_new_object();
	cmds = json_object_new_array();
	adv = &v->advice->advice;
	l = &v->advice->limits;
	json_object_object_add(s, "action", json_object_new_string(nl_action_name(adv->action)));
	json_object_object_add(s, "reason", nl_json_text(adv->reason));
	json_object_object_add(s, "blocked",
			       adv->block ? json_object_new_string(nl_block_name(adv->block)) :
					    NULL);
	if (adv->action != NL_ACT_NONE) {
		json_object_object_add(s, "nodes", nl_json_nodes(adv->nodes));
		json_object_object_add(s, "cpus",
				       json_object_new_string(nl_bits_to_list(
					       adv->cpus, NL_MAX_CPUS, buf, sizeof(buf))));
		json_object_object_add(s, "multi_node", json_object_new_boolean(adv->multi_node));
		json_object_object_add(s, "move_from", nl_json_nodes(adv->move_from));
		json_object_object_add(s, "move_bytes", json_object_new_uint64(adv->move_bytes));
		json_object_object_add(s, "remote_ratio_after", json_ratio(adv->remote_after));
		json_object_object_add(s, "mean_distance",
				       json_object_new_double(round(adv->dist_now * 10) / 10));
		json_object_object_add(s, "mean_distance_after",
				       json_object_new_double(round(adv->dist_after * 10) / 10));
		json_object_object_add(s, "cpus_used",
				       json_object_new_double(round(adv->cpus_used * 100) / 100));
		json_object_object_add(
			s, "target_load",
			adv->target_load >= 0 ?
				json_object_new_double(round(adv->target_load * 100) / 100) :
				NULL);
		json_object_object_add(
			s, "load_now",
			adv->load_now >= 0 ?
				json_object_new_double(round(adv->load_now * 100) / 100) :
				NULL);
	}
	obj = json_object_new_object();
	json_object_object_add(obj, "runtime",
			       json_object_new_string(nl_runtime_name(l->ctx.runtime)));
	json_object_object_add(obj, "cgroup", l->cgroup[0] ? nl_json_text(l->cgroup) : NULL);
	if (l->ctx.unit[0])
		json_object_object_add(obj, "unit", nl_json_text(l->ctx.unit));
	if (l->ctx.container[0])
		json_object_object_add(obj, "container", nl_json_text(l->ctx.container));
	if (l->ctx.pod[0])
		json_object_object_add(obj, "pod", nl_json_text(l->ctx.pod));
	json_object_object_add(
		obj, "allowed_cpus",
		json_object_new_string(nl_bits_to_list(l->cpus, NL_MAX_CPUS, buf, sizeof(buf))));
	json_object_object_add(obj, "allowed_nodes", nl_json_nodes(l->mems));
	if (l->cpuset_known)
		json_object_object_add(obj, "cpuset_cgroup", nl_json_text(l->cpuset_cgroup));
	json_object_object_add(s, "context", obj);
	nr = nl_advice_commands(adv, v->pid, l, list, NL_MAX_COMMANDS);
	for (i = 0; i < nr; i++) {
		obj = json_object_new_object();
		json_object_object_add(obj, "form",
				       json_object_new_string(nl_form_name(list[i].form)));
		json_object_object_add(obj, "when", json_object_new_string(list[i].when));
		json_object_object_add(obj, "command", nl_json_text(list[i].text));
		json_object_array_add(cmds, obj);
	}
	json_object_object_add(s, "commands", cmds);
	return s;
}

/* "suggest: ..." and its commands under a flagged process (or one asked for). */
static void text_suggestion(FILE *f, const struct nl_snapshot *snap, const struct nl_proc_view *v,
			    bool asked)
{
	struct nl_command list[NL_MAX_COMMANDS];
	const struct nl_advice *adv;
	size_t i, nr;

	if (!snap->topo || snap->topo->nr_nodes < 2 || (!v->flagged && !asked) || v->exited ||
	    !v->advice)
		return;
	adv = &v->advice->advice;
	fprintf(f, "           suggest: %s%s\n", adv->action == NL_ACT_NONE ? "nothing: " : "",
		adv->reason);
	nr = nl_advice_commands(adv, v->pid, &v->advice->limits, list, NL_MAX_COMMANDS);
	for (i = 0; i < nr; i++)
		fprintf(f, "             %-11s %s\n", list[i].when, list[i].text);
}

/*
 * The diagnosis in one line: how many of the processes looked at lose time
 * to remote memory (flagged: over the thresholds), and which most of all
 * (the first in rank order). Among the processes asked for, with --pid. By
 * pid only: the rows below give each command.
 */
static void verdict(const struct nl_snapshot *snap, const struct nl_report_opts *o, char *buf,
		    size_t size, size_t *nr_flagged)
{
	const struct nl_proc_view *worst = NULL;
	size_t i, n = 0;

	for (i = 0; i < snap->nr; i++) {
		const struct nl_proc_view *v = &snap->procs[i];

		if (!v->flagged || (o->nr_pids && !requested(o, v->pid)))
			continue;
		if (!n++)
			worst = v;
	}
	*nr_flagged = n;
	if (snap->topo && snap->topo->nr_nodes < 2)
		snprintf(buf, size,
			 "no process loses time to remote memory: there is one NUMA node, so "
			 "every memory access is local");
	else if (!n)
		snprintf(buf, size, "no %s loses time to remote memory",
			 o->nr_pids == 1 ? "process asked for" :
			 o->nr_pids	 ? "process of those asked for" :
					   "process");
	else if (n == 1)
		snprintf(buf, size, "1 process loses time to remote memory: pid %u (%.0f%% remote)",
			 worst->pid, worst->remote_ratio * 100);
	else
		snprintf(
			buf, size,
			"%zu processes lose time to remote memory, most of all pid %u (%.0f%% remote)",
			n, worst->pid, worst->remote_ratio * 100);
}

json_object *nl_report_json(const struct nl_snapshot *snap, const struct nl_report_opts *o)
{
	const struct nl_proc_view **list = calloc(snap->nr ? snap->nr : 1, sizeof(*list));
	json_object *doc = json_object_new_object(), *procs = json_object_new_array();
	size_t i, nr;

	char text[NL_VERDICT_MAX];
	size_t flagged;

	verdict(snap, o, text, sizeof(text), &flagged);
	json_object_object_add(doc, "version", json_object_new_string(NUMALENS_VERSION));
	json_object_object_add(doc, "duration_seconds", json_seconds(snap->window_s));
	if (snap->start_real_ns[0])
		json_object_object_add(doc, "window", window_json(snap));
	json_object_object_add(doc, "verdict", json_object_new_string(text));
	json_object_object_add(doc, "flagged_processes", json_object_new_uint64(flagged));
	if (snap->topo)
		json_object_object_add(doc, "topology", topology_json(snap->topo));
	json_object_object_add(doc, "sources", sources_json(&snap->sources));
	json_object_object_add(doc, "system", system_json(snap));
	json_object_object_add(doc, "system_findings", nl_report_sys_findings_json(snap));
	json_object_object_add(doc, "health", health_json(&snap->health));
	if (snap->sources.src[NL_SRC_PMU].active)
		json_object_object_add(doc, "pmu_latency", latency_json(snap));
	nr = list ? nl_report_select(snap, o, list, snap->nr) : 0;
	for (i = 0; i < nr; i++)
		json_object_array_add(procs, process_json(snap, list[i], o));
	json_object_object_add(doc, "processes", procs);
	nl_report_cgroups_json(doc, snap);
	free(list);
	return doc;
}

static void text_topology(FILE *f, const struct nl_topology *t)
{
	char mem[32], cpus[256], tier[128];
	int n, m;

	fprintf(f, "Topology (%s): %d NUMA node%s, %d CPUs\n", t->source, t->nr_nodes,
		t->nr_nodes == 1 ? "" : "s", t->nr_cpu_ids);
	for (n = 0; n < t->nr_node_ids && n < NL_MAX_NODES; n++) {
		if (!nl_node_present(t, n))
			continue;
		nl_format_bytes(t->node_mem_total[n], mem, sizeof(mem));
		nl_node_cpulist(t, n, cpus, sizeof(cpus));
		fprintf(f, "  node %d: %10s  cpus %-12s distances", n, mem,
			cpus[0] ? cpus : "none");
		for (m = 0; m < t->nr_node_ids && m < NL_MAX_NODES; m++)
			if (nl_node_present(t, m))
				fprintf(f, " %d", t->distance[n][m]);
		nl_report_node_tier_text(tier, sizeof(tier), t, n);
		fprintf(f, "%s\n", tier);
	}
}

/* "placement", "pmu/1234", "hint/5678": the source and what stands behind it. */
static const char *source_label(const struct nl_proc_view *v, char *buf, size_t size)
{
	if (v->source == NL_SRC_PMU)
		snprintf(buf, size, "pmu/%llu", (unsigned long long)v->ratio_samples);
	else if (v->source == NL_SRC_HINT_FAULTS)
		snprintf(buf, size, "hint/%llu", (unsigned long long)v->ratio_samples);
	else
		snprintf(buf, size, "%s", nl_source_name(v->source));
	return buf;
}

/* One line: the reasons the kernel migrated pages for in the window. */
static void text_migrated_by_reason(FILE *f, const struct nl_system *b, const struct nl_system *a)
{
	const char *sep = "";
	uint32_t i;

	fprintf(f, "  pages migrated for any reason in the window:");
	for (i = 0; i < a->nr_migrate_reasons; i++) {
		uint64_t pages = nl_system_migrated_since(b, a, i);

		if (!pages)
			continue;
		fprintf(f, "%s %s %" PRIu64, sep, a->migrated[i].reason, pages);
		sep = ",";
	}
	fprintf(f, "%s\n", *sep ? "" : " none");
}

/* Where a data source's reason starts: "  %-15s %-8s ". */
#define SOURCE_INDENT 27

/*
 * Prints text, which starts at column indent, wrapped at width (0: on one
 * line) with the lines after the first indented to that column. A word
 * longer than the room is put whole on a line of its own.
 */
static void put_wrapped(FILE *f, const char *text, unsigned int indent, unsigned int width)
{
	unsigned int room = width > indent + 20 ? width - indent : 0, col = 0;

	while (*text) {
		size_t word = strcspn(text, " ");

		if (room && col && col + 1 + word > room) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = 0;
		} else if (col) {
			fputc(' ', f);
			col++;
		}
		fwrite(text, 1, word, f);
		col += word;
		text += word;
		text += strspn(text, " ");
	}
	fputc('\n', f);
}

void nl_report_put_wrapped(FILE *f, const char *text, unsigned int indent, unsigned int width)
{
	put_wrapped(f, text, indent, width);
}

/* What the BPF side lost, or could not count exactly, as warnings. */
static void health_warnings(FILE *f, const struct nl_health *h)
{
	if (h->migrate_running)
		fprintf(f,
			"Warning: this kernel moved %" PRIu64
			" running threads between CPUs, which numalens's CPU time per node does "
			"not expect: run with --switch-accounting, and report the kernel\n",
			h->migrate_running);
	if (h->runs_missed)
		fprintf(f,
			"Warning: the kernel skipped %" PRIu64
			" runs of numalens's BPF programs (one was already running on that CPU): "
			"counts may be short by as many events\n",
			h->runs_missed);
	if (h->procs_full || h->proc_node_full)
		fprintf(f,
			"Warning: BPF maps were full (%" PRIu64 " + %" PRIu64
			" events dropped); raise --max-procs\n",
			h->procs_full, h->proc_node_full);
	if (h->map_refused)
		fprintf(f,
			"Warning: the kernel refused %" PRIu64
			" BPF map updates with room left (last: %s): counts may be short by as "
			"many events\n",
			h->map_refused, strerror((int)h->map_refused_errno));
	if (h->pmu_short_reads)
		fprintf(f,
			"Warning: %" PRIu64
			" reads of the memory samples overlapped CPUs passing samples on, on every "
			"try: those reads may be short, and the next ones long, by as many\n",
			h->pmu_short_reads);
}

void nl_report_text(FILE *f, const struct nl_snapshot *snap, const struct nl_report_opts *o)
{
	const struct nl_proc_view **list = calloc(snap->nr ? snap->nr : 1, sizeof(*list));
	const struct nl_system *a = &snap->sys_after, *b = &snap->sys_before;
	bool one_node = snap->topo && snap->topo->nr_nodes < 2;
	char text[NL_VERDICT_MAX];
	size_t i, nr, flagged;
	int id, n;

	verdict(snap, o, text, sizeof(text), &flagged);
	fprintf(f, "numalens diagnosis over %.1f s\n", snap->window_s);
	fprintf(f, "verdict: %s\n\n", text);
	if (snap->topo)
		text_topology(f, snap->topo);
	fprintf(f, "\nData sources\n");
	for (id = 0; id < NL_SRC_MAX; id++) {
		const struct nl_source_state *st = &snap->sources.src[id];
		char why[sizeof(st->method) + sizeof(st->reason) + 2];

		snprintf(why, sizeof(why), "%s%s%s", st->method, st->method[0] ? ": " : "",
			 st->reason);
		fprintf(f, "  %-15s %-8s ", nl_source_name(id), st->active ? "active" : "inactive");
		put_wrapped(f, why, SOURCE_INDENT, o->width);
	}
	fprintf(f,
		"\nSystem: NUMA balancing %s; in the window %" PRIu64 " hinting faults (%" PRIu64
		" local), %" PRIu64 " pages migrated\n",
		a->numa_balancing < 0 ? "not in this kernel" :
		a->numa_balancing     ? "on" :
					"off",
		a->numa_hint_faults - b->numa_hint_faults,
		a->numa_hint_faults_local - b->numa_hint_faults_local,
		a->numa_pages_migrated - b->numa_pages_migrated);
	if (a->nr_migrate_reasons)
		text_migrated_by_reason(f, b, a);
	nl_report_tiers_text(f, snap);
	if (snap->sources.src[NL_SRC_HINT_FAULTS].active) {
		uint64_t local, remote;

		hint_faults_seen(snap, &local, &remote);
		fprintf(f,
			"  numalens counted %" PRIu64 " pages in hinting faults (%" PRIu64
			" local) in the processes it saw\n",
			local + remote, local);
	}
	health_warnings(f, &snap->health);

	nr = list ? nl_report_select(snap, o, list, snap->nr) : 0;
	fprintf(f, "\nProcesses, most remote traffic first\n");
	if (!nr)
		fprintf(f, "  (none ran in the window)\n");
	else
		fprintf(f, "  %8s %-16s %6s %-11s %8s %8s  %s\n", "PID", "COMMAND", "REMOTE",
			"SOURCE", "CPU s", "MEMORY", "BEST");
	for (i = 0; i < nr; i++) {
		const struct nl_proc_view *v = list[i];
		const struct nl_pin_record *pin;
		char mem[32] = "?", src[32], finding[NL_FINDING_MAX];

		if (v->mem_known)
			nl_format_bytes(v->mem_bytes, mem, sizeof(mem));
		fprintf(f, "%s %8u %-16s %5.0f%% %-11s %8.2f %8s  %d\n", v->flagged ? "!" : " ",
			v->pid, v->comm, v->remote_ratio * 100, source_label(v, src, sizeof(src)),
			v->cpu_s, mem, v->best_node);
		/* On one node the verdict said it once: every access is local. */
		if (!one_node) {
			nl_model_finding(v, snap->nr_nodes, snap->topo, finding, sizeof(finding));
			fprintf(f, "           %s\n", finding);
		} else if (v->exited || v->cpu_s <= 0) {
			fprintf(f, "           %s\n",
				v->exited ? "exited during the window" :
					    "did not run in the window");
		}
		text_suggestion(f, snap, v, o->nr_pids > 0);
		if ((pin = last_change(o, v->pid))) {
			char change[1024], line[1040];

			nl_pin_change_text(pin, o->now, change, sizeof(change));
			snprintf(line, sizeof(line), "last change: %s", change);
			fprintf(f, "%11s", "");
			put_wrapped(f, line, 11, o->width);
		}
		if (v->cross_node_migrations || v->numa_moves || v->numa_swaps ||
		    v->numa_pages_migrated)
			fprintf(f,
				"           migrations %" PRIu64 " (%" PRIu64
				" cross-node); balancing: %" PRIu64 " moves, %" PRIu64
				" swaps, %" PRIu64 " sticks, %" PRIu64 " pages migrated\n",
				v->migrations, v->cross_node_migrations, v->numa_moves,
				v->numa_swaps, v->numa_sticks, v->numa_pages_migrated);
		for (n = 0; n < snap->nr_nodes && o->nr_pids; n++)
			if (v->node[n].cpu_s > 0 || v->node[n].mem_bytes)
				fprintf(f, "           node %d: %.2f CPU s, %" PRIu64 " bytes\n", n,
					v->node[n].cpu_s, v->node[n].mem_bytes);
	}
	nl_report_cgroups_text(f, snap, o->width);
	free(list);
}
