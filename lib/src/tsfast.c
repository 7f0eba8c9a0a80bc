/* tsfast.c - the frames tunnel analysis meets most, read straight into
 * what pd_tunstat_add() takes from them (see tsfast.h), so that a large
 * capture does not go through the general dissector frame by frame.
 *
 * Specifications: those of the decoders this path mirrors, which cite them
 * in full: Ethernet II (IEEE 802.3), Linux cooked capture SLL and SLL2
 * (libpcap LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2), IPv4 (RFC 791 section
 * 3.1), IPv6 (RFC 8200 sections 3 and 4.6), the Tunnel Encapsulation Limit
 * option (RFC 2473 section 5.1), UDP (RFC 768), TCP (RFC 9293 section 3.1),
 * WireGuard data messages (whitepaper section 5.4).
 *
 * The shapes taken; every other frame goes to pd_dissect():
 *
 *   link   Ethernet II without VLAN tags | SLL | SLL2 | raw IP | IPv4 | IPv6
 *   outer  IPv4 without options, not a fragment | IPv6 without extension
 *          headers | IPv6 whose only extension header is the 8-byte
 *          destination options header below, in front of IPv4 or IPv6
 *   then   UDP: WireGuard data (by shape, any port) or a payload that is
 *          not WireGuard (the VXLAN port excepted) | TCP without SYN |
 *          IPv4 or IPv6 as above without the option (ip6tnl, IPIP, 6in4)
 *          carrying TCP without SYN or a protocol not decoded | a protocol
 *          not decoded
 *
 *   The destination options header Linux's ip6tnl writes (RFC 2473 4.1.1):
 *   +----------+-------------+--------+-------+-------+-------------+-------+---+
 *   | next hdr | ext len = 0 | type 4 | len 1 | limit | type 1 PadN | len 1 | 0 |
 *   +----------+-------------+--------+-------+-------+-------------+-------+---+
 *
 * A frame is taken only when pd_dissect() would decode it without an error
 * into exactly these layers; every test here is one a decoder makes, or a
 * narrower one.  fuzz_tsfast holds the analysis of both paths equal.
 */
#include <string.h>

#include "cursor.h"
#include "tsfast.h"

#define ARPHRD_NETLINK 824  /* SLL hatype whose protocol is not an EtherType */
#define DLT_RAW_COMMON 12
#define DLT_RAW_OPENBSD 14
#define IPV4_MF_OFF 0x3fff  /* more-fragments flag and fragment offset */
#define TEL_HDR_LEN 8

/* The IP header of a shape taken: its payload and addresses. */
struct fast_ip {
	uint8_t proto;
	size_t hdr;             /* header bytes */
	size_t plen;            /* payload bytes present, bounded by its length */
	uint32_t len;           /* the packet's length from its header */
	const uint8_t *src, *dst;
};

/* The EtherType the link header names, and its length; 0 for link
 * headers not taken (VLAN tags, netlink, DLT_NULL...). */
static uint16_t fast_link(int linktype, const uint8_t *b, size_t len, size_t *hdr)
{
	struct pd_cursor c = pd_cur_init(b, len);

	*hdr = 0;
	switch (linktype) {
	case PD_LINKTYPE_ETHERNET:
		if (!pd_cur_has(&c, 14))
			return 0;
		*hdr = 14;
		return pd_load_be16(b + 12);
	case PD_LINKTYPE_LINUX_SLL:
		if (!pd_cur_has(&c, 16) || pd_load_be16(b + 2) == ARPHRD_NETLINK)
			return 0;
		*hdr = 16;
		return pd_load_be16(b + 14);
	case PD_LINKTYPE_LINUX_SLL2:
		if (!pd_cur_has(&c, 20) || pd_load_be16(b + 8) == ARPHRD_NETLINK)
			return 0;
		*hdr = 20;
		return pd_load_be16(b);
	case PD_LINKTYPE_RAW:
	case DLT_RAW_COMMON:
	case DLT_RAW_OPENBSD:
		if (!pd_cur_has(&c, 1))
			return 0;
		return b[0] >> 4 == 4 ? PD_ETHERTYPE_IPV4 : b[0] >> 4 == 6 ? PD_ETHERTYPE_IPV6 : 0;
	case PD_LINKTYPE_IPV4:
		return PD_ETHERTYPE_IPV4;
	case PD_LINKTYPE_IPV6:
		return PD_ETHERTYPE_IPV6;
	}
	return 0;
}

/* IPv4, version 4 and IHL 5, a total length that holds the header, not a
 * fragment. */
static bool fast_ipv4(const uint8_t *b, size_t len, struct fast_ip *ip)
{
	struct pd_cursor c = pd_cur_init(b, len);
	uint16_t tot;

	if (!pd_cur_has(&c, PD_IPV4_HDR_MIN) || b[0] != 0x45)
		return false;
	tot = pd_load_be16(b + 2);
	if (tot < PD_IPV4_HDR_MIN || (pd_load_be16(b + 6) & IPV4_MF_OFF))
		return false;
	ip->proto = b[9];
	ip->hdr = PD_IPV4_HDR_MIN;
	ip->plen = (len < tot ? len : tot) - PD_IPV4_HDR_MIN;
	ip->len = tot;
	ip->src = b + 12;
	ip->dst = b + 16;
	return true;
}

/* IPv6 with no extension header, or (tel) the Tunnel Encapsulation Limit
 * header drawn above in front of IPv4 / IPv6, whole in the bytes and in
 * the payload length. */
static bool fast_ipv6(const uint8_t *b, size_t len, bool tel, struct fast_ip *ip)
{
	struct pd_cursor c = pd_cur_init(b, len);
	size_t end, hdr = PD_IPV6_HDR_LEN;
	uint8_t nxt;

	if (!pd_cur_has(&c, PD_IPV6_HDR_LEN) || b[0] >> 4 != 6)
		return false;
	end = PD_IPV6_HDR_LEN + (size_t)pd_load_be16(b + 4);
	nxt = b[6];
	if (nxt == PD_IPPROTO_DSTOPTS) {
		const uint8_t *o = b + PD_IPV6_HDR_LEN;

		if (!tel || end < PD_IPV6_HDR_LEN + TEL_HDR_LEN ||
		    !pd_cur_has(&c, PD_IPV6_HDR_LEN + TEL_HDR_LEN))
			return false;
		if (o[1] != 0 || o[2] != 4 || o[3] != 1 || o[5] != 1 || o[6] != 1 || o[7] != 0)
			return false;
		nxt = o[0];
		if (nxt != PD_IPPROTO_IPIP && nxt != PD_IPPROTO_IPV6)
			return false;
		hdr += TEL_HDR_LEN;
	}
	ip->proto = nxt;
	ip->hdr = hdr;
	ip->plen = (len < end ? len : end) - hdr;
	ip->len = (uint32_t)end;
	ip->src = b + 8;
	ip->dst = b + 24;
	return true;
}

/* A protocol after which pd_dissect() decodes nothing more (ESP, SCTP...),
 * for an IP header of family fam. */
static bool proto_undecoded(int fam, uint8_t proto)
{
	switch (proto) {
	case PD_IPPROTO_ICMP:
	case PD_IPPROTO_IPIP:
	case PD_IPPROTO_TCP:
	case PD_IPPROTO_UDP:
	case PD_IPPROTO_IPV6:
	case PD_IPPROTO_GRE:
	case PD_IPPROTO_ICMPV6:
		return false;
	}
	return fam == 4 || !pd_ipv6_is_ext(proto);
}

/* TCP, a data offset of 5 or more, no SYN (whose MSS option the analysis
 * reads): the fields the inner flows use. */
static bool fast_tcp(const uint8_t *b, size_t len, struct pd_tcp *th)
{
	struct pd_cursor c = pd_cur_init(b, len);
	uint16_t flags;

	if (!pd_cur_has(&c, PD_TCP_HDR_MIN) || b[12] >> 4 < 5)
		return false;
	flags = (uint16_t)((b[12] & 1) << 8 | b[13]);
	if (flags & PD_TCP_SYN)
		return false;
	th->sport = pd_load_be16(b);
	th->dport = pd_load_be16(b + 2);
	th->seq = pd_load_be32(b + 4);
	th->ack = pd_load_be32(b + 8);
	th->hdr_len = (uint8_t)((b[12] >> 4) * 4);
	th->flags = flags;
	th->has_mss = false;
	return true;
}

/* UDP: not VXLAN, and WireGuard only as a data message. */
static bool fast_udp(const uint8_t *b, size_t len, const struct pd_dissect_opts *opts,
		     struct ts_fast *out)
{
	struct pd_cursor c = pd_cur_init(b, len);
	uint16_t vxlan = opts && opts->vxlan_port ? opts->vxlan_port : PD_VXLAN_PORT;
	uint16_t ulen;
	size_t pay;

	if (!pd_cur_has(&c, PD_UDP_HDR_LEN))
		return false;
	ulen = pd_load_be16(b + 4);
	if (ulen != 0 && ulen < PD_UDP_HDR_LEN)
		return false;
	out->sport = pd_load_be16(b);
	out->dport = pd_load_be16(b + 2);
	if (out->sport == vxlan || out->dport == vxlan)
		return false;
	out->udp = true;
	if (ulen == 0 || (opts && opts->no_wg_heuristic))
		return true;
	pay = len - PD_UDP_HDR_LEN;
	if (pay > (size_t)ulen - PD_UDP_HDR_LEN)
		pay = (size_t)ulen - PD_UDP_HDR_LEN;
	if (pd_wg_decode_partial(b + PD_UDP_HDR_LEN, pay, (size_t)ulen - PD_UDP_HDR_LEN,
				 &out->wg, NULL) < 0)
		return true; /* not WireGuard: a payload not decoded */
	if (out->wg.type != PD_WG_DATA)
		return false;
	out->kind = PD_TUN_WIREGUARD;
	return true;
}

static void addr16(uint8_t *to, const uint8_t *from, int fam)
{
	if (fam == 4) {
		memcpy(to, from, 4);
		memset(to + 4, 0, 12);
	} else {
		memcpy(to, from, 16);
	}
}

/* The IP packet inside IPIP, 6in4 or ip6tnl (b, len: the outer payload). */
static bool fast_inner(const uint8_t *b, size_t len, uint8_t proto, struct ts_fast *out)
{
	struct fast_ip ip;

	out->ifam = proto == PD_IPPROTO_IPIP ? 4 : 6;
	if (out->ifam == 4 ? !fast_ipv4(b, len, &ip) : !fast_ipv6(b, len, false, &ip))
		return false;
	out->ilen = ip.len;
	if (ip.proto != PD_IPPROTO_TCP)
		return proto_undecoded(out->ifam, ip.proto);
	if (!fast_tcp(b + ip.hdr, ip.plen, &out->th))
		return false;
	out->tcp = true;
	out->thdr = (uint32_t)ip.hdr + out->th.hdr_len;
	addr16(out->isrc, ip.src, out->ifam);
	addr16(out->idst, ip.dst, out->ifam);
	return true;
}

bool ts_fast_parse(int linktype, const uint8_t *buf, size_t caplen,
		   const struct pd_dissect_opts *opts, struct ts_fast *out)
{
	struct fast_ip ip;
	struct pd_tcp th;
	uint16_t type;
	size_t hdr, len = caplen > UINT16_MAX ? UINT16_MAX : caplen;
	const uint8_t *p;

	if (!buf)
		return false;
	type = fast_link(linktype, buf, len, &hdr);
	p = buf + hdr;
	if (type == PD_ETHERTYPE_IPV4) {
		if (!fast_ipv4(p, len - hdr, &ip))
			return false;
		out->fam = 4;
	} else if (type == PD_ETHERTYPE_IPV6) {
		if (!fast_ipv6(p, len - hdr, true, &ip))
			return false;
		out->fam = 6;
	} else {
		return false;
	}
	addr16(out->src, ip.src, out->fam);
	addr16(out->dst, ip.dst, out->fam);
	out->olen = ip.len;
	out->udp = false;
	out->tcp = false;
	out->kind = PD_TUN_NONE;
	p += ip.hdr;
	switch (ip.proto) {
	case PD_IPPROTO_UDP:
		return fast_udp(p, ip.plen, opts, out);
	case PD_IPPROTO_TCP:
		return fast_tcp(p, ip.plen, &th);
	case PD_IPPROTO_IPIP:
	case PD_IPPROTO_IPV6:
		out->kind = out->fam == 6 ? PD_TUN_IP6TNL :
			    ip.proto == PD_IPPROTO_IPIP ? PD_TUN_IPIP : PD_TUN_6IN4;
		return fast_inner(p, ip.plen, ip.proto, out);
	}
	return proto_undecoded(out->fam, ip.proto);
}
