// SPDX-License-Identifier: GPL-2.0
/*
 * Auto-pin's closed loop: every change it makes is measured over the
 * refreshes that follow (verify_s seconds of them), decided as `pin
 * --verify` decides (verify.c), and undone as `numalens unpin` does when
 * the remote share did not drop by the gain asked or the process got
 * slower. The process is then left alone for the cooldown. Each result is
 * logged with its numbers, counted, and saved in the pin record of a
 * change that stays.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "array.h"
#include "autopin_int.h"

const double nl_autopin_change_bounds[NL_AUTOPIN_CHANGE_BUCKETS] = {
	-0.8, -0.6, -0.4, -0.2, -0.1, -0.05, 0, 0.05, 0.1, 0.2, 0.5,
};

int ap_verify_add(struct nl_autopin *ap, const struct nl_proc_view *v, uint64_t start,
		  const struct nl_advice *adv, const struct nl_verify_sample *before, double now)
{
	struct pending *p;

	p = nl_array_room(ap->pending, ap->nr_pending, &ap->cap_pending, sizeof(*p), 4);
	if (!p)
		return -ENOMEM;
	ap->pending = p;
	p = &ap->pending[ap->nr_pending++];
	memset(p, 0, sizeof(*p));
	p->pid = (int)v->pid;
	p->start = start;
	p->start_time_ns = v->start_time_ns;
	memcpy(p->comm, v->comm, sizeof(p->comm));
	memcpy(p->cpus, adv->cpus, sizeof(p->cpus));
	p->nodes = adv->nodes;
	p->at = now;
	p->before = *before;
	return 0;
}

static void count_change(struct nl_autopin_counters *c, double change)
{
	int i;

	for (i = 0; i < NL_AUTOPIN_CHANGE_BUCKETS; i++)
		if (change <= nl_autopin_change_bounds[i] + 1e-9)
			c->change_buckets[i]++;
	c->change_count++;
	c->change_sum += change;
}

/* Undoes a change that did not help; the process is left alone from now. */
static void roll_back(struct nl_autopin *ap, const struct pending *p,
		      const struct nl_verify_outcome *out, const struct nl_proc_view *v, double now)
{
	const struct nl_pin_opts popts = { .state_dir = ap->o.state_dir };
	struct nl_unpin_result res;
	char pages[160] = "";
	struct done *d;
	int err;

	err = ap->h.undo(p->pid, &popts, &res, ap->h.ctx);
	d = ap_done_find(ap, v);
	if (d) {
		d->acted = true;
		d->at = now;
	}
	if (err) {
		ap->counters.rollback_failed++;
		ap_log(ap, "pid %d (%s): %s: %s; undoing it failed: %s", p->pid, p->comm,
		       nl_verify_result_name(out->result), out->reason, res.message);
		return;
	}
	ap->counters.rolled_back++;
	if (res.moved_from)
		snprintf(pages, sizeof(pages),
			 "; its pages stay where they were moved (unpin moves "
			 "no memory back)");
	ap_log(ap,
	       "rolled back pid %d (%s) after %.0f s: %s: %s; %d threads given back their "
	       "affinity (%s)%s; left alone for %g s",
	       p->pid, p->comm, now - p->at, nl_verify_result_name(out->result), out->reason,
	       res.restored, res.original, pages, ap->o.cooldown_s);
}

/* The window of p is complete (or the process gone): decide and act. */
static void finish(struct nl_autopin *ap, const struct pending *p, const struct nl_proc_view *v,
		   double now)
{
	const struct nl_pin_opts popts = { .state_dir = ap->o.state_dir };
	struct nl_verify_input in = { .pid = p->pid, .start = p->start, .before = &p->before };
	struct nl_verify_sample after;
	struct nl_verify_outcome out;
	struct nl_pin_verified rec;
	char msg[400];
	int err;

	nl_verify_accum_sample(&p->after, &after);
	in.after = &after;
	err = after.seen ? ap->h.state(p->pid, p->cpus, &popts, &in.start_end, &in.threads_off,
				       ap->h.ctx) :
			   -ESRCH;
	if (err == -ESRCH) {
		in.start_end = 0;
	} else if (err) {
		/* Not readable now (EACCES...): nothing is decided or undone. */
		ap_log(ap, "pid %d (%s): cannot verify the change: %s; it stays", p->pid, p->comm,
		       strerror(-err));
		return;
	}
	nl_verify_decide(&in, &ap->o.verify, &out);
	ap->counters.verified[out.result]++;
	if (out.compared && out.result != NL_VERIFY_GONE)
		count_change(&ap->counters, out.remote_after - out.remote_before);
	if (out.result == NL_VERIFY_NO_GAIN || out.result == NL_VERIFY_SLOWER) {
		roll_back(ap, p, &out, v, now);
		return;
	}
	if (out.result == NL_VERIFY_GONE) {
		ap_log(ap, "pid %d (%s): not verified: %s", p->pid, p->comm, out.reason);
		return;
	}
	nl_verify_to_record(&in, &out, p->after.window_s, &rec);
	err = ap->h.save_verified(p->pid, p->start, &popts, &rec, msg, sizeof(msg), ap->h.ctx);
	ap_log(ap, "verified pid %d (%s) over %.0f s: %s: %s; CPU rate %.2f -> %.2f%s%s%s", p->pid,
	       p->comm, p->after.window_s, nl_verify_result_name(out.result), out.reason,
	       p->before.cpu_rate, after.cpu_rate, err ? " (not saved in its record: " : "",
	       err ? (msg[0] ? msg : strerror(-err)) : "", err ? ")" : "");
}

void ap_verify_step(struct nl_autopin *ap, const struct nl_snapshot *snap, double now)
{
	size_t i, j, kept = 0;

	for (i = 0; i < ap->nr_pending; i++) {
		struct pending *p = &ap->pending[i];
		const struct nl_proc_view *v = NULL;

		for (j = 0; j < snap->nr && !v; j++)
			if (snap->procs[j].pid == (uint32_t)p->pid)
				v = &snap->procs[j];
		/* The pid of another process now is not this one. */
		if (v && v->start_time_ns != p->start_time_ns)
			v = NULL;
		nl_verify_accum_add(&p->after, snap, v, p->nodes);
		/* A quarter of a refresh early: windows are never exactly the interval. */
		if (!p->after.gone && p->after.window_s + snap->window_s / 4 < ap->o.verify_s) {
			ap->pending[kept++] = *p;
			continue;
		}
		finish(ap, p, v, now);
	}
	ap->nr_pending = kept;
}

bool ap_verifying(const struct nl_autopin *ap, const struct nl_proc_view *v)
{
	size_t i;

	for (i = 0; i < ap->nr_pending; i++)
		if (ap->pending[i].pid == (int)v->pid &&
		    ap->pending[i].start_time_ns == v->start_time_ns)
			return true;
	return false;
}

struct watch *ap_watch(struct nl_autopin *ap, const struct nl_snapshot *snap,
		       const struct nl_proc_view *v, const struct nl_advice *adv,
		       unsigned int streak)
{
	struct watch *w = NULL;
	size_t i;

	for (i = 0; i < ap->nr_watch && !w; i++)
		if (ap->watch[i].pid == v->pid && ap->watch[i].start_time_ns == v->start_time_ns)
			w = &ap->watch[i];
	if (!w) {
		w = nl_array_room(ap->watch, ap->nr_watch, &ap->cap_watch, sizeof(*w), 8);
		if (!w)
			return NULL;
		ap->watch = w;
		w = &ap->watch[ap->nr_watch++];
		streak = 1;
	}
	if (streak <= 1 || w->nodes != adv->nodes) {
		memset(w, 0, sizeof(*w));
		w->pid = v->pid;
		w->start_time_ns = v->start_time_ns;
		w->nodes = adv->nodes;
	}
	w->seen = true;
	nl_verify_accum_add(&w->acc, snap, v, adv->nodes);
	return w;
}

void ap_watch_sweep(struct nl_autopin *ap)
{
	size_t i, kept = 0;

	for (i = 0; i < ap->nr_watch; i++) {
		if (!ap->watch[i].seen)
			continue;
		ap->watch[i].seen = false;
		ap->watch[kept++] = ap->watch[i];
	}
	ap->nr_watch = kept;
}
