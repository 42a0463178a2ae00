# Guest script of t-pin.sh: 2 nodes, CPUs 0-1 on node 0, 2-3 on node 1.
# numalens pin and unpin across real nodes: the advisor's choice, pin
# --verify, every thread (those created during the apply too) moved, the
# diagnosis after it, unpin, page migration, a reused pid, and refusals.
# shellcheck shell=sh

# Only numalens moves threads and pages here.
echo 0 >/proc/sys/kernel/numa_balancing
hand_back_cmd numactl-H numactl -H

# settle PID: waits until its thread count stays the same for a second
# (60 s at most).
settle() {
	_last=-1
	_i=0
	while [ "$_i" -lt 60 ]; do
		_n=$(ls /proc/"$1"/task | wc -l)
		[ "$_n" -eq "$_last" ] && return 0
		_last=$_n
		sleep 1
		_i=$((_i + 1))
	done
}

# The advisor: threads on node 0, memory on node 1. diagnose suggests, pin
# (auto) plans, then applies its own choice.
# One busy thread: node 1 (2 CPUs) has room for it whatever else the guest runs there.
wl_start auto --cpu-node 0 --mem-node 1 --size 64 --threads 1 --seconds 0
auto=$WL_PID
diagnose before 4 --pid "$auto"
hand_back_cmd before-text numalens diagnose --duration 3 --pid "$auto"
hand_back_cmd pin-dry numalens pin "$auto" --duration 3
hand_back_cmd pin-auto numalens pin "$auto" --duration 3 --apply
affs "$auto" auto
wl_stop "$auto"

# pin --verify: the same misplacement measured for 3 s before and after the
# pin; the record keeps what was found. (--verify-max-slowdown 0.5, as in
# pin-verify.sh: a busy host can take a vCPU away for part of a window, and
# the thread's CPU rate, read as of its last tick, shows a slowdown that is
# the host's; the rule itself has unit tests with exact rates.)
wl_start verify --cpu-node 0 --mem-node 1 --size 64 --threads 1 --seconds 0
verify=$WL_PID
hand_back_cmd pin-verify numalens pin "$verify" --node 1 --apply --verify 3 \
	--verify-max-slowdown 0.5
hand_back verify-record "/run/numalens/$verify.pin"
wl_stop "$verify"

# Four busy threads held on node 0's 2 CPUs, their memory on node 1: node
# 1's 2 CPUs take them at no more load than they have now (issue 10), and
# diagnose and pin (auto) agree. They share 2 CPUs, so they switch, and their
# CPU time per node is counted at each switch.
# 128 MiB: what else it has on node 0 (stacks, heap: ~3.5 MiB) stays under
# the share that makes the advisor move memory too (good ratio / 2 = 5%).
wl_start four --cpu-node 0 --mem-node 1 --size 128 --threads 4 --seconds 0
four=$WL_PID
diagnose four-before 3 --pid "$four"
hand_back_cmd pin-four numalens pin "$four" --node auto --duration 3 --apply
affs "$four" four
diagnose four-after 3 --pid "$four"
wl_stop "$four"

# pin --apply while the process keeps creating threads (one every 10 ms,
# 400 in all), then a diagnosis, unpin, and page migration.
wl_start remote --cpu-node 0 --mem-node 1 --size 128 --threads 2 --seconds 0 \
	--spawn-every 10 --spawn-max 400
remote=$WL_PID
var apply.threads_before "$(ls /proc/"$remote"/task | wc -l)"
hand_back_cmd pin-apply numalens pin "$remote" --node 1 --apply
var apply.threads_after "$(ls /proc/"$remote"/task | wc -l)"
hand_back pin-record "/run/numalens/$remote.pin"
settle "$remote"
affs "$remote" pinned
diagnose pinned 4 --pid "$remote"
hand_back_cmd unpin numalens unpin "$remote"
affs "$remote" unpinned
hand_back numa_maps.before-migrate "/proc/$remote/numa_maps"
hand_back_cmd pin-migrate numalens pin "$remote" --node 0 --migrate-memory --apply
hand_back numa_maps.migrated "/proc/$remote/numa_maps"
affs "$remote" migrated
diagnose migrated 4 --pid "$remote"
hand_back_cmd unpin-migrated numalens unpin "$remote"
wl_stop "$remote"

# A pid reused by another process: unpin leaves the new one alone. It runs
# on node 1's CPUs, exactly what the pin had set.
wl_start first --cpu-node 0 --mem-node 0 --size 16 --threads 2 --seconds 0
first=$WL_PID
hand_back_cmd pin-first numalens pin "$first" --node 1 --apply
wl_stop "$first"
_i=0
while [ "$_i" -lt 30 ]; do
	echo $((first - 1)) >/proc/sys/kernel/ns_last_pid
	numa-workload --cpu-node 1 --mem-node 1 --size 16 --threads 2 --seconds 0 \
		>/tmp/wl.second.out 2>&1 &
	second=$!
	[ "$second" -eq "$first" ] && break
	wl_stop "$second"
	_i=$((_i + 1))
done
var reused.first "$first"
var reused.second "$second"
while ! grep -q '^ready' /tmp/wl.second.out 2>/dev/null; do sleep 0.1; done
hand_back_cmd unpin-reused numalens unpin "$first"
affs "$second" reused
wl_stop "$second"

# A cpuset that forbids node 1's CPUs, then one that forbids its memory
# (cgroup v2): refused, nothing changed.
mkdir -p /sys/fs/cgroup
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo +cpuset >/sys/fs/cgroup/cgroup.subtree_control
mkdir /sys/fs/cgroup/numalens-cpus /sys/fs/cgroup/numalens-mems
echo 0-1 >/sys/fs/cgroup/numalens-cpus/cpuset.cpus
echo 0 >/sys/fs/cgroup/numalens-cpus/cpuset.mems
echo 0-3 >/sys/fs/cgroup/numalens-mems/cpuset.cpus
echo 0 >/sys/fs/cgroup/numalens-mems/cpuset.mems
wl_start boxed --cpu-node 0 --mem-node 0 --size 16 --threads 2 --seconds 0
boxed=$WL_PID
# (Moving into a cgroup may itself reset the affinity: compare with after the move.)
echo "$boxed" >/sys/fs/cgroup/numalens-cpus/cgroup.procs
affs "$boxed" cpuset-before
hand_back_cmd pin-cpuset numalens pin "$boxed" --node 1 --apply
affs "$boxed" cpuset
echo "$boxed" >/sys/fs/cgroup/numalens-mems/cgroup.procs
affs "$boxed" cpuset-mems-before
hand_back numa_maps.cpuset-mems-before "/proc/$boxed/numa_maps"
hand_back_cmd pin-cpuset-mems numalens pin "$boxed" --node 1 --migrate-memory --apply
affs "$boxed" cpuset-mems
hand_back numa_maps.cpuset-mems "/proc/$boxed/numa_maps"
[ -e "/run/numalens/$boxed.pin" ] && var cpuset.record 1
wl_stop "$boxed"

# Kernel thread, pid 1, a vanished pid.
hand_back_cmd pin-kthread numalens pin 2 --node 1 --apply
hand_back_cmd pin-init numalens pin 1 --node 1 --apply
gone=$(sh -c 'echo $$')
var gone.pid "$gone"
hand_back_cmd pin-gone numalens pin "$gone" --node 1 --apply
