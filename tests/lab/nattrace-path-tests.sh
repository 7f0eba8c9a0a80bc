#!/usr/bin/env bash
# tests/lab/nattrace-path-tests.sh BUILD_DIR - nattrace path mode against lab paths whose
# routers rewrite known fields (needs bash and root).
#
# Every assertion compares nattrace's JSON with what the topology was built with: the router
# that rewrites (its TTL distance and the address that answers for the next hop), the nft rule
# it runs (masquerade through conntrack, a stateless `ip saddr set`, `tcp option maxseg size
# set 1360`, `ip dscp set cs1`), and the addresses given to the links (100.64.0.0/10 for the
# carrier segment).  A rewrite made by the router at TTL k shows first in the quote of the
# hop at TTL k+1.  Prints one line per check and "nattrace-path-lab: N passed, M failed".

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=$(cd "${1:-build}" && pwd)
NATTRACE=$BUILD_DIR/nattrace
# shellcheck source=tests/lab/topo.sh
. "$LAB_DIR/topo.sh"
CHECK_TAG=nattrace-path-lab
# shellcheck source=tests/lab/check.sh
. "$LAB_DIR/check.sh"

OUT=
ERR=
RC=

# The stateless NAT's outside addresses (TEST-NET-2, RFC 5737; ULA for IPv6): routed to r1.
SNAT4=198.51.100.7
SNAT6=fd00:99::7
CS1=8 # DSCP class selector 1

# run NODE ARGS...: nattrace --json ARGS in NODE; stdout in OUT, stderr in ERR, status in RC.
run()
{
	local node=$1 e
	shift
	e=$(mktemp)
	OUT=$(lab_x "$node" "$NATTRACE" --json "$@" 2>"$e")
	RC=$?
	ERR=$(cat "$e")
	rm -f "$e"
}

# jpy EXPR: a Python expression over the JSON document d (in $OUT); prints its value.
jpy()
{
	python3 -c 'import json, sys
d = json.loads(sys.argv[1])
def hop(t):
    return [h for h in d["hops"] if h["ttl"] == t][0]
def change(t, f):
    c = [c for c in hop(t)["changes"] if c["field"] == f]
    return c[0] if c else None
def csum_adj(c, old, new):
    import ipaddress
    s = ~c & 0xffff
    o, n = ipaddress.ip_address(old).packed, ipaddress.ip_address(new).packed
    for i in range(0, len(o), 2):
        s += (~(o[i] << 8 | o[i + 1]) & 0xffff) + (n[i] << 8 | n[i + 1])
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def kinds():
    return sorted(f["kind"] for f in d["findings"])
v = eval(sys.argv[2])
print("null" if v is None else v)' "$OUT" "$1" 2>/dev/null
}

# want EXPR VALUE...: pairs of a jpy expression and the value it must print.
want()
{
	local got
	while [ $# -ge 2 ]; do
		got=$(jpy "$1")
		[ "$got" = "$2" ] || { why "$1 is '$got', want '$2' (rc $RC, stderr: ${ERR:0:200})"; return; }
		shift 2
	done
}

# ---- (a) masquerade: conntrack restores quotes, nothing may be invented --------------------

sec_masq()
{
	build "nat (masquerade)" topo_nat || return
	run client "$TOPO_SERVER4"
	check "masq udp: target reached at TTL 2, home router at TTL 1" \
		want 'd["target_ttl"]' 2 'hop(1)["address"]' 192.168.1.1 'hop(2)["address"]' \
		"$TOPO_SERVER4" 'hop(1)["scope"]' private 'd["exit_code"]' 0
	check "masq udp: no NAT hop invented (quotes restored by conntrack)" \
		want 'd["nat"]["present"]' null 'd["nat"]["at_hops"]' '[]' \
		'[len(h["changes"]) for h in d["hops"]]' '[0, 0]' \
		'"no-nat-seen" in kinds()' True
	# The probe: IPv4 20 + UDP 8 + 32 bytes of payload (nattrace.1); Linux quotes up to 576.
	check "masq udp: each hop quoted the whole probe (60 bytes)" \
		want 'hop(1)["quoted_bytes"]' 60 'hop(2)["quoted_bytes"]' 60
	run client --tcp -p 80 "$TOPO_SERVER4"
	check "masq tcp: reached, no NAT hop invented" \
		want 'd["target_ttl"]' 2 'hop(2)["answer"]' tcp-rst 'd["nat"]["at_hops"]' '[]' \
		'd["mss_clamp"]' null
	run client --icmp "$TOPO_SERVER4"
	check "masq icmp: reached by echo reply, no NAT hop invented" \
		want 'd["target_ttl"]' 2 'hop(2)["answer"]' echo-reply 'd["nat"]["at_hops"]' '[]'
	lab_end
}

# ---- (b) stateless NAT at r1: the quotes show it ----------------------------------------

# r1 rewrites the client's source address on the way out and the destination back, without
# conntrack (notrack), so nothing fixes the addresses quoted in ICMP errors.
stateless_nat()
{
	topo_chain pmtud mtu=1500 || return
	lab_route r2 198.51.100.0/24 10.0.2.1 || return
	lab_route r2 fd00:99::/64 fd00:0:0:2::1 || return
	lab_nft r1 pdl_snat <<-EOF
	chain raw_pre {
		type filter hook prerouting priority raw; policy accept;
		notrack
		ip daddr $SNAT4 ip daddr set $TOPO_CLIENT4
		ip6 daddr $SNAT6 ip6 daddr set $TOPO_CLIENT6
	}
	chain raw_out {
		type filter hook output priority raw; policy accept;
		notrack
	}
	chain post {
		type filter hook postrouting priority srcnat; policy accept;
		ip saddr $TOPO_CLIENT4 ip saddr set $SNAT4
		ip6 saddr $TOPO_CLIENT6 ip6 saddr set $SNAT6
	}
	EOF
}

sec_stateless()
{
	build "chain with a stateless NAT at r1" stateless_nat || return
	run client "$TOPO_SERVER4"
	check "snat udp: hop 1 ($TOPO_R1_4) quotes the probe unchanged" \
		want 'hop(1)["address"]' "$TOPO_R1_4" 'hop(1)["changes"]' '[]'
	check "snat udp: hop 2 quotes ip.src $TOPO_CLIENT4 -> $SNAT4, first seen there" \
		want 'hop(2)["address"]' "$TOPO_R2_IN4" 'change(2, "ip.src")["sent"]' "$TOPO_CLIENT4" \
		'change(2, "ip.src")["quoted"]' "$SNAT4" 'change(2, "ip.src")["new"]' True
	# RFC 1624: the rewrite moves the checksum by exactly the address difference.
	check "snat udp: the quoted checksum is the sent one adjusted for the new address" \
		want "csum_adj(change(2, 'udp.checksum')['sent'], '$TOPO_CLIENT4', '$SNAT4') == change(2, 'udp.checksum')['quoted']" True
	check "snat udp: nat.at_hops [2], not carrier-grade, finding names hop 1 and 2" \
		want 'd["nat"]["present"]' True 'd["nat"]["at_hops"]' '[2]' \
		'd["nat"]["carrier_grade"]' False \
		'[f["message"] for f in d["findings"] if f["kind"] == "nat"][0].startswith("NAT between hop 1 (10.0.1.1) and hop 2 (10.0.2.2)")' True
	check "snat udp: the target's quote shows the same change, not new" \
		want 'd["target_ttl"]' 3 'change(3, "ip.src")["quoted"]' "$SNAT4" \
		'change(3, "ip.src")["new"]' False
	run client --tcp -p 80 "$TOPO_SERVER4"
	check "snat tcp: NAT at hop 2 with tcp.checksum rewritten" \
		want 'd["nat"]["at_hops"]' '[2]' 'change(2, "ip.src")["quoted"]' "$SNAT4" \
		'change(2, "tcp.checksum") is not None' True 'd["target_ttl"]' 3
	run client -6 "$TOPO_SERVER6"
	check "snat IPv6 udp: hop 2 quotes ip.src $TOPO_CLIENT6 -> $SNAT6, flow label intact" \
		want 'hop(2)["address"]' "$TOPO_R2_IN6" 'change(2, "ip.src")["quoted"]' "$SNAT6" \
		'change(2, "ip.flow_label")' null 'd["nat"]["at_hops"]' '[2]' \
		'hop(1)["scope"]' ula
	lab_end
}

# ---- (c) MSS clamping at r1 -----------------------------------------------------------

mss_clamp()
{
	topo_chain pmtud mtu=1500 || return
	lab_nft r1 pdl_mss <<-'EOF'
	chain forward {
		type filter hook forward priority mangle; policy accept;
		tcp flags syn tcp option maxseg size set 1360
	}
	EOF
}

sec_mss()
{
	build "chain with MSS clamping to 1360 at r1" mss_clamp || return
	run client --tcp -p 80 "$TOPO_SERVER4"
	check "mss IPv4: clamp at hop 2 to 1360 (sent 1460)" \
		want 'd["mss_clamp"]["at_hop"]' 2 'd["mss_clamp"]["value"]' 1360 \
		'd["mss_clamp"]["sent"]' 1460 'change(2, "tcp.mss")["quoted"]' 1360 \
		'hop(1)["changes"]' '[]'
	check "mss IPv4: the clamp is no NAT (checksum moved with the option)" \
		want 'd["nat"]["at_hops"]' '[]' '"mss-clamp" in kinds()' True
	run client --tcp -p 80 --mss 1300 "$TOPO_SERVER4"
	check "mss IPv4: an MSS below the clamp passes unchanged" \
		want 'd["mss_clamp"]' null 'd["target_ttl"]' 3
	run client -6 --tcp -p 80 "$TOPO_SERVER6"
	check "mss IPv6: clamp at hop 2 to 1360 (sent 1440)" \
		want 'd["mss_clamp"]["at_hop"]' 2 'd["mss_clamp"]["value"]' 1360 \
		'd["mss_clamp"]["sent"]' 1440 'd["nat"]["at_hops"]' '[]'
	lab_end
}

# ---- (d) DSCP rewrite, carrier segment in 100.64.0.0/10, translation beyond it -------------

# client 192.168.1.2 - home 192.168.1.1 | 100.64.0.2 - cgn 100.64.0.1 | 203.0.113.2 - server
# home (the customer's router) routes and rewrites DSCP to CS1; cgn translates the client's
# address statelessly to 198.51.100.9.
cgn_dscp()
{
	lab_node client || return
	lab_node home router || return
	lab_node cgn router || return
	lab_node server || return
	lab_link client home a4=192.168.1.2/24 b4=192.168.1.1/24 a6=fd00:1::2/64 b6=fd00:1::1/64 || return
	lab_link home cgn a4=100.64.0.2/10 b4=100.64.0.1/10 a6=fd00:64::2/64 b6=fd00:64::1/64 || return
	lab_link cgn server a4=203.0.113.2/24 b4=203.0.113.10/24 a6=fd00:203::2/64 \
		b6=fd00:203::10/64 || return
	lab_route client default 192.168.1.1 || return
	lab_route client default fd00:1::1 || return
	lab_route home default 100.64.0.1 || return
	lab_route home default fd00:64::1 || return
	lab_route cgn 192.168.1.0/24 100.64.0.2 || return
	lab_route cgn fd00:1::/64 fd00:64::2 || return
	lab_route server default 203.0.113.2 || return
	lab_route server default fd00:203::2 || return
	lab_nft home pdl_dscp <<-'EOF' || return
	chain forward {
		type filter hook forward priority mangle; policy accept;
		ip saddr 192.168.1.0/24 ip dscp set cs1
		ip6 saddr fd00:1::/64 ip6 dscp set cs1
	}
	EOF
	lab_nft cgn pdl_snat <<-'EOF'
	chain raw_pre {
		type filter hook prerouting priority raw; policy accept;
		notrack
		ip daddr 198.51.100.9 ip daddr set 192.168.1.2
	}
	chain post {
		type filter hook postrouting priority srcnat; policy accept;
		ip saddr 192.168.1.2 ip saddr set 198.51.100.9
	}
	EOF
}

sec_cgn()
{
	build "home (DSCP cs1) - cgn in 100.64.0.0/10 (stateless NAT)" cgn_dscp || return
	run client 203.0.113.10
	check "cgn: hop 2 (100.64.0.1) flagged as shared address space" \
		want 'hop(2)["address"]' 100.64.0.1 'hop(2)["scope"]' shared \
		'd["nat"]["shared_space_hop"]' 2 '"shared-address-space" in kinds()' True
	check "cgn: DSCP 0 -> $CS1 first seen at hop 2 (home rewrote it)" \
		want 'change(2, "ip.dscp")["sent"]' 0 'change(2, "ip.dscp")["quoted"]' "$CS1" \
		'change(2, "ip.dscp")["new"]' True 'change(3, "ip.dscp")["new"]' False \
		'"dscp-rewritten" in kinds()' True
	check "cgn: translation at the target's quote (hop 3), carrier-grade concluded" \
		want 'd["nat"]["at_hops"]' '[3]' 'change(3, "ip.src")["quoted"]' 198.51.100.9 \
		'd["nat"]["carrier_grade"]' True 'd["nat"]["customer_router_hop"]' 1 \
		'"carrier-grade-nat" in kinds()' True 'd["exit_code"]' 1
	run client -6 fd00:203::10
	check "cgn IPv6: traffic class DSCP 0 -> $CS1 at hop 2, no NAT (IPv6 is routed)" \
		want 'change(2, "ip.dscp")["quoted"]' "$CS1" 'd["nat"]["at_hops"]' '[]' \
		'd["target_ttl"]' 3 'hop(2)["scope"]' ula
	lab_end
}

# ---- errors -------------------------------------------------------------------------

t_noraw()
{
	OUT=$(lab_x client setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		"$NATTRACE" "$TOPO_SERVER4" 2>&1)
	RC=$?
	[ "$RC" = 3 ] || { why "exit $RC: $OUT"; return; }
	[ "$(printf '%s\n' "$OUT" | wc -l)" = 1 ] || { why "not one line: $OUT"; return; }
	case $OUT in
	*CAP_NET_RAW*) ;;
	*) why "output: $OUT" ;;
	esac
}

t_nodev()
{
	run client -I pdlnosuch0 "$TOPO_SERVER4"
	want 'd["error"]' "no interface 'pdlnosuch0'; see 'ip link'" 'd["exit_code"]' 3
}

t_silent()
{
	lab_nft r2 pdl_drop <<-'EOF'
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 33434 drop
	}
	chain output {
		type filter hook output priority filter; policy accept;
		icmp type time-exceeded drop
	}
	EOF
	run client -m 4 -w 0.3 "$TOPO_SERVER4"
	want 'd["target_ttl"]' null 'hop(1)["address"]' "$TOPO_R1_4" 'len(d["hops"])' 1 \
		'"target-not-reached" in kinds()' True 'd["exit_code"]' 1
}

sec_errors()
{
	build "chain for error cases" topo_chain || return
	check "no CAP_NET_RAW: one line naming it, exit 3" t_noraw
	check "unknown interface: JSON error, exit 3" t_nodev
	check "target silent behind r2: not reached, WARNING, no hop guessed" t_silent
	lab_end
}

main()
{
	local sec t0
	if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
		echo "nattrace-path-lab: SKIP: needs root and network namespaces"
		[ "${LAB_STRICT:-0}" = 1 ] && exit 77
		exit 0
	fi
	[ -x "$NATTRACE" ] || { echo "nattrace-path-lab: $NATTRACE missing; run 'make'" >&2; exit 1; }
	lab_require python3 setpriv || exit 1
	t0=$(date +%s)
	lab_sweep_stale
	for sec in ${NATTRACE_SECTIONS:-masq stateless mss cgn errors}; do
		"sec_$sec"
	done
	printf 'nattrace-path-lab: %d passed, %d failed (%d s)\n' "$N_PASS" "$N_FAIL" \
		$(($(date +%s) - t0))
	[ "$N_FAIL" = 0 ]
}

main "$@"
