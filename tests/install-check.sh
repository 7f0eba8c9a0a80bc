#!/bin/sh
# tests/install-check.sh BUILD_DIR - `make install` into a staging DESTDIR,
# then a program built against the installed library through pkg-config,
# linked to the shared object by its soname, must run and decode a frame.
# Also: the man pages and bash completions are installed, no tool is setuid,
# file capabilities (cap_net_raw+ep on mtuprobe, nattrace, tunsniff) are set
# by a root install into a temporary PREFIX without DESTDIR (skipped when not
# root or without getcap), and a DESTDIR install as non-root skips setcap
# with a message instead of failing.
set -eu

build=${1:?usage: tests/install-check.sh BUILD_DIR}
stage=$(mktemp -d "${TMPDIR:-/tmp}/pd-install.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
fail() { echo "install-check: $*" >&2; exit 1; }

make -s BUILD="$build" install PREFIX=/usr DESTDIR="$stage/root" >/dev/null ||
	fail "make install failed"
for f in usr/bin/mtuprobe usr/bin/tunsniff usr/bin/nattrace usr/lib/libpathdiag.a \
	usr/lib/libpathdiag.so.0 usr/include/pathdiag/dissect.h \
	usr/lib/pkgconfig/libpathdiag.pc usr/share/man/man1/mtuprobe.1 \
	usr/share/man/man1/tunsniff.1 usr/share/man/man1/nattrace.1 usr/lib/libpathdiag.so \
	usr/share/bash-completion/completions/mtuprobe \
	usr/share/bash-completion/completions/tunsniff \
	usr/share/bash-completion/completions/nattrace; do
	[ -e "$stage/root/$f" ] || fail "$f was not installed"
done
n=4
for t in mtuprobe tunsniff nattrace; do
	[ ! -u "$stage/root/usr/bin/$t" ] || fail "$t is installed setuid"
	bash -c '. "$1"; complete -p "$2"' sh "$stage/root/usr/share/bash-completion/completions/$t" \
		"$t" >/dev/null 2>&1 || fail "the completion file for $t does not register it"
	man -l "$stage/root/usr/share/man/man1/$t.1" >/dev/null 2>&1 ||
		{ command -v man >/dev/null 2>&1 && fail "man cannot format $t.1"; }
done
n=$((n + 3))
soname=$(readelf -d "$stage/root/usr/lib/libpathdiag.so.0" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = libpathdiag.so.0 ] || fail "soname is '$soname', not libpathdiag.so.0"

# A minimal Ethernet/IPv4/UDP frame: the program must find its UDP ports.
cat > "$stage/use.c" <<'PROG'
#include <stdio.h>
#include <pathdiag/dissect.h>

int main(void)
{
	static const unsigned char f[] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
		0x45, 0, 0, 29, 0, 1, 0, 0, 64, 17, 0x7c, 0xce, 10, 0, 0, 1, 10, 0, 0, 2,
		0x30, 0x39, 0x01, 0xbb, 0, 9, 0, 0, 0x61 };
	struct pd_packet p;
	int u;

	if (pd_dissect(PD_LINKTYPE_ETHERNET, f, sizeof(f), sizeof(f), NULL, &p) < 0)
		return 1;
	u = pd_packet_find(&p, PD_LAYER_UDP, 0);
	if (u < 0)
		return 2;
	printf("%u %u\n", p.layers[u].u.udp.sport, p.layers[u].u.udp.dport);
	return 0;
}
PROG
export PKG_CONFIG_SYSROOT_DIR="$stage/root" PKG_CONFIG_PATH="$stage/root/usr/lib/pkgconfig"
# shellcheck disable=SC2046
${CC:-cc} -o "$stage/use" "$stage/use.c" $(pkg-config --cflags --libs libpathdiag) ||
	fail "cannot build against the installed library"
readelf -d "$stage/use" | grep -q 'NEEDED.*libpathdiag.so.0' ||
	fail "program not linked to libpathdiag.so.0"
out=$(LD_LIBRARY_PATH="$stage/root/usr/lib" "$stage/use") || fail "program exited $?"
[ "$out" = "12345 443" ] || fail "decoded ports '$out', expected '12345 443'"
n=$((n + 1))

# setcap is skipped, with a message, for a DESTDIR install as non-root.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	cp "$stage/root/usr/bin/mtuprobe" "$stage/mp" && chmod 755 "$stage" "$stage/mp"
	msg=$(setpriv --reuid=65534 --regid=65534 --clear-groups sh scripts/install-caps.sh 1 \
		"$stage/root" "$stage/mp" 2>&1) || fail "install-caps.sh failed as non-root"
	case $msg in
	*"not setting file capabilities (DESTDIR as non-root)"*) ;;
	*) fail "non-root DESTDIR install: no skip message: $msg" ;;
	esac
	n=$((n + 1))
fi

# A real install (no DESTDIR) into a temporary PREFIX as root sets the capabilities.
if [ "$(id -u)" = 0 ] && command -v getcap >/dev/null 2>&1; then
	make -s BUILD="$build" install PREFIX="$stage/prefix" >"$stage/install.log" 2>&1 ||
		fail "make install PREFIX=$stage/prefix failed: $(tail -n 1 "$stage/install.log")"
	for t in mtuprobe tunsniff nattrace; do
		caps=$(getcap "$stage/prefix/bin/$t")
		case $caps in
		*cap_net_raw=ep) ;;
		*) fail "$t: file capabilities '$caps', expected cap_net_raw=ep" ;;
		esac
		[ ! -u "$stage/prefix/bin/$t" ] || fail "$t is installed setuid"
	done
	"$stage/prefix/bin/mtuprobe" --version >/dev/null || fail "the installed mtuprobe does not run"
	grep -q "prefix=$stage/prefix" "$stage/prefix/lib/pkgconfig/libpathdiag.pc" ||
		fail "libpathdiag.pc does not name PREFIX $stage/prefix"
	n=$((n + 1))
	echo "install-check: file capabilities set on a root install into $stage/prefix"
else
	echo "install-check: SKIP file capabilities (needs root and getcap)"
fi
echo "install-check: $n passed, 0 failed"
