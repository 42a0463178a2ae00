// SPDX-License-Identifier: GPL-2.0
/*
 * `numalens pin` and `numalens unpin`: the command line around the advisor
 * (what to do) and user/act/pin.c (doing it). Without --apply, pin prints
 * exactly what it would do and the equivalent commands, and changes nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "advice_text.h"
#include "advisor.h"
#include "agent.h"
#include "cgroup.h"
#include "cli.h"
#include "commands.h"
#include "log.h"
#include "model.h"
#include "options.h"
#include "pin.h"
#include "procfs.h"
#include "verify.h"

#define SAMPLE_S 0.25

enum { OPT_VERIFY = 0x200, OPT_VERIFY_GAIN, OPT_VERIFY_MAX_SLOWDOWN };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: numalens pin PID [--node N|auto] [--cpus LIST] [--migrate-memory] [--apply]\n"
		"                      [--verify SECONDS]\n"
		"       numalens unpin PID\n"
		"\n"
		"pin moves a running process's threads to a node's CPUs and, with\n"
		"--migrate-memory, its pages to that node. Without --apply it prints exactly\n"
		"what it would do and the equivalent commands, and changes nothing. Before any\n"
		"change it saves each thread's affinity in " NL_PIN_STATE_DIR "/PID.pin;\n"
		"'numalens unpin PID' restores it if the pid still names the same process.\n"
		"\n"
		"  -n, --node N|auto       the node (or list, 0,1) to pin to; auto (the default)\n"
		"                          watches the process for --duration seconds and takes\n"
		"                          the plan diagnose suggests (needs CAP_BPF, CAP_PERFMON)\n"
		"  -c, --cpus LIST         exactly these CPUs (\"2-3,6\") instead of whole nodes\n"
		"  -m, --migrate-memory    also move its pages to the node(s) (migrate_pages(2));\n"
		"                          with auto, needed to carry out a plan that moves pages\n"
		"  -a, --apply             do it (default: a dry run)\n"
		"  -f, --force             pin a process in a Kubernetes pod anyway\n"
		"  -d, --duration SECONDS  how long auto watches (default 3)\n"
		"      --verify SECONDS    after --apply, measure the process again for SECONDS\n"
		"                          and compare: remote share, CPU rate, memory on the\n"
		"                          target, load latency; saved in the record. With --node\n"
		"                          or --cpus the window before is as long\n"
		"      --verify-gain R     a gain is a remote share lower by R (default 0.2)\n"
		"      --verify-max-slowdown R\n"
		"                          slower: the CPU rate fell by more than R (default 0.1)\n" NL_THRESHOLD_OPTIONS_HELP
			NL_AGENT_OPTIONS_HELP "  -v, --verbose           more messages\n"
		"\n"
		"Refused, with nothing changed: kernel threads, numalens itself, pid 1, processes\n"
		"in Kubernetes pods (unless --force), another user's process without CAP_SYS_NICE,\n"
		"and targets its cpuset does not allow.\n"
		"\n"
		"Exit status: 0 done (or nothing to do; with --verify: a gain held), 2 bad usage\n"
		"or target, 3 missing privileges, 5 no such process, 6 refused, 7 --verify found\n"
		"no gain (no_gain, slower, undone or gone), 1 other failures; 130, 143 or 129\n"
		"stopped by SIGINT (Ctrl-C), SIGTERM or SIGHUP before the change, nothing\n"
		"changed (a signal during the change waits for its end).\n"
		"NUMALENS_STATE_DIR moves the records from " NL_PIN_STATE_DIR "; numalens status\n"
		"lists them: each change, its age and what --verify measured.\n"
		"\n"
		"Examples:\n"
		"  numalens pin 1234                      # what the advisor would do, dry run\n"
		"  numalens pin 1234 --node 1 --apply     # every thread onto node 1's CPUs\n"
		"  numalens pin 1234 --node 0 --migrate-memory --apply\n"
		"  numalens pin 1234 --node 1 --apply --verify 5   # and did it help?\n"
		"  numalens unpin 1234                    # back to the affinity before the pin\n");
}

static void print_memory(const struct nl_proc_view *v, const struct nl_topology *t, int nr_nodes)
{
	char b[32];
	int n;

	nl_format_bytes(v->mem_bytes, b, sizeof(b));
	printf("%s resident", b);
	for (n = 0; n < nr_nodes; n++) {
		if (!nl_node_present(t, n))
			continue;
		nl_format_bytes(v->node[n].mem_bytes, b, sizeof(b));
		printf("%s node %d: %s", n ? "," : ":", n, b);
	}
}

static void print_commands(const struct nl_advice *a, int pid, const struct nl_proc_limits *l)
{
	struct nl_command cmds[NL_MAX_COMMANDS];
	size_t nr = nl_advice_commands(a, pid, l, cmds, NL_MAX_COMMANDS), i;

	if (!nr)
		return;
	printf("equivalent commands:\n");
	for (i = 0; i < nr; i++)
		printf("  %-11s %s\n", cmds[i].when, cmds[i].text);
}

static int refuse(enum nl_pin_refusal r, const char *msg)
{
	fflush(stdout); /* what was printed comes first */
	nl_err("%s", msg);
	return nl_pin_exit_status(r);
}

static const char *signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
}

/* A stop signal before the change: nothing was changed, and a plan from a
 * window cut short is no plan. The status a shell gives a process the
 * signal killed. */
static int stopped(int pid, const char *when)
{
	fflush(stdout);
	nl_err("stopped by %s %s pid %d: nothing changed", signal_name(nl_stop), when, pid);
	return 128 + nl_stop;
}

/*
 * The agent's window over pid alone, duration seconds long: with BPF for
 * --node auto, else from /proc (o->proc_only). 0, or an exit status (said).
 */
static int watch(int pid, uint32_t *want, struct nl_agent_opts *o, double duration,
		 const char *when, struct nl_agent **agent, struct nl_snapshot *snap)
{
	int err;

	*want = (uint32_t)pid;
	o->pids = want;
	o->nr_pids = 1;
	o->mem_max_age_s = 0;
	err = nl_agent_open(o, agent);
	if (err) {
		if (!o->proc_only)
			nl_err("--node auto watches the process with BPF; without that, name the "
			       "target with --node N or --cpus LIST");
		return nl_exit_for_errno(err);
	}
	if (!o->proc_only || duration > SAMPLE_S)
		fprintf(stderr, "numalens: watching pid %d for %.1f s...\n", pid, duration);
	nl_sleep_until(nl_monotonic_s() + duration, &nl_stop);
	if (nl_stop)
		return stopped(pid, when);
	return nl_agent_refresh(*agent, snap) ? NL_EXIT_FAILURE : 0;
}

/* What verify measures with: the agent that measured before, the change. */
struct verify_ctx {
	struct nl_agent *agent;
	uint64_t nodes;
	const uint64_t *cpus;
	const struct nl_pin_opts *popts;
};

/* The window after: from a refresh made once the change is done. */
static int measure_after(int pid, double seconds, struct nl_verify_sample *after, void *ctx)
{
	struct verify_ctx *c = ctx;
	struct nl_snapshot s = { 0 };
	int err = nl_agent_refresh(c->agent, &s);

	nl_snapshot_free(&s);
	if (err)
		return err;
	fprintf(stderr, "numalens: verifying: watching pid %d for %.1f s...\n", pid, seconds);
	nl_sleep_until(nl_monotonic_s() + seconds, &nl_stop);
	if (nl_stop)
		return -EINTR;
	err = nl_agent_refresh(c->agent, &s);
	if (!err)
		nl_verify_sample_of(&s, nl_snapshot_find(&s, (uint32_t)pid), c->nodes, after);
	nl_snapshot_free(&s);
	return err;
}

static int state_now(int pid, uint64_t *start, int *threads_off, void *ctx)
{
	struct verify_ctx *c = ctx;

	return nl_pin_state_now(pid, c->cpus, c->popts, start, threads_off);
}

static void print_verified(const struct nl_verify_input *in, const struct nl_verify_outcome *out,
			   uint64_t nodes)
{
	const struct nl_verify_sample *b = in->before, *a = in->after;
	char nl[64], what[80], mb[32], ma[32];

	printf("verified: %s: %s\n", nl_verify_result_name(out->result), out->reason);
	if (out->result == NL_VERIFY_GONE)
		return;
	if (out->compared) {
		printf("  %-14s %.2f -> %.2f (%s", "remote share", out->remote_before,
		       out->remote_after, nl_source_name(out->source));
		if (out->source_changed)
			printf("; the window before used %s, which did not measure after",
			       nl_source_name(b->source));
		printf(")\n");
	}
	printf("  %-14s %.2f -> %.2f CPUs\n", "CPU rate", b->cpu_rate, a->cpu_rate);
	if (b->mem_known && a->mem_known) {
		nl_format_bytes(b->target_bytes, mb, sizeof(mb));
		nl_format_bytes(a->target_bytes, ma, sizeof(ma));
		snprintf(what, sizeof(what), "on node%s %s",
			 __builtin_popcountll(nodes) > 1 ? "s" : "",
			 nl_nodes_to_list(nodes, nl, sizeof(nl)));
		printf("  %-14s %s -> %s\n", what, mb, ma);
	}
	if (b->lat_valid && a->lat_valid)
		printf("  %-14s %.0f -> %.0f (mean sampled load latency, cycles)\n", "load latency",
		       b->latency, a->latency);
}

/*
 * --verify: the process again over seconds, the decision, the record.
 * Returns the exit status: 0 when the gain held, NL_EXIT_NO_GAIN when not.
 */
static int verify(int pid, uint64_t start, const struct nl_verify_sample *before, double seconds,
		  const struct nl_verify_opts *vo, struct verify_ctx *c)
{
	struct nl_verify_hooks h = { .measure = measure_after, .state = state_now, .ctx = c };
	struct nl_verify_input in = { .pid = pid, .start = start, .before = before };
	struct nl_verify_sample after;
	struct nl_verify_outcome out;
	struct nl_pin_verified rec;
	char msg[400];
	int err;

	fflush(stdout);
	err = nl_verify_run(&h, seconds, &in, &after, vo, &out);
	if (err == -EINTR) {
		nl_err("stopped by %s while verifying pid %d: the change stays, not verified",
		       signal_name(nl_stop), pid);
		return 128 + nl_stop;
	}
	if (err) {
		nl_err("cannot measure pid %d after the change: %s; the change stays, not verified",
		       pid, strerror(-err));
		return nl_exit_for_errno(err);
	}
	print_verified(&in, &out, c->nodes);
	nl_verify_to_record(&in, &out, seconds, &rec);
	err = nl_pin_save_verified(pid, start, c->popts, &rec, msg, sizeof(msg));
	if (err) {
		fflush(stdout);
		nl_err("cannot add the result to the pin record of pid %d: %s", pid,
		       msg[0] ? msg : strerror(-err));
	}
	return out.result == NL_VERIFY_GAIN ? NL_EXIT_OK : NL_EXIT_NO_GAIN;
}

int cmd_pin(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "migrate-memory", no_argument, NULL, 'm' },
		{ "apply", no_argument, NULL, 'a' },
		{ "force", no_argument, NULL, 'f' },
		{ "duration", required_argument, NULL, 'd' },
		{ "verify", required_argument, NULL, OPT_VERIFY },
		{ "verify-gain", required_argument, NULL, OPT_VERIFY_GAIN },
		{ "verify-max-slowdown", required_argument, NULL, OPT_VERIFY_MAX_SLOWDOWN },
		{ 0 },
	};
	static uint64_t force_cpus[NL_CPU_WORDS];
	struct nl_pin_opts popts = { .state_dir = getenv("NUMALENS_STATE_DIR") };
	struct nl_topology *topo = calloc(1, sizeof(*topo));
	struct nl_proc_limits *l = calloc(1, sizeof(*l)), *plan_limits = NULL;
	struct nl_advisor_opts ao;
	struct nl_agent_opts agent_opts;
	struct nl_cmdline cl = {
		.cmd = "numalens pin",
		.shortopts = "n:c:mad:f",
		.usage = usage,
		.agent = &agent_opts,
		.thresholds = true,
		.args = true,
	};
	struct nl_agent *agent = NULL;
	struct nl_snapshot snap = { 0 };
	struct nl_proc_view *v = NULL;
	struct nl_advisor_input in = { 0 };
	struct nl_advice adv;
	struct nl_pin_result res;
	enum nl_pin_refusal refusal;
	sigset_t stop_signals, old_mask;
	static const struct nl_number_rule share = { .what = "a share", .min = 0, .max = 1 };
	struct nl_verify_opts vo;
	struct nl_verify_sample before;
	double duration = 3, verify_s = 0;
	bool verify_thresholds = false;
	bool apply = false, force = false, have_cpus = false, auto_node = true, held = false;
	char msg[512], list[256], cur[256], undo[PATH_MAX + 64];
	size_t threads = 0;
	int opt, err, pid, nr_nodes, ret = NL_EXIT_FAILURE;
	uint32_t want_pid;

	if (!topo || !l) {
		nl_err("out of memory");
		goto out;
	}
	nl_advisor_opts_default(&ao);
	ao.allow_migrate = false;
	nl_verify_opts_default(&vo);
	nl_agent_opts_default(&agent_opts);
	nl_cmdline_init(&cl, long_opts);
	while ((opt = nl_cmdline_next(&cl, argc, argv)) >= 0) {
		switch (opt) {
		case 'n':
			if (!strcmp(optarg, "auto")) {
				auto_node = true;
				ao.force_nodes = 0;
				break;
			}
			if (nl_cpulist_parse(optarg, strlen(optarg), &ao.force_nodes,
					     NL_MAX_NODES) <= 0) {
				nl_usage_err(
					"--node takes a node number, a list such as 0,1, or auto; not '%s'",
					optarg);
				ret = NL_EXIT_USAGE;
				goto out;
			}
			auto_node = false;
			break;
		case 'c':
			if (nl_cpulist_parse(optarg, strlen(optarg), force_cpus, NL_MAX_CPUS) <=
			    0) {
				nl_usage_err("--cpus takes a CPU list such as 2-3,6; not '%s'",
					     optarg);
				ret = NL_EXIT_USAGE;
				goto out;
			}
			have_cpus = true;
			break;
		case 'm':
			popts.migrate = true;
			ao.allow_migrate = true;
			break;
		case 'a':
			apply = true;
			break;
		case 'f':
			force = true;
			break;
		case 'd':
			if (nl_parse_duration(optarg, "--duration", 3600, &duration)) {
				ret = NL_EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_VERIFY:
			if (nl_parse_duration(optarg, "--verify", 3600, &verify_s)) {
				ret = NL_EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_VERIFY_GAIN:
		case OPT_VERIFY_MAX_SLOWDOWN:
			verify_thresholds = true;
			if (nl_parse_number(optarg,
					    opt == OPT_VERIFY_GAIN ? "--verify-gain" :
								     "--verify-max-slowdown",
					    &share,
					    opt == OPT_VERIFY_GAIN ? &vo.min_gain :
								     &vo.max_slowdown)) {
				ret = NL_EXIT_USAGE;
				goto out;
			}
			break;
		}
	}
	if (opt == NL_CMDLINE_EXIT) {
		ret = cl.status;
		goto out;
	}
	if (optind != argc - 1) {
		nl_usage_err(optind >= argc ? "which process? numalens pin PID" : "one PID only");
		ret = NL_EXIT_USAGE;
		goto out;
	}
	if (nl_parse_pid(argv[optind], "PID", &pid)) {
		ret = NL_EXIT_USAGE;
		goto out;
	}
	if (have_cpus && !auto_node) {
		nl_usage_err("--cpus and --node name the target twice: give one of them");
		ret = NL_EXIT_USAGE;
		goto out;
	}
	if (verify_thresholds && !verify_s) {
		nl_usage_err("--verify-gain and --verify-max-slowdown are thresholds of --verify: "
			     "add --verify SECONDS");
		ret = NL_EXIT_USAGE;
		goto out;
	}
	if (have_cpus) {
		auto_node = false;
		ao.force_cpus = force_cpus;
	}
	ao.thresholds = agent_opts.model;
	/* From here a stop signal sets nl_stop: checked before the change,
	 * held off during it. */
	nl_stop_on_signals();

	err = nl_topology_load(topo);
	if (err) {
		nl_err("cannot read the NUMA topology: %s", strerror(-err));
		goto out;
	}
	nr_nodes = topo->nr_node_ids > NL_MAX_NODES ? NL_MAX_NODES : topo->nr_node_ids;
	if (nr_nodes < 1)
		nr_nodes = 1;

	/* Refusals first: before any measurement, and before anything changes. */
	err = nl_proc_limits_read(pid, topo, l);
	if (err == -ENOENT || err == -ESRCH) {
		nl_err("no process with pid %d", pid);
		ret = NL_EXIT_NO_PID;
		goto out;
	}
	if (err) {
		nl_err("cannot read /proc/%d: %s", pid, strerror(-err));
		goto out;
	}
	refusal = nl_pin_check(pid, l, force, msg, sizeof(msg));
	if (refusal != NL_PIN_OK) {
		ret = refuse(refusal, msg);
		goto out;
	}

	if (auto_node) {
		/* The agent advises it as diagnose would (nl_pin_auto_plan). */
		agent_opts.advice.which = NL_ADVICE_PIDS;
		ret = watch(pid, &want_pid, &agent_opts, duration, "while watching", &agent, &snap);
		if (ret)
			goto out;
		ret = NL_EXIT_FAILURE;
		v = nl_snapshot_find(&snap, (uint32_t)pid);
		if (!v || v->exited) {
			printf("numalens pin: pid %d %s in the window: nothing to decide from; name the "
			       "target with --node N\n",
			       pid, v ? "exited" : "did not run");
			ret = v ? NL_EXIT_NO_PID : NL_EXIT_OK;
			goto out;
		}
		/* diagnose's plan, from the same call. */
		plan_limits = calloc(1, sizeof(*plan_limits));
		if (!plan_limits)
			goto out;
		err = nl_pin_auto_plan(&snap, (uint32_t)pid, popts.migrate, &adv, plan_limits,
				       &held);
		if (err) {
			nl_err("pid %d: %s; nothing changed", pid, adv.reason);
			ret = err == -ESRCH ? NL_EXIT_NO_PID : NL_EXIT_FAILURE;
			goto out;
		}
		threads = v->nr_threads;
	} else {
		/* The same path without BPF: its threads' ticks over a short
		 * sample, its whole numa_maps. */
		agent_opts.proc_only = true;
		agent_opts.mem_max_bytes = 0;
		/* With --verify, a window before as long as the one after. */
		ret = watch(pid, &want_pid, &agent_opts, verify_s > SAMPLE_S ? verify_s : SAMPLE_S,
			    "while sampling", &agent, &snap);
		if (ret)
			goto out;
		ret = NL_EXIT_FAILURE;
		v = nl_snapshot_find(&snap, (uint32_t)pid);
		err = !v ? -ESRCH : v->mem_known ? 0 : v->mem_err ? v->mem_err : -EIO;
		if (err == -ENOENT || err == -ESRCH) {
			nl_err("no process with pid %d", pid);
			ret = NL_EXIT_NO_PID;
			goto out;
		}
		if (err) {
			nl_err("cannot read /proc/%d/numa_maps: %s", pid, strerror(-err));
			ret = nl_exit_for_errno(err == -EACCES ? -EPERM : err);
			goto out;
		}
		threads = v->nr_threads;
		in.topo = topo;
		in.nr_nodes = snap.nr_nodes;
		in.window_s = snap.window_s;
		in.v = v;
		in.limits = l;
		nl_advise(&in, &ao, &adv);
	}
	nl_debug("pin: %.3f CPUs busy; load %.3f where it runs, %.3f on the target", adv.cpus_used,
		 adv.load_now, adv.target_load);

	printf("numalens pin: pid %d (%s), %zu thread%s, ", pid, l->comm, threads,
	       threads == 1 ? "" : "s");
	print_memory(v, topo, nr_nodes);
	printf("\n  affinity now %s", nl_bits_to_list(l->affinity, NL_MAX_CPUS, cur, sizeof(cur)));
	if (v->cpu_s > 0)
		printf("; runs mostly on node %d; estimated %.0f%% remote (%s)", v->main_cpu_node,
		       v->remote_ratio * 100, nl_source_name(v->source));
	if (l->cpuset_known)
		printf("; cpuset %s: cpus %s, mems %s", l->cpuset_cgroup, l->cpuset_cpus,
		       l->cpuset_mems);
	printf("\n");

	if (adv.action == NL_ACT_NONE) {
		enum nl_pin_refusal r = nl_pin_refusal_for(&adv);

		if (adv.block != NL_BLOCK_NONE && (r != NL_PIN_FAILED || !auto_node)) {
			ret = refuse(r, adv.reason);
			if (r == NL_PIN_CPUSET)
				fprintf(stderr, "numalens: nothing changed\n");
			goto out;
		}
		printf("nothing to do: %s\n", adv.reason);
		ret = NL_EXIT_OK;
		goto out;
	}
	printf("plan: %s\n", adv.reason);
	nl_bits_to_list(adv.cpus, NL_MAX_CPUS, list, sizeof(list));
	if (held) {
		print_commands(&adv, pid, l);
		printf("nothing changed: this plan moves its pages; add --migrate-memory to carry it "
		       "out, or name the target with --node N\n");
		ret = NL_EXIT_OK;
		goto out;
	}
	if (!apply) {
		char state[PATH_MAX], moved[32];

		nl_pin_state_path(&popts, pid, state, sizeof(state));
		nl_format_bytes(adv.move_bytes, moved, sizeof(moved));
		printf("with --apply numalens would:\n"
		       "  1. save the present affinity of each of its threads in %s\n"
		       "  2. set the affinity of every thread to %s %s, scanning /proc/%d/task\n"
		       "     again until a scan finds no thread left to change\n",
		       state, adv.nr_cpus == 1 ? "CPU" : "CPUs", list, pid);
		if (popts.migrate)
			printf("  3. move its pages on other nodes to node%s %s with migrate_pages(2) "
			       "(%s now) and report pages that could not move\n",
			       __builtin_popcountll(adv.nodes) > 1 ? "s" : "",
			       nl_nodes_to_list(adv.nodes, cur, sizeof(cur)), moved);
		else if (adv.move_bytes)
			printf("  (its memory stays where it is)\n");
		if (verify_s > 0)
			printf("  then measure it again for %.1f s and compare with before\n",
			       verify_s);
		print_commands(&adv, pid, l);
		printf("dry run: nothing changed; add --apply to do it\n");
		ret = NL_EXIT_OK;
		goto out;
	}

	if (nl_stop) {
		ret = stopped(pid, "before the change to");
		goto out;
	}
	/* The change runs to its end (or fails and is rolled back) whatever
	 * signal comes meanwhile: never half a process moved. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGHUP);
	nl_verify_sample_of(&snap, v, adv.nodes, &before);
	sigprocmask(SIG_BLOCK, &stop_signals, &old_mask);
	err = nl_pin_apply(pid, l, &adv, &popts, &res);
	sigprocmask(SIG_SETMASK, &old_mask, NULL); /* one that came sets nl_stop now */
	if (nl_stop)
		fprintf(stderr,
			"numalens: %s came during the change to pid %d: the change was carried "
			"to its end first\n",
			signal_name(nl_stop), pid);
	if (err && !res.pinned) {
		ret = refuse(res.refusal, res.message);
		goto out;
	}
	printf("pinned: %d thread%s of pid %d on %s %s (node%s %s); %d changed, %d scan%s of "
	       "/proc/%d/task\n",
	       res.threads, res.threads == 1 ? "" : "s", pid, adv.nr_cpus == 1 ? "CPU" : "CPUs",
	       list, __builtin_popcountll(adv.nodes) > 1 ? "s" : "",
	       nl_nodes_to_list(adv.nodes, cur, sizeof(cur)), res.threads_changed, res.passes,
	       res.passes == 1 ? "" : "s", pid);
	nl_pin_undo_command(&popts, pid, undo, sizeof(undo));
	printf("saved: the affinity from before (%s) is in %s%s; undo with: %s\n", res.before,
	       res.state_path, res.kept_record ? " (kept from the earlier pin)" : "", undo);
	if (popts.migrate) {
		char before[32], after[32];

		nl_format_bytes(res.bytes_off_before, before, sizeof(before));
		nl_format_bytes(res.bytes_off_after, after, sizeof(after));
		if (err)
			printf("memory: %s\n", res.message);
		else if (res.check_err)
			printf("memory: %s was off the target before; where its pages are now "
			       "could not be read (numa_maps: %s); migrate_pages says %ld page%s "
			       "could not move\n",
			       before, strerror(-res.check_err), res.pages_not_moved,
			       res.pages_not_moved == 1 ? "" : "s");
		else
			printf("memory: %s was off the target before, %s after (where numa_maps "
			       "finds its pages); %ld page%s could not move\n",
			       before, after, res.pages_not_moved,
			       res.pages_not_moved == 1 ? "" : "s");
		/* The syscall's count is not where the pages are: say when they differ. */
		if (!err && !res.check_err && res.bytes_off_after && !res.pages_not_moved)
			printf("memory: migrate_pages counted every page moved, yet %s is still "
			       "on node%s %s\n",
			       after, __builtin_popcountll(res.nodes_off_after) > 1 ? "s" : "",
			       nl_nodes_to_list(res.nodes_off_after, cur, sizeof(cur)));
	}
	ret = err ? NL_EXIT_FAILURE : NL_EXIT_OK;
	if (verify_s > 0 && nl_stop) {
		nl_err("stopped by %s: the change stays, not verified", signal_name(nl_stop));
		ret = 128 + nl_stop;
	} else if (verify_s > 0 && err) {
		printf("not verified: the change did not finish\n");
	} else if (verify_s > 0) {
		struct verify_ctx c = {
			.agent = agent, .nodes = adv.nodes, .cpus = adv.cpus, .popts = &popts
		};

		ret = verify(pid, res.start, &before, verify_s, &vo, &c);
	}
out:
	nl_snapshot_free(&snap);
	nl_agent_close(agent);
	free(topo);
	free(l);
	free(plan_limits);
	return ret;
}

static void unpin_usage(FILE *f)
{
	fprintf(f, "Usage: numalens unpin PID [-v]\n"
		   "Gives every thread of a process pinned by `numalens pin --apply` the affinity\n"
		   "it had before, from the record the pin left (in $NUMALENS_STATE_DIR, else\n"
		   "/run/numalens). Threads whose affinity changed since the pin are left alone.\n"
		   "Pages the pin moved stay where they are: the command to move them back is\n"
		   "printed.\n\n"
		   "  -v, --verbose           more messages\n\n"
		   "Exit status: 0 done, 1 no record of a pin, 2 bad usage, 3 not allowed,\n"
		   "5 no such process, 6 refused (the pid names another process now).\n");
}

int cmd_unpin(int argc, char **argv)
{
	static const struct option no_own_options[] = {
		{ 0 },
	};
	struct nl_cmdline cl = {
		.cmd = "numalens unpin", .shortopts = "", .args = true, .usage = unpin_usage
	};
	struct nl_pin_opts popts = { .state_dir = getenv("NUMALENS_STATE_DIR") };
	struct nl_unpin_result res;
	int opt, pid;

	nl_cmdline_init(&cl, no_own_options);
	while ((opt = nl_cmdline_next(&cl, argc, argv)) >= 0)
		; /* it has no options of its own */
	if (opt == NL_CMDLINE_EXIT)
		return cl.status;
	if (optind != argc - 1) {
		nl_usage_err("numalens unpin takes one PID");
		return NL_EXIT_USAGE;
	}
	if (nl_parse_pid(argv[optind], "PID", &pid))
		return NL_EXIT_USAGE;
	if (nl_unpin(pid, &popts, &res))
		return refuse(res.refusal, res.message);
	printf("unpinned: pid %d: %d thread%s back on the affinity saved before the pin (it "
	       "had set %s; threads started since get %s), %d scan%s\n",
	       pid, res.restored, res.restored == 1 ? "" : "s", res.target, res.original,
	       res.passes, res.passes == 1 ? "" : "s");
	if (res.left_alone)
		printf("left alone: %d thread%s whose affinity changed since the pin\n",
		       res.left_alone, res.left_alone == 1 ? "" : "s");
	if (res.moved_from) {
		char from[64], to[64];

		printf("memory: the pages the pin moved stay where they are; to move them back: "
		       "migratepages %d %s %s\n",
		       pid, nl_nodes_to_list(res.moved_to, to, sizeof(to)),
		       nl_nodes_to_list(res.moved_from, from, sizeof(from)));
	}
	return NL_EXIT_OK;
}
