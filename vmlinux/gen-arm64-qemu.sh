#!/bin/sh
# Regenerates vmlinux/arm64/vmlinux.h from the BTF of Debian 12's arm64 kernel,
# on any machine (an x86 developer's included), so the BPF side builds on arm64
# servers (Ampere, Graviton: real multi-socket NUMA machines) from a checked-in
# header, as it does on x86.
#
# Why qemu: the kernel package ships no BTF file. The BTF is built into the
# kernel image and only shows at run time as /sys/kernel/btf/vmlinux. So this
# script boots that kernel in qemu-system-aarch64 (TCG, no KVM needed) with a
# tiny freestanding /init (vmlinux/btf-dump-init.c) that prints the BTF
# base64-encoded on the serial console and powers off, then decodes it from
# the console log, checks it (size, POSIX cksum CRC, the 0xeB9F magic) and
# hands it to vmlinux/gen-vmlinux.sh.
#
#   vmlinux/gen-arm64-qemu.sh
# Dev-time only: the build never runs it. It needs apt (Debian), clang, ld.lld,
# cpio and bpftool, and installs qemu-system-arm when missing (as root).
#
# Environment:
#   NUMALENS_ARM64_KERNEL  image package (default: what bookworm's
#                          linux-image-arm64 currently depends on), e.g.
#                          linux-image-6.1.0-56-arm64, to regenerate the
#                          header from the kernel vmlinux/README.md names
#   NUMALENS_DEBIAN_MIRROR Debian mirror (default: this machine's, from its
#                          apt sources), e.g. a snapshot.debian.org one:
#                          http://snapshot.debian.org/archive/debian/20261125T000000Z
#   NUMALENS_DEBIAN_SECURITY its security archive (default: this machine's,
#                          or the mirror's debian-security sibling; none: none)
#   NUMALENS_ARM64_CACHE   cache directory (default ~/.cache/numalens/arm64)
#   NUMALENS_QEMU_TIMEOUT  seconds the guest may take (default 900)
#
# The arm64 package lists and the .deb come through a private apt
# configuration under the cache (arm64 only, signatures checked with Debian's
# keyring); the machine's dpkg architectures and apt state are left alone.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${NUMALENS_ARM64_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/numalens/arm64}
timeout_s=${NUMALENS_QEMU_TIMEOUT:-900}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
start=$(date +%s)

say() { echo "gen-arm64-qemu: $*" >&2; }
die() {
	say "$*"
	exit 1
}

for tool in apt-get apt-cache dpkg-deb clang ld.lld cpio bpftool base64 cksum timeout; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is missing"
done
[ -r "$keyring" ] || die "$keyring is missing (apt-get install debian-archive-keyring)"
if ! command -v qemu-system-aarch64 >/dev/null 2>&1; then
	say "installing qemu-system-arm"
	apt-get install -y -q qemu-system-arm >/dev/null ||
		die "could not install qemu-system-arm (apt-get update first?)"
fi

# The mirrors: this machine's Debian and Debian security ones (deb822 URIs:
# or one-line deb entries); with NUMALENS_DEBIAN_MIRROR, its debian-security
# sibling (deb.debian.org and snapshot.debian.org have one).
mirrors=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | awk '
	/^URIs:/ { for (i = 2; i <= NF; i++) print $i }
	/^deb / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }')
if [ -n "${NUMALENS_DEBIAN_MIRROR:-}" ]; then
	mirror=${NUMALENS_DEBIAN_MIRROR%/}
	security=$(echo "$mirror" | sed -e 's|/debian/|/debian-security/|' -e 's|/debian$|/debian-security|')
else
	mirror=$(echo "$mirrors" | grep -E '/debian/?$' | head -n 1)
	security=$(echo "$mirrors" | grep -E '/debian-security/?$' | head -n 1)
fi
mirror=${mirror:-http://deb.debian.org/debian}
security=${NUMALENS_DEBIAN_SECURITY:-${security:-http://deb.debian.org/debian-security}}
[ "$security" != none ] || security=""
mirror=${mirror%/}
security=${security%/}

# A private apt: its own lists, status and archives under the cache, arm64 only.
apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$cache/debs"
work=$(mktemp -d "$cache/run.XXXXXX")
trap 'rm -rf "$work"' EXIT
: >"$apt_dir/status"
{
	echo "deb [arch=arm64 signed-by=$keyring] $mirror bookworm main"
	[ -z "$security" ] ||
		echo "deb [arch=arm64 signed-by=$keyring] $security bookworm-security main"
} >"$apt_dir/sources.list"
sandbox=""
[ "$(id -u)" -eq 0 ] && sandbox="APT::Sandbox::User=root"
apt_opts() {
	printf '%s\n' -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::State::status=$apt_dir/status" \
		-o "Dir::Cache=$apt_dir/cache" -o "Dir::Cache::archives=$apt_dir/archives" \
		-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/nonexistent" \
		-o "APT::Architecture=arm64" -o "APT::Architectures::=arm64"
	# A snapshot's Release files are signed for a week, then kept as they were.
	case $mirror in
	*snapshot.debian.org*) printf '%s\n' -o "Acquire::Check-Valid-Until=false" ;;
	esac
	[ -z "$sandbox" ] || printf '%s\n' -o "$sandbox"
}
# apt-get/apt-cache with the private configuration (no option has a newline).
papt() {
	cmd=$1
	shift
	old_ifs=$IFS
	IFS='
'
	# shellcheck disable=SC2046
	set -- $(apt_opts) "$@"
	IFS=$old_ifs
	"$cmd" "$@"
}

say "arm64 package lists from $mirror${security:+ and $security}"
if ! papt apt-get -q update >"$apt_dir/update.log" 2>&1; then
	ls "$apt_dir/lists/"*Packages* >/dev/null 2>&1 ||
		die "apt-get update failed (see $apt_dir/update.log)"
	say "apt-get update failed; using the lists from an earlier run"
fi
# apt-get update exits 0 when a source cannot be reached: say so.
grep -E '^(W: Failed to fetch|E: )' "$apt_dir/update.log" >&2 || true

pkg=${NUMALENS_ARM64_KERNEL:-}
if [ -z "$pkg" ]; then
	pkg=$(papt apt-cache depends linux-image-arm64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-arm64\)$/\1/p' | head -n 1)
	[ -n "$pkg" ] || die "cannot resolve linux-image-arm64 to an image package"
fi
version=$(papt apt-cache show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
[ -n "$version" ] || die "no package $pkg in the arm64 lists of $mirror${security:+ and $security}" \
	"(see $apt_dir/update.log)"

deb=$cache/debs/${pkg}_${version}_arm64.deb
if [ ! -s "$deb" ]; then
	say "downloading $pkg $version"
	mkdir "$work/dl"
	(cd "$work/dl" && papt apt-get -q download "$pkg=$version" >/dev/null) ||
		die "apt-get download $pkg=$version failed"
	mv "$work/dl/"*.deb "$deb"
fi
say "$(basename "$deb") sha256 $(sha256sum "$deb" | cut -d' ' -f1)"

# The kernel image: Debian's arm64 vmlinuz is a plain (EFI-signed) Image on
# bookworm, a gzip-compressed one on some releases; qemu gets it uncompressed.
image=$cache/Image-$pkg-$version
if [ ! -s "$image" ]; then
	mkdir "$work/deb"
	dpkg-deb --fsys-tarfile "$deb" | (cd "$work/deb" && tar -xf - --wildcards './boot/vmlinuz-*')
	vmlinuz=$(find "$work/deb/boot" -name 'vmlinuz-*' | head -n 1)
	[ -s "$vmlinuz" ] || die "$deb holds no /boot/vmlinuz-*"
	if [ "$(od -An -tx1 -N2 "$vmlinuz" | tr -d ' ')" = 1f8b ]; then
		gzip -dc <"$vmlinuz" >"$image.tmp"
	else
		cp "$vmlinuz" "$image.tmp"
	fi
	mv "$image.tmp" "$image"
	rm -rf "$work/deb"
fi

# The initramfs: /init and the mount points, nothing else (no device nodes,
# so no root needed: /init mounts devtmpfs for its console).
mkdir -p "$work/root/dev" "$work/root/proc" "$work/root/sys"
clang --target=aarch64-linux-gnu -ffreestanding -nostdlib -static -fuse-ld=lld -O2 \
	-fno-stack-protector -Wall -Werror -o "$work/root/init" "$here/btf-dump-init.c"
(cd "$work/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$work/initrd.cpio"

say "booting $pkg in qemu-system-aarch64 (TCG, about 30 s)"
log=$cache/console.log
status=0
timeout "$timeout_s" qemu-system-aarch64 -M virt -cpu max -m 1024 -nographic -no-reboot \
	-kernel "$image" -initrd "$work/initrd.cpio" \
	-append "console=ttyAMA0 panic=-1 quiet" </dev/null >"$log" 2>&1 || status=$?
[ "$status" -eq 0 ] || say "qemu exited with status $status (124: timed out after ${timeout_s}s)"

tr -d '\r' <"$log" >"$work/console"
if grep -q '^NUMALENS-ERROR' "$work/console"; then
	die "the guest failed: $(grep '^NUMALENS-ERROR' "$work/console" | head -n 1) (log: $log)"
fi
end=$(grep '^NUMALENS-BTF-END ' "$work/console" | head -n 1)
[ -n "$end" ] || die "no BTF in the console log (log: $log)"
kernel=$(sed -n 's/^NUMALENS-VERSION //p' "$work/console" | head -n 1)
sed -n '/^NUMALENS-BTF-BEGIN$/,/^NUMALENS-BTF-END /p' "$work/console" |
	sed '1d;$d' >"$work/btf.b64"
if grep -qv '^[A-Za-z0-9+/=]*$' "$work/btf.b64"; then
	die "console output mixed into the BTF lines: $(grep -v '^[A-Za-z0-9+/=]*$' \
		"$work/btf.b64" | head -n 1) (log: $log)"
fi
base64 -d <"$work/btf.b64" >"$work/vmlinux.btf"
size=$(echo "$end" | cut -d' ' -f2)
sum=$(echo "$end" | cut -d' ' -f3)
got=$(cksum <"$work/vmlinux.btf")
[ "$got" = "$sum $size" ] ||
	die "BTF does not check: cksum '$got', the guest said '$sum $size' (log: $log)"
[ "$(od -An -tx1 -N2 "$work/vmlinux.btf" | tr -d ' ')" = 9feb ] ||
	die "the guest's /sys/kernel/btf/vmlinux does not start with the BTF magic 0xeB9F"

btf=$cache/vmlinux-$pkg-$version.btf
mv "$work/vmlinux.btf" "$btf"
say "BTF of $kernel: $size bytes, cksum $sum, kept as $btf"
"$here/gen-vmlinux.sh" "$btf" arm64 >/dev/null
say "wrote $here/arm64/vmlinux.h ($(wc -c <"$here/arm64/vmlinux.h") bytes) from $pkg $version" \
	"in $(($(date +%s) - start))s; record it in vmlinux/README.md"
