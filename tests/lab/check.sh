# shellcheck shell=bash
# tests/lab/check.sh - the check harness every lab test script shares (bash, sourced).
#
# Set CHECK_TAG first ("lab", "probe", ...).  One line per check, "TAG: ok   N name" or
# "TAG: FAIL N name: why", and the counts N_PASS / N_FAIL for the script's closing line
# "TAG: N passed, M failed", which run-unit.sh-style readers and CI look for.

N=0
N_PASS=0
N_FAIL=0
WHY=

ok()
{
	N=$((N + 1))
	N_PASS=$((N_PASS + 1))
	printf '%s: ok   %2d %s\n' "$CHECK_TAG" "$N" "$1"
}

bad()
{
	N=$((N + 1))
	N_FAIL=$((N_FAIL + 1))
	printf '%s: FAIL %2d %s: %s\n' "$CHECK_TAG" "$N" "$1" "$2"
}

# check NAME CMD...: CMD returns 0 to pass; on failure it leaves the reason in WHY.
check()
{
	local name=$1
	shift
	WHY=
	if "$@"; then
		ok "$name"
	else
		bad "$name" "${WHY:-failed}"
	fi
}

# why TEXT...: record why a check failed, and fail.
why()
{
	WHY=$*
	return 1
}

# build NAME CMD...: a fresh lab (lab_begin) with one topology built by CMD; one check line,
# and on failure the lab is removed again and the status is 1.
build()
{
	local name=$1 err
	shift
	err=$(mktemp)
	if ! lab_begin 2>"$err" || ! "$@" 2>"$err"; then
		bad "$name: build" "$(tail -n 1 "$err")"
		rm -f "$err"
		lab_end
		return 1
	fi
	rm -f "$err"
	ok "$name: built"
}

# jget PATH: PATH is a Python subscript on the JSON document in $OUT, e.g. '["tunnels"][0]'.
jget()
{
	python3 -c 'import json, sys
d = json.loads(sys.argv[1])
v = eval("d" + sys.argv[2])
print("null" if v is None else v)' "$OUT" "$1" 2>/dev/null
}

# expect PATH=VALUE... (rc=N for the exit status in $RC): each must hold, else why.
expect()
{
	local kv k v got
	for kv; do
		k=${kv%%=*}
		v=${kv#*=}
		if [ "$k" = rc ]; then got=$RC; else got=$(jget "$k"); fi
		[ "$got" = "$v" ] || { why "$k is '$got', want '$v' (stderr: ${ERR:0:200})"; return; }
	done
}
