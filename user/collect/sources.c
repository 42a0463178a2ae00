// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "sources.h"

static const char *const names[NL_SRC_MAX] = {
	[NL_SRC_PMU] = "pmu",
	[NL_SRC_HINT_FAULTS] = "hint_faults",
	[NL_SRC_PLACEMENT] = "placement",
	[NL_SRC_SCHEDULER] = "scheduler",
	[NL_SRC_BALANCING] = "numa_balancing",
	[NL_SRC_PROMOTIONS] = "promotions",
};

const char *nl_source_name(enum nl_source_id id)
{
	return id < NL_SRC_MAX ? names[id] : "unknown";
}

void nl_source_set(struct nl_sources *s, enum nl_source_id id, bool active, const char *method,
		   const char *reason_fmt, ...)
{
	struct nl_source_state *st = &s->src[id];
	va_list ap;

	st->active = active;
	snprintf(st->method, sizeof(st->method), "%s", method ? method : "");
	st->reason[0] = '\0';
	if (!reason_fmt)
		return;
	va_start(ap, reason_fmt);
	vsnprintf(st->reason, sizeof(st->reason), reason_fmt, ap);
	va_end(ap);
}
