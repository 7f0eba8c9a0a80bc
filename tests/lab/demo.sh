#!/usr/bin/env bash
# tests/lab/demo.sh BUILD_DIR - `make demo`: WireGuard with MTU 1420 over a 1454-byte bottleneck
# (field report 003: a DS-Lite/IPoE access line), built in network namespaces, needs root.
#
# Builds the lab, shows the symptom (small pings through the tunnel pass, full-size ones
# vanish), records the tunnel's underlay traffic to BUILD_DIR/demo/wg-underlay.pcap, runs the
# mtuprobe on the underlay and through the tunnel, shows the fix (tunnel MTU 1394 = 1454 - 60), tears down.

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-build}
# shellcheck source=tests/lab/topo.sh
. "$LAB_DIR/topo.sh"

say()
{
	printf '%s\n' "$*"
}

# run NODE CMD...: show the command as typed inside the namespace, then run it.
run()
{
	local node=$1
	shift
	printf '  [%s]# %s\n' "$node" "$*"
	lab_x "$node" "$@" 2>&1 | sed 's/^/    /'
	return "${PIPESTATUS[0]}"
}

# inner_ping SIZE: 3 DF pings through the tunnel; one summary line.
inner_ping()
{
	local out rx
	out=$(lab_x client ping -n -Mdo -c 3 -i 0.2 -W 1 -s "$1" "$TOPO_WG_SERVER4" 2>&1) || true
	rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
	printf '  ping -M do -s %-4s (inner packet %4d bytes): %s of 3 answered\n' "$1" \
		$(($1 + 28)) "${rx:-0}"
}

main()
{
	local pcap cap tool dst n
	set -e
	trap 'say "demo: failed at line $LINENO" >&2' ERR
	if [ "$(id -u)" != 0 ]; then
		say "demo: needs root (it builds network namespaces)" >&2
		exit 1
	fi
	# shellcheck disable=SC2119 # default prefix
	lab_begin
	topo_wg blackhole

	say "== The lab ($LAB_PREFIX*, removed on exit)"
	say "  client 10.0.1.2 -- r1 ==[link MTU $TOPO_MTU]== r2 -- server 10.0.3.2"
	say "  WireGuard ($(lab_wg_kind)) between client and server: $TOPO_WG_CLIENT4 <-> $TOPO_WG_SERVER4,"
	say "  tunnel MTU $TOPO_WG_MTU (the usual default), UDP port $TOPO_WG_PORT over IPv4."
	say "  r1 and r2 drop their ICMP 'fragmentation needed' errors, as broken paths do,"
	say "  so nobody tells the sender that $TOPO_MTU is the limit."
	say "  A full-size inner packet ($TOPO_WG_MTU bytes) becomes $((TOPO_WG_MTU + 60)) bytes outside"
	say "  (+16 WireGuard header, +16 auth tag, +8 UDP, +20 IPv4): more than $TOPO_MTU."
	say ""

	pcap=$LAB_TMP/wg-underlay.pcap
	lab_capture_start client "$TOPO_CLIENT_IF" "$pcap"
	cap=$LAB_LAST_PID

	say "== The symptom: pings through the tunnel, with DF set"
	inner_ping 56
	inner_ping 1364
	inner_ping 1392
	say "  Small packets pass; a full-size one (1420) vanishes without an error. The largest"
	say "  that passes is 1392 bytes: WireGuard pads to 16, so 1393..1420 all leave as >= 1468."
	say ""
	lab_capture_stop "$cap"

	say "== What the underlay saw (client side): tunsniff on the capture"
	say "  [client]\$ tunsniff -r wg-underlay.pcap"
	"$BUILD_DIR/tunsniff" -r "$pcap" 2>&1 | sed 's/^/  /' || true
	mkdir -p "$BUILD_DIR/demo"
	cp "$pcap" "$BUILD_DIR/demo/wg-underlay.pcap"
	say "  saved: $BUILD_DIR/demo/wg-underlay.pcap"
	# libpathdiag's decoders read the same capture; tshark checks every field.
	if [ -x "$BUILD_DIR/tests/conformance" ]; then
		sh "$LAB_DIR/../truth.sh" "$BUILD_DIR/demo" >/dev/null 2>&1 &&
			"$BUILD_DIR/tests/conformance" "$BUILD_DIR/demo" >"$BUILD_DIR/demo/conformance.txt" 2>&1
		say "  libpathdiag decoded it; tshark agrees: $(tail -n 1 "$BUILD_DIR/demo/conformance.txt")"
	fi
	say ""

	say "== mtuprobe on the underlay: the path the tunnel's outer packets take"
	say "  [client]\$ mtuprobe -e wireguard $TOPO_SERVER4"
	lab_x client "$BUILD_DIR/mtuprobe" -e wireguard "$TOPO_SERVER4" 2>&1 | sed 's/^/  /' || true
	say ""
	say "== mtuprobe through the tunnel: what the tunnel really carries"
	say "  [client]\$ mtuprobe $TOPO_WG_SERVER4"
	lab_x client "$BUILD_DIR/mtuprobe" "$TOPO_WG_SERVER4" 2>&1 | sed 's/^/  /' || true
	say "  The tunnel claims MTU $TOPO_WG_MTU but carries less: WireGuard pads what it"
	say "  encrypts to 16 bytes, so the largest inner packets grow past the 1454 path."
	say ""

	tool=$(lab_wg_ifname client)
	say "== mtuprobe tunnel: is the tunnel's MTU right, and what to set"
	say "  [client]\$ mtuprobe tunnel $tool"
	lab_x client "$BUILD_DIR/mtuprobe" tunnel "$tool" 2>&1 | sed 's/^/  /' || true
	say ""
	say "== The fix it printed: tunnel MTU 1454 - 60 = 1394 at both ends"
	for n in client server; do
		dst=$(lab_wg_ifname "$n")
		run "$n" ip link set dev "$dst" mtu 1394
	done
	say "  [client]\$ mtuprobe tunnel $tool"
	lab_x client "$BUILD_DIR/mtuprobe" tunnel "$tool" 2>&1 | head -n 1 | sed 's/^/  /' || true
	inner_ping 1366
	say "  A full-size inner packet (1394) now leaves as exactly 1454 bytes and arrives."
	say ""
	lab_end
	say "demo: lab removed"
}

main "$@"
