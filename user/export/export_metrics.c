// SPDX-License-Identifier: GPL-2.0
/*
 * The metric families, after Prometheus's naming practice: the numalens_
 * prefix, base units (seconds, bytes, ratios from 0 to 1), counters ending
 * in _total, the NUMA node in a numa_node label (Kubernetes owns "node"),
 * and no total beside its own breakdown (sum() gives it).
 *
 * Every family always has its HELP and TYPE lines; its samples appear when
 * their source is active on this machine (hinting faults per node need
 * fentry, memory samples a PMU), so dashboards and rules can name every
 * metric whatever the machine.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "advisor.h"
#include "autopin.h"
#include "export.h"
#include "tiering.h"

/* The series to write: every group that has one, then other. */
struct series {
	const struct nl_export_group **list;
	size_t nr;
	int nr_nodes;
	const int *nodes; /* present node ids */
	int nr_present;
	char node_names[NL_MAX_NODES][8];
};

static const char *source_label(int source)
{
	if (source == NL_EXPORT_SOURCE_MIXED)
		return "mixed";
	return nl_source_name(source);
}

/* A counter of struct nl_export_counts (a uint64_t) as one value of a label. */
struct split {
	const char *value; /* NULL ends a list */
	size_t offset;	   /* in struct nl_export_counts */
};

static const struct split by_locality[] = {
	{ "local", offsetof(struct nl_export_counts, pmu_local) },
	{ "remote", offsetof(struct nl_export_counts, pmu_remote) },
	{ NULL },
};
static const struct split by_kind[] = {
	{ "same_node", offsetof(struct nl_export_counts, migrations_same) },
	{ "cross_node", offsetof(struct nl_export_counts, migrations_cross) },
	{ NULL },
};
static const struct split by_event[] = {
	{ "move", offsetof(struct nl_export_counts, moves) },
	{ "swap", offsetof(struct nl_export_counts, swaps) },
	{ "stick", offsetof(struct nl_export_counts, sticks) },
	{ NULL },
};

/* One counter with no label of its own. */
static const struct split pages_migrated[] = {
	{ "", offsetof(struct nl_export_counts, pages_migrated) },
	{ NULL },
};
static const struct split pages_promoted[] = {
	{ "", offsetof(struct nl_export_counts, pages_promoted) },
	{ NULL },
};

/* A counter family split by one label (NULL: a list of one counter, not
 * split): per series, a sample per value (none when the source is not
 * active). */
static void split_family(struct nl_buf *b, const struct series *s, bool active, const char *name,
			 const char *help, const char *label, const struct split *split)
{
	size_t i, k;

	nl_prom_family(b, name, "counter", help);
	for (i = 0; active && i < s->nr; i++) {
		const struct nl_export_series *se = s->list[i]->s;

		for (k = 0; split[k].value; k++) {
			uint64_t v = *(const uint64_t *)((const char *)&se->acc + split[k].offset);

			nl_prom_sample_u64(b, name, se->labels, label,
					   label ? split[k].value : NULL, NULL, NULL, v);
		}
	}
}

static void process_families(struct nl_buf *b, const struct series *s,
			     const struct nl_export_host *h)
{
	const struct nl_source_state *src = h->sources ? h->sources->src : NULL;
	bool hint = src && src[NL_SRC_HINT_FAULTS].active &&
		    !strcmp(src[NL_SRC_HINT_FAULTS].method, "fentry");
	bool pmu = src && src[NL_SRC_PMU].active;
	/* Attached (a method) even while kernel.numa_balancing is 0, which may
	 * be turned on at any time: the series are there from the start. */
	bool balancing = !src || src[NL_SRC_BALANCING].active || src[NL_SRC_BALANCING].method[0];
	/* Counted (a method) whether or not this machine has a slower tier. */
	bool promotions = !src || src[NL_SRC_PROMOTIONS].method[0];
	size_t i;
	int j;

	nl_prom_family(b, "numalens_process_cpu_seconds_total", "counter",
		       "On-CPU seconds of the process (or group) on the CPUs of each NUMA node.");
	for (i = 0; i < s->nr; i++)
		for (j = 0; j < s->nr_present; j++)
			nl_prom_sample(b, "numalens_process_cpu_seconds_total",
				       s->list[i]->s->labels, "numa_node", s->node_names[j], NULL,
				       NULL, s->list[i]->s->acc.cpu_s[s->nodes[j]]);

	nl_prom_family(b, "numalens_process_resident_memory_bytes", "gauge",
		       "Resident memory on each NUMA node, from /proc/PID/numa_maps (read for "
		       "busy processes, at most every 10 s each).");
	for (i = 0; i < s->nr; i++) {
		if (!s->list[i]->s->mem_known)
			continue;
		for (j = 0; j < s->nr_present; j++)
			nl_prom_sample_u64(b, "numalens_process_resident_memory_bytes",
					   s->list[i]->s->labels, "numa_node", s->node_names[j],
					   NULL, NULL, s->list[i]->s->mem_bytes[s->nodes[j]]);
	}

	nl_prom_family(b, "numalens_process_memory_tier_bytes", "gauge",
		       "Resident memory per memory tier (memory_tierN of the nodes it is on; a "
		       "higher N is slower memory), from the same numa_maps reads.");
	for (i = 0; h->topo && h->topo->tiers_known && i < s->nr; i++) {
		int tiers[NL_MAX_NODES], nr = nl_topology_tiers(h->topo, tiers, NL_MAX_NODES), k;

		if (!s->list[i]->s->mem_known)
			continue;
		for (k = 0; k < nr; k++) {
			uint64_t bytes = 0;
			char name[16];

			for (j = 0; j < s->nr_present; j++)
				if (h->topo->node_tier[s->nodes[j]] == tiers[k])
					bytes += s->list[i]->s->mem_bytes[s->nodes[j]];
			snprintf(name, sizeof(name), "%d", tiers[k]);
			nl_prom_sample_u64(b, "numalens_process_memory_tier_bytes",
					   s->list[i]->s->labels, "memory_tier", name, NULL, NULL,
					   bytes);
		}
	}

	nl_prom_family(b, "numalens_process_numa_hint_faults_total", "counter",
		       "NUMA hinting-fault pages by the node of the memory and by locality "
		       "(source hint_faults: fentry on task_numa_fault, with NUMA balancing on).");
	for (i = 0; hint && i < s->nr; i++) {
		for (j = 0; j < s->nr_present; j++) {
			int n = s->nodes[j];

			nl_prom_sample_u64(b, "numalens_process_numa_hint_faults_total",
					   s->list[i]->s->labels, "numa_node", s->node_names[j],
					   "locality", "local", s->list[i]->s->acc.hint_local[n]);
			nl_prom_sample_u64(b, "numalens_process_numa_hint_faults_total",
					   s->list[i]->s->labels, "numa_node", s->node_names[j],
					   "locality", "remote", s->list[i]->s->acc.hint_remote[n]);
		}
	}

	split_family(b, s, pmu, "numalens_process_memory_samples_total",
		     "Sampled loads served from memory (DRAM, PMEM, CXL) by locality (source "
		     "pmu: Intel PEBS or AMD IBS).",
		     "locality", by_locality);
	split_family(b, s, true, "numalens_process_migrations_total",
		     "Migrations of the process's threads between CPUs, within a NUMA node "
		     "or across nodes.",
		     "kind", by_kind);
	split_family(b, s, balancing, "numalens_process_numa_balancing_events_total",
		     "NUMA balancing decisions about the process's threads: moved to another "
		     "node, swapped with a thread there, or kept (stick).",
		     "event", by_event);

	split_family(b, s, balancing, "numalens_process_numa_pages_migrated_total",
		     "Pages NUMA balancing migrated for the process (mm_migrate_pages, reason "
		     "numa_misplaced).",
		     NULL, pages_migrated);
	split_family(b, s, promotions, "numalens_process_promoted_pages_total",
		     "Pages NUMA balancing promoted for the process: hinting-fault migrations "
		     "from a slower memory tier (CPU-less, CXL) into the top tier (source "
		     "promotions).",
		     NULL, pages_promoted);

	nl_prom_family(b, "numalens_process_remote_ratio", "gauge",
		       "Estimated share of memory accesses that go to another NUMA node (0 to 1), "
		       "over the last refresh window in which it ran; source pmu, hint_faults, "
		       "placement, or mixed for a group.");
	for (i = 0; i < s->nr; i++)
		if (s->list[i]->ratio_valid)
			nl_prom_sample(b, "numalens_process_remote_ratio", s->list[i]->s->labels,
				       "source", source_label(s->list[i]->ratio_source), NULL, NULL,
				       s->list[i]->ratio);

	nl_prom_family(b, "numalens_process_suggestion_info", "gauge",
		       "The advisor's suggestion for a flagged process (per-pid series): action "
		       "affinity runs its threads on numa_nodes, migrate also moves its memory "
		       "there (auto-pin makes it only with --auto-pin-migrate); numalens diagnose "
		       "gives the commands. Always 1.");
	for (i = 0; i < s->nr; i++) {
		const struct nl_export_series *se = s->list[i]->s;
		char nodes[64];

		if (!se || se->suggest_action == NL_ACT_NONE)
			continue;
		nl_prom_sample(b, "numalens_process_suggestion_info", se->labels, "action",
			       nl_action_name(se->suggest_action), "numa_nodes",
			       nl_nodes_to_list(se->suggest_nodes, nodes, sizeof(nodes)), 1);
	}
	nl_prom_family(b, "numalens_process_suggestion_remote_ratio", "gauge",
		       "The remote ratio the advisor expects once its suggestion is applied.");
	for (i = 0; i < s->nr; i++)
		if (s->list[i]->s && s->list[i]->s->suggest_action != NL_ACT_NONE)
			nl_prom_sample(b, "numalens_process_suggestion_remote_ratio",
				       s->list[i]->s->labels, NULL, NULL, NULL, NULL,
				       s->list[i]->s->suggest_remote_after);
	nl_prom_family(b, "numalens_process_suggestion_move_bytes", "gauge",
		       "Resident bytes the suggestion would migrate to its nodes (0: threads "
		       "only).");
	for (i = 0; i < s->nr; i++)
		if (s->list[i]->s && s->list[i]->s->suggest_action != NL_ACT_NONE)
			nl_prom_sample_u64(b, "numalens_process_suggestion_move_bytes",
					   s->list[i]->s->labels, NULL, NULL, NULL, NULL,
					   s->list[i]->s->suggest_move_bytes);

	nl_prom_family(b, "numalens_process_remote_weighted_cpu_seconds_total", "counter",
		       "On-CPU seconds times the remote ratio of each window: how much remote "
		       "access a process does, comparable across processes and hosts.");
	for (i = 0; i < s->nr; i++)
		nl_prom_sample(b, "numalens_process_remote_weighted_cpu_seconds_total",
			       s->list[i]->s->labels, NULL, NULL, NULL, NULL,
			       s->list[i]->s->acc.remote_cpu_s);

	nl_prom_family(b, "numalens_process_threads", "gauge",
		       "Threads of the process (or of the processes in a group).");
	for (i = 0; i < s->nr; i++)
		nl_prom_sample_u64(b, "numalens_process_threads", s->list[i]->s->labels, NULL, NULL,
				   NULL, NULL, s->list[i]->threads);
}

static void node_families(struct nl_buf *b, const struct series *s, const struct nl_topology *t)
{
	char cpus[512], other[8];
	struct nl_buf base;
	int i, j;

	nl_buf_init(&base);
	nl_prom_family(b, "numalens_numa_node_info", "gauge",
		       "A NUMA node of this machine, with its CPUs as a cpulist (none: a "
		       "memory-only node), its memory tier (memory_tierN, a higher N slower) and "
		       "whether the kernel counts that tier as top or slower; always 1.");
	for (i = 0; t && i < s->nr_present; i++) {
		int n = s->nodes[i];
		char tier[16] = "";

		nl_buf_reset(&base);
		nl_prom_label(&base, "numa_node", s->node_names[i]);
		nl_prom_label(&base, "cpus", nl_node_cpulist(t, n, cpus, sizeof(cpus)));
		if (t->tiers_known && t->node_tier[n] >= 0)
			snprintf(tier, sizeof(tier), "%d", t->node_tier[n]);
		nl_prom_sample(b, "numalens_numa_node_info", base.failed ? NULL : base.data,
			       "memory_tier", tier, "tier_class",
			       t->tiers_known ? (nl_node_slow_tier(t, n) ? "slower" : "top") : NULL,
			       1);
	}
	nl_buf_free(&base);
	nl_export_access_families(b, t, s->nodes, s->nr_present);
	nl_prom_family(b, "numalens_numa_node_cpus", "gauge", "CPUs of the NUMA node.");
	for (i = 0; t && i < s->nr_present; i++)
		nl_prom_sample(b, "numalens_numa_node_cpus", NULL, "numa_node", s->node_names[i],
			       NULL, NULL, t->node_nr_cpus[s->nodes[i]]);
	nl_prom_family(b, "numalens_numa_node_memory_bytes", "gauge",
		       "Memory of the NUMA node (MemTotal of its meminfo).");
	for (i = 0; t && i < s->nr_present; i++)
		nl_prom_sample_u64(b, "numalens_numa_node_memory_bytes", NULL, "numa_node",
				   s->node_names[i], NULL, NULL, t->node_mem_total[s->nodes[i]]);
	nl_prom_family(b, "numalens_numa_node_distance", "gauge",
		       "Distance from the NUMA node to another, as the firmware (SLIT) gives it: "
		       "10 is local.");
	for (i = 0; t && i < s->nr_present; i++) {
		for (j = 0; j < s->nr_present; j++) {
			snprintf(other, sizeof(other), "%d", s->nodes[j]);
			nl_prom_sample(b, "numalens_numa_node_distance", NULL, "numa_node",
				       s->node_names[i], "to_numa_node", other,
				       t->distance[s->nodes[i]][s->nodes[j]]);
		}
	}
}

static void system_families(struct nl_buf *b, const struct nl_system *sys)
{
	bool vm = sys && sys->vmstat_valid;
	uint32_t i;

	nl_prom_family(b, "numalens_system_numa_balancing_mode", "gauge",
		       "kernel.numa_balancing: 0 off, 1 on (2 and 3: memory tiering modes).");
	if (sys && sys->numa_balancing >= 0)
		nl_prom_sample(b, "numalens_system_numa_balancing_mode", NULL, NULL, NULL, NULL,
			       NULL, sys->numa_balancing);
	nl_prom_family(b, "numalens_system_numa_hint_faults_total", "counter",
		       "NUMA hinting faults of the whole machine by locality, from /proc/vmstat "
		       "(numa_hint_faults, numa_hint_faults_local).");
	if (vm) {
		nl_prom_sample_u64(b, "numalens_system_numa_hint_faults_total", NULL, "locality",
				   "local", NULL, NULL, sys->numa_hint_faults_local);
		nl_prom_sample_u64(b, "numalens_system_numa_hint_faults_total", NULL, "locality",
				   "remote", NULL, NULL,
				   sys->numa_hint_faults > sys->numa_hint_faults_local ?
					   sys->numa_hint_faults - sys->numa_hint_faults_local :
					   0);
	}
	nl_prom_family(b, "numalens_system_numa_pages_migrated_total", "counter",
		       "Pages NUMA balancing migrated, whole machine (/proc/vmstat).");
	if (vm)
		nl_prom_sample_u64(b, "numalens_system_numa_pages_migrated_total", NULL, NULL, NULL,
				   NULL, NULL, sys->numa_pages_migrated);
	nl_prom_family(b, "numalens_system_migrated_pages_total", "counter",
		       "Pages the kernel migrated, whole machine, by reason (mm_migrate_pages; "
		       "reasons as this kernel's enum migrate_reason names them), since numalens "
		       "started.");
	for (i = 0; sys && i < sys->nr_migrate_reasons; i++)
		nl_prom_sample_u64(b, "numalens_system_migrated_pages_total", NULL, "reason",
				   sys->migrated[i].reason, NULL, NULL, sys->migrated[i].pages);
	nl_prom_family(b, "numalens_system_numa_pte_updates_total", "counter",
		       "Page table entries NUMA balancing marked to take hinting faults "
		       "(/proc/vmstat).");
	if (vm)
		nl_prom_sample_u64(b, "numalens_system_numa_pte_updates_total", NULL, NULL, NULL,
				   NULL, NULL, sys->numa_pte_updates);
}

/* --auto-pin-verify: what the changes did, measured after each. */
static void autopin_verify_families(struct nl_buf *b, const struct nl_autopin_counters *c)
{
	char le[32];
	int i;

	nl_prom_family(b, "numalens_autopin_verifications_total", "counter",
		       "Auto-pin's changes measured over --auto-pin-verify seconds after, by "
		       "result: gain (the remote share dropped by the gain asked), no_gain, "
		       "slower (the CPU rate fell by more than allowed), gone (exited or pid "
		       "reused), undone (something else changed the affinity since).");
	for (i = NL_VERIFY_GAIN; i < NL_VERIFY_MAX; i++)
		nl_prom_sample_u64(b, "numalens_autopin_verifications_total", NULL, "result",
				   nl_verify_result_name(i), NULL, NULL, c ? c->verified[i] : 0);
	nl_prom_family(b, "numalens_autopin_rolled_back_total", "counter",
		       "Changes undone (as unpin does) because verification found no_gain or "
		       "slower.");
	nl_prom_sample_u64(b, "numalens_autopin_rolled_back_total", NULL, NULL, NULL, NULL, NULL,
			   c ? c->rolled_back : 0);
	nl_prom_family(b, "numalens_autopin_rollback_failures_total", "counter",
		       "Changes that verification said to undo and that could not be undone "
		       "(the log says why).");
	nl_prom_sample_u64(b, "numalens_autopin_rollback_failures_total", NULL, NULL, NULL, NULL,
			   NULL, c ? c->rollback_failed : 0);
	nl_prom_family(b, "numalens_autopin_remote_share_change", "histogram",
		       "The measured change of a process's remote share across an auto-pin "
		       "change (after minus before: -1 to 1; negative is better), per "
		       "verification that compared one source in both windows.");
	for (i = 0; i < NL_AUTOPIN_CHANGE_BUCKETS; i++) {
		snprintf(le, sizeof(le), "%g", nl_autopin_change_bounds[i]);
		nl_prom_sample_u64(b, "numalens_autopin_remote_share_change_bucket", NULL, "le", le,
				   NULL, NULL, c ? c->change_buckets[i] : 0);
	}
	nl_prom_sample_u64(b, "numalens_autopin_remote_share_change_bucket", NULL, "le", "+Inf",
			   NULL, NULL, c ? c->change_count : 0);
	nl_prom_sample(b, "numalens_autopin_remote_share_change_sum", NULL, NULL, NULL, NULL, NULL,
		       c ? c->change_sum : 0);
	nl_prom_sample_u64(b, "numalens_autopin_remote_share_change_count", NULL, NULL, NULL, NULL,
			   NULL, c ? c->change_count : 0);
}

/* --auto-pin: whether it is on, what it did and what held it back. */
static void autopin_families(struct nl_buf *b, const struct nl_export_host *h)
{
	static const char *const results[] = { "applied", "partial", "dry_run", "failed",
					       "refused" };
	const struct nl_autopin_counters *c = h->autopin;
	uint64_t by_result[5] = { 0 };
	size_t i;

	if (c) {
		by_result[0] = c->actions;
		by_result[1] = c->partial;
		by_result[2] = c->dry_runs;
		by_result[3] = c->failures;
		by_result[4] = c->refused;
	}
	nl_prom_family(b, "numalens_autopin_enabled", "gauge",
		       "Whether the exporter applies suggestions itself (--auto-pin): 1 or 0.");
	nl_prom_sample(b, "numalens_autopin_enabled", NULL, NULL, NULL, NULL, NULL, c ? 1 : 0);
	nl_prom_family(b, "numalens_autopin_dry_run", "gauge",
		       "Whether auto-pin only logs what it would do (--auto-pin-dry-run): 1 or 0.");
	nl_prom_sample(b, "numalens_autopin_dry_run", NULL, NULL, NULL, NULL, NULL,
		       c && h->autopin_dry_run ? 1 : 0);
	nl_prom_family(b, "numalens_autopin_actions_total", "counter",
		       "Suggestions auto-pin acted on, by result: applied, partial (threads "
		       "pinned, moving the memory failed), dry_run (logged only), failed (what "
		       "changed was undone), refused (kernel thread, pod: once per process; "
		       "EPERM, cpuset).");
	for (i = 0; i < 5; i++)
		nl_prom_sample_u64(b, "numalens_autopin_actions_total", NULL, "result", results[i],
				   NULL, NULL, by_result[i]);
	nl_prom_family(b, "numalens_autopin_held_total", "counter",
		       "Suggestions ready but not acted on: rate_limit (one action per "
		       "--auto-pin-interval; counted per refresh) or not_allowed (outside the "
		       "allowlist; counted once per process).");
	nl_prom_sample_u64(b, "numalens_autopin_held_total", NULL, "reason", "rate_limit", NULL,
			   NULL, c ? c->rate_limited : 0);
	nl_prom_sample_u64(b, "numalens_autopin_held_total", NULL, "reason", "not_allowed", NULL,
			   NULL, c ? c->not_allowed : 0);
	nl_prom_family(b, "numalens_autopin_threads_changed_total", "counter",
		       "Threads whose CPU affinity auto-pin changed.");
	nl_prom_sample_u64(b, "numalens_autopin_threads_changed_total", NULL, NULL, NULL, NULL,
			   NULL, c ? c->threads_changed : 0);
	nl_prom_family(b, "numalens_autopin_pages_not_moved_total", "counter",
		       "Pages migrate_pages(2) could not move when auto-pin moved memory.");
	nl_prom_sample_u64(b, "numalens_autopin_pages_not_moved_total", NULL, NULL, NULL, NULL,
			   NULL, c ? c->pages_not_moved : 0);
	autopin_verify_families(b, c);
}

/* The BPF side's own counters: one sample each, or one per map; the
 * families without samples when the collector gave no health. */
#define FULL_EVENTS "numalens_exporter_bpf_map_full_events_total"
#define FULL_HELP "Events the BPF programs dropped because a map was full (raise --max-procs)."
static const struct {
	const char *name, *type, *help, *map;
	size_t offset;
} health_series[] = {
	{ FULL_EVENTS, "counter", FULL_HELP, "procs", offsetof(struct nl_health, procs_full) },
	{ FULL_EVENTS, "counter", FULL_HELP, "proc_node",
	  offsetof(struct nl_health, proc_node_full) },
	{ FULL_EVENTS, "counter", FULL_HELP, "pmu_procs",
	  offsetof(struct nl_health, pmu_procs_full) },
	{ FULL_EVENTS, "counter", FULL_HELP, "pmu_matrix",
	  offsetof(struct nl_health, pmu_matrix_full) },
	{ "numalens_exporter_bpf_map_refused_updates_total", "counter",
	  "Map updates the kernel refused although the map had room (as EBUSY): their events "
	  "were dropped.",
	  NULL, offsetof(struct nl_health, map_refused) },
	{ "numalens_exporter_task_storage_failures_total", "counter",
	  "Threads whose BPF task storage could not be created.", NULL,
	  offsetof(struct nl_health, task_storage_fail) },
	{ "numalens_exporter_running_thread_moves_total", "counter",
	  "sched_migrate_task events of a thread still on a CPU: CPU time per node is not exact "
	  "on this kernel (see numalens doctor).",
	  NULL, offsetof(struct nl_health, migrate_running) },
	{ "numalens_exporter_pmu_short_reads_total", "counter",
	  "Reads of the memory samples that overlapped CPUs passing samples on, on every try: "
	  "the read may be short, the next one long, by what moved.",
	  NULL, offsetof(struct nl_health, pmu_short_reads) },
	{ "numalens_exporter_expired_processes_total", "counter",
	  "Processes removed from the BPF maps without their exit being seen.", NULL,
	  offsetof(struct nl_health, procs_expired) },
	{ "numalens_exporter_bpf_map_entries", "gauge", "Processes in the BPF procs map.", "procs",
	  offsetof(struct nl_health, procs_used) },
	{ "numalens_exporter_bpf_map_max_entries", "gauge",
	  "Capacity of the BPF procs map (--max-procs).", "procs",
	  offsetof(struct nl_health, procs_capacity) },
};

static void health_samples(struct nl_buf *b, const struct nl_health *hl)
{
	size_t i;

	for (i = 0; i < sizeof(health_series) / sizeof(*health_series); i++) {
		const char *name = health_series[i].name;

		if (!i || strcmp(name, health_series[i - 1].name))
			nl_prom_family(b, name, health_series[i].type, health_series[i].help);
		if (hl)
			nl_prom_sample_u64(
				b, name, NULL, health_series[i].map ? "map" : NULL,
				health_series[i].map, NULL, NULL,
				*(const uint64_t *)((const char *)hl + health_series[i].offset));
	}
}

static void exporter_families(struct nl_buf *b, const struct nl_export *e,
			      const struct nl_export_host *h)
{
	const struct nl_health *hl = h->health;
	size_t i;
	int id;

	nl_prom_family(b, "numalens_exporter_build_info", "gauge",
		       "The numalens version and how processes are grouped; always 1.");
	nl_prom_sample(b, "numalens_exporter_build_info", NULL, "version",
		       h->version ? h->version : "unknown", "group_by",
		       h->group_by ? h->group_by : nl_export_group_by_name(e->opts.group_by), 1);

	nl_prom_family(b, "numalens_exporter_source_active", "gauge",
		       "Whether each data source works on this machine (1) or not (0); "
		       "numalens doctor says why.");
	for (id = 0; h->sources && id < NL_SRC_MAX; id++)
		nl_prom_sample(b, "numalens_exporter_source_active", NULL, "source",
			       nl_source_name(id), "method", h->sources->src[id].method,
			       h->sources->src[id].active);

	nl_prom_family(b, "numalens_exporter_tracked_processes", "gauge",
		       "Processes in the latest refresh (the BPF maps hold --max-procs).");
	nl_prom_sample_u64(b, "numalens_exporter_tracked_processes", NULL, NULL, NULL, NULL, NULL,
			   e->tracked);
	nl_prom_family(b, "numalens_exporter_process_series", "gauge",
		       "Processes or groups with series of their own (--max-processes by "
		       "activity plus the allowlist).");
	nl_prom_sample_u64(b, "numalens_exporter_process_series", NULL, NULL, NULL, NULL, NULL,
			   e->nr_selected);
	nl_prom_family(b, "numalens_exporter_folded_processes", "gauge",
		       "Processes dropped from series of their own to bound cardinality, summed "
		       "into comm=\"other\".");
	nl_prom_sample_u64(b, "numalens_exporter_folded_processes", NULL, NULL, NULL, NULL, NULL,
			   e->folded);

	health_samples(b, hl);

	nl_prom_family(b, "numalens_exporter_bpf_program_runs_total", "counter",
		       "Runs of each BPF program, while kernel.bpf_stats_enabled is 1.");
	for (i = 0; h->bpf_stats && i < h->nr_progs; i++)
		if (h->progs[i].loaded)
			nl_prom_sample_u64(b, "numalens_exporter_bpf_program_runs_total", NULL,
					   "program", h->progs[i].name, NULL, NULL,
					   h->progs[i].run_cnt);
	nl_prom_family(b, "numalens_exporter_bpf_program_run_seconds_total", "counter",
		       "Time spent in each BPF program, while kernel.bpf_stats_enabled is 1.");
	for (i = 0; h->bpf_stats && i < h->nr_progs; i++)
		if (h->progs[i].loaded)
			nl_prom_sample(b, "numalens_exporter_bpf_program_run_seconds_total", NULL,
				       "program", h->progs[i].name, NULL, NULL,
				       h->progs[i].run_time_ns / 1e9);

	nl_prom_family(b, "numalens_exporter_bpf_program_missed_runs_total", "counter",
		       "Runs of each BPF program the kernel skipped because it was already "
		       "running on that CPU; its events are not counted.");
	for (i = 0; i < h->nr_progs; i++)
		if (h->progs[i].loaded)
			nl_prom_sample_u64(b, "numalens_exporter_bpf_program_missed_runs_total",
					   NULL, "program", h->progs[i].name, NULL, NULL,
					   h->progs[i].missed);

	nl_prom_family(b, "numalens_exporter_cgroup_reads_total", "counter",
		       "Reads of /proc/PID/cgroup.");
	nl_prom_sample_u64(b, "numalens_exporter_cgroup_reads_total", NULL, NULL, NULL, NULL, NULL,
			   e->cgroup_reads);
	autopin_families(b, h);
	nl_prom_family(b, "numalens_exporter_refreshes_total", "counter",
		       "Refreshes: BPF maps and /proc read, series updated, metrics rendered.");
	nl_prom_sample_u64(b, "numalens_exporter_refreshes_total", NULL, NULL, NULL, NULL, NULL,
			   h->refreshes);
	nl_prom_family(b, "numalens_exporter_refresh_errors_total", "counter",
		       "Refreshes that failed (the previous metrics stay served).");
	nl_prom_sample_u64(b, "numalens_exporter_refresh_errors_total", NULL, NULL, NULL, NULL,
			   NULL, h->refresh_errors);
	nl_prom_family(b, "numalens_exporter_textfile_errors_total", "counter",
		       "Failed writes of the --textfile file.");
	nl_prom_sample_u64(b, "numalens_exporter_textfile_errors_total", NULL, NULL, NULL, NULL,
			   NULL, h->textfile_errors);
	nl_prom_family(b, "numalens_exporter_last_refresh_timestamp_seconds", "gauge",
		       "When the metrics served were produced, in Unix seconds.");
	nl_prom_sample(b, "numalens_exporter_last_refresh_timestamp_seconds", NULL, NULL, NULL,
		       NULL, NULL, h->refresh_time);
	/* Last, so a reader can tell a whole file from a cut one. */
	nl_prom_family(b, "numalens_exporter_refresh_duration_seconds", "gauge",
		       "Time the previous refresh took (read the BPF maps and /proc, group, "
		       "render): what producing /metrics costs; a scrape only copies it.");
	nl_prom_sample(b, "numalens_exporter_refresh_duration_seconds", NULL, NULL, NULL, NULL,
		       NULL, h->refresh_seconds);
}

void nl_export_render(const struct nl_export *e, const struct nl_export_host *h, struct nl_buf *b)
{
	const struct nl_export_group *list_buf[1];
	const struct nl_export_group **list;
	int nodes[NL_MAX_NODES];
	struct series s;
	size_t i;
	int n;

	memset(&s, 0, sizeof(s));
	list = e->nr_selected ? calloc(e->nr_selected + 1, sizeof(*list)) : list_buf;
	if (!list) {
		b->failed = true;
		return;
	}
	for (i = 0; i < e->nr_selected; i++)
		list[i] = e->selected[i];
	list[e->nr_selected] = &e->other;
	s.list = list;
	s.nr = e->nr_selected + 1;
	s.nr_nodes = e->nr_nodes;
	for (n = 0; n < e->nr_nodes && n < NL_MAX_NODES; n++) {
		if (h->topo && !nl_node_present(h->topo, n))
			continue;
		snprintf(s.node_names[s.nr_present], sizeof(s.node_names[0]), "%d", n);
		nodes[s.nr_present++] = n;
	}
	s.nodes = nodes;

	process_families(b, &s, h);
	node_families(b, &s, h->topo);
	system_families(b, h->sys);
	nl_export_tier_families(b, h);
	nl_export_cgtier_families(b, h->cgtiers);
	exporter_families(b, e, h);
	if (list != list_buf)
		free(list);
}
