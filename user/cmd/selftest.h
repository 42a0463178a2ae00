/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `numalens selftest`: probes with a known answer (a process on node A's
 * CPUs streaming over memory bound to node B: remote share 1, or to A: 0),
 * measured by every active data source, each judged against the answer.
 * The plan, the verdicts and the output are pure functions over
 * struct nl_st_result (unit-tested); selftest.c runs the probes, and
 * selftest_state.c keeps what was verified per CPU model for doctor.
 */
#ifndef NUMALENS_SELFTEST_H
#define NUMALENS_SELFTEST_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "sources.h"

/* The sources with a remote share to check: pmu, hint_faults, placement
 * (the first three of enum nl_source_id). */
#define NL_ST_SOURCES (NL_SRC_PLACEMENT + 1)
#define NL_ST_MAX_PROBES 128
/* Default tolerance on a remote share; see selftest.c for the measurements. */
#define NL_ST_TOLERANCE 0.1

enum nl_st_verdict {
	NL_ST_NOT_TESTED, /* inactive, or it cannot measure a probe here */
	NL_ST_PASS,	  /* every probe within the tolerance */
	NL_ST_FAIL,	  /* a probe outside it */
	NL_ST_NO_DATA,	  /* active, but a probe gave it no figure */
};

/* One source's figure for one probe. */
struct nl_st_value {
	bool tested; /* the source was asked for this probe */
	bool valid;  /* it gave a remote share */
	double share;
	uint64_t samples; /* pmu: memory samples; hint_faults: fault pages */
	double latency;	  /* pmu: mean sample weight (cycles) of its memory samples */
	bool latency_valid;
	double error; /* |share - known| */
	enum nl_st_verdict verdict;
};

struct nl_st_probe {
	int cpu_node, mem_node;
	double known; /* 1 remote, 0 local */
	int pid;
	double mem_on_node;    /* share of its buffer the kernel put on mem_node */
	bool balancing_policy; /* MPOL_F_NUMA_BALANCING took: hinting faults happen */
	double cpu_s;	       /* CPU time in the window */
	char error[200];       /* it could not run: why (empty when it ran) */
	struct nl_st_value src[NL_ST_SOURCES];
};

struct nl_st_source {
	bool active;
	bool testable; /* active, and able to measure the probes here */
	char method[32];
	char why[240]; /* not tested: why; else empty */
	enum nl_st_verdict verdict;
	double max_error;
	int probes; /* probes it measured */
};

struct nl_st_result {
	char cpu_id[96];    /* "GenuineIntel family 6 model 85" */
	char cpu_name[128]; /* model name */
	char kernel[65];
	int nr_nodes;
	double tolerance, duration_s;
	uint64_t size_bytes;
	struct nl_st_probe probes[NL_ST_MAX_PROBES];
	size_t nr_probes;
	struct nl_st_source src[NL_ST_SOURCES];
	bool remote_tested; /* at least one probe with A != B ran */
	char untested[400]; /* what this machine cannot test (one node, ...) */
	bool interrupted;
	int status; /* set by nl_st_conclude */
};

/* Exit statuses of selftest besides those of every command (log.h). */
#define NL_ST_EXIT_MISMATCH 8	/* a source outside the tolerance, or without a figure */
#define NL_ST_EXIT_UNTESTABLE 9 /* no two nodes to probe: what ran passed */

/*
 * The probes: ordered pairs (A, B), A a node with CPUs, B another with
 * memory, at most max_pairs of them, in node-id order (A with A+1 first) so that
 * every node is an A and a B before any repeats; then (A, A) for every A
 * used (every node with CPUs and memory when there is no pair). Returns
 * how many, at most max.
 */
size_t nl_st_plan(uint64_t cpu_nodes, uint64_t mem_nodes, size_t max_pairs, struct nl_st_probe *out,
		  size_t max);

/* One figure against the known share: fills error and verdict. */
void nl_st_judge(struct nl_st_value *v, double known, double tolerance);
/* Verdicts per probe and per source, and r->status. */
void nl_st_conclude(struct nl_st_result *r);

const char *nl_st_verdict_name(enum nl_st_verdict v);
void nl_st_text(FILE *f, const struct nl_st_result *r);
json_object *nl_st_json(const struct nl_st_result *r);

/* The CPU model from /proc/cpuinfo's text: vendor, family and model (x86),
 * or implementer and part (arm64); "unknown" otherwise. */
void nl_cpu_id_parse(const char *cpuinfo, char *id, size_t id_size, char *name, size_t name_size);
/* Of this machine. */
void nl_cpu_id_read(char *id, size_t id_size, char *name, size_t name_size);

/* What a past selftest found for one source on one CPU model. */
struct nl_st_seen {
	bool found;
	bool passed;
	time_t when;
	double max_error, tolerance;
	char kernel[65];
};

/* The state file: $NUMALENS_SELFTEST_FILE, else /var/lib/numalens/selftest.json. */
const char *nl_st_state_path(void);
/* Records r's tested sources under its CPU model (others' kept). 0 or a
 * negative errno, said in msg. */
int nl_st_record(const char *path, const struct nl_st_result *r, time_t now, char *msg,
		 size_t size);
/* What the file says of source on cpu_id; out->found false when nothing
 * (no file, no entry). 0, or a negative errno for a file that is unreadable
 * or not JSON. */
int nl_st_lookup(const char *path, const char *cpu_id, enum nl_source_id source,
		 struct nl_st_seen *out);

/* The probe itself, in its own process (numalens selftest-probe). */
int cmd_selftest_probe(int argc, char **argv);

#endif /* NUMALENS_SELFTEST_H */
