// SPDX-License-Identifier: GPL-2.0
/*
 * An advice in words. The commands: one line each, every word
 * shell-quoted, the forms that fit the process's runtime first. The
 * reason: the sentences advisor.c composes from the numbers it decided on.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "advice_text.h"
#include "procfs.h"
#include "shquote.h"
#include "tiering.h"

const char *nl_form_name(enum nl_form f)
{
	static const char *const names[] = {
		[NL_FORM_TASKSET] = "taskset",	     [NL_FORM_MIGRATEPAGES] = "migratepages",
		[NL_FORM_NUMALENS] = "numalens",     [NL_FORM_NUMACTL] = "numactl",
		[NL_FORM_DOCKER] = "docker",	     [NL_FORM_PODMAN] = "podman",
		[NL_FORM_SYSTEMCTL] = "systemctl",   [NL_FORM_UNIT_FILE] = "unit_file",
		[NL_FORM_KUBERNETES] = "kubernetes",
	};

	return (unsigned int)f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}

int nl_percent(double ratio)
{
	return (int)lround(ratio * 100);
}

void nl_advice_say(struct nl_advice *a, const char *fmt, ...)
{
	size_t used = strlen(a->reason);
	va_list ap;

	if (used + 1 >= sizeof(a->reason))
		return;
	va_start(ap, fmt);
	vsnprintf(a->reason + used, sizeof(a->reason) - used, fmt, ap);
	va_end(ap);
}

const char *nl_nodes_phrase(uint64_t nodes, char *buf, size_t size)
{
	char list[128];

	snprintf(buf, size, "%s %s", __builtin_popcountll(nodes) > 1 ? "nodes" : "node",
		 nl_nodes_to_list(nodes, list, sizeof(list)));
	return buf;
}

/* snprintf whose output may be cut: messages, not data. */
static void strf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void strf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

void nl_cpuset_phrase(const struct nl_proc_limits *l, const uint64_t *cpus, uint64_t mems,
		      char *buf, size_t size)
{
	char cpu_list[160], mem_list[64];

	if (l && l->cpuset_known)
		strf(buf, size, "its cpuset (cgroup %s: cpus %s, mems %s)", l->cpuset_cgroup,
		     l->cpuset_cpus, l->cpuset_mems);
	else
		strf(buf, size, "what it may use (cpus %s, mems %s)",
		     nl_bits_to_list(cpus, NL_MAX_CPUS, cpu_list, sizeof(cpu_list)),
		     nl_nodes_to_list(mems, mem_list, sizeof(mem_list)));
}

void nl_advice_describe(struct nl_advice *a, double mem, uint64_t mem_outside, bool ran)
{
	char where[160], cpus[160], moved[32], total[32], from[128];

	nl_nodes_phrase(a->nodes, where, sizeof(where));
	nl_bits_to_list(a->cpus, NL_MAX_CPUS, cpus, sizeof(cpus));
	nl_format_bytes((uint64_t)mem, total, sizeof(total));
	if (a->move_bytes) {
		nl_format_bytes(a->move_bytes, moved, sizeof(moved));
		nl_advice_say(a,
			      "move %s of its %s from %s to %s and hold its threads there (%s %s)",
			      moved, total, nl_nodes_phrase(a->move_from, from, sizeof(from)),
			      where, a->nr_cpus == 1 ? "CPU" : "CPUs", cpus);
	} else {
		nl_advice_say(
			a,
			"run its threads on %s (%s %s), which hold%s %d%% of its %s; no memory moves",
			where, a->nr_cpus == 1 ? "CPU" : "CPUs", cpus, a->multi_node ? "" : "s",
			nl_percent(1 - (double)mem_outside / (mem > 0 ? mem : 1)), total);
	}
	if (ran)
		nl_advice_say(a, "; estimated remote %d%% -> %d%%", nl_percent(a->remote_now),
			      nl_percent(a->remote_after));
	else
		nl_advice_say(a, "; estimated remote after it: %d%%", nl_percent(a->remote_after));
	if (a->multi_node || fabs(a->dist_now - a->dist_after) > 0.5)
		nl_advice_say(a, ", mean distance %.0f -> %.0f", a->dist_now, a->dist_after);
}

void nl_advice_why_not_flagged(struct nl_advice *a, const struct nl_model_opts *th,
			       double cpus_used, double mem, double remote_ratio)
{
	char have[32], need[32];

	if (cpus_used < th->min_cpu) {
		nl_advice_say(a, "not flagged: %.2f CPUs busy, under --min-cpu %.2f", cpus_used,
			      th->min_cpu);
	} else if (mem < th->min_rss) {
		nl_format_bytes((uint64_t)mem, have, sizeof(have));
		nl_format_bytes(th->min_rss, need, sizeof(need));
		nl_advice_say(a, "not flagged: %s resident, under --min-rss %s", have, need);
	} else {
		nl_advice_say(a, "not flagged: %d%% remote, under --min-remote-ratio %d%%",
			      nl_percent(remote_ratio), nl_percent(th->min_remote_ratio));
	}
}

void nl_advice_note_left_out(struct nl_advice *a, const struct nl_cgroup_context *ctx)
{
	/* A form left out (nl_cgroup_classify) is said, not just missing. */
	if (ctx->runtime == NL_RT_SYSTEMD && ctx->refused == NL_REFUSED_UNIT)
		nl_advice_say(a, "; its cgroup is not named as a systemd unit may be, so no "
				 "systemctl form is given");
	else if (ctx->runtime == NL_RT_KUBERNETES && ctx->refused == NL_REFUSED_POD)
		nl_advice_say(a, "; its cgroup's pod UID is not in the kubelet's form, so the pod "
				 "is not named");
}

/* Appends a line that is not a shell command (Kubernetes prose, a unit
 * file's lines), text cut to fit, unless out is full. */
static void add_text(struct nl_command *out, size_t *nr, size_t max, enum nl_form form,
		     const char *when, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void add_text(struct nl_command *out, size_t *nr, size_t max, enum nl_form form,
		     const char *when, const char *fmt, ...)
{
	struct nl_command *c;
	va_list ap;

	if (*nr >= max)
		return;
	c = &out[(*nr)++];
	c->form = form;
	c->when = when;
	va_start(ap, fmt);
	vsnprintf(c->text, sizeof(c->text), fmt, ap);
	va_end(ap);
}

/* Appends a command unless out is full: every word of argv (NULL-ended)
 * shell-quoted, then tail, a command line quoted already (cgroup.h), if
 * any. A command that does not fit whole is left out, never cut. */
static void add_argv(struct nl_command *out, size_t *nr, size_t max, enum nl_form form,
		     const char *when, const char *const *argv, const char *tail)
{
	struct nl_command *c;
	size_t i, used;

	if (*nr >= max)
		return;
	c = &out[*nr];
	c->text[0] = '\0';
	for (i = 0; argv[i]; i++)
		if (!nl_shquote_append(c->text, sizeof(c->text), argv[i], strlen(argv[i])))
			return;
	used = strlen(c->text);
	if (tail && used + 1 + strlen(tail) >= sizeof(c->text))
		return;
	if (tail)
		snprintf(c->text + used, sizeof(c->text) - used, " %s", tail);
	c->form = form;
	c->when = when;
	(*nr)++;
}

/*
 * Every shell command goes through add_argv, so each line, pasted into
 * bash, runs the argv built here: names from the cgroup (validated by
 * nl_cgroup_classify as well) and the process's own name are quoted
 * where needed, and so are numbers and lists, which never need it. The
 * two lines that are not commands hold only lists of numbers and a pod
 * UID, which nl_cgroup_classify keeps to hex digits and dashes.
 */
size_t nl_advice_commands(const struct nl_advice *a, uint32_t pid, const struct nl_proc_limits *l,
			  struct nl_command *out, size_t max)
{
	enum nl_runtime rt = l ? l->ctx.runtime : NL_RT_NONE;
	char cpus[256], nodes[128], from[128], pid_s[16], container[13];
	char allowed_cpus[300], allowed_mems[160], bind[300], membind[160];
	const char *argv[12];
	size_t nr = 0, n = 0;

	if (a->action == NL_ACT_NONE)
		return 0;
	nl_bits_to_list(a->cpus, NL_MAX_CPUS, cpus, sizeof(cpus));
	nl_nodes_to_list(a->nodes, nodes, sizeof(nodes));
	nl_nodes_to_list(a->move_from, from, sizeof(from));
	snprintf(pid_s, sizeof(pid_s), "%u", pid);

	if (rt == NL_RT_KUBERNETES) {
		add_text(out, &nr, max, NL_FORM_KUBERNETES, "cluster",
			 "pod %s: give it Guaranteed QoS with whole-CPU requests equal to its "
			 "limits and run the kubelet with --cpu-manager-policy=static "
			 "--topology-manager-policy=%s --memory-manager-policy=Static; the "
			 "kubelet owns pod cpusets, numalens does not pin pods",
			 l->ctx.pod[0] ? l->ctx.pod : "?",
			 a->multi_node ? "restricted" : "single-numa-node");
		return nr;
	}
	if ((rt == NL_RT_DOCKER || rt == NL_RT_PODMAN) && l->ctx.container[0]) {
		snprintf(container, sizeof(container), "%.12s", l->ctx.container);
		add_argv(out, &nr, max, rt == NL_RT_DOCKER ? NL_FORM_DOCKER : NL_FORM_PODMAN, "now",
			 (const char *[]){ rt == NL_RT_DOCKER ? "docker" : "podman", "update",
					   "--cpuset-cpus", cpus, "--cpuset-mems", nodes, container,
					   NULL },
			 NULL);
	}
	if (rt == NL_RT_SYSTEMD && l->ctx.unit[0]) {
		snprintf(allowed_cpus, sizeof(allowed_cpus), "AllowedCPUs=%s", cpus);
		snprintf(allowed_mems, sizeof(allowed_mems), "AllowedMemoryNodes=%s", nodes);
		argv[n++] = "systemctl";
		if (l->ctx.user_unit)
			argv[n++] = "--user";
		argv[n++] = "set-property";
		argv[n++] = "--runtime";
		argv[n++] = l->ctx.unit;
		argv[n++] = allowed_cpus;
		argv[n++] = allowed_mems;
		argv[n] = NULL;
		add_argv(out, &nr, max, NL_FORM_SYSTEMCTL, "now", argv, NULL);
		if (strstr(l->ctx.unit, ".service"))
			add_text(out, &nr, max, NL_FORM_UNIT_FILE, "unit file",
				 "[Service] CPUAffinity=%s NUMAPolicy=bind NUMAMask=%s", cpus,
				 nodes);
	}
	add_argv(out, &nr, max, NL_FORM_TASKSET, "now",
		 (const char *[]){ "taskset", "-a", "-p", "-c", cpus, pid_s, NULL }, NULL);
	if (a->move_bytes)
		add_argv(out, &nr, max, NL_FORM_MIGRATEPAGES, "now",
			 (const char *[]){ "migratepages", pid_s, from, nodes, NULL }, NULL);
	n = 0;
	argv[n++] = "numalens";
	argv[n++] = "pin";
	argv[n++] = pid_s;
	argv[n++] = a->whole_nodes ? "--node" : "--cpus";
	argv[n++] = a->whole_nodes ? nodes : cpus;
	if (a->move_bytes)
		argv[n++] = "--migrate-memory";
	argv[n++] = "--apply";
	argv[n] = NULL;
	add_argv(out, &nr, max, NL_FORM_NUMALENS, "now", argv, NULL);
	/* Next start: services have their unit file, containers keep their update. */
	if (rt == NL_RT_NONE || (rt == NL_RT_SYSTEMD && !strstr(l->ctx.unit, ".service"))) {
		const char *tail = "COMMAND"; /* a placeholder to fill in */

		snprintf(bind, sizeof(bind), "--%s=%s",
			 a->whole_nodes ? "cpunodebind" : "physcpubind",
			 a->whole_nodes ? nodes : cpus);
		snprintf(membind, sizeof(membind), "--membind=%s", nodes);
		n = 0;
		argv[n++] = "numactl";
		argv[n++] = bind;
		argv[n++] = membind;
		/* The command line is quoted already; the name alone is a word. */
		if (l && l->cmdline[0]) {
			tail = l->cmdline;
		} else if (l && l->comm[0]) {
			argv[n++] = l->comm;
			tail = NULL;
		}
		argv[n] = NULL;
		add_argv(out, &nr, max, NL_FORM_NUMACTL, "next start", argv, tail);
	}
	return nr;
}

void nl_advice_tier_note(struct nl_advice *a, const struct nl_proc_view *v, int nr_nodes,
			 const struct nl_topology *t)
{
	uint64_t fast = 0, slow = 0;
	char phrase[160], to[128], from[128], bytes[32];
	int n;

	/* Where it should live: the plan's nodes, else where it runs, else
	 * every top-tier node with CPUs. */
	if (a->action != NL_ACT_NONE && !(a->nodes & ~t->toptier_nodes))
		fast = a->nodes;
	else if (v->main_cpu_node >= 0 && !nl_node_slow_tier(t, v->main_cpu_node))
		fast = 1ull << v->main_cpu_node;
	for (n = 0; !fast && n < NL_MAX_NODES; n++)
		if (nl_node_present(t, n) && t->node_nr_cpus[n] && !nl_node_slow_tier(t, n))
			fast |= 1ull << n;
	for (n = 0; n < nr_nodes && n < NL_MAX_NODES; n++)
		if (nl_node_slow_tier(t, n) && v->node[n].mem_bytes)
			slow |= 1ull << n;
	if (!fast || !slow)
		return;
	nl_slow_tier_phrase(v, nr_nodes, t, phrase, sizeof(phrase));
	nl_format_bytes(v->slow_tier_bytes, bytes, sizeof(bytes));
	nl_nodes_to_list(fast, to, sizeof(to));
	nl_nodes_to_list(slow, from, sizeof(from));
	nl_advice_say(a,
		      "%s%d%% of its memory (%s) is on a slower tier, %s: to keep it on fast "
		      "memory, start it under numactl --preferred=%s (other nodes when that is "
		      "full) or --membind=%s, or give its unit NUMAPolicy=preferred NUMAMask=%s "
		      "(a container: --cpuset-mems=%s); migratepages %u %s %s moves what is "
		      "there now",
		      a->reason[0] ? "; " : "", nl_percent(v->slow_tier_share.value), bytes, phrase,
		      to, to, to, to, v->pid, from, to);
	if (t->weighted_interleave)
		nl_advice_say(a,
			      "; if it needs the bandwidth of both tiers, weighted interleave "
			      "(MPOL_WEIGHTED_INTERLEAVE, numactl --weighted-interleave in 2.0.19 "
			      "on) spreads its pages by the weights in "
			      "/sys/kernel/mm/mempolicy/weighted_interleave/");
}
