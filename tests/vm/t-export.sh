# numalens export on two nodes (CPUs 0-1 on node 0, 2-3 on node 1, 1 GiB
# each): the metrics of a workload running on node 0 with its memory on
# node 1 say remote (ratio >= 0.9, resident bytes on numa_node 1), one all
# on node 0 local, another user's on node 1 has its memory read; topology
# and distances; hinting faults per node; the capabilities it keeps on this
# kernel; the textfile the same. Sourced by run.sh.
# shellcheck shell=bash disable=SC2034,SC2016

T_NODES="0-1:1G 2-3:1G"
T_DISTS=""
T_GUEST=$VM_HERE/guest/export.sh
T_SECONDS=65 # its guest's time, about: run.sh boots the longest first

t_check() {
	local d=$1 remote loc other m b v v1 kept mask eff caps

	remote=$(vm_v "$d" remote.pid)
	loc=$(vm_v "$d" local.pid)
	other=$(vm_v "$d" other.pid)
	m=$d/metrics.2

	b=$(numa_maps_bytes "$d/numa_maps.remote" 1)
	check "kernel: numa_maps puts the remote workload's 128 MiB on node 1 (got $b)" \
		ge "$b" $((128 * 1024 * 1024))
	b=$(numa_maps_bytes "$d/numa_maps.other" 1)
	check "kernel: numa_maps puts another user's (daemon's) workload's 32 MiB on node 1 (got $b)" \
		ge "$b" $((32 * 1024 * 1024))
	check "the exporter served two scrapes (wget: $(vm_v "$d" scrape1.rc) $(vm_v "$d" scrape2.rc))" \
		[ "$(vm_v "$d" scrape1.rc)$(vm_v "$d" scrape2.rc)" = 00 ]
	check "SIGTERM: the exporter exits 0 (got $(vm_v "$d" export.rc))" [ "$(vm_v "$d" export.rc)" = 0 ]

	v=$(prom_value "$m" numalens_process_remote_ratio "pid=\"$remote\"")
	check "remote workload: remote ratio >= 0.9 (got $v, $(grep "^numalens_process_remote_ratio{pid=\"$remote\"" "$m" | grep -o 'source="[a-z_]*"'))" \
		num_ge "$v" 0.9
	v=$(prom_value "$m" numalens_process_resident_memory_bytes "pid=\"$remote\"" 'numa_node="1"')
	check "remote workload: resident bytes on numa_node 1 >= 90% of 128 MiB (got $v)" \
		num_ge "$v" $((128 * 1024 * 1024 * 9 / 10))
	v=$(prom_value "$m" numalens_process_resident_memory_bytes "pid=\"$remote\"" 'numa_node="0"')
	check "remote workload: resident bytes on numa_node 0 < 10% of 128 MiB (got $v)" \
		num_le "$v" $((128 * 1024 * 1024 / 10))
	v=$(prom_value "$m" numalens_process_cpu_seconds_total "pid=\"$remote\"" 'numa_node="0"')
	v1=$(prom_value "$m" numalens_process_cpu_seconds_total "pid=\"$remote\"" 'numa_node="1"')
	check "remote workload: on-CPU seconds on numa_node 0 ($v), next to none on 1 ($v1)" \
		bash -c "awk -v a='${v:-0}' -v b='${v1:-x}' 'BEGIN { exit !(a > 1 && b != \"x\" && b <= 0.1 * a) }'"
	v1=$(prom_value "$d/metrics.1" numalens_process_cpu_seconds_total "pid=\"$remote\"" 'numa_node="0"')
	check "remote workload: its CPU counter grew between scrapes ($v1 -> $v)" \
		bash -c "awk -v a='${v1:-x}' -v b='${v:-0}' 'BEGIN { exit !(a != \"x\" && b > a) }'"
	v=$(prom_value "$m" numalens_process_remote_ratio "pid=\"$loc\"")
	check "local workload: remote ratio <= 0.1 (got $v)" num_le "$v" 0.1
	v=$(prom_value "$m" numalens_process_resident_memory_bytes "pid=\"$loc\"" 'numa_node="0"')
	check "local workload: resident bytes on numa_node 0 >= 90% of 64 MiB (got $v)" \
		num_ge "$v" $((64 * 1024 * 1024 * 9 / 10))
	v=$(prom_value "$m" numalens_process_resident_memory_bytes "pid=\"$other\"" 'numa_node="1"')
	check "another user's workload: resident bytes on numa_node 1 >= 90% of 32 MiB (got $v)" \
		num_ge "$v" $((32 * 1024 * 1024 * 9 / 10))
	v=$(prom_value "$m" numalens_process_remote_ratio "pid=\"$other\"")
	check "another user's workload: remote ratio <= 0.1 (got $v)" num_le "$v" 0.1

	# Both kernels put two CPU nodes in the default tier, memory_tier4.
	check "topology: nodes 0 and 1 with CPUs 0-1 and 2-3, both in the top tier 4" \
		bash -c "grep -q '^numalens_numa_node_info{numa_node=\"0\",cpus=\"0-1\",memory_tier=\"4\",tier_class=\"top\"} 1$' '$m' &&
			grep -q '^numalens_numa_node_info{numa_node=\"1\",cpus=\"2-3\",memory_tier=\"4\",tier_class=\"top\"} 1$' '$m'"
	v=$(prom_value "$m" numalens_numa_node_distance 'numa_node="0"' 'to_numa_node="1"')
	check "distance from node 0 to node 1 is 20 (got $v)" [ "$v" = 20 ]
	check "hinting faults come from fentry here" \
		grep -q '^numalens_exporter_source_active{source="hint_faults",method="fentry"} 1$' "$m"
	check "per-node hinting-fault counters are exported" \
		grep -q '^numalens_process_numa_hint_faults_total{.*numa_node="1",locality="remote"} ' "$m"
	v=$(prom_value "$m" numalens_system_numa_hint_faults_total 'locality="local"')
	check "system hinting faults counted (local: $v; numa_balancing $(vm_v "$d" numa_balancing))" \
		num_ge "$v" 1

	# The capabilities: what the log says it keeps is what every thread has.
	kept=$(sed -n 's/.*keeping \(CAP_[A-Z_]*\): .*/\1/p' "$d/export.err" | tr '\n' ' ')
	mask=0
	for c in $kept; do
		case $c in
		CAP_SYS_PTRACE) mask=$((mask | 1 << 19)) ;;
		CAP_SYS_ADMIN) mask=$((mask | 1 << 21)) ;;
		CAP_PERFMON) mask=$((mask | 1 << 38)) ;;
		CAP_BPF) mask=$((mask | 1 << 39)) ;;
		esac
	done
	caps=$(awk '$2 == "CapEff:" { print $3 }' "$d/export.caps" | tr '\n' ' ')
	eff=$(awk '$2 == "CapEff:" { print $3 }' "$d/export.caps" | head -n 1)
	check "capabilities kept: ${kept}(unprivileged_bpf_disabled $(vm_v "$d" unprivileged_bpf_disabled)); every thread's CapEff: $caps" \
		bash -c "[ \$(echo '$caps' | wc -w) = 1 ] && [ \$((16#${eff:-x})) -eq $mask ] && [ $mask -ne 0 ]"
	check "every thread runs as nobody (uid and gid 65534), no groups: $(grep -E 'Uid|Gid|Groups' "$d/export.caps" | tr -s '\t ' ' ' | tr '\n' ';')" \
		bash -c "grep -Eq '^ *[0-9]+ Uid:\s+65534\s+65534\s+65534\s+65534$' '$d/export.caps' &&
			grep -Eq '^ *[0-9]+ Gid:\s+65534\s+65534\s+65534\s+65534$' '$d/export.caps' &&
			grep -Eq '^ *[0-9]+ Groups:\s*$' '$d/export.caps' &&
			[ \$(grep -c 'Uid:' '$d/export.caps') = 1 ]"
	check "no new privileges in every thread" \
		bash -c "! grep -q 'NoNewPrivs:.*0' '$d/export.caps'"

	check "textfile --once: status 0 (got $(vm_v "$d" textfile.rc))" [ "$(vm_v "$d" textfile.rc)" = 0 ]
	v=$(prom_value "$d/textfile" numalens_process_remote_ratio "pid=\"$remote\"")
	check "textfile: remote workload remote ratio >= 0.9 (got $v)" num_ge "$v" 0.9
	check "textfile: ends with the refresh duration" \
		bash -c "tail -n 1 '$d/textfile' | grep -q '^numalens_exporter_refresh_duration_seconds '"
}
