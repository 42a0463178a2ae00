# Processes named by hostile bytes (issue 12: invalid UTF-8, escape
# sequences, quotes, backslashes, braces, newlines), for tests/cli/run.sh
# and tests/export/run.sh.
# shellcheck shell=bash

hostile_named=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/workload/named.py
hostile_pids=()

# hostile_start NAME...: one process per NAME, a printf format ('\033' is
# ESC; a comm holds 15 bytes), each with those bytes as its comm (set with
# prctl(PR_SET_NAME)) and in its command line, lightly busy until killed.
# Appends their pids to hostile_pids; returns once the kernel has each
# name, 1 if one never came (python starts slowly on a busy host).
# shellcheck disable=SC2059 # each NAME is a printf format on purpose
hostile_start() {
	local n i named=0 pids=()
	for n in "$@"; do
		python3 "$hostile_named" "$(printf "$n")" &
		pids+=($!)
	done
	hostile_pids+=("${pids[@]}")
	for ((i = 1; i <= $#; i++)); do
		n=${!i}
		for _ in $(seq 300); do
			cmp -s <(printf "$n\n") /proc/"${pids[i - 1]}"/comm && break
			sleep 0.1
		done
		cmp -s <(printf "$n\n") /proc/"${pids[i - 1]}"/comm && named=$((named + 1))
	done
	[ "$named" -eq $# ]
}

# hostile_stop: ends every process hostile_start started.
hostile_stop() {
	local p
	for p in "${hostile_pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${hostile_pids[@]}"; do wait "$p" 2>/dev/null; done
	hostile_pids=()
}

# The names, and what numalens shows of each: '?' for every byte or
# character a terminal must not see, the rest as it is.
# shellcheck disable=SC2034 # for the scripts that source this one
hostile_names=('\377\376\033[31mRED' 'q"uo"te' 'back\\slash' '{br}ace' 'new\nline'
	'\033]0;pwn\007')
# shellcheck disable=SC2034
hostile_shown=('???[31mRED' 'q"uo"te' 'back\slash' '{br}ace' 'new?line' '?]0;pwn?')

# no_ctl FILE: no ESC in FILE, nor any other control byte but the newlines
# ending its lines.
no_ctl() { ! LC_ALL=C grep -q '[[:cntrl:]]' "$1"; }
