#!/usr/bin/env bash
# tests/lab/privs-tests.sh BUILD_DIR - privileges of every mode of the three tools, in
# namespace labs (needs bash and root; docs: PRIVILEGES in mtuprobe(1), tunsniff(1), nattrace(1)).
#
# unpriv (nat topology: client 192.168.1.2 - home (masquerade) - server 203.0.113.10): each mode
#   that needs a capability, run as nobody with no capability at all (setpriv), writes one stderr
#   line naming the capability and what to do and exits 3; with --json the document carries it;
#   the modes that need nothing (mtuprobe -m udp, --peer, check, tunsniff -r) work as nobody.
# root (same topology): each privileged mode started as root is, once set up, user nobody
#   (uid, gid and groups 65534) with no capability (CapEff = CapPrm = CapInh = 0) and
#   no_new_privs, read from /proc/PID/status while it runs; nattrace watch keeps CAP_NET_ADMIN
#   alone (0x1000) for its resync dumps; conntrack and flow still read the table after the change
#   of user. --user daemon, PATHDIAG_USER=daemon, --user root (root without capabilities) and an
#   unknown user (exit 3, one line naming it). A -w capture into a directory only root may
#   write is created, owned by root, and holds every frame tunsniff counted (tcpdump reads it);
#   mtuprobe check and tunsniff -r read root-only files.
# record (vxlan topology): `tunsniff record -i` run as root drops to nobody; its --records file
#   in a root-only directory is complete (an end record, as many packet records as it reports).
# One line per check, then "privs: N passed, M failed"; exit 1 on failure. Without root it
# prints "privs: SKIP" and exits 0 (77 if LAB_STRICT=1).

# Checks are shell code in single quotes that check() evaluates later:
# shellcheck disable=SC2016

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LAB_DIR/../.." && pwd)
BUILD_DIR=${1:-build}
if [ "$(id -u)" != 0 ]; then
	echo "privs: SKIP (needs root for network namespaces)"
	[ "${LAB_STRICT:-0}" = 1 ] && exit 77
	exit 0
fi
# shellcheck source=tests/lab/topo.sh
. "$LAB_DIR/topo.sh"
CHECK_TAG=privs
# shellcheck source=tests/lab/check.sh
. "$LAB_DIR/check.sh"

B=$(cd "$BUILD_DIR" 2>/dev/null && pwd) || { echo "privs: no build dir $BUILD_DIR"; exit 1; }
MP=$B/mtuprobe
TS=$B/tunsniff
NT=$B/nattrace
NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)
DAEMON_UID=$(id -u daemon)
NONE=0000000000000000
NET_ADMIN=0000000000001000 # 1 << CAP_NET_ADMIN (12)
# nobody has nothing to gain: not the root uid, no groups, no capability in any set.
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all
	--bounding-set=-all)
OUT=
ERR=
RC=

# ---- helpers ------------------------------------------------------------------------------------

# as_nobody NODE CMD...: CMD in NODE as nobody without capabilities; OUT, ERR, RC.
as_nobody()
{
	local node=$1 e
	shift
	e=$(mktemp)
	OUT=$(lab_x "$node" "${NOBODY[@]}" timeout 30 "$@" 2>"$e")
	RC=$?
	ERR=$(cat "$e")
	rm -f "$e"
}

# as_root NODE CMD...: the same as root.
as_root()
{
	local node=$1 e
	shift
	e=$(mktemp)
	OUT=$(lab_x "$node" timeout 30 "$@" 2>"$e")
	RC=$?
	ERR=$(cat "$e")
	rm -f "$e"
}

# t_err RC LINE: exit status RC and exactly LINE on stderr, nothing more.
t_err()
{
	[ "$RC" = "$1" ] || { why "exit $RC, want $1 (stderr: ${ERR:0:200})"; return; }
	[ "$ERR" = "$2" ] || why "stderr '$ERR', want '$2'"
}

# t_has RC TEXT...: exit status RC and each TEXT in stderr, which is one line.
t_has()
{
	local rc=$1 w
	shift
	[ "$RC" = "$rc" ] || { why "exit $RC, want $rc (stderr: ${ERR:0:200})"; return; }
	[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || { why "stderr is not one line: $ERR"; return; }
	for w; do
		[[ $ERR == *"$w"* ]] || { why "stderr '$ERR' lacks '$w'"; return; }
	done
}

# field PID NAME [N]: field N (default 1) after "NAME:" in /proc/PID/status.
field()
{
	awk -v k="$2:" -v n="${3:-1}" '$1 == k { print $(n + 1) }' "/proc/$1/status" 2>/dev/null
}

# dropped PID: the tool has set no_new_privs, which every drop does just before capset; a
# moment later the change of user and capabilities is complete.
dropped()
{
	[ "$(field "$1" NoNewPrivs)" = 1 ]
}

# t_status PID UID GID CAPS: the running process is UID/GID in all four (real, effective,
# saved, filesystem), has only CAPS in its effective and permitted sets, none inheritable,
# no_new_privs set; for nobody, no supplementary group but its own.
t_status()
{
	local pid=$1 uid=$2 gid=$3 caps=$4 i f
	lab_wait "drop in $pid" 10 dropped "$pid" 2>/dev/null ||
		{ why "no_new_privs never set (pid $pid: $(head -c 200 "/proc/$pid/status" 2>/dev/null))"; return; }
	sleep 0.3
	for i in 1 2 3 4; do
		f=$(field "$pid" Uid "$i")
		[ "$f" = "$uid" ] || { why "Uid field $i is '$f', want $uid"; return; }
		f=$(field "$pid" Gid "$i")
		[ "$f" = "$gid" ] || { why "Gid field $i is '$f', want $gid"; return; }
	done
	for f in CapEff CapPrm; do
		[ "$(field "$pid" "$f")" = "$caps" ] ||
			{ why "$f is '$(field "$pid" "$f")', want $caps"; return; }
	done
	[ "$(field "$pid" CapInh)" = "$NONE" ] || { why "CapInh is '$(field "$pid" CapInh)'"; return; }
	if [ "$uid" = "$NOBODY_UID" ]; then
		f=$(awk '$1 == "Groups:" { $1 = ""; print }' "/proc/$pid/status" | tr -d ' ')
		[ -z "$f" ] || [ "$f" = "$NOBODY_GID" ] || why "supplementary groups '$f'"
	fi
}

# stop PID: SIGTERM, then wait; RC is its exit status.
stop()
{
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	RC=$?
}

# running NAME UID GID CAPS NODE CMD...: start CMD as root in NODE, check its status while it
# runs (one check line), then stop it; its log is $LAB_TMP/NAME.log, its exit status $RC.
running()
{
	local name=$1 uid=$2 gid=$3 caps=$4 node=$5
	shift 5
	lab_bg "$node" "$name" "$@"
	PID=$LAB_LAST_PID
	check "root: $name: runs as uid $uid, caps $caps, no_new_privs" \
		t_status "$PID" "$uid" "$gid" "$caps"
	[ -n "${KEEP_RUNNING:-}" ] || stop "$PID"
}

# ---- unprivileged -----------------------------------------------------------------------------

RAW_TCP="mtuprobe: TCP probes need raw sockets (CAP_NET_RAW); --method udp works without privileges (permission denied)"
RAW_ICMP="mtuprobe: ICMP probes need ping sockets (net.ipv4.ping_group_range) or raw sockets (CAP_NET_RAW); --method udp works without privileges (permission denied)"
CT_ERR="nattrace: reading conntrack needs CAP_NET_ADMIN; run as root or with CAP_NET_ADMIN in this network namespace"
PATH_ERR="nattrace: path mode sends raw packets and needs CAP_NET_RAW; run as root or grant it (setcap cap_net_raw+ep nattrace)"

sec_unpriv()
{
	local s=$TOPO_SERVER4 cfg
	# No ping sockets for anybody: ICMP needs CAP_NET_RAW.
	lab_sysctl client "net.ipv4.ping_group_range=1 0"

	as_nobody client "$MP" -m icmp "$s"
	check "nobody: mtuprobe -m icmp: CAP_NET_RAW or ping sockets, exit 3" t_err 3 "$RAW_ICMP"
	as_nobody client "$MP" -m tcp -p 80 "$s"
	check "nobody: mtuprobe -m tcp: CAP_NET_RAW, exit 3" t_err 3 "$RAW_TCP"
	as_nobody client "$MP" --hops -m tcp -p 80 "$s"
	check "nobody: mtuprobe --hops -m tcp: CAP_NET_RAW, exit 3" t_err 3 "$RAW_TCP"
	as_nobody client "$MP" -6 -m tcp -p 80 "$TOPO_SERVER6"
	check "nobody: mtuprobe -6 -m tcp: CAP_NET_RAW, exit 3" t_err 3 "$RAW_TCP"
	as_nobody client "$MP" --json -m tcp -p 80 "$s"
	check "nobody: mtuprobe --json -m tcp: the document names CAP_NET_RAW, exit 3" eval \
		'[ "$RC" = 3 ] && [ -z "$ERR" ] && [[ $(jget "[\"error\"]") == *CAP_NET_RAW* ]] ||
			why "exit $RC, error $(jget "[\"error\"]"), stderr $ERR"'
	as_nobody client "$MP" -m udp "$s"
	check "nobody: mtuprobe -m udp needs nothing (exit 0)" eval \
		'[ "$RC" = 0 ] || why "exit $RC: $ERR"'
	as_nobody server "$MP" serve -p 80
	check "nobody: mtuprobe serve -p 80: CAP_NET_BIND_SERVICE, exit 3" t_has 3 \
		"mtuprobe: cannot serve on port 80" "CAP_NET_BIND_SERVICE" \
		"run as root or choose a port from 1024 up"
	# The responder as nobody too: --peer needs nothing on either side.
	lab_bg server serve-nobody "${NOBODY[@]}" "$MP" serve -p 20551
	lab_wait "serve up" 5 lab_x server ss -Hlun sport = :20551
	as_nobody client "$MP" --peer -p 20551 "$s"
	check "nobody: mtuprobe --peer against serve run by nobody (exit 0)" eval \
		'[ "$RC" = 0 ] || why "exit $RC: $ERR"'
	as_nobody client "$NT" --peer --peer-port 20551 "$s"
	check "nobody: nattrace --peer needs nothing (exit 0..2, not 3)" eval \
		'[ "$RC" -le 2 ] || why "exit $RC: $ERR"'
	stop "$LAB_LAST_PID"
	cfg=$ROOT/tests/configs/000-client.conf
	as_nobody client "$MP" check "$cfg"
	check "nobody: mtuprobe check needs nothing (exit 0..2)" eval \
		'[ "$RC" -le 2 ] || why "exit $RC: $ERR"'
	as_nobody client "$TS" -i home -c 1
	check "nobody: tunsniff -i: CAP_NET_RAW, exit 3" t_err 3 \
		"tunsniff: home: capturing on an interface needs CAP_NET_RAW (run as root or grant the capability)"
	as_nobody client "$TS" --json -i home -c 1
	check "nobody: tunsniff --json -i: the document names CAP_NET_RAW, exit 3" eval \
		'[ "$RC" = 3 ] && [ -z "$ERR" ] && [[ $(jget "[\"error\"]") == *CAP_NET_RAW* ]] ||
			why "exit $RC, error $(jget "[\"error\"]"), stderr $ERR"'
	as_nobody client "$TS" record -i home -c 1 --records /tmp/pathdiag-privs-never.rec
	check "nobody: tunsniff record -i: CAP_NET_RAW, exit 3, no file" eval \
		't_err 3 "tunsniff: capturing on home needs CAP_NET_RAW; run as root or grant tunsniff that capability" &&
			{ [ ! -e /tmp/pathdiag-privs-never.rec ] || why "record file created"; }'
	as_nobody client "$NT" "$s"
	check "nobody: nattrace HOST: CAP_NET_RAW, exit 3" t_err 3 "$PATH_ERR"
	as_nobody client "$NT" --tcp "$s"
	check "nobody: nattrace --tcp HOST: CAP_NET_RAW, exit 3" t_err 3 "$PATH_ERR"
	as_nobody home "$NT" conntrack
	check "nobody: nattrace conntrack: CAP_NET_ADMIN, exit 3" t_err 3 "$CT_ERR"
	as_nobody home "$NT" watch -c 1
	check "nobody: nattrace watch: CAP_NET_ADMIN, exit 3" t_err 3 "$CT_ERR"
	as_nobody home "$NT" flow 192.168.1.2 "$s"
	check "nobody: nattrace flow: the conntrack finding names CAP_NET_ADMIN and --no-conntrack, exit 3" \
		eval '[ "$RC" = 3 ] && [[ $OUT == *"CAP_NET_ADMIN"*"--no-conntrack"* ]] ||
			why "exit $RC: ${OUT:0:300}"'
	as_nobody home "$NT" flow --no-conntrack 192.168.1.2 "$s"
	check "nobody: nattrace flow --no-conntrack needs nothing (exit 0..2)" eval \
		'[ "$RC" -le 2 ] || why "exit $RC: ${OUT:0:300} $ERR"'
}

# ---- root -------------------------------------------------------------------------------------

sec_root()
{
	local s=$TOPO_SERVER4 ro=$LAB_TMP/rootonly n
	mkdir -m 700 "$ro"
	lab_sysctl client "net.ipv4.ping_group_range=1 0"

	# The responder: as nobody with nothing, and it still serves.
	KEEP_RUNNING=1 running serve "$NOBODY_UID" "$NOBODY_GID" "$NONE" server "$MP" serve -p 20550
	as_root client "$MP" --peer -p 20550 "$s"
	check "root: mtuprobe --peer against the responder now nobody (exit 0)" eval \
		'[ "$RC" = 0 ] || why "exit $RC: $ERR"'
	stop "$PID"
	check "root: serve stopped by SIGTERM reports what it served (exit 0)" eval \
		'[ "$RC" = 0 ] && grep -q "^served on port 20550: [1-9]" "$LAB_TMP/serve.log" ||
			why "exit $RC: $(tail -n 1 "$LAB_TMP/serve.log")"'

	# Probes toward an address nobody has (the home router's ARP gives up after seconds):
	# long enough to look at the process once its sockets are open.
	running "mtuprobe -m icmp" "$NOBODY_UID" "$NOBODY_GID" "$NONE" client \
		"$MP" -m icmp 203.0.113.99
	running "mtuprobe -m tcp" "$NOBODY_UID" "$NOBODY_GID" "$NONE" client \
		"$MP" -m tcp -p 80 203.0.113.99
	running "mtuprobe --hops" "$NOBODY_UID" "$NOBODY_GID" "$NONE" client \
		"$MP" --hops -m icmp 203.0.113.99
	running "nattrace HOST" "$NOBODY_UID" "$NOBODY_GID" "$NONE" client \
		"$NT" --wait 2 203.0.113.99
	running "nattrace watch" "$NOBODY_UID" "$NOBODY_GID" "$NET_ADMIN" home "$NT" watch -G 10
	running "tunsniff -i" "$NOBODY_UID" "$NOBODY_GID" "$NONE" client "$TS" -i home -G 10

	# The user: --user, PATHDIAG_USER, --user root, an unknown user.
	running "serve --user daemon" "$DAEMON_UID" "$(id -g daemon)" "$NONE" server \
		"$MP" serve --user daemon -p 20552
	running "serve PATHDIAG_USER=daemon" "$DAEMON_UID" "$(id -g daemon)" "$NONE" server \
		env PATHDIAG_USER=daemon "$MP" serve -p 20553
	running "serve -Z root" 0 0 "$NONE" server "$MP" -Z root serve -p 20554
	running "serve --user nobody beats PATHDIAG_USER" "$NOBODY_UID" "$NOBODY_GID" "$NONE" \
		server env PATHDIAG_USER=daemon "$MP" serve --user nobody -p 20555
	as_root server "$MP" serve --user pathdiag-no-such-user -p 20556
	check "root: --user of an unknown user: one line naming it, exit 3" t_err 3 \
		"mtuprobe: cannot drop privileges: user 'pathdiag-no-such-user' does not exist; give an existing user with --user USER (or --user root to stay root)"

	# Conntrack read after the change of user: CAP_NET_ADMIN went along.
	lab_x client ping -c 1 -W 1 "$s" >/dev/null
	as_root home "$NT" conntrack --count
	check "root: nattrace conntrack dumps as nobody with CAP_NET_ADMIN (exit 0)" eval \
		'[ "$RC" = 0 ] || why "exit $RC: $ERR"'
	as_root home "$NT" flow 192.168.1.2 "$s"
	check "root: nattrace flow reads conntrack before dropping (no unread finding)" eval \
		'[[ $OUT != *"conntrack: not read"* ]] && [ "$RC" -le 2 ] ||
			why "exit $RC: ${OUT:0:300}"'

	# Files: created or read with root's rights, then used as nobody.
	KEEP_RUNNING=1 running "tunsniff -i -w" "$NOBODY_UID" "$NOBODY_GID" "$NONE" client \
		"$TS" --json -i home -G 3 -w "$ro/cap.pcap" icmp
	lab_x client ping -c 5 -i 0.2 -W 1 "$s" >/dev/null
	wait "$PID"
	RC=$?
	OUT=$(cat "$LAB_TMP/tunsniff -i -w.log")
	n=$(tcpdump -nr "$ro/cap.pcap" 2>/dev/null | wc -l)
	check "root: tunsniff -w into a root-only directory: created, owned by root, holds every frame" \
		eval '[ "$RC" = 0 ] || { why "exit $RC: ${OUT:0:200}"; return; }
			[ "$(stat -c %u "$ro/cap.pcap")" = 0 ] || { why "owner $(stat -c %u "$ro/cap.pcap")"; return; }
			[ "$n" -ge 10 ] && [ "$n" = "$(jget "[\"totals\"][\"frames\"]")" ] ||
				why "tcpdump reads $n frames, tunsniff counted $(jget "[\"totals\"][\"frames\"]")"'
	as_root client "$TS" -r "$ro/cap.pcap"
	check "root: tunsniff -r of a root-only file (opened before the drop)" eval \
		'[ "$RC" -le 2 ] || why "exit $RC: $ERR"'
	cp "$ROOT/tests/configs/000-client.conf" "$ro/wg0.conf"
	chmod 600 "$ro/wg0.conf"
	as_root client "$MP" check "$ro/wg0.conf"
	check "root: mtuprobe check of a root-only file (read before the drop)" eval \
		'[ "$RC" -le 2 ] || why "exit $RC: $ERR ${OUT:0:200}"'
}

# ---- record -----------------------------------------------------------------------------------

# rec_check FILE: "N" packet records when FILE has the record magic and ends with an end
# record (docs/records.md), else "bad: why".
rec_check()
{
	python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
if d[:8] != b"PDTUNREC":
    print("bad: no record magic"); sys.exit()
hl, rl = struct.unpack_from("<HH", d, 12)
n, end = 0, False
for off in range(hl, len(d) - rl + 1, rl):
    n += d[off] == 1
    end = d[off] == 3
print(n if end else "bad: no end record last")' "$1"
}

sec_record()
{
	local ro=$LAB_TMP/rootonly got
	mkdir -m 700 "$ro"
	KEEP_RUNNING=1 running "tunsniff record -i" "$NOBODY_UID" "$NOBODY_GID" "$NONE" a \
		"$TS" record --json -i "$TOPO_A_IF" -G 3 --records "$ro/x.rec"
	lab_x a python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20):
    s.sendto(b"x" * 200, ("10.98.0.2", 9)); time.sleep(0.02)'
	wait "$PID"
	RC=$?
	OUT=$(cat "$LAB_TMP/tunsniff record -i.log")
	got=$(rec_check "$ro/x.rec")
	check "root: record --records into a root-only directory: complete, every record reported" \
		eval '[ "$RC" = 0 ] || { why "exit $RC: ${OUT:0:200}"; return; }
			[ "$(stat -c %u "$ro/x.rec")" = 0 ] || { why "owner not root"; return; }
			[ "$got" -ge 20 ] 2>/dev/null && [ "$got" = "$(jget "[\"records\"][\"written\"]")" ] ||
				why "file: $got packet records, reported $(jget "[\"records\"][\"written\"]")"'
}

# ---- main -------------------------------------------------------------------------------------

for t in "$MP" "$TS" "$NT"; do
	[ -x "$t" ] || { echo "privs: $t missing (make BUILD=$BUILD_DIR all)"; exit 1; }
done
lab_require setpriv tcpdump python3 ss || exit 1
if build "nat" topo_nat; then
	sec_unpriv
	sec_root
	lab_end
fi
if build "vxlan" topo_vxlan; then
	sec_record
	lab_end
fi
echo "privs: $N_PASS passed, $N_FAIL failed"
[ "$N_FAIL" = 0 ]
