#!/bin/sh
# scripts/install-caps.sh SETCAP DESTDIR FILE... - give the installed tools the file
# capability they need for raw sockets (cap_net_raw+ep), never setuid; `make install` runs it.
#
# Skipped, with one line saying why and how to do it by hand, when SETCAP is 0, when setcap(8)
# is missing (Debian: libcap2-bin), or when installing into a DESTDIR as non-root (a package
# build: the packaging sets the capability, e.g. in postinst).  As root it is set, also into a
# DESTDIR.  A failure to set it (a file system without extended attributes) is reported and
# does not fail the install: the tools then need root for raw sockets.
set -u
want=$1
destdir=$2
shift 2
by_hand="setcap cap_net_raw+ep $*"
if [ "$want" = 0 ]; then
	echo "install: SETCAP=0: file capabilities not set; by hand: $by_hand"
	exit 0
fi
if [ -n "$destdir" ] && [ "$(id -u)" != 0 ]; then
	echo "install: not setting file capabilities (DESTDIR as non-root); after installing: $by_hand"
	exit 0
fi
cmd=$(command -v setcap 2>/dev/null || { [ -x /sbin/setcap ] && echo /sbin/setcap; } ||
	{ [ -x /usr/sbin/setcap ] && echo /usr/sbin/setcap; })
if [ -z "$cmd" ]; then
	echo "install: setcap not found (Debian: apt-get install libcap2-bin); file capabilities not set; by hand: $by_hand"
	exit 0
fi
for f; do
	if "$cmd" cap_net_raw+ep "$f"; then
		echo "install: cap_net_raw+ep set on $f"
	else
		echo "install: setting cap_net_raw+ep on $f failed; it needs root for raw sockets" >&2
	fi
done
exit 0
