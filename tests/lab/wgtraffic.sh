#!/usr/bin/env bash
# tests/lab/wgtraffic.sh - traffic through the topo_wg tunnel for the tunsniff lab scripts
# (bash, sourced after topo.sh): a TCP sink on the server's tunnel address, a paced TCP
# sender, and WireGuard's outer size of an inner packet.

# wg_outer N M: the outer IPv4 size of an inner packet of N bytes on a WireGuard tunnel of
# MTU M: 20 + 8 + 16 + the plaintext padded to 16 (stopping at M) + the 16-byte tag.
wg_outer()
{
	local n=$1 m=$2 p
	p=$(((n + 15) / 16 * 16))
	[ "$p" -gt "$m" ] && p=$m
	echo $((20 + 8 + 16 + p + 16))
}

# tcp_server: a sink on $TOPO_WG_SERVER4 port 5001 reading every connection to its end.
tcp_server()
{
	lab_bg "$TOPO_SERVER" tcp-sink "$(_lab_python)" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5001)); s.listen(4); print("ready", flush=True)
while True:
    c, _ = s.accept(); c.settimeout(8)
    try:
        while c.recv(65536): pass
    except OSError: pass
    c.close()' "$TOPO_WG_SERVER4"
	lab_wait "tcp sink" 10 grep -q ready "$LAB_TMP/tcp-sink.log"
}

# tcp_send NODE BYTES [GIVEUP]: send to the sink from NODE in 8 kB pieces 10 ms apart (a
# capture with a small buffer keeps up), giving up after GIVEUP seconds (default 4; a black
# hole stalls the transfer).
tcp_send()
{
	lab_x "$1" timeout 8 "$(_lab_python)" -c '
import socket, sys, time
s = socket.create_connection((sys.argv[2], 5001), timeout=float(sys.argv[3]))
try:
    for _ in range(int(sys.argv[1]) // 8192):
        s.sendall(b"x" * 8192); time.sleep(0.01)
except OSError: pass
s.close()' "$2" "$TOPO_WG_SERVER4" "${3:-4}" >/dev/null 2>&1 || true
}
