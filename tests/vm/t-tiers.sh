# Memory tiers (issue 16): nodes 0 and 1 with a CPU and 512 MiB each, node 2
# with 512 MiB and no CPU, and an ACPI HMAT (qemu -machine hmat=on) that
# makes node 2 slower: 10 ns and 20 GiB/s from a node's own CPU, 20 ns and
# 10 GiB/s from the other CPU node, 30 ns and 5 GiB/s to node 2 from either.
# 6.12 computes each node's abstract distance from those figures and puts
# node 2 in a slower memory tier than nodes 0-1; 6.1 has memory tiers but
# does not read the HMAT for them, so all three share one tier. The guest
# hands back the tiers, the access0 figures, a diagnosis of a workload whose
# memory is bound to node 2 and, on 6.12, NUMA balancing in tiering mode
# (kernel.numa_balancing=2) promoting a workload's pages from node 2 to node
# 0. Sourced by run.sh.
# shellcheck shell=bash disable=SC2034,SC2016

T_NODES="0:512M 1:512M :512M"
T_DISTS=""
# Nodes 0 and 1 are their own initiators (qemu wants a CPU node to name
# itself), node 2's memory is attached to node 0.
T_INITIATORS="0 1 0"
# INIT-TARGET:LATENCY_NS:BANDWIDTH for every initiator-target pair.
T_HMAT_LB="0-0:10:20G 0-1:20:10G 0-2:30:5G 1-0:20:10G 1-1:10:20G 1-2:30:5G"
T_GUEST=$VM_HERE/guest/tiers.sh
T_SECONDS=40 # its guest's time, about: run.sh boots the longest first

# t_lb FIELD INIT TARGET: what T_HMAT_LB gave qemu for that pair; FIELD 2 is
# the latency (ns), 3 the bandwidth (qemu's units).
t_lb() {
	local w
	for w in $T_HMAT_LB; do
		[ "${w%%:*}" = "$2-$3" ] && echo "$w" | cut -d: -f"$1"
	done
}

# t_mbps BANDWIDTH: qemu's bandwidth (a byte count per second, K/M/G/T as
# powers of 1024) in the MB/s the kernel shows, qemu writing the HMAT in
# units of 1 MiB/s.
t_mbps() {
	case $1 in
	*T) echo $((${1%T} * 1024 * 1024)) ;;
	*G) echo $((${1%G} * 1024)) ;;
	*M) echo "${1%M}" ;;
	*) echo $(($1 / 1048576)) ;;
	esac
}

# t_tier DIR NODE: N of the memory_tierN whose nodelist holds NODE (the
# guest's reading of the nodelists, node_tiers).
t_tier() {
	awk -v n="$2" '$1 == n { print $2 }' "$1/node_tiers"
}

# t_access DIR NODE FILE: nodeNODE/access0/initiators/FILE as handed back.
t_access() {
	awk -v n="node$2" -v f="$3" '$1 == n && $2 == f { print $3 }' "$1/access"
}

# t_initiators DIR NODE: the initiators access0 names for NODE, "0 1".
t_initiators() {
	awk -v n="node$2" '$1 == n && $2 == "initiator" { sub("node", "", $3); print $3 }' "$1/access" |
		sort -n | tr '\n' ' ' | sed 's/ $//'
}

# t_adist_tier DIR: the tier mt_perf_to_adistance() (v6.7 on) gives node 2
# from its access0 figures against node 0's (the default DRAM's): abstract
# distance 576 (MEMTIER_ADISTANCE_DRAM, the middle of tier 4) times the
# latency ratio times the bandwidth ratio, in the kernel's integer order,
# over 128 (MEMTIER_CHUNK_SIZE). 576 * 60/20 * 40960/10240 = 6912: tier 54.
t_adist_tier() {
	awk '$2 ~ /_(latency|bandwidth)$/ { v[$1, $2] = $3 }
		END {
			l0 = v["node0", "read_latency"] + v["node0", "write_latency"]
			b2 = v["node2", "read_bandwidth"] + v["node2", "write_bandwidth"]
			if (!l0 || !b2) { print "none"; exit }
			a = int(576 * (v["node2", "read_latency"] + v["node2", "write_latency"]) / l0)
			a = int(a * (v["node0", "read_bandwidth"] + v["node0", "write_bandwidth"]) / b2)
			print int(a / 128)
		}' "$1/access"
}

# t_tiers_json DIR: the tiers as numalens is to report them, from the
# sysfs nodelists: [{"id", "nodes", "top"}] by id, a tier being top when it
# is no slower than the slowest tier holding a node with CPUs (0 and 1).
t_tiers_json() {
	jq -R -s -c '[split("\n")[] | select(length > 0) | split(" ") | select(length == 2) |
			{node: (.[0] | tonumber), id: (.[1] | tonumber)}] |
		group_by(.id) | map({id: .[0].id, nodes: map(.node)}) as $t |
		([$t[] | select(any(.nodes[]; . == 0 or . == 1)) | .id] | max) as $top |
		[$t[] | .top = (.id <= $top)]' "$1/node_tiers"
}

# t_nodes_json DIR: each node's tier fields as numalens is to report them,
# from the sysfs files the guest handed back; access null where the kernel
# shows no access0 figures.
t_nodes_json() {
	local d=$1 n tier top tiers acc all="[]" cpuless
	tiers=$(t_tiers_json "$d")
	for n in 0 1 2; do
		tier=$(t_tier "$d" "$n")
		top=$(echo "$tiers" | jq --argjson id "${tier:-null}" \
			'[.[] | select(.id == $id) | .top] | if length == 0 then true else .[0] end')
		cpuless=false
		[ "$n" = 2 ] && cpuless=true
		if [ -n "$(t_access "$d" "$n" read_latency)" ]; then
			acc=$(jq -n -c --argjson rl "$(t_access "$d" "$n" read_latency)" \
				--argjson wl "$(t_access "$d" "$n" write_latency)" \
				--argjson rb "$(t_access "$d" "$n" read_bandwidth)" \
				--argjson wb "$(t_access "$d" "$n" write_bandwidth)" \
				--arg inits "$(t_initiators "$d" "$n")" \
				'{read_latency_ns: $rl, write_latency_ns: $wl, read_bandwidth_mbps: $rb,
				  write_bandwidth_mbps: $wb,
				  initiators: ($inits | split(" ") | map(select(length > 0) | tonumber))}')
		else
			acc=null
		fi
		all=$(echo "$all" | jq -c --argjson id "$n" --argjson tier "${tier:-null}" \
			--argjson top "$top" --argjson cpuless "$cpuless" --argjson acc "$acc" \
			'. + [{id: $id, tier: $tier, top_tier: $top, cpuless: $cpuless, access: $acc}]')
	done
	echo "$all"
}

t_check() {
	local d=$1 t0 t1 t2 n b before after delta lat bw tiered=true

	check "kernel: numactl -H shows 3 nodes" grep -q '^available: 3 nodes' "$d/numactl-H"
	check "kernel: node 2 has no CPU" grep -Eq '^node 2 cpus: *$' "$d/numactl-H"
	check "kernel: /sys/devices/virtual/memory_tiering exists ($(vm_v "$d" memory_tiering))" \
		[ "$(vm_v "$d" memory_tiering)" = 1 ]
	check "kernel: demotion_enabled reads true or false ($(vm_v "$d" demotion_enabled))" \
		bash -c "[ '$(vm_v "$d" demotion_enabled)' = true ] || [ '$(vm_v "$d" demotion_enabled)' = false ]"
	t0=$(t_tier "$d" 0)
	t1=$(t_tier "$d" 1)
	t2=$(t_tier "$d" 2)
	if [ "$VM_KERNEL_LABEL" = 6.1 ]; then
		tiered=false
		check "kernel: 6.1 puts nodes 0-2 in one memory tier (tiers: $(tr '\n' ';' <"$d/tiers"))" \
			bash -c "[ -n '$t0' ] && [ '$t0' = '$t1' ] && [ '$t1' = '$t2' ]"
	else
		check "kernel: nodes 0-1 in one tier, node 2 in a slower one (tiers: $(tr '\n' ';' <"$d/tiers"))" \
			bash -c "[ -n '$t0' ] && [ '$t0' = '$t1' ] && [ -n '$t2' ] && [ '$t2' -gt '$t0' ]"
		n=$(t_adist_tier "$d")
		check "kernel: node 2's tier is the one mm/memory-tiers.c computes from access0 ($n)" \
			[ "$t2" = "$n" ]
	fi

	# What qemu was given for each node from its own initiator, as access0.
	for n in 0 1 2; do
		local init=$n
		[ "$n" = 2 ] && init=0
		lat=$(t_lb 2 "$init" "$n")
		bw=$(t_mbps "$(t_lb 3 "$init" "$n")")
		check "kernel: node $n access0: initiator node $init only ($(t_initiators "$d" "$n"))" \
			[ "$(t_initiators "$d" "$n")" = "$init" ]
		check "kernel: node $n access0: read and write latency $lat ns as qemu was given ($(t_access "$d" "$n" read_latency), $(t_access "$d" "$n" write_latency))" \
			[ "$(t_access "$d" "$n" read_latency) $(t_access "$d" "$n" write_latency)" = "$lat $lat" ]
		check "kernel: node $n access0: read and write bandwidth $bw MB/s as qemu was given ($(t_access "$d" "$n" read_bandwidth), $(t_access "$d" "$n" write_bandwidth))" \
			[ "$(t_access "$d" "$n" read_bandwidth) $(t_access "$d" "$n" write_bandwidth)" = "$bw $bw" ]
	done

	b=$(numa_maps_bytes "$d/numa_maps.bound" 2)
	check "kernel: numa_maps puts the bound workload's 64 MiB on node 2 (got $b)" \
		ge "$b" $((64 * 1024 * 1024))
	diag_check "$d" bound

	if $tiered; then
		check "test: the promotion ran (node tiers: $(tr "\n" ";" <"$d/node_tiers"))" \
			[ "$(vm_v "$d" promote.ran)" = 1 ]
		check "kernel: numa_balancing is 2, tiering mode, for the promotion ($(vm_v "$d" numa_balancing.promote))" \
			[ "$(vm_v "$d" numa_balancing.promote)" = 2 ]
		diag_check "$d" promote
		check "test: the promotion workload was stopped inside the diagnosis's window ($(vm_v "$d" promote.window_left) s left)" \
			num_ge "$(vm_v "$d" promote.window_left)" 0.5
		before=$(numa_maps_bytes "$d/numa_maps.promote-before" 2)
		after=$(numa_maps_bytes "$d/numa_maps.promote-after" 2)
		check "kernel: numa_maps puts the promotion workload's 64 MiB on node 2 before (got $before)" \
			ge "$before" $((64 * 1024 * 1024))
		check "kernel: node 2's share of the workload dropped ($before -> $after bytes; $(numa_maps_bytes "$d/numa_maps.promote-after" 0) on node 0 after)" \
			[ "$after" -lt "$before" ]
		delta=$(vmstat_delta "$d" vmstat.promote-attached vmstat.promote-stopped pgpromote_success)
		check "kernel: pages promoted in the window, pgpromote_success $delta (candidates: $(vmstat_delta "$d" vmstat.promote-attached vmstat.promote-stopped pgpromote_candidate); progress, seconds and pages: $(tr '\n' ';' <"$d/promote.progress"))" \
			[ "$delta" -gt 0 ]
		# Every page NUMA balancing migrated in the window was a promotion: the
		# workload is the only process it scans (the guest's shell and what
		# it starts, numalens too, are bound to every node).
		check "kernel: numa_pages_migrated in the window == pgpromote_success ($(vmstat_delta "$d" vmstat.promote-attached vmstat.promote-stopped numa_pages_migrated))" \
			[ "$(vmstat_delta "$d" vmstat.promote-attached vmstat.promote-stopped numa_pages_migrated)" = "$delta" ]
		check "kernel: no promotion after the workload stopped ($(vmstat_delta "$d" vmstat.promote-stopped vmstat.promote-after pgpromote_success))" \
			[ "$(vmstat_delta "$d" vmstat.promote-stopped vmstat.promote-after pgpromote_success)" = 0 ]
	else
		check "test: one tier, so no promotion phase ($(vm_v "$d" promote.ran))" \
			[ "$(vm_v "$d" promote.ran)" = 0 ]
	fi

	t_check_product "$d" "$tiered" "$t2"
}

# t_check_product DIR TIERED TIER2: numalens's tier reporting against the
# kernel's files.
t_check_product() {
	local d=$1 tiered=$2 t2=$3 delta
	BOUND=$(vm_v "$d" bound.pid)
	export BOUND
	jq_check "topology.memory_tiering is true" "$d/bound.json" \
		'.topology.memory_tiering' '. == true'
	jq_check "topology.tiers are the sysfs tiers $(t_tiers_json "$d")" "$d/bound.json" \
		'.topology.tiers' ". == $(t_tiers_json "$d")"
	jq_check "topology.nodes: tier, top_tier, cpuless and access0 figures as sysfs has them" \
		"$d/bound.json" '[.topology.nodes[] | {id, tier, top_tier, cpuless, access}]' \
		". == $(t_nodes_json "$d")"
	jq_check "bound workload: memory_bytes_by_tier[\"$t2\"] >= 90% of 64 MiB" "$d/bound.json" \
		"proc(\$ENV.BOUND).memory_bytes_by_tier[\"$t2\"]" ". >= $((64 * 1024 * 1024 * 9 / 10))"
	if $tiered; then
		jq_check "bound workload: slow_tier_share >= 0.9" "$d/bound.json" \
			'proc($ENV.BOUND).slow_tier_share' '. >= 0.9'
		jq_check "bound workload: slow_tier is true" "$d/bound.json" \
			'proc($ENV.BOUND).slow_tier' '. == true'
		jq_check "bound workload: the finding names the slow tier" "$d/bound.json" \
			'proc($ENV.BOUND).finding' 'test("slow"; "i") and test("tier"; "i")'
		# To a node with CPUs in the top tier: node 0, where it runs, or
		# node 1 when node 0's one CPU is busy with the guest's numalens.
		jq_check "bound workload: the suggestion moves its memory off node 2 to a top-tier node T, and says numactl --membind=T or --preferred=T, migratepages from 2 to T, NUMAPolicy=" \
			"$d/bound.json" 'proc($ENV.BOUND).suggestion | {t: .nodes, from: .move_from, text: ([.reason, .commands[]?.command] | join("\n"))}' \
			'(.t | length == 1 and (.[0] == 0 or .[0] == 1)) and (.from | index(2) != null) and
			 (.t[0] as $t | .text | test("numactl .*--(membind|preferred)=\($t)") and
			  test("migratepages [0-9]+ [0-9,]*2[0-9,]* \($t)") and test("NUMAPolicy="))'
		PROMOTE=$(vm_v "$d" promote.pid)
		export PROMOTE
		delta=$(vmstat_delta "$d" vmstat.promote-attached vmstat.promote-stopped pgpromote_success)
		jq_check "system.pgpromote_success == the kernel's $delta over the window" "$d/promote.json" \
			'.system.pgpromote_success' ". == $delta"
		jq_check "promotion workload: numa_balancing.promoted_pages == the kernel's $delta" \
			"$d/promote.json" 'proc($ENV.PROMOTE).numa_balancing.promoted_pages' ". == $delta"
	else
		jq_check "bound workload: slow_tier is false (one tier)" "$d/bound.json" \
			'proc($ENV.BOUND).slow_tier' '. == false'
		jq_check "system_findings has one_tier" "$d/bound.json" \
			'[.system_findings[]? | select(.id == "one_tier")]' 'length == 1 and (.[0].text | length > 0)'
	fi
}
