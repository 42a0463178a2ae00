#!/bin/sh
# `make bench`: the BPF cost per context switch (all of numalens, an empty
# sched_switch program on each side of it and bpftrace attached at once,
# under perf bench sched pipe and messaging), the cost per
# sample of the memory-sampling program (next to an empty perf_event
# program, both on software page-fault events), the long path of a sample
# with made-up samples (next to an empty syscall program), the cost of a collector
# read, then the exporter's refresh with 10,000 idle processes, phase by
# phase. Prints tables; exits non-zero only when a benchmark
# could not run, never because a target was missed.
#   BENCH_SECONDS   length of each load window, both cost benchmarks (default 10)
#   BENCH_WINDOWS   load windows, the median is reported (default 3)
#   BENCH_EXTRA     idle processes added for the read benchmark (default 2000)
#   BENCH_REFRESH_PROCS  idle processes added for the refresh benchmark (10000)
#   BENCH_REFRESHES      refreshes timed, 1 s apart (default 10)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/build/bench"
cd "$top"

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (BPF, kernel.bpf_stats_enabled)" >&2
	exit 1
fi
# bpftrace attaches classic tracepoints through tracefs.
if [ ! -d /sys/kernel/tracing/events ]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
fi

echo "numalens bench on $(uname -r), $(nproc) CPUs"
"$bin/cost" bench/switch.bt "${BENCH_SECONDS:-10}" "${BENCH_WINDOWS:-3}"
# Again with every move between CPUs crossing nodes: the costliest case.
"$bin/cost" bench/switch.bt "${BENCH_SECONDS:-10}" "${BENCH_WINDOWS:-3}" split
"$bin/sample" "${BENCH_SECONDS:-10}" "${BENCH_WINDOWS:-3}"
# The long path of a sample, with made-up samples (BPF_PROG_TEST_RUN).
"$bin/synth" 100000 5
"$bin/read" "${BENCH_EXTRA:-2000}"
"$bin/refresh" "${BENCH_REFRESH_PROCS:-10000}" "${BENCH_REFRESHES:-10}" 1
"$top/bench/top.sh"
"$top/bench/export.sh"
