// SPDX-License-Identifier: GPL-2.0
/*
 * Privileges after the BPF programs are attached. Loading and attaching
 * need root's CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN); refreshing needs
 * much less. Once attached the exporter turns into an unprivileged user
 * (nobody, or the owner of the --textfile's directory: export.c says
 * which) and keeps only these, found by testing on 6.18 as uid 65534
 * (tests/export/run.sh checks it):
 *
 *   CAP_PERFMON     /proc/PID/numa_maps of processes of other users (and of
 *   or              root's processes holding capabilities this one lacks)
 *   CAP_SYS_PTRACE  needs ptrace read access. Kernels with may_access_mm()
 *                   (6.18; not 6.1 or 6.12) grant it to CAP_PERFMON, which
 *                   cannot write to other processes as CAP_SYS_PTRACE can:
 *                   that one is kept where it suffices, tried in a child.
 *                   CAP_DAC_READ_SEARCH does not do (the check is ptrace's,
 *                   not the file mode's);
 *   CAP_BPF         only where the kernel checks it on every bpf() command
 *                   (some kernels do when unprivileged BPF is disabled):
 *                   found out by trying a map read and creating the task
 *                   iterator without it, in a child;
 *   CAP_SYS_NICE    only when pinning processes (--auto-pin);
 *   CAP_SYS_PTRACE  also when moving their memory (--auto-pin-migrate).
 *
 * The map reads, the task iterator and the program statistics work on the
 * descriptors opened at load time; /proc/PID/stat, status, cgroup,
 * task/TID/schedstat and /proc/vmstat are world-readable; the listening
 * socket is open already and the --textfile's directory is held open.
 * Capabilities and ids belong to threads: drop them before any thread is
 * started.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "export.h"
#include "log.h"
#include "privs.h"
#include "procfs.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

const char *nl_cap_name(int cap)
{
	switch (cap) {
	case CAP_SYS_ADMIN:
		return "CAP_SYS_ADMIN";
	case CAP_SYS_PTRACE:
		return "CAP_SYS_PTRACE";
	case CAP_SYS_NICE:
		return "CAP_SYS_NICE";
	case CAP_BPF:
		return "CAP_BPF";
	case CAP_PERFMON:
		return "CAP_PERFMON";
	default:
		return "CAP_?";
	}
}

static int last_cap(void)
{
	int last;

	if (nl_sysctl_int("kernel/cap_last_cap", &last))
		last = CAP_LAST_CAP;
	return last < 63 ? last : 63;
}

/* In this thread's permitted set (the effective one is empty just after
 * a change of user). */
static bool permitted(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].permitted & (1u << (cap % 32));
}

static int capset_keep(const int *keep, size_t nr)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	size_t i;

	for (i = 0; i < nr; i++) {
		/* Only what this thread has: capset cannot add. */
		if (!permitted(keep[i]))
			continue;
		data[keep[i] / 32].effective |= 1u << (keep[i] % 32);
		data[keep[i] / 32].permitted |= 1u << (keep[i] % 32);
	}
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/* ---- The user after attaching ---- */

static void identity_set(struct nl_identity *id, uid_t uid, gid_t gid, const char *name,
			 const char *why)
{
	id->change = uid != geteuid() || gid != getegid();
	id->uid = uid;
	id->gid = gid;
	snprintf(id->name, sizeof(id->name), "%s", name);
	snprintf(id->why, sizeof(id->why), "%s", why);
}

int nl_identity_user(const char *spec, const char *why, struct nl_identity *id, char *msg,
		     size_t size)
{
	struct passwd pw, *found = NULL;
	char buf[4096], *end;
	unsigned long n;

	memset(id, 0, sizeof(*id));
	errno = 0;
	n = strtoul(spec, &end, 10);
	if (spec[0] && !*end && spec[0] != '-' && !errno && n < (uid_t)-1) {
		/* A number: its passwd entry's group if it has one, else the
		 * group of the same number. */
		if (getpwuid_r(n, &pw, buf, sizeof(buf), &found) || !found) {
			char name[24];

			snprintf(name, sizeof(name), "%lu", n);
			identity_set(id, n, n, name, why);
			return 0;
		}
	} else if (getpwnam_r(spec, &pw, buf, sizeof(buf), &found) || !found) {
		/* Images without a passwd entry for nobody still have its uid. */
		if (!strcmp(spec, "nobody")) {
			identity_set(id, 65534, 65534, "nobody", why);
			return 0;
		}
		snprintf(msg, size,
			 "--user %s: no such user (a name from /etc/passwd, or a number)", spec);
		return -ENOENT;
	}
	identity_set(id, found->pw_uid, found->pw_gid, found->pw_name, why);
	return 0;
}

int nl_identity_stay(const char *why, struct nl_identity *id)
{
	char name[32];

	memset(id, 0, sizeof(*id));
	snprintf(name, sizeof(name), "%u", (unsigned int)geteuid());
	identity_set(id, geteuid(), getegid(), name, why);
	id->change = false;
	return 0;
}

int nl_identity_become(const struct nl_identity *id)
{
	int err = 0;

	if (!id || !id->change)
		return 0;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return -errno;
	if (setgroups(0, NULL) || setresgid(id->gid, id->gid, id->gid) ||
	    setresuid(id->uid, id->uid, id->uid))
		err = -errno;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) && !err)
		err = -errno;
	return err;
}

/* The descriptors of this process whose link reads kind ("anon_inode:
 * bpf-map", "anon_inode:bpf_link"), up to max; how many. */
static size_t find_fds(const char *kind, int *fds, size_t max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	size_t nr = 0;

	if (!d)
		return 0;
	while (nr < max && (de = readdir(d))) {
		char link[300], target[64];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (!strcmp(target, kind))
			fds[nr++] = atoi(de->d_name);
	}
	closedir(d);
	return nr;
}

/* Runs probe() in a child process, so this one keeps its capabilities
 * whatever the probe drops (and its children stay out of this one's way);
 * its exit status, or -1. */
static int in_child(int (*probe)(const struct nl_identity *), const struct nl_identity *id)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid)
		_exit(probe(id));
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* 0 when what a refresh does with BPF works without CAP_BPF, CAP_PERFMON
 * and CAP_SYS_ADMIN: map reads, and creating the task iterator (created
 * on its link, closed unread: its program does not run). */
static int probe_bpf(const struct nl_identity *id)
{
	struct bpf_map_info info = { 0 };
	char key[512] = { 0 }, next[512];
	union bpf_attr attr;
	int map, links[64];
	size_t nr, i;

	if (!find_fds("anon_inode:bpf-map", &map, 1) || nl_identity_become(id) ||
	    capset_keep(NULL, 0))
		return 2;
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = map;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uint64_t)(unsigned long)&info;
	if (syscall(SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr)))
		return 1;
	if (info.key_size <= sizeof(key)) {
		memset(&attr, 0, sizeof(attr));
		attr.map_fd = map;
		attr.key = (uint64_t)(unsigned long)key;
		attr.next_key = (uint64_t)(unsigned long)next;
		if (syscall(SYS_bpf, BPF_MAP_GET_NEXT_KEY, &attr, sizeof(attr)) && errno == EPERM)
			return 1;
	}
	nr = find_fds("anon_inode:bpf_link", links, 64);
	for (i = 0; i < nr; i++) {
		int fd;

		memset(&attr, 0, sizeof(attr));
		attr.iter_create.link_fd = links[i];
		fd = syscall(SYS_bpf, BPF_ITER_CREATE, &attr, sizeof(attr));
		if (fd >= 0)
			close(fd);
		else if (errno == EPERM)
			return 1;
	}
	return 0;
}

static bool readable(const char *path)
{
	char c;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = read(fd, &c, 1) >= 0;
	close(fd);
	return ok;
}

/* 0 when CAP_PERFMON alone reads the numa_maps of a process that no
 * capability at all can read, as the user id: a child of the probe that
 * stays root with every capability when the probe changes its user, else
 * turns into nobody (or keeps capabilities the probe drops), and waits
 * until let go. */
static int probe_perfmon_maps(const struct nl_identity *id)
{
	int perfmon[] = { CAP_PERFMON }, ready[2], hold[2];
	bool with, without;
	char path[64], c;
	pid_t target;

	if (!permitted(CAP_PERFMON) || pipe(ready) || pipe(hold))
		return 2;
	target = fork();
	if (target < 0)
		return 2;
	if (!target) {
		close(ready[0]);
		close(hold[1]);
		/* Another user where it can be; else the same user with
		 * capabilities the probe is about to drop: either way ptrace
		 * read access is what it takes. */
		if ((!id || !id->change) && !setresgid(65534, 65534, 65534) &&
		    setresuid(65534, 65534, 65534))
			nl_debug("probe: stays uid %u", getuid());
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0); /* as any process of its own */
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		while (read(hold[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	if (read(ready[0], &c, 1) != 1)
		return 2;
	snprintf(path, sizeof(path), "/proc/%d/numa_maps", target);
	if (nl_identity_become(id) || capset_keep(perfmon, 1))
		return 2;
	with = readable(path);
	if (capset_keep(NULL, 0))
		return 2;
	without = readable(path);
	close(hold[1]); /* the target ends: reap it */
	while (waitpid(target, NULL, 0) < 0 && errno == EINTR)
		;
	return with && !without ? 0 : 1;
}

static void plan_add(struct nl_caps_plan *p, int cap, const char *why)
{
	if (p->nr == NL_CAPS_MAX)
		return;
	p->keep[p->nr] = cap;
	snprintf(p->why[p->nr], sizeof(p->why[0]), "%s", why);
	p->nr++;
}

static bool plan_has(const struct nl_caps_plan *p, int cap)
{
	size_t i;

	for (i = 0; i < p->nr; i++)
		if (p->keep[i] == cap)
			return true;
	return false;
}

void nl_caps_plan(struct nl_caps_plan *p, const struct nl_identity *id, bool pinning,
		  bool migrating)
{
	memset(p, 0, sizeof(*p));
	switch (in_child(probe_perfmon_maps, id)) {
	case 0:
		plan_add(p, CAP_PERFMON, "read /proc/PID/numa_maps of every process");
		break;
	case 1:
		plan_add(p, CAP_SYS_PTRACE, "read /proc/PID/numa_maps of every process");
		break;
	default:
		/* No process of another user to try (no CAP_SETUID to make one):
		 * whichever of the two it has. */
		if (permitted(CAP_PERFMON))
			plan_add(p, CAP_PERFMON,
				 "read /proc/PID/numa_maps (where the kernel allows it)");
		if (permitted(CAP_SYS_PTRACE) || !p->nr)
			plan_add(p, CAP_SYS_PTRACE, "read /proc/PID/numa_maps of every process");
		break;
	}
	if (in_child(probe_bpf, id) != 0) {
		/* Kernels without CAP_BPF (before 5.8) check CAP_SYS_ADMIN. */
		if (last_cap() >= CAP_BPF)
			plan_add(p, CAP_BPF, "this kernel checks it on every BPF map read");
		else
			plan_add(p, CAP_SYS_ADMIN, "this kernel checks it on every BPF map read");
	}
	if (pinning)
		plan_add(p, CAP_SYS_NICE, "move other processes' threads and memory (pinning)");
	/* migrate_pages(2) checks ptrace read access to the target first. */
	if (migrating && !plan_has(p, CAP_SYS_PTRACE))
		plan_add(p, CAP_SYS_PTRACE,
			 "migrate_pages(2) of other users' processes checks ptrace access");
}

int nl_caps_drop(const struct nl_caps_plan *p, const struct nl_identity *id)
{
	int cap, last = last_cap(), err;
	size_t i;

	/* The bounding set first: that needs CAP_SETPCAP, about to go. */
	for (cap = 0; cap <= last; cap++) {
		bool keep = false;

		for (i = 0; i < p->nr; i++)
			keep |= p->keep[i] == cap;
		if (!keep && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EPERM && errno != EINVAL)
			nl_debug("cannot drop capability %d from the bounding set: %s", cap,
				 strerror(errno));
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	/* Then the user (CAP_SETUID and CAP_SETGID still in the effective
	 * set), then every capability but those kept. */
	err = nl_identity_become(id);
	if (err)
		return err;
	err = capset_keep(p->keep, p->nr);
	if (err)
		return err;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}
