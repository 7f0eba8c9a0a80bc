#!/usr/bin/env bash
# tests/monitoring-tests.sh BUILD_DIR [offline|lab|all] - the monitoring formats from real runs
# (docs/monitoring.md): --format prometheus parsed by the prometheus_client text parser
# (tests/monitoring/promparse.py, Debian python3-prometheus-client) plus the checks the
# textfile collector needs, and --format nagios checked against the plugin guidelines' line
# grammar with thresholds changing the exit code.
#
#   offline  no network, no root: tunsniff on the shared captures, values compared with the
#            tshark truth in captures/truth/ (per direction packets, bytes, largest outer);
#            nagios line and exit code of the same runs.
#   lab      root, network namespaces (tests/lab/topo.sh; lab addresses only): mtuprobe on a
#            chain whose bottleneck was given MTU 1400 (and the blackhole variant), nattrace on
#            the nat and cgn topologies, `nattrace conntrack --count` on entries the test
#            inserted; values compared with what the lab was built with, labels compared
#            between two runs.  Against `mtuprobe serve`: mtuprobe --peer on a chain (forward
#            MTU 1400 from the link, reverse 1380 from a route MTU on r2, no NAT, MSS) and on
#            topo nat (NAT, MSS clamped by nft), nattrace --peer with two responder ports
#            (no NAT; masquerade: detected, port kept, EIM-or-ADM); tunsniff -i -G on a VXLAN
#            underlay, packets per direction against nft counters, kernel drop metrics.
# Prints one line per check and "monitoring: N passed, M failed".

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=$(cd "${1:-build}" && pwd)
MODE=${2:-all}
CAPTURES=${CAPTURES:-/work/shared/captures}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
PROMPARSE="$PY $ROOT/tests/monitoring/promparse.py"
CHECK_TAG=monitoring
# shellcheck source=tests/lab/check.sh
. "$ROOT/tests/lab/check.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/pathdiag-mon.XXXXXX")
RC=
trap 'rm -rf "$T"' EXIT

# The plugin guidelines' status line: "TOOL STATUS - text" then optionally " | " and
# performance data 'label'=value[UOM];[warn];[crit];[min];[max] separated by spaces.
NAGIOS_RE="^[A-Z]+ (OK|WARNING|CRITICAL|UNKNOWN) - [^|]+( \\| (('[^']+'|[^ '=]+)=(-?[0-9.]+|U)(s|us|ms|%|B|KB|MB|TB|c)?(;[0-9.:~@-]*){0,4} ?)+)?\$"

# runp FILE CMD...: CMD's stdout to FILE, stderr to FILE.err, exit status in RC.
runp()
{
	local f=$1
	shift
	"$@" >"$f" 2>"$f.err"
	RC=$?
}

# is NAME WANT FILE [K=V...]: the one sample of NAME with those labels has value WANT.
is()
{
	local name=$1 want=$2 f=$3 got
	shift 3
	got=$($PROMPARSE get "$f" "$name" "$@" 2>&1) || { why "$got"; return; }
	[ "$got" = "$want" ] || why "$name{$*} is $got, want $want"
}

parses()
{
	local o
	o=$($PROMPARSE check "$1" 2>&1) || why "$o"
}

nagios_line()
{
	local first
	first=$(head -n 1 "$1")
	[[ $first =~ $NAGIOS_RE ]] || { why "first line '$first' is not a plugin status line"; return; }
	[ -z "${2:-}" ] || [[ $first == *"$2"* ]] || why "first line '$first' lacks '$2'"
}

rc_is()
{
	[ "$RC" = "$1" ] || why "exit status $RC, want $1 ($(head -c 200 "$2.err" 2>/dev/null))"
}

# ---- offline: tunsniff on the shared captures --------------------------------------------------

# truth_dirs CAPTURE: per WireGuard direction from tshark's truth file, one line
# "FROM TO PACKETS BYTES MAX_OUTER" (FROM/TO as address:port).
truth_dirs()
{
	$PY - "$CAPTURES/truth/$1.tsv" <<-'EOF'
	import csv, sys
	rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
	d = {}
	for r in rows:
	    if not r["wg.type"] or not r["ip.src"]:
	        continue
	    k = ("%s:%s" % (r["ip.src"], r["udp.srcport"]), "%s:%s" % (r["ip.dst"], r["udp.dstport"]))
	    n, b, m = d.get(k, (0, 0, 0))
	    ln = int(r["ip.len"])
	    d[k] = (n + 1, b + ln, max(m, ln))
	for (a, b), (n, by, m) in sorted(d.items()):
	    print(a, b, n, by, m)
	EOF
}

t_capture_dirs()
{
	local cap=$1 f=$2 from to n by m
	while read -r from to n by m; do
		is pathdiag_tunsniff_tunnel_packets "$n" "$f" kind=wireguard "from=$from" "to=$to" ||
			return
		is pathdiag_tunsniff_tunnel_bytes "$by" "$f" kind=wireguard "from=$from" "to=$to" ||
			return
		is pathdiag_tunsniff_tunnel_max_outer_bytes "$m" "$f" kind=wireguard "from=$from" \
			"to=$to" || return
	done < <(truth_dirs "$cap")
	[ -n "$(truth_dirs "$cap")" ] || why "no WireGuard rows in the truth of $cap"
}

t_frames()
{
	local cap=$1 f=$2 n
	n=$(($(wc -l <"$CAPTURES/truth/$cap.tsv") - 1))
	is pathdiag_tunsniff_frames "$n" "$f" "capture=$CAPTURES/$cap"
}

t_same_series()
{
	local a b
	a=$($PROMPARSE series "$1" | grep -v -e _run_duration_seconds -e _last_run_timestamp) ||
		{ why "series of $1"; return; }
	b=$($PROMPARSE series "$2" | grep -v -e _run_duration_seconds -e _last_run_timestamp) ||
		{ why "series of $2"; return; }
	[ "$a" = "$b" ] || why "the two runs' series differ: $(diff <(echo "$a") <(echo "$b") | head -3)"
}

sec_offline()
{
	local ts=$BUILD_DIR/tunsniff cap f
	if ! "$PY" -c 'import prometheus_client' 2>/dev/null; then
		bad "prometheus_client" "python3-prometheus-client is not installed (make deps)"
		return
	fi
	for cap in ndpi-wireguard.pcapng wireshark-wireguard-ping-tcp.pcap; do
		[ -r "$CAPTURES/$cap" ] || { bad "$cap" "missing in $CAPTURES"; continue; }
		f=$T/$cap.prom
		runp "$f" "$ts" --format prometheus -r "$CAPTURES/$cap"
		check "tunsniff $cap: exit 0, metrics parse (HELP/TYPE, names, unique series)" \
			eval 'rc_is 0 "$f" && parses "$f"'
		check "tunsniff $cap: frames equal the capture's frame count (tshark)" \
			t_frames "$cap" "$f"
		check "tunsniff $cap: per direction packets, bytes, largest outer equal tshark's" \
			t_capture_dirs "$cap" "$f"
		check "tunsniff $cap: exit_status 0, run_success 1" \
			eval 'is pathdiag_tunsniff_exit_status 0 "$f" &&
				is pathdiag_tunsniff_run_success 1 "$f"'
		runp "$f.2" "$ts" -r "$CAPTURES/$cap" --format=prometheus
		check "tunsniff $cap: a second run has the same series (stable labels)" \
			t_same_series "$f" "$f.2"
		runp "$T/n" "$ts" --format nagios -r "$CAPTURES/$cap"
		check "tunsniff $cap: nagios status line, exit 0" \
			eval 'rc_is 0 "$T/n" && nagios_line "$T/n" "TUNSNIFF OK - "'
	done
	# The WireGuard capture's data packets of 10.9.0.1 are padded to the full 1420 (tshark: the
	# 1480-byte outer packets carry 1420 bytes of plaintext): the implied MTU is 1420.
	f=$T/ndpi-wireguard.pcapng.prom
	local wgmax
	wgmax=$(truth_dirs ndpi-wireguard.pcapng | awk '$1 == "10.9.0.1:43462" { print $5 }')
	check "tunsniff ndpi-wireguard: implied MTU = largest outer ($wgmax, tshark) - 60 (IPv4 WireGuard)" \
		eval '{ [ -n "$wgmax" ] || why "no 10.9.0.1:43462 direction in the truth"; } &&
		is pathdiag_tunsniff_tunnel_implied_mtu_bytes $((wgmax - 60)) "$f" kind=wireguard \
		endpoint1=10.9.0.1:43462 endpoint2=10.9.0.2:51820'
	# A failing run still writes parseable metrics (exit_status 3), and its error on stderr.
	runp "$T/fail" "$ts" --format prometheus -r /nonexistent/pathdiag-mon.pcap
	check "tunsniff missing file: metrics parse, exit_status 3, run_success 0, one stderr line" \
		eval 'rc_is 3 "$T/fail" && parses "$T/fail" &&
			is pathdiag_tunsniff_exit_status 3 "$T/fail" &&
			is pathdiag_tunsniff_run_success 0 "$T/fail" &&
			[ "$(wc -l <"$T/fail.err")" = 1 ] || why "stderr: $(cat "$T/fail.err")"'
	runp "$T/failn" "$ts" --format nagios -r /nonexistent/pathdiag-mon.pcap
	check "tunsniff missing file: nagios UNKNOWN line naming the error, stderr empty" \
		eval 'rc_is 3 "$T/failn" && nagios_line "$T/failn" "TUNSNIFF UNKNOWN - /nonexistent/pathdiag-mon.pcap" &&
			[ ! -s "$T/failn.err" ] || why "stderr: $(cat "$T/failn.err")"'
	# Label values are escaped: a file name with a quote, a backslash and a newline.
	local odd=$T/'we"ird\na
me.pcap'
	cp "$CAPTURES/ndpi-wireguard.pcapng" "$odd"
	runp "$T/odd" "$ts" --format prometheus -r "$odd"
	check "tunsniff: a source name with \\, \" and newline is escaped and parses back" \
		eval 'parses "$T/odd" && is pathdiag_tunsniff_frames \
			$(($(wc -l <"$CAPTURES/truth/ndpi-wireguard.pcapng.tsv") - 1)) "$T/odd" "capture=$odd"'
}

# ---- lab ------------------------------------------------------------------------------------------

# labp NODE FILE TOOL ARGS...: TOOL (a build binary) in NODE, stdout to FILE.
labp()
{
	local node=$1 f=$2 tool=$3
	shift 3
	lab_x "$node" "$BUILD_DIR/$tool" "$@" >"$f" 2>"$f.err"
	RC=$?
}

sec_mtuprobe()
{
	local f s=10.0.3.2 l
	build "chain/pmtud mtu 1400" topo_chain pmtud mtu=1400 || return
	l=(target=$s family=4 method=icmp)
	f=$T/mp.prom
	labp client "$f" mtuprobe --format prometheus -m icmp -e wireguard -4 "$s"
	check "mtuprobe: exit 0 and the metrics parse" eval 'rc_is 0 "$f" && parses "$f"'
	check "mtuprobe: path_mtu_bytes{direction=round-trip} is the bottleneck MTU $TOPO_MTU" \
		is pathdiag_mtuprobe_path_mtu_bytes "$TOPO_MTU" "$f" "${l[@]}" direction=round-trip
	check "mtuprobe: pmtud_works 1, pmtud_blackhole 0, state works" \
		eval 'is pathdiag_mtuprobe_pmtud_works 1 "$f" "${l[@]}" &&
			is pathdiag_mtuprobe_pmtud_blackhole 0 "$f" "${l[@]}" &&
			is pathdiag_mtuprobe_pmtud_state 1 "$f" "${l[@]}" state=works'
	check "mtuprobe: largest_ok $TOPO_MTU, smallest_lost $((TOPO_MTU + 1)), local MTU 1500" \
		eval 'is pathdiag_mtuprobe_largest_ok_bytes "$TOPO_MTU" "$f" "${l[@]}" &&
			is pathdiag_mtuprobe_smallest_lost_bytes $((TOPO_MTU + 1)) "$f" "${l[@]}" &&
			is pathdiag_mtuprobe_local_mtu_bytes 1500 "$f" "${l[@]}"'
	# WireGuard over IPv4 adds 20 (IPv4) + 8 (UDP) + 32 (WireGuard data header and tag).
	check "mtuprobe: --encap wireguard: tunnel MTU $((TOPO_MTU - 60)), MSS $((TOPO_MTU - 100))" \
		eval 'is pathdiag_mtuprobe_tunnel_mtu_bytes $((TOPO_MTU - 60)) "$f" "${l[@]}" encap=wireguard &&
			is pathdiag_mtuprobe_tunnel_overhead_bytes 60 "$f" encap=wireguard &&
			is pathdiag_mtuprobe_tunnel_mss_bytes $((TOPO_MTU - 100)) "$f" encap=wireguard inner_family=4'
	check "mtuprobe: exit_status 0, run_success 1, no warning or critical findings" \
		eval 'is pathdiag_mtuprobe_exit_status 0 "$f" "${l[@]}" &&
			is pathdiag_mtuprobe_run_success 1 "$f" &&
			is pathdiag_mtuprobe_findings 0 "$f" severity=warning &&
			is pathdiag_mtuprobe_findings 0 "$f" severity=critical'
	check "mtuprobe: probes_sent above 0, rtt_seconds present" \
		eval '[ "$($PROMPARSE get "$f" pathdiag_mtuprobe_probes_sent)" -gt 0 ] &&
			$PROMPARSE get "$f" pathdiag_mtuprobe_rtt_seconds >/dev/null ||
			why "probes_sent or rtt_seconds missing"'
	labp client "$f.2" mtuprobe -m icmp -e wireguard -4 "$s" --format prometheus
	check "mtuprobe: a second run has the same series (stable labels)" t_same_series "$f" "$f.2"

	# Nagios: thresholds as ranges "N:" (alert below N); they set the exit status.  ICMP echo:
	# closed-port errors from the server are rate-limited across this many runs.
	labp client "$T/n" mtuprobe --format nagios -m icmp -4 "$s"
	check "mtuprobe nagios: OK line with pmtu=${TOPO_MTU}B, exit 0" \
		eval 'rc_is 0 "$T/n" && nagios_line "$T/n" "MTUPROBE OK - path MTU $TOPO_MTU to $s" &&
			nagios_line "$T/n" "| pmtu=${TOPO_MTU}B;;;0;"'
	labp client "$T/n" mtuprobe --format nagios --warn-mtu 1420 --crit-mtu 1280 -m icmp -4 "$s"
	check "mtuprobe nagios: --warn-mtu 1420 above $TOPO_MTU: WARNING, exit 1, thresholds in perfdata" \
		eval 'rc_is 1 "$T/n" && nagios_line "$T/n" "MTUPROBE WARNING - path MTU $TOPO_MTU" &&
			nagios_line "$T/n" "pmtu=${TOPO_MTU}B;1420:;1280:;0;"'
	labp client "$T/n" mtuprobe --format nagios --warn-mtu 1460 --crit-mtu 1450 -m icmp -4 "$s"
	check "mtuprobe nagios: --crit-mtu 1450 above $TOPO_MTU: CRITICAL, exit 2" \
		eval 'rc_is 2 "$T/n" && nagios_line "$T/n" "MTUPROBE CRITICAL - " &&
			nagios_line "$T/n" "pmtu=${TOPO_MTU}B;1460:;1450:;0;"'
	labp client "$T/n" mtuprobe --format nagios --warn-mtu "$TOPO_MTU" --crit-mtu 1280 -m icmp -4 "$s"
	check "mtuprobe nagios: --warn-mtu equal to the path MTU: OK, exit 0" \
		eval 'rc_is 0 "$T/n" && nagios_line "$T/n" "MTUPROBE OK - "'
	labp client "$T/n" mtuprobe --warn-mtu 1420 -m icmp -4 "$s"
	check "mtuprobe: --warn-mtu works in text mode too (exit 1)" rc_is 1 "$T/n"
	labp client "$f.t" mtuprobe --format prometheus --warn-mtu 1420 --crit-mtu 1280 -m icmp -4 "$s"
	check "mtuprobe prometheus: thresholds and a warning finding, exit_status 1" \
		eval 'is pathdiag_mtuprobe_threshold_bytes 1420 "$f.t" level=warning &&
			is pathdiag_mtuprobe_threshold_bytes 1280 "$f.t" level=critical &&
			is pathdiag_mtuprobe_findings 1 "$f.t" severity=warning &&
			is pathdiag_mtuprobe_exit_status 1 "$f.t"'
	lab_end

	build "chain/blackhole mtu 1400" topo_chain blackhole mtu=1400 || return
	labp client "$f.bh" mtuprobe --format prometheus -m icmp -4 "$s"
	check "mtuprobe blackhole: pmtud_blackhole 1, path MTU $TOPO_MTU, exit_status 1" \
		eval 'parses "$f.bh" && is pathdiag_mtuprobe_pmtud_blackhole 1 "$f.bh" &&
			is pathdiag_mtuprobe_pmtud_works 0 "$f.bh" &&
			is pathdiag_mtuprobe_path_mtu_bytes "$TOPO_MTU" "$f.bh" direction=round-trip &&
			is pathdiag_mtuprobe_exit_status 1 "$f.bh"'
	lab_end
}

# A chain whose r1 rewrites the client's source statelessly (notrack: nothing restores the
# quoted headers) and clamps the TCP MSS to 1360 (nattrace-path-tests.sh builds the same).
SNAT4=198.51.100.7
nat_and_clamp()
{
	topo_chain pmtud mtu=1500 || return
	lab_route r2 198.51.100.0/24 10.0.2.1 || return
	lab_nft r1 pdl_snat <<-EOF || return
	chain raw_pre {
		type filter hook prerouting priority raw; policy accept;
		notrack
		ip daddr $SNAT4 ip daddr set $TOPO_CLIENT4
	}
	chain raw_out {
		type filter hook output priority raw; policy accept;
		notrack
	}
	chain post {
		type filter hook postrouting priority srcnat; policy accept;
		ip saddr $TOPO_CLIENT4 ip saddr set $SNAT4
	}
	EOF
	lab_nft r1 pdl_mss <<-'EOF'
	chain forward {
		type filter hook forward priority mangle; policy accept;
		tcp flags syn tcp option maxseg size set 1360
	}
	EOF
}

sec_nattrace()
{
	local f
	build "chain with stateless NAT and MSS clamp 1360 at r1" nat_and_clamp || return
	f=$T/nt.prom
	labp client "$f" nattrace --format prometheus --tcp -p 80 -4 "$TOPO_SERVER4"
	# A NAT and an MSS clamp are information: exit 0.
	check "nattrace: metrics parse; exit 0; labels target, family 4, method tcp" \
		eval 'rc_is 0 "$f" && parses "$f" && is pathdiag_nattrace_exit_status 0 "$f" \
			target="$TOPO_SERVER4" family=4 method=tcp'
	# client -> r1 (TTL 1, rewrites) -> r2 (TTL 2, first quote with the rewrite) -> server (3).
	check "nattrace: target at hop 3, NAT seen (first at one hop), not carrier-grade" \
		eval 'is pathdiag_nattrace_target_reached 1 "$f" && is pathdiag_nattrace_hops 3 "$f" &&
			is pathdiag_nattrace_nat_seen 1 "$f" && is pathdiag_nattrace_nat_hops 1 "$f" &&
			is pathdiag_nattrace_carrier_grade_nat 0 "$f"'
	check "nattrace: MSS clamped to 1360 (sent 1460), first seen at hop 2" \
		eval 'is pathdiag_nattrace_mss_clamped 1 "$f" &&
			is pathdiag_nattrace_mss_clamp_bytes 1360 "$f" &&
			is pathdiag_nattrace_mss_sent_bytes 1460 "$f" &&
			is pathdiag_nattrace_mss_clamp_hop 2 "$f"'
	labp client "$f.2" nattrace --tcp -p 80 -4 "$TOPO_SERVER4" --format prometheus
	check "nattrace: a second run has the same series" t_same_series "$f" "$f.2"
	labp client "$T/n" nattrace --format nagios --tcp -p 80 -4 "$TOPO_SERVER4"
	check "nattrace: nagios line 'NAT seen', MSS 1360, perfdata hops=3 nat_seen=1 mss=1360B" \
		eval 'rc_is 0 "$T/n" && nagios_line "$T/n" "NAT seen on the path to $TOPO_SERVER4, MSS clamped to 1360, 3 hops" &&
			nagios_line "$T/n" "hops=3;;;0; nat_seen=1;;;0;1 cgn=0;;;0;1 mss=1360B;;;0;"'
	lab_end

	build "nat" topo_nat || return
	# conntrack --count on entries this test inserts (home's own namespace): 2 SNAT (the
	# reply goes to another address than the original source), 1 DNAT (the reply comes from
	# another address than the original destination), 1 without NAT.
	local c='conntrack -I -t 600 -p udp'
	lab_x home conntrack -F >/dev/null 2>&1
	lab_x home $c -s 192.168.1.60 -d 198.51.100.9 --sport 1001 --dport 53 \
		-r 198.51.100.9 -q 203.0.113.2 --reply-port-src 53 --reply-port-dst 1001 2>/dev/null &&
		lab_x home $c -s 192.168.1.61 -d 198.51.100.9 --sport 1002 --dport 53 \
			-r 198.51.100.9 -q 203.0.113.2 --reply-port-src 53 --reply-port-dst 1002 2>/dev/null &&
		lab_x home $c -s 198.51.100.20 -d 203.0.113.2 --sport 1003 --dport 8080 \
			-r 192.168.1.2 -q 198.51.100.20 --reply-port-src 7000 --reply-port-dst 1003 2>/dev/null &&
		lab_x home $c -s 192.168.1.62 -d 192.168.1.1 --sport 1004 --dport 53 \
			-r 192.168.1.1 -q 192.168.1.62 --reply-port-src 53 --reply-port-dst 1004 2>/dev/null ||
		bad "conntrack -I" "could not insert the entries"
	f=$T/ct.prom
	labp home "$f" nattrace conntrack --count --format prometheus -p udp --port 53
	check "conntrack --count: metrics parse; 2 snat, 0 dnat (port 53 filter), 1 none" \
		eval 'rc_is 0 "$f" && parses "$f" &&
			is pathdiag_nattrace_conntrack_entries 2 "$f" nat=snat "filter=-p udp --port 53" &&
			is pathdiag_nattrace_conntrack_entries 0 "$f" nat=dnat &&
			is pathdiag_nattrace_conntrack_entries 1 "$f" nat=none &&
			is pathdiag_nattrace_conntrack_entries_matched 3 "$f"'
	labp home "$f.all" nattrace conntrack -p udp --count --format prometheus
	check "conntrack --count: every inserted entry: 2 snat, 1 dnat, 1 none" \
		eval 'is pathdiag_nattrace_conntrack_entries 2 "$f.all" nat=snat "filter=-p udp" &&
			is pathdiag_nattrace_conntrack_entries 1 "$f.all" nat=dnat &&
			is pathdiag_nattrace_conntrack_entries 1 "$f.all" nat=none &&
			is pathdiag_nattrace_conntrack_entries_matched 4 "$f.all"'
	labp home "$T/n" nattrace conntrack -p udp --count --format nagios
	check "conntrack --count: nagios line with entries=4 snat=2 dnat=1" \
		eval 'rc_is 0 "$T/n" && nagios_line "$T/n" "entries=4;;;0; snat=2;;;0; dnat=1;;;0;"'
	lab_end

	build "cgn" topo_cgn || return
	labp client "$f.cgn" nattrace --format prometheus -4 "$TOPO_SERVER4"
	# client -> home (1) -> cgn (2, answers from 100.64.0.1) -> server (3).  Both NATs are
	# conntrack masquerades, which restore quoted headers: not seen by path probes.
	check "nattrace cgn: shared-space hop 2, target at hop 3, nat_seen 0" \
		eval 'parses "$f.cgn" && is pathdiag_nattrace_shared_space_hop 2 "$f.cgn" &&
			is pathdiag_nattrace_hops 3 "$f.cgn" && is pathdiag_nattrace_nat_seen 0 "$f.cgn"'
	lab_end
}

# ---- --peer against `mtuprobe serve`, and a live capture ------------------------------------

SERVE_PID=

peer_ready()
{
	local p
	for p in 20548 20549; do
		lab_x server ss -lnu | grep -q ":$p " || return 1
	done
	lab_x server ss -lnt | grep -q ':20548 '
}

# serve: `mtuprobe serve` on UDP and TCP ports 20548 and 20549 in the server node.
serve()
{
	lab_bg server serve "$BUILD_DIR/mtuprobe" serve -p 20548 -p 20549 || return
	SERVE_PID=$LAB_LAST_PID
	lab_wait "mtuprobe serve" 10 peer_ready
}

unserve()
{
	[ -n "$SERVE_PID" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID" 2>/dev/null
	SERVE_PID=
}

# absent NAME FILE: no sample of NAME (a value not known is left out, never written as 0).
absent()
{
	local got
	if got=$($PROMPARSE get "$2" "$1" 2>/dev/null); then
		why "$1 present ($got), want absent"
	fi
}

# The chain with bottleneck link MTU 1400 and, on r2, a route MTU of REV_MTU towards the
# client's network: the forward path allows 1400, the reverse REV_MTU.
REV_MTU=1380
chain_asym()
{
	topo_chain pmtud mtu=1400 || return
	lab_route r2 10.0.1.0/24 10.0.2.1 mtu "$REV_MTU"
}

P2="--peer-port 20548 --peer-port 20549"

# peer_lab NAME TOPO ARGS...: build the lab and start the responder in it.
peer_lab()
{
	build "$@" || return
	serve && return
	bad "mtuprobe serve -p 20548 -p 20549" "$(tail -n 1 "$LAB_TMP/serve.log")"
	lab_end
	return 1
}

sec_peer_chain()
{
	local f s l
	peer_lab "chain/pmtud mtu 1400, route MTU $REV_MTU back, mtuprobe serve" chain_asym || return
	s=$TOPO_SERVER4
	l=("target=$s" family=4 method=peer)
	f=$T/pp.prom
	labp client "$f" mtuprobe --format prometheus --peer -4 "$s"
	check "mtuprobe --peer: metrics parse, labels method=peer family=4, exit 1 (asymmetric)" \
		eval 'rc_is 1 "$f" && parses "$f" && is pathdiag_mtuprobe_exit_status 1 "$f" "${l[@]}"'
	check "mtuprobe --peer: path_mtu_bytes forward $TOPO_MTU (link), reverse $REV_MTU (route)" \
		eval 'is pathdiag_mtuprobe_path_mtu_bytes "$TOPO_MTU" "$f" "${l[@]}" direction=forward &&
			is pathdiag_mtuprobe_path_mtu_bytes "$REV_MTU" "$f" "${l[@]}" direction=reverse'
	# The forward search's ICMP errors leave the client's kernel a PMTU of 1400 towards the
	# server, so its SYN carries MSS 1400 - 40 although its link is 1500; nothing on the
	# chain clamps it (sent and arrived agree).
	check "mtuprobe --peer: no NAT (peer_nat 0), MSS $((TOPO_MTU - 40)) sent and arrived, not clamped" \
		eval 'is pathdiag_mtuprobe_peer_nat 0 "$f" "${l[@]}" &&
			is pathdiag_mtuprobe_peer_mss_sent_bytes $((TOPO_MTU - 40)) "$f" &&
			is pathdiag_mtuprobe_peer_mss_seen_bytes $((TOPO_MTU - 40)) "$f" &&
			is pathdiag_mtuprobe_peer_mss_clamped 0 "$f"'
	labp client "$T/pn" mtuprobe --format nagios --peer -4 "$s"
	check "mtuprobe --peer nagios: WARNING, pmtu=$REV_MTU, pmtu_forward=$TOPO_MTU, pmtu_reverse=$REV_MTU" \
		eval 'rc_is 1 "$T/pn" &&
			nagios_line "$T/pn" "MTUPROBE WARNING - path MTU $REV_MTU to $s (forward $TOPO_MTU, reverse $REV_MTU)" &&
			nagios_line "$T/pn" "| pmtu=${REV_MTU}B;;;0; pmtu_forward=${TOPO_MTU}B;;;0; pmtu_reverse=${REV_MTU}B;;;0;"'

	# nattrace --peer with no NAT: the responder saw 10.0.1.2 and its port on both.
	f=$T/np.prom
	labp client "$f" nattrace --format prometheus --peer $P2 -4 "$s"
	l=("target=$s" family=4 method=peer)
	check "nattrace --peer, no NAT: parse, exit 0, nat_detected 0, port kept, both answered" \
		eval 'rc_is 0 "$f" && parses "$f" && is pathdiag_nattrace_exit_status 0 "$f" "${l[@]}" &&
			is pathdiag_nattrace_nat_detected 0 "$f" "${l[@]}" &&
			is pathdiag_nattrace_nat_port_preserved 1 "$f" &&
			is pathdiag_nattrace_carrier_grade_nat 0 "$f" &&
			is pathdiag_nattrace_peer_endpoints_answered 2 "$f"'
	check "nattrace --peer, no NAT: no nat_mapping series (no mapping to classify)" \
		absent pathdiag_nattrace_nat_mapping "$f"
	labp client "$T/nn" nattrace --format nagios --peer $P2 -4 "$s"
	check "nattrace --peer nagios, no NAT: OK 'no NAT toward $s', nat=0 cgn=0 answered=2" \
		eval 'rc_is 0 "$T/nn" && nagios_line "$T/nn" "NATTRACE OK - no NAT toward $s" &&
			nagios_line "$T/nn" "| nat=0;;;0;1 cgn=0;;;0;1 answered=2;;;0;"'
	unserve
	lab_end
}

# topo nat (home masquerades 192.168.1.2 to 203.0.113.2), home clamping the TCP MSS to 1360.
NAT_MSS=1360
nat_clamp()
{
	topo_nat || return
	lab_nft home pdl_mss <<-EOF
	chain forward {
		type filter hook forward priority mangle; policy accept;
		tcp flags syn tcp option maxseg size set $NAT_MSS
	}
	EOF
}

sec_peer_nat()
{
	local f s l
	peer_lab "nat (masquerade) with MSS clamp $NAT_MSS, mtuprobe serve" nat_clamp || return
	s=$TOPO_SERVER4
	l=("target=$s" family=4 method=peer)
	f=$T/ppn.prom
	labp client "$f" mtuprobe --format prometheus --peer -4 "$s"
	check "mtuprobe --peer NAT: parse; forward and reverse 1500 (every link 1500)" \
		eval 'parses "$f" && is pathdiag_mtuprobe_path_mtu_bytes 1500 "$f" "${l[@]}" direction=forward &&
			is pathdiag_mtuprobe_path_mtu_bytes 1500 "$f" "${l[@]}" direction=reverse'
	check "mtuprobe --peer NAT: peer_nat 1, MSS 1460 sent, $NAT_MSS arrived, clamped 1" \
		eval 'is pathdiag_mtuprobe_peer_nat 1 "$f" "${l[@]}" &&
			is pathdiag_mtuprobe_peer_mss_sent_bytes 1460 "$f" &&
			is pathdiag_mtuprobe_peer_mss_seen_bytes "$NAT_MSS" "$f" &&
			is pathdiag_mtuprobe_peer_mss_clamped 1 "$f"'
	labp client "$T/pn" mtuprobe --format nagios --peer -4 "$s"
	check "mtuprobe --peer NAT nagios: pmtu=1500 pmtu_forward=1500 pmtu_reverse=1500" \
		eval 'nagios_line "$T/pn" "path MTU 1500 to $s (forward 1500, reverse 1500)" &&
			nagios_line "$T/pn" "| pmtu=1500B;;;0; pmtu_forward=1500B;;;0; pmtu_reverse=1500B;;;0;"'

	# Plain masquerade keeps a free source port and gives one socket the same mapping for
	# every destination: two ports of one address tell EIM or ADM, not which.
	f=$T/npn.prom
	labp client "$f" nattrace --format prometheus --peer $P2 -4 "$s"
	check "nattrace --peer NAT: parse, nat_detected 1, port preserved, both answered" \
		eval 'parses "$f" && is pathdiag_nattrace_nat_detected 1 "$f" "${l[@]}" &&
			is pathdiag_nattrace_nat_port_preserved 1 "$f" "${l[@]}" &&
			is pathdiag_nattrace_peer_endpoints_answered 2 "$f"'
	check "nattrace --peer NAT: nat_mapping{mapping=endpoint-independent-or-address-dependent} 1" \
		is pathdiag_nattrace_nat_mapping 1 "$f" "${l[@]}" \
		mapping=endpoint-independent-or-address-dependent
	# One NAT, no shared-space hop: carrier grade is not concluded either way.
	check "nattrace --peer NAT: carrier_grade_nat absent (not known with one NAT)" \
		absent pathdiag_nattrace_carrier_grade_nat "$f"
	labp client "$T/nn" nattrace --format nagios --peer $P2 -4 "$s"
	check "nattrace --peer NAT nagios: 'NAT toward $s (endpoint-independent-or-...)' nat=1 cgn=U" \
		eval 'nagios_line "$T/nn" "- NAT toward $s (endpoint-independent-or-address-dependent)" &&
			nagios_line "$T/nn" "| nat=1;;;0;1 cgn=U;;;0;1 answered=2;;;0;"'
	unserve
	lab_end
}

# tunsniff -i on the VXLAN underlay veth for LIVE_G seconds while pings cross the tunnel;
# nft counters in node a count the VXLAN packets a sent and received.
LIVE_G=4
LIVE_PINGS=7
vxlan_counted()
{
	topo_vxlan || return
	lab_nft a pdl_cnt <<-'EOF'
	counter vx_out {}
	counter vx_in {}
	chain out {
		type filter hook output priority filter; policy accept;
		oifname "b" udp dport 4789 counter name "vx_out"
	}
	chain in {
		type filter hook input priority filter; policy accept;
		iifname "b" udp dport 4789 counter name "vx_in"
	}
	EOF
}

tsn_open()
{
	local p
	p=$(pgrep -P "$1" -x tunsniff) || return 1
	grep -q '^CapEff:[[:space:]]*0*$' "/proc/$p/status"
}

t_live_counts()
{
	local f=$1 out in
	out=$(lab_nft_counter a inet pdl_cnt vx_out)
	in=$(lab_nft_counter a inet pdl_cnt vx_in)
	[ "$out" = "$LIVE_PINGS" ] && [ "$in" = "$LIVE_PINGS" ] ||
		{ why "nft counted $out out, $in in; $LIVE_PINGS pings were sent"; return; }
	is pathdiag_tunsniff_tunnel_packets "$out" "$f" kind=vxlan from="$TOPO_A4" to="$TOPO_B4" &&
		is pathdiag_tunsniff_tunnel_packets "$in" "$f" kind=vxlan from="$TOPO_B4" \
			to="$TOPO_A4" &&
		is pathdiag_tunsniff_frames $((out + in)) "$f" capture=b &&
		is pathdiag_tunsniff_source_frames $((out + in)) "$f" source=b
}

t_live_drops()
{
	local f=$1 rcv
	is pathdiag_tunsniff_source_kernel_dropped 0 "$f" capture=b source=b &&
		is pathdiag_tunsniff_source_interface_dropped 0 "$f" source=b || return
	rcv=$($PROMPARSE get "$f" pathdiag_tunsniff_source_kernel_received source=b 2>&1) ||
		{ why "$rcv"; return; }
	[ "${rcv%.*}" -ge $((2 * LIVE_PINGS)) ] || why "kernel_received $rcv below $((2 * LIVE_PINGS))"
}

sec_tunsniff_live()
{
	local f=$T/live.prom p t0 t1
	build "vxlan with nft counters on a" vxlan_counted || return
	t0=$(date +%s)
	lab_bg a tsn sh -c '"$@" >"$0"; echo $? >"$0.rc"' "$f" "$BUILD_DIR/tunsniff" \
		--format prometheus -i b -G "$LIVE_G" udp port 4789
	p=$LAB_LAST_PID
	if lab_wait "tunsniff ready" 10 tsn_open "$p"; then
		lab_x a ping -c "$LIVE_PINGS" -i 0.1 -W 1 "$TOPO_VX_B4" >/dev/null ||
			bad "ping across vx42" "lost pings"
	fi
	wait "$p" 2>/dev/null
	# shellcheck disable=SC2034 # read in the check's eval
	t1=$(date +%s)
	RC=$(cat "$f.rc" 2>/dev/null)
	check "tunsniff -i b -G $LIVE_G: exit 0 after about $LIVE_G s, metrics parse" \
		eval 'rc_is 0 "$LAB_TMP/tsn" && parses "$f" &&
			[ $((t1 - t0)) -ge "$LIVE_G" ] && [ $((t1 - t0)) -le $((LIVE_G + 3)) ] ||
			why "took $((t1 - t0)) s"'
	check "tunsniff live: tunnel packets per direction and frames equal the nft counters" \
		t_live_counts "$f"
	check "tunsniff live: source_kernel_dropped 0, interface_dropped 0, received >= sent" \
		t_live_drops "$f"
	lab_end
}

main()
{
	local t0
	t0=$(date +%s)
	case $MODE in offline | all) sec_offline ;; esac
	case $MODE in
	lab | all)
		if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
			echo "monitoring: lab part SKIPPED: needs root and network namespaces"
		else
			# shellcheck source=tests/lab/topo.sh
			. "$ROOT/tests/lab/topo.sh"
			LAB_EXIT_HOOK='rm -rf "$T"'
			lab_sweep_stale
			sec_mtuprobe
			sec_nattrace
			sec_peer_chain
			sec_peer_nat
			sec_tunsniff_live
		fi
		;;
	esac
	printf 'monitoring: %d passed, %d failed (%d s)\n' "$N_PASS" "$N_FAIL" $(($(date +%s) - t0))
	[ "$N_FAIL" = 0 ] && [ "$N_PASS" -gt 0 ]
}

main
