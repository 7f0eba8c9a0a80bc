#!/bin/sh
# encode-tshark.sh - libpathdiag's encoders checked by tshark (4.0).
#
# Every gencap scenario is written (Ethernet and raw link types, several
# MTUs, a benchmark mix), then dissected by tshark with IPv4/UDP/TCP
# checksum validation on.  Per frame, what tshark decodes must equal what
# gencap says it built (gencap --expect): the layer chain (frame.protocols),
# the Tunnel Encapsulation Limit (ipv6.opt.tel), WireGuard type / receiver /
# counter, TCP MSS and VXLAN VNI, with absent fields absent.  Every checksum
# status tshark reports (ip, udp, tcp, icmp, icmpv6, gre) must be 1 (good),
# and each frame must have at least one.  One exception: the TCP/UDP header
# quoted in an ICMP error is cut short, so tshark cannot verify its checksum
# (4.0 even computes it over the cut segment and calls it bad); instead the
# quoted checksum fields must equal those of the whole original packet, which
# gencap writes as an earlier frame and which must verify as good.
#
# usage: sh tests/encode-tshark.sh [BUILD_DIR]    (default: build)
# Prints one line per case, a one-line reason per failure, and finally
# "encode-tshark: N passed, M failed"; exits 1 if anything failed.
set -u

BUILD=${1:-build}
GENCAP=$BUILD/gencap
PROG=encode-tshark

if [ ! -x "$GENCAP" ]; then
	echo "$PROG: $GENCAP not found (make BUILD=$BUILD tests)" >&2
	exit 1
fi
if ! command -v tshark >/dev/null 2>&1; then
	echo "$PROG: tshark not found" >&2
	exit 1
fi
case $(tshark --version 2>/dev/null | head -n 1) in
*" 4.0."*) ;;
*) echo "$PROG: warning: field names were checked with tshark 4.0" >&2 ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/encode-tshark.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

passed=0
failed=0

fail() {
	echo "$PROG: FAIL $*"
	failed=$((failed + 1))
}

# check NAME GENCAP-ARGS...: generate, dissect, compare.
check() {
	name=$1
	shift
	pcap=$tmp/cap.pcap
	exp=$tmp/cap.exp
	out=$tmp/cap.tsv
	if ! "$GENCAP" "$@" -o "$pcap" --expect "$exp" 2>"$tmp/err"; then
		fail "$name: gencap $*: $(head -n 1 "$tmp/err")"
		return
	fi
	if ! tshark -n -r "$pcap" \
		-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
		-o tcp.check_checksum:TRUE -o ip.defragment:FALSE \
		-o ipv6.defragment:FALSE -o tcp.desegment_tcp_streams:FALSE \
		-T fields -E separator=/t -E occurrence=a -E aggregator=, \
		-e frame.number -e frame.protocols -e ipv6.opt.tel \
		-e wg.type -e wg.receiver -e wg.counter \
		-e tcp.options.mss_val -e vxlan.vni \
		-e ip.checksum.status -e udp.checksum.status \
		-e tcp.checksum.status -e icmp.checksum.status \
		-e icmpv6.checksum.status -e gre.checksum.status \
		-e tcp.checksum -e udp.checksum \
		>"$out" 2>"$tmp/err"; then
		fail "$name: tshark: $(grep -v 'Running as user' "$tmp/err" | head -n 1)"
		return
	fi
	# Fields: tshark 1 frame 2 protocols 3..8 as expect 4..9, 9..14
	# checksum statuses, 15 tcp.checksum 16 udp.checksum.  expect: 1
	# frame 2 protocols 3 orig 4 tel 5 wg.type 6 wg.receiver 7 wg.counter
	# 8 mss 9 vni.
	reason=$(awk -F '\t' '
	function bad(msg) { print "frame " $1 ": " msg; failed = 1; exit 1 }
	NR == FNR { want[$1] = $0; nwant++; next }
	{
		n++
		if (!($1 in want))
			bad("not expected (only " nwant " frames built)")
		split(want[$1], e, "\t")
		if ($2 != e[2])
			bad("protocols \"" $2 "\", built \"" e[2] "\"")
		split("ipv6.opt.tel wg.type wg.receiver wg.counter " \
		      "tcp.options.mss_val vxlan.vni", fname, " ")
		for (i = 3; i <= 8; i++)
			if ($i != e[i + 1])
				bad(fname[i - 2] " \"" $i "\", built \"" e[i + 1] "\"")
		split("ip udp tcp icmp icmpv6 gre", cname, " ")
		good = 0
		for (i = 9; i <= 14; i++) {
			if ($i == "")
				continue
			# A cut quote: its TCP/UDP checksum is compared below.
			if (e[3] != 0 && (i == 10 || i == 11))
				continue
			k = split($i, v, ",")
			for (j = 1; j <= k; j++)
				if (v[j] != 1)
					bad(cname[i - 8] ".checksum.status " $i " (1 = good)")
			good++
		}
		if (!good)
			bad("no checksum verified")
		tcs[$1] = $15
		ucs[$1] = $16
		if (e[3] != 0) {
			if (!(e[3] in tcs))
				bad("quotes frame " e[3] ", not seen before it")
			if ($15 != tcs[e[3]] || $16 != ucs[e[3]])
				bad("quoted tcp/udp checksum \"" $15 "/" $16 \
				    "\" differs from frame " e[3] " (\"" \
				    tcs[e[3]] "/" ucs[e[3]] "\")")
		}
	}
	END {
		if (failed)
			exit 1
		if (n != nwant) {
			print n " frames decoded, " nwant " built"
			exit 1
		}
	}' "$exp" "$out")
	if [ -n "$reason" ]; then
		fail "$name: $reason"
		return
	fi
	frames=$(wc -l <"$out")
	echo "$PROG: ok $name ($frames frames)"
	passed=$((passed + 1))
}

scenarios=$("$GENCAP" --list | grep -v '^mix$')
for lt in eth raw; do
	for s in $scenarios; do
		check "$s $lt" "$s" --linktype "$lt"
	done
done
# Other MTUs (the largest packets fill the link exactly; quotes are cut at
# 576 / 1280 bytes whatever the size), repetitions, other seeds.
for mtu in 1300 1400 9000; do
	for s in ip6tnl-tel ip6tnl-notel 6in6 gre wg wg-ipv6 frag-needed ptb vxlan; do
		check "$s mtu $mtu" "$s" --mtu "$mtu"
	done
done
check "ip6tnl-tel count 3" ip6tnl-tel --count 3 --seed 7
check "wg count 3" wg --count 3 --seed 9
check "mix 5000 eth" mix 5000 --seed 42
check "mix 3000 raw" mix --count 3000 --seed 5 --linktype raw

# Same arguments, same bytes; another seed, other bytes.
if "$GENCAP" mix 2000 --seed 3 -o "$tmp/a.pcap" &&
	"$GENCAP" mix 2000 --seed 3 -o "$tmp/b.pcap" &&
	"$GENCAP" mix 2000 --seed 4 -o "$tmp/c.pcap" &&
	cmp -s "$tmp/a.pcap" "$tmp/b.pcap" && ! cmp -s "$tmp/a.pcap" "$tmp/c.pcap"; then
	echo "$PROG: ok reproducible output"
	passed=$((passed + 1))
else
	fail "reproducible: gencap output depends on more than its arguments"
fi

echo "$PROG: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
