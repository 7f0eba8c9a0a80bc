/* dissect.c - walk a captured frame from the link layer inwards (see
 * pathdiag/dissect.h).
 *
 * Specifications: the per-header decoders cite theirs; this file only
 * chooses the next decoder.  EtherTypes (IEEE 802), IP protocol numbers
 * (IANA; RFC 2003 IP-in-IP, RFC 4213 6in4, RFC 2473 4in6/6in6), GRE protocol
 * types (RFC 2784), PPTP's PPP (RFC 2637, RFC 1661), VXLAN (RFC 7348, UDP
 * 4789), ICMP errors quoting the offending packet (RFC 792, RFC 4443), and
 * Cisco MetaData (TrustSec SGT tagging; Cisco publishes no RFC, the layout
 * is the one on the wire in real captures and in tshark), decoded here:
 *
 *   CMD behind EtherType 0x8909 (Ethernet):
 *   | version (1) | length (1) | option len/type (2) | SGT (2) | EtherType (2) |
 *   CMD behind GRE protocol 0x8909 (the EtherType moves to the front):
 *   | EtherType (2) | version (1) | length (1) | option len/type (2) | SGT (2) |
 *
 * The walk, each arrow chosen by the field named on it:
 *
 *   link --EtherType--> IPv4 | IPv6 | (ARP, LLC, others: stop)
 *   IPv4/IPv6 --proto--> IPv4 (4) | IPv6 (41) | GRE (47) | UDP | TCP | ICMP
 *   GRE --proto--> IPv4 | IPv6 | Ethernet (0x6558) | PPP (0x880b) | CMD
 *   PPP --proto--> IPv4 (0x0021) | IPv6 (0x0057)
 *   UDP --port 4789--> VXLAN --> Ethernet;  UDP --shape--> WireGuard
 *   ICMP error --> the quoted IP packet (layers marked quoted)
 *
 * Every layer's bytes are bounded by the capture and by the length fields
 * of the headers around it (IPv4 total length, IPv6 payload length, UDP
 * length through the IP bounds).  Bytes that end early are an error, except
 * inside an ICMP quote or a (completely captured) first fragment, where
 * ending early is normal.
 */
#include <string.h>

#include <pathdiag/dissect.h>

#include "cursor.h"

/* Walk context flags. */
enum {
	WALK_QUOTED = 1 << 0,  /* inside the packet an ICMP error quotes */
	WALK_PARTIAL = 1 << 1, /* bytes may end before the headers do */
	WALK_IN_GRE = 1 << 2,  /* EtherType came from GRE (CMD layout) */
};

#define CMD_HDR_LEN 8
#define PPP_PROTO_IPV4 0x0021
#define PPP_PROTO_IPV6 0x0057

struct walker {
	const uint8_t *frame;
	struct pd_packet *pkt;
	uint16_t vxlan_port;
	bool wg_heuristic;
};

static int walk_ethertype(struct walker *w, uint16_t type, size_t off, size_t len, unsigned flags);
static int walk_ipproto(struct walker *w, uint8_t proto, size_t off, size_t len, unsigned flags);

/* Reserve the next layer slot; the caller fills it and calls layer_commit
 * once its decoder succeeded.  Running out of slots is an error at `off`. */
static struct pd_layer *layer_slot(struct walker *w, enum pd_layer_kind kind, size_t off,
				   unsigned flags)
{
	struct pd_layer *l;

	if (w->pkt->nlayers >= PD_MAX_LAYERS) {
		pd_fail(&w->pkt->err, PD_ERR_UNSUPPORTED, off,
			"frame nests more than PD_MAX_LAYERS layers");
		return NULL;
	}
	l = &w->pkt->layers[w->pkt->nlayers];
	/* The union is not cleared here: each decoder clears the member it
	 * fills (a per-frame clear of the whole slot showed in profiles). */
	l->kind = kind;
	l->off = (uint16_t)off;
	l->len = 0;
	l->quoted = (flags & WALK_QUOTED) != 0;
	return l;
}

static void layer_commit(struct walker *w, struct pd_layer *l, size_t len)
{
	l->len = (uint16_t)len;
	w->pkt->nlayers++;
}

/* A per-header decoder failed on the bytes at `off`.  Where bytes may end
 * early (a quote, a first fragment), running out ends the walk quietly;
 * anything else becomes the packet's error, its offset made frame-relative. */
static int layer_fail(struct walker *w, const struct pd_error *e, size_t off, unsigned flags)
{
	if ((flags & WALK_PARTIAL) && e->code == PD_ERR_TRUNCATED)
		return PD_OK;
	return pd_fail(&w->pkt->err, e->code, off + e->offset, e->what);
}

static int walk_eth(struct walker *w, size_t off, size_t len, unsigned flags)
{
	struct pd_error e = { 0 };
	struct pd_layer *l = layer_slot(w, PD_LAYER_LINK, off, flags);

	if (!l)
		return w->pkt->err.code;
	if (pd_eth_decode(w->frame + off, len, &l->u.link, &e) < 0)
		return layer_fail(w, &e, off, flags);
	layer_commit(w, l, len);
	/* 802.3 length + LLC (EtherType 0): nothing we decode follows. */
	if (l->u.link.ethertype == 0)
		return PD_OK;
	return walk_ethertype(w, l->u.link.ethertype, off + l->u.link.hdr_len,
			      len - l->u.link.hdr_len, flags & ~WALK_IN_GRE);
}

static int walk_ipv4(struct walker *w, size_t off, size_t len, unsigned flags)
{
	struct pd_error e = { 0 };
	struct pd_layer *l = layer_slot(w, PD_LAYER_IPV4, off, flags);
	const struct pd_ipv4 *ip;

	if (!l)
		return w->pkt->err.code;
	if (pd_ipv4_decode(w->frame + off, len, &l->u.ip4, &e) < 0)
		return layer_fail(w, &e, off, flags);
	ip = &l->u.ip4;
	layer_commit(w, l, (size_t)ip->ihl + ip->payload_len);
	/* A later fragment carries payload bytes from the middle of the
	 * datagram, not headers. */
	if (ip->frag_off != 0)
		return PD_OK;
	/* A first fragment may end inside the headers it starts; a capture
	 * that cut it short is still truncated. */
	if (ip->mf && !ip->truncated)
		flags |= WALK_PARTIAL;
	return walk_ipproto(w, ip->proto, off + ip->ihl, ip->payload_len, flags);
}

static int walk_ipv6(struct walker *w, size_t off, size_t len, unsigned flags)
{
	struct pd_error e = { 0 };
	struct pd_layer *l = layer_slot(w, PD_LAYER_IPV6, off, flags);
	const struct pd_ipv6 *ip;

	if (!l)
		return w->pkt->err.code;
	if (pd_ipv6_decode(w->frame + off, len, &l->u.ip6, &e) < 0)
		return layer_fail(w, &e, off, flags);
	ip = &l->u.ip6;
	layer_commit(w, l, (size_t)ip->hdr_len + ip->payload_len);
	if (ip->has_frag && ip->frag_off != 0)
		return PD_OK;
	if (ip->has_frag && ip->frag_more && !ip->truncated)
		flags |= WALK_PARTIAL;
	return walk_ipproto(w, ip->proto, off + ip->hdr_len, ip->payload_len, flags);
}

/* Cisco MetaData: 8 bytes whose EtherType sits first behind GRE and last
 * behind an Ethernet EtherType.  Only the EtherType matters to the walk. */
static int walk_cmd(struct walker *w, size_t off, size_t len, unsigned flags)
{
	struct pd_cursor c = pd_cur_init(w->frame + off, len);
	struct pd_layer *l = layer_slot(w, PD_LAYER_CMD, off, flags);
	uint16_t type = 0; /* set below: the header was checked to be whole */

	if (!l)
		return w->pkt->err.code;
	if (!pd_cur_has(&c, CMD_HDR_LEN)) {
		struct pd_error e = { PD_ERR_TRUNCATED, 0, "Cisco MetaData header truncated", 0 };

		return layer_fail(w, &e, off, flags);
	}
	if (!(flags & WALK_IN_GRE))
		pd_cur_skip(&c, CMD_HDR_LEN - 2);
	pd_cur_be16(&c, &type);
	l->u.cmd_proto = type;
	layer_commit(w, l, len);
	return walk_ethertype(w, type, off + CMD_HDR_LEN, len - CMD_HDR_LEN, flags & ~WALK_IN_GRE);
}

static int walk_ppp(struct walker *w, size_t off, size_t len, unsigned flags)
{
	struct pd_error e = { 0 };
	struct pd_layer *l = layer_slot(w, PD_LAYER_PPP, off, flags);
	const struct pd_ppp *ppp;

	if (!l)
		return w->pkt->err.code;
	if (pd_ppp_decode(w->frame + off, len, &l->u.ppp, &e) < 0)
		return layer_fail(w, &e, off, flags);
	ppp = &l->u.ppp;
	layer_commit(w, l, len);
	off += ppp->hdr_len;
	len -= ppp->hdr_len;
	switch (ppp->proto) {
	case PPP_PROTO_IPV4:
		return walk_ipv4(w, off, len, flags);
	case PPP_PROTO_IPV6:
		return walk_ipv6(w, off, len, flags);
	}
	return PD_OK; /* LCP, CCP, compressed data...: not IP */
}

static int walk_ethertype(struct walker *w, uint16_t type, size_t off, size_t len, unsigned flags)
{
	switch (type) {
	case PD_ETHERTYPE_IPV4:
		return walk_ipv4(w, off, len, flags & ~WALK_IN_GRE);
	case PD_ETHERTYPE_IPV6:
		return walk_ipv6(w, off, len, flags & ~WALK_IN_GRE);
	case PD_ETHERTYPE_TEB:
		return walk_eth(w, off, len, flags & ~WALK_IN_GRE);
	case PD_ETHERTYPE_PPP:
		return walk_ppp(w, off, len, flags & ~WALK_IN_GRE);
	case PD_ETHERTYPE_CMD:
		return walk_cmd(w, off, len, flags);
	}
	return PD_OK; /* ARP, LLDP, GRE keepalive (0), ...: not decoded */
}

static int walk_gre(struct walker *w, size_t off, size_t len, unsigned flags)
{
	struct pd_error e = { 0 };
	struct pd_layer *l = layer_slot(w, PD_LAYER_GRE, off, flags);
	const struct pd_gre *gre;

	if (!l)
		return w->pkt->err.code;
	if (pd_gre_decode(w->frame + off, len, &l->u.gre, &e) < 0)
		return layer_fail(w, &e, off, flags);
	gre = &l->u.gre;
	if (gre->version == 1) {
		/* Enhanced GRE (RFC 2637 section 4.1) says how long its payload
		 * is; bare acknowledgements have none and no sequence number. */
		size_t plen = gre->key >> 16;

		if (len - gre->hdr_len > plen)
			len = gre->hdr_len + plen;
		if (!gre->has_seq || plen == 0) {
			layer_commit(w, l, len);
			return PD_OK;
		}
	}
	layer_commit(w, l, len);
	return walk_ethertype(w, gre->proto, off + gre->hdr_len, len - gre->hdr_len,
			      flags | WALK_IN_GRE);
}

static int walk_vxlan(struct walker *w, size_t off, size_t len, unsigned flags)
{
	struct pd_error e = { 0 };
	struct pd_layer *l = layer_slot(w, PD_LAYER_VXLAN, off, flags);

	if (!l)
		return w->pkt->err.code;
	if (pd_vxlan_decode(w->frame + off, len, &l->u.vxlan, &e) < 0)
		return layer_fail(w, &e, off, flags);
	layer_commit(w, l, len);
	return walk_eth(w, off + PD_VXLAN_HDR_LEN, len - PD_VXLAN_HDR_LEN, flags);
}

/* WireGuard has no port of its own: a UDP payload is WireGuard when it has
 * the exact shape of a message.  The shape is judged by the length the UDP
 * header gives, as tshark does, so a message cut short (quoted in an ICMP
 * error, or by the snap length) is still recognised from its header. */
static int walk_wg(struct walker *w, const struct pd_udp *udp, size_t off, size_t len,
		   unsigned flags)
{
	struct pd_wg wg;
	struct pd_layer *l;

	if (udp->length < PD_UDP_HDR_LEN || (size_t)udp->length < len + PD_UDP_HDR_LEN)
		return PD_OK;
	if (pd_wg_decode_partial(w->frame + off, len, udp->length - PD_UDP_HDR_LEN, &wg,
				 NULL) < 0)
		return PD_OK; /* not WireGuard: an undecoded payload */
	l = layer_slot(w, PD_LAYER_WG, off, flags);
	if (!l)
		return w->pkt->err.code;
	l->u.wg = wg;
	layer_commit(w, l, len);
	return PD_OK;
}

static int walk_udp(struct walker *w, size_t off, size_t len, unsigned flags)
{
	struct pd_error e = { 0 };
	struct pd_layer *l = layer_slot(w, PD_LAYER_UDP, off, flags);
	const struct pd_udp *udp;

	if (!l)
		return w->pkt->err.code;
	if (pd_udp_decode(w->frame + off, len, &l->u.udp, &e) < 0)
		return layer_fail(w, &e, off, flags);
	udp = &l->u.udp;
	layer_commit(w, l, (size_t)PD_UDP_HDR_LEN + udp->payload_len);
	off += PD_UDP_HDR_LEN;
	len = udp->payload_len;
	/* Either port, as tshark's port table matches a UDP port. */
	if (udp->sport == w->vxlan_port || udp->dport == w->vxlan_port)
		return walk_vxlan(w, off, len, flags);
	if (w->wg_heuristic)
		return walk_wg(w, udp, off, len, flags);
	return PD_OK;
}

static int walk_tcp(struct walker *w, size_t off, size_t len, unsigned flags)
{
	struct pd_error e = { 0 };
	struct pd_layer *l = layer_slot(w, PD_LAYER_TCP, off, flags);
	int rc;

	if (!l)
		return w->pkt->err.code;
	/* A quoted TCP header is often cut after its first 8 bytes (ports and
	 * sequence number, all RFC 792 promises). */
	if (flags & WALK_QUOTED)
		rc = pd_tcp_decode_partial(w->frame + off, len, &l->u.tcp, &e);
	else
		rc = pd_tcp_decode(w->frame + off, len, &l->u.tcp, &e);
	if (rc < 0)
		return layer_fail(w, &e, off, flags);
	/* Options cut by the capture are flagged (opts_truncated), not fatal. */
	layer_commit(w, l, (size_t)l->u.tcp.hdr_present + l->u.tcp.payload_len);
	return PD_OK;
}

static int walk_quote(struct walker *w, int family, size_t off, size_t len, unsigned flags)
{
	struct pd_cursor c = pd_cur_init(w->frame + off, len);
	uint8_t v;

	if (!pd_cur_u8(&c, &v))
		return PD_OK; /* nothing quoted */
	/* The quote is normally of the same family as the ICMP carrying it;
	 * the version nibble settles it when it names the other one. */
	v >>= 4;
	if (v == 4 || (v != 6 && family == 4))
		return walk_ipv4(w, off, len, flags);
	return walk_ipv6(w, off, len, flags);
}

static int walk_icmp(struct walker *w, int family, size_t off, size_t len, unsigned flags)
{
	struct pd_error e = { 0 };
	struct pd_layer *l = layer_slot(w, PD_LAYER_ICMP, off, flags);
	const struct pd_icmp *icmp;

	if (!l)
		return w->pkt->err.code;
	if (pd_icmp_decode(family, w->frame + off, len, &l->u.icmp, &e) < 0)
		return layer_fail(w, &e, off, flags);
	icmp = &l->u.icmp;
	layer_commit(w, l, len);
	if (!icmp->is_error)
		return PD_OK;
	return walk_quote(w, family, off + icmp->body_off, icmp->body_len,
			  flags | WALK_QUOTED | WALK_PARTIAL);
}

static int walk_ipproto(struct walker *w, uint8_t proto, size_t off, size_t len, unsigned flags)
{
	switch (proto) {
	case PD_IPPROTO_IPIP:
		return walk_ipv4(w, off, len, flags);
	case PD_IPPROTO_IPV6:
		return walk_ipv6(w, off, len, flags);
	case PD_IPPROTO_GRE:
		return walk_gre(w, off, len, flags);
	case PD_IPPROTO_UDP:
		return walk_udp(w, off, len, flags);
	case PD_IPPROTO_TCP:
		return walk_tcp(w, off, len, flags);
	case PD_IPPROTO_ICMP:
		return walk_icmp(w, 4, off, len, flags);
	case PD_IPPROTO_ICMPV6:
		return walk_icmp(w, 6, off, len, flags);
	}
	return PD_OK; /* ESP, SCTP, OSPF, No Next Header...: not decoded */
}

int pd_dissect(int linktype, const uint8_t *buf, size_t caplen, size_t wirelen,
	       const struct pd_dissect_opts *opts, struct pd_packet *pkt)
{
	struct walker w;
	struct pd_error e = { 0 };
	struct pd_layer *l;
	size_t len = caplen;

	if (!pkt)
		return PD_ERR_INVAL;
	/* Every layer slot is cleared when it is taken (layer_slot): clearing
	 * all PD_MAX_LAYERS of them here would cost more than the walk. */
	pkt->nlayers = 0;
	memset(&pkt->err, 0, sizeof(pkt->err));
	pkt->caplen = caplen;
	pkt->wirelen = wirelen;
	if (!buf && caplen)
		return pd_fail(&pkt->err, PD_ERR_INVAL, 0, "NULL frame buffer");
	/* Layer offsets are 16-bit: an IP packet never exceeds 64 KiB, so bytes
	 * past that in a (GSO-sized) capture hold no header of ours. */
	if (len > UINT16_MAX)
		len = UINT16_MAX;

	w.frame = buf;
	w.pkt = pkt;
	w.vxlan_port = opts && opts->vxlan_port ? opts->vxlan_port : PD_VXLAN_PORT;
	w.wg_heuristic = !(opts && opts->no_wg_heuristic);

	l = layer_slot(&w, PD_LAYER_LINK, 0, 0);
	if (pd_link_decode(linktype, buf, len, &l->u.link, &e) < 0)
		return layer_fail(&w, &e, 0, 0);
	layer_commit(&w, l, len);
	if (l->u.link.ethertype != 0) {
		int rc = walk_ethertype(&w, l->u.link.ethertype, l->u.link.hdr_len,
					len - l->u.link.hdr_len, 0);
		if (rc < 0)
			return rc;
	}
	return pkt->err.code;
}

int pd_packet_find(const struct pd_packet *pkt, enum pd_layer_kind kind, unsigned from)
{
	if (!pkt)
		return -1;
	for (unsigned i = from; i < pkt->nlayers && i < PD_MAX_LAYERS; i++) {
		if (pkt->layers[i].kind == kind)
			return (int)i;
	}
	return -1;
}

const char *pd_layer_name(enum pd_layer_kind kind)
{
	switch (kind) {
	case PD_LAYER_LINK:
		return "link";
	case PD_LAYER_IPV4:
		return "ipv4";
	case PD_LAYER_IPV6:
		return "ipv6";
	case PD_LAYER_ICMP:
		return "icmp";
	case PD_LAYER_UDP:
		return "udp";
	case PD_LAYER_TCP:
		return "tcp";
	case PD_LAYER_WG:
		return "wg";
	case PD_LAYER_GRE:
		return "gre";
	case PD_LAYER_VXLAN:
		return "vxlan";
	case PD_LAYER_PPP:
		return "ppp";
	case PD_LAYER_CMD:
		return "cmd";
	}
	return "unknown";
}
