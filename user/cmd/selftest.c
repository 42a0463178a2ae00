// SPDX-License-Identifier: GPL-2.0
/*
 * `numalens selftest`: runs probes whose remote share is known on this
 * machine and checks what every active data source measures of them.
 *
 * A probe is a process of its own (numalens selftest-probe, exec'd from a
 * fork), so the agent attributes it by pid like any process, with a fresh
 * address space: numalens's own pages, copied on fork, would dilute its
 * memory per node. Before the exec the fork binds its CPUs to node A and its
 * memory to node B (set_mempolicy, inherited across exec), so everything the
 * probe allocates, stack and heap included, is on B; it then fills a buffer
 * and streams over it, one thread, until killed. MPOL_F_NUMA_BALANCING keeps
 * the bound memory in NUMA balancing's scans (it skips plain MPOL_BIND), so
 * the kernel takes hinting faults on it, but never migrates it off B: the
 * answer stays 1 (A != B) or 0 (A == B) for the whole window.
 *
 * The tolerance (0.1 by default), from what was measured: in 2- and 4-node
 * guests on Linux 6.1 and 6.12 (tests/vm/t-selftest-*.sh) hinting faults
 * gave exactly 1 and 0, and placement was off by at most 0.035, always on
 * the node holding the page cache: the probe's file-backed pages (binary,
 * libraries, about 4.5 MiB of its 133) lie there, whatever its policy.
 * 0.1 is three times that, for a machine where more of them are resident,
 * and well under the model's NL_DISAGREE (0.3): a source that confuses
 * remote with local is off by about 1, one that dilutes it by 0.3 or more.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <numaif.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "agent.h"
#include "cli.h"
#include "commands.h"
#include "log.h"
#include "options.h"
#include "selftest.h"
#include "sysstate.h"

#ifndef MPOL_F_NUMA_BALANCING
#define MPOL_F_NUMA_BALANCING (1 << 13) /* Linux 5.12 */
#endif

/* Room left on node B besides the probe's buffer. */
#define SPARE_BYTES (64ull << 20)
/* How long a probe may take to fill its buffer (software-emulated guests
 * are slow). */
#define READY_TIMEOUT_MS 120000

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: numalens selftest [--duration SECONDS] [--max-pairs N] [--json] [options]\n"
		"\n"
		"Checks numalens on this machine against known answers. For pairs of nodes\n"
		"(A, B) it runs a probe, one thread on node A's CPUs streaming over memory bound\n"
		"to node B (remote share 1), and for each A one over memory on A (share 0);\n"
		"every active data source measures each probe, and its remote share is judged\n"
		"against the known one. Hardware sampling (pmu) also gives the latency per pair.\n"
		"\n"
		"  -d, --duration SECONDS  how long each probe runs (default 3)\n"
		"      --max-pairs N       node pairs with A != B to probe (default 6)\n"
		"      --size SIZE         each probe's memory (default 128M; K, M, G)\n"
		"      --tolerance T       largest error allowed on a share (default 0.1)\n"
		"      --enable-balancing  turn kernel.numa_balancing on for the test when it\n"
		"                          is off (put back after), so hint_faults is tested\n"
		"      --no-record         do not record the result for numalens doctor\n"
		"  -j, --json              print one JSON document instead of text\n" NL_AGENT_OPTIONS_HELP
		"  -v, --verbose           more messages (twice: libbpf's too)\n"
		"\n"
		"The result of each source is recorded per CPU model in\n"
		"/var/lib/numalens/selftest.json ($NUMALENS_SELFTEST_FILE), which doctor reads.\n"
		"\n"
		"Exit status: 0 every active source within the tolerance, 8 a source outside it\n"
		"or without a figure, 9 nothing remote to test (one node; what ran passed),\n"
		"2 bad usage, 3 missing privileges, 4 kernel lacks BTF, 1 other failures (a\n"
		"probe did not run, or the test was interrupted).\n"
		"\n"
		"Examples:\n"
		"  numalens selftest\n"
		"  numalens selftest --enable-balancing --json | jq .sources\n");
}

struct st_run {
	struct nl_agent *agent;
	uint32_t *pid; /* the agent's --pid list: the probe's */
	int nr_nodes;
	double duration_s;
	uint64_t size;
};

/* Reads what the probe says until "ready"; 0, or -1 with p->error set. */
static int wait_ready(int fd, struct nl_st_probe *p)
{
	char buf[512];
	size_t len = 0;
	double deadline = nl_monotonic_s() + READY_TIMEOUT_MS / 1000.0;

	p->balancing_policy = true;
	while (!nl_stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char *line, *nl;
		ssize_t n;

		if (nl_monotonic_s() > deadline) {
			snprintf(p->error, sizeof(p->error), "not ready after %d s",
				 READY_TIMEOUT_MS / 1000);
			return -1;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0) {
			snprintf(p->error, sizeof(p->error),
				 "the probe exited before it was ready");
			return -1;
		}
		len += n;
		buf[len] = '\0';
		line = buf;
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			if (!strcmp(line, "nobal"))
				p->balancing_policy = false;
			else if (sscanf(line, "ready on_node=%lf", &p->mem_on_node) == 1)
				return 0;
			else if (!strncmp(line, "error ", 6)) {
				snprintf(p->error, sizeof(p->error), "%s", line + 6);
				return -1;
			}
			line = nl + 1;
		}
		len = strlen(line);
		memmove(buf, line, len + 1);
		if (len == sizeof(buf) - 1)
			len = 0;
	}
	snprintf(p->error, sizeof(p->error), "interrupted");
	return -1;
}

static void stop_probe(pid_t pid)
{
	double deadline = nl_monotonic_s() + 5;
	int status;

	kill(pid, SIGTERM);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (nl_monotonic_s() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return;
		}
		usleep(10000);
	}
}

/* What the agent made of the probe in its window. */
static void take_figures(const struct st_run *run, struct nl_proc_view *v, struct nl_st_probe *p)
{
	struct nl_st_value *pmu = &p->src[NL_SRC_PMU], *hint = &p->src[NL_SRC_HINT_FAULTS];
	struct nl_st_value *place = &p->src[NL_SRC_PLACEMENT];
	uint64_t n = p->known ? v->pmu.mem_remote : v->pmu.mem_local;
	uint64_t w = p->known ? v->pmu.weight_remote : v->pmu.weight_local;

	p->cpu_s = v->cpu_s;
	place->valid = v->placement.valid;
	place->share = v->placement.value;
	hint->tested = p->balancing_policy;
	hint->valid = v->hint.valid;
	hint->share = v->hint.value;
	hint->samples = nl_hint_pages(v, run->nr_nodes);
	pmu->valid = v->pmu_ratio.valid;
	pmu->share = v->pmu_ratio.value;
	pmu->samples = v->pmu.mem_local + v->pmu.mem_remote;
	if (n) {
		pmu->latency_valid = true;
		pmu->latency = (double)w / n;
	}
}

static void run_probe(struct st_run *run, const struct nl_topology *topo, struct nl_st_probe *p)
{
	unsigned long mask[NL_MAX_NODES / (8 * sizeof(long)) + 1] = { 0 };
	char size_arg[32], node_arg[16], ppid_arg[16];
	char *args[] = { "numalens", "selftest-probe", node_arg, size_arg, ppid_arg, NULL };
	struct nl_snapshot snap;
	struct nl_proc_view *v;
	pid_t pid, parent = getpid();
	cpu_set_t cpus;
	int fds[2], c, s;

	for (s = 0; s < NL_ST_SOURCES; s++)
		p->src[s].tested = true;
	CPU_ZERO(&cpus);
	for (c = 0; c < topo->nr_cpu_ids && c < CPU_SETSIZE; c++)
		if (topo->cpu_node[c] == p->cpu_node)
			CPU_SET(c, &cpus);
	mask[p->mem_node / (8 * sizeof(long))] |= 1ul << (p->mem_node % (8 * sizeof(long)));
	snprintf(node_arg, sizeof(node_arg), "%d", p->mem_node);
	snprintf(size_arg, sizeof(size_arg), "%llu", (unsigned long long)run->size);
	snprintf(ppid_arg, sizeof(ppid_arg), "%d", (int)parent);
	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(p->error, sizeof(p->error), "pipe: %s", strerror(errno));
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(p->error, sizeof(p->error), "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		/* Only system calls between fork and exec. Killed with us. */
		static const char nobal[] = "nobal\n", nopol[] = "error set_mempolicy failed\n",
				  noaff[] = "error sched_setaffinity failed\n",
				  noexec[] = "error cannot exec /proc/self/exe\n";

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		dup2(fds[1], STDOUT_FILENO);
		if (sched_setaffinity(0, sizeof(cpus), &cpus)) {
			(void)!write(STDOUT_FILENO, noaff, sizeof(noaff) - 1);
			_exit(1);
		}
		if (set_mempolicy(MPOL_BIND | MPOL_F_NUMA_BALANCING, mask, sizeof(mask) * 8)) {
			/* Before 5.12: bound memory, which NUMA balancing skips. */
			if (set_mempolicy(MPOL_BIND, mask, sizeof(mask) * 8)) {
				(void)!write(STDOUT_FILENO, nopol, sizeof(nopol) - 1);
				_exit(1);
			}
			(void)!write(STDOUT_FILENO, nobal, sizeof(nobal) - 1);
		}
		execv("/proc/self/exe", args);
		(void)!write(STDOUT_FILENO, noexec, sizeof(noexec) - 1);
		_exit(127);
	}
	close(fds[1]);
	p->pid = pid;
	*run->pid = pid;
	if (wait_ready(fds[0], p))
		goto out;
	if (p->mem_on_node < 0.99) {
		snprintf(p->error, sizeof(p->error),
			 "the kernel put only %.0f%% of its memory on node %d",
			 p->mem_on_node * 100, p->mem_node);
		goto out;
	}
	/* The window opens now that its memory is in place. */
	if (nl_agent_refresh(run->agent, &snap)) {
		snprintf(p->error, sizeof(p->error), "cannot read the agent");
		goto out;
	}
	nl_snapshot_free(&snap);
	nl_sleep_until(nl_monotonic_s() + run->duration_s, &nl_stop);
	if (nl_stop) {
		snprintf(p->error, sizeof(p->error), "interrupted");
		goto out;
	}
	if (nl_agent_refresh(run->agent, &snap)) {
		snprintf(p->error, sizeof(p->error), "cannot read the agent");
		goto out;
	}
	v = nl_snapshot_find(&snap, pid);
	if (v)
		take_figures(run, v, p);
	else
		snprintf(p->error, sizeof(p->error), "the agent did not see the probe (pid %d)",
			 (int)pid);
	nl_snapshot_free(&snap);
out:
	close(fds[0]);
	stop_probe(pid);
	*run->pid = 0;
}

/* Which sources can measure the probes here, and why the others cannot. */
static void judge_sources(struct nl_st_result *r, const struct nl_sources *sources, int numab)
{
	int s;

	for (s = 0; s < NL_ST_SOURCES; s++) {
		const struct nl_source_state *st = &sources->src[s];
		struct nl_st_source *src = &r->src[s];

		src->active = st->active;
		src->testable = st->active;
		snprintf(src->method, sizeof(src->method), "%s", st->method);
		if (!st->active)
			snprintf(src->why, sizeof(src->why), "inactive: %s", st->reason);
	}
	if (r->src[NL_SRC_PMU].active && !strcmp(r->src[NL_SRC_PMU].method, "software")) {
		r->src[NL_SRC_PMU].testable = false;
		snprintf(r->src[NL_SRC_PMU].why, sizeof(r->src[NL_SRC_PMU].why),
			 "software sampling (--pmu-software) samples page faults, not memory "
			 "accesses: it has no remote share to check");
	}
	if (!r->src[NL_SRC_HINT_FAULTS].active && numab == 0)
		snprintf(r->src[NL_SRC_HINT_FAULTS].why, sizeof(r->src[NL_SRC_HINT_FAULTS].why),
			 "inactive: kernel.numa_balancing is 0, so the kernel takes no hinting "
			 "faults; run with --enable-balancing to turn it on for the test");
	else if (r->src[NL_SRC_HINT_FAULTS].active && numab > 0 && !(numab & 1)) {
		r->src[NL_SRC_HINT_FAULTS].testable = false;
		snprintf(r->src[NL_SRC_HINT_FAULTS].why, sizeof(r->src[NL_SRC_HINT_FAULTS].why),
			 "kernel.numa_balancing is %d (memory tiering only): hinting faults are "
			 "taken on slow-tier memory only, not on the probes'; --enable-balancing "
			 "adds mode 1 for the test",
			 numab);
	}
}

static int write_numab(int value)
{
	FILE *f = fopen("/proc/sys/kernel/numa_balancing", "we");
	int err = 0;

	if (!f)
		return -errno;
	if (fprintf(f, "%d\n", value) < 0)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/* The plan, minus the probes whose memory node has no room for them. */
static void plan(struct nl_st_result *r, const struct nl_topology *topo, size_t max_pairs)
{
	uint64_t cpu_nodes = 0, mem_nodes = 0;
	size_t i, kept = 0, used;
	int n;

	for (n = 0; n < NL_MAX_NODES && n < topo->nr_node_ids; n++) {
		if (!nl_node_present(topo, n))
			continue;
		if (topo->node_nr_cpus[n])
			cpu_nodes |= 1ull << n;
		if (topo->node_mem_total[n])
			mem_nodes |= 1ull << n;
	}
	r->nr_probes = nl_st_plan(cpu_nodes, mem_nodes, max_pairs, r->probes, NL_ST_MAX_PROBES);
	for (i = 0; i < r->nr_probes; i++) {
		struct nl_st_probe *p = &r->probes[i];
		uint64_t free_b = topo->node_mem_free[p->mem_node];

		if (free_b < r->size_bytes + SPARE_BYTES) {
			used = strlen(r->untested);
			snprintf(r->untested + used, sizeof(r->untested) - used,
				 "%snode %d -> %d: node %d has %llu MiB free, too little for the "
				 "probe",
				 used ? "; " : "", p->cpu_node, p->mem_node, p->mem_node,
				 (unsigned long long)(free_b >> 20));
			continue;
		}
		r->probes[kept++] = *p;
	}
	r->nr_probes = kept;
	if (__builtin_popcountll(nl_used_nodes(topo)) < 2) {
		used = strlen(r->untested);
		snprintf(r->untested + used, sizeof(r->untested) - used,
			 "%sthis machine has one NUMA node: no memory is remote to any CPU, so no "
			 "source can be checked against a remote share of 1 (only the local "
			 "probe, known 0, ran); run it on a machine with two nodes or more",
			 used ? "; " : "");
	}
}

static int print_result(const struct nl_st_result *r, bool json)
{
	if (json) {
		json_object *doc = nl_st_json(r);
		int n = printf("%s\n", json_object_to_json_string_ext(
					       doc, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE));

		json_object_put(doc);
		return n < 0 ? -EIO : 0;
	}
	nl_st_text(stdout, r);
	return 0;
}

int cmd_selftest(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "max-pairs", required_argument, NULL, 'P' },
		{ "size", required_argument, NULL, 'S' },
		{ "tolerance", required_argument, NULL, 'T' },
		{ "enable-balancing", no_argument, NULL, 'B' },
		{ "no-record", no_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	static const struct nl_number_rule size_rule = {
		.what = "a size (K, M, G)", .min = 1 << 20, .max = 64.0 * (1ull << 30), .size = true
	};
	static const struct nl_number_rule tol_rule = { .what = "a share",
							.max = 1,
							.above_min = true };
	struct nl_agent_opts aopts;
	struct nl_cmdline cl = {
		.cmd = "numalens selftest",
		.shortopts = "d:j",
		.usage = usage,
		.agent = &aopts,
	};
	struct nl_st_result *r = calloc(1, sizeof(*r));
	struct st_run run = { .duration_s = 3 };
	bool json = false, enable_numab = false, record = true;
	int opt, err, numab, restore_numab = -1, ret = NL_EXIT_FAILURE;
	unsigned long max_pairs = 6;
	uint32_t pids[1] = { 0 };
	struct utsname uts;
	double v;
	size_t i;

	if (!r)
		return NL_EXIT_FAILURE;
	r->tolerance = NL_ST_TOLERANCE;
	r->size_bytes = 128ull << 20;
	nl_agent_opts_default(&aopts);
	nl_cmdline_init(&cl, long_opts);
	while ((opt = nl_cmdline_next(&cl, argc, argv)) >= 0) {
		switch (opt) {
		case 'd':
			if (nl_parse_duration(optarg, "--duration", 3600, &run.duration_s))
				goto usage;
			break;
		case 'P':
			if (nl_parse_uint(optarg, "--max-pairs", 1, NL_ST_MAX_PROBES / 2,
					  &max_pairs))
				goto usage;
			break;
		case 'S':
			if (nl_parse_number(optarg, "--size", &size_rule, &v))
				goto usage;
			r->size_bytes = v;
			break;
		case 'T':
			if (nl_parse_number(optarg, "--tolerance", &tol_rule, &r->tolerance))
				goto usage;
			break;
		case 'B':
			enable_numab = true;
			break;
		case 'R':
			record = false;
			break;
		case 'j':
			json = true;
			break;
		}
	}
	if (opt == NL_CMDLINE_EXIT) {
		ret = cl.status;
		goto out_free;
	}
	r->duration_s = run.duration_s;
	run.size = r->size_bytes;

	nl_stop_on_signals();
	numab = nl_numa_balancing_read();
	if (enable_numab && numab >= 0 && !(numab & 1)) {
		err = write_numab(numab | 1);
		if (err) {
			nl_err("cannot turn kernel.numa_balancing on: %s", strerror(-err));
			ret = nl_exit_for_errno(err);
			goto out_free;
		}
		restore_numab = numab;
		numab |= 1;
		if (!json)
			printf("kernel.numa_balancing set to %d for the test (%d again after)\n",
			       numab, restore_numab);
	}
	/* The probe's pid is filled in as each one starts: always read. */
	aopts.pids = pids;
	aopts.nr_pids = 1;
	aopts.mem_max_age_s = 0;
	err = nl_agent_open(&aopts, &run.agent);
	if (err) {
		ret = nl_exit_for_errno(err);
		goto out;
	}
	run.pid = pids;
	run.nr_nodes = nl_agent_topology(run.agent)->nr_node_ids;
	if (run.nr_nodes > NL_MAX_NODES)
		run.nr_nodes = NL_MAX_NODES;
	r->nr_nodes = nl_agent_topology(run.agent)->nr_nodes;
	nl_cpu_id_read(r->cpu_id, sizeof(r->cpu_id), r->cpu_name, sizeof(r->cpu_name));
	uname(&uts);
	snprintf(r->kernel, sizeof(r->kernel), "%s", uts.release);
	judge_sources(r, nl_agent_sources(run.agent), numab);
	plan(r, nl_agent_topology(run.agent), max_pairs);

	if (!json)
		fprintf(stderr, "numalens: %zu probe%s of %.1f s each...\n", r->nr_probes,
			r->nr_probes == 1 ? "" : "s", run.duration_s);
	for (i = 0; i < r->nr_probes && !nl_stop; i++) {
		run_probe(&run, nl_agent_topology(run.agent), &r->probes[i]);
		if (!r->probes[i].error[0] && r->probes[i].cpu_node != r->probes[i].mem_node)
			r->remote_tested = true;
	}
	r->interrupted = nl_stop != 0;
	if (r->interrupted)
		r->nr_probes = i;
	nl_st_conclude(r);
	if (print_result(r, json))
		nl_err("cannot write the result: %s", strerror(errno));
	fflush(stdout);
	/* A run with a probe that did not run (or stopped) proves nothing. */
	if (record && r->remote_tested &&
	    (r->status == NL_EXIT_OK || r->status == NL_ST_EXIT_MISMATCH)) {
		char msg[512];

		if (nl_st_record(nl_st_state_path(), r, time(NULL), msg, sizeof(msg)))
			nl_warn("the result is not recorded for numalens doctor: %s", msg);
	}
	ret = r->status;
out:
	nl_agent_close(run.agent);
	if (restore_numab >= 0) {
		err = write_numab(restore_numab);
		if (err)
			nl_err("cannot put kernel.numa_balancing back to %d: %s", restore_numab,
			       strerror(-err));
	}
out_free:
	free(r);
	return ret;
usage:
	free(r);
	return NL_EXIT_USAGE;
}

/* The probe: memory per the policy it was started under, one streaming
 * thread; SIGTERM ends it (default action). */
int cmd_selftest_probe(int argc, char **argv)
{
	unsigned long long size;
	volatile unsigned char *buf;
	size_t pages, i, on = 0, unknown;
	void **addrs;
	int round;
	int *status, node;
	long page = sysconf(_SC_PAGESIZE);

	if (argc != 4 || sscanf(argv[1], "%d", &node) != 1 || sscanf(argv[2], "%llu", &size) != 1 ||
	    atoi(argv[3]) != getppid()) {
		fprintf(stderr, "numalens selftest-probe is started by numalens selftest only\n");
		return NL_EXIT_USAGE;
	}
	/* Its own name, not "exe": reports and tests tell probes apart. */
	prctl(PR_SET_NAME, "numalens-probe");
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		printf("error mmap %llu bytes: %s\n", size, strerror(errno));
		return NL_EXIT_FAILURE;
	}
	memset((void *)buf, 1, size);
	/* Where the kernel put it, from the kernel: the known answer's proof. */
	pages = size / page;
	addrs = calloc(pages, sizeof(*addrs));
	status = calloc(pages, sizeof(*status));
	if (!addrs || !status) {
		printf("error out of memory\n");
		return NL_EXIT_FAILURE;
	}
	for (i = 0; i < pages; i++)
		addrs[i] = (void *)(buf + i * page);
	/* A page NUMA balancing has just marked for a hinting fault has no
	 * node to move_pages (-EFAULT) until touched: touch those, ask again. */
	for (round = 0; round < 5; round++) {
		if (move_pages(0, pages, addrs, NULL, status, 0)) {
			printf("error move_pages: %s\n", strerror(errno));
			return NL_EXIT_FAILURE;
		}
		for (i = 0, unknown = 0; i < pages; i++)
			if (status[i] < 0) {
				unknown++;
				(void)buf[i * page];
			}
		if (!unknown)
			break;
	}
	for (i = 0; i < pages; i++)
		on += status[i] == node;
	free(addrs);
	free(status);
	printf("ready on_node=%.6f\n", pages ? (double)on / pages : 0);
	fflush(stdout);
	for (;;)
		for (i = 0; i < size; i += 64)
			buf[i]++;
	return NL_EXIT_OK;
}
