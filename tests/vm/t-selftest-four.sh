# numalens selftest on four nodes, one CPU and 512 MiB each (the distances
# of t-four-nodes.sh): every node once as the probes' CPU node and once as
# their memory node (--max-pairs 4), and the four local probes.
# Sourced by run.sh.
# shellcheck shell=bash disable=SC2034

# Its checks (selftest_check, t_check); the topology is this one's.
# shellcheck source=tests/vm/t-selftest-two.sh
. "$VM_HERE/t-selftest-two.sh"

T_NODES="0:512M 1:512M 2:512M 3:512M"
T_DISTS="0-1:20 0-2:30 0-3:40 1-2:20 1-3:30 2-3:20"
T_PAIRS='[[0,1],[1,2],[2,3],[3,0],[0,0],[1,1],[2,2],[3,3]]'
