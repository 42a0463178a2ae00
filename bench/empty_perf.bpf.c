// SPDX-License-Identifier: GPL-2.0
/*
 * The baseline of the sampling benchmark (sample.c): a perf_event program
 * that does nothing. Attached to its own software page-fault events, next
 * to numalens's sampling program on the collector's, its run_time_ns per
 * sample is the floor the kernel's own measurement (a clock read on each
 * side of every run, with kernel.bpf_stats_enabled=1) reports for any
 * perf_event program. It returns 0, as numalens's does, so neither writes
 * perf's ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("perf_event")
int bench_empty_perf(struct bpf_perf_event_data *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
