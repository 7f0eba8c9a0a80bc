#!/usr/bin/env bash
# tests/lab/ct-tests.sh BUILD_DIR - libpathdiag's conntrack calls (pathdiag/conntrack.h) against
# the kernel and conntrack-tools in namespace labs (needs bash and root).
#
# Conntrack tables are per network namespace. In the nat topology (client - home - server,
# topo.sh) the home router masquerades client traffic (ICMP, UDP) and DNATs UDP to its public
# address port 8080 to the client's port 7000; entries are also created there with
# `conntrack -I` and BUILD_DIR/ctquery (tests/tools/ctquery.c). Then:
#   - ctquery's dump equals `conntrack -L -o extended` entry by entry (timeouts aside): tuples,
#     TCP state, flags, mark, zone, use;
#   - the NAT derived from the tuples names the address and port the server saw (masquerade)
#     and the inside address and port of the DNAT;
#   - filters (mark, mark/mask, addresses and prefixes, ports, zone, family, translated only)
#     give the same sets as conntrack's own (DNAT-only on UDP: conntrack -g counts a ping whose
#     ICMP id differs from its type/code as DNAT), with and without kernel-side filtering, and the
#     kernel filter cuts what the kernel sends;
#   - get by tuple equals `conntrack -G`; a missing tuple is "not found"; delete removes it;
#   - events: new, update (mark set by `conntrack -U`) and destroy arrive in that order;
#   - a 4 KiB receive buffer under a burst of 3000 creates reports lost events (ENOBUFS), and
#     a dump afterwards has every entry conntrack lists;
#   - without CAP_NET_ADMIN a dump fails with the permission exit status.
# One line per check, then "ct: N passed, M failed"; exit status 1 on failure. Without root it
# prints "ct: SKIP" and exits 0 (77 if LAB_STRICT=1).

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-build}
# shellcheck source=tests/lab/topo.sh
. "$LAB_DIR/topo.sh"
CHECK_TAG=ct
# shellcheck source=tests/lab/check.sh
. "$LAB_DIR/check.sh"

CTQ=$(cd "$BUILD_DIR" 2>/dev/null && pwd)/ctquery
CTFILL=$(cd "$BUILD_DIR" 2>/dev/null && pwd)/ctfill
RUN_TMP=
OUT=
RC=0

# norm: conntrack-tools lines with the timeout (field 5 of `-o extended`) blanked, one blank
# between fields, sorted.
norm()
{
	awk '/^ipv[46] / { $5 = "T"; print }' | sort
}

# same NAME CTQ-ARGS -- CONNTRACK-ARGS: the sets of ctquery dump and conntrack -L agree, and
# are not empty unless EMPTY=1.
same()
{
	local a=() b=() x
	while [ $# -gt 0 ] && [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	b=("$@")
	lab_x home "$CTQ" dump "${a[@]}" >"$RUN_TMP/raw" 2>"$RUN_TMP/err" ||
		{ why "ctquery: $(cat "$RUN_TMP/err")"; return; }
	norm <"$RUN_TMP/raw" >"$RUN_TMP/ours"
	lab_x home "$CTQ" dump --no-kfilter "${a[@]}" >"$RUN_TMP/raw" 2>"$RUN_TMP/err" ||
		{ why "ctquery --no-kfilter: $(cat "$RUN_TMP/err")"; return; }
	norm <"$RUN_TMP/raw" >"$RUN_TMP/ours-u"
	lab_x home conntrack -L -o extended "${b[@]}" >"$RUN_TMP/raw" 2>/dev/null
	norm <"$RUN_TMP/raw" >"$RUN_TMP/theirs"
	x=$(diff "$RUN_TMP/ours" "$RUN_TMP/theirs" | head -n 4)
	[ -z "$x" ] || { why "differs from conntrack -L ${b[*]}: $x"; return; }
	cmp -s "$RUN_TMP/ours" "$RUN_TMP/ours-u" || { why "kernel-side filter changes the set"; return; }
	[ "${EMPTY:-0}" = 1 ] || [ -s "$RUN_TMP/ours" ] || why "empty set"
}

# count ARGS: the number of entries ctquery's dump matches.
count()
{
	lab_x home "$CTQ" dump --count "$@"
}

# ---- the nat lab ----------------------------------------------------------------------------

make_traffic()
{
	# DNAT: the server reaches the client's UDP 7000 through home's public port 8080.
	lab_nft home "ip pdl_dnat" <<-'EOF' || return
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "server" udp dport 8080 dnat to 192.168.1.2:7000
	}
	EOF
	# IPv4 and IPv6 tracked: the nat table alone only hooks conntrack into IPv4.
	lab_nft home pdl_track <<-'EOF' || return
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state new counter
	}
	EOF
	lab_udp_echo server 5000 || return
	lab_udp_echo client 7000 || return
	SEEN=$(lab_udp_ask client 203.0.113.10 5000) || return
	SEEN_DNAT=$(lab_udp_ask server 203.0.113.2 8080) || return
	SEEN6=$(lab_udp_ask client fd00:203::10 5000) || return
	lab_x client ping -c 1 -W 2 203.0.113.10 >/dev/null || return
	# Entries without traffic: marks, a zone, IPv6, TCP states, made by both tools.
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
		-u SEEN_REPLY --zone 9 || return
	lab_x home "$CTQ" create tcp 192.168.1.60 198.51.100.9 41000 80 mark 32 state 3 \
		status 6 timeout 600 || return
	lab_x home "$CTQ" create udp 192.168.1.61 198.51.100.9 41001 443 timeout 600 || return
	lab_x home "$CTQ" create tcp fd00:1::60 2001:db8::80 41002 80 zone 5 state 1 \
		timeout 600 || return
	lab_x home "$CTQ" create icmp 192.168.1.62 198.51.100.9 4242 8 mark 48 timeout 600
} 2>"$RUN_TMP/traffic.err"

t_dump_all()
{
	local n
	same -- || return
	n=$(wc -l <"$RUN_TMP/ours")
	[ "$n" = $((9 + 4)) ] || why "$n entries (expected the 9 created and 4 flows)"
}

t_dump_created()
{
	# Field by field for entries whose every value the test chose.
	grep -qx 'ipv4 2 tcp 6 T ESTABLISHED src=192.168.1.60 dst=198.51.100.9 sport=41000 dport=80 src=198.51.100.9 dst=192.168.1.60 sport=80 dport=41000 \[ASSURED\] mark=32 use=1' \
		"$RUN_TMP/ours" || { why "tcp entry made by pd_ct_create not as built"; return; }
	grep -qx 'ipv6 10 tcp 6 T SYN_SENT src=fd00:1::60 dst=2001:db8::80 sport=41002 dport=80 \[UNREPLIED\] src=2001:db8::80 dst=fd00:1::60 sport=80 dport=41002 mark=0 zone=5 use=1' \
		"$RUN_TMP/ours" || { why "IPv6 zone entry not as built"; return; }
	grep -qx 'ipv4 2 icmp 1 T src=192.168.1.62 dst=198.51.100.9 type=8 code=0 id=4242 \[UNREPLIED\] src=198.51.100.9 dst=192.168.1.62 type=0 code=0 id=4242 mark=48 use=1' \
		"$RUN_TMP/ours" || why "ICMP entry not as built"
}

t_nat_masq()
{
	local line addr port
	read -r addr port <<<"$SEEN"
	[ "$addr" = 203.0.113.2 ] || { why "server saw $SEEN, not home's address"; return; }
	line=$(lab_x home "$CTQ" dump --show-nat -p udp --orig-src 192.168.1.2 --dport 5000)
	[ "$(wc -l <<<"$line")" = 1 ] || { why "want one entry: $line"; return; }
	grep -q " nat=snat:203.0.113.2:$port\$" <<<"$line" || why "NAT not snat:$addr:$port: $line"
}

t_nat_dnat()
{
	local line addr
	read -r addr _ <<<"$SEEN_DNAT"
	[ "$addr" = 203.0.113.10 ] || { why "client saw $SEEN_DNAT, not the server"; return; }
	line=$(lab_x home "$CTQ" dump --show-nat -p udp --orig-dst 203.0.113.2 --dport 8080)
	[ "$(wc -l <<<"$line")" = 1 ] || { why "want one entry: $line"; return; }
	grep -q ' nat=dnat:192.168.1.2:7000$' <<<"$line" || why "NAT not dnat:192.168.1.2:7000: $line"
}

t_nat_none_v6()
{
	local line
	line=$(lab_x home "$CTQ" dump --show-nat --family 6 -p udp --dport 5000)
	grep -q 'src=fd00:1::2 dst=fd00:203::10 .* nat=none$' <<<"$line" ||
		why "routed IPv6 flow not untranslated: $line"
}

t_icmp_masq()
{
	local line
	line=$(lab_x home "$CTQ" dump --show-nat -p icmp --orig-src 192.168.1.2)
	grep -q ' nat=snat:203.0.113.2:[0-9]*$' <<<"$line" || why "ping not masqueraded: $line"
}

t_kfilter_cuts()
{
	local st
	st=$(lab_x home "$CTQ" dump --count --stats --mark 16 2>&1 >/dev/null)
	grep -q 'kfilter=0x1000 ' <<<"$st" || { why "mark not sent to the kernel: $st"; return; }
	grep -q '^messages=2 matched=2 ' <<<"$st" || { why "kernel sent other entries: $st"; return; }
	st=$(lab_x home "$CTQ" dump --count --stats --no-kfilter --mark 16 2>&1 >/dev/null)
	grep -q 'matched=2 ' <<<"$st" && ! grep -q '^messages=2 ' <<<"$st" ||
		why "user-space filter: $st"
	st=$(lab_x home "$CTQ" dump --count --stats -p tcp --orig-src 192.168.1.50 --dport 443 2>&1 >/dev/null)
	grep -q '^messages=1 matched=1 .* refused=0' <<<"$st" || why "CTA_FILTER tuple: $st"
}

t_get()
{
	local ours theirs
	ours=$(lab_x home "$CTQ" get tcp 192.168.1.50 198.51.100.7 40001 443 | sed 's/ nat=.*//' |
		norm) || { why "get failed"; return; }
	theirs=$(lab_x home conntrack -G -o extended -p tcp -s 192.168.1.50 -d 198.51.100.7 \
		--sport 40001 --dport 443 2>/dev/null | norm)
	[ -n "$ours" ] && [ "$ours" = "$theirs" ] || why "get '$ours' vs conntrack -G '$theirs'"
}

t_get_missing()
{
	lab_x home "$CTQ" get tcp 192.168.1.50 198.51.100.7 40001 444 >/dev/null 2>&1
	RC=$?
	[ "$RC" = 2 ] || why "exit $RC, want 2 (not found)"
}

t_delete()
{
	lab_x home "$CTQ" delete udp 192.168.1.61 198.51.100.9 41001 443 || { why "delete failed"; return; }
	[ "$(count --orig-src 192.168.1.61)" = 0 ] || why "entry still listed"
	[ -z "$(lab_x home conntrack -L -s 192.168.1.61 2>/dev/null)" ] || why "conntrack still lists it"
}

t_perm()
{
	lab_x home setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$CTQ" dump >/dev/null 2>"$RUN_TMP/perm.err"
	RC=$?
	[ "$RC" = 4 ] || { why "exit $RC, want 4: $(cat "$RUN_TMP/perm.err")"; return; }
	grep -q CAP_NET_ADMIN "$RUN_TMP/perm.err" || why "message: $(cat "$RUN_TMP/perm.err")"
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
	check "dump equals conntrack -L -o extended" t_dump_all
	check "entries made by pd_ct_create read back as built" t_dump_created
	check "masquerade: SNAT to the address and port the server saw" t_nat_masq
	check "DNAT: translated to the client's 192.168.1.2:7000" t_nat_dnat
	check "routed IPv6 flow: no NAT" t_nat_none_v6
	check "ping: ICMP masqueraded" t_icmp_masq
	check "filter mark 16 = conntrack --mark 16" same --mark 16 -- --mark 16
	check "filter mark 16/0xf0 = conntrack --mark 16/0xf0" same --mark 16/0xf0 -- --mark 16/0xf0
	check "filter orig-src prefix = conntrack -s 192.168.1.0/24" \
		same --orig-src 192.168.1.0/24 -- -s 192.168.1.0/24
	check "filter orig-dst = conntrack -d 198.51.100.7" \
		same --orig-dst 198.51.100.7 -- -d 198.51.100.7
	check "filter reply-dst = conntrack -q 203.0.113.2" \
		same --reply-dst 203.0.113.2 -- -q 203.0.113.2
	check "filter reply-src = conntrack -r 192.168.1.2" \
		same --reply-src 192.168.1.2 -- -r 192.168.1.2
	check "filter -p tcp --dport 443 = conntrack's" same -p tcp --dport 443 -- -p tcp --dport 443
	check "filter -p udp --sport 5353 = conntrack's" \
		same -p udp --sport 5353 -- -p udp --sport 5353
	check "filter tcp orig-src+dport (CTA_FILTER) = conntrack's" \
		same -p tcp --orig-src 192.168.1.50 --dport 443 -- -p tcp -s 192.168.1.50 --dport 443
	check "filter zone 5 = conntrack --zone 5" same --zone 5 -- --zone 5
	check "filter IPv6 = conntrack -f ipv6" same --family 6 -- -f ipv6
	check "translated only (any) = conntrack -j" same --nat any -- -j
	check "SNAT only = conntrack -n" same --nat snat -- -n
	# conntrack -g also lists masqueraded pings: libnetfilter_conntrack compares the reply's
	# ICMP id with the original's type/code as if they were ports.  UDP only here.
	check "DNAT only = conntrack -g (UDP)" same --nat dnat -p udp -- -g -p udp
	check "kernel-side filters: only matching entries sent" t_kfilter_cuts
	check "get by tuple = conntrack -G" t_get
	check "get of a missing tuple: not found (exit 2)" t_get_missing
	check "delete by tuple" t_delete
	check "no CAP_NET_ADMIN: permission error (exit 4)" t_perm
	lab_end
}

# ---- events ---------------------------------------------------------------------------------

t_events()
{
	local ev=$RUN_TMP/events
	lab_x ev "$CTQ" events --seconds 10 --max 3 >"$ev" 2>&1 &
	local pid=$!
	lab_wait "events ready" 5 grep -q '^ready' "$ev" || { why "listener not ready"; return; }
	lab_x ev conntrack -I -p tcp -s 10.5.0.1 -d 10.5.0.2 --sport 1111 --dport 80 \
		--state ESTABLISHED -u SEEN_REPLY -t 600 2>/dev/null || { why "conntrack -I"; return; }
	lab_x ev conntrack -U -p tcp -s 10.5.0.1 -d 10.5.0.2 --sport 1111 --dport 80 \
		--mark 77 >/dev/null 2>&1 || { why "conntrack -U"; return; }
	lab_x ev conntrack -D -p tcp -s 10.5.0.1 -d 10.5.0.2 --sport 1111 --dport 80 \
		>/dev/null 2>&1 || { why "conntrack -D"; return; }
	wait "$pid"
	local got
	got=$(awk '$1 == "new" || $1 == "update" || $1 == "destroy" { print $1 }' "$ev" | tr '\n' ' ')
	[ "$got" = "new update destroy " ] || { why "events: '$got'"; return; }
	grep -q '^new .*src=10.5.0.1 dst=10.5.0.2 sport=1111 dport=80 ' "$ev" ||
		{ why "new event tuple: $(head -n 2 "$ev")"; return; }
	grep -q '^update .* mark=77 ' "$ev" || { why "update without mark=77"; return; }
	grep -q '^destroy .*src=10.5.0.1 ' "$ev" || why "destroy event tuple"
}

t_overrun()
{
	local ev=$RUN_TMP/overrun n ours theirs
	lab_x ev "$CTQ" events --rcvbuf 4096 --seconds 4 >"$ev" 2>&1 &
	local pid=$!
	lab_wait "events ready" 5 grep -q '^ready' "$ev" || { why "listener not ready"; return; }
	# One burst: the creates go in batches of one datagram each, faster than the listener reads.
	lab_x ev "$CTFILL" 3000 --proto udp --timeout 600 >/dev/null || { why "ctfill failed"; return; }
	wait "$pid"
	n=$(sed -n 's/^overruns //p' "$ev")
	grep -q '^lost [1-9]' "$ev" && [ "${n:-0}" -ge 1 ] ||
		{ why "no lost condition reported (overruns '${n}', $(grep -c '^new' "$ev") events)"; return; }
	[ "$(grep -c '^new' "$ev")" -lt 3000 ] || { why "all 3000 events arrived: no overrun"; return; }
	# Resynchronise: a dump has every entry conntrack lists.
	ours=$(lab_x ev "$CTQ" dump -p udp --count)
	theirs=$(lab_x ev conntrack -L -p udp 2>/dev/null | wc -l)
	[ "$ours" = 3000 ] && [ "$theirs" = 3000 ] || why "resync dump $ours, conntrack $theirs, want 3000"
}

sec_events()
{
	build "events" lab_node ev || return
	check "events: new, update (mark), destroy in order" t_events
	check "tiny receive buffer: lost events reported, resync dump complete" t_overrun
	lab_end
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
		echo "ct: SKIP: needs root and network namespaces"
		[ "${LAB_STRICT:-0}" = 1 ] && exit 77
		exit 0
	fi
	if ! command -v conntrack >/dev/null 2>&1; then
		echo "ct: conntrack (conntrack-tools) missing; run 'make deps'"
		echo "ct: 0 passed, 1 failed"
		exit 1
	fi
	if [ ! -x "$CTQ" ] || [ ! -x "$CTFILL" ]; then
		echo "ct: $CTQ or $CTFILL not built (make BUILD=$BUILD_DIR tests)"
		echo "ct: 0 passed, 1 failed"
		exit 1
	fi
	RUN_TMP=$(mktemp -d /tmp/pdl-ct-XXXXXX) || exit 1
	# shellcheck disable=SC2016 # expanded when the trap runs
	LAB_EXIT_HOOK='rm -rf "$RUN_TMP"'
	trap 'rm -rf "$RUN_TMP"' EXIT
	lab_sweep_stale
	sec_nat
	sec_events
	check "no namespace, /etc/netns entry or temp dir of this run left" t_no_leftovers
	printf 'ct: %d passed, %d failed\n' "$N_PASS" "$N_FAIL"
	[ "$N_FAIL" = 0 ]
}

main "$@"
