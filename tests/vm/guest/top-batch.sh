# Guest script of t-top-batch.sh: 2 nodes, CPUs 0-1 on node 0, 2-3 on node 1.
# shellcheck shell=sh

wl_start remote --cpu-node 0 --mem-node 1 --size 128 --threads 2 --seconds 0
remote=$WL_PID
wl_start local --cpu-node 0 --mem-node 0 --size 64 --threads 1 --seconds 0
loc=$WL_PID
hand_back numa_maps.remote "/proc/$remote/numa_maps"

# Two frames two seconds apart, for the two workloads; then one frame of the
# whole machine at 80 columns. A watchdog (timeout) in case it never ends.
timeout 60 numatop-lite -b -n 2 -d 2 -w 160 -p "$remote" -p "$loc" >/tmp/top.out 2>/tmp/top.err
var top.rc $?
hand_back top.out /tmp/top.out
hand_back top.err /tmp/top.err
timeout 60 numatop-lite -b -n 1 -d 2 -w 80 >/tmp/all.out 2>/tmp/all.err
var all.rc $?
hand_back all.out /tmp/all.out
hand_back all.err /tmp/all.err
wl_stop "$remote"
wl_stop "$loc"
