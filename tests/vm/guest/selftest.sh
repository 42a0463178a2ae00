# Guest script of t-selftest-two.sh and t-selftest-four.sh: numalens
# selftest's probes on every pair it picks, with what doctor says before and
# after; on two nodes also with NUMA balancing off, then turned on by
# --enable-balancing (one pair: the option is the test).
# shellcheck shell=sh

# Four nodes: each node once as A and once as B (a ring), and the four
# local probes; two nodes: the default (both pairs).
st_args=""
set -- /sys/devices/system/node/node[0-9]*
nodes=$#
[ "$nodes" -ge 4 ] && st_args="--max-pairs 4"
var numa_balancing "$(cat /proc/sys/kernel/numa_balancing)"
export NUMALENS_SELFTEST_FILE=/tmp/selftest-state.json
hand_back_cmd doctor-before numalens doctor

# The full test, as a user runs it (3 s a probe: at 1 s NUMA balancing had
# not scanned the probes yet, no hinting fault came): JSON apart from the
# messages.
# shellcheck disable=SC2086
numalens selftest --json $st_args >/tmp/st.json 2>/tmp/st.err
var st.rc $?
hand_back st.json /tmp/st.json
hand_back st.err /tmp/st.err
hand_back state /tmp/selftest-state.json
hand_back_cmd doctor-after numalens doctor

if [ "$nodes" -lt 4 ]; then
	# NUMA balancing off: hint_faults is not tested and it says how to
	# test it (the text); --enable-balancing turns it on for its run only.
	echo 0 >/proc/sys/kernel/numa_balancing
	hand_back_cmd off numalens selftest --no-record --max-pairs 1 -d 1
	numalens selftest --no-record --max-pairs 1 --enable-balancing --json \
		>/tmp/on.json 2>/tmp/on.err
	var on.rc $?
	var on.numab_after "$(cat /proc/sys/kernel/numa_balancing)"
	hand_back on.json /tmp/on.json
	hand_back on.err /tmp/on.err
	echo 1 >/proc/sys/kernel/numa_balancing
fi
var probes_left "$(cat /proc/[0-9]*/comm 2>/dev/null | grep -c '^numalens-probe$')"
