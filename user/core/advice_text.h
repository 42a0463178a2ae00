/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An advice in words: the commands that carry it out, in every form that
 * fits the process (taskset, migratepages, numalens pin, numactl, docker,
 * podman, systemd, Kubernetes), and the sentences of its reason, which
 * advisor.c writes as it decides. Pure: no I/O.
 */
#ifndef NUMALENS_ADVICE_TEXT_H
#define NUMALENS_ADVICE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "advisor.h"
#include "cgroup.h"
#include "model.h"

/* The forms a suggestion takes. */
enum nl_form {
	NL_FORM_TASKSET,      /* taskset -a -p -c CPUS PID */
	NL_FORM_MIGRATEPAGES, /* migratepages PID FROM TO */
	NL_FORM_NUMALENS,     /* numalens pin PID --node N --apply */
	NL_FORM_NUMACTL,      /* numactl --cpunodebind --membind CMD */
	NL_FORM_DOCKER,	      /* docker update --cpuset-cpus --cpuset-mems */
	NL_FORM_PODMAN,	      /* podman update --cpuset-cpus --cpuset-mems */
	NL_FORM_SYSTEMCTL,    /* systemctl set-property --runtime UNIT AllowedCPUs= ... */
	NL_FORM_UNIT_FILE,    /* CPUAffinity= NUMAPolicy= NUMAMask= */
	NL_FORM_KUBERNETES,   /* CPU manager static + topology manager single-numa-node */
};

struct nl_command {
	enum nl_form form;
	const char *when; /* "now", "next start", "unit file", "cluster" */
	char text[512];
};

const char *nl_form_name(enum nl_form f);
/* The commands for an advice, most direct first; returns how many (<= max).
 * A command's text is one bash line with every argument quoted (shquote.h);
 * the unit file and Kubernetes forms are not commands, and hold no name
 * that would need quoting. */
size_t nl_advice_commands(const struct nl_advice *a, uint32_t pid,
			  const struct nl_proc_limits *limits, struct nl_command *out, size_t max);
#define NL_MAX_COMMANDS 8

/* ---- the reason's sentences, for advisor.c ---- */

/* A ratio as the reason says it: a whole percentage. */
int nl_percent(double ratio);
/* Appends to a->reason (cut to fit). */
void nl_advice_say(struct nl_advice *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "node 1" or "nodes 0,1" */
const char *nl_nodes_phrase(uint64_t nodes, char *buf, size_t size);
/* What the process may use in a phrase: its cpuset when limits names one,
 * else the CPUs and memory nodes allowed. */
void nl_cpuset_phrase(const struct nl_proc_limits *limits, const uint64_t *cpus, uint64_t mems,
		      char *buf, size_t size);
/* What the plan in a does and to what end, in one sentence: mem is its
 * resident bytes, mem_outside those off the target nodes, ran whether it
 * used any CPU in the window. */
void nl_advice_describe(struct nl_advice *a, double mem, uint64_t mem_outside, bool ran);
/* Why a process under the thresholds th is not flagged. */
void nl_advice_why_not_flagged(struct nl_advice *a, const struct nl_model_opts *th,
			       double cpus_used, double mem, double remote_ratio);
/* For a process with memory on slower tiers: how to keep it on top-tier
 * memory (numactl --preferred/--membind, systemd NUMAPolicy=, migratepages
 * now, weighted interleave where the kernel has it). */
void nl_advice_tier_note(struct nl_advice *a, const struct nl_proc_view *v, int nr_nodes,
			 const struct nl_topology *t);
/* The command forms its cgroup ctx made nl_advice_commands leave out, said. */
void nl_advice_note_left_out(struct nl_advice *a, const struct nl_cgroup_context *ctx);

#endif /* NUMALENS_ADVICE_TEXT_H */
