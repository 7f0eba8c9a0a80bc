#!/bin/sh
# run.sh - run the libFuzzer targets over their corpora and over seeds cut
# from real captures (see tests/fuzz/README.md).
#
#   run.sh smoke RUNS CAPTURES BIN...     each target for RUNS executions
#   run.sh long SECONDS CAPTURES BIN...   each target for SECONDS, then merge
#                                         new coverage into its corpus
#   run.sh minimize BIN CRASH LABEL       shrink a crashing input and keep it
#                                         as tests/fuzz/regress/NAME-LABEL.bin
#
# For each target fuzz_NAME: first every tests/fuzz/regress/NAME-*.bin is
# run once (a fixed crash must stay fixed), then libFuzzer runs over a
# scratch dir (new inputs), tests/fuzz/corpus/NAME and the seeds generated
# from CAPTURES into BINDIR/seeds/NAME.  Prints executions, coverage (cov:
# and ft: from libFuzzer's last status line) and crashes per target; a
# crashing input is kept in BINDIR/artifacts/NAME-crash-*.  Ends with
# "fuzz: N passed, M failed" and exits non-zero if any target failed.
#
# Environment: FUZZ_JOBS (targets run at once, default 1), FUZZ_RUNS (long
# mode: also stop after this many executions), FUZZ_SEED_FRAMES (frames per
# capture to cut seeds from, default 200), FUZZ_FLAGS (extra libFuzzer
# flags), PD_FUZZ_LAX=1 (only structural checks, see fuzz_common.h).
set -u
# Byte-wise text handling: libFuzzer logs quote raw input bytes.
LC_ALL=C
export LC_ALL

die() {
	echo "run.sh: $*" >&2
	exit 2
}

here=$(dirname "$0")

if [ "${1:-}" = minimize ]; then
	[ $# -eq 4 ] || die "usage: run.sh minimize BIN CRASH LABEL"
	name=$(basename "$2")
	out=$here/regress/${name#fuzz_}-$4.bin
	mkdir -p "$here/regress"
	"$2" -minimize_crash=1 -runs=200000 -exact_artifact_path="$out" "$3" \
		>"$out.log" 2>&1
	if [ -f "$out" ]; then
		echo "kept $out ($(wc -c <"$out") bytes); stack trace:"
		"$2" "$out" 2>&1 | grep -a -E 'contract broken|ERROR:|runtime error|^ +#[0-9]' |
			grep -v -E 'libFuzzer|fuzzer::|libc|_start' | head -20
		rm -f "$out.log"
		exit 0
	fi
	echo "minimize failed, see $out.log" >&2
	exit 1
fi

[ $# -ge 4 ] || die "usage: run.sh smoke RUNS|long SECONDS CAPTURES BIN..."
mode=$1
amount=$2
captures=$3
shift 3
case $mode in
smoke | long) ;;
*) die "unknown mode '$mode' (smoke or long)" ;;
esac
case $amount in
'' | *[!0-9]*) die "'$amount' is not a number" ;;
esac

bindir=$(dirname "$1")
seeds=$bindir/seeds
art=$bindir/artifacts
work=$bindir/work
logs=$bindir/logs
jobs=${FUZZ_JOBS:-1}
mkdir -p "$seeds" "$art" "$work" "$logs" || exit 2

# Sanitizers: any report is fatal (the targets are built with
# -fno-sanitize-recover=all), with a stack trace for UBSan too.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:check_initialization_order=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS

# ---- seeds ----------------------------------------------------------------
# tshark's PDML says where each protocol header starts; keep "frame name pos".
pdml_layers() {
	tshark -n -r "$1" -c "$2" -o ip.defragment:FALSE -o ipv6.defragment:FALSE \
		-o tcp.desegment_tcp_streams:FALSE -T pdml 2>/dev/null |
		awk '/^ *<packet>/ { n++ }
		/<proto name="/ {
			if (!match($0, /name="[^"]*"/)) next
			name = substr($0, RSTART + 6, RLENGTH - 7)
			if (!match($0, / pos="[0-9]+"/)) next
			print n, name, substr($0, RSTART + 6, RLENGTH - 7)
		}'
}

gen_seeds() {
	sg=$bindir/seedgen
	stamp=$seeds/.stamp
	frames=${FUZZ_SEED_FRAMES:-200}

	if [ ! -x "$sg" ] || [ -n "$(find "$here/seedgen.c" -newer "$sg")" ]; then
		cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o "$sg" \
			"$here/seedgen.c" -lpcap || {
			echo "fuzz: cannot build seedgen; corpora only"
			return 0
		}
	fi
	if [ ! -d "$captures" ]; then
		echo "fuzz: no capture directory '$captures'; corpora only"
		return 0
	fi
	if [ -f "$stamp" ] && [ -z "$(find "$captures" "$sg" -newer "$stamp" \
		-type f 2>/dev/null | head -1)" ]; then
		return 0
	fi
	find "$seeds" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
	if command -v tshark >/dev/null 2>&1; then
		layers=$seeds/.layers
	else
		echo "fuzz: no tshark: IP-level seeds only for the deeper targets"
		layers=
	fi
	find "$captures" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' \
		-o -name '*.cap' \) | sort | while IFS= read -r cap; do
		if [ -n "$layers" ]; then
			pdml_layers "$cap" "$frames" >"$layers"
			"$sg" -n "$frames" -l "$layers" "$seeds" "$cap" >/dev/null
		else
			"$sg" -n "$frames" "$seeds" "$cap" >/dev/null
		fi || echo "fuzz: seedgen failed on $cap"
	done
	rm -f "$seeds/.layers"
	touch "$stamp"
	echo "fuzz: $(find "$seeds" -type f ! -name '.*' | wc -l) seeds from $captures"
}

# ---- one target ------------------------------------------------------------
# Writes one result line to $logs/NAME.result:
#   status execs seconds cov ft corpus_files corpus_kb crashes note
run_target() {
	bin=$1
	name=$(basename "$bin")
	name=${name#fuzz_}
	corpus=$here/corpus/$name
	log=$logs/$name.log
	res=$logs/$name.result
	crashes=0
	note=-

	: >"$log"
	if [ ! -x "$bin" ]; then
		echo "FAIL 0 0 0 0 0 0 0 not-built" >"$res"
		return
	fi
	mkdir -p "$corpus"
	rm -rf "${work:?}/${name:?}"
	mkdir -p "$work/$name"

	# Regressions first: each saved reproducer must now pass.
	regs=$(find "$here/regress" -maxdepth 1 -type f -name "$name-*.bin" \
		2>/dev/null | sort)
	if [ -n "$regs" ]; then
		echo "== regressions" >>"$log"
		# shellcheck disable=SC2086
		if ! "$bin" $regs >>"$log" 2>&1; then
			crashes=$((crashes + 1))
			note="regression:$(grep -a -o 'Running: [^ ]*' "$log" | tail -1 |
				sed 's/Running: //')"
		fi
	fi

	dirs=$corpus
	[ -d "$seeds/$name" ] && dirs="$dirs $seeds/$name"
	if [ "$mode" = smoke ]; then
		limit="-runs=$amount -seed=1"
	else
		limit="-max_total_time=$amount"
		[ -n "${FUZZ_RUNS:-}" ] && limit="$limit -runs=$FUZZ_RUNS"
	fi
	echo "== fuzz" >>"$log"
	t0=$(date +%s)
	# shellcheck disable=SC2086
	"$bin" $limit -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$art/$name-" \
		${FUZZ_FLAGS:-} "$work/$name" $dirs >>"$log" 2>&1
	rc=$?
	t1=$(date +%s)

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	line=$(grep -a -E '^#[0-9]+.* cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
	cov=$(printf '%s\n' "$line" | sed -n 's/.* cov: \([0-9]*\) .*/\1/p')
	ft=$(printf '%s\n' "$line" | sed -n 's/.* ft: \([0-9]*\) .*/\1/p')
	if [ $rc -ne 0 ]; then
		crashes=$((crashes + 1))
		art_file=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		note="crash:${art_file:-see-$log}"
	elif [ "$mode" = long ]; then
		# Keep what the session found that the corpus does not cover yet.
		"$bin" -merge=1 -max_len=4096 "$corpus" "$work/$name" \
			>"$logs/$name.merge.log" 2>&1 ||
			echo "merge failed, see $logs/$name.merge.log" >>"$log"
	fi
	nfiles=$(find "$corpus" -type f | wc -l)
	kb=$(($(find "$corpus" -type f -exec cat {} + | wc -c) / 1024))
	status=PASS
	[ $crashes -eq 0 ] || status=FAIL
	echo "$status ${execs:-0} $((t1 - t0)) ${cov:-0} ${ft:-0} $nfiles $kb $crashes $note" >"$res"
}

print_result() {
	name=$(basename "$1")
	res=$logs/${name#fuzz_}.result
	# shellcheck disable=SC2046
	set -- $(cat "$res")
	printf '  %-15s %s  execs %-9s %4ss  cov %-5s ft %-6s corpus %s files %s KB  crashes %s\n' \
		"$name" "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8"
	[ "$9" = - ] || printf '      %s (log: %s/%s.log)\n' "$9" "$logs" "${name#fuzz_}"
}

# ---- main ------------------------------------------------------------------
gen_seeds
echo "fuzz: $mode, $amount $([ "$mode" = smoke ] && echo runs || echo seconds) per target"

pass=0
fail=0
set -- "$@" ""
batch=
n=0
for bin; do
	if [ -n "$bin" ]; then
		batch="$batch $bin"
		n=$((n + 1))
		run_target "$bin" &
	fi
	if [ $n -ge "$jobs" ] || { [ -z "$bin" ] && [ $n -gt 0 ]; }; then
		wait
		for b in $batch; do
			print_result "$b"
			if grep -q '^PASS' "$logs/$(basename "$b" | sed 's/^fuzz_//').result"; then
				pass=$((pass + 1))
			else
				fail=$((fail + 1))
			fi
		done
		batch=
		n=0
	fi
done

echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
