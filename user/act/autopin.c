// SPDX-License-Identifier: GPL-2.0
/*
 * Auto-pin: the policy `numalens export --auto-pin` runs every refresh on
 * top of pin.c. Each refresh it advises the candidates, keeps those whose
 * suggestion held for stable_refreshes in a row and are on the allowlist,
 * and applies at most one, no sooner than min_interval_s after the last;
 * a process acted on is left alone for cooldown_s. What it does or holds
 * back is logged and counted for the metrics.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "array.h"
#include "autopin.h"
#include "autopin_int.h"
#include "pidsearch.h"
#include "procfs.h"

void nl_autopin_opts_default(struct nl_autopin_opts *o)
{
	memset(o, 0, sizeof(*o));
	nl_advisor_opts_default(&o->advisor);
	o->advisor.allow_migrate = false;
	o->min_interval_s = 60;
	o->stable_refreshes = 3;
	o->cooldown_s = 600;
	o->verify_s = 60;
	nl_verify_opts_default(&o->verify);
}

static int real_limits(int pid, const struct nl_topology *t, struct nl_proc_limits *l, void *ctx)
{
	return nl_proc_limits_read(pid, t, l);
}

static enum nl_pin_refusal real_check(int pid, const struct nl_proc_limits *l, char *msg,
				      size_t size, void *ctx)
{
	return nl_pin_check(pid, l, false, msg, size);
}

static int real_apply(int pid, const struct nl_proc_limits *l, const struct nl_advice *a,
		      const struct nl_pin_opts *o, struct nl_pin_result *res, void *ctx)
{
	return nl_pin_apply(pid, l, a, o, res);
}

static void real_log(const char *line, void *ctx)
{
	fprintf(stderr, "numalens: auto-pin: %s\n", line);
}

static int real_state(int pid, const uint64_t *target, const struct nl_pin_opts *o, uint64_t *start,
		      int *threads_off, void *ctx)
{
	return nl_pin_state_now(pid, target, o, start, threads_off);
}

static int real_undo(int pid, const struct nl_pin_opts *o, struct nl_unpin_result *res, void *ctx)
{
	return nl_unpin(pid, o, res);
}

static int real_save_verified(int pid, uint64_t start, const struct nl_pin_opts *o,
			      const struct nl_pin_verified *v, char *msg, size_t size, void *ctx)
{
	return nl_pin_save_verified(pid, start, o, v, msg, size);
}

struct nl_autopin *nl_autopin_new(const struct nl_autopin_opts *o,
				  const struct nl_autopin_hooks *hooks)
{
	struct nl_autopin *ap = calloc(1, sizeof(*ap));

	if (!ap)
		return NULL;
	ap->o = *o;
	if (hooks)
		ap->h = *hooks;
	if (!ap->h.limits)
		ap->h.limits = real_limits;
	if (!ap->h.check)
		ap->h.check = real_check;
	if (!ap->h.apply)
		ap->h.apply = real_apply;
	if (!ap->h.log)
		ap->h.log = real_log;
	if (!ap->h.state)
		ap->h.state = real_state;
	if (!ap->h.undo)
		ap->h.undo = real_undo;
	if (!ap->h.save_verified)
		ap->h.save_verified = real_save_verified;
	ap->last_action = -1;
	if (!ap->o.stable_refreshes)
		ap->o.stable_refreshes = 1;
	return ap;
}

const struct nl_autopin_counters *nl_autopin_counters(const struct nl_autopin *ap)
{
	return &ap->counters;
}

void nl_autopin_free(struct nl_autopin *ap)
{
	if (!ap)
		return;
	nl_advisor_memory_free(&ap->memory);
	free(ap->done);
	free(ap->pending);
	free(ap->watch);
	free(ap);
}

/* The entries are kept sorted by pid (one per pid: a reused pid replaces
 * the old process's), so lookups and the sweep stay cheap with thousands
 * of processes flagged. Returns the index of pid, or where it would go. */
static size_t done_lookup(const struct nl_autopin *ap, uint32_t pid, bool *found)
{
	return NL_PID_SEARCH(ap->done, ap->nr_done, pid, found);
}

struct done *ap_done_find(struct nl_autopin *ap, const struct nl_proc_view *v)
{
	bool found;
	size_t i = done_lookup(ap, v->pid, &found);

	return found && ap->done[i].start_time_ns == v->start_time_ns ? &ap->done[i] : NULL;
}

struct done *ap_done_add(struct nl_autopin *ap, const struct nl_proc_view *v, double now)
{
	bool found;
	size_t i = done_lookup(ap, v->pid, &found);
	struct done *d;

	if (found && ap->done[i].start_time_ns == v->start_time_ns)
		return &ap->done[i];
	if (!found) {
		d = nl_array_room(ap->done, ap->nr_done, &ap->cap_done, sizeof(*d), 32);
		if (!d)
			return NULL;
		ap->done = d;
		memmove(&ap->done[i + 1], &ap->done[i], (ap->nr_done - i) * sizeof(*ap->done));
		ap->nr_done++;
	}
	d = &ap->done[i];
	memset(d, 0, sizeof(*d));
	d->pid = v->pid;
	d->start_time_ns = v->start_time_ns;
	d->at = now;
	return d;
}

/* Forgets entries of processes no longer in the snapshot. */
static void done_sweep(struct nl_autopin *ap, const struct nl_snapshot *snap)
{
	size_t i, kept = 0;

	for (i = 0; i < ap->nr_done; i++)
		ap->done[i].alive = false;
	for (i = 0; i < snap->nr; i++) {
		struct done *d = snap->procs[i].exited ? NULL : ap_done_find(ap, &snap->procs[i]);

		if (d)
			d->alive = true;
	}
	for (i = 0; i < ap->nr_done; i++)
		if (ap->done[i].alive)
			ap->done[kept++] = ap->done[i];
	ap->nr_done = kept;
}

/* On the allowlist: its command (as the snapshot saw it and as it is now:
 * it may have exec'd since) or its cgroup, at or below a given path. */
static bool allowed(const struct nl_autopin *ap, const struct nl_proc_view *v,
		    const struct nl_proc_limits *l)
{
	size_t i;

	for (i = 0; i < ap->o.nr_comms; i++)
		if (!fnmatch(ap->o.comms[i], v->comm, 0) &&
		    (!l->comm[0] || !fnmatch(ap->o.comms[i], l->comm, 0)))
			return true;
	for (i = 0; i < ap->o.nr_cgroups; i++) {
		const char *p = ap->o.cgroups[i];
		size_t n = strlen(p);

		while (n > 1 && p[n - 1] == '/')
			n--; /* "/a/" is "/a" */
		if ((n == 1 && p[0] == '/') ||
		    (n && !strncmp(l->cgroup, p, n) && (l->cgroup[n] == '/' || !l->cgroup[n])))
			return true;
	}
	return false;
}

int nl_autopin_cgroup_normalize(char *path, char *msg, size_t size)
{
	size_t n = strlen(path);

	if (!n || path[0] != '/') {
		snprintf(msg, size,
			 "give the cgroup's path in its hierarchy, starting with '/', as in "
			 "/proc/PID/cgroup (e.g. /system.slice/db.service)");
		return -EINVAL;
	}
	if (!strncmp(path, "/sys/fs/cgroup", 14) && (!path[14] || path[14] == '/')) {
		snprintf(msg, size,
			 "that is where cgroups are mounted: give the path inside, as in "
			 "/proc/PID/cgroup (%s)",
			 path[14] ? path + 14 : "/");
		return -EINVAL;
	}
	if (strpbrk(path, "*?[")) {
		snprintf(msg, size, "a path, not a pattern: it covers the cgroups below it");
		return -EINVAL;
	}
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	return 0;
}

void ap_log(struct nl_autopin *ap, const char *fmt, ...)
{
	char line[1024];
	va_list va;

	va_start(va, fmt);
	vsnprintf(line, sizeof(line), fmt, va);
	va_end(va);
	ap->h.log(line, ap->h.ctx);
}

int nl_autopin_step(struct nl_autopin *ap, const struct nl_snapshot *snap, double now)
{
	struct nl_pin_opts popts = { .migrate = ap->o.advisor.allow_migrate,
				     .state_dir = ap->o.state_dir,
				     .by = NL_PIN_BY_AUTOPIN };
	struct nl_proc_limits *l = malloc(sizeof(*l));
	double *busy = calloc(snap->nr_nodes ? snap->nr_nodes : 1, sizeof(*busy));
	int acted = 0;
	size_t i;

	if (!l || !busy)
		goto out;
	/* The changes made before first: one undone is left alone below. */
	ap_verify_step(ap, snap, now);
	nl_advisor_node_busy(snap, (uint32_t)getpid(), busy);
	for (i = 0; i < snap->nr; i++) {
		const struct nl_proc_view *v = &snap->procs[i];
		struct nl_advisor_input in = { .topo = snap->topo,
					       .v = v,
					       .nr_nodes = snap->nr_nodes,
					       .window_s = snap->window_s,
					       .node_busy = busy,
					       .limits = l };
		const struct nl_advisor_entry *e;
		struct nl_pin_result res;
		struct nl_advice adv;
		struct watch *w;
		struct done *d;
		enum nl_pin_refusal refusal;
		int err;
		char msg[512], nodes[64], cpus[128], moved[32], migrated[600], undo[320];

		/* Cheap filter before any /proc read: the thresholds, with room for hysteresis. */
		if (v->pid == (uint32_t)getpid() ||
		    !nl_advisor_candidate(&ap->o.advisor, v, snap->window_s))
			continue;
		d = ap_done_find(ap, v);
		if ((d && (d->never || (d->acted && now - d->at < ap->o.cooldown_s))) ||
		    ap_verifying(ap, v))
			continue;
		/* Gone, or the pid names another process since the snapshot. */
		if (ap->h.limits((int)v->pid, snap->topo, l, ap->h.ctx) ||
		    !nl_proc_limits_same(v, l))
			continue;
		e = nl_advise_tracked(&ap->memory, &in, &ap->o.advisor, &adv);
		if (!e || adv.action == NL_ACT_NONE)
			continue;
		w = ap->o.verify_s > 0 ? ap_watch(ap, snap, v, &adv, e->streak) : NULL;
		if (e->streak < ap->o.stable_refreshes)
			continue;
		if (!allowed(ap, v, l)) {
			if (!d || !d->denied) {
				d = ap_done_add(ap, v, now);
				if (d)
					d->denied = true;
				ap->counters.not_allowed++;
				ap_log(ap,
				       "pid %u (%s) would be pinned (%s) but is not in the allowlist",
				       v->pid, v->comm, adv.reason);
			}
			continue;
		}
		refusal = ap->h.check((int)v->pid, l, msg, sizeof(msg), ap->h.ctx);
		if (refusal == NL_PIN_GONE)
			continue;
		if (refusal != NL_PIN_OK) {
			ap->counters.refused++;
			d = ap_done_add(ap, v, now);
			if (d) {
				/* A kernel thread, pid 1, numalens or a pod stays one:
				 * said once. Others (EPERM, cpuset) after the cooldown. */
				d->never = refusal == NL_PIN_KTHREAD || refusal == NL_PIN_SELF ||
					   refusal == NL_PIN_INIT || refusal == NL_PIN_POD;
				d->acted = true;
				d->at = now;
			}
			ap_log(ap, "pid %u (%s): refused%s: %s", v->pid, v->comm,
			       d && d->never ? " for good" : "", msg);
			continue;
		}
		if (acted ||
		    (ap->last_action >= 0 && now - ap->last_action < ap->o.min_interval_s)) {
			ap->counters.rate_limited++;
			d = d ? d : ap_done_add(ap, v, now);
			if (d && !d->held) {
				d->held = true;
				ap_log(ap,
				       "pid %u (%s) would be pinned (%s) but waits: at most one action "
				       "every %g s",
				       v->pid, v->comm, adv.reason, ap->o.min_interval_s);
			}
			continue;
		}
		nl_nodes_to_list(adv.nodes, nodes, sizeof(nodes));
		nl_bits_to_list(adv.cpus, NL_MAX_CPUS, cpus, sizeof(cpus));
		nl_format_bytes(adv.move_bytes, moved, sizeof(moved));
		ap->last_action = now;
		acted = 1;
		d = ap_done_add(ap, v, now);
		if (d) {
			d->acted = true;
			d->at = now;
		}
		if (ap->o.dry_run) {
			ap->counters.dry_runs++;
			ap_log(ap, "dry run: pid %u (%s) would go to node %s (CPUs %s)%s%s: %s",
			       v->pid, v->comm, nodes, cpus, adv.move_bytes ? ", moving " : "",
			       adv.move_bytes ? moved : "", adv.reason);
			continue;
		}
		/* Memory moves only when this plan moves some (a small remainder
		 * the advisor left in place stays). */
		popts.migrate = ap->o.advisor.allow_migrate && adv.move_bytes > 0;
		memset(&res, 0, sizeof(res));
		err = ap->h.apply((int)v->pid, l, &adv, &popts, &res, ap->h.ctx);
		if (err && !res.pinned) {
			if (res.refusal == NL_PIN_GONE || res.refusal == NL_PIN_REUSED)
				continue; /* exited meanwhile (undone): nothing to count */
			if (res.refusal == NL_PIN_CPUSET || res.refusal == NL_PIN_PRIVILEGE ||
			    res.refusal == NL_PIN_UNTRUSTED)
				ap->counters.refused++;
			else
				ap->counters.failures++;
			ap_log(ap, "pid %u (%s): not pinned: %s", v->pid, v->comm, res.message);
			continue;
		}
		if (ap->o.verify_s > 0) {
			struct nl_verify_sample before;

			/* The refreshes the suggestion held, else this one. */
			if (w)
				nl_verify_accum_sample(&w->acc, &before);
			else
				nl_verify_sample_of(snap, v, adv.nodes, &before);
			if (ap_verify_add(ap, v, res.start, &adv, &before, now))
				ap_log(ap, "pid %u (%s): out of memory: the change is not verified",
				       v->pid, v->comm);
		}
		ap->counters.threads_changed += res.threads_changed;
		if (res.pages_not_moved > 0)
			ap->counters.pages_not_moved += res.pages_not_moved;
		migrated[0] = '\0';
		if (err) {
			/* The threads are pinned; moving the memory failed. */
			ap->counters.partial++;
			snprintf(migrated, sizeof(migrated), "; %s", res.message);
		} else {
			ap->counters.actions++;
			if (res.pages_not_moved >= 0)
				snprintf(migrated, sizeof(migrated),
					 "; memory off node %s: %.1f MiB before, %.1f MiB after, "
					 "%ld pages could not move",
					 nodes, res.bytes_off_before / 1048576.0,
					 res.bytes_off_after / 1048576.0, res.pages_not_moved);
		}
		nl_pin_undo_command(&popts, (int)v->pid, undo, sizeof(undo));
		ap_log(ap,
		       "pinned pid %u (%s) to node %s (CPUs %s): %d threads changed%s; remote "
		       "%.0f%% -> %.0f%% expected%s; undo: %s",
		       v->pid, v->comm, nodes, cpus, res.threads_changed, migrated,
		       adv.remote_now * 100, adv.remote_after * 100,
		       ap->o.verify_s > 0 ? ", measured over the next refreshes" : "", undo);
	}
	nl_advisor_memory_sweep(&ap->memory);
	ap_watch_sweep(ap);
	done_sweep(ap, snap);
out:
	free(l);
	free(busy);
	return acted;
}
