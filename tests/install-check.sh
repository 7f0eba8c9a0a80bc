#!/bin/sh
# tests/install-check.sh BUILD_DIR - `make install` into a staging DESTDIR,
# then a program built against the installed library through pkg-config,
# linked to the shared object by its soname, must run and decode a frame.
set -eu

build=${1:?usage: tests/install-check.sh BUILD_DIR}
stage=$(mktemp -d "${TMPDIR:-/tmp}/pd-install.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
fail() { echo "install-check: $*" >&2; exit 1; }

make -s BUILD="$build" install PREFIX=/usr DESTDIR="$stage/root" >/dev/null ||
	fail "make install failed"
for f in usr/bin/mtuprobe usr/bin/tunsniff usr/bin/nattrace usr/lib/libpathdiag.a \
	usr/lib/libpathdiag.so.0 usr/include/pathdiag/dissect.h \
	usr/lib/pkgconfig/libpathdiag.pc usr/share/man/man1/mtuprobe.1; do
	[ -e "$stage/root/$f" ] || fail "$f was not installed"
done
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
echo "install-check: 1 passed, 0 failed"
