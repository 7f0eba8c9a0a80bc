#!/bin/sh
# tests/capfaults-offline.sh BUILD_DIR [CAPTURES] - damaged capture files and failed writes,
# offline and without root (docs/tunsniff.1 DIAGNOSTICS and EXIT STATUS):
#
#   cut     real captures cut at several offsets (inside a record header, inside a frame, at
#           a record boundary): tunsniff reads the whole records before the cut, as many as
#           tshark decodes from the same file; one stderr line "tunsniff: warning: FILE:
#           truncated dump file..."; exit 1 (0 and no warning when the cut falls between two
#           records); the -w copy holds as many frames; `record` writes its file and warns
#           the same way.
#   ng      a pcapng with blocks of unknown type inserted (python3): every packet read (tshark's
#           count), a warning naming the first block's type and offset, exit 1.
#   snap    the capture with its snap length set below the headers (editcap -s 30: Ethernet 14 +
#           IPv4 20 = 34 > 30): every frame read (tshark's count), the warning counts the frames
#           that lack their headers, exit 1; with -s 1000 (headers whole) no warning, exit 0.
#   full    -w and --records on /dev/full: exit 3, one line naming the file.  A file size limit
#           (ulimit -f, SIGXFSZ ignored) stops -w part-way: exit 3, one line naming the file and
#           the frames it holds, and tshark reads exactly those frames without a "cut short".
# Prints "capfaults-offline: N passed, M failed"; exit 1 when any failed.

BUILD=${1:-build}
CAPTURES=${2:-../shared/captures}
TSN=$BUILD/tunsniff
W=$(mktemp -d "${TMPDIR:-/tmp}/pd-capfaults.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "capfaults-offline: ok   $1"; }
bad() { fail=$((fail + 1)); echo "capfaults-offline: FAIL $1: $2"; }

if ! command -v tshark >/dev/null || ! command -v python3 >/dev/null ||
	! command -v editcap >/dev/null; then
	echo "capfaults-offline: tshark, editcap and python3 are needed" >&2
	exit 1
fi

# frames FILE: the frames tshark decodes from FILE (those before a cut).
frames() { tshark -r "$1" 2>/dev/null | wc -l | tr -d ' '; }
# jget JSONFILE EXPR: a Python expression over the document d.
jget() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }
# kinds JSONFILE: the finding kinds, space-separated.
kinds() { jget "$1" '" ".join(f["kind"] for f in d["findings"])'; }

# check_warned NAME FILE WANT_FRAMES WANT_KIND STDERR_PATTERN: tunsniff -r FILE in text mode and
# --json (with -w): exit 1, one warning line, frames and the saved copy as tshark counts.
check_warned()
{
	name=$1 f=$2 want=$3 kind=$4 pat=$5
	"$TSN" -r "$f" >"$W/out" 2>"$W/err"
	rc=$?
	if [ "$rc" = 1 ] && [ "$(wc -l <"$W/err")" = 1 ] && grep -q "^tunsniff: warning: $pat" "$W/err"
	then
		ok "$name: exit 1, one warning line"
	else
		bad "$name: exit 1, one warning line" "exit $rc, stderr: $(head -c 300 "$W/err")"
	fi
	"$TSN" --json -r "$f" -w "$W/copy.pcap" >"$W/j" 2>"$W/err"
	rc=$?
	got=$(jget "$W/j" 'd["sources"][0]["frames"]')
	copy=$(frames "$W/copy.pcap")
	if [ "$rc" = 1 ] && [ "$got" = "$want" ] && [ "$copy" = "$want" ] && [ ! -s "$W/err" ] &&
		[ "$(jget "$W/j" 'd["error"]')" = None ] && kinds "$W/j" | grep -qw "$kind"; then
		ok "$name: $want frames read and saved (tshark $want), finding $kind"
	else
		bad "$name: frames" "exit $rc, read $got, saved $copy, tshark $want, kinds '$(kinds "$W/j")'"
	fi
}

# ---- cut: real captures cut inside records ---------------------------------------------------
for spec in ndpi-vxlan.pcap:30 ndpi-vxlan.pcap:50000 ndpi-vxlan.pcap:60011 \
	wgdissector-8-trace.pcap:700001 wgdissector-8-trace.pcap:1476780 \
	zeek-gre-within-gre.pcap:81234; do
	src=$CAPTURES/${spec%%:*}
	off=${spec##*:}
	[ -r "$src" ] || { bad "cut $spec" "no $src"; continue; }
	head -c "$off" "$src" >"$W/cut.pcap"
	want=$(frames "$W/cut.pcap")
	if ! tshark -r "$W/cut.pcap" 2>&1 >/dev/null | grep -q "cut short"; then
		bad "cut $spec" "tshark does not see a cut at $off"
		continue
	fi
	check_warned "cut $spec" "$W/cut.pcap" "$want" input-damaged \
		"$W/cut.pcap: truncated dump file"
done
# a cut at a record boundary is no damage: the first 5 records of ndpi-vxlan.pcap
src=$CAPTURES/ndpi-vxlan.pcap
editcap -r "$src" "$W/five.pcap" 1-5 2>/dev/null
"$TSN" --json -r "$W/five.pcap" >"$W/j" 2>"$W/err"
rc=$?
if [ "$rc" = 0 ] && [ ! -s "$W/err" ] && [ "$(jget "$W/j" 'd["sources"][0]["frames"]')" = 5 ]; then
	ok "cut at a record boundary: 5 frames, exit 0, no warning"
else
	bad "cut at a record boundary" "exit $rc, $(kinds "$W/j"), $(head -c 200 "$W/err")"
fi
# record: the records before the damage, the same warning
head -c 50000 "$src" >"$W/cut.pcap"
want=$(frames "$W/cut.pcap")
"$TSN" record -r "$W/cut.pcap" --records "$W/cut.rec" >"$W/out" 2>"$W/err"
rc=$?
"$TSN" record --json -r "$W/cut.pcap" --records "$W/cut.rec" >"$W/j" 2>/dev/null
got=$(jget "$W/j" 'd["records"]["input"]["frames"]')
if [ "$rc" = 1 ] && [ "$(wc -l <"$W/err")" = 1 ] &&
	grep -q "^tunsniff: warning: $W/cut.pcap: truncated dump file" "$W/err" &&
	[ "$got" = "$want" ] && "$TSN" correlate "$W/cut.rec" "$W/cut.rec" >/dev/null 2>&1; then
	ok "record of a cut file: $got frames (tshark $want), warning, exit 1, a complete record file"
else
	bad "record of a cut file" "exit $rc, frames $got (tshark $want), $(head -c 300 "$W/err")"
fi

# ---- ng: pcapng with blocks of unknown type ----------------------------------------------------
src=$CAPTURES/ndpi-wireguard.pcapng
python3 - "$src" "$W/unk.pcapng" >"$W/offsets" <<'EOF'
import struct, sys
b = open(sys.argv[1], 'rb').read()
e = '<' if struct.unpack_from('<I', b, 8)[0] == 0x1A2B3C4D else '>'
off, out, packets, first = 0, bytearray(), 0, None
while off < len(b):
    t, l = struct.unpack_from(e + 'II', b, off)
    out += b[off:off + l]
    if t in (3, 6):
        packets += 1
        if packets in (1, 3):  # an unknown block after the 1st and the 3rd packet
            body = b'not a known block type!!'
            if first is None:
                first = len(out)
            out += struct.pack(e + 'II', 0x0BAD0001, 12 + len(body)) + body
            out += struct.pack(e + 'I', 12 + len(body))
    off += l
open(sys.argv[2], 'wb').write(out)
print(first)
EOF
first=$(cat "$W/offsets")
want=$(frames "$W/unk.pcapng")
if [ "$want" = "$(frames "$src")" ] && [ "$want" -gt 0 ]; then
	check_warned "pcapng, unknown blocks" "$W/unk.pcapng" "$want" input-unknown-blocks \
		"$W/unk.pcapng: 2 pcapng blocks of unknown type skipped (the first, type 0x0bad0001, at byte $first)"
else
	bad "pcapng, unknown blocks" "tshark reads $want frames of the crafted file"
fi

# ---- snap: snap length below the headers -----------------------------------------------------
src=$CAPTURES/ndpi-vxlan.pcap
editcap -s 30 "$src" "$W/snap30.pcap" 2>/dev/null
want=$(frames "$W/snap30.pcap")
check_warned "snap length 30" "$W/snap30.pcap" "$want" snaplen-cut \
	"$want frames were cut by the snap length before their headers ended"
editcap -s 1000 "$src" "$W/snap1000.pcap" 2>/dev/null
"$TSN" --json -r "$W/snap1000.pcap" >"$W/j" 2>"$W/err"
rc=$?
if [ "$rc" = 0 ] && ! kinds "$W/j" | grep -q snaplen-cut; then
	ok "snap length 1000 (headers whole): no warning, exit 0"
else
	bad "snap length 1000" "exit $rc, kinds '$(kinds "$W/j")'"
fi

# ---- full: write errors -------------------------------------------------------------------------
# fails_naming NAME PATTERN CMD...: exit 3 and one stderr line matching ^PATTERN.
fails_naming()
{
	name=$1 pat=$2
	shift 2
	"$@" >"$W/out" 2>"$W/err"
	rc=$?
	if [ "$rc" = 3 ] && [ "$(wc -l <"$W/err")" = 1 ] && grep -q "^$pat" "$W/err"; then
		ok "$name: exit 3, one line naming the file"
	else
		bad "$name" "exit $rc, $(head -c 300 "$W/err")"
	fi
}
src=$CAPTURES/ndpi-vxlan.pcap
fails_naming "-w /dev/full" \
	"tunsniff: /dev/full: writing the file failed: No space left on device" \
	"$TSN" -q -r "$src" -w /dev/full
fails_naming "--records /dev/full" \
	"tunsniff: writing '/dev/full' failed: No space left on device" \
	"$TSN" record -q -r "$src" --records /dev/full
# a file size limit (ulimit -f 300: 300 blocks of 512 or 1024 bytes by shell, far below the
# 1.4 MB capture either way): writes past it fail with EFBIG
src=$CAPTURES/wgdissector-8-trace.pcap
(
	trap '' XFSZ
	ulimit -f 300
	exec "$TSN" -r "$src" -w "$W/limit.pcap"
) >"$W/out" 2>"$W/err"
rc=$?
held=$(sed -n 's/.*the file holds the first \([0-9]*\) frames whole$/\1/p' "$W/err")
got=$(frames "$W/limit.pcap")
if [ "$rc" = 3 ] && [ "$(wc -l <"$W/err")" = 1 ] &&
	grep -q "^tunsniff: $W/limit.pcap: writing the file failed: File too large" "$W/err" &&
	[ -n "$held" ] && [ "$held" -gt 0 ] && [ "$got" = "$held" ] &&
	! tshark -r "$W/limit.pcap" 2>&1 >/dev/null | grep -q "cut short"; then
	ok "-w past a file size limit: exit 3, the file holds $held whole frames (tshark $got)"
else
	bad "-w past a file size limit" "exit $rc, said $held, tshark $got, $(head -c 300 "$W/err")"
fi

echo "capfaults-offline: $pass passed, $fail failed"
[ "$fail" = 0 ]
