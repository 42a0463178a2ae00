# Reading the Prometheus text format in shell tests (tests/export/run.sh,
# tests/vm/t-*.sh through vm-lib.sh, tests/deploy/t-container.sh), and
# serving it: a free port, waiting for an answer.
# shellcheck shell=bash

# prom_value FILE METRIC MATCH...: the value of the first sample of METRIC
# whose line holds every MATCH (such as pid="12" or numa_node="1").
prom_value() {
	local file=$1 metric=$2
	shift 2
	awk -v m="$metric" -v pats="$*" '
		BEGIN { n = split(pats, p, " ") }
		index($0, m "{") == 1 || index($0, m " ") == 1 {
			for (i = 1; i <= n; i++) if (!index($0, p[i])) next
			print $NF; exit
		}' "$file"
}

# num_ge A B / num_gt A B / num_le A B: A >= B, A > B, A <= B for decimal
# numbers; false when A is empty (a value that was not there).
num_ge() { awk -v a="${1:-}" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 >= b + 0) }'; }
num_gt() { awk -v a="${1:-}" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 > b + 0) }'; }
num_le() { awk -v a="${1:-}" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'; }

# free_port VAR: sets VAR to a TCP port nobody listens on (/proc/net/tcp*:
# local address :PORT, state 0A) and no earlier call gave: an exporter
# started in the background on the last one may not listen on it yet.
prom_ports_given=" "
free_port() {
	local _fp_port _fp_hex # not p: a caller may ask for p
	while :; do
		_fp_port=$((20000 + RANDOM % 12000))
		case $prom_ports_given in *" $_fp_port "*) continue ;; esac
		_fp_hex=$(printf '%04X' "$_fp_port")
		grep -qi ":$_fp_hex 00000000:0000 0A\|:$_fp_hex 00000000000000000000000000000000:0000 0A" \
			/proc/net/tcp /proc/net/tcp6 2>/dev/null || break
	done
	prom_ports_given="$prom_ports_given$_fp_port "
	printf -v "$1" '%s' "$_fp_port"
}

# Waits for a URL to answer 200 (up to $2 seconds).
wait_http() {
	local _
	for _ in $(seq $((${2:-15} * 10))); do
		curl -sf -o /dev/null "$1" && return 0
		sleep 0.1
	done
	return 1
}
