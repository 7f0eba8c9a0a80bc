#!/bin/sh
# tests/truth.sh DIR - write tshark's per-frame decoding of every capture in
# DIR into DIR/truth/NAME.tsv, in the same columns and with the same tshark
# preferences as ../shared/captures/truth (see its README), so that the
# conformance binary can hold our decoders to tshark on captures we make
# ourselves: generated tunnel scenarios and captures taken in the lab.
set -eu

dir=${1:?usage: tests/truth.sh DIR}
command -v tshark >/dev/null 2>&1 || {
	echo "truth: tshark is missing; run 'make deps' as root" >&2
	exit 3
}

# The truth columns, in the order the conformance harness expects.
fields="frame.number frame.len frame.cap_len frame.protocols
ip.version ipv6.version ip.src ip.dst ipv6.src ipv6.dst
ip.proto ipv6.nxt ipv6.hopopts.nxt ipv6.dstopts.nxt ipv6.routing.nxt
ipv6.fraghdr.nxt ipv6.opt.tel ip.len ipv6.plen ip.ttl ipv6.hlim
ip.id ip.flags.df ip.flags.mf ip.frag_offset
ipv6.fraghdr.ident ipv6.fraghdr.offset ipv6.fraghdr.more
udp.srcport udp.dstport wg.type wg.sender wg.receiver wg.counter
gre.proto vxlan.vni icmp.type icmp.code icmp.mtu
icmpv6.type icmpv6.code icmpv6.mtu
tcp.srcport tcp.dstport tcp.flags tcp.options.mss_val"

args=""
for f in $fields; do
	args="$args -e $f"
done

mkdir -p "$dir/truth"
n=0
for cap in "$dir"/*.pcap "$dir"/*.pcapng; do
	[ -f "$cap" ] || continue
	# Reassembly off: each row describes the bytes of its own frame only.
	# shellcheck disable=SC2086
	tshark -n -r "$cap" \
		-o ip.defragment:FALSE -o ipv6.defragment:FALSE \
		-o tcp.desegment_tcp_streams:FALSE -o udp.try_heuristic_first:FALSE \
		-T fields -E header=y -E separator=/t -E occurrence=a -E aggregator=, \
		$args > "$dir/truth/$(basename "$cap").tsv" 2> "$dir/truth/.stderr" || {
		echo "truth: tshark failed on $cap: $(grep -v "Running as user" "$dir/truth/.stderr" | head -n 1)" >&2
		exit 3
	}
	n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "truth: no capture in $dir" >&2; exit 3; }
echo "truth: $n captures decoded by $(tshark --version | head -n 1)"
