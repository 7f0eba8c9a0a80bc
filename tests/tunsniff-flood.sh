#!/bin/sh
# tests/tunsniff-flood.sh BUILD_DIR - tunsniff -r under a flood of new flows (offline, no root).
#
# floodcap writes real tunnels around a flood of N packets with distinct 5-tuples
# (WireGuard data and ip6tnl tunnels from new sources, plain UDP, new inner TCP flows inside a
# real ip6tnl tunnel, new WireGuard sessions on the real WireGuard tunnel) and prints what it
# built.  The expected table figures follow from those counts and the documented capacities
# (tunsniff(1) LIMITS: 256 tunnels, 64 inner TCP flows, 8 WireGuard sessions per tunnel):
# every new entry past a full table evicts one (the flood's entries are one packet each, never
# assured), so evicted = created - capacity and nothing goes untracked; the real tunnels,
# seen both ways, keep every packet and their built sizes; the tunnel seen only after the flood
# is reported in full.  Peak RSS (/usr/bin/time) must stay under the documented bound and must
# not grow with the number of flows (2,000,000 against 200,000 packets).
# Prints "tunsniff-flood: N passed, M failed".
set -u
B=${1:?usage: tests/tunsniff-flood.sh BUILD_DIR}
TSN=$B/tunsniff
GEN=$B/floodcap
N=${FLOOD_PACKETS:-2000000}
RSS_BOUND_KIB=32768       # tunsniff(1) LIMITS: peak RSS of tunsniff -r, whatever the input
RSS_GROWTH_KIB=1024       # 10 times the flows may not cost more than this
CAP_TUN=256
CAP_FLOW=64
CAP_SESS=8
W=$(mktemp -d "${TMPDIR:-/tmp}/pd-tsflood.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "tunsniff-flood: ok   $1"; }
bad() { fail=$((fail + 1)); echo "tunsniff-flood: FAIL $1: $2"; }

for x in "$TSN" "$GEN"; do
	[ -x "$x" ] || { echo "tunsniff-flood: $x missing (make BUILD=$B tools tests)"; exit 1; }
done

# rss_run NAME OUT ARGS...: run tunsniff, its peak RSS in KiB into $W/NAME.rss.
rss_run()
{
	name=$1 out=$2
	shift 2
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f %M -o "$W/$name.rss" "$TSN" "$@" >"$out" 2>"$W/$name.err"
	else
		"$TSN" "$@" >"$out" 2>"$W/$name.err"
	fi
}

start=$(date +%s)
"$GEN" -n "$N" -o "$W/flood.pcap" >"$W/built" || { echo "tunsniff-flood: floodcap failed"; exit 1; }
"$GEN" -n $((N / 10)) -o "$W/tenth.pcap" >"$W/built-tenth" ||
	{ echo "tunsniff-flood: floodcap failed"; exit 1; }
echo "tunsniff-flood: $(sed -n 's/^frames=//p' "$W/built") frames, $N of them the flood," \
	"$(wc -c <"$W/flood.pcap") bytes"

rss_run flood "$W/flood.json" --json -r "$W/flood.pcap"
rc=$?
if [ $rc -eq 0 ]; then ok "no crash on $N new flows (exit 0)"; else bad "exit" "status $rc"; fi
rss_run tenth "$W/tenth.json" --json -r "$W/tenth.pcap"
"$TSN" -r "$W/flood.pcap" >"$W/flood.txt" 2>&1

# The figures, against what floodcap built and the capacities.
if python3 - "$W/built" "$W/flood.json" "$CAP_TUN" "$CAP_FLOW" "$CAP_SESS" <<-'EOF'
	import json, sys
	b = dict(l.strip().split("=", 1) for l in open(sys.argv[1]) if "=" in l)
	d = json.load(open(sys.argv[2]))
	cap_t, cap_f, cap_s = (int(x) for x in sys.argv[3:6])
	n = lambda k: int(b[k])
	pair = lambda k: [int(x) for x in b[k].split(",")]
	bad = []
	def want(what, got, exp):
	    if got != exp:
	        bad.append("%s is %r, want %r" % (what, got, exp))
	lim = d["limits"]
	created = 3 + n("wg_tunnels") + n("ip6tnl_tunnels")
	want("tunnels created", lim["tunnels"]["created"], created)
	want("tunnels evicted", lim["tunnels"]["evicted"], max(0, created - cap_t))
	want("tunnel packets not analysed", lim["tunnels"]["not_tracked_packets"], 0)
	want("tunnels reported", len(d["tunnels"]), min(created, cap_t))
	flows = n("r2_inner_flows") + 2   # the real flow, evicted in the flood, comes back
	want("flows created", lim["inner_flows"]["created"], flows)
	want("flows evicted", lim["inner_flows"]["evicted"], max(0, flows - cap_f))
	want("segments not tracked", lim["inner_flows"]["not_tracked_segments"], 0)
	want("sessions evicted", lim["wireguard_sessions"]["evicted"],
	     max(0, n("r1_junk_sessions") - (cap_s - 1)))
	want("memory_bytes > 0", lim["memory_bytes"] > 0, True)
	t = d["totals"]
	want("frames", t["frames"], n("frames"))
	want("wireguard packets", t["tunnelled"]["wireguard"],
	     sum(pair("r1_packets")) + n("wg_tunnels"))
	want("ip6tnl packets", t["tunnelled"]["ip6tnl"],
	     sum(pair("r2_packets")) + n("ip6tnl_tunnels"))
	want("ipip packets", t["tunnelled"]["ipip"], sum(pair("r3_packets")))
	want("vxlan packets", t["tunnelled"]["vxlan"], 0)
	def tun(kind, a, b_):
	    for x in d["tunnels"]:
	        e = [p["address"] for p in x["endpoints"]]
	        if x["kind"] == kind and e == [a, b_]:
	            return x
	    bad.append("%s %s <-> %s not reported" % (kind, a, b_))
	    return None
	r1 = tun("wireguard", "198.51.100.1", "198.51.100.2")
	if r1:
	    want("R1 ports", [p["port"] for p in r1["endpoints"]], [43462, 51820])
	    want("R1 packets", [x["packets"] for x in r1["directions"]], pair("r1_packets"))
	    want("R1 max_outer", r1["max_outer"], n("r1_max_outer"))
	    want("R1 implied MTU", (r1["implied_mtu"]["value"], r1["implied_mtu"]["provenance"]),
	         (n("r1_mtu"), "measured"))
	    want("R1 sessions", r1["sessions"], cap_s)
	r2 = tun("ip6tnl", "2001:db8:1::1", "2001:db8:1::2")
	if r2:
	    want("R2 packets", [x["packets"] for x in r2["directions"]], pair("r2_packets"))
	    want("R2 overhead", (r2["overhead"]["value"], r2["overhead"]["provenance"]),
	         (n("r2_overhead"), "measured"))
	    want("R2 max_outer", r2["max_outer"], n("r2_max_outer"))
	    want("R2 max_inner", r2["max_inner"], n("r2_max_inner"))
	r3 = tun("ipip", "203.0.113.1", "203.0.113.2")
	if r3:
	    want("R3 packets", [x["packets"] for x in r3["directions"]], pair("r3_packets"))
	    want("R3 overhead", r3["overhead"]["value"], n("r3_overhead"))
	    want("R3 max_outer", r3["max_outer"], n("r3_max_outer"))
	f = [x for x in d["findings"] if x["kind"] == "flow-table-overflow"]
	want("flow-table-overflow findings", len(f), 1)
	if f:
	    m = f[0]["message"]
	    for s in ("tunnels %d created, %d evicted" % (created, created - cap_t),
	              "inner TCP flows %d evicted" % (flows - cap_f)):
	        if s not in m:
	            bad.append("finding lacks %r: %s" % (s, m))
	want("tunnel-table-full findings",
	     [x for x in d["findings"] if x["kind"] == "tunnel-table-full"], [])
	for x in bad:
	    print(x)
	sys.exit(1 if bad else 0)
	EOF
then ok "tables: evictions and drops as built, real tunnels whole, late tunnel reported"
else bad "figures" "above"
fi

# The text report names the tables' counts too.
if grep -q "^tables (measured; limits in tunsniff(1)): tunnels 256 of 256, " "$W/flood.txt" &&
	grep -q "^INFO: tables full (a flood of new flows?): tunnels " "$W/flood.txt"; then
	ok "text report: tables line and finding"
else
	bad "text report" "$(head -5 "$W/flood.txt")"
fi

# A smaller table (--max-tunnels 16): the same rule with that capacity.
"$TSN" --json --max-tunnels 16 -r "$W/tenth.pcap" >"$W/m16.json" 2>"$W/m16.err"
if python3 - "$W/built-tenth" "$W/m16.json" <<-'EOF'
	import json, sys
	b = dict(l.strip().split("=", 1) for l in open(sys.argv[1]) if "=" in l)
	d = json.load(open(sys.argv[2]))
	created = 3 + int(b["wg_tunnels"]) + int(b["ip6tnl_tunnels"])
	t = d["limits"]["tunnels"]
	got = (t["capacity"], t["created"], t["evicted"], t["not_tracked_packets"], len(d["tunnels"]))
	exp = (16, created, created - 16, 0, 16)
	if got != exp:
	    print("got", got, "want", exp)
	    sys.exit(1)
	EOF
then ok "--max-tunnels 16: evicted = created - 16"
else bad "--max-tunnels 16" "above"
fi

# The document is valid against docs/schema/tunsniff.schema.json.
if python3 -c 'import jsonschema' 2>/dev/null; then
	if python3 tests/schema-validate.py --schemas docs/schema --strict --schema tunsniff \
		"$W/flood.json" >"$W/schema.out" 2>&1; then
		ok "schema: tunsniff.schema.json"
	else
		bad "schema" "$(tail -3 "$W/schema.out")"
	fi
fi

# Memory: under the documented bound, and not growing with the flows.
if [ -s "$W/flood.rss" ] && [ -s "$W/tenth.rss" ]; then
	r=$(tail -1 "$W/flood.rss")
	r10=$(tail -1 "$W/tenth.rss")
	mem=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["limits"]
		["memory_bytes"])' "$W/flood.json")
	echo "tunsniff-flood: peak RSS $r KiB ($N packets), $r10 KiB ($((N / 10)) packets)," \
		"analysis state $mem bytes"
	# ASan's shadow memory and quarantine are not tunsniff's: the documented
	# bound holds for the plain build; the growth check below holds for both.
	if nm "$TSN" 2>/dev/null | grep -q __asan_init; then
		echo "tunsniff-flood: ASan build: the absolute bound is checked by the plain build"
	elif [ "$r" -le "$RSS_BOUND_KIB" ]; then ok "peak RSS $r KiB <= $RSS_BOUND_KIB KiB"
	else bad "peak RSS" "$r KiB > $RSS_BOUND_KIB KiB"; fi
	if [ $((r - r10)) -le "$RSS_GROWTH_KIB" ]; then
		ok "peak RSS grows $((r - r10)) KiB for 10 times the flows (<= $RSS_GROWTH_KIB)"
	else
		bad "RSS growth" "$r10 -> $r KiB"
	fi
else
	bad "peak RSS" "/usr/bin/time missing or failed"
fi
echo "tunsniff-flood: $(($(date +%s) - start)) s in all"

echo "tunsniff-flood: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
