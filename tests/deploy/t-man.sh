#!/bin/bash
# The man pages and the bash completion against the binary (issue 17): every
# option a command's --help lists is in its man page and nothing more, every
# option its parser accepts is in --help and nothing more, the pages render
# without a warning, and the completion offers the commands, each command's
# options and the values --help names. Run from the top of the built tree
# (tests/deploy/run.sh); NUMALENS_DEPLOY_ONLY=man runs only this.
set -u
. tests/results-lib.sh

NL=build/numalens
MAN8=build/man
COMPLETION=deploy/bash-completion/numalens
tmp=$(mktemp -d "${TMPDIR:-/tmp}/numalens-man.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

for f in "$NL" build/numatop-lite "$MAN8/numalens.8" "$MAN8/numatop-lite.8"; do
	if [ ! -e "$f" ]; then
		fail "built: $f is missing (make all builds it)"
		give_up
	fi
done

# --- What --help says ---

# help_options CMD...: the options the --help of CMD (words to run) defines,
# one a line, "-d --duration" or "--max-procs", sorted. An option is defined
# by a line that starts with it, indented 2 to 6 blanks; -h/--help, which
# printed the text, is added.
help_options() {
	{
		"$@" --help | sed -nE 's/^ {2,6}(-[A-Za-z]), (--[a-z][a-z0-9-]*).*/\1 \2/p
			s/^ {2,6}(--[a-z][a-z0-9-]*).*/\1/p'
		echo "-h --help"
	} | sort -u
}

# help_valued CMD...: the options of CMD's --help that take a value (a
# metavariable after the name: "--pid PID"), short and long, one a line.
help_valued() {
	"$@" --help | sed -nE 's/^ {2,6}(-[A-Za-z]), (--[a-z][a-z0-9-]*) [A-Z].*/\1\n\2/p
		s/^ {2,6}(--[a-z][a-z0-9-]*) [A-Z].*/\1/p' | sort -u
}

# help_commands: the commands numalens --help lists.
help_commands() {
	"$NL" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' |
		sort
}

# help_choices OPTION CMD...: the words that the description of OPTION in
# CMD's --help gives as its values, "a, b (default) or c" (to its next
# option line), one a line, sorted.
help_choices() {
	local option=$1
	shift
	"$@" --help | awk -v o="$option" '
		on && (/^ +-/ || /^$/) { exit }
		!on && $0 ~ "^ +(-[A-Za-z], )?" o " " {
			on = 1
			sub("^ +(-[A-Za-z], )?" o " [^ ]+ +", "")
			sub(/^.*: /, "")
		}
		on { print }' | sed 's/(default)//g; s/ or /, /g; s/[ ,][ ,]*/\n/g' | grep . | sort -u
}

# --- What the parser accepts ---

# accepted_options CMD...: the long options the parser of CMD (words to
# run) accepts, one a line, sorted: "--=x" is a prefix of all of them, so
# the parser refuses it as ambiguous and lists them (user/base/cli.c).
accepted_options() {
	"$@" --=x 2>&1 >/dev/null | sed -n "s/^numalens: error: ambiguous option '--': \(.*\) (see .*/\1/p" |
		tr -d ' ' | tr ',' '\n' | sort
}

# --- What the man pages say ---

# man_options FILE [CMD]: the options the scdoc page FILE gives numalens
# CMD: those under its heading (## numalens CMD) and those of each section
# of shared options (# ... OPTIONS) that its text names; without CMD, every
# option of the page (numatop-lite(8)). An option is a line that starts
# with *-: "*-d*, *--duration* _SECONDS_" is "-d --duration". Sorted, one a
# line.
man_options() {
	awk -v cmd="${2:-}" '
		/^;/ { next }
		/^## / { key = substr($0, 4); next }
		/^# / { key = substr($0, 3); next }
		/^\*-/ {
			names = ""
			line = $0
			while (match(line, /\*--?[A-Za-z0-9][A-Za-z0-9-]*\*/)) {
				names = names (names == "" ? "" : " ") substr(line, RSTART + 1, RLENGTH - 2)
				line = substr(line, RSTART + RLENGTH)
			}
			opts[key] = opts[key] names "\n"
			next
		}
		{ text[key] = text[key] " " $0 }
		END {
			if (cmd == "") {
				for (k in opts)
					printf "%s", opts[k]
				exit
			}
			k = "numalens " cmd
			t = text[k]
			gsub(/[*\t]/, " ", t)
			gsub(/  +/, " ", t)
			printf "%s", opts[k]
			for (s in opts)
				if (s ~ / OPTIONS$/ && index(t, s))
					printf "%s", opts[s]
		}' "$1" | sort -u
}

# differ WHAT A-NAME A-FILE B-NAME B-FILE: prints each line of one sorted
# file not in the other, saying where it is; true when there is none.
differ() {
	comm -3 "$3" "$5" | awk -v w="$1" -v a="$2" -v b="$4" '
		/^\t/ { print "    " w ": in " b ", not in " a ": " substr($0, 2); bad = 1; next }
		{ print "    " w ": in " a ", not in " b ": " $0; bad = 1 }
		END { exit bad }'
}

# check_lists NAME A-NAME A-FILE B-NAME B-FILE: a test that A and B hold the
# same lines, which shows the differences when they do not.
check_lists() {
	local name=$1 out
	if out=$(differ "$name" "$2" "$3" "$4" "$5"); then
		pass "$name"
	else
		fail "$name"
		printf '%s\n' "$out"
	fi
}

# --- The pages render ---

for page in numalens numatop-lite; do
	f=$MAN8/$page.8
	groff -man -ww -z "$f" >"$tmp/groff.$page" 2>&1
	check_showing "$tmp/groff.$page" -- "$page(8): groff -man -ww finds nothing to warn about" \
		test ! -s "$tmp/groff.$page"
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" >"$tmp/text.$page" 2>"$tmp/man.$page"
	check_showing "$tmp/man.$page" -- "$page(8): man --warnings -l finds nothing to warn about" \
		test ! -s "$tmp/man.$page"
	check_showing "$tmp/text.$page" -- "$page(8): renders its NAME" \
		grep -q "^NAME" "$tmp/text.$page"
done
# scdoc leaves no markup in the text (an unmatched * or _ shows as itself).
grep -nE '(^|[^\\])\*[A-Za-z-]' "$tmp/text.numalens" "$tmp/text.numatop-lite" \
	>"$tmp/markup" || true
check_showing "$tmp/markup" -- "the rendered pages show no scdoc markup" test ! -s "$tmp/markup"

# --- Commands: --help, the man page, the completion ---

help_commands >"$tmp/commands"
# 'help' is a command that numalens --help names in its last line only.
{
	cat "$tmp/commands"
	echo help
} | sort >"$tmp/commands+help"
awk '/^## numalens / { print $3 }' man/numalens.8.scd | sort -u >"$tmp/man-commands"
check_lists "commands: numalens --help and the man page's" "--help" "$tmp/commands+help" \
	"numalens(8)" "$tmp/man-commands"

# --- Options: --help, the man page, the parser ---

# compare_options NAME HELP-FILE MAN-FILE: the options --help lists and the
# man page's; true when the same.
compare_options() {
	differ "$1" "--help" "$2" "the man page" "$3"
}

# The comparison must be able to fail. self_test NAME CMD SCD EXPECTED: the
# comparison of CMD's --help with the page SCD (a changed copy) says EXPECTED.
self_test() {
	local out
	help_options "$NL" "$2" >"$tmp/help.$2"
	man_options "$3" "$2" >"$3.options"
	out=$(compare_options "$2" "$tmp/help.$2" "$3.options")
	check_showing "$3.options" -- "self-test: $1" test "$out" = "    $4"
}
# The man page without an option of pin's own, without a shared one
# (--min-rss, under THRESHOLD OPTIONS), and with one that --help lacks.
grep -v '^\*--verify-gain\*' man/numalens.8.scd >"$tmp/no-verify-gain.scd"
self_test "a man page without --verify-gain is reported, and only that" pin \
	"$tmp/no-verify-gain.scd" "pin: in --help, not in the man page: --verify-gain"
grep -v '^\*--min-rss\*' man/numalens.8.scd >"$tmp/no-min-rss.scd"
self_test "a man page without the shared --min-rss is reported for diagnose" diagnose \
	"$tmp/no-min-rss.scd" "diagnose: in --help, not in the man page: --min-rss"
sed 's/^\*--verify\* _SECONDS_$/*--verify-twice*\n\tNo such option.\n\n&/' man/numalens.8.scd \
	>"$tmp/extra.scd"
self_test "a man page with an option --help lacks (--verify-twice) is reported" pin \
	"$tmp/extra.scd" "pin: in the man page, not in --help: --verify-twice"
# ... and the parser's list is read right: unpin takes --verbose and --help.
accepted_options "$NL" unpin >"$tmp/accepted.unpin"
check_showing "$tmp/accepted.unpin" -- "self-test: the parser of unpin accepts --help, --verbose" \
	test "$(tr '\n' ' ' <"$tmp/accepted.unpin")" = "--help --verbose "

while IFS= read -r cmd; do
	[ "$cmd" = version ] && continue
	help_options "$NL" "$cmd" >"$tmp/help.$cmd"
	if [ "$cmd" = top ]; then
		man_options man/numatop-lite.8.scd >"$tmp/man.$cmd"
	else
		man_options man/numalens.8.scd "$cmd" >"$tmp/man.$cmd"
	fi
	check_lists "$cmd: the options of --help and of the man page" "--help" "$tmp/help.$cmd" \
		"the man page" "$tmp/man.$cmd"
	awk '{ print $NF }' "$tmp/help.$cmd" | sort >"$tmp/help-long.$cmd"
	accepted_options "$NL" "$cmd" >"$tmp/accepted.$cmd"
	check_lists "$cmd: the long options of --help and those its parser accepts" "--help" \
		"$tmp/help-long.$cmd" "the parser" "$tmp/accepted.$cmd"
done <"$tmp/commands"

help_options build/numatop-lite >"$tmp/help.numatop-lite"
man_options man/numatop-lite.8.scd >"$tmp/man.numatop-lite"
check_lists "numatop-lite: the options of --help and of the man page" "--help" \
	"$tmp/help.numatop-lite" "the man page" "$tmp/man.numatop-lite"
accepted_options build/numatop-lite >"$tmp/accepted.numatop-lite"
awk '{ print $NF }' "$tmp/help.numatop-lite" | sort >"$tmp/help-long.numatop-lite"
check_lists "numatop-lite: the long options of --help and those its parser accepts" "--help" \
	"$tmp/help-long.numatop-lite" "the parser" "$tmp/accepted.numatop-lite"

# --- The bash completion ---

if ! out=$(bash -c ". '$COMPLETION' && complete -p numalens numatop-lite" 2>&1); then
	fail "completion: loads in bash and completes numalens and numatop-lite"
	printf '    %s\n' "$out"
	give_up
fi
pass "completion: loads in bash and completes numalens and numatop-lite"
# shellcheck source=deploy/bash-completion/numalens
. "$COMPLETION"

# complete_now WORD...: the completion for the words typed, the last one
# being completed: COMPREPLY holds what it offers. completes WORD...: the
# same, one a line, sorted.
complete_now() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	_numalens
}

completes() {
	complete_now "$@"
	[ "${#COMPREPLY[@]}" -gt 0 ] && printf '%s\n' "${COMPREPLY[@]}" | sort -u
}

# offered WORD: whether the last completion offered WORD.
offered() {
	local w
	for w in "${COMPREPLY[@]}"; do
		[ "$w" = "$1" ] && return 0
	done
	return 1
}

completes numalens '' >"$tmp/c.commands"
check_lists "completion: numalens TAB offers the commands" "--help" "$tmp/commands+help" \
	"the completion" "$tmp/c.commands"
completes numalens help '' >"$tmp/c.help"
check_lists "completion: numalens help TAB offers the commands" "--help" "$tmp/commands" \
	"the completion" "$tmp/c.help"

# A pin record, for unpin and status to offer its pid.
export NUMALENS_STATE_DIR=$tmp/state
mkdir -m 0700 "$NUMALENS_STATE_DIR" && : >"$NUMALENS_STATE_DIR/4242.pin"

# After an option that takes a value the completion offers its values (or
# nothing), after one that does not what it offers at that point with no
# option before: marker is a word of the latter that no value is.
marker_of() {
	case $1 in
	pin) echo $$ ;;
	unpin | status) echo 4242 ;;
	*) echo --help ;;
	esac
}

# check_completion NAME WORD...: the options of --help, each option's value.
check_completion() {
	local name=$1 opt marker valued valued_list wrong=""
	shift
	awk '{ print $NF }' "$tmp/help.$name" | sort >"$tmp/help-long.$name"
	completes "$@" -- >"$tmp/c.$name"
	check_lists "completion: $name -- TAB offers the options of its --help" "--help" \
		"$tmp/help-long.$name" "the completion" "$tmp/c.$name"
	marker=$(marker_of "$name")
	valued_list=" $(help_valued "$@" | tr '\n' ' ') "
	complete_now "$@" ''
	if ! offered "$marker"; then
		fail "completion: $name TAB offers $marker"
		return
	fi
	# One fork-free completion per option (each fork counts on a loaded machine).
	for opt in $(tr '\n' ' ' <"$tmp/help.$name"); do
		valued=no
		[[ $valued_list == *" $opt "* ]] && valued=yes
		complete_now "$@" "$opt" ''
		if offered "$marker"; then
			[ $valued = yes ] && wrong="$wrong $opt(takes a value: its value, not $marker)"
		else
			[ $valued = no ] && wrong="$wrong $opt(takes none: $marker after it)"
		fi
	done
	if [ -z "$wrong" ]; then
		pass "completion: $name: after each option, its value or the next word"
	else
		fail "completion: $name: after each option, its value or the next word:$wrong"
	fi
}

while IFS= read -r cmd; do
	[ "$cmd" = version ] && continue
	check_completion "$cmd" "$NL" "$cmd"
done <"$tmp/commands"
check_completion numatop-lite build/numatop-lite

# The values: pids, nodes, and the choices --help names, each of which the
# parser takes (the --=x after it stops the command once it has).
completes "$NL" diagnose --pid '' >"$tmp/c.pid"
check_showing "$tmp/c.pid" -- "completion: diagnose --pid TAB offers the pids (this one: $$)" \
	grep -qx "$$" "$tmp/c.pid"
completes build/numatop-lite -p '' >"$tmp/c.pid"
check_showing "$tmp/c.pid" -- "completion: numatop-lite -p TAB offers the pids (this one: $$)" \
	grep -qx "$$" "$tmp/c.pid"
completes "$NL" diagnose --pid = '' >"$tmp/c.pid"
check_showing "$tmp/c.pid" -- "completion: diagnose --pid=TAB offers the pids (this one: $$)" \
	grep -qx "$$" "$tmp/c.pid"
for s in unpin status; do
	completes "$NL" $s '' >"$tmp/c.pinned"
	check_showing "$tmp/c.pinned" -- \
		"completion: $s TAB offers the pids with a pin record in \$NUMALENS_STATE_DIR" \
		test "$(cat "$tmp/c.pinned")" = 4242
done
completes "$NL" pin 4242 '' >"$tmp/c.pin2"
check_showing "$tmp/c.pin2" -- "completion: pin PID TAB offers no second pid" \
	test ! -s "$tmp/c.pin2"
{
	echo auto
	for n in /sys/devices/system/node/node[0-9]*; do
		[ -e "$n" ] && echo "${n##*/node}"
	done
} | sort >"$tmp/nodes"
completes "$NL" pin --node '' >"$tmp/c.nodes"
check_lists "completion: pin --node TAB offers auto and the nodes" "auto and" "$tmp/nodes" \
	"the completion" "$tmp/c.nodes"

# check_choices NAME OPTION WORD...: the completion of OPTION's value is
# the choices its --help names, and the parser takes each.
check_choices() {
	local name=$1 option=$2 choice refused=""
	shift 2
	help_choices "$option" "$@" >"$tmp/choices"
	completes "$@" "$option" '' >"$tmp/c.choices"
	if [ ! -s "$tmp/choices" ]; then
		fail "$name: its --help names the values of $option"
		return
	fi
	check_lists "completion: $name $option TAB offers the values its --help names" "--help" \
		"$tmp/choices" "the completion" "$tmp/c.choices"
	while IFS= read -r choice; do
		"$@" "$option" "$choice" --=x 2>&1 | grep -q "ambiguous option '--'" ||
			refused="$refused $choice"
	done <"$tmp/choices"
	if [ -z "$refused" ]; then
		pass "$name: the parser takes every value of $option that --help names"
	else
		fail "$name: the parser refuses values of $option that --help names:$refused"
	fi
}
check_choices numatop-lite --sort build/numatop-lite
check_choices diagnose --pmu-rate "$NL" diagnose
check_choices export --group-by "$NL" export

tally
