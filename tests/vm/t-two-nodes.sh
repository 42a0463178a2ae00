# Two nodes (CPUs 0-1 on node 0, 2-3 on node 1, 1 GiB each): placement,
# cross-node migrations and NUMA balancing. Sourced by run.sh.
# shellcheck shell=bash disable=SC2034,SC2016

T_NODES="0-1:1G 2-3:1G"
T_DISTS=""
T_GUEST=$VM_HERE/guest/two-nodes.sh
T_SECONDS=105 # its guest's time, about: run.sh boots the longest first

# t_check DIR: DIR holds what the guest handed back (see vm_extract_all).
t_check() {
	local d=$1 remote loc hop balance b before after

	# What the kernel itself says, so a numalens failure is not a test bug.
	check "kernel: numa_balancing is 1 (got $(vm_v "$d" numa_balancing))" [ "$(vm_v "$d" numa_balancing)" = 1 ]
	check "kernel: numactl -H shows 2 nodes" grep -q '^available: 2 nodes' "$d/numactl-H"
	b=$(numa_maps_bytes "$d/numa_maps.remote" 1)
	check "kernel: numa_maps puts the remote workload's 128 MiB on node 1 (got $b)" \
		ge "$b" $((128 * 1024 * 1024))
	b=$(numa_maps_bytes "$d/numa_maps.local" 0)
	check "kernel: numa_maps puts the local workload's 64 MiB on node 0 (got $b)" \
		ge "$b" $((64 * 1024 * 1024))
	before=$(awk '/^numa_pages_migrated /{print $2}' "$d/vmstat.attached")
	after=$(awk '/^numa_pages_migrated /{print $2}' "$d/vmstat.after")
	check "kernel: NUMA balancing migrated pages in the balancing window ($before -> $after)" \
		[ "${after:-0}" -gt "${before:-0}" ]
	check "kernel: the hop workload moved between nodes (moves: $(vm_v "$d" hop.moves))" \
		[ "$(vm_v "$d" hop.moves)" -ge 2 ]

	remote=$(vm_v "$d" remote.pid)
	loc=$(vm_v "$d" local.pid)
	hop=$(vm_v "$d" hop.pid)
	balance=$(vm_v "$d" balance.pid)
	export REMOTE=$remote LOCAL=$loc HOP=$hop BALANCE=$balance

	diag_check "$d" placement
	jq_check "topology has nodes 0 and 1 with CPUs 0-1 and 2-3" "$d/placement.json" \
		'[.topology.nodes[] | [.id, .cpus]]' '. == [[0, [0, 1]], [1, [2, 3]]]'
	jq_check "topology distances are [[10,20],[20,10]]" "$d/placement.json" \
		'.topology.distances' '. == [[10, 20], [20, 10]]'
	jq_check "remote workload: remote_ratio >= 0.9" "$d/placement.json" \
		'proc($ENV.REMOTE).remote_ratio' '. >= 0.9'
	jq_check "remote workload: memory_bytes_by_node[\"1\"] >= 90% of 128 MiB" \
		"$d/placement.json" 'proc($ENV.REMOTE).memory_bytes_by_node["1"]' \
		". >= $((128 * 1024 * 1024 * 9 / 10))"
	jq_check "remote workload: best_node == 1" "$d/placement.json" \
		'proc($ENV.REMOTE).best_node' '. == 1'
	# Its two threads stay on node 0's two CPUs: as much CPU per second in
	# the diagnosis's window as in the kernel's, around it, and none on node 1.
	local krate
	krate=$(awk -v c0="$(vm_v "$d" placement.cpu_before)" -v c1="$(vm_v "$d" placement.cpu_after)" \
		-v t0="$(vm_v "$d" placement.t_before)" -v t1="$(vm_v "$d" placement.t_after)" \
		'BEGIN { print (c1 - c0) / 1e9 / (t1 - t0) }')
	jq_check "remote workload: CPU per second on node 0 within 10% of the kernel's ($krate)" \
		"$d/placement.json" 'proc($ENV.REMOTE).cpu_seconds_by_node["0"] / .duration_seconds' \
		". >= 0.9 * $krate and . <= 1.1 * $krate"
	jq_check "remote workload: no CPU time on node 1" "$d/placement.json" \
		'proc($ENV.REMOTE).cpu_seconds_by_node["1"] // 0' '. == 0'
	jq_check "local workload: remote_ratio <= 0.1" "$d/placement.json" \
		'proc($ENV.LOCAL).remote_ratio' '. <= 0.1'
	jq_check "local workload: memory_bytes_by_node[\"0\"] >= 90% of 64 MiB" \
		"$d/placement.json" 'proc($ENV.LOCAL).memory_bytes_by_node["0"]' \
		". >= $((64 * 1024 * 1024 * 9 / 10))"

	diag_check "$d" hop
	# Each move changes the node of its two busy threads and of its main
	# thread (which makes the move), all inside the window.
	local moves
	moves=$(vm_v "$d" hop.moves_in_window)
	check "hopping workload: it made its 6 moves inside the window ($moves, $(vm_v "$d" hop.moves) in all)" \
		[ "$moves $(vm_v "$d" hop.moves)" = "6 6" ]
	check "hopping workload: its moves ended inside the window ($(vm_v "$d" hop.window_left) s left)" \
		num_ge "$(vm_v "$d" hop.window_left)" 0.5
	jq_check "hopping workload: 3 cross-node migrations per move ($moves moves)" "$d/hop.json" \
		'proc($ENV.HOP).migrations.cross_node' ". == 3 * $moves"

	diag_check "$d" balance
	jq_check "system.numa_balancing is true" "$d/balance.json" \
		'.system.numa_balancing' '. == true'
	jq_check "sources.hint_faults.method is fentry" "$d/balance.json" \
		'.sources.hint_faults' '.active == true and .method == "fentry"'
	# fentry on should_numa_migrate_memory too: promotions are counted.
	jq_check "sources.promotions is active, by fentry" "$d/balance.json" \
		'.sources.promotions' '.active == true and .method == "fentry"'
	t_check_balancing "$d" balance "$BALANCE" vmstat.attached vmstat.stopped vmstat.before vmstat.after
	jq_check "balancing workload: remote hint faults > 0 (its threads moved away from its memory)" \
		"$d/balance.json" 'proc($ENV.BALANCE).hint_faults.remote' '. > 0'
	t_check_unbound "$d"
}

# t_check_unbound DIR: the --unbound workload (a second t_check stage).
t_check_unbound() {
	local d=$1 n
	UNBOUND=$(vm_v "$d" unbound.pid)
	export UNBOUND
	diag_check "$d" unbound
	t_check_balancing "$d" unbound "$UNBOUND" vmstat.unbound_attached vmstat.unbound_stopped \
		vmstat.unbound_before vmstat.unbound_after
	n=$(vmstat_delta "$d" vmstat.unbound_attached vmstat.unbound_stopped numa_hint_faults)
	jq_check "unbound workload: every hint fault of the window counted (vmstat: $n, or <= 2 less: see t_check_balancing)" \
		"$d/unbound.json" 'proc($ENV.UNBOUND).hint_faults | .local + .remote' \
		". <= $n and . >= $n - 2"
}

# t_check_balancing DIR NAME TGID FROM TO BEFORE AFTER: NAME's NUMA-balancing
# counters in NAME.json against the kernel's own over the window in which the
# workload ran (between the numa_vmstat snapshots FROM and TO; stopped outside
# it; BEFORE and AFTER: before numalens started, after it ended):
# the pages its threads say were migrated (/proc/PID/task/TID/sched), the
# remote hinting faults (vmstat, with small pages: one per fault) and the
# scheduler's decisions (trace).
t_check_balancing() {
	local d=$1 name=$2 tgid=$3 from=$4 to=$5 outer_from=$6 outer_to=$7
	local migrated remote ev n before after
	# Empty when the guest did not get that far: then 0, and the checks fail
	# (an arithmetic error would end the run before the other kernel's).
	before=$(vm_v "$d" "$name.migrated_attached")
	after=$(vm_v "$d" "$name.migrated_stopped")
	migrated=$((${after:-0} - ${before:-0}))
	check "test: $name was stopped inside the diagnosis's window ($(vm_v "$d" "$name.window_left") s left)" \
		num_ge "$(vm_v "$d" "$name.window_left")" 0.5
	check "kernel: $name: NUMA balancing migrated pages of it in the window ($migrated)" \
		[ "$migrated" -gt 0 ]
	jq_check "$name: the kernel skipped no run of numalens's BPF programs" "$d/$name.json" \
		'.health.bpf_runs_missed' '. == 0'
	# Nothing dropped: before v6.4 a map update's error came back
	# zero-extended, and an insert that lost a race to another CPU (EEXIST)
	# was once taken for a full map, its event dropped (issue 11).
	jq_check "$name: numalens dropped no event (full maps, refused updates)" "$d/$name.json" \
		'.health | .procs_map_full + .proc_node_map_full + .map_updates_refused' '. == 0'
	jq_check "$name: numa_balancing.pages_migrated == the kernel's $migrated" "$d/$name.json" \
		"proc($tgid).numa_balancing.pages_migrated" ". == $migrated"
	jq_check "$name: hint_faults.migrated == the kernel's $migrated" "$d/$name.json" \
		"proc($tgid).hint_faults.migrated" ". == $migrated"
	# Both nodes are in one memory tier, the top one: no migration is a promotion.
	jq_check "$name: numa_balancing.promoted_pages == 0 (both nodes top tier)" "$d/$name.json" \
		"proc($tgid).numa_balancing.promoted_pages" '. == 0'
	# The workload is stopped at both ends of the window: the machine-wide
	# count by reason holds all of its migrations.
	jq_check "$name: system.migrated_pages_by_reason.numa_misplaced >= the kernel's $migrated" \
		"$d/$name.json" '.system.migrated_pages_by_reason.numa_misplaced' ". >= $migrated"
	# Every fault fentry saw since load is some process's. numalens ran
	# under a memory policy NUMA balancing leaves alone, so the workload is
	# the only process NUMA balancing scans (guest/two-nodes.sh), but a
	# hinting fault goes to the task that takes it, which need not be the
	# scanned one: once (6.12) fentry saw one remote fault more than the
	# workload's, outside the window, and vmstat's window had the workload's
	# (which task is not known: one that reads the workload's memory, as
	# numalens reading /proc/PID/cmdline does, could).
	for ev in local remote; do
		jq_check "$name: all processes' hint_faults.$ev == the $ev faults fentry saw since load, and the workload's no more" \
			"$d/$name.json" \
			"[.system.hint_faults_seen.$ev, .health.hint_pages_${ev}_since_load, proc($tgid).hint_faults.$ev]" \
			'.[0] == .[1] and .[2] <= .[1]'
	done
	# And those against the kernel's count: the workload's over the window,
	# fentry's since load over numalens's whole run (BEFORE to AFTER, when
	# only the workload and numalens could fault). vmstat counts a hinting
	# fault as it begins: one whose page another thread migrated meanwhile
	# (its PTE changed) is accounted to no task, and task_numa_fault() never
	# sees it. 0 to 2 such races a run here, with 2-3 threads on one buffer.
	remote=$(vmstat_delta "$d" "$from" "$to" numa_hint_faults -numa_hint_faults_local)
	jq_check "$name: the workload's remote hint faults == vmstat's over the window ($remote, or <= 2 less)" \
		"$d/$name.json" "proc($tgid).hint_faults.remote" ". <= $remote and . >= $remote - 2"
	remote=$(vmstat_delta "$d" "$outer_from" "$outer_to" numa_hint_faults -numa_hint_faults_local)
	jq_check "$name: remote hint faults fentry saw since load == vmstat's over numalens's run ($remote, or <= 2 less)" \
		"$d/$name.json" '.health.hint_pages_remote_since_load' ". <= $remote and . >= $remote - 2"
	check "kernel: the trace of $name is whole (events lost: $(vm_v "$d" "trace.$name.overrun"))" \
		[ "$(vm_v "$d" "trace.$name.overrun")" = 0 ]
	for ev in move swap stick; do
		n=$(numa_trace_count "$d/trace.$name" "sched_${ev}_numa" "$tgid")
		jq_check "$name: numa_balancing.${ev}s == the kernel's sched_${ev}_numa events ($n)" \
			"$d/$name.json" "proc($tgid).numa_balancing.${ev}s // 0" ". == $n"
	done
}
