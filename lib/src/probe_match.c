/* probe_match.c - is this answer about one of our probes, and what does it say?
 *
 * Specs: RFC 792 and RFC 4443 (echo; errors quote the offending packet: at
 * least its IP header and 8 bytes, RFC 1812 4.3.2.3 / RFC 4443 2.4(c) as
 * much as fits), RFC 1191 section 4 (next-hop MTU, >= 68: RFC 791 3.2),
 * RFC 8201 section 4 (Packet Too Big; MTUs below 1280 are not honoured,
 * RFC 8200 section 5), RFC 9293 3.10.7.1 (SYN-ACK / RST answering a SYN).
 *
 * The token at the start of every probe's payload:
 *
 *    0               4               8               12      14  15  16
 *   +---------------+---------------+---------------+-------+---+---+
 *   | magic "pdPR"  | prober cookie |   probe id    |ip size|ttl|mth|
 *   +---------------+---------------+---------------+-------+---+---+
 *
 * Verdicts: an event; "unmatched" for anything well-formed that is not
 * about a probe of ours (another flow, a foreign or stale token, a quote too
 * short to say which probe); "bogus" for what is malformed or claims to be
 * about our probe but cannot be (a token contradicting the header fields, a
 * bad checksum, "fragmentation needed" quoting a packet without DF).  A
 * "too big" error about our probe whose MTU is impossible (below the
 * protocol minimum, or not below the probe's size) is an event flagged
 * mtu_bogus: it shows that the router answers, wrongly.  Where the quoted
 * IP header is seen (raw sockets) its total length must be the probe's;
 * where the kernel returns only the quoted payload (error queues) the
 * quoted destination it names must be the target.  Every packet byte
 * is read through the library's decoders or the bounds-checked cursor.
 */
#include <string.h>
#include <netinet/in.h>

#include <pathdiag/checksum.h>
#include <pathdiag/icmp.h>
#include <pathdiag/ipv4.h>
#include <pathdiag/ipv6.h>
#include <pathdiag/transport.h>

#include "cursor.h"
#include "probe_match.h"

#define IP4_MTU_MIN 68
#define IP6_MTU_MIN 1280

size_t pdi_hdr_len(int family, enum pd_probe_method m)
{
	size_t ip = family == 6 ? PDI_IP6_HDR : PDI_IP4_HDR;

	switch (m) {
	case PD_PROBE_ICMP:
		return ip + PDI_ICMP_HDR;
	case PD_PROBE_UDP:
		return ip + PDI_UDP_HDR;
	case PD_PROBE_TCP:
		return ip + PDI_TCP_HDR;
	case PD_PROBE_PEER:
		return ip + PDI_UDP_HDR + PDI_PEER_HDR;
	}
	return 0;
}

void pdi_token_put(uint8_t out[PD_PROBE_TOKEN_LEN], uint32_t cookie, uint32_t id,
		   uint16_t ip_size, uint8_t ttl, enum pd_probe_method m)
{
	pd_store_be32(out, PDI_TOKEN_MAGIC);
	pd_store_be32(out + 4, cookie);
	pd_store_be32(out + 8, id);
	pd_store_be16(out + 12, ip_size);
	out[14] = ttl;
	out[15] = (uint8_t)m;
}

enum pdi_token_status pdi_token_get(const uint8_t *buf, size_t len, uint32_t cookie,
				    uint32_t *id, uint16_t *ip_size)
{
	struct pd_cursor c = pd_cur_init(buf, len);
	uint32_t magic = 0, ck = 0, i = 0;
	uint16_t sz = 0;

	if (!buf || len < PD_PROBE_TOKEN_LEN)
		return PDI_TOKEN_SHORT;
	pd_cur_be32(&c, &magic);
	pd_cur_be32(&c, &ck);
	pd_cur_be32(&c, &i);
	pd_cur_be16(&c, &sz);
	if (magic != PDI_TOKEN_MAGIC || ck != cookie)
		return PDI_TOKEN_FOREIGN;
	*id = i;
	*ip_size = sz;
	return PDI_TOKEN_OK;
}

struct pdi_probe_rec *pdi_table_add(struct pdi_table *t, uint16_t ip_size, uint8_t ttl)
{
	struct pdi_probe_rec *r;
	uint32_t id = t->last_id + 1;

	if (id == 0)
		id = 1;
	t->last_id = id;
	r = &t->rec[id % PD_PROBE_WINDOW];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->ip_size = ip_size;
	r->ttl = ttl;
	return r;
}

const struct pdi_probe_rec *pdi_table_get(const struct pdi_table *t, uint32_t id)
{
	const struct pdi_probe_rec *r;

	if (id == 0)
		return NULL;
	r = &t->rec[id % PD_PROBE_WINDOW];
	return r->id == id ? r : NULL;
}

const struct pdi_probe_rec *pdi_table_by_echo_seq(const struct pdi_table *t, uint16_t seq)
{
	/* The newest id whose low 16 bits are seq: the window (1024) is far
	 * below 65536, so at most one probe in it has them; an older one has
	 * left its slot, which pdi_table_get checks. */
	uint32_t back = (uint16_t)((uint16_t)t->last_id - seq);

	if (back >= t->last_id)
		return NULL;
	return pdi_table_get(t, t->last_id - back);
}

bool pdi_table_seen(struct pdi_table *t, uint32_t id, enum pd_probe_event_kind k)
{
	struct pdi_probe_rec *r;
	uint8_t bit = (uint8_t)(1u << ((unsigned)k & 7));

	if (id == 0)
		return false;
	r = &t->rec[id % PD_PROBE_WINDOW];
	if (r->id != id)
		return false;
	if (r->seen & bit)
		return true;
	r->seen |= bit;
	return false;
}

static const struct pdi_probe_rec *table_by_tcp(const struct pdi_table *t, uint16_t sport,
						 uint32_t seq)
{
	for (size_t i = 0; i < PD_PROBE_WINDOW; i++) {
		const struct pdi_probe_rec *r = &t->rec[i];

		if (r->id && r->tcp_sport == sport && r->tcp_seq == seq)
			return r;
	}
	return NULL;
}

bool pdi_sa_addr(const struct sockaddr_storage *sa, uint8_t out[16])
{
	memset(out, 0, 16);
	if (sa->ss_family == AF_INET) {
		struct sockaddr_in s4;

		memcpy(&s4, sa, sizeof(s4));
		memcpy(out, &s4.sin_addr, 4);
		return true;
	}
	if (sa->ss_family == AF_INET6) {
		struct sockaddr_in6 s6;

		memcpy(&s6, sa, sizeof(s6));
		memcpy(out, &s6.sin6_addr, 16);
		return true;
	}
	return false;
}

uint16_t pdi_sa_port(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET) {
		struct sockaddr_in s4;

		memcpy(&s4, sa, sizeof(s4));
		return ntohs(s4.sin_port);
	}
	if (sa->ss_family == AF_INET6) {
		struct sockaddr_in6 s6;

		memcpy(&s6, sa, sizeof(s6));
		return ntohs(s6.sin6_port);
	}
	return 0;
}

enum pdi_err_kind pdi_icmp_err_kind(int family, uint8_t type, uint8_t code)
{
	if (family == 6) {
		switch (type) {
		case PD_ICMP6_PACKET_TOO_BIG:
			return PDI_ERRK_TOO_BIG;
		case PD_ICMP6_TIME_EXCEEDED:
			return code == 0 ? PDI_ERRK_TTL : PDI_ERRK_OTHER;
		case PD_ICMP6_DEST_UNREACH:
			return PDI_ERRK_UNREACH;
		case PD_ICMP6_PARAM_PROBLEM:
			return PDI_ERRK_OTHER;
		}
		return type < 128 ? PDI_ERRK_OTHER : PDI_ERRK_NONE;
	}
	switch (type) {
	case PD_ICMP4_DEST_UNREACH:
		return code == PD_ICMP4_CODE_FRAG_NEEDED ? PDI_ERRK_TOO_BIG : PDI_ERRK_UNREACH;
	case PD_ICMP4_TIME_EXCEEDED:
		return code == 0 ? PDI_ERRK_TTL : PDI_ERRK_OTHER;
	case PD_ICMP4_PARAM_PROBLEM:
	case 4:  /* source quench */
	case 5:  /* redirect */
		return PDI_ERRK_OTHER;
	}
	return PDI_ERRK_NONE;
}

static bool addr_eq(int family, const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, family == 6 ? 16 : 4) == 0;
}

static void event_init(struct pdi_match *m, const struct pdi_probe_rec *r,
		       enum pd_probe_event_kind kind)
{
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->probe_id = r->id;
}

/* A token found after the headers of a probe already identified by header
 * fields (echo sequence, TCP seq): it may be cut off (fine), foreign (an
 * older prober that happened to reuse the identifiers) or ours, and then it
 * must name the same probe. */
static enum pdi_verdict check_token(const struct pdi_flow *f, const struct pdi_probe_rec *r,
				    const uint8_t *p, size_t len, bool required)
{
	uint32_t id = 0;
	uint16_t size = 0;

	switch (pdi_token_get(p, len, f->cookie, &id, &size)) {
	case PDI_TOKEN_SHORT:
		return required ? PDI_BOGUS : PDI_EVENT;
	case PDI_TOKEN_FOREIGN:
		return PDI_UNMATCHED;
	case PDI_TOKEN_OK:
		break;
	}
	return id == r->id && size == r->ip_size ? PDI_EVENT : PDI_BOGUS;
}

/* Probe named by a token alone (UDP): the token must be there. */
static enum pdi_verdict token_probe(const struct pdi_flow *f, const struct pdi_table *t,
				    const uint8_t *p, size_t len,
				    const struct pdi_probe_rec **out)
{
	uint32_t id = 0;
	uint16_t size = 0;
	const struct pdi_probe_rec *r;

	if (pdi_token_get(p, len, f->cookie, &id, &size) != PDI_TOKEN_OK)
		return PDI_UNMATCHED;
	r = pdi_table_get(t, id);
	if (!r)
		return PDI_UNMATCHED;
	if (size != r->ip_size)
		return PDI_BOGUS;
	*out = r;
	return PDI_EVENT;
}

static enum pdi_verdict too_big(const struct pdi_flow *f, const struct pdi_probe_rec *r,
				uint32_t mtu, struct pdi_match *m)
{
	uint32_t min = f->family == 6 ? IP6_MTU_MIN : IP4_MTU_MIN;

	/* A router cannot have been unable to forward a packet no larger than
	 * the MTU it names; and links below the protocol minimum do not
	 * exist (IPv4 "MTU 0" from pre-RFC 1191 routers included).  Such an
	 * error is still about our probe (flow and token match): it is
	 * reported, flagged, so that the caller can tell a router sending
	 * wrong MTUs from one sending nothing. */
	m->kind = PD_PROBE_TOO_BIG;
	m->mtu = mtu;
	m->mtu_bogus = mtu < min || mtu >= r->ip_size;
	return PDI_EVENT;
}

/* What an ICMP error of this type and code about probe r means. */
static enum pdi_verdict classify(const struct pdi_flow *f, const struct pdi_probe_rec *r,
				 uint8_t type, uint8_t code, uint32_t mtu, bool from_dst,
				 struct pdi_match *m)
{
	event_init(m, r, PD_PROBE_UNREACH);
	m->has_icmp = true;
	m->icmp_type = type;
	m->icmp_code = code;
	if (f->family == 4) {
		switch (type) {
		case PD_ICMP4_DEST_UNREACH:
			if (code == PD_ICMP4_CODE_FRAG_NEEDED)
				return too_big(f, r, mtu, m);
			if (code == PD_ICMP4_CODE_PORT_UNREACH && from_dst &&
			    f->method == PD_PROBE_UDP)
				m->kind = PD_PROBE_ACK;
			return PDI_EVENT;
		case PD_ICMP4_TIME_EXCEEDED:
			if (code == 0)
				m->kind = PD_PROBE_TTL_EXCEEDED;
			return PDI_EVENT;
		case PD_ICMP4_PARAM_PROBLEM:
			return PDI_EVENT;
		}
		return PDI_UNMATCHED; /* source quench, redirect: not a verdict */
	}
	switch (type) {
	case PD_ICMP6_DEST_UNREACH:
		if (code == PD_ICMP6_CODE_PORT_UNREACH && from_dst && f->method == PD_PROBE_UDP)
			m->kind = PD_PROBE_ACK;
		return PDI_EVENT;
	case PD_ICMP6_PACKET_TOO_BIG:
		return too_big(f, r, mtu, m);
	case PD_ICMP6_TIME_EXCEEDED:
		if (code == 0)
			m->kind = PD_PROBE_TTL_EXCEEDED;
		return PDI_EVENT;
	case PD_ICMP6_PARAM_PROBLEM:
		return PDI_EVENT;
	}
	return PDI_UNMATCHED;
}

/* The quoted ICMP echo request (from its header on) of an ICMP probe. */
static enum pdi_verdict quoted_echo(const struct pdi_flow *f, const struct pdi_table *t,
				    const uint8_t *p, size_t len,
				    const struct pdi_probe_rec **out)
{
	struct pd_icmp e;
	const struct pdi_probe_rec *r;
	uint8_t req = f->family == 6 ? PD_ICMP6_ECHO_REQUEST : PD_ICMP4_ECHO_REQUEST;
	enum pdi_verdict v;

	if (pd_icmp_decode(f->family, p, len, &e, NULL) < 0)
		return PDI_BOGUS;
	if (e.type != req || e.code != 0 || e.echo_id != f->echo_id)
		return PDI_UNMATCHED;
	r = pdi_table_by_echo_seq(t, e.echo_seq);
	if (!r)
		return PDI_UNMATCHED;
	v = check_token(f, r, p + PDI_ICMP_HDR, len - PDI_ICMP_HDR, false);
	if (v == PDI_EVENT)
		*out = r;
	return v;
}

/* The transport header and payload quoted after the IP header. */
static enum pdi_verdict quoted_l4(const struct pdi_flow *f, const struct pdi_table *t,
				  uint8_t proto, const uint8_t *p, size_t len,
				  const struct pdi_probe_rec **out)
{
	enum pdi_verdict v;

	switch (f->method) {
	case PD_PROBE_UDP:
	case PD_PROBE_PEER: {
		struct pd_udp u;
		size_t skip = PDI_UDP_HDR + (f->method == PD_PROBE_PEER ? PDI_PEER_HDR : 0);

		if (proto != PD_IPPROTO_UDP)
			return PDI_UNMATCHED;
		if (pd_udp_decode(p, len, &u, NULL) < 0)
			return PDI_BOGUS;
		if (u.dport != f->dport || (f->sport && u.sport != f->sport))
			return PDI_UNMATCHED;
		if (len < skip)
			return PDI_UNMATCHED;
		return token_probe(f, t, p + skip, len - skip, out);
	}
	case PD_PROBE_ICMP:
		if (proto != (f->family == 6 ? PD_IPPROTO_ICMPV6 : PD_IPPROTO_ICMP))
			return PDI_UNMATCHED;
		return quoted_echo(f, t, p, len, out);
	case PD_PROBE_TCP: {
		struct pd_tcp tcp;
		const struct pdi_probe_rec *r;

		if (proto != PD_IPPROTO_TCP)
			return PDI_UNMATCHED;
		/* Ports and sequence number are in the 8 bytes every router
		 * must quote. */
		if (pd_tcp_decode_partial(p, len, &tcp, NULL) < 0 || len < 8)
			return PDI_BOGUS;
		if (tcp.dport != f->dport)
			return PDI_UNMATCHED;
		if (len >= 14 && (tcp.flags & (PD_TCP_SYN | PD_TCP_ACK | PD_TCP_RST)) != PD_TCP_SYN)
			return PDI_UNMATCHED;
		r = table_by_tcp(t, tcp.sport, tcp.seq);
		if (!r)
			return PDI_UNMATCHED;
		v = PDI_EVENT;
		if (len >= PDI_TCP_HDR && tcp.hdr_len <= len)
			v = check_token(f, r, p + tcp.hdr_len, len - tcp.hdr_len, false);
		if (v == PDI_EVENT)
			*out = r;
		return v;
	}
	}
	return PDI_UNMATCHED;
}

/* The packet quoted by an ICMP error: ours, to our target, and which probe.
 * *df says whether the quote had DF set (IPv6: always). */
static enum pdi_verdict quoted_probe(const struct pdi_flow *f, const struct pdi_table *t,
				     const uint8_t *q, size_t qlen,
				     const struct pdi_probe_rec **out, bool *df)
{
	struct pd_cursor c = pd_cur_init(q, qlen);
	const uint8_t *src, *dst, *l4;
	size_t l4len;
	uint32_t total;
	uint8_t ver = 0, proto;
	struct pd_ipv4 ip4;
	struct pd_ipv6 ip6;
	enum pdi_verdict v;

	if (!pd_cur_peek8(&c, 0, &ver))
		return PDI_BOGUS;
	ver >>= 4;
	if (ver != (f->family == 6 ? 6 : 4))
		return PDI_UNMATCHED;
	if (ver == 4) {
		if (pd_ipv4_decode(q, qlen, &ip4, NULL) < 0)
			return PDI_BOGUS;
		if (pd_ipv4_is_fragment(&ip4))
			return PDI_UNMATCHED; /* we never send fragments */
		src = ip4.src;
		dst = ip4.dst;
		proto = ip4.proto;
		l4 = q + ip4.ihl;
		l4len = ip4.payload_len;
		total = ip4.total_len;
		*df = ip4.df;
	} else {
		if (pd_ipv6_decode(q, qlen, &ip6, NULL) < 0)
			return PDI_BOGUS;
		if (ip6.n_ext != 0)
			return PDI_UNMATCHED; /* ours carry no extension headers */
		src = ip6.src;
		dst = ip6.dst;
		proto = ip6.proto;
		l4 = q + ip6.hdr_len;
		l4len = ip6.payload_len;
		total = (uint32_t)ip6.plen + PDI_IP6_HDR;
		*df = true;
	}
	if (!addr_eq(f->family, dst, f->dst))
		return PDI_UNMATCHED;
	if (f->src_known && !addr_eq(f->family, src, f->src))
		return PDI_UNMATCHED;
	v = quoted_l4(f, t, proto, l4, l4len, out);
	/* Routers quote the header as they received it: its length is the
	 * probe's, whatever else the quote names. */
	if (v == PDI_EVENT && total != (*out)->ip_size)
		return PDI_BOGUS;
	return v;
}

static enum pdi_verdict echo_reply(const struct pdi_flow *f, const struct pdi_table *t,
				   const struct pd_icmp *icmp, const uint8_t *msg, size_t len,
				   const uint8_t from[16], struct pdi_match *m)
{
	uint8_t reply = f->family == 6 ? PD_ICMP6_ECHO_REPLY : PD_ICMP4_ECHO_REPLY;
	const struct pdi_probe_rec *r;
	enum pdi_verdict v;

	if (f->method != PD_PROBE_ICMP || icmp->type != reply || icmp->code != 0 ||
	    icmp->echo_id != f->echo_id || !addr_eq(f->family, from, f->dst))
		return PDI_UNMATCHED;
	r = pdi_table_by_echo_seq(t, icmp->echo_seq);
	if (!r)
		return PDI_UNMATCHED;
	/* A reply returns all our data, token included. */
	v = check_token(f, r, msg + PDI_ICMP_HDR, len - PDI_ICMP_HDR, true);
	if (v != PDI_EVENT)
		return v;
	event_init(m, r, PD_PROBE_ACK);
	m->has_icmp = true;
	m->icmp_type = icmp->type;
	return PDI_EVENT;
}

enum pdi_verdict pdi_match_icmp(const struct pdi_flow *f, const struct pdi_table *t,
				const uint8_t *msg, size_t len, const uint8_t from[16],
				struct pdi_match *m)
{
	struct pd_icmp icmp;
	const struct pdi_probe_rec *r = NULL;
	enum pdi_verdict v;
	bool df = false;

	memset(m, 0, sizeof(*m));
	if (!msg || pd_icmp_decode(f->family, msg, len, &icmp, NULL) < 0)
		return PDI_BOGUS;
	if (icmp.is_echo && f->family == 4 && pd_csum(msg, len) != 0)
		return PDI_BOGUS;
	if (icmp.is_echo)
		return echo_reply(f, t, &icmp, msg, len, from, m);
	if (!icmp.is_error)
		return PDI_UNMATCHED;
	/* Ignored or not, the caller counts errors by what they claim. */
	m->has_icmp = true;
	m->icmp_type = icmp.type;
	m->icmp_code = icmp.code;
	if (f->family == 4 && pd_csum(msg, len) != 0)
		return PDI_BOGUS;
	v = quoted_probe(f, t, msg + icmp.body_off, icmp.body_len, &r, &df);
	if (v != PDI_EVENT)
		return v;
	/* Fragmentation needed about a packet a router was free to fragment. */
	if (f->family == 4 && icmp.type == PD_ICMP4_DEST_UNREACH &&
	    icmp.code == PD_ICMP4_CODE_FRAG_NEEDED && !df)
		return PDI_BOGUS;
	return classify(f, r, icmp.type, icmp.code, icmp.has_mtu ? icmp.mtu : 0,
			addr_eq(f->family, from, f->dst), m);
}

enum pdi_verdict pdi_match_tcp(const struct pdi_flow *f, const struct pdi_table *t,
			       const uint8_t *seg, size_t len, const uint8_t from[16],
			       struct pdi_match *m)
{
	struct pd_tcp tcp;
	uint32_t sum;
	uint16_t fl, partial;

	memset(m, 0, sizeof(*m));
	if (f->method != PD_PROBE_TCP || !addr_eq(f->family, from, f->dst))
		return PDI_UNMATCHED;
	if (!seg || len > UINT16_MAX || pd_tcp_decode(seg, len, &tcp, NULL) < 0)
		return PDI_BOGUS;
	if (tcp.sport != f->dport)
		return PDI_UNMATCHED;
	if (f->family == 6)
		sum = pd_csum_pseudo6(from, f->src, PD_IPPROTO_TCP, (uint32_t)len);
	else
		sum = pd_csum_pseudo4(from, f->src, PD_IPPROTO_TCP, (uint16_t)len);
	/* A segment from a local peer over veth or loopback may still carry
	 * the partial checksum of an offloaded one: the folded pseudo-header
	 * sum, to be completed by hardware that never saw it.  Raw sockets get
	 * the bytes as they are. */
	partial = (uint16_t)~pd_csum_finish(sum);
	if (pd_csum_finish(pd_csum_add(sum, seg, len)) != 0 && tcp.checksum != partial)
		return PDI_BOGUS;
	fl = tcp.flags & (PD_TCP_SYN | PD_TCP_ACK | PD_TCP_RST);
	if (fl != (PD_TCP_SYN | PD_TCP_ACK) && fl != (PD_TCP_RST | PD_TCP_ACK))
		return PDI_UNMATCHED;
	for (size_t i = 0; i < PD_PROBE_WINDOW; i++) {
		const struct pdi_probe_rec *r = &t->rec[i];
		uint32_t plen;

		if (!r->id || r->tcp_sport != tcp.dport)
			continue;
		plen = r->ip_size - (uint32_t)pdi_hdr_len(f->family, PD_PROBE_TCP);
		/* The SYN counts one; its data counts only if accepted (TFO),
		 * and a RST answering it acknowledges everything. */
		if (tcp.ack == r->tcp_seq + 1 || tcp.ack == r->tcp_seq + 1 + plen) {
			event_init(m, r, PD_PROBE_ACK);
			m->tcp_flags = fl;
			return PDI_EVENT;
		}
	}
	return PDI_UNMATCHED;
}

enum pdi_verdict pdi_match_udp(const struct pdi_flow *f, const struct pdi_table *t,
			       const uint8_t *data, size_t len, const uint8_t from[16],
			       struct pdi_match *m)
{
	const struct pdi_probe_rec *r = NULL;
	enum pdi_verdict v;

	memset(m, 0, sizeof(*m));
	if (f->method != PD_PROBE_UDP || !addr_eq(f->family, from, f->dst))
		return PDI_UNMATCHED;
	v = token_probe(f, t, data, len, &r);
	if (v != PDI_EVENT)
		return v;
	event_init(m, r, PD_PROBE_ACK);
	return PDI_EVENT;
}

enum pdi_verdict pdi_match_errq(const struct pdi_flow *f, const struct pdi_table *t,
				const struct pdi_sockerr *se, const uint8_t *data,
				size_t len, struct pdi_match *m)
{
	const struct pdi_probe_rec *r = NULL;
	uint8_t from[16];
	enum pdi_verdict v;
	bool from_dst;

	memset(m, 0, sizeof(*m));
	if (!se || !se->present)
		return PDI_UNMATCHED;
	if (se->origin != (f->family == 6 ? PDI_EE_ORIGIN_ICMP6 : PDI_EE_ORIGIN_ICMP))
		return PDI_UNMATCHED;
	m->has_icmp = true;
	m->icmp_type = se->type;
	m->icmp_code = se->code;
	/* The kernel hands a ping socket every error quoting its echo
	 * identifier, whatever the quoted destination: it must be ours (and
	 * for UDP the port too, though the kernel matched the socket by it). */
	if (se->quoted.ss_family != 0) {
		uint8_t qdst[16];

		if (!pdi_sa_addr(&se->quoted, qdst) || !addr_eq(f->family, qdst, f->dst))
			return PDI_UNMATCHED;
		if (f->method != PD_PROBE_ICMP && pdi_sa_port(&se->quoted) != f->dport)
			return PDI_UNMATCHED;
	}
	from_dst = pdi_sa_addr(&se->offender, from) && addr_eq(f->family, from, f->dst);
	switch (f->method) {
	case PD_PROBE_UDP:
		v = token_probe(f, t, data, len, &r);
		break;
	case PD_PROBE_ICMP:
		v = quoted_echo(f, t, data, len, &r);
		break;
	case PD_PROBE_PEER:
		/* The token follows the FWD_PROBE header and body. */
		if (!data || len < PDI_PEER_HDR)
			return PDI_UNMATCHED;
		v = token_probe(f, t, data + PDI_PEER_HDR, len - PDI_PEER_HDR, &r);
		break;
	default:
		return PDI_UNMATCHED;
	}
	if (v != PDI_EVENT)
		return v;
	return classify(f, r, se->type, se->code, se->info, from_dst, m);
}
