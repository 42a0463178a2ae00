#!/bin/bash
# The Debian package (make deb): lintian finds no error in it; apt-get
# installs it, with the dependencies it names, into a fresh Debian 12 root
# (mmdebstrap), where numalens --version says the build's version, numalens
# doctor describes this machine, and the exporter's unit is installed but not
# enabled. The root stays in build/deploy/root for t-systemd.sh, which boots
# it. Needs root (chroot, mounts) and Debian's mirror.
# shellcheck disable=SC2016 # sh -c and format strings with their own $
set -u
# shellcheck source=tests/results-lib.sh
. tests/results-lib.sh
# shellcheck source=tests/deploy/root-lib.sh
. tests/deploy/root-lib.sh

if [ "$(id -u)" -ne 0 ]; then
	skip deb "needs root (chroot and mounts)"
	give_up
fi
need dpkg-buildpackage deb || give_up
need mmdebstrap deb || give_up
need lintian deb || give_up

out=$(mktemp -d "${TMPDIR:-/tmp}/numalens-deb.XXXXXX")
lintian_pid=""
cleanup() {
	[ -n "$lintian_pid" ] && kill "$lintian_pid" 2>/dev/null
	deploy_umount "$DEPLOY_ROOT"
	rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The version make deb gives the binary (the Makefile's VERSION).
version=$(git describe --always --dirty 2>/dev/null || echo unknown)
git status --porcelain >"$out/status.before"
if ! make -s deb >"$out/make.log" 2>&1; then
	fail "make deb (output below)"
	sed 's/^/    /' "$out/make.log" | tail -n 40
	give_up
fi
debs=(build/deb/numalens_*.deb)
deb=${debs[0]}
if [ ! -f "$deb" ]; then
	fail "make deb wrote no build/deb/numalens_*.deb: $(ls build/deb)"
	give_up
fi
pass "make deb: $deb"
check "the package's version names the build's ($version)" \
	sh -c 'dpkg-deb -f "$1" Version | grep -q "\.$(echo "$2" | tr - .)\$"' sh "$deb" "$version"
check_showing "$out/control" -- "Depends: from shlibs (libbpf1, libnuma1, libjson-c5, libmicrohttpd12)" \
	sh -c 'dpkg-deb -f "$1" Depends >"$2" &&
		for l in libbpf1 libnuma1 libjson-c5 libmicrohttpd12; do grep -q "$l" "$2" || exit 1; done' \
	sh "$deb" "$out/control"
git status --porcelain >"$out/status.after"
check_showing "$out/status.after" -- "make deb leaves the tree as it was (git status)" \
	cmp -s "$out/status.before" "$out/status.after"

# lintian takes half a minute: it runs while the root is made.
lintian --allow-root --pedantic -I "$deb" >"$out/lintian" 2>&1 &
lintian_pid=$!

start=$(date +%s)
if ! base=$(deploy_base 2>"$out/mmdebstrap"); then
	fail "mmdebstrap made no Debian 12 root (output below)"
	sed 's/^/    /' "$out/mmdebstrap" | tail -n 30
	give_up
fi
# A run killed before its trap could leave /dev and /sys bound in the old
# root: unbind them, and never let rm cross into another file system.
deploy_umount "$DEPLOY_ROOT"
rm -rf --one-file-system "$DEPLOY_ROOT"
if ! mkdir -p "$DEPLOY_DIR" || ! cp -a "$base" "$DEPLOY_ROOT"; then
	fail "copying the base root $base to $DEPLOY_ROOT"
	give_up
fi
echo "  root: $DEPLOY_ROOT ($(($(date +%s) - start)) s; base made $(date -r "$base/.numalens-mmdebstrap" '+%F %T'))"

if ! deploy_mount "$DEPLOY_ROOT"; then
	fail "mounting /proc, /sys, /dev in $DEPLOY_ROOT"
	give_up
fi
cp "$deb" "$DEPLOY_ROOT/tmp/"
in_root() { chroot "$DEPLOY_ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }
install_deb() {
	in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"/tmp/${deb##*/}" >"$out/apt" 2>&1
}
# The package lists come with the base root; a week-old one may name .debs
# the mirror no longer has: update once and try again.
if ! install_deb; then
	in_root apt-get update -q >>"$out/apt" 2>&1
	install_deb
fi
status=$(in_root dpkg-query -W -f='${Status}' numalens 2>&1)
check_showing "$out/apt" -- "apt-get install ./${deb##*/} in a fresh Debian 12 root ($status)" \
	test "$status" = "install ok installed"

got=$(in_root numalens --version 2>&1)
check "numalens --version in the root says $version (got: $got)" \
	test "$got" = "numalens $version"

# doctor sees this machine: its node count is that of /sys, its BTF the
# kernel's, the placement source works.
nodes=$(find /sys/devices/system/node -maxdepth 1 -name 'node[0-9]*' | wc -l)
in_root numalens doctor >"$out/doctor" 2>&1
rc=$?
check_showing "$out/doctor" -- "numalens doctor in the root exits 0 (got $rc)" test "$rc" -eq 0
check_showing "$out/doctor" -- "doctor: $nodes NUMA node(s), as /sys/devices/system/node has" \
	grep -Eq "^topology: +$nodes NUMA nodes?," "$out/doctor"
check_showing "$out/doctor" -- "doctor: kernel $(uname -r) with BTF" \
	grep -Eq "^kernel: +$(uname -r | sed 's/[.+]/\\&/g'), BTF present" "$out/doctor"
check_showing "$out/doctor" -- "doctor: the placement source is active" \
	grep -Eq '^ +placement +active ' "$out/doctor"

unit=$DEPLOY_ROOT/lib/systemd/system/numalens-exporter.service
check "the unit is in /lib/systemd/system, running /usr/bin/numalens" \
	grep -q '^ExecStart=/usr/bin/numalens export ' "$unit"
links=$(find "$DEPLOY_ROOT/etc/systemd/system" -name 'numalens*' 2>/dev/null)
check "the unit is not enabled: no link in /etc/systemd/system (found: ${links:-none})" \
	test -z "$links"
state=$(systemctl --root="$DEPLOY_ROOT" is-enabled numalens-exporter.service 2>&1)
check "systemctl --root is-enabled says disabled (got: $state)" test "$state" = disabled

wait "$lintian_pid"
lintian_rc=$?
lintian_pid=""
errors=$(grep -c '^E: ' "$out/lintian")
# Its status is 1 with a tag to report, 0 without; anything else, it did
# not run to its end.
check_showing "$out/lintian" -- "lintian: ran (exit $lintian_rc) and found no error ($errors)" \
	test "$lintian_rc" -le 1 -a "$errors" -eq 0
if grep -q '^W: ' "$out/lintian"; then
	echo "  lintian's warnings:"
	grep '^W: ' "$out/lintian" | sed 's/^/    /'
fi

tally
