#!/bin/bash
# The command line on the host kernel (make cli-test): exit statuses and
# messages for bad input, and a diagnosis of a workload whose placement is
# known. The host has one NUMA node: every access is local there. Needs root.
# Prints a line per check, then what it skipped and "N passed, N failed,
# N skipped" (tests/results-lib.sh).
set -u
unset COLUMNS LINES NO_COLOR # the caller's: the checks set their own

top=$(cd "$(dirname "$0")/../.." && pwd)
nl=$top/build/numalens
workload=$top/build/numa-workload
out=$(mktemp -d "${TMPDIR:-/tmp}/numalens-cli.XXXXXX")
wpid=""
# shellcheck source=tests/hostile-lib.sh
. "$top/tests/hostile-lib.sh"
trap '[ -n "$wpid" ] && kill "$wpid" 2>/dev/null; hostile_stop; rm -rf "$out"' EXIT

# shellcheck source=tests/results-lib.sh
. "$top/tests/results-lib.sh"
# shellcheck source=tests/cpu-lib.sh
. "$top/tests/cpu-lib.sh"

# Runs numalens, keeping its status, stdout and stderr.
run() {
	"$@" >"$out/stdout" 2>"$out/stderr"
	status=$?
}
stderr_has() { grep -q -- "$1" "$out/stderr"; }
jtrue() { jq -e "$@" "$out/stdout" >/dev/null; } # a jq condition on the last stdout
status_is() { [ "$status" -eq "$1" ] || { echo "  status $status, stderr: $(cat "$out/stderr")"; false; }; }

run "$nl" diagnose --duration 1 --pid 2147483000
check "vanished pid: exit 5" status_is 5
check "vanished pid: says so" stderr_has "no process with pid 2147483000"

run "$nl" diagnose --duration 1 --pid 0
check "--pid 0: exit 2, says what a pid is" \
	bash -c "[ $status -eq 2 ] && grep -q -- '--pid must be a process id' '$out/stderr'"
run "$nl" doctor extra
check "doctor with an argument: exit 2, names it" \
	bash -c "[ $status -eq 2 ] && grep -q \"doctor takes no arguments, not 'extra'\" '$out/stderr'"
run "$top/build/numatop-lite" --version
check "numatop-lite --version: exit 0, the version" \
	bash -c "[ $status -eq 0 ] && grep -q '^numatop-lite (numalens) ' '$out/stdout'"

run "$nl" unpin 2147483000
check "unpin of no process: exit 5, says so" \
	bash -c "[ $status -eq 5 ] && grep -q 'no process with pid 2147483000' '$out/stderr'"
run "$nl" unpin --help
check "unpin --help: unpin's own help" bash -c "[ $status -eq 0 ] && head -n 1 '$out/stdout' | grep -q '^Usage: numalens unpin PID'"
run "$nl" status --help
check "status --help: status's own help, with the exit status" \
	bash -c "[ $status -eq 0 ] && head -n 1 '$out/stdout' | grep -q '^Usage: numalens status' && grep -q '^Exit status:' '$out/stdout'"
run env NUMALENS_STATE_DIR="$out/no-such-dir" "$nl" status
check "status without a state directory: exit 0, no pins recorded" \
	bash -c "[ $status -eq 0 ] && grep -qx 'no pins recorded ($out/no-such-dir does not exist)' '$out/stdout'"
run env NUMALENS_STATE_DIR="$out/no-such-dir" "$nl" status 2147483000
check "status of a pid without a record: exit 1, says so" \
	bash -c "[ $status -eq 1 ] && grep -q 'pid 2147483000: no record of a pin' '$out/stderr'"
run "$nl" help diagnose
check "help diagnose: diagnose's help" bash -c "[ $status -eq 0 ] && head -n 1 '$out/stdout' | grep -q '^Usage: numalens diagnose'"
run "$nl" top -b -n abc
check "top -n abc: exit 2, one error" bash -c "[ $status -eq 2 ] && [ \$(wc -l <'$out/stderr') -eq 1 ]"

# numa-workload's --interleave (the VM tests' memory over both nodes): a
# comma-separated list of distinct nodes that exist, not with --mem-node.
run "$workload" --interleave 0,
check "numa-workload --interleave 0,: exit 2, says what the list is" \
	bash -c "[ $status -eq 2 ] && grep -q \"^numa-workload: --interleave wants comma-separated node numbers (e.g. 0,1), not '0,'\" '$out/stderr'"
run "$workload" --interleave 0,0
check "numa-workload --interleave 0,0: exit 2, a node twice" \
	bash -c "[ $status -eq 2 ] && grep -q \"^numa-workload: --interleave names a node twice: '0,0'\" '$out/stderr'"
run "$workload" --interleave 0,4096
check "numa-workload --interleave 0,4096: exit 2, no such node" \
	bash -c "[ $status -eq 2 ] && grep -q '^numa-workload: --interleave 4096: no such NUMA node' '$out/stderr'"
run "$workload" --interleave 0 --mem-node 0
check "numa-workload --interleave with --mem-node: exit 2" \
	bash -c "[ $status -eq 2 ] && grep -q -- '--interleave cannot be combined with --mem-node' '$out/stderr'"
run "$workload" --interleave 0 --size 8 --seconds 1
check "numa-workload --interleave 0: ready, exit 0" \
	bash -c "[ $status -eq 0 ] && grep -q '^ready pid=' '$out/stdout'"
# --extra NODE:MIB (memory the threads do not use) and --rusage-of (the
# kernel's count of a command's CPU time at its exit: the VM tests' known
# answer for a whole process).
run "$workload" --extra 0
check "numa-workload --extra 0: exit 2, says the form" \
	bash -c "[ $status -eq 2 ] && grep -q \"^numa-workload: --extra wants NODE:MIB (e.g. 1:8), not '0'\" '$out/stderr'"
run "$workload" --extra 0:4 --size 8 --seconds 1
check "numa-workload --extra 0:4: ready, exit 0" \
	bash -c "[ $status -eq 0 ] && grep -q '^ready pid=' '$out/stdout'"
# --release-policy (the VM tiering test's memory that starts on the slow
# node and that NUMA balancing may promote): the buffer placed by --mem-node,
# then under the default policy, its pages where they were (numa_maps).
run "$workload" --release-policy --size 8
check "numa-workload --release-policy alone: exit 2, needs --mem-node or --interleave" \
	bash -c "[ $status -eq 2 ] && grep -q '^numa-workload: --release-policy needs --mem-node or --interleave' '$out/stderr'"
for rel in "" --release-policy; do
	"$workload" --mem-node 0 $rel --size 8 --seconds 10 >"$out/rel$rel" 2>&1 &
	rpid=$!
	for _ in $(seq 100); do grep -q '^ready pid=' "$out/rel$rel" 2>/dev/null && break; sleep 0.1; done
	cat "/proc/$rpid/numa_maps" >"$out/rel$rel.maps" 2>/dev/null
	kill "$rpid" 2>/dev/null
	wait "$rpid" 2>/dev/null
done
# big POLICY FILE: a mapping under POLICY holds the 8 MiB buffer on node 0.
big() {
	awk -v pol="$1" '$2 == pol { for (i = 3; i <= NF; i++) if ($i ~ /^N0=/ && substr($i, 4) + 0 >= 2048) f = 1 }
		END { exit !f }' "$2"
}
released() {
	grep -q '^ready pid=' "$out/rel--release-policy" && ! grep -q ' bind:' "$out/rel--release-policy.maps" &&
		big default "$out/rel--release-policy.maps"
}
check "numa-workload --mem-node 0: the buffer on node 0 under bind:0" big bind:0 "$out/rel.maps"
check "numa-workload --mem-node 0 --release-policy: ready, the buffer on node 0 under the default policy, no bind: mapping" \
	released
run "$workload" --rusage-of sh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i + 1)); done
	cut -d" " -f1 /proc/$$/schedstat >&2; exit 3'
ns=$(sed -n 's/^rusage pid=[0-9]* status=3 cpu_ns=//p' "$out/stdout")
before=$(tail -n 1 "$out/stderr")
check "numa-workload --rusage-of: its exit status (3); its CPU time at exit (${ns:-none} ns) from what it read last (${before:-none} ns) to 20 ms more" \
	bash -c "[ $status -eq 3 ] && [ -n '$ns' ] && [ -n '$before' ] &&
		[ '$ns' -ge \$((${before:-0} - 1000)) ] && [ '$ns' -le \$((${before:-0} + 20000000)) ]"
# --no-thp: no huge pages anywhere in the process (the VM tests count one
# hinting fault per page), not only in its buffer; without it, the
# machine's default (THP_enabled 1 here).
thp_enabled() { # ARGS...: THP_enabled of a workload started with ARGS
	local wl i
	"$workload" "$@" --size 8 --seconds 5 >"$out/thp" 2>&1 &
	wl=$!
	for i in $(seq 100); do
		grep -q '^ready pid=' "$out/thp" && break
		sleep 0.1
	done
	awk '/^THP_enabled:/ { print $2 }' "/proc/$wl/status" 2>/dev/null
	kill "$wl" 2>/dev/null
	wait "$wl" 2>/dev/null
}
thp=$(thp_enabled --no-thp)
check "numa-workload --no-thp: THP off in the whole process (THP_enabled: ${thp:-none})" [ "$thp" = 0 ]
thp=$(thp_enabled)
check "numa-workload without --no-thp: THP as the machine has it (THP_enabled: ${thp:-none})" [ "$thp" = 1 ]

# getopt errors: one line, "numalens: ...", pointing at the command's --help;
# no usage dump, no "diagnose:" prefix.
error_line_is() { # PATTERN: exit 2 and one line on stderr, "numalens: ...PATTERN...--help"
	[ "$status" -eq 2 ] && [ "$(wc -l <"$out/stderr")" -eq 1 ] &&
		grep -q -- "^numalens: .*$1.*--help" "$out/stderr"
}
has_options() { # FILE OPTION...: each option is listed in FILE
	local f=$1 o
	shift
	for o in "$@"; do grep -qE -- "^ +$o\b" "$f" || { echo "  missing: $o"; return 1; }; done
}
one_line_error() { # NAME PATTERN: the last run
	check "$1: exit 2, one 'numalens:' line naming --help ($status: $(head -n 3 "$out/stderr" | tr '\n' '|'))" \
		error_line_is "$2"
}
for cmd in diagnose doctor top pin unpin status export selftest; do
	run "$nl" $cmd --bogus
	one_line_error "$cmd --bogus" "unknown option '--bogus'"
done
run "$top/build/numatop-lite" -x
one_line_error "numatop-lite -x" "unknown option '-x'.*numatop-lite"
run "$nl" diagnose --duration
one_line_error "diagnose --duration without a value" "option '--duration' needs a value"
run "$nl" diagnose -d
one_line_error "diagnose -d without a value" "option '-d' needs a value"
run "$nl" diagnose --json=yes
one_line_error "diagnose --json=yes" "option '--json' takes no value"
run "$nl" export --no
one_line_error "export --no: ambiguous, the options it could be" "ambiguous option '--no': --no-cgroup, --no-fentry, --no-pmu "

# Range messages say the range accepted: 0 is refused, so not "from 0".
run "$nl" diagnose --duration 0
check "diagnose --duration 0: exit 2, the range says above 0" \
	bash -c "[ $status -eq 2 ] && grep -q 'above 0 and up to 86400' '$out/stderr'"
run "$nl" pin 1 --duration 0
check "pin --duration 0: exit 2, the range says above 0" \
	bash -c "[ $status -eq 2 ] && grep -q 'above 0 and up to 3600' '$out/stderr'"
run "$nl" top -b --max-procs abc
check "top --max-procs abc: exit 2, one line with the range" \
	bash -c "[ $status -eq 2 ] && [ \$(wc -l <'$out/stderr') -eq 1 ] && grep -q 'from 16 to 4194304' '$out/stderr'"
run "$nl" top -b --width 5
check "top --width 5: exit 2, one line with the range" \
	bash -c "[ $status -eq 2 ] && [ \$(wc -l <'$out/stderr') -eq 1 ] && grep -q 'from 40 to 1024' '$out/stderr'"

# One option layer (issue 14): a bad number in any command is one line that
# names the option, the value and the range, and points at that --help.
bad_number() { # NAME OPTION VALUE RANGE, then the command
	local name=$1 option=$2 value=$3 range=$4
	shift 4
	run "$@"
	one_line_error "$name" "$option must be .*$range, not '$value' (see numalens [a-z]* "
}
bad_number "diagnose --top x" --top x "from 0 to 100000" "$nl" diagnose --top x
bad_number "doctor --max-procs 8" --max-procs 8 "from 16 to 4194304" "$nl" doctor --max-procs 8
bad_number "top --iterations 0" --iterations 0 "from 1 to 1000000000" "$nl" top -b -n 0
bad_number "top --min-rss lots" --min-rss lots "from 0 to 1024T" "$nl" top -b --min-rss lots
bad_number "export --max-processes 1e3" --max-processes 1e3 "from 0 to 100000" \
	"$nl" export --max-processes 1e3
bad_number "pin --sample-period 0" --sample-period 0 "from 1 to 4294967296" \
	"$nl" pin 1 --sample-period 0
bad_number "pin --min-remote-ratio 2" --min-remote-ratio 2 "from 0 to 1" \
	"$nl" pin 1 --min-remote-ratio 2
run "$nl" unpin 0x10
one_line_error "unpin 0x10" "PID must be a process id, a whole number from 1 to"
run "$nl" frobnicate
one_line_error "unknown command" "unknown command 'frobnicate' (see numalens "
run "$nl"
one_line_error "no command" "which command?.*(see numalens "
# Every front end takes the agent's options, and the thresholds where
# processes are flagged; its --help lists them.
for cmd in diagnose doctor top export pin selftest; do
	want="--no-pmu --pmu-rate --sample-period --max-procs --no-fentry --pmu-software --switch-accounting"
	[ "$cmd" = doctor ] || [ "$cmd" = selftest ] || want="$want --min-remote-ratio --min-rss --min-cpu"
	"$nl" $cmd --help >"$out/help" 2>&1
	# shellcheck disable=SC2086 # the words of want are the options
	check "$cmd --help lists the shared options" has_options "$out/help" $want
done
run "$nl" top --no-pmu --no-fentry --min-remote-ratio 0.5 --min-rss 1M --min-cpu 0 -b -n 1 -d 0.1
check "top --no-pmu and the thresholds: exit 0, a frame ($status: $(head -n 2 "$out/stderr" | tr '\n' '|'))" \
	bash -c "[ $status -eq 0 ] && [ -s '$out/stdout' ]"
run "$top/build/numatop-lite" --pmu-rate low --switch-accounting -b -n 1 -d 0.1
check "numatop-lite --pmu-rate low --switch-accounting: exit 0" status_is 0

run "$nl" diagnose --duration -3
check "bad duration: exit 2" status_is 2
check "bad duration: names the option" stderr_has -- "--duration must be"

run "$nl" diagnose --pid abc
check "bad pid: exit 2" status_is 2

run "$nl" diagnose --min-remote-ratio 2
check "bad --min-remote-ratio: exit 2, names the option" \
	bash -c "[ $status -eq 2 ] && grep -q -- '--min-remote-ratio must be' '$out/stderr'"

run "$nl" frobnicate
check "unknown command: exit 2" status_is 2
check "unknown command: named" stderr_has "unknown command 'frobnicate'"

run "$top/build/numatop-lite" </dev/null
check "numatop-lite without a terminal or -b: exit 2" status_is 2
check "numatop-lite without a terminal or -b: says so and names -b" \
	bash -c "grep -q 'needs a terminal' '$out/stderr' && grep -q -- '-b -n ITERATIONS' '$out/stderr'"

if need setpriv "no privileges: exit 3" "no privileges: names the capabilities"; then
	run setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$nl" diagnose --duration 1
	check "no privileges: exit 3" status_is 3
	check "no privileges: names the capabilities" stderr_has "missing CAP_BPF and CAP_PERFMON"
fi

# A workload with known placement: 2 threads, 64 MiB, all on node 0.
"$workload" --cpu-node 0 --mem-node 0 --size 64 --threads 2 --seconds 0 >"$out/workload" &
wpid=$!
for _ in $(seq 50); do grep -q ready "$out/workload" 2>/dev/null && break; sleep 0.1; done
# The kernel's on-CPU time of the workload, sampled all along, against
# numalens's over the window the report gives (its two reads).
cpu_sampler "$wpid" >"$out/samples.cpu" &
spid=$!
t_launch=$EPOCHREALTIME
"$nl" diagnose --duration 2 --pid "$wpid" --json >"$out/stdout" 2>"$out/stderr"
status=$?
t_exit=$EPOCHREALTIME
kill "$spid"
check "diagnose --json: exit 0" status_is 0
check "diagnose --json: valid JSON" jtrue .
j() { jq -r "$1" "$out/stdout"; }
check "one process reported, the one asked for" [ "$(j '.processes | length')" = 1 ]
check "its pid and comm" [ "$(j '.processes[0].pid') $(j '.processes[0].comm')" = "$wpid numa-workload" ]
# Each end is the moment a read began; read_seconds is the longer of the
# two reads (the first, with every thread new, can be the longer one).
check "the window: from its start to its end, inside the run ($t_launch -> $t_exit)" \
	jtrue --argjson a "$t_launch" --argjson b "$t_exit" \
	'$a <= .window.start and .window.start < .window.end and .window.end < $b and .window.read_seconds < $b - $a'
read -r w0 w1 wr <<<"$(j '"\(.window.start) \(.window.end) \(.window.read_seconds)"')"
cpu_check "on-CPU seconds on node 0 over the window" "$out/samples.cpu" \
	0 "$(awk -v t="$w0" -v r="$wr" 'BEGIN { printf "%.6f", t + r }')" "$wr" \
	"$(j '.processes[0].cpu_seconds_by_node["0"]')" \
	"$(awk -v t="$w1" -v r="$wr" 'BEGIN { printf "%.6f", t + r }')" "$wr"
check "its 64 MiB on node 0" jtrue '.processes[0].memory_bytes_by_node["0"] >= 67108864'
check "one node: remote ratio 0, best node 0" \
	jtrue '.processes[0].remote_ratio == 0 and .processes[0].best_node == 0'
check "sources: placement active, pmu inactive with a reason" \
	jtrue '.sources.placement.active and (.sources.pmu.active | not) and (.sources.pmu.reason | length > 0)'
check "topology: one node with every CPU" \
	jtrue --argjson n "$(nproc)" '.topology.nodes | length == 1 and (.[0].cpus | length) == $n' 

# rows FILE: the process table's rows, "PID CPU" each (the command is 16
# columns wide after the pid's 10 and may hold blanks; a row's second line,
# "exited during the window", has no pid).
rows() {
	sed -n '/^Processes, /,/^$/p' "$1" | sed '1,2d;/^$/d' |
		awk '$1 ~ /^[0-9]+$/ { pid = $1; $0 = substr($0, 28); print pid, $3 }'
}
listed() { rows "$1" | grep -q "^$2 "; }
most_cpu_first() { rows "$1" | awk 'NR > 1 && $2 > last { exit 1 } { last = $2 }'; }
# On one node every remote share is 0: most CPU first. (The workload is in
# the list, not necessarily in its top 3: a busy machine may have busier
# processes, as make test-load's beside two VMs did.)
run "$nl" diagnose --duration 1 --top 100
check "text report: exit 0" status_is 0
check "text report: lists the data sources" grep -q "^Data sources" "$out/stdout"
check_showing "$out/stdout" -- "text report: the workload is listed" listed "$out/stdout" "$wpid"
check_showing "$out/stdout" -- "text report: most CPU first (one node: no remote traffic)" \
	most_cpu_first "$out/stdout"
run "$nl" diagnose --duration 1 --top 2
check "--top 2: two processes listed ($(rows "$out/stdout" | wc -l))" [ "$(rows "$out/stdout" | wc -l)" -eq 2 ]
# sources FILE: the data-source section's lines (without its title);
# widest FILE: its widest line among them.
sources() { sed -n '/^Data sources$/,/^$/p' "$1" | sed '1d;$d'; }
widest() { sources "$1" | awk '{ if (length > m) m = length } END { print m + 0 }'; }
# wrapped FILE: no source line over 60 columns, and lines continued under
# the reason's column (28).
wrapped() { [ "$(widest "$1")" -le 60 ] && sources "$1" | grep -qE '^ {27}[^ ]'; }
check "text report into a pipe: one line per data source ($(sources "$out/stdout" | wc -l))" \
	[ "$(sources "$out/stdout" | wc -l)" -eq 6 ]
# On a terminal of 60 columns (script(1) gives it one), and with COLUMNS=60.
if need script "wrapped data sources on a terminal"; then
	script -qec "stty cols 60; '$nl' diagnose --duration 1 --top 3" /dev/null 2>/dev/null |
		tr -d '\r' >"$out/tty"
	check "on a 60-column terminal: the data sources wrap at 60 ($(widest "$out/tty") wide)" \
		wrapped "$out/tty"
fi
COLUMNS=60 "$nl" diagnose --duration 1 --top 3 >"$out/cols" 2>/dev/null
check "COLUMNS=60: the data sources wrap at 60 ($(widest "$out/cols") wide)" wrapped "$out/cols"
# One node: a verdict at the top says it once, no row repeats it.
check "text report: a one-line verdict right under the title" \
	bash -c "sed -n 2p '$out/stdout' | grep -qx 'verdict: no process loses time to remote memory: there is one NUMA node, so every memory access is local'"
check "text report: no row repeats that every access is local ($(grep -c 'all of its memory accesses are local' "$out/stdout"))" \
	bash -c "! grep -q 'all of its memory accesses are local' '$out/stdout'"
run "$nl" diagnose --duration 1 --json
check "JSON: the verdict, and no process flagged" \
	jtrue '(.verdict | startswith("no process loses time to remote memory")) and .flagged_processes == 0'

# Output that cannot be written fails the command, with the reason.
for cmd in "--help" "doctor" "diagnose --duration 1 --json" "diagnose --duration 1"; do
	# shellcheck disable=SC2086 # the words of cmd are its arguments
	"$nl" $cmd >/dev/full 2>"$out/stderr"
	status=$?
	check "$cmd >/dev/full: exit 1, says it cannot write ($status: $(tail -n 1 "$out/stderr"))" \
		bash -c "[ $status -eq 1 ] && grep -Eq 'cannot write the (standard output|report)' '$out/stderr'"
done
"$nl" doctor >&- 2>"$out/stderr"
status=$?
check "doctor with standard output closed: exit 1, says so ($status)" \
	bash -c "[ $status -eq 1 ] && grep -q 'cannot write the standard output: Bad file descriptor' '$out/stderr'"

run "$nl" doctor
check "doctor: exit 0" status_is 0
check "doctor: says plainly no hardware PMU is here" \
	grep -Eq "^ +pmu +inactive +no hardware memory sampling here" "$out/stdout"
check "doctor: says which sources the ratios come from" \
	grep -q "^summary: remote ratios come from .*no hardware PMU" "$out/stdout"
if [ "$(cat /proc/sys/kernel/numa_balancing)" = 0 ]; then
	check "doctor: numa_balancing inactive while kernel.numa_balancing is 0, and says why" \
		bash -c "grep -Eq '^ +numa_balancing +inactive .*kernel.numa_balancing is 0' '$out/stdout' &&
			! grep -Eq '^ +numa_balancing +active' '$out/stdout'"
else
	check "doctor: numa_balancing active while the kernel balances" \
		grep -Eq '^ +numa_balancing +active ' "$out/stdout"
fi
check "doctor: CPU time from sched_migrate_task, nothing on sched_switch" \
	bash -c "grep -Eq 'nl_sched_migrate +tp_btf/sched_migrate_task +attached' '$out/stdout' &&
		grep -Eq 'nl_sched_switch +tp_btf/sched_switch +not loaded' '$out/stdout' &&
		grep -Eq '^ +scheduler +active .*nothing on sched_switch' '$out/stdout'"
run "$nl" doctor --switch-accounting
check "doctor --switch-accounting: the sched_switch program is attached, and why" \
	bash -c "grep -Eq 'nl_sched_switch +tp_btf/sched_switch +attached' '$out/stdout' &&
		grep -Eq '^ +scheduler +active .*every context switch: asked for with --switch-accounting' '$out/stdout'"

# Hardware sampling: this host has no PMU; software page faults drive the
# same program, and the limits of perf events are reported with their fix.
run "$nl" diagnose --pmu-rate fast
check "bad --pmu-rate: exit 2 and names the values" \
	bash -c "[ $status -eq 2 ] && grep -q 'low, normal or high' '$out/stderr'"
run "$nl" doctor --no-pmu
check "doctor --no-pmu: pmu turned off" grep -Eq "^ +pmu +inactive +turned off \(--no-pmu\)" "$out/stdout"
run "$nl" doctor --pmu-software
check "doctor --pmu-software: the sampling program is attached" \
	grep -Eq "nl_mem_sample(_kctx)? +perf_event +attached" "$out/stdout"
# Without CAP_SYS_RESOURCE the descriptor limit cannot be raised: say so.
emfile=("EMFILE: doctor still works" "EMFILE: pmu inactive, names the limit and the fix")
if need setpriv "${emfile[@]}" && need prlimit "${emfile[@]}"; then
	run prlimit --nofile=64:64 setpriv --bounding-set=-sys_resource --inh-caps=-sys_resource \
		"$nl" doctor --pmu-software
	check "${emfile[0]} (status $status)" status_is 0
	check "${emfile[1]}" \
		grep -Eq "pmu +inactive +too many open files \(EMFILE\).*hard limit is 64.*CAP_SYS_RESOURCE" \
		"$out/stdout"
fi

# Names a process chooses (issue 12: tests/hostile-lib.sh), six processes
# for a comm holds 15 bytes: each comes out as text, '?' for what a
# terminal must not see, the rest as it is.
check "hostile names: the kernel holds each as written" hostile_start "${hostile_names[@]}"
pid_args=()
for p in "${hostile_pids[@]}"; do pid_args+=(--pid "$p"); done
has_all() { # FILE STRING...: each string is in FILE
	local f=$1 s
	shift
	for s in "$@"; do grep -qF -- "$s" "$f" || { echo "  missing: $s"; return 1; }; done
}

run "$nl" diagnose --duration 1 "${pid_args[@]}"
check "hostile names: diagnose exit 0" status_is 0
check "hostile names: diagnose text holds no ESC, no control byte" no_ctl "$out/stdout"
check "hostile names: diagnose text shows each name made text" \
	has_all "$out/stdout" "${hostile_shown[@]}"

run "$nl" diagnose --duration 1 --json "${pid_args[@]}"
check "hostile names: diagnose --json exit 0" status_is 0
check "hostile names: diagnose --json is valid JSON in strict UTF-8 (python3 -m json.tool)" \
	bash -c "PYTHONIOENCODING=utf-8:strict python3 -m json.tool <'$out/stdout' >/dev/null"
check "hostile names: diagnose --json holds no ESC, no control byte" no_ctl "$out/stdout"
want=$(printf '%s\n' "${hostile_shown[@]}" | jq -R . | jq -sc 'sort')
check "hostile names: diagnose --json comms are the names made text" \
	jtrue --argjson w "$want" '[.processes[].comm] | sort == $w'

: >"$out/pins"
for p in "${hostile_pids[@]}"; do
	"$nl" pin "$p" --node 0 >>"$out/pins" 2>&1
	echo "status $?" >>"$out/pins"
done
check "hostile names: pin PID --node 0 (plan only) exits 0 for each" \
	[ "$(grep -c '^status 0$' "$out/pins")" -eq ${#hostile_pids[@]} ]
check "hostile names: pin's plans hold no ESC, no control byte" no_ctl "$out/pins"
# The next-start command keeps the command line exact, in bash's $'...'.
check "hostile names: pin names each as text, the command line in \$'...'" \
	has_all "$out/pins" "(???[31mRED)" "(new?line)" "(q\"uo\"te)" \
	"\$'\\xff\\xfe\\x1b[31mRED'" "\$'new\\nline'"

top_pids=()
for p in "${hostile_pids[@]}"; do top_pids+=(-p "$p"); done
run "$top/build/numatop-lite" -b -n 1 -d 1 -w 200 "${top_pids[@]}"
check "hostile names: numatop-lite -b exit 0" status_is 0
check "hostile names: numatop-lite -b holds no ESC, no control byte" no_ctl "$out/stdout"
check "hostile names: numatop-lite -b shows each name made text" \
	has_all "$out/stdout" "${hostile_shown[@]}"
hostile_stop

# numalens selftest (its own file).
# shellcheck source=tests/cli/selftest.sh
. "$top/tests/cli/selftest.sh"

tally
