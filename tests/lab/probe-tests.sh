#!/usr/bin/env bash
# tests/lab/probe-tests.sh BUILD_DIR - the prober (lib/src/probe*.c) against namespace labs
# (needs bash and root; BUILD_DIR holds probetest: `make BUILD=... tests`).
#
# chain/pmtud (client - r1 =[1454]= r2 - server), IPv4 and IPv6, every method:
#   udp, icmp over a raw socket (ping_group_range left at "1 0"), icmp over a ping socket
#   (range opened, raw sockets refused with --no-raw), tcp to a listener (SYN-ACK) and to a
#   closed port (RST):  1454 -> ACK from the server; 1455 -> TOO_BIG mtu 1454 from r1;
#   1501 -> LOCAL_TOO_BIG mtu 1500 (client link); TTL 1 / 2 -> TTL_EXCEEDED from r1 / r2.
#   A capture on the client's link, decoded by tshark, shows the probes left with exactly
#   those IP lengths, DF set (IPv4), no fragment header (IPv6) and nothing above 1500.
#   Forged errors injected from r1 (probetest --forge): a control that quotes the probe
#   exactly is reported; errors quoting another flow or a foreign token are not, and are
#   counted as ignored; "too big" errors about our probe with an MTU not below the probe's
#   size or below the protocol minimum are reported as too-big flagged bogus.
#   As user nobody: udp works; icmp fails naming CAP_NET_RAW unless ping_group_range
#   admits nogroup, then works; tcp fails naming CAP_NET_RAW and --method udp.
#   Client link MTU lowered to 1400: 1401 -> LOCAL_TOO_BIG mtu 1400, 1400 -> ACK.
# chain/blackhole (routers drop their own "too big" errors): 1455 -> no event within 1 s,
#   1454 -> ACK, and r1's nft counter shows the errors were made and dropped.
#
# The server's ICMP rate limit is switched off (udp's ACK is the server's port unreachable,
# which Linux rate-limits per destination). One line per check, then "probe: N passed,
# M failed"; exit status 1 on failure. Without root: "probe: SKIP", exit 0 (77 if
# LAB_STRICT=1).

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-build}
# shellcheck source=tests/lab/topo.sh
. "$LAB_DIR/topo.sh"
CHECK_TAG=probe
# shellcheck source=tests/lab/check.sh
. "$LAB_DIR/check.sh"

RUN_TMP=
PT=
OUT=
ERR=
RC=0
TCP_OPEN=8080
TCP_CLOSED=8081
# r2's address on the bottleneck link (topo.sh's addressing table): the second hop.
HOP2_4=10.0.2.2
HOP2_6=fd00:0:0:2::2
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

# pt NODE [PREFIX-CMD...] -- PROBETEST-ARGS...: run probetest in NODE; stdout in OUT, stderr
# in ERR, exit status in RC.
pt()
{
	local node=$1 pre=()
	shift
	while [ "$1" != -- ]; do
		pre+=("$1")
		shift
	done
	shift
	OUT=$(lab_x "$node" "${pre[@]}" "$PT" "$@" 2>"$RUN_TMP/pt.err")
	RC=$?
	ERR=$(cat "$RUN_TMP/pt.err")
}

# line SIZE TTL: the "probe" line of that probe.
line()
{
	grep -m 1 "^probe size=$1 ttl=$2 " <<<"$OUT"
}

field()
{
	sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"
}

# expect SIZE TTL KIND [FROM [KEY=VALUE...]]: the probe's event, and fields of its line.
expect()
{
	local size=$1 ttl=$2 kind=$3 from=${4:-} l kv
	l=$(line "$size" "$ttl")
	[ "$RC" = 0 ] || { why "probetest exited $RC: $ERR"; return; }
	[ -n "$l" ] || { why "no line for $size@$ttl: $(tr '\n' '|' <<<"$OUT")"; return; }
	case $l in
	*" id="*" $kind from="*) ;;
	*) why "$l"; return ;;
	esac
	[ -z "$from" ] || [ "$(field "$l" from)" = "$from" ] || { why "$l"; return; }
	shift 4 2>/dev/null || shift $#
	for kv; do
		[ "$(field "$l" "${kv%%=*}")" = "${kv#*=}" ] || { why "want ${kv}: $l"; return; }
	done
}

# expect_none SIZE TTL: no event for that probe.
expect_none()
{
	local l
	[ "$RC" = 0 ] || { why "probetest exited $RC: $ERR"; return; }
	l=$(line "$1" "$2")
	[[ $l == *" none" ]] || why "${l:-no line}"
}

# expect_open KEY=VALUE...: fields of the "open" line.
expect_open()
{
	local l kv
	[ "$RC" = 0 ] || { why "probetest exited $RC: $ERR"; return; }
	l=$(grep -m 1 '^open ' <<<"$OUT")
	for kv; do
		[ "$(field " $l" "${kv%%=*}")" = "${kv#*=}" ] || { why "want ${kv}: $l"; return; }
	done
}

# expect_stats KEY=VALUE...: fields of the "stats" line.
expect_stats()
{
	local l kv
	l=$(grep -m 1 '^stats ' <<<"$OUT")
	for kv; do
		[ "$(field "$l" "${kv%%=*}")" = "${kv#*=}" ] || { why "want ${kv}: $l"; return; }
	done
}

# expect_forge UNMATCHED FROM SIZE MINMTU: the control reported (ttl-exceeded from FROM); the
# two errors about other flows or tokens not reported, counted as unmatched; the two with
# impossible MTUs (SIZE, the probe's own size, and MINMTU, below the protocol minimum)
# reported as too-big from FROM flagged bogus; nothing counted as malformed.
expect_forge()
{
	local c f g
	[ "$RC" = 0 ] || { why "probetest exited $RC: $ERR"; return; }
	c=$(grep -m 1 '^control ' <<<"$OUT")
	[[ $c == *" ttl-exceeded from=$2 "* ]] || { why "control: ${c:-missing}"; return; }
	f=$(grep -m 1 '^forge ' <<<"$OUT")
	[ "$f" = "forge sent=4 reported=2 unmatched=$1 bogus=0" ] || { why "${f:-no forge line}"; return; }
	g=$(grep '^forged ' <<<"$OUT" | sed -n 's/.* too-big from=\([^ ]*\) .* mtu=\([0-9]*\) bogus .*/\1 \2/p' |
		tr '\n' ' ')
	[ "$g" = "$2 $3 $2 $4 " ] || why "forged too-big events: '$g' (want '$2 $3 $2 $4 ')"
}

# expect_perm: probetest failed for a missing privilege, naming CAP_NET_RAW and the method
# that needs none.
expect_perm()
{
	[ "$RC" = 1 ] || { why "exit status $RC, want 1: $OUT"; return; }
	[[ $ERR == *"permission denied"*CAP_NET_RAW*"--method udp"* ]] || why "stderr: $ERR"
	[ "$(wc -l <<<"$ERR")" = 1 ] || why "more than one line: $ERR"
}

ping_range()
{
	lab_sysctl client "net.ipv4.ping_group_range=$1"
}

# build NAME CMD...: start a fresh lab, build a topology, prepare the server.
build()
{
	local name=$1 err=$RUN_TMP/build.err
	shift
	# shellcheck disable=SC2119 # default prefix
	if ! lab_begin 2>"$err" || ! "$@" 2>"$err" || ! server_setup 2>"$err"; then
		bad "$name: build" "$(tail -n 1 "$err")"
		lab_end
		return 1
	fi
	ok "$name: built"
}

# The server answers every probe: no ICMP rate limit; a TCP listener on $TCP_OPEN (v4 and v6).
server_setup()
{
	local py ready=$LAB_TMP/tcp-listen.ready
	lab_sysctl server net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 || return
	py=$(_lab_python) || return
	lab_bg server tcp-listen "$py" -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[1])))
s.listen(64)
open(sys.argv[2], "w").close()
while True:
    c, _ = s.accept()
    c.close()
' "$TCP_OPEN" "$ready"
	lab_wait "tcp listener" 10 test -e "$ready"
}

# method VARIANT: probetest arguments (and ping_group_range) for a method variant.
method_args()
{
	case $1 in
	udp) ARGS=(-m udp) ;;
	icmp-raw) ARGS=(-m icmp) ;;
	icmp-ping) ARGS=(-m icmp --no-raw) ;;
	tcp-open) ARGS=(-m tcp -p "$TCP_OPEN") ;;
	tcp-closed) ARGS=(-m tcp -p "$TCP_CLOSED") ;;
	esac
	# Ping sockets for nobody and root only in the icmp-ping variant.
	if [ "$1" = icmp-ping ]; then
		ping_range "0 2147483647"
	else
		ping_range "1 0"
	fi
}

# ack_fields VARIANT FAMILY: what the ACK line must say.
ack_fields()
{
	case $1/$2 in
	udp/4) ACKF=(type=3 code=3) ;;
	udp/6) ACKF=(type=1 code=4) ;;
	icmp-*/4) ACKF=(type=0 code=0) ;;
	icmp-*/6) ACKF=(type=129 code=0) ;;
	tcp-open/*) ACKF=(flags=0x012) ;;  # SYN+ACK
	tcp-closed/*) ACKF=(flags=0x014) ;; # RST+ACK
	esac
}

# ---- chain/pmtud --------------------------------------------------------------------------

t_wire4()
{
	local f=$1 rows
	# Quoted packets inside ICMP errors match the filter too; their rows list two values
	# per field ("576,1455") and are dropped.
	rows=$(tshark -r "$f" -Y "ip.src==$TOPO_CLIENT4 && ip.dst==$TOPO_SERVER4 && ip.len>=1400" \
		-T fields -e ip.proto -e ip.len -e ip.flags.df -e ip.flags.mf 2>/dev/null |
		grep -v , | sort | uniq -c)
	# Every method (ICMP 1, TCP 6, UDP 17) sent 1454 and 1455, all with DF, none fragmented.
	for proto in 1 6 17; do
		for len in 1454 1455; do
			grep -Eq " $proto	$len	1	0$" <<<"$rows" && continue
			why "no IPv4 proto $proto length $len DF probe: $(tr '\n' '|' <<<"$rows")"
			return
		done
	done
	! grep -Eq '	0	|	1$' <<<"$rows" || { why "no DF or fragmented: $rows"; return; }
	! awk '$3 > 1500' <<<"$rows" | grep -q . || why "probe above 1500 left: $rows"
}

t_wire6()
{
	local f=$1 rows
	rows=$(tshark -r "$f" -T fields -e ipv6.nxt -e ipv6.plen \
		-Y "ipv6.src==$TOPO_CLIENT6 && ipv6.dst==$TOPO_SERVER6 && ipv6.plen>=1360" \
		2>/dev/null | grep -v , | sort | uniq -c)
	# IPv6 length = 40 + payload length: 1454 -> 1414, 1455 -> 1415; no fragment header (44).
	for nxt in 58 6 17; do
		for plen in 1414 1415; do
			grep -Eq " $nxt	$plen$" <<<"$rows" && continue
			why "no IPv6 next header $nxt payload $plen probe: $(tr '\n' '|' <<<"$rows")"
			return
		done
	done
	! grep -Eq ' 44	' <<<"$rows" || { why "fragmented probe: $rows"; return; }
	! awk '$3 > 1460' <<<"$rows" | grep -q . || why "probe above 1500 left: $rows"
}

# addrs FAMILY: the target (TGT), r1's address on the client link (R1) and r2's on the
# bottleneck (HOP2), for that family.
addrs()
{
	if [ "$1" = 4 ]; then
		TGT=$TOPO_SERVER4 R1=$TOPO_R1_4 HOP2=$HOP2_4
	else
		TGT=$TOPO_SERVER6 R1=$TOPO_R1_6 HOP2=$HOP2_6
	fi
}

sec_pmtud()
{
	local fam v cap pid t
	build chain/pmtud topo_chain pmtud || return
	cap=$RUN_TMP/pmtud.pcap
	lab_capture_start client r1 "$cap" 2>"$RUN_TMP/cap.err" ||
		bad "capture" "$(cat "$RUN_TMP/cap.err")"
	pid=$LAB_LAST_PID
	for fam in 4 6; do
		addrs "$fam"
		for v in udp icmp-raw icmp-ping tcp-open tcp-closed; do
			method_args "$v"
			ack_fields "$v" "$fam"
			t="$v/$fam:"
			pt client -- "${ARGS[@]}" "$TGT" 1454 1455 1501 1454@1 1454@2
			case $v in
			icmp-raw | tcp-*) check "$t raw socket in use" expect_open raw=1 ;;
			*) check "$t no raw socket" expect_open raw=0 ;;
			esac
			check "$t 1454 -> ack from the server" expect 1454 0 ack "$TGT" "${ACKF[@]}"
			check "$t 1455 -> too-big mtu 1454 from r1" expect 1455 0 too-big "$R1" mtu=1454
			check "$t 1501 -> local-too-big mtu 1500" expect 1501 0 local-too-big - mtu=1500
			check "$t ttl 1 -> ttl-exceeded from r1" expect 1454 1 ttl-exceeded "$R1"
			check "$t ttl 2 -> ttl-exceeded from r2" expect 1454 2 ttl-exceeded "$HOP2"
			check "$t stats count 4 sent, nothing ignored" expect_stats sent=4 acked=1 \
				too_big=1 ttl_exceeded=2 local_too_big=1 ignored_unmatched=0 \
				ignored_bogus=0 send_errors=0
		done
	done
	lab_capture_stop "$pid"
	check "wire/4: probes of exactly 1454 and 1455 bytes, DF, none above 1500 (tshark)" \
		t_wire4 "$cap"
	check "wire/6: probes of exactly 1454 and 1455 bytes, unfragmented (tshark)" t_wire6 "$cap"

	# Forged errors, injected by r1 (the real first hop) after two probes of 1454 bytes (they
	# pass, so no real "too big" or "time exceeded" about it comes first and makes the
	# forged ones duplicates). Sockets the kernel matches to a flow (UDP, ping) never see
	# the one quoting another flow; raw sockets see and count it.
	for fam in 4 6; do
		addrs "$fam"
		for v in udp icmp-ping icmp-raw tcp-closed; do
			method_args "$v"
			t="$v/$fam: forged errors"
			pt client -- "${ARGS[@]}" --forge "/var/run/netns/$(lab_ns r1)" \
				--forge-from "$R1" "$TGT" 1454 1454
			if [ "$fam" = 6 ]; then min=1200; else min=60; fi
			case $v in
			udp | icmp-ping) n=1 ;;
			*) n=2 ;;
			esac
			check "$t ($n unmatched, MTU 1454 and $min reported as bogus)" \
				expect_forge "$n" "$R1" 1454 "$min"
		done
	done

	# Without privileges (user nobody, no capabilities).
	for fam in 4 6; do
		addrs "$fam"
		ping_range "1 0"
		pt client "${NOBODY[@]}" -- -m udp "$TGT" 1454 1455
		check "nobody udp/$fam: 1454 -> ack" expect 1454 0 ack "$TGT"
		check "nobody udp/$fam: 1455 -> too-big mtu 1454 from r1" \
			expect 1455 0 too-big "$R1" mtu=1454
		pt client "${NOBODY[@]}" -- -m icmp "$TGT" 1454
		check "nobody icmp/$fam, ping_group_range 1 0: fails naming CAP_NET_RAW" expect_perm
		ping_range "65534 65534"
		pt client "${NOBODY[@]}" -- -m icmp "$TGT" 1454 1455
		check "nobody icmp/$fam, ping_group_range 65534 65534: ping socket" \
			expect_open raw=0
		check "nobody icmp/$fam: 1454 -> ack" expect 1454 0 ack "$TGT"
		check "nobody icmp/$fam: 1455 -> too-big mtu 1454 from r1" \
			expect 1455 0 too-big "$R1" mtu=1454
		pt client "${NOBODY[@]}" -- -m tcp -p "$TCP_OPEN" "$TGT" 1454
		check "nobody tcp/$fam: fails naming CAP_NET_RAW" expect_perm
	done
	ping_range "1 0"

	# The client's own link MTU decides LOCAL_TOO_BIG.
	lab_x client ip link set dev r1 mtu 1400
	for fam in 4 6; do
		addrs "$fam"
		for v in udp icmp-raw tcp-open; do
			method_args "$v"
			t="$v/$fam, client link mtu 1400:"
			pt client -- "${ARGS[@]}" "$TGT" 1401 1400
			check "$t 1401 -> local-too-big mtu 1400" expect 1401 0 local-too-big - mtu=1400
			check "$t 1400 -> ack" expect 1400 0 ack "$TGT"
		done
	done
	lab_end
}

# ---- chain/blackhole ---------------------------------------------------------------------

t_counter_positive()
{
	local got
	got=$(lab_nft_counter r1 inet pdl_blackhole "$1")
	[ "${got:-0}" -gt 0 ] || why "r1 counter $1 is '${got}', the router made no error to drop"
}

sec_blackhole()
{
	local fam v
	build chain/blackhole topo_chain blackhole || return
	for fam in 4 6; do
		addrs "$fam"
		for v in udp icmp-raw tcp-open; do
			method_args "$v"
			pt client -- "${ARGS[@]}" -t 1000 "$TGT" 1455 1454
			check "$v/$fam blackhole: 1455 -> no event in 1 s" expect_none 1455 0
			check "$v/$fam blackhole: 1454 -> ack" expect 1454 0 ack "$TGT"
		done
	done
	check "blackhole: r1 made and dropped its frag-needed errors" t_counter_positive ptb4_out
	check "blackhole: r1 made and dropped its packet-too-big errors" t_counter_positive ptb6_out
	lab_end
}

t_no_leftovers()
{
	local pfx=pdl-$$-
	! ip netns list | grep -q "^$pfx" || { why "namespaces left"; return; }
	! ls -d /etc/netns/"$pfx"* /tmp/"$pfx"* >/dev/null 2>&1 || why "files left"
}

main()
{
	local t0 t1 sec
	if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
		echo "probe: SKIP: needs root and network namespaces"
		[ "${LAB_STRICT:-0}" = 1 ] && exit 77
		exit 0
	fi
	PT=$(cd "$BUILD_DIR" 2>/dev/null && pwd)/probetest
	if [ ! -x "$PT" ]; then
		echo "probe: error: $PT not found (make BUILD=$BUILD_DIR tests)" >&2
		exit 1
	fi
	lab_require tshark setpriv || exit 1
	t0=$(date +%s)
	RUN_TMP=$(mktemp -d /tmp/pdl-run-XXXXXX) || exit 1
	# shellcheck disable=SC2016 # expanded when the trap runs
	LAB_EXIT_HOOK='rm -rf "$RUN_TMP"'
	trap 'rm -rf "$RUN_TMP"' EXIT
	lab_sweep_stale
	for sec in ${PROBE_SECTIONS:-pmtud blackhole}; do
		"sec_$sec"
	done
	check "no namespace, /etc/netns entry or temp dir of this run (pdl-$$-) left" t_no_leftovers
	t1=$(date +%s)
	printf 'probe: %d passed, %d failed (%d s)\n' "$N_PASS" "$N_FAIL" $((t1 - t0))
	[ "$N_FAIL" = 0 ]
}

main "$@"
