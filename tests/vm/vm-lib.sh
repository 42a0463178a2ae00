# Host side of the VM tests (bash, sourced): boots a Debian kernel under qemu
# with a chosen NUMA topology, gets back what the guest script handed back,
# and counts the checks (tests/results-lib.sh).
# shellcheck shell=bash disable=SC2016

VM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/prom-lib.sh
. "$VM_HERE/../prom-lib.sh"
# pass, fail, skip, check and tally; TEST_LABEL ("KERNEL TEST") prefixes results.
# shellcheck source=tests/results-lib.sh
. "$VM_HERE/../results-lib.sh"
VM_TOP=$(cd "$VM_HERE/../.." && pwd)
# shellcheck disable=SC2034 # used by run.sh
VM_OUT=${NUMALENS_VM_OUT:-$VM_TOP/build/vm}
VM_TIMEOUT=${NUMALENS_VM_TIMEOUT:-480}
# A guest that prints nothing for this long has hung (the guest scripts say
# something at least every minute under emulation on a loaded host).
VM_SILENCE=${NUMALENS_VM_SILENCE:-120}
# shellcheck disable=SC2034 # read by run.sh
VM_JOBS=${NUMALENS_VM_JOBS:-2}
TEST_LABEL=""

# vm_size_mib 512M|1G: prints the size in MiB.
vm_size_mib() {
	case $1 in
	*G) echo $((${1%G} * 1024)) ;;
	*M) echo "${1%M}" ;;
	*) echo "$1" ;;
	esac
}

# vm_boot KERNEL INITRD LOG NODES [DISTANCES [INITIATORS [HMAT_LB]]]
#   NODES: one "CPUS:SIZE" word per node, in node order, e.g. "0-1:1G 2-3:1G";
#   ":SIZE" is a node with memory and no CPU (qemu's "-numa node" without
#   cpus=).
#   DISTANCES: "SRC-DST:VAL" words, e.g. "0-1:20 0-2:30 1-2:20" (qemu takes
#   the reverse direction as equal when only one is given).
#   INITIATORS: one word per node, in node order: the node whose CPUs access
#   its memory best (qemu's initiator=; a node with CPUs must name itself),
#   or "-" for none. HMAT_LB: "INIT-TARGET:LATENCY:BANDWIDTH" words, the
#   latency in ns and the bandwidth in qemu's units (e.g. 5G: 5 GiB/s), each
#   one "-numa hmat-lb" of data-type access-latency and one of
#   access-bandwidth (hierarchy=memory); "0-2:30:5G". Either one turns the
#   ACPI HMAT on (-machine q35,hmat=on); without both, the command line is
#   what it always was.
# Boots KERNEL with INITRD, the serial console going to LOG, for at most
# NUMALENS_VM_TIMEOUT seconds, or NUMALENS_VM_SILENCE seconds without any
# output. Returns 0 when the guest script finished.
vm_boot() {
	local kernel=$1 initrd=$2 log=$3 nodes=$4 dists=${5:-} inits=${6:-} lbs=${7:-}
	local -a args=(-machine q35 -cpu max -nographic -no-reboot -nic none) init=()
	local node=0 mem=0 cpus=0 spec range size last d pair rc attempt numa lb

	if [ -n "$inits$lbs" ]; then
		args[1]=q35,hmat=on
		read -r -a init <<<"$inits"
	fi
	for spec in $nodes; do
		range=${spec%%:*}
		size=$(vm_size_mib "${spec#*:}")
		mem=$((mem + size))
		args+=(-object "memory-backend-ram,id=m$node,size=${size}M")
		numa="node,nodeid=$node"
		if [ -n "$range" ]; then
			last=${range##*-}
			[ "$((last + 1))" -gt "$cpus" ] && cpus=$((last + 1))
			numa+=",cpus=$range"
		fi
		numa+=",memdev=m$node"
		if [ -n "${init[$node]:-}" ] && [ "${init[$node]}" != - ]; then
			numa+=",initiator=${init[$node]}"
		fi
		args+=(-numa "$numa")
		node=$((node + 1))
	done
	for d in $dists; do
		pair=${d%%:*}
		args+=(-numa "dist,src=${pair%-*},dst=${pair#*-},val=${d##*:}")
	done
	for lb in $lbs; do
		pair="initiator=${lb%%-*},target=$(echo "$lb" | cut -d: -f1 | cut -d- -f2),hierarchy=memory"
		args+=(-numa "hmat-lb,$pair,data-type=access-latency,latency=$(echo "$lb" | cut -d: -f2)")
		args+=(-numa "hmat-lb,$pair,data-type=access-bandwidth,bandwidth=${lb##*:}")
	done
	args+=(-smp "$cpus" -m "${mem}M" -kernel "$kernel" -initrd "$initrd")
	# no_timer_check: on a loaded host the emulated IO-APIC timer can miss
	# the kernel's boot-time test, which then panics ("IO-APIC + timer
	# doesn't work!"); the check is for broken hardware, not for this.
	args+=(-append "console=ttyS0 quiet panic=-1 no_timer_check ${NUMALENS_VM_APPEND:-}")

	mkdir -p "$(dirname "$log")"
	echo "qemu-system-x86_64 ${args[*]}" >"$log.cmd"
	rm -f "$log.int3" "$log.silent"
	for attempt in 1 2; do
		rc=0
		vm_run_watched "$log" "${args[@]}" || rc=$?
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "vm: $kernel timed out after ${VM_TIMEOUT}s (log: $log)" >&2
		fi
		grep -q '@@GUEST-END' "$log" && return 0
		# A guest that went silent (seen on a loaded host, the 6.1 kernel
		# more than 6.12): boot once more, keeping the first log.
		if [ "$rc" -eq 125 ] && [ "$attempt" = 1 ]; then
			mv "$log" "$log.silent"
			echo "vm: $kernel printed nothing for ${VM_SILENCE}s (log: $log.silent);" \
				"booting again" >&2
			continue
		fi
		# Enabling a tracepoint patches kernel text (a static key in
		# __schedule for sched_switch) through a temporary int3. Under
		# qemu's multi-threaded TCG another vCPU can still run the stale
		# int3 after the patch, and the guest kernel dies of it. That is
		# the emulator, not numalens, and it shows on a loaded host: boot
		# once more, keeping the first log.
		[ "$attempt" = 1 ] && grep -qE 'int3: [0-9a-f]{4} \[#' "$log" || return 1
		mv "$log" "$log.int3"
		echo "vm: $kernel died of a stale int3 while kernel text was patched (a qemu TCG" \
			"race; log: $log.int3); booting again" >&2
	done
	return 1
}

# vm_run_watched LOG QEMU_ARGS...: runs qemu with its console in LOG; stops
# it after NUMALENS_VM_TIMEOUT seconds (status 124) or after
# NUMALENS_VM_SILENCE seconds in which LOG did not grow (status 125).
vm_run_watched() {
	local log=$1 qemu rc size last_size=-1 quiet=0
	shift
	timeout -k 10 "$VM_TIMEOUT" qemu-system-x86_64 "$@" </dev/null >"$log" 2>&1 &
	qemu=$!
	while kill -0 "$qemu" 2>/dev/null; do
		sleep 2
		size=$(stat -c %s "$log" 2>/dev/null || echo 0)
		if [ "$size" = "$last_size" ]; then
			quiet=$((quiet + 2))
		else
			quiet=0
			last_size=$size
		fi
		if [ "$quiet" -ge "$VM_SILENCE" ]; then
			kill "$qemu" 2>/dev/null
			wait "$qemu" 2>/dev/null
			return 125
		fi
	done
	wait "$qemu"
	rc=$?
	return "$rc"
}

# vm_extract LOG NAME: prints what the guest handed back under NAME.
vm_extract() {
	tr -d '\r' <"$1" | awk -v b="@@BEGIN $2@@" -v e="@@END $2@@" '
		index($0, e) { on = 0 }
		on { print }
		index($0, b) { on = 1 }'
}

# vm_var LOG KEY: prints the value the guest gave KEY (the last one).
vm_var() {
	tr -d '\r' <"$1" | sed -n "s/.*@@VAR $2=\(.*\)@@.*/\1/p" | tail -n 1
}

# Definitions available to every jq_check expression; $ENV.X reads exported X.
VM_JQ_DEFS='def proc($p): [.processes[]? | select(.pid == ($p | tonumber))][0];'

# jq_check DESCRIPTION JSON VALUE TEST: computes the jq expression VALUE on
# the file JSON, then passes when TEST (a jq expression on that value) holds.
# The value is shown in the result line.
jq_check() {
	local desc=$1 json=$2 value=$3 test=$4 v shown
	if [ ! -s "$json" ]; then
		fail "$desc (no JSON from numalens: $(head -c 200 "${json%.json}.err" 2>/dev/null | tr '\n' ' '))"
		return 0
	fi
	if ! v=$(jq -c "$VM_JQ_DEFS $value" "$json" 2>&1); then
		fail "$desc (jq: $(echo "$v" | head -n 1))"
		return 0
	fi
	# The test sees the whole value; the message a shortened one.
	shown=$v
	[ "${#shown}" -gt 300 ] && shown="${shown:0:300}..."
	if printf '%s\n' "$v" | jq -e "$test" >/dev/null 2>&1; then
		pass "$desc (got $shown)"
	else
		fail "$desc (got $shown)"
	fi
}

# numa_maps_bytes FILE NODE: bytes on NODE summed over a numa_maps file.
numa_maps_bytes() {
	awk -v n="N$2" '{
		ps = 4096
		for (i = 1; i <= NF; i++)
			if ($i ~ /^kernelpagesize_kB=/) { split($i, a, "="); ps = a[2] * 1024 }
		for (i = 1; i <= NF; i++) {
			split($i, a, "=")
			if (a[1] == n) b += a[2] * ps
		}
	} END { printf "%d\n", b }' "$1"
}

# pinned_check DIR NAME PID THREADS CPUS NODE: pin's output NAME has the
# line "pinned: THREADS threads of pid PID on CPUs CPUS (node NODE); THREADS
# changed, N scans" with N >= 2 (a scan that changed threads, then one that
# found none left). A "nothing to do" exits 0 too: this is what tells them apart.
pinned_check() {
	local d=$1 name=$2 pid=$3 threads=$4 cpus=$5 node=$6 line
	line=$(grep '^pinned: ' "$d/$name")
	check "$name: says '$line'" \
		grep -Eq "^pinned: $threads threads of pid $pid on CPUs $cpus \(node $node\); $threads changed, [0-9]+ scans? of /proc/$pid/task\$" "$d/$name"
	scans_check "$d" "$name" "$pid"
}

# scans_check DIR NAME PID: pin's "pinned:" line in NAME counts 2 scans or more.
scans_check() {
	local scans
	scans=$(sed -n "s|^pinned: .* changed, \([0-9]*\) scans\{0,1\} of /proc/$3/task\$|\1|p" "$1/$2")
	check "$2: at least 2 scans of /proc/$3/task (${scans:-no pinned line})" ge "${scans:-0}" 2
}

# ge A B: A >= B for integers.
ge() {
	[ "$1" -ge "$2" ]
}

# vm_extract_all LOG DIR: writes everything the guest handed back into DIR,
# one file per name, and the variables into DIR/vars (KEY=VALUE lines).
# shellcheck disable=SC2094 # reads LOG, writes DIR/NAME
vm_extract_all() {
	local log=$1 dir=$2 name
	rm -rf "$dir"
	mkdir -p "$dir"
	tr -d '\r' <"$log" | sed -n 's/.*@@BEGIN \([^@]*\)@@.*/\1/p' | sort -u |
		while read -r name; do
			vm_extract "$log" "$name" >"$dir/$name"
		done
	tr -d '\r' <"$log" | sed -n 's/.*@@VAR \([^@]*\)@@.*/\1/p' >"$dir/vars"
}

# vm_v DIR KEY: the value the guest gave KEY (from DIR/vars).
vm_v() {
	sed -n "s/^$2=//p" "$1/vars" | tail -n 1
}

# aff_all DIR NAME LIST: every thread in aff.NAME has the affinity LIST.
aff_all() {
	local f=$1/aff.$2
	[ -s "$f" ] && [ "$(awk 'END { print NR }' "$f")" = 1 ] &&
		[ "$(awk '{ print $2 }' "$f")" = "$3" ]
}

# aff_of DIR NAME: the "COUNT LIST" lines of aff.NAME on one line.
aff_of() {
	tr -s ' \n' ' ' <"$1/aff.$2"
}

# out_has DIR NAME TEXT: what the guest handed back as NAME holds TEXT.
out_has() {
	grep -qF -- "$3" "$1/$2"
}

# rc_is DIR NAME N: the command handed back as NAME exited with N.
rc_is() {
	[ "$(vm_v "$1" "$2.rc")" = "$3" ]
}

# diag_check DIR NAME: the diagnosis NAME ended by itself with status 0.
diag_check() {
	local rc over secs
	rc=$(vm_v "$1" "$2.rc")
	over=$(vm_v "$1" "$2.overran")
	secs=$(vm_v "$1" "$2.seconds")
	if [ "$rc" = 0 ] && [ -z "$over" ]; then
		pass "numalens diagnose ($2) ends by itself, status 0 (${secs} s)"
	elif [ -n "$over" ]; then
		fail "numalens diagnose ($2) still ran after its duration + grace; stopped by SIGINT (status $rc, ${secs} s)"
	else
		fail "numalens diagnose ($2) exits with status ${rc:-none}: $(head -c 300 "$1/$2.err" 2>/dev/null | tr '\n' ' ')"
	fi
}

# vmstat_delta DIR FROM TO KEY...: the sum of KEYs in DIR/TO less that in
# DIR/FROM (numa_vmstat snapshots); a key written -KEY is subtracted.
vmstat_delta() {
	local d=$1 from=$2 to=$3
	shift 3
	awk -v keys="$*" -v from="$d/$from" '
		BEGIN { n = split(keys, k, " ") }
		{ v[FILENAME == from ? "a" : "b", $1] = $2 }
		END {
			for (i = 1; i <= n; i++) {
				sign = 1; key = k[i]
				if (key ~ /^-/) { sign = -1; key = substr(key, 2) }
				s += sign * (v["b", key] - v["a", key])
			}
			printf "%d\n", s
		}' "$d/$from" "$d/$to"
}

# numa_trace_count FILE EVENT TGID: how many EVENT lines of a numa_trace_stop
# file name TGID as the thread moved (move, stick: its tgid or src_tgid) or,
# for sched_swap_numa, as either side: as numalens counts them per process.
numa_trace_count() {
	awk -v ev="$2:" -v tgid="$3" '
		{ hit = 0; seen = 0
		  for (i = 1; i <= NF; i++) {
			if ($i == ev) seen = 1
			if (!seen) continue
			if ($i == "tgid=" tgid || $i == "src_tgid=" tgid) hit = 1
			if (ev == "sched_swap_numa:" && $i == "dst_tgid=" tgid) hit = 1
		  }
		  n += seen && hit }
		END { printf "%d\n", n }' "$1"
}
