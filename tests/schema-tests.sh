#!/usr/bin/env bash
# tests/schema-tests.sh BUILD_DIR [offline|lab] - every tool's JSON output validated against
# its JSON Schema in docs/schema/ (draft 2020-12) by tests/schema-validate.py, which uses
# Debian's python3-jsonschema.
#
# offline (no network, no root): tunsniff on every capture in CAPTURES (../shared/captures)
#   and on every gencap scenario; `tunsniff record` on generated captures and `correlate` on
#   those captures and record files; error documents (missing files, a missing interface);
#   `mtuprobe check` on every wg-quick fixture in tests/configs/ (alone, with the underlays
#   tests/check-tests.sh declares, together) and on unreadable files.
# lab (root; lab namespaces from tests/lab/topo.sh, only their addresses, removed on exit):
#   chain: mtuprobe HOST search (ICMP and UDP, IPv4 and IPv6, --encap), --hops, --peer against
#   `mtuprobe serve --json` (whose own document is validated when it stops), nattrace path
#   mode (UDP, TCP, ICMP), --peer, flow on a router; nat: nattrace path and --peer through a
#   masquerade, conntrack (entries and --count) and watch (NDJSON, every line; also one that
#   loses events and resynchronises) on the home router; wg: `mtuprobe tunnel` on a
#   wireguard-go interface, live `tunsniff -i`, `record -i` on both underlay ends and
#   `correlate` of the two; error documents of each tool.
#
# Validation runs in strict mode: an object member the schema does not name is an error, so
# a field added to a renderer without its schema fails here (the published schemas stay open
# for consumers; docs/schema/README.md).  Each document's exit_code must also equal the exit
# status of the run that wrote it.  A negative self-check mutates valid documents (a wrong
# type, a verdict outside the enum, a required member removed, an undocumented member) and
# every mutation must be rejected, so this test can fail.
# Prints "schema: N passed, M failed"; exit 1 on failure.  lab without root: SKIP, exit 0.

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD_DIR=$(cd "${1:-build}" && pwd) || exit 1
MODE=${2:-offline}
CAPTURES=${CAPTURES:-$ROOT/../shared/captures}
SCHEMAS=$ROOT/docs/schema
MTUPROBE=$BUILD_DIR/mtuprobe
TSN=$BUILD_DIR/tunsniff
NT=$BUILD_DIR/nattrace
GEN=$BUILD_DIR/gencap

# The interpreter that has jsonschema with draft 2020-12 (python3-jsonschema on Debian 12).
PY=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'from jsonschema import Draft202012Validator' 2>/dev/null; then
		PY=$p
		break
	fi
done
if [ -z "$PY" ]; then
	echo "schema: FAIL python3-jsonschema is not installed (make deps)"
	exit 1
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/pd-schema.XXXXXX")
OUTD=$W/out
mkdir -p "$OUTD"
trap '[ -n "${SCHEMA_KEEP:-}" ] || rm -rf "$W"' EXIT
SETUP_FAIL=0

# save SCHEMA NAME RC: the document on stdin becomes OUTD/SCHEMA/NAME.json, with its exit
# status beside it in NAME.rc (the validator compares it with exit_code).
save()
{
	mkdir -p "$OUTD/$1"
	cat >"$OUTD/$1/$2.json"
	echo "$3" >"$OUTD/$1/$2.rc"
}

# doc SCHEMA NAME CMD...: run CMD (which writes one JSON document) and save its output.
doc()
{
	local schema=$1 name=$2 rc
	shift 2
	"$@" >"$W/stdout" 2>"$W/stderr"
	rc=$?
	save "$schema" "$name" "$rc" <"$W/stdout"
}

# setup_fail WHAT: something the documents depend on could not be made.
setup_fail()
{
	echo "schema: FAIL setup: $*"
	SETUP_FAIL=$((SETUP_FAIL + 1))
}

offline()
{
	local f n s
	# tunsniff on every shared capture.
	for f in "$CAPTURES"/*.pcap "$CAPTURES"/*.pcapng; do
		[ -f "$f" ] || continue
		n=$(basename "$f")
		doc tunsniff "capture-${n%.*}" "$TSN" --json -r "$f"
	done
	ls "$OUTD/tunsniff" >/dev/null 2>&1 || setup_fail "no captures in $CAPTURES"
	# ... and on every generated scenario, plus records and correlate of those.
	for s in $("$GEN" --list 2>/dev/null | awk '{print $1}'); do
		"$GEN" "$s" -c 40 -o "$W/$s.pcap" >/dev/null 2>&1 || { setup_fail "gencap $s"; continue; }
		doc tunsniff "gen-$s" "$TSN" --json -r "$W/$s.pcap"
	done
	[ -f "$W/wg.pcap" ] || setup_fail "gencap --list names no wg scenario"
	doc tunsniff two-sources "$TSN" --json -r "$W/wg.pcap" -r "$W/ip6tnl-tel.pcap"
	for s in wg ip6tnl-tel bh-rx vxlan; do
		[ -f "$W/$s.pcap" ] || continue
		doc tunsniff-record "record-$s" "$TSN" record --json -r "$W/$s.pcap" --records "$W/$s.rec"
		doc tunsniff-correlate "correlate-$s-pcap" "$TSN" correlate --json "$W/$s.pcap" \
			"$W/$s.pcap"
		doc tunsniff-correlate "correlate-$s-rec" "$TSN" correlate --json "$W/$s.rec" \
			"$W/$s.pcap"
	done
	# Error documents.
	doc tunsniff err-missing "$TSN" --json -r "$W/no-such.pcap"
	head -c 100 "$W/wg.pcap" >"$W/cut.pcap"
	doc tunsniff err-cut "$TSN" --json -r "$W/cut.pcap"
	doc tunsniff-correlate err-missing "$TSN" correlate --json "$W/no-such.pcap" "$W/wg.pcap"
	doc tunsniff-correlate err-garbage "$TSN" correlate --json "$W/cut.pcap" "$W/wg.pcap"
	doc tunsniff-record err-missing "$TSN" record --json -r "$W/no-such.pcap" \
		--records "$W/x.rec"
	doc mtuprobe-tunnel err-no-iface "$MTUPROBE" tunnel --json pd-no-such0
	offline_check
}

# mtuprobe check --json on every wg-quick fixture in tests/configs/: each alone without and
# with an underlay, the runs tests/check-tests.sh makes (--underlay, --path-mtu, --measured,
# files checked together), all of them together, and unreadable files (error documents).
offline_check()
{
	local C=$ROOT/tests/configs f n all=()
	local G=$C/004/gateway/wg0.conf
	for f in "$C"/*.conf "$C"/*/*/*.conf; do
		[ -f "$f" ] || continue
		all+=("$f")
		n=${f#"$C"/}
		n=${n%.conf}
		n=${n//\//-}
		doc mtuprobe-check "$n" "$MTUPROBE" check --json "$f"
		doc mtuprobe-check "$n-1500" "$MTUPROBE" check --json --path-mtu 1500 "$f"
	done
	[ "${#all[@]}" -ge 10 ] || setup_fail "fewer than 10 fixtures in $C"
	[ -f "$G" ] || setup_fail "no fixture $G"
	doc mtuprobe-check 000-initial-v6 "$MTUPROBE" check --json --underlay ipv6 \
		--path-mtu 1447 "$C/000-client-initial.conf"
	doc mtuprobe-check 000-ipv4-only "$MTUPROBE" check --json --underlay ipv4 \
		"$C/000-client.conf"
	doc mtuprobe-check 003-dslite "$MTUPROBE" check --json --underlay dslite \
		"$C/003-laptop.conf" "$C/003-laptop-fixed.conf"
	doc mtuprobe-check 003-pppoe "$MTUPROBE" check --json --underlay pppoe \
		"$C/003-laptop-fixed.conf"
	doc mtuprobe-check 003-dslite-1454 "$MTUPROBE" check --json --underlay dslite \
		--path-mtu 1454 "$C/003-laptop-fixed.conf"
	doc mtuprobe-check 003-dslite-pppoe "$MTUPROBE" check --json --underlay dslite+pppoe \
		"$C/003-laptop.conf"
	doc mtuprobe-check 004-pair "$MTUPROBE" check --json --path-mtu 1500 "$G" \
		"$C/004/server/wg0.conf"
	doc mtuprobe-check 004-noreturn "$MTUPROBE" check --json --path-mtu 1500 "$G" \
		"$C/004/noreturn/wg0.conf"
	doc mtuprobe-check all-dualstack "$MTUPROBE" check --json --underlay dualstack "${all[@]}"
	doc mtuprobe-check all-none "$MTUPROBE" check --json "${all[@]}"
	printf '{"schema_version": 1, "tool": "mtuprobe", "family": 4, "pmtu": 1460}\n' \
		>"$W/m4.json"
	printf '{"schema_version": 1, "tool": "mtuprobe", "family": 6, "pmtu": 1447}\n' \
		>"$W/m6.json"
	doc mtuprobe-check measured4 "$MTUPROBE" check --json --measured "$W/m4.json" \
		"$C/003-laptop.conf"
	doc mtuprobe-check measured6 "$MTUPROBE" check --json --measured "$W/m6.json" \
		"$C/000-client-initial.conf" "$C/000-client.conf"
	# Error documents: a missing file beside a good one, a directory, a file over 1 MiB.
	doc mtuprobe-check err-missing "$MTUPROBE" check --json --path-mtu 1500 \
		"$W/no-such/wg0.conf" "$C/good-server.conf"
	doc mtuprobe-check err-dir "$MTUPROBE" check --json "$W"
	head -c 1100000 /dev/zero >"$W/big.conf"
	doc mtuprobe-check err-big "$MTUPROBE" check --json "$W/big.conf" "$C/errors.conf"
}

# ---- lab -----------------------------------------------------------------------------------

# ldoc SCHEMA NAME NODE ARGS...: doc, run in lab node NODE.
ldoc()
{
	local schema=$1 name=$2 node=$3
	shift 3
	doc "$schema" "$name" lab_x "$node" "$@"
}

SERVE_PID=
SERVE_OUT=
# serve NAME ARGS...: `mtuprobe serve --json ARGS` in the server node, stdout to a file.
serve()
{
	SERVE_OUT=$W/serve-$1.json
	shift
	ip netns exec "$(lab_ns server)" sh -c 'f=$1; shift; exec "$@" >"$f" 2>/dev/null' sh \
		"$SERVE_OUT" "$MTUPROBE" serve --json "$@" </dev/null &
	SERVE_PID=$!
	LAB_BG_PIDS+=("$SERVE_PID")
	lab_wait "mtuprobe serve" 10 sh -c "ip netns exec '$(lab_ns server)' ss -lnu | grep -q ':20548 '"
}

# unserve NAME: stop the responder; its closing document is validated too.
unserve()
{
	local rc
	[ -n "$SERVE_PID" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID" 2>/dev/null
	rc=$?
	save mtuprobe-serve "$1" "$rc" <"$SERVE_OUT"
	SERVE_PID=
}

lab_chain()
{
	local s4=10.0.3.2 s6=fd00:0:0:3::2
	lab_begin && topo_chain pmtud mtu=1454 || { setup_fail "chain topology"; lab_end; return; }
	ldoc mtuprobe icmp4 client "$MTUPROBE" --json "$s4"
	ldoc mtuprobe icmp6-encap client "$MTUPROBE" --json -6 -e wireguard -e ip6tnl \
		-e wireguard+pppoe "$s6"
	ldoc mtuprobe udp4 client "$MTUPROBE" --json -m udp --expect-mtu 1500 "$s4"
	ldoc mtuprobe hops4 client "$MTUPROBE" --json --hops "$s4"
	ldoc mtuprobe hops6 client "$MTUPROBE" --json -6 --hops "$s6"
	ldoc mtuprobe err-iface client "$MTUPROBE" --json -I pd-no-such0 "$s4"
	ldoc mtuprobe err-unreachable client "$MTUPROBE" --json 10.0.9.9
	if serve chain -p 20548 -p 20549; then
		ldoc mtuprobe peer4 client "$MTUPROBE" --json --peer "$s4"
		ldoc mtuprobe peer6-encap client "$MTUPROBE" --json --peer -6 -e wireguard "$s6"
		ldoc nattrace peer4 client "$NT" --json --peer --peer-port 20548 \
			--peer-port 20549 --hairpin "$s4"
		unserve chain
	else
		setup_fail "mtuprobe serve in the chain"
	fi
	ldoc mtuprobe peer-none client "$MTUPROBE" --json --peer "$s4"
	ldoc nattrace path-udp4 client "$NT" --json -w 0.5 "$s4"
	ldoc nattrace path-tcp4 client "$NT" --json --tcp -p 22 -w 0.5 "$s4"
	ldoc nattrace path-icmp6 client "$NT" --json --icmp -6 -w 0.5 "$s6"
	ldoc nattrace err-iface client "$NT" --json -I pd-no-such0 "$s4"
	ldoc nattrace-flow fwd r1 "$NT" flow --json 10.0.1.2 "$s4" udp 4000 53 --iif client
	ldoc nattrace-flow local client "$NT" flow --json 10.0.1.2 "$s4"
	ldoc nattrace-flow fwd6 r1 "$NT" flow --json fd00:0:0:1::2 "$s6" tcp 4000 443 \
		--iif client
	ldoc nattrace-flow err-iface r1 "$NT" flow --json 10.0.1.2 "$s4" --iif pd-no-such0
	lab_end
}

# watch_loss: a watch that loses events (home node of the nat lab): a 4 KiB buffer, stopped
# while ctfill makes 500 entries and one entry it knew is deleted; its lines then include lost,
# new and destroy marked resync, resync_end and an end with overruns.
watch_loss()
{
	local ev=$W/watch-loss.ndjson wpid
	[ -x "$BUILD_DIR/ctfill" ] || { setup_fail "ctfill not built (make tests)"; return; }
	lab_x home "$BUILD_DIR/ctfill" 3 --proto udp --sport-base 41000 --timeout 60 >/dev/null ||
		{ setup_fail "ctfill"; return; }
	ip netns exec "$(lab_ns home)" "$NT" watch --json -b 4096 -p udp -s 10.0.0.0/8 >"$ev" \
		2>/dev/null &
	wpid=$!
	LAB_BG_PIDS+=("$wpid")
	lab_wait "watch start" 5 grep -q '"type":"start"' "$ev" || { setup_fail "watch start"; return; }
	kill -STOP "$wpid"
	lab_x home "$BUILD_DIR/ctfill" 500 --proto udp --sport-base 42000 --timeout 60 >/dev/null
	lab_x home conntrack -D -p udp -s 10.0.0.1 --orig-port-src 41001 >/dev/null 2>&1
	kill -CONT "$wpid"
	lab_wait "resync" 10 grep -q '"type":"resync_end"' "$ev" || setup_fail "watch resync"
	kill -INT "$wpid"
	wait "$wpid"
	save nattrace-watch loss "$?" <"$ev"
}

lab_nat()
{
	local s4=203.0.113.10 ev
	lab_begin && topo_nat || { setup_fail "nat topology"; lab_end; return; }
	ev=$W/watch.ndjson
	ip netns exec "$(lab_ns home)" "$NT" watch --json -G 6 >"$ev" 2>/dev/null &
	local wpid=$!
	LAB_BG_PIDS+=("$wpid")
	lab_wait "watch start" 5 grep -q '"type":"start"' "$ev" || setup_fail "watch start"
	if serve nat -p 20548 -p 20549; then
		ldoc nattrace nat-peer client "$NT" --json --peer --peer-port 20548 \
			--peer-port 20549 --hairpin "$s4"
		ldoc mtuprobe nat-peer client "$MTUPROBE" --json --peer "$s4"
		unserve nat
	else
		setup_fail "mtuprobe serve behind the NAT"
	fi
	ldoc nattrace nat-path-udp client "$NT" --json -w 0.5 "$s4"
	ldoc nattrace nat-path-tcp client "$NT" --json --tcp -p 80 -w 0.5 "$s4"
	ldoc nattrace-conntrack entries home "$NT" conntrack --json
	ldoc nattrace-conntrack snat home "$NT" conntrack --json --snat -p udp
	ldoc nattrace-conntrack count home "$NT" conntrack --json --count
	ldoc nattrace-conntrack none home "$NT" conntrack --json -s 10.123.0.0/16
	ldoc nattrace-flow nat home "$NT" flow --json 192.168.1.2 "$s4" udp 4000 20548 --iif client
	# Destroy events for the watch, then its end line.
	lab_x home conntrack -F >/dev/null 2>&1
	wait "$wpid"
	save nattrace-watch events "$?" <"$ev"
	watch_loss
	ldoc nattrace-watch err-count home "$NT" watch --json -G 0.2 -c 1 -s 10.123.0.0/16
	lab_end
}

lab_wgtun()
{
	local ra rb ca cb s
	lab_begin && topo_wg lendrop mtu=1420 bottleneck=1454 ||
		{ setup_fail "wg topology"; lab_end; return; }
	ldoc mtuprobe-tunnel wg client "$MTUPROBE" tunnel --json "$TOPO_WG_CLIENT_IF"
	ldoc mtuprobe-tunnel wg-noinner client "$MTUPROBE" tunnel --json --no-inner -e wireguard \
		--expect-mtu 1420 "$TOPO_WG_CLIENT_IF"
	ldoc mtuprobe-tunnel err-not-tunnel client "$MTUPROBE" tunnel --json lo
	lab_capture_start client "$TOPO_CLIENT_IF" "$W/wg-a.pcap" || setup_fail "tcpdump a"
	ca=$LAB_LAST_PID
	lab_capture_start server "$TOPO_SERVER_IF" "$W/wg-b.pcap" || setup_fail "tcpdump b"
	cb=$LAB_LAST_PID
	ip netns exec "$(lab_ns client)" "$TSN" record --json -i "$TOPO_CLIENT_IF" \
		--records "$W/wg-a.rec" >"$W/rec-a.json" 2>/dev/null &
	ra=$!
	ip netns exec "$(lab_ns server)" "$TSN" record --json -i "$TOPO_SERVER_IF" \
		--records "$W/wg-b.rec" >"$W/rec-b.json" 2>/dev/null &
	rb=$!
	LAB_BG_PIDS+=("$ra" "$rb")
	ip netns exec "$(lab_ns client)" "$TSN" --json -i "$TOPO_CLIENT_IF" -i "$TOPO_WG_CLIENT_IF" \
		-G 3 >"$W/live.json" 2>/dev/null &
	local lp=$!
	LAB_BG_PIDS+=("$lp")
	sleep 1
	for s in 100 1000 1300 1372 1380 1392; do
		lab_x client ping -c 2 -i 0.2 -W 1 -M "do" -s "$s" "$TOPO_WG_SERVER4" >/dev/null 2>&1
	done
	wait "$lp"
	save tunsniff live "$?" <"$W/live.json"
	sleep 0.5
	kill -s INT "$ra" "$rb" 2>/dev/null
	wait "$ra"
	save tunsniff-record live-a "$?" <"$W/rec-a.json"
	wait "$rb"
	save tunsniff-record live-b "$?" <"$W/rec-b.json"
	lab_capture_stop "$ca"
	lab_capture_stop "$cb"
	doc tunsniff-correlate wg-pcap "$TSN" correlate --json "$W/wg-a.pcap" "$W/wg-b.pcap"
	doc tunsniff-correlate wg-rec "$TSN" correlate --json "$W/wg-a.rec" "$W/wg-b.rec"
	doc tunsniff wg-a "$TSN" --json -r "$W/wg-a.pcap"
	ldoc tunsniff err-live client "$TSN" --json -i pd-no-such0 -G 1
	lab_end
}

validate()
{
	SCHEMA_SETUP_FAIL=$SETUP_FAIL "$PY" "$HERE/schema-validate.py" --schemas "$SCHEMAS" --strict "$OUTD"
}

case $MODE in
offline)
	offline
	;;
lab)
	if [ "$(id -u)" != 0 ]; then
		echo "schema-lab: SKIP (needs root for network namespaces)"
		exit 0
	fi
	# shellcheck source=tests/lab/topo.sh
	. "$HERE/lab/topo.sh"
	LAB_EXIT_HOOK='[ -n "${SCHEMA_KEEP:-}" ] || rm -rf "$W"'
	lab_chain
	lab_nat
	lab_wgtun
	;;
*)
	echo "usage: tests/schema-tests.sh BUILD_DIR [offline|lab]" >&2
	exit 3
	;;
esac

validate
