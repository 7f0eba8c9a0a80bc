#!/bin/sh
# tests/cli/run.sh BUILD_DIR - black-box tests of the tools' command line:
# exact stderr lines, exit codes, --help/--version, --json documents, and
# what happens when stdout cannot be written (closed, full disk, broken
# pipe).  No test sends any network traffic.  Closes with
# "cli: N passed, M failed" and exits non-zero when anything failed.
#
# The expected texts below are the specification of the interface (see the
# man pages in docs/); they are not copied from the tools' output.
#
# Checks are shell code in single quotes, expanded when check() evals them
# with the variables set just before:
# shellcheck disable=SC2016,SC2034,SC2086

set -u

B=${1:?usage: tests/cli/run.sh BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/pathdiag-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM

pass=0
fail=0

# Operands that make each tool fail at run time without sending anything
# (mtuprobe: an IPv6 literal with -4 is refused before any socket or lookup),
# and the one line it must say then.
fail_args() {
	case $1 in
	mtuprobe) echo "-4 ::1" ;;
	tunsniff) echo "-r /nonexistent/pathdiag-cli.pcap" ;;
	nattrace) echo "-4 ::1" ;;
	*) echo "" ;;
	esac
}
fail_msg() {
	case $1 in
	mtuprobe) echo "'::1' is an IPv6 address but -4 was given; drop -4" ;;
	tunsniff) echo "/nonexistent/pathdiag-cli.pcap: No such file or directory" ;;
	nattrace) echo "'::1' is an IPv6 address but -4 was given; drop -4" ;;
	esac
}

# run [REDIR] CMD...: run CMD with stdout to $T/out (or as REDIR says:
# "closed", "full") and stderr to $T/err; sets rc.
run() {
	mode=normal
	case $1 in closed|full) mode=$1; shift ;; esac
	: >"$T/out"
	case $mode in
	normal) "$@" >"$T/out" 2>"$T/err" ;;
	closed) "$@" >&- 2>"$T/err" ;;
	full) "$@" >/dev/full 2>"$T/err" ;;
	esac
	rc=$?
}

# Checks print why they failed and return non-zero.
rc_is() {
	[ "$rc" -eq "$1" ] || { echo "exit code $rc, expected $1"; return 1; }
}
out_empty() {
	[ ! -s "$T/out" ] || { echo "stdout not empty: $(head -c 200 "$T/out")"; return 1; }
}
err_empty() {
	[ ! -s "$T/err" ] || { echo "stderr not empty: $(head -c 200 "$T/err")"; return 1; }
}
# err_is TEXT: stderr is exactly the one line TEXT.
err_is() {
	printf '%s\n' "$1" >"$T/want"
	cmp -s "$T/err" "$T/want" || {
		echo "stderr is '$(head -c 300 "$T/err")', expected '$1'"
		return 1
	}
}
# err_one_line_with TEXT: stderr is one line, and it contains TEXT.
err_one_line_with() {
	n=$(wc -l <"$T/err")
	[ "$n" -eq 1 ] || { echo "stderr has $n lines: $(head -c 300 "$T/err")"; return 1; }
	grep -qF -- "$1" "$T/err" || { echo "stderr '$(cat "$T/err")' lacks '$1'"; return 1; }
}
err_has() {
	grep -qF -- "$1" "$T/err" || { echo "stderr lacks '$1': $(head -c 200 "$T/err")"; return 1; }
}
out_has() {
	grep -qF -- "$1" "$T/out" || { echo "stdout lacks '$1'"; return 1; }
}

# json_error_doc TOOL VERSION ERROR: stdout is one valid JSON document that
# reports ERROR as UNKNOWN.
json_error_doc() {
	python3 -c 'import json,sys; json.load(sys.stdin)' <"$T/out" ||
		{ echo "stdout is not valid JSON"; return 1; }
	python3 - "$T/out" "$@" 2>&1 <<'EOF'
import json, sys
path, tool, version, error = sys.argv[1:]
doc = json.load(open(path))
want = {"schema_version": 1, "tool": tool, "version": version,
        "verdict": "UNKNOWN", "exit_code": 3, "error": error}
for k, v in want.items():
    if doc.get(k) != v:
        sys.exit("%s is %r, expected %r" % (k, doc.get(k), v))
if list(doc)[0] != "schema_version":
    sys.exit("schema_version is not the first key")
if doc.get("findings") != []:
    sys.exit("findings is %r, expected []" % (doc.get("findings"),))
EOF
}

# check NAME CHECKS: CHECKS is shell code run after the command.
check() {
	name=$1
	shift
	if why=$(eval "$*"); then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $name: $why"
	fi
}

# Exit code of a command whose stdout is a pipe nobody reads.
run_broken_pipe() {
	python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)
sys.stderr.buffer.write(p.stderr)
sys.exit(p.returncode if p.returncode >= 0 else 128 - p.returncode)
' "$@" 2>"$T/err"
	rc=$?
	: >"$T/out"
}

for t in mtuprobe tunsniff nattrace; do
	bin=$B/$t
	if [ ! -x "$bin" ]; then
		fail=$((fail + 1))
		echo "FAIL: $t: $bin missing (build with make BUILD=$B all)"
		continue
	fi
	what=$(fail_msg "$t")
	fa=$(fail_args "$t")

	# --help / -h
	for h in --help -h; do
		run "$bin" "$h"
		check "$t $h" 'rc_is 0 && err_empty && out_has "Usage: $t " &&
			out_has "--json" && out_has "--quiet" && out_has "--version" &&
			out_has "Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN"'
	done

	# Every long option --help lists is in the man page too.
	run "$bin" --help
	grep -o -- '--[a-z][a-z-]*' "$T/out" | sort -u >"$T/longopts"
	while read -r o; do
		check "$t man page lists $o" \
			'grep -qF -- "$(echo "$o" | sed "s/-/\\\\-/g")" "$ROOT/docs/$t.1" 2>/dev/null ||
				{ echo "docs/$t.1 does not mention $o"; false; }'
	done <"$T/longopts"

	# --version / -V: "NAME VERSION (pathdiag)", one line.
	run "$bin" --version
	check "$t --version" 'rc_is 0 && err_empty &&
		[ "$(wc -l <"$T/out")" -eq 1 ] &&
		grep -qE "^$t [^ ]+ \(pathdiag\)\$" "$T/out" ||
		{ echo "stdout: $(cat "$T/out")"; false; }'
	version=$(sed -n "s/^$t \([^ ]*\) (pathdiag)\$/\1/p" "$T/out")
	cp "$T/out" "$T/version"
	run "$bin" -V
	check "$t -V same as --version" 'rc_is 0 && cmp -s "$T/out" "$T/version"'
	run "$bin" -qV
	check "$t -qV (clustered)" 'rc_is 0 && cmp -s "$T/out" "$T/version"'

	# A run-time failure: one line, UNKNOWN.
	# shellcheck disable=SC2086 # $fa is a list of words on purpose
	run "$bin" $fa
	check "$t $fa (fails)" 'rc_is 3 && out_empty && err_is "$t: $what"'
	# shellcheck disable=SC2086
	run "$bin" -q $fa
	check "$t -q $fa" 'rc_is 3 && out_empty && err_is "$t: $what"'

	# Bad usage: exactly one line naming the option, exit 3, stdout empty.
	run "$bin" --bogus
	check "$t --bogus" \
		'rc_is 3 && out_empty && err_is "$t: unknown option '\''--bogus'\''; see '\''$t --help'\''"'
	run "$bin" --bogus=1
	check "$t --bogus=1" \
		'rc_is 3 && out_empty && err_is "$t: unknown option '\''--bogus'\''; see '\''$t --help'\''"'
	run "$bin" -Y
	check "$t -Y" \
		'rc_is 3 && out_empty && err_is "$t: unknown option '\''-Y'\''; see '\''$t --help'\''"'
	run "$bin" -qY
	check "$t -qY (clustered)" \
		'rc_is 3 && out_empty && err_is "$t: unknown option '\''-Y'\''; see '\''$t --help'\''"'
	# -Z/--user USER (common): a value is required and not empty.
	run "$bin" -qZ
	check "$t -qZ (user missing)" \
		'rc_is 3 && out_empty && err_is "$t: option '\''-Z'\'' needs a value; see '\''$t --help'\''"'
	run "$bin" --user ""
	check "$t --user '' (empty)" \
		'rc_is 3 && out_empty && err_is "$t: --user needs a user name; see '\''$t --help'\''"'
	run "$bin" --help
	check "$t --help lists -Z, --user USER" 'rc_is 0 && out_has "  -Z, --user USER"'
	run "$bin" --json=yes
	check "$t --json=yes" \
		'rc_is 3 && out_empty && err_is "$t: option '\''--json'\'' takes no value; see '\''$t --help'\''"'
	run "$bin" --json --bogus
	check "$t --json --bogus (usage errors stay on stderr)" \
		'rc_is 3 && out_empty && err_is "$t: unknown option '\''--bogus'\''; see '\''$t --help'\''"'
	nl='
'
	run "$bin" "--bo${nl}gus"
	check "$t option with a newline stays one line" \
		'rc_is 3 && out_empty && err_is "$t: unknown option '\''--bo?gus'\''; see '\''$t --help'\''"'

	# --json: one complete document, the error inside it, stderr quiet.
	for j in "--json" "-q --json"; do
		# shellcheck disable=SC2086 # $j is two words on purpose
		run "$bin" $j $fa
		check "$t $j $fa" 'rc_is 3 && err_empty && json_error_doc "$t" "$version" "$what"'
	done

	# stdout that cannot be written: exit 3, one line naming the problem.
	for args in --help --version "--json $fa"; do
		run closed "$bin" $args
		check "$t $args >&-" 'rc_is 3 &&
			err_is "$t: cannot write to standard output: Bad file descriptor"'
		run full "$bin" $args
		check "$t $args >/dev/full" 'rc_is 3 &&
			err_is "$t: cannot write to standard output: No space left on device"'
		run_broken_pipe "$bin" $args
		check "$t $args into a closed pipe" 'rc_is 3 &&
			err_is "$t: cannot write to standard output: Broken pipe"'
	done
	# Without stdout output, a closed stdout changes nothing.
	# shellcheck disable=SC2086
	run closed "$bin" $fa
	check "$t >&- without output" 'rc_is 3 && err_is "$t: $what"'
	if [ "$t" = mtuprobe ]; then
		run "$bin"
		check "mtuprobe without HOST" \
			'rc_is 3 && out_empty && err_is "mtuprobe: no HOST given; see '\''mtuprobe --help'\''"'
		run "$bin" --min 1500 --max 1400 ::1
		check "mtuprobe --min above --max" \
			'rc_is 3 && out_empty && err_is "mtuprobe: --min 1500 is above --max 1400; see '\''mtuprobe --help'\''"'
		run "$bin" --encap nosuch ::1
		check "mtuprobe --encap with an unknown name: one line" \
			'rc_is 3 && out_empty && [ "$(wc -l <"$T/err")" -eq 1 ] || { cat "$T/err"; false; }'
		run "$bin" -m tcp ::1
		check "mtuprobe -m tcp without -p" \
			'rc_is 3 && out_empty && err_has "needs -p PORT"'
		run "$bin" --peer -m udp ::1
		check "mtuprobe --peer with --method" \
			'rc_is 3 && out_empty && err_is "mtuprobe: --peer sends its own probes to the responder; drop --method; see '\''mtuprobe --help'\''"'
		run "$bin" --key /nonexistent ::1
		check "mtuprobe --key without --peer" \
			'rc_is 3 && out_empty && err_is "mtuprobe: --key only signs --peer requests; add --peer; see '\''mtuprobe --help'\''"'
		# The key file is read before any packet is sent; others may not read it.
		echo 00112233445566778899aabbccddeeff >"$T/key644" && chmod 644 "$T/key644"
		run "$bin" --peer --key "$T/key644" ::1
		check "mtuprobe --peer --key with a group-readable key file: one line" \
			'rc_is 3 && out_empty && err_is "mtuprobe: key file $T/key644: key file is accessible to group or others (chmod 600 it) (permission denied)"'
		run "$bin" --max-hops 5 ::1
		check "mtuprobe --max-hops without --hops" \
			'rc_is 3 && out_empty && err_is "mtuprobe: --max-hops needs --hops; see '\''mtuprobe --help'\''"'
		run "$bin" --hops --max-hops 65 ::1
		check "mtuprobe --max-hops 65: out of range, one line" \
			'rc_is 3 && out_empty && err_has "--max-hops '\''65'\'' is not a number from 1 to 64"'
		run "$bin" --hops --max-hops 0 ::1
		check "mtuprobe --max-hops 0: out of range" 'rc_is 3 && out_empty && err_has "from 1 to 64"'
		run "$bin" tunnel
		check "mtuprobe tunnel without an interface" \
			'rc_is 3 && out_empty && err_is "mtuprobe: tunnel: no interface given; see '\''mtuprobe tunnel --help'\''"'
		run "$bin" tunnel --inner 10.0.0.1 --no-inner wg0
		check "mtuprobe tunnel --inner with --no-inner" \
			'rc_is 3 && out_empty && err_is "mtuprobe: tunnel: --inner and --no-inner exclude each other; see '\''mtuprobe tunnel --help'\''"'
		run "$bin" tunnel --expect-mtu 10 wg0
		check "mtuprobe tunnel --expect-mtu out of range" \
			'rc_is 3 && out_empty && err_is "mtuprobe: tunnel: --expect-mtu '\''10'\'' is not a number from 68 to 65535; see '\''mtuprobe tunnel --help'\''"'
		run "$bin" tunnel --encap nosuch wg0
		check "mtuprobe tunnel --encap with an unknown name: one line" \
			'rc_is 3 && out_empty && [ "$(wc -l <"$T/err")" -eq 1 ] || { cat "$T/err"; false; }'
		run "$bin" tunnel wg0 extra
		check "mtuprobe tunnel with two interfaces" \
			'rc_is 3 && out_empty && err_is "mtuprobe: tunnel: unexpected argument '\''extra'\'' after the interface; see '\''mtuprobe tunnel --help'\''"'
	fi
	if [ "$t" = nattrace ]; then
		run "$bin"
		check "nattrace without HOST" \
			'rc_is 3 && out_empty && err_is "nattrace: no HOST given; see '\''nattrace --help'\''"'
		run "$bin" --udp --tcp ::1
		check "nattrace with two probe protocols" \
			'rc_is 3 && out_empty && err_is "nattrace: give only one of --udp, --tcp and --icmp; see '\''nattrace --help'\''"'
		run "$bin" --icmp -p 80 ::1
		check "nattrace --icmp with -p" \
			'rc_is 3 && out_empty && err_is "nattrace: -p makes no sense with --icmp; see '\''nattrace --help'\''"'
		run "$bin" --mss 1300 ::1
		check "nattrace --mss without --tcp" \
			'rc_is 3 && out_empty && err_is "nattrace: --mss needs --tcp; see '\''nattrace --help'\''"'
		run "$bin" --max-hops 65 ::1
		check "nattrace --max-hops 65: out of range" \
			'rc_is 3 && out_empty && err_has "--max-hops '\''65'\'' is not a number from 1 to 64"'
		run "$bin" --queries 11 ::1
		check "nattrace --queries 11: out of range" \
			'rc_is 3 && out_empty && err_has "--queries '\''11'\'' is not a number from 1 to 10"'
		run "$bin" -w 0 ::1
		check "nattrace --wait 0: out of range" \
			'rc_is 3 && out_empty && err_has "--wait '\''0'\'' is not a number of seconds"'
		run "$bin" --first-hop 9 --max-hops 5 ::1
		check "nattrace --first-hop above --max-hops" \
			'rc_is 3 && out_empty && err_is "nattrace: --first-hop 9 is above --max-hops 5; see '\''nattrace --help'\''"'
		run "$bin" -6 127.0.0.1
		check "nattrace -6 with an IPv4 literal" \
			'rc_is 3 && out_empty && err_is "nattrace: '\''127.0.0.1'\'' is an IPv4 address but -6 was given; drop -6"'
	fi
	# A closed stderr must not crash the tool either.
	"$bin" --bogus >"$T/out" 2>&-
	rc=$?
	check "$t --bogus 2>&-" 'rc_is 3 && out_empty'
done

# Subcommands: `TOOL CMD --help` lists every option the command takes (the
# options each command is specified with, below), and `TOOL --help` lists
# the commands; usage errors name the command and point to its own help.
# None of these runs a command past its option checks.
# cmd_opts TOOL CMD: what the command's help must show, one per line.
cmd_opts() {
	case $1/$2 in
	mtuprobe/serve) printf '%s\n' "-4 " "-6 " "-p, --port N" "-k, --key FILE" \
		"-b, --bind ADDR" ;;
	mtuprobe/tunnel) printf '%s\n' "--inner HOST" "--no-inner" "--endpoint ADDR" \
		"-e, --encap SPEC" "--expect-mtu N" ;;
	tunsniff/correlate) printf '%s\n' "--window SECONDS" ;;
	tunsniff/record) printf '%s\n' "-r FILE" "-i IFACE" "--records OUT" "-c N" \
		"-G SECONDS" "-f, --filter FILTER" ;;
	esac
}
# out_has_all FILE: stdout shows every line of FILE.
out_has_all() {
	while IFS= read -r want; do
		out_has "$want" || return 1
	done <"$1"
}
for tc in "mtuprobe serve" "mtuprobe tunnel IFACE" "tunsniff correlate A B" \
	"tunsniff record (-r FILE | -i IFACE) --records OUT"; do
	# shellcheck disable=SC2086 # split "TOOL CMD SYNOPSIS" into words
	set -- $tc
	t=$1 c=$2
	shift 2
	syn=$*
	bin=$B/$t
	[ -x "$bin" ] || continue
	cmd_opts "$t" "$c" >"$T/want"

	run "$bin" --help
	check "$t --help lists $c" 'rc_is 0 && out_has "  $c${syn:+ $syn}"'

	for h in --help -h; do
		run "$bin" "$c" "$h"
		check "$t $c $h" 'rc_is 0 && err_empty &&
			out_has "Usage: $t $c [OPTIONS]${syn:+ $syn}" && out_has_all "$T/want" &&
			out_has "    --json" && out_has "-q, --quiet" && out_has "-h, --help" &&
			out_has "Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN" &&
			! grep -q -- "--version" "$T/out"'
	done
	grep -o -- '--[a-z][a-z-]*' "$T/out" | sort -u >"$T/longopts"
	while read -r o; do
		check "$t $c: man page lists $o" \
			'grep -qF -- "$(echo "$o" | sed "s/-/\\\\-/g")" "$ROOT/docs/$t.1" ||
				{ echo "docs/$t.1 does not mention $o"; false; }'
	done <"$T/longopts"
	run full "$bin" "$c" --help
	check "$t $c --help >/dev/full" 'rc_is 3 &&
		err_is "$t: cannot write to standard output: No space left on device"'

	hint="see '$t $c --help'"
	run "$bin" "$c" --bogus
	check "$t $c --bogus" \
		'rc_is 3 && out_empty && err_is "$t: $c: unknown option '\''--bogus'\''; $hint"'
	run "$bin" "$c" -Y
	check "$t $c -Y" \
		'rc_is 3 && out_empty && err_is "$t: $c: unknown option '\''-Y'\''; $hint"'
	run "$bin" "$c" -qY
	check "$t $c -qY (clustered)" \
		'rc_is 3 && out_empty && err_is "$t: $c: unknown option '\''-Y'\''; $hint"'
	run "$bin" "$c" -Z
	check "$t $c -Z (user missing)" \
		'rc_is 3 && out_empty && err_is "$t: $c: option '\''-Z'\'' needs a value; $hint"'
	run "$bin" "$c" --json --bogus
	check "$t $c --json --bogus (usage errors stay on stderr)" \
		'rc_is 3 && out_empty && err_is "$t: $c: unknown option '\''--bogus'\''; $hint"'
	run "$bin" "$c" --quiet=1
	check "$t $c --quiet=1" \
		'rc_is 3 && out_empty && err_is "$t: $c: option '\''--quiet'\'' takes no value; $hint"'
	run "$bin" "$c" -V
	check "$t $c -V (the tool has a version, not the command)" \
		'rc_is 3 && out_empty && err_is "$t: $c: unknown option '\''-V'\''; $hint"'
done
mp=$B/mtuprobe
if [ -x "$mp" ]; then
	mver=$("$mp" --version | sed -n 's/^mtuprobe \([^ ]*\) (pathdiag)$/\1/p')
	run "$mp" serve --port
	check "mtuprobe serve --port without a value" 'rc_is 3 && out_empty &&
		err_is "mtuprobe: serve: option '\''--port'\'' needs a value; see '\''mtuprobe serve --help'\''"'
	run "$mp" serve -p 0
	check "mtuprobe serve -p 0" 'rc_is 3 && out_empty &&
		err_is "mtuprobe: serve: port '\''0'\'' is not a number from 1 to 65535; see '\''mtuprobe serve --help'\''"'
	run "$mp" serve -4 extra
	check "mtuprobe serve with an operand" 'rc_is 3 && out_empty &&
		err_is "mtuprobe: serve: unexpected argument '\''extra'\''; see '\''mtuprobe serve --help'\''"'
	run "$mp" tunnel -e
	check "mtuprobe tunnel -e without a value" 'rc_is 3 && out_empty &&
		err_is "mtuprobe: tunnel: option '\''-e'\'' needs a value; see '\''mtuprobe tunnel --help'\''"'
	run "$mp" tunnel --endpoint 10.0.0.300 wg0
	check "mtuprobe tunnel --endpoint not an address" 'rc_is 3 && out_empty &&
		err_is "mtuprobe: tunnel: --endpoint '\''10.0.0.300'\'' is not an IPv4 or IPv6 address; see '\''mtuprobe tunnel --help'\''"'
	run "$mp" tunnel pdcli-nosuch0 --json
	check "mtuprobe tunnel: options may follow IFACE" \
		'rc_is 3 && err_empty && json_error_doc mtuprobe "$mver" "no interface '\''pdcli-nosuch0'\'' in this network namespace"'
	run "$mp" tunnel pdcli-nosuch0 extra
	check "mtuprobe tunnel: a second operand is refused" 'rc_is 3 && out_empty &&
		err_is "mtuprobe: tunnel: unexpected argument '\''extra'\'' after the interface; see '\''mtuprobe tunnel --help'\''"'
	run "$mp" --json 192.0.2.1 --bogus
	check "mtuprobe: options after HOST are parsed (an unknown one is refused)" 'rc_is 3 && out_empty &&
		err_is "mtuprobe: unknown option '\''--bogus'\''; see '\''mtuprobe --help'\''"'
	run "$mp" tunnel -q --json pdcli-nosuch0
	check "mtuprobe tunnel -q --json: the common options work after the command" \
		'rc_is 3 && err_empty && json_error_doc mtuprobe "$mver" "no interface '\''pdcli-nosuch0'\'' in this network namespace"'
fi
tsb=$B/tunsniff
if [ -x "$tsb" ]; then
	run "$tsb" correlate "$T/a.pcap"
	check "tunsniff correlate with one input" 'rc_is 3 && out_empty &&
		err_is "tunsniff: correlate: give two inputs, one capture or record file from each end (A B); see '\''tunsniff correlate --help'\''"'
	run "$tsb" correlate --window 0 a b
	check "tunsniff correlate --window 0" 'rc_is 3 && out_empty &&
		err_is "tunsniff: correlate: --window '\''0'\'' is not a number of seconds from 0.001 to 3600; see '\''tunsniff correlate --help'\''"'
	run "$tsb" correlate --window
	check "tunsniff correlate --window without a value" 'rc_is 3 && out_empty &&
		err_is "tunsniff: correlate: option '\''--window'\'' needs a value; see '\''tunsniff correlate --help'\''"'
	run "$tsb" record --records "$T/x.rec"
	check "tunsniff record without -r or -i" 'rc_is 3 && out_empty &&
		err_is "tunsniff: record: give exactly one of -r FILE and -i IFACE; see '\''tunsniff record --help'\''"'
	run "$tsb" record -r "$T/x.pcap"
	check "tunsniff record without --records" 'rc_is 3 && out_empty &&
		err_is "tunsniff: record: --records OUT is required; see '\''tunsniff record --help'\''"'
	run "$tsb" record -c 0 -r x --records y
	check "tunsniff record -c 0" 'rc_is 3 && out_empty &&
		err_is "tunsniff: record: -c '\''0'\'' is not a packet count above 0; see '\''tunsniff record --help'\''"'
	run "$tsb" record -G
	check "tunsniff record -G without a value" 'rc_is 3 && out_empty &&
		err_is "tunsniff: record: option '\''-G'\'' needs a value; see '\''tunsniff record --help'\''"'
	run "$tsb" record -q --json -r /nonexistent/pathdiag-cli.pcap --records "$T/x.rec"
	check "tunsniff record -q --json: the common options work after the command" \
		'rc_is 3 && err_empty && [ ! -e "$T/x.rec" ] &&
		python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(d[\"exit_code\"] != 3 or \"/nonexistent/pathdiag-cli.pcap\" not in d[\"error\"])" <"$T/out"'
fi

# tunsniff: bad input gives one line and exit 3, never a crash.
ts=$B/tunsniff
if [ -x "$ts" ]; then
	# a pcap header (little-endian, v2.4, snaplen 65535) of link type L, then
	# one record header claiming 100 bytes with only 4 present
	pcaphdr() {
		python3 -c 'import struct,sys
sys.stdout.buffer.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, int(sys.argv[1])))
if len(sys.argv) > 2:
    sys.stdout.buffer.write(struct.pack("<IIII", 1, 0, 100, 100) + b"abcd")' "$@"
	}
	pcaphdr 147 >"$T/user0.pcap"
	run "$ts" -r "$T/user0.pcap"
	check "tunsniff unknown link type" 'rc_is 3 && out_empty &&
		err_is "tunsniff: $T/user0.pcap: link type 147 is not supported (Ethernet, Linux cooked, raw IP, null/loopback)"'
	pcaphdr 1 trunc >"$T/trunc.pcap"
	run "$ts" -r "$T/trunc.pcap"
	# read as far as it goes: a warning (exit 1), not an error (docs/tunsniff.1)
	check "tunsniff truncated file" 'rc_is 1 && [ "$(wc -l <"$T/err")" -eq 1 ] &&
		grep -q "^tunsniff: warning: $T/trunc.pcap: truncated dump file" "$T/err" ||
		{ cat "$T/err"; false; }'
	run "$ts" --json -r "$T/trunc.pcap"
	check "tunsniff --json truncated file" 'rc_is 1 && err_empty &&
		grep -q "\"error\": null" "$T/out" &&
		grep -q "\"message\": \"$T/trunc.pcap: truncated dump file" "$T/out"'
	printf 'garbage, not a capture file at all\n' >"$T/garbage.pcap"
	run "$ts" -r "$T/garbage.pcap"
	check "tunsniff garbage file" 'rc_is 3 && out_empty &&
		err_is "tunsniff: $T/garbage.pcap: unknown file format"'
	run "$ts"
	check "tunsniff without sources" 'rc_is 3 && out_empty &&
		err_is "tunsniff: nothing to read: give -i IFACE or -r FILE; see '\''tunsniff --help'\''"'
	run "$ts" -i lo -r "$T/garbage.pcap"
	check "tunsniff -i with -r" 'rc_is 3 && out_empty &&
		err_is "tunsniff: -i and -r cannot be mixed: capture live or read files; see '\''tunsniff --help'\''"'
	run "$ts" -r "$T/garbage.pcap" -f tcp udp
	check "tunsniff -f with operands" 'rc_is 3 && out_empty &&
		err_is "tunsniff: give the filter either with -f or as operands, not both; see '\''tunsniff --help'\''"'
	run "$ts" -c 0 -r x
	check "tunsniff -c 0" 'rc_is 3 && out_empty &&
		err_is "tunsniff: -c must be a number from 1 to 18446744073709551615, not '\''0'\''; see '\''tunsniff --help'\''"'
	run "$ts" -i pdnosuch0
	check "tunsniff unknown interface" 'rc_is 3 && out_empty &&
		err_is "tunsniff: pdnosuch0: no such interface"'
fi

# nattrace conntrack / watch: usage errors are caught before any socket is
# opened (so no privilege is needed for these), one line naming the command.
nt=$B/nattrace
if [ -x "$nt" ]; then
	for c in conntrack watch; do
		run "$nt" "$c" --help
		check "nattrace $c --help" 'rc_is 0 && err_empty && out_has "Usage: nattrace $c " &&
			out_has "--orig-src" && out_has "--mark MARK[/MASK]" && out_has "--nat"'
		run "$nt" "$c" --mark 1/zz
		check "nattrace $c --mark 1/zz" 'rc_is 3 && out_empty &&
			err_is "nattrace: $c: --mark '\''1/zz'\'' is not MARK or MARK/MASK (32-bit numbers); see '\''nattrace $c --help'\''"'
		run "$nt" "$c" -s 10.0.0.300
		check "nattrace $c -s 10.0.0.300" 'rc_is 3 && out_empty && err_one_line_with "nattrace: $c: --orig-src '\''10.0.0.300'\'' is not an address or prefix"'
		run "$nt" "$c" -f ipv6 192.0.2.1
		check "nattrace $c -f ipv6 with an IPv4 address" 'rc_is 3 && out_empty &&
			err_one_line_with "name both IPv4 and IPv6"'
		run "$nt" "$c" 192.0.2.1 192.0.2.2
		check "nattrace $c with two addresses" 'rc_is 3 && out_empty &&
			err_one_line_with "give at most one address"'
	done
	run "$nt" watch -c 0
	check "nattrace watch -c 0" 'rc_is 3 && out_empty && err_one_line_with "-c '\''0'\''"'
	run "$nt" watch -e new,bogus
	check "nattrace watch -e new,bogus" 'rc_is 3 && out_empty && err_one_line_with "--event"'
fi

# --format: the value, conflicts with --json or another --format, formats a
# command does not produce, and --warn-mtu / --crit-mtu; all refused before
# anything is sent.
for t in mtuprobe tunsniff nattrace; do
	bin=$B/$t
	[ -x "$bin" ] || continue
	run "$bin" --format yaml x
	check "$t --format yaml" 'rc_is 3 && out_empty &&
		err_is "$t: unknown --format '\''yaml'\'' (text, json, prometheus, nagios or sarif); see '\''$t --help'\''"'
	run "$bin" --format
	check "$t --format without a value" 'rc_is 3 && out_empty &&
		err_is "$t: option '\''--format'\'' needs a value; see '\''$t --help'\''"'
	run "$bin" --json --format prometheus x
	check "$t --json --format prometheus" 'rc_is 3 && out_empty &&
		err_is "$t: --format prometheus conflicts with --json: give one output format; see '\''$t --help'\''"'
	run "$bin" --format nagios x --format=prometheus
	check "$t --format nagios ... --format=prometheus" 'rc_is 3 && out_empty &&
		err_is "$t: --format prometheus conflicts with --format nagios: give one output format; see '\''$t --help'\''"'
	# The same format twice, and --format json as --json: a run-time failure
	# as one JSON document.
	# shellcheck disable=SC2086
	run "$bin" --format json --json $(fail_args "$t")
	check "$t --format json --json (one document)" 'rc_is 3 && err_empty &&
		json_error_doc "$t" "$("$bin" --version | cut -d" " -f2)" "$(fail_msg "$t")"'
	# shellcheck disable=SC2086
	run "$bin" --format nagios $(fail_args "$t")
	check "$t --format nagios on a failure: UNKNOWN status line, stderr quiet" \
		'rc_is 3 && err_empty && [ "$(head -n 1 "$T/out" | sed "s/ | .*//")" = "$(echo "$t" | tr a-z A-Z) UNKNOWN - $(fail_msg "$t")" ] ||
			{ echo "stdout: $(cat "$T/out")"; false; }'
	# shellcheck disable=SC2086
	run "$bin" -q --format prometheus $(fail_args "$t")
	check "$t -q --format prometheus on a failure: exit_status 3 written, error on stderr" \
		'rc_is 3 && err_is "$t: $(fail_msg "$t")" &&
			grep -q "^pathdiag_${t}_exit_status{.*} 3\$" "$T/out" &&
			grep -q "^# TYPE pathdiag_${t}_exit_status gauge\$" "$T/out" ||
			{ echo "stdout: $(head -c 300 "$T/out")"; false; }'
done
if [ -x "$B/mtuprobe" ]; then
	for c in serve tunnel; do
		run "$B/mtuprobe" "$c" --format prometheus
		check "mtuprobe $c --format prometheus: not available" 'rc_is 3 && out_empty &&
			err_is "mtuprobe: $c: --format prometheus is not available here (text, json); see '\''mtuprobe $c --help'\''"'
	done
	run "$B/mtuprobe" --format nagios serve
	check "mtuprobe --format nagios serve (format before the command)" 'rc_is 3 && out_empty &&
		err_is "mtuprobe: serve: --format nagios is not available here (text, json); see '\''mtuprobe serve --help'\''"'
	run "$B/mtuprobe" --warn-mtu 1200 --crit-mtu 1280 192.0.2.1
	check "mtuprobe --warn-mtu below --crit-mtu" 'rc_is 3 && out_empty &&
		err_is "mtuprobe: --warn-mtu 1200 is below the critical threshold 1280: WARNING must come first; see '\''mtuprobe --help'\''"'
	run "$B/mtuprobe" --crit-mtu 1280 --expect-mtu 1400 192.0.2.1
	check "mtuprobe --crit-mtu and --expect-mtu differ" 'rc_is 3 && out_empty &&
		err_is "mtuprobe: --crit-mtu 1280 and --expect-mtu 1400 differ; they are one threshold: give one; see '\''mtuprobe --help'\''"'
	run "$B/mtuprobe" --warn-mtu 67 192.0.2.1
	check "mtuprobe --warn-mtu 67" 'rc_is 3 && out_empty &&
		err_is "mtuprobe: --warn-mtu '\''67'\'' is not a number from 68 to 65535; see '\''mtuprobe --help'\''"'
fi
if [ -x "$B/tunsniff" ]; then
	for c in correlate record; do
		run "$B/tunsniff" "$c" --format nagios
		check "tunsniff $c --format nagios: not available" 'rc_is 3 && out_empty &&
			err_is "tunsniff: $c: --format nagios is not available here (text, json); see '\''tunsniff $c --help'\''"'
	done
fi
if [ -x "$B/nattrace" ]; then
	run "$B/nattrace" conntrack --format prometheus
	check "nattrace conntrack --format prometheus without --count" 'rc_is 3 && out_empty &&
		err_is "nattrace: conntrack: --format prometheus needs --count (the counts are the metrics; entries are not); see '\''nattrace conntrack --help'\''"'
	for c in watch flow; do
		run "$B/nattrace" "$c" --format prometheus
		check "nattrace $c --format prometheus: not available" 'rc_is 3 && out_empty &&
			err_is "nattrace: $c: --format prometheus is not available here (text, json); see '\''nattrace $c --help'\''"'
	done
fi

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
