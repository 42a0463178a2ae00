#!/bin/bash
# The exporter's unit under a real systemd: the Debian 12 root t-deb.sh
# installed the package into (build/deploy/root), booted with systemd as
# PID 1 by systemd-nspawn. The unit is not running after boot; systemctl
# start serves /metrics with the build's version, a process of the root with
# its CPU time, and the data sources of the exporter run as root without the
# unit (so the hardening takes none away); systemctl stop ends it cleanly.
# systemd-analyze security's exposure score for the unit stays at most
# MAX_EXPOSURE. Needs root.
#
# The container has its own PID namespace, and BPF reports the kernel's
# (host) PIDs: the process's series carries its PID on the host, which the
# test checks; its /proc is the container's, so memory per node (numa_maps)
# is not checked here.
# shellcheck disable=SC2016 # sh -c with its own $
set -u
# shellcheck source=tests/results-lib.sh
. tests/results-lib.sh
# shellcheck source=tests/deploy/root-lib.sh
. tests/deploy/root-lib.sh

# The exposure the unit reached (3.4 before the filters; lower is better).
MAX_EXPOSURE=1.7
PORT=16862

if [ "$(id -u)" -ne 0 ]; then
	skip systemd "needs root (systemd-nspawn)"
	give_up
fi
need systemd-nspawn systemd || give_up
if ! chroot "$DEPLOY_ROOT" dpkg-query -W -f='${Status}' numalens 2>/dev/null |
	grep -q 'install ok installed'; then
	skip systemd "no root with the package in $DEPLOY_ROOT (t-deb.sh makes it)"
	give_up
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/numalens-systemd.XXXXXX")
nspawn=""
leader=""
cleanup() {
	if [ -n "$nspawn" ] && kill -0 "$nspawn" 2>/dev/null; then
		# nspawn asks the container's systemd to halt on SIGTERM.
		kill "$nspawn" 2>/dev/null
		for _ in $(seq 30); do
			kill -0 "$nspawn" 2>/dev/null || break
			sleep 1
		done
		kill -KILL "$nspawn" 2>/dev/null
	fi
	rm -rf "$out" "$DEPLOY_ROOT/usr/local/bin/nlburn"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The installed binary's version (t-deb.sh checks it is the build's).
version=$(chroot "$DEPLOY_ROOT" numalens --version | awk '{ print $2 }')
# A process of the root that burns CPU under a name of its own.
cp "$DEPLOY_ROOT/bin/bash" "$DEPLOY_ROOT/usr/local/bin/nlburn"

# nspawn's own state goes under /run/systemd/nspawn, which it empties only
# on a tmpfs (this host's /run is not one): a tmpfs there, in a mount
# namespace of nspawn's own. The BPF system calls and capabilities, which
# nspawn filters and drops by default, are let through; --private-network
# keeps the port off this host's loopback.
args=(--boot -D "$DEPLOY_ROOT" --machine=numalens-deploy --console=passive --register=no
	--keep-unit --private-network "--capability=CAP_BPF,CAP_PERFMON"
	"--system-call-filter=bpf perf_event_open")
mountpoint -q /sys/kernel/tracing && args+=(--bind-ro=/sys/kernel/tracing)
start=$(date +%s)
unshare -m --propagation private sh -c 'mkdir -p /run/systemd/nspawn &&
	mount -t tmpfs tmpfs /run/systemd/nspawn && exec systemd-nspawn "$@"' sh "${args[@]}" \
	>"$out/console" 2>&1 &
nspawn=$!
for _ in $(seq 60); do
	leader=$(pgrep -P "$nspawn" -x systemd)
	[ -n "$leader" ] && break
	kill -0 "$nspawn" 2>/dev/null || break
	sleep 0.5
done
if [ -z "$leader" ]; then
	fail "systemd-nspawn --boot started no systemd (console below)"
	sed 's/^/    /' "$out/console" | tail -n 30
	give_up
fi

in_box() { nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }
not() { ! "$@"; }
# scrape PORT FILE: /metrics from inside the container's network.
scrape() { nsenter -t "$leader" -n curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" >"$2"; }

# systemctl answers once systemd listens on its private socket.
for _ in $(seq 60); do
	state=$(timeout 120 nsenter -t "$leader" -a systemctl is-system-running --wait 2>&1)
	case $state in
	*bus*) sleep 1 ;;
	*) break ;;
	esac
done
check_showing "$out/console" -- "the root boots with systemd as PID 1 ($state, $(($(date +%s) - start)) s)" \
	sh -c '[ "$1" = running ] || [ "$1" = degraded ]' sh "$state"
if [ "$state" = degraded ]; then
	echo "  failed units: $(in_box systemctl --failed --no-legend | tr '\n' ' ')"
fi

check "after boot the unit is disabled ($(in_box systemctl is-enabled numalens-exporter))" \
	test "$(in_box systemctl is-enabled numalens-exporter)" = disabled
check "after boot the exporter is not running ($(in_box systemctl is-active numalens-exporter))" \
	test "$(in_box systemctl is-active numalens-exporter)" = inactive

in_box systemd-analyze security numalens-exporter.service >"$out/security" 2>&1
score=$(sed -n 's/.*Overall exposure level for numalens-exporter.service: \([0-9.]*\).*/\1/p' \
	"$out/security")
check_showing "$out/security" -- \
	"systemd-analyze security: exposure ${score:-none} at most $MAX_EXPOSURE" \
	awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s != "" && s + 0 <= m + 0) }'

# in_box_pids COMM: the host PIDs of the container's processes named COMM.
in_box_pids() {
	local p
	for p in $(pgrep -x "$1"); do
		[ "$(readlink "/proc/$p/ns/pid")" = "$(readlink "/proc/$leader/ns/pid")" ] && echo "$p"
	done
}

# Type=exec: started once it has its name (a simple service's start ends at
# the fork, before the exec); then looked for until it shows (10 s).
in_box systemd-run --quiet --unit=nlburn --property=Type=exec /usr/local/bin/nlburn -c 'while :; do :; done'
for _ in $(seq 50); do
	burn=$(in_box_pids nlburn)
	[ -n "$burn" ] && break
	sleep 0.2
done
check "a process of the root (nlburn, pid $burn on the host)" test -n "$burn"

# wait_series PORT FILE PATTERN: scrapes until a line matches (30 s).
wait_series() {
	for _ in $(seq 30); do
		scrape "$1" "$2" && grep -Eq "$3" "$2" && return 0
		sleep 1
	done
	return 1
}
burn_series="^numalens_process_cpu_seconds_total\\{pid=\"$burn\",comm=\"nlburn\""

# The data sources of the exporter run as root, without the unit's
# user, capabilities and hardening (a bare transient service).
in_box systemd-run --quiet --unit=nlroot numalens export --listen "127.0.0.1:$((PORT + 1))"
wait_series $((PORT + 1)) "$out/root.prom" "$burn_series"
in_box systemctl stop nlroot
in_box journalctl -b -u nlroot --no-pager >"$out/root.log" 2>&1
grep '^numalens_exporter_source_active' "$out/root.prom" | sort >"$out/root.sources"
check_showing "$out/root.log" -- "as root without the unit: $(grep -c ' 1$' "$out/root.sources") data sources active" \
	grep -q ' 1$' "$out/root.sources"

in_box systemctl start numalens-exporter
wait_series "$PORT" "$out/unit.prom" "$burn_series"
in_box journalctl -b -u numalens-exporter --no-pager >"$out/journal" 2>&1
check_showing "$out/journal" -- "systemctl start: active ($(in_box systemctl is-active numalens-exporter))" \
	test "$(in_box systemctl is-active numalens-exporter)" = active
check_showing "$out/journal" -- "its log says it serves http://127.0.0.1:$PORT/metrics" \
	grep -q "serving http://127.0.0.1:$PORT/metrics" "$out/journal"
main=$(in_box systemctl show -P MainPID numalens-exporter)
uid=$(in_box awk '/^Uid:/ { print $2 }' "/proc/$main/status")
check "it runs as a user of its own (DynamicUser=, uid ${uid:-none})" \
	sh -c '[ -n "$1" ] && [ "$1" -ne 0 ]' sh "$uid"
check_showing "$out/unit.prom" -- "numalens_exporter_build_info says version $version" \
	grep -q "^numalens_exporter_build_info{version=\"$version\"" "$out/unit.prom"
check_showing "$out/unit.prom" -- "nlburn's CPU seconds (pid $burn) are above 0" \
	awk -v re="$burn_series" '$0 ~ re && $NF > 0 { found = 1 } END { exit !found }' "$out/unit.prom"
grep '^numalens_exporter_source_active' "$out/unit.prom" | sort >"$out/unit.sources"
diff "$out/root.sources" "$out/unit.sources" >"$out/sources.diff"
check_showing "$out/sources.diff" "$out/unit.sources" -- \
	"the unit's hardening leaves the data sources of a root run ($(grep ' 1$' "$out/unit.sources" |
		sed 's/.*source="\([a-z_]*\)".*/\1/' | tr '\n' ' '))" \
	test ! -s "$out/sources.diff"
# The topology it reads through libnuma and /sys, as the root run has it.
grep -E '^numalens_numa_node_(info|cpus|distance)' "$out/root.prom" | sort >"$out/root.nodes"
grep -E '^numalens_numa_node_(info|cpus|distance)' "$out/unit.prom" | sort >"$out/unit.nodes"
diff "$out/root.nodes" "$out/unit.nodes" >"$out/nodes.diff"
check_showing "$out/nodes.diff" "$out/unit.nodes" -- \
	"the unit's exporter sees the root run's nodes ($(grep -c numa_node_info "$out/unit.nodes"))" \
	sh -c '[ -s "$1" ] && [ ! -s "$2" ]' sh "$out/unit.nodes" "$out/nodes.diff"

in_box systemctl stop numalens-exporter
in_box systemctl show -p ActiveState -p Result numalens-exporter >"$out/stopped"
check_showing "$out/stopped" -- "systemctl stop: inactive, result success" \
	sh -c 'grep -qx ActiveState=inactive "$1" && grep -qx Result=success "$1"' sh "$out/stopped"
check "after stop nothing serves port $PORT" not scrape "$PORT" "$out/after.prom"
left=$(in_box_pids numalens)
check "after stop no numalens process is left (${left:-none})" test -z "$left"

in_box systemctl stop nlburn
# systemctl poweroff would ask logind, over a D-Bus this root does not have.
in_box systemctl start --no-block poweroff.target
for _ in $(seq 60); do
	kill -0 "$nspawn" 2>/dev/null || break
	sleep 0.5
done
gone() { ! kill -0 "$1" 2>/dev/null; }
check_showing "$out/console" -- "systemctl poweroff ends the container" gone "$nspawn"

tally
