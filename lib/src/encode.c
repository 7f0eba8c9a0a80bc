/* encode.c - packet builders: IPv4, IPv6 (+ Tunnel Encapsulation Limit),
 * UDP, TCP with options, ICMP/ICMPv6 echo and errors, IP-in-IP, GRE,
 * VXLAN, WireGuard-shaped messages, Ethernet II.  See pathdiag/encode.h.
 *
 * Specs: RFC 791, RFC 8200, RFC 2473 5.1 (TEL), RFC 768, RFC 9293,
 * RFC 7323, RFC 2018, RFC 792, RFC 1191, RFC 1812 4.3.2.3, RFC 4443,
 * RFC 2003, RFC 4213, RFC 2784, RFC 2890, RFC 7348, WireGuard paper 5.4.
 *
 * The Destination Options header with the TEL option, byte for byte as
 * Linux ip6tnl (init_tel_txopt) sends it:
 *
 *   +-------------+-------------+-------------+-------------+
 *   | next header | hdr ext len |  opt type 4 |  opt len 1  |
 *   |             |      0      |    (TEL)    |             |
 *   +-------------+-------------+-------------+-------------+
 *   |    limit    |  opt type 1 |  opt len 1  |      0      |
 *   |             |   (PadN)    |             |             |
 *   +-------------+-------------+-------------+-------------+
 *
 * GRE (RFC 2784 + RFC 2890) and VXLAN (RFC 7348):
 *
 *   GRE:   |C|0|K|S| 0 |ver 0|   protocol type   |
 *          [ checksum | reserved1 ] [ key ] [ sequence number ]
 *   VXLAN: | 0x08 (I) |  reserved (24)  |  VNI (24)  | reserved (8) |
 *
 * Every builder validates all arguments and the capacity before writing a
 * byte, then moves the caller's payload into place (memmove: it may
 * overlap buf), then writes headers from the inside out so each checksum
 * covers final bytes.
 */
#include <pathdiag/encode.h>

#include <limits.h>
#include <string.h>

#include <pathdiag/checksum.h>
#include "cursor.h"

#define IP_MAX 65535u
#define UDP_HDR 8
#define TCP_HDR 20
#define ICMP_HDR 8
#define ETH_HDR 14
#define VXLAN_HDR 8
#define VXLAN_PORT 4789
#define TCP_OPT_MAX 40

#define IPPROTO_V_IPIP 4
#define IPPROTO_V_TCP 6
#define IPPROTO_V_UDP 17
#define IPPROTO_V_IPV6 41
#define IPPROTO_V_GRE 47
#define IPPROTO_V_ICMP 1
#define IPPROTO_V_ICMPV6 58
#define IPPROTO_V_DSTOPTS 60

#define WG_INIT_LEN 148
#define WG_RESP_LEN 92
#define WG_COOKIE_LEN 64
#define WG_DATA_OVERHEAD 32  /* 16-byte header + 16-byte tag */

static void store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void store_le64(uint8_t *p, uint64_t v)
{
	store_le32(p, (uint32_t)v);
	store_le32(p + 4, (uint32_t)(v >> 32));
}

/* Move the caller's bytes into place, or write the documented filler. */
static void place(uint8_t *dst, const uint8_t *src, size_t len)
{
	if (src) {
		memmove(dst, src, len);
		return;
	}
	for (size_t i = 0; i < len; i++)
		dst[i] = (uint8_t)(0x50 + (i & 15));
}

size_t pd_ip_header_len(const struct pd_ip_spec *ip)
{
	if (!ip)
		return 0;
	if (ip->family == 4)
		return 20;
	if (ip->family == 6 && ip->flow <= 0xfffff)
		return 40 + (ip->has_tel ? PD_IPV6_TEL_HDR_LEN : 0);
	return 0;
}

/* Can an IP packet with l4_len bytes after the IP header(s) be built into
 * buf[0..cap)?  On success *hl is the IP header length. */
static int ip_check(const struct pd_ip_spec *ip, size_t l4_len,
		    const uint8_t *buf, size_t cap, size_t *hl)
{
	size_t h = pd_ip_header_len(ip);
	size_t counted;

	if (!h || !buf)
		return PD_ERR_INVAL;
	/* IPv4 total length counts the header, IPv6 payload length counts
	 * only the extension headers. */
	counted = ip->family == 4 ? h : h - 40;
	if (l4_len > IP_MAX - counted)
		return PD_ERR_INVAL;
	if (cap < h || cap - h < l4_len)
		return PD_ERR_NOSPACE;
	*hl = h;
	return PD_OK;
}

/* Write the IP header(s) for l4_len bytes of proto; arguments checked. */
static void put_ip(const struct pd_ip_spec *ip, uint8_t proto, size_t l4_len,
		   uint8_t *p)
{
	uint8_t ttl = ip->ttl ? ip->ttl : 64;

	if (ip->family == 4) {
		p[0] = 0x45;
		p[1] = ip->tos;
		pd_store_be16(p + 2, (uint16_t)(20 + l4_len));
		pd_store_be16(p + 4, ip->id);
		pd_store_be16(p + 6, ip->df ? 0x4000 : 0);
		p[8] = ttl;
		p[9] = proto;
		p[10] = p[11] = 0;
		memcpy(p + 12, ip->src, 4);
		memcpy(p + 16, ip->dst, 4);
		pd_store_be16(p + 10, pd_csum(p, 20));
		return;
	}
	size_t ext = ip->has_tel ? PD_IPV6_TEL_HDR_LEN : 0;

	p[0] = (uint8_t)(0x60 | ip->tos >> 4);
	p[1] = (uint8_t)((ip->tos & 0x0f) << 4 | (ip->flow >> 16 & 0x0f));
	p[2] = (uint8_t)(ip->flow >> 8);
	p[3] = (uint8_t)ip->flow;
	pd_store_be16(p + 4, (uint16_t)(ext + l4_len));
	p[6] = ip->has_tel ? IPPROTO_V_DSTOPTS : proto;
	p[7] = ttl;
	memcpy(p + 8, ip->src, 16);
	memcpy(p + 24, ip->dst, 16);
	if (ip->has_tel) {
		static const uint8_t tmpl[PD_IPV6_TEL_HDR_LEN] = {
			0, 0, 4, 1, 0, 1, 1, 0
		};
		memcpy(p + 40, tmpl, sizeof(tmpl));
		p[40] = proto;
		p[44] = ip->tel;
	}
}

/* Checksum of an upper-layer message of `len` bytes with the pseudo-header
 * of ip (UDP, TCP, ICMPv6; the TEL header is not part of it). */
static uint16_t l4_csum(const struct pd_ip_spec *ip, uint8_t proto,
			const uint8_t *l4, size_t len)
{
	uint32_t sum;

	if (ip->family == 4)
		sum = pd_csum_pseudo4(ip->src, ip->dst, proto, (uint16_t)len);
	else
		sum = pd_csum_pseudo6(ip->src, ip->dst, proto, (uint32_t)len);
	return pd_csum_finish(pd_csum_add(sum, l4, len));
}

int pd_build_ip(const struct pd_ip_spec *ip, uint8_t proto,
		size_t payload_len, uint8_t *buf, size_t cap)
{
	size_t hl;
	int rc = ip_check(ip, payload_len, buf, cap, &hl);

	if (rc)
		return rc;
	put_ip(ip, proto, payload_len, buf);
	return (int)(hl + payload_len);
}

/* UDP header at p in front of payload_len bytes already in place. */
static void put_udp(const struct pd_ip_spec *ip, uint16_t sport,
		    uint16_t dport, size_t payload_len, uint8_t *p)
{
	size_t len = UDP_HDR + payload_len;
	uint16_t sum;

	pd_store_be16(p, sport);
	pd_store_be16(p + 2, dport);
	pd_store_be16(p + 4, (uint16_t)len);
	pd_store_be16(p + 6, 0);
	sum = l4_csum(ip, IPPROTO_V_UDP, p, len);
	/* A computed 0 is sent as all ones: 0 means "no checksum" (RFC 768). */
	pd_store_be16(p + 6, sum ? sum : 0xffff);
}

/* UDP around payload_len bytes of src (NULL: filler). */
static int udp_packet(const struct pd_ip_spec *ip, uint16_t sport,
		      uint16_t dport, const uint8_t *src, size_t payload_len,
		      uint8_t *buf, size_t cap)
{
	size_t hl;
	int rc;

	if (payload_len > IP_MAX - UDP_HDR)
		return PD_ERR_INVAL;
	rc = ip_check(ip, UDP_HDR + payload_len, buf, cap, &hl);
	if (rc)
		return rc;
	place(buf + hl + UDP_HDR, src, payload_len);
	put_udp(ip, sport, dport, payload_len, buf + hl);
	put_ip(ip, IPPROTO_V_UDP, UDP_HDR + payload_len, buf);
	return (int)(hl + UDP_HDR + payload_len);
}

int pd_build_udp(const struct pd_ip_spec *ip, uint16_t sport, uint16_t dport,
		 const uint8_t *payload, size_t payload_len, uint8_t *buf,
		 size_t cap)
{
	return udp_packet(ip, sport, dport, payload, payload_len, buf, cap);
}

/* TCP options in the order Linux sends them in a SYN; returns the length,
 * always a multiple of 4. */
static size_t tcp_options(const struct pd_tcp_spec *t, uint8_t o[TCP_OPT_MAX])
{
	size_t n = 0;

	if (t->mss) {
		o[n] = 2;
		o[n + 1] = 4;
		pd_store_be16(o + n + 2, t->mss);
		n += 4;
	}
	if (t->timestamps) {
		/* SACK-permitted fills the two bytes NOPs would pad. */
		o[n] = t->sack_permitted ? 4 : 1;
		o[n + 1] = t->sack_permitted ? 2 : 1;
		o[n + 2] = 8;
		o[n + 3] = 10;
		pd_store_be32(o + n + 4, t->ts_val);
		pd_store_be32(o + n + 8, t->ts_ecr);
		n += 12;
	} else if (t->sack_permitted) {
		o[n] = 1;
		o[n + 1] = 1;
		o[n + 2] = 4;
		o[n + 3] = 2;
		n += 4;
	}
	if (t->has_wscale) {
		o[n] = 1;
		o[n + 1] = 3;
		o[n + 2] = 3;
		o[n + 3] = t->wscale;
		n += 4;
	}
	return n;
}

int pd_build_tcp(const struct pd_ip_spec *ip, const struct pd_tcp_spec *tcp,
		 const uint8_t *payload, size_t payload_len, uint8_t *buf,
		 size_t cap)
{
	uint8_t opts[TCP_OPT_MAX];
	size_t hl, olen, len;
	uint8_t *p;
	int rc;

	if (!tcp || tcp->flags > 0x1ff || payload_len > IP_MAX)
		return PD_ERR_INVAL;
	olen = tcp_options(tcp, opts);
	len = TCP_HDR + olen + payload_len;
	rc = ip_check(ip, len, buf, cap, &hl);
	if (rc)
		return rc;
	p = buf + hl;
	place(p + TCP_HDR + olen, payload, payload_len);
	pd_store_be16(p, tcp->sport);
	pd_store_be16(p + 2, tcp->dport);
	pd_store_be32(p + 4, tcp->seq);
	pd_store_be32(p + 8, tcp->ack);
	p[12] = (uint8_t)((TCP_HDR + olen) / 4 << 4 | (tcp->flags >> 8 & 1));
	p[13] = (uint8_t)tcp->flags;
	pd_store_be16(p + 14, tcp->window);
	pd_store_be16(p + 16, 0);
	pd_store_be16(p + 18, 0);  /* urgent pointer */
	memcpy(p + TCP_HDR, opts, olen);
	pd_store_be16(p + 16, l4_csum(ip, IPPROTO_V_TCP, p, len));
	put_ip(ip, IPPROTO_V_TCP, len, buf);
	return (int)(hl + len);
}

/* ICMP echo header in front of payload_len bytes in place; the checksum
 * is left for the caller (it depends on the IP version). */
static void put_echo(int family, bool reply, uint16_t id, uint16_t seq,
		     uint8_t *p)
{
	if (family == 4)
		p[0] = reply ? 0 : 8;
	else
		p[0] = reply ? 129 : 128;
	p[1] = 0;
	pd_store_be16(p + 2, 0);
	pd_store_be16(p + 4, id);
	pd_store_be16(p + 6, seq);
}

int pd_build_icmp_echo(const struct pd_ip_spec *ip, bool reply, uint16_t id,
		       uint16_t seq, const uint8_t *payload, size_t payload_len,
		       uint8_t *buf, size_t cap)
{
	size_t hl, len;
	uint8_t *p;
	int rc;

	if (payload_len > IP_MAX)
		return PD_ERR_INVAL;
	len = ICMP_HDR + payload_len;
	rc = ip_check(ip, len, buf, cap, &hl);
	if (rc)
		return rc;
	p = buf + hl;
	place(p + ICMP_HDR, payload, payload_len);
	put_echo(ip->family, reply, id, seq, p);
	if (ip->family == 4) {
		pd_store_be16(p + 2, pd_csum(p, len));
		put_ip(ip, IPPROTO_V_ICMP, len, buf);
	} else {
		pd_store_be16(p + 2, l4_csum(ip, IPPROTO_V_ICMPV6, p, len));
		put_ip(ip, IPPROTO_V_ICMPV6, len, buf);
	}
	return (int)(hl + len);
}

int pd_build_icmp_echo_body(int family, bool reply, uint16_t id, uint16_t seq,
			    const uint8_t *payload, size_t payload_len,
			    uint8_t *buf, size_t cap)
{
	/* What fits in an IP packet: the IPv4 total length counts a 20-byte
	 * header, the IPv6 payload length does not. */
	size_t max = family == 4 ? IP_MAX - 20 : IP_MAX;
	size_t len;

	if ((family != 4 && family != 6) || !buf || payload_len > max - ICMP_HDR)
		return PD_ERR_INVAL;
	len = ICMP_HDR + payload_len;
	if (cap < len)
		return PD_ERR_NOSPACE;
	place(buf + ICMP_HDR, payload, payload_len);
	put_echo(family, reply, id, seq, buf);
	if (family == 4)
		pd_store_be16(buf + 2, pd_csum(buf, len));
	return (int)len;
}

/* Is `info` right for an ICMP error of this family/type/code? */
static bool icmp_error_ok(int family, uint8_t type, uint8_t code,
			  uint32_t info)
{
	if (family == 4) {
		switch (type) {
		case 3:
			return code == 4 ? info <= 0xffff : info == 0;
		case 11:
			return info == 0;
		case 12:
			return info <= 0xff;
		}
		return false;
	}
	switch (type) {
	case 1:
	case 3:
		return info == 0;
	case 2:
	case 4:
		return true;
	}
	return false;
}

int pd_build_icmp_error(const struct pd_ip_spec *ip, uint8_t type,
			uint8_t code, uint32_t info, const uint8_t *quote,
			size_t quote_len, uint8_t *buf, size_t cap)
{
	size_t hl = pd_ip_header_len(ip);
	size_t limit, qlen, len;
	uint8_t *p;
	int rc;

	if (!hl || !quote || !quote_len ||
	    !icmp_error_ok(ip->family, type, code, info))
		return PD_ERR_INVAL;
	limit = ip->family == 4 ? PD_ICMP4_ERROR_MAX : PD_ICMP6_ERROR_MAX;
	qlen = limit - hl - ICMP_HDR;
	if (quote_len < qlen)
		qlen = quote_len;
	len = ICMP_HDR + qlen;
	rc = ip_check(ip, len, buf, cap, &hl);
	if (rc)
		return rc;
	p = buf + hl;
	place(p + ICMP_HDR, quote, qlen);
	p[0] = type;
	p[1] = code;
	pd_store_be16(p + 2, 0);
	pd_store_be32(p + 4, 0);
	if (ip->family == 4) {
		if (type == 3)
			pd_store_be16(p + 6, (uint16_t)info);
		else if (type == 12)
			p[4] = (uint8_t)info;
		pd_store_be16(p + 2, pd_csum(p, len));
		put_ip(ip, IPPROTO_V_ICMP, len, buf);
	} else {
		pd_store_be32(p + 4, info);
		pd_store_be16(p + 2, l4_csum(ip, IPPROTO_V_ICMPV6, p, len));
		put_ip(ip, IPPROTO_V_ICMPV6, len, buf);
	}
	return (int)(hl + len);
}

int pd_build_ip_in_ip(const struct pd_ip_spec *outer, const uint8_t *inner,
		      size_t inner_len, uint8_t *buf, size_t cap)
{
	uint8_t proto;
	size_t hl;
	int rc;

	if (!inner || !inner_len)
		return PD_ERR_INVAL;
	switch (inner[0] >> 4) {
	case 4:
		proto = IPPROTO_V_IPIP;
		break;
	case 6:
		proto = IPPROTO_V_IPV6;
		break;
	default:
		return PD_ERR_INVAL;
	}
	rc = ip_check(outer, inner_len, buf, cap, &hl);
	if (rc)
		return rc;
	place(buf + hl, inner, inner_len);
	put_ip(outer, proto, inner_len, buf);
	return (int)(hl + inner_len);
}

int pd_build_gre(const struct pd_ip_spec *outer, const struct pd_gre_spec *gre,
		 const uint8_t *inner, size_t inner_len, uint8_t *buf,
		 size_t cap)
{
	size_t hl, gl, len;
	uint8_t *p, *q;
	int rc;

	if (!gre || (!inner && inner_len) || inner_len > IP_MAX)
		return PD_ERR_INVAL;
	gl = 4 + (gre->has_csum ? 4 : 0) + (gre->has_key ? 4 : 0) +
	     (gre->has_seq ? 4 : 0);
	len = gl + inner_len;
	rc = ip_check(outer, len, buf, cap, &hl);
	if (rc)
		return rc;
	p = buf + hl;
	place(p + gl, inner, inner_len);
	p[0] = (uint8_t)((gre->has_csum ? 0x80 : 0) | (gre->has_key ? 0x20 : 0) |
			 (gre->has_seq ? 0x10 : 0));
	p[1] = 0;
	pd_store_be16(p + 2, gre->proto);
	q = p + 4;
	if (gre->has_csum) {
		pd_store_be32(q, 0);  /* checksum, then reserved1 */
		q += 4;
	}
	if (gre->has_key) {
		pd_store_be32(q, gre->key);
		q += 4;
	}
	if (gre->has_seq)
		pd_store_be32(q, gre->seq);
	if (gre->has_csum)
		pd_store_be16(p + 4, pd_csum(p, len));
	put_ip(outer, IPPROTO_V_GRE, len, buf);
	return (int)(hl + len);
}

int pd_build_vxlan(const struct pd_ip_spec *outer, uint16_t sport,
		   uint32_t vni, const uint8_t *inner_frame, size_t inner_len,
		   uint8_t *buf, size_t cap)
{
	size_t hl, len;
	uint8_t *p;
	int rc;

	if (!inner_frame || inner_len < ETH_HDR || vni > 0xffffff ||
	    inner_len > IP_MAX)
		return PD_ERR_INVAL;
	len = UDP_HDR + VXLAN_HDR + inner_len;
	rc = ip_check(outer, len, buf, cap, &hl);
	if (rc)
		return rc;
	p = buf + hl + UDP_HDR;
	place(p + VXLAN_HDR, inner_frame, inner_len);
	pd_store_be32(p, 0x08000000);  /* I flag, reserved */
	pd_store_be32(p + 4, vni << 8);
	put_udp(outer, sport, VXLAN_PORT, VXLAN_HDR + inner_len, buf + hl);
	put_ip(outer, IPPROTO_V_UDP, len, buf);
	return (int)(hl + len);
}

/* splitmix64: a reproducible stream of random-looking bytes. */
static uint64_t mix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void fill_random(uint8_t *p, size_t len, uint64_t seed)
{
	uint64_t st = seed;

	while (len >= 8) {
		store_le64(p, mix64(&st));
		p += 8;
		len -= 8;
	}
	if (len) {
		uint64_t v = mix64(&st);

		for (size_t i = 0; i < len; i++)
			p[i] = (uint8_t)(v >> (8 * i));
	}
}

/* Length of the WireGuard message of wg, or 0 if the spec is invalid. */
static size_t wg_len(const struct pd_wg_spec *wg)
{
	size_t padded;

	switch (wg->type) {
	case 1:
		return wg->plain_len ? 0 : WG_INIT_LEN;
	case 2:
		return wg->plain_len ? 0 : WG_RESP_LEN;
	case 3:
		return wg->plain_len ? 0 : WG_COOKIE_LEN;
	case 4:
		if (wg->plain_len > IP_MAX || (wg->mtu && wg->plain_len > wg->mtu))
			return 0;
		padded = (wg->plain_len + 15) & ~(size_t)15;
		if (wg->mtu && padded > wg->mtu)
			padded = wg->mtu;
		return WG_DATA_OVERHEAD + padded;
	}
	return 0;
}

int pd_build_wg(const struct pd_ip_spec *outer, const struct pd_wg_spec *wg,
		uint8_t *buf, size_t cap)
{
	size_t hl, mlen;
	uint64_t seed;
	uint8_t *m;
	int rc;

	if (!wg)
		return PD_ERR_INVAL;
	mlen = wg_len(wg);
	if (!mlen)
		return PD_ERR_INVAL;
	rc = ip_check(outer, UDP_HDR + mlen, buf, cap, &hl);
	if (rc)
		return rc;
	m = buf + hl + UDP_HDR;
	seed = (uint64_t)wg->type << 56 ^ (uint64_t)wg->sender << 24 ^
	       wg->receiver ^ wg->counter * 0x2545f4914f6cdd1du;
	fill_random(m, mlen, seed);
	m[0] = wg->type;
	m[1] = m[2] = m[3] = 0;
	switch (wg->type) {
	case 1:
		store_le32(m + 4, wg->sender);
		memset(m + WG_INIT_LEN - 16, 0, 16);  /* mac2 */
		break;
	case 2:
		store_le32(m + 4, wg->sender);
		store_le32(m + 8, wg->receiver);
		memset(m + WG_RESP_LEN - 16, 0, 16);  /* mac2 */
		break;
	case 3:
		store_le32(m + 4, wg->receiver);
		break;
	case 4:
		store_le32(m + 4, wg->receiver);
		store_le64(m + 8, wg->counter);
		break;
	}
	put_udp(outer, wg->sport, wg->dport, mlen, buf + hl);
	put_ip(outer, IPPROTO_V_UDP, UDP_HDR + mlen, buf);
	return (int)(hl + UDP_HDR + mlen);
}

int pd_build_eth(const uint8_t dst[6], const uint8_t src[6],
		 uint16_t ethertype, size_t payload_len, uint8_t *buf,
		 size_t cap)
{
	if (!dst || !src || !buf || payload_len > (size_t)INT_MAX - ETH_HDR)
		return PD_ERR_INVAL;
	if (cap < ETH_HDR || cap - ETH_HDR < payload_len)
		return PD_ERR_NOSPACE;
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	pd_store_be16(buf + 12, ethertype);
	return (int)(ETH_HDR + payload_len);
}
