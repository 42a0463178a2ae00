#!/bin/bash
# Speed of the live view (numatop-lite), run last by bench/run.sh:
#   1. one refresh (the agent's snapshot, then the list's frame) with the
#      processes live on the machine, then with 10,000 more idle processes
#      that this script starts and stops: batch mode, every process listed
#      (-a), -v timing each refresh;
#   2. the view's own CPU use per second at the default interval (2 s) and
#      its resident memory, running interactively in a 200x50 tmux window,
#      in both cases. Targets: under 1% of one core, under 32 MiB.
# Prints a table; exits non-zero only when a benchmark could not run.
#   BENCH_TOP_PROCS    idle processes added (default 10000)
#   BENCH_TOP_SECONDS  how long the CPU use is measured (default 20)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
nl=$top/build/numatop-lite
procs=${BENCH_TOP_PROCS:-10000}
seconds=${BENCH_TOP_SECONDS:-20}
hz=$(getconf CLK_TCK)
work=$(mktemp -d "${TMPDIR:-/tmp}/numalens-bench-top.XXXXXX")
sock=numalens-bench-top-$$
spawn_pid=""

T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() {
	T kill-server 2>/dev/null
	[ -n "$spawn_pid" ] && kill "$spawn_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ "$(id -u)" -ne 0 ]; then
	echo "bench/top.sh: needs root (BPF)" >&2
	exit 1
fi
for cmd in tmux cc; do
	command -v "$cmd" >/dev/null || {
		echo "bench/top.sh: $cmd is missing (make deps)" >&2
		exit 1
	}
done
[ -x "$nl" ] || {
	echo "bench/top.sh: $nl is missing (make)" >&2
	exit 1
}
mkdir -p "$top/build/bench"
spawn=$top/build/bench/top_spawn
if [ ! -x "$spawn" ] || [ "$top/bench/top_spawn.c" -nt "$spawn" ]; then
	cc -O2 -Wall -Werror -o "$spawn" "$top/bench/top_spawn.c" || exit 1
fi

# CPU time of a process in clock ticks (utime + stime).
ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
# kib PID KEY: VmRSS or VmHWM of a process, in KiB.
kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
live_procs() { find /proc -maxdepth 1 -name '[0-9]*' 2>/dev/null | wc -l; }

# refresh LABEL: batch mode, 6 refreshes 1 s apart; the first, and the
# median of the others.
refresh() {
	if ! "$nl" -b -a -n 6 -d 1 -v -w 200 >/dev/null 2>"$work/refresh"; then
		echo "bench/top.sh: numatop-lite -b failed: $(head -c 300 "$work/refresh")" >&2
		exit 1
	fi
	awk -v label="$1" '
		/refresh [0-9]+:/ {
			n++; s[n] = $4; f[n] = $7; p = $10
		}
		END {
			for (i = 2; i <= n; i++) { a[i - 1] = s[i] + f[i] }
			m = n - 1
			for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			printf "| %-28s | %9d | %10.2f | %10.2f | %10.2f |\n", label, p, s[1] + f[1], a[int((m + 1) / 2)], a[m]
		}' "$work/refresh"
}

# view LABEL: the interactive view at the default interval in a 200x50
# terminal; its CPU use over $seconds after a 4 s start, and its memory.
view() {
	local pid c0 c1 t0 t1
	rm -f "$work/pid"
	T new-session -d -s view -x 200 -y 50 "echo \$\$ >$work/pid; exec $nl"
	for _ in $(seq 50); do [ -s "$work/pid" ] && break; sleep 0.1; done
	pid=$(cat "$work/pid")
	sleep 4
	c0=$(ticks "$pid")
	t0=$(date +%s.%N)
	sleep "$seconds"
	c1=$(ticks "$pid")
	t1=$(date +%s.%N)
	printf "| %-28s | %9d | %14s | %8s | %8s |\n" "$1" "$(live_procs)" \
		"$(awk -v c="$((c1 - c0))" -v hz="$hz" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f%%", c / hz / (b - a) * 100 }')" \
		"$(mib "$(kib "$pid" VmRSS)")" "$(mib "$(kib "$pid" VmHWM)")"
	T send-keys -t view q
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

echo "numatop-lite bench on $(uname -r), $(nproc) CPUs"
echo
echo "One refresh, batch mode, every process listed (ms: snapshot + frame)"
echo "| processes                    | processes | first ms   | median ms  | max ms     |"
echo "| ---                          |      ---: |       ---: |       ---: |       ---: |"
refresh "live"
"$spawn" "$procs" >"$work/spawn" &
spawn_pid=$!
for _ in $(seq 600); do grep -q ready "$work/spawn" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$work/spawn" || {
	echo "bench/top.sh: could not start $procs processes" >&2
	exit 1
}
refresh "live + $procs idle"
echo
echo "The interactive view at the default interval (2 s), 200x50, over $seconds s"
echo "| processes                    | processes | CPU of one core | RSS MiB  | peak MiB |"
echo "| ---                          |      ---: |            ---: |     ---: |     ---: |"
view "live + $procs idle"
kill "$spawn_pid" 2>/dev/null
wait "$spawn_pid" 2>/dev/null
spawn_pid=""
for _ in $(seq 100); do [ "$(live_procs)" -lt $((procs / 2)) ] && break; sleep 0.1; done
view "live"
echo
echo "Targets: CPU under 1% of one core, resident memory under 32 MiB."
