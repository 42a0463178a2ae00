// SPDX-License-Identifier: GPL-2.0
/*
 * `numalens doctor`: which data sources work on this machine, and the exact
 * reason for each one that does not.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collect.h"
#include "commands.h"
#include "log.h"

int cmd_doctor(int argc, char **argv)
{
	struct nl_collect_opts copts = { .max_procs = NL_DEFAULT_MAX_PROCS };
	struct nl_collector *collector = NULL;
	struct nl_sources sources = { 0 };
	struct nl_topology *topo;
	int id, err, opt;

	optind = 1;
	while ((opt = getopt(argc, argv, "vh")) != -1) {
		if (opt == 'v') {
			nl_verbose++;
			continue;
		}
		fprintf(opt == 'h' ? stdout : stderr,
			"Usage: numalens doctor [-v]\n"
			"Lists every data source, whether it works here, and why not.\n");
		return opt == 'h' ? NL_EXIT_OK : NL_EXIT_USAGE;
	}
	topo = calloc(1, sizeof(*topo));
	if (!topo)
		return NL_EXIT_FAILURE;
	err = nl_topology_load(topo);
	if (err) {
		nl_err("cannot read the NUMA topology: %s", strerror(-err));
		free(topo);
		return NL_EXIT_FAILURE;
	}
	printf("topology: %d NUMA node%s, %d CPUs (from %s)%s\n", topo->nr_nodes,
	       topo->nr_nodes == 1 ? "" : "s", topo->nr_cpu_ids, topo->source,
	       topo->nr_nodes == 1 ? ": every access is local, remote ratios are 0" : "");
	err = nl_collector_open(topo, &copts, &sources, &collector);
	nl_collector_free(collector);
	free(topo);
	if (err)
		return nl_exit_for_errno(err);
	for (id = 0; id < NL_SRC_MAX; id++)
		printf("%-15s %-9s %-22s %s\n", nl_source_name(id),
		       sources.src[id].active ? "active" : "inactive", sources.src[id].method,
		       sources.src[id].reason);
	return NL_EXIT_OK;
}
