#!/usr/bin/env bash
# tests/lab/mtuprobe-tests.sh BUILD_DIR - mtuprobe against lab paths (needs bash and root).
#
# Every assertion compares mtuprobe's JSON with what the topology was built with: the
# bottleneck MTU given to the r1-r2 link (TOPO_MTU), the length r2 drops above (TOPO_LEN), the
# router that must report the MTU (r1), and the exit codes of mtuprobe(1).  Prints one line
# per check and "mtuprobe-lab: N passed, M failed"; exit status 1 on failure.

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=$(cd "${1:-build}" && pwd)
MTUPROBE=$BUILD_DIR/mtuprobe
# shellcheck source=tests/lab/topo.sh
. "$LAB_DIR/topo.sh"
CHECK_TAG=mtuprobe-lab
# shellcheck source=tests/lab/check.sh
. "$LAB_DIR/check.sh"

OUT=
ERR=
RC=


# run NODE ARGS...: mtuprobe --json in NODE; stdout in OUT, stderr in ERR, status in RC.
run()
{
	local node=$1 e
	shift
	e=$(mktemp)
	OUT=$(lab_x "$node" "$MTUPROBE" --json "$@" 2>"$e")
	RC=$?
	ERR=$(cat "$e")
	rm -f "$e"
}

# field NAME: a field of the last JSON document, as Python prints it; NAME may be a dotted
# path into objects ("peer.reverse.pmtu").
field()
{
	python3 -c 'import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("null" if v is None else v)' "$OUT" "$1" 2>/dev/null
}

# expect FIELD=VALUE...: the last run's fields; exit status with rc=N.
expect()
{
	local kv k v got
	for kv; do
		k=${kv%%=*}
		v=${kv#*=}
		if [ "$k" = rc ]; then
			got=$RC
		else
			got=$(field "$k")
		fi
		[ "$got" = "$v" ] || { why "$k is '$got', want '$v' (stderr: ${ERR:0:160})"; return; }
	done
}

t_probe()
{
	local node=$1 want=$2
	shift 2
	run "$node" "$@"
	# shellcheck disable=SC2086 # want is a list of FIELD=VALUE words
	expect $want
}

# ---- sections ---------------------------------------------------------------------------

sec_pmtud()
{
	build "chain/pmtud 1454" topo_chain pmtud || return
	local m r1_4=$TOPO_R1_4 r1_6=$TOPO_R1_6 s4=$TOPO_SERVER4 s6=$TOPO_SERVER6
	for m in icmp udp; do
		check "pmtud 1454: IPv4 $m finds $TOPO_MTU, reported by r1 ($r1_4)" \
			t_probe client "pmtu=$TOPO_MTU pmtud=works reported_by=$r1_4 rc=0 method=$m" \
			-m "$m" "$s4"
		check "pmtud 1454: IPv6 $m finds $TOPO_MTU, reported by r1 ($r1_6)" \
			t_probe client "pmtu=$TOPO_MTU pmtud=works reported_by=$r1_6 rc=0 method=$m" \
			-m "$m" "$s6"
	done
	check "pmtud 1454: ICMP says it measured the round trip, UDP the forward path" \
		t_direction "$s4"
	check "pmtud 1454: --encap wireguard recommends MTU $((TOPO_MTU - 60)), MSS $((TOPO_MTU - 100))" \
		t_reco "$s4" wireguard $((TOPO_MTU - 60)) $((TOPO_MTU - 100))
	check "pmtud 1454: --expect-mtu 1500 is CRITICAL (exit 2)" \
		t_probe client "pmtu=$TOPO_MTU rc=2 exit_code=2" --expect-mtu 1500 "$s4"
	check "pmtud 1454: --expect-mtu $TOPO_MTU is OK (exit 0)" \
		t_probe client "pmtu=$TOPO_MTU rc=0" --expect-mtu "$TOPO_MTU" "$s4"
	check "pmtud 1454: reverse path server->client finds $TOPO_MTU, reported by r2" \
		t_probe server "pmtu=$TOPO_MTU pmtud=works reported_by=$TOPO_R2_4 rc=0" \
		"$TOPO_CLIENT4"
	check "pmtud 1454: the text output starts with the verdict line" t_text "$s4"
	check "bad input: an address in the lab that nobody has is UNKNOWN (exit 3), no MTU" \
		t_probe client "rc=3 pmtu=null" -m icmp --rounds 4 10.0.3.99
	check "bad input: unknown host: exit 3 and one line naming it" t_unknown_host
	check "bad input: --min above --max: exit 3 and one line" t_bad_range
	check "no privileges: UDP works as nobody" \
		t_probe_as_nobody "pmtu=$TOPO_MTU rc=0" -m udp "$s4"
	check "no privileges: TCP as nobody fails naming CAP_NET_RAW, exit 3" t_tcp_nobody "$s4"
	lab_end
}

t_direction()
{
	run client -m icmp "$1"
	expect direction=round-trip || return
	run client -m udp "$1"
	expect direction=forward
}

t_reco()
{
	run client -e "$2" "$1"
	python3 - "$OUT" "$3" "$4" <<'PY' || why "recommendation: $(echo "$OUT" | head -c 300)"
import json, sys
d = json.loads(sys.argv[1])
r = d["recommendations"][0]
assert r["encap"] == "wireguard" and r["mtu"] == int(sys.argv[2]), r
assert r["mss_ipv4"] == int(sys.argv[3]) and r["provenance"] == "derived", r
PY
}

t_text()
{
	local out
	out=$(lab_x client "$MTUPROBE" "$1")
	case $out in
	"OK $1 ($1): path MTU $TOPO_MTU (measured, "*) ;;
	*) why "first line: $(head -n 1 <<<"$out")" ;;
	esac
}

t_unknown_host()
{
	local e lines
	# The namespace's resolv.conf points at 127.0.0.1, where nothing listens:
	# the lookup fails at once and no query leaves the lab.
	e=$(lab_x client "$MTUPROBE" no-such-host.invalid 2>&1 >/dev/null)
	RC=$?
	lines=$(printf '%s\n' "$e" | wc -l)
	[ "$RC" = 3 ] || { why "exit $RC"; return; }
	[ "$lines" = 1 ] || { why "$lines lines on stderr"; return; }
	case $e in
	"mtuprobe: cannot resolve 'no-such-host.invalid'"*) ;;
	*) why "stderr: $e" ;;
	esac
}

t_bad_range()
{
	local e
	e=$(lab_x client "$MTUPROBE" --min 1500 --max 1400 10.0.3.2 2>&1 >/dev/null)
	RC=$?
	[ "$RC" = 3 ] || { why "exit $RC"; return; }
	[ "$(printf '%s\n' "$e" | wc -l)" = 1 ] || { why "stderr: $e"; return; }
	case $e in *"--min 1500 is above --max 1400"*) ;; *) why "stderr: $e" ;; esac
}

as_nobody()
{
	lab_x client setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all --bounding-set=-all "$@"
}

t_probe_as_nobody()
{
	local want=$1 e
	shift
	e=$(mktemp)
	chmod 644 "$e"
	OUT=$(as_nobody "$MTUPROBE" --json "$@" 2>"$e")
	RC=$?
	ERR=$(cat "$e")
	rm -f "$e"
	# shellcheck disable=SC2086
	expect $want
}

t_tcp_nobody()
{
	local e
	e=$(as_nobody "$MTUPROBE" -m tcp -p 443 "$1" 2>&1 >/dev/null)
	RC=$?
	[ "$RC" = 3 ] || { why "exit $RC: $e"; return; }
	[ "$(printf '%s\n' "$e" | wc -l)" = 1 ] || { why "stderr: $e"; return; }
	case $e in *CAP_NET_RAW*) ;; *) why "stderr does not name CAP_NET_RAW: $e" ;; esac
}

sec_ipv6_1280()
{
	build "chain/pmtud 1280" topo_chain pmtud mtu=1280 || return
	check "pmtud 1280: IPv6 finds 1280 (the IPv6 minimum), exit 0" \
		t_probe client "pmtu=1280 rc=0" -6 "$TOPO_SERVER6"
	check "pmtud 1280: IPv4 finds 1280, reported by r1" \
		t_probe client "pmtu=1280 pmtud=works reported_by=$TOPO_R1_4 rc=0" -4 "$TOPO_SERVER4"
	lab_end
}

sec_blackhole()
{
	build "chain/blackhole 1454" topo_chain blackhole || return
	check "blackhole: IPv4 finds $TOPO_MTU, black hole, no reporter, WARNING (exit 1)" \
		t_probe client "pmtu=$TOPO_MTU pmtud=blackhole reported_by=null rc=1" \
		-m icmp "$TOPO_SERVER4"
	check "blackhole: IPv6 finds $TOPO_MTU, black hole, WARNING (exit 1)" \
		t_probe client "pmtu=$TOPO_MTU pmtud=blackhole reported_by=null rc=1" \
		-m icmp "$TOPO_SERVER6"
	check "blackhole: IPv4 UDP against a target that rate-limits port unreachables (1/s): paced, exact $TOPO_MTU" \
		t_udp_paced "$TOPO_SERVER4"
	check "blackhole: IPv6 UDP against a target that rate-limits port unreachables: paced, exact $TOPO_MTU" \
		t_udp_paced "$TOPO_SERVER6"
	check "blackhole: largest_ok $TOPO_MTU, smallest_lost $((TOPO_MTU + 1))" \
		t_probe client "largest_ok=$TOPO_MTU smallest_lost=$((TOPO_MTU + 1))" \
		-m icmp "$TOPO_SERVER4"
	lab_end
}

# The server's ICMP rate limit is left at the kernel default here: the first round empties
# its token bucket, and only pacing gets the exact answer.
t_udp_paced()
{
	run client -m udp "$1"
	python3 - "$OUT" "$TOPO_MTU" <<'PY' || why "$(echo "$OUT" | head -c 400)"
import json, sys
d = json.loads(sys.argv[1]); m = int(sys.argv[2])
assert d["pmtu"] == m and d["pmtud"] == "blackhole" and d["exit_code"] == 1, d
assert d["largest_ok"] == m and d["smallest_lost"] == m + 1, d
assert d["rate_limited"] is True, d
PY
}

sec_badptb()
{
	build "chain/badptb 1400" topo_chain badptb len=1400 || return
	local m
	for m in icmp udp; do
		check "badptb: r1 answers above $TOPO_LEN with MTU 0: IPv4 $m finds $TOPO_LEN, wrong MTU (not a black hole), bogus PTBs named" \
			t_badptb "$m" "$TOPO_SERVER4"
	done
	lab_end
}

t_badptb()
{
	run client -m "$1" "$2"
	python3 - "$OUT" "$TOPO_LEN" "$TOPO_R1_4" <<'PY' || why "$(echo "$OUT" | head -c 400)"
import json, sys
d = json.loads(sys.argv[1]); m = int(sys.argv[2])
assert d["pmtu"] == m and d["pmtud"] == "wrong-mtu" and d["exit_code"] == 1, d
assert d["reported_by"] is None, d
assert d["bogus_ptb"] > 0, d
kinds = {f["kind"]: f for f in d["findings"]}
assert "ptb-wrong-mtu" in kinds and "bogus-ptb" in kinds, d["findings"]
assert sys.argv[3] in kinds["ptb-wrong-mtu"]["message"], kinds["ptb-wrong-mtu"]
assert "MTU 0" in kinds["ptb-wrong-mtu"]["message"], kinds["ptb-wrong-mtu"]
PY
}

sec_lendrop()
{
	build "chain/lendrop 1400" topo_chain lendrop len=1400 || return
	check "lendrop: links 1500, r2 drops above $TOPO_LEN: IPv4 finds $TOPO_LEN, black hole" \
		t_probe client "pmtu=$TOPO_LEN pmtud=blackhole rc=1" -m icmp "$TOPO_SERVER4"
	check "lendrop: IPv6 finds $TOPO_LEN, black hole" \
		t_probe client "pmtu=$TOPO_LEN pmtud=blackhole rc=1" -m icmp "$TOPO_SERVER6"
	lab_end
}

# Only TCP to port 443 crosses r1 (towards the server); ICMP errors of the routers are dropped
# too: a black hole that only a TCP SYN to the open port can measure.
topo_tcp_only()
{
	topo_chain blackhole || return
	lab_nft r1 'inet tcponly' <<-EOF
		chain gate {
			type filter hook forward priority 10; policy accept;
			ip daddr $TOPO_SERVER4 tcp dport 443 accept
			ip6 daddr $TOPO_SERVER6 tcp dport 443 accept
			ip daddr $TOPO_SERVER4 drop
			ip6 daddr $TOPO_SERVER6 drop
		}
	EOF
}

sec_tcp_only()
{
	build "tcp-only/blackhole 1454" topo_tcp_only || return
	check "tcp-only: ICMP gets no answer at all: UNKNOWN (exit 3), never an MTU of 0" \
		t_probe client "rc=3 pmtu=null" -m icmp --rounds 4 "$TOPO_SERVER4"
	check "tcp-only: TCP SYN to port 443 (closed: RST) finds $TOPO_MTU, black hole" \
		t_probe client "pmtu=$TOPO_MTU pmtud=blackhole method=tcp rc=1" \
		-m tcp -p 443 "$TOPO_SERVER4"
	check "tcp-only: IPv6 TCP finds $TOPO_MTU" \
		t_probe client "pmtu=$TOPO_MTU method=tcp rc=1" -m tcp -p 443 "$TOPO_SERVER6"
	check "tcp-only: no method given, -p 443: falls back from ICMP to TCP and finds $TOPO_MTU" \
		t_probe client "pmtu=$TOPO_MTU method=tcp" -p 443 "$TOPO_SERVER4"
	lab_end
}

t_loss_runs()
{
	local i runs=$1
	shift
	for ((i = 1; i <= runs; i++)); do
		run client -m icmp "$@"
		expect "pmtu=$TOPO_MTU" || { WHY="run $i: $WHY"; return 1; }
		[ "$(field pmtud)" != blackhole ] || { why "run $i: false black hole"; return; }
	done
}

sec_loss()
{
	local p
	for p in 10 20; do
		build "chain/loss $p%" topo_chain loss loss="$p" || return
		check "loss $p%: 5 runs, each exactly $TOPO_MTU, never a false black hole" \
			t_loss_runs 5 "$TOPO_SERVER4"
		lab_end
	done
}

# ---- --peer against `mtuprobe serve` --------------------------------------------------------

# has_finding KIND: the last document has a finding of this kind.
has_finding()
{
	python3 -c 'import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if any(f["kind"] == sys.argv[2] for f in d["findings"]) else 1)' "$OUT" "$1" ||
		why "no finding '$1' in: $(python3 -c 'import json,sys; print([f["kind"] for f in json.loads(sys.argv[1])["findings"]])' "$OUT" 2>/dev/null)"
}

# t_peer NODE "PATH=VALUE..." ARGS...: mtuprobe --json --peer ARGS in NODE, then expect.
t_peer()
{
	local node=$1 want=$2
	shift 2
	run "$node" --peer "$@"
	# shellcheck disable=SC2086 # want is a list of PATH=VALUE words
	expect $want
}

serve_ready()
{
	lab_x server ss -lnu | grep -q ':20548 ' && lab_x server ss -lnt | grep -q ':20548 '
}

# serve [ARGS]: `mtuprobe serve` in the server node (stopped by the lab's teardown).
serve()
{
	lab_bg server serve "$MTUPROBE" serve "$@" || return
	SERVE_PID=$LAB_LAST_PID
	lab_wait "mtuprobe serve" 10 serve_ready
}

unserve()
{
	[ -n "${SERVE_PID:-}" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID" 2>/dev/null
	SERVE_PID=
}

make_key()
{
	PEER_KEY=$LAB_TMP/peer.key
	(umask 077 && { echo "# lab key"; od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; echo; } \
		>"$PEER_KEY")
}

# The chain at 1500 with a route MTU of REV on r2 towards the client (reverse path smaller),
# or of FWD on r1 towards the server (forward path smaller).
topo_peer_asym()
{
	local dir=$1 mtu=$2
	topo_chain pmtud mtu=1500 || return
	if [ "$dir" = reverse ]; then
		lab_route r2 10.0.1.0/24 10.0.2.1 mtu "$mtu" || return
		lab_route r2 fd00:0:0:1::/64 fd00:0:0:2::1 mtu "$mtu" || return
	else
		lab_route r1 10.0.3.0/24 10.0.2.2 mtu "$mtu" || return
		lab_route r1 fd00:0:0:3::/64 fd00:0:0:2::2 mtu "$mtu" || return
	fi
	make_key
}

t_peer_text()
{
	local out
	out=$(lab_x client "$MTUPROBE" --peer "$TOPO_SERVER4")
	case $out in
	"WARNING $TOPO_SERVER4 ($TOPO_SERVER4): path MTU forward 1500, reverse 1454 (measured, "*) ;;
	*) why "first line: $(head -n 1 <<<"$out")" ;;
	esac
}

t_peer_summary()
{
	run client --peer --key "$PEER_KEY" "$TOPO_SERVER4"
	echo "mtuprobe-lab:      asym IPv4 signed: forward $(field probes_sent) probes/$(field rounds) rounds" \
		"$(field elapsed_ms) ms; reverse $(field peer.reverse.probes) probes/$(field peer.reverse.rounds) rounds" \
		"$(field peer.reverse.requests) requests $(field peer.reverse.elapsed_ms) ms"
	run client --peer "$TOPO_SERVER4"
	echo "mtuprobe-lab:      asym IPv4 unsigned: forward $(field probes_sent) probes/$(field rounds) rounds" \
		"$(field elapsed_ms) ms; reverse $(field peer.reverse.probes) probes/$(field peer.reverse.rounds) rounds" \
		"$(field peer.reverse.requests) requests $(field peer.reverse.elapsed_ms) ms"
	expect pmtu=1500 pmtu_reverse=1454
}

t_peer_mss_clamp()
{
	lab_nft r1 pdl_clamp <<-'EOF' || { why "nft clamp rule failed"; return; }
	chain c_fwd {
		type filter hook forward priority mangle; policy accept;
		tcp flags syn tcp option maxseg size set 1360
	}
	EOF
	run client --peer "$TOPO_SERVER4"
	expect peer.mss_sent=1460 peer.mss_seen=1360 peer.mss_clamped=True || return
	has_finding mss-clamped || return
	run client --peer "$TOPO_SERVER6"
	expect peer.mss_sent=1440 peer.mss_seen=1360 peer.mss_clamped=True
}

t_peer_none()
{
	local e
	e=$(lab_x client "$MTUPROBE" --peer "$TOPO_SERVER4" 2>&1 >/dev/null)
	RC=$?
	[ "$RC" = 3 ] || { why "exit $RC: $e"; return; }
	[ "$e" = "mtuprobe: no responder at $TOPO_SERVER4 port 20548: run \`mtuprobe serve\` there, or drop --peer" ] ||
		{ why "stderr: $e"; return; }
	run client --peer -6 "$TOPO_SERVER6"
	expect rc=3 exit_code=3 pmtu=null pmtu_reverse=null peer.responding=False || return
	case $(field error) in
	"no responder at $TOPO_SERVER6 port 20548"*) ;;
	*) why "JSON error: $(field error)" ;;
	esac
}

sec_peer()
{
	build "peer/reverse 1454" topo_peer_asym reverse 1454 || return
	if ! serve --key "$PEER_KEY"; then
		bad "peer: mtuprobe serve" "$(tail -n 1 "$LAB_TMP/serve.log")"
		lab_end
		return
	fi
	local want="pmtu=1500 pmtu_reverse=1454 direction=forward method=peer rc=1"
	check "peer reverse 1454: IPv4 unsigned: forward 1500, reverse 1454, WARNING" \
		t_peer client "$want peer.signed=False peer.reverse.bounded_by_forward=False" \
		"$TOPO_SERVER4"
	check "peer reverse 1454: IPv4 signed (--key): forward 1500, reverse 1454" \
		t_peer client "$want peer.signed=True" --key "$PEER_KEY" "$TOPO_SERVER4"
	check "peer reverse 1454: IPv6 unsigned: forward 1500, reverse 1454" \
		t_peer client "$want" "$TOPO_SERVER6"
	check "peer reverse 1454: IPv6 signed: forward 1500, reverse 1454" \
		t_peer client "$want" --key "$PEER_KEY" "$TOPO_SERVER6"
	check "peer reverse 1454: the server saw 10.0.1.2, no NAT; MSS 1460 arrived unclamped" \
		t_peer client "peer.seen_address=$TOPO_CLIENT4 peer.nat=False peer.mss_sent=1460 peer.mss_seen=1460 peer.mss_clamped=False peer.reverse.pmtud=unknown" \
		"$TOPO_SERVER4"
	check "peer reverse 1454: finding asymmetric-mtu" has_finding asymmetric-mtu
	check "peer reverse 1454: --expect-mtu 1500 applies to the smaller direction: CRITICAL" \
		t_peer client "pmtu=1500 pmtu_reverse=1454 rc=2" --expect-mtu 1500 "$TOPO_SERVER4"
	check "peer reverse 1454: --encap wireguard recommends 1454 - 60 = 1394" \
		t_peer client "pmtu_reverse=1454" -e wireguard "$TOPO_SERVER4"
	check "peer reverse 1454: recommendation derived from 1454" reco_from 1454 1394
	check "peer reverse 1454: text verdict line names both directions" t_peer_text
	check "peer reverse 1454: measured effort (signed and unsigned)" t_peer_summary
	check "peer: MSS clamped by nft on r1 to 1360 is reported (IPv4, IPv6)" t_peer_mss_clamp
	unserve
	check "peer: no responder: exit 3, one line naming it; JSON complete" t_peer_none
	serve
	check "peer: --key against a responder without a key: exit 3, names it" \
		t_peer client "rc=3 pmtu=null" --key "$PEER_KEY" "$TOPO_SERVER4"
	unserve
	lab_end

	build "peer/forward 1454" topo_peer_asym forward 1454 || return
	serve --key "$PEER_KEY" || { bad "peer: mtuprobe serve" "start"; lab_end; return; }
	check "peer forward 1454: IPv4 signed: forward 1454, reverse 1500" \
		t_peer client "pmtu=1454 pmtu_reverse=1500 rc=1" --key "$PEER_KEY" "$TOPO_SERVER4"
	check "peer forward 1454: IPv6 signed: forward 1454, reverse 1500" \
		t_peer client "pmtu=1454 pmtu_reverse=1500 rc=1" --key "$PEER_KEY" "$TOPO_SERVER6"
	check "peer forward 1454: IPv4 unsigned: reverse at least 1454 (bounded by forward), OK" \
		t_peer client "pmtu=1454 pmtu_reverse=null peer.reverse.largest_ok=1454 peer.reverse.bounded_by_forward=True rc=0" \
		"$TOPO_SERVER4"
	check "peer forward 1454: finding reverse-bounds-only" has_finding reverse-bounds-only
	unserve
	lab_end

	build "peer/nat" topo_nat || return
	serve || { bad "peer: mtuprobe serve" "start"; lab_end; return; }
	check "peer NAT: the responder saw the router's $TOPO_PUBLIC4, nat true" \
		t_peer client "peer.seen_address=$TOPO_PUBLIC4 peer.nat=True pmtu=1500" \
		"$TOPO_SERVER4"
	check "peer NAT: finding nat-detected" has_finding nat-detected
	unserve
	lab_end
}

reco_from()
{
	python3 - "$OUT" "$1" "$2" <<'PY' || why "recommendation: $(echo "$OUT" | head -c 300)"
import json, sys
d = json.loads(sys.argv[1])
r = d["recommendations"][0]
assert r["path_mtu"] == int(sys.argv[2]) and r["mtu"] == int(sys.argv[3]), r
PY
}

# t_hops WANT ARGS...: mtuprobe --json --hops ARGS in the client; WANT is a Python expression
# list checked against d (the document), h (d["hops"]) and m (d["mtu_drop_hop"]).
t_hops()
{
	local want=$1
	shift
	run client --hops "$@"
	python3 - "$OUT" "$want" <<'PY' || why "$(echo "$OUT" | head -c 600) (stderr: ${ERR:0:160})"
import json, sys
d = json.loads(sys.argv[1])
h, m = d["hops"], d["mtu_drop_hop"]
for cond in sys.argv[2].split(";"):
    assert eval(cond), cond + " :: hops=" + json.dumps(h) + " drop=" + json.dumps(m)
PY
}

t_hops_absent()
{
	run client -m icmp "$1"
	python3 - "$OUT" <<'PY' || why "$(echo "$OUT" | head -c 300)"
import json, sys
d = json.loads(sys.argv[1])
assert d["hops"] is None and d["mtu_drop_hop"] is None and d["mtu_drops"] is None, d
PY
}

t_hops_text()
{
	local out
	out=$(lab_x client "$MTUPROBE" --hops -m icmp "$1")
	grep -Eq "^ +1  $2 .* 1500 passed  <-- MTU drops after this hop$" <<<"$out" ||
		why "no hop-1 line marking $2: $(grep -A4 '^hops' <<<"$out")"
}

# The chain is client - r1 - r2 - server: hop 1 answers from r1's client-side address
# (TOPO_R1_*), hop 2 from r2's r1-side address (TOPO_R2_IN*), hop 3 is the server.
sec_hops()
{
	local f r1 r2 s path
	build "chain/pmtud 1454 (--hops)" topo_chain pmtud || return
	for f in 4 6; do
		r1=TOPO_R1_$f r2=TOPO_R2_IN$f s=TOPO_SERVER$f
		r1=${!r1} r2=${!r2} s=${!s}
		path="len(h) == 3;h[0]['address'] == '$r1';h[1]['address'] == '$r2'"
		path+=";h[2]['address'] == '$s';h[2]['target'];not h[1]['target']"
		path+=";all(x['small_reached'] and x['rtt_ms'] is not None for x in h)"
		check "hops pmtud IPv$f: the path is $r1, $r2, $s (target)" \
			t_hops "$path" -m icmp "$s"
		check "hops pmtud IPv$f: MTU drops after hop 1 ($r1) to $TOPO_MTU, kind ptb, exit 0" \
			t_hops "d['exit_code'] == 0;m['ttl'] == 1;m['ttl_max'] == 1;m['address'] == '$r1'
;m['mtu'] == $TOPO_MTU;m['kind'] == 'ptb';len(d['mtu_drops']) == 1
;h[0]['large'] == 'passed';h[1]['large'] == 'too-big';h[1]['large_mtu'] == $TOPO_MTU
;h[1]['large_reported_by'] == '$r1';d['hops_scan']['located']
;any(x['kind'] == 'mtu-drop-hop' for x in d['findings'])" -m icmp "$s"
		check "hops pmtud IPv$f, UDP (forward): the same drop at hop 1 ($r1), MTU $TOPO_MTU" \
			t_hops "m['ttl'] == 1;m['address'] == '$r1';m['mtu'] == $TOPO_MTU
;m['kind'] == 'ptb';h[2]['address'] == '$s'" -m udp "$s"
	done
	check "hops pmtud: without --hops the hop members are null" t_hops_absent "$TOPO_SERVER4"
	check "hops pmtud: the text table marks hop 1 ($TOPO_R1_4)" t_hops_text "$TOPO_SERVER4" \
		"$TOPO_R1_4"
	check "hops pmtud: --max-hops 2 stops at hop 2 (target not reached), drop still at hop 1" \
		t_hops "len(h) == 2;d['hops_scan']['target_ttl'] is None;m['ttl'] == 1
;m['address'] == '$TOPO_R1_4'" -m icmp --max-hops 2 "$TOPO_SERVER4"
	lab_end

	# r1 and r2 drop their "too big": a 1455-byte probe expires at r1 (TTL 1), and with
	# TTL 2 it vanishes at r1's 1454-byte link while the small probe reaches r2.
	build "chain/blackhole 1454 (--hops)" topo_chain blackhole || return
	for f in 4 6; do
		r1=TOPO_R1_$f r2=TOPO_R2_IN$f s=TOPO_SERVER$f
		r1=${!r1} r2=${!r2} s=${!s}
		check "hops blackhole IPv$f: $((TOPO_MTU + 1)) bytes vanish after hop 1 ($r1), WARNING" \
			t_hops "d['exit_code'] == 1;m['ttl'] == 1;m['address'] == '$r1'
;m['mtu'] is None;m['kind'] == 'blackhole';m['size'] == $((TOPO_MTU + 1))
;h[0]['large'] == 'passed';h[1]['large'] == 'lost';h[1]['small_reached']
;h[1]['address'] == '$r2';h[2]['address'] == '$s'
;any(x['kind'] == 'blackhole-hop' for x in d['findings'])" -m icmp "$s"
	done
	lab_end

	# r2 drops packets above len in its forward hook, after the TTL check: a large probe
	# with TTL 2 still expires at r2 (answered), with TTL 3 r2 forwards and drops it.
	build "chain/lendrop 1400 (--hops)" topo_chain lendrop len=1400 || return
	for f in 4 6; do
		r2=TOPO_R2_IN$f s=TOPO_SERVER$f
		r2=${!r2} s=${!s}
		check "hops lendrop IPv$f: $((TOPO_LEN + 1)) bytes reach r2 ($r2) and vanish after it" \
			t_hops "m['ttl'] == 2;m['address'] == '$r2';m['kind'] == 'blackhole'
;m['mtu'] is None;m['size'] == $((TOPO_LEN + 1));h[0]['large'] == 'passed'
;h[1]['large'] == 'passed';h[2]['large'] == 'lost';h[2]['target']" -m icmp "$s"
	done
	lab_end
}

main()
{
	local sec t0
	if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
		echo "mtuprobe-lab: SKIP: needs root and network namespaces"
		[ "${LAB_STRICT:-0}" = 1 ] && exit 77
		exit 0
	fi
	[ -x "$MTUPROBE" ] || { echo "mtuprobe-lab: $MTUPROBE missing; run 'make'" >&2; exit 1; }
	t0=$(date +%s)
	lab_sweep_stale
	for sec in ${MTUPROBE_SECTIONS:-pmtud ipv6_1280 blackhole lendrop badptb tcp_only loss peer hops}; do
		"sec_$sec"
	done
	printf 'mtuprobe-lab: %d passed, %d failed (%d s)\n' "$N_PASS" "$N_FAIL" \
		$(($(date +%s) - t0))
	[ "$N_FAIL" = 0 ]
}

main "$@"
