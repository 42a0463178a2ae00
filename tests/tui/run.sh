#!/bin/bash
# numatop-lite on the host kernel (make tui-test): the screens' unit tests
# (the binaries given as arguments), then the view itself driven by tmux at
# 80x24 and at 200x50, keys sent and the screen read back with capture-pane,
# around a workload the test started with a known placement (node 0, 64 MiB,
# a 7-digit pid); then batch mode and the errors. Needs root (BPF, pid_max).
# Prints a line per check, then what it skipped and "N passed, N failed,
# N skipped" (tests/results-lib.sh).
set -u
unset COLUMNS LINES NO_COLOR # the caller's: the checks set their own

top=$(cd "$(dirname "$0")/../.." && pwd)
nl=$top/build/numatop-lite
workload=$top/build/numa-workload
out=$(mktemp -d "${TMPDIR:-/tmp}/numalens-tui.XXXXXX")
sock=numalens-tui-$$
wpid=""
pid_max=$(cat /proc/sys/kernel/pid_max)

# The server outlives the views' sessions (exit-empty off): when a view ends,
# its session closes a moment after its last command wrote the status, and a
# server that exits with its last session could be found still exiting, or
# still holding the session, by the next view's new-session ("duplicate
# session", then "no server running"). wait_closed waits for the session.
printf 'set -g exit-empty off\n' >"$out/tmux.conf"
T() { tmux -L "$sock" -f "$out/tmux.conf" "$@"; }
# wait_closed NAME: until the session NAME is gone (5 s), else closes it.
wait_closed() {
	local tries=25
	while T has-session -t "=$1" 2>/dev/null && [ "$tries" -gt 0 ]; do
		tries=$((tries - 1))
		sleep 0.2
	done
	T kill-session -t "=$1" 2>/dev/null
	return 0
}
cleanup() {
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null
	T kill-server 2>/dev/null
	[ "$(cat /proc/sys/kernel/pid_max)" = "$pid_max" ] || echo "$pid_max" >/proc/sys/kernel/pid_max
	rm -rf "$out"
}
trap cleanup EXIT

# shellcheck source=tests/results-lib.sh
. "$top/tests/results-lib.sh"

# The unit tests of the screens (cmocka), counted with the rest.
for bin in "$@"; do
	CMOCKA_MESSAGE_OUTPUT=stdout "$bin" >"$out/unit" 2>&1
	rc=$?
	grep -E '^\[ +(OK|FAILED) +\]|ERROR|Failure|\.c:[0-9]+' "$out/unit" | sed 's/^/  /'
	cmocka_results "$(basename "$bin")" "$out/unit" "$rc"
done

# wait_for PATTERN [SECONDS]: until a line of the pane matches the extended
# regular expression (default 8 s); the screen is left in $out/screen.
wait_for() {
	local pat=$1 tries=$((${2:-8} * 5))
	while [ "$tries" -gt 0 ]; do
		T capture-pane -p -t main >"$out/screen" 2>/dev/null
		grep -qE -- "$pat" "$out/screen" && return 0
		tries=$((tries - 1))
		sleep 0.2
	done
	return 1
}
# screen_has NAME PATTERN [SECONDS]: a check that waits for the pattern and
# shows the screen when it does not come.
screen_has() {
	if wait_for "$2" "${3:-8}"; then
		pass "$1"
	else
		fail "$1 (no line matching '$2'; the screen:)"
		sed 's/^/  | /' "$out/screen"
	fi
}
# screen_check NAME COMMAND...: a check of what a screen_has found drawn that
# captures the screen again until COMMAND holds (8 s): a capture can come
# while the view is still redrawing (a line at the top new, the rows below
# not yet), so one capture may show half of two frames.
screen_check() {
	local name=$1 tries=40
	shift
	until "$@"; do
		tries=$((tries - 1))
		if [ "$tries" -le 0 ]; then
			fail "$name (widest line $(widest); the screen:)"
			sed 's/^/  | /' "$out/screen"
			return
		fi
		sleep 0.2
		T capture-pane -p -t main >"$out/screen" 2>/dev/null
		T capture-pane -p -e -t main >"$out/screen.e" 2>/dev/null
	done
	pass "$name"
}
screen_lacks() { ! grep -qE -- "$1" "$out/screen"; }
# The process rows of the list on the screen (after the header line).
rows() { awk 'seen && /^ *[0-9]+ / { print } /^ +PID COMMAND/ { seen = 1 }' "$out/screen"; }
# column HEADER: the values under a right-aligned header, one per row.
column() {
	local h=$1
	awk -v h="$h" '
		/^ +PID COMMAND/ { pos = index($0, h); w = length(h); seen = 1; next }
		seen && pos && /^ *[0-9]+ / { v = substr($0, pos - 5 + w, 5); gsub(/ /, "", v); print v }' \
		"$out/screen"
}
widest() { awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$out/screen"; }
fits() { [ "$(widest)" -le "$1" ]; }
# header_within COLUMN WIDTH: the list's header names COLUMN, and no line is
# wider than WIDTH.
header_within() { grep -qE "^ +PID COMMAND .* $1( |\$)" "$out/screen" && fits "$2"; }
# sorted_by PID|CPU% SORT-FLAGS: at least two rows, in that order.
sorted_by() {
	local vals
	if [ "$1" = PID ]; then vals=$(rows | awk '{ print $1 }'); else vals=$(column "$1"); fi
	[ "$(echo "$vals" | wc -l)" -ge 2 ] && echo "$vals" | sort -c "$2"
}
has_row() { rows | grep -q "^ *$1 "; }
only_comm() { ! rows | grep -qv " $1 "; }

# The workload: 1 thread on node 0's CPUs, 64 MiB bound to node 0, and a
# pid of 7 digits (pid_max raised to its limit, 4194304, for its fork only).
if echo 4194304 >/proc/sys/kernel/pid_max 2>/dev/null; then
	echo 4194000 >/proc/sys/kernel/ns_last_pid
fi
# At the highest nice priority, so that its busy thread is busy on a loaded
# machine too (make test-load: stress-ng on every CPU) and shows > 50% CPU.
nice -n -20 "$workload" --cpu-node 0 --mem-node 0 --size 64 --threads 1 --seconds 0 \
	>"$out/workload" &
wpid=$!
echo "$pid_max" >/proc/sys/kernel/pid_max 2>/dev/null
for _ in $(seq 100); do grep -q ready "$out/workload" 2>/dev/null && break; sleep 0.1; done
check "workload ready, with a 7-digit pid ($wpid)" \
	bash -c "grep -q ready '$out/workload' && [ ${#wpid} -eq 7 ]"
tids=$(ls "/proc/$wpid/task")
nr_tids=$(echo "$tids" | wc -w)
node0_cpus=$(cat /sys/devices/system/node/node0/cpulist)

# ---- 80x24
T new-session -d -s main -x 80 -y 24 "$nl -d 1; echo \$? >$out/status.80"
screen_has "80x24: the list shows the workload" "^ *$wpid numa-workload "
screen_has "80x24: title line with nodes, CPUs and counts" \
	"^numatop-lite [0-9:]{8}  every 1s  1 node $(nproc) CPUs  [0-9]+ procs, [0-9]+ ran, [0-9]+ shown"
screen_check "80x24: header has PID COMMAND RMT% SRC RMT/s LCL/s CPU% MEM-ON RUN-ON BEST XMIG/s" \
	grep -qE '^ +PID COMMAND +RMT% SRC +RMT/s LCL/s +CPU% MEM-ON +RUN-ON +BEST XMIG/s$' "$out/screen"
screen_check "80x24: no line is wider than 80" fits 80
# One node: 0% remote from placement, memory and CPU bars all node 0, best node 0.
screen_check "80x24: workload row: 0% place, bars of node 0, best 0" \
	grep -qE "^ *$wpid numa-workload +0% place +[-0-9.kM]+ +[-0-9.kM]+ +[0-9.]+ 0{6,} +0{6,} +0 +0\.0$" "$out/screen"
# Its busy thread shows over 50% within a few refreshes (the first window can
# be shared with numatop-lite's own start, loading its BPF programs).
screen_has "80x24: the workload's CPU% is that of a busy thread (> 50)" \
	"^ *$wpid numa-workload +[0-9]+% [a-z]+ +[-0-9.kM]+ +[-0-9.kM]+ +([5-9][0-9]|[1-9][0-9]{2,})(\.[0-9])? "
T capture-pane -p -e -t main >"$out/screen.e"
screen_check "80x24: in colour on a colour terminal (TERM=$(T show-options -gv default-terminal))" \
	grep -qE $'\e\\[(3[0-7]|4[0-7])m' "$out/screen.e"

T send-keys -t main N
screen_has "sort N: PID ascending named" "sort: PID asc"
screen_check "sort N: rows in ascending pid order" sorted_by PID -n
T send-keys -t main N
screen_has "sort N again: PID descending" "sort: PID desc"
screen_check "sort N again: rows in descending pid order" sorted_by PID -rn
T send-keys -t main P
screen_has "sort P: CPU% descending" "sort: CPU% desc"
screen_check "sort P: CPU% column in descending order" sorted_by CPU% -rn

# At 80 columns MEMORY and THR are not in the default set: sorting by them
# brings them on screen, and the status line names what is shown.
for sort in M:MEMORY T:THR; do
	T send-keys -t main "${sort%%:*}"
	screen_has "sort ${sort%%:*} at 80 columns: ${sort#*:} descending named" "sort: ${sort#*:} desc"
	screen_check "sort ${sort%%:*} at 80 columns: the ${sort#*:} column is shown, within 80" \
		header_within "${sort#*:}" 80
done

T send-keys -t main /
screen_has "/ prompts for a command filter" "Filter by command"
T send-keys -t main -l "numa-wor"
T send-keys -t main Enter
screen_has "filter by name: shown in the status line" "filter: name~numa-wor"
screen_check "filter by name: our workload listed" has_row "$wpid"
screen_check "filter by name: every row is a numa-workload" only_comm numa-workload
T send-keys -t main f
T send-keys -t main -l 0
T send-keys -t main Enter
screen_has "filter by node 0: shown with the name" "filter: name~numa-wor node 0"
screen_check "filter by node 0: the workload stays" has_row "$wpid"
T send-keys -t main N N Home Enter
screen_has "Enter: detail of the workload, by pid" "^Process $wpid \(numa-workload\)  $nr_tids threads"
screen_check "detail: node 0 holds its 64 MiB (100%)" \
	grep -qE '^ +0 +[0-9.]+ +[0-9.]+ +6[4-9]\.[0-9] MiB +100%' "$out/screen"
screen_check "detail: remote 0% from placement, best node 0" \
	grep -qE '^Remote 0% from placement; best node 0' "$out/screen"
screen_check "detail: no ratio, no preferred node: said in words, no '-' or '-1'" \
	bash -c "grep -q '^Remote by source: pmu unknown, hint_faults unknown, placement 0%' '$out/screen' &&
		grep -qE 'node: (none|[0-9]+)\$' '$out/screen' && ! grep -qE ' -1\b| -,|placement -' '$out/screen'"
screen_check "detail: says why the node x node matrix is inactive" \
	grep -qE '^Node x node access matrix: inactive: .{10,}' "$out/screen"
screen_check "detail: hinting faults and balancing lines" \
	bash -c "grep -q '^Hinting faults' '$out/screen' && grep -q '^NUMA balancing in the window: [0-9]* moves' '$out/screen'"
T send-keys -t main End
screen_has "detail scrolled: its $nr_tids threads listed" "^Threads: $nr_tids$"
for tid in $tids; do
	screen_check "detail: thread $tid on a CPU of node 0" \
		grep -qE "^ *$tid numa-workload +[RSD] +[0-9]+ +0 +[0-9.]+s$" "$out/screen"
done
screen_check "detail: no line wider than 80" fits 80

T send-keys -t main b
screen_has "b: back to the list, filter kept" "filter: name~numa-wor node 0"
T send-keys -t main n
screen_has "n: node overview" "^Nodes: 1  CPUs: $(nproc)"
screen_check "nodes: node 0 with its CPUs ($node0_cpus)" grep -qE "^ +0 $node0_cpus +[0-9]+% " "$out/screen"
screen_check "nodes: distance of node 0 to itself is 10" \
	bash -c "awk '/^Distances/ { d = 1 } d && /^ +0 +10\$/ { ok = 1 } END { exit !ok }' '$out/screen'"
T send-keys -t main h
screen_has "h: help" "^Help: numatop-lite keys"
screen_check "help: names the quit and back keys" \
	bash -c "grep -q '^  q  *quit' '$out/screen' && grep -q '^  b or Esc  *back' '$out/screen'"
T send-keys -t main Escape
screen_has "Esc: back from help to the nodes" "^Nodes: 1"
T send-keys -t main b
screen_has "b: back to the list" "^ +PID COMMAND"

T send-keys -t main Space
screen_has "space: paused" "^numatop-lite PAUSED [0-9:]{8}"
clock1=$(sed -n 's/^numatop-lite PAUSED \([0-9:]*\).*/\1/p' "$out/screen")
sleep 2.2
wait_for "^numatop-lite PAUSED"
clock2=$(sed -n 's/^numatop-lite PAUSED \([0-9:]*\).*/\1/p' "$out/screen")
check "paused: no refresh in 2 s (clock $clock1 -> $clock2)" [ -n "$clock1" -a "$clock1" = "$clock2" ]
T send-keys -t main Space
screen_has "space again: refreshing again" "^numatop-lite [0-9:]{8} "

T resize-window -t main -x 200 -y 50
screen_has "resized to 200x50: the wide header" "PID COMMAND +RMT% SRC +RMT/s LCL/s +CPU% +MEMORY MEM-ON +RUN-ON +BEST PREF XMIG/s +THR$"
screen_check "200x50: the workload's row shows its memory and threads" \
	grep -qE "^ *$wpid numa-workload .* 6[4-9]\.[0-9] MiB 0{10,} +0{10,} +0 +[-0-9]+ +0\.0 +$nr_tids$" "$out/screen"
screen_check "200x50: no line wider than 200" fits 200
T resize-window -t main -x 30 -y 6
screen_has "resized to 30x6: says the terminal is too small" "^too small: 30x6, needs 40x8"
T resize-window -t main -x 80 -y 24
screen_has "resized back to 80x24: the narrow header" "^ +PID COMMAND +RMT% SRC +RMT/s LCL/s +CPU% MEM-ON +RUN-ON +BEST XMIG/s$"
screen_check "80x24 again: no line wider than 80" fits 80

T send-keys -t main q
for _ in $(seq 50); do [ -s "$out/status.80" ] && break; sleep 0.1; done
check "q: numatop-lite exits with status 0 (got $(cat "$out/status.80" 2>/dev/null))" \
	[ "$(cat "$out/status.80" 2>/dev/null)" = 0 ]
wait_closed main

# ---- 200x50, started there, as `numalens top`
T new-session -d -s main -x 200 -y 50 \
	"NO_COLOR=1 $top/build/numalens top -d 1 -s cpu; echo \$? >$out/status.200"
screen_has "200x50: the list, sorted by CPU%" "sort: CPU% desc"
T capture-pane -p -e -t main >"$out/screen.e"
check "200x50, NO_COLOR=1: monochrome, no colour codes" \
	bash -c "! grep -qE $'\e\\[(3[0-7]|4[0-7])m' '$out/screen.e'"
screen_check "200x50, NO_COLOR=1: the header still stands out (reverse video)" \
	grep -qE $'\e\\[([0-9]+;)*7m +PID COMMAND' "$out/screen.e"
screen_has "200x50: the workload listed" "^ *$wpid numa-workload "
T send-keys -t main /
T send-keys -t main -l "numa-wor"
T send-keys -t main Enter N N Home Enter
screen_has "200x50: detail of the workload" "^Process $wpid \(numa-workload\)"
screen_check "200x50: detail shows the threads without scrolling" grep -qE "^Threads: $nr_tids$" "$out/screen"
screen_check "200x50: detail shows 64 MiB on node 0" grep -qE '^ +0 +[0-9.]+ +[0-9.]+ +6[4-9]\.[0-9] MiB' "$out/screen"
T send-keys -t main h
screen_has "200x50: help" "^Help: numatop-lite keys"
# The help and the README say the same of RMT/s: memory samples, else hinting faults.
screen_check "help and README agree: RMT/s, LCL/s are accesses per second from memory samples, else hinting faults" \
	bash -c "grep -q '^  RMT/s, LCL/s  remote and local accesses per second: memory samples\$' '$out/screen' &&
		grep -q '^ *(pmu), else hinting faults; - where neither gives a rate\$' '$out/screen' &&
		tr '\n' ' ' <'$top/README.md' | grep -q 'RMT/s and LCL/s are remote and local accesses per second (memory samples, else hinting faults; \`-\` where neither gives a rate)'"
T send-keys -t main b
T send-keys -t main q
for _ in $(seq 50); do [ -s "$out/status.200" ] && break; sleep 0.1; done
check "200x50: q exits with status 0" [ "$(cat "$out/status.200" 2>/dev/null)" = 0 ]
wait_closed main

# ---- SIGHUP (the terminal went away): it ends and gives the terminal back
# as it found it (echo, canonical input).
T new-session -d -s main -x 80 -y 24 "$nl -d 1; echo \$? >$out/status.hup; stty -a >$out/stty.hup"
screen_has "SIGHUP: the view is up" "numatop-lite" 20
hup_pid=$(pgrep -n -f "^$nl -d 1\$")
kill -HUP "$hup_pid" 2>/dev/null
for _ in $(seq 50); do [ -s "$out/stty.hup" ] && break; sleep 0.2; done
check "SIGHUP: it ended (status $(cat "$out/status.hup" 2>/dev/null))" [ -s "$out/status.hup" ]
check "SIGHUP: echo and canonical input are back ($(grep -oE -- '-?(echo|icanon)( |$)' "$out/stty.hup" 2>/dev/null | tr '\n' ' '))" \
	bash -c "grep -qE -- '(^| )echo( |$)' '$out/stty.hup' && grep -qE -- '(^| )icanon( |$)' '$out/stty.hup'"
wait_closed main

# ---- batch mode
"$nl" -b -n 2 -d 1 >"$out/batch" 2>"$out/batch.err"
status=$?
check "batch -n 2 -d 1: status 0 ($status; $(head -c 200 "$out/batch.err"))" [ "$status" -eq 0 ]
check "batch: 2 frames" [ "$(grep -c '^numatop-lite ' "$out/batch")" -eq 2 ]
check "batch: the workload's pid in both frames" [ "$(grep -cE "^ *$wpid numa-workload " "$out/batch")" -eq 2 ]
check "batch: plain text, no escape codes" bash -c "! grep -q $'\033' '$out/batch'"
"$nl" -b -n 1 -d 0.5 -p 2 >"$out/batch.k" 2>&1
check "batch -p of a kernel thread: says why no row, names no interactive key" \
	bash -c "grep -q 'kernel threads and processes that exited are not seen' '$out/batch.k' && ! grep -q \"'a'\" '$out/batch.k'"
"$nl" -b -n 1 -d 1 -p "$wpid" >"$out/batch.p" 2>&1
check "batch -p PID: one row, the workload, with its 64 MiB on node 0" \
	bash -c "[ \$(grep -cE '^ *[0-9]+ ' '$out/batch.p') -eq 1 ] &&
		grep -qE '^ *$wpid numa-workload +0% place .* 6[4-9]\.[0-9] MiB 0+ +0+ +0 ' '$out/batch.p'"

# A reader that never reads: the pipe fills, the write blocks; a stop signal
# still ends it, promptly, with the status a stop signal gives at any moment.
mkfifo "$out/fifo"
for sig in TERM INT; do
	# shellcheck disable=SC2217 # holds the pipe's read end open, unread
	sleep 600 <"$out/fifo" &
	reader=$!
	"$nl" -b -d 0.1 -a >"$out/fifo" 2>"$out/fifo.err" &
	bpid=$!
	for _ in $(seq 300); do grep -q pipe_write "/proc/$bpid/wchan" 2>/dev/null && break; sleep 0.1; done
	blocked=$(cat "/proc/$bpid/wchan" 2>/dev/null)
	kill -"$sig" "$bpid"
	for _ in $(seq 30); do kill -0 "$bpid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$bpid" 2>/dev/null; then
		ended=no
		kill -KILL "$bpid"
	else
		ended=yes
	fi
	wait "$bpid"
	status=$?
	kill "$reader" 2>/dev/null
	wait "$reader" 2>/dev/null
	check "batch into a pipe nobody reads (blocked in $blocked): SIG$sig ends it within 3 s ($ended), status 0 ($status; $(head -c 200 "$out/fifo.err"))" \
		bash -c "[[ '$blocked' == *pipe_write* ]] && [ $ended = yes ] && [ $status -eq 0 ] && [ ! -s '$out/fifo.err' ]"
done

# ---- a terminal it cannot draw on: status 2 and a pointer to -b, before
# loading anything (as without a terminal), not a garbled screen.
for term in unset bogus dumb; do
	if [ "$term" = unset ]; then setenv="env -u TERM"; else setenv="env TERM=$term"; fi
	T new-session -d -s "term-$term" -x 80 -y 24 \
		"$setenv $nl -n 1 -d 0.5 2>$out/term.$term.err; echo \$? >$out/term.$term.status"
	for _ in $(seq 150); do [ -s "$out/term.$term.status" ] && break; sleep 0.2; done
	check "TERM $term: exit 2, says so and names -b ($(cat "$out/term.$term.status" 2>/dev/null): $(cat "$out/term.$term.err" 2>/dev/null))" \
		bash -c "[ \"\$(cat '$out/term.$term.status')\" = 2 ] && grep -q 'cannot draw on this terminal: .*TERM' '$out/term.$term.err' &&
			grep -q -- '-b -n ITERATIONS' '$out/term.$term.err'"
	wait_closed "term-$term"
done

"$nl" -d 1 </dev/null >"$out/notty" 2>"$out/notty.err"
status=$?
check "no terminal, no -b: non-zero exit ($status)" [ "$status" -ne 0 ]
check "no terminal, no -b: says so and names -b" \
	bash -c "grep -q 'needs a terminal' '$out/notty.err' && grep -q -- '-b' '$out/notty.err'"
"$nl" -b -d 0 >/dev/null 2>"$out/bad"
status=$?
check "bad delay: exit 2 and names the option" bash -c "[ $status -eq 2 ] && grep -q -- '--delay' '$out/bad'"
if need setpriv "no privileges: exit 3, the same message as diagnose"; then
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$nl" -b -n 1 >/dev/null 2>"$out/noperm"
	status=$?
	check "no privileges: exit 3, the same message as diagnose" \
		bash -c "[ $status -eq 3 ] && grep -q 'missing CAP_BPF and CAP_PERFMON' '$out/noperm'"
fi

tally
