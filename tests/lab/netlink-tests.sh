#!/usr/bin/env bash
# tests/lab/netlink-tests.sh BUILD_DIR - libpathdiag's netlink queries against the kernel and
# iproute2 / wg(8) in namespace labs (needs bash and root).
#
# Drives BUILD_DIR/nlquery (tests/tools/nlquery.c) inside the lab's namespaces and compares
# what it prints with the values the lab was built with and with `ip -d route get`, `ip link`
# and `wg show IFACE dump`:
#   - a veth of MTU 1454 (the chain's bottleneck), vxlan devices (id, port, remote/group, local,
#     lower device), interfaces that do not exist;
#   - routes with `mtu 1400` and `mtu lock 1300` (IPv4, IPv6), policy routing by mark, local,
#     unreachable and missing routes, RTM_F_FIB_MATCH, every result field by field against
#     `ip -d route get`;
#   - the path MTU exception the client caches after "fragmentation needed" / "packet too big"
#     from r1 (ping -M "do" across the chain): `ip route get` shows mtu 1454 and so must we;
#   - a wireguard-go tunnel read through its UAPI socket, IPv4 and IPv6 underlay, peer lines
#     identical to `wg show dump`, the error for a user without access to the socket, and no
#     answer for an interface of another namespace (the socket directory is host-wide).
# One line per check, then "netlink: N passed, M failed"; exit status 1 on failure. Without root
# it prints "netlink: SKIP" and exits 0 (77 if LAB_STRICT=1).

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-build}
# shellcheck source=tests/lab/topo.sh
. "$LAB_DIR/topo.sh"
CHECK_TAG=netlink
# shellcheck source=tests/lab/check.sh
. "$LAB_DIR/check.sh"

NLQ=$(cd "$BUILD_DIR" 2>/dev/null && pwd)/nlquery
RUN_TMP=
OUT=

build()
{
	local name=$1 err=$RUN_TMP/build.err
	shift
	# shellcheck disable=SC2119 # default prefix
	if ! lab_begin 2>"$err" || ! "$@" 2>"$err"; then
		bad "$name: build" "$(tail -n 1 "$err")"
		lab_end
		return 1
	fi
	ok "$name: built"
}

# nlq NODE ARGS...: run nlquery in NODE; output in OUT, exit status in NLQ_RC.
nlq()
{
	local node=$1
	shift
	OUT=$(lab_x "$node" "$NLQ" "$@" 2>"$RUN_TMP/nlq.err")
	NLQ_RC=$?
	NLQ_ERR=$(cat "$RUN_TMP/nlq.err")
	return "$NLQ_RC"
}

# val KEY: the value of KEY= in OUT ("" if absent).
val()
{
	sed -n "s/^$1=//p" <<<"$OUT" | head -n 1
}

# expect KEY VALUE...: each KEY has VALUE in OUT.
expect()
{
	local k v got
	while [ $# -ge 2 ]; do
		k=$1 v=$2
		shift 2
		got=$(val "$k")
		[ "$got" = "$v" ] || { why "$k is '$got', expected '$v'"; return; }
	done
}

absent()
{
	local k
	for k; do
		! grep -q "^$k=" <<<"$OUT" || { why "$k present: $(val "$k")"; return; }
	done
}

# ifindex NODE IF / peer_ifindex NODE IF: from `ip -o link` ("3: r2@if2: ...").
ifindex()
{
	ip -n "$(lab_ns "$1")" -o link show dev "$2" | sed -n 's/^\([0-9]*\): .*/\1/p'
}

peer_ifindex()
{
	ip -n "$(lab_ns "$1")" -o link show dev "$2" | sed -n 's/^[0-9]*: [^@]*@if\([0-9]*\):.*/\1/p'
}

# ---- links ----------------------------------------------------------------------------------

t_link_veth()
{
	nlq r1 link r2 || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect kind veth mtu "$TOPO_MTU" name r2 operstate up up 1 || return
	expect ifindex "$(ifindex r1 r2)" link "$(ifindex r2 r1)" || return
	[ "$(val link)" = "$(peer_ifindex r1 r2)" ] || { why "link differs from ip's @if"; return; }
	[ -n "$(val link_netnsid)" ] || why "no link_netnsid for a peer in another namespace"
}

t_link_by_index()
{
	local idx
	idx=$(ifindex client r1)
	nlq client link "@$idx" || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect name r1 ifindex "$idx" mtu 1500 kind veth
}

t_link_lo()
{
	nlq client link lo || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect kind "" mtu 65536 ifindex 1 type 772
}

t_link_vxlan4()
{
	local mtu
	lab_x client ip link add vx42 type vxlan id 42 dstport 4789 remote 10.0.1.1 \
		local 10.0.1.2 dev r1 || { why "ip link add vxlan failed"; return; }
	mtu=$(lab_mtu client vx42)
	nlq client link vx42 || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect kind vxlan vxlan.id 42 vxlan.port 4789 vxlan.remote 10.0.1.1 \
		vxlan.local 10.0.1.2 vxlan.link "$(ifindex client r1)" mtu "$mtu" || return
	# VXLAN over IPv4 takes 50 bytes (outer IPv4 20, UDP 8, VXLAN 8, inner Ethernet 14).
	[ "$mtu" = 1450 ] || why "vxlan mtu $mtu, expected 1450 on a 1500 lower device"
}

t_link_vxlan6()
{
	lab_x client ip link add vx7 type vxlan id 7 dstport 4790 group ff05::42 dev r1 ||
		{ why "ip link add vxlan failed"; return; }
	nlq client link vx7 || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect kind vxlan vxlan.id 7 vxlan.port 4790 vxlan.group ff05::42 \
		mtu "$(lab_mtu client vx7)" || return
	absent vxlan.remote
}

t_link_missing()
{
	nlq client link nosuchif0
	[ "$NLQ_RC" = 2 ] || { why "exit $NLQ_RC, expected 2 (not found)"; return; }
	grep -q 'not found: no such interface' <<<"$NLQ_ERR" || why "stderr: $NLQ_ERR"
}

# ---- routes ---------------------------------------------------------------------------------

# ipget NODE ARGS...: `ip -d route get ARGS` in NODE, joined on one line, in IPOUT.
ipget()
{
	local node=$1 fam=-4
	shift
	case $1 in *:*) fam=-6 ;; esac
	IPOUT=$(lab_x "$node" ip "$fam" -d route get "$@" 2>&1 | tr '\n' ' ')
}

# ipf KEY: the word after KEY in IPOUT ("" if absent). "mtu lock N" gives N.
ipf()
{
	awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) {
		v = $(i + 1); if (k == "mtu" && v == "lock") v = $(i + 2); print v; exit } }' \
		<<<"$IPOUT"
}

table_num()
{
	case $1 in
	main) echo 254 ;;
	local) echo 255 ;;
	default) echo 253 ;;
	*) echo "$1" ;;
	esac
}

# same_as_ip NODE DST [ARGS...]: nlquery route and `ip -d route get` agree on type, gateway,
# device, preferred source, table, MTU (and its lock) and expiry.
same_as_ip()
{
	local node=$1 dst=$2 want got f e1 e2
	shift 2
	ipget "$node" "$dst" "$@"
	nlq "$node" route "$dst" "$@" || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	got=$(val type)
	want=$(awk '{ print $1 }' <<<"$IPOUT")
	[ "$got" = "$want" ] || { why "type $got, ip says $want"; return; }
	for f in via:gateway dev:oif_name src:prefsrc mtu:mtu; do
		want=$(ipf "${f%%:*}")
		got=$(val "${f#*:}")
		[ "$got" = "$want" ] || { why "${f#*:} '$got', ip says '$want' ($IPOUT)"; return; }
	done
	want=$(table_num "$(ipf table)")
	[ "$(val table)" = "$want" ] || { why "table $(val table), ip says $want"; return; }
	case $IPOUT in
	*" mtu lock "*) [ "$(val mtu_locked)" = 1 ] || { why "ip says mtu lock"; return; } ;;
	*" mtu "*) [ "$(val mtu_locked)" = 0 ] || { why "locked, ip says not"; return; } ;;
	esac
	e1=$(ipf expires)
	e1=${e1%sec}
	e2=$(val expires_sec)
	if [ -n "$e1" ]; then
		[ -n "$e2" ] && [ $((e1 - e2)) -ge -1 ] && [ $((e1 - e2)) -le 1 ] ||
			{ why "expires ${e2}s, ip says ${e1}s"; return; }
	elif [ -n "$e2" ] && [ "$e2" != 0 ]; then
		why "expires ${e2}s, ip shows none"
	fi
}

t_route_setup()
{
	lab_x client ip route add 10.9.0.0/24 via 10.0.1.1 mtu 1400 &&
		lab_x client ip route add 10.9.1.0/24 via 10.0.1.1 mtu lock 1300 &&
		lab_x client ip -6 route add fd00:9::/64 via fd00:0:0:1::1 mtu 1400 &&
		lab_x client ip route add unreachable 10.66.0.0/16 &&
		lab_x client ip route add prohibit 10.67.0.0/16 &&
		lab_x client ip rule add fwmark 5 table 100 &&
		lab_x client ip route add 10.0.3.0/24 via 10.0.1.1 dev r1 mtu 1300 table 100 ||
		why "ip route/rule add failed"
}

t_route_mtu()
{
	nlq client route 10.9.0.5 || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect mtu 1400 mtu_locked 0 mtu_source route effective_mtu 1400 link_mtu 1500 \
		gateway 10.0.1.1 oif_name r1 pmtu_exception 0 || return
	nlq client route 10.9.1.7 || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect mtu 1300 mtu_locked 1 mtu_source route effective_mtu 1300 || return
	nlq client route fd00:9::5 || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect family 6 mtu 1400 mtu_source route effective_mtu 1400 gateway fd00:0:0:1::1 \
		cloned 0 pmtu_exception 0
}

t_route_link_mtu()
{
	nlq client route "$TOPO_SERVER4" || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect mtu_source link effective_mtu 1500 pmtu_exception 0 gateway 10.0.1.1 || return
	absent mtu
	nlq client route "$TOPO_SERVER6" || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect mtu_source link effective_mtu 1500 cloned 0 pmtu_exception 0 || return
	absent mtu
}

t_route_mark()
{
	nlq client route "$TOPO_SERVER4" mark 5 || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect table 100 mtu 1300 mtu_source route mark 5
}

t_route_unreachable()
{
	nlq client route 10.66.0.1
	[ "$NLQ_RC" = 2 ] || { why "exit $NLQ_RC, expected 2: $OUT"; return; }
	grep -q 'unreachable' <<<"$NLQ_ERR" || { why "stderr: $NLQ_ERR"; return; }
	lab_x client ip route get 10.66.0.1 >/dev/null 2>&1 && { why "ip route get succeeded"; return; }
	nlq client route 10.67.0.1
	[ "$NLQ_RC" = 2 ] || { why "prohibit: exit $NLQ_RC, expected 2"; return; }
	# r1 has no default route.
	nlq r1 route 192.0.2.1
	[ "$NLQ_RC" = 2 ] || { why "no route: exit $NLQ_RC, expected 2"; return; }
	grep -q 'network unreachable' <<<"$NLQ_ERR" || why "stderr: $NLQ_ERR"
}

t_route_fibmatch()
{
	nlq client route "$TOPO_SERVER4" fibmatch || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect dst_len 0 gateway 10.0.1.1 oif_name r1 || return
	absent dst mtu
}

# same_as_ip over a set of lookups.
t_route_vs_ip()
{
	local spec
	while read -r spec; do
		# shellcheck disable=SC2086 # spec is words
		same_as_ip client $spec || { WHY="route get $spec: $WHY"; return 1; }
	done <<-EOF
	$TOPO_SERVER4
	10.9.0.5
	10.9.1.7
	10.0.1.1
	10.0.1.2
	127.0.0.1
	$TOPO_SERVER4 from 10.0.1.2
	$TOPO_SERVER4 mark 5
	$TOPO_SERVER4 oif r1
	$TOPO_SERVER6
	fd00:9::5
	fd00:0:0:1::1
	fd00:0:0:1::2
	EOF
}

# After "fragmentation needed" (mtu 1454) from r1, the client caches a path MTU exception.
t_pmtu_v4()
{
	lab_x client ping -n -c 1 -W 1 -M "do" -s $((TOPO_MTU - 27)) "$TOPO_SERVER4" >/dev/null 2>&1
	ipget client "$TOPO_SERVER4"
	[ "$(ipf mtu)" = "$TOPO_MTU" ] || { why "ip route get shows no mtu $TOPO_MTU: $IPOUT"; return; }
	nlq client route "$TOPO_SERVER4" || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect mtu "$TOPO_MTU" pmtu_exception 1 mtu_source pmtu effective_mtu "$TOPO_MTU" \
		link_mtu 1500 cloned 1 || return
	[ "$(val expires_sec)" -gt 500 ] || { why "expires_sec $(val expires_sec)"; return; }
	same_as_ip client "$TOPO_SERVER4"
}

t_pmtu_v6()
{
	lab_x client ping -6 -n -c 1 -W 1 -M "do" -s $((TOPO_MTU - 47)) "$TOPO_SERVER6" >/dev/null 2>&1
	ipget client "$TOPO_SERVER6"
	[ "$(ipf mtu)" = "$TOPO_MTU" ] || { why "ip route get shows no mtu $TOPO_MTU: $IPOUT"; return; }
	nlq client route "$TOPO_SERVER6" || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect mtu "$TOPO_MTU" pmtu_exception 1 mtu_source pmtu effective_mtu "$TOPO_MTU" \
		cloned 1 || return
	[ "$(val expires_sec)" -gt 500 ] || { why "expires_sec $(val expires_sec)"; return; }
	same_as_ip client "$TOPO_SERVER6"
}

# The exception is per destination: the route configured with mtu 1400 is untouched.
t_pmtu_scope()
{
	nlq client route 10.9.0.5 || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect mtu 1400 mtu_source route pmtu_exception 0
}

t_wg_on_veth()
{
	nlq client wg r1
	[ "$NLQ_RC" = 2 ] || { why "exit $NLQ_RC, expected 2: $NLQ_ERR"; return; }
	grep -q 'no WireGuard interface' <<<"$NLQ_ERR" || why "stderr: $NLQ_ERR"
}

sec_chain()
{
	build "chain" topo_chain pmtud || return
	check "veth r1-r2: kind veth, mtu $TOPO_MTU, peer index as ip shows" t_link_veth
	check "link by index" t_link_by_index
	check "lo: no kind, mtu 65536" t_link_lo
	check "vxlan id 42 dstport 4789 remote/local/dev" t_link_vxlan4
	check "vxlan id 7 dstport 4790 group ff05::42" t_link_vxlan6
	check "missing interface: exit 2, 'no such interface'" t_link_missing
	check "routes: mtu 1400, mtu lock 1300, v6 mtu 1400, rule fwmark 5" t_route_setup
	check "route MTU: configured mtu, lock, IPv6" t_route_mtu
	check "no route MTU: the link MTU" t_route_link_mtu
	check "mark 5 selects table 100 (mtu 1300)" t_route_mark
	check "unreachable, prohibit, no route: exit 2" t_route_unreachable
	check "fibmatch: the default route itself" t_route_fibmatch
	check "13 lookups field by field equal to ip -d route get" t_route_vs_ip
	check "IPv4 PMTU exception $TOPO_MTU after frag needed, as ip route get" t_pmtu_v4
	check "IPv6 PMTU exception $TOPO_MTU after packet too big, as ip route get" t_pmtu_v6
	check "configured route MTU unaffected by the exception" t_pmtu_scope
	check "wg on a veth: exit 2" t_wg_on_veth
	lab_end
}

# ---- WireGuard (wireguard-go, UAPI) ----------------------------------------------------------

# wg_dump_same NODE IF: our peer lines equal `wg show IF dump` without its first (interface)
# line; retried, as a keepalive may change the counters between the two reads.
wg_dump_same()
{
	local node=$1 ifn=$2 i ours theirs
	for i in 1 2 3; do
		theirs=$(lab_x "$node" wg show "$ifn" dump | tail -n +2)
		ours=$(lab_x "$node" "$NLQ" wgdump "$ifn" 2>&1)
		[ "$ours" = "$theirs" ] && return 0
		sleep 0.3
	done
	why "ours: $ours | wg: $theirs"
}

t_wg_config()
{
	local ep=$1 allowed=$2
	nlq client wg "$TOPO_WG_CLIENT_IF" || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect source uapi listen_port "$TOPO_WG_PORT" peers 1 allowed_ips 2 private_key_set 1 \
		peer.0.endpoint "$ep" peer.0.allowed_ips "$allowed" peer.0.keepalive 0 || return
	# The peer's key is the server's public key.
	[ "$(val peer.0.public_key)" = "$(cat "$LAB_TMP/wg-server.pub")" ] ||
		why "peer key $(val peer.0.public_key) is not the server's"
}

t_wg_link()
{
	nlq client link "$TOPO_WG_CLIENT_IF" || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect kind tun mtu "$TOPO_WG_MTU" name "$TOPO_WG_CLIENT_IF"
}

t_wg_after_traffic()
{
	lab_x client ping -n -c 2 -i 0.2 -W 2 "$TOPO_WG_SERVER4" >/dev/null 2>&1 ||
		{ why "no ping through the tunnel"; return; }
	nlq client wg "$TOPO_WG_CLIENT_IF" || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	[ "$(val peer.0.handshake_sec)" -gt 0 ] || { why "no handshake time"; return; }
	[ "$(val peer.0.rx_bytes)" -gt 0 ] && [ "$(val peer.0.tx_bytes)" -gt 0 ] ||
		{ why "rx/tx $(val peer.0.rx_bytes)/$(val peer.0.tx_bytes)"; return; }
	wg_dump_same client "$TOPO_WG_CLIENT_IF" || return
	wg_dump_same server "$TOPO_WG_SERVER_IF"
}

t_wg_uapi_path()
{
	nlq client wg "$LAB_WG_RUNDIR/$TOPO_WG_SERVER_IF.sock" || { why "exit $NLQ_RC: $NLQ_ERR"; return; }
	expect source uapi listen_port "$TOPO_WG_PORT" peers 1
}

# The server's daemon has a socket in the host-wide UAPI directory, but its interface is not in
# the client's namespace: the client must not be shown the server's configuration.
t_wg_other_netns()
{
	[ -S "$LAB_WG_RUNDIR/$TOPO_WG_SERVER_IF.sock" ] || { why "no server socket"; return; }
	nlq client wg "$TOPO_WG_SERVER_IF"
	[ "$NLQ_RC" = 2 ] || { why "exit $NLQ_RC, expected 2: $OUT"; return; }
	grep -q 'no such interface in this network namespace' <<<"$NLQ_ERR" || why "stderr: $NLQ_ERR"
}

t_wg_unprivileged()
{
	local rc err
	err=$(lab_x client setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$NLQ" wg "$TOPO_WG_CLIENT_IF" 2>&1 >/dev/null)
	rc=$?
	[ "$rc" = 4 ] || { why "exit $rc, expected 4 (permission): $err"; return; }
	grep -q 'permission denied: root or CAP_DAC_OVERRIDE' <<<"$err" || why "stderr: $err"
}

sec_wg()
{
	local under=$1 ep
	build "wg under IPv$under" topo_wg pmtud under="$under" || return
	if [ "$under" = 4 ]; then
		ep=$TOPO_SERVER4:$TOPO_WG_PORT
	else
		ep=[$TOPO_SERVER6]:$TOPO_WG_PORT
	fi
	check "wg IPv$under: UAPI listen port, peer key, endpoint $ep, allowed IPs" \
		t_wg_config "$ep" "$TOPO_WG_SERVER4/32,$TOPO_WG_SERVER6/128"
	check "wg IPv$under: before traffic, peers as wg show dump" wg_dump_same client \
		"$TOPO_WG_CLIENT_IF"
	check "wg IPv$under: after a ping, handshake and counters as wg show dump" \
		t_wg_after_traffic
	if [ "$under" = 4 ]; then
		check "wg: the wireguard-go interface is kind tun, mtu $TOPO_WG_MTU" t_wg_link
		check "wg: explicit UAPI socket path" t_wg_uapi_path
		check "wg: another namespace's interface is not read" t_wg_other_netns
		check "wg: user nobody gets exit 4 naming the privilege" t_wg_unprivileged
	fi
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
	if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
		echo "netlink: SKIP: needs root and network namespaces"
		[ "${LAB_STRICT:-0}" = 1 ] && exit 77
		exit 0
	fi
	if [ ! -x "$NLQ" ]; then
		echo "netlink: $NLQ not built (make BUILD=$BUILD_DIR tests)"
		echo "netlink: 0 passed, 1 failed"
		exit 1
	fi
	RUN_TMP=$(mktemp -d /tmp/pdl-nl-XXXXXX) || exit 1
	# shellcheck disable=SC2016 # expanded when the trap runs
	LAB_EXIT_HOOK='rm -rf "$RUN_TMP"'
	trap 'rm -rf "$RUN_TMP"' EXIT
	lab_sweep_stale
	sec_chain
	sec_wg 4
	sec_wg 6
	check "no namespace, /etc/netns entry or temp dir of this run left" t_no_leftovers
	printf 'netlink: %d passed, %d failed\n' "$N_PASS" "$N_FAIL"
	[ "$N_FAIL" = 0 ]
}

main "$@"
