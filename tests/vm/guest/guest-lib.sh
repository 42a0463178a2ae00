# Helpers for the guest scripts of the VM tests (busybox sh, sourced by /init).
# shellcheck shell=sh

# var KEY VALUE: hands a value back to the host (vm_var in vm-lib.sh).
var() {
	echo "@@VAR $1=$2@@"
}

# hand_back NAME FILE: hands FILE's content back to the host under NAME
# (vm_extract in vm-lib.sh). Kernel messages are held back meanwhile so they
# do not land inside the content.
hand_back() {
	_printk=$(cut -f1 /proc/sys/kernel/printk)
	echo 1 >/proc/sys/kernel/printk
	echo "@@BEGIN $1@@"
	if [ -r "$2" ]; then
		cat "$2"
		[ -z "$(tail -c 1 "$2")" ] || echo
	fi
	echo "@@END $1@@"
	echo "$_printk" >/proc/sys/kernel/printk
}

# hand_back_cmd NAME CMD...: hands back CMD's standard output and error,
# its status (NAME.rc) and wall time (NAME.seconds: where a guest's time goes).
hand_back_cmd() {
	_name=$1
	shift
	_t0=$(cut -d' ' -f1 /proc/uptime)
	"$@" >"/tmp/cmd.$_name" 2>&1
	var "$_name.rc" $?
	var "$_name.seconds" "$(awk -v t0="$_t0" '{ print $1 - t0 }' /proc/uptime)"
	hand_back "$_name" "/tmp/cmd.$_name"
}

# wl_start NAME ARGS...: starts numa-workload ARGS in the background, waits
# for its "ready" line (60 s at most) and sets WL_PID. Hands back NAME.pid.
wl_start() {
	_name=$1
	shift
	wl_start_as "$_name" numa-workload "$@"
}

# wl_start_as NAME COMM ARGS...: wl_start, with a copy of numa-workload
# named COMM (its command name, for the allowlist).
wl_start_as() {
	_name=$1
	_comm=$2
	shift 2
	[ -x "/usr/bin/$_comm" ] || cp /usr/bin/numa-workload "/usr/bin/$_comm"
	"$_comm" "$@" >"/tmp/wl.$_name.out" 2>"/tmp/wl.$_name.err" &
	WL_PID=$!
	_i=0
	while ! grep -q '^ready pid=' "/tmp/wl.$_name.out" 2>/dev/null; do
		if ! kill -0 "$WL_PID" 2>/dev/null || [ "$_i" -ge 600 ]; then
			echo "guest: workload $_name ($_comm $*) did not get ready:"
			cat "/tmp/wl.$_name.err"
			var "$_name.pid" 0
			return 1
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	var "$_name.pid" "$WL_PID"
	echo "guest: workload $_name ($_comm) pid $WL_PID: $*"
}

# wl_stop PID: stops a workload started by wl_start and reaps it.
wl_stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# affs PID NAME: every thread's affinity (Cpus_allowed_list, what
# sched_getaffinity returns) as "COUNT LIST" lines, and NAME.threads.
affs() {
	for _s in /proc/"$1"/task/*/status; do
		awk '/^Cpus_allowed_list:/ { print $2 }' "$_s"
	done | sort | uniq -c >"/tmp/aff.$2"
	var "$2.threads" "$(ls /proc/"$1"/task | wc -l)"
	hand_back "aff.$2" "/tmp/aff.$2"
}

# diagnose_start NAME SECONDS ARGS...: starts "numalens diagnose --duration
# SECONDS ARGS --json" in the background (DIAG_PID), with a watchdog: still
# running SECONDS + DIAG_GRACE (default 30) seconds later, it gets SIGINT
# (SIGKILL 10 s on) and NAME.overran=1 tells the host.
diagnose_start() {
	_name=$1
	_secs=$2
	shift 2
	DIAG_PID=
	rm -f "/tmp/$_name.overran"
	if ! command -v numalens >/dev/null; then
		echo "numalens is not in the initramfs" >"/tmp/$_name.err"
		: >"/tmp/$_name.json"
		var "$_name.rc" 127
		return 1
	fi
	DIAG_T0=$(cut -d' ' -f1 /proc/uptime)
	# shellcheck disable=SC2086 # DIAG_WRAP: a command and its words
	${DIAG_WRAP:-} numalens diagnose --duration "$_secs" "$@" --json >"/tmp/$_name.json" \
		2>"/tmp/$_name.err" &
	DIAG_PID=$!
	(
		sleep $((_secs + ${DIAG_GRACE:-30}))
		kill -INT "$DIAG_PID" 2>/dev/null || exit 0
		touch "/tmp/$_name.overran"
		sleep 10
		kill -KILL "$DIAG_PID" 2>/dev/null
	) &
	DIAG_WATCHDOG=$!
}

# diagnose_wait_attached: waits (60 s at most) until the diagnosis started by
# diagnose_start says its window opens (after it attached and read once),
# and sets var NAME.window_start (uptime, seconds) and NAME.attach_seconds.
diagnose_wait_attached() {
	[ -n "$DIAG_PID" ] || return 1
	_i=0
	while ! grep -q '^numalens: watching for' "/tmp/$_name.err" 2>/dev/null &&
		kill -0 "$DIAG_PID" 2>/dev/null && [ "$_i" -lt 1200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	DIAG_WINDOW_START=$(cut -d' ' -f1 /proc/uptime)
	var "$_name.window_start" "$DIAG_WINDOW_START"
	var "$_name.attach_seconds" "$(awk -v t0="$DIAG_T0" '{ print $1 - t0 }' /proc/uptime)"
}

# diagnose_window_left: seconds left in the window of the diagnosis started
# by diagnose_start (SECONDS from the window's start), as NAME.window_left:
# a check that what the test did happened inside the window.
diagnose_window_left() {
	var "$_name.window_left" "$(awk -v t0="$DIAG_WINDOW_START" -v s="$_secs" \
		'{ print t0 + s - $1 }' /proc/uptime)"
}

# diagnose_finish: waits for the diagnosis started by diagnose_start, then
# hands back the JSON (NAME.json), its standard error (NAME.err), status
# (NAME.rc) and wall time (NAME.seconds).
diagnose_finish() {
	if [ -n "$DIAG_PID" ]; then
		wait "$DIAG_PID"
		var "$_name.rc" $?
		kill "$DIAG_WATCHDOG" 2>/dev/null
		var "$_name.seconds" "$(awk -v t0="$DIAG_T0" '{ print $1 - t0 }' /proc/uptime)"
		[ -e "/tmp/$_name.overran" ] && var "$_name.overran" 1
	fi
	hand_back "$_name.json" "/tmp/$_name.json"
	hand_back "$_name.err" "/tmp/$_name.err"
}

# diagnose NAME SECONDS ARGS...: diagnose_start, then diagnose_finish.
diagnose() {
	diagnose_start "$@"
	diagnose_finish
}

# numa_vmstat NAME: hands back the numa_* lines of /proc/vmstat.
numa_vmstat() {
	grep '^numa_' /proc/vmstat >"/tmp/vmstat.$1"
	hand_back "$1" "/tmp/vmstat.$1"
}

# stop_all PID: SIGSTOP, then waits (5 s at most) until every thread of PID
# is stopped, so that none of them takes a page fault any more.
stop_all() {
	kill -STOP "$1"
	_i=0
	while cat /proc/"$1"/task/*/status 2>/dev/null | grep '^State:' |
		grep -qv 'T (stopped)' && [ "$_i" -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

# numa_migrated PID: the pages NUMA balancing migrated for PID's threads,
# by the kernel's own per-thread count (numa_pages_migrated in
# /proc/PID/task/TID/sched, not decayed, unlike its fault statistics).
numa_migrated() {
	cat /proc/"$1"/task/*/sched 2>/dev/null |
		awk -F: '/^numa_pages_migrated/ { s += $2 } END { printf "%d", s }'
}

# numa_trace_start: records the scheduler's NUMA-balancing decisions
# (sched_move_numa, sched_swap_numa, sched_stick_numa) in the trace buffer,
# the kernel's own account to hold numalens's counts against. Not
# mm_migrate_pages: turning its event off while numalens's raw tracepoint
# program was attached to it hung a 6.1 guest under load (soft lockup).
numa_trace_start() {
	_t=/sys/kernel/tracing
	: >"$_t/trace"
	for _e in sched_move_numa sched_swap_numa sched_stick_numa; do
		[ -e "$_t/events/sched/$_e/enable" ] && echo 1 >"$_t/events/sched/$_e/enable"
	done
}

# numa_trace_stop NAME: stops recording and hands the events back as NAME,
# and as NAME.overrun the events the full buffer lost (0: the account is whole).
numa_trace_stop() {
	_t=/sys/kernel/tracing
	for _e in sched_move_numa sched_swap_numa sched_stick_numa; do
		[ -e "$_t/events/sched/$_e/enable" ] && echo 0 >"$_t/events/sched/$_e/enable"
	done
	grep 'sched_[a-z]*_numa:' "$_t/trace" >"/tmp/trace.$1"
	var "$1.overrun" "$(awk '/^overrun:/ { s += $2 } END { printf "%d", s }' "$_t"/per_cpu/cpu*/stats)"
	hand_back "$1" "/tmp/trace.$1"
}
