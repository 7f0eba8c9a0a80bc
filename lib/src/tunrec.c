/* tunrec.c - tunnel packet records (docs/records.md): a frame turned into a
 * record, and the record file's header and records encoded and decoded over
 * caller buffers.  Little-endian throughout.
 *
 *   packet record (32):
 *    0       1       2       3       4               6               8
 *   +-------+-------+-------+-------+---------------+---------------+
 *   | type 1| kind  | flags |wg type|  outer len    |  inner len    |
 *   +-------+-------+-------+-------+---------------+---------------+
 *   |                      timestamp, ns since the epoch            |  8
 *   +---------------+---------------+-------------------------------+
 *   |  src endpoint |  dst endpoint |     WireGuard receiver index  | 16
 *   +---------------+---------------+-------------------------------+
 *   |       identity: WireGuard counter or FNV-1a 64 of inner bytes | 24
 *   +---------------------------------------------------------------+
 *
 * The identity hash is FNV-1a 64 (non-cryptographic: it tells packets apart,
 * it does not resist someone crafting collisions).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <pathdiag/tunrec.h>

#include "cursor.h"

#define IPPROTO_IPIP_ 4
#define IPPROTO_IPV6_ 41
#define IPPROTO_GRE_ 47
#define IPPROTO_UDP_ 17

uint64_t pd_fnv1a64(const uint8_t *buf, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= buf[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

const char *pd_tunrec_kind_name(unsigned kind)
{
	switch (kind) {
	case PD_TUNREC_WG: return "wireguard";
	case PD_TUNREC_IPIP: return "ipip";
	case PD_TUNREC_6IN4: return "6in4";
	case PD_TUNREC_4IN6: return "4in6";
	case PD_TUNREC_6IN6: return "6in6";
	case PD_TUNREC_GRE: return "gre";
	case PD_TUNREC_VXLAN: return "vxlan";
	}
	return "?";
}

void pd_tunrec_addr_format(const struct pd_tunrec_addr *a, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];

	if (!buf || !len)
		return;
	if (!a || !inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->addr, tmp, sizeof(tmp)))
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%s", tmp);
}

/* Hash the encapsulated bytes [off, off + present) of frame whose declared
 * length is `declared`; sets PARTIAL when the capture cut what we hash. */
static void rec_hash(struct pd_tunrec *rec, const uint8_t *frame, size_t off, size_t present,
		     size_t declared)
{
	size_t want = declared < PD_TUNREC_HASH_MAX ? declared : PD_TUNREC_HASH_MAX;
	size_t n = present < want ? present : want;

	if (n < want)
		rec->flags |= PD_TUNREC_F_PARTIAL;
	rec->ident = pd_fnv1a64(frame + off, n);
}

static int rec_wg(const struct pd_packet *pkt, int wl, const uint8_t *frame,
		  struct pd_tunrec *rec)
{
	const struct pd_layer *l = &pkt->layers[wl];
	const struct pd_wg *wg = &l->u.wg;

	rec->kind = PD_TUNREC_WG;
	rec->wg_type = wg->type;
	if (wg->type == PD_WG_DATA) {
		rec->wg_receiver = wg->receiver;
		rec->ident = wg->counter;
		rec->flags |= wg->keepalive ? PD_TUNREC_F_KEEPALIVE : PD_TUNREC_F_DATA;
		return 1;
	}
	/* Handshake messages carry fresh ephemeral keys or nonces: their bytes
	 * are unique, so their hash is their identity. */
	rec->flags |= PD_TUNREC_F_HANDSHAKE;
	rec->wg_receiver = wg->type == PD_WG_INITIATION ? wg->sender : wg->receiver;
	rec_hash(rec, frame, l->off, l->len, rec->inner_len);
	return 1;
}

int pd_tunrec_from_packet(const struct pd_packet *pkt, const uint8_t *frame, uint64_t ts_ns,
			  struct pd_tunrec *rec)
{
	struct pd_tunrec r;
	const struct pd_layer *ip = NULL, *nx;
	unsigned i, ipi = 0;
	size_t hlen, plen_present, declared, off;
	uint8_t proto;
	bool frag_first;

	if (!pkt || !frame || !rec)
		return PD_ERR_INVAL;
	for (i = 0; i < pkt->nlayers; i++) {
		if (pkt->layers[i].quoted)
			return 0;
		if (pkt->layers[i].kind == PD_LAYER_IPV4 || pkt->layers[i].kind == PD_LAYER_IPV6) {
			ip = &pkt->layers[i];
			ipi = i;
			break;
		}
	}
	if (!ip)
		return 0;
	memset(&r, 0, sizeof(r));
	r.ts_ns = ts_ns;
	if (ip->kind == PD_LAYER_IPV4) {
		const struct pd_ipv4 *h = &ip->u.ip4;

		if (h->frag_off != 0)
			return 0; /* a later fragment: no headers to identify it by */
		frag_first = h->mf;
		hlen = h->ihl;
		r.outer_len = h->total_len;
		proto = h->proto;
		r.src.family = r.dst.family = 4;
		memcpy(r.src.addr, h->src, 4);
		memcpy(r.dst.addr, h->dst, 4);
	} else {
		const struct pd_ipv6 *h = &ip->u.ip6;

		if (h->has_frag && h->frag_off != 0)
			return 0;
		frag_first = h->has_frag && h->frag_more;
		hlen = h->hdr_len;
		r.outer_len = (uint16_t)(40u + h->plen > 0xffff ? 0xffff : 40u + h->plen);
		proto = h->proto;
		r.src.family = r.dst.family = 6;
		memcpy(r.src.addr, h->src, 16);
		memcpy(r.dst.addr, h->dst, 16);
	}
	if (frag_first)
		r.flags |= PD_TUNREC_F_FRAGMENT;
	if (ip->len < hlen || r.outer_len < hlen)
		return 0;
	off = (size_t)ip->off + hlen;
	plen_present = ip->len - hlen;
	declared = r.outer_len - hlen;
	if (off + plen_present > pkt->caplen)
		return 0;
	nx = ipi + 1 < pkt->nlayers ? &pkt->layers[ipi + 1] : NULL;

	switch (proto) {
	case IPPROTO_IPIP_:
	case IPPROTO_IPV6_:
		if (ip->kind == PD_LAYER_IPV4)
			r.kind = proto == IPPROTO_IPIP_ ? PD_TUNREC_IPIP : PD_TUNREC_6IN4;
		else
			r.kind = proto == IPPROTO_IPIP_ ? PD_TUNREC_4IN6 : PD_TUNREC_6IN6;
		break;
	case IPPROTO_GRE_:
		if (!nx || nx->kind != PD_LAYER_GRE || nx->u.gre.hdr_len > plen_present)
			return 0;
		r.kind = PD_TUNREC_GRE;
		off += nx->u.gre.hdr_len;
		plen_present -= nx->u.gre.hdr_len;
		declared = declared > nx->u.gre.hdr_len ? declared - nx->u.gre.hdr_len : 0;
		break;
	case IPPROTO_UDP_: {
		const struct pd_layer *t = ipi + 2 < pkt->nlayers ? &pkt->layers[ipi + 2] : NULL;

		if (!nx || nx->kind != PD_LAYER_UDP || !t || plen_present < 8 || declared < 8)
			return 0;
		off += 8;
		plen_present -= 8;
		declared -= 8;
		if (t->kind == PD_LAYER_WG) {
			r.inner_len = (uint16_t)declared;
			if (rec_wg(pkt, (int)ipi + 2, frame, &r) != 1)
				return 0;
			*rec = r;
			return 1;
		}
		if (t->kind != PD_LAYER_VXLAN || plen_present < PD_VXLAN_HDR_LEN ||
		    declared < PD_VXLAN_HDR_LEN)
			return 0;
		r.kind = PD_TUNREC_VXLAN;
		off += PD_VXLAN_HDR_LEN;
		plen_present -= PD_VXLAN_HDR_LEN;
		declared -= PD_VXLAN_HDR_LEN;
		break;
	}
	default:
		return 0;
	}
	r.inner_len = (uint16_t)declared;
	r.flags |= PD_TUNREC_F_DATA;
	rec_hash(&r, frame, off, plen_present, declared);
	*rec = r;
	return 1;
}

/* ---- encoding ------------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

int pd_tunrec_header_encode(uint64_t start_ns, uint16_t linktype, uint32_t flags,
			    const char *desc, uint8_t *buf, size_t cap, size_t *len,
			    struct pd_error *err)
{
	size_t dl = desc ? strnlen(desc, PD_TUNREC_DESC_MAX) : 0;
	size_t hl = (PD_TUNREC_HDR_FIXED + dl + 7) & ~(size_t)7;

	if (!buf || !len)
		return pd_fail(err, PD_ERR_INVAL, 0, "no output buffer");
	if (cap < hl)
		return pd_fail(err, PD_ERR_NOSPACE, 0, "buffer too small for the header");
	memset(buf, 0, hl);
	memcpy(buf, PD_TUNREC_MAGIC, 8);
	put16(buf + 8, PD_TUNREC_MAJOR);
	put16(buf + 10, PD_TUNREC_MINOR);
	put16(buf + 12, (uint16_t)hl);
	put16(buf + 14, PD_TUNREC_REC_LEN);
	put64(buf + 16, start_ns);
	put32(buf + 24, flags);
	put16(buf + 28, linktype);
	put16(buf + 30, (uint16_t)dl);
	if (dl)
		memcpy(buf + PD_TUNREC_HDR_FIXED, desc, dl);
	*len = hl;
	return PD_OK;
}

static bool addr_eq(const struct pd_tunrec_addr *a, const struct pd_tunrec_addr *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, 16);
}

/* Index of addr in eps, adding it (and writing its endpoint record at *p)
 * when new; PD_TUNREC_EP_NONE when the table is full. */
static uint16_t ep_index(struct pd_tunrec_eps *eps, const struct pd_tunrec_addr *a,
			 uint8_t **p)
{
	unsigned i;

	if (eps->last < eps->count && addr_eq(&eps->ep[eps->last], a))
		return (uint16_t)eps->last;
	for (i = 0; i < eps->count; i++) {
		if (addr_eq(&eps->ep[i], a)) {
			eps->last = i;
			return (uint16_t)i;
		}
	}
	if (eps->count >= PD_TUNREC_MAX_ENDPOINTS)
		return PD_TUNREC_EP_NONE;
	i = eps->count++;
	eps->ep[i] = *a;
	eps->last = i;
	memset(*p, 0, PD_TUNREC_REC_LEN);
	(*p)[0] = PD_TUNREC_ENDPOINT;
	(*p)[1] = a->family;
	put16(*p + 2, (uint16_t)i);
	memcpy(*p + 8, a->addr, 16);
	*p += PD_TUNREC_REC_LEN;
	return (uint16_t)i;
}

int pd_tunrec_encode(struct pd_tunrec_eps *eps, const struct pd_tunrec *rec, uint8_t *buf,
		     size_t cap, size_t *len, struct pd_error *err)
{
	uint8_t *p = buf;
	uint16_t si, di;

	if (!eps || !rec || !buf || !len)
		return pd_fail(err, PD_ERR_INVAL, 0, "missing argument");
	if (cap < 3 * PD_TUNREC_REC_LEN)
		return pd_fail(err, PD_ERR_NOSPACE, 0, "buffer smaller than three records");
	if ((rec->src.family != 4 && rec->src.family != 6) ||
	    (rec->dst.family != 4 && rec->dst.family != 6))
		return pd_fail(err, PD_ERR_INVAL, 0, "endpoint family is neither 4 nor 6");
	if (rec->kind < PD_TUNREC_WG || rec->kind > PD_TUNREC_KIND_MAX)
		return pd_fail(err, PD_ERR_INVAL, 0, "unknown tunnel kind");
	si = ep_index(eps, &rec->src, &p);
	di = ep_index(eps, &rec->dst, &p);
	memset(p, 0, PD_TUNREC_REC_LEN);
	p[0] = PD_TUNREC_PACKET;
	p[1] = rec->kind;
	p[2] = rec->flags & PD_TUNREC_F_KNOWN;
	p[3] = rec->wg_type;
	put16(p + 4, rec->outer_len);
	put16(p + 6, rec->inner_len);
	put64(p + 8, rec->ts_ns);
	put16(p + 16, si);
	put16(p + 18, di);
	put32(p + 20, rec->wg_receiver);
	put64(p + 24, rec->ident);
	p += PD_TUNREC_REC_LEN;
	*len = (size_t)(p - buf);
	return PD_OK;
}

int pd_tunrec_encode_end(uint64_t end_ns, uint64_t records, uint32_t drops, uint8_t *buf,
			 size_t cap, size_t *len, struct pd_error *err)
{
	if (!buf || !len)
		return pd_fail(err, PD_ERR_INVAL, 0, "no output buffer");
	if (cap < PD_TUNREC_REC_LEN)
		return pd_fail(err, PD_ERR_NOSPACE, 0, "buffer smaller than a record");
	memset(buf, 0, PD_TUNREC_REC_LEN);
	buf[0] = PD_TUNREC_END;
	put32(buf + 4, drops);
	put64(buf + 8, end_ns);
	put64(buf + 16, records);
	*len = PD_TUNREC_REC_LEN;
	return PD_OK;
}

/* ---- decoding ------------------------------------------------------------------- */

int pd_tunrec_header_decode(const uint8_t *buf, size_t len, struct pd_tunrec_header *hdr,
			    struct pd_error *err)
{
	struct pd_cursor c = pd_cur_init(buf, len);
	uint8_t magic[8];
	uint16_t dl;
	uint32_t lo, hi;

	if (!buf || !hdr)
		return pd_fail(err, PD_ERR_INVAL, 0, "missing argument");
	memset(hdr, 0, sizeof(*hdr));
	if (!pd_cur_bytes(&c, magic, 8))
		return pd_fail(err, PD_ERR_TRUNCATED, len, "record file shorter than its magic");
	if (memcmp(magic, PD_TUNREC_MAGIC, 8))
		return pd_fail(err, PD_ERR_MALFORMED, 0, "not a tunsniff record file (magic)");
	if (!pd_cur_le16(&c, &hdr->major) || !pd_cur_le16(&c, &hdr->minor))
		return pd_fail(err, PD_ERR_TRUNCATED, c.off, "record file header truncated");
	if (hdr->major != PD_TUNREC_MAJOR)
		return pd_fail(err, PD_ERR_UNSUPPORTED, 8,
			       "record file major version is not 1 (written by another version)");
	if (!pd_cur_le16(&c, &hdr->hdr_len) || !pd_cur_le16(&c, &hdr->rec_len) ||
	    !pd_cur_le32(&c, &lo) || !pd_cur_le32(&c, &hi) || !pd_cur_le32(&c, &hdr->flags) ||
	    !pd_cur_le16(&c, &hdr->linktype) || !pd_cur_le16(&c, &dl) || !pd_cur_skip(&c, 8))
		return pd_fail(err, PD_ERR_TRUNCATED, c.off, "record file header truncated");
	hdr->start_ns = (uint64_t)hi << 32 | lo;
	if (hdr->rec_len < PD_TUNREC_REC_LEN || hdr->rec_len > PD_TUNREC_REC_MAX)
		return pd_fail(err, PD_ERR_MALFORMED, 14, "record size below 32 or above 4096");
	if (hdr->hdr_len < PD_TUNREC_HDR_FIXED + (size_t)dl)
		return pd_fail(err, PD_ERR_MALFORMED, 12, "header length shorter than its fields");
	if (dl > PD_TUNREC_DESC_MAX)
		return pd_fail(err, PD_ERR_MALFORMED, 30, "description longer than 255 bytes");
	if (len < hdr->hdr_len)
		return pd_fail(err, PD_ERR_TRUNCATED, len, "record file header truncated");
	memcpy(hdr->desc, buf + PD_TUNREC_HDR_FIXED, dl);
	hdr->desc[dl] = '\0';
	return PD_OK;
}

int pd_tunrec_decode(struct pd_tunrec_eps *eps, const uint8_t *buf, size_t len, size_t rec_len,
		     struct pd_tunrec_item *item, struct pd_error *err)
{
	struct pd_cursor c = pd_cur_init(buf, len);
	uint8_t type = 0, b1 = 0, b2 = 0, b3 = 0;
	uint16_t idx, si = 0, di = 0;
	uint32_t lo = 0, hi = 0;
	struct pd_tunrec *r;

	if (!eps || !buf || !item)
		return pd_fail(err, PD_ERR_INVAL, 0, "missing argument");
	if (rec_len < PD_TUNREC_REC_LEN || rec_len > PD_TUNREC_REC_MAX)
		return pd_fail(err, PD_ERR_INVAL, 0, "record size below 32 or above 4096");
	if (len < rec_len)
		return pd_fail(err, PD_ERR_TRUNCATED, len, "record truncated");
	memset(item, 0, sizeof(*item));
	pd_cur_u8(&c, &type);
	pd_cur_u8(&c, &b1);
	pd_cur_u8(&c, &b2);
	pd_cur_u8(&c, &b3);
	switch (type) {
	case PD_TUNREC_ENDPOINT:
		idx = (uint16_t)(b2 | (unsigned)b3 << 8);
		if (b1 != 4 && b1 != 6)
			return pd_fail(err, PD_ERR_MALFORMED, 1, "endpoint family is neither 4 nor 6");
		if (idx != eps->count)
			return pd_fail(err, PD_ERR_MALFORMED, 2,
				       "endpoint index out of sequence");
		if (idx >= PD_TUNREC_MAX_ENDPOINTS)
			return pd_fail(err, PD_ERR_UNSUPPORTED, 2, "more than 1024 endpoints");
		eps->ep[idx].family = b1;
		memcpy(eps->ep[idx].addr, buf + 8, 16);
		if (b1 == 4)
			memset(eps->ep[idx].addr + 4, 0, 12);
		eps->count++;
		item->type = PD_TUNREC_ENDPOINT;
		return PD_OK;
	case PD_TUNREC_END:
		item->type = PD_TUNREC_END;
		c.off = 4;
		pd_cur_le32(&c, &item->end_drops);
		pd_cur_le32(&c, &lo);
		pd_cur_le32(&c, &hi);
		item->end_ns = (uint64_t)hi << 32 | lo;
		pd_cur_le32(&c, &lo);
		pd_cur_le32(&c, &hi);
		item->end_records = (uint64_t)hi << 32 | lo;
		return PD_OK;
	case PD_TUNREC_PACKET:
		break;
	default:
		if (type == 0)
			return pd_fail(err, PD_ERR_MALFORMED, 0, "record type 0");
		item->type = 0; /* a later minor version's record: skip it */
		return PD_OK;
	}
	r = &item->rec;
	if (b1 < PD_TUNREC_WG || b1 > PD_TUNREC_KIND_MAX)
		return pd_fail(err, PD_ERR_MALFORMED, 1, "unknown tunnel kind");
	r->kind = b1;
	r->flags = b2;
	r->wg_type = b3;
	pd_cur_le16(&c, &r->outer_len);
	pd_cur_le16(&c, &r->inner_len);
	pd_cur_le32(&c, &lo);
	pd_cur_le32(&c, &hi);
	r->ts_ns = (uint64_t)hi << 32 | lo;
	pd_cur_le16(&c, &si);
	pd_cur_le16(&c, &di);
	pd_cur_le32(&c, &r->wg_receiver);
	pd_cur_le64(&c, &r->ident);
	if (r->outer_len < 20)
		return pd_fail(err, PD_ERR_MALFORMED, 4, "outer length below 20");
	if ((r->kind == PD_TUNREC_WG) != (r->wg_type != 0))
		return pd_fail(err, PD_ERR_MALFORMED, 3, "WireGuard type on a non-WireGuard record");
	if (si == PD_TUNREC_EP_NONE || si >= eps->count || di == PD_TUNREC_EP_NONE ||
	    di >= eps->count) {
		/* Endpoints beyond a full table stay unknown; indices never
		 * defined are an error. */
		if ((si != PD_TUNREC_EP_NONE && si >= eps->count) ||
		    (di != PD_TUNREC_EP_NONE && di >= eps->count))
			return pd_fail(err, PD_ERR_MALFORMED, 16,
				       "packet record names an undefined endpoint");
	}
	if (si != PD_TUNREC_EP_NONE)
		r->src = eps->ep[si];
	if (di != PD_TUNREC_EP_NONE)
		r->dst = eps->ep[di];
	item->type = PD_TUNREC_PACKET;
	return PD_OK;
}
