/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `numalens export`: the Prometheus exporter. Each refresh of the agent
 * gives a window of per-process counters; the exporter groups the
 * processes into a bounded number of series (the busiest --max-processes
 * plus an allowlist, the rest summed into comm="other"), adds the window
 * into counters that only ever grow, and renders the Prometheus text
 * format, which the HTTP server (export_http.c) and the textfile writer
 * serve. The grouping and the rendering are pure (unit-tested with
 * hand-made snapshots); cgroups come through a callback.
 *
 *   export.c          the command: options, the refresh loop, the textfile
 *   export_series.c   grouping, cardinality, accumulation
 *   export_metrics.c  the metric families
 *   export_text.c     the text format: buffers, escaping, numbers
 *   export_cgroup.c   /proc/PID/cgroup, container ids, pod uids
 *   export_http.c     libmicrohttpd: /, /metrics, errors
 *   export_advice.c   the advisor's suggestion for each per-pid series
 *   export_cgtier.c   tier promotions and demotions per cgroup
 *   export_caps.c     dropping capabilities once the programs are attached
 *   export_tiers.c    memory tiers: HMAT figures, promotion, demotion, findings
 */
#ifndef NUMALENS_EXPORT_H
#define NUMALENS_EXPORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "sample.h"
#include "snapshot.h"
#include "sources.h"
#include "sysstate.h"
#include "topology.h"

/* The port: 9100-9999 is taken in full on Prometheus's list of default
 * exporter ports; 16862 is outside it, outside Linux's ephemeral range,
 * and spells NUMA on a phone keypad after the 1. */
#define NL_EXPORT_PORT 16862
#define NL_EXPORT_DEFAULT_LISTEN "127.0.0.1:16862"
#define NL_EXPORT_MAX_PROCESSES 50
/* Allowlisted series beyond --max-processes, at most. */
#define NL_EXPORT_MAX_ALLOWED 500
/* A cgroup is read again after this many seconds... */
#define NL_EXPORT_CGROUP_MAX_AGE 60.0
/* ... for at most this many processes per refresh (new ones always). */
#define NL_EXPORT_CGROUP_REREADS 256
/* Activity is an exponentially weighted mean of CPU use per window: */
#define NL_EXPORT_ACTIVITY_ALPHA 0.5
/* a series keeps its place against a newcomer up to this factor. */
#define NL_EXPORT_INCUMBENT_BONUS 1.25

/* ---- Text (export_text.c) ---- */

/* A growable buffer; after an allocation failure it stays failed. */
struct nl_buf {
	char *data;
	size_t len, cap;
	bool failed;
};

void nl_buf_init(struct nl_buf *b);
void nl_buf_free(struct nl_buf *b);
void nl_buf_reset(struct nl_buf *b);
void nl_buf_add(struct nl_buf *b, const char *s, size_t n);
void nl_buf_puts(struct nl_buf *b, const char *s);
void nl_buf_printf(struct nl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "# HELP" (escaped) and "# TYPE" lines. */
void nl_prom_family(struct nl_buf *b, const char *name, const char *type, const char *help);
/* A label value between quotes: backslash, quote and newline escaped,
 * bytes that are not UTF-8 and other control characters (nl_text_char_len)
 * replaced by U+FFFD. */
void nl_prom_escape_value(struct nl_buf *b, const char *value, size_t len);
/* Appends name="value" to a label list (with a comma after a first one);
 * an empty value adds nothing, as Prometheus treats it as absent. */
void nl_prom_label(struct nl_buf *labels, const char *name, const char *value);
/* Numbers as Prometheus parses them: integers exact, NaN, +Inf, -Inf. */
void nl_prom_double(struct nl_buf *b, double v);
/* name{base,k1="v1",k2="v2"} value: base is a ready label list (or "" or
 * NULL); k1 and k2 may be NULL. */
void nl_prom_sample(struct nl_buf *b, const char *name, const char *base, const char *k1,
		    const char *v1, const char *k2, const char *v2, double value);
void nl_prom_sample_u64(struct nl_buf *b, const char *name, const char *base, const char *k1,
			const char *v1, const char *k2, const char *v2, uint64_t value);
/* True for a name Prometheus accepts: [a-zA-Z_:][a-zA-Z0-9_:]* */
bool nl_prom_valid_name(const char *name);

/* ---- cgroups (export_cgroup.c, on cgroup.c's parsers) ---- */

/* The path from /proc/PID/cgroup text: the unified (v2) hierarchy's, else
 * v1's name=systemd, else the cpuset's; " (deleted)" removed. 0 or -EINVAL. */
int nl_export_cgroup_path(const char *text, size_t len, char *path, size_t size);
/* Reads it for a process: 0, -ENOENT when gone. */
int nl_export_cgroup_read(uint32_t pid, char *path, size_t size);
/* The container id (Docker, Podman, containerd, CRI-O) and Kubernetes pod
 * uid in a cgroup path, "" when none. */
void nl_export_cgroup_ids(const char *path, char *container_id, size_t csize, char *pod_uid,
			  size_t psize);

/* ---- Series: grouping, cardinality, accumulation (export_series.c) ---- */

enum nl_export_group_by {
	NL_EXPORT_BY_PID,
	NL_EXPORT_BY_COMM,
	NL_EXPORT_BY_CGROUP,
};

/* Reads a process's cgroup path; 0 or a negative errno. */
typedef int (*nl_cgroup_reader)(void *ctx, uint32_t pid, char *path, size_t size);

struct nl_export_opts {
	enum nl_export_group_by group_by;
	unsigned int max_processes;    /* series by activity (groups, by comm or cgroup) */
	const char *const *allow_comm; /* fnmatch patterns: always a series of their own */
	size_t nr_allow_comm;
	const char *const *allow_cgroup;
	size_t nr_allow_cgroup;
	nl_cgroup_reader read_cgroup; /* NULL: no cgroup labels */
	void *read_cgroup_ctx;
	bool cgroup_labels; /* cgroup, container_id, pod_uid on per-pid series */
};

void nl_export_opts_default(struct nl_export_opts *o);
/* "pid", "comm", "cgroup": 0, or -EINVAL. */
int nl_export_parse_group_by(const char *s, enum nl_export_group_by *out);
const char *nl_export_group_by_name(enum nl_export_group_by g);

/* Counters added up over the windows in which a group had its own series. */
struct nl_export_counts {
	double *cpu_s;			/* [nr_nodes] on-CPU seconds by CPU node */
	uint64_t *hint_local;		/* [nr_nodes] hinting-fault pages by memory node */
	uint64_t *hint_remote;		/* [nr_nodes] */
	uint64_t pmu_local, pmu_remote; /* sampled loads served from memory */
	uint64_t migrations_same, migrations_cross;
	uint64_t moves, swaps, sticks;
	uint64_t pages_migrated;
	uint64_t pages_promoted; /* into the top memory tier */
	double remote_cpu_s;	 /* on-CPU seconds x the window's remote ratio */
};

#define NL_EXPORT_SOURCE_MIXED (-1)

/* What a group with a series (or that had one) keeps: its counters stay
 * while the group exists, should it get a series again. */
struct nl_export_series {
	struct nl_export_counts acc; /* the counters its series show */
	uint64_t *mem_bytes;	     /* [nr_nodes] resident bytes by node, this refresh */
	bool mem_known;
	char *cgroup;
	char container_id[72];
	char pod_uid[40];
	char *labels; /* the escaped label list of its series */
	/* The advisor's suggestion (per-pid series, export_advice.c); action
	 * is an enum nl_action, 0 for none. */
	int suggest_action;
	uint64_t suggest_nodes;
	double suggest_remote_after;
	uint64_t suggest_move_bytes;
};

/* Processes grouped by pid, comm or cgroup. Every process seen has one
 * (for the ranking); the few with series have a struct nl_export_series. */
struct nl_export_group {
	struct nl_export_group *next; /* hash chain */
	char *key;
	uint32_t hash;
	uint32_t pid; /* by pid: the process */
	uint64_t start_time_ns;
	char comm[NL_COMM_LEN];

	double activity;  /* CPUs busy, exponentially weighted */
	bool selected;	  /* has its own series now */
	bool allowed;	  /* on the allowlist */
	uint64_t seen;	  /* generation it last had a process */
	uint32_t members; /* processes in it this refresh */
	uint64_t threads;
	/* Remote ratio: the CPU-weighted mean of its processes' ratios in the
	 * last window with CPU time; which source they came from. */
	bool ratio_valid;
	double ratio;
	int ratio_source; /* enum nl_source_id, or NL_EXPORT_SOURCE_MIXED */
	double win_cpu, win_ratio_sum, win_ratio_cpu;
	int win_source;
	struct nl_export_series *s; /* NULL until it first has a series */
};

struct nl_export_proc; /* a process: identity, cached cgroup, its group */

struct nl_export_table {
	void **buckets;
	size_t nr_buckets, nr;
};

struct nl_export {
	struct nl_export_opts opts;
	char **allow_comm; /* copies of the patterns */
	char **allow_cgroup;
	int nr_nodes;
	uint64_t generation;
	double now; /* monotonic seconds of the latest update */
	struct nl_export_table groups;
	struct nl_export_table procs;
	struct nl_export_group other;	   /* comm="other": everything folded */
	struct nl_export_group **selected; /* the groups with series, by key */
	size_t nr_selected, cap_selected;
	size_t tracked;	       /* processes in the latest snapshot */
	size_t folded;	       /* ... summed into other */
	size_t allowed_over;   /* allowlisted but beyond NL_EXPORT_MAX_ALLOWED */
	uint64_t cgroup_reads; /* /proc/PID/cgroup reads, since the start */
};

int nl_export_new(const struct nl_export_opts *o, int nr_nodes, struct nl_export **out);
/* Adds a window: groups, selects, accumulates. now is monotonic seconds
 * (for the age of cached cgroups). 0 or -ENOMEM. */
int nl_export_update(struct nl_export *e, const struct nl_snapshot *snap, double now);
/* The group with that key ("1234" by pid, the comm, the cgroup path). */
const struct nl_export_group *nl_export_find(const struct nl_export *e, const char *key);
void nl_export_free(struct nl_export *e);

/* ---- Suggestions (export_advice.c) ---- */

struct nl_autopin_counters;

/* Advice for the exporter's agent: the processes over the thresholds, at
 * most as many as there can be per-pid series, with hysteresis. */
struct nl_agent_opts;
void nl_export_agent_advice(const struct nl_export_opts *o, struct nl_agent_opts *a);

/* Sets the suggestion of every per-pid series from the advice the agent
 * attached to this snapshot (the one nl_export_update was given). No I/O. */
void nl_export_advise(struct nl_export *e, const struct nl_snapshot *snap);

/* ---- Metrics (export_metrics.c) ---- */

#define NL_EXPORT_MAX_PROGS 64

/* Everything about the host and the exporter itself that the series lack. */
struct nl_export_host {
	const struct nl_topology *topo;
	const struct nl_sources *sources;
	const struct nl_system *sys;	    /* the latest /proc/vmstat */
	const struct nl_system *sys_before; /* the one before (NULL: none) */
	const struct nl_health *health;
	const struct nl_prog_info *progs;
	size_t nr_progs;
	bool bpf_stats; /* kernel.bpf_stats_enabled */
	const char *version;
	const char *group_by;
	double refresh_seconds; /* the previous refresh: read, group, render */
	double refresh_time;	/* its end, Unix seconds */
	uint64_t refreshes;
	uint64_t refresh_errors;
	uint64_t textfile_errors;
	/* --auto-pin: NULL counters when off. */
	const struct nl_autopin_counters *autopin;
	bool autopin_dry_run;
	/* The latest snapshot's cgroups (cgroup_tiers.h): NULL when not read. */
	const struct nl_cgtier_set *cgtiers;
};

/* Every metric family, in order: processes, NUMA nodes, the system, the
 * exporter. Families whose source is inactive keep their HELP and TYPE. */
void nl_export_render(const struct nl_export *e, const struct nl_export_host *h, struct nl_buf *b);
/* The tier families (export_tiers.c): HMAT figures of the nodes given,
 * then promotion, demotion and the tiering findings. */
void nl_export_access_families(struct nl_buf *b, const struct nl_topology *t, const int *nodes,
			       int nr);
void nl_export_tier_families(struct nl_buf *b, const struct nl_export_host *h);

/* The cgroups' tier families (export_cgtier.c): promotions and demotions
 * per cgroup of the processes reported, demotion outside cpuset.mems. */
void nl_export_cgtier_families(struct nl_buf *b, const struct nl_cgtier_set *s);

/* ---- HTTP (export_http.c) ---- */

/* A rendered page shared by every response that sends it. */
struct nl_blob;
struct nl_blob *nl_blob_new(const char *data, size_t len);
void nl_blob_put(struct nl_blob *blob);

struct nl_http;

/*
 * Connection limits (shown by numalens export --help): a client address
 * holds at most NL_HTTP_PER_CLIENT connections, all clients together
 * NL_HTTP_CONNECTIONS. A new connection over either limit closes the one of
 * the same client (or any client) idle the longest: one with no request
 * under way, so one still sending its header (slowloris) or kept alive
 * between scrapes; when every one has a request under way, the new one is
 * closed. NL_HTTP_TIMEOUT_S of silence closes a connection in any case.
 */
#define NL_HTTP_CONNECTIONS 1024
#define NL_HTTP_PER_CLIENT 128
#define NL_HTTP_TIMEOUT_S 5
#define NL_HTTP_REQUEST_BYTES (16 * 1024)

/*
 * Binds ADDR:PORT ("127.0.0.1:16862", "[::1]:16862", ":16862" for every
 * address, "localhost:16862"): done before capabilities are dropped, so a
 * port below 1024 works. Returns the socket or a negative errno (said).
 */
int nl_http_listen(const char *spec, char *desc, size_t size);
/* Serves on the socket from a thread of its own, first (NULL: none yet,
 * 503) as the metrics page; takes the caller's reference to it. */
int nl_http_start(int fd, struct nl_blob *first, struct nl_http **out);
/* Replaces the metrics page; takes the caller's reference. */
void nl_http_publish(struct nl_http *h, struct nl_blob *metrics);
void nl_http_stop(struct nl_http *h);

/* ---- Textfile (export.c) ---- */

/* The --textfile: its directory is opened (O_PATH) when the exporter
 * starts, as root, and every write is relative to it. */
struct nl_textfile {
	int dirfd;
	char *dir;	  /* for messages */
	char *name;	  /* the file's name in dir */
	const char *path; /* as given */
};

/* Opens path's directory: a file name, not a directory or a device, in a
 * directory that exists. 0, or a negative errno with why saying what is
 * wrong ("--textfile PATH: ..."); close tf either way. */
int nl_textfile_open(const char *path, struct nl_textfile *tf, char *why, size_t size);
/* Whether nl_textfile_write can work, as this user: a file can be
 * created and removed in the directory now (and replace the file there,
 * in a sticky directory). 0, or a negative errno with why saying why. */
int nl_textfile_check(const struct nl_textfile *tf, char *why, size_t size);
/* Writes data to a temporary file beside it (O_EXCL), then renames it over. */
int nl_textfile_write(const struct nl_textfile *tf, const char *data, size_t len);
void nl_textfile_close(struct nl_textfile *tf);

/* ---- Capabilities (export_caps.c) ---- */

#define NL_CAPS_MAX 8

struct nl_caps_plan {
	int keep[NL_CAPS_MAX];
	size_t nr;
	char why[NL_CAPS_MAX][96]; /* for -v and the README */
};

/* The user the exporter runs as once attached. */
struct nl_identity {
	bool change; /* false: stays who it is */
	uid_t uid;
	gid_t gid;
	char name[64]; /* "nobody", or the number */
	char why[160]; /* for the log */
};

/* spec: a user name or a number (its group: the passwd entry's, else the
 * same number; "nobody" is 65534 where no passwd entry names it). 0, or a
 * negative errno with msg saying why. */
int nl_identity_user(const char *spec, const char *why, struct nl_identity *id, char *msg,
		     size_t size);
/* Stays the user it is. */
int nl_identity_stay(const char *why, struct nl_identity *id);
/* Turns this process into id (nothing when !id->change), keeping its
 * permitted capabilities; the effective set is then empty. 0 or a
 * negative errno. */
int nl_identity_become(const struct nl_identity *id);

/* What refreshing needs here, as the user id (NULL: as it is): CAP_PERFMON
 * or CAP_SYS_PTRACE (other users' numa_maps), CAP_BPF (or CAP_SYS_ADMIN)
 * only where this kernel refuses map reads without it, CAP_SYS_NICE when
 * pinning, CAP_SYS_PTRACE when migrating memory (migrate_pages checks
 * ptrace access). Probed in a child process. */
void nl_caps_plan(struct nl_caps_plan *p, const struct nl_identity *id, bool pinning,
		  bool migrating);
/* Drops every other capability from the bounding set (where allowed),
 * turns into id (no supplementary groups), drops every other capability
 * from every set and sets no_new_privs. Call before starting threads:
 * capabilities and ids are per thread. 0 or a negative errno. */
int nl_caps_drop(const struct nl_caps_plan *p, const struct nl_identity *id);
const char *nl_cap_name(int cap);

#endif /* NUMALENS_EXPORT_H */
