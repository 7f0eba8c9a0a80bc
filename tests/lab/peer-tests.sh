#!/usr/bin/env bash
# tests/lab/peer-tests.sh BUILD_DIR - the peer responder over real sockets, in namespaces
# (needs bash and root; BUILD_DIR/peertest from `make tests`). Protocol: docs/responder.md.
#
# Lab 1, asymmetric path: the chain of topo.sh with every link at 1500, plus a route MTU of
# 1454 on r2 towards the client's networks (the path server->client allows 1454, client->server
# 1500; r2 sends "fragmentation needed" / "packet too big" for the reverse direction only), a
# second server address, and a flooder node with 200 addresses behind r1:
#
#   flood (10.0.4.2-201) --+
#                          r1 ==== r2 --- server 10.0.3.2, 10.0.3.3
#   client 10.0.1.2 -------+    ^ route MTU 1454 towards 10.0.1.0/24, fd00:0:0:1::/64
#
# Checks: the server's view of the client's address; forward 1500 acknowledged; signed
# reverse 1454 received and 1455 lost (and seen at r2 at exactly 1455 bytes, so the loss is the
# path's); unsigned 1455 asked by a small request refused (TOO_BIG), and granted to a request
# that pays for it; a reply leaves from the address the request went to; the MSS of a SYN
# clamped by nft on r1 (`tcp option maxseg size set 1360`) reads 1360; under a flood from
# 200 sources the replies to the flood carry fewer bytes than the flood (counted by nft on r2
# and by the flooder), rate limits and table evictions happen, the server's memory stays
# put, and the legitimate client is still served.
#
# Lab 2, NAT (topo nat): the server sees the masquerading router's address.
#
# One line per check, then "peer: N passed, M failed"; exit status 1 on failure. Without
# root: "peer: SKIP", exit 0 (77 if LAB_STRICT=1).

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-build}
# shellcheck source=tests/lab/topo.sh
. "$LAB_DIR/topo.sh"
CHECK_TAG=peer
# shellcheck source=tests/lab/check.sh
. "$LAB_DIR/check.sh"

PT=$(cd "$(dirname "$BUILD_DIR/peertest")" 2>/dev/null && pwd)/peertest
SERVER_PID=
OUT=

# has OUTPUT-LINE-ERE: the last client output has a matching line.
has()
{
	grep -Eq -- "$1" <<<"$OUT" || why "no line matching '$1' in: $(tr '\n' '|' <<<"$OUT")"
}

# run NODE ARGS...: peertest in NODE, output in OUT.
run()
{
	local node=$1
	shift
	OUT=$(lab_x "$node" "$PT" "$@" 2>&1)
}

start_server()
{
	local node=$1
	shift
	lab_bg "$node" peer-server "$PT" server "$@"
	SERVER_PID=$LAB_LAST_PID
	lab_wait "peer server" 10 grep -q '^ready ' "$LAB_TMP/peer-server.log"
}

stop_server()
{
	[ -n "$SERVER_PID" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
}

stat_of()
{
	sed -n "s/^stat $1=//p" "$LAB_TMP/peer-server.log"
}

rss_kb()
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"
}

nft_bytes()
{
	lab_x "$1" nft list counter "$2" "$3" "$4" 2>/dev/null |
		sed -n 's/.*bytes \([0-9]*\).*/\1/p'
}

nft_packets()
{
	lab_x "$1" nft list counter "$2" "$3" "$4" 2>/dev/null |
		sed -n 's/.*packets \([0-9]*\) bytes.*/\1/p'
}

# ---- lab 1 --------------------------------------------------------------------------------

build_asym()
{
	local i addrs=()
	topo_chain pmtud mtu=1500 || return
	lab_route r2 10.0.1.0/24 10.0.2.1 mtu 1454 || return
	lab_route r2 fd00:0:0:1::/64 fd00:0:0:2::1 mtu 1454 || return
	lab_addr server r2 10.0.3.3/24 || return
	lab_node flood || return
	lab_link flood r1 a4=10.0.4.2/24 b4=10.0.4.1/24 || return
	for i in $(seq 3 201); do
		addrs+=("10.0.4.$i/24")
	done
	lab_addr flood r1 "${addrs[@]}" || return
	lab_route flood default 10.0.4.1 || return
	lab_route r2 10.0.4.0/24 10.0.2.1 || return
	# Wire counters on r2: replies of the size that must die at r2 (prerouting: before
	# the forwarding MTU check), the ICMP errors r2 sends back, flood bytes both ways.
	lab_nft r2 pdl_peer <<-'EOF' || return
	counter rev1455 {}
	counter rev1454 {}
	counter ptb_out {}
	counter flood_in {}
	counter flood_out {}
	chain c_pre {
		type filter hook prerouting priority filter; policy accept;
		iifname "server" udp sport 20548 meta length 1455 counter name "rev1455"
		iifname "server" udp sport 20548 meta length 1454 counter name "rev1454"
	}
	chain c_out {
		type filter hook output priority filter; policy accept;
		icmp type destination-unreachable icmp code frag-needed counter name "ptb_out"
		icmpv6 type packet-too-big counter name "ptb_out"
	}
	chain c_fwd {
		type filter hook forward priority filter; policy accept;
		ip saddr 10.0.4.0/24 udp dport 20548 counter name "flood_in"
		ip daddr 10.0.4.0/24 udp sport 20548 counter name "flood_out"
	}
	EOF
	KEY=$LAB_TMP/peer.key
	(umask 077 && { echo "# pathdiag peer key (lab)"; od -An -tx1 -N32 /dev/urandom |
		tr -d ' \n'; echo; } >"$KEY") || return
}

t_ready()
{
	grep -q '^ready port=20548 sockets=0xf$' "$LAB_TMP/peer-server.log" ||
		why "server said: $(head -n 1 "$LAB_TMP/peer-server.log")"
}

t_info4()
{
	run client info 10.0.3.2
	has '^info seen=10\.0\.1\.2 port=[0-9]+ caps=0x0f tcp_port=20548 max_reply=9000 '
	has ' max_auth=131072 '
}

t_info6()
{
	run client info fd00:0:0:3::2
	has '^info seen=fd00:0:0:1::2 port=[0-9]+ caps=0x0f '
}

# The client's socket is connected to 10.0.3.3: an answer from 10.0.3.2 would not reach it.
t_info_second_address()
{
	run client info 10.0.3.3
	has '^info seen=10\.0\.1\.2 '
}

t_forward4()
{
	run client forward 10.0.3.2 --key "$KEY" 1454 1455 1500
	has '^forward size=1454 result=ok rx=1454$' &&
		has '^forward size=1455 result=ok rx=1455$' &&
		has '^forward size=1500 result=ok rx=1500$'
}

t_forward6()
{
	run client forward fd00:0:0:3::2 1500
	has '^forward size=1500 result=ok rx=1500$'
}

t_reverse4_signed()
{
	local before after ptb0 ptb1
	before=$(nft_packets r2 inet pdl_peer rev1455)
	ptb0=$(nft_packets r2 inet pdl_peer ptb_out)
	run client reverse 10.0.3.2 --key "$KEY" 1454 1455
	has '^reverse request_bytes=62 signed=1$' || return
	has '^reverse size=1454 result=ok$' || return
	has '^reverse size=1455 result=lost$' || return
	after=$(nft_packets r2 inet pdl_peer rev1455)
	ptb1=$(nft_packets r2 inet pdl_peer ptb_out)
	# Three attempts: each sent a 1455-byte reply that reached r2 and died there.
	[ "$((after - before))" -ge 3 ] ||
		why "r2 saw $((after - before)) replies of 1455 bytes, expected >= 3"
	[ "$((ptb1 - ptb0))" -ge 3 ] || why "r2 sent $((ptb1 - ptb0)) frag-needed, expected >= 3"
}

t_reverse6_signed()
{
	run client reverse fd00:0:0:3::2 --key "$KEY" 1454 1455
	has '^reverse size=1454 result=ok$' && has '^reverse size=1455 result=lost$'
}

# No key: a 64-byte request asking 1455 is refused, with TOO_BIG naming size 0.
t_reverse_unsigned_refused()
{
	run client reverse 10.0.3.2 --pad 64 1455
	has '^reverse request_bytes=64 signed=0$' && has '^reverse size=1455 result=refused$' &&
		has '^error code=too-big arg=92 arg32=0x1$'
}

# No key, but a request as big as the answer: 1454 comes back (the forward path allows it).
t_reverse_unsigned_paid()
{
	run client reverse 10.0.3.2 --earn 1454
	has '^reverse request_bytes=1426 signed=0$' && has '^reverse size=1454 result=ok$'
}

t_mss_plain()
{
	run client mss 10.0.3.2
	has '^mss result=ok mss=1460 ttl=62 seen=10\.0\.1\.2 ' || return
	run client mss fd00:0:0:3::2
	has '^mss result=ok mss=1440 ttl=62 seen=fd00:0:0:1::2 '
}

t_mss_clamped()
{
	lab_nft r1 pdl_clamp <<-'EOF' || { why "nft clamp rule failed"; return; }
	chain c_fwd {
		type filter hook forward priority mangle; policy accept;
		tcp flags syn tcp option maxseg size set 1360
	}
	EOF
	run client mss 10.0.3.2
	has '^mss result=ok mss=1360 ' || return
	run client mss fd00:0:0:3::2
	has '^mss result=ok mss=1360 '
}

# flood_run LABEL: 6 s of flood from 200 sources while the legitimate client asks, signed
# (reverse 1454, which starts with a signed HELLO) and unsigned (INFO over IPv4 and IPv6).
# Sets LEGIT_SIGNED, LEGIT_UNSIGNED (successes of 3 each... 6), F_IN/F_OUT (r2 counters, bytes
# of this flood), F_SENT/F_RECV (flooder's own count, IP bytes), RSS0/RSS1 (server, kB).
flood_run()
{
	local srcs in0 out0 fpid i line
	srcs=$(seq -s, -f '10.0.4.%g' 2 201)
	in0=$(nft_bytes r2 inet pdl_peer flood_in)
	out0=$(nft_bytes r2 inet pdl_peer flood_out)
	RSS0=$(rss_kb)
	lab_bg flood peer-flood "$PT" flood 10.0.3.2 --seconds 6 --src "$srcs"
	fpid=$LAB_LAST_PID
	sleep 1
	LEGIT_SIGNED=0
	LEGIT_UNSIGNED=0
	for i in 1 2 3; do
		run client reverse 10.0.3.2 --key "$KEY" 1454
		! has '^reverse size=1454 result=ok$' || LEGIT_SIGNED=$((LEGIT_SIGNED + 1))
		run client info 10.0.3.2
		! has '^info seen=10\.0\.1\.2 ' || LEGIT_UNSIGNED=$((LEGIT_UNSIGNED + 1))
		run client info fd00:0:0:3::2
		! has '^info seen=fd00:0:0:1::2 ' || LEGIT_UNSIGNED=$((LEGIT_UNSIGNED + 1))
	done
	wait "$fpid"
	RSS1=$(rss_kb)
	line=$(grep '^flood ' "$LAB_TMP/peer-flood.log")
	F_IN=$(($(nft_bytes r2 inet pdl_peer flood_in) - in0))
	F_OUT=$(($(nft_bytes r2 inet pdl_peer flood_out) - out0))
	F_SENT=$(sed -n 's/.* sent_ip_bytes=\([0-9]*\).*/\1/p' <<<"$line")
	F_RECV=$(sed -n 's/.* received_ip_bytes=\([0-9]*\).*/\1/p' <<<"$line")
	SUMMARY="$1: $line; r2: in=$F_IN out=$F_OUT bytes; server RSS $RSS0 -> $RSS1 kB;"
	SUMMARY="$SUMMARY legit signed $LEGIT_SIGNED/3 unsigned $LEGIT_UNSIGNED/6"
}

# flood_common: what must hold in every flood.
flood_common()
{
	[ "$F_IN" -gt 1000000 ] || { why "flood too weak: r2 saw $F_IN bytes in"; return; }
	[ "$F_OUT" -le "$F_IN" ] || { why "replies $F_OUT bytes > requests $F_IN at r2"; return; }
	[ "$F_RECV" -le "$F_SENT" ] || { why "flooder got $F_RECV bytes back for $F_SENT"; return; }
	[ "$((RSS1 - RSS0))" -lt 1024 ] || { why "server RSS grew from $RSS0 to $RSS1 kB"; return; }
	[ "$LEGIT_SIGNED" = 3 ] || why "signed client served $LEGIT_SIGNED of 3 times"
}

# Table large enough for every source: per-source limits bite, nothing is evicted, and the
# unsigned client (its own entry) is served too.
t_flood_big_table()
{
	flood_run "flood, table 4096"
	flood_common || return
	[ "$LEGIT_UNSIGNED" = 6 ] || why "unsigned client served $LEGIT_UNSIGNED of 6 times"
}

# server_stats NAME: stop the server, check its own accounting; STATS for the report.
server_stats()
{
	local rx tx
	stop_server
	rx=$(stat_of rx_unauth_ip_bytes)
	tx=$(stat_of tx_unauth_ip_bytes)
	ST_RATE=$(stat_of rate_source)
	ST_EVICT=$(stat_of src_evictions)
	ST_USE=$(stat_of src_in_use)
	ST_CAP=$(stat_of src_capacity)
	STATS="server: rx_unauth_ip=$rx tx_unauth_ip=$tx rate_source=$ST_RATE"
	STATS="$STATS rate_global=$(stat_of rate_global) evictions=$ST_EVICT in_use=$ST_USE/$ST_CAP"
	STATS="$STATS auth_ok=$(stat_of auth_ok) auth_bad=$(stat_of auth_bad)"
	STATS="$STATS refused=$(stat_of refused) tx_emsgsize=$(stat_of io_tx_emsgsize)"
	STATS="$STATS memory=$(stat_of memory_bytes)"
	[ -n "$rx" ] || { why "no stats from the server"; return; }
	[ "$tx" -le "$rx" ] || { why "server sent $tx unauthenticated IP bytes for $rx"; return; }
	[ "$ST_RATE" -gt 0 ] || { why "no per-source rate limiting under the flood"; return; }
	[ "$ST_USE" -le "$ST_CAP" ] || why "table $ST_USE of $ST_CAP"
}

t_stats_big_table()
{
	server_stats || return
	[ "$ST_EVICT" = 0 ] || why "$ST_EVICT evictions in a table of $ST_CAP"
}

# 200 sources churning through 64 entries: evictions, and the limits still hold (a reused
# entry hands its empty bucket on); the signed client is still served (MAC checks of
# over-rate sources come from a global bucket). The unsigned client shares its table set
# with flooders now: reported, not required.
t_flood_small_table()
{
	flood_run "flood, table 64"
	flood_common
}

t_stats_small_table()
{
	server_stats || return
	[ "$ST_EVICT" -gt 0 ] || { why "no evictions with 200 sources in $ST_CAP entries"; return; }
	[ "$ST_CAP" = 64 ] || why "table capacity $ST_CAP"
}

# ---- lab 2 --------------------------------------------------------------------------------

t_nat()
{
	run client info 203.0.113.10
	has '^info seen=203\.0\.113\.2 port=[0-9]+ ' || return
	run client info fd00:203::10
	has '^info seen=fd00:1::2 '
}

# ---- main ---------------------------------------------------------------------------------

lab1_functional()
{
	check "server bound UDP and TCP, IPv4 and IPv6" t_ready
	check "INFO: server sees 10.0.1.2 (IPv4)" t_info4
	check "INFO: server sees fd00:0:0:1::2 (IPv6)" t_info6
	check "reply leaves from the address asked (IP_PKTINFO)" t_info_second_address
	check "forward 1454/1455/1500 acknowledged (client->server: 1500)" t_forward4
	check "forward 1500 acknowledged (IPv6)" t_forward6
	check "signed reverse: 1454 arrives, 1455 dies at r2 (IPv4)" t_reverse4_signed
	check "signed reverse: 1454 arrives, 1455 lost (IPv6)" t_reverse6_signed
	check "unsigned 64-byte request for 1455: refused (too-big)" t_reverse_unsigned_refused
	check "unsigned request paying for 1454 gets it" t_reverse_unsigned_paid
	check "MSS report of an unclamped SYN: 1460 / 1440" t_mss_plain
	check "MSS report of a SYN clamped by nft on r1: 1360" t_mss_clamped
}

main()
{
	local err
	if [ "$(id -u)" != 0 ]; then
		echo "peer: SKIP (needs root for network namespaces)"
		[ "${LAB_STRICT:-0}" = 1 ] && exit 77
		exit 0
	fi
	if [ ! -x "$PT" ]; then
		echo "peer: $BUILD_DIR/peertest missing (make BUILD=$BUILD_DIR tests)"
		echo "peer: 0 passed, 1 failed"
		exit 1
	fi
	err=$(mktemp)
	# shellcheck disable=SC2034 # read by lib.sh's EXIT trap
	LAB_EXIT_HOOK="rm -f '$err'"

	# shellcheck disable=SC2119
	if lab_begin 2>"$err" && build_asym 2>"$err"; then
		ok "asymmetric lab built (r2 -> client route MTU 1454)"
		if start_server server --key "$KEY" --src-pps 20 --src-burst 20 2>"$err"; then
			lab1_functional
			check "flood, 200 sources, table 4096: out <= in, flat RSS, served" \
				t_flood_big_table
			echo "peer:      $SUMMARY"
			check "flood, table 4096: accounting, rate limits, no evictions" \
				t_stats_big_table
			echo "peer:      $STATS"
		else
			bad "server start" "$(tail -n 1 "$err")"
		fi
		stop_server
		if start_server server --key "$KEY" --table 64 --src-pps 20 --src-burst 20 \
			2>"$err"; then
			check "flood, 200 sources, table 64: out <= in, flat RSS, signed served" \
				t_flood_small_table
			echo "peer:      $SUMMARY"
			check "flood, table 64: evictions, rate limits still hold" \
				t_stats_small_table
			echo "peer:      $STATS"
		else
			bad "server start (table 64)" "$(tail -n 1 "$err")"
		fi
		stop_server
	else
		bad "asymmetric lab" "$(tail -n 1 "$err")"
	fi
	lab_end

	# shellcheck disable=SC2119
	if lab_begin 2>"$err" && topo_nat 2>"$err"; then
		ok "NAT lab built"
		if start_server server 2>"$err"; then
			check "INFO behind NAT: server sees the router's 203.0.113.2" t_nat
		else
			bad "server start (nat)" "$(tail -n 1 "$err")"
		fi
		stop_server
	else
		bad "NAT lab" "$(tail -n 1 "$err")"
	fi
	lab_end
	rm -f "$err"

	echo "peer: $N_PASS passed, $N_FAIL failed"
	[ "$N_FAIL" = 0 ]
}

main "$@"
