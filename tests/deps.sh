#!/bin/sh
# Installs the Debian 12 packages that building and testing numalens need,
# only when one is missing (so repeated runs cost a dpkg query).
# tests/deps.sh build: only what building needs (make diagnose).
set -eu

# Building: the compilers, the libraries, the man pages' scdoc.
BUILD_PACKAGES="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libnuma-dev
libjson-c-dev pkg-config libncurses-dev libmicrohttpd-dev scdoc"

PACKAGES="$BUILD_PACKAGES numactl
libcmocka-dev jq qemu-system-x86 busybox-static cpio xz-utils
linux-perf bpftrace libclang-rt-14-dev clang-format tmux"
# The exporter: a real Prometheus and promtool for its tests, curl, and wrk
# for its benchmark.
PACKAGES="$PACKAGES prometheus curl wrk"
# make test-load: the host suites while every CPU is kept busy.
PACKAGES="$PACKAGES stress-ng"
# Processes with hostile names (tests/workload/named.py) and a strict
# UTF-8 JSON check (python3 -m json.tool) in the CLI and exporter tests.
PACKAGES="$PACKAGES python3"
# Signalling pin in the middle of its change (at a chosen
# sched_setaffinity), in the pin test.
PACKAGES="$PACKAGES strace"
# make test-deploy: the Debian package (debhelper,
# lintian), a Debian root to install it into and boot (mmdebstrap,
# systemd-nspawn), the container image (buildah, podman with runc), the
# Kubernetes manifests' schema check (the Python client's models).
PACKAGES="$PACKAGES debhelper dpkg-dev fakeroot lintian mmdebstrap systemd-container"
PACKAGES="$PACKAGES buildah podman runc python3-kubernetes python3-yaml"
# The man pages rendered with warnings on (man, groff), in tests/deploy/t-man.sh.
PACKAGES="$PACKAGES man-db groff-base"

[ "${1:-}" = build ] && PACKAGES=$BUILD_PACKAGES
missing=""
for pkg in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "numalens: missing packages:$missing; run 'make deps' as root or install them" >&2
	exit 1
fi
echo "numalens: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
