# numalens pin and unpin on two nodes (CPUs 0-1 on node 0, 2-3 on node 1,
# 1 GiB each): threads on node 0 with memory on node 1 are moved to node 1,
# threads created during the apply included, and the diagnosis after shows
# them local; pin --verify measures the change; unpin restores;
# --migrate-memory moves the pages to node 0; a reused pid is left alone by
# unpin; refusals change nothing. Sourced by run.sh.
# shellcheck shell=bash disable=SC2034,SC2016

T_NODES="0-1:1G 2-3:1G"
T_DISTS=""
T_GUEST=$VM_HERE/guest/pin.sh
T_SECONDS=190 # its guest's time, about: run.sh boots the longest first

t_check() {
	local d=$1 b

	check "kernel: numactl -H shows 2 nodes" grep -q '^available: 2 nodes' "$d/numactl-H"
	b=$(numa_maps_bytes "$d/numa_maps.before-migrate" 1)
	check "kernel: numa_maps puts the workload's 128 MiB on node 1 before the migration (got $b)" \
		ge "$b" $((128 * 1024 * 1024 * 9 / 10))

	# The advisor, through diagnose and pin --node auto.
	AUTO=$(vm_v "$d" auto.pid)
	export AUTO
	diag_check "$d" before
	jq_check "before: remote_ratio >= 0.9" "$d/before.json" 'proc($ENV.AUTO).remote_ratio' '. >= 0.9'
	jq_check "before: diagnose suggests moving the threads to node 1 (CPUs 2-3), nothing to move" \
		"$d/before.json" 'proc($ENV.AUTO).suggestion | {action, nodes, cpus, move_bytes}' \
		'. == {"action": "affinity", "nodes": [1], "cpus": "2-3", "move_bytes": 0}'
	jq_check "before: the suggestion's commands: taskset now, numactl next start" "$d/before.json" \
		'[proc($ENV.AUTO).suggestion.commands[].command]' \
		"any(. == \"taskset -a -p -c 2-3 $AUTO\") and any(startswith(\"numactl --cpunodebind=1 --membind=1 \"))"
	check "before, text: the suggestion and its commands under the process" \
		bash -c "grep -q 'suggest: run its threads on node 1 (CPUs 2-3)' '$d/before-text' &&
			grep -q 'now         taskset -a -p -c 2-3 $AUTO' '$d/before-text'"
	check "pin (auto) dry run: exit 0 ($(vm_v "$d" pin-dry.rc))" rc_is "$d" pin-dry 0
	check "pin (auto) dry run: plans node 1's CPUs" \
		out_has "$d" pin-dry "plan: run its threads on node 1 (CPUs 2-3)"
	check "pin (auto) dry run: changes nothing" out_has "$d" pin-dry "dry run: nothing changed"
	check "pin (auto) --apply: exit 0 ($(vm_v "$d" pin-auto.rc))" rc_is "$d" pin-auto 0
	check "pin (auto) --apply: plans node 1's CPUs" \
		out_has "$d" pin-auto "plan: run its threads on node 1 (CPUs 2-3)"
	pinned_check "$d" pin-auto "$AUTO" 2 2-3 1
	check "pin (auto) --apply: every thread on 2-3 ($(aff_of "$d" auto))" aff_all "$d" auto 2-3

	# pin --verify: from remote to local, measured; exit 0 says the gain held.
	local shares
	shares=$(sed -n 's/^  remote share *\([0-9.]*\) -> \([0-9.]*\) .*/\1 \2/p' "$d/pin-verify")
	check "pin --verify: exit 0, the gain held ($(vm_v "$d" pin-verify.rc))" rc_is "$d" pin-verify 0
	check "pin --verify: says gain ($(grep '^verified:' "$d/pin-verify"))" \
		out_has "$d" pin-verify "verified: gain: the remote share went from"
	check "pin --verify: remote share from above 0.9 (${shares% *})" num_ge "${shares% *}" 0.9
	check "pin --verify: ... to below 0.1 (${shares#* })" num_le "${shares#* }" 0.1
	check "pin --verify: the record keeps the result and the shares" \
		bash -c "grep -qx 'verified gain 3000' '$d/verify-record' &&
			grep -Eq '^remote placement [0-9]+ [0-9]+\$' '$d/verify-record'"

	# 4 busy threads on node 0's 2 CPUs, memory on node 1: the load on node 1
	# would be what it is on node 0 now, so both front ends plan node 1.
	FOUR=$(vm_v "$d" four.pid)
	export FOUR
	diag_check "$d" four-before
	# (CPU time is counted at each switch: up to a slice per CPU over at each end.)
	jq_check "4 threads: 2 CPUs busy (1.9-2.02)" "$d/four-before.json" \
		'proc($ENV.FOUR).suggestion.cpus_used' '. >= 1.9 and . <= 2.02'
	jq_check "4 threads: node 1's load after the move is no higher than node 0's now" \
		"$d/four-before.json" 'proc($ENV.FOUR).suggestion | [.load_now, .target_load]' \
		'.[0] >= 0.95 and .[1] <= .[0] + 0.02'
	jq_check "4 threads: diagnose suggests their move to node 1 (CPUs 2-3), nothing to move" \
		"$d/four-before.json" 'proc($ENV.FOUR).suggestion | {action, nodes, cpus, move_bytes}' \
		'. == {"action": "affinity", "nodes": [1], "cpus": "2-3", "move_bytes": 0}'
	check "4 threads: pin (auto) --apply: exit 0 ($(vm_v "$d" pin-four.rc))" rc_is "$d" pin-four 0
	check "4 threads: pin (auto) plans what diagnose suggested ($(grep -E '^(plan|nothing)' "$d/pin-four"))" \
		bash -c "grep -q '^plan: run its threads on node 1 (CPUs 2-3), which holds' '$d/pin-four' &&
			grep -q '^plan: .*; no memory moves;' '$d/pin-four'"
	pinned_check "$d" pin-four "$FOUR" 5 2-3 1
	check "4 threads: all 5 threads on 2-3 ($(aff_of "$d" four))" \
		bash -c "[ '$(vm_v "$d" four.threads)' = 5 ] && grep -qx ' *5 2-3' '$d/aff.four'"
	diag_check "$d" four-after
	jq_check "4 threads, after: CPU time on node 1 only, 2 CPUs busy ([window, by node])" \
		"$d/four-after.json" '[.duration_seconds, proc($ENV.FOUR).cpu_seconds_by_node]' \
		'(.[1]["0"] // 0) <= 0.01 * .[1]["1"] and .[1]["1"] >= 1.9 * .[0]'
	jq_check "4 threads, after: remote_ratio <= 0.1, nothing more to suggest" \
		"$d/four-after.json" 'proc($ENV.FOUR) | [.remote_ratio, .suggestion.action]' \
		'.[0] <= 0.1 and .[1] == "none"'

	# pin --apply while threads appear, then a diagnosis and unpin.
	REMOTE=$(vm_v "$d" remote.pid)
	export REMOTE
	check "pin --node 1 --apply: exit 0 ($(vm_v "$d" pin-apply.rc): $(head -c 300 "$d/pin-apply" | tr '\n' ' '))" \
		rc_is "$d" pin-apply 0
	scans_check "$d" pin-apply "$REMOTE"
	check "pin: threads appeared while it worked ($(vm_v "$d" apply.threads_before) -> $(vm_v "$d" apply.threads_after))" \
		[ "$(vm_v "$d" apply.threads_after)" -gt "$(vm_v "$d" apply.threads_before)" ]
	check "pin: the record saves the affinity from before (0-1) and the target (2-3)" \
		bash -c "grep -qx 'original 0-1' '$d/pin-record' && grep -qx 'target 2-3' '$d/pin-record'"
	check "pin: all $(vm_v "$d" pinned.threads) threads on 2-3, those created since included ($(aff_of "$d" pinned))" \
		aff_all "$d" pinned 2-3
	check "pin: every thread the workload made is there (403)" [ "$(vm_v "$d" pinned.threads)" = 403 ]
	diag_check "$d" pinned
	jq_check "pinned: remote_ratio <= 0.1" "$d/pinned.json" 'proc($ENV.REMOTE).remote_ratio' '. <= 0.1'
	jq_check "pinned: CPU time is on node 1" "$d/pinned.json" \
		'proc($ENV.REMOTE).cpu_seconds_by_node' '(.["1"] // 0) > 0 and (.["0"] // 0) <= 0.1 * .["1"]'
	jq_check "pinned: nothing more to suggest" "$d/pinned.json" \
		'proc($ENV.REMOTE).suggestion.action' '. == "none"'
	check "unpin: exit 0 ($(vm_v "$d" unpin.rc))" rc_is "$d" unpin 0
	check "unpin: every thread back on 0-1 ($(aff_of "$d" unpinned))" aff_all "$d" unpinned 0-1

	# --migrate-memory: the pages go to node 0, where the threads are.
	check "pin --node 0 --migrate-memory: exit 0 ($(vm_v "$d" pin-migrate.rc))" rc_is "$d" pin-migrate 0
	check "pin --migrate-memory: reports the pages that could not move ($(grep '^memory:' "$d/pin-migrate"))" \
		grep -Eq '^memory: .* [0-9]+ pages? could not move' "$d/pin-migrate"
	b=$(numa_maps_bytes "$d/numa_maps.migrated" 0)
	check "pin --migrate-memory: numa_maps puts >= 90% of the 128 MiB on node 0 (got $b)" \
		ge "$b" $((128 * 1024 * 1024 * 9 / 10))
	check "pin --migrate-memory: threads on 0-1 ($(aff_of "$d" migrated))" aff_all "$d" migrated 0-1
	diag_check "$d" migrated
	jq_check "migrated: remote_ratio <= 0.1" "$d/migrated.json" 'proc($ENV.REMOTE).remote_ratio' '. <= 0.1'
	jq_check "migrated: memory_bytes_by_node[\"0\"] >= 90% of 128 MiB" "$d/migrated.json" \
		'proc($ENV.REMOTE).memory_bytes_by_node["0"]' ". >= $((128 * 1024 * 1024 * 9 / 10))"
	check "unpin after a migration: exit 0, says how to move the pages back" \
		bash -c "[ '$(vm_v "$d" unpin-migrated.rc)' = 0 ] && grep -q 'migratepages $REMOTE 0 1' '$d/unpin-migrated'"

	# A reused pid.
	check "reused pid: the new process got the pinned one's pid ($(vm_v "$d" reused.first))" \
		[ "$(vm_v "$d" reused.second)" = "$(vm_v "$d" reused.first)" ]
	check "reused pid: unpin exits 6 ($(vm_v "$d" unpin-reused.rc))" rc_is "$d" unpin-reused 6
	check "reused pid: unpin says the pid names another process" \
		out_has "$d" unpin-reused "now names another process"
	check "reused pid: the new process untouched, on 2-3 ($(aff_of "$d" reused))" aff_all "$d" reused 2-3

	# Refusals.
	check "cpuset without node 1's CPUs: exit 6 ($(vm_v "$d" pin-cpuset.rc))" rc_is "$d" pin-cpuset 6
	check "cpuset without node 1's CPUs: says so" \
		out_has "$d" pin-cpuset "its cpuset (cgroup /numalens-cpus: cpus 0-1, mems 0) does not allow CPUs 2-3 of node 1"
	check "cpuset without node 1's CPUs: nothing changed ($(aff_of "$d" cpuset))" \
		cmp -s "$d/aff.cpuset-before" "$d/aff.cpuset"
	check "cpuset without node 1's CPUs: the threads still on 0-1" aff_all "$d" cpuset 0-1
	check "cpuset without node 1's memory, --migrate-memory: exit 6" rc_is "$d" pin-cpuset-mems 6
	check "cpuset without node 1's memory: says so" \
		out_has "$d" pin-cpuset-mems "does not allow memory on node 1"
	check "cpuset without node 1's memory: affinity unchanged ($(aff_of "$d" cpuset-mems-before) -> $(aff_of "$d" cpuset-mems))" \
		cmp -s "$d/aff.cpuset-mems-before" "$d/aff.cpuset-mems"
	check "cpuset without node 1's memory: pages unmoved (numa_maps N1: $(numa_maps_bytes "$d/numa_maps.cpuset-mems" 1) bytes)" \
		[ "$(numa_maps_bytes "$d/numa_maps.cpuset-mems-before" 1)" = "$(numa_maps_bytes "$d/numa_maps.cpuset-mems" 1)" ]
	check "cpuset refusals: no record written" [ -z "$(vm_v "$d" cpuset.record)" ]
	check "kernel thread: exit 6, says so" \
		bash -c "[ '$(vm_v "$d" pin-kthread.rc)' = 6 ] && grep -q 'is a kernel thread' '$d/pin-kthread'"
	check "pid 1: exit 6, says so" \
		bash -c "[ '$(vm_v "$d" pin-init.rc)' = 6 ] && grep -q 'is the init process' '$d/pin-init'"
	check "vanished pid: exit 5, says so" \
		bash -c "[ '$(vm_v "$d" pin-gone.rc)' = 5 ] && grep -q 'no process with pid $(vm_v "$d" gone.pid)' '$d/pin-gone'"
}
