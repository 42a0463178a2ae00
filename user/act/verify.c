// SPDX-License-Identifier: GPL-2.0
/*
 * The verify decision (verify.h): pure, so each case is a unit test. The
 * remote share is compared from one source measured in both windows: the
 * one the window before used when it still measures, since hinting faults
 * stop once balancing leaves a pinned process alone, else the first the
 * model prefers that measured both.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "model.h"
#include "verify.h"

void nl_verify_opts_default(struct nl_verify_opts *o)
{
	o->min_gain = 0.2; /* the advisor's default gain for a plan */
	o->max_slowdown = 0.1;
}

void nl_verify_sample_of(const struct nl_snapshot *snap, const struct nl_proc_view *v,
			 uint64_t target_nodes, struct nl_verify_sample *s)
{
	uint64_t samples;
	int n;

	memset(s, 0, sizeof(*s));
	if (!v || v->exited)
		return;
	s->seen = true;
	s->cpu_rate = snap->window_s > 0 ? v->cpu_s / snap->window_s : 0;
	s->source = v->source;
	s->ratio[NL_SRC_PMU] = v->pmu_ratio;
	s->ratio[NL_SRC_HINT_FAULTS] = v->hint;
	s->ratio[NL_SRC_PLACEMENT] = v->placement;
	s->mem_known = v->mem_known;
	for (n = 0; v->mem_known && n < snap->nr_nodes && n < 64; n++)
		if (target_nodes >> n & 1)
			s->target_bytes += v->node[n].mem_bytes;
	samples = v->pmu.mem_local + v->pmu.mem_remote;
	s->lat_valid = v->pmu_ratio.valid && samples;
	if (s->lat_valid)
		s->latency = (double)(v->pmu.weight_local + v->pmu.weight_remote) / samples;
}

/* What stands behind a source's share in one window. */
static double evidence(const struct nl_proc_view *v, int src, int nr_nodes)
{
	switch (src) {
	case NL_SRC_PMU:
		return (double)(v->pmu.mem_local + v->pmu.mem_remote);
	case NL_SRC_HINT_FAULTS:
		return (double)nl_hint_pages(v, nr_nodes);
	default:
		return v->cpu_s;
	}
}

void nl_verify_accum_add(struct nl_verify_accum *acc, const struct nl_snapshot *snap,
			 const struct nl_proc_view *v, uint64_t target_nodes)
{
	struct nl_verify_sample s;
	int i;

	acc->refreshes++;
	if (!v || v->exited) {
		acc->gone = true;
		return;
	}
	nl_verify_sample_of(snap, v, target_nodes, &s);
	acc->window_s += snap->window_s;
	acc->cpu_s += v->cpu_s;
	for (i = 0; i < NL_VERIFY_SOURCES; i++) {
		double w = evidence(v, i, snap->nr_nodes);

		if (!s.ratio[i].valid || w <= 0)
			continue;
		acc->weight[i] += w;
		acc->weighted[i] += w * s.ratio[i].value;
	}
	acc->source = s.source;
	acc->mem_known = s.mem_known;
	acc->target_bytes = s.target_bytes;
	acc->lat_samples += v->pmu.mem_local + v->pmu.mem_remote;
	acc->lat_weight += v->pmu.weight_local + v->pmu.weight_remote;
}

void nl_verify_accum_sample(const struct nl_verify_accum *acc, struct nl_verify_sample *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	if (acc->gone || !acc->refreshes)
		return;
	s->seen = true;
	s->cpu_rate = acc->window_s > 0 ? acc->cpu_s / acc->window_s : 0;
	s->source = acc->source;
	for (i = 0; i < NL_VERIFY_SOURCES; i++) {
		s->ratio[i].valid = acc->weight[i] > 0;
		if (s->ratio[i].valid)
			s->ratio[i].value = acc->weighted[i] / acc->weight[i];
	}
	s->mem_known = acc->mem_known;
	s->target_bytes = acc->target_bytes;
	s->lat_valid = s->ratio[NL_SRC_PMU].valid && acc->lat_samples;
	if (s->lat_valid)
		s->latency = (double)acc->lat_weight / acc->lat_samples;
}

/* The source both windows measured: the one before used, else the first. */
static bool common_source(const struct nl_verify_sample *b, const struct nl_verify_sample *a,
			  enum nl_source_id *src)
{
	int i;

	if (b->source < NL_VERIFY_SOURCES && b->ratio[b->source].valid &&
	    a->ratio[b->source].valid) {
		*src = b->source;
		return true;
	}
	for (i = 0; i < NL_VERIFY_SOURCES; i++)
		if (b->ratio[i].valid && a->ratio[i].valid) {
			*src = i;
			return true;
		}
	return false;
}

void nl_verify_decide(const struct nl_verify_input *in, const struct nl_verify_opts *o,
		      struct nl_verify_outcome *out)
{
	const struct nl_verify_sample *b = in->before, *a = in->after;
	double slowdown;

	memset(out, 0, sizeof(*out));
	out->compared = a->seen && common_source(b, a, &out->source);
	if (out->compared) {
		out->source_changed = out->source != b->source;
		out->remote_before = b->ratio[out->source].value;
		out->remote_after = a->ratio[out->source].value;
	}
	if (!in->start_end || in->start_end != in->start || !a->seen) {
		out->result = NL_VERIFY_GONE;
		snprintf(out->reason, sizeof(out->reason), "pid %d %s during the window", in->pid,
			 in->start_end && in->start_end != in->start ? "names another process" :
								       "exited");
		return;
	}
	if (in->threads_off) {
		out->result = NL_VERIFY_UNDONE;
		snprintf(out->reason, sizeof(out->reason),
			 "%d thread%s no longer on the CPUs pin set: something else changed the "
			 "affinity",
			 in->threads_off, in->threads_off == 1 ? "" : "s");
		return;
	}
	slowdown = b->cpu_rate > 0 ? (b->cpu_rate - a->cpu_rate) / b->cpu_rate : 0;
	if (slowdown > o->max_slowdown) {
		out->result = NL_VERIFY_SLOWER;
		snprintf(out->reason, sizeof(out->reason),
			 "its CPU rate fell by %.0f%%, more than the %.0f%% allowed",
			 slowdown * 100, o->max_slowdown * 100);
		return;
	}
	if (!out->compared) {
		out->result = NL_VERIFY_NO_GAIN;
		snprintf(out->reason, sizeof(out->reason),
			 "no source measured the remote share in both windows");
		return;
	}
	/* The epsilon keeps a drop of exactly the gain a gain, as the advisor does. */
	out->result = out->remote_before - out->remote_after >= o->min_gain - 1e-9 ?
			      NL_VERIFY_GAIN :
			      NL_VERIFY_NO_GAIN;
	snprintf(out->reason, sizeof(out->reason), "the remote share went from %.2f to %.2f (%s)%s",
		 out->remote_before, out->remote_after, nl_source_name(out->source),
		 out->result == NL_VERIFY_GAIN ? "" : ": less of a drop than the gain asked");
}

int nl_verify_run(const struct nl_verify_hooks *h, double seconds, struct nl_verify_input *in,
		  struct nl_verify_sample *after, const struct nl_verify_opts *o,
		  struct nl_verify_outcome *out)
{
	int err = h->measure(in->pid, seconds, after, h->ctx);

	if (err && err != -ESRCH)
		return err;
	if (err)
		memset(after, 0, sizeof(*after));
	in->after = after;
	in->threads_off = 0;
	err = h->state(in->pid, &in->start_end, &in->threads_off, h->ctx);
	if (err == -ESRCH)
		in->start_end = 0;
	else if (err)
		return err;
	nl_verify_decide(in, o, out);
	return 0;
}

static uint64_t micro(double v)
{
	return v > 0 ? (uint64_t)llround(v * 1e6) : 0;
}

void nl_verify_to_record(const struct nl_verify_input *in, const struct nl_verify_outcome *out,
			 double seconds, struct nl_pin_verified *rec)
{
	const struct nl_verify_sample *b = in->before, *a = in->after;

	memset(rec, 0, sizeof(*rec));
	rec->result = out->result;
	rec->window_ms = seconds * 1000 >= 1 ? (uint64_t)llround(seconds * 1000) : 1;
	if (out->compared && out->result != NL_VERIFY_GONE) {
		rec->has_remote = true;
		rec->source = out->source;
		rec->remote_ppm[0] = micro(out->remote_before);
		rec->remote_ppm[1] = micro(out->remote_after);
	}
	/* Of a process that is gone, what was seen after is not its own. */
	if (out->result == NL_VERIFY_GONE)
		return;
	rec->has_cpu = true;
	rec->cpu_micro[0] = micro(b->cpu_rate);
	rec->cpu_micro[1] = micro(a->cpu_rate);
	rec->has_memory = b->mem_known && a->mem_known;
	if (rec->has_memory) {
		rec->target_bytes[0] = b->target_bytes;
		rec->target_bytes[1] = a->target_bytes;
	}
	rec->has_latency = b->lat_valid && a->lat_valid;
	if (rec->has_latency) {
		rec->latency[0] = (uint64_t)llround(b->latency);
		rec->latency[1] = (uint64_t)llround(a->latency);
	}
}
