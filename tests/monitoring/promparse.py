#!/usr/bin/python3
"""tests/monitoring/promparse.py - read a tool's --format prometheus output with
the prometheus_client text parser (Debian python3-prometheus-client) and check
what node_exporter's textfile collector needs beyond what that parser checks.

  promparse.py check FILE          parse; every family has HELP and TYPE, metric
                                   and label names are valid and carry the
                                   pathdiag_ prefix, no series twice, every
                                   series of a family has the same label names
  promparse.py get FILE NAME [K=V...]
                                   the value of the one sample of NAME whose
                                   labels include every K=V (exit 1 if none or
                                   several match)
  promparse.py series FILE         every series, sorted: NAME{k="v",...} one a line
                                   (values left out), to compare two runs' labels
Exits 1 with the reason on stderr when FILE does not pass.
"""
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def fail(msg):
    sys.stderr.write("promparse: %s\n" % msg)
    sys.exit(1)


def load(path):
    text = open(path, encoding="utf-8").read()
    try:
        fams = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser raises ValueError and others
        fail("%s: not valid exposition format: %s" % (path, e))
    return text, fams


def check(path):
    text, fams = load(path)
    if not fams:
        fail("%s: no metrics" % path)
    if not text.endswith("\n"):
        fail("%s: the last line has no newline" % path)
    helped = set(re.findall(r"^# HELP (\S+) ", text, re.M))
    typed = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    seen_fam = set()
    series = set()
    for f in fams:
        if f.name in seen_fam:
            fail("family %s appears twice (its samples must be together)" % f.name)
        seen_fam.add(f.name)
        if not NAME.match(f.name) or not f.name.startswith("pathdiag_"):
            fail("bad metric name %r" % f.name)
        if f.name not in helped or typed.get(f.name) != f.type:
            fail("%s lacks its HELP or TYPE line" % f.name)
        names = None
        for s in f.samples:
            if s.name != f.name:
                fail("sample %s in family %s" % (s.name, f.name))
            for k in s.labels:
                if not LABEL.match(k) or k.startswith("__"):
                    fail("bad label name %r on %s" % (k, s.name))
            key = (s.name, tuple(sorted(s.labels.items())))
            if key in series:
                fail("series %s%s appears twice" % (s.name, dict(s.labels)))
            series.add(key)
            if names is None:
                names = sorted(s.labels)
            elif sorted(s.labels) != names:
                fail("%s: label names %s and %s in one family" %
                     (f.name, names, sorted(s.labels)))
    print("%d families, %d samples" % (len(fams), len(series)))


def get(path, name, kvs):
    _, fams = load(path)
    want = dict(kv.split("=", 1) for kv in kvs)
    hits = [s for f in fams for s in f.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in want.items())]
    if len(hits) != 1:
        fail("%d samples of %s with %s" % (len(hits), name, want))
    v = hits[0].value
    print(int(v) if v == int(v) else repr(v))


def series(path):
    _, fams = load(path)
    out = []
    for f in fams:
        for s in f.samples:
            out.append("%s{%s}" % (s.name, ",".join('%s="%s"' % kv
                                                   for kv in sorted(s.labels.items()))))
    for line in sorted(out):
        print(line)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "get":
        get(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) == 3 and sys.argv[1] == "series":
        series(sys.argv[2])
    else:
        fail("usage: promparse.py check FILE | get FILE NAME [K=V...] | series FILE")


main()
