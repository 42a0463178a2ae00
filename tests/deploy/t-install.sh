#!/bin/bash
# make install (issue 17): with DESTDIR and PREFIX=/usr (as the Debian
# package runs it) and with the default PREFIX=/usr/local, exactly the
# expected files, modes and links; the installed binary runs under both
# names, man finds and renders the installed pages, bash loads the installed
# completion under both names, and the unit starts the installed binary. Run
# from the top of the built tree (tests/deploy/run.sh);
# NUMALENS_DEPLOY_ONLY=install runs only this.
set -u
. tests/results-lib.sh

tmp=$(mktemp -d "${TMPDIR:-/tmp}/numalens-install.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

# install_into DIR PREFIX: make install DESTDIR=DIR PREFIX=PREFIX, its
# output in DIR.log. The make that runs this suite may have passed its
# jobserver in MAKEFLAGS: this make is not its child.
install_into() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory install \
		DESTDIR="$1" PREFIX="$2" >"$1.log" 2>&1
}

# tree DIR: every file and link under DIR, "PATH MODE" or "PATH -> TARGET",
# sorted.
tree() {
	(cd "$1" && find . -mindepth 1 \( -type f -printf '%P %m\n' \) -o \
		\( -type l -printf '%P -> %l\n' \)) | sort
}

# check_prefix NAME DESTDIR PREFIX UNITDIR: one install, every check.
check_prefix() {
	local name=$1 d=$2 prefix=$3 unitdir=$4 p=${3#/} u=${4#/} out
	if ! install_into "$d" "$prefix"; then
		fail "$name: make install DESTDIR=... PREFIX=$prefix"
		sed 's/^/    /' "$d.log"
		return
	fi
	pass "$name: make install DESTDIR=... PREFIX=$prefix"

	sort >"$tmp/$name.want" <<EOF
$p/bin/numalens 755
$p/bin/numatop-lite -> numalens
$p/share/man/man8/numalens.8 644
$p/share/man/man8/numatop-lite.8 644
$p/share/bash-completion/completions/numalens 644
$p/share/bash-completion/completions/numatop-lite -> numalens
$u/numalens-exporter.service 644
$p/share/numalens/dashboards/numalens.json 644
$p/share/numalens/rules/numalens-alerts.yml 644
$p/share/numalens/rules/numalens-recording.yml 644
EOF
	tree "$d" >"$tmp/$name.got"
	if out=$(diff "$tmp/$name.want" "$tmp/$name.got"); then
		pass "$name: exactly the expected files, modes and links"
	else
		fail "$name: exactly the expected files, modes and links (< expected, > installed)"
		printf '%s\n' "$out" | sed 's/^/    /'
	fi

	out=""
	cmp -s build/numalens "$d$prefix/bin/numalens" || out="$out bin/numalens"
	cmp -s build/man/numalens.8 "$d$prefix/share/man/man8/numalens.8" ||
		out="$out numalens.8"
	cmp -s build/man/numatop-lite.8 "$d$prefix/share/man/man8/numatop-lite.8" ||
		out="$out numatop-lite.8"
	cmp -s deploy/bash-completion/numalens \
		"$d$prefix/share/bash-completion/completions/numalens" || out="$out completion"
	cmp -s dashboards/numalens.json "$d$prefix/share/numalens/dashboards/numalens.json" ||
		out="$out numalens.json"
	for f in numalens-alerts.yml numalens-recording.yml; do
		cmp -s "dashboards/$f" "$d$prefix/share/numalens/rules/$f" || out="$out $f"
	done
	if [ -z "$out" ]; then
		pass "$name: each installed file is the built or shipped one"
	else
		fail "$name: installed files that differ from the built or shipped ones:$out"
	fi

	# The binary under both names (numatop-lite by its link).
	out=$("$d$prefix/bin/numalens" --version 2>&1)
	check_showing "$d.log" -- "$name: the installed numalens runs ($out)" \
		test "$out" = "$(build/numalens --version)"
	"$d$prefix/bin/numatop-lite" --help >"$tmp/$name.top" 2>&1
	check_showing "$tmp/$name.top" -- "$name: the installed numatop-lite is the live view" \
		grep -q '^Usage: numatop-lite' "$tmp/$name.top"

	# The unit starts the installed binary, in every ExecStart= (those
	# commented out too: they are the examples to uncomment).
	grep 'ExecStart=' "$d$unitdir/numalens-exporter.service" >"$tmp/$name.exec"
	# shellcheck disable=SC2016 # awk's $1
	check_showing "$tmp/$name.exec" -- "$name: the unit's ExecStart= lines run $prefix/bin/numalens" \
		awk -v want="$prefix/bin/numalens" '{ sub(/^#?ExecStart=/, ""); if ($1 != want) bad = 1; n++ }
			END { exit bad || n < 1 }' "$tmp/$name.exec"

	# man finds the pages under the prefix, and they render without a warning.
	MANPATH=$d$prefix/share/man man -w 8 numalens numatop-lite >"$tmp/$name.where" 2>&1
	check_showing "$tmp/$name.where" -- "$name: man -w finds both pages in the installed tree" \
		test "$(tr '\n' ' ' <"$tmp/$name.where")" = \
		"$d$prefix/share/man/man8/numalens.8 $d$prefix/share/man/man8/numatop-lite.8 "
	MANPATH=$d$prefix/share/man LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings 8 numatop-lite \
		>"$tmp/$name.man" 2>"$tmp/$name.manerr"
	check_showing "$tmp/$name.manerr" -- "$name: man numatop-lite renders without a warning" \
		grep -q 'numatop-lite - live view' "$tmp/$name.man"
	check_showing "$tmp/$name.manerr" -- "$name: ... and says nothing on stderr" \
		test ! -s "$tmp/$name.manerr"

	# bash-completion loads completions/NAME for a command NAME: both load,
	# and each completes its command.
	out=$(bash -c ". '$d$prefix/share/bash-completion/completions/numalens' &&
		complete -p numalens && . '$d$prefix/share/bash-completion/completions/numatop-lite' &&
		complete -p numatop-lite
		COMP_WORDS=(numatop-lite --so); COMP_CWORD=1; _numalens; echo \"\${COMPREPLY[*]}\"" 2>&1)
	check "$name: the installed completion loads under both names and completes" \
		test "$out" = "complete -F _numalens numalens
complete -F _numalens numatop-lite
--sort"
}

check_prefix usr "$tmp/usr" /usr /lib/systemd/system
check_prefix local "$tmp/local" /usr/local /usr/local/lib/systemd/system

tally
