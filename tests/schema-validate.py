#!/usr/bin/env python3
"""tests/schema-validate.py - validate tool output against docs/schema/ (JSON Schema 2020-12).

Usage: schema-validate.py --schemas DIR [--strict] OUTDIR
       schema-validate.py --schemas DIR [--strict] --schema NAME FILE...

OUTDIR holds one directory per schema (mtuprobe, tunsniff-correlate, ...), each with
documents NAME.json (NAME.ndjson-style files of the nattrace-watch schema hold one document
per line) and optionally NAME.rc, the exit status of the run: the document's exit_code must
equal it.  Every schema file is first checked against the 2020-12 meta-schema.

--strict closes every object schema that lists properties (unevaluatedProperties: false), so
a member the schema does not describe is an error; the published schemas stay open so that
fields added later (which do not raise schema_version) do not break consumers.

After the documents, a self-check mutates valid documents of every schema (a wrong type, a
verdict outside its enum, a required member removed, an undescribed member added in strict
mode; for mtuprobe check also its findings' fix and file) and counts a failure for every mutation the schema accepts.

One line per check, "schema: ok ..." or "schema: FAIL ...", then "schema: N passed, M failed";
exit 1 on any failure.  Needs python3-jsonschema (Debian 12: 4.10).
"""
import argparse
import copy
import json
import os
import sys

from jsonschema import Draft202012Validator, FormatChecker

try:  # jsonschema >= 4.18 resolves $ref through `referencing`
    from referencing import Registry, Resource
except ImportError:  # Debian 12's 4.10
    Registry = None
    from jsonschema import RefResolver

NDJSON_SCHEMAS = {"nattrace-watch"}
PASS = 0
FAIL = 0


def ok(msg):
    global PASS
    PASS += 1
    print("schema: ok   " + msg)


def bad(msg):
    global FAIL
    FAIL += 1
    print("schema: FAIL " + msg)


def is_object_schema(node):
    t = node.get("type")
    return t == "object" or (isinstance(t, list) and "object" in t)


def close_objects(node, bases):
    """Strict mode: an object schema that lists properties allows no other member.  A base
    definition (x-pathdiag-base: the common report, a value) stays open, since schemas extend
    it; the schema that references it is closed instead, and sees its members through $ref."""
    if isinstance(node, dict):
        for v in node.values():
            close_objects(v, bases)
        if "unevaluatedProperties" in node or "additionalProperties" in node:
            return
        ref = node.get("$ref", "")
        if node.get("x-pathdiag-base"):
            return
        if (is_object_schema(node) and "properties" in node) or \
                ref.rsplit("/", 1)[-1] in bases:
            node["unevaluatedProperties"] = False
    elif isinstance(node, list):
        for v in node:
            close_objects(v, bases)


def load_schemas(directory, strict):
    schemas = {}
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".schema.json"):
            continue
        path = os.path.join(directory, name)
        try:
            with open(path, encoding="utf-8") as f:
                s = json.load(f)
            Draft202012Validator.check_schema(s)
        except Exception as e:  # noqa: BLE001 - any failure is reported as such
            bad("%s: not a valid 2020-12 schema: %s" % (name, str(e).splitlines()[0]))
            continue
        ok("%s is a valid 2020-12 schema" % name)
        schemas[name[:-len(".schema.json")]] = s
    if strict:
        bases = set()
        for s in schemas.values():
            for k, d in s.get("$defs", {}).items():
                if isinstance(d, dict) and d.get("x-pathdiag-base"):
                    bases.add(k)
        for s in schemas.values():
            close_objects(s, bases)
    return schemas


def make_validators(schemas):
    by_id = {s["$id"]: s for s in schemas.values()}
    out = {}
    if Registry is not None:
        reg = Registry().with_resources(
            [(i, Resource.from_contents(s)) for i, s in by_id.items()])
        for name, s in schemas.items():
            out[name] = Draft202012Validator(s, registry=reg, format_checker=FormatChecker())
    else:
        for name, s in schemas.items():
            res = RefResolver.from_schema(s, store=by_id)
            out[name] = Draft202012Validator(s, resolver=res, format_checker=FormatChecker())
    return out


def errors(validator, doc):
    errs = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(root)",
                        e.message[:300]) for e in errs]


def documents(path, schema):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if schema in NDJSON_SCHEMAS:
        lines = [ln for ln in text.split("\n") if ln.strip()]
        if not text.endswith("\n"):
            raise ValueError("the last line is not terminated")
        return [json.loads(ln) for ln in lines]
    return [json.loads(text)]


def check_file(validators, schema, path, samples):
    rel = "%s/%s" % (schema, os.path.basename(path))
    try:
        docs = documents(path, schema)
    except ValueError as e:
        bad("%s: not JSON: %s" % (rel, e))
        return
    if not docs:
        bad("%s: empty output" % rel)
        return
    rc_path = path[:-len(".json")] + ".rc"
    rc = None
    if os.path.exists(rc_path):
        with open(rc_path, encoding="utf-8") as f:
            rc = int(f.read().strip())
    problems = []
    for i, d in enumerate(docs):
        where = "line %d: " % (i + 1) if len(docs) > 1 else ""
        problems += [where + e for e in errors(validators[schema], d)]
    last = docs[-1]
    if rc is not None and isinstance(last, dict) and last.get("exit_code") != rc:
        problems.append("exit_code %r, but the run exited %d" % (last.get("exit_code"), rc))
    if problems:
        bad("%s: %s" % (rel, "; ".join(problems[:5])))
    else:
        what = "%d lines" % len(docs) if len(docs) > 1 else \
            "verdict %s" % (last.get("verdict") if isinstance(last, dict) else "?")
        ok("%s valid (%s)" % (rel, what))
        samples.setdefault(schema, []).extend(docs)


def mutations(doc, strict):
    """Broken copies of a valid document, each with what was broken."""
    if not isinstance(doc, dict):
        return
    for key in ("exit_code", "schema_version"):
        if key in doc:
            d = copy.deepcopy(doc)
            d[key] = str(d[key])
            yield d, "%s as a string" % key
    if "verdict" in doc:
        d = copy.deepcopy(doc)
        d["verdict"] = "FINE"
        yield d, "verdict FINE"
    for key in ("tool", "findings", "type"):
        if key in doc:
            d = copy.deepcopy(doc)
            del d[key]
            yield d, "%s removed" % key
    if doc.get("findings"):
        d = copy.deepcopy(doc)
        d["findings"][0]["severity"] = "fatal"
        yield d, "finding severity fatal"
    # mtuprobe check: per-file facts in files[], findings with a fix.
    files = doc.get("files")
    if isinstance(files, list) and files and isinstance(files[0], dict):
        d = copy.deepcopy(doc)
        d["files"][0].pop("mtu", None)
        yield d, "files[0].mtu removed"
        if doc.get("findings") and "fix_kind" in doc["findings"][0]:
            d = copy.deepcopy(doc)
            d["findings"][0]["fix_kind"] = "append"
            yield d, "check finding fix_kind append"
            d = copy.deepcopy(doc)
            del d["findings"][0]["file"]
            yield d, "check finding file removed"
            if strict:
                d = copy.deepcopy(doc)
                d["findings"][0]["undocumented_member"] = 1
                yield d, "an undescribed member in a check finding"
    if strict:
        d = copy.deepcopy(doc)
        d["undocumented_member"] = 1
        yield d, "an undescribed member"


def self_check(validators, samples, strict):
    for schema in sorted(validators):
        docs = samples.get(schema)
        if not docs:
            continue
        tried = accepted = 0
        # The first document and, for NDJSON, one of every line type.
        picks = [docs[0]]
        seen = set()
        for d in docs:
            t = d.get("type") if isinstance(d, dict) else None
            if t and t not in seen:
                seen.add(t)
                picks.append(d)
        notes = []
        for d in picks:
            for m, what in mutations(d, strict):
                tried += 1
                if not errors(validators[schema], m):
                    accepted += 1
                    notes.append(what)
        if accepted:
            bad("self-check %s: %d of %d broken documents accepted (%s)"
                % (schema, accepted, tried, ", ".join(notes[:4])))
        else:
            ok("self-check %s: all %d broken documents rejected" % (schema, tried))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--schemas", required=True)
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--schema")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()

    validators = make_validators(load_schemas(a.schemas, a.strict))
    samples = {}
    if a.schema:
        if a.schema not in validators:
            bad("no schema %s" % a.schema)
        else:
            for p in a.paths:
                check_file(validators, a.schema, p, samples)
    else:
        outdir = a.paths[0]
        for schema in sorted(os.listdir(outdir)):
            if schema not in validators:
                bad("%s: no schema docs/schema/%s.schema.json" % (schema, schema))
                continue
            d = os.path.join(outdir, schema)
            for f in sorted(os.listdir(d)):
                if f.endswith(".json"):
                    check_file(validators, schema, os.path.join(d, f), samples)
        self_check(validators, samples, a.strict)
    setup = int(os.environ.get("SCHEMA_SETUP_FAIL", "0") or 0)
    print("schema: %d passed, %d failed" % (PASS, FAIL + setup))
    return 1 if FAIL + setup else 0


if __name__ == "__main__":
    sys.exit(main())
