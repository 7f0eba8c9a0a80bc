#!/usr/bin/env python3
# tests/lab/icmpforge.py - forged "fragmentation needed" / "packet too big" errors for the lab.
#
# Specs: RFC 792 and RFC 1191 section 4 (type 3 code 4, next-hop MTU in bytes 6-7), RFC 4443
# section 3.2 (type 2, MTU in bytes 4-7, checksum over the IPv6 pseudo-header, RFC 8200 8.1),
# RFC 5927 (the blind and on-path ICMP attacks this imitates).
#
#   forged frame:  | Ethernet | IP: spoofed src -> victim | ICMP too big, tiny MTU | quote |
#
# Usage: icmpforge.py IFACE VICTIM4 VICTIM6 TARGET4 TARGET6 SPOOF4 SPOOF6 [RATE [VARIANTS]]
# Runs on a node on the path (the lab's r1), on the interface towards the victim.  It reads
# every frame the victim sends towards the target (AF_PACKET) and answers each with forged
# errors whose quote is the probe altered so that it no longer names it:
#   token    the payload's first 16 bytes (mtuprobe's token) changed, ports and ids kept;
#   ident    UDP/TCP source port or ICMP echo sequence changed, quote cut to header + 8;
#   foreign  another destination (TEST-NET-2 / 2001:db8::) and other ports;
#   length   (ICMP and TCP only) the quoted total length changed, all else kept: this one
#            only differs from the probe in the quoted IP header, which a raw socket sees and
#            an error queue (UDP, ping sockets) does not, so leave it out for those;
# VARIANTS is a comma-separated subset (default all four); it also keeps RATE per second
# (default 2000) of blind errors quoting made-up packets from the
# victim to the target with random ports and ids.  MTUs cycle through 68, 296, 552 (IPv4) and
# 1280 (IPv6, the minimum, below every probe above it).  It never quotes a probe unchanged.
# Frames go back out of IFACE to the victim's MAC only, so nothing leaves the lab's
# namespaces.  Prints "ready" once listening; on SIGTERM prints one JSON line of counts.
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
MTUS4 = (68, 296, 552)
MTUS6 = (1280,)
QUOTE4 = 576 - 28       # what a Linux router quotes at most (576-byte error)
QUOTE6 = 1280 - 48

stop = False
counts = {"seen": 0, "sent": 0, "token": 0, "ident": 0, "foreign": 0, "length": 0, "blind": 0}


def on_term(_sig, _frm):
    global stop
    stop = True


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4_header(src, dst, proto, payload_len, ident=None):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len,
                    random.getrandbits(16) if ident is None else ident, 0, 64, proto, 0,
                    src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def fix_ip4_csum(pkt):
    ihl = (pkt[0] & 15) * 4
    h = pkt[:10] + b"\0\0" + pkt[12:ihl]
    return h[:10] + struct.pack("!H", csum(h)) + pkt[12:]


def ptb4(src, dst, mtu, quote):
    body = struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + quote[:QUOTE4]
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    return ip4_header(src, dst, 1, len(body)) + body


def ptb6(src, dst, mtu, quote):
    body = struct.pack("!BBHI", 2, 0, 0, mtu) + quote[:QUOTE6]
    pseudo = src + dst + struct.pack("!IxxxB", len(body), 58)
    body = body[:2] + struct.pack("!H", csum(pseudo + body)) + body[4:]
    return struct.pack("!IHBB16s16s", 0x60000000, len(body), 58, 64, src, dst) + body


class Forger:
    def __init__(self, iface, v4, v6, t4, t6, s4, s6, variants):
        self.variants = set(variants.split(","))
        self.iface = iface
        self.v4, self.v6 = socket.inet_pton(socket.AF_INET, v4), socket.inet_pton(socket.AF_INET6, v6)
        self.t4, self.t6 = socket.inet_pton(socket.AF_INET, t4), socket.inet_pton(socket.AF_INET6, t6)
        self.s4, self.s6 = socket.inet_pton(socket.AF_INET, s4), socket.inet_pton(socket.AF_INET6, s6)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind((iface, 0))
        self.sock.setblocking(False)
        self.victim_mac = None
        self.my_mac = None
        self.n = 0

    def mtu(self, fam):
        self.n += 1
        m = MTUS6 if fam == 6 else MTUS4
        return m[self.n % len(m)]

    def spoof(self, fam):
        # Alternately the router's own address and a random one.
        if self.n % 2:
            return self.s6 if fam == 6 else self.s4
        if fam == 6:
            return b"\x20\x01\x0d\xb8" + os.urandom(12)
        return bytes([203, 0, 113, random.randrange(1, 255)])

    def send(self, fam, ip, kind):
        if not self.victim_mac:
            return
        eth = self.victim_mac + self.my_mac + struct.pack("!H", 0x86DD if fam == 6 else 0x0800)
        try:
            self.sock.send(eth + ip)
        except OSError:
            return
        counts["sent"] += 1
        counts[kind] += 1

    def forge(self, fam, quote, kind):
        if fam == 6:
            self.send(6, ptb6(self.spoof(6), self.v6, self.mtu(6), quote), kind)
        else:
            # The quoted header's checksum as a router would have seen it.
            self.send(4, ptb4(self.spoof(4), self.v4, self.mtu(4), fix_ip4_csum(quote)), kind)

    def on_probe(self, fam, pkt):
        """Forged errors about one probe (pkt: its IP packet), none quoting it unchanged."""
        if fam == 4:
            ihl = (pkt[0] & 15) * 4
            proto, total = pkt[9], struct.unpack("!H", pkt[2:4])[0]
        else:
            ihl, proto, total = 40, pkt[6], 40 + struct.unpack("!H", pkt[4:6])[0]
        l4hdr = {17: 8, 1: 8, 58: 8, 6: 20}.get(proto)
        if l4hdr is None or len(pkt) < ihl + l4hdr + 16:
            return
        icmp = proto in (1, 58)
        b = bytearray(pkt)
        # token: the 16 bytes after the transport header; its cookie word flipped.
        t = bytearray(b)
        for i in range(ihl + l4hdr + 4, ihl + l4hdr + 8):
            t[i] ^= 0xFF
        if "token" in self.variants:
            self.forge(fam, bytes(t), "token")
        # ident: other port / sequence, and only the 8 bytes every router must quote.
        t = bytearray(b)
        if icmp:
            seq = struct.unpack("!H", t[ihl + 6:ihl + 8])[0]
            t[ihl + 6:ihl + 8] = struct.pack("!H", (seq + 0x1234) & 0xFFFF)
        else:
            sport = struct.unpack("!H", t[ihl:ihl + 2])[0]
            t[ihl:ihl + 2] = struct.pack("!H", sport ^ 0x0101)
        if "ident" in self.variants:
            self.forge(fam, bytes(t[:ihl + 8]), "ident")
        # foreign: another destination and other ports.
        t = bytearray(b)
        if fam == 4:
            t[16:20] = bytes([198, 51, 100, random.randrange(1, 255)])
        else:
            t[24:40] = b"\x20\x01\x0d\xb8" + os.urandom(12)
        t[ihl:ihl + 4] = os.urandom(4)
        if "foreign" in self.variants:
            self.forge(fam, bytes(t), "foreign")
        # length: the quoted total length is not the probe's (seen raw: ICMP and TCP).
        if (icmp or proto == 6) and "length" in self.variants:
            t = bytearray(b)
            if fam == 4:
                t[2:4] = struct.pack("!H", total - 4)
            else:
                t[4:6] = struct.pack("!H", total - 40 - 4)
            self.forge(fam, bytes(t), "length")

    def blind(self):
        """An error quoting a made-up packet from the victim to the target."""
        fam = 6 if random.getrandbits(1) else 4
        proto = random.choice((17, 6, 58 if fam == 6 else 1))
        if proto == 17:
            l4 = struct.pack("!HHHH", random.randrange(32768, 61000),
                             random.randrange(33434, 33534), 1372, 0)
        elif proto == 6:
            l4 = struct.pack("!HHIIHHHH", random.randrange(32768, 61000), 80,
                             random.getrandbits(32), 0, 0x5002, 64240, 0, 0)
        else:
            l4 = struct.pack("!BBHHH", 128 if fam == 6 else 8, 0, 0,
                             random.getrandbits(16), random.getrandbits(16))
        l4 += os.urandom(16)
        size = random.randrange(1300, 1501)
        if fam == 4:
            q = ip4_header(self.v4, self.t4, proto, size - 20)
            q = q[:6] + b"\x40\x00" + q[8:] + l4   # DF, as a probe would have
        else:
            q = struct.pack("!IHBB16s16s", 0x60000000, size - 40, proto, 64,
                            self.v6, self.t6) + l4
        self.forge(fam, q, "blind")

    def frame(self, data, pkttype):
        if pkttype == PACKET_OUTGOING or len(data) < 14 + 20:
            return
        etype = struct.unpack("!H", data[12:14])[0]
        ip = data[14:]
        # Any packet from the victim gives the MACs, and the blind stream can start.
        if not self.victim_mac and ((etype == 0x0800 and ip[12:16] == self.v4) or
                                    (etype == 0x86DD and ip[8:24] == self.v6)):
            self.victim_mac, self.my_mac = data[6:12], data[0:6]
            print("armed", flush=True)
        if etype == 0x0800 and ip[12:16] == self.v4 and ip[16:20] == self.t4:
            fam = 4
        elif etype == 0x86DD and len(ip) >= 40 and ip[8:24] == self.v6 and ip[24:40] == self.t6:
            fam = 6
        else:
            return
        self.victim_mac, self.my_mac = data[6:12], data[0:6]
        counts["seen"] += 1
        self.on_probe(fam, ip)

    def run(self, rate):
        period = 1.0 / rate if rate > 0 else None
        next_blind = time.monotonic()
        print("ready", flush=True)
        while not stop:
            now = time.monotonic()
            while period and now >= next_blind:
                self.blind()
                next_blind += period
            timeout = max(0.0, next_blind - now) if period else 0.2
            try:
                r, _, _ = select.select([self.sock], [], [], min(timeout, 0.2))
            except InterruptedError:
                continue
            while r and not stop:
                try:
                    data, addr = self.sock.recvfrom(65535)
                except BlockingIOError:
                    break
                self.frame(data, addr[2])


def main():
    if len(sys.argv) < 8:
        print(__doc__ or "usage: icmpforge.py IFACE V4 V6 T4 T6 S4 S6 [RATE]", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    f = Forger(*sys.argv[1:8], sys.argv[9] if len(sys.argv) > 9 else "token,ident,foreign,length")
    f.run(float(sys.argv[8]) if len(sys.argv) > 8 else 2000.0)
    print(json.dumps(counts), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
