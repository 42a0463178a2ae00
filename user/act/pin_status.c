// SPDX-License-Identifier: GPL-2.0
/*
 * A process's last change from its pin record, for the front ends
 * (pin_status.h): the lookup by pid and start time, what became of the
 * process, and the words that show the change.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pin.h"
#include "pin_status.h"
#include "procfs.h"
#include "untrusted.h"

const char *nl_pin_state_dir(void)
{
	const char *d = getenv("NUMALENS_STATE_DIR");

	return d ? d : NL_PIN_STATE_DIR;
}

uint64_t nl_pin_ticks_of_ns(uint64_t ns)
{
	long hz = sysconf(_SC_CLK_TCK);

	/* The kernel's nsec_to_clock_t: whole ticks, rounded down. */
	return hz > 0 ? ns / (1000000000ull / (uint64_t)hz) : 0;
}

int nl_pin_last_change(int dirfd, int pid, uint64_t start, struct nl_pin_record *r)
{
	int err = nl_pin_record_load(dirfd, pid, r, NULL, 0);

	if (err)
		return err;
	if (r->pid == pid && r->start == start) {
		nl_untrusted_clean(r->comm); /* any bytes: text from here */
		return 0;
	}
	nl_pin_record_free(r);
	return -ENOENT;
}

size_t nl_pin_changes_of(const struct nl_proc_view *const *views, size_t nr,
			 struct nl_pin_record *out)
{
	int dirfd = nl_pin_dir_open(nl_pin_state_dir(), false, NULL, 0);
	size_t i, found = 0;

	if (dirfd < 0)
		return 0;
	for (i = 0; i < nr; i++)
		if (views[i]->start_time_ns &&
		    !nl_pin_last_change(dirfd, (int)views[i]->pid,
					nl_pin_ticks_of_ns(views[i]->start_time_ns), &out[found]))
			found++;
	close(dirfd);
	return found;
}

static const char *const process_names[] = {
	[NL_PIN_PROC_RUNNING] = "running",
	[NL_PIN_PROC_EXITED] = "exited",
	[NL_PIN_PROC_REUSED] = "reused",
	[NL_PIN_PROC_UNKNOWN] = "unknown",
};

const char *nl_pin_process_name(enum nl_pin_process p)
{
	return p <= NL_PIN_PROC_UNKNOWN ? process_names[p] : "unknown";
}

enum nl_pin_process nl_pin_process_of(const struct nl_pin_record *r, char *comm, size_t size)
{
	struct nl_proc_stat st;
	int err = nl_proc_stat_read(r->pid, &st);

	if (size)
		comm[0] = '\0';
	if (err == -ENOENT || err == -ESRCH)
		return NL_PIN_PROC_EXITED;
	if (err)
		return NL_PIN_PROC_UNKNOWN;
	/* A zombie has exited: its parent has not reaped it yet. */
	if (st.starttime_ticks == r->start && (st.state == 'Z' || st.state == 'X'))
		return NL_PIN_PROC_EXITED;
	if (st.starttime_ticks == r->start)
		return NL_PIN_PROC_RUNNING;
	if (size)
		snprintf(comm, size, "%s", st.comm);
	return NL_PIN_PROC_REUSED;
}

void nl_pin_age_text(uint64_t s, char *buf, size_t size)
{
	if (s < 60)
		snprintf(buf, size, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, size, "%llum %llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, size, "%lluh %llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else
		snprintf(buf, size, "%llud %lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600));
}

void nl_pin_verified_text(const struct nl_pin_verified *v, char *buf, size_t size)
{
	size_t used;

	if (v->result == NL_VERIFY_NONE) {
		snprintf(buf, size, "not verified");
		return;
	}
	used = snprintf(buf, size, "%s over %.1f s", nl_verify_result_name(v->result),
			v->window_ms / 1000.0);
	if (v->has_remote && used < size)
		used += snprintf(buf + used, size - used, ": remote share %.2f -> %.2f (%s)",
				 v->remote_ppm[0] / 1e6, v->remote_ppm[1] / 1e6,
				 nl_source_name(v->source));
	if (v->result == NL_VERIFY_SLOWER && v->has_cpu && used < size)
		snprintf(buf + used, size - used, "%s CPU rate %.2f -> %.2f CPUs",
			 v->has_remote ? "," : ":", v->cpu_micro[0] / 1e6, v->cpu_micro[1] / 1e6);
}

void nl_pin_change_text(const struct nl_pin_record *r, uint64_t now, char *buf, size_t size)
{
	char target[256], original[256], age[32], from[64], to[64], verified[200];
	size_t used;

	nl_bits_to_list(r->target, NL_MAX_CPUS, target, sizeof(target));
	nl_bits_to_list(r->original, NL_MAX_CPUS, original, sizeof(original));
	used = snprintf(buf, size, "pinned%s to CPUs %s (from %s)",
			r->by == NL_PIN_BY_AUTOPIN ? " by auto-pin" : "", target, original);
	if (r->applied && used < size) {
		nl_pin_age_text(now > r->applied ? now - r->applied : 0, age, sizeof(age));
		used += snprintf(buf + used, size - used, " %s ago", age);
	}
	if (r->moved_from && used < size)
		used += snprintf(buf + used, size - used, ", pages moved from node%s %s to %s",
				 __builtin_popcountll(r->moved_from) > 1 ? "s" : "",
				 nl_nodes_to_list(r->moved_from, from, sizeof(from)),
				 nl_nodes_to_list(r->moved_to, to, sizeof(to)));
	nl_pin_verified_text(&r->verified, verified, sizeof(verified));
	if (used < size)
		snprintf(buf + used, size - used, "; %s%s",
			 r->verified.result == NL_VERIFY_NONE ? "" : "verified ", verified);
}
