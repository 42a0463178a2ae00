# Guest script of t-synth.sh: the host's synthetic-sample tests on this
# kernel.
# shellcheck shell=sh

if command -v bpf_test_synth >/dev/null; then
	hand_back_cmd synth-tests bpf_test_synth
fi
