# Guest script of t-cpu-time.sh: the host's CPU-time tests and synthetic
# hardware-sample tests on this kernel,
# then a workload that moves its thread between the nodes every 50 ms,
# born and ended inside one diagnosis.
# shellcheck shell=sh

# The exited threads' test compares with a cgroup v2's count (it mounts
# one if none is): an exited thread's last instants, which numalens counts
# and the kernel's process total does not, are in it (1.3-1.4 ms a thread
# here under emulation, 8.5 ms with the host at a load of 12).
if command -v bpf_test_cputime >/dev/null; then
	hand_back_cmd cputime-tests bpf_test_cputime
fi
if command -v bpf_test_synth >/dev/null; then
	hand_back_cmd synth-tests bpf_test_synth
fi

diagnose_start flip 12 --top 100
diagnose_wait_attached
# On node 0 from its first instant (busybox's taskset is static: no start
# of its own to speak of), so the workload's own accounting covers it all.
# Its parent prints the kernel's count of its CPU time at its exit; the
# cgroup it was born in has every instant of every thread, read once the
# diagnosis is over (numalens's last read came after the last thread was
# freed, so after its last switch: the cgroup has it all by then).
mkdir -p /sys/fs/cgroup
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mkdir /sys/fs/cgroup/flip
numa-workload --rusage-of --cgroup /sys/fs/cgroup/flip \
	taskset -c 0-1 numa-workload --cpu-node 0 --hop-to-node 1 \
	--flip-every 50 --threads 1 --size 16 --seconds 3 >/tmp/wl.flip.out 2>/tmp/wl.flip.err
var flip.wl_rc $?
var flip.pid "$(sed -n 's/^ready pid=//p' /tmp/wl.flip.out)"
hand_back wl.flip /tmp/wl.flip.out
diagnose_finish
var flip.cgroup_ns "$(sed -n 's/^usage_usec //p' /sys/fs/cgroup/flip/cpu.stat)000"

# CPU hotplug moves a running thread: a busy process on CPU 3 (node 1),
# also allowed on CPU 1 (node 0), is moved there when CPU 3 goes offline.
# Born and ended inside one diagnosis, so its counts are whole. NUMA
# balancing off meanwhile: it may move the thread next to its memory (on
# node 0) before the offlining does (seen on 6.1 under host load, with CPU 1
# allowed for a second before: on CPU 1 already, 1 -> 1).
schedstat() { cut -d' ' -f1 "/proc/$1/schedstat"; }
balancing=$(cat /proc/sys/kernel/numa_balancing)
echo 0 >/proc/sys/kernel/numa_balancing
diagnose_start hotplug 10 --top 100
diagnose_wait_attached
taskset -c 3 sh -c 'while :; do :; done' &
busy=$!
var hotplug.pid "$busy"
sleep 1.2
# CPU 1 allowed only now, right before the offlining: until then nothing
# but CPU 3 could run it (neither balancer could move it away first).
taskset -p -c 1,3 "$busy" >/dev/null
var hotplug.cpu_before "$(awk '{ print $39 }' "/proc/$busy/stat")"
var hotplug.before_ns "$(schedstat "$busy")"
echo 0 >/sys/devices/system/cpu/cpu3/online
# shellcheck disable=SC2320 # echo's status is the write's: did it go offline
var hotplug.offline_rc $?
var hotplug.after_ns "$(schedstat "$busy")"
sleep 1
var hotplug.cpu_after "$(awk '{ print $39 }' "/proc/$busy/stat")"
kill "$busy"
wait "$busy" 2>/dev/null
echo 1 >/sys/devices/system/cpu/cpu3/online
diagnose_finish
echo "$balancing" >/proc/sys/kernel/numa_balancing
