// SPDX-License-Identifier: GPL-2.0
/*
 * `numalens status`: what numalens has pinned, from the records it left in
 * the state directory (status.h). It changes nothing: a record it may not
 * trust, or cannot read, is skipped with the reason and the rest listed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "commands.h"
#include "log.h"
#include "model.h"
#include "options.h"
#include "pin.h"
#include "pin_status.h"
#include "report.h"
#include "status.h"
#include "untrusted.h"

/* v / 10^digits as a JSON number written exactly, as the record keeps it
 * (999881 millionths: 0.999881, not json-c's 0.99988100000000002). */
static json_object *json_fixed(uint64_t v, int digits)
{
	uint64_t scale = 1;
	char text[48];
	size_t len;
	int i;

	for (i = 0; i < digits; i++)
		scale *= 10;
	len = snprintf(text, sizeof(text), "%llu.%0*llu", (unsigned long long)(v / scale), digits,
		       (unsigned long long)(v % scale));
	while (len > 2 && text[len - 1] == '0' && text[len - 2] != '.')
		text[--len] = '\0';
	return json_object_new_double_s((double)v / scale, text);
}

/* Millionths, before and after. */
static json_object *json_pair(const uint64_t *v)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "before", json_fixed(v[0], 6));
	json_object_object_add(o, "after", json_fixed(v[1], 6));
	return o;
}

static json_object *json_pair_u64(const uint64_t *v)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "before", json_object_new_uint64(v[0]));
	json_object_object_add(o, "after", json_object_new_uint64(v[1]));
	return o;
}

static json_object *verified_json(const struct nl_pin_verified *v)
{
	json_object *o, *remote = NULL;

	if (v->result == NL_VERIFY_NONE)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "result",
			       json_object_new_string(nl_verify_result_name(v->result)));
	json_object_object_add(o, "window_seconds", json_fixed(v->window_ms, 3));
	if (v->has_remote) {
		remote = json_pair(v->remote_ppm);
		json_object_object_add(remote, "source",
				       json_object_new_string(nl_source_name(v->source)));
	}
	json_object_object_add(o, "remote_share", remote);
	json_object_object_add(o, "cpu_rate", v->has_cpu ? json_pair(v->cpu_micro) : NULL);
	json_object_object_add(o, "target_memory_bytes",
			       v->has_memory ? json_pair_u64(v->target_bytes) : NULL);
	json_object_object_add(o, "latency", v->has_latency ? json_pair_u64(v->latency) : NULL);
	return o;
}

json_object *nl_pin_json(const struct nl_pin_record *r, uint64_t now)
{
	json_object *o = json_object_new_object(), *moved = NULL;
	char list[4096];

	json_object_object_add(o, "pid", json_object_new_int(r->pid));
	json_object_object_add(o, "comm", nl_json_text(r->comm));
	json_object_object_add(o, "start_ticks", json_object_new_uint64(r->start));
	json_object_object_add(o, "target_cpus",
			       json_object_new_string(nl_bits_to_list(r->target, NL_MAX_CPUS, list,
								      sizeof(list))));
	json_object_object_add(o, "original_cpus",
			       json_object_new_string(nl_bits_to_list(r->original, NL_MAX_CPUS,
								      list, sizeof(list))));
	json_object_object_add(o, "threads_saved", json_object_new_uint64(r->nr));
	if (r->moved_from) {
		moved = json_object_new_object();
		json_object_object_add(moved, "from_nodes", nl_json_nodes(r->moved_from));
		json_object_object_add(moved, "to_nodes", nl_json_nodes(r->moved_to));
	}
	json_object_object_add(o, "memory_moved", moved);
	json_object_object_add(o, "applied",
			       r->applied ? json_object_new_uint64(r->applied) : NULL);
	json_object_object_add(
		o, "by",
		r->by != NL_PIN_BY_UNKNOWN ? json_object_new_string(nl_pin_by_name(r->by)) : NULL);
	json_object_object_add(
		o, "age_seconds",
		r->applied ? json_object_new_uint64(now > r->applied ? now - r->applied : 0) :
			     NULL);
	json_object_object_add(o, "verified", verified_json(&r->verified));
	return o;
}

/* A record, and what became of its process. */
struct entry {
	struct nl_pin_record rec;
	enum nl_pin_process process;
	char comm_now[NL_COMM_LEN]; /* of the process the pid names now, if reused */
	int threads_off;	    /* running: threads no longer on the target; -1 unknown */
	char undo[PATH_MAX + 64];
};

static void entry_read(struct entry *e, const struct nl_pin_opts *popts)
{
	uint64_t start;

	e->process = nl_pin_process_of(&e->rec, e->comm_now, sizeof(e->comm_now));
	e->threads_off = -1;
	if (e->process == NL_PIN_PROC_RUNNING &&
	    (nl_pin_state_now(e->rec.pid, e->rec.target, popts, &start, &e->threads_off) ||
	     start != e->rec.start))
		e->threads_off = -1;
	nl_pin_undo_command(popts, e->rec.pid, e->undo, sizeof(e->undo));
}

static json_object *entry_json(const struct entry *e, uint64_t now)
{
	json_object *o = nl_pin_json(&e->rec, now);

	json_object_object_add(o, "process",
			       json_object_new_string(nl_pin_process_name(e->process)));
	json_object_object_add(o, "pid_now_comm",
			       e->process == NL_PIN_PROC_REUSED ? nl_json_text(e->comm_now) : NULL);
	json_object_object_add(o, "threads_off_target",
			       e->threads_off >= 0 ? json_object_new_int(e->threads_off) : NULL);
	json_object_object_add(o, "undo", json_object_new_string(e->undo));
	return o;
}

static void print_pair_line(FILE *out, const char *what, const char *before, const char *after,
			    const char *tail)
{
	fprintf(out, "    %-14s %s -> %s%s\n", what, before, after, tail);
}

static void entry_text(FILE *out, const struct entry *e, uint64_t now)
{
	const struct nl_pin_record *r = &e->rec;
	const struct nl_pin_verified *v = &r->verified;
	char a[4096], b[256], age[32], when[64];
	struct tm tm;
	time_t t = (time_t)r->applied;

	fprintf(out, "pid %d (%s): %s, pinned%s", r->pid, r->comm, nl_pin_process_name(e->process),
		r->by == NL_PIN_BY_AUTOPIN ? " by auto-pin" : "");
	if (r->applied && localtime_r(&t, &tm)) {
		nl_pin_age_text(now > r->applied ? now - r->applied : 0, age, sizeof(age));
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm);
		fprintf(out, " %s ago (%s)\n", age, when);
	} else {
		fprintf(out, " (when is not recorded)\n");
	}
	switch (e->process) {
	case NL_PIN_PROC_EXITED:
		fprintf(out, "  %-10s exited since the pin: the record is left over\n", "process");
		break;
	case NL_PIN_PROC_REUSED:
		fprintf(out,
			"  %-10s pid %d names another process now (%s), which numalens did not "
			"pin: the record is left over\n",
			"process", r->pid, e->comm_now);
		break;
	case NL_PIN_PROC_UNKNOWN:
		fprintf(out, "  %-10s /proc/%d/stat could not be read\n", "process", r->pid);
		break;
	default:
		if (e->threads_off > 0)
			fprintf(out,
				"  %-10s %d thread%s no longer on the target (set by something "
				"else since)\n",
				"process", e->threads_off, e->threads_off == 1 ? "" : "s");
		break;
	}
	fprintf(out, "  %-10s %s; %s before the pin (%zu thread%s saved)\n", "CPUs",
		nl_bits_to_list(r->target, NL_MAX_CPUS, a, sizeof(a)),
		nl_bits_to_list(r->original, NL_MAX_CPUS, b, sizeof(b)), r->nr,
		r->nr == 1 ? "" : "s");
	if (r->moved_from)
		fprintf(out, "  %-10s pages moved from node%s %s to %s\n", "memory",
			__builtin_popcountll(r->moved_from) > 1 ? "s" : "",
			nl_nodes_to_list(r->moved_from, a, sizeof(a)),
			nl_nodes_to_list(r->moved_to, b, sizeof(b)));
	/* The result, then each figure on its own line, as pin --verify prints them. */
	if (v->result == NL_VERIFY_NONE)
		fprintf(out, "  %-10s not verified\n", "result");
	else
		fprintf(out, "  %-10s %s over %.1f s\n", "result", nl_verify_result_name(v->result),
			v->window_ms / 1000.0);
	if (v->has_remote) {
		snprintf(a, sizeof(a), "%.2f", v->remote_ppm[0] / 1e6);
		snprintf(b, sizeof(b), "%.2f", v->remote_ppm[1] / 1e6);
		snprintf(when, sizeof(when), " (%s)", nl_source_name(v->source));
		print_pair_line(out, "remote share", a, b, when);
	}
	if (v->has_cpu) {
		snprintf(a, sizeof(a), "%.2f", v->cpu_micro[0] / 1e6);
		snprintf(b, sizeof(b), "%.2f", v->cpu_micro[1] / 1e6);
		print_pair_line(out, "CPU rate", a, b, " CPUs");
	}
	if (v->has_memory) {
		nl_format_bytes(v->target_bytes[0], a, sizeof(a));
		nl_format_bytes(v->target_bytes[1], b, sizeof(b));
		print_pair_line(out, "on the target", a, b, "");
	}
	if (v->has_latency) {
		snprintf(a, sizeof(a), "%llu", (unsigned long long)v->latency[0]);
		snprintf(b, sizeof(b), "%llu", (unsigned long long)v->latency[1]);
		print_pair_line(out, "load latency", a, b, " (mean sampled load latency, cycles)");
	}
	fprintf(out, "  %-10s %s%s\n", e->process == NL_PIN_PROC_RUNNING ? "undo" : "remove",
		e->undo, e->process == NL_PIN_PROC_RUNNING ? "" : " (removes the record)");
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The pids of the records in dirfd ("PID.pin"), sorted: 0, or a negative errno. */
static int list_records(int dirfd, int **pids, size_t *nr)
{
	size_t cap = 0;
	struct dirent *de;
	DIR *d;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	*pids = NULL;
	*nr = 0;
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		int err = -errno;

		close(fd);
		return err;
	}
	while ((de = readdir(d))) {
		unsigned long long v;
		char *end;
		int *room;

		/* The writer's names only: no sign, no leading zero, ".pin" after. */
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		errno = 0;
		v = strtoull(de->d_name, &end, 10);
		if (errno || v > INT_MAX || strcmp(end, ".pin"))
			continue;
		if (*nr == cap) {
			cap = cap ? 2 * cap : 16;
			room = realloc(*pids, cap * sizeof(**pids));
			if (!room) {
				closedir(d);
				free(*pids);
				*pids = NULL;
				*nr = 0;
				return -ENOMEM;
			}
			*pids = room;
		}
		(*pids)[(*nr)++] = (int)v;
	}
	closedir(d);
	if (*nr)
		qsort(*pids, *nr, sizeof(**pids), cmp_int);
	return 0;
}

static void skipped(json_object *arr, int pid, const char *why)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "pid", json_object_new_int(pid));
	json_object_object_add(o, "reason", nl_json_text(why));
	json_object_array_add(arr, o);
}

/* The document, or the text, of what was listed. */
static int finish(const struct nl_status_opts *o, FILE *out, json_object *doc, int status)
{
	if (o->json)
		fprintf(out, "%s\n",
			json_object_to_json_string_ext(
				doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
	return status;
}

int nl_status_print(const struct nl_status_opts *o, FILE *out)
{
	const char *dir = o->state_dir ? o->state_dir : NL_PIN_STATE_DIR;
	struct nl_pin_opts popts = { .state_dir = o->state_dir };
	json_object *doc = json_object_new_object(), *pins = json_object_new_array();
	json_object *skips = json_object_new_array();
	int *pids = NULL, dirfd, status = NL_EXIT_OK, err;
	size_t nr = 0, i, shown = 0;
	char why[512];

	json_object_object_add(doc, "state_dir", json_object_new_string(dir));
	json_object_object_add(doc, "pins", pins);
	json_object_object_add(doc, "skipped", skips);
	dirfd = nl_pin_dir_open(dir, false, why, sizeof(why));
	if (dirfd == -ENOENT) {
		for (i = 0; i < o->nr_pids; i++) {
			snprintf(why, sizeof(why), "no record of a pin (%s does not exist)", dir);
			nl_err("pid %d: %s", o->pids[i], why);
			skipped(skips, o->pids[i], why);
			status = NL_EXIT_FAILURE;
		}
		if (!o->nr_pids && !o->json)
			fprintf(out, "no pins recorded (%s does not exist)\n", dir);
		return finish(o, out, doc, status);
	}
	if (dirfd < 0) {
		if (why[0])
			nl_err("%s", why);
		else
			nl_err("cannot open the state directory %s: %s", dir, strerror(-dirfd));
		json_object_put(doc);
		return why[0] ? NL_EXIT_REFUSED : nl_exit_for_errno(dirfd);
	}
	if (o->nr_pids) {
		pids = malloc(o->nr_pids * sizeof(*pids));
		if (pids) {
			memcpy(pids, o->pids, o->nr_pids * sizeof(*pids));
			nr = o->nr_pids;
		}
		err = pids ? 0 : -ENOMEM;
	} else {
		err = list_records(dirfd, &pids, &nr);
	}
	if (err) {
		nl_err("cannot list the records in %s: %s", dir, strerror(-err));
		close(dirfd);
		json_object_put(doc);
		return nl_exit_for_errno(err);
	}
	for (i = 0; i < nr; i++) {
		struct entry e = { 0 };

		err = nl_pin_record_load(dirfd, pids[i], &e.rec, why, sizeof(why));
		if (err == -ENOENT && !o->nr_pids)
			continue; /* removed since the listing: unpinned meanwhile */
		if (err) {
			if (err == -ENOENT)
				snprintf(why, sizeof(why), "no record of a pin (no %s/%d.pin)", dir,
					 pids[i]);
			else if (err == -EINVAL)
				snprintf(
					why, sizeof(why),
					"the record %d.pin is not in numalens's format: not believed",
					pids[i]);
			else if (!why[0])
				snprintf(why, sizeof(why), "the record %d.pin cannot be read: %s",
					 pids[i], strerror(-err));
			nl_err("pid %d: %s%s", pids[i], why, err == -ENOENT ? "" : "; skipped");
			skipped(skips, pids[i], why);
			status = NL_EXIT_FAILURE;
			continue;
		}
		nl_untrusted_clean(e.rec.comm); /* any bytes: text from here */
		entry_read(&e, &popts);
		if (o->json)
			json_object_array_add(pins, entry_json(&e, o->now));
		else
			entry_text(out, &e, o->now);
		if (!o->json && i + 1 < nr)
			fputc('\n', out);
		shown++;
		nl_pin_record_free(&e.rec);
	}
	if (!shown && !o->nr_pids && !o->json)
		fprintf(out, "no pins recorded in %s\n", dir);
	free(pids);
	close(dirfd);
	return finish(o, out, doc, status);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: numalens status [--json] [PID...]\n"
		"\n"
		"Lists every process numalens has pinned (pin --apply, export --auto-pin), from\n"
		"the records in " NL_PIN_STATE_DIR " ($NUMALENS_STATE_DIR): whether the process\n"
		"still runs (same pid and start time; a pid reused since is said), the CPUs it\n"
		"was pinned to and its affinity before, the pages moved, how long ago, and what\n"
		"pin --verify measured (remote share, CPU rate, memory on the target and load\n"
		"latency, before -> after), or that it was not verified. Changes nothing.\n"
		"\n"
		"  -j, --json              one JSON document: state_dir, pins (an object per\n"
		"                          record), skipped (records not read, and why)\n"
		"  -v, --verbose           more messages\n"
		"\n"
		"Exit status: 0 every record listed (or none recorded: no state directory is\n"
		"no pin), 1 a record skipped (not trusted or not readable: the others are\n"
		"listed) or a PID asked for without a record, 2 bad usage, 3 the state\n"
		"directory may not be read, 6 the state directory is not to be trusted.\n"
		"\n"
		"Examples:\n"
		"  numalens status                       # every pinned process\n"
		"  numalens status 1234 --json | jq '.pins[0].verified'\n");
}

int cmd_status(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	struct nl_cmdline cl = {
		.cmd = "numalens status", .shortopts = "j", .args = true, .usage = usage
	};
	struct nl_status_opts o = { .state_dir = getenv("NUMALENS_STATE_DIR") };
	int opt, ret, *pids = NULL, i;
	time_t now = time(NULL);

	nl_cmdline_init(&cl, long_opts);
	while ((opt = nl_cmdline_next(&cl, argc, argv)) >= 0)
		if (opt == 'j')
			o.json = true;
	if (opt == NL_CMDLINE_EXIT)
		return cl.status;
	if (optind < argc) {
		pids = calloc(argc - optind, sizeof(*pids));
		if (!pids) {
			nl_err("out of memory");
			return NL_EXIT_FAILURE;
		}
		for (i = optind; i < argc; i++)
			if (nl_parse_pid(argv[i], "PID", &pids[i - optind])) {
				free(pids);
				return NL_EXIT_USAGE;
			}
		o.pids = pids;
		o.nr_pids = argc - optind;
	}
	o.now = now > 0 ? (uint64_t)now : 0;
	ret = nl_status_print(&o, stdout);
	free(pids);
	return ret;
}
