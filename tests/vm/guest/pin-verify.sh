# Guest script of t-pin-verify.sh: 2 nodes, CPUs 0-1 on node 0, 2-3 on
# node 1. pin --verify where the move cannot help (memory interleaved over
# both nodes: half remote wherever the threads run), and what pin
# --migrate-memory says is left off the target against numa_maps.
# shellcheck shell=sh

# Only numalens moves threads and pages here: NUMA balancing would pull the
# interleaved pages toward the threads.
echo 0 >/proc/sys/kernel/numa_balancing
var numa_balancing "$(cat /proc/sys/kernel/numa_balancing)"
hand_back_cmd numactl-H numactl -H

# bytes_off PID NODE: bytes of PID's pages on nodes other than NODE, by the
# kernel's own count: the N<node>=PAGES fields of /proc/PID/numa_maps times
# each mapping's kernelpagesize_kB. Written apart from numalens on purpose.
bytes_off() {
	awk -v keep="N$2" '{
		ps = 4096
		for (i = 1; i <= NF; i++)
			if ($i ~ /^kernelpagesize_kB=/) ps = substr($i, 19) * 1024
		for (i = 1; i <= NF; i++)
			if ($i ~ /^N[0-9]+=/) {
				split($i, f, "=")
				if (f[1] != keep) b += f[2] * ps
			}
	} END { printf "%.0f\n", b }' "/proc/$1/numa_maps"
}

# No gain: one busy thread on node 0, its 128 MiB interleaved over nodes 0
# and 1. Moved to node 1 it is as remote as before, about half; pin
# --verify says no_gain and exits 7. (--verify-max-slowdown 0.5: a guest's
# CPU rate can swing between windows when the host is busy, and slower would
# come first; measured here 0.99-1.02 CPUs in both windows.)
wl_start interleave --cpu-node 0 --interleave 0,1 --size 128 --threads 1 --seconds 0
il=$WL_PID
hand_back numa_maps.interleave "/proc/$il/numa_maps"
hand_back_cmd pin-interleave numalens pin "$il" --node 1 --apply --verify 3 \
	--verify-max-slowdown 0.5
hand_back interleave-record "/run/numalens/$il.pin"
hand_back numa_maps.interleave-after "/proc/$il/numa_maps"
affs "$il" interleave
wl_stop "$il"

# --migrate-memory: threads and memory on node 0, pinned to node 1 with
# their pages. Without CAP_SYS_NICE, migrate_pages(2) moves only the pages
# the process maps alone (MPOL_MF_MOVE; root's moves them all) and does not
# count the others as left behind: so the workload and pin run as nobody,
# and a copy of numa-workload written on node 0 runs twice (a companion as
# root), whose shared text stays there. What pin reports off node 1 before
# and after, against the sum from numa_maps just before and just after it.
chmod 755 /
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
echo 'nogroup:x:65534:' >>/etc/group
numactl --membind=0 cp /usr/bin/numa-workload /usr/bin/nw-shared
cat >/usr/bin/nw-nobody <<'EOF2'
#!/bin/sh
exec su -s /bin/sh nobody -c "exec /usr/bin/nw-shared $*"
EOF2
chmod 755 /usr/bin/nw-nobody
wl_start_as companion nw-shared --cpu-node 0 --mem-node 0 --size 1 --threads 1 --seconds 0
comp=$WL_PID
wl_start_as misplaced nw-nobody --cpu-node 0 --mem-node 0 --size 128 --threads 1 --seconds 0
mp=$WL_PID
var migrate.uid "$(awk '/^Uid:/ { print $2 }' "/proc/$mp/status")"
var migrate.off_before "$(bytes_off "$mp" 1)"
hand_back numa_maps.migrate-before "/proc/$mp/numa_maps"
hand_back_cmd pin-migrate su -s /bin/sh nobody -c \
	"NUMALENS_STATE_DIR=/tmp/nobody-state numalens pin $mp --node 1 --apply --migrate-memory"
var migrate.off_after "$(bytes_off "$mp" 1)"
hand_back numa_maps.migrate-after "/proc/$mp/numa_maps"
affs "$mp" migrated
wl_stop "$mp"
wl_stop "$comp"
