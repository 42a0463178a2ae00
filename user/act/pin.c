// SPDX-License-Identifier: GPL-2.0
/*
 * Pin and unpin: thread affinity with sched_setaffinity(2) on every thread
 * of /proc/PID/task, pages with migrate_pages(2), and the record that lets
 * unpin undo it.
 *
 * Threads come and go while we work. A scan lists the threads, saves the
 * affinity of those not seen before (the record is on disk before the first
 * change), then sets the target on each that lacks it. A thread created
 * during a scan by a thread not yet changed inherits the old affinity and is
 * caught by the next scan; scans repeat until one finds nothing to change,
 * at which point every thread has the target and new threads inherit it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "array.h"
#include "log.h"
#include "model.h"
#include "pidsearch.h"
#include "pin.h"
#include "pin_record.h"
#include "privs.h"
#include "procfs.h"
#include "untrusted.h"

#define MASK_BYTES (NL_CPU_WORDS * sizeof(uint64_t))

const char *nl_pin_refusal_name(enum nl_pin_refusal r)
{
	static const char *const names[] = {
		[NL_PIN_OK] = "ok",
		[NL_PIN_GONE] = "no_such_process",
		[NL_PIN_KTHREAD] = "kernel_thread",
		[NL_PIN_SELF] = "numalens_itself",
		[NL_PIN_INIT] = "pid_1",
		[NL_PIN_POD] = "kubernetes_pod",
		[NL_PIN_PRIVILEGE] = "permission",
		[NL_PIN_CPUSET] = "cpuset",
		[NL_PIN_BAD_TARGET] = "bad_target",
		[NL_PIN_NOT_PINNED] = "not_pinned",
		[NL_PIN_REUSED] = "pid_reused",
		[NL_PIN_FAILED] = "failed",
		[NL_PIN_UNTRUSTED] = "untrusted_state",
	};

	return (unsigned int)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

int nl_pin_exit_status(enum nl_pin_refusal r)
{
	switch (r) {
	case NL_PIN_OK:
		return NL_EXIT_OK;
	case NL_PIN_GONE:
		return NL_EXIT_NO_PID;
	case NL_PIN_PRIVILEGE:
		return NL_EXIT_PRIVILEGE;
	case NL_PIN_BAD_TARGET:
		return NL_EXIT_USAGE;
	case NL_PIN_FAILED:
	case NL_PIN_NOT_PINNED:
		return NL_EXIT_FAILURE;
	default:
		return NL_EXIT_REFUSED;
	}
}

static void msgf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void msgf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

enum nl_pin_refusal nl_pin_check(int pid, const struct nl_proc_limits *l, bool force, char *msg,
				 size_t size)
{
	uid_t me = geteuid();

	msg[0] = '\0';
	if (!l || !l->known) {
		msgf(msg, size, "no process with pid %d", pid);
		return NL_PIN_GONE;
	}
	if (l->kthread) {
		msgf(msg, size,
		     "pid %d (%s) is a kernel thread: its placement is the kernel's, numalens "
		     "does not pin kernel threads; nothing changed",
		     pid, l->comm);
		return NL_PIN_KTHREAD;
	}
	if (pid == getpid()) {
		msgf(msg, size, "pid %d is numalens itself; nothing changed", pid);
		return NL_PIN_SELF;
	}
	if (pid == 1) {
		msgf(msg, size,
		     "pid 1 (%s) is the init process: everything it starts would inherit the "
		     "pin, so numalens does not pin it; nothing changed",
		     l->comm);
		return NL_PIN_INIT;
	}
	if (l->ctx.runtime == NL_RT_KUBERNETES && !force) {
		msgf(msg, size,
		     "pid %d (%s) runs in Kubernetes pod %s (cgroup %s): the kubelet owns its "
		     "cpuset and would undo or fight a pin; use the kubelet's CPU manager "
		     "(static policy) with the topology manager (single-numa-node) instead, or "
		     "--force to pin it anyway; nothing changed",
		     pid, l->comm, l->ctx.pod[0] ? l->ctx.pod : "?", l->cgroup);
		return NL_PIN_POD;
	}
	/* The kernel's rule for sched_setaffinity and migrate_pages: the same
	 * owner (our euid is its uid or euid) or CAP_SYS_NICE. */
	if (!nl_has_cap(CAP_SYS_NICE) && me != l->uid && me != l->euid) {
		msgf(msg, size,
		     "numalens runs as uid %u without CAP_SYS_NICE and pid %d (%s) belongs to "
		     "uid %u: the kernel refuses to change its affinity (EPERM); run numalens as "
		     "root or give it CAP_SYS_NICE; nothing changed",
		     (unsigned int)me, pid, l->comm, l->uid);
		return NL_PIN_PRIVILEGE;
	}
	return NL_PIN_OK;
}

enum nl_pin_refusal nl_pin_refusal_for(const struct nl_advice *a)
{
	switch (a->block) {
	case NL_BLOCK_NONE:
		return a->action == NL_ACT_NONE ? NL_PIN_FAILED : NL_PIN_OK;
	case NL_BLOCK_CPUSET_CPUS:
	case NL_BLOCK_CPUSET_MEMS:
		return NL_PIN_CPUSET;
	case NL_BLOCK_NO_NODE:
	case NL_BLOCK_NO_CPUS:
		return NL_PIN_BAD_TARGET;
	default:
		return NL_PIN_FAILED;
	}
}

int nl_pin_auto_plan(struct nl_snapshot *snap, uint32_t pid, bool migrate, struct nl_advice *adv,
		     struct nl_proc_limits *l, bool *held)
{
	struct nl_proc_view *v = nl_snapshot_find(snap, pid);
	struct nl_advice_step step;
	int err;

	*held = false;
	if (!v) {
		memset(adv, 0, sizeof(*adv));
		msgf(adv->reason, sizeof(adv->reason), "pid %u did not run in the window", pid);
		return -ESRCH;
	}
	/* The agent attached it when asked for this pid; else the same step now. */
	nl_advice_step_default(&step);
	err = v->advice ? 0 : nl_snapshot_advise_one(snap, v, &step.opts, NULL);
	if (err) {
		memset(adv, 0, sizeof(*adv));
		msgf(adv->reason, sizeof(adv->reason), "no plan: %s", strerror(-err));
		return err;
	}
	*adv = v->advice->advice;
	*l = v->advice->limits;
	if (v->advice->err)
		return -ESRCH;
	*held = adv->action == NL_ACT_MIGRATE && !migrate;
	return 0;
}

void nl_pin_state_path(const struct nl_pin_opts *o, int pid, char *buf, size_t size)
{
	msgf(buf, size, "%s/%d.pin", o && o->state_dir ? o->state_dir : NL_PIN_STATE_DIR, pid);
}

void nl_pin_undo_command(const struct nl_pin_opts *o, int pid, char *buf, size_t size)
{
	const char *d = o ? o->state_dir : NULL, *c;
	size_t used = 0;
	bool plain = d && d[0];

	if (!d) {
		msgf(buf, size, "numalens unpin %d", pid);
		return;
	}
	/* unpin finds the record where pin left it: the same directory. */
	for (c = d; plain && *c; c++)
		plain = isalnum((unsigned char)*c) || strchr("-_./:,+@%", *c);
	if (plain) {
		msgf(buf, size, "NUMALENS_STATE_DIR=%s numalens unpin %d", d, pid);
		return;
	}
	used = snprintf(buf, size, "NUMALENS_STATE_DIR='");
	for (c = d; *c && used + 5 < size; c++) /* ' is '\'' within quotes */
		used += snprintf(buf + used, size - used, *c == '\'' ? "'\\''" : "%c", *c);
	if (used < size)
		snprintf(buf + used, size - used, "' numalens unpin %d", pid);
}

/* ---- threads ---- */

int nl_tids_add(struct nl_tids *t, int tid)
{
	int *room = nl_array_room(t->tid, t->nr, &t->cap, sizeof(*room), 64);

	if (!room)
		return -ENOMEM;
	t->tid = room;
	t->tid[t->nr++] = tid;
	return 0;
}

static int tids_visit(int tid, void *tids)
{
	return nl_tids_add(tids, tid);
}

static int real_list(int pid, struct nl_tids *t, void *ctx)
{
	return nl_task_walk(pid, tids_visit, t);
}

static int real_get(int tid, uint64_t *mask, void *ctx)
{
	return sched_getaffinity(tid, MASK_BYTES, (cpu_set_t *)mask) ? -errno : 0;
}

static int real_set(int tid, const uint64_t *mask, void *ctx)
{
	return sched_setaffinity(tid, MASK_BYTES, (const cpu_set_t *)mask) ? -errno : 0;
}

static int real_same(int pid, int pidfd, uint64_t start, void *ctx);

/* The hooks of o, the real ones where it names none. */
static struct nl_pin_hooks hooks_of(const struct nl_pin_opts *o)
{
	struct nl_pin_hooks h = { 0 };

	if (o && o->hooks)
		h = *o->hooks;
	if (!h.list)
		h.list = real_list;
	if (!h.get)
		h.get = real_get;
	if (!h.set)
		h.set = real_set;
	if (!h.same)
		h.same = real_same;
	return h;
}

/* One scan: the threads of pid into t; -ENOENT when the process is gone. */
static int list_tids(const struct nl_pin_hooks *h, int pid, struct nl_tids *t)
{
	int err;

	t->nr = 0;
	err = h->list(pid, t, h->ctx);
	return err ? err : t->nr ? 0 : -ENOENT;
}

static int get_mask(const struct nl_pin_hooks *h, int tid, uint64_t *mask)
{
	memset(mask, 0, MASK_BYTES);
	return h->get(tid, mask, h->ctx);
}

static int set_mask(const struct nl_pin_hooks *h, int tid, const uint64_t *mask)
{
	return h->set(tid, mask, h->ctx);
}

static bool mask_empty(const uint64_t *mask)
{
	size_t w;

	for (w = 0; w < NL_CPU_WORDS; w++)
		if (mask[w])
			return false;
	return true;
}

static bool same_mask(const uint64_t *a, const uint64_t *b)
{
	return !memcmp(a, b, MASK_BYTES);
}

/* Start time of pid in ticks, or a negative errno. */
static int start_of(int pid, uint64_t *start, char *comm, size_t size)
{
	struct nl_proc_stat st;
	int err = nl_proc_stat_read(pid, &st);

	if (err)
		return err;
	*start = st.starttime_ticks;
	if (comm)
		snprintf(comm, size, "%s", st.comm);
	return 0;
}

/* A pidfd of pid (pidfd_open(2), Linux 5.3), or -1. */
static int pidfd_of(int pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	return -1;
#endif
}

static int real_same(int pid, int pidfd, uint64_t start, void *ctx)
{
	uint64_t now;

	/* Alive (EPERM says so too): its pid has named it all along. */
#ifdef SYS_pidfd_send_signal
	if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) && errno == ESRCH)
		return -ESRCH;
#endif
	return start_of(pid, &now, NULL, 0) || now != start ? -ESRCH : 0;
}

/* Resident bytes off the node set, from numa_maps. */
static int bytes_off(int pid, uint64_t nodes, uint64_t *off)
{
	struct nl_numa_maps m;
	int err = nl_numa_maps_read(pid, 0, &m), n;

	if (err)
		return err;
	*off = 0;
	for (n = 0; n < NL_MAX_NODES; n++)
		if (!(nodes >> n & 1))
			*off += m.node_bytes[n];
	return 0;
}

/* Puts back the threads changed so far (after a failure). */
static void roll_back(const struct nl_pin_hooks *h, const struct nl_pin_record *r,
		      const struct nl_tids *changed)
{
	size_t i, j;

	for (i = 0; i < changed->nr; i++)
		for (j = 0; j < r->nr; j++)
			if (r->t[j].tid == changed->tid[i])
				set_mask(h, changed->tid[i], r->t[j].mask);
}

/* pin --apply once the process is checked: start is its start time, dirfd
 * the state directory, pidfd the process (-1 if pidfd_open failed). */
static int pin_threads(int pid, uint64_t start, const char *comm, const struct nl_advice *a,
		       const struct nl_pin_opts *o, struct nl_pin_result *res, int dirfd, int pidfd)
{
	uint64_t cur[NL_CPU_WORDS], want[NL_CPU_WORDS];
	const struct nl_pin_hooks h = hooks_of(o);
	struct nl_pin_record rec = { 0 };
	struct nl_tids tids = { 0 }, changed = { 0 };
	size_t i;
	int err;
	bool have_effective = false;

	memcpy(want, a->cpus, sizeof(want));
	/* A record of an earlier pin of the same process keeps what it saved:
	 * that is the affinity from before numalens touched it. */
	if (!nl_pin_record_load(dirfd, pid, &rec, NULL, 0) && rec.pid == pid &&
	    rec.start == start) {
		res->kept_record = true;
	} else {
		nl_pin_record_free(&rec);
		rec.pid = pid;
		rec.start = start;
		snprintf(rec.comm, sizeof(rec.comm), "%s", comm);
	}
	memcpy(rec.target, want, sizeof(want));

	for (;;) {
		bool saved_new = false, first = res->passes == 0;
		int todo = 0;

		if (res->passes == NL_PIN_MAX_PASSES) {
			err = -EAGAIN;
			msgf(res->message, sizeof(res->message),
			     "pid %d keeps creating threads or changing their affinity (%d scans)",
			     pid, NL_PIN_MAX_PASSES);
			goto fail;
		}
		res->passes++;
		err = list_tids(&h, pid, &tids);
		if (err) {
			msgf(res->message, sizeof(res->message), "pid %d exited during the pin",
			     pid);
			res->refusal = NL_PIN_GONE;
			goto fail_refusal;
		}
		/* Save first: the record is on disk before any thread changes. */
		for (i = 0; i < tids.nr; i++) {
			if (get_mask(&h, tids.tid[i], cur)) {
				tids.tid[i] = 0; /* exited */
				continue;
			}
			if (first && tids.tid[i] == pid && !res->kept_record)
				memcpy(rec.original, cur, sizeof(cur));
			if (first && tids.tid[i] == pid)
				nl_bits_to_list(res->kept_record ? rec.original : cur, NL_MAX_CPUS,
						res->before, sizeof(res->before));
			if (same_mask(cur, want)) {
				/* Already there; new threads that inherited it need no record. */
				if (first && !nl_pin_record_find(&rec, tids.tid[i]) &&
				    (err = nl_pin_record_add(&rec, tids.tid[i], cur)))
					goto fail;
				saved_new |= first;
				continue;
			}
			todo++;
			if (!nl_pin_record_find(&rec, tids.tid[i])) {
				err = nl_pin_record_add(&rec, tids.tid[i], cur);
				if (err)
					goto fail;
				saved_new = true;
			}
		}
		if (first && mask_empty(rec.original) && rec.nr)
			memcpy(rec.original, rec.t[0].mask, MASK_BYTES); /* the leader had exited */
		if (saved_new || first) {
			err = nl_pin_record_save(dirfd, &rec);
			if (err) {
				bool denied = err == -EACCES || err == -EPERM || err == -EROFS;

				msgf(res->message, sizeof(res->message),
				     "cannot save the present affinity in %s: %s%s",
				     res->state_path, strerror(-err),
				     denied ? " (run as root, or set NUMALENS_STATE_DIR to a "
					      "directory you may write)" :
					      "");
				res->refusal = denied ? NL_PIN_PRIVILEGE : NL_PIN_FAILED;
				goto fail_refusal;
			}
		}
		if (!todo)
			break;
		for (i = 0; i < tids.nr; i++) {
			int tid = tids.tid[i];

			if (!tid || get_mask(&h, tid, cur) || same_mask(cur, want))
				continue;
			err = set_mask(&h, tid, want);
			if (err == -ESRCH)
				continue;
			if (err) {
				msgf(res->message, sizeof(res->message),
				     "cannot set the affinity of thread %d of pid %d: %s%s", tid,
				     pid, strerror(-err),
				     err == -EPERM  ? " (needs CAP_SYS_NICE or the same owner)" :
				     err == -EINVAL ? " (its cpuset allows none of those CPUs)" :
						      "");
				res->refusal = err == -EPERM  ? NL_PIN_PRIVILEGE :
					       err == -EINVAL ? NL_PIN_CPUSET :
								NL_PIN_FAILED;
				goto fail_refusal;
			}
			err = nl_tids_add(&changed, tid);
			if (err)
				goto fail;
			/* The kernel may narrow the mask (offline CPUs, cpuset): compare
			 * with what it really set from now on. */
			if (!have_effective && !get_mask(&h, tid, cur)) {
				have_effective = true;
				if (!same_mask(cur, want)) {
					memcpy(want, cur, sizeof(want));
					memcpy(rec.target, want, sizeof(want));
					if ((err = nl_pin_record_save(dirfd, &rec)))
						goto fail;
				}
			}
		}
		res->threads_changed = (int)changed.nr;
	}
	/* The threads listed were the checked process's only if its pid still
	 * names it: it may have exited since, and the pid gone to another. */
	err = h.same(pid, pidfd, start, h.ctx);
	if (err) {
		msgf(res->message, sizeof(res->message),
		     "pid %d exited while pin worked, or names another process now (the threads "
		     "it changed may be another process's)",
		     pid);
		res->refusal = NL_PIN_REUSED;
		goto fail_refusal;
	}
	for (i = 0; i < tids.nr; i++)
		res->threads += tids.tid[i] != 0;
	res->pinned = true;

	if (o && o->migrate) {
		unsigned long from[2] = { 0 }, to[2] = { 0 };
		struct nl_numa_maps maps;
		uint64_t off = 0;
		long left;
		int n;

		/* From every node holding some of it outside the target. */
		from[0] = a->move_from;
		if (!nl_numa_maps_read(pid, 0, &maps)) {
			for (n = 0; n < NL_MAX_NODES; n++)
				if (!(a->nodes >> n & 1) && maps.node_bytes[n]) {
					from[0] |= 1ul << n;
					off += maps.node_bytes[n];
				}
			res->bytes_off_before = off;
		}
		to[0] = a->nodes;
		if (!from[0]) {
			res->pages_not_moved = 0;
			goto done;
		}
		rec.moved_from = from[0];
		rec.moved_to = to[0];
		nl_pin_record_save(dirfd, &rec);
		left = syscall(SYS_migrate_pages, pid, (unsigned long)NL_MAX_NODES + 1, from, to);
		if (left < 0) {
			err = -errno;
			/* The affinity stays: it is done and recorded; say why the pages did not move. */
			msgf(res->message, sizeof(res->message),
			     "the threads are pinned, but migrate_pages failed: %s%s",
			     strerror(-err),
			     err == -EPERM ?
				     " (moving another user's pages needs CAP_SYS_NICE, and "
				     "CAP_SYS_PTRACE for its ptrace access check)" :
			     err == -EINVAL ? " (its cpuset does not allow memory on the target)" :
					      "");
			res->refusal = NL_PIN_FAILED;
			free(changed.tid);
			free(tids.tid);
			nl_pin_record_free(&rec);
			return err;
		}
		res->pages_not_moved = left;
		if (!bytes_off(pid, a->nodes, &off))
			res->bytes_off_after = off;
	}
done:
	free(changed.tid);
	free(tids.tid);
	nl_pin_record_free(&rec);
	return 0;

fail:
	res->refusal = NL_PIN_FAILED;
fail_refusal:
	roll_back(&h, &rec, &changed);
	/* Say what became of the process: only the truth about it. */
	if (!res->message[0])
		msgf(res->message, sizeof(res->message), "%s", strerror(err ? -err : EIO));
	if (res->refusal != NL_PIN_GONE) {
		size_t used = strlen(res->message);

		if (changed.nr)
			msgf(res->message + used, sizeof(res->message) - used,
			     "; the %zu thread%s it had changed %s back on the affinity they had",
			     changed.nr, changed.nr == 1 ? "" : "s",
			     changed.nr == 1 ? "is" : "are");
		else
			msgf(res->message + used, sizeof(res->message) - used, "; nothing changed");
	}
	if (!res->kept_record)
		nl_pin_record_remove(dirfd, pid);
	res->threads_changed = 0;
	free(changed.tid);
	free(tids.tid);
	nl_pin_record_free(&rec);
	return err ? err : -EIO;
}

int nl_pin_apply(int pid, const struct nl_proc_limits *l, const struct nl_advice *a,
		 const struct nl_pin_opts *o, struct nl_pin_result *res)
{
	const char *dir = o && o->state_dir ? o->state_dir : NL_PIN_STATE_DIR;
	char comm[16], why[400];
	uint64_t start;
	int err, dirfd, pidfd;

	memset(res, 0, sizeof(*res));
	res->pages_not_moved = -1;
	nl_pin_state_path(o, pid, res->state_path, sizeof(res->state_path));
	if (a->action == NL_ACT_NONE || !a->nr_cpus) {
		res->refusal = nl_pin_refusal_for(a);
		msgf(res->message, sizeof(res->message), "nothing to apply: %s", a->reason);
		return -EINVAL;
	}
	/* The process itself, before the check that it is the one we looked
	 * at: while it lives its pid names no other (pin_threads asks again
	 * after acting). */
	pidfd = pidfd_of(pid);
	/* The same process we looked at, still there. */
	err = start_of(pid, &start, comm, sizeof(comm));
	if (err || (l && l->known && start != l->start_ticks)) {
		res->refusal = NL_PIN_GONE;
		msgf(res->message, sizeof(res->message), "pid %d %s; nothing changed", pid,
		     err ? "has exited" : "now names another process");
		if (pidfd >= 0)
			close(pidfd);
		return -ESRCH;
	}
	dirfd = nl_pin_dir_open(dir, true, why, sizeof(why));
	if (dirfd < 0) {
		err = dirfd;
		if (why[0]) {
			res->refusal = NL_PIN_UNTRUSTED;
			msgf(res->message, sizeof(res->message), "%s; nothing changed", why);
		} else {
			res->refusal = err == -EACCES || err == -EPERM || err == -EROFS ?
					       NL_PIN_PRIVILEGE :
					       NL_PIN_FAILED;
			msgf(res->message, sizeof(res->message),
			     "cannot create %s to save the present affinity: %s; nothing changed "
			     "(run as root, or set NUMALENS_STATE_DIR to a directory you may write)",
			     dir, strerror(-err));
		}
	} else {
		err = pin_threads(pid, start, comm, a, o, res, dirfd, pidfd);
		close(dirfd);
	}
	if (pidfd >= 0)
		close(pidfd);
	return err;
}

int nl_unpin(int pid, const struct nl_pin_opts *o, struct nl_unpin_result *res)
{
	uint64_t cur[NL_CPU_WORDS], start, effective[NL_CPU_WORDS];
	const char *dir = o && o->state_dir ? o->state_dir : NL_PIN_STATE_DIR;
	char path[PATH_MAX], comm[16] = "", why[400] = "";
	const struct nl_pin_hooks h = hooks_of(o);
	struct nl_pin_record rec = { 0 };
	struct nl_tids tids = { 0 }, restored = { 0 };
	struct nl_proc_stat st;
	int err, rounds, dirfd, pidfd = -1;
	size_t i;

	memset(res, 0, sizeof(*res));
	nl_pin_state_path(o, pid, path, sizeof(path));
	dirfd = nl_pin_dir_open(dir, false, why, sizeof(why));
	err = dirfd < 0 ? dirfd : nl_pin_record_load(dirfd, pid, &rec, why, sizeof(why));
	if (err == -ENOENT && kill(pid, 0) && errno == ESRCH) {
		res->refusal = NL_PIN_GONE;
		msgf(res->message, sizeof(res->message),
		     "no process with pid %d (and no record of a pin of it); nothing changed", pid);
		err = -ESRCH;
		goto out;
	}
	if (err == -ENOENT) {
		res->refusal = NL_PIN_NOT_PINNED;
		msgf(res->message, sizeof(res->message),
		     "pid %d was not pinned by numalens (no record %s); nothing changed", pid,
		     path);
		goto out;
	}
	if (err && why[0]) {
		/* Not ours, or not only ours: left as it is, and not believed. */
		res->refusal = NL_PIN_UNTRUSTED;
		msgf(res->message, sizeof(res->message), "cannot use %s: %s; nothing changed", path,
		     why);
		goto out;
	}
	if (err) {
		res->refusal = err == -EACCES || err == -EPERM ? NL_PIN_PRIVILEGE : NL_PIN_FAILED;
		msgf(res->message, sizeof(res->message), "cannot read %s: %s%s; nothing changed",
		     path, strerror(-err),
		     res->refusal == NL_PIN_PRIVILEGE ? " (run unpin as the user who pinned it)" :
							"");
		goto out;
	}
	nl_untrusted_clean(rec.comm); /* for the messages */
	nl_bits_to_list(rec.target, NL_MAX_CPUS, res->target, sizeof(res->target));
	nl_bits_to_list(rec.original, NL_MAX_CPUS, res->original, sizeof(res->original));
	res->moved_from = rec.moved_from;
	res->moved_to = rec.moved_to;
	/* As pin: the process held before its start time is checked. */
	pidfd = pidfd_of(pid);
	err = start_of(pid, &start, comm, sizeof(comm));
	if (err) {
		res->refusal = NL_PIN_GONE;
		msgf(res->message, sizeof(res->message),
		     "pid %d (%s, pinned by numalens) has exited; its record %s is removed", pid,
		     rec.comm, path);
		nl_pin_record_remove(dirfd, pid);
		err = -ESRCH;
		goto out;
	}
	if (start != rec.start) {
		long hz = sysconf(_SC_CLK_TCK);

		res->refusal = NL_PIN_REUSED;
		msgf(res->message, sizeof(res->message),
		     "pid %d now names another process (%s, started %.2f s after boot) than the one "
		     "numalens pinned (%s, started %.2f s after boot); nothing restored, the stale "
		     "record %s is removed",
		     pid, comm, (double)start / hz, rec.comm, (double)rec.start / hz, path);
		nl_pin_record_remove(dirfd, pid);
		err = -ESRCH;
		goto out;
	}
	if (!nl_proc_stat_read(pid, &st) && !nl_has_cap(CAP_SYS_NICE)) {
		struct nl_proc_limits l = { 0 };
		char msg[512];
		struct nl_topology *t = calloc(1, sizeof(*t));

		/* Same owner rule as pin. */
		if (t && !nl_proc_limits_read(pid, t, &l) &&
		    nl_pin_check(pid, &l, true, msg, sizeof(msg)) == NL_PIN_PRIVILEGE) {
			res->refusal = NL_PIN_PRIVILEGE;
			msgf(res->message, sizeof(res->message), "%s", msg);
			free(t);
			err = -EPERM;
			goto out;
		}
		free(t);
	}

	memcpy(effective, rec.target, sizeof(effective));
	for (rounds = 0; rounds < NL_PIN_MAX_PASSES; rounds++) {
		int done = 0;

		res->passes++;
		if (list_tids(&h, pid, &tids))
			break;
		res->left_alone = 0;
		for (i = 0; i < tids.nr; i++) {
			const struct nl_pin_thread *t = nl_pin_record_find(&rec, tids.tid[i]);
			const uint64_t *back = t ? t->mask : rec.original;

			if (get_mask(&h, tids.tid[i], cur))
				continue;
			if (same_mask(cur, back))
				continue; /* restored, or never changed */
			if (!same_mask(cur, effective)) {
				res->left_alone++; /* changed since the pin: not ours to undo */
				continue;
			}
			err = set_mask(&h, tids.tid[i], back);
			if (err == -ESRCH)
				continue;
			if (err) {
				res->refusal = err == -EPERM ? NL_PIN_PRIVILEGE : NL_PIN_FAILED;
				msgf(res->message, sizeof(res->message),
				     "cannot restore the affinity of thread %d of pid %d: %s (%d "
				     "restored so far; the record %s is kept)",
				     tids.tid[i], pid, strerror(-err), res->restored, path);
				goto out;
			}
			err = nl_tids_add(&restored, tids.tid[i]);
			if (err) {
				res->refusal = NL_PIN_FAILED;
				msgf(res->message, sizeof(res->message),
				     "%s (the record %s is kept)", strerror(-err), path);
				goto out;
			}
			res->restored++;
			done++;
		}
		if (!done)
			break;
	}
	/* The threads were the pinned process's only if its pid still names it. */
	if (h.same(pid, pidfd, start, h.ctx)) {
		for (i = 0; i < restored.nr; i++)
			set_mask(&h, restored.tid[i], effective);
		res->refusal = NL_PIN_REUSED;
		msgf(res->message, sizeof(res->message),
		     "pid %d exited while unpin worked, or names another process now: the %d "
		     "thread%s it changed %s back on %s, as found; the record %s is removed",
		     pid, res->restored, res->restored == 1 ? "" : "s",
		     res->restored == 1 ? "is" : "are", res->target, path);
		res->restored = 0;
		nl_pin_record_remove(dirfd, pid);
		err = -ESRCH;
		goto out;
	}
	nl_pin_record_remove(dirfd, pid);
	err = 0;
out:
	free(tids.tid);
	free(restored.tid);
	nl_pin_record_free(&rec);
	if (dirfd >= 0)
		close(dirfd);
	if (pidfd >= 0)
		close(pidfd);
	return err;
}

/* ---- auto-pin ---- */

struct nl_autopin {
	struct nl_autopin_opts o;
	struct nl_autopin_hooks h;
	struct nl_autopin_counters counters;
	struct nl_advisor_memory memory;
	double last_action; /* -1: never */
	/* Processes acted on or found outside the allowlist, for cooldown and
	 * counting once. */
	struct done {
		uint32_t pid;
		uint64_t start_time_ns;
		double at;
		bool acted;
		bool denied; /* outside the allowlist: logged and counted */
		bool held;   /* held back by the rate limit: logged */
		bool alive;  /* in the latest snapshot (done_sweep) */
		bool never;  /* refused for good (kernel thread, pod...): said once */
	} * done;	     /* sorted by pid */
	size_t nr_done, cap_done;
};

void nl_autopin_opts_default(struct nl_autopin_opts *o)
{
	memset(o, 0, sizeof(*o));
	nl_advisor_opts_default(&o->advisor);
	o->advisor.allow_migrate = false;
	o->min_interval_s = 60;
	o->stable_refreshes = 3;
	o->cooldown_s = 600;
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
	free(ap);
}

/* The entries are kept sorted by pid (one per pid: a reused pid replaces
 * the old process's), so lookups and the sweep stay cheap with thousands
 * of processes flagged. Returns the index of pid, or where it would go. */
static size_t done_lookup(const struct nl_autopin *ap, uint32_t pid, bool *found)
{
	return NL_PID_SEARCH(ap->done, ap->nr_done, pid, found);
}

static struct done *done_find(struct nl_autopin *ap, const struct nl_proc_view *v)
{
	bool found;
	size_t i = done_lookup(ap, v->pid, &found);

	return found && ap->done[i].start_time_ns == v->start_time_ns ? &ap->done[i] : NULL;
}

static struct done *done_add(struct nl_autopin *ap, const struct nl_proc_view *v, double now)
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
		struct done *d = snap->procs[i].exited ? NULL : done_find(ap, &snap->procs[i]);

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

static void logf_(struct nl_autopin *ap, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void logf_(struct nl_autopin *ap, const char *fmt, ...)
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
				     .state_dir = ap->o.state_dir };
	struct nl_proc_limits *l = malloc(sizeof(*l));
	double *busy = calloc(snap->nr_nodes ? snap->nr_nodes : 1, sizeof(*busy));
	int acted = 0;
	size_t i;

	if (!l || !busy)
		goto out;
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
		struct done *d;
		enum nl_pin_refusal refusal;
		int err;
		char msg[512], nodes[64], cpus[128], moved[32], migrated[600], undo[320];

		/* Cheap filter before any /proc read: the thresholds, with room for hysteresis. */
		if (v->pid == (uint32_t)getpid() ||
		    !nl_advisor_candidate(&ap->o.advisor, v, snap->window_s))
			continue;
		d = done_find(ap, v);
		if (d && (d->never || (d->acted && now - d->at < ap->o.cooldown_s)))
			continue;
		/* Gone, or the pid names another process since the snapshot. */
		if (ap->h.limits((int)v->pid, snap->topo, l, ap->h.ctx) ||
		    !nl_proc_limits_same(v, l))
			continue;
		e = nl_advise_tracked(&ap->memory, &in, &ap->o.advisor, &adv);
		if (!e || adv.action == NL_ACT_NONE || e->streak < ap->o.stable_refreshes)
			continue;
		if (!allowed(ap, v, l)) {
			if (!d || !d->denied) {
				d = done_add(ap, v, now);
				if (d)
					d->denied = true;
				ap->counters.not_allowed++;
				logf_(ap,
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
			d = done_add(ap, v, now);
			if (d) {
				/* A kernel thread, pid 1, numalens or a pod stays one:
				 * said once. Others (EPERM, cpuset) after the cooldown. */
				d->never = refusal == NL_PIN_KTHREAD || refusal == NL_PIN_SELF ||
					   refusal == NL_PIN_INIT || refusal == NL_PIN_POD;
				d->acted = true;
				d->at = now;
			}
			logf_(ap, "pid %u (%s): refused%s: %s", v->pid, v->comm,
			      d && d->never ? " for good" : "", msg);
			continue;
		}
		if (acted ||
		    (ap->last_action >= 0 && now - ap->last_action < ap->o.min_interval_s)) {
			ap->counters.rate_limited++;
			d = d ? d : done_add(ap, v, now);
			if (d && !d->held) {
				d->held = true;
				logf_(ap,
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
		d = done_add(ap, v, now);
		if (d) {
			d->acted = true;
			d->at = now;
		}
		if (ap->o.dry_run) {
			ap->counters.dry_runs++;
			logf_(ap, "dry run: pid %u (%s) would go to node %s (CPUs %s)%s%s: %s",
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
			logf_(ap, "pid %u (%s): not pinned: %s", v->pid, v->comm, res.message);
			continue;
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
		logf_(ap,
		      "pinned pid %u (%s) to node %s (CPUs %s): %d threads changed%s; remote "
		      "%.0f%% -> %.0f%% expected; undo: %s",
		      v->pid, v->comm, nodes, cpus, res.threads_changed, migrated,
		      adv.remote_now * 100, adv.remote_after * 100, undo);
	}
	nl_advisor_memory_sweep(&ap->memory);
	done_sweep(ap, snap);
out:
	free(l);
	free(busy);
	return acted;
}
