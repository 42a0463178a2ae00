/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsers of kernel text: /proc/PID/numa_maps, /proc/PID/stat, /proc/PID/status,
 * CPU and node lists ("0-3,8,10-11"). Each parser takes a buffer (so it can
 * be unit-tested and fuzzed) and has a reader that fetches the file (status:
 * nl_proc_limits_read, cgroup.h). Errors are negative
 * errno values: -ENOENT when the process is gone, -EINVAL for text that does
 * not parse.
 */
#ifndef NUMALENS_PROCFS_H
#define NUMALENS_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "numalens.h"

/* Where /proc is; tests point it at a fixture tree. */
extern const char *nl_proc_root;

struct nl_numa_maps {
	uint64_t node_bytes[NL_MAX_NODES]; /* resident bytes per node */
	uint64_t anon_bytes;		   /* resident bytes in anonymous mappings */
	uint64_t file_bytes;		   /* ... in file mappings */
	uint64_t huge_bytes;		   /* ... in hugetlb mappings */
	uint32_t mappings;		   /* lines parsed */
	uint32_t bad_lines;		   /* lines skipped as malformed */
	uint32_t clamped_nodes;		   /* N<id> entries with id >= NL_MAX_NODES */
	int truncated;			   /* max_bytes reached before the end */
};

int nl_numa_maps_parse(const char *text, size_t len, struct nl_numa_maps *out);
/* Reads at most max_bytes of /proc/PID/numa_maps (0: no limit). */
int nl_numa_maps_read(int pid, size_t max_bytes, struct nl_numa_maps *out);

struct nl_proc_stat {
	int pid;
	char comm[NL_COMM_LEN]; /* made text: nl_untrusted_text */
	char state;
	int ppid;
	unsigned int flags;
	uint64_t utime_ticks;
	uint64_t stime_ticks;
	long num_threads;
	uint64_t starttime_ticks; /* since boot, in clock ticks */
	long rss_pages;
	int processor;
};

int nl_proc_stat_parse(const char *text, size_t len, struct nl_proc_stat *out);
int nl_proc_stat_read(int pid, struct nl_proc_stat *out);
/* /proc/PID/task/TID/stat: one thread's; -ENOENT once it has exited. */
int nl_thread_stat_read(int pid, int tid, struct nl_proc_stat *out);

/*
 * Calls visit(tid, ctx) for each thread of pid, in the order /proc/PID/task
 * lists them; entries that are no thread id are passed over. A visit that
 * returns non-zero ends the walk with that value. Returns 0, -ENOENT when
 * the process is gone (before the walk, or during it: the threads visited
 * by then were visited), or another negative errno of the directory.
 */
int nl_task_walk(int pid, int (*visit)(int tid, void *ctx), void *ctx);

/* What /proc/PID/status says of its owner, affinity and memory nodes; a
 * field is known only where its line is there and parses whole. */
struct nl_proc_status {
	bool ids_known; /* Uid: */
	uint32_t uid, euid;
	bool affinity_known; /* Cpus_allowed_list: (a list of at least one CPU) */
	uint64_t affinity[NL_MAX_CPUS / 64];
	bool mems_known; /* Mems_allowed_list: (... of at least one node) */
	uint64_t mems;
};

/* 0, or -EINVAL when no field is known. */
int nl_proc_status_parse(const char *text, size_t len, struct nl_proc_status *out);

/*
 * Parses a list such as "0-3,8,10-11\n" into a bitmap of nbits bits
 * (bits[i / 64] bit i % 64). Returns the number of bits set, -EINVAL for
 * malformed text, -ERANGE for an id >= nbits.
 */
int nl_cpulist_parse(const char *text, size_t len, uint64_t *bits, size_t nbits);
/* The inverse: a bitmap as a list, "0-3,8" (cut short with "..." when buf is
 * too small); returns buf. */
char *nl_bits_to_list(const uint64_t *bits, int nbits, char *buf, size_t size);
/* A node set the same way: "0,2". */
char *nl_nodes_to_list(uint64_t nodes, char *buf, size_t size);

/* A decimal number spanning exactly s[0..len): no sign, no blank, no
 * overflow. False otherwise, *v untouched. */
bool nl_parse_u64(const char *s, size_t len, uint64_t *v);

/* Reads a whole small file into buf (NUL-terminated); returns its length. */
int nl_read_file(const char *path, char *buf, size_t size);

/* A sysctl that holds one integer, named as under /proc/sys:
 * "kernel/perf_event_paranoid". 0, -ENOENT when this kernel has none,
 * -EINVAL when the file holds anything but one decimal integer. */
int nl_sysctl_int(const char *name, int *value);

#endif /* NUMALENS_PROCFS_H */
