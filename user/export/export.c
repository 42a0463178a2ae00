// SPDX-License-Identifier: GPL-2.0
/*
 * `numalens export`: the Prometheus exporter. Attaches the BPF programs,
 * binds its port, drops the capabilities refreshing does not need, then
 * every --interval seconds refreshes the agent, adds the window into the
 * series (export_series.c), renders the text once (export_metrics.c) and
 * publishes it to the HTTP server and, with --textfile, to a file for
 * node_exporter's textfile collector.
 *
 * Why a refresh loop rather than a refresh per scrape: the BPF maps must
 * be read regularly whoever scrapes (exited processes are removed at each
 * read), the ratios need a steady window, and several scrapers (two
 * Prometheus servers, a load test) then see the same data at no cost.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "advisor.h"
#include "agent.h"
#include "autopin.h"
#include "cli.h"
#include "commands.h"
#include "export.h"
#include "exporter.h"
#include "log.h"
#include "options.h"
#include "privs.h"
#include "procfs.h"

#define MAX_ALLOW 64

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: numalens export [--listen ADDR:PORT] [--textfile PATH] [OPTIONS]\n"
		"\n"
		"Serves NUMA locality metrics per process in the Prometheus text format:\n"
		"http://" NL_EXPORT_DEFAULT_LISTEN "/metrics by default.\n"
		"\n"
		"  -l, --listen ADDR:PORT  where to serve (default " NL_EXPORT_DEFAULT_LISTEN
		"; :PORT\n"
		"                          for every address, [::1]:PORT for IPv6)\n"
		"  -t, --textfile PATH     write the metrics to PATH (atomically) for\n"
		"                          node_exporter's textfile collector; without --listen,\n"
		"                          no HTTP server\n"
		"  -i, --interval SECONDS  refresh period (default 5)\n"
		"      --once              with --textfile: write once after one interval, exit\n"
		"                          (status 1 when it cannot be written)\n"
		"  -m, --max-processes N   series for the N busiest processes (or groups),\n"
		"                          the rest summed into comm=\"other\" (default %d)\n"
		"  -g, --group-by KIND     pid (default), comm or cgroup\n"
		"      --allow-comm GLOB   always a series for commands matching GLOB\n"
		"                          (repeatable)\n"
		"      --allow-cgroup GLOB always a series for processes in matching cgroups\n"
		"      --no-cgroup         no cgroup, container_id or pod_uid labels\n"
		"      --user NAME|UID     the user to run as once the programs are attached\n"
		"                          (default: see Privileges)\n"
		"      --keep-caps         keep the user and every capability (default: drop\n"
		"                          to --user and what refreshing needs once attached)\n"
		"\n"
		"Privileges: loading and attaching need root's CAP_BPF and CAP_PERFMON. Then,\n"
		"before serving, numalens becomes another user (no supplementary groups,\n"
		"no_new_privs), which takes CAP_SETUID and CAP_SETGID: --user; else nobody,\n"
		"or the owner of the --textfile's directory when that is not root (its\n"
		"files stay that user's); it stays root with --auto-pin (pin records that\n"
		"root's numalens unpin trusts) and stays who it is when not started as root.\n"
		"It keeps only, in every set (bounding too), what refreshing needs, probed\n"
		"at start and logged with why:\n"
		"  CAP_PERFMON (or CAP_SYS_PTRACE on kernels before 6.18) to read other\n"
		"  users' /proc/PID/numa_maps (ptrace read access); CAP_BPF only where the\n"
		"  kernel refuses map reads without it (not 6.18); CAP_SYS_NICE with\n"
		"  --auto-pin (other processes' affinity); CAP_SYS_PTRACE with\n"
		"  --auto-pin-migrate (migrate_pages checks ptrace access).\n"
		"The BPF maps, the port and the --textfile's directory are opened before.\n"
		"\n"
		"HTTP limits (fixed): %d connections in all, %d per client address; over\n"
		"either, the connection idle the longest (none of its requests under way:\n"
		"kept alive, silent, or still sending its header) is closed to make room;\n"
		"%d s of silence closes one; a request within %d KiB (414 for a longer\n"
		"URL, 431 for a larger header); a body is not read: the answer comes at\n"
		"once, then the connection closes. The first metrics are made before the\n"
		"port is served.\n"
		"\n"
		"Suggestions (numalens_process_suggestion_info, per-pid series) are made for\n"
		"processes over these thresholds:\n" NL_THRESHOLD_OPTIONS_HELP "\n"
		"Auto-pin (off by default) applies them, as numalens pin --apply would, to\n"
		"processes of the allowlist; numalens unpin PID undoes one:\n"
		"      --auto-pin          apply suggestions; needs --auto-pin-comm or\n"
		"                          --auto-pin-cgroup, and keeps CAP_SYS_NICE\n"
		"      --auto-pin-comm GLOB  processes whose command matches GLOB (repeatable;\n"
		"                          '*' for every process)\n"
		"      --auto-pin-cgroup PATH  processes in cgroup PATH or below (repeatable)\n"
		"      --auto-pin-interval SECONDS  at most one action per SECONDS (default 60)\n"
		"      --auto-pin-stable N the same suggestion N refreshes in a row first\n"
		"                          (default 3)\n"
		"      --auto-pin-cooldown SECONDS  leave a process acted on alone this long\n"
		"                          (default 600)\n"
		"      --auto-pin-migrate  plans may move memory too (migrate_pages); default:\n"
		"                          threads only\n"
		"      --auto-pin-dry-run  log what would be done, change nothing\n"
		"      --auto-pin-min-gain R  act on a plan that cuts the remote share by R\n"
		"                          at least (default 0.2)\n"
		"      --auto-pin-verify SECONDS  measure each change over SECONDS of refreshes\n"
		"                          after it (default 60; 0: never), then undo it as\n"
		"                          unpin does when it did not gain or made the process\n"
		"                          slower; the result goes in the pin record\n"
		"      --auto-pin-verify-gain R  a gain: a remote share lower by R (default 0.2)\n"
		"      --auto-pin-max-slowdown R  slower: the CPU rate fell by more than R\n"
		"                          (default 0.1)\n"
		"\n"
		"Data sources:\n" NL_AGENT_OPTIONS_HELP
		"  -v, --verbose           more messages (twice: libbpf's and libmicrohttpd's)\n"
		"\n"
		"Exit status: 0 stopped by SIGINT or SIGTERM (or --once done), 1 failure (the\n"
		"port taken, --once could not write...), 2 bad usage (a --textfile that\n"
		"cannot be written...), 3 missing privileges, 4 kernel lacks BTF or a\n"
		"tracepoint.\n"
		"\n"
		"Examples:\n"
		"  numalens export                                # 127.0.0.1:%d\n"
		"  numalens export --listen :%d --max-processes 20\n"
		"  numalens export --textfile /var/lib/node_exporter/textfile/numalens.prom\n"
		"  numalens export --group-by cgroup --allow-comm 'postgres*'\n"
		"  numalens export --auto-pin --auto-pin-comm 'postgres*' --auto-pin-dry-run\n",
		NL_EXPORT_MAX_PROCESSES, NL_HTTP_CONNECTIONS, NL_HTTP_PER_CLIENT, NL_HTTP_TIMEOUT_S,
		NL_HTTP_REQUEST_BYTES / 1024, NL_EXPORT_PORT, NL_EXPORT_PORT);
}

static double realtime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Creates the temporary file beside the textfile that nl_textfile_write
 * renames over it, relative to the directory held open (so it works once
 * the path above it is closed to the exporter's user): its descriptor, or
 * a negative errno; its name in tmp. O_EXCL: nothing planted there is
 * followed or reused. */
static int textfile_tmp(const struct nl_textfile *tf, char *tmp, size_t size)
{
	unsigned int r;
	int i, fd;

	for (i = 0; i < 100; i++) {
		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
			r = (unsigned int)getpid() * 2654435761u + i;
		/* Hidden and not *.prom: the textfile collector skips it. */
		if ((size_t)snprintf(tmp, size, ".%s.%08x", tf->name, r) >= size)
			return -ENAMETOOLONG;
		fd = openat(tf->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

int nl_textfile_open(const char *path, struct nl_textfile *tf, char *why, size_t size)
{
	char *copy, *base;
	struct stat st;
	int err;

	memset(tf, 0, sizeof(*tf));
	tf->dirfd = -1;
	tf->path = path;
	if (!path[0] || path[strlen(path) - 1] == '/') {
		snprintf(why, size, "--textfile needs a file name");
		return -EINVAL;
	}
	/* Renaming over a device or a directory must not even be tried. */
	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		snprintf(why, size, "--textfile %s is a directory: name a file in it", path);
		return -EISDIR;
	}
	if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
		snprintf(why, size, "--textfile %s is not a regular file", path);
		return -EINVAL;
	}
	copy = strdup(path);
	base = strdup(path);
	if (!copy || !base) {
		free(copy);
		free(base);
		snprintf(why, size, "out of memory");
		return -ENOMEM;
	}
	tf->name = strdup(basename(base));
	tf->dir = strdup(dirname(copy));
	free(copy);
	free(base);
	if (!tf->name || !tf->dir) {
		nl_textfile_close(tf);
		snprintf(why, size, "out of memory");
		return -ENOMEM;
	}
	/* Held open: every write is relative to this directory, whoever the
	 * exporter is by then and whatever is renamed over its path. */
	tf->dirfd = open(tf->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (tf->dirfd < 0) {
		err = -errno;
		snprintf(why, size, "--textfile %s: its directory %s %s", path, tf->dir,
			 err == -ENOENT || err == -ENOTDIR ? "does not exist" : strerror(-err));
		nl_textfile_close(tf);
		return err == -ENOTDIR ? -ENOENT : err;
	}
	return 0;
}

int nl_textfile_check(const struct nl_textfile *tf, char *why, size_t size)
{
	char tmp[NAME_MAX + 1];
	struct stat dir, st;
	int fd;

	/* What each refresh does first: a file beside it, to rename over it. */
	fd = textfile_tmp(tf, tmp, sizeof(tmp));
	if (fd < 0) {
		snprintf(why, size, "--textfile %s: cannot create a file in %s: %s", tf->path,
			 tf->dir, strerror(-fd));
		return fd;
	}
	close(fd);
	if (unlinkat(tf->dirfd, tmp, 0)) {
		fd = -errno;
		snprintf(why, size, "--textfile %s: cannot remove a file in %s: %s", tf->path,
			 tf->dir, strerror(-fd));
		return fd;
	}
	/* In a sticky directory (/tmp) only its owner replaces a file. */
	if (!fstat(tf->dirfd, &dir) && (dir.st_mode & S_ISVTX) && dir.st_uid != geteuid() &&
	    !fstatat(tf->dirfd, tf->name, &st, AT_SYMLINK_NOFOLLOW) && st.st_uid != geteuid()) {
		snprintf(why, size,
			 "--textfile %s belongs to uid %u in the sticky directory %s: uid %u "
			 "cannot replace it; remove it, or use a directory of that user",
			 tf->path, (unsigned int)st.st_uid, tf->dir, (unsigned int)geteuid());
		return -EPERM;
	}
	return 0;
}

void nl_textfile_close(struct nl_textfile *tf)
{
	if (tf->dirfd >= 0)
		close(tf->dirfd);
	free(tf->dir);
	free(tf->name);
	tf->dirfd = -1;
	tf->dir = NULL;
	tf->name = NULL;
}

int nl_textfile_write(const struct nl_textfile *tf, const char *data, size_t len)
{
	char tmp[NAME_MAX + 1];
	bool made = false;
	size_t done = 0;
	int fd, err = 0;

	fd = textfile_tmp(tf, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	made = true;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			goto out;
		}
		done += n;
	}
	if (fchmod(fd, 0644) || fsync(fd)) {
		err = -errno;
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		err = -errno;
		goto out;
	}
	fd = -1;
	if (renameat(tf->dirfd, tmp, tf->dirfd, tf->name))
		err = -errno;
out:
	if (fd >= 0)
		close(fd);
	if (err && made)
		unlinkat(tf->dirfd, tmp, 0);
	return err;
}

/* Timed: the cgroup phase of the refresh. */
static int read_cgroup(void *ctx, uint32_t pid, char *path, size_t size)
{
	struct nl_exporter_times *tm = ctx;
	double start = nl_monotonic_s();
	int err = nl_export_cgroup_read(pid, path, size);

	tm->cgroup_s += nl_monotonic_s() - start;
	tm->cgroup_reads++;
	return err;
}

static bool bpf_stats_enabled(void)
{
	int on;

	return !nl_sysctl_int("kernel/bpf_stats_enabled", &on) && on > 0;
}

void nl_exporter_prepare(struct nl_exporter *x, struct nl_export_opts *eopts,
			 struct nl_agent_opts *aopts)
{
	/* A long-running process whose big arrays (sample tables, snapshots of
	 * thousands of processes) come and go each refresh: keep them out of
	 * the heap, so their memory goes back to the system when freed instead
	 * of fragmenting it (the dynamic threshold would move them in). */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_ARENA_MAX, 2);
	if (eopts->group_by == NL_EXPORT_BY_COMM && eopts->nr_allow_cgroup == 0)
		eopts->cgroup_labels = false;
	if (eopts->cgroup_labels || eopts->group_by == NL_EXPORT_BY_CGROUP ||
	    eopts->nr_allow_cgroup) {
		eopts->read_cgroup = read_cgroup;
		eopts->read_cgroup_ctx = &x->times;
	}
	nl_export_agent_advice(eopts, aopts);
	/* The tier movement of the cgroups of the processes flagged, advised
	 * or ranked as high as series go, unless cgroups are left out of the
	 * labels. */
	aopts->cgroup_tiers = eopts->cgroup_labels;
	aopts->cgroup_tiers_ranked = eopts->max_processes;
	/* The memory of every process with a series is read, in turn. */
	aopts->mem_per_refresh = eopts->max_processes + 16 > 64 ? eopts->max_processes + 16 : 64;
}

int nl_exporter_setup(struct nl_exporter *x, const struct nl_export_opts *eopts,
		      const struct nl_agent_opts *aopts)
{
	const struct nl_topology *topo = nl_agent_topology(x->agent);
	int err;

	err = nl_export_new(eopts,
			    topo->nr_node_ids > NL_MAX_NODES ? NL_MAX_NODES : topo->nr_node_ids,
			    &x->series);
	if (err)
		return err;
	x->host.topo = topo;
	x->host.sources = nl_agent_sources(x->agent);
	x->host.version = NUMALENS_VERSION;
	nl_buf_init(&x->text);
	return 0;
}

/* One refresh: window, series, text; published where it goes. */
int nl_exporter_refresh(struct nl_exporter *x)
{
	struct nl_exporter_times *tm = &x->times;
	struct nl_snapshot snap = { 0 };
	double start = nl_monotonic_s(), t;
	struct nl_health health;
	int err;

	memset(tm, 0, sizeof(*tm));
	err = nl_agent_refresh(x->agent, &snap);
	t = nl_monotonic_s();
	if (!err)
		err = nl_export_update(x->series, &snap, start);
	tm->series_s = nl_monotonic_s() - t - tm->cgroup_s;
	t = nl_monotonic_s();
	if (!err)
		nl_export_advise(x->series, &snap);
	tm->advice_s = nl_monotonic_s() - t;
	if (err) {
		nl_snapshot_free(&snap);
		x->host.refresh_errors++;
		nl_warn("refresh failed: %s; the previous metrics stay served", strerror(-err));
		return err;
	}
	if (x->autopin)
		nl_autopin_step(x->autopin, &snap, nl_monotonic_s());
	x->host.refreshes++;
	x->host.refresh_time = realtime_s();
	x->host.sys = &snap.sys_after;
	x->host.sys_before = &snap.sys_before;
	x->host.cgtiers = snap.cgtiers.asked ? &snap.cgtiers : NULL;
	health = snap.health;
	x->host.health = &health;
	x->host.nr_progs = nl_agent_programs(x->agent, x->progs, NL_EXPORT_MAX_PROGS);
	x->host.progs = x->progs;
	x->host.bpf_stats = bpf_stats_enabled();
	t = nl_monotonic_s();
	nl_buf_reset(&x->text);
	nl_export_render(x->series, &x->host, &x->text);
	tm->render_s = nl_monotonic_s() - t;
	/* The time it took goes into the next rendering; it is also the last
	 * line, rewritten here so this one is not off by a refresh. */
	x->host.refresh_seconds = nl_monotonic_s() - start;
	if (!x->text.failed) {
		char *last = x->text.len ? memrchr(x->text.data, '\n', x->text.len - 1) : NULL;

		if (last) {
			x->text.len = last + 1 - x->text.data;
			nl_prom_sample(&x->text, "numalens_exporter_refresh_duration_seconds", NULL,
				       NULL, NULL, NULL, NULL, x->host.refresh_seconds);
		}
	}
	x->host.sys = x->host.sys_before = NULL;
	x->host.cgtiers = NULL;
	x->host.health = NULL;
	t = nl_monotonic_s();
	nl_snapshot_free(&snap);
	if (x->text.failed) {
		x->host.refresh_errors++;
		nl_warn("refresh failed: out of memory; the previous metrics stay served");
		return -ENOMEM;
	}
	if (x->http) {
		struct nl_blob *blob = nl_blob_new(x->text.data, x->text.len);

		if (blob)
			nl_http_publish(x->http, blob);
	}
	if (x->textfile) {
		err = nl_textfile_write(&x->tf, x->text.data, x->text.len);
		if (err) {
			x->host.textfile_errors++;
			nl_warn("cannot write %s: %s", x->textfile, strerror(-err));
		}
	}
	/* What the snapshot and the HTTP connections freed goes back to the
	 * system, so resident memory follows what is in use. */
	malloc_trim(0);
	tm->publish_s = nl_monotonic_s() - t;
	tm->total_s = nl_monotonic_s() - start;
	nl_debug("refresh: %zu processes, %zu series, %zu folded, %zu bytes, %.1f ms",
		 x->series->tracked, x->series->nr_selected, x->series->folded, x->text.len,
		 x->host.refresh_seconds * 1e3);
	return err; /* a textfile not written fails --once; the loop goes on */
}

/* Who the exporter is once attached (--help says why): --user; else who
 * it is when not root (a service manager's user with ambient capabilities)
 * or with --auto-pin (root's pin records); else the owner of the
 * --textfile's directory when not root (node_exporter's user: its files
 * stay that user's, and no capability bypasses file modes); else nobody.
 * 0, or an exit status (said). */
static int choose_identity(const char *user, bool keep_caps, bool auto_pin,
			   const struct nl_textfile *tf, struct nl_identity *id)
{
	char msg[256], num[16], why[300];
	struct stat st;
	int err;

	if (keep_caps)
		return nl_identity_stay("--keep-caps", id);
	if (user) {
		snprintf(why, sizeof(why), "--user %s", user);
		err = nl_identity_user(user, why, id, msg, sizeof(msg));
	} else if (geteuid()) {
		return nl_identity_stay("not started as root (already a user of its own)", id);
	} else if (auto_pin) {
		return nl_identity_stay("--auto-pin writes pin records, which root's numalens "
					"unpin trusts only when root's (--user NAME: that user's)",
					id);
	} else if (tf && !fstat(tf->dirfd, &st) && st.st_uid) {
		snprintf(num, sizeof(num), "%u", (unsigned int)st.st_uid);
		err = nl_identity_user(num,
				       "the owner of the --textfile's directory (--user to "
				       "choose)",
				       id, msg, sizeof(msg));
		if (!err && !getpwuid(st.st_uid))
			id->gid = st.st_gid;
	} else {
		err = nl_identity_user("nobody", "the default (--user to choose)", id, msg,
				       sizeof(msg));
	}
	if (err) {
		nl_err("%s", msg);
		return NL_EXIT_USAGE;
	}
	if (id->change && (!nl_has_cap(CAP_SETUID) || !nl_has_cap(CAP_SETGID))) {
		nl_err("cannot become uid %u (%s) after attaching: that takes CAP_SETUID and "
		       "CAP_SETGID (add SETUID and SETGID to the container's capabilities), or "
		       "start numalens as that user with ambient capabilities (as the systemd "
		       "unit does)",
		       (unsigned int)id->uid, id->name);
		return NL_EXIT_PRIVILEGE;
	}
	return 0;
}

#define TEXTFILE_FIX                                                                    \
	", the user numalens runs as after attaching: give the directory to that user " \
	"(chown), run as its owner (--user), or keep root (--keep-caps)"

/* nl_textfile_check as the user id, in a child when that is another: 0,
 * or a negative errno with why saying what is wrong and what to do. */
static int textfile_check_as(const struct nl_textfile *tf, const struct nl_identity *id, char *why,
			     size_t size)
{
	int status, p[2], err;
	ssize_t n, len = 0;
	pid_t pid;

	if (!id->change)
		return nl_textfile_check(tf, why, size);
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(p[0]);
		close(p[1]);
		return err;
	}
	if (!pid) {
		close(p[0]);
		err = nl_identity_become(id);
		if (err)
			snprintf(why, size, "--textfile %s: cannot become uid %u to try it: %s",
				 tf->path, (unsigned int)id->uid, strerror(-err));
		else
			err = nl_textfile_check(tf, why, size);
		if (err && write(p[1], why, strlen(why)) < 0)
			_exit(EIO);
		_exit(err ? -err & 0xff : 0); /* errno values fit */
	}
	close(p[1]);
	while (len < (ssize_t)size - 1) {
		n = read(p[0], why + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	why[len] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	err = WIFEXITED(status) ? -WEXITSTATUS(status) : -ECHILD;
	/* Said as the child saw it, then whose view that is and, when the
	 * user is what stops it, the ways out. */
	snprintf(why + len, size - len, ", as uid %u (%s)%s", (unsigned int)id->uid, id->name,
		 err == -EACCES || err == -EPERM ? TEXTFILE_FIX : "");
	return err;
}

/* An allowlist (by command, by cgroup: MAX_ALLOW each) that holds nr
 * entries takes no more: says so for the pair of options that fill them. */
static bool allowlist_full(size_t nr, const char *comm_option, const char *cgroup_option)
{
	if (nr < MAX_ALLOW)
		return false;
	nl_usage_err("at most %d %s and %d %s", MAX_ALLOW, comm_option, MAX_ALLOW, cgroup_option);
	return true;
}

static volatile sig_atomic_t hangups;
static sig_atomic_t hangups_seen;

static void on_hangup(int sig)
{
	hangups++;
}

int cmd_export(int argc, char **argv)
{
	enum {
		OPT_ONCE = 0x200,
		OPT_ALLOW_COMM,
		OPT_ALLOW_CGROUP,
		OPT_NO_CGROUP,
		OPT_KEEP_CAPS,
		OPT_USER,
		OPT_AUTO_PIN,
		OPT_AUTO_PIN_COMM,
		OPT_AUTO_PIN_CGROUP,
		OPT_AUTO_PIN_INTERVAL,
		OPT_AUTO_PIN_STABLE,
		OPT_AUTO_PIN_COOLDOWN,
		OPT_AUTO_PIN_MIGRATE,
		OPT_AUTO_PIN_DRY_RUN,
		OPT_AUTO_PIN_MIN_GAIN,
		OPT_AUTO_PIN_VERIFY,
		OPT_AUTO_PIN_VERIFY_GAIN,
		OPT_AUTO_PIN_MAX_SLOWDOWN,
	};
	static const struct nl_number_rule share = { .what = "a share", .min = 0, .max = 1 };
	static const struct option long_opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "textfile", required_argument, NULL, 't' },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "max-processes", required_argument, NULL, 'm' },
		{ "group-by", required_argument, NULL, 'g' },
		{ "allow-comm", required_argument, NULL, OPT_ALLOW_COMM },
		{ "allow-cgroup", required_argument, NULL, OPT_ALLOW_CGROUP },
		{ "no-cgroup", no_argument, NULL, OPT_NO_CGROUP },
		{ "keep-caps", no_argument, NULL, OPT_KEEP_CAPS },
		{ "user", required_argument, NULL, OPT_USER },
		{ "auto-pin", no_argument, NULL, OPT_AUTO_PIN },
		{ "auto-pin-comm", required_argument, NULL, OPT_AUTO_PIN_COMM },
		{ "auto-pin-cgroup", required_argument, NULL, OPT_AUTO_PIN_CGROUP },
		{ "auto-pin-interval", required_argument, NULL, OPT_AUTO_PIN_INTERVAL },
		{ "auto-pin-stable", required_argument, NULL, OPT_AUTO_PIN_STABLE },
		{ "auto-pin-cooldown", required_argument, NULL, OPT_AUTO_PIN_COOLDOWN },
		{ "auto-pin-migrate", no_argument, NULL, OPT_AUTO_PIN_MIGRATE },
		{ "auto-pin-dry-run", no_argument, NULL, OPT_AUTO_PIN_DRY_RUN },
		{ "auto-pin-min-gain", required_argument, NULL, OPT_AUTO_PIN_MIN_GAIN },
		{ "auto-pin-verify", required_argument, NULL, OPT_AUTO_PIN_VERIFY },
		{ "auto-pin-verify-gain", required_argument, NULL, OPT_AUTO_PIN_VERIFY_GAIN },
		{ "auto-pin-max-slowdown", required_argument, NULL, OPT_AUTO_PIN_MAX_SLOWDOWN },
		{ 0 },
	};
	const char *listen = NULL, *user = NULL, *allow_comm[MAX_ALLOW], *allow_cgroup[MAX_ALLOW];
	const char *pin_comm[MAX_ALLOW], *pin_cgroup[MAX_ALLOW];
	struct nl_autopin_opts popts;
	bool auto_pin = false, pin_options = false;
	char msg[160], why[1024];
	unsigned long stable, max_processes;
	struct nl_exporter x = { .tf.dirfd = -1 };
	struct nl_export_opts eopts;
	struct nl_agent_opts aopts;
	struct nl_cmdline cl = {
		.cmd = "numalens export",
		.shortopts = "l:t:i:m:g:",
		.usage = usage,
		.agent = &aopts,
		.thresholds = true,
	};
	struct nl_caps_plan plan;
	struct nl_identity id;
	sigset_t hup_only;
	bool once = false, keep_caps = false, first_ok = false;
	int tries;
	double interval = 5, next;
	char where[300] = "", verify_says[200];
	int opt, err, fd = -1, ret = NL_EXIT_FAILURE;
	size_t i;

	/* A reload while the programs load would make the verifier give up
	 * (it stops at a pending signal: EAGAIN, and libbpf's retries meet the
	 * next one): held until the agent runs, then counted like any other. */
	sigemptyset(&hup_only);
	sigaddset(&hup_only, SIGHUP);
	sigprocmask(SIG_BLOCK, &hup_only, NULL);
	nl_agent_opts_default(&aopts);
	nl_export_opts_default(&eopts);
	nl_autopin_opts_default(&popts);
	popts.state_dir = getenv("NUMALENS_STATE_DIR"); /* where numalens unpin looks too */
	popts.comms = pin_comm;
	popts.cgroups = pin_cgroup;
	eopts.allow_comm = allow_comm;
	eopts.allow_cgroup = allow_cgroup;
	nl_cmdline_init(&cl, long_opts);
	while ((opt = nl_cmdline_next(&cl, argc, argv)) >= 0) {
		switch (opt) {
		case 'l':
			listen = optarg;
			break;
		case 't':
			x.textfile = optarg;
			break;
		case 'i':
			if (nl_parse_seconds(optarg, "--interval", 0.1, 3600, &interval))
				return NL_EXIT_USAGE;
			break;
		case OPT_ONCE:
			once = true;
			break;
		case 'm':
			if (nl_parse_uint(optarg, "--max-processes", 0, 100000, &max_processes))
				return NL_EXIT_USAGE;
			eopts.max_processes = max_processes;
			break;
		case 'g':
			if (nl_export_parse_group_by(optarg, &eopts.group_by)) {
				nl_usage_err("--group-by must be pid, comm or cgroup, not '%s'",
					     optarg);
				return NL_EXIT_USAGE;
			}
			break;
		case OPT_ALLOW_COMM:
		case OPT_ALLOW_CGROUP:
			if (allowlist_full(opt == OPT_ALLOW_COMM ? eopts.nr_allow_comm :
								   eopts.nr_allow_cgroup,
					   "--allow-comm", "--allow-cgroup"))
				return NL_EXIT_USAGE;
			if (opt == OPT_ALLOW_COMM)
				allow_comm[eopts.nr_allow_comm++] = optarg;
			else
				allow_cgroup[eopts.nr_allow_cgroup++] = optarg;
			break;
		case OPT_NO_CGROUP:
			eopts.cgroup_labels = false;
			break;
		case OPT_KEEP_CAPS:
			keep_caps = true;
			break;
		case OPT_USER:
			user = optarg;
			break;
		case OPT_AUTO_PIN:
			auto_pin = true;
			break;
		case OPT_AUTO_PIN_COMM:
		case OPT_AUTO_PIN_CGROUP:
			if (allowlist_full(opt == OPT_AUTO_PIN_COMM ? popts.nr_comms :
								      popts.nr_cgroups,
					   "--auto-pin-comm", "--auto-pin-cgroup"))
				return NL_EXIT_USAGE;
			pin_options = true;
			if (opt == OPT_AUTO_PIN_COMM && !optarg[0]) {
				nl_usage_err(
					"--auto-pin-comm needs a pattern ('*' for every command)");
				return NL_EXIT_USAGE;
			}
			if (opt == OPT_AUTO_PIN_COMM) {
				pin_comm[popts.nr_comms++] = optarg;
				break;
			}
			if (nl_autopin_cgroup_normalize(optarg, msg, sizeof(msg))) {
				nl_usage_err("--auto-pin-cgroup %s: %s", optarg, msg);
				return NL_EXIT_USAGE;
			}
			pin_cgroup[popts.nr_cgroups++] = optarg;
			break;
		case OPT_AUTO_PIN_INTERVAL:
			pin_options = true;
			if (nl_parse_seconds(optarg, "--auto-pin-interval", 0, 86400,
					     &popts.min_interval_s))
				return NL_EXIT_USAGE;
			break;
		case OPT_AUTO_PIN_COOLDOWN:
			pin_options = true;
			if (nl_parse_seconds(optarg, "--auto-pin-cooldown", 0, 7 * 86400,
					     &popts.cooldown_s))
				return NL_EXIT_USAGE;
			break;
		case OPT_AUTO_PIN_STABLE:
			pin_options = true;
			if (nl_parse_uint(optarg, "--auto-pin-stable", 1, 1000, &stable))
				return NL_EXIT_USAGE;
			popts.stable_refreshes = stable;
			break;
		case OPT_AUTO_PIN_MIGRATE:
			pin_options = true;
			popts.advisor.allow_migrate = true;
			break;
		case OPT_AUTO_PIN_DRY_RUN:
			pin_options = true;
			popts.dry_run = true;
			break;
		case OPT_AUTO_PIN_VERIFY:
			pin_options = true;
			if (nl_parse_seconds(optarg, "--auto-pin-verify", 0, 86400,
					     &popts.verify_s))
				return NL_EXIT_USAGE;
			break;
		case OPT_AUTO_PIN_MIN_GAIN:
		case OPT_AUTO_PIN_VERIFY_GAIN:
		case OPT_AUTO_PIN_MAX_SLOWDOWN:
			pin_options = true;
			if (nl_parse_number(
				    optarg,
				    opt == OPT_AUTO_PIN_MIN_GAIN    ? "--auto-pin-min-gain" :
				    opt == OPT_AUTO_PIN_VERIFY_GAIN ? "--auto-pin-verify-gain" :
								      "--auto-pin-max-slowdown",
				    &share,
				    opt == OPT_AUTO_PIN_MIN_GAIN    ? &popts.advisor.min_gain :
				    opt == OPT_AUTO_PIN_VERIFY_GAIN ? &popts.verify.min_gain :
								      &popts.verify.max_slowdown))
				return NL_EXIT_USAGE;
			break;
		}
	}
	if (opt == NL_CMDLINE_EXIT)
		return cl.status;
	if (once && !x.textfile) {
		nl_usage_err("--once writes a --textfile: give one");
		return NL_EXIT_USAGE;
	}
	if (once && listen) {
		nl_usage_err("--once and --listen do not go together");
		return NL_EXIT_USAGE;
	}
	if (auto_pin && !popts.nr_comms && !popts.nr_cgroups) {
		nl_usage_err(
			"--auto-pin needs an allowlist of what it may pin: --auto-pin-comm GLOB "
			"or --auto-pin-cgroup PATH (--auto-pin-comm '*' for every process)");
		return NL_EXIT_USAGE;
	}
	if (keep_caps && user) {
		nl_usage_err(
			"--keep-caps keeps root with every capability: --user goes without it");
		return NL_EXIT_USAGE;
	}
	if (!auto_pin && pin_options) {
		nl_usage_err("the --auto-pin-* options go with --auto-pin");
		return NL_EXIT_USAGE;
	}
	if (!listen && !x.textfile)
		listen = NL_EXPORT_DEFAULT_LISTEN;
	nl_exporter_prepare(&x, &eopts, &aopts);
	/* Its directory stays open for the writes. */
	if (x.textfile && nl_textfile_open(x.textfile, &x.tf, why, sizeof(why))) {
		nl_textfile_close(&x.tf);
		nl_err("%s", why);
		return NL_EXIT_USAGE;
	}
	ret = choose_identity(user, keep_caps, auto_pin, x.textfile ? &x.tf : NULL, &id);
	/* A textfile that cannot be written fails now, not at every refresh,
	 * tried as the user that will write it. */
	if (!ret && x.textfile && textfile_check_as(&x.tf, &id, why, sizeof(why))) {
		nl_err("%s", why);
		ret = NL_EXIT_USAGE;
	}
	if (ret) {
		nl_textfile_close(&x.tf);
		return ret;
	}
	ret = NL_EXIT_FAILURE;

	/* The port first: a bad address or a port in use fails fast. */
	if (listen) {
		fd = nl_http_listen(listen, where, sizeof(where));
		if (fd < 0)
			return fd == -EINVAL ? NL_EXIT_USAGE : NL_EXIT_FAILURE;
	}
	err = nl_agent_open(&aopts, &x.agent);
	if (err) {
		if (fd >= 0)
			close(fd);
		nl_textfile_close(&x.tf);
		return nl_exit_for_errno(err);
	}

	/* Attached and bound: what is left to do needs little. */
	if (keep_caps) {
		nl_notice("keeping every capability and uid %u: --keep-caps",
			  (unsigned int)geteuid());
	} else {
		nl_caps_plan(&plan, &id, auto_pin, auto_pin && popts.advisor.allow_migrate);
		err = nl_caps_drop(&plan, &id);
		if (err) {
			nl_err("cannot drop privileges (to uid %u, %s): %s", (unsigned int)id.uid,
			       id.name, strerror(-err));
			goto out;
		}
		if (id.change)
			nl_notice("running as uid %u (%s), gid %u, no supplementary groups: %s",
				  (unsigned int)id.uid, id.name, (unsigned int)id.gid, id.why);
		else
			nl_notice("staying uid %u: %s", (unsigned int)geteuid(), id.why);
		for (i = 0; i < plan.nr; i++)
			nl_notice("keeping %s: %s", nl_cap_name(plan.keep[i]), plan.why[i]);
		if (!nl_has_cap(CAP_PERFMON) && !nl_has_cap(CAP_SYS_PTRACE))
			nl_warn("without %s the memory of other users' processes is unknown (their "
				"numa_maps cannot be read)",
				nl_cap_name(plan.keep[0]));
		/* As the new user, without CAP_DAC_OVERRIDE: tried before in a
		 * child, so this is for a directory changed meanwhile. */
		if (x.textfile && nl_textfile_check(&x.tf, why, sizeof(why))) {
			nl_err("%s, as uid %u%s", why, (unsigned int)geteuid(), TEXTFILE_FIX);
			ret = NL_EXIT_USAGE;
			goto out;
		}
	}

	err = nl_exporter_setup(&x, &eopts, &aopts);
	if (err) {
		nl_err("out of memory");
		goto out;
	}
	if (auto_pin) {
		popts.advisor.thresholds = aopts.model;
		x.autopin = nl_autopin_new(&popts, NULL);
		if (!x.autopin) {
			nl_err("out of memory");
			goto out;
		}
		x.host.autopin = nl_autopin_counters(x.autopin);
		x.host.autopin_dry_run = popts.dry_run;
	}

	nl_stop_on_signals();
	/* A service manager's reload, or a terminal closing: logged, and
	 * nothing else (the textfile is written anew at every refresh). Not a
	 * stop as the line above made it; one held since the start comes now. */
	signal(SIGHUP, on_hangup);
	sigprocmask(SIG_UNBLOCK, &hup_only, NULL);
	/* The first metrics (a short window) before serving, so no scrape
	 * finds none: connections meanwhile wait in the socket's backlog. A
	 * failed refresh (said) is tried again twice, then 503 until one works. */
	next = nl_monotonic_s();
	for (tries = 0; !once && !first_ok && tries < 3 && !nl_stop; tries++) {
		if (tries)
			nl_sleep_until(nl_monotonic_s() + 0.2, &nl_stop);
		first_ok = !nl_exporter_refresh(&x);
	}
	if (fd >= 0) {
		/* Given to the server before it starts, or the first connection
		 * (waiting since we listened) can be served before it. */
		struct nl_blob *blob = first_ok ? nl_blob_new(x.text.data, x.text.len) : NULL;

		err = nl_http_start(fd, blob, &x.http);
		fd = -1; /* the server's now, whatever happened */
		if (err)
			goto out;
	}
	if (x.http)
		fprintf(stderr, "numalens: serving http://%s/metrics\n", where);
	if (x.textfile && !once)
		fprintf(stderr, "numalens: writing %s every %.1f s\n", x.textfile, interval);
	if (popts.verify_s > 0 && !popts.dry_run)
		snprintf(verify_says, sizeof(verify_says),
			 "each change verified over %g s and undone unless the remote share "
			 "drops by %g and the CPU rate by no more than %g%%",
			 popts.verify_s, popts.verify.min_gain, popts.verify.max_slowdown * 100);
	else
		snprintf(verify_says, sizeof(verify_says), "changes are not verified");
	if (x.autopin)
		fprintf(stderr,
			"numalens: auto-pin%s: processes of the allowlist over the thresholds, "
			"after %u refreshes with the same suggestion, at most one every %g s%s; %s\n",
			popts.dry_run ? " (dry run: nothing is changed)" : "",
			popts.stable_refreshes, popts.min_interval_s,
			popts.advisor.allow_migrate ? ", memory moved too" : "", verify_says);
	/* Then every interval. */
	if (once) {
		next += interval;
		nl_sleep_until(next, &nl_stop);
		ret = nl_stop || nl_exporter_refresh(&x) ? NL_EXIT_FAILURE : NL_EXIT_OK;
		goto out;
	}
	while (!nl_stop) {
		if (hangups != hangups_seen) {
			hangups_seen = hangups;
			fprintf(stderr, "numalens: SIGHUP: nothing to reload, going on (the "
					"textfile and /metrics are made anew at every refresh)\n");
		}
		next += interval;
		if (next < nl_monotonic_s())
			next = nl_monotonic_s() + interval; /* fell behind: no burst */
		nl_sleep_until(next, &nl_stop);
		if (!nl_stop)
			nl_exporter_refresh(&x);
	}
	ret = NL_EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	nl_http_stop(x.http);
	nl_export_free(x.series);
	nl_autopin_free(x.autopin);
	nl_buf_free(&x.text);
	nl_agent_close(x.agent);
	nl_textfile_close(&x.tf);
	return ret;
}
