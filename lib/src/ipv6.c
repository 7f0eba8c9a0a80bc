/* ipv6.c - IPv6 header and extension header chain: RFC 8200 sections 3
 * (fixed header), 4 (extension headers; 4.2 options; 4.5 fragment), RFC
 * 4302 (AH, length in 32-bit words minus 2), RFC 6275 (mobility, 135), RFC
 * 7401 (HIP, 139), RFC 5533 (shim6, 140), RFC 2473 section 5.1 (Tunnel
 * Encapsulation Limit option), RFC 2675 (Jumbo Payload option).
 *
 *   fixed:  |Ver| Traffic Class | Flow Label (20) |
 *           | Payload Length | Next Header | Hop Limit |
 *           | Source Address (16) | Destination Address (16) |
 *
 *   ext:    | Next Header | Hdr Ext Len | ... |  length (Hdr Ext Len+1)*8,
 *                                              AH: (Payload Len+2)*4
 *   frag:   | Next Header | reserved | Fragment Offset (13) |Res|M|
 *           | Identification (32) |                         8 bytes
 *   option: | Type | Opt Data Len | data |    Pad1 is a lone zero byte
 *
 * After a Fragment header with a non-zero offset, the bytes are the middle
 * of someone's payload, not headers: the walk stops there.
 */
#include <string.h>

#include <pathdiag/ipv6.h>

#include "cursor.h"

#define IPPROTO_MOBILITY 135
#define IPPROTO_HIP 139
#define IPPROTO_SHIM6 140

#define FRAG_HDR_LEN 8
#define OPT_PAD1 0
#define OPT_TEL 4               /* RFC 2473: Opt Data Len 1 */
#define OPT_JUMBO 0xc2          /* RFC 2675: Opt Data Len 4 */

bool pd_ipv6_is_ext(uint8_t nh)
{
	switch (nh) {
	case PD_IPPROTO_HOPOPTS:
	case PD_IPPROTO_ROUTING:
	case PD_IPPROTO_FRAGMENT:
	case PD_IPPROTO_AH:
	case PD_IPPROTO_DSTOPTS:
	case IPPROTO_MOBILITY:
	case IPPROTO_HIP:
	case IPPROTO_SHIM6:
		return true;
	}
	return false;
}

/* Is [hoff, hoff + need) inside the datagram (end, from the payload length)
 * and inside the buffer?  Past the datagram is a lie in the header; past the
 * buffer only a short capture. */
static int room(size_t hoff, size_t need, size_t end, size_t len,
		struct pd_error *err)
{
	if (hoff + need > end && end <= len)
		return pd_fail(err, PD_ERR_MALFORMED, hoff,
			       "IPv6 extension header runs past the payload length");
	if (hoff + need > len)
		return pd_fail(err, PD_ERR_TRUNCATED, hoff,
			       "IPv6 extension header cut short");
	return PD_OK;
}

/* TLV options of a hop-by-hop (dst = false) or destination options header
 * at hoff, hlen bytes long, all present in buf. */
static int parse_options(const uint8_t *buf, size_t hoff, size_t hlen, bool dst,
			 struct pd_ipv6 *out, struct pd_error *err)
{
	struct pd_cursor c = pd_cur_init(buf, hoff + hlen);

	c.off = hoff + 2;
	while (pd_cur_left(&c) > 0) {
		size_t ooff = c.off;
		uint8_t type, olen, v8 = 0;
		uint32_t v32 = 0;

		pd_cur_u8(&c, &type);
		if (type == OPT_PAD1)
			continue;
		if (!pd_cur_u8(&c, &olen) || !pd_cur_has(&c, olen))
			return pd_fail(err, PD_ERR_MALFORMED, ooff,
				       "IPv6 option runs past the end of its header");
		if (dst && type == OPT_TEL) {
			if (olen != 1)
				return pd_fail(err, PD_ERR_MALFORMED, ooff,
					       "Tunnel Encapsulation Limit option length not 1");
			pd_cur_u8(&c, &v8);
			if (out->tel < 0)
				out->tel = v8;
		} else if (!dst && type == OPT_JUMBO && out->n_ext == 0) {
			/* Only the hop-by-hop header right after the fixed
			 * header counts (RFC 8200 s4.1, RFC 2675 s2): the
			 * walk bounds the datagram by this value once. */
			if (olen != 4)
				return pd_fail(err, PD_ERR_MALFORMED, ooff,
					       "Jumbo Payload option length not 4");
			pd_cur_be32(&c, &v32);
			out->jumbo_len = v32;
		} else {
			pd_cur_skip(&c, olen);
		}
	}
	return PD_OK;
}

/* The Fragment header at hoff (8 bytes present).  Records the first one,
 * unless a later one is a real fragment and the recorded one atomic. */
static void parse_fragment(const uint8_t *buf, size_t hoff, struct pd_ipv6 *out,
			   uint16_t *offset)
{
	struct pd_cursor c = pd_cur_init(buf, hoff + FRAG_HDR_LEN);
	uint16_t offlg = 0;
	uint32_t ident = 0;

	c.off = hoff + 2;
	pd_cur_be16(&c, &offlg);
	pd_cur_be32(&c, &ident);
	*offset = offlg >> 3;
	/* Keep the first Fragment header, with two exceptions: a real one
	 * replaces an atomic one, and one with a non-zero offset always wins,
	 * since it ends the walk and what follows it is fragment data: callers
	 * rely on frag_off != 0 to not decode those bytes as headers. */
	if (out->has_frag && *offset == 0 &&
	    (pd_ipv6_is_fragment(out) || (offlg & 0xfff9) == 0))
		return;
	out->has_frag = true;
	out->frag_ident = ident;
	out->frag_off = offlg >> 3;
	out->frag_more = offlg & 1;
}

int pd_ipv6_decode(const uint8_t *buf, size_t len, struct pd_ipv6 *out,
		   struct pd_error *err)
{
	struct pd_cursor c = pd_cur_init(buf, len);
	uint32_t vtf = 0;
	uint8_t nxt = 0;
	size_t off, end, avail;
	int rc;

	memset(out, 0, sizeof(*out));
	out->tel = -1;
	if (!pd_cur_has(&c, PD_IPV6_HDR_LEN))
		return pd_fail(err, PD_ERR_TRUNCATED, 0,
			       "IPv6 header shorter than 40 bytes");
	pd_cur_be32(&c, &vtf);
	if (vtf >> 28 != 6)
		return pd_fail(err, PD_ERR_MALFORMED, 0,
			       "IPv6 header with version other than 6");
	out->tclass = (uint8_t)(vtf >> 20);
	out->flow = vtf & 0xfffff;
	pd_cur_be16(&c, &out->plen);
	pd_cur_u8(&c, &nxt);
	pd_cur_u8(&c, &out->hlim);
	pd_cur_bytes(&c, out->src, 16);
	pd_cur_bytes(&c, out->dst, 16);
	out->chain[0] = nxt;

	off = PD_IPV6_HDR_LEN;
	/* A zero payload length with a hop-by-hop header may be a jumbogram:
	 * the real length is in that header, so bound it by the buffer only. */
	if (out->plen == 0 && nxt == PD_IPPROTO_HOPOPTS)
		end = SIZE_MAX;
	else
		end = PD_IPV6_HDR_LEN + (size_t)out->plen;

	while (pd_ipv6_is_ext(nxt)) {
		struct pd_cursor hc = pd_cur_init(buf, len);
		size_t hoff = off, hlen;
		uint8_t next = 0, hl = 0;
		uint16_t frag_offset = 0;

		if (out->n_ext == PD_IPV6_MAX_EXT)
			return pd_fail(err, PD_ERR_MALFORMED, hoff,
				       "IPv6 extension header chain longer than PD_IPV6_MAX_EXT");
		rc = room(hoff, 2, end, len, err);
		if (rc)
			return rc;
		hc.off = hoff;
		pd_cur_u8(&hc, &next);
		pd_cur_u8(&hc, &hl);
		if (nxt == PD_IPPROTO_FRAGMENT)
			hlen = FRAG_HDR_LEN;
		else if (nxt == PD_IPPROTO_AH)
			hlen = ((size_t)hl + 2) * 4;
		else
			hlen = ((size_t)hl + 1) * 8;
		rc = room(hoff, hlen, end, len, err);
		if (rc)
			return rc;

		switch (nxt) {
		case PD_IPPROTO_HOPOPTS:
		case PD_IPPROTO_DSTOPTS:
			rc = parse_options(buf, hoff, hlen,
					   nxt == PD_IPPROTO_DSTOPTS, out, err);
			if (rc)
				return rc;
			break;
		case PD_IPPROTO_FRAGMENT:
			parse_fragment(buf, hoff, out, &frag_offset);
			break;
		}
		if (end == SIZE_MAX) {
			/* Just walked the hop-by-hop header of a zero-length
			 * datagram: now its length is known. */
			end = PD_IPV6_HDR_LEN + (size_t)out->jumbo_len;
			rc = room(hoff, hlen, end, len, err);
			if (rc)
				return rc;
		}
		out->n_ext++;
		out->chain[out->n_ext] = next;
		off = hoff + hlen;
		nxt = next;
		if (frag_offset != 0)
			break;
	}
	if (off > UINT16_MAX)
		return pd_fail(err, PD_ERR_UNSUPPORTED, 0,
			       "IPv6 extension headers longer than 65535 bytes");
	out->proto = nxt;
	out->hdr_len = (uint16_t)off;
	avail = len < end ? len : end;
	out->payload_len = (uint32_t)(avail - off);
	out->truncated = len < end;
	return PD_OK;
}
