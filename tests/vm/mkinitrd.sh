#!/bin/sh
# Builds the initramfs the VM tests boot: busybox-static (with its applet
# links), numalens, numatop-lite, numa-workload and numactl with the shared
# libraries ldd lists, the /init of guest/init and the guest helpers, and
# GUEST_SCRIPT as /guest.sh, which /init runs.
#
# Usage: mkinitrd.sh OUT.cpio.gz GUEST_SCRIPT
#        mkinitrd.sh --base OUT.cpio.gz
#        mkinitrd.sh --base BASE.cpio.gz OUT.cpio.gz GUEST_SCRIPT
# --base alone builds everything but /guest.sh; with BASE, OUT is BASE and a
# second archive holding only /guest.sh (the kernel unpacks concatenated
# archives in turn), so a run builds the big part once, not once a test.
# NUMALENS_BUILD names the folder holding the binaries (default: build).
# A missing build/numalens is left out with a warning (the guest scripts then
# report it); the other binaries are required.
set -eu

usage() {
	sed -n '7,9s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

# cpio_gz DIR OUT: DIR's tree as a gzip-compressed newc archive, owned by root.
cpio_gz() {
	mkdir -p "$(dirname "$2")"
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$2.tmp"
}

guest=""
if [ "${1:-}" = --base ]; then
	case $# in
	2) out=$2 ;;
	4)
		[ -f "$2" ] || {
			echo "mkinitrd: base $2 is missing (mkinitrd.sh --base $2)" >&2
			exit 1
		}
		[ -f "$4" ] || {
			echo "mkinitrd: guest script $4 is missing" >&2
			exit 1
		}
		only=$(mktemp -d "${TMPDIR:-/tmp}/numalens-initrd.XXXXXX")
		trap 'rm -rf "$only"' EXIT
		cp "$4" "$only/guest.sh"
		cpio_gz "$only" "$3"
		cat "$2" "$3.tmp" >"$3"
		rm -f "$3.tmp"
		exit 0
		;;
	*) usage ;;
	esac
elif [ $# -eq 2 ]; then
	out=$1
	guest=$2
else
	usage
fi
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${NUMALENS_BUILD:-$top/build}

for f in /bin/busybox "$build/numa-workload" ${guest:+"$guest"}; do
	if [ ! -f "$f" ]; then
		echo "mkinitrd: $f is missing (make all; apt-get install busybox-static)" >&2
		exit 1
	fi
done
numactl=$(command -v numactl) || {
	echo "mkinitrd: numactl is missing (apt-get install numactl)" >&2
	exit 1
}

root=$(mktemp -d "${TMPDIR:-/tmp}/numalens-initrd.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/lib/numalens" \
	"$root/dev" "$root/proc" "$root/sys" "$root/run" "$root/tmp" "$root/etc" "$root/root"

# busybox: one link per applet, where busybox says the applet lives.
cp /bin/busybox "$root/bin/busybox"
/bin/busybox --list-full | while read -r applet; do
	[ -e "$root/$applet" ] && continue
	mkdir -p "$root/$(dirname "$applet")"
	ln -s /bin/busybox "$root/$applet"
done

# copy_bin FILE: FILE into /usr/bin, with the libraries ldd lists, each at
# the path ldd names (the dynamic loader looks there).
copy_bin() {
	cp -L "$1" "$root/usr/bin/$(basename "$1")"
	ldd "$1" 2>/dev/null | awk '
		/=> \// { print $3; next }
		/^[ \t]*\// { print $1 }' | while read -r lib; do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

copy_bin "$build/numa-workload"
copy_bin "$numactl"
if [ -f "$build/numalens" ]; then
	copy_bin "$build/numalens"
	ln -s numalens "$root/usr/bin/numatop-lite"
else
	echo "mkinitrd: warning: $build/numalens is missing; left out" >&2
fi

# The host's CPU-time tests, run in the guest on its kernel (t-cpu-time.sh).
if [ -f "$build/tests/bpf_test_cputime" ]; then
	copy_bin "$build/tests/bpf_test_cputime"
fi
# The synthetic-sample tests, likewise (t-cpu-time.sh).
if [ -f "$build/tests/bpf_test_synth" ]; then
	copy_bin "$build/tests/bpf_test_synth"
fi

cp "$here/guest/init" "$root/init"
chmod 755 "$root/init"
cp "$here/guest/guest-lib.sh" "$root/lib/numalens/guest-lib.sh"
[ -z "$guest" ] || cp "$guest" "$root/guest.sh"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
# The kernel opens /dev/console for /init before devtmpfs is mounted.
if [ "$(id -u)" -eq 0 ]; then
	mknod -m 600 "$root/dev/console" c 5 1
	mknod -m 666 "$root/dev/null" c 1 3
fi

cpio_gz "$root" "$out"
mv "$out.tmp" "$out"
