/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The last change numalens made to a process, as its pin record says, for
 * the front ends that show it: `numalens status` lists every record,
 * diagnose and top's detail show the record of a process they show. A
 * record is a process's only when the pid and the start time both match:
 * a pid reused since names another process, which numalens never pinned.
 * Reading changes nothing, and a state directory that does not exist means
 * nothing was pinned.
 */
#ifndef NUMALENS_PIN_STATUS_H
#define NUMALENS_PIN_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include "pin_record.h"
#include "snapshot.h"

/* The state directory: $NUMALENS_STATE_DIR, else /run/numalens. */
const char *nl_pin_state_dir(void);

/* A start time in nanoseconds after boot (start_boottime, as the snapshot
 * has it) in the clock ticks of /proc/PID/stat, as the record keeps it. */
uint64_t nl_pin_ticks_of_ns(uint64_t ns);

/*
 * The record of pid in the state directory dirfd (nl_pin_dir_open) when it
 * is of the process started at start (clock ticks): 0, r then the caller's
 * to free; -ENOENT when there is none or it is another process's; else why
 * it could not be read (nl_pin_record_load).
 */
int nl_pin_last_change(int dirfd, int pid, uint64_t start, struct nl_pin_record *r);

/*
 * The last change of each of the nr views that has one, in the state
 * directory: out[] (room for nr) gets their records, in the views' order;
 * returns how many, each the caller's to free. None when the directory does
 * not exist or is not to be trusted: showing a change is never an error.
 */
size_t nl_pin_changes_of(const struct nl_proc_view *const *views, size_t nr,
			 struct nl_pin_record *out);

/* Whether pid still names the process of r, as /proc/PID/stat says. */
enum nl_pin_process {
	NL_PIN_PROC_RUNNING, /* same start time */
	NL_PIN_PROC_EXITED,  /* no such process, or a zombie */
	NL_PIN_PROC_REUSED,  /* the pid names a process started at another time */
	NL_PIN_PROC_UNKNOWN, /* /proc/PID/stat could not be read */
};

const char *nl_pin_process_name(enum nl_pin_process p);
/* What pid is now; the comm of the process it names when reused. */
enum nl_pin_process nl_pin_process_of(const struct nl_pin_record *r, char *comm, size_t size);

/* An age: "42s", "5m 3s", "3h 20m", "2d 4h". */
void nl_pin_age_text(uint64_t seconds, char *buf, size_t size);
/* What verify found, in a line: "gain over 3.0 s: remote share 1.00 -> 0.00
 * (placement)", or "not verified". */
void nl_pin_verified_text(const struct nl_pin_verified *v, char *buf, size_t size);
/*
 * The last change in a line, now the wall clock in Unix seconds: "pinned
 * to CPUs 2-3 (from 0-1) 5m 3s ago, pages moved from node 0 to 1; verified
 * gain over 3.0 s: remote share 1.00 -> 0.00 (placement)".
 */
void nl_pin_change_text(const struct nl_pin_record *r, uint64_t now, char *buf, size_t size);

#endif /* NUMALENS_PIN_STATUS_H */
