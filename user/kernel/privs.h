/* SPDX-License-Identifier: GPL-2.0 */
/* Capability checks, so a missing privilege is named before anything fails. */
#ifndef NUMALENS_PRIVS_H
#define NUMALENS_PRIVS_H

#include <linux/capability.h>
#include <stdbool.h>
#include <stddef.h>

/* Newer than some libc headers. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

bool nl_has_cap(int cap);
/* Writes the missing capabilities BPF tracing needs ("" if none) into buf;
 * returns true when some are missing. */
bool nl_missing_bpf_caps(char *buf, size_t size);

#endif /* NUMALENS_PRIVS_H */
