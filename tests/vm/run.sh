#!/bin/bash
# End-to-end tests in multi-node NUMA guests (make vm-test): boots Debian's
# 6.1 and 6.12 kernels under qemu with each test's topology, runs its guest
# script, and checks what numalens reported against the known placement.
#
# Usage: tests/vm/run.sh [-r] [-k KERNEL]... [TEST]...
#   KERNEL: 6.1 or 6.12 (default both); TEST: two-nodes, four-nodes (default
#   every tests/vm/t-*.sh). -r checks the logs of the last run again, without
#   booting. Logs and handed-back files go to build/vm/ (NUMALENS_VM_OUT).
#   NUMALENS_VM_TIMEOUT bounds each boot (default 480 s); NUMALENS_VM_JOBS
#   guests run at once (default 2, one per CPU of the machines here).
# Prints one PASS/FAIL/SKIP line per check, then what it skipped and
# "N passed, N failed, N skipped".
set -eu

# shellcheck source=tests/vm/vm-lib.sh
. "$(dirname "$0")/vm-lib.sh"

want_kernels=()
recheck=false
while getopts rk:h opt; do
	case $opt in
	r) recheck=true ;;
	k) want_kernels+=("$OPTARG") ;;
	h)
		sed -n '2,12s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	*)
		sed -n '2,12s/^# \{0,1\}//p' "$0" >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))

tests=()
if [ $# -gt 0 ]; then
	for t in "$@"; do
		t=${t#t-}
		t=${t%.sh}
		[ -f "$VM_HERE/t-$t.sh" ] || {
			echo "run.sh: no test $VM_HERE/t-$t.sh" >&2
			exit 2
		}
		tests+=("$t")
	done
else
	for f in "$VM_HERE"/t-*.sh; do
		t=${f##*/t-}
		tests+=("${t%.sh}")
	done
fi

for cmd in qemu-system-x86_64 jq cpio gzip timeout; do
	command -v "$cmd" >/dev/null || {
		fail "$cmd is installed (make deps)"
		give_up
	}
done

# "label path package" per kernel.
kernels=()
while read -r label path pkg; do
	if [ ${#want_kernels[@]} -gt 0 ] && ! printf '%s\n' "${want_kernels[@]}" | grep -qx "$label"; then
		continue
	fi
	echo "# kernel $label: $pkg"
	kernels+=("$label $path")
done < <("$VM_HERE/fetch-kernels.sh")
if [ ${#kernels[@]} -eq 0 ]; then
	fail "a kernel to boot (tests/vm/fetch-kernels.sh)"
	give_up
fi

start=$SECONDS
# Every guest (a test on a kernel) is a job: VM_JOBS of them run at once,
# the longest first (each test's T_SECONDS, about what its guest takes), so
# that no CPU waits for a slower guest; the checks then run in order, so the
# report reads the same. The initramfs is built once, each test's its
# script appended.
if ! $recheck; then
	"$VM_HERE/mkinitrd.sh" --base "$VM_OUT/base.cpio.gz"
	queue=()
	for t in "${tests[@]}"; do
		T_SECONDS=60
		# shellcheck source=/dev/null
		. "$VM_HERE/t-$t.sh"
		"$VM_HERE/mkinitrd.sh" --base "$VM_OUT/base.cpio.gz" "$VM_OUT/$t.cpio.gz" "$T_GUEST"
		for k in "${kernels[@]}"; do
			queue+=("$T_SECONDS $t $k")
		done
	done
	running=0
	while read -r _ t label kpath; do
		if [ "$running" -ge "$VM_JOBS" ]; then
			wait -n || true
			running=$((running - 1))
		fi
		log=$VM_OUT/$label/$t.log
		mkdir -p "$VM_OUT/$label"
		rm -f "$log.boot"
		(
			T_DISTS="" T_INITIATORS="" T_HMAT_LB=""
			# shellcheck source=/dev/null
			. "$VM_HERE/t-$t.sh"
			t0=$SECONDS rc=0
			vm_boot "$kpath" "$VM_OUT/$t.cpio.gz" "$log" "$T_NODES" "$T_DISTS" \
				"$T_INITIATORS" "$T_HMAT_LB" || rc=$?
			echo "$rc $((SECONDS - t0))" >"$log.boot"
		) &
		running=$((running + 1))
	done < <(printf '%s\n' "${queue[@]}" | sort -s -k1,1nr)
	wait
	echo "# guests done in $((SECONDS - start)) s"
fi
for t in "${tests[@]}"; do
	T_DISTS="" T_INITIATORS="" T_HMAT_LB=""
	# shellcheck source=/dev/null
	. "$VM_HERE/t-$t.sh"
	for k in "${kernels[@]}"; do
		label=${k%% *}
		TEST_LABEL="$label $t"
		# shellcheck disable=SC2034 # read by t_check: what differs between kernels
		VM_KERNEL_LABEL=$label
		dir=$VM_OUT/$label/$t
		log=$VM_OUT/$label/$t.log
		if $recheck; then
			check "guest ran its script and powered off (last run)" grep -q '@@GUEST-END' "$log"
		else
			read -r rc secs <"$log.boot" || rc=1 secs='?'
			if [ "$rc" = 0 ]; then
				pass "guest ran its script and powered off ($secs s)"
			else
				fail "guest did not finish in ${VM_TIMEOUT} s, went silent for ${VM_SILENCE} s twice, or crashed (log: $log)"
			fi
		fi
		vm_extract_all "$log" "$dir"
		# errexit is off inside t_check, so one broken check cannot stop the run.
		t_check "$dir" || fail "checks stopped early"
	done
done

echo "# $((SECONDS - start)) s; logs in $VM_OUT"
tally
