#!/usr/bin/env bash
# tests/lab/nattrace-ct-tests.sh BUILD_DIR - `nattrace conntrack` and `nattrace watch` against
# the kernel and conntrack-tools in namespace labs (needs bash and root).
#
# The nat topology (topo.sh: client 192.168.1.2 - home - server 203.0.113.10): home masquerades
# the client's traffic to 203.0.113.2 and DNATs UDP to its public port 8080 to 192.168.1.2:7000.
# Real UDP, TCP and ICMP traffic crosses it; entries with chosen marks, zones and states are added
# with `conntrack -I`. Then:
#   - `nattrace conntrack` lists the same entries as `conntrack -L -o extended` (timeouts aside),
#     unfiltered and for each filter option against conntrack's own option, and a positional
#     address against the entries conntrack lists with it in either direction;
#   - the NAT is spelled out: SNAT to the address and port the server saw, DNAT to the client's
#     192.168.1.2:7000 the rule names;
#   - --json is one valid document (python json.load) whose entries are conntrack's (tuples,
#     mark) and whose totals agree with conntrack -C / -j; --count counts; a full stdout gives
#     exit 3 and one stderr line;
#   - watch follows a TCP connection the test makes through the masquerade (new, update, then
#     destroy when the test deletes it) with the SNAT the server saw, stops on SIGINT; a DNAT
#     flow in text mode, stopped by -c;
#   - event overruns: a 4 KiB --rcvbuf under a burst of 3000 creates (ctfill) reports a lost
#     line and a resync against the watcher's view, text and JSON; every created entry is seen,
#     as a new event or as a new line the resync found;
#   - no loss: default buffer, a burst of 300 creates then their deletion gives exactly those
#     300 new and 300 destroy events, no lost line, 0 overruns, 0 resyncs, exit 0; text mode
#     counts 50 of 50;
#   - loss with the watcher stopped: 20 entries seeded before the start, a 4096-byte
#     --buffer-size, SIGSTOP while 3000 entries are made, then entries deleted (seeded, seen
#     live, unseen), one tuple re-created (a new conntrack id) and one mark changed, SIGCONT:
#     a lost line with count >= 1, one resync whose synthetic destroy/new/update lines are
#     exactly the entries that changed (computed from what the test did and what the stream
#     showed before the loss), resync_end counts equal to those lines, the watcher's view (the
#     table at start plus every line applied in order) equal to `conntrack -L` afterwards,
#     WARNING, exit 1, every line valid against docs/schema/nattrace-watch.schema.json
#     (strict); the same in text;
#   - --view-max 100: entries beyond the view are listed as resync lines and counted, the view
#     never exceeds 100, the stream still rebuilds the table;
#   - bad --buffer-size / --view-max values: usage error, exit 3;
#   - without CAP_NET_ADMIN: one stderr line naming it, exit 3 (text), the error in the
#     document (--json), for both commands;
#   - every long option of both commands' --help is in docs/nattrace.1.
# One line per check, then "nattrace-ct: N passed, M failed"; exit status 1 on failure. Without
# root it prints "nattrace-ct: SKIP" and exits 0 (77 if LAB_STRICT=1).

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LAB_DIR/../.." && pwd)
BUILD_DIR=${1:-build}
# shellcheck source=tests/lab/topo.sh
. "$LAB_DIR/topo.sh"
CHECK_TAG=nattrace-ct
# shellcheck source=tests/lab/check.sh
. "$LAB_DIR/check.sh"

NT=$(cd "$BUILD_DIR" 2>/dev/null && pwd)/nattrace
CTFILL=$(cd "$BUILD_DIR" 2>/dev/null && pwd)/ctfill
RUN_TMP=
WPID=
PERM_ERR="nattrace: reading conntrack needs CAP_NET_ADMIN; run as root or with CAP_NET_ADMIN in this network namespace"

# norm: entry lines (conntrack's layout) with the timeout blanked, nattrace's NAT suffix cut,
# one blank between fields, sorted.
norm()
{
	sed 's/ [SD]NAT .*$//' | awk '/^ipv[46] / { $5 = "T"; print }' | sort
}

# same NAME NATTRACE-ARGS -- CONNTRACK-ARGS: the entry sets agree and are not empty (EMPTY=1
# allows empty).
same()
{
	local a=() b=() x
	while [ $# -gt 0 ] && [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	b=("$@")
	lab_x home "$NT" conntrack "${a[@]}" 2>"$RUN_TMP/err" >"$RUN_TMP/raw" ||
		{ why "nattrace exit $?: $(cat "$RUN_TMP/err")"; return; }
	norm <"$RUN_TMP/raw" >"$RUN_TMP/ours"
	lab_x home conntrack -L -o extended "${b[@]}" 2>/dev/null | norm >"$RUN_TMP/theirs"
	x=$(diff "$RUN_TMP/ours" "$RUN_TMP/theirs" | head -n 4)
	[ -z "$x" ] || { why "differs from conntrack -L ${b[*]}: $x"; return; }
	# The summary counts the lines.
	grep -q "^# $(wc -l <"$RUN_TMP/ours") entries matched of " "$RUN_TMP/raw" ||
		{ why "summary: $(tail -n 1 "$RUN_TMP/raw")"; return; }
	[ "${EMPTY:-0}" = 1 ] || [ -s "$RUN_TMP/ours" ] || why "empty set"
}

# ---- the nat lab ------------------------------------------------------------------------------

# tcp_server NODE PORT: accept connections, answer each with "ADDR PORT" as seen, close.
tcp_server()
{
	local py ready=$LAB_TMP/tcp-$1-$2.ready
	py=$(_lab_python) || return
	lab_bg "$1" "tcp-$1-$2" "$py" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(8)
open(sys.argv[2], "w").close()
while True:
    c, peer = s.accept()
    c.sendall(("%s %d" % peer).encode())
    c.close()
' "$2" "$ready"
	lab_wait "tcp server $1:$2" 10 test -e "$ready"
}

# tcp_ask NODE ADDR PORT: connect, print "LOCALPORT SEEN-ADDR SEEN-PORT".
tcp_ask()
{
	local py
	py=$(_lab_python) || return
	lab_x "$1" "$py" -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
seen = s.recv(200).decode()
print(s.getsockname()[1], seen)
s.close()
' "$2" "$3"
}

make_traffic()
{
	lab_nft home "ip pdl_dnat" <<-'EOF' || return
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "server" udp dport 8080 dnat to 192.168.1.2:7000
	}
	EOF
	lab_nft home pdl_track <<-'EOF' || return
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state new counter
	}
	EOF
	lab_udp_echo server 5000 || return
	lab_udp_echo client 7000 || return
	tcp_server server 9000 || return
	SEEN=$(lab_udp_ask client 203.0.113.10 5000) || return
	SEEN_DNAT=$(lab_udp_ask server 203.0.113.2 8080) || return
	lab_udp_ask client fd00:203::10 5000 >/dev/null || return
	lab_x client ping -c 1 -W 2 203.0.113.10 >/dev/null || return
	local c='conntrack -I -t 600'
	lab_x home $c -p tcp -s 192.168.1.50 -d 198.51.100.7 --sport 40001 --dport 443 \
		--state ESTABLISHED -u SEEN_REPLY,ASSURED --mark 16 || return
	lab_x home $c -p tcp -s 192.168.1.51 -d 198.51.100.7 --sport 40002 --dport 443 \
		--state SYN_SENT --mark 17 || return
	lab_x home $c -p tcp -s 192.168.1.52 -d 198.51.100.8 --sport 40003 --dport 22 \
		--state TIME_WAIT -u SEEN_REPLY --mark 33 --zone 5 || return
	lab_x home $c -p udp -s fd00:1::2 -d 2001:db8::53 --sport 5353 --dport 53 --mark 16 ||
		return
	lab_x home $c -p tcp -s 10.7.0.1 -d 10.7.0.2 --sport 1 --dport 443 --state ESTABLISHED \
		-u SEEN_REPLY --zone 9
} 2>"$RUN_TMP/traffic.err"

t_nat_masq()
{
	local addr port line
	read -r addr port <<<"$SEEN"
	[ "$addr" = 203.0.113.2 ] || { why "server saw $SEEN, not home's public address"; return; }
	line=$(lab_x home "$NT" conntrack -p udp -s 192.168.1.2 --dport 5000 | grep -v '^#')
	[ "$(wc -l <<<"$line")" = 1 ] || { why "want one entry: $line"; return; }
	grep -q " SNAT 192\.168\.1\.2:[0-9]* -> 203\.0\.113\.2:$port\$" <<<"$line" ||
		why "NAT not SNAT to $addr:$port: $line"
}

t_nat_dnat()
{
	local addr line
	read -r addr _ <<<"$SEEN_DNAT"
	[ "$addr" = 203.0.113.10 ] || { why "client saw $SEEN_DNAT, not the server"; return; }
	line=$(lab_x home "$NT" conntrack --dnat -p udp -d 203.0.113.2 | grep -v '^#')
	[ "$(wc -l <<<"$line")" = 1 ] || { why "want one entry: $line"; return; }
	grep -q ' DNAT 203\.0\.113\.2:8080 -> 192\.168\.1\.2:7000$' <<<"$line" ||
		why "NAT not DNAT 203.0.113.2:8080 -> 192.168.1.2:7000: $line"
}

t_addr_either()
{
	local ours theirs
	ours=$(lab_x home "$NT" conntrack 192.168.1.2 | norm)
	theirs=$(lab_x home conntrack -L -o extended 2>/dev/null |
		grep -E '(src|dst)=192\.168\.1\.2 ' | norm)
	[ -n "$ours" ] && [ "$ours" = "$theirs" ] || why "ADDR either way: '$ours' vs '$theirs'"
}

# The JSON document against conntrack -L, entry by entry.
t_json()
{
	local filt=("$@") n
	lab_x home "$NT" conntrack --json "${filt[@]}" >"$RUN_TMP/doc.json" 2>"$RUN_TMP/err"
	n=$?
	[ "$n" = 0 ] || { why "exit $n: $(cat "$RUN_TMP/err")"; return; }
	[ ! -s "$RUN_TMP/err" ] || { why "stderr: $(cat "$RUN_TMP/err")"; return; }
	lab_x home conntrack -L -o extended "${filt[@]}" >"$RUN_TMP/ctl" 2>/dev/null
	python3 - "$RUN_TMP/doc.json" "$RUN_TMP/ctl" <<-'EOF' >"$RUN_TMP/jcmp" 2>&1 || { why "$(tail -n 3 "$RUN_TMP/jcmp")"; return; }
	import json, sys
	doc = json.load(open(sys.argv[1]))
	def key_j(e):
	    o, r = e["orig"], e["reply"]
	    def t(x):
	        return (x["src"], x["dst"], x.get("sport", x.get("icmp_id")), x.get("dport", x.get("icmp_type")))
	    return (e["family"], e["proto"]) + t(o) + t(r) + (e["mark"],)
	def key_c(line):
	    f = line.split()
	    kv = [x.split("=", 1) for x in f if "=" in x]
	    # first tuple, then second: src dst sport|type dport|id
	    tups, cur = [], {}
	    for k, v in kv:
	        if k == "src" and cur:
	            tups.append(cur); cur = {}
	        if k in ("src", "dst", "sport", "dport", "type", "id"):
	            cur[k] = v
	        if k == "mark":
	            mark = int(v)
	    tups.append(cur)
	    def t(x):
	        if "sport" in x:
	            return (x["src"], x["dst"], int(x["sport"]), int(x["dport"]))
	        return (x["src"], x["dst"], int(x["id"]), int(x["type"]))
	    return (f[0], f[2]) + t(tups[0]) + t(tups[1]) + (mark,)
	ours = sorted(key_j(e) for e in doc["entries"])
	theirs = sorted(key_c(l) for l in open(sys.argv[2]) if l.startswith("ipv"))
	assert ours == theirs, "entries differ: %s vs %s" % (ours[:2], theirs[:2])
	assert doc["totals"]["matched"] == len(ours), doc["totals"]
	assert doc["schema_version"] == 1 and doc["tool"] == "nattrace", doc
	assert doc["verdict"] == "OK" and doc["exit_code"] == 0 and doc["error"] is None, doc
	assert ours, "no entries"
	print(len(ours))
	EOF
}

t_json_nat()
{
	local addr port
	read -r addr port <<<"$SEEN"
	OUT=$(lab_x home "$NT" conntrack --json -p udp -s 192.168.1.2 --dport 5000)
	expect '["entries"][0]["nat"]["kind"]=snat' \
		'["entries"][0]["nat"]["snat"]["to"]["address"]='"$addr" \
		'["entries"][0]["nat"]["snat"]["to"]["port"]='"$port" \
		'["entries"][0]["nat"]["snat"]["from"]["address"]=192.168.1.2' \
		'["entries"][0]["nat"]["dnat"]=null' '["totals"]["matched"]=1' || return
	OUT=$(lab_x home "$NT" conntrack --json --dnat -p udp -d 203.0.113.2)
	expect '["entries"][0]["nat"]["kind"]=dnat' \
		'["entries"][0]["nat"]["dnat"]["from"]["port"]=8080' \
		'["entries"][0]["nat"]["dnat"]["to"]["address"]=192.168.1.2' \
		'["entries"][0]["nat"]["dnat"]["to"]["port"]=7000'
}

t_json_totals()
{
	local all nat
	all=$(lab_x home conntrack -C)
	nat=$(lab_x home conntrack -L -j 2>/dev/null | wc -l)
	OUT=$(lab_x home "$NT" conntrack --json --count)
	expect '["totals"]["matched"]='"$all" '["totals"]["sent_by_kernel"]='"$all" || return
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert "entries" not in d
t=d["totals"]["nat"]; assert t["snat"]+t["dnat"]+t["snat_dnat"]==int(sys.argv[2]), t
assert t["snat"]+t["dnat"]+t["snat_dnat"]+t["none"]==int(sys.argv[3]), t' "$OUT" "$nat" "$all" \
		2>&1 || { why "NAT totals vs conntrack -j ($nat of $all): $OUT"; return; }
	OUT=$(lab_x home "$NT" conntrack --json -m 16)
	expect '["totals"]["kernel_filter"]=['"'"'mark'"'"']' '["totals"]["sent_by_kernel"]=2' \
		'["totals"]["matched"]=2'
}

t_count_text()
{
	local all line
	all=$(lab_x home conntrack -C)
	line=$(lab_x home "$NT" conntrack --count)
	[ "$(wc -l <<<"$line")" = 1 ] || { why "not one line: $line"; return; }
	grep -q "^$all entries matched of $all sent by the kernel " <<<"$line" ||
		why "count line '$line', conntrack -C $all"
}

t_full_stdout()
{
	local rc
	lab_x home "$NT" conntrack --json >/dev/full 2>"$RUN_TMP/err"
	rc=$?
	[ "$rc" = 3 ] || { why "exit $rc"; return; }
	[ "$(cat "$RUN_TMP/err")" = "nattrace: cannot write to standard output: No space left on device" ] ||
		why "stderr: $(cat "$RUN_TMP/err")"
}

unpriv()
{
	lab_x home setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"
}

t_perm()
{
	local rc
	for cmd in conntrack watch; do
		unpriv "$NT" "$cmd" >"$RUN_TMP/out" 2>"$RUN_TMP/err"
		rc=$?
		[ "$rc" = 3 ] || { why "$cmd: exit $rc, want 3"; return; }
		[ "$(cat "$RUN_TMP/err")" = "$PERM_ERR" ] || { why "$cmd stderr: $(cat "$RUN_TMP/err")"; return; }
		[ ! -s "$RUN_TMP/out" ] || { why "$cmd stdout: $(head -c 200 "$RUN_TMP/out")"; return; }
	done
	OUT=$(unpriv "$NT" conntrack --json 2>"$RUN_TMP/err")
	RC=$?
	[ ! -s "$RUN_TMP/err" ] || { why "--json stderr: $(cat "$RUN_TMP/err")"; return; }
	expect rc=3 '["exit_code"]=3' '["verdict"]=UNKNOWN' '["entries"]=[]' || return
	jget '["error"]' | grep -q CAP_NET_ADMIN || why "error: $(jget '["error"]')"
}

# watch --json follows a TCP connection through the masquerade; SIGINT ends it.
t_watch_tcp()
{
	local ev=$RUN_TMP/watch.json pid lport addr sport rc
	# ip netns exec execs: $! is nattrace itself, which the SIGINT must reach.
	ip netns exec "$(lab_ns home)" "$NT" watch --json -p tcp --dport 9000 >"$ev" \
		2>"$RUN_TMP/watch.err" &
	pid=$!
	lab_wait "watch start" 5 grep -q '"type":"start"' "$ev" || { why "no start line"; return; }
	read -r lport addr sport <<<"$(tcp_ask client 203.0.113.10 9000)"
	[ "$addr" = 203.0.113.2 ] || { why "server saw '$addr $sport'"; return; }
	sleep 0.3
	lab_x home conntrack -D -p tcp -s 192.168.1.2 --sport "$lport" >/dev/null 2>&1 ||
		{ why "conntrack -D"; return; }
	lab_wait "destroy event" 5 grep -q '"type":"destroy"' "$ev"
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	[ "$rc" = 0 ] || { why "exit $rc: $(cat "$RUN_TMP/watch.err")"; return; }
	python3 - "$ev" "$lport" "$sport" <<-'EOF' >"$RUN_TMP/wcmp" 2>&1 || why "$(tail -n 2 "$RUN_TMP/wcmp")"
	import json, sys
	lines = [json.loads(l) for l in open(sys.argv[1])]
	lport, sport = int(sys.argv[2]), int(sys.argv[3])
	assert lines[0]["type"] == "start" and lines[-1]["type"] == "end", (lines[0], lines[-1])
	end = lines[-1]
	assert end["totals"]["stopped_by"] == "signal" and end["exit_code"] == 0, end
	mine = [l for l in lines[1:-1] if l["entry"]["orig"]["sport"] == lport]
	types = [l["type"] for l in mine]
	assert types[0] == "new" and types[-1] == "destroy" and "update" in types, types
	for l in mine:
	    e = l["entry"]
	    assert e["orig"]["src"] == "192.168.1.2" and e["orig"]["dst"] == "203.0.113.10", e
	    n = e["nat"]
	    assert n["kind"] == "snat", n
	    assert n["snat"]["to"] == {"address": "203.0.113.2", "port": sport}, n
	states = [l["entry"]["tcp_state"] for l in mine]
	assert "ESTABLISHED" in states or "TIME_WAIT" in states, states
	print(types)
	EOF
}

# watch in text mode: a new DNAT flow, new then update (the reply), stopped by -c 2.
t_watch_dnat_text()
{
	local ev=$RUN_TMP/watch.txt pid rc
	lab_x home "$NT" watch -c 2 -G 15 -p udp --dport 8080 >"$ev" 2>"$RUN_TMP/watch.err" &
	pid=$!
	lab_wait "watch start" 5 grep -q '^# nattrace watch: following' "$ev" ||
		{ why "no start line"; return; }
	lab_udp_ask server 203.0.113.2 8080 >/dev/null || { why "no answer through the DNAT"; return; }
	wait "$pid"
	rc=$?
	[ "$rc" = 0 ] || { why "exit $rc: $(cat "$RUN_TMP/watch.err")"; return; }
	grep -qE '^[0-9:.]+ \[NEW\] ipv4 +2 udp +17 .*src=203\.0\.113\.10 dst=203\.0\.113\.2 .* DNAT 203\.0\.113\.2:8080 -> 192\.168\.1\.2:7000$' "$ev" ||
		{ why "no NEW line with the DNAT: $(head -n 3 "$ev")"; return; }
	grep -qE '^[0-9:.]+ \[UPDATE\] .* DNAT 203\.0\.113\.2:8080 -> 192\.168\.1\.2:7000$' "$ev" ||
		{ why "no UPDATE line: $(cat "$ev")"; return; }
	grep -q '^# nattrace watch: 2 events shown (1 new, 1 update, 0 destroy); .*stopped by count$' "$ev" ||
		why "summary: $(tail -n 1 "$ev")"
}

t_man_options()
{
	local o opts missing=
	for cmd in conntrack watch; do
		opts=$("$NT" "$cmd" --help) || { why "$cmd --help failed"; return; }
		opts=$(grep -o -- '--[a-z][a-z-]*' <<<"$opts" | sort -u)
		[ -n "$opts" ] || { why "$cmd --help lists no options"; return; }
		for o in $opts; do
			grep -qF -- "$(sed 's/-/\\-/g' <<<"$o")" "$ROOT/docs/nattrace.1" ||
				missing="$missing $cmd:$o"
		done
	done
	[ -z "$missing" ] || why "not in docs/nattrace.1:$missing"
}

sec_nat()
{
	build "nat" topo_nat || return
	if ! make_traffic; then
		bad "nat: traffic and entries" "$(tail -n 1 "$RUN_TMP/traffic.err")"
		lab_end
		return
	fi
	ok "nat: traffic and entries"
	check "conntrack = conntrack -L -o extended (all entries)" same --
	check "masquerade: SNAT to the address and port the server saw" t_nat_masq
	check "DNAT: 203.0.113.2:8080 -> 192.168.1.2:7000 as the rule says" t_nat_dnat
	check "-m 16 = conntrack --mark 16" same -m 16 -- --mark 16
	check "--mark 16/0xf0 = conntrack --mark 16/0xf0" same --mark 16/0xf0 -- --mark 16/0xf0
	check "-s 192.168.1.0/24 = conntrack -s 192.168.1.0/24" \
		same -s 192.168.1.0/24 -- -s 192.168.1.0/24
	check "-d 198.51.100.7 = conntrack -d" same -d 198.51.100.7 -- -d 198.51.100.7
	check "--reply-src 192.168.1.2 = conntrack -r" same --reply-src 192.168.1.2 -- -r 192.168.1.2
	check "--reply-dst 203.0.113.2 = conntrack -q" same --reply-dst 203.0.113.2 -- -q 203.0.113.2
	check "-p tcp --dport 443 = conntrack's" same -p tcp --dport 443 -- -p tcp --dport 443
	check "-p udp --sport 5353 = conntrack's" same -p udp --sport 5353 -- -p udp --sport 5353
	check "--zone 5 = conntrack --zone 5" same --zone 5 -- --zone 5
	check "-f ipv6 = conntrack -f ipv6" same -f ipv6 -- -f ipv6
	check "--nat = conntrack -j" same --nat -- -j
	check "--snat = conntrack -n" same --snat -- -n
	check "--dnat -p udp = conntrack -g -p udp" same --dnat -p udp -- -g -p udp
	check "--no-kfilter -m 16 = conntrack --mark 16" same --no-kfilter -m 16 -- --mark 16
	check "ADDR matches either direction" t_addr_either
	check "--json: conntrack's entries (all)" t_json
	check "--json -m 16: conntrack's entries" t_json --mark 16
	check "--json -p udp: conntrack's entries" t_json -p udp
	check "--json: the NAT kind, from and to" t_json_nat
	check "--json --count: totals = conntrack -C and -j; kernel filter named" t_json_totals
	check "--count: one line, conntrack -C entries" t_count_text
	check "full stdout: exit 3, one line" t_full_stdout
	check "no CAP_NET_ADMIN: one line, exit 3; --json carries it" t_perm
	check "watch --json: TCP through the masquerade, new/update/destroy, SIGINT" t_watch_tcp
	check "watch: DNAT flow new+update in text, -c 2" t_watch_dnat_text
	lab_end
}

# ---- overruns -----------------------------------------------------------------------------------

# overrun MODE: watch with a 4 KiB buffer while ctfill creates 3000 entries.
overrun()
{
	local out=$RUN_TMP/overrun.$1 pid args=(watch --rcvbuf 4096 -G 8 -p udp)
	[ "$1" = json ] && args+=(--json)
	lab_x ev conntrack -F >/dev/null 2>&1
	lab_x ev "$NT" "${args[@]}" >"$out" 2>"$RUN_TMP/overrun.err" &
	pid=$!
	lab_wait "watch start" 5 grep -q 'start\|following' "$out" || { why "watch not started"; return; }
	lab_x ev "$CTFILL" 3000 --proto udp --timeout 600 >/dev/null || { why "ctfill failed"; return; }
	wait "$pid"
	RC=$?
}

t_overrun_text()
{
	local out=$RUN_TMP/overrun.text
	overrun text || return
	[ "$RC" = 1 ] || { why "exit $RC, want 1 (WARNING: events lost)"; return; }
	awk '
		/^[0-9:.]+ [0-9]+ event overruns; resynchronising$/ { lost++; inre = 1; n = 0; next }
		inre && / \[RESYNC NEW\] ipv4 / { n++; next }
		inre && /^[0-9:.]+ resynchronised: [0-9]+ entries in the table now; changed while events were lost: [0-9]+ new, 0 updated, 0 destroyed; 0 not in the view$/ {
			if ($14 != n) bad = 1; ok++; inre = 0; next }
		END { exit !(lost >= 1 && ok >= 1 && !bad) }
	' "$out" || { why "no lost line then resync dump: $(grep -v '\[' "$out" | head -n 5)"; return; }
	grep -q '^WARNING: [0-9]* event overruns' "$out" || why "no WARNING finding"
}

t_overrun_json()
{
	local out=$RUN_TMP/overrun.json
	overrun json || return
	[ "$RC" = 1 ] || { why "exit $RC, want 1"; return; }
	python3 - "$out" <<-'EOF' >"$RUN_TMP/ocmp" 2>&1 || why "$(tail -n 2 "$RUN_TMP/ocmp")"
	import json, sys
	lines = [json.loads(l) for l in open(sys.argv[1])]
	types = [l["type"] for l in lines]
	i = types.index("lost")
	assert lines[i]["count"] >= 1, lines[i]
	j = types.index("resync_end", i)
	assert all(l.get("resync") and l["type"] == "new" for l in lines[i + 1:j]), \
	    set(types[i + 1:j])
	assert lines[j]["new"] == j - i - 1, (lines[j], j - i - 1)
	seen = []
	for l in lines:
	    if l["type"] in ("new", "resync"):
	        o = l["entry"]["orig"]
	        seen.append((o["src"], o["sport"]))
	assert len(set(seen)) == 3000, "seen %d of 3000 entries" % len(set(seen))
	end = lines[-1]
	assert end["type"] == "end" and end["totals"]["overruns"] >= 1, end
	assert end["verdict"] == "WARNING", end
	assert any(f["kind"] == "event-overrun" for f in end["findings"]), end["findings"]
	print(types.count("lost"), "overruns,", len(seen), "entries")
	EOF
}

sec_overrun()
{
	build "events" lab_node ev || return
	check "4 KiB rcvbuf, 3000 creates: lost line, then the resync's new lines (text)" \
		t_overrun_text
	check "same in NDJSON: lost, new (resync)..., resync_end; every entry seen" \
		t_overrun_json
	check "default buffer, 300 creates + deletes: 300 new, 300 destroy, no loss" \
		t_burst_json
	check "text, 50 creates: 50 NEW lines, 0 overruns, stopped by -c" t_burst_text
	check "4 KiB buffer, SIGSTOP, 3000 creates + changes: lost, exact resync diff, view = table" \
		t_loss_json
	check "same in text: lost line, [RESYNC ...] lines as the resynchronised line counts" \
		t_loss_text
	check "--view-max 100: untracked entries listed as resync, view capped, stream = table" \
		t_view_full
	lab_end
}

# ---- loss with the watcher stopped, and no loss (the view; ct_view.h) -------------------------

# table FILE: the UDP entries of the lab node as "SRC SPORT" lines (conntrack -L), sorted.
table()
{
	lab_x ev conntrack -L -p udp 2>/dev/null |
		sed -n 's/^udp[^=]* src=\([0-9.]*\) dst=[0-9.]* sport=\([0-9]*\) dport=.*$/\1 \2/p' |
		sort >"$1"
}

# watch_start OUT ARGS...: nattrace watch in the background (ip netns exec execs: WPID is
# nattrace itself), returns once its start line is written.
watch_start()
{
	local out=$1
	shift
	ip netns exec "$(lab_ns ev)" "$NT" watch "$@" >"$out" 2>"$out.err" &
	WPID=$!
	lab_wait "watch start" 10 grep -q '"type":"start"\|^# nattrace watch: following' "$out" ||
		{ why "watch did not start: $(cat "$out.err")"; return 1; }
}

# watch_stop: SIGINT, then the exit status in RC.
watch_stop()
{
	kill -INT "$WPID" 2>/dev/null
	wait "$WPID"
	RC=$?
}

# lines FILE PATTERN: how many lines of FILE match (extended regular expression).
lines()
{
	grep -cE -- "$2" "$1"
}

# has_n FILE PATTERN N: at least N lines match (for lab_wait, which repeats it).
has_n()
{
	[ "$(lines "$1" "$2")" -ge "$3" ]
}

del_sport()
{
	local p
	for p; do
		lab_x ev conntrack -D -p udp --orig-port-src "$p" >/dev/null 2>&1 || return
	done
}

# ---- no loss ------------------------------------------------------------------------------------

t_burst_json()
{
	local out=$RUN_TMP/burst.json
	lab_x ev conntrack -F >/dev/null 2>&1
	watch_start "$out" --json -p udp || return
	lab_x ev "$CTFILL" 300 --proto udp --sport-base 30000 --timeout 600 >/dev/null ||
		{ why "ctfill failed"; return; }
	lab_wait "300 new" 10 has_n "$out" '"type":"new"' 300 ||
		{ why "$(lines "$out" '"type":"new"') new lines of 300"; return; }
	lab_x ev conntrack -D -p udp >/dev/null 2>&1
	lab_wait "300 destroy" 10 has_n "$out" '"type":"destroy"' 300
	watch_stop
	[ "$RC" = 0 ] || { why "exit $RC: $(cat "$out.err")"; return; }
	python3 - "$out" <<-'EOF' >"$RUN_TMP/cmp" 2>&1 || why "$(tail -n 2 "$RUN_TMP/cmp")"
	import json, sys
	lines = [json.loads(l) for l in open(sys.argv[1])]
	want = {("10.0.%d.%d" % (i >> 8, i & 255), 30000 + i) for i in range(300)}
	def keys(t):
	    k = [(l["entry"]["orig"]["src"], l["entry"]["orig"]["sport"]) for l in lines
	         if l["type"] == t]
	    assert len(k) == len(set(k)), "%s: duplicates" % t
	    return set(k)
	assert keys("new") == want, "new: %d, missing %s" % (len(keys("new")), list(want - keys("new"))[:3])
	assert keys("destroy") == want, "destroy differs"
	types = {l["type"] for l in lines}
	assert not types & {"lost", "resync", "resync_end"}, types
	assert not any(l.get("resync") for l in lines), "resync lines"
	end = lines[-1]
	assert end["type"] == "end" and end["exit_code"] == 0 and end["verdict"] == "OK", end
	t = end["totals"]
	assert t["events"] == {"new": 300, "update": 0, "destroy": 300}, t["events"]
	assert t["overruns"] == 0 and t["resyncs"] == 0, t
	assert lines[0]["view"]["seeded"] == 0 and lines[0]["buffer_size"] >= 8 << 20, lines[0]
	print("ok")
	EOF
}

t_burst_text()
{
	local out=$RUN_TMP/burst.txt pid
	lab_x ev conntrack -F >/dev/null 2>&1
	lab_x ev "$NT" watch -p udp -c 50 -G 20 >"$out" 2>"$out.err" &
	pid=$!
	lab_wait "watch start" 10 grep -q '^# nattrace watch: following' "$out" ||
		{ why "no start line"; return; }
	lab_x ev "$CTFILL" 50 --proto udp --sport-base 31000 --timeout 600 >/dev/null ||
		{ why "ctfill failed"; return; }
	wait "$pid"
	RC=$?
	[ "$RC" = 0 ] || { why "exit $RC: $(cat "$out.err")"; return; }
	[ "$(lines "$out" ' \[NEW\] ipv4 .* udp .* dport=80 ')" = 50 ] ||
		{ why "$(lines "$out" '\[NEW\]') NEW lines"; return; }
	grep -q '^# nattrace watch: 50 events shown (50 new, 0 update, 0 destroy); 0 overruns, 0 resyncs .*stopped by count$' "$out" ||
		why "summary: $(tail -n 1 "$out")"
}

# ---- loss -----------------------------------------------------------------------------------------

# stopped_fill OUT ARGS...: seed 20 entries (sport 1024+), start watch ARGS, make 5 live
# (2000+) and wait for their events, SIGSTOP it, make 3000 (10000+), delete seeded 1024-1033,
# live 2000-2002 and 10000-10099, re-create 2003 (new id), mark 2004, SIGCONT, wait for the
# resync, stop. Tables before the start and at the end in OUT.before / OUT.after.
stopped_fill()
{
	local out=$1 p
	shift
	lab_x ev conntrack -F >/dev/null 2>&1
	lab_x ev "$CTFILL" 20 --proto udp --sport-base 1024 --timeout 600 >/dev/null ||
		{ why "ctfill seed"; return 1; }
	table "$out.before"
	watch_start "$out" "$@" || return 1
	lab_x ev "$CTFILL" 5 --proto udp --sport-base 2000 --timeout 600 >/dev/null ||
		{ why "ctfill live"; return 1; }
	lab_wait "live events" 10 has_n "$out" 'sport("?:|=)2004' 1 ||
		{ why "no event of the live entries"; return 1; }
	kill -STOP "$WPID"
	lab_x ev "$CTFILL" 3000 --proto udp --sport-base 10000 --timeout 600 >/dev/null ||
		{ kill -CONT "$WPID"; watch_stop; why "ctfill 3000"; return 1; }
	del_sport $(seq 1024 1033) 2000 2001 2002 2003 $(seq 10000 10099) ||
		{ kill -CONT "$WPID"; watch_stop; why "conntrack -D"; return 1; }
	lab_x ev conntrack -I -p udp -s 10.0.0.3 -d 198.18.0.1 --sport 2003 --dport 80 -t 600 \
		>/dev/null 2>&1 || { kill -CONT "$WPID"; watch_stop; why "conntrack -I"; return 1; }
	lab_x ev conntrack -U -p udp -s 10.0.0.4 --mark 7 >/dev/null 2>&1 ||
		{ kill -CONT "$WPID"; watch_stop; why "conntrack -U"; return 1; }
	kill -CONT "$WPID"
	lab_wait "resync end" 20 grep -q 'resync_end\|resynchronised:' "$out" ||
		{ watch_stop; why "no resync: $(grep -v '\[NEW\]\|"new"' "$out" | head -n 3)"; return 1; }
	sleep 0.5
	watch_stop
	table "$out.after"
}

t_loss_json()
{
	local out=$RUN_TMP/loss.json
	stopped_fill "$out" --json -p udp --buffer-size 4096 || return
	[ "$RC" = 1 ] || { why "exit $RC, want 1 (WARNING): $(cat "$out.err")"; return; }
	[ ! -s "$out.err" ] || { why "stderr: $(cat "$out.err")"; return; }
	python3 - "$out" "$out.before" "$out.after" <<-'EOF' >"$RUN_TMP/cmp" 2>&1 || { why "$(tail -n 2 "$RUN_TMP/cmp")"; return; }
	import json, sys
	lines = [json.loads(l) for l in open(sys.argv[1])]
	def tab(f):
	    return {(a, int(p)) for a, p in (l.split() for l in open(f))}
	before, after = tab(sys.argv[2]), tab(sys.argv[3])
	def key(l):
	    o = l["entry"]["orig"]
	    return (o["src"], o["sport"])
	def ip(i):
	    return "10.0.%d.%d" % (i >> 8, i & 255)
	assert len(before) == 20, len(before)
	assert lines[0]["type"] == "start" and lines[0]["view"]["seeded"] == 20, lines[0]
	assert 4096 <= lines[0]["buffer_size"] <= 16384, lines[0]["buffer_size"]
	types = [l["type"] for l in lines]
	assert types.count("lost") >= 1 and types.count("resync_end") >= 1, types.count("lost")
	i = types.index("lost")
	assert lines[i]["count"] >= 1, lines[i]
	j = types.index("resync_end")
	# Events shown before the loss: the view at that moment (besides the seeded).
	shown = set()
	for l in lines[1:i]:
	    if l["type"] == "destroy":
	        shown.discard(key(l))
	    elif "entry" in l:
	        shown.add(key(l))
	# Events still queued are drained before the dump; they sit between lost and resync.
	for l in lines[i + 1:j]:
	    if "entry" in l and not l.get("resync") and l["type"] != "resync":
	        assert l["type"] != "destroy", l
	        shown.add(key(l))
	view = before | shown
	deleted = {(ip(k), 1024 + k) for k in range(10)} | {(ip(k), 2000 + k) for k in range(4)} | \
	    {(ip(k), 10000 + k) for k in range(100)}
	fill = {(ip(k), 10000 + k) for k in range(3000)}
	rs = [l for l in lines[i + 1:j] if l.get("resync")]
	got = {t: sorted(key(l) for l in rs if l["type"] == t) for t in ("new", "update", "destroy")}
	want_destroy = sorted((view & deleted) | {(ip(3), 2003)})
	want_new = sorted(((fill - deleted) - view) | {(ip(3), 2003)})
	assert got["destroy"] == want_destroy, ("destroy", len(got["destroy"]), len(want_destroy))
	assert got["new"] == want_new, ("new", len(got["new"]), len(want_new))
	assert got["update"] == [(ip(4), 2004)], ("update", got["update"])
	assert not any(l["type"] == "resync" for l in lines), "untracked lines with the default view"
	e = lines[j]
	assert (e["new"], e["update"], e["destroy"], e["untracked"]) == \
	    (len(want_new), 1, len(want_destroy), 0), e
	assert e["entries"] == len(after), (e["entries"], len(after))
	# The watcher's view as a consumer rebuilds it: the table at start, every line applied.
	state = set(before)
	for l in lines:
	    if "entry" not in l:
	        continue
	    if l["type"] == "destroy":
	        state.discard(key(l))
	    else:
	        state.add(key(l))
	assert state == after, ("view != table", sorted(state ^ after)[:4])
	upd = [l for l in rs if l["type"] == "update"][0]
	assert upd["entry"]["mark"] == 7, upd["entry"]["mark"]
	end = lines[-1]
	assert end["type"] == "end" and end["verdict"] == "WARNING" and end["exit_code"] == 1, end
	t = end["totals"]
	assert t["overruns"] >= 1 and t["resyncs"] >= 1, t
	assert t["resync_changes"]["destroy"] >= len(want_destroy), t
	assert t["view"]["seeded"] == 20 and t["view"]["untracked"] == 0, t["view"]
	assert t["stopped_by"] == "signal", t
	assert any(f["kind"] == "event-overrun" for f in end["findings"]), end["findings"]
	print(len(rs), "resync lines;", len(shown), "events before the loss")
	EOF
	PY_OUT=$(tail -n 1 "$RUN_TMP/cmp")
	python3 "$ROOT/tests/schema-validate.py" --schemas "$ROOT/docs/schema" --strict \
		--schema nattrace-watch "$out" >"$RUN_TMP/val" 2>&1 ||
		why "schema: $(grep -v ' ok ' "$RUN_TMP/val" | head -n 2)"
}

t_loss_text()
{
	local out=$RUN_TMP/loss.txt
	stopped_fill "$out" -p udp -b 4096 || return
	[ "$RC" = 1 ] || { why "exit $RC, want 1: $(cat "$out.err")"; return; }
	awk '
		/^[0-9:.]+ [0-9]+ event overruns; resynchronising$/ { lost++; inre = 1; next }
		inre && / \[RESYNC NEW\] ipv4 / { n++; next }
		inre && / \[RESYNC DESTROY\] ipv4 / { d++; next }
		inre && / \[RESYNC UPDATE\] ipv4 .* mark=7 / { u++; next }
		inre && /^[0-9:.]+ resynchronised: [0-9]+ entries in the table now; changed while events were lost: [0-9]+ new, [0-9]+ updated, [0-9]+ destroyed; 0 not in the view$/ {
			if ($14 != n || $16 != u || $18 != d || u != 1 || d < 14) bad = 1
			ok++; inre = 0; next }
		END { exit !(lost >= 1 && ok >= 1 && !bad) }
	' "$out" || { why "no lost line then resync lines: $(grep -v '\[NEW\]\|\[RESYNC' "$out" | head -n 5)"; return; }
	grep -q '^# nattrace watch: .* [1-9][0-9]* overruns, [1-9][0-9]* resyncs (found ' "$out" ||
		{ why "summary: $(grep '^# nattrace watch: [0-9]' "$out")"; return; }
	grep -q '^WARNING: [0-9]* event overruns' "$out" || why "no WARNING finding"
}

# --view-max 100: no seed, 3000 entries while stopped.
t_view_full()
{
	local out=$RUN_TMP/full.json
	lab_x ev conntrack -F >/dev/null 2>&1
	watch_start "$out" --json -p udp -b 4096 --view-max 100 || return
	kill -STOP "$WPID"
	lab_x ev "$CTFILL" 3000 --proto udp --sport-base 20000 --timeout 600 >/dev/null ||
		{ kill -CONT "$WPID"; watch_stop; why "ctfill"; return; }
	kill -CONT "$WPID"
	lab_wait "resync end" 20 grep -q resync_end "$out" || { watch_stop; why "no resync"; return; }
	watch_stop
	table "$out.after"
	[ "$RC" = 1 ] || { why "exit $RC"; return; }
	python3 - "$out" "$out.after" <<-'EOF' >"$RUN_TMP/cmp" 2>&1 || why "$(tail -n 2 "$RUN_TMP/cmp")"
	import json, sys
	lines = [json.loads(l) for l in open(sys.argv[1])]
	after = {(a, int(p)) for a, p in (l.split() for l in open(sys.argv[2]))}
	assert len(after) == 3000, len(after)
	state = set()
	for l in lines:
	    if "entry" in l:
	        state.add((l["entry"]["orig"]["src"], l["entry"]["orig"]["sport"]))
	assert state == after, len(state ^ after)
	e = [l for l in lines if l["type"] == "resync_end"][0]
	n_resync = sum(1 for l in lines if l["type"] == "resync")
	assert e["untracked"] == n_resync > 0 and e["entries"] == 3000, (e, n_resync)
	end = lines[-1]
	v = end["totals"]["view"]
	assert v["max"] == 100 and v["peak"] == 100 and v["untracked"] >= n_resync, v
	assert any(f["kind"] == "view-full" for f in end["findings"]), end["findings"]
	print(n_resync)
	EOF
}

t_usage()
{
	local a rc want
	for a in "--buffer-size 100" "-b x" "--view-max y" "--view-max 99999999999"; do
		want=buffer-size
		[ "${a#--view}" = "$a" ] || want=view-max
		# shellcheck disable=SC2086 # the option and its value
		"$NT" watch $a >/dev/null 2>"$RUN_TMP/err"
		rc=$?
		[ "$rc" = 3 ] || { why "$a: exit $rc"; return; }
		grep -q "^nattrace: watch: --$want '${a#* }' is not " "$RUN_TMP/err" ||
			{ why "$a: $(cat "$RUN_TMP/err")"; return; }
	done
}

t_no_leftovers()
{
	local pfx="pdl-$BASHPID-"
	! ip netns list | grep -q "^$pfx" || { why "namespaces left"; return; }
	! ls -d /etc/netns/"$pfx"* /tmp/"$pfx"* >/dev/null 2>&1 || why "files left"
}

main()
{
	if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
		echo "nattrace-ct: SKIP: needs root and network namespaces"
		[ "${LAB_STRICT:-0}" = 1 ] && exit 77
		exit 0
	fi
	if ! command -v conntrack >/dev/null 2>&1; then
		echo "nattrace-ct: conntrack (conntrack-tools) missing; run 'make deps'"
		echo "nattrace-ct: 0 passed, 1 failed"
		exit 1
	fi
	if [ ! -x "$NT" ] || [ ! -x "$CTFILL" ]; then
		echo "nattrace-ct: $NT or $CTFILL not built (make BUILD=$BUILD_DIR all tests)"
		echo "nattrace-ct: 0 passed, 1 failed"
		exit 1
	fi
	RUN_TMP=$(mktemp -d /tmp/pdl-ntct-XXXXXX) || exit 1
	# shellcheck disable=SC2016 # expanded when the trap runs
	LAB_EXIT_HOOK='rm -rf "$RUN_TMP"'
	trap 'rm -rf "$RUN_TMP"' EXIT
	lab_sweep_stale
	check "every long option of conntrack and watch --help is in docs/nattrace.1" t_man_options
	check "watch: bad --buffer-size / --view-max: usage error, exit 3" t_usage
	sec_nat
	sec_overrun
	check "no namespace, /etc/netns entry or temp dir of this run left" t_no_leftovers
	printf 'nattrace-ct: %d passed, %d failed\n' "$N_PASS" "$N_FAIL"
	[ "$N_FAIL" = 0 ]
}

main "$@"
