"""truthcheck.py TUNSNIFF CAPTURES EXPECTED - tunsniff's counts against
tshark's truth, and its findings against the hand-checked pins.

From each truth/<file>.tsv row (tshark 4.0 fields, comma-separated values
outermost first, see captures/README.md) this computes, for the part of
frame.protocols before any icmp/icmpv6/sflow token:
  - the outermost tunnel kind: the token after the first ip/ipv6 (skipping
    IPv6 extension header tokens) is ip/ipv6 (ipip, 6in4, ip6tnl), gre, or
    udp followed by vxlan / wg;
  - WireGuard messages by wg.type;
  - outermost-IP fragments: IPv4 MF or offset, IPv6 fragment header with M
    or offset (the first header of frame.protocols decides the family);
and takes from truth/SUMMARY.md the ICMP frag-needed / PTB counts and the
SYN / SYN-ACK with MSS counts.
"""
import json
import os
import subprocess
import sys

tool, caps, expected_path = sys.argv[1:4]
truth_dir = os.path.join(caps, "truth")
EXT = {"ipv6.hopopts", "ipv6.dstopts", "ipv6.routing", "ipv6.fraghdr", "ipv6.shim6",
       "ipv6.mipv6"}

passed = failed = 0


def check(name, ok, detail):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL %s: %s" % (name, detail))


def summary():
    rows = {}
    with open(os.path.join(truth_dir, "SUMMARY.md")) as f:
        head = None
        for line in f:
            if not line.startswith("| "):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells[0] == "file":
                head = cells
                continue
            if head and not cells[0].startswith("**"):
                rows[cells[0]] = {h: (int(v) if v.isdigit() else 0)
                                  for h, v in zip(head, cells)}
    return rows


def first(v):
    return v.split(",")[0] if v else ""


def truth_counts(fname):
    kinds = {"wireguard": 0, "ip6tnl": 0, "ipip": 0, "6in4": 0, "gre": 0, "vxlan": 0}
    wg = {"1": 0, "2": 0, "3": 0, "4": 0}
    frag4 = frag6 = 0
    with open(os.path.join(truth_dir, fname + ".tsv")) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(head, line.rstrip("\n").split("\t")))
            toks = []
            for t in r["frame.protocols"].split(":"):
                if t in ("icmp", "icmpv6", "sflow"):
                    break
                toks.append(t)
            ips = [i for i, t in enumerate(toks) if t in ("ip", "ipv6")]
            if not ips:
                continue
            o = ips[0]
            rest = [t for t in toks[o + 1:] if t not in EXT]
            nxt = rest[0] if rest else ""
            if nxt in ("ip", "ipv6"):
                kinds["ip6tnl" if toks[o] == "ipv6" else
                      ("ipip" if nxt == "ip" else "6in4")] += 1
            elif nxt == "gre":
                kinds["gre"] += 1
            elif nxt == "udp" and len(rest) > 1 and rest[1] == "vxlan":
                kinds["vxlan"] += 1
            elif nxt == "udp" and len(rest) > 1 and rest[1] == "wg":
                kinds["wireguard"] += 1
                t = first(r.get("wg.type", ""))
                if t in wg:
                    wg[t] += 1
            if toks[o] == "ip":
                if first(r["ip.flags.mf"]) == "1" or first(r["ip.frag_offset"]) not in ("", "0"):
                    frag4 += 1
            elif "ipv6.fraghdr" in toks[o:o + 6]:
                if first(r["ipv6.fraghdr.offset"]) not in ("", "0") or \
                        first(r["ipv6.fraghdr.more"]) in ("1", "True"):
                    frag6 += 1
    return kinds, wg, frag4, frag6


def expected():
    pins = {}
    with open(expected_path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            name, _, kinds = line.partition("\t")
            pins[name] = sorted(k for k in kinds.split(",") if k and k != "-")
    return pins


sums = summary()
pins = expected()
files = sorted(f for f in os.listdir(caps) if f.endswith((".pcap", ".pcapng")))
for fn in files:
    p = subprocess.run([tool, "--json", "-r", os.path.join(caps, fn)], capture_output=True,
                       text=True)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        check(fn, False, "no JSON (exit %d, stderr %r)" % (p.returncode, p.stderr))
        continue
    tot = doc["totals"]
    kinds, wg, f4, f6 = truth_counts(fn)
    s = sums[fn]
    check(fn + " frames", tot["frames"] == s["pkts"], "%d vs %d" % (tot["frames"], s["pkts"]))
    for k, v in kinds.items():
        check(fn + " " + k, tot["tunnelled"][k] == v,
              "tunsniff %d, tshark %d" % (tot["tunnelled"][k], v))
    for t, name in (("1", "initiation"), ("2", "response"), ("3", "cookie_reply"),
                    ("4", "data")):
        check(fn + " wg " + name, tot["wireguard"][name] == wg[t],
              "tunsniff %d, tshark %d" % (tot["wireguard"][name], wg[t]))
    check(fn + " frag-needed", tot["icmp_frag_needed"] == s["ICMP frag-needed"],
          "%d vs %d" % (tot["icmp_frag_needed"], s["ICMP frag-needed"]))
    check(fn + " ptb", tot["icmp6_packet_too_big"] == s["ICMPv6 PTB"],
          "%d vs %d" % (tot["icmp6_packet_too_big"], s["ICMPv6 PTB"]))
    check(fn + " ipv4 frags", tot["ipv4_fragments"] == f4,
          "%d vs %d" % (tot["ipv4_fragments"], f4))
    check(fn + " ipv6 frags", tot["ipv6_fragments"] == f6,
          "%d vs %d" % (tot["ipv6_fragments"], f6))
    check(fn + " syn mss", tot["syn_mss"] == s["SYN+MSS"],
          "%d vs %d" % (tot["syn_mss"], s["SYN+MSS"]))
    check(fn + " synack mss", tot["synack_mss"] == s["SYN/ACK+MSS"],
          "%d vs %d" % (tot["synack_mss"], s["SYN/ACK+MSS"]))
    got = sorted(f["kind"] for f in doc["findings"])
    check(fn + " findings", fn in pins and got == pins[fn],
          "got %s, pinned %s" % (got, pins.get(fn, "nothing (add a line)")))
    exp_rc = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}[doc["verdict"]]
    check(fn + " exit", p.returncode == exp_rc, "exit %d, verdict %s" % (p.returncode,
                                                                        doc["verdict"]))
print("tunsniff-captures: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
