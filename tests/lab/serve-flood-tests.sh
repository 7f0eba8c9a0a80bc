#!/usr/bin/env bash
# tests/lab/serve-flood-tests.sh BUILD_DIR - `mtuprobe serve` under a bounded flood, in
# namespaces (needs bash and root; BUILD_DIR/pd-flood from `make tests`).  docs/responder.md.
#
# The chain of topo.sh (bottleneck r1 = r2 at 1454) plus a flooder wired straight to the server;
# the server routes 10.64.0.0/16 to the flooder, which owns the whole /16 (a local route on its
# loopback), so every flood datagram can carry its own source address and the replies to it
# come back:
#
#   client 10.0.1.2 - r1 =[1454]= r2 - server 10.0.3.2 (mtuprobe serve --key)
#                                          |  10.0.9.1
#   flood 10.0.9.2, sources 10.64.0.0/16 --+
#
# pd-flood, bounded by time (FLOOD_S) and count (FLOOD_N), paced at FLOOD_PPS: FLOOD_IDLE TCP
# connections held idle (every 4th sends one byte of nothing), FLOOD_HALF half-open ones (nft on
# the flooder drops their SYN-ACKs), one HELLO from each of FLOOD_CHURN sources (twice the
# responder's table), then FLOOD_TRACKED sources sending, in turn, unsigned REV_REQs asking
# 32 x 1400 bytes, HELLOs, FWD_PROBEs, garbage with and without the 'PD' magic, truncated
# requests and REV_REQs with forged MACs.  Meanwhile the legitimate client runs
# `mtuprobe --peer`, unsigned and signed.
#
# Checks, against what the lab was built with and the documented limits (docs/responder.md):
# the client measures 1454 both ways and its MSS report arrives; the flooder got back no more
# IP bytes than it sent; the responder's own accounting agrees (tx_unauth <= rx_unauth); per
# tracked source, requests answered <= burst + rate x elapsed (100/s, burst 200: count-based,
# elapsed measured by the flooder around everything it saw), request-rate errors <= one per
# second, reply bytes <= 512 KiB + 256 KiB/s x elapsed; unsigned reply bytes of all sources <=
# 8 MiB + 4 MiB/s x the server's lifetime; table use <= capacity with evictions counted; the
# server's VmHWM grew by no more than its tables (memory_bytes) plus its receive buffers
# (8 x 64 KiB) plus 512 KiB of explicit slack.  Figures are printed for the closing note.
#
# One line per check, then "serve-flood: N passed, M failed"; exit status 1 on failure.
# Without root: "serve-flood: SKIP", exit 0 (77 if LAB_STRICT=1).

# shellcheck disable=SC2015 # "A && B || why ...": the failure branch is meant for either
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=$(cd "${1:-build}" 2>/dev/null && pwd || echo "${1:-build}")
MTUPROBE=$BUILD_DIR/mtuprobe
FLOOD=$BUILD_DIR/pd-flood
# shellcheck source=tests/lab/topo.sh
. "$LAB_DIR/topo.sh"
CHECK_TAG=serve-flood
# shellcheck source=tests/lab/check.sh
. "$LAB_DIR/check.sh"

# Documented defaults of the responder (docs/responder.md, Rate limits and Bounded memory).
SRC_PPS=100
SRC_BURST=200
SRC_BPS=262144
SRC_BPS_BURST=524288
GLOBAL_BPS=4194304
GLOBAL_BURST=8388608
RX_BUFFERS_KB=$((8 * 64))
SLACK_KB=512
TABLE=4096

# The flood: bounded in time and count.
FLOOD_S=${FLOOD_S:-10}
FLOOD_N=${FLOOD_N:-60000}
FLOOD_PPS=${FLOOD_PPS:-4000}
FLOOD_TRACKED=16
FLOOD_CHURN=$((2 * TABLE))
FLOOD_IDLE=600
FLOOD_HALF=600

SERVER=10.0.3.2
MTU=1454
SERVE_PID=
FLOOD_PID=

# ---- helpers ------------------------------------------------------------------------------

# jf FILE PATH: a field of a JSON file ("a.b.c"), "null" when missing.
jf()
{
	python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("null" if v is None else v)' "$1" "$2" 2>/dev/null
}

# kv LINE-PREFIX KEY: value of KEY=N on the flooder's line starting with LINE-PREFIX.
kv()
{
	sed -n "s/^$1 .* $2=\([0-9]*\).*/\1/p; s/^$1 $2=\([0-9]*\).*/\1/p" "$LAB_TMP/flood.log" |
		head -n 1
}

status_kb()
{
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null
}

now_ms()
{
	echo $(($(date +%s%N) / 1000000))
}

serve_ready()
{
	lab_x server ss -lnu | grep -q ':20548 ' && lab_x server ss -lnt | grep -q ':20548 '
}

# ---- lab ----------------------------------------------------------------------------------

build_lab()
{
	topo_chain pmtud mtu="$MTU" || return
	lab_node flood || return
	lab_link flood server a4=10.0.9.2/24 b4=10.0.9.1/24 || return
	lab_route flood 10.0.3.0/24 10.0.9.1 || return
	lab_route server 10.64.0.0/16 10.0.9.2 || return
	# The flooder owns every address of 10.64.0.0/16 (AnyIP).
	_lab_do "flood: local route 10.64.0.0/16" \
		ip -n "$(lab_ns flood)" route add local 10.64.0.0/16 dev lo || return
	# Half-open connections come from 10.64.8.0/22: their SYN-ACKs never arrive.
	lab_nft flood pdl_half <<-'EOF' || return
	counter synack_dropped {}
	chain c_pre {
		type filter hook prerouting priority raw; policy accept;
		ip daddr 10.64.8.0/22 tcp flags & (syn | ack) == (syn | ack) counter name "synack_dropped" drop
	}
	EOF
	KEY=$LAB_TMP/peer.key
	(umask 077 && { echo "# lab key"; od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; echo; } \
		>"$KEY")
}

start_serve()
{
	SERVE_JSON=$LAB_TMP/serve.json
	# shellcheck disable=SC2016 # expanded by the inner shell
	ip netns exec "$(lab_ns server)" sh -c 'f=$1; shift; exec "$@" >"$f" 2>"$f.err"' sh \
		"$SERVE_JSON" "$MTUPROBE" serve --json --key "$KEY" </dev/null &
	SERVE_PID=$!
	LAB_BG_PIDS+=("$SERVE_PID")
	SERVE_T0=$(now_ms)
	lab_wait "mtuprobe serve" 10 serve_ready
}

stop_serve()
{
	[ -n "$SERVE_PID" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID" 2>/dev/null
	SERVE_T1=$(now_ms)
	SERVE_PID=
}

# client NAME ARGS...: `mtuprobe --json --peer ARGS` from the client; document in NAME.json.
client()
{
	local name=$1
	shift
	lab_x client "$MTUPROBE" --json --peer "$@" >"$LAB_TMP/$name.json" 2>"$LAB_TMP/$name.err"
}

# ---- the run ------------------------------------------------------------------------------

flood_run()
{
	local p
	RSS0=$(status_kb "$SERVE_PID" VmRSS)
	HWM0=$(status_kb "$SERVE_PID" VmHWM)
	# VmRSS every 100 ms while the flood runs ("during").
	# shellcheck disable=SC2016 # expanded by the inner shell
	lab_bg server rss sh -c 'while kill -0 "$0" 2>/dev/null; do
		awk "/^VmRSS:/ { print \$2 }" /proc/"$0"/status; sleep 0.1; done' "$SERVE_PID"
	lab_bg flood flood "$FLOOD" --target "$SERVER" --seconds "$FLOOD_S" --count "$FLOOD_N" \
		--pps "$FLOOD_PPS" --tracked-base 10.64.1.1 --tracked "$FLOOD_TRACKED" \
		--churn-base 10.64.128.0 --churn "$FLOOD_CHURN" --idle-base 10.64.2.1 \
		--idle "$FLOOD_IDLE" --half-base 10.64.8.1 --half "$FLOOD_HALF"
	FLOOD_PID=$LAB_LAST_PID
	lab_wait "flood: tracked phase" $((FLOOD_S + 5)) grep -q '^phase tracked' "$LAB_TMP/flood.log" ||
		return
	# The legitimate client, while the flood goes on.
	CONCURRENT=0
	kill -0 "$FLOOD_PID" 2>/dev/null && CONCURRENT=$((CONCURRENT + 1))
	client legit "$SERVER"
	kill -0 "$FLOOD_PID" 2>/dev/null && CONCURRENT=$((CONCURRENT + 1))
	client legit-signed --key "$KEY" "$SERVER"
	kill -0 "$FLOOD_PID" 2>/dev/null && CONCURRENT=$((CONCURRENT + 1))
	wait "$FLOOD_PID"
	FLOOD_RC=$?
	FLOOD_PID=
	RSS1=$(status_kb "$SERVE_PID" VmRSS)
	HWM1=$(status_kb "$SERVE_PID" VmHWM)
	RSS_MAX=$(sort -n "$LAB_TMP/rss.log" | tail -n 1)
	for p in TcpExtListenOverflows TcpExtListenDrops TcpExtSyncookiesSent; do
		printf '%s=%s ' "$p" "$(lab_x server nstat -az "$p" 2>/dev/null |
			awk -v k="$p" '$1 == k { print $2 }')"
	done >"$LAB_TMP/kernel.txt"
	SYNACK_DROPPED=$(lab_nft_counter flood inet pdl_half synack_dropped)
	stop_serve
}

# ---- checks -------------------------------------------------------------------------------

t_flood_ran()
{
	[ "$FLOOD_RC" = 0 ] || { why "pd-flood exit $FLOOD_RC: $(tail -n 2 "$LAB_TMP/flood.log")"; return; }
	grep -q '^flood ' "$LAB_TMP/flood.log" || { why "no summary from pd-flood"; return; }
	[ "$(kv flood sent)" -le "$FLOOD_N" ] || why "sent $(kv flood sent) > --count $FLOOD_N"
}

t_concurrent()
{
	[ "$CONCURRENT" -ge 1 ] || why "the flood was over before the client started"
}

# t_legit NAME SIGNED: the client's document NAME.json.  Signed, the reverse path MTU is measured
# (1454); unsigned, a request must pay for its replies, so the reverse search stops at the
# forward MTU: largest size received 1454, bounded by the forward path (no pmtu_reverse).
t_legit()
{
	local f=$LAB_TMP/$1.json
	[ "$(jf "$f" pmtu)" = "$MTU" ] ||
		{ why "$1: pmtu $(jf "$f" pmtu), want $MTU ($(head -c 200 "$LAB_TMP/$1.err"))"; return; }
	[ "$(jf "$f" peer.signed)" = "$2" ] || { why "$1: peer.signed $(jf "$f" peer.signed)"; return; }
	if [ "$2" = True ]; then
		[ "$(jf "$f" pmtu_reverse)" = "$MTU" ] ||
			{ why "$1: pmtu_reverse $(jf "$f" pmtu_reverse), want $MTU"; return; }
	else
		[ "$(jf "$f" peer.reverse.largest_ok)" = "$MTU" ] &&
			[ "$(jf "$f" peer.reverse.bounded_by_forward)" = True ] ||
			{ why "$1: reverse largest_ok $(jf "$f" peer.reverse.largest_ok) bounded $(jf "$f" peer.reverse.bounded_by_forward)"; return; }
	fi
	# The MSS report came over TCP through the connection flood: the SYN left with the MSS
	# of the path MTU the forward search taught the kernel (1454 - 40) and arrived unclamped.
	[ "$(jf "$f" peer.mss_sent)" = $((MTU - 40)) ] && [ "$(jf "$f" peer.mss_seen)" = $((MTU - 40)) ] ||
		why "$1: MSS sent $(jf "$f" peer.mss_sent) seen $(jf "$f" peer.mss_seen) ($(jf "$f" peer.mss_error)), want $((MTU - 40))"
}

t_no_amplification()
{
	local s r
	s=$(kv flood sent_ip_bytes)
	r=$(kv flood received_ip_bytes)
	[ "$s" -gt 1000000 ] || { why "flood too weak: $s IP bytes sent"; return; }
	[ "$r" -le "$s" ] || { why "flooder received $r IP bytes for $s sent"; return; }
	[ "$(kv flood misdirected)" = 0 ] && [ "$(kv flood foreign)" = 0 ] ||
		why "replies not matching a request: misdirected $(kv flood misdirected) foreign $(kv flood foreign)"
}

t_server_accounting()
{
	local rx tx
	rx=$(jf "$SERVE_JSON" stats.rx_unauth_ip_bytes)
	tx=$(jf "$SERVE_JSON" stats.tx_unauth_ip_bytes)
	[ "$rx" != null ] || { why "no stats in serve's JSON: $(head -c 200 "$SERVE_JSON")"; return; }
	[ "$tx" -le "$rx" ] || { why "serve sent $tx unsigned IP bytes for $rx"; return; }
	[ "$(kv flood received)" -le "$(jf "$SERVE_JSON" stats.tx_packets)" ] ||
		{ why "flooder received more replies than serve planned"; return; }
	[ "$(jf "$SERVE_JSON" stats.auth_bad)" -gt 0 ] || why "no forged MAC counted"
}

# Count-based: whatever the machine's load, a source cannot have been answered more often
# than its bucket allowed over the time the flooder watched it.
t_rate_per_source()
{
	local ms served rate ip lim_req lim_err lim_ip
	ms=$(kv tracked elapsed_ms)
	served=$(kv tracked max_served)
	rate=$(kv tracked max_rate_errors)
	ip=$(kv tracked max_reply_ip_bytes)
	# Refills are per millisecond: +1 for the millisecond cut at each end.
	lim_req=$((SRC_BURST + (SRC_PPS * ms + 999) / 1000 + 1))
	lim_err=$((ms / 1000 + 2))
	lim_ip=$((SRC_BPS_BURST + (SRC_BPS * ms + 999) / 1000))
	LIMITS="per source over ${ms} ms: answered max $served (limit $lim_req), rate errors max"
	LIMITS="$LIMITS $rate (limit $lim_err), reply IP bytes max $ip (limit $lim_ip)"
	[ "$(jf "$SERVE_JSON" stats.rate_source)" -gt 0 ] || { why "no rate_source in serve"; return; }
	[ "$(kv tracked rate_errors)" -gt 0 ] || { why "no RATE_LIMITED error reached a source"; return; }
	[ "$(kv tracked max_sent)" -gt "$lim_req" ] ||
		{ why "flood too weak: at most $(kv tracked max_sent) requests a source, limit $lim_req"; return; }
	[ "$served" -le "$lim_req" ] || { why "a source was answered $served times > $lim_req"; return; }
	[ "$rate" -le "$lim_err" ] || { why "a source got $rate rate errors > $lim_err"; return; }
	[ "$ip" -le "$lim_ip" ] || why "a source got $ip reply IP bytes > $lim_ip"
}

t_rate_global()
{
	local ms tx lim
	ms=$((SERVE_T1 - SERVE_T0))
	tx=$(jf "$SERVE_JSON" stats.tx_unauth_ip_bytes)
	lim=$((GLOBAL_BURST + GLOBAL_BPS * ms / 1000))
	[ "$tx" -le "$lim" ] || why "unsigned reply bytes $tx > $lim over $ms ms"
}

t_table()
{
	local use cap ev
	use=$(jf "$SERVE_JSON" stats.src_in_use)
	cap=$(jf "$SERVE_JSON" stats.src_capacity)
	ev=$(jf "$SERVE_JSON" stats.src_evictions)
	[ "$cap" = "$TABLE" ] || { why "table capacity $cap, documented $TABLE"; return; }
	[ "$use" -le "$cap" ] || { why "table use $use > $cap"; return; }
	# More distinct sources than entries: the table must have reused entries.
	[ "$ev" -gt 0 ] || why "no evictions after $FLOOD_CHURN sources into $cap entries"
}

t_memory()
{
	local mem lim
	mem=$(jf "$SERVE_JSON" stats.memory_bytes)
	lim=$(((mem + 1023) / 1024 + RX_BUFFERS_KB + SLACK_KB))
	MEMFIG="RSS before $RSS0 kB, during max $RSS_MAX kB, after $RSS1 kB, VmHWM $HWM0 -> $HWM1 kB"
	MEMFIG="$MEMFIG (bound +$lim kB: tables $mem B + rx $RX_BUFFERS_KB kB + slack $SLACK_KB kB)"
	[ -n "$HWM1" ] && [ -n "$RSS0" ] || { why "no /proc figures"; return; }
	[ "$((HWM1 - RSS0))" -le "$lim" ] || { why "VmHWM grew $((HWM1 - RSS0)) kB > $lim kB"; return; }
	[ "$((RSS1 - RSS0))" -le "$lim" ] || why "VmRSS grew $((RSS1 - RSS0)) kB > $lim kB"
}

t_tcp()
{
	local up rep acc
	up=$(kv tcp idle_established)
	rep=$(kv tcp reports)
	acc=$(jf "$SERVE_JSON" stats.io_tcp_accepted)
	[ "$up" -gt 0 ] || { why "no idle connection established"; return; }
	[ "$(kv tcp half_established)" = 0 ] || { why "half-open connections completed"; return; }
	[ "${SYNACK_DROPPED:-0}" -gt 0 ] || { why "no SYN-ACK dropped: nothing was half-open"; return; }
	[ "$rep" -le "$acc" ] || why "$rep reports > $acc connections accepted"
}

# ---- main ---------------------------------------------------------------------------------

main()
{
	local err
	if [ "$(id -u)" != 0 ]; then
		echo "serve-flood: SKIP (needs root for network namespaces)"
		[ "${LAB_STRICT:-0}" = 1 ] && exit 77
		exit 0
	fi
	if [ ! -x "$FLOOD" ] || [ ! -x "$MTUPROBE" ]; then
		echo "serve-flood: $BUILD_DIR/pd-flood or mtuprobe missing (make BUILD=$BUILD_DIR all tests)"
		echo "serve-flood: 0 passed, 1 failed"
		exit 1
	fi
	err=$(mktemp)
	# shellcheck disable=SC2034 # read by lib.sh's EXIT trap
	LAB_EXIT_HOOK="rm -f '$err'"
	# shellcheck disable=SC2119
	if lab_begin 2>"$err" && build_lab 2>"$err"; then
		ok "lab built (client - r1 =[1454]= r2 - server, flooder owning 10.64.0.0/16)"
		if start_serve 2>"$err"; then
			flood_run 2>"$err"
			check "flood bounded ($FLOOD_S s, $FLOOD_N datagrams) and completed" t_flood_ran
			check "legitimate client ran while the flood did" t_concurrent
			check "legitimate client, unsigned: forward 1454, reverse up to it, MSS 1414" \
				t_legit legit False
			check "legitimate client, signed: 1454 both ways, MSS 1414" t_legit legit-signed True
			check "no amplification: flooder got back <= what it sent" t_no_amplification
			check "serve's accounting: unsigned out <= in, forged MACs counted" \
				t_server_accounting
			check "per-source limits: answered <= burst + rate x elapsed" t_rate_per_source
			check "global limit: unsigned reply bytes <= burst + rate x lifetime" t_rate_global
			check "source table: use <= capacity, evictions counted" t_table
			check "memory: VmHWM growth <= tables + rx buffers + slack" t_memory
			check "TCP: idle and half-open connections, reports <= accepted" t_tcp
			echo "serve-flood:      flooder: $(grep '^flood ' "$LAB_TMP/flood.log")"
			echo "serve-flood:      flooder: $(grep '^tracked ' "$LAB_TMP/flood.log")"
			echo "serve-flood:      flooder: $(grep '^tcp ' "$LAB_TMP/flood.log")"
			echo "serve-flood:      $LIMITS"
			echo "serve-flood:      server: $(python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))["stats"]
print(" ".join("%s=%s" % kv for kv in s.items()))' "$SERVE_JSON" 2>/dev/null)"
			echo "serve-flood:      server lifetime $((SERVE_T1 - SERVE_T0)) ms; $MEMFIG"
			echo "serve-flood:      server kernel: $(cat "$LAB_TMP/kernel.txt")SYN-ACKs dropped=$SYNACK_DROPPED"
		else
			bad "mtuprobe serve" "$(tail -n 1 "$err")"
		fi
		stop_serve
	else
		bad "lab" "$(tail -n 1 "$err")"
	fi
	lab_end
	rm -f "$err"
	echo "serve-flood: $N_PASS passed, $N_FAIL failed"
	[ "$N_FAIL" = 0 ]
}

main "$@"
