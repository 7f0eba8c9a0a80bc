/* tunmtu.h - is a tunnel interface's MTU right for the path under it: the
 * encapsulation a link's netlink description implies, the verdict for a
 * configured MTU over an underlay path MTU, and the exact commands that fix
 * it (wg-quick, iproute2, nftables and iptables MSS clamping).
 *
 * Specs: RFC 9293 s3.7.1 (MSS = MTU - 40 IPv4, - 60 IPv6); WireGuard pads
 * its plaintext to a multiple of 16 but never past the interface MTU
 * (drivers/net/wireguard/send.c calculate_skb_padding(), wireguard-go
 * send.go calculatePaddingSize()), which docs/overhead.md works through:
 *
 *   outer packet = overhead + min(tunnel MTU, ALIGN(inner length, pad))
 *
 * so a tunnel MTU of (path MTU - overhead) carries every inner size up to
 * it, while a larger MTU carries inner packets only up to the largest
 * multiple of pad that fits: WireGuard 1420 over a 1454-byte IPv4 path
 * (1454 - 60 = 1394) carries 1392, not 1394.
 *
 * Pure functions over caller-owned structs and buffers: no I/O, no globals.
 */
#ifndef PATHDIAG_TUNMTU_H
#define PATHDIAG_TUNMTU_H

#include <stdbool.h>
#include <stddef.h>
#include <pathdiag/error.h>
#include <pathdiag/nl_link.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_TUNMTU_WG_PAD 16 /* WireGuard's padding multiple */

enum pd_tunmtu_state {
	PD_TUNMTU_OK = 0,   /* configured == what the path carries */
	PD_TUNMTU_BELOW,    /* configured below it: works, bytes unused */
	PD_TUNMTU_TOO_BIG,  /* configured above it: large packets are lost */
	PD_TUNMTU_NO_ROOM,  /* the path cannot even carry the overhead */
};

struct pd_tunmtu_in {
	unsigned configured; /* the tunnel interface's MTU */
	unsigned path_mtu;   /* the underlay path MTU toward the endpoint */
	unsigned overhead;   /* bytes the encapsulation adds (pathdiag/overhead.h) */
	unsigned pad;        /* padding multiple capped at the MTU (16 WireGuard), 0 none */
};

struct pd_tunmtu_verdict {
	enum pd_tunmtu_state state;
	unsigned recommended; /* path_mtu - overhead: the right tunnel MTU */
	/* The largest inner packet the configured MTU lets through the path:
	 * the configured MTU unless it is too big; then the recommended MTU
	 * rounded down to the padding multiple (pad 0: the recommended MTU). */
	unsigned largest_inner;
	unsigned excess;      /* configured - recommended when TOO_BIG, else 0 */
	unsigned unused;      /* recommended - configured when BELOW, else 0 */
};

/* The verdict for in.  PD_ERR_INVAL for a zero MTU, a path MTU above
 * 65536 or a pad that is not a power of two; NO_ROOM is a verdict, not an
 * error (recommended and largest_inner are 0 then). */
int pd_tunmtu_check(const struct pd_tunmtu_in *in, struct pd_tunmtu_verdict *v,
		    struct pd_error *err);

/* The overhead spec (pathdiag/overhead.h) for a tunnel link as netlink
 * describes it: "ip6tnl" or "ip6tnl:notel" by its encapsulation limit,
 * "gre:key,seq,csum" by its output flags, ":fou"/":gue" for UDP
 * encapsulation, "vxlan", ... PD_ERR_NOTFOUND when the kind is not a
 * tunnel the model knows (WireGuard has no link data: its spec is
 * "wireguard", with the family of each peer's endpoint);
 * PD_ERR_NOSPACE when buf is too small. */
int pd_tunmtu_link_spec(const struct pd_nl_link *l, char *buf, size_t len,
			struct pd_error *err);

/* The outer family of a tunnel link (4 or 6; 0 when the kind does not say,
 * e.g. vxlan without a remote). */
int pd_tunmtu_link_family(const struct pd_nl_link *l);

enum pd_tunmtu_fix {
	PD_TUNFIX_WG_QUICK = 0, /* "MTU = 1394" for the [Interface] section */
	PD_TUNFIX_IPROUTE2,     /* "ip link set dev wg0 mtu 1394" */
	PD_TUNFIX_NFT4,         /* nft rule: clamp IPv4 SYNs leaving IFACE to MTU - 40 */
	PD_TUNFIX_NFT6,         /* the same for IPv6, MTU - 60 */
	PD_TUNFIX_IPT4,         /* iptables TCPMSS rule, MTU - 40 */
	PD_TUNFIX_IPT6,         /* ip6tables TCPMSS rule, MTU - 60 */
};
#define PD_TUNFIX_COUNT 6

/* One fix line for interface ifname and tunnel MTU mtu, as a shell command
 * (the nft rule quoted for the shell; it assumes an inet table "filter"
 * with a "forward" chain).  PD_ERR_INVAL for a name that would need
 * quoting (anything beyond letters, digits and "._-@"), an MTU that leaves
 * no MSS, or an unknown fix; PD_ERR_NOSPACE when buf is too small. */
int pd_tunmtu_fix(enum pd_tunmtu_fix which, const char *ifname, unsigned mtu, char *buf,
		  size_t len, struct pd_error *err);

/* "wg_quick", "iproute2", "nft_ipv4", "nft_ipv6", "iptables", "ip6tables". */
const char *pd_tunmtu_fix_name(enum pd_tunmtu_fix which);

/* "ok", "below", "too-big", "no-room". */
const char *pd_tunmtu_state_name(enum pd_tunmtu_state s);

#ifdef __cplusplus
}
#endif
#endif
