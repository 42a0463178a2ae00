# The kernel's on-CPU time of a process, sampled while numalens measures
# it, to hold numalens's counts against over the same window (bash, sourced
# after tests/results-lib.sh; used by the CLI and exporter tests).
# shellcheck shell=bash

# cpu_sampler PID: the kernel's on-CPU nanoseconds of PID's threads
# (schedstat) every 20 ms or so, as "T1 NS T2" lines: NS was read between the
# times T1 and T2 (Unix seconds). Shell builtins only, so a loaded machine
# delays a sample, never misdates it.
cpu_sampler() {
	local f a s t1
	while sleep 0.02 && [ -d /proc/"$1" ]; do
		t1=$EPOCHREALTIME
		s=0
		for f in /proc/"$1"/task/*/schedstat; do
			read -r a _ 2>/dev/null <"$f" && s=$((s + a))
		done
		echo "$t1 $s $EPOCHREALTIME"
	done
}

# cpu_bounds SAMPLES T D: the kernel's on-CPU seconds at a moment between
# T - D and T, bounded by the samples around that span: "LOW HIGH".
cpu_bounds() {
	awk -v t="$2" -v d="$3" '
		$3 <= t - d { lo = $2 }
		$1 >= t && hi == "" { hi = $2 }
		END { printf "%.6f %.6f\n", lo / 1e9, (hi == "" ? 1e18 : hi / 1e9) }' "$1"
}

# cpu_check NAME SAMPLES C0 T0 D0 C1 T1 D1: the counter advanced from C0
# (refresh T0, D0) to C1 as much as the kernel's on-CPU time between the
# two refreshes, within what the samples around them allow, and one
# scheduler tick per end (numalens reads a running thread's time as of its
# last tick; schedstat, to the nanosecond).
cpu_check() {
	local lo0 hi0 lo1 hi1
	read -r lo0 hi0 < <(cpu_bounds "$2" "$4" "$5")
	read -r lo1 hi1 < <(cpu_bounds "$2" "$7" "$8")
	check "$1: +$(awk -v a="$3" -v b="$6" 'BEGIN { print b - a }') s, the kernel's between +$(awk -v a="$hi0" -v b="$lo1" 'BEGIN { print b - a }') and +$(awk -v a="$lo0" -v b="$hi1" 'BEGIN { print b - a }') s" \
		awk -v c0="$3" -v c1="$6" -v lo0="$lo0" -v hi0="$hi0" -v lo1="$lo1" -v hi1="$hi1" \
		'BEGIN { d = c1 - c0; exit !(d > 0 && d >= lo1 - hi0 - 0.01 && d <= hi1 - lo0 + 0.01) }'
}
