#!/usr/bin/env bash
# bench/tunsniff-bench.sh BUILD_DIR - tunsniff's offline analysis against tshark and tcpdump
# on one large capture, its memory at two capture sizes, and a live capture at the highest
# packet rate the lab's veth carries (part of `make bench`).
#
# Offline: gencap writes a deterministic mix (WireGuard over IPv4 and IPv6 with
# BENCH_PEERS peers each - one tunnel per peer -, ip6tnl with its encapsulation limit
# option, plain TCP and UDP) of BENCH_TSN_PACKETS packets (default 5000000), cached in
# BUILD_DIR/bench.  Every tool reads the same file; wall time and peak RSS come from GNU time
# for all alike; packets/s = packets read / wall seconds; cpu_s = user + system CPU seconds
# (the steadier figure on a shared machine), packets/cpu-s from it.  tshark is far slower: it reads
# only the first BENCH_TSHARK_PACKETS packets (default 500000, `tshark -c`), said so in the
# table, and its rate is from that prefix.  tunsniff reads a large file through a second
# thread (lib/src/readahead.c): it runs once pinned to one core, both threads sharing it, and
# once on two cores, the reading thread's copying beside the analysis.  Memory: tunsniff on the first 1000000 packets of
# the same mix and on all of them - the peak should not grow with the packet count.
#
# Live (root only, else SKIP): two lab namespaces joined by a veth; bench/udpblast sends
# 60-byte UDP frames with sendmmsg for BENCH_LIVE_SECONDS (default 5) on one core while
# `tunsniff -i` captures on the receiving end on the other; reported: datagrams the sender
# counted, the receiving interface's rx_packets delta, what tunsniff analysed and the kernel
# drops from its pcap statistics.  Numbers are printed, never judged: no thresholds.

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u

BUILD_DIR=$(cd "${1:-build}" && pwd) || exit 3
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
N=${BENCH_TSN_PACKETS:-5000000}
PEERS=${BENCH_PEERS:-100}
NTS=${BENCH_TSHARK_PACKETS:-500000}
NSMALL=1000000
LIVE_S=${BENCH_LIVE_SECONDS:-5}
TSN=$BUILD_DIR/tunsniff
W=$BUILD_DIR/bench
mkdir -p "$W"
[ "$NSMALL" -le "$N" ] || NSMALL=$N
[ "$NTS" -le "$N" ] || NTS=$N

gen() { # gen COUNT: the cached mix of COUNT packets
	local f="$W/tsn-mix-p$PEERS-$1.pcap"
	if [ ! -s "$f" ]; then
		echo "tunsniff bench: generating $1 packets into $f" >&2
		"$BUILD_DIR/gencap" mix -o "$f.tmp" --count "$1" --seed 1 --peers "$PEERS" &&
			mv "$f.tmp" "$f" || exit 3
	fi
	echo "$f"
}

# timed NAME CMD...: run CMD with output to $W/tsn-out.NAME; sets WALL (s), CPU (user +
# system s) and RSS (KiB).
timed() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$W/tsn-time.$name" "$@" >"$W/tsn-out.$name" \
		2>"$W/tsn-err.$name" || {
		echo "tunsniff bench: $name failed: $(head -n 1 "$W/tsn-err.$name")" >&2
		exit 3
	}
	read -r WALL RSS usr sys <"$W/tsn-time.$name"
	CPU=$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
}

frames_of() { # frames analysed, from tunsniff's JSON
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["frames"])' "$1"
}

big=$(gen "$N")
small=$(gen "$NSMALL")
bytes=$(wc -c <"$big")

echo
echo "== tunsniff offline analysis: $N packets, $bytes bytes, $((2 * PEERS)) WireGuard" \
	"tunnels + ip6tnl + plain TCP/UDP"
printf '%-44s %10s %8s %12s %7s %13s %9s %10s\n' tool packets wall_s packets/s cpu_s \
	packets/cpu-s peak_MiB vs_tshark
declare -A PPS
for t in tshark tunsniff tunsniff2 tcpdump; do
	case $t in
	tunsniff)
		timed "$t" taskset -c 0 "$TSN" -r "$big" --json
		n=$(frames_of "$W/tsn-out.$t")
		label="tunsniff -r --json (one core)"
		;;
	tunsniff2)
		timed "$t" taskset -c 0,1 "$TSN" -r "$big" --json
		n=$(frames_of "$W/tsn-out.$t")
		label="tunsniff -r --json (two cores)"
		;;
	tshark)
		timed "$t" taskset -c 0 tshark -n -c "$NTS" -r "$big"
		n=$(wc -l <"$W/tsn-out.$t")
		label="tshark -n -r (first $NTS packets)"
		;;
	tcpdump)
		timed "$t" taskset -c 0 tcpdump -n -r "$big"
		n=$(wc -l <"$W/tsn-out.$t")
		label="tcpdump -n -r"
		;;
	esac
	PPS[$t]=$(awk -v n="$n" -v w="$WALL" 'BEGIN { printf "%.0f", (w > 0 ? n / w : 0) }')
	ratio=$(awk -v a="${PPS[$t]}" -v b="${PPS[tshark]:-0}" \
		'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }')
	printf '%-44s %10s %8s %12s %7s %13s %9s %10s\n' "$label" "$n" "$WALL" "${PPS[$t]}" \
		"$CPU" "$(awk -v n="$n" -v c="$CPU" 'BEGIN { printf "%.0f", (c > 0 ? n / c : 0) }')" \
		"$(awk -v k="$RSS" 'BEGIN { printf "%.1f", k / 1024 }')" "$ratio"
done
echo "(tshark stopped after $NTS packets: its packets/s is from that prefix)"
echo "tunsniff vs tshark: $(awk -v a="${PPS[tunsniff]}" -v b="${PPS[tshark]}" \
	'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }') times the packets per second"

echo
echo "== tunsniff memory against capture size (same mix, same tunnels)"
printf '%-12s %10s %9s\n' packets wall_s peak_MiB
for f in "$small" "$big"; do
	timed mem taskset -c 0 "$TSN" -r "$f" --json
	printf '%-12s %10s %9s\n' "$(frames_of "$W/tsn-out.mem")" "$WALL" \
		"$(awk -v k="$RSS" 'BEGIN { printf "%.1f", k / 1024 }')"
done

# ---- live ---------------------------------------------------------------------------------
echo
echo "== tunsniff live: highest packet rate through a lab veth"
if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
	echo "tunsniff live bench: SKIP: needs root and network namespaces"
	exit 0
fi
# shellcheck source=tests/lab/lib.sh
. "$BENCH_DIR/../tests/lab/lib.sh"
lab_begin || exit 3
lab_node tx || exit 3
lab_node rx || exit 3
lab_link tx rx a4=10.0.9.1/24 b4=10.0.9.2/24 || exit 3
# the receiver discards the datagrams quietly (no ICMP port unreachable back); tunsniff
# captures before the input hook, so it sees them all
lab_nft rx pdl_blast <<'EOF' || exit 3
chain in { type filter hook input priority 0; udp dport 9 drop; }
EOF
rx_count() { lab_x rx cat /sys/class/net/tx/statistics/rx_packets; }
lab_bg rx tsn taskset -c 0 "$TSN" -i tx -G $((LIVE_S + 2)) --json
tsn_pid=$LAB_LAST_PID
sleep 1 # tunsniff opens its capture
rx0=$(rx_count)
blast=$(lab_x tx taskset -c 1 "$BUILD_DIR/bench/udpblast" 10.0.9.2 9 "$LIVE_S") || exit 3
rx1=$(rx_count)
wait "$tsn_pid" 2>/dev/null
out=$LAB_TMP/tsn.log
read -r sent secs rate <<<"$blast"
python3 - "$out" "$sent" "$secs" "$rate" "$((rx1 - rx0))" <<'EOF'
import json, sys
path, sent, secs, rate, rx = sys.argv[1:]
doc = json.load(open(path))
src = doc["sources"][0]
st = src.get("stats") or {}
frames = doc["totals"]["frames"]
print(f"{'measure':44} {'packets':>12} {'per second':>12}")
print(f"{'offered: datagrams udpblast sent (1 core)':44} {int(sent):>12} {float(rate):>12.0f}")
print(f"{'receiving veth rx_packets (same interval)':44} {int(rx):>12} {int(rx)/float(secs):>12.0f}")
print(f"{'tunsniff frames analysed (whole capture)':44} {frames:>12}")
print(f"{'libpcap: received by the filter':44} {st.get('received', '-'):>12}")
print(f"{'libpcap: dropped by the kernel (buffer full)':44} {st.get('dropped', '-'):>12}")
print(f"{'libpcap: dropped by the interface':44} {st.get('if_dropped', '-'):>12}")
EOF
lab_end
