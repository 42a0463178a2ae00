// SPDX-License-Identifier: GPL-2.0
/*
 * `numalens doctor`: which data sources work on this machine, and the exact
 * reason for each one that does not; the kernel settings, privileges and
 * BPF programs behind them.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include "agent.h"
#include "cli.h"
#include "commands.h"
#include "log.h"
#include "options.h"
#include "privs.h"
#include "procfs.h"
#include "report.h"
#include "selftest.h"
#include "sysstate.h"
#include "tiering.h"

static const char *int_or_absent(bool known, int value, char *buf, size_t size)
{
	if (!known)
		return "absent";
	snprintf(buf, size, "%d", value);
	return buf;
}

static void print_environment(const struct nl_topology *topo)
{
	int numab = nl_numa_balancing_read(), paranoid;
	bool paranoid_known = !nl_sysctl_int("kernel/perf_event_paranoid", &paranoid);
	char numab_text[16], paranoid_text[16], tiers[512];
	struct nl_system sys;
	struct utsname uts;
	struct stat st;

	uname(&uts);
	printf("topology:   %d NUMA node%s, %d CPUs (from %s)%s\n", topo->nr_nodes,
	       topo->nr_nodes == 1 ? "" : "s", topo->nr_cpu_ids, topo->source,
	       topo->nr_nodes == 1 ? ": every access is local, remote ratios are 0" : "");
	printf("kernel:     %s, BTF %s, kernel.numa_balancing=%s, kernel.perf_event_paranoid=%s\n",
	       uts.release, stat("/sys/kernel/btf/vmlinux", &st) ? "missing" : "present",
	       int_or_absent(numab >= 0, numab, numab_text, sizeof(numab_text)),
	       int_or_absent(paranoid_known, paranoid, paranoid_text, sizeof(paranoid_text)));
	nl_tiers_summary(tiers, sizeof(tiers), topo);
	printf("tiers:      %s\n", tiers);
	if (!nl_system_read(&sys)) {
		struct nl_sys_finding found[NL_SF_MAX];
		int nr = nl_sys_findings(topo, NULL, &sys, found, NL_SF_MAX), i;

		for (i = 0; i < nr; i++)
			printf("finding:    %s (%s)\n", found[i].text,
			       nl_sys_finding_name(found[i].id));
	}
	printf("privileges: CAP_BPF %s, CAP_PERFMON %s, CAP_SYS_ADMIN %s, CAP_SYS_NICE %s\n",
	       nl_has_cap(CAP_BPF) ? "yes" : "no", nl_has_cap(CAP_PERFMON) ? "yes" : "no",
	       nl_has_cap(CAP_SYS_ADMIN) ? "yes" : "no", nl_has_cap(CAP_SYS_NICE) ? "yes" : "no");
}

/*
 * Per source that selftest can check, what it found on this CPU model, or
 * that it never ran here: figures nobody has checked on this CPU are
 * figures to check before trusting (PEBS and IBS differ by model). On one
 * node there is nothing remote to check them against.
 */
static void print_verified(const struct nl_sources *sources, const struct nl_topology *topo)
{
	static const enum nl_source_id order[] = { NL_SRC_PMU, NL_SRC_HINT_FAULTS,
						   NL_SRC_PLACEMENT };
	const char *path = nl_st_state_path();
	char id[96], name[128], when[32];
	struct nl_st_seen seen;
	struct tm *tm;
	bool one_node;
	size_t i;
	int err;

	nl_cpu_id_read(id, sizeof(id), name, sizeof(name));
	one_node = __builtin_popcountll(nl_used_nodes(topo)) < 2;
	printf("\nself-test on this CPU (%s)\n", id);
	for (i = 0; i < sizeof(order) / sizeof(*order); i++) {
		const struct nl_source_state *st = &sources->src[order[i]];
		const char *src = nl_source_name(order[i]);

		if (!st->active || !strcmp(st->method, "software"))
			continue;
		err = nl_st_lookup(path, id, order[i], &seen);
		if (err) {
			printf("  %-15s cannot read %s (%s): run numalens selftest\n", src, path,
			       strerror(-err));
			continue;
		}
		if (!seen.found && one_node) {
			printf("  %-15s has not been verified on this CPU, and cannot be here: one "
			       "NUMA node, no memory is remote to any CPU (numalens selftest "
			       "checks sources on two nodes or more)\n",
			       src);
			continue;
		}
		if (!seen.found) {
			printf("  %-15s has not been verified on this CPU: run numalens selftest\n",
			       src);
			continue;
		}
		tm = localtime(&seen.when); /* NULL for a time out of range */
		if (!tm || !strftime(when, sizeof(when), "%Y-%m-%d", tm))
			snprintf(when, sizeof(when), "?");
		printf("  %-15s %s on %s (Linux %s): largest error %.2f, tolerance %.2f%s\n", src,
		       seen.passed ? "passed" : "FAILED", when, seen.kernel, seen.max_error,
		       seen.tolerance,
		       seen.passed ? "" :
				     "; its figures here are not to be trusted, run numalens "
				     "selftest again and report it");
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: numalens doctor [-v] [options]\n"
		"Lists every data source, whether it works here, and why not.\n\n" NL_AGENT_OPTIONS_HELP
		"  -v, --verbose           more messages (twice: libbpf's too)\n");
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ 0 },
	};
	const struct nl_sources *sources;
	struct nl_health health;
	struct nl_prog_info progs[32];
	struct nl_agent_opts aopts;
	struct nl_cmdline cl = {
		.cmd = "numalens doctor", .shortopts = "", .agent = &aopts, .usage = usage
	};
	struct nl_agent *agent;
	const char *ratio_from;
	int id, err, opt;
	size_t i, nr;

	nl_agent_opts_default(&aopts);
	nl_cmdline_init(&cl, long_opts);
	while ((opt = nl_cmdline_next(&cl, argc, argv)) >= 0)
		; /* it has no options of its own */
	if (opt == NL_CMDLINE_EXIT)
		return cl.status;
	err = nl_agent_open(&aopts, &agent);
	if (err)
		return nl_exit_for_errno(err);
	print_environment(nl_agent_topology(agent));

	sources = nl_agent_sources(agent);
	printf("\ndata sources\n");
	for (id = 0; id < NL_SRC_MAX; id++)
		printf("  %-15s %-9s %-22s %s\n", nl_source_name(id),
		       sources->src[id].active ? "active" : "inactive", sources->src[id].method,
		       sources->src[id].reason);

	print_verified(sources, nl_agent_topology(agent));

	printf("\nBPF programs\n");
	nr = nl_agent_programs(agent, progs, 32);
	for (i = 0; i < nr; i++)
		printf("  %-22s %-32s %s\n", progs[i].name, progs[i].section,
		       progs[i].attached ? "attached" :
		       progs[i].loaded	 ? "loaded, not attached" :
					   "not loaded (see its data source)");

	if (sources->src[NL_SRC_PMU].active && strcmp(sources->src[NL_SRC_PMU].method, "software"))
		ratio_from = "hardware sampling (pmu), then hinting faults and placement";
	else if (sources->src[NL_SRC_HINT_FAULTS].active)
		ratio_from = "hinting faults where they cover most of a process's memory, else "
			     "placement; no hardware PMU is used";
	else
		ratio_from = "placement (CPU time and memory per node); no hardware PMU and no "
			     "hinting faults are used";
	printf("\nsummary: remote ratios come from %s.\n", ratio_from);
	nl_agent_health(agent, &health);
	if (health.migrate_running)
		printf("warning: the kernel moved %" PRIu64 " running threads between CPUs, which "
		       "CPU time per node does not expect: use --switch-accounting\n",
		       health.migrate_running);
	nl_agent_close(agent);
	return NL_EXIT_OK;
}
