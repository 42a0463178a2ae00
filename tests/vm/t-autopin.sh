# numalens export --auto-pin on two nodes (CPUs 0-1 on node 0, 2-3 on node 1,
# 1 GiB each): of three workloads with their threads on node 0 and their
# memory on node 1, the exporter pins one allowlisted (by command or by
# cgroup) to node 1 by itself, suggested in the metrics first, then local;
# holds the other by the rate limit; leaves the one outside the allowlist
# alone, counted once; keeps CAP_SYS_NICE; verifies the pin (a gain, kept
# in the record); unpin undoes it. A dry run logs and counts, nothing
# changed; a pin of an interleaved workload gains nothing and is rolled
# back; --auto-pin without an allowlist exits 2.
# Sourced by run.sh.
# shellcheck shell=bash disable=SC2034,SC2016

T_NODES="0-1:1G 2-3:1G"
T_DISTS=""
T_GUEST=$VM_HERE/guest/autopin.sh
T_SECONDS=80 # its guest's time, about: run.sh boots the longest first

# lines_count FILE TEXT: how many lines of FILE hold TEXT.
lines_count() {
	grep -cF -- "$2" "$1" 2>/dev/null || true
}

t_check() {
	local d=$1 w p b v line n pinned held denied dry comm eff caps
	local m=$d/metrics.after s=$d/metrics.suggest log=$d/export.err

	check "kernel: numactl -H shows 2 nodes" grep -q '^available: 2 nodes' "$d/numactl-H"
	for w in allowed boxed denied; do
		b=$(numa_maps_bytes "$d/numa_maps.$w" 1)
		check "kernel: numa_maps puts the $w workload's 128 MiB on node 1 (got $b)" \
			ge "$b" $((128 * 1024 * 1024 * 9 / 10))
		check "kernel: the $w workload's threads start on 0-1 ($(aff_of "$d" "before-$w"))" \
			aff_all "$d" "before-$w" 0-1
	done
	check "kernel: the boxed workload is in cgroup /autopin-ok ($(tr '\n' ' ' <"$d/cgroup.boxed"))" \
		grep -qx '0::/autopin-ok' "$d/cgroup.boxed"

	pinned=$(vm_v "$d" pinned.pid)
	held=$(vm_v "$d" held.pid)
	denied=$(vm_v "$d" denied.pid)
	comm=numa-workload
	[ "$pinned" = "$(vm_v "$d" boxed.pid)" ] && comm=wl-boxed

	# The suggestion, in a scrape served before the action.
	check "the exporter served its metrics before and after the pin (last scrape: $(vm_v "$d" scrape.rc))" \
		bash -c "[ -s '$s' ] && [ -s '$m' ] && [ '$(vm_v "$d" scrape.rc)' = 0 ]"
	check "before the pin: a suggestion for pid $pinned, action affinity to node 1 ($(grep "^numalens_process_suggestion_info{pid=\"$pinned\"" "$s" 2>/dev/null | grep -o 'action=.*'))" \
		grep -q "^numalens_process_suggestion_info{pid=\"$pinned\",.*action=\"affinity\",numa_nodes=\"1\"} 1$" "$s"
	v=$(prom_value "$s" numalens_process_remote_ratio "pid=\"$pinned\"")
	check "before the pin: its remote ratio >= 0.9 (got $v)" num_ge "$v" 0.9
	check "before the pin: auto-pin enabled, no dry run" \
		bash -c "grep -qx 'numalens_autopin_enabled 1' '$s' && grep -qx 'numalens_autopin_dry_run 0' '$s'"

	# 1. One allowlisted workload pinned by the exporter itself.
	check "an allowlisted workload was pinned within $(vm_v "$d" pin.seconds) s of the exporter's start (pid ${pinned:-none}; allowed $(vm_v "$d" allowed.pid), boxed $(vm_v "$d" boxed.pid))" \
		bash -c "[ -n '$pinned' ] && { [ '$pinned' = '$(vm_v "$d" allowed.pid)' ] || [ '$pinned' = '$(vm_v "$d" boxed.pid)' ]; }"
	line=$(grep -F 'auto-pin: pinned pid' "$log" | head -n 1)
	check "log: exactly one pin, pid $pinned ($comm) to node 1 (CPUs 2-3), with its undo: $line" \
		bash -c "[ '$(lines_count "$log" 'auto-pin: pinned pid')' = 1 ] &&
			grep -qF 'numalens: auto-pin: pinned pid $pinned ($comm) to node 1 (CPUs 2-3): ' '$log' &&
			grep -qF 'undo: numalens unpin $pinned' '$log'"
	check "pinned: every thread on 2-3 ($(aff_of "$d" pinned))" aff_all "$d" pinned 2-3
	v=$(prom_value "$m" numalens_autopin_actions_total 'result="applied"')
	check "actions_total{result=\"applied\"} is 1 (got $v)" [ "$v" = 1 ]
	n=$(echo "$line" | sed -n 's/.*: \([0-9]*\) threads\? changed.*/\1/p')
	v=$(prom_value "$m" numalens_autopin_threads_changed_total)
	check "threads_changed_total ($v) = threads changed in the log (${n:-none}) = its threads ($(vm_v "$d" pinned.threads))" \
		bash -c "[ -n '$v' ] && [ '$v' = '$n' ] && [ '$v' = '$(vm_v "$d" pinned.threads)' ]"
	check "pinned: the record saves the affinity from before (0-1) and the target (2-3), as pin --apply" \
		bash -c "grep -qx 'original 0-1' '$d/pin-record' && grep -qx 'target 2-3' '$d/pin-record'"
	v=$(prom_value "$m" numalens_process_remote_ratio "pid=\"$pinned\"")
	check "pinned: the exporter's remote ratio <= 0.1 (got $v, $(vm_v "$d" after.seconds) s after)" \
		num_le "$v" 0.1
	diag_check "$d" pinned
	export PINNED=$pinned
	jq_check "pinned: diagnose's remote_ratio <= 0.1" "$d/pinned.json" \
		'proc($ENV.PINNED).remote_ratio' '. <= 0.1'
	jq_check "pinned: diagnose has nothing more to suggest" "$d/pinned.json" \
		'proc($ENV.PINNED).suggestion.action' '. == "none"'

	# 6. The rate limit holds the other allowlisted workload.
	v=$(prom_value "$m" numalens_autopin_held_total 'reason="rate_limit"')
	check "held_total{reason=\"rate_limit\"} >= 1 (got $v)" num_ge "$v" 1
	check "rate limit: the other allowlisted workload (pid $held) still on 0-1 ($(aff_of "$d" held))" \
		aff_all "$d" held 0-1
	check "rate limit: no record for it" [ -z "$(vm_v "$d" "record.$held")" ]
	check "allowlist: neither allowlisted workload (by command, by cgroup) said outside it" \
		bash -c "! grep -Eq 'auto-pin: pid ($(vm_v "$d" allowed.pid)|$(vm_v "$d" boxed.pid)) .*not in the allowlist' '$log'"

	# 2. The workload outside the allowlist: left alone, counted once.
	check "not allowed: pid $denied still on 0-1 ($(aff_of "$d" denied))" aff_all "$d" denied 0-1
	check "not allowed: no record for it" [ -z "$(vm_v "$d" "record.$denied")" ]
	line=$(grep -F "auto-pin: pid $denied " "$log" | head -n 1)
	check "log: once, it would be pinned but is not in the allowlist: $line" \
		bash -c "[ '$(lines_count "$log" 'not in the allowlist')' = 1 ] &&
			grep -Eq 'numalens: auto-pin: pid $denied \(wl-denied\) would be pinned \(.*\) but is not in the allowlist' '$log'"
	v=$(prom_value "$m" numalens_autopin_held_total 'reason="not_allowed"')
	check "held_total{reason=\"not_allowed\"} is 1 (got $v)" [ "$v" = 1 ]
	# (Node 1 now runs the pinned one: its threads may no longer fit there,
	# and the exporter's advisor, which may move memory, says node 0 then.)
	check "not allowed: still suggested, to node 1 or its memory to node 0 ($(grep "^numalens_process_suggestion_info{pid=\"$denied\"" "$m" | grep -o 'action=.*'))" \
		grep -Eq "^numalens_process_suggestion_info\{pid=\"$denied\",.*action=\"(affinity\",numa_nodes=\"1|migrate\",numa_nodes=\"0)\"\} 1$" "$m"
	v=$(prom_value "$m" numalens_process_remote_ratio "pid=\"$denied\"")
	check "not allowed: its remote ratio still >= 0.9 (got $v)" num_ge "$v" 0.9
	check "nothing failed, refused or dry-run ($(grep '^numalens_autopin_actions_total' "$m" | tr '\n' ' '))" \
		bash -c "[ '$(prom_value "$m" numalens_autopin_actions_total 'result="failed"')' = 0 ] &&
			[ '$(prom_value "$m" numalens_autopin_actions_total 'result="refused"')' = 0 ] &&
			[ '$(prom_value "$m" numalens_autopin_actions_total 'result="dry_run"')' = 0 ]"

	# The capability that moves other processes' threads.
	caps=$(awk '$2 == "CapEff:" { print $3 }' "$d/export.caps" | tr '\n' ' ')
	eff=$(awk '$2 == "CapEff:" { print $3 }' "$d/export.caps" | head -n 1)
	check "--auto-pin keeps CAP_SYS_NICE (bit 23) in every thread's CapEff: $caps" \
		bash -c "[ \$(echo '$caps' | wc -w) = 1 ] && [ \$(( (16#${eff:-0} >> 23) & 1 )) = 1 ]"
	check "no new privileges in every thread" \
		bash -c "[ -s '$d/export.caps' ] && ! grep -q 'NoNewPrivs:.*0' '$d/export.caps'"
	check "SIGTERM: the exporter exits 0 (got $(vm_v "$d" export.rc))" [ "$(vm_v "$d" export.rc)" = 0 ]

	# 3. unpin undoes it.
	check "unpin: exit 0 ($(vm_v "$d" unpin.rc): $(head -c 200 "$d/unpin" | tr '\n' ' '))" rc_is "$d" unpin 0
	check "unpin: every thread back on 0-1 ($(aff_of "$d" unpinned))" aff_all "$d" unpinned 0-1

	# 5. Dry run, through the textfile.
	dry=$(vm_v "$d" dry.pid)
	line=$(grep -F 'auto-pin: dry run:' "$d/dry.err" | head -n 1)
	check "dry run: logged within $(vm_v "$d" dry.seconds) s: $line" \
		grep -qF "numalens: auto-pin: dry run: pid $dry (numa-workload) would go to node 1 (CPUs 2-3)" "$d/dry.err"
	v=$(prom_value "$d/dry.prom" numalens_autopin_actions_total 'result="dry_run"')
	check "dry run: actions_total{result=\"dry_run\"} >= 1 (got $v)" num_ge "$v" 1
	v=$(prom_value "$d/dry.prom" numalens_autopin_actions_total 'result="applied"')
	check "dry run: actions_total{result=\"applied\"} is 0 (got $v)" [ "$v" = 0 ]
	check "dry run: the textfile says enabled, dry run" \
		bash -c "grep -qx 'numalens_autopin_enabled 1' '$d/dry.prom' && grep -qx 'numalens_autopin_dry_run 1' '$d/dry.prom'"
	check "dry run: no pin in the log" bash -c "! grep -q 'auto-pin: pinned pid' '$d/dry.err'"
	check "dry run: the threads still on 0-1 ($(aff_of "$d" dry))" aff_all "$d" dry 0-1
	check "dry run: no record" [ -z "$(vm_v "$d" dry.record)" ]
	check "dry run: SIGTERM, the exporter exits 0 (got $(vm_v "$d" dry-export.rc))" \
		[ "$(vm_v "$d" dry-export.rc)" = 0 ]

	# 8. The pin verified over 4 s of refreshes: a gain, kept, in the record.
	line=$(grep -F "auto-pin: verified pid $pinned " "$log" | head -n 1)
	check "verify: the pin held, logged with its numbers: $line" \
		grep -Eq "numalens: auto-pin: verified pid $pinned \($comm\) over [45] s: gain: the remote share went from (0\.9[0-9]|1\.00) to 0\.(0[0-9]|10) \(placement\)" "$log"
	v=$(prom_value "$m" numalens_autopin_verifications_total 'result="gain"')
	check "verify: verifications_total{result=\"gain\"} is 1 (got $v)" [ "$v" = 1 ]
	v=$(prom_value "$m" numalens_autopin_rolled_back_total)
	check "verify: rolled_back_total is 0 (got $v)" [ "$v" = 0 ]
	check "verify: the remote share's change (histogram) is at most -0.8, once ($(grep '^numalens_autopin_remote_share_change_\(count\|bucket{le="-0.8"}\)' "$m" | tr '\n' ' '))" \
		bash -c "[ '$(prom_value "$m" numalens_autopin_remote_share_change_count)' = 1 ] &&
			[ '$(prom_value "$m" numalens_autopin_remote_share_change_bucket 'le="-0.8"')' = 1 ]"
	check "verify: the record keeps the result: $(grep -E '^(verified|remote) ' "$d/pin-record" | tr '\n' ' ')" \
		bash -c "grep -Eq '^verified gain [0-9]+$' '$d/pin-record' &&
			awk '\$1 == \"remote\" && \$2 == \"placement\" && \$3 >= 900000 && \$4 <= 100000 { ok = 1 }
				END { exit !ok }' '$d/pin-record'"

	# 9. A pin that does not help, rolled back: memory interleaved over
	# both nodes (numa_maps: half on each), so the remote share stays 0.5.
	rollback_check "$d"

	# 7. No allowlist.
	check "--auto-pin without an allowlist: exit 2 ($(vm_v "$d" no-allowlist.rc)), says so: $(head -n 2 "$d/no-allowlist" | tr '\n' ' ')" \
		bash -c "[ '$(vm_v "$d" no-allowlist.rc)' = 2 ] && grep -Eq 'auto-pin-(comm|cgroup)|allowlist' '$d/no-allowlist'"
}

# aff_all2 DIR NAME1 NAME2 LIST: aff_all of both.
aff_all2() {
	aff_all "$1" "$2" "$4" && aff_all "$1" "$3" "$4"
}

# rollback_check DIR: the interleaved workload (16 MiB more on node 1),
# threads on node 0, pinned to node 1 with a gain threshold of 0.05,
# measured over 4 s, undone.
rollback_check() {
	local d=$1 spread log=$1/rollback.err m=$1/rollback.prom line b0 b1 after v
	spread=$(vm_v "$d" spread.pid)
	b0=$(numa_maps_bytes "$d/numa_maps.spread" 0)
	b1=$(numa_maps_bytes "$d/numa_maps.spread" 1)
	# 16 MiB more on node 1, give or take the ~2 MiB of libraries, stacks
	# and heap that land on either node.
	check "rollback: numa_maps puts half of the 128 MiB on each node, and 16 MiB more on node 1 ($b0 and $b1 bytes)" \
		bash -c "[ '$b0' -ge $((62 * 1024 * 1024)) ] && [ '$b1' -ge \$(( $b0 + 12 * 1024 * 1024 )) ] && [ '$b1' -le \$(( $b0 + 20 * 1024 * 1024 )) ]"
	check "rollback: the threads start on 0-1 ($(aff_of "$d" spread-before))" \
		aff_all "$d" spread-before 0-1
	line=$(grep -F "auto-pin: pinned pid $spread " "$log" | head -n 1)
	check "rollback: pinned once, $(awk -v a="$(vm_v "$d" rollback.start_at)" -v b="$(vm_v "$d" rollback.pin_at)" 'BEGIN { printf "%.1f", b - a }') s after the exporter's start, to node 1 with a plan that promised about 0.1: $line" \
		bash -c "[ '$(lines_count "$log" 'auto-pin: pinned pid')' = 1 ] &&
			echo '$line' | grep -Eq 'pinned pid $spread \(wl-spread\) to node 1 \(CPUs 2-3\): 2 threads changed; remote 5[3-7]% -> 4[3-7]% expected'"
	check "rollback: while pinned, the threads on 2-3 ($(aff_of "$d" spread-pinned))" \
		aff_all "$d" spread-pinned 2-3
	line=$(grep -F "auto-pin: rolled back pid $spread " "$log" | head -n 1)
	after=$(echo "$line" | sed -n 's/.* after \([0-9]*\) s: .*/\1/p')
	check "rollback: logged with why and the numbers: $line" \
		bash -c "echo '$line' | grep -Eq 'rolled back pid $spread \(wl-spread\) after [0-9]+ s: no_gain: the remote share went from 0\.5[3-7] to 0\.4[3-7] \(placement\): less of a drop than the gain asked; 2 threads given back their affinity \(0-1\); left alone for 600 s'"
	# The window (4 s) plus one refresh (1 s), by the exporter's monotonic
	# clock, rounded to whole seconds.
	check "rollback: within the window plus one refresh (after ${after:-?} s)" \
		bash -c "[ -n '$after' ] && [ '$after' -ge 4 ] && [ '$after' -le 5 ]"
	check "rollback: every thread back on 0-1 at once ($(aff_of "$d" spread-back)) and later ($(aff_of "$d" spread-later))" \
		aff_all2 "$d" spread-back spread-later 0-1
	check "rollback: its record is gone, as unpin leaves it" [ -z "$(vm_v "$d" rollback.record)" ]
	check "rollback: left alone for the cooldown: no second pin in 3 more refreshes" \
		[ "$(lines_count "$log" 'auto-pin: pinned pid')" = 1 ]
	check "rollback: metrics served (rc $(vm_v "$d" rollback.scrape.rc))" [ "$(vm_v "$d" rollback.scrape.rc)" = 0 ]
	v=$(prom_value "$m" numalens_autopin_rolled_back_total)
	check "rollback: rolled_back_total is 1 (got $v)" [ "$v" = 1 ]
	v=$(prom_value "$m" numalens_autopin_verifications_total 'result="no_gain"')
	check "rollback: verifications_total{result=\"no_gain\"} is 1 (got $v)" [ "$v" = 1 ]
	v=$(prom_value "$m" numalens_autopin_verifications_total 'result="gain"')
	check "rollback: verifications_total{result=\"gain\"} is 0 (got $v)" [ "$v" = 0 ]
	check "rollback: the change of the remote share is between -0.2 and -0.05, once ($(grep '^numalens_autopin_remote_share_change_\(count\|bucket{le="-0.05"}\|bucket{le="0.05"}\)' "$m" | tr '\n' ' '))" \
		bash -c "[ '$(prom_value "$m" numalens_autopin_remote_share_change_count)' = 1 ] &&
			[ '$(prom_value "$m" numalens_autopin_remote_share_change_bucket 'le="-0.2"')' = 0 ] &&
			[ '$(prom_value "$m" numalens_autopin_remote_share_change_bucket 'le="-0.05"')' = 1 ]"
	check "rollback: SIGTERM, the exporter exits 0 (got $(vm_v "$d" rollback-export.rc))" \
		[ "$(vm_v "$d" rollback-export.rc)" = 0 ]
}
