/* natpath.c - nattrace's path mode, the pure half: probes with a chosen
 * transport checksum, the comparison of a quoted header with the probe as
 * sent, the parsing of the ICMP answers, and the conclusions over a path.
 *
 * Specs: RFC 791 / RFC 8200 (IP headers), RFC 768, RFC 9293, RFC 792 /
 * RFC 4443 (UDP, TCP, ICMP echo and errors), RFC 1071 and RFC 1624 (the
 * checksum is a one's-complement sum, so adding x to a checksummed region
 * changes its checksum by -x: a fixer value sets it to anything), RFC 1812
 * 4.3.2.3 (how much a router quotes), RFC 1918, RFC 6598, RFC 4193.
 *
 *   IPv4 probe:  | IPv4, ID = key | UDP csum = key | fixer(2) filler... |
 *                | IPv4, ID = key | TCP SYN seq = hi:fixer, csum = key, MSS |
 *                | IPv4, ID = key | ICMP echo seq = key, csum = key | fixer |
 *   IPv6 probe:  | IPv6, flow label = key | same transports |
 *
 * A quote is compared field by field, each field only when every byte of it
 * lies inside the quote (a router of RFC 792 quotes 8 bytes of transport).
 */
#include <string.h>

#include <pathdiag/checksum.h>
#include <pathdiag/encode.h>
#include <pathdiag/icmp.h>
#include <pathdiag/ipv4.h>
#include <pathdiag/ipv6.h>
#include <pathdiag/natpath.h>
#include <pathdiag/transport.h>

#include "cursor.h"

#define PAYLOAD_MAX 256

uint16_t pd_natpath_fixer(uint16_t csum, uint16_t want)
{
	/* csum = ~S; we need S' = S + f with ~S' = want, so f = ~want - S,
	 * which in one's complement is ~want + ~S. */
	uint32_t f = (uint32_t)(uint16_t)~want + csum;

	f = (f & 0xffff) + (f >> 16);
	return (uint16_t)f;
}

static size_t csum_off(enum pd_natpath_proto proto)
{
	switch (proto) {
	case PD_NATPATH_UDP:
		return 6;
	case PD_NATPATH_TCP:
		return 16;
	case PD_NATPATH_ICMP:
		return 2;
	}
	return 0;
}

static int build_once(const struct pd_natpath_probe *p, const struct pd_ip_spec *ip,
		      uint16_t fixer, uint8_t *buf, size_t cap)
{
	uint8_t payload[PAYLOAD_MAX];
	struct pd_tcp_spec tcp;
	size_t i;

	for (i = 0; i < p->payload_len && i < sizeof(payload); i++)
		payload[i] = (uint8_t)(0x50 + i % 16);
	pd_store_be16(payload, fixer);
	switch (p->proto) {
	case PD_NATPATH_UDP:
		return pd_build_udp(ip, p->sport, p->dport, payload, p->payload_len, buf, cap);
	case PD_NATPATH_ICMP:
		return pd_build_icmp_echo(ip, false, p->sport, p->key, payload, p->payload_len,
					  buf, cap);
	case PD_NATPATH_TCP:
		memset(&tcp, 0, sizeof(tcp));
		tcp.sport = p->sport;
		tcp.dport = p->dport;
		tcp.seq = (uint32_t)p->seq_hi << 16 | fixer;
		tcp.flags = PD_TCP_SYN;
		tcp.window = p->window;
		tcp.mss = p->mss;
		return pd_build_tcp(ip, &tcp, NULL, 0, buf, cap);
	}
	return PD_ERR_INVAL;
}

int pd_natpath_build(const struct pd_natpath_probe *p, uint8_t *buf, size_t cap,
		     struct pd_error *err)
{
	struct pd_ip_spec ip;
	size_t iph, off;
	uint16_t c0;
	int len;

	if (!p || !buf || (p->family != 4 && p->family != 6))
		return pd_fail(err, PD_ERR_INVAL, 0, "probe family is not 4 or 6");
	if (p->proto != PD_NATPATH_UDP && p->proto != PD_NATPATH_TCP &&
	    p->proto != PD_NATPATH_ICMP)
		return pd_fail(err, PD_ERR_INVAL, 0, "probe protocol is not UDP, TCP or ICMP");
	if (p->key == 0 || p->key == 0xffff)
		return pd_fail(err, PD_ERR_INVAL, 0, "probe key 0 or 0xffff cannot be a checksum");
	if (p->ttl == 0)
		return pd_fail(err, PD_ERR_INVAL, 0, "probe TTL 0");
	if (p->proto != PD_NATPATH_TCP && (p->payload_len < 2 || p->payload_len > PAYLOAD_MAX))
		return pd_fail(err, PD_ERR_INVAL, 0, "probe payload must be 2..256 bytes");
	memset(&ip, 0, sizeof(ip));
	ip.family = p->family;
	memcpy(ip.src, p->src, 16);
	memcpy(ip.dst, p->dst, 16);
	ip.ttl = p->ttl;
	ip.tos = p->tos;
	ip.df = p->df;
	if (p->family == 4)
		ip.id = p->key;
	else
		ip.flow = p->key;
	iph = pd_ip_header_len(&ip);
	off = iph + csum_off(p->proto);
	len = build_once(p, &ip, 0, buf, cap);
	if (len < 0)
		return pd_fail(err, len, 0, "probe does not fit the buffer");
	if ((size_t)len < off + 2)
		return pd_fail(err, PD_ERR_INVAL, 0, "probe shorter than its checksum");
	c0 = pd_load_be16(buf + off);
	len = build_once(p, &ip, pd_natpath_fixer(c0, p->key), buf, cap);
	if (len < 0)
		return pd_fail(err, len, 0, "probe does not fit the buffer");
	if (pd_load_be16(buf + off) != p->key)
		return pd_fail(err, PD_ERR_INVAL, off, "fixer did not give the chosen checksum");
	return len;
}

/* ---- field names --------------------------------------------------------------- */

static const char *proto_prefix_name(enum pd_natpath_field f, enum pd_natpath_proto proto)
{
	static const char *const udp[] = {
		[PD_NP_SPORT] = "udp.sport", [PD_NP_DPORT] = "udp.dport",
		[PD_NP_CHECKSUM] = "udp.checksum", [PD_NP_PAYLOAD] = "udp.payload",
	};
	static const char *const tcp[] = {
		[PD_NP_SPORT] = "tcp.sport", [PD_NP_DPORT] = "tcp.dport",
		[PD_NP_CHECKSUM] = "tcp.checksum", [PD_NP_PAYLOAD] = "tcp.payload",
	};
	static const char *const icmp[] = {
		[PD_NP_SPORT] = "icmp.id", [PD_NP_DPORT] = "icmp.code",
		[PD_NP_CHECKSUM] = "icmp.checksum", [PD_NP_PAYLOAD] = "icmp.payload",
	};
	const char *const *t = proto == PD_NATPATH_TCP ? tcp :
			       proto == PD_NATPATH_ICMP ? icmp : udp;

	return (size_t)f < sizeof(udp) / sizeof(udp[0]) && t[f] ? t[f] : NULL;
}

const char *pd_natpath_field_name(enum pd_natpath_field f, enum pd_natpath_proto proto)
{
	const char *s = proto_prefix_name(f, proto);

	if (s)
		return s;
	switch (f) {
	case PD_NP_IP_SRC: return "ip.src";
	case PD_NP_IP_DST: return "ip.dst";
	case PD_NP_IP_HDRLEN: return "ip.header_length";
	case PD_NP_IP_DSCP: return "ip.dscp";
	case PD_NP_IP_ECN: return "ip.ecn";
	case PD_NP_IP_LENGTH: return "ip.length";
	case PD_NP_IP_ID: return "ip.id";
	case PD_NP_IP_DF: return "ip.df";
	case PD_NP_IP_PROTO: return "ip.proto";
	case PD_NP_IP_FLOW: return "ip.flow_label";
	case PD_NP_IP_TTL: return "ip.ttl";
	case PD_NP_UDP_LENGTH: return "udp.length";
	case PD_NP_TCP_SEQ: return "tcp.seq";
	case PD_NP_TCP_ACK: return "tcp.ack";
	case PD_NP_TCP_HDRLEN: return "tcp.header_length";
	case PD_NP_TCP_FLAGS: return "tcp.flags";
	case PD_NP_TCP_WINDOW: return "tcp.window";
	case PD_NP_TCP_URGENT: return "tcp.urgent";
	case PD_NP_TCP_MSS: return "tcp.mss";
	case PD_NP_ICMP_TYPE: return "icmp.type";
	case PD_NP_ICMP_SEQ: return "icmp.seq";
	default: return "?";
	}
}

bool pd_natpath_field_is_addr(enum pd_natpath_field f)
{
	return f == PD_NP_IP_SRC || f == PD_NP_IP_DST;
}

/* ---- compare ------------------------------------------------------------------- */

struct cmp {
	struct pd_natpath_diff *d;
	const uint8_t *s, *q;  /* transport headers */
	size_t slen, qlen;     /* bytes of them present */
};

/* The next free change of d, zeroed, for field f; NULL when full. */
static struct pd_natpath_change *new_change(struct pd_natpath_diff *d, enum pd_natpath_field f)
{
	struct pd_natpath_change *c;

	if (d->n == PD_NATPATH_MAX_CHANGES) {
		d->overflow = true;
		return NULL;
	}
	c = &d->change[d->n++];
	memset(c, 0, sizeof(*c));
	c->field = f;
	return c;
}

static void add_num(struct pd_natpath_diff *d, enum pd_natpath_field f, uint32_t sent,
		    uint32_t quoted)
{
	struct pd_natpath_change *c;

	d->compared |= 1u << f;
	if (sent == quoted || !(c = new_change(d, f)))
		return;
	c->sent = sent;
	c->quoted = quoted;
}

static void add_addr(struct pd_natpath_diff *d, enum pd_natpath_field f, const uint8_t *sent,
		     const uint8_t *quoted, size_t alen)
{
	struct pd_natpath_change *c;

	d->compared |= 1u << f;
	if (!memcmp(sent, quoted, alen) || !(c = new_change(d, f)))
		return;
	memcpy(c->sent_addr, sent, alen);
	memcpy(c->quoted_addr, quoted, alen);
}

/* A field of w bytes (1, 2 or 4) at off in both transport headers: compared
 * when the quote (and the probe) hold all of it.  mask/shift pick bits. */
static void cmp_field(struct cmp *c, enum pd_natpath_field f, size_t off, size_t w,
		      uint32_t mask, unsigned shift)
{
	struct pd_cursor cs = pd_cur_init(c->s, c->slen), cq = pd_cur_init(c->q, c->qlen);
	uint32_t a = 0, b = 0;
	uint16_t a16, b16;
	uint8_t a8, b8;

	if (!pd_cur_skip(&cs, off) || !pd_cur_skip(&cq, off))
		return;
	if (w == 1) {
		if (!pd_cur_u8(&cs, &a8) || !pd_cur_u8(&cq, &b8))
			return;
		a = a8;
		b = b8;
	} else if (w == 2) {
		if (!pd_cur_be16(&cs, &a16) || !pd_cur_be16(&cq, &b16))
			return;
		a = a16;
		b = b16;
	} else if (!pd_cur_be32(&cs, &a) || !pd_cur_be32(&cq, &b)) {
		return;
	}
	add_num(c->d, f, (a >> shift) & mask, (b >> shift) & mask);
}

/* Payload bytes from off on (both sides), as far as both hold. */
static void cmp_payload(struct cmp *c, size_t off)
{
	size_t i, n, differ = 0;

	if (c->slen <= off || c->qlen <= off)
		return;
	n = (c->slen < c->qlen ? c->slen : c->qlen) - off;
	for (i = 0; i < n; i++)
		differ += c->s[off + i] != c->q[off + i];
	c->d->compared |= 1u << PD_NP_PAYLOAD;
	if (differ)
		add_num(c->d, PD_NP_PAYLOAD, (uint32_t)n, (uint32_t)differ);
}

static void cmp_tcp(struct cmp *c)
{
	struct pd_tcp ts, tq;
	struct pd_error e;

	cmp_field(c, PD_NP_SPORT, 0, 2, 0xffff, 0);
	cmp_field(c, PD_NP_DPORT, 2, 2, 0xffff, 0);
	cmp_field(c, PD_NP_TCP_SEQ, 4, 4, 0xffffffffu, 0);
	cmp_field(c, PD_NP_TCP_ACK, 8, 4, 0xffffffffu, 0);
	cmp_field(c, PD_NP_TCP_HDRLEN, 12, 1, 0xf, 4);
	cmp_field(c, PD_NP_TCP_FLAGS, 12, 2, 0x1ff, 0);
	cmp_field(c, PD_NP_TCP_WINDOW, 14, 2, 0xffff, 0);
	cmp_field(c, PD_NP_CHECKSUM, 16, 2, 0xffff, 0);
	cmp_field(c, PD_NP_TCP_URGENT, 18, 2, 0xffff, 0);
	/* The data offset field counts words; report bytes. */
	if (c->d->n && c->d->change[c->d->n - 1].field == PD_NP_TCP_HDRLEN) {
		c->d->change[c->d->n - 1].sent *= 4;
		c->d->change[c->d->n - 1].quoted *= 4;
	}
	if (c->qlen < PD_TCP_HDR_MIN || pd_tcp_decode_partial(c->s, c->slen, &ts, &e) < 0 ||
	    pd_tcp_decode_partial(c->q, c->qlen, &tq, &e) < 0)
		return;
	/* MSS: compared once the quote holds the whole option area, or the
	 * MSS option itself. */
	if (tq.has_mss || (c->qlen >= tq.hdr_len && !tq.opts_truncated))
		add_num(c->d, PD_NP_TCP_MSS, ts.has_mss ? ts.mss : 0, tq.has_mss ? tq.mss : 0);
	if (ts.hdr_len == tq.hdr_len)
		cmp_payload(c, ts.hdr_len);
}

int pd_natpath_compare(const uint8_t *sent, size_t sent_len, const uint8_t *quote,
		       size_t quote_len, struct pd_natpath_diff *out, struct pd_error *err)
{
	struct pd_ipv4 s4, q4;
	struct pd_ipv6 s6, q6;
	struct cmp c;
	size_t sh, qh, alen;
	uint8_t sproto, qproto;
	int rc, family;

	if (!out)
		return pd_fail(err, PD_ERR_INVAL, 0, "no diff to fill");
	memset(out, 0, sizeof(*out));
	if (!sent || sent_len < 1 || !quote)
		return pd_fail(err, PD_ERR_INVAL, 0, "no probe to compare with");
	family = sent[0] >> 4;
	if (quote_len < 1)
		return pd_fail(err, PD_ERR_TRUNCATED, 0, "empty quote");
	if (quote[0] >> 4 != family)
		return pd_fail(err, PD_ERR_MALFORMED, 0, "quote is not of the probe's IP version");
	out->family = family;
	out->quoted_bytes = (uint16_t)(quote_len > 65535 ? 65535 : quote_len);
	if (family == 4) {
		if (pd_ipv4_decode(sent, sent_len, &s4, NULL) < 0)
			return pd_fail(err, PD_ERR_INVAL, 0, "probe is not an IPv4 packet");
		rc = pd_ipv4_decode(quote, quote_len, &q4, err);
		if (rc < 0)
			return rc;
		alen = 4;
		add_num(out, PD_NP_IP_HDRLEN, s4.ihl, q4.ihl);
		add_num(out, PD_NP_IP_DSCP, s4.tos >> 2, q4.tos >> 2);
		add_num(out, PD_NP_IP_ECN, s4.tos & 3, q4.tos & 3);
		add_num(out, PD_NP_IP_LENGTH, s4.total_len, q4.total_len);
		add_num(out, PD_NP_IP_ID, s4.id, q4.id);
		add_num(out, PD_NP_IP_DF, s4.df, q4.df);
		add_num(out, PD_NP_IP_PROTO, s4.proto, q4.proto);
		add_addr(out, PD_NP_IP_SRC, s4.src, q4.src, alen);
		add_addr(out, PD_NP_IP_DST, s4.dst, q4.dst, alen);
		out->quoted_ttl = q4.ttl;
		sh = s4.ihl;
		qh = q4.ihl;
		sproto = s4.proto;
		qproto = q4.proto;
	} else if (family == 6) {
		if (pd_ipv6_decode(sent, sent_len, &s6, NULL) < 0)
			return pd_fail(err, PD_ERR_INVAL, 0, "probe is not an IPv6 packet");
		rc = pd_ipv6_decode(quote, quote_len, &q6, err);
		if (rc < 0)
			return rc;
		alen = 16;
		add_num(out, PD_NP_IP_DSCP, s6.tclass >> 2, q6.tclass >> 2);
		add_num(out, PD_NP_IP_ECN, s6.tclass & 3, q6.tclass & 3);
		add_num(out, PD_NP_IP_FLOW, s6.flow, q6.flow);
		add_num(out, PD_NP_IP_LENGTH, s6.plen, q6.plen);
		add_num(out, PD_NP_IP_PROTO, s6.proto, q6.proto);
		add_addr(out, PD_NP_IP_SRC, s6.src, q6.src, alen);
		add_addr(out, PD_NP_IP_DST, s6.dst, q6.dst, alen);
		out->quoted_ttl = q6.hlim;
		sh = s6.hdr_len;
		qh = q6.hdr_len;
		sproto = s6.proto;
		qproto = q6.proto;
	} else {
		return pd_fail(err, PD_ERR_INVAL, 0, "probe is not IPv4 or IPv6");
	}
	if (sproto != qproto || sh > sent_len || qh > quote_len)
		return PD_OK;
	out->proto = sproto == PD_IPPROTO_TCP ? PD_NATPATH_TCP :
		     sproto == PD_IPPROTO_UDP ? PD_NATPATH_UDP : PD_NATPATH_ICMP;
	if (sproto != PD_IPPROTO_TCP && sproto != PD_IPPROTO_UDP && sproto != PD_IPPROTO_ICMP &&
	    sproto != PD_IPPROTO_ICMPV6)
		return PD_OK;
	c.d = out;
	c.s = sent + sh;
	c.slen = sent_len - sh;
	c.q = quote + qh;
	c.qlen = quote_len - qh;
	out->transport_bytes = (uint16_t)(c.qlen > 65535 ? 65535 : c.qlen);
	switch (out->proto) {
	case PD_NATPATH_UDP:
		cmp_field(&c, PD_NP_SPORT, 0, 2, 0xffff, 0);
		cmp_field(&c, PD_NP_DPORT, 2, 2, 0xffff, 0);
		cmp_field(&c, PD_NP_UDP_LENGTH, 4, 2, 0xffff, 0);
		cmp_field(&c, PD_NP_CHECKSUM, 6, 2, 0xffff, 0);
		cmp_payload(&c, PD_UDP_HDR_LEN);
		break;
	case PD_NATPATH_ICMP:
		cmp_field(&c, PD_NP_ICMP_TYPE, 0, 1, 0xff, 0);
		cmp_field(&c, PD_NP_DPORT, 1, 1, 0xff, 0);
		cmp_field(&c, PD_NP_CHECKSUM, 2, 2, 0xffff, 0);
		cmp_field(&c, PD_NP_SPORT, 4, 2, 0xffff, 0);
		cmp_field(&c, PD_NP_ICMP_SEQ, 6, 2, 0xffff, 0);
		cmp_payload(&c, PD_ICMP_HDR_LEN);
		break;
	case PD_NATPATH_TCP:
		cmp_tcp(&c);
		break;
	}
	return PD_OK;
}

/* ---- answers --------------------------------------------------------------------- */

int pd_natpath_parse_icmp(int family, const uint8_t *buf, size_t len,
			  struct pd_natpath_answer *out, struct pd_error *err)
{
	struct pd_icmp ic;
	struct pd_cursor q;
	uint8_t b0, b1, b2, b3, proto = 0;
	uint16_t v, cs;
	size_t ihl, off;
	int rc;

	if (!out)
		return pd_fail(err, PD_ERR_INVAL, 0, "no answer to fill");
	memset(out, 0, sizeof(*out));
	rc = pd_icmp_decode(family, buf, len, &ic, err);
	if (rc < 0)
		return rc;
	out->type = ic.type;
	out->code = ic.code;
	if (ic.is_echo) {
		if (ic.type != (family == 4 ? PD_ICMP4_ECHO_REPLY : PD_ICMP6_ECHO_REPLY))
			return pd_fail(err, PD_ERR_UNSUPPORTED, 0, "echo request, not an answer");
		out->kind = PD_NATPATH_ECHO_REPLY;
		out->key = ic.echo_seq;
		return PD_OK;
	}
	if (!ic.is_error)
		return pd_fail(err, PD_ERR_UNSUPPORTED, 0, "ICMP message that answers no probe");
	if (ic.type == (family == 4 ? PD_ICMP4_TIME_EXCEEDED : PD_ICMP6_TIME_EXCEEDED))
		out->kind = PD_NATPATH_EXPIRED;
	else if (ic.type == (family == 4 ? PD_ICMP4_DEST_UNREACH : PD_ICMP6_DEST_UNREACH))
		out->kind = PD_NATPATH_UNREACH;
	else
		out->kind = PD_NATPATH_ERROR;
	out->quote_off = ic.body_off;
	out->quote_len = ic.body_len;
	q = pd_cur_init(buf + ic.body_off, ic.body_len);
	if (!pd_cur_u8(&q, &b0) || !pd_cur_u8(&q, &b1) || !pd_cur_u8(&q, &b2) ||
	    !pd_cur_u8(&q, &b3))
		return pd_fail(err, PD_ERR_TRUNCATED, ic.body_off, "quote shorter than 4 bytes");
	if (b0 >> 4 != family)
		return pd_fail(err, PD_ERR_MALFORMED, ic.body_off,
			       "quote is not of the message's IP version");
	if (family == 4) {
		ihl = (size_t)(b0 & 0xf) * 4;
		if (!pd_cur_be16(&q, &v) || !pd_cur_skip(&q, 3) || !pd_cur_u8(&q, &proto) ||
		    !pd_cur_has(&q, 10))
			return pd_fail(err, PD_ERR_TRUNCATED, ic.body_off,
				       "quote shorter than an IPv4 header");
		if (ihl < PD_IPV4_HDR_MIN)
			return pd_fail(err, PD_ERR_MALFORMED, ic.body_off, "quoted IHL below 5");
		out->key = v;
	} else {
		ihl = PD_IPV6_HDR_LEN;
		if (!pd_cur_skip(&q, 2) || !pd_cur_u8(&q, &proto) || !pd_cur_has(&q, 33))
			return pd_fail(err, PD_ERR_TRUNCATED, ic.body_off,
				       "quote shorter than an IPv6 header");
		out->key = (uint16_t)(b2 << 8 | b3);
	}
	(void)b1;
	out->quoted_proto = proto;
	switch (proto) {
	case PD_IPPROTO_UDP:
		off = 6;
		break;
	case PD_IPPROTO_TCP:
		off = 16;
		break;
	case PD_IPPROTO_ICMP:
	case PD_IPPROTO_ICMPV6:
		off = 2;
		break;
	default:
		return PD_OK;
	}
	q = pd_cur_init(buf + ic.body_off, ic.body_len);
	if (pd_cur_skip(&q, ihl + off) && pd_cur_be16(&q, &cs)) {
		out->key2 = cs;
		out->has_key2 = true;
	}
	return PD_OK;
}

/* ---- the path ----------------------------------------------------------------------- */

enum pd_natpath_scope pd_natpath_scope(int family, const uint8_t *a)
{
	static const uint8_t zero[16];

	if (!a)
		return PD_NATPATH_OTHER;
	if (family == 4) {
		if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		    (a[0] == 192 && a[1] == 168))
			return PD_NATPATH_PRIVATE;
		if (a[0] == 100 && (a[1] & 0xc0) == 64)
			return PD_NATPATH_SHARED;
		if (a[0] == 127 || a[0] == 0 || (a[0] == 169 && a[1] == 254) || a[0] >= 224)
			return PD_NATPATH_OTHER;
		return PD_NATPATH_PUBLIC;
	}
	if ((a[0] & 0xfe) == 0xfc)
		return PD_NATPATH_ULA;
	if ((a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || a[0] == 0xff ||
	    !memcmp(a, zero, 15))
		return PD_NATPATH_OTHER;
	return PD_NATPATH_PUBLIC;
}

const char *pd_natpath_scope_name(enum pd_natpath_scope s)
{
	switch (s) {
	case PD_NATPATH_PUBLIC: return "public";
	case PD_NATPATH_PRIVATE: return "private";
	case PD_NATPATH_SHARED: return "shared";
	case PD_NATPATH_ULA: return "ula";
	case PD_NATPATH_OTHER: return "other";
	}
	return "?";
}

#define NFIELDS 32

struct fstate {
	bool set;           /* the last quote showed a value other than sent */
	uint32_t v;
	uint8_t addr[16];
};

/* The value a field's state remembers: the quoted value, except for the
 * checksum, which differs from probe to probe by design; there the
 * ones'-complement difference quoted - sent is what a translation fixes. */
static uint32_t state_value(const struct pd_natpath_change *c)
{
	uint32_t d;

	if (c->field != PD_NP_CHECKSUM)
		return c->quoted;
	d = (c->quoted & 0xffffu) + (~c->sent & 0xffffu);
	d = (d & 0xffffu) + (d >> 16);
	return d & 0xffffu;
}

static bool same_value(const struct fstate *st, const struct pd_natpath_change *c)
{
	if (!st->set)
		return false;
	if (pd_natpath_field_is_addr(c->field))
		return !memcmp(st->addr, c->quoted_addr, 16);
	return st->v == state_value(c);
}

static bool is_translation(enum pd_natpath_field f)
{
	return f == PD_NP_IP_SRC || f == PD_NP_IP_DST || f == PD_NP_SPORT || f == PD_NP_DPORT;
}

/* Fields whose change would change the transport checksum by itself. */
static bool moves_checksum(enum pd_natpath_field f)
{
	switch (f) {
	case PD_NP_IP_LENGTH:
	case PD_NP_IP_PROTO:
	case PD_NP_UDP_LENGTH:
	case PD_NP_TCP_SEQ:
	case PD_NP_TCP_ACK:
	case PD_NP_TCP_HDRLEN:
	case PD_NP_TCP_FLAGS:
	case PD_NP_TCP_WINDOW:
	case PD_NP_TCP_URGENT:
	case PD_NP_TCP_MSS:
	case PD_NP_ICMP_TYPE:
	case PD_NP_ICMP_SEQ:
	case PD_NP_PAYLOAD:
		return true;
	default:
		return is_translation(f);
	}
}

static void note_nat(struct pd_natpath_summary *s, unsigned ttl, bool restored)
{
	size_t i;

	for (i = 0; i < s->n_nat; i++)
		if (s->nat_ttl[i] == ttl) {
			s->nat_restored[i] = s->nat_restored[i] && restored;
			return;
		}
	if (s->n_nat == PD_NATPATH_MAX_HOPS)
		return;
	s->nat_ttl[s->n_nat] = ttl;
	s->nat_restored[s->n_nat] = restored;
	s->n_nat++;
	s->nat = true;
}

static void add_ttl_anomaly(struct pd_natpath_hop *h)
{
	struct pd_natpath_diff *d = &h->diff;
	struct pd_natpath_change *c;

	if (d->quoted_ttl <= 1 || !(c = new_change(d, PD_NP_IP_TTL)))
		return;
	c->sent = 1;
	c->quoted = d->quoted_ttl;
}

static void conclude_hop(struct pd_natpath_hop *h, struct pd_natpath_summary *s)
{
	const struct pd_natpath_diff *d = &h->diff;
	bool translated = false, csum_new = false, other = false;
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct pd_natpath_change *c = &d->change[i];

		if (c->field == PD_NP_CHECKSUM)
			csum_new = h->is_new[i];
		else if (moves_checksum(c->field))
			other = true;
		if (!h->is_new[i])
			continue;
		if (is_translation(c->field))
			translated = true;
		switch (c->field) {
		case PD_NP_TCP_MSS:
			if (!s->mss_ttl) {
				s->mss_ttl = h->ttl;
				s->mss_sent = (uint16_t)c->sent;
				s->mss_value = (uint16_t)c->quoted;
			}
			break;
		case PD_NP_IP_DF:
			if (!s->df_ttl && c->sent && !c->quoted)
				s->df_ttl = h->ttl;
			break;
		case PD_NP_IP_DSCP:
			if (!s->dscp_ttl) {
				s->dscp_ttl = h->ttl;
				s->dscp_sent = (uint8_t)c->sent;
				s->dscp_value = (uint8_t)c->quoted;
			}
			break;
		case PD_NP_IP_ECN:
			if (!s->ecn_ttl) {
				s->ecn_ttl = h->ttl;
				s->ecn_sent = (uint8_t)c->sent;
				s->ecn_value = (uint8_t)c->quoted;
			}
			break;
		case PD_NP_IP_TTL:
			if (!s->ttl_ttl)
				s->ttl_ttl = h->ttl;
			break;
		default:
			break;
		}
	}
	if (translated)
		note_nat(s, h->ttl, false);
	else if (csum_new && !other)
		note_nat(s, h->ttl, true);
}

void pd_natpath_analyse(struct pd_natpath_hop *hops, size_t n, struct pd_natpath_summary *s)
{
	struct fstate st[NFIELDS];
	size_t i, j;
	unsigned f;

	memset(s, 0, sizeof(*s));
	memset(st, 0, sizeof(st));
	if (!hops)
		return;
	if (n > PD_NATPATH_MAX_HOPS)
		n = PD_NATPATH_MAX_HOPS;
	for (i = 0; i < n; i++) {
		struct pd_natpath_hop *h = &hops[i];
		struct pd_natpath_diff *d = &h->diff;
		uint32_t listed = 0;

		memset(h->is_new, 0, sizeof(h->is_new));
		if (!h->answered)
			continue;
		h->scope = pd_natpath_scope(d->family ? d->family : 4, h->addr);
		if (h->scope == PD_NATPATH_SHARED && !s->shared_ttl)
			s->shared_ttl = h->ttl;
		if ((h->scope == PD_NATPATH_PRIVATE || h->scope == PD_NATPATH_ULA) &&
		    !s->customer_ttl)
			s->customer_ttl = h->ttl;
		if (!h->has_diff)
			continue;
		add_ttl_anomaly(h);
		d->compared |= 1u << PD_NP_IP_TTL;
		for (j = 0; j < d->n; j++) {
			const struct pd_natpath_change *c = &d->change[j];
			struct fstate *fs = &st[c->field % NFIELDS];

			listed |= 1u << (c->field % NFIELDS);
			h->is_new[j] = !same_value(fs, c);
			fs->set = true;
			fs->v = state_value(c);
			memcpy(fs->addr, c->quoted_addr, 16);
		}
		/* Fields this quote showed unchanged: back to the sent value. */
		for (f = 0; f < NFIELDS; f++)
			if ((d->compared & (1u << f)) && !(listed & (1u << f)))
				st[f].set = false;
		conclude_hop(h, s);
	}
	/* Carrier-grade: a translation first seen at hop t was made after hop
	 * t - 1, so beyond the customer's own (first private) router when
	 * t - 1 > customer_ttl, or inside the shared space when a hop before
	 * it is in 100.64.0.0/10. */
	for (i = 0; i < s->n_nat; i++) {
		unsigned t = s->nat_ttl[i];

		if ((s->shared_ttl && s->shared_ttl < t) ||
		    (s->customer_ttl && t > s->customer_ttl + 1))
			s->carrier_grade = true;
	}
}
