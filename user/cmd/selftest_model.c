// SPDX-License-Identifier: GPL-2.0
/*
 * The self-test's pure half: which probes to run, each figure against its
 * known answer, the verdicts, and the text and JSON output.
 */
#include <math.h>
#include <string.h>
#include "cli.h"
#include "log.h"
#include "model.h"
#include "selftest.h"

static bool has(uint64_t mask, int n)
{
	return n >= 0 && n < 64 && (mask >> n) & 1;
}

size_t nl_st_plan(uint64_t cpu_nodes, uint64_t mem_nodes, size_t max_pairs, struct nl_st_probe *out,
		  size_t max)
{
	uint64_t all = cpu_nodes | mem_nodes, used = 0;
	int nodes[64], nr = 0, a, d, n;
	size_t pairs = 0, nr_out = 0;

	for (n = 0; n < 64; n++)
		if (has(all, n))
			nodes[nr++] = n;
	/* Distance d in node order: d = 1 makes a ring through every node. */
	for (d = 1; d < nr && pairs < max_pairs; d++)
		for (a = 0; a < nr && pairs < max_pairs && nr_out < max; a++) {
			int A = nodes[a], B = nodes[(a + d) % nr];

			if (!has(cpu_nodes, A) || !has(mem_nodes, B))
				continue;
			memset(&out[nr_out], 0, sizeof(out[nr_out]));
			out[nr_out].cpu_node = A;
			out[nr_out].mem_node = B;
			out[nr_out++].known = 1;
			used |= 1ull << A;
			pairs++;
		}
	if (!pairs)
		used = cpu_nodes;
	for (n = 0; n < 64 && nr_out < max; n++) {
		if (!has(used, n) || !has(mem_nodes, n))
			continue;
		memset(&out[nr_out], 0, sizeof(out[nr_out]));
		out[nr_out].cpu_node = n;
		out[nr_out].mem_node = n;
		out[nr_out++].known = 0;
	}
	return nr_out;
}

void nl_st_judge(struct nl_st_value *v, double known, double tolerance)
{
	if (!v->tested) {
		v->verdict = NL_ST_NOT_TESTED;
		return;
	}
	if (!v->valid) {
		v->verdict = NL_ST_NO_DATA;
		return;
	}
	v->error = fabs(v->share - known);
	/* A hair over: 0.1 read as 0.1000000001 is still within 0.1. */
	v->verdict = v->error <= tolerance + 1e-9 ? NL_ST_PASS : NL_ST_FAIL;
}

void nl_st_conclude(struct nl_st_result *r)
{
	bool probe_failed = false, mismatch = false;
	size_t i;
	int s;

	for (i = 0; i < r->nr_probes; i++)
		probe_failed |= r->probes[i].error[0] != '\0';
	for (s = 0; s < NL_ST_SOURCES; s++) {
		struct nl_st_source *src = &r->src[s];
		bool no_data = false, fail = false;

		src->verdict = NL_ST_NOT_TESTED;
		src->max_error = 0;
		src->probes = 0;
		for (i = 0; i < r->nr_probes; i++) {
			struct nl_st_probe *p = &r->probes[i];
			struct nl_st_value *v = &p->src[s];

			if (!src->testable || p->error[0])
				v->tested = false;
			nl_st_judge(v, p->known, r->tolerance);
			if (!v->tested)
				continue;
			src->probes++;
			if (v->verdict == NL_ST_NO_DATA)
				no_data = true;
			else if (v->verdict == NL_ST_FAIL)
				fail = true;
			if (v->valid && v->error > src->max_error)
				src->max_error = v->error;
		}
		if (!src->probes) {
			if (src->testable && !src->why[0])
				snprintf(src->why, sizeof(src->why), "no probe ran");
			continue;
		}
		src->verdict = fail ? NL_ST_FAIL : no_data ? NL_ST_NO_DATA : NL_ST_PASS;
		mismatch |= src->verdict != NL_ST_PASS;
	}
	/* Nothing ran on a machine with nodes to probe (no memory free for
	 * any probe): a failure, not "one node". */
	if (r->interrupted || probe_failed || (r->nr_nodes > 1 && !r->nr_probes))
		r->status = NL_EXIT_FAILURE;
	else if (mismatch)
		r->status = NL_ST_EXIT_MISMATCH;
	else if (!r->remote_tested)
		r->status = NL_ST_EXIT_UNTESTABLE;
	else
		r->status = NL_EXIT_OK;
}

const char *nl_st_verdict_name(enum nl_st_verdict v)
{
	switch (v) {
	case NL_ST_PASS:
		return "pass";
	case NL_ST_FAIL:
		return "fail";
	case NL_ST_NO_DATA:
		return "no_data";
	default:
		return "not_tested";
	}
}

/* A cell of the probe table: "0.98", "0.62 !" (out of tolerance), "none"
 * (no figure), "-" (not asked). */
static void cell(char *buf, size_t size, const struct nl_st_value *v)
{
	if (!v->tested)
		snprintf(buf, size, "-");
	else if (!v->valid)
		snprintf(buf, size, "none !");
	else
		snprintf(buf, size, "%.2f%s", v->share, v->verdict == NL_ST_FAIL ? " !" : "");
}

static const char *overall(const struct nl_st_result *r)
{
	if (r->interrupted)
		return "interrupted";
	switch (r->status) {
	case NL_EXIT_OK:
		return "pass";
	case NL_ST_EXIT_MISMATCH:
		return "fail";
	case NL_ST_EXIT_UNTESTABLE:
		return "untestable";
	default:
		return "error";
	}
}

void nl_st_text(FILE *f, const struct nl_st_result *r)
{
	static const int order[] = { NL_SRC_PMU, NL_SRC_HINT_FAULTS, NL_SRC_PLACEMENT };
	char c[3][24], size[32];
	bool latency = false;
	size_t i;
	int s;

	nl_format_bytes(r->size_bytes, size, sizeof(size));
	fprintf(f, "numalens selftest: %d NUMA node%s, CPU %s%s%s%s, Linux %s\n", r->nr_nodes,
		r->nr_nodes == 1 ? "" : "s", r->cpu_id, r->cpu_name[0] ? " (" : "", r->cpu_name,
		r->cpu_name[0] ? ")" : "", r->kernel);
	fprintf(f, "probes: one thread streaming over %s, %.1f s each; tolerance %.2f\n\n", size,
		r->duration_s, r->tolerance);
	fprintf(f, "%-18s %-6s %-11s %-11s %s\n", "probe (cpu -> mem)", "known", "pmu",
		"hint_faults", "placement");
	for (i = 0; i < r->nr_probes; i++) {
		const struct nl_st_probe *p = &r->probes[i];
		char name[32];

		snprintf(name, sizeof(name), "node %d -> %d", p->cpu_node, p->mem_node);
		if (p->error[0]) {
			fprintf(f, "%-18s %-6.0f did not run: %s\n", name, p->known, p->error);
			continue;
		}
		for (s = 0; s < 3; s++)
			cell(c[s], sizeof(c[s]), &p->src[order[s]]);
		fprintf(f, "%-18s %-6.0f %-11s %-11s %s\n", name, p->known, c[0], c[1], c[2]);
		latency |= p->src[NL_SRC_PMU].latency_valid;
	}
	if (latency) {
		fprintf(f, "\nlatency (pmu: mean sample weight of the probe's memory samples)\n");
		for (i = 0; i < r->nr_probes; i++) {
			const struct nl_st_value *v = &r->probes[i].src[NL_SRC_PMU];

			if (v->latency_valid)
				fprintf(f, "  node %d -> %d  %.0f cycles (%llu samples)\n",
					r->probes[i].cpu_node, r->probes[i].mem_node, v->latency,
					(unsigned long long)v->samples);
		}
	}
	fprintf(f, "\nsources\n");
	for (s = 0; s < 3; s++) {
		const struct nl_st_source *src = &r->src[order[s]];

		fprintf(f, "  %-12s %-11s ", nl_source_name(order[s]),
			nl_st_verdict_name(src->verdict));
		if (src->verdict == NL_ST_NOT_TESTED)
			fprintf(f, "%s\n", src->why);
		else if (src->verdict == NL_ST_NO_DATA)
			fprintf(f, "no figure for some probes (%s, %d probe%s)\n", src->method,
				src->probes, src->probes == 1 ? "" : "s");
		else
			fprintf(f, "largest error %.2f over %d probe%s (%s)\n", src->max_error,
				src->probes, src->probes == 1 ? "" : "s", src->method);
	}
	if (r->untested[0])
		fprintf(f, "\ncannot test here: %s\n", r->untested);
	fprintf(f, "\nverdict: %s", overall(r));
	switch (r->status) {
	case NL_EXIT_OK:
		fprintf(f, ": every source tested is within %.2f of the known shares\n",
			r->tolerance);
		break;
	case NL_ST_EXIT_MISMATCH:
		fprintf(f, ": a source is off by more than %.2f, or gave no figure (marked !)\n",
			r->tolerance);
		break;
	case NL_ST_EXIT_UNTESTABLE:
		fprintf(f, ": no remote memory to probe; what ran was within %.2f\n", r->tolerance);
		break;
	default:
		fprintf(f, "%s\n", r->interrupted ? "" : ": a probe did not run");
	}
}

static json_object *value_json(const struct nl_st_value *v)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "verdict",
			       json_object_new_string(nl_st_verdict_name(v->verdict)));
	json_object_object_add(o, "remote_share",
			       v->valid ? json_object_new_double(v->share) : NULL);
	json_object_object_add(o, "error", v->valid ? json_object_new_double(v->error) : NULL);
	json_object_object_add(o, "samples", json_object_new_int64(v->samples));
	if (v->latency_valid)
		json_object_object_add(o, "latency_cycles", json_object_new_double(v->latency));
	return o;
}

json_object *nl_st_json(const struct nl_st_result *r)
{
	json_object *doc = json_object_new_object(), *probes = json_object_new_array();
	json_object *sources = json_object_new_object(), *cpu = json_object_new_object();
	size_t i;
	int s;

	json_object_object_add(cpu, "id", json_object_new_string(r->cpu_id));
	json_object_object_add(cpu, "model_name", json_object_new_string(r->cpu_name));
	json_object_object_add(doc, "cpu", cpu);
	json_object_object_add(doc, "kernel", json_object_new_string(r->kernel));
	json_object_object_add(doc, "nodes", json_object_new_int(r->nr_nodes));
	json_object_object_add(doc, "tolerance", json_object_new_double(r->tolerance));
	json_object_object_add(doc, "duration_seconds", json_object_new_double(r->duration_s));
	json_object_object_add(doc, "size_bytes", json_object_new_int64(r->size_bytes));
	for (i = 0; i < r->nr_probes; i++) {
		const struct nl_st_probe *p = &r->probes[i];
		json_object *o = json_object_new_object(), *ps = json_object_new_object();

		json_object_object_add(o, "cpu_node", json_object_new_int(p->cpu_node));
		json_object_object_add(o, "mem_node", json_object_new_int(p->mem_node));
		json_object_object_add(o, "known_remote_share", json_object_new_double(p->known));
		json_object_object_add(o, "ran", json_object_new_boolean(!p->error[0]));
		if (p->error[0]) {
			json_object_object_add(o, "error", json_object_new_string(p->error));
			json_object_array_add(probes, o);
			continue;
		}
		json_object_object_add(o, "pid", json_object_new_int(p->pid));
		json_object_object_add(o, "memory_on_mem_node",
				       json_object_new_double(p->mem_on_node));
		json_object_object_add(o, "cpu_seconds", json_object_new_double(p->cpu_s));
		for (s = 0; s < NL_ST_SOURCES; s++)
			if (p->src[s].tested)
				json_object_object_add(ps, nl_source_name(s),
						       value_json(&p->src[s]));
		json_object_object_add(o, "sources", ps);
		json_object_array_add(probes, o);
	}
	json_object_object_add(doc, "probes", probes);
	for (s = 0; s < NL_ST_SOURCES; s++) {
		const struct nl_st_source *src = &r->src[s];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "active", json_object_new_boolean(src->active));
		json_object_object_add(o, "method", json_object_new_string(src->method));
		json_object_object_add(o, "verdict",
				       json_object_new_string(nl_st_verdict_name(src->verdict)));
		json_object_object_add(o, "probes", json_object_new_int(src->probes));
		json_object_object_add(o, "max_error",
				       src->probes ? json_object_new_double(src->max_error) : NULL);
		if (src->why[0])
			json_object_object_add(o, "why_not_tested",
					       json_object_new_string(src->why));
		json_object_object_add(sources, nl_source_name(s), o);
	}
	json_object_object_add(doc, "sources", sources);
	json_object_object_add(doc, "remote_tested", json_object_new_boolean(r->remote_tested));
	json_object_object_add(doc, "cannot_test",
			       r->untested[0] ? json_object_new_string(r->untested) : NULL);
	json_object_object_add(doc, "verdict", json_object_new_string(overall(r)));
	json_object_object_add(doc, "exit_status", json_object_new_int(r->status));
	return doc;
}
