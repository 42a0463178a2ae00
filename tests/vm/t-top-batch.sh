# numatop-lite in batch mode on two nodes (CPUs 0-1 on node 0, 2-3 on node
# 1, 1 GiB each): the printed frames show a workload running on node 0 with
# its memory on node 1 as remote (>= 90%), and one all on node 0 as local.
# Sourced by run.sh.
# shellcheck shell=bash disable=SC2034,SC2016

T_NODES="0-1:1G 2-3:1G"
T_DISTS=""
T_GUEST=$VM_HERE/guest/top-batch.sh
T_SECONDS=55 # its guest's time, about: run.sh boots the longest first

# top_row FILE PID: the workload's row in the last frame of FILE.
top_row() {
	awk -v pid="$2" '/^numatop-lite / { row = "" } $1 == pid { row = $0 } END { print row }' "$1"
}

# top_field ROW N: the Nth word of a row (the command has no spaces).
top_field() {
	echo "$1" | awk -v n="$2" '{ print $n }'
}

# t_check DIR: DIR holds what the guest handed back (see vm_extract_all).
t_check() {
	local d=$1 remote loc b row pct

	b=$(numa_maps_bytes "$d/numa_maps.remote" 1)
	check "kernel: numa_maps puts the remote workload's 128 MiB on node 1 (got $b)" \
		ge "$b" $((128 * 1024 * 1024))
	remote=$(vm_v "$d" remote.pid)
	loc=$(vm_v "$d" local.pid)

	check "numatop-lite -b -n 2 -d 2 ends by itself, status 0 (got $(vm_v "$d" top.rc); $(head -c 200 "$d/top.err" | tr '\n' ' '))" \
		[ "$(vm_v "$d" top.rc)" = 0 ]
	check "2 frames printed (got $(grep -c '^numatop-lite ' "$d/top.out"))" \
		[ "$(grep -c '^numatop-lite ' "$d/top.out")" -eq 2 ]
	check "the frames say 2 nodes, 4 CPUs" grep -q '^numatop-lite .* 2 nodes 4 CPUs ' "$d/top.out"

	# PID COMMAND RMT% SRC RMT/s LCL/s CPU% MEMORY MEM-ON RUN-ON BEST PREF XMIG/s THR
	row=$(top_row "$d/top.out" "$remote")
	check "remote workload ($remote) is in the last frame: '$row'" [ -n "$row" ]
	pct=$(top_field "$row" 3)
	check "remote workload: remote ratio >= 90% (got $pct from $(top_field "$row" 4))" \
		[ "${pct%\%}" -ge 90 ] 2>/dev/null
	check "remote workload: its memory is on node 1, it runs on node 0 (bars $(top_field "$row" 10) $(top_field "$row" 11))" \
		bash -c "echo '$row' | grep -qE ' 1{10,} +0{10,} '"
	check "remote workload: best node 1 (got $(top_field "$row" 12))" [ "$(top_field "$row" 12)" = 1 ]

	row=$(top_row "$d/top.out" "$loc")
	check "local workload ($loc) is in the last frame: '$row'" [ -n "$row" ]
	pct=$(top_field "$row" 3)
	check "local workload: remote ratio <= 10% (got $pct)" [ "${pct%\%}" -le 10 ] 2>/dev/null
	check "local workload: best node 0 (got $(top_field "$row" 12))" [ "$(top_field "$row" 12)" = 0 ]

	# Without -p: the whole machine, the remote workload ranked first.
	check "numatop-lite -b without -p: status 0 (got $(vm_v "$d" all.rc))" [ "$(vm_v "$d" all.rc)" = 0 ]
	row=$(awk '/^ +PID COMMAND/ { getline; print; exit }' "$d/all.out")
	check "without -p: the remote workload ranks first: '$row'" [ "$(top_field "$row" 1)" = "$remote" ]
}
