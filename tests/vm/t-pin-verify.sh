# numalens pin --verify where the move cannot help, and pin
# --migrate-memory's account of the pages left behind, on two nodes (CPUs
# 0-1 on node 0, 2-3 on node 1, 1 GiB each). A workload on node 0 with its
# memory interleaved over both nodes is half remote before the pin to node 1
# and half remote after: no_gain, exit 7, in the output and the record. A
# workload on node 0 with its memory there, pinned to node 1 with its pages
# by its owner, nobody (a few pages shared with another process, which
# migrate_pages then leaves where they are and does not count): what
# pin says was off node 1 before and after is what the guest sums from
# numa_maps. Sourced by run.sh.
# shellcheck shell=bash disable=SC2034,SC2016

T_NODES="0-1:1G 2-3:1G"
T_DISTS=""
T_GUEST=$VM_HERE/guest/pin-verify.sh
T_SECONDS=35 # its guest's time, about: run.sh boots the longest first

# The remote share of the interleaved workload is 0.5 give or take what it
# has outside its buffer (~1.7 MiB of 130: stacks, heap, libraries, on
# whichever node the initramfs or the default policy put them) and the
# buffer's split, off by one 2 MiB huge page at most: |share - 0.5| <= 0.029.
# Measured over 7 runs per kernel: 0.485-0.515 on 6.1, 0.493-0.507 on 6.12.
PV_TOL=0.03

# fmt_bytes N: N bytes as numalens prints them (nl_format_bytes: "N B", else
# one decimal in the largest binary unit that keeps the value >= 1).
fmt_bytes() {
	awk -v b="$1" 'BEGIN {
		split("B KiB MiB GiB TiB PiB", u, " ")
		v = b; i = 1
		while (v >= 1024 && i < 6) { v /= 1024; i++ }
		if (i == 1) printf "%d B\n", b; else printf "%.1f %s\n", v, u[i]
	}'
}

# near_half X: X within PV_TOL of 0.5.
near_half() {
	num_ge "$1" "$(awk -v t="$PV_TOL" 'BEGIN { print 0.5 - t }')" &&
		num_le "$1" "$(awk -v t="$PV_TOL" 'BEGIN { print 0.5 + t }')"
}

t_check() {
	local d=$1 b0 b1 shares ppm il before after shared

	check "kernel: numa_balancing is 0 (got $(vm_v "$d" numa_balancing))" \
		[ "$(vm_v "$d" numa_balancing)" = 0 ]
	check "kernel: numactl -H shows 2 nodes" grep -q '^available: 2 nodes' "$d/numactl-H"

	# No gain: interleaved memory is as remote from node 1 as from node 0.
	grep ' interleave:0-1 ' "$d/numa_maps.interleave" >"$d/numa_maps.interleave.buf"
	b0=$(numa_maps_bytes "$d/numa_maps.interleave.buf" 0)
	b1=$(numa_maps_bytes "$d/numa_maps.interleave.buf" 1)
	check "kernel: numa_maps has the 128 MiB interleaved, half on each node ($b0 on 0, $b1 on 1)" \
		bash -c "[ $((b0 + b1)) -ge $((128 * 1024 * 1024)) ] &&
			[ $((b0 - b1)) -le $((2 * 1024 * 1024)) ] && [ $((b1 - b0)) -le $((2 * 1024 * 1024)) ]"
	grep ' interleave:0-1 ' "$d/numa_maps.interleave-after" >"$d/numa_maps.interleave-after.buf"
	check "kernel: the interleaved pages stayed where they were during the pin" \
		[ "$(numa_maps_bytes "$d/numa_maps.interleave-after.buf" 1)" = "$b1" ]
	il=$(vm_v "$d" interleave.pid)
	check "interleaved, pin --verify: exit 7, no gain ($(vm_v "$d" pin-interleave.rc))" \
		rc_is "$d" pin-interleave 7
	check "interleaved, pin --verify: says no_gain ($(grep '^verified:' "$d/pin-interleave"))" \
		grep -q '^verified: no_gain: the remote share went from [0-9.]* to [0-9.]* (placement): less of a drop than the gain asked$' \
		"$d/pin-interleave"
	pinned_check "$d" pin-interleave "$il" 2 2-3 1
	check "interleaved: every thread on 2-3 ($(aff_of "$d" interleave))" aff_all "$d" interleave 2-3
	shares=$(sed -n 's/^  remote share *\([0-9.]*\) -> \([0-9.]*\) (placement)$/\1 \2/p' "$d/pin-interleave")
	check "interleaved, pin --verify: remote share before about 0.5 (${shares% *}, +-$PV_TOL)" \
		near_half "${shares% *}"
	check "interleaved, pin --verify: ... and after about 0.5 too (${shares#* }, +-$PV_TOL)" \
		near_half "${shares#* }"
	check "interleaved: the record says no_gain over the 3 s ($(grep '^verified ' "$d/interleave-record"))" \
		grep -qx 'verified no_gain 3000' "$d/interleave-record"
	ppm=$(sed -n 's/^remote placement \([0-9]*\) \([0-9]*\)$/\1 \2/p' "$d/interleave-record")
	check "interleaved: the record's remote share before about 0.5 (${ppm% *} ppm)" \
		near_half "$(awk -v p="${ppm% *}" 'BEGIN { print p / 1e6 }')"
	check "interleaved: the record's remote share after about 0.5 (${ppm#* } ppm)" \
		near_half "$(awk -v p="${ppm#* }" 'BEGIN { print p / 1e6 }')"
	# (Both rounded: the record to the millionth, the output to the hundredth.)
	check "interleaved: the record's shares are the printed ones ($ppm ppm; $shares)" \
		awk -v r="$ppm" -v p="$shares" 'BEGIN {
			split(r, a, " "); split(p, b, " ")
			d0 = a[1] / 1e6 - b[1]; d1 = a[2] / 1e6 - b[2]
			exit !(b[2] != "" && d0 * d0 <= 0.0051 ^ 2 && d1 * d1 <= 0.0051 ^ 2)
		}'

	# --migrate-memory: what pin says is off node 1, against numa_maps.
	check "migrate: pin --node 1 --migrate-memory exit 0 ($(vm_v "$d" pin-migrate.rc))" \
		rc_is "$d" pin-migrate 0
	check "migrate: the workload runs as nobody (uid $(vm_v "$d" migrate.uid))" \
		[ "$(vm_v "$d" migrate.uid)" = 65534 ]
	pinned_check "$d" pin-migrate "$(vm_v "$d" misplaced.pid)" 2 2-3 1
	before=$(sed -n 's/^memory: \(.*\) was off the target before, .*/\1/p' "$d/pin-migrate")
	after=$(sed -n 's/^memory: .* was off the target before, \(.*\) after (where numa_maps .*/\1/p' \
		"$d/pin-migrate")
	b0=$(vm_v "$d" migrate.off_before)
	b1=$(vm_v "$d" migrate.off_after)
	check "kernel: numa_maps had >= 128 MiB off node 1 before ($b0 B), under 4 MiB after ($b1 B)" \
		bash -c "[ '$b0' -ge $((128 * 1024 * 1024)) ] && [ '$b1' -lt $((4 * 1024 * 1024)) ]"
	shared=$(grep ' file=/usr/bin/nw-shared ' "$d/numa_maps.migrate-after" | numa_maps_bytes /dev/stdin 0)
	check "kernel: pages it shares with the companion stayed on node 0 (numa_maps after: $shared B of nw-shared's file pages, $b1 B in all)" \
		bash -c "[ '$shared' -gt 0 ] && [ '$b1' -ge '$shared' ]"
	check "migrate: pin's bytes off node 1 before ($before) are numa_maps's just before ($b0 B: $(fmt_bytes "$b0"))" \
		[ "$before" = "$(fmt_bytes "$b0")" ]
	check "migrate: pin's bytes off node 1 after ($after) are numa_maps's right after ($b1 B: $(fmt_bytes "$b1"))" \
		[ "$after" = "$(fmt_bytes "$b1")" ]
	check "migrate: says migrate_pages counted every page moved, yet $after stayed on node 0" \
		out_has "$d" pin-migrate "memory: migrate_pages counted every page moved, yet $after is still on node 0"
	check "migrate: every thread on 2-3 ($(aff_of "$d" migrated))" aff_all "$d" migrated 2-3
}
