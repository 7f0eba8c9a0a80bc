#!/usr/bin/env bash
# tests/completion-check.sh BUILD_DIR - contrib/bash-completion/pathdiag against the tools:
# for every tool and command, the options the completion offers must be exactly those its
# --help lists (both come from the option tables, so a new option must be added to the
# completion too); then a few simulated completions (COMP_WORDS) must give what the option
# tables say: commands after the tool name, a command's own options, an option's values.
# Prints "completion: N passed, M failed"; exit 1 on failure.

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
B=$(cd "${1:-build}" && pwd) || exit 1
# shellcheck source=contrib/bash-completion/pathdiag
. "$HERE/../contrib/bash-completion/pathdiag"
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "completion: ok   $1"; }
bad() { fail=$((fail + 1)); echo "completion: FAIL $1: $2"; }

# The options of a --help text: the leading "-x, --long" words of each option line.
help_opts()
{
	"$@" --help | sed -n 's/^  \{1,\}\(-[A-Za-z0-9]\)\{0,1\},\{0,1\} *\(--[a-z0-9-]\{1,\}\)\{0,1\}.*/\1 \2/p' |
		tr ' ' '\n' | sed '/^$/d' | sort -u
}

for tc in mtuprobe "mtuprobe serve" "mtuprobe tunnel" tunsniff "tunsniff correlate" \
	"tunsniff record" nattrace "nattrace flow" "nattrace conntrack" "nattrace watch"; do
	set -- $tc
	want=$(help_opts "$B/$1" ${2:+"$2"})
	got=$(_pathdiag_opts "$1" "${2:-}" | tr -s ' \t\n' '\n' | sed '/^$/d' | sort -u)
	if [ -z "$want" ]; then
		bad "$tc" "no options read from --help"
	elif [ "$want" = "$got" ]; then
		ok "$tc: $(echo "$want" | wc -l) options, as in --help"
	else
		bad "$tc" "differs from --help: $(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')"
	fi
	# Commands listed in --help are the ones completed.
	if [ -z "${2:-}" ]; then
		cw=$("$B/$1" --help | sed -n '/^Commands/,/^$/p' | awk 'NR > 1 && /^  [a-z]/ {print $1}' | sort | tr '\n' ' ')
		cg=$(_pathdiag_cmds "$1" | tr ' ' '\n' | sort | tr '\n' ' ')
		[ -n "$cw" ] && [ "$cw" = "$cg" ] && ok "$1: commands $cw" ||
			bad "$1 commands" "help '$cw', completion '$cg'"
	fi
done

# complete WORD...: run _pathdiag on the words (the last one is being completed).
complete_words()
{
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_pathdiag
	echo "${COMPREPLY[*]}"
}
t()
{
	local want=$1 got
	shift
	got=$(complete_words "$@")
	[ "$got" = "$want" ] && ok "'$*' -> '$want'" || bad "'$*'" "got '$got', want '$want'"
}
t "check serve tunnel" mtuprobe ""
t "correlate" tunsniff cor
t "--event" nattrace watch --ev
t "--count" nattrace conntrack --cou
t "--no-conntrack" nattrace flow --no
t "icmp" mtuprobe -m ic
t "ipv4 ipv6" nattrace conntrack -f ""
t "--hairpin" nattrace --hai
t "" mtuprobe --expect-mtu ""
echo "completion: $pass passed, $fail failed"
[ "$fail" = 0 ]
