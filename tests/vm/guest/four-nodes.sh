# Guest script of t-four-nodes.sh: 4 nodes, one CPU each, non-uniform
# distances.
# shellcheck shell=sh

hand_back_cmd numactl-H numactl -H
for n in 0 1 2 3; do
	echo "$n $(cat /sys/devices/system/node/node$n/cpulist)" \
		"$(cat /sys/devices/system/node/node$n/distance)"
done >/tmp/nodes
hand_back nodes /tmp/nodes

wl_start far --cpu-node 0 --mem-node 3 --size 64 --threads 1 --seconds 0
far=$WL_PID
hand_back numa_maps.far "/proc/$far/numa_maps"
diagnose far 4 --pid "$far"
wl_stop "$far"

# The sampling program on this kernel, driven by software page faults (qemu
# has no PEBS or IBS): the variant chosen for this kernel loads and attaches.
hand_back_cmd doctor-sw numalens doctor --pmu-software
