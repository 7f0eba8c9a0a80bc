#!/bin/sh
# tests/tunsniff-gen.sh BUILD_DIR - tunsniff on ip6tnl captures written by gencap with the
# library's encoders (this kernel has no ip6tnl), and bad input beyond tests/cli.
#
# ip6tnl: gencap's ip6tnl-tel (IPv4 in IPv6 with the RFC 2473 Tunnel Encapsulation Limit
# option: 40 + 8 = 48 bytes of overhead), ip6tnl-notel (40) and 6in6 (with the option: 48),
# raw and Ethernet link types, under link MTUs 1300, 1500 and 9000.  gencap's TCP sessions
# fill the link: the largest outer packet is the MTU, the largest inner packet the MTU minus
# the overhead.  tunsniff -r must report kind ip6tnl, overhead exactly 48 / 40 (measured), and
# those largest sizes; tshark decoding the same file must find the same largest sizes (outer
# 40 + the first ipv6.plen, inner ip.len or 40 + the last ipv6.plen).
#
# Receiving-end blackhole signature: gencap's bh-rx (ip6tnl, full-size TCP segments lost before
# the capture point, the small tail re-sent with back-off, the receiver's ACK stuck at the
# hole) must give one blackhole-signature (warning, receiving end) whose hole size, later
# segments and evidence frames are tshark's; bh-rx-heal (the hole filled by the first
# retransmission) none.
#
# Bad input: a truncated pcapng, a pcapng of an unsupported link type (tunsniff, correlate and
# record), a garbage record file and a record file cut in its header for correlate: one line on
# stderr, exit 3, no crash (a signal would give an exit status above 128).
# Prints "tunsniff-gen: N passed, M failed".
set -u
B=${1:?usage: tests/tunsniff-gen.sh BUILD_DIR}
TSN=$B/tunsniff
GEN=$B/gencap
W=$(mktemp -d "${TMPDIR:-/tmp}/pd-tsngen.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "tunsniff-gen: ok   $1"; }
bad() { fail=$((fail + 1)); echo "tunsniff-gen: FAIL $1: $2"; }

# jcheck FILE.json KEY=VALUE...: python evaluates d<KEY> on the JSON document.
jcheck()
{
	python3 - "$@" <<-'EOF'
	import json, sys
	d = json.load(open(sys.argv[1]))
	for kv in sys.argv[2:]:
	    k, v = kv.split("=", 1)
	    got = eval("d" + k)
	    if str(got) != v:
	        print("%s is %r, want %s" % (k, got, v))
	        sys.exit(1)
	EOF
}

# tshark_max FILE INNER: "largest-outer largest-inner" as tshark decodes FILE; INNER is 4 or 6.
tshark_max()
{
	if [ "$2" = 4 ]; then
		tshark -r "$1" -T fields -E occurrence=f -e ipv6.plen -e ip.len 2>/dev/null
	else
		tshark -r "$1" -T fields -E occurrence=a -E aggregator=, -e ipv6.plen 2>/dev/null |
			awk -F, '{ print $1 "\t" ($NF + 40) }'
	fi | awk -F'\t' '$1 != "" { o = $1 + 40; if (o > mo) mo = o; if ($2 + 0 > mi) mi = $2 + 0 }
		END { print mo, mi }'
}

for scen in ip6tnl-tel:48:4 ip6tnl-notel:40:4 6in6:48:6; do
	name=${scen%%:*}
	rest=${scen#*:}
	ovh=${rest%%:*}
	inner=${rest#*:}
	for lt in raw eth; do
		for mtu in 1300 1500 9000; do
			f=$W/$name-$lt-$mtu.pcap
			t="$name $lt mtu $mtu"
			if ! "$GEN" "$name" -m "$mtu" -l "$lt" -o "$f" 2>"$W/err"; then
				bad "$t" "gencap: $(cat "$W/err")"
				continue
			fi
			"$TSN" --json -r "$f" >"$W/out.json" 2>"$W/err"
			rc=$?
			d='["tunnels"][0]'
			if [ "$rc" != 0 ]; then
				bad "$t" "tunsniff exit $rc: $(head -c 200 "$W/err")"
			elif why=$(jcheck "$W/out.json" '["tunnels"].__len__()=1' "$d[\"kind\"]=ip6tnl" \
				"$d[\"outer_family\"]=6" "$d[\"inner_family\"]=$inner" \
				"$d[\"overhead\"][\"value\"]=$ovh" \
				"$d[\"overhead\"][\"provenance\"]=measured" \
				"$d[\"max_outer\"]=$mtu" "$d[\"max_inner\"]=$((mtu - ovh))" \
				"$d[\"directions\"][0][\"overhead_min\"]=$ovh" \
				"$d[\"directions\"][0][\"overhead_max\"]=$ovh" \
				"$d[\"directions\"][1][\"overhead_max\"]=$ovh"); then
				ok "$t: overhead $ovh exact, max outer $mtu, max inner $((mtu - ovh))"
			else
				bad "$t" "$why"
			fi
			got=$(tshark_max "$f" "$inner")
			if [ "$got" = "$mtu $((mtu - ovh))" ]; then
				ok "$t: tshark agrees (max outer $mtu, inner $((mtu - ovh)))"
			else
				bad "$t: tshark" "tshark max outer/inner '$got', want '$mtu $((mtu - ovh))'"
			fi
		done
	done
done

# ---- receiving-end blackhole signature (inner TCP) -------------------------------------------
#
# gencap bh-rx: the receiving end of ip6tnl (TEL, 48 bytes) where two full-size segments of a
# flight never arrive, the small tail does and is re-sent at each back-off, and the receiver's
# ACK stays at the first lost byte.  tshark's truth: the frame after the hole ("previous
# segment not captured"), the duplicate ACKs, the hole's size (that frame's seq minus the stuck
# ACK), the later segments (data at or beyond that seq) and their largest size.  The lost
# segments' size is the MSS the lab built (MTU - 48 - 40) less the 12 bytes of timestamps
# option: MTU - 100, in packets of MTU - 48 (inner) and MTU (outer).  bh-rx-heal: the same hole
# filled by the first retransmission: no blackhole-signature.

# bh_truth FILE.pcap: "F G N L D1,D2,..." as tshark decodes FILE.
bh_truth()
{
	tshark -r "$1" -T fields -e frame.number -e tcp.seq -e tcp.ack -e tcp.len \
		-e tcp.analysis.lost_segment -e tcp.analysis.duplicate_ack -e tcp.srcport \
		2>/dev/null | python3 -c '
import sys
rows = [l.rstrip("\n").split("\t") for l in sys.stdin]
lost = [r for r in rows if r[4]]
if not lost:
    print("none"); sys.exit()
f = lost[0]
dups = [r for r in rows if r[5]]
g = int(f[1]) - int(dups[0][2]) if dups else 0
later = [r for r in rows if r[6] == f[6] and int(r[3]) > 0 and int(r[1]) >= int(f[1])]
print(f[0], g, len(later), max(int(r[3]) for r in later), ",".join(r[0] for r in dups))'
}

for mtu in 1300 1500 9000; do
	for lt in raw eth; do
		t="bh-rx $lt mtu $mtu"
		f=$W/bhrx-$lt-$mtu.pcap
		if ! "$GEN" bh-rx -m "$mtu" -l "$lt" -o "$f" 2>"$W/err"; then
			bad "$t" "gencap: $(cat "$W/err")"
			continue
		fi
		"$TSN" --json -r "$f" >"$W/out.json" 2>"$W/err"
		rc=$?
		set -- $(bh_truth "$f")
		if [ "$#" != 5 ]; then
			bad "$t" "tshark truth: $*"
			continue
		fi
		seg=$((mtu - 100))
		# gencap lost two full-size segments: tshark's hole must be exactly that.
		if [ "$2" != $((2 * seg)) ]; then
			bad "$t" "tshark's hole is $2 bytes, gencap lost 2 x $seg"
			continue
		fi
		want="ip6tnl 2001:db8:1::1 -> 2001:db8:1::2 (receiving end): TCP 192.0.2.1:40300 -> 192.0.2.2:40001: a $2-byte hole never filled while $3 later segments of <= $4 bytes arrived"
		want2="likely lost on the path"
		tail="$(($2 / seg)) x $seg-byte segments ($((mtu - 48))-byte inner, $mtu-byte outer packets) $want2"
		if [ "$rc" != 1 ]; then
			bad "$t" "exit $rc, want 1: $(head -c 200 "$W/err")"
		elif why=$(python3 - "$W/out.json" "$want" "$tail" "$1,$5" <<-'EOF'
			import json, sys
			d = json.load(open(sys.argv[1]))
			fs = [f for f in d["findings"] if f["kind"] == "blackhole-signature"]
			if len(fs) != 1 or len(d["findings"]) != 1:
			    sys.exit("findings: %r" % [f["kind"] for f in d["findings"]])
			f = fs[0]
			if f["severity"] != "warning":
			    sys.exit("severity " + f["severity"])
			if not f["message"].startswith(sys.argv[2]) or not f["message"].endswith(sys.argv[3]):
			    sys.exit("message %r, want %r ... %r" % (f["message"], sys.argv[2], sys.argv[3]))
			got = ",".join(str(x["frame"]) for x in f["frames"])
			if got != sys.argv[4]:
			    sys.exit("evidence frames %s, want %s (tshark)" % (got, sys.argv[4]))
			EOF
		); then
			ok "$t: blackhole-signature (receiving end), $2-byte hole, $(($2 / seg)) x $seg lost, frames = tshark's"
		else
			bad "$t" "$why"
		fi
	done
	t="bh-rx-heal mtu $mtu"
	f=$W/bhheal-$mtu.pcap
	if ! "$GEN" bh-rx-heal -m "$mtu" -o "$f" 2>"$W/err"; then
		bad "$t" "gencap: $(cat "$W/err")"
		continue
	fi
	"$TSN" --json -r "$f" >"$W/out.json" 2>"$W/err"
	rc=$?
	set -- $(bh_truth "$f")
	retx=$(tshark -r "$f" -Y tcp.analysis.retransmission 2>/dev/null | wc -l)
	if [ "$#" != 5 ] || [ "$retx" != 2 ]; then
		bad "$t" "tshark: hole '$*', $retx retransmissions (want a hole and 2)"
	elif [ "$rc" != 0 ]; then
		bad "$t" "exit $rc, want 0: $(head -c 300 "$W/out.json")"
	elif why=$(jcheck "$W/out.json" '["findings"].__len__()=0'); then
		ok "$t: the $2-byte hole filled by the first retransmission: no finding"
	else
		bad "$t" "$why"
	fi
done

# ---- bad input ---------------------------------------------------------------------------

# one_line NAME [STDERR-SUBSTRING] -- CMD...: exit 3, one stderr line starting "tunsniff: ".
one_line()
{
	name=$1
	want=$2
	shift 3
	"$@" >"$W/out" 2>"$W/err"
	rc=$?
	if [ "$rc" != 3 ]; then
		bad "$name" "exit $rc (stderr: $(head -c 200 "$W/err"))"
	elif [ "$(wc -l <"$W/err")" != 1 ]; then
		bad "$name" "stderr not one line: $(head -c 300 "$W/err")"
	elif ! grep -q '^tunsniff: ' "$W/err" || ! grep -qF -- "$want" "$W/err"; then
		bad "$name" "stderr '$(cat "$W/err")' lacks '$want'"
	else
		ok "$name"
	fi
}

"$GEN" ip6tnl-tel -c 20 -o "$W/ok.pcap" || bad "gencap for bad input" "failed"
# pcapng: tshark converts the good capture; cut it in the middle of a block
tshark -r "$W/ok.pcap" -F pcapng -w "$W/ok.pcapng" 2>/dev/null
n=$(stat -c %s "$W/ok.pcapng")
head -c $((n / 2 + 3)) "$W/ok.pcapng" >"$W/trunc.pcapng"
# tunsniff itself reads a damaged file as far as it goes, with a warning (exit 1)
"$TSN" -r "$W/trunc.pcapng" >"$W/out" 2>"$W/err"
rc=$?
if [ "$rc" = 1 ] && [ "$(wc -l <"$W/err")" = 1 ] &&
	grep -q '^tunsniff: warning: .*truncated pcapng dump file' "$W/err"; then
	ok "truncated pcapng: a warning, exit 1"
else
	bad "truncated pcapng: a warning, exit 1" "exit $rc, stderr $(head -c 300 "$W/err")"
fi
one_line "correlate: truncated pcapng" "truncated pcapng dump file" -- \
	"$TSN" correlate "$W/trunc.pcapng" "$W/ok.pcap"
# a pcapng: section header block, one interface of link type 147 (USER0), no packets
python3 -c 'import struct, sys
shb = struct.pack("<IIIHHqI", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1, 28)
idb = struct.pack("<IIHHII", 1, 20, 147, 0, 65535, 20)
sys.stdout.buffer.write(shb + idb)' >"$W/user0.pcapng"
one_line "pcapng of link type 147" "link type 147 is not supported" -- \
	"$TSN" -r "$W/user0.pcapng"
one_line "correlate: pcapng of link type 147" "link type 147 is not supported" -- \
	"$TSN" correlate "$W/user0.pcapng" "$W/ok.pcap"
one_line "record: pcapng of link type 147" "link type 147 is not supported" -- \
	"$TSN" record -r "$W/user0.pcapng" --records "$W/u.rec"
# record files: the magic and version 1.0, then garbage (seeded: the same bytes every run);
# the magic and a cut header
garbage() { python3 -c 'import random, sys
r = random.Random(int(sys.argv[1]))
sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(int(sys.argv[2]))))' "$@"; }
for seed in 1 2 3 4; do
	{ printf 'PDTUNREC\001\000'; garbage "$seed" 300; } >"$W/garbage.rec"
	one_line "correlate: garbage after the record magic (seed $seed)" "'$W/garbage.rec'" -- \
		"$TSN" correlate "$W/garbage.rec" "$W/ok.pcap"
done
printf 'PDTUNREC\001\000' >"$W/cut.rec"
one_line "correlate: record header cut short" "'$W/cut.rec'" -- \
	"$TSN" correlate "$W/ok.pcap" "$W/cut.rec"
# a valid header (tunsniff record wrote it) followed by whole records of garbage: whatever
# they decode to, correlate ends with an exit status of its own (0..3), not a signal
if "$TSN" record -r "$W/ok.pcap" --records "$W/ok.rec" >/dev/null 2>"$W/err"; then
	hl=$(python3 -c 'import struct, sys
print(struct.unpack_from("<H", open(sys.argv[1], "rb").read(), 12)[0])' "$W/ok.rec")
	rl=$(python3 -c 'import struct, sys
print(struct.unpack_from("<H", open(sys.argv[1], "rb").read(), 14)[0])' "$W/ok.rec")
	for seed in 5 6 7; do
		{ head -c "$hl" "$W/ok.rec"; garbage "$seed" $((rl * 40)); } >"$W/body.rec"
		"$TSN" correlate --json "$W/body.rec" "$W/ok.rec" >"$W/out" 2>"$W/err"
		rc=$?
		if [ "$rc" -le 3 ] && python3 -c 'import json, sys; json.load(open(sys.argv[1]))' \
			"$W/out" 2>/dev/null; then
			ok "correlate: garbage records after a valid header (seed $seed): exit $rc, JSON"
		else
			bad "correlate: garbage records (seed $seed)" "exit $rc: $(head -c 200 "$W/err")"
		fi
	done
else
	bad "record -r ok.pcap" "$(cat "$W/err")"
fi

echo "tunsniff-gen: $pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
