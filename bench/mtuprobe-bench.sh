#!/usr/bin/env bash
# bench/mtuprobe-bench.sh BUILD_DIR - path MTU discovery side by side (part of `make bench`):
# mtuprobe, tracepath, a `ping -M do -s` bisection and scamper's PMTUD over the same lab paths,
# each with a delay stage that gives the path a real round trip.
#
# Paths (tests/lab/topo.sh; the expected answer is what the topology was built with):
#   chain/pmtud/v4      client - r1 =[1454]= r2 - server, routers send "frag needed"
#   chain/blackhole/v4  the same, but the routers drop their ICMP errors
#   chain/pmtud/v6      the first path over IPv6 ("packet too big")
#   wg/blackhole/v4     through a wireguard-go tunnel (mtu 1420) over the black-hole chain:
#                       an inner packet passes while its padded size (multiple of 16) + 60
#                       bytes of WireGuard/UDP/IPv4 fits in 1454, so the answer is
#                       (1454 - 60) / 16 * 16 = 1392 (run-tests.sh proves 1392 passes and
#                       1393 vanishes)
# Delay: lab_delay r1 client MS (tests/tools/pd-delayq.c): every packet crossing r1's
# client-side interface waits MS ms each way, so every round trip - answers and ICMP errors
# alike - takes 2*MS (BENCH_DELAY_MS, default 15: a 30 ms round trip).
#
# Per tool: its answer, whether it is right, the probes on the wire (an nft counter in the
# client's output hook counting packets to the target: the same measure for every tool;
# mtuprobe's own probes_sent in brackets), round trips (mtuprobe: its rounds; the other tools
# send one probe at a time and wait for it, so their round trips are their probes on the
# wire) and wall time of the whole command.  Each tool runs under `timeout BENCH_CAP`
# (default 120 s) and starts from a clean path-MTU cache (ip route flush cache).
# The target lines at the end are informational: benchmarks do not fail the build.
#
# The ping bisection is what a person would do: one `ping -c 1 -W 1 -M do -s` per size, first
# the local MTU, then halving the interval between the smallest size IP guarantees (68 /
# 1280) and the local MTU until it is one byte wide.
#
# Needs root (namespaces); without it prints "mtuprobe bench: SKIP" and exits 0.
# BENCH_PATHS picks a subset (e.g. "chain_pmtud4 wg_blackhole4").

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

BUILD_DIR=$(cd "${1:-build}" && pwd) || exit 3
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DELAY_MS=${BENCH_DELAY_MS:-15}
CAP=${BENCH_CAP:-120}
MTUPROBE=$BUILD_DIR/mtuprobe
export LAB_DELAYQ=$BUILD_DIR/pd-delayq

if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
	echo "mtuprobe bench: SKIP: needs root and network namespaces"
	exit 0
fi
for f in "$MTUPROBE" "$LAB_DELAYQ"; do
	[ -x "$f" ] || { echo "mtuprobe bench: $f is missing; run 'make all tests'" >&2; exit 3; }
done

# shellcheck source=tests/lab/topo.sh
. "$BENCH_DIR/../tests/lab/topo.sh"
lab_require iptables-legacy ip6tables-legacy tracepath ping timeout python3 || exit 3
HAVE_SCAMPER=0
command -v scamper >/dev/null 2>&1 && command -v sc_wartsdump >/dev/null 2>&1 && HAVE_SCAMPER=1

RUN_TMP=$(mktemp -d /tmp/pdl-bench-XXXXXX) || exit 3
# shellcheck disable=SC2016 # expanded when the trap runs
LAB_EXIT_HOOK='rm -rf "$RUN_TMP"'
trap 'rm -rf "$RUN_TMP"' EXIT
ROWS=$RUN_TMP/rows

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# The target, its family, the interface the client's route to it leaves by and that
# interface's MTU (the first size every tool tries); set by each path.
TARGET=''
FAM=''
OUT_DEV=''
LOCAL_MTU=''

# count_reset / count_read: packets the client sent to TARGET, counted in the netdev egress
# hook of the interface the route leaves by (OUT_DEV): it sees every sender alike, sockets and
# packet sockets (scamper sends its traceroute probes from a datalink socket, which the IP
# output hook never sees).
count_reset()
{
	local match="ip daddr $TARGET"
	[ "$FAM" = 4 ] || match="ip6 daddr $TARGET"
	lab_nft client "netdev pdl_bench" <<-EOF
	counter probes {}
	chain egress {
		type filter hook egress device "$OUT_DEV" priority filter; policy accept;
		$match counter name "probes";
	}
	EOF
}

count_read()
{
	lab_nft_counter client netdev pdl_bench probes
}

# fresh: forget what the last tool taught the client's kernel, zero the counter.
fresh()
{
	lab_x client ip -4 route flush cache
	lab_x client ip -6 route flush cache
	count_reset
}

# row PATH EXPECT TOOL ANSWER WIRE RTTS WALL [SELF [ELAPSED_MS]]: one result line for the
# table (SELF: the probes the tool says it sent, or the pings of the bisection; ELAPSED_MS:
# mtuprobe's own elapsed_ms).
row()
{
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" \
		"${8:-}" "${9:-}" >>"$ROWS"
}

# timed VAR CMD...: run CMD in the client's namespace with the cap; its wall seconds in VAR,
# its output in $OUT, its status in $RC (124: hit the cap).
timed()
{
	local var=$1 t0 t1
	shift
	t0=$(now)
	OUT=$(timeout "$CAP" ip netns exec "$(lab_ns client)" "$@" 2>&1)
	RC=$?
	t1=$(now)
	printf -v "$var" '%s' "$(secs "$t0" "$t1")"
}

run_mtuprobe()
{
	local path=$1 want=$2 wall ans probes rounds elapsed
	fresh
	timed wall "$MTUPROBE" --json "$TARGET"
	if [ "$RC" = 124 ]; then
		row "$path" "$want" mtuprobe "timed out" "$(count_read)" - "$wall"
		return
	fi
	read -r ans probes rounds elapsed < <(python3 -c 'import json, sys
try:
    d = json.loads(sys.argv[1])
except ValueError:
    print("error - - -"); sys.exit(0)
def f(k):
    v = d.get(k)
    return "none" if v is None else str(v)
print(f("pmtu"), f("probes_sent"), f("rounds"), f("elapsed_ms"))' "$OUT")
	row "$path" "$want" mtuprobe "$ans" "$(count_read)" "$rounds" "$wall" "$probes" "$elapsed"
}

run_tracepath()
{
	local path=$1 want=$2 wall ans wire
	fresh
	timed wall tracepath -n "$TARGET"
	wire=$(count_read)
	if [ "$RC" = 124 ]; then
		ans="timed out"
	else
		ans=$(sed -n 's/.*pmtu \([0-9]*\).*/\1/p' <<<"$OUT" | tail -n 1)
	fi
	row "$path" "$want" tracepath "${ans:-none}" "$wire" "$wire" "$wall"
}

# ping_fits SIZE: one DF echo of a SIZE-byte IP packet, 1 s to answer.
ping_fits()
{
	local hdr=28
	[ "$FAM" = 4 ] || hdr=48
	echo "$1" >>"$RUN_TMP/ping.sizes"
	lab_x client ping "-$FAM" -n -q -c 1 -W 1 -M "do" -s $(($1 - hdr)) "$TARGET" >/dev/null 2>&1
}

# ping_bisect: prints the answer, or "timed out" once the cap is reached.
ping_bisect()
{
	local lo=68 hi=$LOCAL_MTU mid end=$((SECONDS + CAP))
	[ "$FAM" = 4 ] || lo=1280
	if ping_fits "$hi"; then
		echo "$hi"
		return
	fi
	while [ $((hi - lo)) -gt 1 ]; do
		[ "$SECONDS" -lt "$end" ] || { echo "timed out"; return; }
		mid=$(((lo + hi) / 2))
		if ping_fits "$mid"; then lo=$mid; else hi=$mid; fi
	done
	echo "$lo"
}

run_ping()
{
	local path=$1 want=$2 t0 t1 ans wire
	fresh
	: >"$RUN_TMP/ping.sizes"
	t0=$(now)
	ans=$(ping_bisect)
	t1=$(now)
	wire=$(count_read)
	row "$path" "$want" "ping -M do bisect" "$ans" "$wire" "$(wc -l <"$RUN_TMP/ping.sizes")" \
		"$(secs "$t0" "$t1")" "$(wc -l <"$RUN_TMP/ping.sizes")"
}

run_scamper()
{
	local path=$1 want=$2 wall ans wire stop warts=$RUN_TMP/scamper.warts
	if [ "$HAVE_SCAMPER" != 1 ]; then
		row "$path" "$want" "scamper trace -M" "not installed" - - -
		return
	fi
	fresh
	# Warts on stdout: scamper's privilege separation cannot open -o files in a namespace.
	# shellcheck disable=SC2016 # $1 and $2 belong to the inner sh
	timed wall sh -c 'scamper -O warts -c "trace -M" -i "$1" >"$2"' sh "$TARGET" "$warts"
	wire=$(count_read)
	if [ "$RC" = 124 ]; then
		ans="timed out"
	else
		# "pmtud: ver 2 ifmtu 1500, pmtu 1454, ..." (no line: it did not run PMTUD; 0: no
		# answer).
		ans=$(sc_wartsdump "$warts" 2>/dev/null | sed -n 's/^pmtud:.* pmtu \([0-9]*\).*/\1/p')
		[ "$ans" != 0 ] || ans=
		if [ -z "$ans" ]; then
			stop=$(sc_wartsdump "$warts" 2>/dev/null | sed -n 's/^ stop reason: //p')
			[ "$RC" = 0 ] || stop="exit status $RC: $(head -n 1 <<<"$OUT")"
			echo "scamper on $path: no PMTU (stop reason: ${stop:-none recorded}; $wire probes sent)" \
				>>"$RUN_TMP/notes"
		fi
	fi
	row "$path" "$want" "scamper trace -M" "${ans:-none}" "$wire" "$wire" "$wall"
}

# bench_path NAME EXPECT TARGET FAMILY BUILD-CMD...: build the lab, add the delay, warm up
# (ARP, neighbour discovery, the WireGuard handshake), then every tool in turn.
bench_path()
{
	local name=$1 want=$2 err=$RUN_TMP/build.err
	TARGET=$3
	FAM=$4
	shift 4
	# shellcheck disable=SC2119 # default prefix
	if ! lab_begin 2>"$err" || ! "$@" 2>"$err" || ! lab_delay r1 client "$DELAY_MS" 2>"$err"; then
		echo "mtuprobe bench: $name: lab build failed: $(tail -n 1 "$err")" >&2
		lab_end
		return 1
	fi
	lab_x client ping "-$FAM" -n -q -c 3 -i 0.2 -W 2 "$TARGET" >/dev/null 2>&1 ||
		echo "mtuprobe bench: $name: warm-up ping to $TARGET failed" >&2
	OUT_DEV=$(lab_x client ip "-$FAM" route get "$TARGET" |
		sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1)
	LOCAL_MTU=$(lab_mtu client "$OUT_DEV")
	printf 'mtuprobe bench: %s (expect %s, local mtu %s) ...\n' "$name" "$want" "$LOCAL_MTU" >&2
	run_mtuprobe "$name" "$want"
	run_ping "$name" "$want"
	run_tracepath "$name" "$want"
	run_scamper "$name" "$want"
	lab_end
}

# The four paths.  wg: (bottleneck - IPv4/UDP/WireGuard overhead) rounded down to WireGuard's
# 16-byte padding, capped by the tunnel MTU.
path_chain_pmtud4() { bench_path chain/pmtud/v4 1454 10.0.3.2 4 topo_chain pmtud mtu=1454; }
path_chain_blackhole4() { bench_path chain/blackhole/v4 1454 10.0.3.2 4 topo_chain blackhole mtu=1454; }
path_chain_pmtud6() { bench_path chain/pmtud/v6 1454 fd00:0:0:3::2 6 topo_chain pmtud mtu=1454; }
path_wg_blackhole4()
{
	local inner=$(((1454 - 60) / 16 * 16))
	[ "$inner" -le 1420 ] || inner=1420
	bench_path wg/blackhole/v4 "$inner" 10.99.0.2 4 topo_wg blackhole mtu=1420 bottleneck=1454
}

# ---- report -------------------------------------------------------------------------------

print_table()
{
	echo
	echo "== path MTU discovery: $(cut -f1 "$ROWS" | sort -u | wc -l) lab paths, round trip $((2 * DELAY_MS)) ms (pd-delayq), cap ${CAP} s per tool"
	printf '%-19s %6s  %-18s %-10s %-5s %11s %6s %8s\n' path expect tool answer right \
		wire_probes rtts wall_s
	awk -F '\t' '{
		right = ($4 == $2) ? "yes" : "NO"
		if ($4 == "not installed") right = "-"
		wire = $5; if ($8 != "") wire = wire " (" $8 ")"
		rt = $6; if ($3 != "mtuprobe" && rt != "-") rt = rt "*"
		printf "%-19s %6s  %-18s %-10s %-5s %11s %6s %8s\n", $1, $2, $3, $4, right, wire, rt, $7
	}' "$ROWS"
	echo "wire_probes: packets the client sent to the target (nft counter on its egress); in"
	echo "brackets mtuprobe's own probes_sent, and the pings the bisection ran (sizes above a"
	echo "path MTU the kernel has learnt fail locally and never reach the wire)."
	echo "rtts: mtuprobe's rounds; * = a one-probe-at-a-time tool: round trips = its probes"
	echo "(the pings run, for the bisection).  wall_s: the whole command, start-up included."
	[ ! -s "$RUN_TMP/notes" ] || sed 's/^/note: /' "$RUN_TMP/notes"
}

# target LABEL OK: one informational line.
target()
{
	if [ "$2" = 1 ]; then
		printf 'target PASS  %s\n' "$1"
	else
		printf 'target MISS  %s\n' "$1"
	fi
}

print_targets()
{
	local path want tool ans wire rtts wall el ok all_right=1 pings rtt=$((2 * DELAY_MS))
	echo
	echo "== targets (informational; the issue's goals for mtuprobe on these paths)"
	# shellcheck disable=SC2094 # the loop and the awk inside it only read $ROWS
	while IFS=$'\t' read -r path want tool ans wire rtts wall _ el; do
		[ "$tool" = mtuprobe ] || continue
		[ "$ans" = "$want" ] || all_right=0
		case $path in
		chain/pmtud/*)
			# Round trips: its rounds, and its own elapsed time in units of the built RTT.
			ok=0
			[ "$ans" = "$want" ] && [ "$rtts" -le 3 ] 2>/dev/null &&
				awk -v e="$el" -v r="$rtt" 'BEGIN { exit !(e != "none" && e <= 3 * r) }' && ok=1
			target "$path: right answer within 3 round trips (rounds $rtts; elapsed_ms $el = $(awk \
				-v e="$el" -v r="$rtt" 'BEGIN { printf "%.1f", e / r }') x $rtt ms)" "$ok"
			;;
		*blackhole*)
			ok=0
			[ "$ans" = "$want" ] && awk -v w="$wall" 'BEGIN { exit !(w < 2) }' && ok=1
			target "$path: right answer in under 2 s (wall $wall s, elapsed_ms $el)" "$ok"
			;;
		esac
		pings=$(awk -F '\t' -v p="$path" '$1 == p && $3 ~ /^ping/ { print $8 }' "$ROWS")
		ok=0
		[ -n "$pings" ] && [ "$wire" -le $((2 * pings)) ] 2>/dev/null && ok=1
		target "$path: probes on the wire $wire <= 2 x the $pings pings of the bisection" "$ok"
	done <"$ROWS"
	target "mtuprobe right on every path" "$all_right"
}

main()
{
	local p t0 t1
	t0=$(date +%s)
	: >"$ROWS"
	: >"$RUN_TMP/notes"
	lab_sweep_stale
	for p in ${BENCH_PATHS:-chain_pmtud4 chain_blackhole4 chain_pmtud6 wg_blackhole4}; do
		"path_$p"
	done
	t1=$(date +%s)
	print_table
	print_targets
	echo "(mtuprobe bench: $((t1 - t0)) s in all)"
}

main
