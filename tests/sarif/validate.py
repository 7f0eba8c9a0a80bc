#!/usr/bin/env python3
"""validate.py SCHEMA DOCUMENT - validate a JSON document against a JSON Schema
(python3-jsonschema).  Prints every violation and exits 1 when there is one."""
import json
import sys

import jsonschema


def main():
    schema = json.load(open(sys.argv[1]))
    doc = json.load(open(sys.argv[2]))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.path))
    for e in errors:
        print("%s: %s" % ("/".join(str(p) for p in e.path) or "(root)", e.message),
              file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
