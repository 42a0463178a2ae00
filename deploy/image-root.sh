#!/bin/sh
# image-root.sh BINARY DIR: the root of the numalens image (make image,
# deploy/Dockerfile FROM scratch): the binary and exactly the shared
# libraries it loads, the dynamic loader with them, at the paths ldd finds
# them on this machine (the loader's own default search path, so no
# ld.so.cache or LD_LIBRARY_PATH is needed). No shell, no other files.
#
# Why copied, not linked statically: libmicrohttpd pulls in GnuTLS, and
# Debian 12 ships no libp11-kit.a (nor libunistring.a by default), so a
# static libmicrohttpd cannot link; and a static glibc would still load NSS
# modules for getpwnam/getaddrinfo at run time. These are the very files the
# binary was built and tested against.
set -eu

bin=$1
root=$2
libs=$(ldd "$bin") || {
	echo "image-root.sh: ldd $bin failed (not a dynamic binary of this machine?)" >&2
	exit 1
}
if printf '%s\n' "$libs" | grep -q 'not found'; then
	printf 'image-root.sh: %s needs libraries this machine lacks:\n%s\n' "$bin" "$libs" >&2
	exit 1
fi
rm -rf "$root"
mkdir -p "$root/usr/local/bin"
install -m 755 "$bin" "$root/usr/local/bin/numalens"
# "name => /path (addr)" for a library, "/path (addr)" for the loader;
# linux-vdso is the kernel's.
printf '%s\n' "$libs" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
	while read -r lib; do
		mkdir -p "$root${lib%/*}"
		cp -L "$lib" "$root$lib"
	done
