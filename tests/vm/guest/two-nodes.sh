# Guest script of t-two-nodes.sh: 2 nodes, CPUs 0-1 on node 0, 2-3 on node 1.
# shellcheck shell=sh

var numa_balancing "$(cat /proc/sys/kernel/numa_balancing)"
hand_back_cmd numactl-H numactl -H

# Placement: CPUs on node 0 with memory on node 1, and all on node 0.
wl_start remote --cpu-node 0 --mem-node 1 --size 128 --threads 2 --seconds 0
remote=$WL_PID
wl_start local --cpu-node 0 --mem-node 0 --size 64 --threads 1 --seconds 0
loc=$WL_PID
hand_back numa_maps.remote "/proc/$remote/numa_maps"
hand_back numa_maps.local "/proc/$loc/numa_maps"
# The kernel's CPU time of the remote workload's threads around the diagnosis.
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f", s }'; }
var placement.cpu_before "$(cpu_ns "$remote")"
var placement.t_before "$(cut -d' ' -f1 /proc/uptime)"
diagnose placement 4 --pid "$remote" --pid "$loc"
var placement.cpu_after "$(cpu_ns "$remote")"
var placement.t_after "$(cut -d' ' -f1 /proc/uptime)"
wl_stop "$remote"
wl_stop "$loc"

# Cross-node migrations: once the diagnosis watches, the workload's threads
# go back and forth between the nodes on each of 6 SIGUSR1s, well inside
# its window; the workload says each move it made. A signal is sent once
# the move before it is said (5 s at most each: a slow guest's move can
# take longer than a fixed pause, and two signals pending merge into one).
wl_start hop --cpu-node 0 --mem-node 0 --size 16 --threads 2 --seconds 0 --hop-to-node 1
hop=$WL_PID
diagnose_start hop 10 --pid "$hop"
diagnose_wait_attached
for n in 1 2 3 4 5 6; do
	kill -USR1 "$hop"
	for _ in $(seq 50); do
		[ "$(grep -c 'moved' /tmp/wl.hop.err)" -ge "$n" ] && break
		sleep 0.1
	done
done
var hop.moves_in_window "$(grep -c 'moved' /tmp/wl.hop.err)"
diagnose_window_left
diagnose_finish
wl_stop "$hop"
var hop.moves "$(grep -c 'moved' /tmp/wl.hop.err)"

# NUMA balancing: memory first touched on node 1 (default policy) by threads
# held on node 1; once the diagnosis watches, the threads are moved to node 0
# so the kernel's hinting faults find the memory remote and migrate it. The
# scan period is held at its minimum (1 s) so that happens within the window.
nb=/sys/kernel/debug/sched/numa_balancing
if [ -w "$nb/scan_period_max_ms" ]; then
	cat "$nb/scan_period_min_ms" >"$nb/scan_period_max_ms"
	var scan_period_max_ms "$(cat "$nb/scan_period_max_ms")"
fi
# Small pages only, so that the kernel's hinting-fault counts (per fault)
# and numalens's (per page) are the same numbers.
# Held stopped while the kernel's counts are read at the window's start:
# /proc/vmstat sums each CPU's counters one after another, so a read during a
# fault on another CPU can see its numa_hint_faults and not yet its
# numa_hint_faults_local (a remote fault that never was: seen once in CI,
# 16400 against numalens's 16399, while the threads took local faults).
# numalens runs under an explicit memory policy, which NUMA balancing does
# not scan (vma_policy_mof): the workload is then the only process that
# takes hinting faults, and vmstat's counts are its own.
wl_start balance --cpu-node 1 --hop-to-node 0 --size 64 --threads 2 --seconds 0 --no-thp
balance=$WL_PID
stop_all "$balance"
numa_vmstat vmstat.before
DIAG_WRAP="numactl --membind=0,1" diagnose_start balance 14 --pid "$balance"
diagnose_wait_attached
numa_vmstat vmstat.attached
var balance.migrated_attached "$(numa_migrated "$balance")"
numa_trace_start
# Pending while it is stopped: the move to node 0 is its first act.
kill -USR1 "$balance"
kill -CONT "$balance"
# Stopped well inside the window (9 s before its end: the shell sees the
# window open late on a loaded host): from here on it takes no fault, so the
# kernel's counts taken now are those of the window.
sleep 5
stop_all "$balance"
diagnose_window_left
numa_trace_stop trace.balance
numa_vmstat vmstat.stopped
var balance.migrated_stopped "$(numa_migrated "$balance")"
diagnose_finish
numa_vmstat vmstat.after
hand_back numa_maps.balance "/proc/$balance/numa_maps"
grep -i numa "/proc/$balance/sched" >/tmp/sched.balance
hand_back sched.balance /tmp/sched.balance
kill -CONT "$balance"
wl_stop "$balance"

# NUMA balancing with no binding at all: three busy threads on four CPUs (one
# left for numalens and the shell) over memory first touched wherever the
# main thread ran. Held stopped until the diagnosis watches and stopped again
# before it ends, so every fault it takes is inside the window.
wl_start unbound --unbound --size 64 --threads 3 --seconds 0 --no-thp
unbound=$WL_PID
stop_all "$unbound"
numa_vmstat vmstat.unbound_before
DIAG_WRAP="numactl --membind=0,1" diagnose_start unbound 12 --pid "$unbound"
diagnose_wait_attached
numa_vmstat vmstat.unbound_attached
var unbound.migrated_attached "$(numa_migrated "$unbound")"
numa_trace_start
kill -CONT "$unbound"
sleep 4
stop_all "$unbound"
diagnose_window_left
numa_trace_stop trace.unbound
numa_vmstat vmstat.unbound_stopped
var unbound.migrated_stopped "$(numa_migrated "$unbound")"
diagnose_finish
numa_vmstat vmstat.unbound_after
kill -CONT "$unbound"
wl_stop "$unbound"
