/* fuzz_dissect.c - libFuzzer target for pd_dissect, the whole-frame walk
 * (pathdiag/dissect.h), and pd_packet_find / pd_layer_name.
 *
 * Input: two selector bytes, then the frame.
 *   byte 0 modulo 9: 0 NULL  1 EN10MB  2 RAW  3 LOOP  4 LINUX_SLL  5 IPV4
 *                    6 IPV6  7 LINUX_SLL2  8 an unsupported linktype
 *   byte 1: bit 0 no_wg_heuristic, bits 1-2 vxlan_port (0, 4790, 8472,
 *           51820), bit 3 opts = NULL, bits 4-5 wirelen = caplen + (0, 1,
 *           1000, 65535), bit 6 wirelen = caplen / 2 instead (nonsense a
 *           caller could pass; must not hurt).  Seeds use 0x01 0x00.
 * Checks: the error convention on pkt->err; nlayers <= PD_MAX_LAYERS; every
 * layer inside the capture and inside the layer that carries it; offsets
 * strictly increasing and at least one header further on; "quoted" only
 * after an ICMP error and never switched off again; nothing after a
 * WireGuard layer or a non-first fragment; each layer's kind agrees with its
 * first bytes and with the protocol field of the layer before it; the same
 * answer a second time; pd_packet_find agrees with a linear search.
 */
#include <pathdiag/dissect.h>

#include "fuzz_common.h"

static const int linktypes[8] = {
	PD_LINKTYPE_NULL, PD_LINKTYPE_ETHERNET, PD_LINKTYPE_RAW,
	PD_LINKTYPE_LOOP, PD_LINKTYPE_LINUX_SLL, PD_LINKTYPE_IPV4,
	PD_LINKTYPE_IPV6, PD_LINKTYPE_LINUX_SLL2,
};

static const uint16_t vxlan_ports[4] = { 0, 4790, 8472, 51820 };
static const size_t wire_extra[4] = { 0, 1, 1000, 65535 };

/* Bytes of its own header that layer l occupies before the next layer. */
static size_t header_len(const struct pd_layer *l)
{
	switch (l->kind) {
	case PD_LAYER_LINK: return l->u.link.hdr_len;
	case PD_LAYER_IPV4: return l->u.ip4.ihl;
	case PD_LAYER_IPV6: return l->u.ip6.hdr_len;
	case PD_LAYER_ICMP: return l->u.icmp.body_off;
	case PD_LAYER_UDP: return PD_UDP_HDR_LEN;
	case PD_LAYER_TCP: return l->u.tcp.hdr_present;
	case PD_LAYER_WG: return 4;
	case PD_LAYER_GRE: return l->u.gre.hdr_len;
	case PD_LAYER_VXLAN: return PD_VXLAN_HDR_LEN;
	case PD_LAYER_PPP: return l->u.ppp.hdr_len;
	case PD_LAYER_CMD: return 8;  /* Cisco MetaData: fixed 8 bytes */
	}
	return 0;
}

/* May layer `in` directly follow layer `out`?  Answers from the protocol
 * field of the outer header (RFC 791 protocol, RFC 8200 next header, GRE
 * protocol type, PPP protocol, EtherType). */
static bool may_follow(const struct pd_layer *out, const struct pd_layer *in)
{
	uint16_t et = 0;

	switch (out->kind) {
	case PD_LAYER_IPV4:
	case PD_LAYER_IPV6: {
		uint8_t p = out->kind == PD_LAYER_IPV4 ? out->u.ip4.proto : out->u.ip6.proto;

		switch (in->kind) {
		case PD_LAYER_ICMP:
			return (p == PD_IPPROTO_ICMP && in->u.icmp.family == 4) ||
			       (p == PD_IPPROTO_ICMPV6 && in->u.icmp.family == 6);
		case PD_LAYER_IPV4: return p == PD_IPPROTO_IPIP;
		case PD_LAYER_IPV6: return p == PD_IPPROTO_IPV6;
		case PD_LAYER_TCP: return p == PD_IPPROTO_TCP;
		case PD_LAYER_UDP: return p == PD_IPPROTO_UDP;
		case PD_LAYER_GRE: return p == PD_IPPROTO_GRE;
		default: return false;
		}
	}
	case PD_LAYER_ICMP:
		return out->u.icmp.is_error &&
		       (in->kind == PD_LAYER_IPV4 || in->kind == PD_LAYER_IPV6);
	case PD_LAYER_UDP:
		return in->kind == PD_LAYER_VXLAN || in->kind == PD_LAYER_WG;
	case PD_LAYER_TCP:
	case PD_LAYER_WG:
		return false;
	case PD_LAYER_VXLAN:
		return in->kind == PD_LAYER_LINK;
	case PD_LAYER_PPP:
		return (in->kind == PD_LAYER_IPV4 && out->u.ppp.proto == 0x0021) ||
		       (in->kind == PD_LAYER_IPV6 && out->u.ppp.proto == 0x0057);
	case PD_LAYER_GRE:
		et = out->u.gre.proto;
		break;
	case PD_LAYER_LINK:
		et = out->u.link.ethertype;
		break;
	case PD_LAYER_CMD:
		et = out->u.cmd_proto;
		break;
	}
	switch (in->kind) {
	case PD_LAYER_IPV4: return et == PD_ETHERTYPE_IPV4;
	case PD_LAYER_IPV6: return et == PD_ETHERTYPE_IPV6;
	case PD_LAYER_LINK: return et == PD_ETHERTYPE_TEB;
	case PD_LAYER_PPP: return et == PD_ETHERTYPE_PPP;
	case PD_LAYER_CMD: return et == PD_ETHERTYPE_CMD;
	default: return false;
	}
}

/* Does the IPv6 extension chain of layer l (in frame f) hold a Fragment
 * header with a non-zero offset?  Then what follows it is the middle of a
 * datagram, whatever the decoder recorded as "the" fragment header. */
static bool ipv6_nonfirst_fragment(const uint8_t *f, const struct pd_layer *l)
{
	const struct pd_ipv6 *ip = &l->u.ip6;
	size_t off = (size_t)l->off + PD_IPV6_HDR_LEN, end = (size_t)l->off + ip->hdr_len;
	unsigned i;

	for (i = 0; i < ip->n_ext && off + 8 <= end; i++) {
		uint8_t nh = ip->chain[i];

		if (nh == PD_IPPROTO_FRAGMENT) {
			if (fz_be16(f + off + 2) >> 3)
				return true;
			off += 8;
		} else if (nh == PD_IPPROTO_AH) {
			off += ((size_t)f[off + 1] + 2) * 4;
		} else {
			off += ((size_t)f[off + 1] + 1) * 8;
		}
	}
	return false;
}

/* What the first bytes of a layer must look like, whatever else the
 * decoder made of them. */
static void check_bytes(const uint8_t *f, const struct pd_layer *l)
{
	const uint8_t *p = f + l->off;

	switch (l->kind) {
	case PD_LAYER_IPV4:
		FZ_STRICT(p[0] >> 4 == 4 && l->u.ip4.proto == p[9]);
		break;
	case PD_LAYER_IPV6:
		FZ_STRICT(p[0] >> 4 == 6 && l->u.ip6.chain[0] == p[6]);
		break;
	case PD_LAYER_ICMP:
		FZ_STRICT(l->u.icmp.type == p[0] && l->u.icmp.code == p[1]);
		break;
	case PD_LAYER_UDP:
		FZ_STRICT(l->u.udp.sport == fz_be16(p) && l->u.udp.dport == fz_be16(p + 2));
		break;
	case PD_LAYER_TCP:
		FZ_STRICT(l->u.tcp.sport == fz_be16(p) && l->u.tcp.dport == fz_be16(p + 2));
		break;
	case PD_LAYER_WG:
		FZ_STRICT(l->u.wg.type == p[0]);
		break;
	case PD_LAYER_GRE:
		FZ_STRICT(l->u.gre.proto == fz_be16(p + 2));
		break;
	case PD_LAYER_VXLAN:
		FZ_STRICT(l->u.vxlan.flags == p[0]);
		break;
	default:
		break;
	}
}

static void check_layers(const uint8_t *f, size_t caplen, int linktype,
			 const struct pd_packet *pkt)
{
	unsigned i;

	for (i = 0; i < pkt->nlayers; i++) {
		const struct pd_layer *l = &pkt->layers[i];
		size_t end = (size_t)l->off + l->len, hl;

		FZ_CHECK(l->kind >= PD_LAYER_LINK && l->kind <= PD_LAYER_CMD);
		FZ_CHECK(end <= caplen);
		hl = header_len(l);
		/* The header the decoder read lies inside the layer (of a TCP
		 * header, the part present; quoted ones may have only 4 bytes). */
		FZ_CHECK(hl <= l->len);
		if (l->kind == PD_LAYER_TCP)
			FZ_CHECK(l->len >= (l->quoted ? 4 : PD_TCP_HDR_MIN));
		fz_check_what(pd_layer_name(l->kind));
		check_bytes(f, l);
		if (l->kind == PD_LAYER_LINK && l->u.link.nvlan > PD_MAX_VLAN)
			FZ_CHECK(0);

		if (i == 0) {
			FZ_STRICT(l->kind == PD_LAYER_LINK && l->off == 0);
			FZ_STRICT(!l->quoted);
			if (l->kind == PD_LAYER_LINK)
				FZ_STRICT(l->u.link.linktype == linktype);
			continue;
		}

		const struct pd_layer *o = &pkt->layers[i - 1];
		size_t ohl = header_len(o);

		/* Strictly further in, past the outer header; only a raw-IP
		 * link header is empty. */
		if (o->kind == PD_LAYER_LINK && ohl == 0)
			FZ_CHECK(l->off >= o->off);
		else
			FZ_CHECK(l->off > o->off);
		FZ_CHECK(l->off >= o->off + ohl);
		/* Inside the outer layer. */
		FZ_CHECK(end <= (size_t)o->off + o->len);
		if (o->quoted)
			FZ_CHECK(l->quoted);
		if (l->quoted && !o->quoted)
			FZ_CHECK(o->kind == PD_LAYER_ICMP && o->u.icmp.is_error);
		FZ_CHECK(o->kind != PD_LAYER_WG);
		if (o->kind == PD_LAYER_IPV4)
			FZ_STRICT(o->u.ip4.frag_off == 0);
		if (o->kind == PD_LAYER_IPV6)
			FZ_STRICT(!ipv6_nonfirst_fragment(f, o));
		FZ_STRICT(may_follow(o, l));
	}
}

static void check_find(const struct pd_packet *pkt)
{
	int k;

	for (k = PD_LAYER_LINK; k <= PD_LAYER_CMD; k++) {
		int first = -1, got;
		unsigned i;

		for (i = 0; i < pkt->nlayers; i++)
			if (pkt->layers[i].kind == (enum pd_layer_kind)k) {
				first = (int)i;
				break;
			}
		got = pd_packet_find(pkt, (enum pd_layer_kind)k, 0);
		FZ_CHECK(got == first);
		if (first >= 0) {
			int next = -1;

			for (i = (unsigned)first + 1; i < pkt->nlayers; i++)
				if (pkt->layers[i].kind == (enum pd_layer_kind)k) {
					next = (int)i;
					break;
				}
			got = pd_packet_find(pkt, (enum pd_layer_kind)k,
					     (unsigned)first + 1);
			FZ_CHECK(got == next);
		}
		/* Past the end (even past the array) finds nothing. */
		FZ_CHECK(pd_packet_find(pkt, (enum pd_layer_kind)k, pkt->nlayers) == -1);
		FZ_CHECK(pd_packet_find(pkt, (enum pd_layer_kind)k, 1000) == -1);
	}
}

static void check_same(const struct pd_packet *a, const struct pd_packet *b)
{
	unsigned i;

	FZ_CHECK(a->nlayers == b->nlayers);
	FZ_CHECK(a->err.code == b->err.code);
	if (a->err.code)
		FZ_CHECK(a->err.offset == b->err.offset && a->err.what == b->err.what);
	for (i = 0; i < a->nlayers && i < PD_MAX_LAYERS; i++) {
		FZ_CHECK(a->layers[i].kind == b->layers[i].kind);
		FZ_CHECK(a->layers[i].off == b->layers[i].off);
		FZ_CHECK(a->layers[i].len == b->layers[i].len);
		FZ_CHECK(a->layers[i].quoted == b->layers[i].quoted);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_dissect_opts opts;
	const struct pd_dissect_opts *o = &opts;
	struct pd_packet *pkt, *pkt2;
	unsigned sel, ob;
	int linktype, ret, ret2;
	size_t caplen, wirelen;
	uint8_t *f;

	if (size < 2)
		return 0;
	sel = data[0] % 9;
	ob = data[1];
	/* LINKTYPE_USER0 + n: never one of ours. */
	linktype = sel < 8 ? linktypes[sel] : 147 + data[0] % 16;
	memset(&opts, 0, sizeof(opts));
	opts.no_wg_heuristic = ob & 1;
	opts.vxlan_port = vxlan_ports[(ob >> 1) & 3];
	if (ob & 8)
		o = NULL;
	caplen = size - 2;
	wirelen = ob & 0x40 ? caplen / 2 : caplen + wire_extra[(ob >> 4) & 3];
	f = fz_dup(data + 2, caplen);

	/* On the heap and exactly sized, so that reading past layers[] is
	 * caught too. */
	pkt = malloc(sizeof(*pkt));
	pkt2 = malloc(sizeof(*pkt2));
	if (!pkt || !pkt2)
		abort();
	memset(pkt, 0, sizeof(*pkt));
	memset(pkt2, 0xa5, sizeof(*pkt2));

	ret = pd_dissect(linktype, f, caplen, wirelen, o, pkt);
	ret2 = pd_dissect(linktype, f, caplen, wirelen, o, pkt2);
	FZ_CHECK(ret == ret2);
	FZ_CHECK(ret <= 0);
	FZ_CHECK(pkt->nlayers <= PD_MAX_LAYERS);
	check_same(pkt, pkt2);
	FZ_CHECK(ret == pkt->err.code);
	if (ret != 0)
		fz_check_err(ret, &pkt->err, caplen);
	FZ_STRICT(pkt->caplen == caplen);
	if (!(ob & 0x40))
		FZ_STRICT(pkt->wirelen == wirelen);
	if (sel == 8) {
		FZ_STRICT(ret < 0);
		FZ_STRICT(pkt->nlayers == 0);
	}
	check_layers(f, caplen, linktype, pkt);
	check_find(pkt);
	/* An error never hides behind the layers already decoded. */
	if (ret != 0 && pkt->nlayers > 0)
		FZ_CHECK(pkt->err.offset >= pkt->layers[pkt->nlayers - 1].off);

	free(pkt2);
	free(pkt);
	free(f);
	return 0;
}
