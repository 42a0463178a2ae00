/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `numalens status`: every pin record in the state directory, with what
 * became of its process (running, exited, its pid reused), the change, its
 * age and what `pin --verify` found; as text or one JSON document.
 */
#ifndef NUMALENS_STATUS_H
#define NUMALENS_STATUS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "pin_record.h"

/* The record's change as JSON (diagnose's last_change, an entry of status),
 * now the wall clock in Unix seconds. */
json_object *nl_pin_json(const struct nl_pin_record *r, uint64_t now);

struct nl_status_opts {
	const char *state_dir; /* NULL: /run/numalens ($NUMALENS_STATE_DIR unset) */
	const int *pids;       /* only these (NULL: every record) */
	size_t nr_pids;
	bool json;
	uint64_t now; /* the wall clock, Unix seconds */
};

/* The listing to out, what could not be read said on stderr (and in the
 * JSON's skipped). Returns the exit status: 0 every record read (or none
 * there), 1 one skipped or a pid asked for without a record, 6 a state
 * directory not to be trusted, else as nl_exit_for_errno. */
int nl_status_print(const struct nl_status_opts *o, FILE *out);

#endif /* NUMALENS_STATUS_H */
