#!/usr/bin/env bash
# tests/lab/faults-tests.sh BUILD_DIR - tunsniff under faults (bash, root; docs/tunsniff.1
# DIAGNOSTICS, EXIT STATUS).  Two namespaces joined by fresh veth pairs, pings of 1000 bytes
# every 20 ms across:
#
#   gone    tunsniff -i on a veth with -w, traffic running, then `ip link del`: exit 3, one
#           stderr line naming the interface ("IF: the interface disappeared during the
#           capture"), with --json a complete document with the same error and frames > 0, and
#           the -w file read by tshark without a cut, holding as many frames as the report.
#   full    -w into a 64 KiB tmpfs (a private mount namespace, unshare -m) while big pings run,
#           and `record --records` of a large generated capture into it: exit 3, one line naming
#           the file; the pcap holds the whole frames the message says (tshark, no cut); the
#           record file ends on a whole record (correlate reads it as incomplete, not truncated).
#           -w /dev/full live: exit 3 at once, naming the file.
#   signal  SIGINT right at start (as soon as the handler is installed, before the capture is
#           open), SIGINT and SIGTERM during a live capture, SIGINT and SIGTERM while -r reads a
#           large generated file (gencap): exit 0, the JSON parses, stop_reason "signal", and
#           the -w file holds exactly the frames the report counts (tshark, no cut).
# Prints "faults-lab: N passed, M failed".

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=$(cd "${1:-build}" && pwd)
TSN=$BUILD_DIR/tunsniff
GEN=$BUILD_DIR/gencap
# shellcheck source=tests/lab/lib.sh
. "$LAB_DIR/lib.sh"
CHECK_TAG=faults-lab
# shellcheck source=tests/lab/check.sh
. "$LAB_DIR/check.sh"

W=$(mktemp -d "${TMPDIR:-/tmp}/pd-faultslab.XXXXXX")
chmod 755 "$W"
LAB_EXIT_HOOK='rm -rf "$W"'
lab_begin || exit 1
lab_node a || exit 1
lab_node b || exit 1
NA=${LAB_PREFIX}a
NB=${LAB_PREFIX}b
NLINK=0
IF=
PEER=
PING=

# fresh_link: a new veth pair fN (in a, 10.77.N.1/24) / fNp (in b, 10.77.N.2/24), pings of
# 1000 bytes every 20 ms from a to b; IF, PEER, PING (the ping's pid).
fresh_link()
{
	NLINK=$((NLINK + 1))
	IF=f$NLINK
	PEER=10.77.$NLINK.2
	ip -n "$NA" link add "$IF" type veth peer name "${IF}p" netns "$NB" &&
		ip -n "$NA" addr add "10.77.$NLINK.1/24" dev "$IF" &&
		ip -n "$NB" addr add "$PEER/24" dev "${IF}p" &&
		ip -n "$NA" link set "$IF" up && ip -n "$NB" link set "${IF}p" up || return 1
	lab_wait "ping over $IF" 5 ip netns exec "$NA" ping -c 1 -W 1 "$PEER" || return 1
	lab_bg a "ping$NLINK" ping -q -i 0.02 -s 1000 "$PEER"
	PING=$LAB_LAST_PID
}

# frames FILE: frames tshark decodes; cut FILE: true when tshark says it was cut short.
frames() { tshark -r "$1" 2>/dev/null | wc -l | tr -d ' '; }
cut_short() { tshark -r "$1" 2>&1 >/dev/null | grep -q "cut short"; }
# jget FILE EXPR: a Python expression over the JSON document d in FILE ("" when it does not
# parse).
jget() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }

# started PID: tunsniff PID has its SIGINT handler installed (SigCgt bit 2).
started()
{
	local m
	m=$(awk '/^SigCgt:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$m" ] && (( (16#$m & 2) != 0 ))
}
# opened PID: the capture is open (capabilities dropped after opening it: CapEff 0).
opened() { grep -q '^CapEff:[[:space:]]*0*$' "/proc/$1/status"; }

# tsn_bg NAME ARGS...: tunsniff ARGS in namespace a in the background (ip netns exec execs it,
# so TPID is tunsniff's own pid); stdout to $W/NAME.out, stderr to $W/NAME.err.
tsn_bg()
{
	local name=$1
	shift
	ip netns exec "$NA" "$TSN" "$@" >"$W/$name.out" 2>"$W/$name.err" &
	TPID=$!
}

# tsn_wait SECONDS: wait for the background tunsniff, at most SECONDS; RC its exit status.
tsn_wait()
{
	local n=$(($1 * 20))
	while kill -0 "$TPID" 2>/dev/null && [ "$n" -gt 0 ]; do
		sleep 0.05
		n=$((n - 1))
	done
	if kill -0 "$TPID" 2>/dev/null; then
		kill -s KILL "$TPID"
		wait "$TPID" 2>/dev/null
		RC=timeout
		return 1
	fi
	wait "$TPID"
	RC=$?
}

# ---- gone ---------------------------------------------------------------------------------

# t_gone MODE: json or text.
t_gone()
{
	local mode=$1 n err fr
	fresh_link || { why "no link"; return; }
	if [ "$mode" = json ]; then
		tsn_bg gone --json -i "$IF" -w "$W/gone.pcap"
	else
		tsn_bg gone -q -i "$IF" -w "$W/gone.pcap"
	fi
	lab_wait "tunsniff open" 10 opened "$TPID" || { why "tunsniff did not start"; return; }
	sleep 1
	ip -n "$NA" link del "$IF"
	tsn_wait 10 || { why "tunsniff still running after the interface went"; return; }
	kill "$PING" 2>/dev/null
	[ "$RC" = 3 ] || { why "exit $RC, want 3"; return; }
	n=$(frames "$W/gone.pcap")
	cut_short "$W/gone.pcap" && { why "the -w file is cut short"; return; }
	if [ "$mode" = text ]; then
		err=$(cat "$W/gone.err")
		[ "$(wc -l <"$W/gone.err")" = 1 ] || { why "stderr not one line: $err"; return; }
		case $err in "tunsniff: $IF: the interface disappeared during the capture"*) ;;
		*) why "stderr: $err"; return ;; esac
		[ "$n" -gt 0 ] || why "the -w file holds no frames"
		return
	fi
	[ -s "$W/gone.err" ] && { why "stderr with --json: $(cat "$W/gone.err")"; return; }
	err=$(jget "$W/gone.out" 'd["error"]')
	case $err in "$IF: the interface disappeared during the capture"*) ;;
	*) why "JSON error '$err'"; return ;; esac
	fr=$(jget "$W/gone.out" 'd["sources"][0]["frames"]')
	[ -n "$fr" ] && [ "$fr" -gt 10 ] || { why "frames in the report: '$fr'"; return; }
	[ "$(jget "$W/gone.out" 'd["totals"]["frames"]')" = "$fr" ] || { why "totals differ"; return; }
	[ "$n" = "$fr" ] || why "the -w file holds $n frames, the report says $fr"
}

check "gone, --json: exit 3, error names the interface, report complete, -w file = report" \
	t_gone json
check "gone, text: exit 3, one stderr line naming the interface, -w file complete" t_gone text

# ---- full ---------------------------------------------------------------------------------

# t_full_live: -w into a 64 KiB tmpfs while 1000-byte pings run (about 1 KiB a frame).
t_full_live()
{
	local held got
	fresh_link || { why "no link"; return; }
	mkdir -p "$W/mnt"
	ip netns exec "$NA" unshare -m sh -c 'mount -t tmpfs -o size=64k none "$1" &&
		{ timeout 20 "$2" -q -i "$3" -w "$1/x.pcap"; echo $? >"$4/full.rc"
		  tshark -r "$1/x.pcap" 2>"$4/full.tshark-err" | wc -l >"$4/full.frames"; }' \
		sh "$W/mnt" "$TSN" "$IF" "$W" >/dev/null 2>"$W/full.err"
	kill "$PING" 2>/dev/null
	RC=$(cat "$W/full.rc" 2>/dev/null)
	[ "$RC" = 3 ] || { why "exit $RC, want 3: $(cat "$W/full.err")"; return; }
	[ "$(grep -c . "$W/full.err")" = 1 ] || { why "stderr not one line: $(cat "$W/full.err")"; return; }
	grep -q "^tunsniff: $W/mnt/x.pcap: writing the file failed: No space left on device" \
		"$W/full.err" || { why "stderr: $(cat "$W/full.err")"; return; }
	held=$(sed -n 's/.*the file holds the first \([0-9]*\) frames whole$/\1/p' "$W/full.err")
	got=$(tr -d ' ' <"$W/full.frames")
	grep -q "cut short" "$W/full.tshark-err" && { why "tshark: the file is cut short"; return; }
	[ -n "$held" ] && [ "$held" -gt 30 ] && [ "$got" = "$held" ] ||
		why "the message says $held frames, tshark reads $got"
}

# t_full_records: record a generated capture of 20000 WireGuard packets into 64 KiB.
t_full_records()
{
	"$GEN" mix 20000 -o "$W/mix.pcap" || { why "gencap failed"; return; }
	unshare -m sh -c 'mount -t tmpfs -o size=64k none "$1" &&
		{ "$2" record -q -r "$3" --records "$1/y.rec"; echo $? >"$4/rec.rc"
		  "$2" correlate --json "$1/y.rec" "$1/y.rec" >"$4/rec.corr"; echo $? >"$4/rec.corr.rc"; }' \
		sh "$W/mnt" "$TSN" "$W/mix.pcap" "$W" >/dev/null 2>"$W/rec.err"
	RC=$(cat "$W/rec.rc" 2>/dev/null)
	[ "$RC" = 3 ] || { why "exit $RC, want 3: $(cat "$W/rec.err")"; return; }
	[ "$(grep -c . "$W/rec.err")" = 1 ] &&
		grep -q "^tunsniff: writing '$W/mnt/y.rec' failed: No space left on device; the file was cut back to its last whole record" \
			"$W/rec.err" || { why "stderr: $(cat "$W/rec.err")"; return; }
	# a whole-record file without its end record reads as incomplete, not as damaged
	[ "$(cat "$W/rec.corr.rc")" != 3 ] &&
		[ "$(jget "$W/rec.corr" 'd["inputs"][0]["incomplete"]')" = True ] &&
		[ "$(jget "$W/rec.corr" 'd["inputs"][0]["tunnel_packets"] > 1000')" = True ] ||
		why "correlate on the cut file: exit $(cat "$W/rec.corr.rc"), $(head -c 300 "$W/rec.corr")"
}

t_full_dev()
{
	fresh_link || { why "no link"; return; }
	ip netns exec "$NA" timeout 10 "$TSN" -q -i "$IF" -w /dev/full >/dev/null 2>"$W/dev.err"
	RC=$?
	kill "$PING" 2>/dev/null
	[ "$RC" = 3 ] || { why "exit $RC, want 3"; return; }
	[ "$(grep -c . "$W/dev.err")" = 1 ] &&
		grep -q "^tunsniff: /dev/full: writing the file failed: No space left on device" \
			"$W/dev.err" || why "stderr: $(cat "$W/dev.err")"
}

check "full, live -w on a 64 KiB tmpfs: exit 3, names the file, holds the whole frames it says" \
	t_full_live
check "full, record --records on a 64 KiB tmpfs: exit 3, names the file, ends on a whole record" \
	t_full_records
check "full, live -w /dev/full: exit 3, one line naming the file" t_full_dev

# ---- signal -------------------------------------------------------------------------------

# sig_check NAME: the run's JSON parses, stop_reason signal, exit 0, -w file = report.
sig_check()
{
	local fr n
	[ "$RC" = 0 ] || { why "exit $RC: $(head -c 300 "$W/$1.err")"; return 1; }
	[ "$(jget "$W/$1.out" 'd["stop_reason"]')" = signal ] ||
		{ why "stop_reason '$(jget "$W/$1.out" 'd["stop_reason"]')'"; return 1; }
	fr=$(jget "$W/$1.out" 'd["sources"][0]["frames"]')
	n=$(frames "$W/$1.pcap")
	cut_short "$W/$1.pcap" && { why "the -w file is cut short"; return 1; }
	[ -n "$fr" ] && [ "$n" = "$fr" ] || { why "the -w file holds $n frames, the report $fr"; return 1; }
	SIG_FRAMES=$fr
}

t_sig_start()
{
	fresh_link || { why "no link"; return; }
	tsn_bg s0 --json -i "$IF" -w "$W/s0.pcap"
	lab_wait "handler" 10 started "$TPID" || { why "no handler"; return; }
	kill -s INT "$TPID"
	tsn_wait 10 || { why "still running"; return; }
	kill "$PING" 2>/dev/null
	sig_check s0
}

# t_sig_live SIG
t_sig_live()
{
	fresh_link || { why "no link"; return; }
	tsn_bg "l$1" --json -i "$IF" -w "$W/l$1.pcap"
	lab_wait "tunsniff open" 10 opened "$TPID" || { why "tunsniff did not start"; return; }
	sleep 1
	kill -s "$1" "$TPID"
	tsn_wait 10 || { why "still running"; return; }
	kill "$PING" 2>/dev/null
	sig_check "l$1" || return
	[ "$SIG_FRAMES" -gt 10 ] || why "only $SIG_FRAMES frames in a second of pings"
}

# t_sig_file SIG: -r of a generated 300000-packet capture, -w, the signal
# while reading.  The file comes through a FIFO whose writer gives the first
# 8 MB and then holds it open, so the signal always arrives before the end,
# however fast the reading (a race with a plain file otherwise).
t_sig_file()
{
	local total wpid
	[ -s "$W/big.pcap" ] || "$GEN" mix 300000 -o "$W/big.pcap" || { why "gencap failed"; return; }
	rm -f "$W/fifo$1"
	mkfifo "$W/fifo$1" || { why "mkfifo failed"; return; }
	sh -c 'head -c 8000000 "$1"; exec sleep 60' sh "$W/big.pcap" >"$W/fifo$1" &
	wpid=$!
	"$TSN" --json -r "$W/fifo$1" -w "$W/r$1.pcap" >"$W/r$1.out" 2>"$W/r$1.err" &
	TPID=$!
	lab_wait "handler" 10 started "$TPID" || { kill "$wpid"; why "no handler"; return; }
	sleep 0.5
	kill -s "$1" "$TPID"
	tsn_wait 60 || { kill "$wpid"; why "still running"; return; }
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	sig_check "r$1" || return
	total=300000
	[ "$SIG_FRAMES" -lt "$total" ] || why "read all $total frames before the signal"
}

check "SIGINT right at start: exit 0, JSON, -w file = report" t_sig_start
check "SIGINT during a live capture: exit 0, JSON, -w file = report" t_sig_live INT
check "SIGTERM during a live capture: exit 0, JSON, -w file = report" t_sig_live TERM
check "SIGINT while reading a large file: exit 0, JSON, -w file = report" t_sig_file INT
check "SIGTERM while reading a large file: exit 0, JSON, -w file = report" t_sig_file TERM

echo "$CHECK_TAG: $N_PASS passed, $N_FAIL failed"
[ "$N_FAIL" = 0 ]
