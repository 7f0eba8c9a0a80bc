#!/usr/bin/env bash
# shellcheck shell=bash
# tests/lab/lib.sh - network-namespace lab for pathdiag's integration tests and `make demo`.
#
# Sourced by bash scripts (bash >= 4: arrays, local, $BASHPID). Every function returns non-zero
# after printing one line "lab: error: STEP: ..." on stderr, so callers can use `set -e` or
# `|| return`. Nothing here touches the host's own network: every address lives inside
# namespaces created by lab_node, and lab_cleanup (installed on EXIT/INT/TERM/HUP by lab_begin)
# kills every process in those namespaces and removes them.
#
# Addresses used by the ready-made topologies (topo.sh): 10.0.0.0/8, 192.168.1.0/24,
# 100.64.0.0/10 (RFC 6598, carrier-grade NAT segment), 203.0.113.0/24 (RFC 5737, stands for
# "public" addresses) and fd00::/8 (RFC 4193).
#
# Set LAB_VERBOSE=1 to echo every command the library runs.
#
# Quick use:
#   . tests/lab/lib.sh
#   lab_begin                      # prefix pdl-<pid>-, temp dir, cleanup traps
#   lab_node client; lab_node r1 router; lab_node server
#   lab_link client r1 a4=10.0.1.2/24 b4=10.0.1.1/24 a6=fd00:0:0:1::2/64 b6=fd00:0:0:1::1/64
#   lab_x client ping -c 1 10.0.1.1
#
# nft `meta length`: in the forward/output hooks of the inet family it is skb->len, the length
# of the layer-3 packet (IP header + payload, no Ethernet header), i.e. the value compared with
# the link MTU. run-tests.sh proves it (a rule `meta length > 1400` passes a 1400-byte ping
# packet and drops a 1401-byte one).
#
# Delay stage (lab_delay): this kernel has no netem and no nft `queue`, but it has the legacy
# iptables NFQUEUE target. lab_delay NODE IF MS steers every packet that enters NODE from IF
# (mangle PREROUTING) or leaves NODE through IF (mangle POSTROUTING), IPv4 and IPv6, into one
# NFQUEUE read by tests/tools/pd-delayq.c, which holds each packet MS ms and accepts it in
# arrival order. So the link behind IF gets MS ms each way and any round trip across it 2*MS:
# `lab_delay r1 client 15` gives the chain a 30 ms round trip. Delaying at the interface, not
# in FORWARD, matters for PMTUD: a router drops an oversized packet before the FORWARD hook and
# sends its ICMP error from its own OUTPUT path, so a FORWARD-only delay would make errors
# come back at once while answers take the full round trip. pd-delayq is found as
# $LAB_DELAYQ (default: pd-delayq in PATH); iptables-legacy and ip6tables-legacy are needed.

# Global state (one lab per shell process).
LAB_PREFIX=${LAB_PREFIX:-}
LAB_TMP=${LAB_TMP:-}
LAB_OWNER=${LAB_OWNER:-}
LAB_NODES=()
LAB_BG_PIDS=()
LAB_WG_IFS=()
LAB_LAST_PID=
LAB_WG_RUNDIR=/var/run/wireguard
LAB_MADE_ETC_NETNS=

# ---- messages and step runner ------------------------------------------------------------------

lab_log()
{
	printf 'lab: %s\n' "$*" >&2
}

# _lab_fail STEP MESSAGE: the one-line error every failure prints. Returns 1.
_lab_fail()
{
	printf 'lab: error: %s: %s\n' "$1" "$2" >&2
	return 1
}

# _lab_do STEP CMD...: run CMD quietly; on failure print the step, the command, its exit code
# and the first line of its output. Returns the command's exit code.
_lab_do()
{
	local step=$1 out rc
	shift
	if [ "${LAB_VERBOSE:-0}" = 1 ]; then
		printf 'lab: + %s\n' "$*" >&2
	fi
	out=$("$@" 2>&1) && return 0
	rc=$?
	out=${out%%$'\n'*}
	printf "lab: error: %s: '%s' exited %d%s\n" "$step" "$*" "$rc" "${out:+: $out}" >&2
	return "$rc"
}

# ---- lab lifetime ---------------------------------------------------------------------------

# lab_require CMD...: fail loudly if a tool is missing.
lab_require()
{
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || { _lab_fail lab_require "'$c' not found in PATH"; return 1; }
	done
}

# lab_begin [PREFIX]: start a lab: unique namespace prefix (default pdl-<pid>-), a private temp
# dir ($LAB_TMP) and cleanup traps on EXIT, INT, TERM and HUP. Leftovers of an earlier run that
# used the same prefix (its owner died, since this pid is ours now) are removed first.
lab_begin()
{
	if [ "$(id -u)" != 0 ]; then
		_lab_fail lab_begin "must run as root (network namespaces)"
		return 1
	fi
	lab_require ip nft ethtool || return 1
	LAB_OWNER=$BASHPID
	LAB_PREFIX=${1:-pdl-$BASHPID-}
	case $LAB_PREFIX in
	pdl-*-) ;;
	*) _lab_fail lab_begin "prefix '$LAB_PREFIX' must look like pdl-WORD-"; return 1 ;;
	esac
	LAB_NODES=()
	LAB_BG_PIDS=()
	LAB_WG_IFS=()
	LAB_MADE_ETC_NETNS=
	[ -d /etc/netns ] || LAB_MADE_ETC_NETNS=1
	_lab_remove_namespaces || return 1
	LAB_TMP=$(mktemp -d "/tmp/${LAB_PREFIX}XXXXXX") || { _lab_fail lab_begin "mktemp -d failed"; return 1; }
	trap '_lab_on_exit' EXIT
	trap '_lab_on_signal INT 130' INT
	trap '_lab_on_signal TERM 143' TERM
	trap '_lab_on_signal HUP 129' HUP
}

# $LAB_EXIT_HOOK (optional): shell code the EXIT trap runs after lab_cleanup, for the caller's
# own clean-up (lab_begin replaces any EXIT trap the caller had).
_lab_on_exit()
{
	local rc=$?
	lab_cleanup
	[ -z "${LAB_EXIT_HOOK:-}" ] || eval "$LAB_EXIT_HOOK"
	return "$rc"
}

_lab_on_signal()
{
	lab_log "caught SIG$1, cleaning up"
	lab_cleanup
	[ -z "${LAB_EXIT_HOOK:-}" ] || eval "$LAB_EXIT_HOOK"
	trap - EXIT
	exit "$2"
}

# lab_end: clean up now and drop the signal traps; the EXIT trap becomes $LAB_EXIT_HOOK (for
# scripts that build several labs in turn).
lab_end()
{
	lab_cleanup
	trap - INT TERM HUP
	if [ -n "${LAB_EXIT_HOOK:-}" ]; then
		# shellcheck disable=SC2064 # the hook is code, expanded when the trap is set
		trap "$LAB_EXIT_HOOK" EXIT
	else
		trap - EXIT
	fi
}

# lab_namespaces [PREFIX]: list this lab's (or PREFIX's) namespaces, full names, one per line.
lab_namespaces()
{
	local pfx=${1:-$LAB_PREFIX}
	[ -n "$pfx" ] || return 0
	ip netns list 2>/dev/null | awk -v p="$pfx" 'index($1, p) == 1 { print $1 }'
}

# _lab_kill_pids SIGNAL PID...: signal the pids that still exist.
_lab_kill_pids()
{
	local sig=$1 p
	shift
	for p in "$@"; do
		kill -s "$sig" "$p" 2>/dev/null || true
	done
}

# _lab_remove_namespaces [PREFIX]
_lab_remove_namespaces()
{
	local ns pids i left=0
	for ns in $(lab_namespaces "${1:-}"); do
		# Processes first (wireguard-go, tcpdump, listeners): TERM, up to 2 s, then KILL.
		for i in 1 2 3 4 5 6 7 8 9 10; do
			pids=$(ip netns pids "$ns" 2>/dev/null) || pids=
			[ -n "$pids" ] || break
			if [ "$i" = 10 ]; then
				# shellcheck disable=SC2086 # one pid per word
				_lab_kill_pids KILL $pids
				sleep 0.1
			else
				# shellcheck disable=SC2086
				_lab_kill_pids TERM $pids
				sleep 0.2
			fi
		done
		ip netns del "$ns" 2>/dev/null || true
		if ip netns list 2>/dev/null | awk '{ print $1 }' | grep -qx -- "$ns"; then
			_lab_fail lab_cleanup "namespace $ns could not be deleted" || left=1
		fi
		rm -rf "/etc/netns/$ns"
	done
	return "$left"
}

# lab_cleanup: idempotent; safe to call from traps and by hand. Only the process that called
# lab_begin cleans up (a subshell exiting does not tear down its parent's lab).
lab_cleanup()
{
	local ifn rc=0
	[ -n "$LAB_PREFIX" ] || return 0
	[ "${LAB_OWNER:-}" = "$BASHPID" ] || return 0
	if [ "${#LAB_BG_PIDS[@]}" -gt 0 ]; then
		_lab_kill_pids TERM "${LAB_BG_PIDS[@]}"
	fi
	_lab_remove_namespaces || rc=1
	if [ "${#LAB_BG_PIDS[@]}" -gt 0 ]; then
		_lab_kill_pids KILL "${LAB_BG_PIDS[@]}"
		wait "${LAB_BG_PIDS[@]}" 2>/dev/null || true
	fi
	# wireguard-go removes its UAPI socket on SIGTERM; after a KILL it may remain.
	for ifn in "${LAB_WG_IFS[@]}"; do
		rm -f "$LAB_WG_RUNDIR/$ifn.sock"
	done
	case $LAB_TMP in
	/tmp/pdl-*) rm -rf "$LAB_TMP" ;;
	esac
	# /etc/netns did not exist before this lab: remove it if no other lab uses it now.
	[ -z "$LAB_MADE_ETC_NETNS" ] || rmdir /etc/netns 2>/dev/null || true
	LAB_NODES=()
	LAB_BG_PIDS=()
	LAB_WG_IFS=()
	LAB_DELAYS=()
	LAB_TMP=
	return "$rc"
}

# lab_sweep_stale: remove labs left by runs that died without cleaning up (SIGKILL, power
# loss): namespaces named pdl-PID-* whose PID no longer exists, with their /etc/netns entries
# and processes. Labs with other prefixes and labs of live processes are left alone.
lab_sweep_stale()
{
	local pfx pid
	for pfx in $(ip netns list 2>/dev/null | sed -n 's/^\(pdl-\([0-9][0-9]*\)-\).*/\1/p' | sort -u); do
		pid=${pfx#pdl-}
		pid=${pid%-}
		[ ! -d "/proc/$pid" ] || continue
		lab_log "removing stale lab $pfx* (pid $pid is gone)"
		_lab_remove_namespaces "$pfx" || return 1
		rm -rf "/tmp/$pfx"*
	done
}

# ---- nodes ----------------------------------------------------------------------------------

# lab_ns NODE: the namespace name of NODE.
lab_ns()
{
	printf '%s%s\n' "$LAB_PREFIX" "$1"
}

# lab_x NODE CMD...: run CMD inside NODE's namespace.
lab_x()
{
	local node=$1
	shift
	ip netns exec "$LAB_PREFIX$node" "$@"
}

# lab_sysctl NODE KEY=VALUE...
lab_sysctl()
{
	local node=$1 kv
	shift
	for kv in "$@"; do
		_lab_do "sysctl $node $kv" ip netns exec "$LAB_PREFIX$node" sysctl -qw "$kv" || return
	done
}

# lab_node NAME [router]: create a namespace with lo up, its own resolv.conf (a closed local
# port, so resolvers fail at once), IPv6 on and DAD off; routers also forward and send ICMP
# errors without rate limit (tests count them). Re-creating an existing node resets it.
lab_node()
{
	local node=$1 kind=${2:-host} ns
	[ -n "$LAB_PREFIX" ] || { _lab_fail "lab_node $node" "call lab_begin first"; return 1; }
	case $node in
	'' | *[!a-z0-9]*) _lab_fail "lab_node $node" "node names are [a-z0-9]+"; return 1 ;;
	esac
	[ "${#node}" -le 15 ] || { _lab_fail "lab_node $node" "node name longer than 15"; return 1; }
	ns=$LAB_PREFIX$node
	if ip netns list | awk '{ print $1 }' | grep -qx -- "$ns"; then
		_lab_do "lab_node $node: delete old namespace" ip netns del "$ns" || return
	fi
	_lab_do "lab_node $node: ip netns add" ip netns add "$ns" || return
	LAB_NODES+=("$node")
	# Retried: a concurrent lab's cleanup may rmdir an empty /etc/netns in between.
	mkdir -p "/etc/netns/$ns" 2>/dev/null || mkdir -p "/etc/netns/$ns" 2>/dev/null ||
		mkdir -p "/etc/netns/$ns" || { _lab_fail "lab_node $node" "mkdir /etc/netns/$ns"; return 1; }
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"/etc/netns/$ns/resolv.conf"
	_lab_do "lab_node $node: lo up" ip -n "$ns" link set dev lo up || return
	lab_sysctl "$node" net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.default.accept_ra=0 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 || return
	case $kind in
	host) ;;
	router)
		lab_sysctl "$node" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
			net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 || return
		;;
	*) _lab_fail "lab_node $node" "kind '$kind' is not host or router"; return 1 ;;
	esac
}

# ---- links and routes -----------------------------------------------------------------------

# lab_link A B [mtu=N] [mtu_a=N] [mtu_b=N] [if_a=NAME] [if_b=NAME] [a4=CIDR] [b4=CIDR]
#              [a6=CIDR] [b6=CIDR]
# A veth pair between nodes A and B, created directly inside the two namespaces (names never
# touch the host namespace, so concurrent labs cannot collide). The end in A is named after B
# and vice versa unless if_a/if_b say otherwise. TX checksum offload is off on both ends (so
# checksums in captures are real and TSO is off: packets on the wire are MTU-sized), IPv6 DAD
# is off, both ends are up.
lab_link()
{
	local a=$1 b=$2 kv mtu=1500 mtu_a='' mtu_b='' if_a=$2 if_b=$1 a4='' b4='' a6='' b6=''
	local na nb step="lab_link $1-$2"
	shift 2
	for kv; do
		case $kv in
		mtu=*) mtu=${kv#*=} ;;
		mtu_a=*) mtu_a=${kv#*=} ;;
		mtu_b=*) mtu_b=${kv#*=} ;;
		if_a=*) if_a=${kv#*=} ;;
		if_b=*) if_b=${kv#*=} ;;
		a4=*) a4=${kv#*=} ;;
		b4=*) b4=${kv#*=} ;;
		a6=*) a6=${kv#*=} ;;
		b6=*) b6=${kv#*=} ;;
		*) _lab_fail "$step" "unknown option '$kv'"; return 1 ;;
		esac
	done
	mtu_a=${mtu_a:-$mtu}
	mtu_b=${mtu_b:-$mtu}
	na=$LAB_PREFIX$a
	nb=$LAB_PREFIX$b
	# Idempotent: deleting one end of an old pair deletes both.
	ip -n "$na" link del dev "$if_a" 2>/dev/null || true
	ip -n "$nb" link del dev "$if_b" 2>/dev/null || true
	_lab_do "$step: create veth" ip -n "$na" link add name "$if_a" mtu "$mtu_a" type veth \
		peer name "$if_b" mtu "$mtu_b" netns "$nb" || return
	_lab_iface_setup "$a" "$if_a" "$a4" "$a6" "$step" || return
	_lab_iface_setup "$b" "$if_b" "$b4" "$b6" "$step" || return
}

# _lab_iface_setup NODE IF ADDR4 ADDR6 STEP
_lab_iface_setup()
{
	local node=$1 ifn=$2 v4=$3 v6=$4 step=$5 ns=$LAB_PREFIX$1
	lab_sysctl "$node" "net.ipv6.conf.$ifn.accept_dad=0" "net.ipv6.conf.$ifn.disable_ipv6=0" || return
	_lab_do "$step: tx checksum offload off on $node/$ifn" \
		ip netns exec "$ns" ethtool -K "$ifn" tx off || return
	_lab_do "$step: $node/$ifn up" ip -n "$ns" link set dev "$ifn" up || return
	if [ -n "$v4" ]; then
		_lab_do "$step: address $v4 on $node/$ifn" \
			ip -n "$ns" -4 addr replace "$v4" dev "$ifn" || return
	fi
	if [ -n "$v6" ]; then
		_lab_do "$step: address $v6 on $node/$ifn" \
			ip -n "$ns" -6 addr replace "$v6" dev "$ifn" nodad || return
	fi
}

# lab_addr NODE IF CIDR...: add more addresses to an interface.
lab_addr()
{
	local node=$1 ifn=$2 a fam
	shift 2
	for a; do
		fam=-4
		case $a in *:*) fam=-6 ;; esac
		if [ "$fam" = -6 ]; then
			_lab_do "lab_addr $node/$ifn $a" ip -n "$LAB_PREFIX$node" -6 addr replace "$a" \
				dev "$ifn" nodad || return
		else
			_lab_do "lab_addr $node/$ifn $a" ip -n "$LAB_PREFIX$node" -4 addr replace "$a" \
				dev "$ifn" || return
		fi
	done
}

# lab_route NODE DEST VIA [ROUTE-OPTION...]: DEST is a prefix or "default"; the family follows
# VIA. Uses `ip route replace`, so it is idempotent.
lab_route()
{
	local node=$1 dest=$2 via=$3 fam=-4
	shift 3
	case $via in *:*) fam=-6 ;; esac
	_lab_do "lab_route $node $dest via $via" \
		ip -n "$LAB_PREFIX$node" "$fam" route replace "$dest" via "$via" "$@" || return
}

# lab_mtu NODE IF: print an interface's MTU.
lab_mtu()
{
	ip -n "$LAB_PREFIX$1" -o link show dev "$2" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p'
}

# ---- nftables router variants ---------------------------------------------------------------

# lab_nft NODE TABLE: load the body of table TABLE (family inet unless TABLE is "FAMILY NAME") from
# stdin, replacing any earlier version of that table (idempotent).
lab_nft()
{
	local node=$1 fam=inet tab=$2 body file
	case $tab in
	'ip '* | 'ip6 '* | 'inet '* | 'netdev '*) fam=${tab%% *}; tab=${tab#* } ;;
	esac
	body=$(cat)
	file=$LAB_TMP/nft-$node-$tab.nft
	printf 'table %s %s {}\ndelete table %s %s\ntable %s %s {\n%s\n}\n' \
		"$fam" "$tab" "$fam" "$tab" "$fam" "$tab" "$body" >"$file"
	_lab_do "lab_nft $node $fam $tab" ip netns exec "$LAB_PREFIX$node" nft -f "$file" || return
}

# lab_nft_counter NODE FAMILY TABLE COUNTER: print the packet count of a named counter.
lab_nft_counter()
{
	lab_x "$1" nft list counter "$2" "$3" "$4" 2>/dev/null |
		sed -n 's/.*packets \([0-9]*\) bytes.*/\1/p'
}

# lab_router_blackhole NODE: the router still generates ICMP "fragmentation needed" and ICMPv6
# "packet too big" but drops them on output (its own) and on forward (others'), making a PMTUD
# black hole. Counters in table inet pdl_blackhole: ptb4_out, ptb6_out, ptb4_fwd, ptb6_fwd.
lab_router_blackhole()
{
	lab_nft "$1" pdl_blackhole <<-'EOF'
	counter ptb4_out {}
	counter ptb6_out {}
	counter ptb4_fwd {}
	counter ptb6_fwd {}
	chain output {
		type filter hook output priority filter; policy accept;
		icmp type destination-unreachable icmp code frag-needed counter name "ptb4_out" drop
		icmpv6 type packet-too-big counter name "ptb6_out" drop
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		icmp type destination-unreachable icmp code frag-needed counter name "ptb4_fwd" drop
		icmpv6 type packet-too-big counter name "ptb6_fwd" drop
	}
	EOF
}

# lab_router_lendrop NODE N: silently drop forwarded packets whose layer-3 length (nft meta
# length: IP header + payload) is above N bytes. Counter: inet pdl_lendrop lendrop.
lab_router_lendrop()
{
	case $2 in
	'' | *[!0-9]*) _lab_fail "lab_router_lendrop $1" "length '$2' is not a number"; return 1 ;;
	esac
	lab_nft "$1" pdl_lendrop <<-EOF
	counter lendrop {}
	chain forward {
		type filter hook forward priority filter; policy accept;
		meta length > $2 counter name "lendrop" drop
	}
	EOF
}

# lab_router_badptb NODE N: answer forwarded IPv4 packets whose layer-3 length is above N with
# an ICMP "fragmentation needed" whose next-hop MTU is 0, as routers from before RFC 1191 do
# (nft's reject writes no MTU), and drop them. nft cannot send an ICMPv6 Packet Too Big, so
# IPv6 passes untouched. Counter: ip pdl_badptb badptb.
lab_router_badptb()
{
	case $2 in
	'' | *[!0-9]*) _lab_fail "lab_router_badptb $1" "length '$2' is not a number"; return 1 ;;
	esac
	lab_nft "$1" "ip pdl_badptb" <<-EOF
	counter badptb {}
	chain forward {
		type filter hook forward priority filter; policy accept;
		meta length > $2 counter name "badptb" reject with icmp frag-needed
	}
	EOF
}

# lab_router_loss NODE P [IIF]: drop P% of forwarded packets at random (only those arriving on
# IIF if given, so a ping loses P% of its requests and none of its replies).
# Counter: inet pdl_loss loss.
lab_router_loss()
{
	local match=
	case $2 in
	'' | *[!0-9]*) _lab_fail "lab_router_loss $1" "percentage '$2' is not a number"; return 1 ;;
	esac
	[ "$2" -le 100 ] || { _lab_fail "lab_router_loss $1" "percentage $2 > 100"; return 1; }
	[ -z "${3:-}" ] || match="iifname \"$3\" "
	lab_nft "$1" pdl_loss <<-EOF
	counter loss {}
	chain forward {
		type filter hook forward priority filter; policy accept;
		${match}numgen random mod 100 < $2 counter name "loss" drop
	}
	EOF
}

# lab_router_masq NODE OIF [SRC-PREFIX]: masquerade IPv4 leaving on OIF (only sources inside
# SRC-PREFIX if given). Counter: ip pdl_nat masq.
lab_router_masq()
{
	local match=
	[ -z "${3:-}" ] || match="ip saddr $3 "
	lab_nft "$1" "ip pdl_nat" <<-EOF
	counter masq {}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "$2" ${match}counter name "masq" masquerade
	}
	EOF
}

# ---- delay stage ----------------------------------------------------------------------------

declare -gA LAB_DELAYS=()

# lab_delay NODE IF MS [QUEUE]: delay every packet entering or leaving NODE through IF by MS
# milliseconds (so a round trip across IF gains 2*MS), IPv4 and IPv6, order kept (see the
# header). QUEUE is the NFQUEUE number (default 0; per namespace). The consumer runs as a lab
# background process, stopped by lab_cleanup or lab_delay_stop. Overload shows as loss (the
# queue does not fail open), never as a shorter delay.
lab_delay()
{
	local node=$1 ifn=$2 ms=$3 q=${4:-0} step="lab_delay $1/$2" bin=${LAB_DELAYQ:-pd-delayq} cmd
	local log chain t
	case $ms$q in
	'' | *[!0-9]*) _lab_fail "$step" "delay '$ms' or queue '$q' is not a number"; return 1 ;;
	esac
	lab_require iptables-legacy ip6tables-legacy "$bin" || return 1
	ip -n "$LAB_PREFIX$node" link show dev "$ifn" >/dev/null 2>&1 ||
		{ _lab_fail "$step" "no interface $ifn on $node"; return 1; }
	lab_bg "$node" "delayq-$node-$q" "$bin" --queue "$q" --delay "$ms"
	LAB_DELAYS["$node-$q"]=$LAB_LAST_PID
	log=$LAB_TMP/delayq-$node-$q.log
	lab_wait "$step: pd-delayq ready" 10 grep -q ' ready$' "$log" || {
		lab_log "pd-delayq said: $(head -n 1 "$log")"
		return 1
	}
	# One chain per queue, pdl-delay-Q, jumped to from both hooks. IPv6 neighbour discovery
	# is not delayed (like ARP, which is not IP): it belongs to the link, not the path.
	for cmd in iptables-legacy ip6tables-legacy; do
		chain=pdl-delay-$q
		_lab_do "$step: $cmd -N $chain" lab_x "$node" "$cmd" -t mangle -N "$chain" || return
		if [ "$cmd" = ip6tables-legacy ]; then
			for t in 133 134 135 136 137; do
				_lab_do "$step: $cmd ND $t" lab_x "$node" "$cmd" -t mangle -A "$chain" \
					-p ipv6-icmp --icmpv6-type "$t" -j RETURN || return
			done
		fi
		_lab_do "$step: $cmd NFQUEUE" lab_x "$node" "$cmd" -t mangle -A "$chain" \
			-j NFQUEUE --queue-num "$q" || return
		_lab_do "$step: $cmd PREROUTING" lab_x "$node" "$cmd" -t mangle \
			-A PREROUTING -i "$ifn" -j "$chain" || return
		_lab_do "$step: $cmd POSTROUTING" lab_x "$node" "$cmd" -t mangle \
			-A POSTROUTING -o "$ifn" -j "$chain" || return
	done
}

_lab_gone()
{
	! kill -0 "$1" 2>/dev/null
}

# lab_delay_stop NODE [QUEUE]: remove the delay's rules, stop its consumer (it accepts what it
# still holds) and print its closing line "pd-delayq: held P packets, max depth D, overruns O".
lab_delay_stop()
{
	local node=$1 q=${2:-0} pid cmd hook dir ifn
	pid=${LAB_DELAYS["$node-$q"]:-}
	[ -n "$pid" ] || { _lab_fail "lab_delay_stop $node" "no delay on queue $q"; return 1; }
	for cmd in iptables-legacy ip6tables-legacy; do
		# The jumps to this queue's chain (any interface), then the chain.
		lab_x "$node" "$cmd" -t mangle -S | grep -- "-j pdl-delay-$q\$" |
			while read -r _ hook dir ifn _; do
				lab_x "$node" "$cmd" -t mangle -D "$hook" "$dir" "$ifn" -j "pdl-delay-$q"
			done
		lab_x "$node" "$cmd" -t mangle -F "pdl-delay-$q"
		lab_x "$node" "$cmd" -t mangle -X "pdl-delay-$q"
	done
	kill -s TERM "$pid" 2>/dev/null || true
	# Polled, not only waited for: from a subshell the consumer is no child of ours.
	lab_wait "lab_delay_stop $node: pd-delayq exit" 10 _lab_gone "$pid" || return
	wait "$pid" 2>/dev/null || true
	unset "LAB_DELAYS[$node-$q]"
	grep '^pd-delayq: held ' "$LAB_TMP/delayq-$node-$q.log" ||
		{ _lab_fail "lab_delay_stop $node" "pd-delayq printed no closing line"; return 1; }
}

# ---- background processes and captures ------------------------------------------------------

# lab_bg NODE NAME CMD...: start CMD in NODE's namespace in the background, output to
# $LAB_TMP/NAME.log; its pid in $LAB_LAST_PID (ip netns exec execs, so it is CMD's pid).
lab_bg()
{
	local node=$1 name=$2
	shift 2
	# Truncate here, not in the background job: callers poll the log for readiness and must
	# never see a previous run's lines.
	: >"$LAB_TMP/$name.log"
	ip netns exec "$LAB_PREFIX$node" "$@" >>"$LAB_TMP/$name.log" 2>&1 </dev/null &
	LAB_LAST_PID=$!
	LAB_BG_PIDS+=("$LAB_LAST_PID")
}

# lab_wait STEP SECONDS CMD...: retry CMD every 50 ms until it succeeds or time runs out.
lab_wait()
{
	local step=$1 secs=$2 n
	shift 2
	n=$((secs * 20))
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
		n=$((n - 1))
	done
	_lab_fail "$step" "timed out after ${secs}s waiting for: $*"
}

# lab_capture_start NODE IF FILE [FILTER...]: tcpdump on NODE/IF into FILE (pcap, full
# packets, immediate mode, unbuffered writes). Returns once tcpdump is listening; pid in
# $LAB_LAST_PID. A FILTER must let frames of ethertype 0x88b5 through (see lab_capture_stop).
declare -gA LAB_CAPS=()
lab_capture_start()
{
	local node=$1 ifn=$2 file=$3 log
	shift 3
	lab_require tcpdump || return 1
	rm -f "$file"
	lab_bg "$node" "tcpdump-$node-$ifn" tcpdump -n -i "$ifn" -s 0 -U --immediate-mode -Z root \
		-w "$file" "$@"
	LAB_CAPS[$LAB_LAST_PID]="$node $ifn $file"
	log=$LAB_TMP/tcpdump-$node-$ifn.log
	lab_wait "lab_capture_start $node/$ifn" 10 grep -q 'listening on' "$log" || {
		lab_log "tcpdump said: $(head -n 1 "$log")"
		return 1
	}
}

# _lab_marker NODE IF: send one Ethernet frame of the IEEE local experimental ethertype 0x88b5
# out of NODE/IF (an AF_PACKET socket: no IP side effects; the peer discards it).
_lab_marker()
{
	local py
	py=$(_lab_python) || return 1
	lab_x "$1" "$py" -c '
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
s.send(b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x88\xb5" + b"pdl-lab-marker".ljust(46, b"\0"))
' "$2"
}

_lab_pcap_has_marker()
{
	[ -n "$(tcpdump -r "$1" -c 1 'ether proto 0x88b5' 2>/dev/null)" ]
}

# lab_capture_stop PID: stop a capture started by lab_capture_start without losing packets:
# a marker frame is sent on the interface, tcpdump is stopped once the marker is in the file
# (so everything sent before it is there too, even on a loaded machine), and the marker is
# then filtered out of the file. On a link without Ethernet headers it waits 0.5 s instead.
lab_capture_stop()
{
	local pid=$1 node ifn file
	read -r node ifn file <<<"${LAB_CAPS[$pid]:-}"
	if [ -n "$file" ] && ip -n "$LAB_PREFIX$node" -o link show dev "$ifn" 2>/dev/null |
		grep -q 'link/ether' && _lab_marker "$node" "$ifn"; then
		lab_wait "lab_capture_stop $node/$ifn: marker" 10 _lab_pcap_has_marker "$file" || true
	else
		sleep 0.5
	fi
	kill -s INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if [ -n "$file" ] && _lab_pcap_has_marker "$file"; then
		tcpdump -r "$file" -w "$file.tmp" 'not ether proto 0x88b5' 2>/dev/null &&
			mv "$file.tmp" "$file"
	fi
	unset "LAB_CAPS[$pid]"
}

# ---- UDP echo (who does the server see?) ----------------------------------------------------

_lab_python()
{
	if [ -x /usr/bin/python3 ]; then
		echo /usr/bin/python3
	else
		command -v python3
	fi
}

# lab_udp_echo NODE PORT: UDP server on all addresses (v4 and v6) that answers each datagram
# with "SOURCE-ADDRESS SOURCE-PORT" as it saw them. Returns once it is bound.
lab_udp_echo()
{
	local node=$1 port=$2 py ready=$LAB_TMP/udp-echo-$1-$2.ready
	py=$(_lab_python) || { _lab_fail "lab_udp_echo $node" "python3 not found"; return 1; }
	rm -f "$ready"
	lab_bg "$node" "udp-echo-$node-$port" "$py" -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1])))
open(sys.argv[2], "w").close()
while True:
    data, peer = s.recvfrom(2048)
    host = peer[0][7:] if peer[0].startswith("::ffff:") else peer[0]
    s.sendto(("%s %d" % (host, peer[1])).encode(), peer)
' "$port" "$ready"
	lab_wait "lab_udp_echo $node:$port" 10 test -e "$ready"
}

# lab_udp_ask NODE ADDR PORT: send a datagram from NODE to ADDR:PORT and print the answer
# (the source address and port the echo server saw). Fails if nothing answers within 3 s.
lab_udp_ask()
{
	local node=$1 addr=$2 port=$3 py
	py=$(_lab_python) || { _lab_fail "lab_udp_ask $node" "python3 not found"; return 1; }
	lab_x "$node" "$py" -c '
import socket, sys
addr, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(0.5)
for _ in range(6):
    s.sendto(b"who am i", (addr, port))
    try:
        print(s.recv(2048).decode())
        sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
' "$addr" "$port" || { _lab_fail "lab_udp_ask $node -> $addr:$port" "no answer"; return 1; }
}

# ---- WireGuard ------------------------------------------------------------------------------

# lab_wg_ifname NODE: the tunnel interface name used on NODE: "wg", the lab's id, the node name,
# cut to 15 characters. wireguard-go keeps its control socket in the host-wide
# /var/run/wireguard/IFNAME.sock, so a plain "wg0" would collide between nodes and labs.
lab_wg_ifname()
{
	local id=${LAB_PREFIX#pdl-}
	id=${id%-}
	id=wg${id//-/}$1
	printf '%s\n' "${id:0:15}"
}

# lab_wg_kind: "kernel" if the wireguard module can make an interface, else "wireguard-go".
lab_wg_kind()
{
	printf '%s\n' "${LAB_WG_KIND:-unknown}"
}

# _lab_wg_dev NODE IFNAME: create the tunnel device on NODE (kernel module if it works there,
# else wireguard-go in the foreground, in the background, logging to $LAB_TMP).
_lab_wg_dev()
{
	local node=$1 ifn=$2 ns=$LAB_PREFIX$1 pid
	ip -n "$ns" link del dev "$ifn" 2>/dev/null || true
	if ip -n "$ns" link add name "$ifn" type wireguard 2>/dev/null; then
		LAB_WG_KIND=kernel
		return 0
	fi
	lab_require wireguard-go || return 1
	LAB_WG_KIND=wireguard-go
	LAB_WG_IFS+=("$ifn")
	if [ -S "$LAB_WG_RUNDIR/$ifn.sock" ]; then
		_lab_fail "lab_wg $node" "$LAB_WG_RUNDIR/$ifn.sock exists (another lab with this name?)"
		return 1
	fi
	lab_bg "$node" "wireguard-go-$node" env LOG_LEVEL=error wireguard-go -f "$ifn"
	pid=$LAB_LAST_PID
	lab_wait "lab_wg $node: wireguard-go $ifn" 10 test -S "$LAB_WG_RUNDIR/$ifn.sock" || {
		lab_log "wireguard-go said: $(head -n 3 "$LAB_TMP/wireguard-go-$node.log" | tr '\n' ' ')"
		return 1
	}
	kill -0 "$pid" 2>/dev/null || { _lab_fail "lab_wg $node" "wireguard-go exited"; return 1; }
}

# lab_wg A B [mtu=1420] [port=51820] [ep_a=ADDR] [ep_b=ADDR] [a4=CIDR] [b4=CIDR] [a6=CIDR]
#            [b6=CIDR]
# A WireGuard tunnel between nodes A and B. ep_a/ep_b are the underlay addresses of A and B
# (each side's peer endpoint; IPv6 addresses are bracketed automatically). Keys are made with
# `wg genkey` into $LAB_TMP. Interface names: lab_wg_ifname A / B.
lab_wg()
{
	local a=$1 b=$2 kv mtu=1420 port=51820 ep_a='' ep_b='' a4=10.99.0.1/24 b4=10.99.0.2/24
	local a6=fd00:99::1/64 b6=fd00:99::2/64 step="lab_wg $1-$2" n ifn peer ep addrs
	shift 2
	for kv; do
		case $kv in
		mtu=*) mtu=${kv#*=} ;;
		port=*) port=${kv#*=} ;;
		ep_a=*) ep_a=${kv#*=} ;;
		ep_b=*) ep_b=${kv#*=} ;;
		a4=*) a4=${kv#*=} ;;
		b4=*) b4=${kv#*=} ;;
		a6=*) a6=${kv#*=} ;;
		b6=*) b6=${kv#*=} ;;
		*) _lab_fail "$step" "unknown option '$kv'"; return 1 ;;
		esac
	done
	if [ -z "$ep_a" ] || [ -z "$ep_b" ]; then
		_lab_fail "$step" "ep_a= and ep_b= are required"
		return 1
	fi
	lab_require wg || return 1
	for n in "$a" "$b"; do
		# shellcheck disable=SC2016 # $1 and $2 belong to the inner sh
		_lab_do "$step: wg genkey for $n" sh -c \
			'umask 077; wg genkey >"$1" && wg pubkey <"$1" >"$2"' sh \
			"$LAB_TMP/wg-$n.key" "$LAB_TMP/wg-$n.pub" || return
		_lab_wg_dev "$n" "$(lab_wg_ifname "$n")" || return
	done
	for n in "$a" "$b"; do
		ifn=$(lab_wg_ifname "$n")
		if [ "$n" = "$a" ]; then
			peer=$b ep=$ep_b addrs="${b4%/*}/32,${b6%/*}/128"
		else
			peer=$a ep=$ep_a addrs="${a4%/*}/32,${a6%/*}/128"
		fi
		case $ep in *:*) ep="[$ep]" ;; esac
		_lab_do "$step: wg set on $n" ip netns exec "$LAB_PREFIX$n" wg set "$ifn" \
			private-key "$LAB_TMP/wg-$n.key" listen-port "$port" \
			peer "$(cat "$LAB_TMP/wg-$peer.pub")" endpoint "$ep:$port" \
			allowed-ips "$addrs" || return
		_lab_do "$step: mtu $mtu on $n/$ifn" ip -n "$LAB_PREFIX$n" link set dev "$ifn" \
			mtu "$mtu" || return
		lab_sysctl "$n" "net.ipv6.conf.$ifn.accept_dad=0" || return
		if [ "$n" = "$a" ]; then
			lab_addr "$n" "$ifn" "$a4" "$a6" || return
		else
			lab_addr "$n" "$ifn" "$b4" "$b6" || return
		fi
		_lab_do "$step: $n/$ifn up" ip -n "$LAB_PREFIX$n" link set dev "$ifn" up || return
	done
}
