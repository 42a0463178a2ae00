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
	case NL_BLOCK_SLOWER_TIER:
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

static int real_numa_maps(int pid, struct nl_numa_maps *m, void *ctx)
{
	return nl_numa_maps_read(pid, 0, m);
}

static uint64_t real_now(void *ctx)
{
	time_t t = time(NULL);

	return t > 0 ? (uint64_t)t : 0;
}

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
	if (!h.numa_maps)
		h.numa_maps = real_numa_maps;
	if (!h.now)
		h.now = real_now;
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

int nl_pin_pages_off(int pid, uint64_t nodes, const struct nl_pin_hooks *hooks, uint64_t *off,
		     uint64_t *off_nodes)
{
	struct nl_pin_opts o = { .hooks = hooks };
	struct nl_pin_hooks h = hooks_of(&o);
	struct nl_numa_maps m;
	int err = h.numa_maps(pid, &m, h.ctx), n;

	*off = 0;
	*off_nodes = 0;
	if (err)
		return err;
	for (n = 0; n < NL_MAX_NODES; n++)
		if (!(nodes >> n & 1) && m.node_bytes[n]) {
			*off += m.node_bytes[n];
			*off_nodes |= 1ull << n;
		}
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
	bool have_effective = false, confirmed = false;

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
	/* This pin is the process's last change: when it came, and no result
	 * yet (what verify found before was of the earlier pin's target). */
	rec.applied = h.now(h.ctx);
	rec.by = o && o->by != NL_PIN_BY_UNKNOWN ? o->by : NL_PIN_BY_PIN;
	memset(&rec.verified, 0, sizeof(rec.verified));

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
		/* A thread being created while its creator was changed got the
		 * old affinity and may not be listed yet: after changing any, a
		 * scan that finds nothing to do is trusted only once it is
		 * repeated after a pause (under emulation the creating CPU can be
		 * held for milliseconds). */
		if (!todo && (!changed.nr || confirmed))
			break;
		if (!todo) {
			confirmed = true;
			nanosleep(&(struct timespec){ .tv_nsec = NL_PIN_SETTLE_NS }, NULL);
			continue;
		}
		confirmed = false;
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
		uint64_t off_nodes;
		long left;

		/* From every node holding some of it outside the target. */
		from[0] = a->move_from;
		if (!nl_pin_pages_off(pid, a->nodes, &h, &res->bytes_off_before, &off_nodes))
			from[0] |= off_nodes;
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
		res->check_err = nl_pin_pages_off(pid, a->nodes, &h, &res->bytes_off_after,
						  &res->nodes_off_after);
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
		res->start = start;
		err = pin_threads(pid, start, comm, a, o, res, dirfd, pidfd);
		close(dirfd);
	}
	if (pidfd >= 0)
		close(pidfd);
	return err;
}

int nl_pin_state_now(int pid, const uint64_t *target, const struct nl_pin_opts *o, uint64_t *start,
		     int *threads_off)
{
	struct nl_pin_hooks h = hooks_of(o);
	struct nl_tids tids = { 0 };
	struct nl_proc_stat st;
	uint64_t mask[NL_CPU_WORDS];
	size_t i;
	int err = nl_proc_stat_read(pid, &st);

	*threads_off = 0;
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	/* A zombie has exited: its parent has not reaped it yet. */
	if (st.state == 'Z' || st.state == 'X')
		return -ESRCH;
	*start = st.starttime_ticks;
	err = list_tids(&h, pid, &tids);
	for (i = 0; !err && i < tids.nr; i++) {
		/* A thread that exited since the scan has no affinity to lose. */
		int e = get_mask(&h, tids.tid[i], mask);

		if (e && e != -ESRCH)
			err = e;
		else if (!e && !same_mask(mask, target))
			(*threads_off)++;
	}
	free(tids.tid);
	return err == -ENOENT ? -ESRCH : err;
}

int nl_pin_save_verified(int pid, uint64_t start, const struct nl_pin_opts *o,
			 const struct nl_pin_verified *v, char *msg, size_t size)
{
	const char *dir = o && o->state_dir ? o->state_dir : NL_PIN_STATE_DIR;
	struct nl_pin_record rec;
	int dirfd, err;

	msg[0] = '\0';
	dirfd = nl_pin_dir_open(dir, false, msg, size);
	if (dirfd < 0)
		return dirfd;
	err = nl_pin_record_load(dirfd, pid, &rec, msg, size);
	if (err) {
		close(dirfd);
		return err;
	}
	if (rec.start == start) {
		rec.verified = *v;
		err = nl_pin_record_save(dirfd, &rec);
	} else {
		err = -ESRCH; /* the record is of another process now */
	}
	nl_pin_record_free(&rec);
	close(dirfd);
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
