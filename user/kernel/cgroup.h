/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a process may use and where it lives: the CPUs and memory nodes its
 * cpuset allows (Mems_allowed_list, the cgroup's cpuset.cpus.effective and
 * cpuset.mems.effective, or cgroup v1's cpuset.effective_cpus/_mems), its
 * present affinity (Cpus_allowed_list), and whether it runs in a Docker or
 * Podman container, a Kubernetes pod or a systemd unit. The advisor needs
 * this to say what is allowed and in which form to suggest the fix.
 *
 * The parsers take text so they are unit-tested; nl_proc_limits_read does
 * the reading.
 */
#ifndef NUMALENS_CGROUP_H
#define NUMALENS_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "procfs.h"
#include "topology.h"

enum nl_runtime {
	NL_RT_NONE,	  /* a plain process */
	NL_RT_SYSTEMD,	  /* in a systemd service or scope */
	NL_RT_DOCKER,	  /* in a Docker container */
	NL_RT_PODMAN,	  /* in a Podman container */
	NL_RT_KUBERNETES, /* in a Kubernetes pod */
};

const char *nl_runtime_name(enum nl_runtime rt);

/* A name the path gave in the place of a unit or pod that is not one. */
enum nl_name_refused {
	NL_REFUSED_NONE,
	NL_REFUSED_UNIT, /* ends in .service or .scope, not a valid unit name */
	NL_REFUSED_POD,	 /* a pod segment whose UID is not a UID */
};

/* Where a cgroup path says the process runs. */
struct nl_cgroup_context {
	enum nl_runtime runtime;
	char container[72]; /* container id: 64 hex digits (Docker, Podman, a pod's) */
	char pod[72];	    /* Kubernetes pod UID: a UUID, or 32 hex digits (static pod) */
	char unit[256];	    /* systemd unit: "foo.service", "session-3.scope" */
	bool user_unit;	    /* under a user manager (systemctl --user) */
	enum nl_name_refused refused;
};

/*
 * Classifies a cgroup path ("/system.slice/docker-<id>.scope", "/kubepods/...").
 * Anyone given a delegated subtree (every user@UID.service) can name
 * cgroups in it as they like, and the names end up in commands a user
 * pastes, so only names that are what they claim are kept: a unit name by
 * systemd's own rules (unit_name_is_valid), a container id of 64 hex
 * digits, a pod UID in the kubelet's form. A unit or pod name that fails is
 * left out, not replaced by an outer one (user@UID.service would hold every
 * process of the user), and refused says which it was: the advice then
 * gives only the forms that need no name, and says why.
 * Each name found is whole, or left "" when it does not fit.
 */
void nl_cgroup_classify(const char *path, struct nl_cgroup_context *ctx);

/* The next line of text[0..len) from *pos (its length, no newline, in
 * *llen); false at the end. */
bool nl_text_next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *llen);

/*
 * The paths of /proc/PID/cgroup text: the unified (v2) one ("0::/path"), the
 * v1 cpuset hierarchy's and the v1 name=systemd one. Absent ones are "", and
 * so are those named on two lines (a newline in a cgroup name forges one)
 * or too long to keep whole. Returns 0 or -EINVAL when no line parses.
 */
struct nl_cgroup_paths {
	char unified[512];
	char cpuset[512];
	char systemd[512];
	char memory[512]; /* the v1 memory hierarchy's */
};
int nl_cgroup_paths_parse(const char *text, size_t len, struct nl_cgroup_paths *out);

/*
 * Mount points of the cgroup2 hierarchy and of the v1 cpuset hierarchy in
 * /proc/self/mountinfo text, with the cgroup each shows at its root ("/"
 * unless a namespace or a bind mount says otherwise). "" when not mounted.
 */
struct nl_cgroup_mounts {
	char v2[256], v2_root[256];
	char cpuset[256], cpuset_root[256];
	char memory[256], memory_root[256]; /* v1's memory hierarchy */
};
int nl_cgroup_mounts_parse(const char *text, size_t len, struct nl_cgroup_mounts *out);

/* The directory of cgroup path under a hierarchy mounted at mnt showing
 * root there: 0, -ENOENT when the mount does not show it, -ENAMETOOLONG. */
int nl_cgroup_dir(const char *mnt, const char *root, const char *path, char *dir, size_t size);
/* dir/file read into buf, or the file of dir's nearest ancestor having it,
 * up to stop (v2 puts cpuset files only where the controller is enabled);
 * dir is cut to where it was found. Its length, or a negative errno. */
int nl_cgroup_read_up(char *dir, const char *stop, const char *file, char *buf, size_t size);

struct nl_proc_limits {
	bool known;	      /* the process was read */
	bool kthread;	      /* PF_KTHREAD */
	uint64_t start_ticks; /* /proc/PID/stat starttime */
	uint32_t uid, euid;   /* real and effective owner */
	char comm[16];
	uint64_t cpus[NL_CPU_WORDS];		/* CPUs its cpuset allows, online ones */
	uint64_t mems;				/* nodes it may allocate on */
	uint64_t affinity[NL_CPU_WORDS];	/* Cpus_allowed_list: its main thread's now */
	bool cpuset_known;			/* cpus/mems came from a cgroup cpuset */
	char cpuset_cgroup[256];		/* the cgroup whose cpuset applies */
	char cpuset_cpus[128], cpuset_mems[64]; /* its effective lists, as written there */
	char cgroup[512];			/* v2 path, else the v1 systemd or cpuset one */
	struct nl_cgroup_context ctx;
	char cmdline[256]; /* for "numactl ... CMD": shell-quoted (shquote.h), cut at a word */
};

/* Where cgroups are mounted, and what says systemd runs (sd_booted());
 * tests point these at scratch trees. */
extern const char *nl_mountinfo_path;
extern const char *nl_systemd_marker;
/* The CPUs isolated from the scheduler (isolcpus=): not a target unless
 * the process runs on them already. */
extern const char *nl_isolated_cpus_path;

/*
 * Reads everything above for pid. CPUs and nodes it may use are those the
 * topology has, narrowed by its cpuset; with no cpuset found, every CPU and
 * node is allowed. Returns 0, -ENOENT (gone), or another negative errno.
 */
int nl_proc_limits_read(int pid, const struct nl_topology *topo, struct nl_proc_limits *out);
/* Everything allowed, nothing known: for processes that cannot be read. */
void nl_proc_limits_unrestricted(const struct nl_topology *topo, struct nl_proc_limits *out);

#endif /* NUMALENS_CGROUP_H */
