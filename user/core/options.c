// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "log.h"
#include "options.h"
#include "procfs.h"

/* Where a shared option's value goes, and as what. */
enum store {
	STORE_TRUE,	/* a flag: bool */
	STORE_UINT,	/* unsigned int */
	STORE_U64,	/* uint64_t */
	STORE_DOUBLE,	/* double */
	STORE_PMU_RATE, /* enum nl_pmu_rate, by name */
};

struct shared_option {
	struct option getopt;
	bool threshold; /* the model's, not the collector's */
	enum store store;
	size_t offset; /* in struct nl_agent_opts */
	struct nl_number_rule rule;
};

#define AT(field) offsetof(struct nl_agent_opts, field)
/* An option without a value that sets a bool. */
#define FLAG(name, val, field)                                                  \
	{                                                                       \
		.getopt = { name, no_argument, NULL, val }, .offset = AT(field) \
	}

/* The one table: the agent's options, then the thresholds. */
static const struct shared_option shared_options[] = {
	{
		.getopt = { "max-procs", required_argument, NULL, NL_OPT_MAX_PROCS },
		.store = STORE_UINT,
		.offset = AT(collect.max_procs),
		.rule = { .min = 16, .max = 1u << 22, .whole = true },
	},
	FLAG("no-fentry", NL_OPT_NO_FENTRY, collect.no_fentry),
	FLAG("no-pmu", NL_OPT_NO_PMU, collect.no_pmu),
	{
		.getopt = { "sample-period", required_argument, NULL, NL_OPT_SAMPLE_PERIOD },
		.store = STORE_U64,
		.offset = AT(collect.sample_period),
		.rule = { .min = 1, .max = 1ull << 32, .whole = true },
	},
	{
		.getopt = { "pmu-rate", required_argument, NULL, NL_OPT_PMU_RATE },
		.store = STORE_PMU_RATE,
		.offset = AT(collect.pmu_rate),
	},
	FLAG("pmu-software", NL_OPT_PMU_SOFTWARE, collect.pmu_software),
	FLAG("switch-accounting", NL_OPT_SWITCH_ACCOUNTING, collect.switch_accounting),
	{
		.getopt = { "min-remote-ratio", required_argument, NULL, NL_OPT_MIN_REMOTE_RATIO },
		.threshold = true,
		.store = STORE_DOUBLE,
		.offset = AT(model.min_remote_ratio),
		.rule = { .min = 0, .max = 1 },
	},
	{
		.getopt = { "min-rss", required_argument, NULL, NL_OPT_MIN_RSS },
		.threshold = true,
		.store = STORE_U64,
		.offset = AT(model.min_rss),
		.rule = { .what = "a size (K, M, G, T)",
			  .max = 1024.0 * 1024 * 1024 * 1024 * 1024,
			  .size = true },
	},
	{
		.getopt = { "min-cpu", required_argument, NULL, NL_OPT_MIN_CPU },
		.threshold = true,
		.store = STORE_DOUBLE,
		.offset = AT(model.min_cpu),
		.rule = { .what = "a number of CPUs", .max = 1e6 },
	},
};

#define NR_SHARED (sizeof(shared_options) / sizeof(*shared_options))

static int pmu_rate_option(const char *arg, enum nl_pmu_rate *rate)
{
	if (!strcmp(arg, "low"))
		*rate = NL_PMU_RATE_LOW;
	else if (!strcmp(arg, "normal"))
		*rate = NL_PMU_RATE_NORMAL;
	else if (!strcmp(arg, "high"))
		*rate = NL_PMU_RATE_HIGH;
	else {
		nl_usage_err("--pmu-rate must be low, normal or high, not '%s'", arg);
		return -EINVAL;
	}
	return 1;
}

int nl_shared_option(int opt, const char *arg, struct nl_agent_opts *o)
{
	const struct shared_option *s;
	char name[32];
	void *at;
	double v;

	for (s = shared_options; s < shared_options + NR_SHARED && s->getopt.val != opt; s++)
		;
	if (s == shared_options + NR_SHARED)
		return 0;
	at = (char *)o + s->offset;
	if (s->store == STORE_TRUE) {
		*(bool *)at = true;
		return 1;
	}
	if (s->store == STORE_PMU_RATE)
		return pmu_rate_option(arg, at);
	snprintf(name, sizeof(name), "--%s", s->getopt.name);
	if (nl_parse_number(arg, name, &s->rule, &v))
		return -EINVAL;
	if (s->store == STORE_UINT)
		*(unsigned int *)at = v;
	else if (s->store == STORE_U64)
		*(uint64_t *)at = v;
	else
		*(double *)at = v;
	return 1;
}

static void add_option(struct nl_cmdline *c, size_t *n, const struct option *o)
{
	/* A command with more options than room is a bug, found at once. */
	if (*n == NL_CMDLINE_MAX_OPTIONS)
		abort();
	c->longopts[(*n)++] = *o;
}

void nl_cmdline_init(struct nl_cmdline *c, const struct option *own)
{
	static const struct option everyones[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
	};
	size_t i, n = 0;

	for (; own->name; own++)
		add_option(c, &n, own);
	for (i = 0; i < sizeof(everyones) / sizeof(*everyones); i++)
		add_option(c, &n, &everyones[i]);
	for (i = 0; c->agent && i < NR_SHARED; i++)
		if (c->thresholds || !shared_options[i].threshold)
			add_option(c, &n, &shared_options[i].getopt);
	memset(&c->longopts[n], 0, sizeof(c->longopts[n]));
	snprintf(c->all_shortopts, sizeof(c->all_shortopts), "%svh", c->shortopts);
	optind = 1;
}

static int cmdline_exit(struct nl_cmdline *c, int status)
{
	c->status = status;
	return NL_CMDLINE_EXIT;
}

int nl_cmdline_next(struct nl_cmdline *c, int argc, char **argv)
{
	int opt, taken;

	while ((opt = nl_getopt(argc, argv, c->all_shortopts, c->longopts, c->cmd)) != -1) {
		if (opt == 'v') {
			nl_verbose++;
			continue;
		}
		if (opt == 'h') {
			c->usage(stdout);
			return cmdline_exit(c, NL_EXIT_OK);
		}
		if (opt == '?')
			return cmdline_exit(c, NL_EXIT_USAGE); /* said by nl_getopt */
		taken = c->agent ? nl_shared_option(opt, optarg, c->agent) : 0;
		if (taken < 0)
			return cmdline_exit(c, NL_EXIT_USAGE);
		if (!taken)
			return opt;
	}
	if (!c->args && optind < argc) {
		nl_usage_err("%s takes no arguments, not '%s'", c->cmd, argv[optind]);
		return cmdline_exit(c, NL_EXIT_USAGE);
	}
	return -1;
}

int nl_pids_exist(const uint32_t *pids, size_t nr)
{
	char path[64];
	struct stat st;
	size_t i;

	for (i = 0; i < nr; i++) {
		if (!pids[i])
			continue;
		snprintf(path, sizeof(path), "%s/%u", nl_proc_root, pids[i]);
		if (stat(path, &st)) {
			nl_err("no process with pid %u", pids[i]);
			return -ESRCH;
		}
	}
	return 0;
}
