// SPDX-License-Identifier: GPL-2.0
/*
 * The advisor. For a flagged process it weighs two moves:
 *
 *  - affinity: run the threads on the node whose CPUs are closest to the
 *    memory (least mean distance, by the distance matrix). Nothing is
 *    copied, so it is preferred whenever it leaves the process mostly local
 *    and the node has the CPU headroom;
 *  - migration: move the pages to a node the threads are then held on,
 *    the one that needs the fewest bytes moved and has them free.
 *
 * Affinity that leaves much memory remote loses to a migration that fits;
 * a process too large for one node (memory or CPUs) gets the closest set of
 * nodes that holds it. Both respect the process's cpuset (CPUs and memory
 * nodes), and the thresholds plus hysteresis keep idle or tiny processes out
 * and suggestions from flapping between refreshes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "advice_text.h"
#include "advisor.h"
#include "array.h"
#include "pidsearch.h"

#define LOCAL_DISTANCE 10
#define EPS 1e-9
/*
 * Loads (busy CPUs per CPU) this close count as equal. CPU time is credited
 * when a thread leaves its CPU, so a window holds up to a time slice more or
 * less per CPU at each end: 4 threads on 2 CPUs for 3.03 s read 6.074 CPU s
 * (2.003 CPUs, 0.0014 over per CPU) in a 2-node guest. 0.02 covers a 10 ms
 * slice at each end of a 1 s window.
 */
#define LOAD_SLACK 0.02

void nl_advisor_opts_default(struct nl_advisor_opts *o)
{
	memset(o, 0, sizeof(*o));
	nl_model_opts_default(&o->thresholds);
	o->hysteresis = 0.1;
	o->good_ratio = 0.1;
	o->min_gain = 0.2;
	o->switch_margin = 0.15;
	o->max_load = 1.0;
	o->mem_reserve = 0.05;
	o->allow_migrate = true;
}

const char *nl_action_name(enum nl_action a)
{
	switch (a) {
	case NL_ACT_AFFINITY:
		return "affinity";
	case NL_ACT_MIGRATE:
		return "migrate";
	default:
		return "none";
	}
}

const char *nl_block_name(enum nl_block b)
{
	switch (b) {
	case NL_BLOCK_NO_NODE:
		return "no_such_node";
	case NL_BLOCK_NO_CPUS:
		return "node_without_cpus";
	case NL_BLOCK_CPUSET_CPUS:
		return "cpuset_cpus";
	case NL_BLOCK_CPUSET_MEMS:
		return "cpuset_mems";
	case NL_BLOCK_NO_ROOM:
		return "no_room";
	case NL_BLOCK_SLOWER_TIER:
		return "slower_tier";
	default:
		return "none";
	}
}

static int popcount_cpus(const uint64_t *bits)
{
	int w, n = 0;

	for (w = 0; w < NL_CPU_WORDS; w++)
		n += __builtin_popcountll(bits[w]);
	return n;
}

/* Everything the rules need, computed once per process. */
struct ctx {
	const struct nl_advisor_input *in;
	const struct nl_advisor_opts *o;
	const struct nl_topology *t;
	const struct nl_proc_view *v;
	int nr;			     /* nodes looked at */
	double mem;		     /* resident bytes */
	double used;		     /* CPUs busy on average */
	double cpu;		     /* CPU seconds in the window */
	uint64_t cpus[NL_CPU_WORDS]; /* CPUs allowed */
	uint64_t mems;		     /* memory nodes allowed */
	int ncpus[NL_MAX_NODES];     /* allowed CPUs per node */
	double other[NL_MAX_NODES];  /* busy CPUs of other processes */
	double share[NL_MAX_NODES];  /* share of its memory */
	bool busy_known;
	int cur; /* where it runs most, -1 unknown */
	double load_now;
};

static bool present(const struct ctx *c, int n)
{
	return n >= 0 && n < c->nr && nl_node_present(c->t, n);
}

static int dist(const struct ctx *c, int a, int b)
{
	int d = c->t->distance[a][b];

	return d ? d : a == b ? LOCAL_DISTANCE : 2 * LOCAL_DISTANCE;
}

static void prepare(struct ctx *c, const struct nl_advisor_input *in,
		    const struct nl_advisor_opts *o)
{
	const struct nl_proc_view *v = in->v;
	struct nl_proc_limits all;
	double ran = 0, cap = 0;
	int n, w;

	memset(c, 0, sizeof(*c));
	c->in = in;
	c->o = o;
	c->t = in->topo;
	c->v = v;
	c->nr = in->nr_nodes < NL_MAX_NODES ? in->nr_nodes : NL_MAX_NODES;
	c->cur = -1;
	if (!in->limits)
		nl_proc_limits_unrestricted(in->topo, &all);
	memcpy(c->cpus, in->limits ? in->limits->cpus : all.cpus, sizeof(c->cpus));
	c->mems = in->limits ? in->limits->mems : all.mems;
	c->busy_known = in->node_busy != NULL;
	for (n = 0; n < c->nr; n++) {
		c->mem += v->node[n].mem_bytes;
		c->cpu += v->node[n].cpu_s;
		if (v->node[n].cpu_s > 0 &&
		    (c->cur < 0 || v->node[n].cpu_s > v->node[c->cur].cpu_s))
			c->cur = n;
	}
	c->used = in->window_s > 0 ? c->cpu / in->window_s : 0;
	for (n = 0; n < c->nr; n++) {
		double own = in->window_s > 0 ? v->node[n].cpu_s / in->window_s : 0;

		if (!present(c, n))
			continue;
		for (w = 0; w < NL_CPU_WORDS; w++)
			c->ncpus[n] += __builtin_popcountll(c->t->node_cpus[n][w] & c->cpus[w]);
		c->share[n] = c->mem > 0 ? v->node[n].mem_bytes / c->mem : 0;
		if (in->node_busy) {
			c->other[n] = in->node_busy[n] - own;
			if (c->other[n] < 0)
				c->other[n] = 0;
		}
		if (v->node[n].cpu_s > 0) {
			ran += c->other[n] + own;
			cap += c->t->node_nr_cpus[n];
		}
	}
	c->load_now = cap > 0 ? ran / cap : 0;
}

/* Mean distance from CPUs spread by weight[] (summing to 1) to memory spread by share[]. */
static double mean_dist(const struct ctx *c, const double *weight, const double *share)
{
	double d = 0;
	int n, m;

	for (n = 0; n < c->nr; n++) {
		if (weight[n] <= 0)
			continue;
		for (m = 0; m < c->nr; m++)
			if (share[m] > 0)
				d += weight[n] * share[m] * dist(c, n, m);
	}
	return d;
}

/* Threads spread over a node set by its allowed CPUs. */
static void set_weights(const struct ctx *c, uint64_t nodes, double *weight)
{
	double cap = 0;
	int n;

	for (n = 0; n < c->nr; n++)
		if (nodes >> n & 1)
			cap += c->ncpus[n];
	for (n = 0; n < c->nr; n++)
		weight[n] = (nodes >> n & 1) && cap > 0 ? c->ncpus[n] / cap : 0;
}

/* Placement-style remote share: threads by weight, memory by share. */
static double remote_of(const struct ctx *c, const double *weight, const double *share)
{
	double r = 0;
	int n;

	for (n = 0; n < c->nr; n++)
		r += weight[n] * (1 - share[n]);
	return r < 0 ? 0 : r > 1 ? 1 : r;
}

/* Busy CPUs per allowed CPU on the set if the process ran there only. */
static double load_on(const struct ctx *c, uint64_t nodes)
{
	double busy = c->used, cap = 0;
	int n;

	for (n = 0; n < c->nr; n++) {
		if (!(nodes >> n & 1))
			continue;
		busy += c->other[n];
		cap += c->ncpus[n];
	}
	return cap > 0 ? busy / cap : INFINITY;
}

/*
 * The load rule: a target may be busy up to max_load, or more when that is
 * no higher than the load where the process runs now (a process that keeps
 * its node's CPUs busy may move to a node as large and as idle).
 */
static bool load_ok(const struct ctx *c, double load)
{
	return load <= c->o->max_load + LOAD_SLACK || load <= c->load_now + LOAD_SLACK;
}

static bool cpu_fits(const struct ctx *c, uint64_t nodes)
{
	return load_ok(c, load_on(c, nodes));
}

static uint64_t bytes_outside(const struct ctx *c, uint64_t nodes)
{
	uint64_t b = 0;
	int n;

	for (n = 0; n < c->nr; n++)
		if (!(nodes >> n & 1))
			b += c->v->node[n].mem_bytes;
	return b;
}

static uint64_t nodes_with_memory_outside(const struct ctx *c, uint64_t nodes)
{
	uint64_t from = 0;
	int n;

	for (n = 0; n < c->nr; n++)
		if (!(nodes >> n & 1) && c->v->node[n].mem_bytes)
			from |= 1ull << n;
	return from;
}

/* Can the set take `bytes` more, keeping mem_reserve of each node free? */
static bool mem_fits(const struct ctx *c, uint64_t nodes, uint64_t bytes)
{
	double room = 0;
	int n;

	for (n = 0; n < c->nr; n++) {
		if (!(nodes >> n & 1) || !c->t->node_mem_total[n])
			continue;
		room += (double)c->t->node_mem_free[n] -
			c->o->mem_reserve * (double)c->t->node_mem_total[n];
	}
	return room >= (double)bytes;
}

/* Would moving its pages onto nodes put some on a slower tier than they
 * are on (a higher memory_tierN than the fastest node they come from)?
 * Advice never does that: pin and auto-pin would carry it out. */
static bool onto_slower_tier(const struct ctx *c, uint64_t nodes)
{
	uint64_t from = nodes_with_memory_outside(c, nodes);
	int n, fastest = -1, slowest = -1;

	if (!c->t->tiers_known || !from)
		return false;
	for (n = 0; n < c->nr; n++) {
		int tier = c->t->node_tier[n];

		if ((from >> n & 1) && tier >= 0 && (fastest < 0 || tier < fastest))
			fastest = tier;
		if ((nodes >> n & 1) && tier > slowest)
			slowest = tier;
	}
	return fastest >= 0 && slowest > fastest;
}

static bool mems_allowed(const struct ctx *c, uint64_t nodes)
{
	return !(nodes & ~c->mems);
}

/* Fills the target fields of out for a node set; memory moves in when migrate. */
static void set_target(const struct ctx *c, uint64_t nodes, bool migrate, struct nl_advice *out)
{
	double weight[NL_MAX_NODES] = { 0 }, share[NL_MAX_NODES];
	int n, w;

	out->nodes = nodes;
	memset(out->cpus, 0, sizeof(out->cpus));
	for (n = 0; n < c->nr; n++)
		if (nodes >> n & 1)
			for (w = 0; w < NL_CPU_WORDS; w++)
				out->cpus[w] |= c->t->node_cpus[n][w] & c->cpus[w];
	out->nr_cpus = popcount_cpus(out->cpus);
	out->whole_nodes = true;
	for (n = 0; n < c->nr; n++)
		if (nodes >> n & 1)
			for (w = 0; w < NL_CPU_WORDS; w++)
				if ((c->t->node_cpus[n][w] & out->cpus[w]) != c->t->node_cpus[n][w])
					out->whole_nodes = false;
	out->move_from = migrate ? nodes_with_memory_outside(c, nodes) : 0;
	out->move_bytes = migrate ? bytes_outside(c, nodes) : 0;
	memcpy(share, c->share, sizeof(share));
	if (migrate && c->mem > 0) {
		/* Pages from outside land on the set in proportion to its nodes' CPUs. */
		set_weights(c, nodes, weight);
		for (n = 0; n < c->nr; n++)
			share[n] = (nodes >> n & 1) ?
					   share[n] + weight[n] * out->move_bytes / c->mem :
					   0;
	}
	set_weights(c, nodes, weight);
	out->remote_after = remote_of(c, weight, share);
	out->dist_after = mean_dist(c, weight, share);
	out->target_load = c->busy_known ? load_on(c, nodes) : -1;
	out->multi_node = __builtin_popcountll(nodes) > 1;
	out->action = out->move_bytes ? NL_ACT_MIGRATE : NL_ACT_AFFINITY;
}

/* What the plan does and to what end, in one sentence. */
static void describe(const struct ctx *c, struct nl_advice *out)
{
	nl_advice_describe(out, c->mem, bytes_outside(c, out->nodes), c->cpu > 0);
}

static void block(struct nl_advice *out, enum nl_block b)
{
	out->action = NL_ACT_NONE;
	out->block = b;
}

/* The cpuset in a sentence: "its cpuset (cgroup /x: cpus 0-1, mems 0)". */
static void cpuset_phrase(const struct ctx *c, char *buf, size_t size)
{
	nl_cpuset_phrase(c->in->limits, c->cpus, c->mems, buf, size);
}

/* pin --node / --cpus: the plan for the nodes named, or why it cannot be. */
static void plan_forced(const struct ctx *c, struct nl_advice *out)
{
	const struct nl_advisor_opts *o = c->o;
	uint64_t nodes = o->force_nodes, want[NL_CPU_WORDS] = { 0 }, bad[NL_CPU_WORDS];
	char list[160], set[160], where[160];
	bool any = false, partial = false;
	int n, w, cpu;

	if (o->force_cpus) {
		for (cpu = 0; cpu < NL_MAX_CPUS; cpu++) {
			if (!(o->force_cpus[cpu / 64] >> (cpu % 64) & 1))
				continue;
			if (cpu >= c->t->nr_cpu_ids || c->t->cpu_node[cpu] < 0) {
				block(out, NL_BLOCK_NO_NODE);
				nl_advice_say(out, "CPU %d does not exist here", cpu);
				return;
			}
			nodes |= 1ull << c->t->cpu_node[cpu];
		}
		memcpy(want, o->force_cpus, sizeof(want));
	}
	for (n = 0; n < NL_MAX_NODES; n++) {
		if (!(nodes >> n & 1))
			continue;
		if (!present(c, n)) {
			block(out, NL_BLOCK_NO_NODE);
			nl_advice_say(out, "node %d does not exist here (%d node%s)", n,
				      c->t->nr_nodes, c->t->nr_nodes == 1 ? "" : "s");
			return;
		}
		if (!c->t->node_nr_cpus[n]) {
			block(out, NL_BLOCK_NO_CPUS);
			nl_advice_say(out,
				      "node %d has no CPUs (memory only): threads cannot run there",
				      n);
			return;
		}
		if (!o->force_cpus)
			for (w = 0; w < NL_CPU_WORDS; w++)
				want[w] |= c->t->node_cpus[n][w];
	}
	for (w = 0; w < NL_CPU_WORDS; w++) {
		bad[w] = want[w] & ~c->cpus[w];
		any |= (want[w] & c->cpus[w]) != 0;
		partial |= bad[w] != 0;
	}
	cpuset_phrase(c, set, sizeof(set));
	nl_nodes_phrase(nodes, where, sizeof(where));
	if (!any || (o->force_cpus && partial)) {
		block(out, NL_BLOCK_CPUSET_CPUS);
		nl_advice_say(out, "%s does not allow CPU%s %s of %s", set,
			      popcount_cpus(bad) > 1 ? "s" : "",
			      nl_bits_to_list(bad, NL_MAX_CPUS, list, sizeof(list)), where);
		return;
	}
	if (o->allow_migrate && !mems_allowed(c, nodes)) {
		block(out, NL_BLOCK_CPUSET_MEMS);
		nl_advice_say(out, "%s does not allow memory on %s", set,
			      nl_nodes_phrase(nodes & ~c->mems, where, sizeof(where)));
		return;
	}
	if (o->allow_migrate && onto_slower_tier(c, nodes)) {
		block(out, NL_BLOCK_SLOWER_TIER);
		nl_advice_say(out,
			      "moving its memory to %s would put it on a slower memory tier than "
			      "where it is; run its threads there without --migrate-memory",
			      where);
		return;
	}
	set_target(c, nodes, o->allow_migrate, out);
	if (o->force_cpus) {
		out->whole_nodes = out->whole_nodes && !memcmp(out->cpus, want, sizeof(want));
		memcpy(out->cpus, want, sizeof(want));
	}
	out->nr_cpus = popcount_cpus(out->cpus);
	describe(c, out);
	if (partial)
		nl_advice_say(out, "; %s allows only CPU%s %s of them", set,
			      out->nr_cpus == 1 ? "" : "s",
			      nl_bits_to_list(out->cpus, NL_MAX_CPUS, list, sizeof(list)));
	if (out->move_bytes && !mem_fits(c, nodes, out->move_bytes)) {
		char free_[32];

		nl_format_bytes(c->t->node_mem_free[__builtin_ctzll(nodes)], free_, sizeof(free_));
		nl_advice_say(out, "; warning: %s has %s free, pages that do not fit stay", where,
			      free_);
	}
	if (out->target_load > c->o->max_load + EPS)
		nl_advice_say(out, "; warning: %s would be busy %.0f%%", where,
			      100 * out->target_load);
}

static bool flagged_now(const struct ctx *c, const struct nl_advice *prev)
{
	const struct nl_model_opts *th = &c->o->thresholds;
	const struct nl_proc_view *v = c->v;
	double min_ratio = th->min_remote_ratio;

	if (c->t->nr_nodes < 2 || c->in->window_s <= 0)
		return false;
	/* Once suggested, a process stays until clearly under the threshold. */
	if (prev && prev->flagged)
		min_ratio -= c->o->hysteresis;
	if (c->o->use_model_flag && v->flagged)
		return true;
	return v->remote_ratio >= min_ratio - EPS && c->used >= th->min_cpu &&
	       c->mem >= th->min_rss;
}

struct single {
	int node; /* -1: none */
	double dist;
	uint64_t bytes_in;
};

/* The node whose CPUs are closest to its memory, among those it may run on
 * (fit: only those with the CPU headroom). */
static struct single best_affinity(const struct ctx *c, bool need_fit, bool any_cpuset)
{
	struct single best = { .node = -1 };
	double weight[NL_MAX_NODES];
	int n;

	for (n = 0; n < c->nr; n++) {
		double d;

		if (!present(c, n) || (any_cpuset ? !c->t->node_nr_cpus[n] : !c->ncpus[n]) ||
		    (need_fit && !cpu_fits(c, 1ull << n)))
			continue;
		memset(weight, 0, sizeof(weight));
		weight[n] = 1;
		d = mean_dist(c, weight, c->share);
		if (best.node < 0 || d < best.dist - EPS ||
		    (fabs(d - best.dist) < EPS &&
		     (c->share[n] > c->share[best.node] + EPS ||
		      (fabs(c->share[n] - c->share[best.node]) < EPS &&
		       c->v->node[n].cpu_s > c->v->node[best.node].cpu_s)))) {
			best.node = n;
			best.dist = d;
		}
	}
	if (best.node >= 0)
		best.bytes_in = bytes_outside(c, 1ull << best.node);
	return best;
}

/* The node to move the memory to: fewest bytes, ties to where it runs. */
static struct single best_migration(const struct ctx *c)
{
	struct single best = { .node = -1 };
	int n;

	for (n = 0; n < c->nr; n++) {
		uint64_t in;

		if (!present(c, n) || !c->ncpus[n] || !(c->mems >> n & 1) ||
		    !cpu_fits(c, 1ull << n) || onto_slower_tier(c, 1ull << n))
			continue;
		in = bytes_outside(c, 1ull << n);
		if (!mem_fits(c, 1ull << n, in))
			continue;
		if (best.node < 0 || in < best.bytes_in ||
		    (in == best.bytes_in && c->v->node[n].cpu_s > c->v->node[best.node].cpu_s)) {
			best.node = n;
			best.bytes_in = in;
		}
	}
	return best;
}

/* Is the process too large for any one node it may use? */
static bool too_large(const struct ctx *c)
{
	double max_mem = 0;
	bool cpu_ok = false;
	int n;

	for (n = 0; n < c->nr; n++) {
		if (!present(c, n) || !c->ncpus[n])
			continue;
		if ((c->mems >> n & 1) &&
		    c->t->node_mem_total[n] * (1 - c->o->mem_reserve) > max_mem)
			max_mem = c->t->node_mem_total[n] * (1 - c->o->mem_reserve);
		if (load_ok(c, c->used / c->ncpus[n]))
			cpu_ok = true;
	}
	return !cpu_ok || (max_mem > 0 && c->mem > max_mem);
}

/*
 * The closest set of nodes that holds it: from the node with most of its
 * memory, add the node nearest to those already in (sum of distances; ties
 * to more of its memory, then more free memory) until the set has the CPUs
 * and the memory. 0 when even every node it may use does not.
 */
static uint64_t closest_set(const struct ctx *c, uint64_t *usable_out)
{
	uint64_t set = 0, usable = 0;
	double cap_mem;
	int n, m, seed = -1;

	for (n = 0; n < c->nr; n++) {
		if (!present(c, n) || !c->ncpus[n] || !(c->mems >> n & 1))
			continue;
		usable |= 1ull << n;
		if (seed < 0 || c->share[n] > c->share[seed] + EPS ||
		    (fabs(c->share[n] - c->share[seed]) < EPS &&
		     c->v->node[n].cpu_s > c->v->node[seed].cpu_s))
			seed = n;
	}
	*usable_out = usable;
	if (seed < 0)
		return 0;
	set = 1ull << seed;
	for (;;) {
		int best = -1;
		long best_d = 0;

		cap_mem = 0;
		for (n = 0; n < c->nr; n++)
			if (set >> n & 1)
				cap_mem += c->t->node_mem_total[n] * (1 - c->o->mem_reserve);
		if (cpu_fits(c, set) && load_on(c, set) <= c->o->max_load + EPS &&
		    cap_mem >= c->mem)
			return set;
		for (n = 0; n < c->nr; n++) {
			long d = 0;

			if (!(usable >> n & 1) || (set >> n & 1))
				continue;
			for (m = 0; m < c->nr; m++)
				if (set >> m & 1)
					d += dist(c, n, m);
			if (best < 0 || d < best_d ||
			    (d == best_d &&
			     (c->share[n] > c->share[best] + EPS ||
			      (fabs(c->share[n] - c->share[best]) < EPS &&
			       c->t->node_mem_free[n] > c->t->node_mem_free[best])))) {
				best = n;
				best_d = d;
			}
		}
		if (best < 0)
			return 0;
		set |= 1ull << best;
	}
}

/* Cuts the remote share (or the mean distance) by min_gain, and by
 * something: with a min_gain of 0, a plan that changes nothing is none. */
static bool improves(const struct ctx *c, const struct nl_advice *a)
{
	return (a->remote_after <= a->remote_now - c->o->min_gain + EPS &&
		a->remote_after < a->remote_now - EPS) ||
	       (a->dist_now > LOCAL_DISTANCE && a->dist_after < a->dist_now - EPS &&
		a->dist_after - LOCAL_DISTANCE <=
			(a->dist_now - LOCAL_DISTANCE) * (1 - c->o->min_gain) + EPS);
}

static void plan_auto(const struct ctx *c, struct nl_advice *out)
{
	const struct nl_advisor_opts *o = c->o;
	struct single aff = { .node = -1 }, any, mig, best;
	uint64_t usable = 0;
	struct nl_advice cand = *out;
	char where[160], moved[32], set[200];

	any = best_affinity(c, false, false);
	if (any.node < 0) {
		block(out, NL_BLOCK_CPUSET_CPUS);
		cpuset_phrase(c, set, sizeof(set));
		nl_advice_say(out, "no node it may run on: %s", set);
		return;
	}
	if (!too_large(c)) {
		aff = best_affinity(c, true, false);
		if (aff.node >= 0) {
			bool rest = o->allow_migrate && aff.bytes_in && (c->mems >> aff.node & 1) &&
				    mem_fits(c, 1ull << aff.node, aff.bytes_in) &&
				    !onto_slower_tier(c, 1ull << aff.node);

			set_target(c, 1ull << aff.node, false, &cand);
			if (cand.remote_after <= o->good_ratio + EPS) {
				*out = cand;
				/* The threads move; the rest of the memory follows only
				 * when it is worth it (stacks and shared libraries are not). */
				if (rest && cand.remote_after > o->good_ratio / 2) {
					set_target(c, 1ull << aff.node, true, out);
					out->action = NL_ACT_AFFINITY;
				}
				describe(c, out);
				return;
			}
		}
		mig = o->allow_migrate ? best_migration(c) : (struct single){ .node = -1 };
		if (mig.node >= 0) {
			set_target(c, 1ull << mig.node, true, out);
			describe(c, out);
			if (aff.node != any.node)
				nl_advice_say(out,
					      "; node %d, nearest its memory, has no CPU headroom",
					      any.node);
			else
				nl_advice_say(
					out,
					"; moving the threads alone (to node %d) would leave %d%% remote",
					aff.node, nl_percent(cand.remote_after));
			return;
		}
		if (aff.node >= 0 && improves(c, &cand)) {
			*out = cand;
			describe(c, out);
			if (!o->allow_migrate)
				nl_advice_say(
					out,
					"; moving its memory too (--migrate-memory) would make it local");
			else
				nl_advice_say(out,
					      "; no node has the free memory to take the rest");
			return;
		}
	}
	/* Too large for one node, or no single node fits: the closest set
	 * (not every node it may use: that would be no pin at all). */
	cand.nodes = closest_set(c, &usable);
	if (cand.nodes && __builtin_popcountll(cand.nodes) > 1 && cand.nodes != usable) {
		set_target(c, cand.nodes,
			   o->allow_migrate &&
				   mem_fits(c, cand.nodes, bytes_outside(c, cand.nodes)) &&
				   !onto_slower_tier(c, cand.nodes),
			   &cand);
		if (improves(c, &cand) || too_large(c)) {
			*out = cand;
			nl_format_bytes((uint64_t)c->mem, moved, sizeof(moved));
			if (too_large(c))
				nl_advice_say(out,
					      "it is too large for one node (%s, %.1f CPUs busy): ",
					      moved, c->used);
			else
				nl_advice_say(out, "no single node has room for it: ");
			describe(c, out);
			return;
		}
	}
	/* Nothing: say what stands in the way. */
	best = best_affinity(c, false, true);
	cpuset_phrase(c, set, sizeof(set));
	if (best.node >= 0 && !c->ncpus[best.node]) {
		block(out, NL_BLOCK_CPUSET_CPUS);
		nl_advice_say(out, "node %d, nearest its memory, is outside %s", best.node, set);
		if (!o->allow_migrate)
			nl_advice_say(
				out,
				"; moving its memory instead (--migrate-memory) may be allowed");
		else
			nl_advice_say(
				out,
				"; and no node it may use has the free memory to take its pages");
		return;
	}
	block(out, NL_BLOCK_NO_ROOM);
	if (!cpu_fits(c, 1ull << any.node)) {
		nl_nodes_phrase(1ull << any.node, where, sizeof(where));
		nl_advice_say(
			out,
			"%s, nearest its memory, has no CPU headroom (%.1f of %d CPUs busy by others, it "
			"needs %.1f): %d%% busy after the move, above both the %d%% limit and the %d%% "
			"where it runs now",
			where, c->other[any.node], c->ncpus[any.node], c->used,
			nl_percent(load_on(c, 1ull << any.node)), nl_percent(o->max_load),
			nl_percent(c->load_now));
		if (o->allow_migrate)
			nl_advice_say(out, ", and no node has the free memory to take its pages");
	} else if (too_large(c)) {
		nl_format_bytes((uint64_t)c->mem, moved, sizeof(moved));
		nl_advice_say(
			out,
			"it is too large for one node (%s, %.1f CPUs busy) and the closest set of nodes "
			"that holds it is every node it may use: no pin would help",
			moved, c->used);
	} else {
		nl_advice_say(out, "no move would cut its remote share by %d points",
			      nl_percent(o->min_gain));
	}
}

static void advise_plan(const struct nl_advisor_input *in, const struct nl_advisor_opts *o,
			struct nl_advice *out)
{
	const struct nl_advice *prev = in->prev;
	double weight[NL_MAX_NODES] = { 0 };
	struct ctx c;
	int n;

	memset(out, 0, sizeof(*out));
	prepare(&c, in, o);
	out->remote_now = in->v->remote_ratio;
	out->cpus_used = c.used;
	out->load_now = c.busy_known ? c.load_now : -1;
	out->target_load = -1;
	for (n = 0; n < c.nr; n++)
		weight[n] = c.cpu > 0 ? in->v->node[n].cpu_s / c.cpu : 0;
	out->dist_now = c.cpu > 0 ? mean_dist(&c, weight, c.share) : 0;
	out->dist_after = out->dist_now;
	out->remote_after = out->remote_now;

	if (o->force_nodes || o->force_cpus) {
		out->flagged = flagged_now(&c, NULL);
		plan_forced(&c, out);
		return;
	}
	if (in->topo->nr_nodes < 2) {
		nl_advice_say(out, "one NUMA node: every memory access is local");
		return;
	}
	out->flagged = flagged_now(&c, prev);
	if (!out->flagged) {
		nl_advice_why_not_flagged(out, &o->thresholds, c.used, c.mem, in->v->remote_ratio);
		return;
	}
	if (!in->v->mem_known || c.mem <= 0) {
		nl_advice_say(out, "its memory per node is unknown (numa_maps was not read)");
		return;
	}
	plan_auto(&c, out);

	/* Hysteresis: keep the last target while it is not clearly worse. */
	if (prev && prev->action != NL_ACT_NONE && out->action != NL_ACT_NONE &&
	    prev->nodes != out->nodes) {
		struct nl_advisor_opts keep = *o;
		struct nl_advice old;
		struct ctx kc;

		keep.force_nodes = prev->nodes;
		keep.force_cpus = NULL;
		keep.allow_migrate = o->allow_migrate && prev->move_bytes;
		memset(&old, 0, sizeof(old));
		old.remote_now = out->remote_now;
		old.load_now = out->load_now;
		old.dist_now = out->dist_now;
		old.cpus_used = c.used;
		old.flagged = true;
		kc = c;
		kc.o = &keep;
		plan_forced(&kc, &old);
		if (old.action != NL_ACT_NONE && cpu_fits(&c, prev->nodes) &&
		    old.remote_after <= out->remote_after + o->switch_margin + EPS) {
			*out = old;
			nl_advice_say(
				out,
				" (kept from before: the new best target is not better by %d points)",
				nl_percent(o->switch_margin));
		}
	}
}

void nl_advisor_node_busy(const struct nl_snapshot *snap, uint32_t skip_pid, double *busy)
{
	size_t i;
	int n;

	for (n = 0; n < snap->nr_nodes; n++)
		busy[n] = 0;
	if (snap->window_s <= 0)
		return;
	for (i = 0; i < snap->nr; i++) {
		const struct nl_proc_view *v = &snap->procs[i];

		if (v->pid == skip_pid)
			continue;
		for (n = 0; n < snap->nr_nodes; n++)
			busy[n] += v->node[n].cpu_s / snap->window_s;
	}
}

void nl_advise(const struct nl_advisor_input *in, const struct nl_advisor_opts *o,
	       struct nl_advice *out)
{
	const struct nl_cgroup_context *ctx = in->limits ? &in->limits->ctx : NULL;

	advise_plan(in, o, out);
	if (in->v->slow_tier_share.valid && in->v->slow_tier_share.value >= NL_SLOW_TIER_SAY)
		nl_advice_tier_note(out, in->v, in->nr_nodes, in->topo);
	if (out->action == NL_ACT_NONE || !ctx)
		return;
	nl_advice_note_left_out(out, ctx);
}

const struct nl_advisor_entry *nl_advise_tracked(struct nl_advisor_memory *m,
						 const struct nl_advisor_input *in,
						 const struct nl_advisor_opts *o,
						 struct nl_advice *out)
{
	struct nl_advisor_input with_prev = *in;
	struct nl_advisor_entry *e;
	bool found;
	size_t i = NL_PID_SEARCH(m->e, m->nr, in->v->pid, &found);

	if (found && m->e[i].start_time_ns != in->v->start_time_ns) {
		/* The pid names another process now: start over. */
		memset(&m->e[i].advice, 0, sizeof(m->e[i].advice));
		m->e[i].streak = 0;
		m->e[i].start_time_ns = in->v->start_time_ns;
	}
	with_prev.prev = found ? &m->e[i].advice : NULL;
	nl_advise(&with_prev, o, out);
	if (!found) {
		e = nl_array_room(m->e, m->nr, &m->cap, sizeof(*e), 64);
		if (!e)
			return NULL;
		m->e = e;
		memmove(&m->e[i + 1], &m->e[i], (m->nr - i) * sizeof(*m->e));
		m->nr++;
		memset(&m->e[i], 0, sizeof(m->e[i]));
		m->e[i].pid = in->v->pid;
		m->e[i].start_time_ns = in->v->start_time_ns;
	}
	e = &m->e[i];
	if (found && e->advice.action == out->action && e->advice.nodes == out->nodes &&
	    e->generation + 1 >= m->generation)
		e->streak++;
	else
		e->streak = 1;
	e->advice = *out;
	e->generation = m->generation;
	return e;
}

void nl_advisor_memory_sweep(struct nl_advisor_memory *m)
{
	size_t i, kept = 0;

	for (i = 0; i < m->nr; i++)
		if (m->e[i].generation == m->generation)
			m->e[kept++] = m->e[i];
	m->nr = kept;
	m->generation++;
}

void nl_advisor_memory_free(struct nl_advisor_memory *m)
{
	free(m->e);
	memset(m, 0, sizeof(*m));
}

bool nl_advisor_candidate(const struct nl_advisor_opts *o, const struct nl_proc_view *v,
			  double window_s)
{
	const struct nl_model_opts *th = &o->thresholds;

	return !v->exited && window_s > 0 &&
	       v->remote_ratio >= th->min_remote_ratio - o->hysteresis &&
	       v->mem_bytes >= th->min_rss && v->cpu_s / window_s >= th->min_cpu;
}
