#!/usr/bin/env bash
# tests/lab/spoof-tests.sh BUILD_DIR - mtuprobe under forged ICMP "too big" errors (bash, root).
#
# Topology: client - r1 =[mtu 1400]= r2 - server (topo_chain pmtud mtu=1400), 20 ms of delay
# between r2 and the server.  For each method
# (icmp over a raw socket, icmp over a ping socket, udp, tcp to a closed port) and family,
# mtuprobe runs once undisturbed and once while tests/lab/icmpforge.py on r1 answers every
# probe it sees with forged "fragmentation needed" / "packet too big" errors of MTU 68, 296,
# 552 (IPv4) or 1280 (IPv6) whose quotes do not name the probe (other token, port, sequence,
# destination or quoted length) and keeps a stream of blind ones quoting made-up packets to
# the server.  Asserted, against the built bottleneck (1400) and the forger's own counts:
# both runs find 1400 with the same exit status; the forger sent errors; mtuprobe counted
# ignored "too big" errors (ignored_errors.too_big > 0) and believed none (no bogus-ptb, no
# local-too-big); the kernel's route cache, which accepts such errors, was lowered below 1400
# and mtuprobe says so (kernel_pmtu, finding kernel-pmtu-below).  The route cache is flushed
# between runs.  Prints one line per check and "spoof-lab: N passed, M failed".

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=$(cd "${1:-build}" && pwd)
MTUPROBE=$BUILD_DIR/mtuprobe
FORGE=$LAB_DIR/icmpforge.py
BOTTLENECK=1400
RATE=2000
DELAY_MS=20
LAB_DELAYQ=$BUILD_DIR/pd-delayq
export LAB_DELAYQ
# A forged error that differs from a probe only in the quoted IP header's length can be told
# apart on raw sockets (icmp as root, tcp), not on error queues (udp, ping sockets).
VARIANTS_RAW=token,ident,foreign,length
VARIANTS_ERRQ=token,ident,foreign
VARIANTS=$VARIANTS_RAW
# shellcheck source=tests/lab/topo.sh
. "$LAB_DIR/topo.sh"
CHECK_TAG=spoof-lab
# shellcheck source=tests/lab/check.sh
. "$LAB_DIR/check.sh"

OUT=
RC=
BASE_RC=
FORGED=
SUMMARY=()
DOCS=
DOCN=0

# run ARGS...: mtuprobe --json in the client; stdout in OUT, status in RC.
run()
{
	OUT=$(lab_x client "$MTUPROBE" --json "$@" 2>/dev/null)
	RC=$?
}

# jq_py EXPR: a Python expression over the JSON document d of the last run.
jq_py()
{
	python3 -c 'import json, sys
d = json.loads(sys.argv[1])
print(eval(sys.argv[2]))' "$OUT" "$1" 2>/dev/null
}

flush_cache()
{
	lab_x client ip -4 route flush cache 2>/dev/null
	lab_x client ip -6 route flush cache 2>/dev/null
	return 0
}

# forge_start: icmpforge.py on r1 towards the client, with $VARIANTS.
forge_start()
{
	lab_bg r1 forge python3 "$FORGE" client "$TOPO_CLIENT4" "$TOPO_CLIENT6" \
		"$TOPO_SERVER4" "$TOPO_SERVER6" "$TOPO_R1_4" "$TOPO_R1_6" "$RATE" "$VARIANTS"
	FORGE_PID=$LAB_LAST_PID
	lab_wait forge 10 grep -q '^ready' "$LAB_TMP/forge.log" || return
	# One echo shows the forger the client's MAC; then a second of blind errors first.
	lab_x client ping -c 1 -W 1 "$TOPO_SERVER4" >/dev/null 2>&1
	lab_wait forge 10 grep -q '^armed' "$LAB_TMP/forge.log" || return
	sleep 1
}

# forge_stop: the forger's JSON counts in FORGED.
forge_stop()
{
	kill -TERM "$FORGE_PID" 2>/dev/null
	wait "$FORGE_PID" 2>/dev/null
	FORGED=$(grep '^{' "$LAB_TMP/forge.log" | tail -n 1)
}

forged()
{
	python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$FORGED" "$1" \
		2>/dev/null
}

t_baseline()
{
	flush_cache
	run "$@"
	BASE_RC=$RC
	[ "$(jq_py 'd["pmtu"]')" = "$BOTTLENECK" ] ||
		why "pmtu $(jq_py 'd["pmtu"]'), rc $RC, want $BOTTLENECK: ${OUT:0:200}"
}

t_flood()
{
	local pmtu big kp fam=$1
	shift
	flush_cache
	forge_start || { why "forger did not start: $(tail -n 2 "$LAB_TMP/forge.log")"; return; }
	run "$@"
	forge_stop
	DOCN=$((DOCN + 1))
	printf '%s\n' "$OUT" >"$DOCS/flood-$DOCN.json"
	pmtu=$(jq_py 'd["pmtu"]')
	big=$(jq_py 'd["ignored_errors"]["too_big"]')
	kp=$(jq_py 'd["kernel_pmtu"]')
	SUMMARY+=("IPv$fam $*: forged sent $(forged sent) (seen $(forged seen) probes), ignored too-big $big, result $pmtu, kernel_pmtu $kp, send_retries $(jq_py 'd["send_retries"]')")
	[ "$pmtu" = "$BOTTLENECK" ] || { why "pmtu $pmtu under the flood, want $BOTTLENECK"; return; }
	[ "$RC" = "$BASE_RC" ] || { why "exit status $RC under the flood, $BASE_RC without"; return; }
	[ "$(forged sent)" -gt 0 ] 2>/dev/null || { why "the forger sent nothing: $FORGED"; return; }
	[ "$big" -gt 0 ] 2>/dev/null || { why "ignored_errors.too_big is '$big'"; return; }
	[ "$(jq_py 'd["pmtud"]')" = works ] || { why "pmtud $(jq_py 'd["pmtud"]')"; return; }
	[ "$(jq_py 'sorted(f["kind"] for f in d["findings"] if f["kind"] in ("bogus-ptb", "ptb-wrong-mtu"))')" = "[]" ] ||
		{ why "a forged error was believed: $(jq_py '[f["kind"] for f in d["findings"]]')"; return; }
	[ "$(jq_py 'd["smallest_lost"]')" = $((BOTTLENECK + 1)) ] ||
		why "smallest_lost $(jq_py 'd["smallest_lost"]'), want $((BOTTLENECK + 1))"
}

# t_cache: the flood lowered the kernel's cache (the forged errors it accepts) and mtuprobe
# reported it, below the bottleneck, with the INFO finding.
t_cache()
{
	local kp
	kp=$(jq_py 'd["kernel_pmtu"]')
	[ "$kp" != None ] && [ "$kp" -lt "$BOTTLENECK" ] 2>/dev/null ||
		{ why "kernel_pmtu is $kp, want below $BOTTLENECK"; return; }
	[ "$(jq_py '[f["severity"] for f in d["findings"] if f["kind"] == "kernel-pmtu-below"]')" = "['info']" ] ||
		why "findings: $(jq_py '[(f["kind"], f["severity"]) for f in d["findings"]]')"
}

# case NAME FAMILY ARGS...: baseline, flood, cache.
one_case()
{
	local name=$1 fam=$2 dst
	shift 2
	dst=TOPO_SERVER$fam
	dst=${!dst}
	check "$name IPv$fam: finds $BOTTLENECK without forged errors" t_baseline "$@" "$dst"
	check "$name IPv$fam: finds $BOTTLENECK, same exit status, forged errors counted" \
		t_flood "$fam" "$@" "$dst"
	check "$name IPv$fam: the kernel's cache was lowered, and mtuprobe says so" t_cache
}

sec_spoof()
{
	local fam
	build "chain/pmtud $BOTTLENECK" topo_chain pmtud mtu=$BOTTLENECK || return
	# A WAN-like delay beyond the bottleneck (r2 -> server and back: +2*DELAY_MS per round
	# trip; r1's errors are not delayed), so that the search takes a few hundred ms and the
	# forged errors arrive while it runs, as they would on a real path.
	check "pd-delayq adds $DELAY_MS ms on r2 towards the server" lab_delay r2 server "$DELAY_MS"
	for fam in 4 6; do
		VARIANTS=$VARIANTS_RAW
		one_case "icmp (raw socket)" "$fam" -m icmp
		one_case "tcp (closed port 80)" "$fam" -m tcp -p 80
		VARIANTS=$VARIANTS_ERRQ
		one_case "udp" "$fam" -m udp
	done
	# Ping sockets: errors come from the error queue, matched by the kernel on the echo
	# identifier alone.
	lab_sysctl client net.ipv4.ping_group_range="0 2147483647" >/dev/null
	VARIANTS=$VARIANTS_ERRQ
	for fam in 4 6; do
		one_case "icmp (ping socket)" "$fam" -m icmp
	done
	lab_end
}

# t_schema: every document written under the flood is valid against docs/schema (strict).
t_schema()
{
	local out py=python3
	/usr/bin/python3 -c 'from jsonschema import Draft202012Validator' 2>/dev/null &&
		py=/usr/bin/python3
	out=$("$py" "$LAB_DIR/../schema-validate.py" --schemas "$LAB_DIR/../../docs/schema" \
		--strict --schema mtuprobe "$DOCS"/flood-*.json 2>&1) || why "$(tail -n 3 <<<"$out")"
}

main()
{
	local t0 s
	if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
		echo "spoof-lab: SKIP: needs root and network namespaces"
		[ "${LAB_STRICT:-0}" = 1 ] && exit 77
		exit 0
	fi
	[ -x "$MTUPROBE" ] || { echo "spoof-lab: $MTUPROBE missing; run 'make'" >&2; exit 1; }
	t0=$(date +%s)
	lab_sweep_stale
	DOCS=$(mktemp -d /tmp/spoof-docs.XXXXXX)
	sec_spoof
	check "the $DOCN documents written under the flood match docs/schema (strict)" t_schema
	rm -rf "$DOCS"
	for s in "${SUMMARY[@]}"; do
		echo "spoof-lab: $s"
	done
	printf 'spoof-lab: %d passed, %d failed (%d s)\n' "$N_PASS" "$N_FAIL" $(($(date +%s) - t0))
	[ "$N_FAIL" = 0 ]
}

main "$@"
