# A Debian 12 root for the package and systemd suites (bash, sourced):
# t-deb.sh installs the package into a fresh copy of it, t-systemd.sh boots
# that copy with systemd-nspawn. The copy lives in build/deploy; the base
# root and the .debs apt fetched are kept between clones, as the VM tests'
# kernels are, in ~/.cache/numalens/deploy (NUMALENS_DEPLOY_CACHE).
# shellcheck shell=bash disable=SC2016,SC2034 # hooks' own $1; used by the suites

DEPLOY_DIR=${NUMALENS_DEPLOY_DIR:-$PWD/build/deploy}
DEPLOY_CACHE=${NUMALENS_DEPLOY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/numalens/deploy}
# The root the package goes into (made by t-deb.sh, booted by t-systemd.sh).
DEPLOY_ROOT=$DEPLOY_DIR/root
# The .debs apt fetched, kept for the next run: mmdebstrap's and the
# package's dependencies.
DEPLOY_APT=$DEPLOY_CACHE/apt-cache

# What the base root holds: systemd to boot it, nothing else (apt is in the
# apt variant; the suites speak HTTP with bash's /dev/tcp, not curl). No
# documentation, and the package lists kept, so that apt-get install ./deb
# resolves the dependencies without an update.
DEPLOY_MMDEBSTRAP=(--variant=apt --include=systemd --dpkgopt=force-unsafe-io
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
	--dpkgopt='path-exclude=/usr/share/locale/*' --skip=cleanup/apt/lists)

# deploy_base: prints the path of the base root, made with mmdebstrap the
# first time (about two minutes, most of it dpkg) and again when its
# options change or it is a week old (its package lists go stale). The .debs
# of this machine's apt cache are linked in first, so that apt downloads only
# what this machine never installed.
deploy_base() {
	local base=$DEPLOY_CACHE/base stamp want
	stamp=$base/.numalens-mmdebstrap
	want="${DEPLOY_MMDEBSTRAP[*]} bookworm"
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
		[ -z "$(find "$stamp" -mtime +6)" ]; then
		echo "$base"
		return 0
	fi
	rm -rf "$base" "$base.tmp"
	mkdir -p "$DEPLOY_APT" || return 1
	find /var/cache/apt/archives -maxdepth 1 -name '*.deb' \
		-exec cp -nl -t "$DEPLOY_APT" {} + 2>/dev/null || true
	# The hooks bind the cache into the root while apt runs, in a mount
	# namespace of its own: nothing stays mounted if it fails.
	unshare -m --propagation private mmdebstrap -q "${DEPLOY_MMDEBSTRAP[@]}" \
		--setup-hook="mkdir -p \"\$1/var/cache/apt/archives\" &&
			mount --bind '$DEPLOY_APT' \"\$1/var/cache/apt/archives\"" \
		--customize-hook='umount "$1/var/cache/apt/archives"' \
		bookworm "$base.tmp" >&2 || return 1
	echo "$want" >"$base.tmp/.numalens-mmdebstrap"
	mv "$base.tmp" "$base"
	echo "$base"
}

# deploy_mount ROOT: /proc, /sys (with BTF, tracefs and the cgroups under
# it), /dev and the apt cache in ROOT, for commands run with chroot;
# deploy_umount ROOT undoes it (and what a failed deploy_mount left).
deploy_mount() {
	local root=$1
	mount -t proc proc "$root/proc" &&
		mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys" &&
		mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev" &&
		mount --bind "$DEPLOY_APT" "$root/var/cache/apt/archives"
}

deploy_umount() {
	local root=$1 m
	for m in var/cache/apt/archives dev sys proc; do
		if mountpoint -q "$root/$m"; then
			umount -R "$root/$m" 2>/dev/null || umount -Rl "$root/$m"
		fi
	done
}
