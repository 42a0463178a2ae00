#!/bin/sh
# Downloads the Debian kernels the VM tests boot (a 6.1 and a 6.12 one) into a
# cache and extracts their vmlinuz. Quick when the cache already holds them.
#
# Usage: fetch-kernels.sh
# Prints one line per kernel: "<label> <path to vmlinuz> <package>".
# NUMALENS_VM_CACHE overrides the cache directory (default ~/.cache/numalens/vm,
# outside the checkout, so fresh clones on one machine, as CI's, share it).
set -eu

cache=${NUMALENS_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/numalens/vm}
mkdir -p "$cache/kernels"

# Resolves a meta package (linux-image-amd64) to the versioned image package
# it depends on (linux-image-6.1.0-NN-amd64). Prints the name unchanged when it
# already is a versioned image.
resolve() {
	dep=$(apt-cache depends "$1" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
	if [ -n "$dep" ]; then
		echo "$dep"
	else
		echo "$1"
	fi
}

# fetch LABEL META: makes $cache/kernels/vmlinuz-LABEL from META's image.
fetch() {
	label=$1
	meta=$2
	out=$cache/kernels/vmlinuz-$label
	stamp=$cache/kernels/$label.pkg
	if [ -s "$out" ] && [ -s "$stamp" ]; then
		echo "$label $out $(cat "$stamp")"
		return 0
	fi
	pkg=$(resolve "$meta")
	if ! apt-cache show "$pkg" >/dev/null 2>&1; then
		echo "fetch-kernels: no package $pkg (from $meta); run apt-get update" >&2
		return 1
	fi
	tmp=$(mktemp -d "$cache/tmp.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	echo "fetch-kernels: downloading $pkg" >&2
	# As root, apt would try to drop to _apt, which cannot write the cache.
	sandbox=""
	[ "$(id -u)" -eq 0 ] && sandbox="-o APT::Sandbox::User=root"
	# shellcheck disable=SC2086
	(cd "$tmp" && apt-get download -q $sandbox "$pkg" >/dev/null)
	deb=$(ls "$tmp"/*.deb)
	dpkg-deb --fsys-tarfile "$deb" | (cd "$tmp" && tar -xf - --wildcards './boot/vmlinuz-*')
	img=$(find "$tmp/boot" -name "vmlinuz-*" | head -n 1)
	[ -s "$img" ] || {
		echo "fetch-kernels: $deb holds no /boot/vmlinuz-*" >&2
		return 1
	}
	mv "$img" "$out.new"
	mv "$out.new" "$out"
	echo "$pkg" >"$stamp"
	rm -rf "$tmp"
	trap - EXIT
	echo "$label $out $pkg"
}

# The 6.1 kernel is whatever Debian 12's default kernel currently is; the 6.12
# one comes from bookworm's linux-image-6.12-amd64 meta package.
fetch 6.1 "${NUMALENS_KERNEL_61:-linux-image-amd64}"
fetch 6.12 "${NUMALENS_KERNEL_612:-linux-image-6.12-amd64}"
