#!/usr/bin/env bash
# tests/lab/run-tests.sh BUILD_DIR - self-tests of the namespace lab (needs bash and root).
#
# Proves each topology in topo.sh is what it claims, asserting the values it was built with
# (MTUs, lengths, loss rate, addresses), then that a lab is torn down after a failing step and
# after SIGTERM. One line per check, then "lab: N passed, M failed"; exit status 1 on failure.
# Without root it prints "lab: SKIP" and exits 0 (77 if LAB_STRICT=1).
#
# Packet-size arithmetic used below (ping -s is the ICMP payload):
#   IPv4 packet = s + 8 (ICMP) + 20 (IPv4);  IPv6 packet = s + 8 + 40.
#   WireGuard data message = 16 (header) + padded inner + 16 (tag); the inner packet is padded to
#   a multiple of 16 but never past the tunnel MTU (WireGuard whitepaper, section 5.4.6).
#   Outer = message + 8 (UDP) + 20 (IPv4) or 40 (IPv6): 60 / 80 bytes of overhead plus padding.

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-build}
# shellcheck source=tests/lab/topo.sh
. "$LAB_DIR/topo.sh"
CHECK_TAG=lab
# shellcheck source=tests/lab/check.sh
. "$LAB_DIR/check.sh"

RUN_TMP=

# build NAME CMD...: start a fresh lab and build a topology; one check line either way.
build()
{
	local name=$1 t0 t1 err=$RUN_TMP/build.err
	shift
	t0=$(date +%s.%N)
	# shellcheck disable=SC2119 # default prefix
	if ! lab_begin 2>"$err"; then
		bad "$name: build" "$(tail -n 1 "$err")"
		return 1
	fi
	if ! "$@" 2>"$err"; then
		bad "$name: build" "$(tail -n 1 "$err")"
		lab_end
		return 1
	fi
	t1=$(date +%s.%N)
	ok "$name: built ($(lab_wg_kind_if_any)$(awk -v a="$t0" -v b="$t1" \
		'BEGIN { printf "%.1f s", b - a }'))"
}

lab_wg_kind_if_any()
{
	case ${TOPO_NAME:-} in
	wg/*) printf '%s, ' "$(lab_wg_kind)" ;;
	esac
}

# ---- helpers ----------------------------------------------------------------------------

# pingx NODE ARGS...: ping -n, output in PING_OUT, counts in PING_TX and PING_RX.
pingx()
{
	local node=$1
	shift
	PING_OUT=$(lab_x "$node" ping -n "$@" 2>&1)
	PING_TX=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$PING_OUT")
	PING_RX=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$PING_OUT")
	PING_TX=${PING_TX:-0}
	PING_RX=${PING_RX:-0}
}

# expect_ping_ok NODE COUNT ARGS...: all COUNT echo requests answered.
expect_ping_ok()
{
	local node=$1 count=$2
	shift 2
	pingx "$node" -c "$count" -i 0.2 -W 2 "$@"
	[ "$PING_RX" = "$count" ] || why "$PING_RX of $count answered: $(tail -n 1 <<<"$PING_OUT")"
}

# expect_ping_vanish NODE COUNT ARGS...: nothing answered, no ICMP error reported by ping and
# no local "message too long" (the sender never learnt a smaller path MTU).
expect_ping_vanish()
{
	local node=$1 count=$2
	shift 2
	pingx "$node" -c "$count" -i 0.2 -W 1 "$@"
	[ "$PING_TX" = "$count" ] || { why "sent $PING_TX of $count"; return; }
	[ "$PING_RX" = 0 ] || { why "$PING_RX answered, expected none"; return; }
	if grep -Eqi 'frag needed|too big|too long|mtu' <<<"$PING_OUT"; then
		why "ping saw an error: $(grep -Ei 'frag|big|long|mtu' <<<"$PING_OUT" | head -n 1)"
	fi
}

# route_mtu NODE DEST: the cached path MTU towards DEST ("" if none).
route_mtu()
{
	local fam=-4
	case $2 in *:*) fam=-6 ;; esac
	lab_x "$1" ip "$fam" route get "$2" | sed -n 's/.* mtu \([0-9]*\).*/\1/p' | head -n 1
}

counter_is()
{
	local got
	got=$(lab_nft_counter "$1" "$2" "$3" "$4")
	[ "$got" = "$5" ] || why "nft counter $1 $3/$4 is '$got', expected $5"
}

# pcap_top FILE: tcpdump -v lines of top-level packets (quoted headers inside ICMP errors are
# indented and dropped), one line per packet for IPv4 ("IP (... length N)" + next line joined).
pcap_top()
{
	tcpdump -t -nv -r "$1" 2>/dev/null | awk '
		/^IP6? / { if (line != "") print line; line = $0; seen = 0; next }
		/^[ \t]/ { if (line != "" && !seen) { line = line " |" $0; seen = 1 } next }
		{ seen = 0 }
		END { if (line != "") print line }' | sed 's/  */ /g'
}

# pcap_count FILE ERE: number of top-level packets whose joined line matches ERE.
pcap_count()
{
	pcap_top "$1" | grep -Ec -- "$2" || true
}

# keep_pcap: after a failed check, keep its capture in BUILD_DIR/lab-failed/ and say where.
keep_pcap()
{
	local dst
	dst=$BUILD_DIR/lab-failed/$$-$N-$(basename "$CAP_FILE")
	mkdir -p "$BUILD_DIR/lab-failed" && cp "$CAP_FILE" "$dst" && WHY="$WHY [capture: $dst]"
	return 1
}

capture()
{
	# Named by check number, so every capture of the run is kept for the decode section.
	CAP_FILE=$RUN_TMP/$((N + 1))-$1.pcap
	lab_capture_start "$2" "$3" "$CAP_FILE" 2>"$RUN_TMP/cap.err" || {
		bad "capture $1" "$(tail -n 1 "$RUN_TMP/cap.err")"
		return 1
	}
	CAP_PID=$LAB_LAST_PID
}

capture_stop()
{
	lab_capture_stop "$CAP_PID"
}

# ---- common checks ------------------------------------------------------------------------

t_namespaces()
{
	local want got n ns
	want=$(for n in "$@"; do lab_ns "$n"; done | sort)
	got=$(lab_namespaces | sort)
	[ "$want" = "$got" ] || { why "namespaces: $(echo "$got" | tr '\n' ' ')"; return; }
	for n in "$@"; do
		ns=$(lab_ns "$n")
		[ -f "/etc/netns/$ns/resolv.conf" ] || { why "no /etc/netns/$ns/resolv.conf"; return; }
		lab_x "$n" grep -q '^nameserver 127.0.0.1' /etc/resolv.conf ||
			{ why "$n does not see its own resolv.conf"; return; }
	done
}

# t_sysctls ROUTER...: routers forward, hosts do not; DAD off; IPv6 on.
t_sysctls()
{
	local n fwd want
	for n in client r1 r2 server; do
		want=0
		case " $* " in *" $n "*) want=1 ;; esac
		fwd=$(lab_x "$n" sysctl -n net.ipv4.ip_forward)
		[ "$fwd" = "$want" ] || { why "$n ip_forward=$fwd"; return; }
		fwd=$(lab_x "$n" sysctl -n net.ipv6.conf.all.forwarding)
		[ "$fwd" = "$want" ] || { why "$n ipv6 forwarding=$fwd"; return; }
		[ "$(lab_x "$n" sysctl -n net.ipv6.conf.default.accept_dad)" = 0 ] ||
			{ why "$n accept_dad on"; return; }
		[ -z "$(ip -n "$(lab_ns "$n")" -6 addr show tentative)" ] ||
			{ why "$n has tentative IPv6 addresses"; return; }
	done
}

# t_txoff NODE...: every veth end has TX checksum offload off.
t_txoff()
{
	local n ifn cnt=0
	for n in "$@"; do
		for ifn in $(ip -n "$(lab_ns "$n")" -o link show type veth |
			awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
			lab_x "$n" ethtool -k "$ifn" | grep -q '^tx-checksumming: off' ||
				{ why "$n/$ifn tx-checksumming on"; return; }
			cnt=$((cnt + 1))
		done
	done
	[ "$cnt" -ge 2 ] || why "only $cnt veth ends found"
}

# t_mtus BOTTLENECK: r1-r2 has the bottleneck MTU at both ends, the other links 1500.
t_mtus()
{
	local node ifn want got
	while read -r node ifn want; do
		got=$(lab_mtu "$node" "$ifn")
		[ "$got" = "$want" ] || { why "$node/$ifn mtu $got, expected $want"; return; }
	done <<-EOF
	client r1 1500
	r1 client 1500
	r1 r2 $1
	r2 r1 $1
	r2 server 1500
	server r2 1500
	EOF
}

# t_frag_needed NODE DEST ROUTER-ADDR MTU: a DF probe one byte above MTU gets "frag needed"
# from ROUTER-ADDR, then the kernel refuses the next ones locally with the learnt MTU.
t_frag_needed()
{
	local node=$1 dst=$2 rtr=$3 mtu=$4
	pingx "$node" -Mdo -c 3 -i 0.2 -W 1 -s $((mtu - 27)) "$dst"
	[ "$PING_RX" = 0 ] || { why "$PING_RX answered"; return; }
	grep -q "^From $rtr icmp_seq=1 Frag needed and DF set (mtu = $mtu)" <<<"$PING_OUT" ||
		{ why "no 'Frag needed (mtu = $mtu)' from $rtr: $(head -n 2 <<<"$PING_OUT" | tail -n 1)"; return; }
	grep -q "local error: message too long, mtu=$mtu" <<<"$PING_OUT" ||
		{ why "no local 'message too long, mtu=$mtu'"; return; }
	[ "$(route_mtu "$node" "$dst")" = "$mtu" ] || why "route cache mtu '$(route_mtu "$node" "$dst")'"
}

t_ptb()
{
	local node=$1 dst=$2 rtr=$3 mtu=$4
	pingx "$node" -6 -Mdo -c 3 -i 0.2 -W 1 -s $((mtu - 47)) "$dst"
	[ "$PING_RX" = 0 ] || { why "$PING_RX answered"; return; }
	grep -q "^From $rtr icmp_seq=1 Packet too big: mtu=$mtu" <<<"$PING_OUT" ||
		{ why "no 'Packet too big: mtu=$mtu' from $rtr"; return; }
	grep -q "local error: message too long, mtu: $mtu" <<<"$PING_OUT" ||
		{ why "no local 'message too long, mtu: $mtu'"; return; }
	[ "$(route_mtu "$node" "$dst")" = "$mtu" ] || why "route cache mtu '$(route_mtu "$node" "$dst")'"
}

t_tracepath()
{
	local out
	out=$(lab_x "$1" tracepath -n "$2" 2>&1)
	grep -q "Resume: pmtu $3 hops 3" <<<"$out" || why "tracepath: $(tail -n 1 <<<"$out")"
}

# t_vanish_no_icmp NODE IF COUNT TABLE-COUNTER-NODE FAMILY TABLE COUNTER WANT PING-ARGS...:
# the probes vanish, no ICMP error shows up on NODE/IF and the router's drop counter is WANT.
t_vanish_no_icmp()
{
	local node=$1 ifn=$2 count=$3 cnode=$4 fam=$5 tab=$6 cnt=$7 want=$8 n
	shift 8
	capture vanish "$node" "$ifn" || return
	expect_ping_vanish "$node" "$count" "$@"
	local rc=$?
	capture_stop
	[ "$rc" = 0 ] || return 1
	n=$(pcap_count "$CAP_FILE" 'need to frag|packet too big')
	[ "$n" = 0 ] || { why "$n ICMP errors reached $node"; return; }
	n=$(pcap_count "$CAP_FILE" 'ICMP echo request|ICMP6, echo request')
	[ "$n" = "$count" ] || {
		why "$n echo requests on the wire, expected $count (seen: $(pcap_top "$CAP_FILE" |
			grep -Eo 'echo request, id [0-9]+, seq [0-9]+' | tr '\n' ' ')counter $(lab_nft_counter "$cnode" "$fam" "$tab" "$cnt"))"
		keep_pcap
		return 1
	}
	counter_is "$cnode" "$fam" "$tab" "$cnt" "$want"
}

t_no_route_mtu()
{
	local m
	m=$(route_mtu "$1" "$2")
	[ -z "$m" ] || why "path mtu $m cached towards $2"
}

# t_counter_ge NODE FAMILY TABLE COUNTER MIN
t_counter_ge()
{
	local got
	got=$(lab_nft_counter "$1" "$2" "$3" "$4")
	[ "${got:-0}" -ge "$5" ] || why "nft counter $1 $3/$4 is '$got', expected >= $5"
}

# ---- sections -----------------------------------------------------------------------------

sec_chain_pmtud()
{
	local m
	build chain/pmtud topo_chain pmtud || return
	m=$TOPO_MTU
	check "chain/pmtud: namespaces pdl-<pid>-{client,r1,r2,server}, each with own resolv.conf" \
		t_namespaces client r1 r2 server
	check "chain/pmtud: r1-r2 mtu $m on both ends, other links 1500" t_mtus "$m"
	check "chain/pmtud: tx checksum offload off on all 6 veth ends" t_txoff client r1 r2 server
	check "chain/pmtud: routers forward, hosts do not; DAD off, no tentative addresses" \
		t_sysctls r1 r2
	check "chain/pmtud: tracepath -6 server->client reports pmtu $m, 3 hops" \
		t_tracepath server "$TOPO_CLIENT6" "$m"
	check "chain/pmtud: IPv4 ping -M do -s $((m - 28)) ($m bytes) passes" \
		expect_ping_ok client 2 -Mdo -s $((m - 28)) "$TOPO_SERVER4"
	check "chain/pmtud: IPv4 -s $((m - 27)): frag needed (mtu = $m) from r1, then local 'message too long, mtu=$m'" \
		t_frag_needed client "$TOPO_SERVER4" "$TOPO_R1_4" "$m"
	check "chain/pmtud: IPv4 reverse server->client -s $((m - 27)): frag needed (mtu = $m) from r2" \
		t_frag_needed server "$TOPO_CLIENT4" "$TOPO_R2_4" "$m"
	check "chain/pmtud: IPv6 ping -M do -s $((m - 48)) ($m bytes) passes" \
		expect_ping_ok client 2 -6 -Mdo -s $((m - 48)) "$TOPO_SERVER6"
	check "chain/pmtud: IPv6 -s $((m - 47)): packet too big (mtu=$m) from r1, then local error" \
		t_ptb client "$TOPO_SERVER6" "$TOPO_R1_6" "$m"
	lab_end
}

t_rebuild()
{
	topo_chain blackhole 2>"$RUN_TMP/rebuild.err" ||
		{ why "second build: $(tail -n 1 "$RUN_TMP/rebuild.err")"; return; }
	[ "$(lab_namespaces | wc -l)" = 4 ] || why "$(lab_namespaces | wc -l) namespaces"
}

sec_chain_blackhole()
{
	local m
	build chain/blackhole topo_chain blackhole || return
	m=$TOPO_MTU
	check "chain/blackhole: building it again over itself works (idempotent), still 4 namespaces" \
		t_rebuild
	check "chain/blackhole: IPv4 -M do -s $((m - 28)) passes" \
		expect_ping_ok client 2 -Mdo -s $((m - 28)) "$TOPO_SERVER4"
	check "chain/blackhole: IPv4 -s $((m - 27)) x2: no reply, no ICMP error on the wire, r1 dropped its 2 errors" \
		t_vanish_no_icmp client r1 2 r1 inet pdl_blackhole ptb4_out 2 \
		-Mdo -s $((m - 27)) "$TOPO_SERVER4"
	check "chain/blackhole: client learnt no path MTU for the server" \
		t_no_route_mtu client "$TOPO_SERVER4"
	check "chain/blackhole: IPv6 -M do -s $((m - 48)) passes" \
		expect_ping_ok client 2 -6 -Mdo -s $((m - 48)) "$TOPO_SERVER6"
	check "chain/blackhole: IPv6 -s $((m - 47)) x2: no reply, no packet too big, r1 dropped its 2 errors" \
		t_vanish_no_icmp client r1 2 r1 inet pdl_blackhole ptb6_out 2 \
		-6 -Mdo -s $((m - 47)) "$TOPO_SERVER6"
	check "chain/blackhole: reverse server->client IPv4 -s $((m - 27)) x2 vanishes, r2 dropped 2 errors" \
		t_vanish_no_icmp server r2 2 r2 inet pdl_blackhole ptb4_out 2 \
		-Mdo -s $((m - 27)) "$TOPO_CLIENT4"
	lab_end
}

sec_chain_lendrop()
{
	local n=1400
	build "chain/lendrop len=$n" topo_chain lendrop len=$n || return
	check "chain/lendrop: all links mtu 1500 (no MTU reduction)" t_mtus 1500
	check "chain/lendrop: IPv4 -M do -s $((n - 28)) (layer-3 length $n) passes" \
		expect_ping_ok client 2 -Mdo -s $((n - 28)) "$TOPO_SERVER4"
	check "chain/lendrop: IPv4 -s $((n - 27)) (length $((n + 1))) x2 vanishes, no ICMP, r2 lendrop counter 2" \
		t_vanish_no_icmp client r1 2 r2 inet pdl_lendrop lendrop 2 \
		-Mdo -s $((n - 27)) "$TOPO_SERVER4"
	check "chain/lendrop: IPv6 -M do -s $((n - 48)) (layer-3 length $n) passes" \
		expect_ping_ok client 2 -6 -Mdo -s $((n - 48)) "$TOPO_SERVER6"
	check "chain/lendrop: IPv6 -s $((n - 47)) x2 vanishes, no ICMP, r2 lendrop counter 4 (2+2)" \
		t_vanish_no_icmp client r1 2 r2 inet pdl_lendrop lendrop 4 \
		-6 -Mdo -s $((n - 47)) "$TOPO_SERVER6"
	lab_end
}

# t_loss COUNT P: about P% of COUNT pings lost (within 4 standard deviations of the binomial,
# never 0 and never all), and exactly as many as r1's loss rule dropped.
t_loss()
{
	local count=$1 p=$2 lost dropped
	pingx client -q -c "$count" -i 0.005 -W 2 "$TOPO_SERVER4"
	[ "$PING_TX" = "$count" ] || { why "sent $PING_TX"; return; }
	lost=$((PING_TX - PING_RX))
	dropped=$(lab_nft_counter r1 inet pdl_loss loss)
	LOSS_NOTE="$lost of $count lost"
	awk -v n="$count" -v p="$p" -v l="$lost" 'BEGIN {
		e = n * p / 100; s = sqrt(n * p / 100 * (1 - p / 100));
		exit !(l > 0 && l < n && l >= e - 4 * s && l <= e + 4 * s) }' ||
		{ why "$lost of $count lost, expected about $((count * p / 100))"; return; }
	[ "$dropped" = "$lost" ] || why "$lost lost but r1 dropped '$dropped'"
}

sec_chain_loss()
{
	local p=10
	build "chain/loss loss=$p" topo_chain loss loss=$p || return
	LOSS_NOTE=
	check "chain/loss: 200 pings lose about $p% (4-sigma band, not 0, not 200), = r1's drop counter" \
		t_loss 200 "$p"
	[ -z "$LOSS_NOTE" ] || printf 'lab:         (%s)\n' "$LOSS_NOTE"
	lab_end
}

# t_udp_seen NODE DST WANT: the echo server at DST saw WANT as the source address.
t_udp_seen()
{
	local got
	got=$(lab_udp_ask "$1" "$2" 5353 2>&1) || { why "$got"; return; }
	[ "${got% *}" = "$3" ] || why "server saw '${got% *}', expected $3"
}

sec_nat()
{
	build nat topo_nat || return
	lab_udp_echo server 5353 2>"$RUN_TMP/echo.err" ||
		{ bad "nat: udp echo" "$(tail -n 1 "$RUN_TMP/echo.err")"; lab_end; return; }
	check "nat: ping client->server through the masquerade passes" \
		expect_ping_ok client 2 "$TOPO_SERVER4"
	check "nat: server sees UDP from $TOPO_PUBLIC4 (home's WAN), not $TOPO_CLIENT4" \
		t_udp_seen client "$TOPO_SERVER4" "$TOPO_PUBLIC4"
	check "nat: home's masquerade rule counted the 2 flows (ping, udp)" \
		t_counter_ge home ip pdl_nat masq 2
	check "nat: IPv6 is routed untranslated: server sees $TOPO_CLIENT6" \
		t_udp_seen client "$TOPO_SERVER6" "$TOPO_CLIENT6"
	lab_end
}

t_in_cgn_range()
{
	ip -n "$(lab_ns home)" -4 -o addr show dev cgn | grep -q " $TOPO_HOME_WAN4/10 " ||
		{ why "home/cgn has no $TOPO_HOME_WAN4/10"; return; }
	# 100.64.0.0/10: first octet 100, second 64..127.
	awk -v a="$TOPO_HOME_WAN4" 'BEGIN { split(a, o, "."); exit !(o[1] == 100 && o[2] >= 64 && o[2] < 128) }' ||
		why "$TOPO_HOME_WAN4 outside 100.64.0.0/10"
}

t_cgn_counters()
{
	t_counter_ge home ip pdl_nat masq 3 && t_counter_ge cgn ip pdl_nat masq 2
}

sec_cgn()
{
	build cgn topo_cgn || return
	if ! lab_udp_echo server 5353 2>"$RUN_TMP/echo.err" ||
		! lab_udp_echo cgn 5353 2>"$RUN_TMP/echo.err"; then
		bad "cgn: udp echo" "$(tail -n 1 "$RUN_TMP/echo.err")"
		lab_end
		return
	fi
	check "cgn: home's WAN $TOPO_HOME_WAN4 is on the home router and lies in 100.64.0.0/10" \
		t_in_cgn_range
	check "cgn: ping client->server through both NATs passes" \
		expect_ping_ok client 2 "$TOPO_SERVER4"
	check "cgn: the carrier router sees the home router's $TOPO_HOME_WAN4" \
		t_udp_seen client "$TOPO_CGN_IN4" "$TOPO_HOME_WAN4"
	check "cgn: server sees the carrier's $TOPO_PUBLIC4" \
		t_udp_seen client "$TOPO_SERVER4" "$TOPO_PUBLIC4"
	check "cgn: home's masquerade counted its 3 flows, cgn's 100.64.0.0/10 rule the 2 via it" \
		t_cgn_counters
	check "cgn: IPv6 is routed untranslated: server sees $TOPO_CLIENT6" \
		t_udp_seen client "$TOPO_SERVER6" "$TOPO_CLIENT6"
	lab_end
}

t_wg_up()
{
	local n ifn
	for n in client server; do
		ifn=$(lab_wg_ifname "$n")
		[ "$(lab_mtu "$n" "$ifn")" = "$1" ] || { why "$n/$ifn mtu $(lab_mtu "$n" "$ifn")"; return; }
		if [ "$(lab_wg_kind)" = wireguard-go ]; then
			ip netns pids "$(lab_ns "$n")" | while read -r p; do cat "/proc/$p/comm"; done |
				grep -qx wireguard-go || { why "no wireguard-go in $n"; return; }
		fi
	done
}

t_wg_handshake()
{
	local t
	t=$(lab_x client wg show "$TOPO_WG_CLIENT_IF" latest-handshakes | awk '{ print $2 }')
	case $t in
	'' | *[!0-9]* | 0) why "latest handshake '$t'" ;;
	esac
}

# t_wg_outer S COUNT WANT-RX PATTERN WANT-N: inner ping -s S x COUNT answered WANT-RX times and
# the client's underlay capture holds WANT-N top-level packets matching PATTERN.
t_wg_outer()
{
	local s=$1 count=$2 wrx=$3 pat=$4 wn=$5 n
	shift 5
	capture wg-outer client r1 || return
	pingx client -Mdo -c "$count" -i 0.2 -W 1 -s "$s" "$@" "$TOPO_WG_SERVER4"
	capture_stop
	[ "$PING_RX" = "$wrx" ] || { why "$PING_RX of $count answered, expected $wrx"; return; }
	n=$(pcap_count "$CAP_FILE" "$pat")
	[ "$n" = "$wn" ] || { why "$n outer packets match '$pat', expected $wn"; keep_pcap; }
}

# t_wg_pmtud_big S COUNT: inner packet S+28 over the pmtud underlay. Measured behaviour of
# wireguard-go (UDP socket, kernel default IP_PMTUDISC_WANT): outer packets carry DF; the first
# one in each direction is dropped by the bottleneck router, which returns "frag needed"; the
# sending kernel caches the path MTU and fragments every later outer packet (MF, no DF).
t_wg_pmtud_big()
{
	local s=$1 count=$2 outer n
	outer=$(((s + 28 + 15) / 16 * 16))
	[ "$outer" -le "$TOPO_WG_MTU" ] || outer=$TOPO_WG_MTU
	outer=$((outer + 60))
	capture wg-big client r1 || return
	pingx client -Mdo -c "$count" -i 0.2 -W 1 -s "$s" "$TOPO_WG_SERVER4"
	capture_stop
	[ "$PING_RX" = $((count - 2)) ] ||
		{ why "$PING_RX of $count answered, expected $((count - 2)) (first loss each way)"; return; }
	n=$(pcap_count "$CAP_FILE" "^IP .*flags \[DF\], proto UDP \(17\), length $outer\).*10\.0\.1\.2\.51820 >")
	[ "$n" = 1 ] || { why "$n unfragmented DF outer packets of $outer bytes sent, expected 1"; return; }
	n=$(pcap_count "$CAP_FILE" "need to frag \(mtu $TOPO_MTU\)")
	[ "$n" = 1 ] || { why "$n frag-needed (mtu $TOPO_MTU) errors, expected 1"; return; }
	n=$(pcap_count "$CAP_FILE" "^IP .*offset 0, flags \[\+\], proto UDP \(17\), length $(((TOPO_MTU - 20) / 8 * 8 + 20))\).*10\.0\.1\.2\.51820 >")
	[ "$n" = $((count - 1)) ] || { why "$n first fragments (MF, no DF) sent, expected $((count - 1))"; return; }
	[ "$(route_mtu client "$TOPO_SERVER4")" = "$TOPO_MTU" ] || why "client route cache mtu not $TOPO_MTU"
}

sec_wg_pmtud()
{
	local m
	build "wg/pmtud (mtu 1420 over a 1454 bottleneck)" topo_wg pmtud || return
	m=$TOPO_MTU
	check "wg/pmtud: tunnel mtu $TOPO_WG_MTU at both ends, wireguard-go running in each namespace" \
		t_wg_up "$TOPO_WG_MTU"
	check "wg/pmtud: inner IPv4 ping client->server passes" \
		expect_ping_ok client 3 "$TOPO_WG_SERVER4"
	check "wg/pmtud: inner IPv6 ping client->server passes" \
		expect_ping_ok client 3 -6 "$TOPO_WG_SERVER6"
	check "wg/pmtud: handshake recorded by wg show" t_wg_handshake
	check "wg/pmtud: inner -s 1364 (1392, no padding) passes; outer IPv4 1452 bytes with DF" \
		t_wg_outer 1364 2 2 '^IP .*flags \[DF\], proto UDP \(17\), length 1452\).*10\.0\.1\.2\.51820 >' 2
	check "wg/pmtud: inner -s 1392 (1420) x4: outer 1480 DF, 1 frag needed (mtu $m), then outer fragments; 2 lost" \
		t_wg_pmtud_big 1392 4
	lab_end
}

t_wg_blackhole_quiet()
{
	local n
	n=$(pcap_count "$CAP_FILE" 'need to frag|flags \[\+\]')
	[ "$n" = 0 ] || { why "$n ICMP errors or fragments captured"; return; }
	t_no_route_mtu client "$TOPO_SERVER4" && counter_is r1 inet pdl_blackhole ptb4_out 6
}

t_local_emsgsize()
{
	pingx client -Mdo -c 1 -W 1 -s "$1" "$TOPO_WG_SERVER4"
	grep -q "message too long, mtu=$2" <<<"$PING_OUT" || why "$(head -n 2 <<<"$PING_OUT" | tr '\n' ' ')"
}

sec_wg_blackhole()
{
	build "wg/blackhole (mtu 1420 over a 1454 black hole)" topo_wg blackhole || return
	check "wg/blackhole: inner IPv4 ping passes" expect_ping_ok client 3 "$TOPO_WG_SERVER4"
	check "wg/blackhole: inner -s 1364 (1392 -> outer 1452) passes" \
		t_wg_outer 1364 2 2 '^IP .*flags \[DF\], proto UDP \(17\), length 1452\).*10\.0\.1\.2\.51820 >' 2
	check "wg/blackhole: inner -s 1365 (1393, padded to 1408 -> outer 1468 DF) vanishes" \
		t_wg_outer 1365 2 0 '^IP .*flags \[DF\], proto UDP \(17\), length 1468\).*10\.0\.1\.2\.51820 >' 2
	check "wg/blackhole: inner -s 1366 (1394, padded to 1408 -> outer 1468) vanishes too" \
		t_wg_outer 1366 2 0 '^IP .*flags \[DF\], proto UDP \(17\), length 1468\).*10\.0\.1\.2\.51820 >' 2
	check "wg/blackhole: inner -s 1392 (1420 -> outer 1480 DF) vanishes" \
		t_wg_outer 1392 2 0 '^IP .*flags \[DF\], proto UDP \(17\), length 1480\).*10\.0\.1\.2\.51820 >' 2
	check "wg/blackhole: no ICMP error and no fragment reached the client; r1 dropped 6 errors" \
		t_wg_blackhole_quiet
	lab_end
	build "wg/blackhole mtu=1394 (= 1454 - 60)" topo_wg blackhole mtu=1394 || return
	check "wg mtu 1394: inner -s 1366 (1394 = mtu, padding capped) -> outer exactly 1454, passes" \
		t_wg_outer 1366 2 2 '^IP .*flags \[DF\], proto UDP \(17\), length 1454\).*10\.0\.1\.2\.51820 >' 2
	check "wg mtu 1394: inner -s 1367 refused locally (message too long, mtu=1394)" \
		t_local_emsgsize 1367 1394
	lab_end
	build "wg/blackhole under=6 (IPv6 underlay, 80 bytes)" topo_wg blackhole under=6 || return
	check "wg/ipv6: inner -s 1332 (1360 -> outer IPv6 1440) passes" \
		t_wg_outer 1332 2 2 '^IP6 .*payload length: 1400\) fd00:0:0:1::2\.51820 >' 2
	check "wg/ipv6: inner -s 1333 (1361, padded to 1376 -> outer 1456 > 1454) vanishes" \
		t_wg_outer 1333 2 0 '^IP6 .*payload length: 1416\) fd00:0:0:1::2\.51820 >' 2
	lab_end
}

# ---- delay stage (lab_delay, tests/tools/pd-delayq.c) ----------------------------------

# t_delay_ping MS FAMILY-ARGS...: 100 pings 2 ms apart (about 15 in flight at once) through
# the delay all come back, in the order sent, and the fastest took at least 2*MS.
t_delay_ping()
{
	local ms=$1 min seqs
	shift
	pingx client -c 100 -i 0.002 -W 5 "$@"
	if [ "$PING_TX" != 100 ] || [ "$PING_RX" != 100 ]; then
		why "$PING_RX of $PING_TX answered, expected 100 of 100"
		return
	fi
	seqs=$(sed -n 's/.* icmp_seq=\([0-9]*\) .*/\1/p' <<<"$PING_OUT" | tr '\n' ' ')
	[ "$seqs" = "$(seq 1 100 | tr '\n' ' ')" ] || { why "replies out of order: $seqs"; return; }
	min=$(sed -n 's|^rtt min/avg/max/mdev = \([0-9.]*\)/.*|\1|p' <<<"$PING_OUT")
	awk -v m="$min" -v d=$((2 * ms)) 'BEGIN { exit !(m != "" && m >= d) }' ||
		why "fastest round trip '$min' ms, below the built 2 x $ms ms"
}

# t_delay_own_icmp MS: the router's own ICMP (time exceeded from r1, sent from its OUTPUT
# path, like its "frag needed") crosses the delayed interface too.
t_delay_own_icmp()
{
	local ms=$1 out t
	out=$(lab_x client tracepath -n -m 1 "$TOPO_SERVER4" 2>&1)
	t=$(sed -n "s/^ *1: *$TOPO_R1_4 *\([0-9.]*\)ms.*/\1/p" <<<"$out" | sort -n | head -n 1)
	awk -v t="$t" -v d=$((2 * ms)) 'BEGIN { exit !(t != "" && t >= d) }' ||
		why "r1 answered tracepath in '$t' ms, below 2 x $ms: $(tr '\n' ' ' <<<"$out")"
}

# t_delay_stop MIN: the consumer stops on SIGTERM with its closing line, held at least MIN
# packets, had no overrun; its rules are gone and the path still works without it.
t_delay_stop()
{
	local line held over
	line=$(lab_delay_stop r1 2>&1) || { why "$line"; return; }
	held=$(sed -n 's/^pd-delayq: held \([0-9]*\) packets.*/\1/p' <<<"$line")
	over=$(sed -n 's/.* overruns \([0-9]*\)$/\1/p' <<<"$line")
	[ "${held:-0}" -ge "$1" ] || { why "held '$held' packets, expected >= $1 ($line)"; return; }
	[ "$over" = 0 ] || { why "overruns '$over'"; return; }
	! lab_x r1 iptables-legacy-save -t mangle | grep -q pdl-delay || { why "IPv4 rules left"; return; }
	! lab_x r1 ip6tables-legacy-save -t mangle | grep -q pdl-delay || { why "IPv6 rules left"; return; }
	expect_ping_ok client 3 "$TOPO_SERVER4"
}

t_delayq_usage()
{
	local out rc
	out=$("$LAB_DELAYQ" --queue 0 --delay x 2>&1)
	rc=$?
	[ "$rc" = 3 ] || { why "exit $rc, expected 3"; return; }
	[ "$out" = "pd-delayq: --delay 'x' is not 0..60000 ms" ] || why "said '$out'"
}

sec_delay()
{
	local ms=15
	LAB_DELAYQ=$(cd "$BUILD_DIR" && pwd)/pd-delayq
	[ -x "$LAB_DELAYQ" ] || { bad "delay: pd-delayq" "$LAB_DELAYQ missing: run 'make tests'"; return; }
	export LAB_DELAYQ
	check "delay: pd-delayq --delay x: exit 3, one line naming the option" t_delayq_usage
	build "delay: chain/pmtud + lab_delay r1 client $ms" topo_chain pmtud || return
	if ! lab_delay r1 client "$ms" 2>"$RUN_TMP/delay.err"; then
		bad "delay: lab_delay r1 client $ms" "$(tail -n 1 "$RUN_TMP/delay.err")"
		lab_end
		return
	fi
	check "delay: IPv4 100 pings 2 ms apart: all answered, in order, fastest >= $((2 * ms)) ms" \
		t_delay_ping "$ms" "$TOPO_SERVER4"
	check "delay: IPv6 100 pings 2 ms apart: all answered, in order, fastest >= $((2 * ms)) ms" \
		t_delay_ping "$ms" -6 "$TOPO_SERVER6"
	check "delay: r1's own ICMP (tracepath hop 1) is delayed too: >= $((2 * ms)) ms" \
		t_delay_own_icmp "$ms"
	check "delay: lab_delay_stop: held >= 400 packets, no overrun, rules removed, path still up" \
		t_delay_stop 400
	lab_end
}

# t_cleanup_after_failure: a separate bash builds the wg lab (so wireguard-go runs), then a step
# fails under set -e. The lab must be gone: namespaces, /etc/netns, temp dir, processes.
t_cleanup_after_failure()
{
	local info=$RUN_TMP/failing.info err=$RUN_TMP/failing.err rc pfx p
	rm -f "$info"
	bash -c 'set -e
		. "$1/topo.sh"
		lab_begin
		topo_wg pmtud
		{ echo "$LAB_PREFIX"; echo "$LAB_TMP"; ip netns pids "$(lab_ns client)"; } >"$2"
		lab_link client nosuchnode a4=10.9.9.1/24
		echo "not reached"' failing "$LAB_DIR" "$info" >"$RUN_TMP/failing.out" 2>"$err"
	rc=$?
	[ "$rc" != 0 ] || { why "the failing script exited 0"; return; }
	[ -s "$info" ] || { why "lab was not built: $(tail -n 1 "$err")"; return; }
	grep -q '^lab: error: lab_link client-nosuchnode: create veth: ' "$err" ||
		{ why "no one-line error naming the step: $(tail -n 1 "$err")"; return; }
	! grep -q 'not reached' "$RUN_TMP/failing.out" || { why "set -e did not stop it"; return; }
	_t_nothing_left "$info"
}

_t_nothing_left()
{
	local info=$1 pfx tmp p
	pfx=$(sed -n 1p "$info")
	tmp=$(sed -n 2p "$info")
	[ -n "$pfx" ] || { why "no prefix recorded"; return; }
	! ip netns list | grep -q "^$pfx" || { why "namespaces $pfx* remain"; return; }
	! ls -d /etc/netns/"$pfx"* >/dev/null 2>&1 || { why "/etc/netns/$pfx* remain"; return; }
	[ ! -e "$tmp" ] || { why "$tmp remains"; return; }
	while read -r p; do
		[ ! -d "/proc/$p" ] || { why "process $p ($(cat "/proc/$p/comm")) still runs"; return; }
	done < <(sed -n '3,$p' "$info")
	[ "$(sed -n '3,$p' "$info" | wc -l)" -ge 1 ] || why "no processes were recorded"
}

# t_cleanup_after_sigterm: a lab whose script is killed with SIGTERM is removed too.
t_cleanup_after_sigterm()
{
	local info=$RUN_TMP/term.info pid rc n=0
	rm -f "$info"
	bash -c 'set -e
		. "$1/topo.sh"
		lab_begin
		topo_wg blackhole
		{ echo "$LAB_PREFIX"; echo "$LAB_TMP"; ip netns pids "$(lab_ns server)"; } >"$2.tmp"
		mv "$2.tmp" "$2"
		while :; do sleep 0.1; done' term "$LAB_DIR" "$info" >/dev/null 2>&1 &
	pid=$!
	while [ ! -s "$info" ] && [ "$n" -lt 200 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	[ -s "$info" ] || { kill -KILL "$pid"; why "lab not built in 10 s"; return; }
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	[ "$rc" = 143 ] || { why "exit status $rc, expected 143"; return; }
	_t_nothing_left "$info"
}

sec_cleanup()
{
	check "cleanup: a failing step under set -e prints one 'lab: error: STEP' line, lab fully removed" \
		t_cleanup_after_failure
	check "cleanup: SIGTERM during a wg lab removes namespaces, /etc/netns, temp dir, wireguard-go" \
		t_cleanup_after_sigterm
}

# ---- our decoders against tshark on the captures this run took --------------------------

# The captures of the sections above hold what the shared corpus lacks: WireGuard data at the
# tunnel MTU from wireguard-go, frag-needed and PTB errors quoting WireGuard packets, outer
# IPv4 fragments of WireGuard, and IPv6 PTBs.  tshark decodes them (tests/truth.sh) and the
# conformance binary must agree on every cell of every frame.
t_decode_captures()
{
	local conf=$BUILD_DIR/tests/conformance dir=$RUN_TMP/decode n
	[ -x "$conf" ] || { why "$conf missing: run 'make tests'"; return; }
	mkdir -p "$dir" && cp "$RUN_TMP"/*.pcap "$dir"/ 2>/dev/null
	n=$(find "$dir" -name '*.pcap' | wc -l)
	[ "$n" -ge 5 ] || { why "only $n captures to decode"; return; }
	sh "$LAB_DIR/../truth.sh" "$dir" >"$RUN_TMP/truth.out" 2>&1 ||
		{ why "truth: $(tail -n 1 "$RUN_TMP/truth.out")"; return; }
	"$conf" "$dir" >"$RUN_TMP/conf.out" 2>&1 || {
		why "$(grep -E 'mismatch|error' "$RUN_TMP/conf.out" | head -n 3 | tr '\n' ' ')"
		mkdir -p "$BUILD_DIR/lab-failed" && cp -r "$dir" "$BUILD_DIR/lab-failed/decode-$$"
		return 1
	}
	DECODE_LINE=$(tail -n 1 "$RUN_TMP/conf.out")
}

sec_decode()
{
	DECODE_LINE=
	check "decode: our decoders agree with tshark on every frame captured in this run" \
		t_decode_captures
	[ -n "$DECODE_LINE" ] && printf 'lab: %s\n' "$DECODE_LINE"
	return 0
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
		echo "lab: SKIP: needs root and network namespaces"
		[ "${LAB_STRICT:-0}" = 1 ] && exit 77
		exit 0
	fi
	t0=$(date +%s)
	RUN_TMP=$(mktemp -d /tmp/pdl-run-XXXXXX) || exit 1
	# shellcheck disable=SC2016 # expanded when the trap runs
	LAB_EXIT_HOOK='rm -rf "$RUN_TMP"'
	trap 'rm -rf "$RUN_TMP"' EXIT
	lab_sweep_stale
	printf 'lab: prefix pdl-%s-, build dir %s\n' "$$" "$BUILD_DIR"
	for sec in ${LAB_SECTIONS:-chain_pmtud chain_blackhole chain_lendrop chain_loss nat cgn \
		wg_pmtud wg_blackhole delay decode cleanup}; do
		"sec_$sec"
	done
	check "no namespace, /etc/netns entry or temp dir of this run (pdl-$$-) left" t_no_leftovers
	t1=$(date +%s)
	printf 'lab: %d passed, %d failed (%d s)\n' "$N_PASS" "$N_FAIL" $((t1 - t0))
	[ "$N_FAIL" = 0 ]
}

main "$@"
