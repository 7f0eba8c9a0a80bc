#!/usr/bin/env bash
# tests/lab/topo.sh - ready-made lab topologies (needs bash; sources lib.sh).
#
# Sourced: defines topo_chain, topo_nat, topo_cgn, topo_wg, topo_vxlan and topo_summary; each
# builds into the current lab (call lab_begin first) and sets TOPO_* variables naming what it
# built.
# Run:     tests/lab/topo.sh TOPOLOGY [ARGS...] [-- CMD...]
#          builds the topology, prints it, then runs CMD (with the TOPO_* variables and
#          LAB_PREFIX exported) or, on a terminal, waits for Enter; then tears everything down.
#
#   chain [pmtud|blackhole|lendrop|badptb|loss] [mtu=1454] [len=1454] [loss=10]
#       client --- r1 ===(bottleneck mtu)=== r2 --- server, IPv4 and IPv6.
#       pmtud:     routers send ICMP "fragmentation needed" / "packet too big" (default).
#       blackhole: r1 and r2 (the bottleneck routers, one per direction) drop those errors.
#       lendrop:   every link 1500 (mtu= ignored), r2 silently drops packets whose layer-3
#                  length is above len=N.
#       badptb:    every link 1500 (mtu= ignored), r1 answers IPv4 packets above len=N with
#                  "fragmentation needed" carrying MTU 0 (a bogus PTB) and drops them.
#       loss:      r1 drops loss=P % of the packets coming from the client, at random.
#   nat        client --- home (masquerade) --- server
#   cgn        client --- home (masquerade) --- cgn (masquerades 100.64.0.0/10) --- server
#   wg [pmtud|blackhole|lendrop] [mtu=1420] [bottleneck=1454] [under=4|6]
#       a WireGuard tunnel client <-> server whose underlay is the chain above.
#   vxlan      a --- b on one veth, VXLAN VNI 42 (UDP 4789) between them with static
#              neighbours, so nothing crosses the tunnel but what a test sends.
#
# Addressing (link: left node, right node):
#   chain  client-r1 10.0.1.2 / 10.0.1.1      fd00:0:0:1::2 / ::1
#          r1-r2     10.0.2.1 / 10.0.2.2      fd00:0:0:2::1 / ::2   (the bottleneck)
#          r2-server 10.0.3.1 / 10.0.3.2      fd00:0:0:3::1 / ::2
#   nat    client-home 192.168.1.2 / .1       fd00:1::2 / ::1
#          home-server 203.0.113.2 / .10      fd00:203::2 / ::10
#   cgn    client-home 192.168.1.2 / .1       fd00:1::2 / ::1
#          home-cgn    100.64.0.2 / 100.64.0.1    fd00:64::2 / ::1
#          cgn-server  203.0.113.2 / .10      fd00:203::2 / ::10
#   wg     tunnel      10.99.0.1 / 10.99.0.2  fd00:99::1 / ::2, UDP port 51820
#   vxlan  a-b         10.0.1.1 / 10.0.1.2 (veth "b" in a, "a" in b)
#          vx42        10.98.0.1 / 10.98.0.2, MAC 02:00:00:00:0a:01 / :02, IPv6 off
#
# IPv6 is routed, never translated, in nat and cgn (as on real dual-stack lines).

# The TOPO_* variables are for the scripts that source this file.
# shellcheck disable=SC2034

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

# shellcheck source=tests/lab/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# topo_chain [VARIANT] [mtu=N] [len=N] [loss=P]
topo_chain()
{
	local variant=pmtud kv mtu=1454 len=1454 loss=10
	case ${1:-} in
	pmtud | blackhole | lendrop | badptb | loss) variant=$1; shift ;;
	esac
	for kv; do
		case $kv in
		mtu=*) mtu=${kv#*=} ;;
		len=*) len=${kv#*=} ;;
		loss=*) loss=${kv#*=} ;;
		*) _lab_fail "topo_chain" "unknown argument '$kv'"; return 1 ;;
		esac
	done
	case $variant in lendrop | badptb) mtu=1500 ;; esac

	lab_node client || return
	lab_node r1 router || return
	lab_node r2 router || return
	lab_node server || return
	lab_link client r1 a4=10.0.1.2/24 b4=10.0.1.1/24 \
		a6=fd00:0:0:1::2/64 b6=fd00:0:0:1::1/64 || return
	lab_link r1 r2 mtu="$mtu" a4=10.0.2.1/24 b4=10.0.2.2/24 \
		a6=fd00:0:0:2::1/64 b6=fd00:0:0:2::2/64 || return
	lab_link r2 server a4=10.0.3.1/24 b4=10.0.3.2/24 \
		a6=fd00:0:0:3::1/64 b6=fd00:0:0:3::2/64 || return
	lab_route client default 10.0.1.1 || return
	lab_route client default fd00:0:0:1::1 || return
	lab_route r1 10.0.3.0/24 10.0.2.2 || return
	lab_route r1 fd00:0:0:3::/64 fd00:0:0:2::2 || return
	lab_route r2 10.0.1.0/24 10.0.2.1 || return
	lab_route r2 fd00:0:0:1::/64 fd00:0:0:2::1 || return
	lab_route server default 10.0.3.1 || return
	lab_route server default fd00:0:0:3::1 || return

	case $variant in
	blackhole)
		lab_router_blackhole r1 || return
		lab_router_blackhole r2 || return
		;;
	lendrop) lab_router_lendrop r2 "$len" || return ;;
	badptb) lab_router_badptb r1 "$len" || return ;;
	loss) lab_router_loss r1 "$loss" client || return ;;
	esac

	TOPO_NAME=chain/$variant
	TOPO_MTU=$mtu
	TOPO_LEN=$len
	TOPO_LOSS=$loss
	TOPO_CLIENT=client
	TOPO_SERVER=server
	TOPO_CLIENT_IF=r1
	TOPO_SERVER_IF=r2
	TOPO_CLIENT4=10.0.1.2
	TOPO_CLIENT6=fd00:0:0:1::2
	TOPO_SERVER4=10.0.3.2
	TOPO_SERVER6=fd00:0:0:3::2
	TOPO_R1_4=10.0.1.1
	TOPO_R1_6=fd00:0:0:1::1
	TOPO_R2_4=10.0.3.1
	TOPO_R2_6=fd00:0:0:3::1
	# r2's address on the r1-r2 link: the source of its ICMP errors towards the client.
	TOPO_R2_IN4=10.0.2.2
	TOPO_R2_IN6=fd00:0:0:2::2
	case $variant in
	pmtud) TOPO_DESC="client - r1 =[mtu $mtu]= r2 - server; routers send ICMP errors" ;;
	blackhole) TOPO_DESC="client - r1 =[mtu $mtu]= r2 - server; routers drop their ICMP errors" ;;
	lendrop) TOPO_DESC="client - r1 - r2 - server, mtu 1500; r2 drops packets above $len bytes" ;;
	badptb) TOPO_DESC="client - r1 - r2 - server, mtu 1500; r1 answers IPv4 above $len bytes with MTU 0" ;;
	loss) TOPO_DESC="client - r1 =[mtu $mtu]= r2 - server; r1 drops $loss% from the client" ;;
	esac
}

# _topo_home NEXT-NODE LAN-MASQ-IF: client --- home, home's default route towards NEXT-NODE.
_topo_home()
{
	lab_node client || return
	lab_node home router || return
	lab_link client home a4=192.168.1.2/24 b4=192.168.1.1/24 \
		a6=fd00:1::2/64 b6=fd00:1::1/64 || return
	lab_route client default 192.168.1.1 || return
	lab_route client default fd00:1::1 || return
	TOPO_CLIENT=client
	TOPO_CLIENT_IF=home
	TOPO_CLIENT4=192.168.1.2
	TOPO_CLIENT6=fd00:1::2
}

# topo_nat: client behind a masquerading home router; server on a "public" network.
topo_nat()
{
	[ $# -eq 0 ] || { _lab_fail topo_nat "no arguments expected"; return 1; }
	_topo_home || return
	lab_node server || return
	lab_link home server a4=203.0.113.2/24 b4=203.0.113.10/24 \
		a6=fd00:203::2/64 b6=fd00:203::10/64 || return
	lab_route server default 203.0.113.2 || return
	lab_route server default fd00:203::2 || return
	lab_router_masq home server || return
	TOPO_NAME=nat
	TOPO_SERVER=server
	TOPO_SERVER4=203.0.113.10
	TOPO_SERVER6=fd00:203::10
	TOPO_PUBLIC4=203.0.113.2
	TOPO_DESC="client 192.168.1.2 - home (masquerade to 203.0.113.2) - server 203.0.113.10"
}

# topo_cgn: client behind a home router whose WAN is in the carrier's 100.64.0.0/10 segment;
# the carrier router masquerades that segment to its own public address.
topo_cgn()
{
	[ $# -eq 0 ] || { _lab_fail topo_cgn "no arguments expected"; return 1; }
	_topo_home || return
	lab_node cgn router || return
	lab_node server || return
	lab_link home cgn a4=100.64.0.2/10 b4=100.64.0.1/10 \
		a6=fd00:64::2/64 b6=fd00:64::1/64 || return
	lab_link cgn server a4=203.0.113.2/24 b4=203.0.113.10/24 \
		a6=fd00:203::2/64 b6=fd00:203::10/64 || return
	lab_route home default 100.64.0.1 || return
	lab_route home default fd00:64::1 || return
	lab_route cgn fd00:1::/64 fd00:64::2 || return
	lab_route server default 203.0.113.2 || return
	lab_route server default fd00:203::2 || return
	lab_router_masq home cgn || return
	lab_router_masq cgn server 100.64.0.0/10 || return
	TOPO_NAME=cgn
	TOPO_SERVER=server
	TOPO_SERVER4=203.0.113.10
	TOPO_SERVER6=fd00:203::10
	TOPO_HOME_WAN4=100.64.0.2
	TOPO_CGN_IN4=100.64.0.1
	TOPO_PUBLIC4=203.0.113.2
	TOPO_DESC="client 192.168.1.2 - home (masq to 100.64.0.2) - cgn (masq to 203.0.113.2) - server"
}

# topo_wg [pmtud|blackhole|lendrop] [mtu=1420] [bottleneck=1454] [under=4|6]
# WireGuard between client and server across the chain; the chain variant decides what happens
# to outer packets above the bottleneck (lendrop drops above bottleneck= bytes, no MTU change).
topo_wg()
{
	local variant=pmtud kv mtu=1420 bneck=1454 under=4
	case ${1:-} in
	pmtud | blackhole | lendrop) variant=$1; shift ;;
	esac
	for kv; do
		case $kv in
		mtu=*) mtu=${kv#*=} ;;
		bottleneck=*) bneck=${kv#*=} ;;
		under=4 | under=6) under=${kv#*=} ;;
		*) _lab_fail topo_wg "unknown argument '$kv'"; return 1 ;;
		esac
	done
	topo_chain "$variant" mtu="$bneck" len="$bneck" || return
	if [ "$under" = 4 ]; then
		lab_wg client server mtu="$mtu" ep_a="$TOPO_CLIENT4" ep_b="$TOPO_SERVER4" || return
		TOPO_WG_OVERHEAD=60
	else
		lab_wg client server mtu="$mtu" ep_a="$TOPO_CLIENT6" ep_b="$TOPO_SERVER6" || return
		TOPO_WG_OVERHEAD=80
	fi
	TOPO_NAME=wg/$variant/ipv$under
	TOPO_WG_MTU=$mtu
	TOPO_WG_UNDER=$under
	TOPO_WG_PORT=51820
	TOPO_WG_CLIENT_IF=$(lab_wg_ifname client)
	TOPO_WG_SERVER_IF=$(lab_wg_ifname server)
	TOPO_WG_CLIENT4=10.99.0.1
	TOPO_WG_SERVER4=10.99.0.2
	TOPO_WG_CLIENT6=fd00:99::1
	TOPO_WG_SERVER6=fd00:99::2
	TOPO_MTU=$bneck
	TOPO_DESC="WireGuard ($(lab_wg_kind)) mtu $mtu client 10.99.0.1 <-> server 10.99.0.2 over IPv$under; underlay: $TOPO_DESC"
}

# topo_vxlan: namespaces a and b on a veth, VXLAN 42 over it with static neighbours; the
# underlay's ARP is resolved (one ping across) before it returns.
topo_vxlan()
{
	local n mac_a=02:00:00:00:0a:01 mac_b=02:00:00:00:0a:02
	lab_node a || return
	lab_node b || return
	lab_link a b a4=10.0.1.1/24 b4=10.0.1.2/24 || return
	for n in a b; do
		if [ "$n" = a ]; then
			set -- 10.0.1.1 10.0.1.2 "$mac_a" 10.98.0.1 10.98.0.2 "$mac_b" b
		else
			set -- 10.0.1.2 10.0.1.1 "$mac_b" 10.98.0.2 10.98.0.1 "$mac_a" a
		fi
		_lab_do "vxlan on $n" ip -n "$LAB_PREFIX$n" link add vx42 address "$3" type vxlan \
			id 42 local "$1" remote "$2" dstport 4789 dev "$7" || return
		lab_sysctl "$n" net.ipv6.conf.vx42.disable_ipv6=1 || return
		_lab_do "vx42 up on $n" ip -n "$LAB_PREFIX$n" link set vx42 up || return
		lab_addr "$n" vx42 "$4/24" || return
		_lab_do "static neighbour on $n" ip -n "$LAB_PREFIX$n" neigh replace "$5" \
			lladdr "$6" dev vx42 nud permanent || return
	done
	lab_x a ping -c 1 -W 1 10.98.0.2 >/dev/null || { _lab_fail topo_vxlan "no ping across vx42"; return 1; }
	TOPO_NAME=vxlan
	TOPO_A4=10.0.1.1
	TOPO_B4=10.0.1.2
	TOPO_A_IF=b
	TOPO_B_IF=a
	TOPO_VX_A4=10.98.0.1
	TOPO_VX_B4=10.98.0.2
	TOPO_VX_VNI=42
	TOPO_DESC="VXLAN 42 a 10.98.0.1 <-> b 10.98.0.2 over a veth a 10.0.1.1 - b 10.0.1.2"
}

# topo_summary: print what was built (namespaces and the TOPO_* variables).
topo_summary()
{
	local v
	printf 'lab %s: %s\n' "$TOPO_NAME" "$TOPO_DESC"
	printf '  namespaces: %s\n' "$(lab_namespaces | sort | tr '\n' ' ')"
	for v in $(compgen -v TOPO_); do
		case $v in TOPO_NAME | TOPO_DESC) continue ;; esac
		printf '  %s=%s\n' "$v" "${!v}"
	done
}

_topo_main()
{
	local topo=${1:-} args=()
	shift || true
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	[ "${1:-}" != -- ] || shift
	case $topo in
	chain | nat | cgn | wg | vxlan) ;;
	*)
		echo "usage: $0 chain|nat|cgn|wg|vxlan [ARGS...] [-- CMD...]" >&2
		return 2
		;;
	esac
	set -e
	# shellcheck disable=SC2119 # default prefix
	lab_begin
	"topo_$topo" "${args[@]}"
	topo_summary
	if [ $# -gt 0 ]; then
		export LAB_PREFIX
		export "${!TOPO_@}"
		"$@"
	elif [ -t 0 ]; then
		echo "enter a node with: ip netns exec ${LAB_PREFIX}NODE bash; press Enter to tear down"
		read -r _
	fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	_topo_main "$@"
fi
