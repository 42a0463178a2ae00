/* SPDX-License-Identifier: GPL-2.0 */
/* Capability checks, so a missing privilege is named before anything fails. */
#ifndef NUMALENS_PRIVS_H
#define NUMALENS_PRIVS_H

#include <stdbool.h>
#include <stddef.h>

bool nl_has_cap(int cap);
/* Writes the missing capabilities BPF tracing needs ("" if none) into buf;
 * returns true when some are missing. */
bool nl_missing_bpf_caps(char *buf, size_t size);

#endif /* NUMALENS_PRIVS_H */
