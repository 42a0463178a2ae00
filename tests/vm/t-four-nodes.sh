# Four nodes, one CPU and 512 MiB each, with a non-uniform distance matrix:
# topology and memory on the farthest node. Sourced by run.sh.
# shellcheck shell=bash disable=SC2034,SC2016

T_NODES="0:512M 1:512M 2:512M 3:512M"
T_DISTS="0-1:20 0-2:30 0-3:40 1-2:20 1-3:30 2-3:20"
T_GUEST=$VM_HERE/guest/four-nodes.sh
T_SECONDS=20 # its guest's time, about: run.sh boots the longest first
T_MATRIX='[[10,20,30,40],[20,10,20,30],[30,20,10,20],[40,30,20,10]]'

t_check() {
	local d=$1 b sysfs

	sysfs=$(awk '{ printf "%s[%s,%s,%s,%s]", (NR > 1 ? "," : "["), $3, $4, $5, $6 }
		END { print "]" }' "$d/nodes")
	check "kernel: sysfs distances are $T_MATRIX (got $sysfs)" [ "$sysfs" = "$T_MATRIX" ]
	check "kernel: sysfs puts CPU N on node N" \
		[ "$(awk '{ printf "%s:%s ", $1, $2 }' "$d/nodes")" = "0:0 1:1 2:2 3:3 " ]
	b=$(numa_maps_bytes "$d/numa_maps.far" 3)
	check "kernel: numa_maps puts the workload's 64 MiB on node 3 (got $b)" \
		ge "$b" $((64 * 1024 * 1024))

	FAR=$(vm_v "$d" far.pid)
	export FAR
	diag_check "$d" far
	jq_check "topology has nodes 0-3 with one CPU each" "$d/far.json" \
		'[.topology.nodes[] | [.id, .cpus]]' '. == [[0, [0]], [1, [1]], [2, [2]], [3, [3]]]'
	jq_check "topology distances are exactly qemu's" "$d/far.json" \
		'.topology.distances' ". == $T_MATRIX"
	jq_check "topology memory: each node near 512 MiB" "$d/far.json" \
		'[.topology.nodes[].memory_bytes]' \
		'length == 4 and all(. > 256 * 1048576 and . <= 512 * 1048576)'
	jq_check "far workload: memory_bytes_by_node[\"3\"] >= 90% of 64 MiB" "$d/far.json" \
		'proc($ENV.FAR).memory_bytes_by_node["3"]' ". >= $((64 * 1024 * 1024 * 9 / 10))"
	jq_check "far workload: remote_ratio >= 0.9" "$d/far.json" \
		'proc($ENV.FAR).remote_ratio' '. >= 0.9'
	jq_check "far workload: best_node == 3" "$d/far.json" 'proc($ENV.FAR).best_node' '. == 3'

	# bpf_cast_to_kern_ctx() came in 6.2: 6.1 gets the CO-RE variant.
	local variant=nl_mem_sample_kctx
	[ "$VM_KERNEL_LABEL" = 6.1 ] && variant=nl_mem_sample
	check "doctor --pmu-software: $variant attached on $VM_KERNEL_LABEL" \
		grep -Eq "^ +$variant +perf_event +attached" "$d/doctor-sw"
	check "doctor --pmu-software: pmu active from software page faults" \
		grep -Eq "^ +pmu +active +software" "$d/doctor-sw"
}
