#!/usr/bin/env bash
# bench/ct-bench.sh BUILD_DIR - conntrack table dumps side by side (part of `make bench`):
# libpathdiag's streaming dump (BUILD_DIR/ctquery, tests/tools/ctquery.c: pd_ct_dump, one line
# per entry in the layout of `conntrack -L`) against conntrack-tools' `conntrack -L`, on the same
# table of a lab namespace filled with BENCH_CT_ENTRIES entries (default 1000000) by
# BUILD_DIR/ctfill (pd_ct_create).
#
# Runs, each BENCH_CT_REPEAT times (default 3; the fastest wall time and the highest peak RSS
# are printed, both from GNU time), output to /dev/null:
#   full dump            ctquery dump                    conntrack -L
#   mark (1% of entries) ctquery dump --mark 1           conntrack -L --mark 1
#                        (the kernel filters: CTA_MARK)
#   source prefix /16    ctquery dump --orig-src 10.0.0.0/16   conntrack -L -s 10.0.0.0/16
#                        (6.5% of entries; a prefix is filtered in user space by both)
#   count only           ctquery dump --count (parse every entry, print nothing)
# and the tool built on it, BUILD_DIR/nattrace (tools/nattrace/ct_cmd.c), on the same table:
#   nattrace conntrack (text, NAT spelled out), --json (one document, streamed), --count,
#   -m 1 (kernel filter), -s 10.0.0.0/16 (user-space prefix); its peak RSS is also measured on
#   the table a tenth the size (memory flat in the number of entries).
# The entry count of every run is checked against the table (conntrack -C, ctquery --count)
# outside the timed runs.  Memory flatness: ctquery's peak RSS on the full dump is also measured
# on a table a tenth the size.
#
# The table: nf_conntrack_max inside a namespace cannot exceed the host's (this kernel refuses
# the write with EINVAL), so when the host's value is below the entries wanted it is raised for
# the run and restored on exit.  Figures are informational: benchmarks do not fail the build.
# Needs root; without it prints "ct bench: SKIP" and exits 0.

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

BUILD_DIR=$(cd "${1:-build}" && pwd) || exit 3
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
N=${BENCH_CT_ENTRIES:-1000000}
REPEAT=${BENCH_CT_REPEAT:-3}
CTQ=$BUILD_DIR/ctquery
CTFILL=$BUILD_DIR/ctfill
NT=$BUILD_DIR/nattrace
MAXKEY=net.netfilter.nf_conntrack_max
OLD_MAX=

if [ "$(id -u)" != 0 ]; then
	echo "ct bench: SKIP: needs root (namespaces)"
	exit 0
fi
for t in conntrack /usr/bin/time; do
	command -v "$t" >/dev/null 2>&1 || { echo "ct bench: $t missing; run 'make deps'" >&2; exit 3; }
done
[ -x "$CTQ" ] && [ -x "$CTFILL" ] && [ -x "$NT" ] ||
	{ echo "ct bench: build ctquery, ctfill and nattrace first" >&2; exit 3; }

# shellcheck source=tests/lab/lib.sh
. "$BENCH_DIR/../tests/lab/lib.sh"

restore_max()
{
	[ -z "$OLD_MAX" ] || sysctl -qw "$MAXKEY=$OLD_MAX"
}

# timed NAME CMD...: best wall seconds and highest peak RSS (KiB) over REPEAT runs, as "W R".
timed()
{
	local name=$1 i best='' rss=0 w r
	shift
	for ((i = 0; i < REPEAT; i++)); do
		/usr/bin/time -f '%e %M' -o "$LAB_TMP/time" ip netns exec "$(lab_ns ct)" "$@" >/dev/null 2>"$LAB_TMP/err.$name" ||
			{ echo "ct bench: $name failed: $(head -n 1 "$LAB_TMP/err.$name")" >&2; return 1; }
		read -r w r <"$LAB_TMP/time"
		if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$w; fi
		[ "$r" -le "$rss" ] || rss=$r
	done
	echo "$best $rss"
}

row()
{
	local label=$1 entries=$2 wr=$3 w r
	read -r w r <<<"$wr"
	printf '%-44s %10s %9s %12s %10s\n' "$label" "$entries" "$w" \
		"$(awk -v n="$entries" -v w="$w" 'BEGIN { if (w > 0) printf "%.0f", n / w; else print "inf" }')" \
		"$(awk -v k="$r" 'BEGIN { printf "%.1f", k / 1024 }')"
}

fill()
{
	local n=$1 out
	lab_x ct conntrack -F >/dev/null 2>&1
	out=$(lab_x ct "$CTFILL" "$n" --mark-every 100 --mark 1 --timeout 7200) || return 1
	echo "ct bench: filled $n entries with pd_ct_create: $out"
	[ "$(lab_x ct conntrack -C)" = "$n" ] || { echo "ct bench: table holds $(lab_x ct conntrack -C), not $n" >&2; return 1; }
}

main()
{
	local cur need small full_rss_small nmark npfx nt_rss_small nt_json_rss_small
	# The host value is restored by the EXIT hook lab_begin keeps.
	LAB_EXIT_HOOK='restore_max'
	lab_begin || exit 3
	lab_node ct || exit 3
	need=$((N + 1024))
	cur=$(sysctl -n "$MAXKEY")
	if [ "$cur" -lt "$need" ]; then
		OLD_MAX=$cur
		sysctl -qw "$MAXKEY=$need" || { echo "ct bench: cannot raise $MAXKEY" >&2; exit 3; }
		echo "ct bench: host $MAXKEY raised from $cur to $need for the run (restored on exit)"
	fi
	lab_sysctl ct "$MAXKEY=$need" 2>/dev/null || true

	small=$((N / 10))
	fill "$small" || exit 3
	full_rss_small=$(timed small "$CTQ" dump | cut -d' ' -f2)
	nt_rss_small=$(timed nt_small "$NT" conntrack | cut -d' ' -f2)
	nt_json_rss_small=$(timed nt_json_small "$NT" conntrack --json | cut -d' ' -f2)
	fill "$N" || exit 3
	nmark=$(lab_x ct "$CTQ" dump --count --mark 1)
	npfx=$(lab_x ct "$CTQ" dump --count --orig-src 10.0.0.0/16)
	[ "$nmark" = "$(lab_x ct conntrack -L --mark 1 2>/dev/null | wc -l)" ] &&
		[ "$npfx" = "$(lab_x ct conntrack -L -s 10.0.0.0/16 2>/dev/null | wc -l)" ] &&
		[ "$(lab_x ct "$CTQ" dump --count)" = "$N" ] &&
		lab_x ct "$NT" conntrack --count | grep -q "^$N entries matched of $N " &&
		lab_x ct "$NT" conntrack --count -m 1 | grep -q "^$nmark entries matched of $nmark " &&
		lab_x ct "$NT" conntrack --count -s 10.0.0.0/16 | grep -q "^$npfx entries matched " ||
		{ echo "ct bench: entry counts of ctquery and conntrack differ" >&2; exit 3; }

	echo
	echo "== conntrack dump: $N entries in one namespace (best of $REPEAT, output to /dev/null)"
	printf '%-44s %10s %9s %12s %10s\n' run entries wall_s entries/s peak_MiB
	row "pathdiag: ctquery dump (pd_ct_dump, text)" "$N" "$(timed pd_full "$CTQ" dump)" || exit 3
	row "conntrack -L" "$N" "$(timed ct_full conntrack -L)" || exit 3
	row "pathdiag: ctquery dump --mark 1 (kernel)" "$nmark" "$(timed pd_mark "$CTQ" dump --mark 1)" ||
		exit 3
	row "conntrack -L --mark 1" "$nmark" "$(timed ct_mark conntrack -L --mark 1)" || exit 3
	row "pathdiag: ctquery dump --orig-src 10.0/16" "$npfx" \
		"$(timed pd_pfx "$CTQ" dump --orig-src 10.0.0.0/16)" || exit 3
	row "conntrack -L -s 10.0.0.0/16" "$npfx" "$(timed ct_pfx conntrack -L -s 10.0.0.0/16)" ||
		exit 3
	row "pathdiag: ctquery dump --count (no text)" "$N" "$(timed pd_count "$CTQ" dump --count)" ||
		exit 3
	echo "(memory flat in the table size: ctquery dump peak RSS $(awk -v k="$full_rss_small" \
		'BEGIN { printf "%.1f", k / 1024 }') MiB at $small entries)"
	row "nattrace conntrack (text, NAT spelled out)" "$N" "$(timed nt_full "$NT" conntrack)" ||
		exit 3
	row "nattrace conntrack --json" "$N" "$(timed nt_json "$NT" conntrack --json)" || exit 3
	row "nattrace conntrack --count" "$N" "$(timed nt_count "$NT" conntrack --count)" || exit 3
	row "nattrace conntrack -m 1 (kernel)" "$nmark" "$(timed nt_mark "$NT" conntrack -m 1)" ||
		exit 3
	row "nattrace conntrack -s 10.0.0.0/16" "$npfx" \
		"$(timed nt_pfx "$NT" conntrack -s 10.0.0.0/16)" || exit 3
	echo "(nattrace conntrack peak RSS at $small entries: text $(awk -v k="$nt_rss_small" \
		'BEGIN { printf "%.1f", k / 1024 }') MiB, --json $(awk -v k="$nt_json_rss_small" \
		'BEGIN { printf "%.1f", k / 1024 }') MiB)"
	lab_end
}

main "$@"
