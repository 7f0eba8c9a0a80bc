#!/bin/sh
# tests/run-unit.sh BIN... - run each cmocka test binary, show its output,
# and add up the results from cmocka's summary lines:
#   [  PASSED  ] N test(s).
#   [  FAILED  ] N test(s), listed below:
#   [  SKIPPED ] N test(s), listed below:
# A binary that crashes, times out, or exits non-zero without reporting a
# failed test counts as one failed test.  Closes with
# "unit: N passed, M failed" and exits non-zero on any failure.

set -u

# Seconds one binary may take (ASan builds are slower).
UNIT_TIMEOUT=${UNIT_TIMEOUT:-300}

if [ "$#" -eq 0 ]; then
	echo "run-unit.sh: no test binaries given; add tests/unit/test_*.c" >&2
	echo "unit: 0 passed, 0 failed"
	exit 1
fi

log=$(mktemp "${TMPDIR:-/tmp}/pathdiag-unit.XXXXXX")
trap 'rm -f "$log"' EXIT INT TERM

pass=0
fail=0
skip=0
broken=""

# sum_of PATTERN: the sum of the counts on cmocka summary lines matching it.
sum_of() {
	sed -n "s/^\[  $1 *\] \([0-9][0-9]*\) test(s).*/\1/p" "$log" |
		awk '{ s += $1 } END { print s + 0 }'
}

for bin in "$@"; do
	echo "== $bin"
	if [ ! -x "$bin" ]; then
		echo "run-unit.sh: $bin is missing or not executable"
		fail=$((fail + 1))
		broken="$broken $bin"
		continue
	fi
	# Plain text on stdout, whatever the environment asks for; cmocka
	# writes failures to stderr, so both go to the log.
	if command -v timeout >/dev/null 2>&1; then
		CMOCKA_MESSAGE_OUTPUT=stdout timeout "$UNIT_TIMEOUT" "$bin" >"$log" 2>&1
	else
		CMOCKA_MESSAGE_OUTPUT=stdout "$bin" >"$log" 2>&1
	fi
	rc=$?
	cat "$log"

	p=$(sum_of PASSED)
	f=$(sum_of FAILED)
	s=$(sum_of SKIPPED)
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# A crash, a sanitizer report, a timeout (124) or an exit
		# without a summary: the binary itself failed.
		if [ "$rc" -eq 124 ]; then
			echo "run-unit.sh: $bin timed out after ${UNIT_TIMEOUT}s"
		elif [ "$rc" -gt 128 ]; then
			echo "run-unit.sh: $bin died of signal $((rc - 128))"
		else
			echo "run-unit.sh: $bin exited with $rc without a failed test"
		fi
		f=1
	elif [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "run-unit.sh: $bin reported no test result"
		f=1
	fi
	[ "$f" -gt 0 ] && broken="$broken $bin"
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + s))
done

[ -n "$broken" ] && echo "failing:$broken"
if [ "$skip" -gt 0 ]; then
	echo "unit: $pass passed, $fail failed, $skip skipped"
else
	echo "unit: $pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
