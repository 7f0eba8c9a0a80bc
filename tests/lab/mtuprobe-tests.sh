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

# field NAME: a top-level field of the last JSON document, as Python prints it.
field()
{
	python3 -c 'import json, sys
d = json.loads(sys.argv[1])
v = d.get(sys.argv[2])
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
	check "blackhole: UDP against a target that rate-limits port unreachables: exact or bounds around $TOPO_MTU, never a wrong MTU" \
		t_never_wrong "$TOPO_SERVER4"
	check "blackhole: largest_ok $TOPO_MTU, smallest_lost $((TOPO_MTU + 1))" \
		t_probe client "largest_ok=$TOPO_MTU smallest_lost=$((TOPO_MTU + 1))" \
		-m icmp "$TOPO_SERVER4"
	lab_end
}

t_never_wrong()
{
	run client -m udp "$1"
	python3 - "$OUT" "$TOPO_MTU" <<'PY' || why "$(echo "$OUT" | head -c 400)"
import json, sys
d = json.loads(sys.argv[1]); m = int(sys.argv[2])
if d["pmtu"] is not None:
    assert d["pmtu"] == m and d["exit_code"] == 1, d
else:
    assert d["exit_code"] == 3 and d["largest_ok"] is not None and d["largest_ok"] <= m, d
    assert d["smallest_lost"] is None or d["smallest_lost"] > m, d
    assert any(f["kind"] == "pmtu-bounds-only" for f in d["findings"]), d["findings"]
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
	for sec in ${MTUPROBE_SECTIONS:-pmtud ipv6_1280 blackhole lendrop tcp_only loss}; do
		"sec_$sec"
	done
	printf 'mtuprobe-lab: %d passed, %d failed (%d s)\n' "$N_PASS" "$N_FAIL" \
		$(($(date +%s) - t0))
	[ "$N_FAIL" = 0 ]
}

main "$@"
