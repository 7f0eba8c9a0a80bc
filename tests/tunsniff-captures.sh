#!/bin/sh
# tests/tunsniff-captures.sh BUILD_DIR CAPTURES_DIR - tunsniff --json on
# every capture in CAPTURES_DIR (../shared/captures) against tshark's truth:
# the counts are computed here from the per-frame truth/*.tsv (and the
# truth/SUMMARY.md table), never from tunsniff's output; the findings must
# be exactly the kinds pinned in tests/tunsniff/expected.tsv.  Closes with
# "tunsniff-captures: N passed, M failed".
set -u
B=${1:?usage: tests/tunsniff-captures.sh BUILD_DIR CAPTURES_DIR}
C=${2:?usage: tests/tunsniff-captures.sh BUILD_DIR CAPTURES_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
exec python3 "$ROOT/tests/tunsniff/truthcheck.py" "$B/tunsniff" "$C" "$ROOT/tests/tunsniff/expected.tsv"
