/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Applying a recommendation: the only code in numalens that changes another
 * process. nl_pin_apply saves every thread's affinity under /run/numalens/
 * (keyed by pid and start time) before it changes anything, sets the target
 * CPUs on every thread, scanning /proc/PID/task again until a scan finds
 * nothing left to change (threads created meanwhile are caught), and moves
 * the pages with migrate_pages(2) when asked. nl_unpin restores the saved
 * affinity, only if the pid still names the same process, before and after
 * acting (what went to another process is undone). Records are kept and
 * believed only as pin_record.h says. Refusals change nothing and say why.
 *
 * The auto-pin policy that sits on top is autopin.h's.
 */
#ifndef NUMALENS_PIN_H
#define NUMALENS_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "advisor.h"
#include "cgroup.h"
#include "log.h"
#include "pin_record.h"
#include "procfs.h"
#include "snapshot.h"

#define NL_PIN_STATE_DIR "/run/numalens"
/* Scans of /proc/PID/task before pin gives up on a process whose threads
 * keep appearing or changing their affinity (and undoes what it changed). */
#define NL_PIN_MAX_PASSES 64
/* The pause before the scan that confirms a clean one (20 ms). */
#define NL_PIN_SETTLE_NS 20000000L

/* A refusal exits with NL_EXIT_REFUSED (log.h); the others keep theirs:
 * 3 privileges, 5 no such process. */

enum nl_pin_refusal {
	NL_PIN_OK,
	NL_PIN_GONE,	   /* no such process, or it exited */
	NL_PIN_KTHREAD,	   /* a kernel thread */
	NL_PIN_SELF,	   /* numalens itself */
	NL_PIN_INIT,	   /* pid 1 */
	NL_PIN_POD,	   /* in a Kubernetes pod, without --force */
	NL_PIN_PRIVILEGE,  /* EPERM: not its owner and no CAP_SYS_NICE */
	NL_PIN_CPUSET,	   /* its cpuset forbids the target */
	NL_PIN_BAD_TARGET, /* no such node or CPU, a node without CPUs, memory onto a slower tier */
	NL_PIN_NOT_PINNED, /* unpin: no record of a pin */
	NL_PIN_REUSED,	   /* unpin: the pid names another process now */
	NL_PIN_FAILED,	   /* an error while applying; what was changed is undone */
	NL_PIN_UNTRUSTED,  /* the state directory or record may be another user's */
};

const char *nl_pin_refusal_name(enum nl_pin_refusal r);
/* The exit status a command returns for it. */
int nl_pin_exit_status(enum nl_pin_refusal r);

/*
 * May numalens change this process? Checks, in order: it exists, is not a
 * kernel thread, not numalens, not pid 1, not in a Kubernetes pod (unless
 * force), and that the kernel lets us change its affinity (owner or
 * CAP_SYS_NICE, then a no-op sched_setaffinity). Changes nothing; on refusal
 * msg says why and what to do.
 */
enum nl_pin_refusal nl_pin_check(int pid, const struct nl_proc_limits *l, bool force, char *msg,
				 size_t size);
/* The refusal for an advice that cannot be carried out (NL_PIN_OK if it can). */
enum nl_pin_refusal nl_pin_refusal_for(const struct nl_advice *a);

/*
 * pin --node auto: the plan for pid in snap, the very one diagnose suggests:
 * the advice the agent attached to its view (nl_snapshot_advise, the step's
 * default options), worked out now if none was; its limits copied into l. A plan that exists to move pages
 * (NL_ACT_MIGRATE) is not carried out without migrate: *held is then true
 * and the caller says to add --migrate-memory. A plan that moves the threads
 * and would move a remainder of pages moves only the threads without it.
 * Returns 0, -ESRCH when pid is not in snap, exited, or names another
 * process now (adv->reason says which), or another negative errno.
 */
int nl_pin_auto_plan(struct nl_snapshot *snap, uint32_t pid, bool migrate, struct nl_advice *adv,
		     struct nl_proc_limits *l, bool *held);

/* Thread ids, as a scan of /proc/PID/task lists them. */
struct nl_tids {
	int *tid;
	size_t nr, cap;
};

/* Appends tid: 0, or -ENOMEM. */
int nl_tids_add(struct nl_tids *t, int tid);

/*
 * What pin and unpin call to list a process's threads and to read and set a
 * thread's affinity (a mask of NL_CPU_WORDS words); NULL members use the
 * real ones: /proc/PID/task, sched_getaffinity(2), sched_setaffinity(2).
 * Tests pass fakes. Each returns 0 or a negative errno; list appends to t
 * (-ENOENT or no thread at all: the process is gone).
 */
struct nl_pin_hooks {
	int (*list)(int pid, struct nl_tids *t, void *ctx);
	int (*get)(int tid, uint64_t *mask, void *ctx);
	int (*set)(int tid, const uint64_t *mask, void *ctx);
	/* Asked after acting: does pid still name the process checked, started
	 * at start (clock ticks)? pidfd: from pidfd_open(2) before the check, -1
	 * if none. 0, or -ESRCH when it exited or the pid names another process
	 * (what was applied is then undone). The real one: the pidfd's process
	 * alive, and /proc/PID/stat's start time the same. */
	int (*same)(int pid, int pidfd, uint64_t start, void *ctx);
	/* Where pid's pages are, to check what migrate_pages(2) did rather
	 * than trust its count. The real one: /proc/PID/numa_maps. */
	int (*numa_maps)(int pid, struct nl_numa_maps *m, void *ctx);
	/* The wall clock, in seconds since the Unix epoch, for the record's
	 * applied line. The real one: time(2). */
	uint64_t (*now)(void *ctx);
	void *ctx;
};

struct nl_pin_opts {
	bool migrate;			  /* also move the pages (migrate_pages) */
	const char *state_dir;		  /* NULL: NL_PIN_STATE_DIR */
	const struct nl_pin_hooks *hooks; /* NULL: the real ones */
	enum nl_pin_by by;		  /* for the record; unknown: pin */
};

struct nl_pin_result {
	enum nl_pin_refusal refusal;
	char message[512];   /* on refusal or failure */
	bool pinned;	     /* the threads are on the target (the memory may have failed) */
	int threads;	     /* threads on the target CPUs at the end */
	int threads_changed; /* ... whose affinity numalens changed */
	int passes;	     /* scans of /proc/PID/task */
	bool kept_record;    /* an earlier pin's saved affinity was kept */
	char state_path[300];
	uint64_t start;		   /* the process's start time (clock ticks) */
	char before[256];	   /* the main thread's affinity before */
	long pages_not_moved;	   /* migrate_pages(2)'s count; -1 when no migration */
	uint64_t bytes_off_before; /* resident bytes off the target nodes, before */
	uint64_t bytes_off_after;  /* ... and after, where its pages are (not the count) */
	uint64_t nodes_off_after;  /* the nodes holding them */
	int check_err;		   /* why where they are could not be read (0: it was) */
};

/* Resident bytes of pid off nodes, and the nodes holding them, read with
 * h's numa_maps (NULL h or member: the real one). 0 or a negative errno. */
int nl_pin_pages_off(int pid, uint64_t nodes, const struct nl_pin_hooks *h, uint64_t *off,
		     uint64_t *off_nodes);

int nl_pin_apply(int pid, const struct nl_proc_limits *l, const struct nl_advice *a,
		 const struct nl_pin_opts *o, struct nl_pin_result *res);

/*
 * After a pin to target: pid's start time now, and how many of its threads
 * no longer have target (set by something else since). 0, -ESRCH when no
 * process has the pid or it has exited (a zombie), or another negative
 * errno. Through o's hooks.
 */
int nl_pin_state_now(int pid, const uint64_t *target, const struct nl_pin_opts *o, uint64_t *start,
		     int *threads_off);
/* Adds what verify found to the record of pid (started at start): 0, -ESRCH
 * when the record is another process's, or what loading or saving said
 * (msg says why when it is not to be trusted). */
int nl_pin_save_verified(int pid, uint64_t start, const struct nl_pin_opts *o,
			 const struct nl_pin_verified *v, char *msg, size_t size);

struct nl_unpin_result {
	enum nl_pin_refusal refusal;
	char message[512];
	int restored;	/* threads given back their saved affinity */
	int left_alone; /* threads whose affinity changed since the pin */
	int passes;
	char target[256];    /* what pin had set */
	char original[256];  /* the main thread's affinity before the pin */
	uint64_t moved_from; /* nodes pin moved pages from (0: none) */
	uint64_t moved_to;
};

int nl_unpin(int pid, const struct nl_pin_opts *o, struct nl_unpin_result *res);

/* The state file of a pid: DIR/PID.pin */
void nl_pin_state_path(const struct nl_pin_opts *o, int pid, char *buf, size_t size);
/* The command that undoes a pin: "numalens unpin PID", with
 * NUMALENS_STATE_DIR=DIR (shell-quoted) in front when o names a directory. */
void nl_pin_undo_command(const struct nl_pin_opts *o, int pid, char *buf, size_t size);

#endif /* NUMALENS_PIN_H */
