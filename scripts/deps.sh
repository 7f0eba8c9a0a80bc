#!/bin/sh
# scripts/deps.sh - install the Debian 12 packages that pathdiag's build,
# tests, demo and benchmarks need (`make deps`; `make check` runs it first).
#
# Installs only what is missing, runs `apt-get update` only then, and never
# asks a question: it runs without a terminal or stdin (CI).  Not root and
# something missing: one line naming the packages and how to install them,
# exit 1.  Nothing missing: exit 0, as any user.

set -eu

PACKAGES="
gcc libc6-dev make pkg-config
clang libclang-rt-14-dev
libpcap-dev libmnl-dev libjansson-dev libcmocka-dev
iproute2 nftables ethtool conntrack iptables
wireguard-go wireguard-tools
tshark tcpdump
iputils-ping iputils-tracepath
python3
python3-jsonschema
scamper
libcap2-bin
python3-prometheus-client
"

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps.sh: dpkg-query not found; this script installs Debian packages (Debian 12)" >&2
	exit 1
fi

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing="$missing $p"
done
missing=${missing# }

if [ -z "$missing" ]; then
	# shellcheck disable=SC2086 # count the words of the list
	set -- $PACKAGES
	echo "deps: all $# packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing Debian packages: $missing; install them as root:" \
		"apt-get install --no-install-recommends $missing" >&2
	exit 1
fi

echo "deps: installing $missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer "no" up front so the
# question can never block (the default is the same answer).
if command -v debconf-set-selections >/dev/null 2>&1; then
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		debconf-set-selections
fi
# Wait for another apt run to release its lock rather than fail at once.
APT_OPTS="-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"
# shellcheck disable=SC2086 # word splitting of the option and package lists is wanted
apt-get $APT_OPTS update </dev/null
# shellcheck disable=SC2086
apt-get $APT_OPTS install -y --no-install-recommends $missing </dev/null

still=""
for p in $missing; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || still="$still $p"
done
if [ -n "$still" ]; then
	echo "deps.sh: still missing after apt-get install:$still" >&2
	exit 1
fi
echo "deps: installed $missing"
