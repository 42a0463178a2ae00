/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The options every front end shares, in one table handled in one place:
 * the agent's data-source options (--no-pmu, --max-procs...) and the
 * model's thresholds (--min-remote-ratio...). A command appends them to its
 * own options and reads its command line with nl_cmdline_next, which takes
 * the shared ones into its nl_agent_opts and returns only its own.
 */
#ifndef NUMALENS_OPTIONS_H
#define NUMALENS_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include "agent.h"

/* getopt_long values of the shared options: above every short option. */
enum {
	NL_OPT_MAX_PROCS = 0x100,
	NL_OPT_NO_FENTRY,
	NL_OPT_NO_PMU,
	NL_OPT_SAMPLE_PERIOD,
	NL_OPT_PMU_RATE,
	NL_OPT_PMU_SOFTWARE,
	NL_OPT_SWITCH_ACCOUNTING,
	NL_OPT_MIN_REMOTE_RATIO,
	NL_OPT_MIN_RSS,
	NL_OPT_MIN_CPU,
};

/* clang-format off */
#define NL_AGENT_OPTIONS_HELP                                                                    \
	"      --max-procs N       processes the BPF maps track (default 8192)\n"                   \
	"      --no-fentry         read hinting faults from the kernel's snapshot only\n"           \
	"      --no-pmu            no hardware memory sampling (PEBS, IBS)\n"                       \
	"      --pmu-rate RATE     sampling rate: low, normal (default) or high\n"                  \
	"      --sample-period N   one sample every N events (overrides --pmu-rate)\n"            \
	"      --pmu-software      sample page faults instead of a PMU: checks the sampling\n"     \
	"                          path on a machine without one (no memory levels result)\n"     \
	"      --switch-accounting also credit CPU time at every context switch, as kernels\n"     \
	"                          with proxy execution need (costs more; for comparison)\n"

#define NL_THRESHOLD_OPTIONS_HELP                                                            \
	"      --min-remote-ratio R\n"                                                       \
	"                          flag processes from this remote share up (default 0.3)\n" \
	"      --min-rss SIZE      ... resident at least SIZE (default 4M; K, M, G)\n"       \
	"      --min-cpu CPUS      ... busy at least CPUS on average (default 0.05)\n"
/* clang-format on */

/* Handles one shared option: 1 taken (into o, the thresholds into
 * o->model), 0 not one of them, -EINVAL a bad value (said in one line). */
int nl_shared_option(int opt, const char *arg, struct nl_agent_opts *o);

#define NL_CMDLINE_MAX_OPTIONS 48

/* What nl_cmdline_next returns when the command is to exit at once with
 * status: after --help (0), or a usage error said in one line (2). */
#define NL_CMDLINE_EXIT (-2)

struct nl_cmdline {
	const char *cmd;	     /* "numalens diagnose": errors point at its --help */
	const char *shortopts;	     /* its own, without ':'; -v and -h are everyone's */
	struct nl_agent_opts *agent; /* where the shared options go; NULL: none taken */
	bool thresholds;	     /* it takes the thresholds too, not only the agent's */
	bool args;		     /* it takes arguments after its options */
	void (*usage)(FILE *f);	     /* its --help */
	int status;		     /* with NL_CMDLINE_EXIT */
	/* set by nl_cmdline_init */
	char all_shortopts[64];
	struct option longopts[NL_CMDLINE_MAX_OPTIONS + 1];
};

/* The command's own long options (ending with { 0 }), then the shared
 * ones; starts the scan at argv[1]. */
void nl_cmdline_init(struct nl_cmdline *c, const struct option *own);
/* As getopt_long, the next of the command's own options, or -1 after the
 * last (then optind is at its arguments, if it takes any). Taken on the
 * way: the shared options, -v (nl_verbose) and -h (its usage, then
 * NL_CMDLINE_EXIT); a bad option or value, or an argument where it takes
 * none, is said in one line and gives NL_CMDLINE_EXIT. */
int nl_cmdline_next(struct nl_cmdline *c, int argc, char **argv);

/* 0 when every pid (0 excepted: a slot not used yet) is a process now;
 * else says "no process with pid N" for the first that is not and returns
 * -ESRCH. For the --pid options of the front ends. */
int nl_pids_exist(const uint32_t *pids, size_t nr);

#endif /* NUMALENS_OPTIONS_H */
