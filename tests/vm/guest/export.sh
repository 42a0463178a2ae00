# Guest script of t-export.sh: 2 nodes, CPUs 0-1 on node 0, 2-3 on node 1.
# shellcheck shell=sh

ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
# The initramfs's root comes from a mktemp -d (0700): let other users in.
# The exporter becomes nobody after attaching; the workload of another
# user runs as daemon.
chmod 755 /
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
echo 'daemon:x:1:1:daemon:/:/bin/sh' >>/etc/passwd
echo 'nogroup:x:65534:' >>/etc/group
echo 'daemon:x:1:' >>/etc/group

wl_start remote --cpu-node 0 --mem-node 1 --size 128 --threads 2 --seconds 0
remote=$WL_PID
wl_start local --cpu-node 0 --mem-node 0 --size 64 --threads 1 --seconds 0
loc=$WL_PID
# Another user's: its numa_maps needs the capability the exporter keeps.
su -s /bin/sh daemon -c 'exec numa-workload --cpu-node 1 --mem-node 1 --size 32 --threads 1 --seconds 0' \
	>/tmp/wl.other.out 2>&1 &
i=0
while ! grep -q '^ready pid=' /tmp/wl.other.out 2>/dev/null && [ "$i" -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
other=$(sed -n 's/^ready pid=\([0-9]*\).*/\1/p' /tmp/wl.other.out)
var other.pid "${other:-0}"
hand_back wl.other.out /tmp/wl.other.out
hand_back numa_maps.remote "/proc/$remote/numa_maps"
hand_back numa_maps.local "/proc/$loc/numa_maps"
hand_back numa_maps.other "/proc/$other/numa_maps"
var numa_balancing "$(cat /proc/sys/kernel/numa_balancing)"
var unprivileged_bpf_disabled "$(cat /proc/sys/kernel/unprivileged_bpf_disabled)"

# The exporter over HTTP: two scrapes 2 s apart after 5 s of windows.
numalens export --listen 127.0.0.1:16862 --interval 1 -v >/tmp/export.out 2>/tmp/export.err &
exp=$!
i=0
while ! wget -q -O /tmp/metrics.0 http://127.0.0.1:16862/metrics 2>/dev/null && [ "$i" -lt 300 ]; do
	sleep 0.2
	i=$((i + 1))
done
sleep 5
wget -q -O /tmp/metrics.1 http://127.0.0.1:16862/metrics
var scrape1.rc $?
sleep 2
wget -q -O /tmp/metrics.2 http://127.0.0.1:16862/metrics
var scrape2.rc $?
cat /proc/"$exp"/task/*/status | grep -E '^(Cap|NoNewPrivs|Uid|Gid|Groups)' | sort | uniq -c >/tmp/export.caps
hand_back export.caps /tmp/export.caps
kill -TERM "$exp"
wait "$exp"
var export.rc $?
hand_back metrics.1 /tmp/metrics.1
hand_back metrics.2 /tmp/metrics.2
hand_back export.err /tmp/export.err

# The same once through the textfile.
timeout 60 numalens export --textfile /tmp/numalens.prom --once --interval 3 2>/tmp/textfile.err
var textfile.rc $?
hand_back textfile /tmp/numalens.prom
hand_back textfile.err /tmp/textfile.err

wl_stop "$remote"
wl_stop "$loc"
kill "$other" 2>/dev/null
