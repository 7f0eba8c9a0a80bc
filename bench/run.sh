#!/bin/sh
# bench/run.sh BUILD_DIR - `make bench`: figures side by side with the peer
# tools, on the same input, in one run.
#
# Decoder throughput: gencap writes a deterministic capture (a mix of
# WireGuard, ip6tnl and plain TCP/UDP); pd_dissect (bench/dissect_bench),
# `tshark -r` and `tcpdump -r` each read the whole file once.  Wall time and
# peak memory come from GNU time for all three alike.
#
# BENCH_PACKETS sets the capture size (default 1000000).
#
# tunsniff (bench/tunsniff-bench.sh): offline against tshark and tcpdump on a 5-million-packet
# mix, memory at 1M and 5M packets, live at the lab's highest veth rate (root only); its
# BENCH_TSN_PACKETS, BENCH_PEERS, BENCH_TSHARK_PACKETS, BENCH_LIVE_SECONDS are described there.
#
# Path MTU discovery (bench/mtuprobe-bench.sh, root only): mtuprobe, tracepath,
# a `ping -M do` bisection and scamper on four lab paths with a 30 ms round
# trip; BENCH_DELAY_MS, BENCH_CAP and BENCH_PATHS are described there.
#
# Conntrack (bench/ct-bench.sh, root only): a streaming dump through
# libpathdiag against `conntrack -L`, full and filtered, on a table of
# BENCH_CT_ENTRIES (default 1000000); BENCH_CT_REPEAT is described there.  The same table is
# then listed by `nattrace conntrack` (text, --json, --count, filtered) with its peak memory.
set -eu

build=${1:-build}
packets=${BENCH_PACKETS:-1000000}
work="$build/bench"
mkdir -p "$work"
cap="$work/mix-$packets.pcap"

need() {
	command -v "$1" >/dev/null 2>&1 || {
		echo "bench: $1 is missing; run 'make deps' as root" >&2
		exit 3
	}
}
need tshark
need tcpdump
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing; run 'make deps'" >&2; exit 3; }

if [ ! -s "$cap" ]; then
	echo "bench: generating $packets packets into $cap"
	"$build/gencap" mix -o "$cap" --count "$packets" --seed 1
fi
bytes=$(wc -c < "$cap")

# run NAME CMD... : wall seconds and peak RSS (KiB) of one command.
run() {
	name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$work/time.$name" "$@" > "$work/out.$name" 2> "$work/err.$name" || {
		echo "bench: $name failed: $(head -n 1 "$work/err.$name")" >&2
		exit 3
	}
	read -r wall rss < "$work/time.$name"
	echo "$name $wall $rss"
}

echo
echo "== decoder throughput: $packets packets, $bytes bytes (same file for every tool)"
printf '%-28s %12s %10s %14s %12s\n' tool packets wall_s packets/s peak_MiB
for t in pathdiag tshark tcpdump; do
	case $t in
	pathdiag) set -- "$build/bench/dissect_bench" "$cap" ;;
	tshark) set -- tshark -n -r "$cap" ;;
	tcpdump) set -- tcpdump -n -r "$cap" ;;
	esac
	line=$(run "$t" "$@")
	wall=$(echo "$line" | cut -d' ' -f2)
	rss=$(echo "$line" | cut -d' ' -f3)
	case $t in
	pathdiag) n=$(cut -f1 "$work/out.$t"); label="pd_dissect (libpcap read)" ;;
	tshark) n=$(wc -l < "$work/out.$t"); label="tshark -n -r" ;;
	tcpdump) n=$(wc -l < "$work/out.$t"); label="tcpdump -n -r" ;;
	esac
	pps=$(awk -v n="$n" -v w="$wall" 'BEGIN { if (w > 0) printf "%.0f", n / w; else print "inf" }')
	mib=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
	printf '%-28s %12s %10s %14s %12s\n' "$label" "$n" "$wall" "$pps" "$mib"
	[ "$n" = "$packets" ] || {
		echo "bench: $label read $n packets, expected $packets" >&2
		exit 3
	}
done
echo "(pathdiag CPU-only loop: $(cut -f5 "$work/out.pathdiag") packets/s; decode errors: $(cut -f3 "$work/out.pathdiag"))"

# tunsniff's offline analysis of a 5-million-packet mix against tshark and tcpdump, its memory
# at two capture sizes, and a live capture at the lab's highest veth packet rate.
bash "$(dirname "$0")/tunsniff-bench.sh" "$build" || exit 3

# Path MTU discovery: mtuprobe against tracepath, a ping bisection and scamper on lab paths
# with a 30 ms round trip (needs root; prints SKIP otherwise).
bash "$(dirname "$0")/mtuprobe-bench.sh" "$build"

# Conntrack dumps (bench/ct-bench.sh, root only): libpathdiag's streaming dump against
# conntrack -L, full and filtered, on a lab namespace's table of BENCH_CT_ENTRIES entries.
bash "$(dirname "$0")/ct-bench.sh" "$build"
