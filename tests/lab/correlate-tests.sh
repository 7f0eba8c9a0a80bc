#!/usr/bin/env bash
# tests/lab/correlate-tests.sh BUILD_DIR - `tunsniff correlate` and `tunsniff record` on a
# WireGuard tunnel (wireguard-go) between two namespaces, captured on both ends at once (tcpdump
# on the underlay, and `tunsniff record -i` beside it) while pings of chosen sizes and a TCP
# transfer cross the tunnel (needs bash and root; the input checks run without).
#
# Expected values come from what the lab was built with: r2 silently drops outer packets above
# bottleneck=1454 bytes (topo wg lendrop), and WireGuard's layout fixes the outer size of an
# inner packet of n bytes over IPv4: 20 + 8 + 16 + pad16(n, capped at the tunnel MTU) + 16.
# So the largest outer size that crosses is the largest such size <= 1454 among those sent,
# and the smallest lost the smallest such size above 1454.  Without the drop nothing is lost.
# sigint: a VXLAN tunnel (VNI 42) between two namespaces; `tunsniff record -i` on the sender's
# underlay while a burst of SIGINT_N UDP datagrams of SIGINT_PAYLOAD bytes crosses the tunnel
# and the sender signals the recorder right after its last one: the record file must hold
# exactly SIGINT_N VXLAN records of the outer size those datagrams have (IPv4 20 + UDP 8 +
# VXLAN 8 + inner Ethernet 14 + IPv4 20 + UDP 8 + payload), as many as an nft counter on the
# receiver's ingress saw cross the wire (tcpdump in immediate mode drops in such a burst).
# Prints "correlate-lab: N passed, M failed".

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=$(cd "${1:-build}" && pwd)
TSN=$BUILD_DIR/tunsniff
# shellcheck source=tests/lab/topo.sh
. "$LAB_DIR/topo.sh"
CHECK_TAG=correlate-lab
# shellcheck source=tests/lab/check.sh
. "$LAB_DIR/check.sh"
# shellcheck source=tests/lab/wgtraffic.sh
. "$LAB_DIR/wgtraffic.sh"

W=$(mktemp -d "${TMPDIR:-/tmp}/pd-corr.XXXXXX")
trap '[ -n "${CORR_KEEP:-}" ] || rm -rf "$W"' EXIT
OUT=
ERR=
RC=
# ping payload sizes (bytes after the 8-byte ICMP header); inner packet = size + 28
PING_SIZES="100 1000 1300 1356 1364 1365 1372 1380 1392"

run()
{
	local e
	e=$(mktemp)
	OUT=$("$TSN" "$@" 2>"$e")
	RC=$?
	ERR=$(cat "$e")
	rm -f "$e"
}

# ---- input errors (no lab) ----------------------------------------------------------------

t_bad()
{
	run correlate "$@"
	[ "$RC" = 3 ] || { why "exit $RC, want 3"; return; }
	[ -z "$OUT" ] || { why "stdout not empty: $OUT"; return; }
	[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || { why "stderr not one line: $ERR"; return; }
	case $ERR in tunsniff:*) ;; *) why "stderr: $ERR"; return ;; esac
	[ -z "${EXPECT_ERR:-}" ] || case $ERR in *"$EXPECT_ERR"*) ;;
		*) why "stderr '$ERR' lacks '$EXPECT_ERR'" ;; esac
}

sec_input()
{
	head -c 3000 /dev/urandom >"$W/garbage"
	printf 'PDTUNREC\002\000\000\000' >"$W/v2.rec"
	head -c 60 /dev/zero >>"$W/v2.rec"
	EXPECT_ERR="neither a capture nor a tunsniff record file" \
		check "garbage input: one line, exit 3" t_bad "$W/garbage" "$W/garbage"
	EXPECT_ERR="major version is not 1" \
		check "record file of major version 2: one line, exit 3" t_bad "$W/v2.rec" "$W/v2.rec"
	EXPECT_ERR="cannot open" check "missing file: one line, exit 3" t_bad "$W/none" "$W/none"
	run correlate "$W/garbage"
	check "one operand: usage error, exit 3" eval '[ "$RC" = 3 ] && [ -z "$OUT" ]'
	run record --records "$W/x.rec"
	check "record without -r/-i: usage error, exit 3" eval \
		'[ "$RC" = 3 ] && case $ERR in *"exactly one of -r FILE and -i IFACE"*) true ;; *) false ;; esac'
	run record -i pdlab-no-such-if0 --records "$W/x.rec"
	check "record -i on a missing interface: one line, exit 3" eval \
		'[ "$RC" = 3 ] && [ "$(printf "%s\n" "$ERR" | wc -l)" = 1 ]'
}

# ---- the lab --------------------------------------------------------------------------------

# traffic: pings of PING_SIZES (3 each, DF set inside the tunnel) and a 300 kB TCP transfer.
traffic()
{
	local s
	lab_x client ping -c 2 -i 0.2 -W 1 10.99.0.2 >/dev/null 2>&1 || true
	for s in $PING_SIZES; do
		lab_x client ping -c 3 -i 0.05 -W 1 -M "do" -s "$s" 10.99.0.2 >/dev/null 2>&1 || true
	done
	tcp_send client 200000
	sleep 0.5
	lab_x client ping -c 2 -i 0.2 -W 1 10.99.0.2 >/dev/null 2>&1 || true
}

# capture_run NAME: tcpdump and `tunsniff record -i` on both underlay ends around traffic().
capture_run()
{
	local name=$1 ca cb ra rb
	lab_capture_start client "$TOPO_CLIENT_IF" "$W/$name-a.pcap" || return
	ca=$LAB_LAST_PID
	lab_capture_start server "$TOPO_SERVER_IF" "$W/$name-b.pcap" || return
	cb=$LAB_LAST_PID
	lab_bg client rec-a "$TSN" record -i "$TOPO_CLIENT_IF" --records "$W/$name-a.rec"
	ra=$LAB_LAST_PID
	lab_bg server rec-b "$TSN" record -i "$TOPO_SERVER_IF" --records "$W/$name-b.rec"
	rb=$LAB_LAST_PID
	sleep 1
	tcp_server || return
	traffic
	sleep 0.5
	kill -s INT "$ra" "$rb" 2>/dev/null
	wait "$ra" "$rb" 2>/dev/null
	lab_capture_stop "$ca"
	lab_capture_stop "$cb"
}

# Expected outer sizes from the ping sizes sent and the bottleneck.
expected()
{
	local s o
	EXP_LD=0
	EXP_SL=0
	for s in $PING_SIZES; do
		o=$(wg_outer $((s + 28)) "$TOPO_WG_MTU")
		if [ "$o" -le "$TOPO_MTU" ]; then
			[ "$o" -gt "$EXP_LD" ] && EXP_LD=$o
		elif [ "$EXP_SL" = 0 ] || [ "$o" -lt "$EXP_SL" ]; then
			EXP_SL=$o
		fi
	done
}

t_threshold()
{
	local d='["directions"][0]'
	run correlate --json "$@"
	expect rc=2 "${d}[\"from\"]=A" "${d}[\"size_dependent\"]=True" \
		"${d}[\"largest_delivered\"]=$EXP_LD" "${d}[\"smallest_lost\"]=$EXP_SL" \
		"${d}[\"threshold\"]=$EXP_SL" "${d}[\"path_mtu\"][\"low\"]=$EXP_LD" \
		"${d}[\"path_mtu\"][\"high\"]=$((EXP_SL - 1))" "${d}[\"from_addr\"]=$TOPO_CLIENT4" \
		"${d}[\"to_addr\"]=$TOPO_SERVER4" "${d}[\"tunnel\"]=wireguard" \
		"[\"findings\"][0][\"kind\"]=size-dependent-loss" || return
	# The bottleneck lies in the range, and every lost packet is above it.
	[ "$(jget "${d}[\"path_mtu\"][\"low\"]")" -le "$TOPO_MTU" ] &&
		[ "$(jget "${d}[\"path_mtu\"][\"high\"]")" -ge "$TOPO_MTU" ] ||
		{ why "range does not hold $TOPO_MTU"; return; }
	expect "${d}[\"lost\"]=$(jget "${d}[\"lost_above\"]")" "${d}[\"lost_below\"]=0"
}

t_same()
{
	local k a b
	run correlate --json "$W/drop-a.pcap" "$W/drop-b.pcap"
	a=$OUT
	run correlate --json "$W/drop-a.rec" "$W/drop-b.rec"
	b=$OUT
	for k in sent delivered lost largest_delivered smallest_lost threshold; do
		OUT=$a
		va=$(jget "[\"directions\"][0][\"$k\"]")
		OUT=$b
		vb=$(jget "[\"directions\"][0][\"$k\"]")
		[ "$va" = "$vb" ] || { why "$k: pcap $va, records $vb"; return; }
	done
}

t_text()
{
	run correlate "$W/drop-a.pcap" "$W/drop-b.pcap"
	case $OUT in
	*"path MTU A->B is $EXP_LD..$((EXP_SL - 1))"*) ;;
	*) why "text lacks 'path MTU A->B is $EXP_LD..$((EXP_SL - 1))': ${OUT:0:400}" ;;
	esac
}

t_clean()
{
	run correlate --json "$@"
	[ "$RC" = 0 ] || { why "exit $RC: $(jget '["findings"]')"; return; }
	expect rc=0 '["directions"][0]["lost"]=0' '["directions"][1]["lost"]=0' \
		'["directions"][0]["size_dependent"]=False' \
		'["directions"][1]["size_dependent"]=False' || return
	[ "$(jget '["directions"][0]["delivered"]')" -gt 100 ] || why "too few delivered"
	case $OUT in *size-dependent-loss* | *random-loss*) why "a loss finding" ;; esac
}

t_truncated()
{
	local n
	n=$(stat -c %s "$W/drop-a.rec")
	head -c $((n - 45)) "$W/drop-a.rec" >"$W/trunc.rec"
	EXPECT_ERR="truncated" t_bad "$W/trunc.rec" "$W/drop-b.rec"
}

t_records_complete()
{
	local f
	for f in "$W/drop-a.rec" "$W/drop-b.rec"; do
		[ -s "$f" ] || { why "$f empty"; return; }
		[ "$(($(stat -c %s "$f") % 8))" = 0 ] || { why "$f size not whole records"; return; }
	done
	run correlate --json "$W/drop-a.rec" "$W/drop-b.rec"
	expect '["inputs"][0]["incomplete"]=False' '["inputs"][1]["incomplete"]=False' \
		'["inputs"][0]["format"]=records'
}

sec_drop()
{
	build "wg lendrop 1454, tunnel mtu 1420" topo_wg lendrop mtu=1420 bottleneck=1454 || return
	if ! capture_run drop; then
		bad "captures on both ends" "capture failed"
		lab_end
		return
	fi
	lab_end
	expected
	check "pcaps: A->B size-dependent, largest delivered $EXP_LD, smallest lost $EXP_SL, range holds $TOPO_MTU" \
		t_threshold "$W/drop-a.pcap" "$W/drop-b.pcap"
	check "text names the path MTU range" t_text
	check "records (SIGINT-stopped live record -i): complete files" t_records_complete
	check "records: the same threshold" t_threshold "$W/drop-a.rec" "$W/drop-b.rec"
	check "records and pcaps agree on sent/delivered/lost" t_same
	check "mixed: pcap A with record file B" t_threshold "$W/drop-a.pcap" "$W/drop-b.rec"
	check "truncated record file: one line, exit 3" t_truncated
}

sec_clean()
{
	build "wg without drop (bottleneck 1500)" topo_wg pmtud mtu=1420 bottleneck=1500 || return
	if ! capture_run clean; then
		bad "captures on both ends" "capture failed"
		lab_end
		return
	fi
	lab_end
	check "pcaps: nothing lost either way, no loss finding, exit 0" \
		t_clean "$W/clean-a.pcap" "$W/clean-b.pcap"
	check "records: the same" t_clean "$W/clean-a.rec" "$W/clean-b.rec"
}

# ---- a live record stopped by SIGINT right after a burst -------------------------------------

SIGINT_N=40
SIGINT_PAYLOAD=333

# _rec_open PID: the recorder has its capture open (it drops its capabilities right after).
_rec_open()
{
	grep -q '^CapEff:[[:space:]]*0*$' "/proc/$1/status"
}

# burst_then_int PID: from a, SIGINT_N datagrams through the tunnel as fast as they go, then
# SIGINT to PID at once (well inside the ring's 50 ms block timeout).
burst_then_int()
{
	lab_x a python3 -c '
import os, signal, socket, sys
n, size, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    s.sendto(b"x" * size, ("10.98.0.2", 9))
os.kill(pid, signal.SIGINT)
' "$SIGINT_N" "$SIGINT_PAYLOAD" "$1"
}

# rec_count FILE OUTER: VXLAN packet records of outer length OUTER in the record file, read
# after docs/records.md; also checks that the file ends with an end record no earlier than
# the last packet record.  Prints the count, or "bad: why".
rec_count()
{
	python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
outer = int(sys.argv[2])
if d[:8] != b"PDTUNREC":
    print("bad: no record magic"); sys.exit()
hl, rl = struct.unpack_from("<HH", d, 12)
n, last, end = 0, 0, None
for off in range(hl, len(d) - rl + 1, rl):
    t = d[off]
    if t == 1:
        kind, olen, ts = d[off + 1], struct.unpack_from("<H", d, off + 4)[0], struct.unpack_from("<Q", d, off + 8)[0]
        last = max(last, ts)
        if kind == 7 and olen == outer:
            n += 1
    elif t == 3:
        end = struct.unpack_from("<Q", d, off + 8)[0]
if end is None:
    print("bad: no end record")
elif end < last:
    print("bad: end record at %d before the last packet record at %d" % (end, last))
else:
    print(n)' "$1" "$2"
}

SIGINT_OUTER=$((20 + 8 + 8 + 14 + 20 + 8 + SIGINT_PAYLOAD))

t_sigint()
{
	local got
	got=$(rec_count "$W/sigint.rec" "$SIGINT_OUTER")
	case $got in bad:*) why "$got"; return ;; esac
	[ "$SIGINT_SEEN" = "$SIGINT_N" ] ||
		{ why "lab: $SIGINT_SEEN of $SIGINT_N datagrams crossed the wire"; return; }
	[ "$got" = "$SIGINT_N" ] || why "$got records of $SIGINT_OUTER bytes, want $SIGINT_N"
}

sec_sigint()
{
	local r rc
	build "two namespaces, VXLAN 42 over a veth" topo_vxlan || return
	if ! printf '%s\n' 'counter vx {}' 'chain in {' \
		'type filter hook ingress device "a" priority 0;' \
		"ip length $SIGINT_OUTER udp dport 4789 counter name vx" '}' |
		lab_nft b "netdev pdl_sig"; then
		bad "nft counter on b" "nft failed"
		lab_end
		return
	fi
	lab_bg a rec-sigint "$TSN" record -i b --records "$W/sigint.rec"
	r=$LAB_LAST_PID
	if lab_wait "record -i ready" 10 _rec_open "$r"; then
		burst_then_int "$r"
		wait "$r" 2>/dev/null
		rc=$?
		SIGINT_SEEN=$(lab_nft_counter b netdev pdl_sig vx)
		check "record -i stopped by SIGINT right after a burst: exit 0" \
			eval '[ "$rc" = 0 ] || why "exit $rc: $(tail -n 1 "$LAB_TMP/rec-sigint.log")"'
		check "record -i stopped by SIGINT right after $SIGINT_N datagrams holds all $SIGINT_N" \
			t_sigint
	else
		kill -s INT "$r" 2>/dev/null
		wait "$r" 2>/dev/null
		bad "record -i around a burst" "$(tail -n 1 "$LAB_TMP/rec-sigint.log" 2>/dev/null)"
	fi
	lab_end
}

main()
{
	local sec t0
	[ -x "$TSN" ] || { echo "correlate-lab: $TSN missing; run 'make'" >&2; exit 1; }
	t0=$(date +%s)
	sec_input
	if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
		echo "correlate-lab: SKIP lab: needs root and network namespaces"
	elif ! command -v wireguard-go >/dev/null || ! command -v wg >/dev/null; then
		echo "correlate-lab: SKIP lab: needs wireguard-go and wg"
	else
		lab_sweep_stale
		for sec in ${CORRELATE_SECTIONS:-drop clean sigint}; do
			"sec_$sec"
		done
	fi
	printf 'correlate-lab: %d passed, %d failed (%d s)\n' "$N_PASS" "$N_FAIL" \
		$(($(date +%s) - t0))
	[ "$N_FAIL" = 0 ]
}

main "$@"
