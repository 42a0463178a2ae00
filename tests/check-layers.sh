#!/bin/sh
# make check-layers: the data path the folders of user/ spell out, enforced.
#
#   base     logging, options' parsing helpers, quoting, untrusted bytes
#   kernel   what the kernel tells without BPF: /proc, sysfs, cgroups, PMUs
#   collect  the BPF side's loader and reader: sample tables, sources
#   core     snapshot, model, the agent's refresh and its options
#   act      advice, pinning, auto-pin
#   cmd top export   the front ends
#
# A file may include headers of its own folder and of the layers below it.
# A front end includes no other front end's headers, and never the
# collector's own (collect.h, collect_priv.h) nor a BPF skeleton: it sees the
# snapshot and the agent's queries. bpf/'s shared type headers (numalens.h,
# memsrc.h) may be included anywhere. Prints each breach; exit status 1 if any.
# Usage: tests/check-layers.sh [ROOT] (default: this tree).
set -eu

cd "${1:-$(dirname "$0")/..}"

rank() {
	case $1 in
	base) echo 0 ;;
	kernel) echo 1 ;;
	collect) echo 2 ;;
	core) echo 3 ;;
	act) echo 4 ;;
	cmd | top | export) echo 5 ;;
	*) echo "" ;;
	esac
}

# Which folder of user/ holds header $1 (empty: none, e.g. a system header).
folder_of() {
	for d in user/*/; do
		if [ -f "$d$1" ]; then
			basename "$d"
			return
		fi
	done
}

breaches=0
breach() {
	echo "check-layers: $1" >&2
	breaches=$((breaches + 1))
}

files=0
for f in user/*/*.c user/*/*.h; do
	files=$((files + 1))
	layer=$(basename "$(dirname "$f")")
	r=$(rank "$layer")
	if [ -z "$r" ]; then
		breach "$f: user/$layer is not one of the layers (tests/check-layers.sh)"
		continue
	fi
	# shellcheck disable=SC2013 # header names have no spaces
	for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		case $h in
		numalens.h | memsrc.h) continue ;;
		collect_priv.h)
			[ "$layer" = collect ] ||
				breach "$f includes collect_priv.h: only user/collect/ may"
			continue
			;;
		*.skel.h)
			[ "$layer" = collect ] ||
				breach "$f includes the BPF skeleton $h: only user/collect/ may"
			continue
			;;
		esac
		hl=$(folder_of "$h")
		if [ -z "$hl" ]; then
			breach "$f includes \"$h\", which is in no folder of user/"
			continue
		fi
		[ "$hl" = "$layer" ] && continue
		hr=$(rank "$hl")
		if [ "$hr" -gt "$r" ]; then
			breach "$f ($layer) includes $h from a higher layer ($hl)"
		elif [ "$hr" = 5 ] && [ "$r" = 5 ]; then
			breach "$f ($layer) includes $h from another front end ($hl)"
		elif [ "$r" = 5 ] && { [ "$h" = collect.h ] || [ "$h" = collect_priv.h ]; }; then
			breach "$f ($layer) includes the collector's $h: ask the agent (agent.h)"
		fi
	done
done

if [ "$files" -eq 0 ]; then
	echo "check-layers: no sources under user/*/" >&2
	exit 1
fi
if [ "$breaches" -gt 0 ]; then
	echo "check-layers: $breaches breaches in $files files" >&2
	exit 1
fi
echo "check-layers: $files files, every include goes down the layers"
