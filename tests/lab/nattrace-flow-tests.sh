#!/usr/bin/env bash
# tests/lab/nattrace-flow-tests.sh BUILD_DIR - `nattrace flow` on the field report 004 setup
# (needs bash and root): a gateway with a public address DNATs TCP port 8443 over a WireGuard
# tunnel (wireguard-go) to a home server whose default route is its own uplink, not the tunnel.
#
#   client 203.0.113.2 --eth0-- 203.0.113.1 pub0 [gw] und0 10.0.2.1 --- 10.0.2.2 und0 [srv]
#                                   gw wg 10.99.0.1 ===== WireGuard ===== 10.99.0.2 srv wg
#                                                                    srv up0 192.168.1.2 --- isp .1
#   gw: DNAT 203.0.113.1:8443 -> 10.99.0.2:8080; srv: default via 192.168.1.1 dev up0.
#
# Real traffic decides: a TCP connect from the client to 203.0.113.1:8443 hangs because the
# server's SYN-ACK leaves by up0 (the isp node drops it). Then, asserting what the topology was
# built with:
#   - on srv, `flow CLIENT 10.99.0.2 tcp SPORT 8080 --iif WG` reports asymmetric-reply naming
#     WG as the way in and up0 as the way out, and prints the fix;
#   - on gw, `flow` shows the DNAT from conntrack (original dst 203.0.113.1:8443, reply from
#     10.99.0.2:8080) and the request routed out the tunnel;
#   - strict rp_filter on srv: rp-filter-drops-request; the printed loose setting clears it;
#   - the printed source-rule fix, applied in srv, makes the connect succeed and a re-run
#     reports no finding; the same with the connection-mark fix instead;
#   - masquerade on gw's tunnel: masquerade-hides-client, the reply going to 10.99.0.1;
#   - ip_forward=0 on gw: forwarding-disabled, and the connect indeed fails;
#   - bad input: unknown interface and malformed address exit 3 with one line on stderr.
# Prints "nattrace-flow-lab: N passed, M failed".

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=$(cd "${1:-build}" && pwd)
NATTRACE=$BUILD_DIR/nattrace
# shellcheck source=tests/lab/lib.sh
. "$LAB_DIR/lib.sh"
CHECK_TAG=nattrace-flow-lab
# shellcheck source=tests/lab/check.sh
. "$LAB_DIR/check.sh"

CLIENT=203.0.113.2
PUBLIC=203.0.113.1
SRV_WG=10.99.0.2
GW_WG=10.99.0.1
OUT=
ERR=
RC=
WG_GW=
WG_SRV=

topo()
{
	lab_node client || return
	lab_node gw router || return
	lab_node srv || return
	lab_node isp || return
	lab_link client gw if_a=eth0 if_b=pub0 a4=$CLIENT/24 b4=$PUBLIC/24 || return
	lab_link gw srv if_a=und0 if_b=und0 a4=10.0.2.1/24 b4=10.0.2.2/24 || return
	lab_link srv isp if_a=up0 if_b=eth0 a4=192.168.1.2/24 b4=192.168.1.1/24 || return
	lab_route client default $PUBLIC || return
	lab_route srv default 192.168.1.1 || return
	lab_wg gw srv ep_a=10.0.2.1 ep_b=10.0.2.2 a4=$GW_WG/24 b4=$SRV_WG/24 || return
	WG_GW=$(lab_wg_ifname gw)
	WG_SRV=$(lab_wg_ifname srv)
	# The server takes any source from the gateway (clients arrive un-NATed).
	_lab_do "srv allowed-ips" lab_x srv wg set "$WG_SRV" peer "$(cat "$LAB_TMP/wg-gw.pub")" \
		allowed-ips 0.0.0.0/0 || return
	lab_nft gw "ip pdl_dnat" <<-EOF || return
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "pub0" ip daddr $PUBLIC tcp dport 8443 dnat to $SRV_WG:8080
	}
	EOF
	# A firewall that tracks connections, as servers have (conntrack runs in a namespace
	# only when something uses it).
	lab_nft srv "inet pdl_fw" <<-EOF || return
	chain input {
		type filter hook input priority filter; policy accept;
		ct state established,related accept
	}
	EOF
	lab_bg srv listener "$(_lab_python)" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 8080)); s.listen(8); print("ready", flush=True)
while True:
    c, _ = s.accept(); c.close()' "$SRV_WG"
	lab_wait "listener" 10 grep -q ready "$LAB_TMP/listener.log" || return
	# Handshake once so the tunnel carries from the first packet on.
	_lab_do "tunnel ping" lab_x gw ping -c 1 -W 2 "$SRV_WG" || return
}

# connect SPORT [TIMEOUT]: TCP connect from the client's port SPORT to the public address.
connect()
{
	lab_x client "$(_lab_python)" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.settimeout(float(sys.argv[4]))
try:
    s.connect((sys.argv[3], 8443))
except OSError:
    sys.exit(1)' "$CLIENT" "$1" "$PUBLIC" "${2:-3}" >/dev/null 2>&1
}

# run NODE ARGS...: nattrace ARGS in NODE; stdout in OUT, stderr in ERR, status in RC.
run()
{
	local node=$1 e
	shift
	e=$(mktemp)
	OUT=$(lab_x "$node" "$NATTRACE" "$@" 2>"$e")
	RC=$?
	ERR=$(cat "$e")
	rm -f "$e"
}

# kinds: the finding kinds of the JSON document in OUT, space-separated.
kinds()
{
	python3 -c 'import json, sys
print(" ".join(f["kind"] for f in json.loads(sys.argv[1])["findings"]))' "$OUT" 2>/dev/null
}

has_kind()
{
	case " $(kinds) " in
	*" $1 "*) return 0 ;;
	esac
	why "no finding $1 (findings: $(kinds); rc $RC; stderr: ${ERR:0:200})"
}

# fixes KIND VARIANT: the fix commands of finding KIND, variant VARIANT, one per line.
fixes()
{
	python3 -c 'import json, sys
d = json.loads(sys.argv[1])
for f in d["flow"]["findings"]:
    if f["kind"] == sys.argv[2]:
        for x in f["fix"] or []:
            if x["variant"] == sys.argv[3]:
                print(x["command"])' "$OUT" "$1" "$2"
}

# apply NODE: run each line of stdin as a shell command in NODE.
apply()
{
	local node=$1 cmd
	while IFS= read -r cmd; do
		[ -n "$cmd" ] || continue
		lab_x "$node" sh -c "$cmd" >/dev/null || { why "rejected: $cmd"; return 1; }
	done
}

# ---- checks -------------------------------------------------------------------------------

t_broken_connect()
{
	! connect 40001 2 || why "the connect succeeded although replies leave by up0"
}

t_srv_asymmetric()
{
	run srv flow --json $CLIENT $SRV_WG tcp 40001 8080 --iif "$WG_SRV"
	expect rc=2 '["flow"]["iif"]'="$WG_SRV" '["flow"]["reply_route"]["oif"]'=up0 \
		'["flow"]["reply_route"]["gateway"]'=192.168.1.1 '["flow"]["dst_local"]'=True \
		'["flow"]["asymmetric"]'=True '["flow"]["conntrack"][0]["original"]["sport"]'=40001 \
		'["flow"]["conntrack"][0]["original"]["src"]'=$CLIENT \
		'["flow"]["reply_from"]'=conntrack || return
	has_kind asymmetric-reply || return
	[ -n "$(fixes asymmetric-reply 'source rule')" ] || why "no source-rule fix"
}

t_srv_text()
{
	run srv flow $CLIENT $SRV_WG tcp 40001 8080 --iif "$WG_SRV"
	[ -z "${FLOW_SHOW:-}" ] || printf '%s\n' "$OUT" >&2
	printf '%s\n' "$OUT" | head -n 1 | grep -q "^CRITICAL flow tcp $CLIENT:40001 -> $SRV_WG:8080" ||
		{ why "headline: $(printf '%s\n' "$OUT" | head -n 1)"; return; }
	printf '%s\n' "$OUT" | grep -qF "leave by up0, not by $WG_SRV" || { why "no way in/out"; return; }
	printf '%s\n' "$OUT" | grep -qE "^  ip rule add from $SRV_WG lookup [0-9]+ pref [0-9]+$" ||
		why "no ip rule fix line"
}

t_gw_dnat()
{
	run gw flow --json $CLIENT $PUBLIC tcp 40001 8443 --iif pub0
	expect '["flow"]["conntrack"][0]["original"]["dst"]'=$PUBLIC \
		'["flow"]["conntrack"][0]["original"]["dport"]'=8443 \
		'["flow"]["conntrack"][0]["reply"]["src"]'=$SRV_WG \
		'["flow"]["conntrack"][0]["reply"]["sport"]'=8080 \
		'["flow"]["conntrack"][0]["nat"]'="['dnat']" \
		'["flow"]["routed_dst"]'=$SRV_WG '["flow"]["route"]["oif"]'="$WG_GW" \
		'["flow"]["forwarded"]'=True '["flow"]["reply_route"]["oif"]'=pub0 \
		'["flow"]["asymmetric"]'=False
}

t_rp_strict()
{
	lab_sysctl srv net.ipv4.conf.all.rp_filter=1 || { why "sysctl"; return; }
	run srv flow --json $CLIENT $SRV_WG tcp 40001 8080 --iif "$WG_SRV"
	expect rc=2 '["flow"]["rp_filter"]["effective"]'=1 '["flow"]["rp_filter"]["drops"]'=True \
		'["flow"]["rp_filter"]["lookup"]["oif"]'=up0 || return
	has_kind rp-filter-drops-request || return
	fixes rp-filter-drops-request 'loose rp_filter' | apply srv || return
	run srv flow --json $CLIENT $SRV_WG tcp 40001 8080 --iif "$WG_SRV"
	expect '["flow"]["rp_filter"]["effective"]'=2 '["flow"]["rp_filter"]["drops"]'=False || return
	case " $(kinds) " in
	*" rp-filter-drops-request "*) why "still flagged after the loose setting" ;;
	esac
	lab_sysctl srv net.ipv4.conf.all.rp_filter=0
}

# Apply the printed fix of VARIANT (from the broken flow's report), connect from SPORT, and
# expect a clean re-run on the server for that connection.
t_fix()
{
	local variant=$1 sport=$2
	run srv flow --json $CLIENT $SRV_WG tcp 40001 8080 --iif "$WG_SRV"
	fixes asymmetric-reply "$variant" >"$LAB_TMP/fix"
	[ -s "$LAB_TMP/fix" ] || { why "no $variant fix"; return; }
	apply srv <"$LAB_TMP/fix" || return
	connect "$sport" 3 || { why "connect from port $sport still fails after: $(tr '\n' ';' <"$LAB_TMP/fix")"; return; }
	run srv flow --json $CLIENT $SRV_WG tcp "$sport" 8080 --iif "$WG_SRV"
	expect rc=0 '["findings"]'='[]' '["flow"]["reply_route"]["oif"]'="$WG_SRV" \
		'["flow"]["asymmetric"]'=False
}

t_gw_clean()
{
	run gw flow --json $CLIENT $PUBLIC tcp 40002 8443 --iif pub0
	# The server closes at once: the entry is past ESTABLISHED, but it was answered.
	expect rc=0 '["findings"]'='[]' '["flow"]["conntrack"][0]["unreplied"]'=False \
		'["flow"]["conntrack"][0]["nat"]'="['dnat']" '["flow"]["reply_route"]["oif"]'=pub0
}

# Undo the source-rule fix (the lines printed: ip rule add ... / ip route add ... table T).
t_unfix()
{
	local pref table
	pref=$(sed -n 's/^ip rule add from .* pref \([0-9]*\)$/\1/p' "$LAB_TMP/fix")
	table=$(sed -n 's/^ip route add .* table \([0-9]*\)$/\1/p' "$LAB_TMP/fix")
	lab_x srv ip rule del pref "$pref" && lab_x srv ip route flush table "$table" ||
		{ why "could not undo pref $pref table $table"; return; }
	! connect 40009 2 || why "connect works without the fix"
}

t_masquerade()
{
	lab_router_masq gw "$WG_GW" || { why "masquerade"; return; }
	connect 40004 3 || { why "connect with masquerade failed"; return; }
	run gw flow --json $CLIENT $PUBLIC tcp 40004 8443 --iif pub0
	expect rc=1 '["flow"]["conntrack"][0]["reply"]["dst"]'=$GW_WG \
		'["flow"]["conntrack"][0]["nat"]'="['snat', 'dnat']" \
		'["flow"]["conntrack"][0]["reply_to_this_host"]'=True || return
	has_kind masquerade-hides-client
}

t_forwarding_off()
{
	lab_sysctl gw net.ipv4.ip_forward=0 || { why "sysctl"; return; }
	! connect 40006 2 || { why "connect works with forwarding off"; return; }
	run gw flow --json --no-conntrack $CLIENT $SRV_WG tcp 40006 8080 --iif pub0
	expect rc=2 '["flow"]["forwarded"]'=True '["flow"]["forwarding"]["enabled"]'=False || return
	has_kind forwarding-disabled || return
	fixes forwarding-disabled sysctl | grep -qx 'sysctl -w net.ipv4.ip_forward=1' ||
		why "fix is not sysctl -w net.ipv4.ip_forward=1"
	lab_sysctl gw net.ipv4.ip_forward=1
}

t_bad_input()
{
	run srv flow $CLIENT $SRV_WG --iif nosuch0
	[ "$RC" = 3 ] && [ -z "$OUT" ] && [ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] &&
		printf '%s' "$ERR" | grep -q "no interface 'nosuch0'" ||
		{ why "rc $RC, stderr: $ERR"; return; }
	run srv flow 203.0.113.999 $SRV_WG
	[ "$RC" = 3 ] && printf '%s' "$ERR" | grep -q "SRC '203.0.113.999'" ||
		why "rc $RC, stderr: $ERR"
}

lab_require wg wireguard-go nft python3 || exit 1
if build "dnat over wireguard" topo; then
	check "connect hangs: replies leave by the uplink" t_broken_connect
	check "srv: asymmetric reply (json, conntrack)" t_srv_asymmetric
	check "srv: asymmetric reply (text, fix lines)" t_srv_text
	check "gw: DNAT from conntrack, routed into the tunnel" t_gw_dnat
	check "srv: strict rp_filter drops the request; loose clears it" t_rp_strict
	check "srv: source-rule fix works, re-run clean" t_fix 'source rule' 40002
	check "gw: established DNAT connection, no finding" t_gw_clean
	check "srv: fix undone, connect hangs again" t_unfix
	check "srv: connection-mark fix works, re-run clean" t_fix 'connection mark' 40003
	check "gw: masquerade on the tunnel hides the client" t_masquerade
	check "gw: forwarding off" t_forwarding_off
	check "bad input" t_bad_input
	lab_end
fi
echo "$CHECK_TAG: $N_PASS passed, $N_FAIL failed"
[ "$N_FAIL" = 0 ]
