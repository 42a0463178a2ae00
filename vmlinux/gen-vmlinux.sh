#!/bin/sh
# Regenerates vmlinux/ARCH/vmlinux.h from a kernel's BTF. The build never
# reads the build host's BTF: the header is checked in, and CO-RE relocates
# every field access to the running kernel's layout at load time, so any
# recent kernel's types will do. Record which kernel in vmlinux/README.md.
#   vmlinux/gen-vmlinux.sh [BTF_FILE [ARCH]]
# BTF_FILE defaults to /sys/kernel/btf/vmlinux, ARCH to this machine's.
set -eu

btf=${1:-/sys/kernel/btf/vmlinux}
arch=${2:-$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')}
dir=$(dirname "$0")/$arch

[ -r "$btf" ] || { echo "$0: cannot read BTF from $btf" >&2; exit 1; }
mkdir -p "$dir"
bpftool btf dump file "$btf" format c >"$dir/vmlinux.h.tmp"
mv "$dir/vmlinux.h.tmp" "$dir/vmlinux.h"
echo "wrote $dir/vmlinux.h from $btf ($(uname -r) if that is this machine's BTF)"
