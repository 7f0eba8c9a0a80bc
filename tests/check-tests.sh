#!/bin/sh
# tests/check-tests.sh BUILD_DIR - `mtuprobe check` against the wg-quick
# fixtures in tests/configs/: for each, the exact set of findings (rule and
# line), the exit code, fix lines, and the SARIF document validated against
# the SARIF 2.1.0 schema (tests/sarif/).  No network, no privileges.
# Closes with "check-tests: N passed, M failed"; non-zero when anything failed.
#
# The expected findings follow from how each fixture was written (its
# comment says what is wrong in it) and, for the field-report fixtures, from
# the numbers in the reports (/work/shared/field-reports 000, 003, 004):
# WireGuard adds 60 bytes over IPv4, 80 over IPv6; DS-Lite 40 bytes.
# shellcheck disable=SC2086

set -u

B=${1:?usage: tests/check-tests.sh BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
C=$ROOT/tests/configs
M=$B/mtuprobe
T=$(mktemp -d "${TMPDIR:-/tmp}/pathdiag-check.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*" >&2
}

# findings JSON-FILE: "rule:line" of every finding, sorted, on one line
# ("file-unreadable:-" for a file that could not be read).
findings() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted("%s:%s" % (x["kind"], "-" if x["line"] is None else x["line"])
                      for x in d["findings"])))' "$1"
}

# expect NAME EXIT "rule:line ..." ARGS... : run check --format json.
expect() {
	name=$1 want_rc=$2 want=$3
	shift 3
	"$M" check --format json "$@" >"$T/out.json" 2>"$T/err"
	rc=$?
	got=$(findings "$T/out.json" 2>/dev/null || echo "(no JSON)")
	want=$(printf '%s\n' $want | sort | tr '\n' ' ' | sed 's/ $//')
	if [ "$rc" = "$want_rc" ] && [ "$got" = "$want" ]; then
		ok
	else
		bad "$name: exit $rc (want $want_rc), findings [$got], want [$want]"
	fi
}

# fix_is NAME RULE "exact fix text" ARGS...
fix_is() {
	name=$1 rule=$2 want=$3
	shift 3
	"$M" check --format json "$@" >"$T/out.json" 2>/dev/null
	got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("|".join(x["fix"] or "" for x in d["findings"]
               if x["kind"] == sys.argv[2]))' "$T/out.json" "$rule")
	if [ "$got" = "$want" ]; then ok; else bad "$name: fix [$got], want [$want]"; fi
}

# ---- field report 000: WireGuard over an IPv6 endpoint ----------------------------
# ping6 -s 1400 (a 1448-byte packet) was lost: the path is at most 1447.
# Over IPv6 WireGuard adds 80: at most 1367 fits, wg-quick's 1420 does not;
# the report's MTU = 1280 works.  No ListenPort, no keepalive: warning.
expect 000-initial 2 "mtu-too-big:2 mtu-peers:2" \
	--underlay ipv6 --path-mtu 1447 "$C/000-client-initial.conf"
fix_is 000-initial-fix mtu-too-big "MTU = 1367" \
	--underlay ipv6 --path-mtu 1447 "$C/000-client-initial.conf"
expect 000-client 1 "mtu-below-path:8 mtu-peers:8 keepalive-missing:12" \
	--underlay ipv6 --path-mtu 1447 "$C/000-client.conf"
# The same client with an IPv4 endpoint: 20 bytes more room (1447 - 60).
fix_is 000-v4-endpoint mtu-too-big "MTU = 1387" --path-mtu 1447 "$C/000-client-v4endpoint.conf"
# An IPv6 endpoint on an underlay declared IPv4-only.
expect 000-ipv4-only 1 "endpoint-family:12 mtu-unchecked:8 keepalive-missing:12" \
	--underlay ipv4 "$C/000-client.conf"
# On a clean 1500-byte IPv6 path the default 1420 is exact.
expect 000-clean-ipv6 0 "mtu-peers:2" --underlay ipv6 "$C/000-client-initial.conf"
# The server forwards (FORWARD, MASQUERADE, SNAT, forwarding=1) without a clamp,
# for IPv4 and IPv6.
expect 000-server 1 "mss-clamp-missing:6 mtu-peers:2" --path-mtu 1500 "$C/000-server.conf"
fix_is 000-server-fix mss-clamp-missing "PostUp = iptables -t mangle -A FORWARD -o %i -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
PostDown = iptables -t mangle -D FORWARD -o %i -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
PostUp = ip6tables -t mangle -A FORWARD -o %i -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
PostDown = ip6tables -t mangle -D FORWARD -o %i -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu" \
	--path-mtu 1500 "$C/000-server.conf"

# ---- field report 003: DS-Lite, MTU 1400 fixes it -----------------------------------
# DS-Lite: IPv4 path 1500 - 40 = 1460; WireGuard over IPv4: 1460 - 60 = 1400.
expect 003-laptop 2 "mtu-too-big:5 mtu-peers:5 keepalive-missing:11" \
	--underlay dslite "$C/003-laptop.conf"
fix_is 003-fix mtu-too-big "MTU = 1400" --underlay dslite "$C/003-laptop.conf"
expect 003-fixed 0 "mtu-peers:6" --underlay dslite "$C/003-laptop-fixed.conf"
# PPPoE: 1492 - 60 = 1432, so 1400 leaves 32 unused (info only).
expect 003-pppoe 0 "mtu-below-path:6 mtu-peers:6" --underlay pppoe "$C/003-laptop-fixed.conf"
# A path given as the MTU of the link under DS-Lite: 1454 - 40 - 60 = 1354.
fix_is 003-dslite-1454 mtu-too-big "MTU = 1354" --underlay dslite --path-mtu 1454 \
	"$C/003-laptop-fixed.conf"

# ---- field report 004: gateway VPS and home server --------------------------------
G=$C/004/gateway/wg0.conf
S=$C/004/server/wg0.conf
# Gateway: MTU 1500 on a 1500 path (no endpoint: IPv6's 80 assumed), forwards
# without a clamp, NAT-loopback PostDown lines that add (-A).  The server's
# configuration is given, and it routes replies back: no DNAT finding.
expect 004-pair 2 "mtu-too-big:9 mtu-peers:9 mss-clamp-missing:12 postdown-adds:39 \
postdown-adds:41 mtu-too-big:8 mtu-peers:8" --path-mtu 1500 "$G" "$S"
fix_is 004-postdown-fix postdown-adds "PostDown = iptables -t nat -D POSTROUTING -o wg0 -s 192.168.160.0/24 -d 192.168.160.2 -p tcp --dport 443 -j MASQUERADE|PostDown = ip6tables -t nat -D POSTROUTING -o wg0 -s fc00:0:0:160::/64 -d fc00:0:0:160::2 -p tcp --dport 443 -j MASQUERADE" \
	--path-mtu 1500 "$G"
# Gateway alone: its DNAT targets cannot be verified (info, one per target).
expect 004-gateway-alone 2 "mtu-too-big:9 mtu-peers:9 mss-clamp-missing:12 postdown-adds:39 \
postdown-adds:41 dnat-return-path-unverified:28 dnat-return-path-unverified:32" \
	--path-mtu 1500 "$G"
# The server as first set up: no rule sends replies from 192.168.160.2 back.
expect 004-noreturn 2 "mtu-too-big:9 mtu-peers:9 mss-clamp-missing:12 postdown-adds:39 \
postdown-adds:41 mtu-below-path:8 mtu-peers:8 dnat-return-path:6" \
	--path-mtu 1500 "$G" "$C/004/noreturn/wg0.conf"
fix_is 004-noreturn-fix dnat-return-path "PostUp = ip rule add from 192.168.160.2 lookup wireguard
PostDown = ip rule del from 192.168.160.2 lookup wireguard" --path-mtu 1500 "$G" \
	"$C/004/noreturn/wg0.conf"
# Docker-style server: SMTP from the bridge policy-routed into wg0, no clamp.
expect 004-docker 1 "mss-clamp-missing:11 mtu-below-path:4 mtu-peers:4" \
	--path-mtu 1500 "$C/004/docker/wg0.conf"

# ---- one fixture per check ----------------------------------------------------------
expect good-server 0 "mtu-peers:6" --path-mtu 1500 "$C/good-server.conf"
expect good-lowercase 0 "mtu-peers:5" --underlay ipv6 "$C/good-lowercase.conf"
expect ipv6-1280 2 "ipv6-mtu-below-1280:6 mtu-below-path:6 mtu-peers:6" --path-mtu 1500 \
	"$C/ipv6-below-1280.conf"
fix_is ipv6-1280-fix ipv6-mtu-below-1280 "MTU = 1420" --path-mtu 1500 "$C/ipv6-below-1280.conf"
expect ipv6-1280-nopath 2 "ipv6-mtu-below-1280:6 mtu-unchecked:6" "$C/ipv6-below-1280.conf"
expect mss-iface 1 "mss-clamp-wrong-interface:8 mtu-peers:2" --path-mtu 1500 \
	"$C/mss-wrong-interface.conf"
expect mss-direction 1 "mss-clamp-wrong-direction:8 mtu-peers:2" --path-mtu 1500 \
	"$C/mss-wrong-direction.conf"
expect mss-ipv6 1 "mss-clamp-ipv6-missing:6 mtu-peers:2" --path-mtu 1500 \
	"$C/mss-ipv6-missing.conf"
expect dnat-masq 1 "dnat-masquerade-tunnel:8 mtu-peers:2" --path-mtu 1500 \
	"$C/dnat-masquerade.conf"
fix_is dnat-masq-fix dnat-masquerade-tunnel \
	"PostUp = iptables -t nat -A POSTROUTING -o %i -s 10.9.0.0/24 -d 10.9.0.2 -j MASQUERADE" \
	--path-mtu 1500 "$C/dnat-masquerade.conf"
expect table 1 "table-no-route:5 mtu-peers:6" --path-mtu 1480 "$C/table-no-route.conf"
fix_is table-fix table-no-route "PostUp = ip route add 10.9.0.0/24 dev %i" \
	"$C/table-no-route.conf"
expect postdown 1 "postdown-missing:7 postdown-missing:8 postdown-missing:9 mtu-unchecked:6" \
	"$C/postdown-missing.conf"
fix_is postdown-fix postdown-missing "PostDown = iptables -D INPUT -i %i -p tcp --dport 22 -j ACCEPT|PostDown = ip rule del from 10.9.0.1 lookup 200 pref 3000|PostDown = ip route del 10.99.0.0/16 via 192.0.2.1" \
	"$C/postdown-missing.conf"
expect errors 2 "bad-address:4 bad-number:5 bad-number:6 unknown-key:7 bad-number:8 \
bad-key:11 bad-address:12 bad-endpoint:13 bad-number:14 bad-endpoint:17 syntax:18 \
syntax:19 syntax:10 mtu-unchecked:2" "$C/errors.conf"

# ---- command line --------------------------------------------------------------------
# text: FILE:LINE: severity [rule] message, and the summary line
"$M" check --underlay dslite "$C/003-laptop.conf" >"$T/out.txt" 2>&1
rc=$?
if [ $rc = 2 ] && grep -q "^$C/003-laptop.conf:5: critical \[mtu-too-big\] " "$T/out.txt" &&
	grep -q '^  fix (add): MTU = 1400$' "$T/out.txt" &&
	grep -q '^check: 1 file, 1 critical, 1 warning, 1 info: CRITICAL$' "$T/out.txt"; then
	ok
else
	bad "text output (exit $rc): $(cat "$T/out.txt")"
fi
# --json is --format json
"$M" check --json --underlay dslite "$C/003-laptop.conf" >"$T/a.json"
"$M" check --format json --underlay dslite "$C/003-laptop.conf" >"$T/b.json"
if cmp -s "$T/a.json" "$T/b.json" && grep -q '"verdict": "CRITICAL"' "$T/a.json"; then ok; else
	bad "--json differs from --format json"; fi
# -q: nothing on stdout, the exit code only
out=$("$M" check -q --underlay dslite "$C/003-laptop.conf")
rc=$?
if [ $rc = 2 ] && [ -z "$out" ]; then ok; else bad "-q: exit $rc, output [$out]"; fi
# --measured: the pmtu and family of a mtuprobe --json document
printf '{"schema_version": 1, "tool": "mtuprobe", "family": 4, "pmtu": 1460}\n' >"$T/m.json"
fix_is measured mtu-too-big "MTU = 1400" --measured "$T/m.json" "$C/003-laptop.conf"
printf '{"family": 4}\n' >"$T/bad.json"
"$M" check --measured "$T/bad.json" "$C/003-laptop.conf" >/dev/null 2>"$T/err"
rc=$?
if [ $rc = 3 ] && grep -q "no pmtu and family" "$T/err"; then ok; else
	bad "--measured without pmtu: exit $rc, $(cat "$T/err")"; fi
# usage errors: exit 3, one line on stderr
for args in "--format xml $C/good-server.conf" "--underlay nosuch $C/good-server.conf" \
	"--path-mtu 20 $C/good-server.conf" "" "--measured $T/m.json --path-mtu 1500 $C/good-server.conf" \
	"--json --format sarif $C/good-server.conf"; do
	"$M" check $args >/dev/null 2>"$T/err"
	rc=$?
	if [ $rc = 3 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q '^mtuprobe: check: ' "$T/err"; then
		ok
	else
		bad "usage error [$args]: exit $rc, $(cat "$T/err")"
	fi
done
# an unreadable file: UNKNOWN, the others still checked
"$M" check --format json --path-mtu 1500 /nonexistent/wg0.conf "$C/good-server.conf" \
	>"$T/out.json" 2>/dev/null
rc=$?
if [ $rc = 3 ] && grep -q '"error": "No such file or directory"' "$T/out.json" &&
	[ "$(findings "$T/out.json")" = "file-unreadable:- mtu-peers:6" ]; then ok; else
	bad "unreadable file: exit $rc, findings [$(findings "$T/out.json")]"; fi
# every finding names its file and evidence; files[].finding_count adds up per file
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["files"][0]["file"] == "/nonexistent/wg0.conf"
assert [f["finding_count"] for f in d["files"]] == [1, 1]
for f in d["files"]:
    mine = [x for x in d["findings"] if x["file"] == f["file"]]
    assert len(mine) == f["finding_count"], f["file"]
bad = [x for x in d["findings"] if x["kind"] == "file-unreadable"][0]
assert bad["severity"] == "unknown" and bad["evidence"] == "/nonexistent/wg0.conf"
peers = [x for x in d["findings"] if x["kind"] == "mtu-peers"][0]
assert peers["evidence"] == peers["file"] + ":6"
' "$T/out.json"; then ok; else bad "unreadable file: findings and files[] disagree"; fi
# --help documents the command's options
"$M" check --help >"$T/help" 2>&1
if grep -q -- '--underlay' "$T/help" && grep -q -- '--format' "$T/help" &&
	grep -q -- '--measured' "$T/help"; then ok; else bad "check --help"; fi

# ---- SARIF 2.1.0 ----------------------------------------------------------------------
"$M" check --format sarif --path-mtu 1500 "$G" "$S" "$C/errors.conf" \
	"$C/postdown-missing.conf" /nonexistent/x.conf >"$T/out.sarif" 2>/dev/null
rc=$?
if python3 "$ROOT/tests/sarif/validate.py" "$ROOT/tests/sarif/sarif-2.1.0-subset.schema.json" \
	"$T/out.sarif" 2>"$T/err"; then ok; else bad "SARIF schema: $(cat "$T/err")"; fi
if [ $rc = 3 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
run = d["runs"][0]
res = run["results"]
rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
# every result points at its rule, file and line; errors are "error" level
assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in res)
big = [r for r in res if r["ruleId"] == "mtu-too-big"]
assert len(big) == 2 and all(r["level"] == "error" for r in big)
loc = big[0]["locations"][0]["physicalLocation"]
assert loc["artifactLocation"]["uri"].endswith("004/gateway/wg0.conf")
assert loc["region"]["startLine"] == 9
rep = big[0]["fixes"][0]["artifactChanges"][0]["replacements"][0]
assert rep["deletedRegion"]["startLine"] == 9
assert rep["insertedContent"]["text"] == "MTU = 1420"
assert run["invocations"][0]["exitCode"] == 3
assert len(run["invocations"][0]["toolExecutionNotifications"]) == 1
assert sum(1 for r in res if r["ruleId"] == "postdown-missing") == 3
' "$T/out.sarif" 2>"$T/err"; then ok; else bad "SARIF content (exit $rc): $(cat "$T/err")"; fi
# the schema check can fail: a document missing "version" is rejected
python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); del d["version"]; json.dump(d, open(sys.argv[2], "w"))' \
	"$T/out.sarif" "$T/broken.sarif"
if python3 "$ROOT/tests/sarif/validate.py" "$ROOT/tests/sarif/sarif-2.1.0-subset.schema.json" \
	"$T/broken.sarif" 2>/dev/null; then bad "schema accepted a SARIF log without version"; else ok; fi
# the official schema too, when a copy is at hand (SARIF_SCHEMA=path)
if [ -n "${SARIF_SCHEMA:-}" ]; then
	if python3 "$ROOT/tests/sarif/validate.py" "$SARIF_SCHEMA" "$T/out.sarif" 2>"$T/err"; then
		ok
	else
		bad "official SARIF schema: $(cat "$T/err")"
	fi
fi

echo "check-tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
