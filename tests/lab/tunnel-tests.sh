#!/usr/bin/env bash
# tests/lab/tunnel-tests.sh BUILD_DIR - `mtuprobe tunnel` against lab WireGuard tunnels
# (wireguard-go) over a chain whose bottleneck MTU is known (needs bash and root).
#
# Expected values come from what the topology was built with: the bottleneck (TOPO_MTU), the
# tunnel MTU (TOPO_WG_MTU), the underlay family, and WireGuard's header sizes written out
# below (outer IP + UDP 8 + data header 16 + Poly1305 tag 16; padding to 16 capped at the MTU).
# The fix is checked by applying it: the MTU on both ends, the nft and iptables rules in the
# client's namespace, then a re-run must say OK and ping must carry packets of exactly the
# recommended size with DF set.  Prints "tunnel-lab: N passed, M failed".

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=$(cd "${1:-build}" && pwd)
MTUPROBE=$BUILD_DIR/mtuprobe
# shellcheck source=tests/lab/topo.sh
. "$LAB_DIR/topo.sh"
CHECK_TAG=tunnel-lab
# shellcheck source=tests/lab/check.sh
. "$LAB_DIR/check.sh"

WG_FIXED=$((8 + 16 + 16)) # UDP + WireGuard data header + tag
OUT=
ERR=
RC=

# run NODE ARGS...: mtuprobe ARGS in NODE; stdout in OUT, stderr in ERR, status in RC.
run()
{
	local node=$1 e
	shift
	e=$(mktemp)
	OUT=$(lab_x "$node" "$MTUPROBE" "$@" 2>"$e")
	RC=$?
	ERR=$(cat "$e")
	rm -f "$e"
}

# jget and expect: check.sh.

t_json()
{
	local want=$1
	shift
	run client tunnel --json "$@"
	# shellcheck disable=SC2086
	expect $want
}

t_text_headline()
{
	local reco=$1 first
	run client tunnel "$TOPO_WG_CLIENT_IF"
	first=$(printf '%s\n' "$OUT" | head -n 1)
	case $first in
	"CRITICAL $TOPO_WG_CLIENT_IF: tunnel MTU $TOPO_WG_MTU is too big; the path carries $reco "*) ;;
	*) why "first line: $first"; return ;;
	esac
	printf '%s\n' "$OUT" | grep -qxF "  wg-quick:   MTU = $reco" || why "no wg-quick line"
}

# The fix lines must be accepted by nft and iptables as printed (shell-quoted commands).
t_rules_apply()
{
	local k cmd
	lab_x client nft add table inet filter || { why "nft add table"; return; }
	lab_x client nft add chain inet filter forward \
		'{ type filter hook forward priority 0; }' || { why "nft add chain"; return; }
	for k in nft_ipv4 nft_ipv6 iptables ip6tables; do
		cmd=$(jget "[\"fix\"][\"$k\"]")
		[ -n "$cmd" ] && [ "$cmd" != null ] || { why "no fix.$k"; return; }
		case $k in
		ip*) command -v "${cmd%% *}" >/dev/null || continue ;;
		esac
		lab_x client sh -c "$cmd" 2>/dev/null || { why "rejected: $cmd"; return; }
	done
	lab_x client nft list chain inet filter forward | grep -q "maxseg size set $(jget '["mss_ipv4"]')" ||
		why "nft chain lacks the IPv4 rule"
}

set_mtu()
{
	lab_x client ip link set dev "$TOPO_WG_CLIENT_IF" mtu "$1" &&
		lab_x server ip link set dev "$TOPO_WG_SERVER_IF" mtu "$1"
}

# ping with DF through the tunnel: an IP packet of exactly SIZE bytes (ICMP 8 + IPv4 20).
t_ping_size()
{
	lab_x client ping -n -q -c 3 -W 2 -M "do" -s $(($1 - 28)) "$TOPO_WG_SERVER4" >/dev/null 2>&1 ||
		why "ping of $1 bytes through the tunnel failed"
}

sec_wg()
{
	local under=$1 ovh reco
	build "wg/pmtud/ipv$under 1420 over 1454" topo_wg pmtud mtu=1420 bottleneck=1454 \
		under="$under" || return
	if [ "$under" = 4 ]; then ovh=$((20 + WG_FIXED)); else ovh=$((40 + WG_FIXED)); fi
	reco=$((TOPO_MTU - ovh))
	check "ipv$under: too big, exit 2, recommends $TOPO_MTU - $ovh = $reco" \
		t_json "rc=2 [\"state\"]=too-big [\"mtu\"]=$TOPO_WG_MTU [\"path_mtu\"]=$TOPO_MTU
			[\"overhead\"]=$ovh [\"recommended_mtu\"]=$reco [\"type\"]=wireguard
			[\"peers\"][0][\"endpoint_source\"]=wireguard [\"fix_needed\"]=True
			[\"findings\"][0][\"kind\"]=tunnel-mtu-too-big" "$TOPO_WG_CLIENT_IF"
	check "ipv$under: MSS $((reco - 40)) (IPv4) and $((reco - 60)) (IPv6); fix lines name $reco" \
		expect "[\"mss_ipv4\"]=$((reco - 40))" "[\"mss_ipv6\"]=$((reco - 60))" \
		"[\"fix\"][\"wg_quick\"]=MTU = $reco" \
		"[\"fix\"][\"iproute2\"]=ip link set dev $TOPO_WG_CLIENT_IF mtu $reco"
	check "ipv$under: inner probes above $(((TOPO_MTU - ovh) / 16 * 16)) crossed only fragmented (PMTUD works)" \
		expect "[\"inner\"][\"outer_fragmented\"]=True" \
		"[\"inner\"][\"predicted_largest\"]=$(((TOPO_MTU - ovh) / 16 * 16))"
	check "ipv$under: the nft and iptables fix lines are accepted as printed" t_rules_apply
	check "ipv$under: text output starts with the verdict and prints 'MTU = $reco'" \
		t_text_headline "$reco"
	check "ipv$under: --expect-mtu 1280 still CRITICAL (the MTU is too big)" \
		t_json "rc=2" --expect-mtu 1280 "$TOPO_WG_CLIENT_IF"
	if ! set_mtu "$reco"; then
		bad "ipv$under: set MTU $reco on both ends" "ip link failed"
		lab_end
		return
	fi
	check "ipv$under: after 'ip link set mtu $reco': OK, exit 0, inner probes pass $reco" \
		t_json "rc=0 [\"state\"]=ok [\"mtu\"]=$reco [\"recommended_mtu\"]=$reco
			[\"inner\"][\"largest_ok\"]=$reco [\"fix_needed\"]=False" "$TOPO_WG_CLIENT_IF"
	check "ipv$under: ping with DF of exactly $reco bytes crosses the tunnel" t_ping_size "$reco"
	check "ipv$under: --expect-mtu $reco is OK (exit 0)" \
		t_json "rc=0" --expect-mtu "$reco" "$TOPO_WG_CLIENT_IF"
	check "ipv$under: --expect-mtu $((reco + 1)) is CRITICAL (exit 2)" \
		t_json "rc=2 [\"findings\"][-1][\"kind\"]=below-expected-mtu" \
		--expect-mtu $((reco + 1)) "$TOPO_WG_CLIENT_IF"
	lab_end
}

sec_wg4() { sec_wg 4; }
sec_wg6() { sec_wg 6; }

# Routers drop their ICMP errors: nothing teaches the kernel the path MTU, so inner packets
# whose padded size exceeds the path vanish.  Largest inner = (bottleneck - 60) rounded down
# to 16.
sec_blackhole()
{
	local reco pred
	build "wg/blackhole/ipv4 1420 over 1454" topo_wg blackhole mtu=1420 bottleneck=1454 \
		under=4 || return
	reco=$((TOPO_MTU - 20 - WG_FIXED))
	pred=$((reco / 16 * 16))
	check "blackhole: too big, recommends $reco; inner largest ok $pred, $((pred + 1)) lost" \
		t_json "rc=2 [\"state\"]=too-big [\"recommended_mtu\"]=$reco
			[\"inner\"][\"largest_ok\"]=$pred [\"inner\"][\"smallest_lost\"]=$((pred + 1))
			[\"inner\"][\"predicted_largest\"]=$pred [\"inner\"][\"pmtud\"]=blackhole" \
		"$TOPO_WG_CLIENT_IF"
	check "blackhole: ping with DF of $((pred + 1)) bytes does not cross (the lab is strict)" \
		t_ping_fails $((pred + 1))
	check "blackhole: --no-inner skips the inner probe and says so" \
		t_json "rc=2 [\"inner\"][\"probed\"]=False [\"inner\"][\"skipped\"]=--no-inner" \
		--no-inner "$TOPO_WG_CLIENT_IF"
	check "bad input: unknown interface: exit 3, one line naming it" t_no_such
	check "bad input: a veth is not a tunnel: exit 3, one line naming its kind" t_veth
	check "bad input: --json error document for an unknown interface" \
		t_json "rc=3 [\"verdict\"]=UNKNOWN [\"mtu\"]=null" pdnosuch0
	check "no privileges: reading peers as nobody names CAP_NET_ADMIN, exit 3" t_nobody
	if set_mtu "$reco"; then
		check "blackhole: after 'ip link set mtu $reco': OK, inner probes pass $reco unfragmented" \
			t_json "rc=0 [\"state\"]=ok [\"inner\"][\"largest_ok\"]=$reco
				[\"inner\"][\"outer_fragmented\"]=False" "$TOPO_WG_CLIENT_IF"
		check "blackhole: ping with DF of exactly $reco bytes crosses the tunnel" \
			t_ping_size "$reco"
	else
		bad "blackhole: set MTU $reco on both ends" "ip link failed"
	fi
	lab_end
}

t_ping_fails()
{
	! lab_x client ping -n -q -c 2 -W 1 -M "do" -s $(($1 - 28)) "$TOPO_WG_SERVER4" \
		>/dev/null 2>&1 || why "a ping of $1 bytes crossed"
}

t_no_such()
{
	run client tunnel pdnosuch0
	[ "$RC" = 3 ] || { why "exit $RC"; return; }
	[ "$ERR" = "mtuprobe: no interface 'pdnosuch0' in this network namespace" ] ||
		why "stderr: $ERR"
	[ -z "$OUT" ] || why "stdout not empty: $OUT"
}

t_veth()
{
	run client tunnel "$TOPO_CLIENT_IF"
	[ "$RC" = 3 ] || { why "exit $RC"; return; }
	[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || { why "stderr: $ERR"; return; }
	case $ERR in
	"mtuprobe: $TOPO_CLIENT_IF is not a tunnel (kind veth);"*) ;;
	*) why "stderr: $ERR" ;;
	esac
}

t_nobody()
{
	local e
	e=$(mktemp)
	chmod 644 "$e"
	OUT=$(lab_x client setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		--bounding-set=-all "$MTUPROBE" tunnel "$TOPO_WG_CLIENT_IF" 2>"$e")
	RC=$?
	ERR=$(cat "$e")
	rm -f "$e"
	[ "$RC" = 3 ] || { why "exit $RC"; return; }
	case $ERR in
	*CAP_NET_ADMIN*) ;;
	*) why "stderr: $ERR" ;;
	esac
}

main()
{
	local sec t0
	if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
		echo "tunnel-lab: SKIP: needs root and network namespaces"
		[ "${LAB_STRICT:-0}" = 1 ] && exit 77
		exit 0
	fi
	if ! command -v wireguard-go >/dev/null || ! command -v wg >/dev/null; then
		echo "tunnel-lab: SKIP: needs wireguard-go and wg"
		[ "${LAB_STRICT:-0}" = 1 ] && exit 77
		exit 0
	fi
	[ -x "$MTUPROBE" ] || { echo "tunnel-lab: $MTUPROBE missing; run 'make'" >&2; exit 1; }
	t0=$(date +%s)
	lab_sweep_stale
	for sec in ${TUNNEL_SECTIONS:-wg4 wg6 blackhole}; do
		"sec_$sec"
	done
	printf 'tunnel-lab: %d passed, %d failed (%d s)\n' "$N_PASS" "$N_FAIL" \
		$(($(date +%s) - t0))
	[ "$N_FAIL" = 0 ]
}

main "$@"
