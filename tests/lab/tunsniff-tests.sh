#!/usr/bin/env bash
# tests/lab/tunsniff-tests.sh BUILD_DIR - single-end `tunsniff` in network namespaces (needs
# bash and root; the input checks run without):
#
#   live   a VXLAN tunnel (VNI 42, static neighbours, so nothing but the pings crosses it)
#          between two namespaces; tunsniff -i on the underlay veth while pings of chosen sizes
#          and counts run: tunnel packets per direction, largest inner and outer sizes equal
#          what was sent (inner = ping size + 28, outer = inner + 50: IPv4 20 + UDP 8 + VXLAN 8
#          + inner Ethernet 14); -c N, -G, SIGINT (complete JSON, a -w file tshark counts the
#          same), kernel drop counts, a missing interface, no CAP_NET_RAW.
#   bh     topo wg lendrop (r2 silently drops outer packets above 1454 bytes): tunsniff -i on the
#          client's and on the server's underlay while a TCP transfer and small pings cross the
#          tunnel.  Full-size segments of the 1420-MTU tunnel are 1420-byte inner packets, 1480
#          outer (20 + 8 + 16 + 1420 + 16; 1420 is not a multiple of 16, so the padding stops
#          at the MTU): above 1454, so the client end must show them re-sent with back-off
#          (blackhole-signature, critical) and the server end the receiving view (WireGuard
#          counters missing, nothing of 1000 bytes or more arriving: blackhole-signature,
#          warning).  The same without the drop (bottleneck 1500): 1480-byte packets seen at
#          both ends and no blackhole finding.
#   mss    the Docker case (field report 004): the client is the Docker host, a Linux bridge of
#          MTU 1500 with a "container" namespace on it (veth of the bridge's MTU), its traffic
#          routed into the 1420-MTU WireGuard tunnel and masqueraded (nft) on the tunnel
#          interface.  The container's SYN announces MSS 1500 - 40 = 1460.  tunsniff -i on the
#          tunnel interface reads that interface's MTU over netlink and must flag
#          mss-exceeds-tunnel naming the address the SYN carries on the tunnel (the host's
#          tunnel address, after NAT: tshark confirms source and MSS, the masquerade counter
#          moved, the container's address is nowhere on the tunnel), 1460 > 1420 - 40, with
#          the SYN's frame as evidence.  With an nft rule clamping the MSS to the route MTU
#          on forward, tshark sees MSS 1380 = 1420 - 40 and there is no finding.
#   mssrouted  the same without NAT (the peer routes the container's prefix back): the
#          finding names the container's own address.
# Prints "tunsniff-lab: N passed, M failed".

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=$(cd "${1:-build}" && pwd)
TSN=$BUILD_DIR/tunsniff
# shellcheck source=tests/lab/topo.sh
. "$LAB_DIR/topo.sh"
CHECK_TAG=tunsniff-lab
# shellcheck source=tests/lab/check.sh
. "$LAB_DIR/check.sh"
# shellcheck source=tests/lab/wgtraffic.sh
. "$LAB_DIR/wgtraffic.sh"

W=$(mktemp -d "${TMPDIR:-/tmp}/pd-tsnlab.XXXXXX")
chmod 755 "$W"
trap '[ -n "${TSNLAB_KEEP:-}" ] || rm -rf "$W"' EXIT
OUT=
ERR=
RC=

# findings KIND: the findings of that kind in $OUT, one "severity<TAB>message" line each.
findings()
{
	python3 -c 'import json, sys
for f in json.loads(sys.argv[1])["findings"]:
    if f["kind"] == sys.argv[2]:
        print(f["severity"] + "\t" + f["message"])' "$OUT" "$1" 2>/dev/null
}

# load FILE: a tunsniff --json log into OUT (RC: the exit status the caller saved beside it).
load()
{
	OUT=$(cat "$1")
	RC=$(cat "$1.rc" 2>/dev/null)
	ERR=
}

# tsn_bg NODE NAME ARGS...: tunsniff in NODE in the background, JSON into $W/NAME.json and its
# exit status into $W/NAME.json.rc (a wrapper shell waits for it).
tsn_bg()
{
	local node=$1 name=$2
	shift 2
	lab_bg "$node" "tsn-$name" sh -c '"$@" >"$0"; echo $? >"$0.rc"' "$W/$name.json" \
		"$TSN" --json "$@"
}

# tsn_ready NAME: wait until the background tunsniff has its capture open (it has dropped its
# capabilities once the sources are open: CapEff all zero).
_tsn_open()
{
	local p
	p=$(pgrep -P "$1" -x tunsniff) || return 1
	grep -q '^CapEff:[[:space:]]*0*$' "/proc/$p/status"
}

tsn_ready()
{
	lab_wait "tunsniff $2 ready" 10 _tsn_open "$1"
}

# tsn_stop PID: SIGINT to the tunsniff under the wrapper shell PID, then wait for it.
tsn_stop()
{
	local p
	p=$(pgrep -P "$1" -x tunsniff) && kill -s INT "$p"
	wait "$1" 2>/dev/null
}

# ---- input errors (no lab) ----------------------------------------------------------------

t_bad()
{
	run_tsn "$@"
	[ "$RC" = 3 ] || { why "exit $RC, want 3"; return; }
	[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || { why "stderr not one line: $ERR"; return; }
	case $ERR in tunsniff:*) ;; *) why "stderr: $ERR"; return ;; esac
	[ -z "${EXPECT_ERR:-}" ] || case $ERR in *"$EXPECT_ERR"*) ;;
		*) why "stderr '$ERR' lacks '$EXPECT_ERR'" ;; esac
}

run_tsn()
{
	local e
	e=$(mktemp)
	OUT=$("$TSN" "$@" 2>"$e")
	RC=$?
	ERR=$(cat "$e")
	rm -f "$e"
}

# ---- live capture basics ------------------------------------------------------------------

LIVE_SIZES="56 1000 1300"
LIVE_COUNTS="4 3 2"
VX_OVH=50

live_build()
{
	topo_vxlan
}

live_pings()
{
	local s c sizes=($LIVE_SIZES) counts=($LIVE_COUNTS) i
	for i in "${!sizes[@]}"; do
		s=${sizes[$i]}
		c=${counts[$i]}
		lab_x a ping -c "$c" -i 0.05 -W 1 -s "$s" 10.98.0.2 >/dev/null || return
	done
}

t_live_counts()
{
	local sizes=($LIVE_SIZES) counts=($LIVE_COUNTS) i n=0 max=0 d='["tunnels"][0]'
	for i in "${!sizes[@]}"; do
		n=$((n + counts[i]))
		[ "${sizes[$i]}" -gt "$max" ] && max=${sizes[$i]}
	done
	load "$W/live.json"
	expect rc=0 '["stop_reason"]=signal' "[\"totals\"][\"frames\"]=$((2 * n))" \
		"[\"totals\"][\"tunnelled\"][\"vxlan\"]=$((2 * n))" "$d[\"kind\"]=vxlan" \
		"$d[\"vni\"]=42" "$d[\"directions\"][0][\"from\"]=10.0.1.1" \
		"$d[\"directions\"][0][\"packets\"]=$n" "$d[\"directions\"][1][\"packets\"]=$n" \
		"$d[\"directions\"][0][\"max_inner\"]=$((max + 28))" \
		"$d[\"directions\"][1][\"max_inner\"]=$((max + 28))" \
		"$d[\"max_outer\"]=$((max + 28 + VX_OVH))" "$d[\"overhead\"][\"value\"]=$VX_OVH" \
		"$d[\"overhead\"][\"provenance\"]=measured"
}

t_live_pcap()
{
	local sizes=($LIVE_SIZES) counts=($LIVE_COUNTS) i n=0 got
	for i in "${!counts[@]}"; do n=$((n + counts[i])); done
	load "$W/live.json"
	got=$(tshark -r "$W/live.pcap" -Y 'vxlan && icmp' 2>/dev/null | wc -l)
	[ "$got" = $((2 * n)) ] || { why "tshark counts $got ICMP-in-VXLAN frames, want $((2 * n))"; return; }
	got=$(tshark -r "$W/live.pcap" 2>/dev/null | wc -l)
	expect "[\"totals\"][\"frames\"]=$got"
}

t_live_stats()
{
	load "$W/live.json"
	expect '["sources"][0]["live"]=True' '["sources"][0]["stats"]["dropped"]=0' \
		'["sources"][0]["stats"]["if_dropped"]=0' '["sources"][0]["interface"]["mtu"]["value"]=1500' \
		'["sources"][0]["interface"]["mtu_used_for_mss"]=False' || return
	[ "$(jget '["sources"][0]["stats"]["received"]')" -ge "$(jget '["totals"]["frames"]')" ] ||
		why "kernel received fewer than frames"
}

t_count()
{
	local p
	tsn_bg a count -i b -c 5 udp port 4789
	p=$LAB_LAST_PID
	tsn_ready "$p" count || return
	lab_x a ping -c 10 -i 0.05 -W 1 10.98.0.2 >/dev/null
	lab_wait "tunsniff -c exits" 5 _lab_gone "$p" || { tsn_stop "$p"; why "-c 5 did not stop"; return; }
	wait "$p" 2>/dev/null
	load "$W/count.json"
	expect rc=0 '["stop_reason"]=count' '["totals"]["frames"]=5' '["sources"][0]["frames"]=5'
}

t_duration()
{
	local t0 t1
	t0=$(date +%s%N)
	OUT=$(lab_x a "$TSN" --json -i b -G 1 udp port 4789 2>/dev/null)
	RC=$?
	t1=$(date +%s%N)
	expect rc=0 '["stop_reason"]=duration' || return
	[ $(((t1 - t0) / 1000000)) -ge 1000 ] && [ $(((t1 - t0) / 1000000)) -lt 3000 ] ||
		why "-G 1 took $(((t1 - t0) / 1000000)) ms"
}

t_missing_if()
{
	local e
	e=$(lab_x a "$TSN" -i pdl-no-such0 2>&1 >/dev/null)
	RC=$?
	[ "$RC" = 3 ] || { why "exit $RC"; return; }
	[ "$(printf '%s\n' "$e" | wc -l)" = 1 ] || { why "stderr: $e"; return; }
	case $e in "tunsniff: pdl-no-such0: no such interface"*) ;; *) why "stderr: $e" ;; esac
}

t_nobody()
{
	local e
	e=$(lab_x a setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		--bounding-set=-all "$TSN" -i b -c 1 2>&1 >/dev/null)
	RC=$?
	[ "$RC" = 3 ] || { why "exit $RC: $e"; return; }
	[ "$(printf '%s\n' "$e" | wc -l)" = 1 ] || { why "stderr: $e"; return; }
	case $e in *CAP_NET_RAW*) ;; *) why "stderr does not name CAP_NET_RAW: $e" ;; esac
}

sec_live()
{
	local p
	build "two namespaces, VXLAN 42 over a veth" live_build || return
	tsn_bg a live -i b -w "$W/live.pcap" udp port 4789
	p=$LAB_LAST_PID
	if tsn_ready "$p" live && live_pings; then
		tsn_stop "$p"
		check "SIGINT: complete JSON, per-direction packets and largest inner/outer = pings sent" \
			t_live_counts
		check "SIGINT: the -w file is complete (tshark counts the same frames)" t_live_pcap
		check "kernel drop counts reported (0 dropped), interface MTU 1500 from netlink" \
			t_live_stats
	else
		tsn_stop "$p"
		bad "live capture around pings" "$(tail -n 1 "$LAB_TMP/tsn-live.log")"
	fi
	check "-c 5: stops after 5 frames" t_count
	check "-G 1: stops after about a second" t_duration
	check "missing interface: one line, exit 3" t_missing_if
	check "as nobody: one line naming CAP_NET_RAW, exit 3" t_nobody
	lab_end
}

# ---- single-end blackhole signature ---------------------------------------------------------

# bh_run NAME: tunsniff -i on both underlay ends while small pings (every 0.2 s) and a TCP
# transfer cross the tunnel.
bh_run()
{
	local name=$1 pa pb pp
	tsn_bg client "$name-a" -i "$TOPO_CLIENT_IF"
	pa=$LAB_LAST_PID
	tsn_bg server "$name-b" -i "$TOPO_SERVER_IF"
	pb=$LAB_LAST_PID
	tsn_ready "$pa" "$name-a" && tsn_ready "$pb" "$name-b" || return
	tcp_server || return
	lab_bg client pings ping -c 40 -i 0.2 -W 1 "$TOPO_WG_SERVER4"
	pp=$LAB_LAST_PID
	sleep 0.5
	tcp_send client 200000 6
	wait "$pp" 2>/dev/null
	tsn_stop "$pa"
	tsn_stop "$pb"
}

# t_bh_sender FILE: the client's view: re-sends of full-size segments with back-off.
t_bh_sender()
{
	local full f sev msg other
	full=$(wg_outer "$TOPO_WG_MTU" "$TOPO_WG_MTU")
	load "$1"
	expect rc=2 || return
	f=$(findings blackhole-signature)
	[ "$(printf '%s\n' "$f" | grep -c .)" = 1 ] || { why "blackhole findings: '$f'"; return; }
	sev=${f%%$'\t'*}
	msg=${f#*$'\t'}
	[ "$sev" = critical ] || { why "severity $sev"; return; }
	case $msg in
	"wireguard $TOPO_CLIENT4:51820 -> $TOPO_SERVER4:51820: $full-byte outer packets re-sent "*) ;;
	*) why "message: $msg"; return ;;
	esac
	[ "$full" -gt "$TOPO_MTU" ] || { why "lab error: $full fits $TOPO_MTU"; return; }
	other=$(sed -n 's/.*the other way carries at most \([0-9]*\) bytes.*/\1/p' <<<"$msg")
	[ -n "$other" ] && [ "$other" -le "$TOPO_MTU" ] || { why "other way '$other' bytes"; return; }
	[ "$(jget '["findings"][0]["frames"].__len__()')" -ge 3 ] || why "fewer than 3 evidence frames"
}

# t_bh_receiver FILE: the server's view: the client's counters have gaps, nothing large came.
t_bh_receiver()
{
	local f sev msg most
	load "$1"
	expect rc=1 || return
	f=$(findings blackhole-signature)
	[ "$(printf '%s\n' "$f" | grep -c .)" = 1 ] || { why "blackhole findings: '$f'"; return; }
	sev=${f%%$'\t'*}
	msg=${f#*$'\t'}
	[ "$sev" = warning ] || { why "severity $sev"; return; }
	case $msg in
	"wireguard $TOPO_CLIENT4:51820 -> $TOPO_SERVER4:51820 (receiving end): "*) ;;
	*) why "message: $msg"; return ;;
	esac
	most=$(sed -n 's/.*arrivals all <= \([0-9]*\) bytes.*/\1/p' <<<"$msg")
	[ -n "$most" ] && [ "$most" -le "$TOPO_MTU" ] || { why "arrived at most '$most'"; return; }
	# the largest packet the server saw from the client equals what the finding says
	expect "[\"tunnels\"][0][\"directions\"][0][\"max_outer\"]=$most" \
		'["tunnels"][0]["directions"][0]["from"]='"$TOPO_CLIENT4"
}

# t_bh_none FILE: no blackhole finding, and full-size packets were there to be lost.
t_bh_none()
{
	load "$1"
	[ -z "$(findings blackhole-signature)" ] || { why "$(findings blackhole-signature)"; return; }
	expect "[\"tunnels\"][0][\"max_outer\"]=$(wg_outer "$TOPO_WG_MTU" "$TOPO_WG_MTU")" \
		'["tunnels"][0]["kind"]=wireguard'
}

sec_bh()
{
	build "wg lendrop 1454, tunnel mtu 1420" topo_wg lendrop mtu=1420 bottleneck=1454 || return
	if bh_run drop; then
		check "client end: blackhole-signature (critical), full-size outer packets re-sent" \
			t_bh_sender "$W/drop-a.json"
		check "server end: blackhole-signature receiving view (warning), only small arrived" \
			t_bh_receiver "$W/drop-b.json"
	else
		bad "captures on both ends" "capture failed"
	fi
	lab_end
	build "wg without drop (bottleneck 1500)" topo_wg pmtud mtu=1420 bottleneck=1500 || return
	if bh_run clean; then
		check "no drop, client end: full-size packets, no blackhole finding" \
			t_bh_none "$W/clean-a.json"
		check "no drop, server end: full-size packets, no blackhole finding" \
			t_bh_none "$W/clean-b.json"
	else
		bad "captures on both ends" "capture failed"
	fi
	lab_end
}

# ---- the Docker-like MSS case -----------------------------------------------------------------

CTR4=172.18.0.2
BRIDGE4=172.18.0.1
CTR_NET=172.18.0.0/24
BRIDGE_MTU=1500

# mss_build routed|masq: topo wg (no drop) with the client as the Docker host: a Linux bridge
# br0 of MTU $BRIDGE_MTU in its namespace, a "ctr" namespace on it (the container's veth of the
# bridge's MTU, as Docker makes it), forwarding on, default route of the container via br0.
# masq: the host masquerades what leaves through the tunnel interface (nft, as Docker and
# wg-quick setups do), so the peer only ever sees the host's tunnel address.  routed: no NAT;
# the server accepts and routes the container's prefix through its tunnel interface.
mss_build()
{
	local mode=$1 ns_c
	topo_wg pmtud mtu=1420 bottleneck=1500 || return
	ns_c=$LAB_PREFIX$TOPO_CLIENT
	lab_node ctr || return
	_lab_do "bridge br0" ip -n "$ns_c" link add br0 mtu "$BRIDGE_MTU" type bridge || return
	_lab_do "br0 up" ip -n "$ns_c" link set br0 up || return
	lab_addr client br0 "$BRIDGE4/24" || return
	lab_link ctr client mtu="$BRIDGE_MTU" if_a=eth0 if_b=vctr a4="$CTR4/24" || return
	_lab_do "vctr on br0" ip -n "$ns_c" link set vctr master br0 || return
	lab_route ctr default "$BRIDGE4" || return
	lab_sysctl client net.ipv4.ip_forward=1 || return
	if [ "$mode" = masq ]; then
		lab_router_masq client "$TOPO_WG_CLIENT_IF" "$CTR_NET" || return
	else
		_lab_do "server: container prefix allowed from the client" ip netns exec \
			"$LAB_PREFIX$TOPO_SERVER" wg set "$TOPO_WG_SERVER_IF" \
			peer "$(cat "$LAB_TMP/wg-client.pub")" \
			allowed-ips "$TOPO_WG_CLIENT4/32,$TOPO_WG_CLIENT6/128,$CTR_NET" || return
		_lab_do "server: route to the container" ip -n "$LAB_PREFIX$TOPO_SERVER" route \
			replace "$CTR_NET" dev "$TOPO_WG_SERVER_IF" || return
	fi
	[ "$(lab_mtu ctr eth0)" = "$BRIDGE_MTU" ] && [ "$(lab_mtu client br0)" = "$BRIDGE_MTU" ] &&
		[ "$(lab_mtu client "$TOPO_WG_CLIENT_IF")" = "$TOPO_WG_MTU" ] ||
		{ _lab_fail mss_build "MTUs are not bridge $BRIDGE_MTU / tunnel $TOPO_WG_MTU"; return 1; }
	lab_x ctr ping -c 1 -W 2 "$TOPO_WG_SERVER4" >/dev/null ||
		{ _lab_fail mss_build "container cannot reach $TOPO_WG_SERVER4"; return 1; }
}

# mss_run NAME: tunsniff -i on the client's tunnel interface (-w NAME.pcap for tshark) while the
# container connects to the sink on the server's tunnel address.
mss_run()
{
	local p
	tsn_bg client "$1" -i "$TOPO_WG_CLIENT_IF" -w "$W/$1.pcap"
	p=$LAB_LAST_PID
	tsn_ready "$p" "$1" || return
	tcp_send ctr 16384
	sleep 0.3
	tsn_stop "$p"
}

# syn_truth NAME: "frame source mss" of each SYN (not SYN-ACK) towards the sink port, as tshark
# decodes NAME.pcap.
syn_truth()
{
	tshark -r "$W/$1.pcap" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 5001' \
		-T fields -e frame.number -e ip.src -e tcp.options.mss_val 2>/dev/null
}

# t_mss_flag NAME SRC: one warning naming SRC (the address the SYN carries on the tunnel), the
# MSS the container's kernel derived from the bridge MTU and the tunnel MTU the lab set; its
# evidence frame is the SYN tshark finds, which carries that source and MSS.
t_mss_flag()
{
	local f want src=$2 truth
	want="SYN from $src (address as seen on the tunnel, after any NAT) announces MSS $((BRIDGE_MTU - 40)), more than $((TOPO_WG_MTU - 40)) that tunnel MTU $TOPO_WG_MTU allows (configured MTU of the tunnel interface captured on)"
	load "$W/$1.json"
	expect rc=1 '["sources"][0]["interface"]["mtu"]["value"]='"$TOPO_WG_MTU" \
		'["sources"][0]["interface"]["mtu"]["provenance"]=configured' \
		'["sources"][0]["interface"]["mtu_used_for_mss"]=True' || return
	truth=$(syn_truth "$1")
	[ "$(printf '%s\n' "$truth" | grep -c .)" = 1 ] || { why "tshark SYNs: '$truth'"; return; }
	[ "$(cut -f2,3 <<<"$truth")" = "$src"$'\t'"$((BRIDGE_MTU - 40))" ] ||
		{ why "tshark: SYN source/MSS '$truth', want $src $((BRIDGE_MTU - 40))"; return; }
	f=$(findings mss-exceeds-tunnel)
	[ "$(printf '%s\n' "$f" | grep -c .)" = 1 ] || { why "mss findings: '$f'"; return; }
	[ "${f#*$'\t'}" = "$want" ] || { why "message '${f#*$'\t'}', want '$want'"; return; }
	[ "${f%%$'\t'*}" = warning ] || { why "severity ${f%%$'\t'*}"; return; }
	expect '["findings"][0]["frames"][0]["frame"]='"$(cut -f1 <<<"$truth")"
}

# t_mss_masq_proof: the container's SYN left through the masquerade rule (its counter moved)
# and its address never appears in the tunnel capture.
t_mss_masq_proof()
{
	local n
	n=$(lab_nft_counter client ip pdl_nat masq)
	[ "${n:-0}" -ge 1 ] || { why "masquerade counter '$n'"; return; }
	n=$(tshark -r "$W/mss.pcap" -T fields -e frame.number 2>/dev/null | wc -l)
	[ "$n" -ge 1 ] || { why "no frames in the tunnel capture $W/mss.pcap"; return; }
	n=$(tshark -r "$W/mss.pcap" -Y "ip.addr == $CTR4" 2>/dev/null) ||
		{ why "tshark cannot read $W/mss.pcap"; return; }
	[ -z "$n" ] || why "frames on the tunnel carry the container's address $CTR4: $n"
}

# t_mss_clamped: with the clamp the SYN on the tunnel carries MSS tunnel MTU - 40 (tshark) and
# there is no finding, although the SYN was judged (one SYN with MSS counted).
t_mss_clamped()
{
	local truth
	load "$W/mss-clamped.json"
	expect rc=0 '["sources"][0]["interface"]["mtu_used_for_mss"]=True' \
		'["totals"]["syn_mss"]=1' || return
	truth=$(syn_truth mss-clamped)
	[ "$(printf '%s\n' "$truth" | grep -c .)" = 1 ] || { why "tshark SYNs: '$truth'"; return; }
	[ "$(cut -f2,3 <<<"$truth")" = "$TOPO_WG_CLIENT4"$'\t'"$((TOPO_WG_MTU - 40))" ] ||
		{ why "tshark: SYN source/MSS '$truth', want $TOPO_WG_CLIENT4 $((TOPO_WG_MTU - 40))"; return; }
	[ -z "$(findings mss-exceeds-tunnel)" ] || why "$(findings mss-exceeds-tunnel)"
}

sec_mss()
{
	build "docker host: container on a $BRIDGE_MTU bridge, masquerade into wg mtu 1420" \
		mss_build masq || return
	tcp_server || { bad "tcp sink" "did not start"; lab_end; return; }
	if mss_run mss; then
		check "masquerade: mss-exceeds-tunnel names $TOPO_WG_CLIENT4 (after NAT), MSS 1460 > 1380" \
			t_mss_flag mss "$TOPO_WG_CLIENT4"
		check "masquerade: the SYN was NATed (counter), no container address on the tunnel" \
			t_mss_masq_proof
	else
		bad "capture on the tunnel interface" "failed"
	fi
	lab_nft client pdl_clamp <<-EOF || { bad "nft clamp" "rule not loaded"; lab_end; return; }
	chain forward {
		type filter hook forward priority mangle; policy accept;
		tcp flags syn tcp option maxseg size set rt mtu
	}
	EOF
	if mss_run mss-clamped; then
		check "MSS clamped to the route MTU on forward: SYN MSS 1380 on the tunnel, no finding" \
			t_mss_clamped
	else
		bad "capture on the tunnel interface (clamped)" "failed"
	fi
	lab_end
}

# sec_mssrouted: the same without NAT: the finding names the container's own address.
sec_mssrouted()
{
	build "container on a $BRIDGE_MTU bridge routed (no NAT) into wg mtu 1420" \
		mss_build routed || return
	tcp_server || { bad "tcp sink" "did not start"; lab_end; return; }
	if mss_run mss-routed; then
		check "routed: mss-exceeds-tunnel names the container $CTR4, MSS 1460 > 1380" \
			t_mss_flag mss-routed "$CTR4"
	else
		bad "capture on the tunnel interface" "failed"
	fi
	lab_end
}

main()
{
	local sec t0
	[ -x "$TSN" ] || { echo "tunsniff-lab: $TSN missing; run 'make'" >&2; exit 1; }
	t0=$(date +%s)
	EXPECT_ERR="no such interface" check "missing interface (host): one line, exit 3" \
		t_bad -i pdl-no-such0
	if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
		echo "tunsniff-lab: SKIP lab: needs root and network namespaces"
	elif ! command -v wireguard-go >/dev/null || ! command -v wg >/dev/null ||
		! command -v tshark >/dev/null; then
		echo "tunsniff-lab: SKIP lab: needs wireguard-go, wg and tshark"
	else
		lab_sweep_stale
		for sec in ${TUNSNIFF_SECTIONS:-live bh mss mssrouted}; do
			"sec_$sec"
		done
	fi
	printf 'tunsniff-lab: %d passed, %d failed (%d s)\n' "$N_PASS" "$N_FAIL" \
		$(($(date +%s) - t0))
	[ "$N_FAIL" = 0 ]
}

main "$@"
