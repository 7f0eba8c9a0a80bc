#!/usr/bin/env bash
# tests/lab/nattrace-peer-tests.sh BUILD_DIR - `nattrace --peer` against `mtuprobe serve` in
# lab namespaces (needs bash and root; BUILD_DIR/nattrace and BUILD_DIR/mtuprobe from `make`).
#
# Each lab asserts what its topology was built with (topo.sh addresses, the nft rules below):
#   a  chain, no NAT: NAT absent, the responder saw the client's own 10.0.1.2, port kept,
#      carrier-grade false, hairpin not applicable.
#   b  nat, home router `masquerade` (Linux keeps a free source port and, per socket, gives
#      every destination the same address:port): NAT present, seen 203.0.113.2 (the WAN
#      address), port preserved; two ports -> EIM-or-ADM; a second server address (served
#      with repeated --bind) -> endpoint-independent; --hairpin without a loopback rule ->
#      no hairpin.
#   b2 nat with per-destination SNAT (203.0.113.10 -> 203.0.113.2, .11 -> 203.0.113.3):
#      address-dependent.
#   c  cgn: home masquerades to 100.64.0.2, cgn to 203.0.113.2: seen 203.0.113.2, hop 2 is
#      the CGN's inside 100.64.0.1, carrier-grade concluded (WARNING).
#   d  nat with `masquerade random` (a fresh random port per connection, checked on this
#      kernel): two ports -> address-and-port-dependent, port not preserved.
#   e  nat plus a loopback rule (LAN -> WAN address DNATed back to 192.168.1.2, then SNAT to
#      203.0.113.2, or masquerade to the router's LAN address 192.168.1.1): hairpin true with
#      the source the rule writes.
# One line per check, then "nattrace-peer: N passed, M failed"; exit 1 on failure. Without
# root: SKIP, exit 0 (77 if LAB_STRICT=1).

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-build}
# shellcheck source=tests/lab/topo.sh
. "$LAB_DIR/topo.sh"
CHECK_TAG=nattrace-peer
# shellcheck source=tests/lab/check.sh
. "$LAB_DIR/check.sh"

BUILD_ABS=$(cd "$BUILD_DIR" 2>/dev/null && pwd)
NATTRACE=$BUILD_ABS/nattrace
MTUPROBE=$BUILD_ABS/mtuprobe
OUT=
RC=
ERR=
SERVE_PID=

# run NODE ARGS...: nattrace --json --peer ARGS in NODE; OUT, RC, ERR.
run()
{
	local node=$1 e
	shift
	e=$(mktemp)
	OUT=$(lab_x "$node" "$NATTRACE" --json --peer "$@" 2>"$e")
	RC=$?
	ERR=$(cat "$e")
	rm -f "$e"
}

# t NODE "PATH=VALUE..." ARGS...: run, then expect every PATH=VALUE (check.sh).
t()
{
	local node=$1 want=$2
	shift 2
	run "$node" "$@"
	# shellcheck disable=SC2086 # want is a list of PATH=VALUE words
	expect $want
}

has_finding()
{
	python3 -c 'import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if any(f["kind"] == sys.argv[2] for f in d["findings"]) else 1)' "$OUT" "$1" ||
		why "no finding '$1'"
}

# serve_ready PORT...: UDP listeners on every port.
serve_ready()
{
	local p
	for p; do
		lab_x server ss -lnu | grep -q ":$p " || return 1
	done
}

# serve ARGS...: `mtuprobe serve ARGS` in the server node, waits for ports 20548 and 20549.
serve()
{
	unserve
	lab_bg server serve "$MTUPROBE" serve "$@" || return
	SERVE_PID=$LAB_LAST_PID
	lab_wait "mtuprobe serve" 10 serve_ready 20548 20549
}

unserve()
{
	[ -n "$SERVE_PID" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID" 2>/dev/null
	SERVE_PID=
}

# home_nat RULE...: replace the home router's postrouting NAT towards the server with RULE.
home_nat()
{
	lab_nft home "ip pdl_nat" <<-EOF
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		$*
	}
	EOF
}

P2="--peer-port 20548 --peer-port 20549"

lab_a()
{
	build "a (chain, no NAT)" topo_chain pmtud mtu=1500 || return
	if serve -p 20548 -p 20549; then
		# shellcheck disable=SC2086
		check "a: NAT absent, seen = the client's own $TOPO_CLIENT4, port kept" t client \
			"rc=0 ['nat']['present']=False ['nat']['port_preserved']=True
			['nat']['carrier_grade']=False ['nat']['mapping']=null ['nat']['hairpin']=null
			['peer']['observations'][0]['seen_address']=$TOPO_CLIENT4
			['peer']['observations'][1]['seen_address']=$TOPO_CLIENT4
			['peer']['observations'][1]['server_port']=20549" $P2 --hairpin "$TOPO_SERVER4"
		check "a: finding no-nat" has_finding no-nat
		check "a: hairpin not applicable, nothing sent" expect "['peer']['hairpin']=null" \
			"['peer']['hairpin_skipped']=null"
	else
		bad "a: mtuprobe serve -p 20548 -p 20549" "$(tail -n 1 "$LAB_TMP/serve.log")"
	fi
	unserve
	lab_end
}

lab_b()
{
	build "b (home masquerade)" topo_nat || return
	lab_addr server home 203.0.113.11/24 || { bad "b: second server address" "lab_addr"; }
	if serve -p 20548 -p 20549 -b "$TOPO_SERVER4" -b 203.0.113.11; then
		# shellcheck disable=SC2086
		check "b: NAT present, seen = the WAN address $TOPO_PUBLIC4, port preserved" t client \
			"rc=0 ['nat']['present']=True ['nat']['port_preserved']=True
			['peer']['observations'][0]['seen_address']=$TOPO_PUBLIC4
			['peer']['observations'][0]['local_address']=$TOPO_CLIENT4
			['nat']['mapping']=endpoint-independent-or-address-dependent
			['nat']['carrier_grade']=null" $P2 "$TOPO_SERVER4"
		check "b: finding nat-detected" has_finding nat-detected
		# shellcheck disable=SC2086
		check "b: a second responder address: endpoint-independent" t client \
			"rc=0 ['nat']['mapping']=endpoint-independent
			['peer']['observations'][2]['server_address']=203.0.113.11
			['peer']['observations'][3]['seen_address']=$TOPO_PUBLIC4" \
			$P2 --peer-addr 203.0.113.11 "$TOPO_SERVER4"
		# shellcheck disable=SC2086
		check "b: no loopback rule: no hairpin (WARNING)" t client \
			"rc=1 ['nat']['hairpin']=False ['peer']['hairpin']['arrived']=False
			['peer']['hairpin']['sent_to_address']=$TOPO_PUBLIC4" $P2 --hairpin "$TOPO_SERVER4"
		check "b: finding hairpin-none" has_finding hairpin-none
		lab_addr home server 203.0.113.3/24 || bad "b2: second WAN address" "lab_addr"
		home_nat "oifname \"server\" ip daddr $TOPO_SERVER4 snat to $TOPO_PUBLIC4" \
			$'\n'"oifname \"server\" ip daddr 203.0.113.11 snat to 203.0.113.3" ||
			bad "b2: snat rules" "nft"
		# shellcheck disable=SC2086
		check "b2: SNAT per destination address: address-dependent (WARNING)" t client \
			"rc=1 ['nat']['mapping']=address-dependent ['nat']['port_preserved']=True
			['peer']['observations'][0]['seen_address']=$TOPO_PUBLIC4
			['peer']['observations'][1]['seen_address']=$TOPO_PUBLIC4
			['peer']['observations'][2]['seen_address']=203.0.113.3
			['peer']['observations'][3]['seen_address']=203.0.113.3" \
			$P2 --peer-addr 203.0.113.11 "$TOPO_SERVER4"
		check "b2: finding nat-mapping-dependent" has_finding nat-mapping-dependent
	else
		bad "b: mtuprobe serve with two ports and two --bind" "$(tail -n 1 "$LAB_TMP/serve.log")"
	fi
	unserve
	lab_end
}

lab_c()
{
	build "c (home NAT + CGN)" topo_cgn || return
	if serve -p 20548 -p 20549; then
		# shellcheck disable=SC2086
		check "c: seen = CGN outside $TOPO_PUBLIC4, hop 2 = $TOPO_CGN_IN4, carrier-grade" \
			t client "rc=1 ['nat']['present']=True ['nat']['carrier_grade']=True
			['peer']['observations'][0]['seen_address']=$TOPO_PUBLIC4
			['peer']['observations'][0]['local_address']=$TOPO_CLIENT4
			['peer']['hops'][1]['address']=$TOPO_CGN_IN4
			['peer']['hops'][0]['address']=192.168.1.1" $P2 "$TOPO_SERVER4"
		check "c: finding carrier-grade-nat (warning)" has_finding carrier-grade-nat
	else
		bad "c: mtuprobe serve" "$(tail -n 1 "$LAB_TMP/serve.log")"
	fi
	unserve
	lab_end
}

lab_d()
{
	build "d (masquerade random)" topo_nat || return
	home_nat 'oifname "server" masquerade random' || bad "d: nft" "masquerade random"
	if serve -p 20548 -p 20549; then
		# shellcheck disable=SC2086
		check "d: two ports, two mappings: address-and-port-dependent (WARNING)" t client \
			"rc=1 ['nat']['present']=True ['nat']['mapping']=address-and-port-dependent
			['nat']['port_preserved']=False
			['peer']['observations'][0]['seen_address']=$TOPO_PUBLIC4
			['peer']['observations'][1]['seen_address']=$TOPO_PUBLIC4" $P2 "$TOPO_SERVER4"
		check "d: findings nat-mapping-dependent, port-not-preserved" eval \
			'has_finding nat-mapping-dependent && has_finding port-not-preserved'
	else
		bad "d: mtuprobe serve" "$(tail -n 1 "$LAB_TMP/serve.log")"
	fi
	unserve
	lab_end
}

# loopback SNAT-STATEMENT: NAT loopback on home for UDP from the LAN to the WAN address.
loopback()
{
	lab_nft home "ip pdl_loop" <<-EOF
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "client" ip daddr $TOPO_PUBLIC4 meta l4proto udp dnat to $TOPO_CLIENT4
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		iifname "client" oifname "client" $1
	}
	EOF
}

lab_e()
{
	build "e (NAT loopback)" topo_nat || return
	if serve -p 20548 -p 20549 && loopback "snat to $TOPO_PUBLIC4"; then
		# shellcheck disable=SC2086
		check "e: loopback with SNAT to the WAN address: hairpin, external source" t client \
			"['nat']['hairpin']=True ['nat']['hairpin_source']=external-source
			['peer']['hairpin']['from_address']=$TOPO_PUBLIC4" $P2 --hairpin "$TOPO_SERVER4"
		if loopback "masquerade"; then
			# shellcheck disable=SC2086
			check "e: loopback with masquerade: hairpin from the router's 192.168.1.1" t \
				client "['nat']['hairpin']=True ['nat']['hairpin_source']=other-source
				['peer']['hairpin']['from_address']=192.168.1.1" $P2 --hairpin \
				"$TOPO_SERVER4"
		else
			bad "e: masquerade loopback rule" "nft"
		fi
	else
		bad "e: serve or loopback rule" "$(tail -n 1 "$LAB_TMP/serve.log")"
	fi
	unserve
	lab_end
}

# Usage errors need no lab.
usage_checks()
{
	local e rc
	e=$("$NATTRACE" --peer 2>&1)
	rc=$?
	check "usage: --peer without HOST" eval \
		'[ "$rc" = 3 ] && [ "$e" = "nattrace: no HOST given; see '\''nattrace --help'\''" ] || why "exit $rc, said: $e"'
	e=$("$NATTRACE" --hairpin 192.0.2.1 2>&1)
	rc=$?
	check "usage: --hairpin without --peer" eval \
		'[ "$rc" = 3 ] && [ "$e" = "nattrace: --peer-port, --peer-addr and --hairpin need --peer; see '\''nattrace --help'\''" ] || why "exit $rc, said: $e"'
}

main()
{
	if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
		echo "nattrace-peer: SKIP: needs root and network namespaces"
		[ "${LAB_STRICT:-0}" = 1 ] && exit 77
		exit 0
	fi
	[ -x "$NATTRACE" ] && [ -x "$MTUPROBE" ] ||
		{ echo "nattrace-peer: $BUILD_DIR/nattrace or mtuprobe missing; run 'make'" >&2; exit 1; }
	usage_checks
	lab_a
	lab_b
	lab_c
	lab_d
	lab_e
	echo "nattrace-peer: $N_PASS passed, $N_FAIL failed"
	[ "$N_FAIL" = 0 ]
}

main "$@"
