/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pin record: what `numalens pin --apply` saved so that `numalens unpin`
 * can put every thread back, one file DIR/PID.pin per pinned process.
 *
 * Format: lines "KEY VALUE\n", one space between, nothing else on the line;
 * lines starting with '#' are comments. Keys: pid, start, comm, target,
 * original (once each), migrated FROM TO (at most once), applied SECONDS
 * (at most once: when the pin that set target was applied, in seconds since
 * the Unix epoch; a record written before numalens wrote it has none), by
 * pin|auto-pin (at most once: which made that pin; none in older records),
 * thread TID LIST (once per tid); what `pin --verify` found, at most once each and only
 * after a line verified RESULT WINDOW_MS: remote SOURCE BEFORE AFTER (in
 * millionths), cpu BEFORE AFTER (millionths of a CPU), target_memory
 * BEFORE AFTER (bytes), latency BEFORE AFTER (mean sample weight).
 * Numbers are decimal without sign or leading zero (the BEFORE and AFTER
 * above may be 0), CPU and node lists are in the kernel's canonical form
 * ("0-3,8"), and comm is escaped: every byte outside '!'..'~', and the
 * backslash, is written as \xHH, so no byte of a process's name can end
 * its line or start another.
 * The reader takes exactly what the writer writes and refuses the rest.
 *
 * Trust: a record tells unpin which affinity to set on a process, so it is
 * believed only from a directory owned by the user running numalens (or
 * root) that no one else may write, and only when the file itself is owned
 * by that user, writable by no one else, and not a symlink.
 */
#ifndef NUMALENS_PIN_RECORD_H
#define NUMALENS_PIN_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sources.h"
#include "topology.h"

/* A record larger than this is refused (10,000 threads take ~200 KiB). */
#define NL_PIN_RECORD_MAX (64u << 20)

/* What `pin --verify` concluded (verify.h decides). */
enum nl_verify_result {
	NL_VERIFY_NONE,	   /* not verified */
	NL_VERIFY_GAIN,	   /* the remote share dropped by at least the gain asked */
	NL_VERIFY_NO_GAIN, /* it did not (or no source measured both windows) */
	NL_VERIFY_SLOWER,  /* the CPU rate fell by more than the slowdown allowed */
	NL_VERIFY_GONE,	   /* the process exited, or its pid was reused, meanwhile */
	NL_VERIFY_UNDONE,  /* its threads' affinity is no longer what pin set */
	NL_VERIFY_MAX,
};

const char *nl_verify_result_name(enum nl_verify_result r);

/* What made the last pin (the record's by line). */
enum nl_pin_by {
	NL_PIN_BY_UNKNOWN, /* not recorded: a record older than the line */
	NL_PIN_BY_PIN,	   /* numalens pin --apply */
	NL_PIN_BY_AUTOPIN, /* numalens export --auto-pin */
	NL_PIN_BY_MAX,
};

/* "pin", "auto-pin"; "unknown". */
const char *nl_pin_by_name(enum nl_pin_by by);

/* Before and after, each [0] and [1], in the record's integer units. */
struct nl_pin_verified {
	enum nl_verify_result result; /* NL_VERIFY_NONE: the other fields are 0 */
	uint64_t window_ms;
	bool has_remote, has_cpu, has_memory, has_latency;
	enum nl_source_id source; /* of the remote share compared */
	uint64_t remote_ppm[2];
	uint64_t cpu_micro[2];
	uint64_t target_bytes[2];
	uint64_t latency[2];
};

struct nl_pin_thread {
	int tid;
	uint64_t mask[NL_CPU_WORDS];
};

struct nl_pin_record {
	int pid;
	uint64_t start; /* start time in clock ticks after boot */
	char comm[16];
	uint64_t target[NL_CPU_WORDS];
	uint64_t original[NL_CPU_WORDS]; /* the main thread's, before */
	uint64_t moved_from, moved_to;	 /* nodes; both 0 when no pages moved */
	uint64_t applied;		 /* Unix seconds of the pin; 0: not recorded */
	enum nl_pin_by by;		 /* what made it */
	struct nl_pin_thread *t;	 /* each thread's affinity before */
	size_t nr, cap;
	struct nl_pin_verified verified; /* what pin --verify found */
};

struct nl_pin_thread *nl_pin_record_find(struct nl_pin_record *r, int tid);
/* Appends a thread: 0, or -ENOMEM. */
int nl_pin_record_add(struct nl_pin_record *r, int tid, const uint64_t *mask);
void nl_pin_record_free(struct nl_pin_record *r);

/*
 * The text of r in *text (malloc'd, NUL-terminated, *len bytes). -EINVAL for
 * a record the reader would refuse: pid or a tid not positive, start 0, an
 * empty CPU list, a NUL in comm... (the reader gives back exactly what this
 * writes); -ENOMEM.
 */
int nl_pin_record_format(const struct nl_pin_record *r, char **text, size_t *len);
/* Parses len bytes of text into r: 0, or -EINVAL (r is then empty). */
int nl_pin_record_parse(const char *text, size_t len, struct nl_pin_record *r);

/*
 * Opens the state directory dir (an O_PATH descriptor, for the *at calls
 * below), creating it 0700 first when create is set. Returns the
 * descriptor, or a negative errno: -ENOENT when it does not exist, -EPERM
 * with msg saying why when it is not to be trusted (owned by another user
 * than the caller and root, or writable by group or others), else what
 * mkdir or open said (msg empty).
 */
int nl_pin_dir_open(const char *dir, bool create, char *msg, size_t size);
/*
 * Reads the record of pid from the directory dirfd: 0, -ENOENT when there is
 * none, -EPERM with msg saying why when it is not to be trusted (a symlink,
 * not a regular file, owned by another user, writable by others), -EINVAL
 * when it does not parse, or what open or read said. msg may be NULL (size 0).
 */
int nl_pin_record_load(int dirfd, int pid, struct nl_pin_record *r, char *msg, size_t size);
/* Writes the record of r->pid atomically: a new file PID.pin.tmp (O_EXCL,
 * 0600; a leftover is removed first, never followed), fsync, rename. */
int nl_pin_record_save(int dirfd, const struct nl_pin_record *r);
/* Removes the record of pid (0 if there was none). */
int nl_pin_record_remove(int dirfd, int pid);

#endif /* NUMALENS_PIN_RECORD_H */
