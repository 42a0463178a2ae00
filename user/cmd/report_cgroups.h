/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The diagnosis report's cgroups: tier movement of the cgroups of the
 * processes it lists (snap->cgtiers, read by the agent) and the finding
 * of demotion outside cpuset.mems. No I/O.
 */
#ifndef NUMALENS_REPORT_CGROUPS_H
#define NUMALENS_REPORT_CGROUPS_H

#include <json-c/json.h>
#include <stdio.h>
#include "snapshot.h"

/* Adds "cgroups" (an array), and "cgroups_left_out" and
 * "cgroups_unavailable" when they apply, to doc; nothing when the agent
 * did not read cgroups. */
void nl_report_cgroups_json(json_object *doc, const struct nl_snapshot *snap);
/* One line per cgroup, its finding below it wrapped at width (0: never). */
void nl_report_cgroups_text(FILE *f, const struct nl_snapshot *snap, unsigned int width);

#endif /* NUMALENS_REPORT_CGROUPS_H */
