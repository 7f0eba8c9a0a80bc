#!/bin/sh
# tests/conformance-gen.sh BUILD_DIR - our decoders against tshark on captures
# we generate: every gencap scenario (the tunnels the shared corpus lacks:
# ip6tnl with its Tunnel Encapsulation Limit option, WireGuard over IPv6,
# PTB about tunnel packets...), raw and Ethernet link types, at three MTUs.
# tshark decodes each file (tests/truth.sh), then the conformance binary
# compares every cell of every frame.
set -eu

build=${1:?usage: tests/conformance-gen.sh BUILD_DIR}
work=$(mktemp -d "${TMPDIR:-/tmp}/pd-confgen.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

for scen in $("$build/gencap" --list); do
	for lt in eth raw; do
		for mtu in 1300 1500 9000; do
			count=1
			[ "$scen" = mix ] && count=3000
			"$build/gencap" "$scen" -c "$count" -m "$mtu" -l "$lt" \
				-o "$work/gen-$scen-$lt-$mtu.pcap"
		done
	done
done
sh "$(dirname "$0")/truth.sh" "$work" >/dev/null
"$build/tests/conformance" "$work" > "$work/out" || { grep -v "^  ok" "$work/out" | head -n 40; exit 1; }
tail -n 1 "$work/out"
