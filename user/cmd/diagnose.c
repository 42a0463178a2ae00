// SPDX-License-Identifier: GPL-2.0
/*
 * `numalens diagnose`: watch for a while, then report which processes
 * access remote memory, how much, from which source, and why.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "agent.h"
#include "cli.h"
#include "commands.h"
#include "log.h"
#include "options.h"
#include "pin_status.h"
#include "procfs.h"
#include "report.h"

#define MAX_PIDS 64

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: numalens diagnose [--duration SECONDS] [--pid PID]... [--top N] [--json]\n"
		"\n"
		"Watches the machine for SECONDS (default 5), then reports which processes\n"
		"access memory on other NUMA nodes, how much, where that figure comes from,\n"
		"and on which node each would run best.\n"
		"\n"
		"  -d, --duration SECONDS  how long to watch (default 5; Ctrl-C ends early)\n"
		"  -p, --pid PID           report this process, even when idle (repeatable)\n"
		"  -n, --top N             list the N processes with most remote traffic (default 10)\n"
		"  -j, --json              print one JSON document instead of text\n" NL_AGENT_OPTIONS_HELP
			NL_THRESHOLD_OPTIONS_HELP
		"  -v, --verbose           more messages (twice: libbpf's too)\n"
		"\n"
		"Exit status: 0 done, 2 bad usage, 3 missing privileges, 4 kernel lacks BTF or a\n"
		"needed tracepoint, 5 no such process, 1 other failures.\n"
		"\n"
		"Examples:\n"
		"  numalens diagnose                     # the whole machine, 5 seconds\n"
		"  numalens diagnose -d 30 --pid 1234    # one process, 30 seconds\n"
		"  numalens diagnose --json | jq '.processes[0]'\n");
}

/* The last change of each process the report lists, from its pin record:
 * into o, the records in *pins (the caller frees them); how many. */
static size_t load_pins(const struct nl_snapshot *snap, struct nl_report_opts *o,
			struct nl_pin_record **pins)
{
	const struct nl_proc_view **list = calloc(snap->nr ? snap->nr : 1, sizeof(*list));
	time_t now = time(NULL);
	size_t nr;

	*pins = NULL;
	nr = list ? nl_report_select(snap, o, list, snap->nr) : 0;
	if (nr)
		*pins = calloc(nr, sizeof(**pins));
	o->pins = *pins;
	o->nr_pins = *pins ? nl_pin_changes_of(list, nr, *pins) : 0;
	o->now = now > 0 ? (uint64_t)now : 0;
	free(list);
	return o->nr_pins;
}

int cmd_diagnose(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "top", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	struct nl_report_opts ropts = { .top = 10 };
	struct nl_agent *agent = NULL;
	struct nl_snapshot snap = { 0 };
	struct nl_agent_opts aopts;
	struct nl_cmdline cl = {
		.cmd = "numalens diagnose",
		.shortopts = "d:p:n:j",
		.usage = usage,
		.agent = &aopts,
		.thresholds = true,
	};
	double duration = 5;
	uint32_t pids[MAX_PIDS];
	struct nl_pin_record *pins = NULL;
	size_t nr_pids = 0, nr_pins = 0, i;
	unsigned long value;
	int pid;
	bool json = false;
	int opt, err, ret = NL_EXIT_FAILURE;

	nl_agent_opts_default(&aopts);
	nl_cmdline_init(&cl, long_opts);
	while ((opt = nl_cmdline_next(&cl, argc, argv)) >= 0) {
		switch (opt) {
		case 'd':
			if (nl_parse_duration(optarg, "--duration", 86400, &duration))
				return NL_EXIT_USAGE;
			break;
		case 'p':
			if (nl_parse_pid(optarg, "--pid", &pid))
				return NL_EXIT_USAGE;
			if (nr_pids == MAX_PIDS) {
				nl_usage_err("at most %d --pid options", MAX_PIDS);
				return NL_EXIT_USAGE;
			}
			pids[nr_pids++] = pid;
			break;
		case 'n':
			if (nl_parse_uint(optarg, "--top", 0, 100000, &value))
				return NL_EXIT_USAGE;
			ropts.top = value;
			break;
		case 'j':
			json = true;
			break;
		}
	}
	if (opt == NL_CMDLINE_EXIT)
		return cl.status;
	if (nl_pids_exist(pids, nr_pids))
		return NL_EXIT_NO_PID;
	ropts.pids = nr_pids ? pids : NULL;
	ropts.nr_pids = nr_pids;
	ropts.width = nl_output_width();

	aopts.pids = pids;
	aopts.nr_pids = nr_pids;
	/* A diagnosis reads memory once, at the end: give it the whole budget. */
	aopts.mem_max_age_s = 0;
	nl_report_advice_step(&ropts, &aopts.advice);
	/* The tier movement of the listed processes' cgroups. */
	aopts.cgroup_tiers = true;
	aopts.flush_vmstat = true;

	err = nl_agent_open(&aopts, &agent);
	if (err)
		return nl_exit_for_errno(err);
	nl_stop_on_signals();
	/* On stderr, JSON or not: scripts can tell when the window opens. */
	fprintf(stderr, "numalens: watching for %.1f s...\n", duration);
	nl_sleep_until(nl_monotonic_s() + duration, &nl_stop);
	err = nl_agent_refresh(agent, &snap);
	if (err)
		goto out;
	for (i = 0; i < nr_pids; i++)
		if (!nl_snapshot_find(&snap, pids[i]))
			nl_warn("pid %u: no data (a kernel thread, or it exited before the first read)",
				pids[i]);
	nr_pins = load_pins(&snap, &ropts, &pins);

	if (json) {
		json_object *doc = nl_report_json(&snap, &ropts);

		if (printf("%s\n", json_object_to_json_string_ext(
					   doc, JSON_C_TO_STRING_PRETTY |
							JSON_C_TO_STRING_NOSLASHESCAPE)) < 0) {
			nl_err("cannot write the report: %s", strerror(errno));
			ret = NL_EXIT_FAILURE;
			json_object_put(doc);
			goto out;
		}
		json_object_put(doc);
	} else {
		nl_report_text(stdout, &snap, &ropts);
	}
	/* Out before the programs are detached, which can take seconds on a
	 * busy machine: a run stopped meanwhile still leaves its report.
	 * main() checks that it was written. */
	fflush(stdout);
	ret = NL_EXIT_OK;
out:
	for (i = 0; i < nr_pins; i++)
		nl_pin_record_free(&pins[i]);
	free(pins);
	nl_snapshot_free(&snap);
	nl_agent_close(agent);
	return ret;
}
