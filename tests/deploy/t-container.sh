#!/bin/bash
# The container image (make image, deploy/Dockerfile FROM scratch) run as
# deploy/kubernetes/numalens-exporter.yaml's DaemonSet runs it: the pod's
# settings are read from the manifest (daemonset-podman.py: host pid
# namespace, its capabilities, no privilege escalation, read-only root, its
# /sys mounts, its memory limit, its args), in podman's own network namespace
# with an address of its own, as a pod has. Then: /metrics lints with
# promtool, a process started on the host has its series under its host pid,
# the exporter became nobody, and a real Prometheus scrapes the container
# through the shipped scrape job (deploy/prometheus/numalens-scrape.yml,
# prom-config.py). Also the image itself: its size, and nothing in it but the
# binary and the libraries it loads (no shell). Needs root and podman; cleans
# up its container and image.
set -u

. tests/results-lib.sh
# shellcheck source=tests/prom-lib.sh
. tests/prom-lib.sh

manifest=deploy/kubernetes/numalens-exporter.yaml
names="image builds"
if [ "$(id -u)" != 0 ]; then
	skip "$names" "needs root (BPF, a privileged podman)"
	give_up
fi
need podman "$names" || give_up
need promtool "promtool check metrics" || give_up
need prometheus "Prometheus scrapes the container" || give_up
need jq "Prometheus scrapes the container" || give_up

tmp=$(mktemp -d "${TMPDIR:-/tmp}/numalens-ctr.XXXXXX") || exit 2
img=localhost/numalens-test:t$$
ctr=numalens-test-$$
probe=
prom=
cleanup() {
	[ -n "$prom" ] && kill "$prom" 2>/dev/null && wait "$prom" 2>/dev/null
	[ -n "$probe" ] && kill "$probe" 2>/dev/null && wait "$probe" 2>/dev/null
	podman rm --force --time 0 "$ctr" >/dev/null 2>&1
	podman rmi --force "$img" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# podman here starts containers only with runc and without default ulimits
# (crun and the default nofile limit: "setrlimit ... Operation not
# permitted"); this machine's choice, so the test's, not the image's.
cat >"$tmp/containers.conf" <<'EOF'
[containers]
default_ulimits = []
[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF=$tmp/containers.conf

echo "== the image"
# or_give_up: the suite stops when the check before failed.
or_give_up() { [ "$T_FAILED" = "$failed_before" ] || give_up; }
build() { make --no-print-directory image IMAGE="$img" >"$tmp/build.log" 2>&1; }
start=$(date +%s.%N)
failed_before=$T_FAILED
check_showing "$tmp/build.log" -- "make image builds $img" build
or_give_up
echo "    built in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s"
save() { make --no-print-directory image-archive IMAGE="$img" IMAGE_ARCHIVE="$tmp/image.tar" >"$tmp/save.log" 2>&1; }
# What a node without a registry imports (ctr images import, docker load):
# one layer, tagged with the image's name.
archive_ok() {
	save && tar -xOf "$tmp/image.tar" manifest.json >"$tmp/manifest.json" &&
		jq -e --arg img "$img" '.[0].RepoTags == [$img] and (.[0].Layers | length) == 1' \
			"$tmp/manifest.json" >/dev/null
}
id=$(podman image inspect --format '{{.Id}}' "$img")
check_showing "$tmp/save.log" "$tmp/manifest.json" -- \
	"make image-archive saves it for nodes without a registry (one layer, its tag)" archive_ok
# image-archive built it again: the same files and time, the same image.
check "rebuilt from the same binary, the same image id (${id:0:12})" \
	[ "$(podman image inspect --format '{{.Id}}' "$img")" = "$id" ]
size=$(podman image inspect --format '{{.Size}}' "$img")
echo "    size: $size bytes"
check "the image is under 16 MB (got $size bytes)" num_le "$size" 16000000
podman image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{json .Config.ExposedPorts}}' \
	"$img" >"$tmp/config"
check_showing "$tmp/config" -- "its entrypoint is numalens, its command export on :16862" \
	grep -qxF '["/usr/local/bin/numalens"] ["export","--listen",":16862"] {"16862/tcp":{}}' "$tmp/config"

# What is in it: exactly the binary and what ldd says it loads, the loader
# too (FROM scratch: no shell, no package manager, no other file).
mnt=$(podman image mount "$img")
(cd "$mnt" && find . ! -type d | sed 's|^\.||' | sort) >"$tmp/files"
podman image unmount "$img" >/dev/null
{
	echo /usr/local/bin/numalens
	ldd build/numalens | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
} | sort >"$tmp/expected"
check_showing "$tmp/files" "$tmp/expected" -- \
	"the image holds the binary and the $(($(wc -l <"$tmp/expected") - 1)) libraries ldd names, nothing else" \
	cmp -s "$tmp/files" "$tmp/expected"
check_showing "$tmp/files" -- "no shell in the image" \
	bash -c "! grep -Eq '/(sh|bash|dash|ash|busybox)$' '$tmp/files'"

echo "== run as the DaemonSet runs it"
# A busy process on the host with a name of its own, to find in the series.
cp build/numa-workload "$tmp/nlctr-probe"
"$tmp/nlctr-probe" --unbound --size 16 --seconds 0 >"$tmp/probe.log" 2>&1 &
probe=$!
mapfile -t spec < <(/usr/bin/python3 tests/deploy/daemonset-podman.py "$manifest")
opts=()
args=()
for i in "${!spec[@]}"; do
	if [ "${spec[$i]}" = -- ]; then
		args=("${spec[@]:i+1}")
		break
	fi
	opts+=("${spec[$i]}")
done
echo "    podman run ${opts[*]} $img ${args[*]} (+ test options)"
# seccomp: podman's default profile (containers-common) allows bpf() and
# perf_event_open() only with CAP_SYS_ADMIN; containerd 1.7's RuntimeDefault,
# which the manifest asks for, allows them with CAP_BPF and CAP_PERFMON.
# --interval 1 and --allow-comm: the probe's series within seconds.
podman run --detach --name "$ctr" "${opts[@]}" --security-opt seccomp=unconfined "$img" \
	"${args[@]}" --interval 1 --allow-comm nlctr-probe >"$tmp/run.log" 2>&1
failed_before=$T_FAILED
check_showing "$tmp/run.log" -- "the container starts" \
	[ "$(podman inspect --format '{{.State.Running}}' "$ctr" 2>/dev/null)" = true ]
or_give_up
ip=$(podman inspect --format '{{.NetworkSettings.IPAddress}}' "$ctr")
port=$(/usr/bin/python3 tests/deploy/daemonset-podman.py "$manifest" port)
url=http://$ip:$port
if ! wait_http "$url/metrics" 30; then
	podman logs "$ctr" >"$tmp/ctr.log" 2>&1
	check_showing "$tmp/ctr.log" -- "it serves $url/metrics (the pod's address and port)" false
	give_up
fi
pass "it serves $url/metrics (the pod's address and port)"
check "the liveness probe's path (/) answers" wait_http "$url/" 5
cpid=$(podman inspect --format '{{.State.Pid}}' "$ctr")
check_showing "/proc/$cpid/status" -- "the exporter became nobody (uid and gid 65534) once attached" \
	grep -Eq '^Uid:[[:space:]]+65534[[:space:]]' "/proc/$cpid/status"

# The probe's series under its host pid, with on-CPU time counted (within
# 20 s: a refresh every second).
v=
for _ in $(seq 40); do
	curl -sf "$url/metrics" -o "$tmp/metrics" || continue
	v=$(prom_value "$tmp/metrics" numalens_process_cpu_seconds_total "pid=\"$probe\"" 'comm="nlctr-probe"')
	num_gt "$v" 0 && break
	sleep 0.5
done
check_showing "$tmp/metrics" -- "the host process nlctr-probe (pid $probe) has on-CPU seconds > 0 (got ${v:-none})" \
	num_gt "$v" 0
v=$(prom_value "$tmp/metrics" numalens_process_resident_memory_bytes "pid=\"$probe\"")
check "... and its 16 MiB buffer resident (got ${v:-none} bytes)" num_ge "$v" $((16 << 20))
promtool check metrics <"$tmp/metrics" >"$tmp/lint" 2>&1
check_showing "$tmp/lint" -- "promtool check metrics: no problems in $(wc -l <"$tmp/metrics") lines" \
	[ ! -s "$tmp/lint" ]
rss=$(awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$cpid/status")
mem=$(podman stats --no-stream --format '{{.MemUsageBytes}}' "$ctr" 2>/dev/null)
echo "    measured: the exporter's resident memory $rss bytes; the container's memory use $mem"

echo "== a real Prometheus through the shipped scrape job"
node=$(hostname)
/usr/bin/python3 tests/deploy/prom-config.py deploy/prometheus/numalens-scrape.yml "$manifest" \
	"$ip" "$node" "$tmp" 2>"$tmp/prom-config.log"
check_showing "$tmp/prom-config.log" -- "the scrape job as file_sd for this pod" [ -s "$tmp/prometheus.yml" ]
free_port pp
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/prom-data" \
	--web.listen-address="127.0.0.1:$pp" --log.level=warn >"$tmp/prometheus.log" 2>&1 &
prom=$!
pq() {
	curl -sfG "http://127.0.0.1:$pp/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}
check_showing "$tmp/prometheus.log" -- "Prometheus starts" wait_http "http://127.0.0.1:$pp/-/ready" 30
for _ in $(seq 100); do
	[ "$(pq "up{job=\"numalens\",instance=\"$node\",node=\"$node\"}")" = 1 ] && break
	sleep 0.2
done
check_showing "$tmp/prometheus.log" -- "Prometheus: up{job=\"numalens\",instance=\"$node\"} == 1 (the annotations' port and path)" \
	[ "$(pq "up{job=\"numalens\",instance=\"$node\",node=\"$node\"}")" = 1 ]
v=$(pq "numalens_process_cpu_seconds_total{job=\"numalens\",instance=\"$node\",namespace=\"numalens\",pid=\"$probe\"}")
check "Prometheus: the probe's on-CPU seconds, labelled with the node and namespace (got ${v:-none})" num_gt "$v" 0
tally
