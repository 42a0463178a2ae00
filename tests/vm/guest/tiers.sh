# Guest script of t-tiers.sh: nodes 0 and 1 with a CPU each, node 2 with
# memory only, and an ACPI HMAT that makes node 2 slower. What the kernel
# made of it (memory tiers, access0 figures, the demotion switch), numalens
# doctor, a diagnosis of a workload whose memory is bound to node 2 and, on
# a kernel that put node 2 in a slower tier than node 0, NUMA balancing in
# tiering mode promoting a workload's pages from node 2 to node 0.
# shellcheck shell=sh

var numa_balancing "$(cat /proc/sys/kernel/numa_balancing)"
hand_back_cmd numactl-H numactl -H
for n in 0 1 2; do
	echo "$n $(cat /sys/devices/system/node/node$n/cpulist)" \
		"$(cat /sys/devices/system/node/node$n/distance)"
done >/tmp/nodes
hand_back nodes /tmp/nodes

# The tiers, "memory_tierN NODELIST" lines (none: no memory tiering).
for f in /sys/devices/virtual/memory_tiering/memory_tier*/nodelist; do
	[ -r "$f" ] || continue
	t=${f%/nodelist}
	echo "${t##*/} $(cat "$f")"
done >/tmp/tiers
hand_back tiers /tmp/tiers
var memory_tiering "$([ -d /sys/devices/virtual/memory_tiering ] && echo 1 || echo 0)"
var demotion_enabled "$(cat /sys/kernel/mm/numa/demotion_enabled 2>/dev/null)"
# The firmware's figures as the kernel shows them: "nodeN FILE VALUE" for
# each file of nodeN/access0/initiators, "nodeN initiator nodeM" for each
# initiator it names.
for n in 0 1 2; do
	a=/sys/devices/system/node/node$n/access0/initiators
	[ -d "$a" ] || continue
	for f in "$a"/*; do
		case ${f##*/} in
		node*) echo "node$n initiator ${f##*/}" ;;
		*) echo "node$n ${f##*/} $(cat "$f")" ;;
		esac
	done
done >/tmp/access
hand_back access /tmp/access

hand_back_cmd doctor numalens doctor

# tier_of NODE: N of the memory_tierN holding NODE (empty: none).
tier_of() {
	awk -v n="$1" '{
		k = split($2, parts, ",")
		for (i = 1; i <= k; i++) {
			m = split(parts[i], r, "-")
			lo = r[1] + 0; hi = (m > 1 ? r[2] : r[1]) + 0
			if (n + 0 >= lo && n + 0 <= hi) { sub("memory_tier", "", $1); print $1 }
		}
	}' /tmp/tiers
}

# tier_vmstat NAME: hands back the NUMA-balancing, promotion and demotion
# counters of /proc/vmstat. pgpromote_* and pgdemote_* are node counters,
# which each CPU keeps a few pages of to itself until the vmstat worker
# folds them in (seen: 10 promotions showing up after the workload had
# stopped); stat_refresh folds them all first. The numa_* and pgmigrate_*
# events are summed over the CPUs at each read.
tier_vmstat() {
	echo 1 >/proc/sys/vm/stat_refresh
	grep -E '^(numa_|pgpromote_|pgdemote_|pgmigrate_)' /proc/vmstat >"/tmp/vmstat.$1"
	hand_back "$1" "/tmp/vmstat.$1"
}

# Bound: threads on node 0, 64 MiB bound to node 2 (MPOL_BIND, which NUMA
# balancing never moves).
wl_start bound --cpu-node 0 --mem-node 2 --size 64 --threads 1 --seconds 0
bound=$WL_PID
hand_back numa_maps.bound "/proc/$bound/numa_maps"
diagnose bound 4 --pid "$bound"
wl_stop "$bound"

# Promotion, where node 2 is in a slower tier than node 0: 64 MiB placed on
# node 2, then under the default policy (--release-policy), touched by a
# thread on node 0. NUMA balancing is off while it places its memory (mode
# 1 would move the pages as remote ones, not promote them), then in tiering
# mode only (2), in which it scans slow-tier pages only and promotes the
# hot ones to the faulting CPU's node. Small pages: one hint fault, one page.
for n in 0 1 2; do
	echo "$n $(tier_of $n)"
done >/tmp/node_tiers
hand_back node_tiers /tmp/node_tiers
t0=$(tier_of 0)
t2=$(tier_of 2)
if [ -z "$t2" ] || [ "$t2" = "$t0" ]; then
	var promote.ran 0
	exit 0
fi
var promote.ran 1
nb=/sys/kernel/debug/sched/numa_balancing
echo 0 >/proc/sys/kernel/numa_balancing
wl_start promote --cpu-node 0 --mem-node 2 --release-policy --size 64 --threads 1 \
	--seconds 0 --no-thp
promote=$WL_PID
stop_all "$promote"
hand_back numa_maps.promote-before "/proc/$promote/numa_maps"
# Scans as soon as the kernel lets them: the first of a new VMA waits
# scan_delay_ms, the next come every scan_period_min_ms. Seen at 100 ms: the
# first promotions 0.6-1.3 s after the workload went on, all 16384 pages by
# 1.8-2.9 s (once 98% by 4.8 s); with the defaults (1 s, 1 s to 60 s) about
# as soon but less of it at once, 92-100% by 2.2-4.1 s (probably the pages
# the thread came back to more than hot_threshold_ms, 1 s, after their
# scan: those wait for the next scan).
if [ -w "$nb/scan_delay_ms" ]; then
	echo 100 >"$nb/scan_delay_ms"
	echo 100 >"$nb/scan_period_min_ms"
	echo 100 >"$nb/scan_period_max_ms"
fi
for f in scan_delay_ms scan_period_min_ms scan_period_max_ms scan_size_mb; do
	var "nb.$f" "$(cat "$nb/$f" 2>/dev/null)"
done
echo 2 >/proc/sys/kernel/numa_balancing
var numa_balancing.promote "$(cat /proc/sys/kernel/numa_balancing)"
var hot_threshold_ms "$(cat "$nb/hot_threshold_ms" 2>/dev/null)"
var promote_rate_limit_MBps "$(cat /proc/sys/kernel/numa_balancing_promote_rate_limit_MBps 2>/dev/null)"
# The workload is stopped from here until the window is open, and again
# before it closes: every promotion of the run is inside the window, and the
# vmstat snapshots around it are the window's.
diagnose_start promote 14 --pid "$promote"
diagnose_wait_attached
tier_vmstat vmstat.promote-attached
p0=$(awk '/^pgpromote_success / { print $2 }' /proc/vmstat)
c0=$(cut -d' ' -f1 /proc/uptime)
kill -CONT "$promote"
# Until 90% of the 16384 pages are promoted, 9 s at most (seen: 4.8 s):
# "SECONDS PROMOTED" every 0.5 s, the seconds since the workload went on.
_i=0
while [ "$_i" -lt 18 ]; do
	sleep 0.5
	_i=$((_i + 1))
	p=$(awk '/^pgpromote_success / { print $2 }' /proc/vmstat)
	echo "$(awk -v c0="$c0" '{ print $1 - c0 }' /proc/uptime) $((p - p0))"
	[ $((p - p0)) -ge 14746 ] && break
done >/tmp/promote.progress
stop_all "$promote"
diagnose_window_left
tier_vmstat vmstat.promote-stopped
hand_back promote.progress /tmp/promote.progress
hand_back numa_maps.promote-after "/proc/$promote/numa_maps"
diagnose_finish
tier_vmstat vmstat.promote-after
kill -CONT "$promote"
wl_stop "$promote"
