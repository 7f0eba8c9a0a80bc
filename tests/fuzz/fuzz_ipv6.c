/* fuzz_ipv6.c - libFuzzer target for pd_ipv6_decode (RFC 8200 header and
 * extension chain, RFC 4302 AH length, RFC 2473 Tunnel Encapsulation Limit).
 *
 * Input: the bytes from an IPv6 header onwards.  After a successful decode:
 * hdr_len within the buffer, n_ext <= PD_IPV6_MAX_EXT, the chain walked
 * again here gives the same next-header values, lengths, fragment header,
 * Tunnel Encapsulation Limit and RFC 2675 jumbo length, the walk ends at
 * an upper-layer protocol (or after a non-first fragment's fragment
 * header), and the payload stays
 * within both the buffer and the payload length.  After a failure: the error
 * convention.
 */
#include <pathdiag/ipv6.h>

#include "fuzz_common.h"

/* Length of the extension header of type nh at b + off, RFC 8200 4.x:
 * fragment headers are always 8 bytes, AH counts 4-byte words minus 2,
 * the rest count 8-byte words not counting the first. */
static size_t ext_len(uint8_t nh, const uint8_t *b)
{
	if (nh == PD_IPPROTO_FRAGMENT)
		return 8;
	if (nh == PD_IPPROTO_AH)
		return ((size_t)b[1] + 2) * 4;
	return ((size_t)b[1] + 1) * 8;
}

/* Option `type` with data length `want` in the options header at b of
 * elen bytes (RFC 8200 4.2): its data (up to 4 bytes, big-endian) if found
 * once, -1 if absent, -2 if the options are not well formed, the option
 * has another length or appears twice (then the decoder may do anything
 * reasonable). */
static long find_opt(const uint8_t *b, size_t elen, uint8_t type, uint8_t want)
{
	size_t off = 2;
	long found = -1;

	while (off < elen) {
		uint8_t t = b[off], olen;

		if (t == 0) {  /* Pad1 */
			off++;
			continue;
		}
		if (off + 2 > elen)
			return -2;
		olen = b[off + 1];
		if (off + 2 + olen > elen)
			return -2;
		if (t == type) {
			size_t i;

			if (olen != want || found != -1)
				return -2;
			found = 0;
			for (i = 0; i < olen; i++)
				found = found << 8 | b[off + 2 + i];
		}
		off += 2 + (size_t)olen;
	}
	return found;
}

/* Walk the chain again from the bytes; compare next headers, lengths,
 * the fragment header the decoder reports (the first, unless a later real
 * fragment replaces an atomic first one, or a non-first fragment's header
 * ends the walk), the TEL and the jumbo length. */
static void check_chain(const uint8_t *b, const struct pd_ipv6 *ip)
{
	bool stop_frag = false;  /* last header walked: a non-first fragment's */
	size_t off = PD_IPV6_HDR_LEN;
	bool frag = false, frag_more = false, seen_dstopts = false;
	bool tel_known = true, jumbo_known = true;
	uint16_t frag_off = 0;
	uint32_t frag_ident = 0;
	long tel = -1, jumbo = -1;
	unsigned i;

	FZ_STRICT(ip->chain[0] == b[6]);
	for (i = 1; i <= ip->n_ext; i++) {
		uint8_t nh = ip->chain[i - 1];
		size_t elen;

		FZ_CHECK(pd_ipv6_is_ext(nh));
		/* The decoder claims this header lies inside hdr_len. */
		FZ_CHECK(off + 2 <= ip->hdr_len);
		elen = ext_len(nh, b + off);
		FZ_CHECK(off + elen <= ip->hdr_len);
		FZ_STRICT(ip->chain[i] == b[off]);
		if (nh == PD_IPPROTO_FRAGMENT) {
			uint16_t fo = fz_be16(b + off + 2);
			bool real = (fo >> 3) != 0 || (fo & 1);

			/* A non-first fragment's header always wins: it ends
			 * the walk (pathdiag/ipv6.h). */
			if (!frag || (fo >> 3) != 0 ||
			    (real && !frag_more && frag_off == 0)) {
				frag = true;
				frag_off = fo >> 3;
				frag_more = fo & 1;
				frag_ident = fz_be32(b + off + 4);
			}
			/* After a non-first fragment the bytes are data. */
			if (fo >> 3) {
				FZ_STRICT(i == ip->n_ext);
				stop_frag = true;
			}
		}
		if (nh == PD_IPPROTO_DSTOPTS) {
			seen_dstopts = true;
			if (tel == -1 && tel_known) {
				long t = find_opt(b + off, elen, 4, 1);

				if (t == -2)
					tel_known = false;
				else
					tel = t;
			}
		}
		if (nh == PD_IPPROTO_HOPOPTS && i == 1)
			jumbo = find_opt(b + off, elen, 0xc2, 4);
		else if (nh == PD_IPPROTO_HOPOPTS)
			jumbo_known = false;
		off += elen;
	}
	FZ_STRICT(off == ip->hdr_len);
	/* The walk ends at the upper layer, or right after the fragment
	 * header of a non-first fragment (whose next header may name an
	 * extension header: the bytes after it are data). */
	FZ_CHECK(!pd_ipv6_is_ext(ip->proto) || stop_frag);
	FZ_STRICT(ip->has_frag == frag);
	if (frag) {
		FZ_STRICT(ip->frag_off == frag_off);
		FZ_STRICT(ip->frag_more == frag_more);
		FZ_STRICT(ip->frag_ident == frag_ident);
	}
	if (ip->tel >= 0)
		FZ_STRICT(seen_dstopts);
	if (tel_known)
		FZ_STRICT(ip->tel == tel);
	if (jumbo_known && jumbo != -2)
		FZ_STRICT(ip->jumbo_len == (jumbo < 0 ? 0 : (uint32_t)jumbo));
}

static void check_fields(const uint8_t *b, size_t len, const struct pd_ipv6 *ip)
{
	/* RFC 2675: a zero payload length behind a hop-by-hop header means
	 * the Jumbo Payload option holds the length. */
	bool jumbo = ip->plen == 0 && ip->n_ext > 0 && ip->chain[0] == PD_IPPROTO_HOPOPTS;
	size_t plen_end = PD_IPV6_HDR_LEN + (jumbo ? (size_t)ip->jumbo_len : ip->plen);

	/* Structural. */
	FZ_CHECK(len >= PD_IPV6_HDR_LEN);
	FZ_CHECK(ip->hdr_len >= PD_IPV6_HDR_LEN && ip->hdr_len <= len);
	FZ_CHECK(ip->n_ext <= PD_IPV6_MAX_EXT);
	FZ_CHECK(ip->proto == ip->chain[ip->n_ext]);
	FZ_CHECK(ip->hdr_len >= PD_IPV6_HDR_LEN + 8u * ip->n_ext ||
		 ip->n_ext == 0);
	FZ_CHECK(ip->payload_len <= len - ip->hdr_len);
	FZ_CHECK(ip->tel >= -1 && ip->tel <= 255);
	FZ_CHECK(ip->flow <= 0xfffff);
	FZ_CHECK(ip->frag_off <= 0x1fff);

	/* Values (RFC 8200 section 3). */
	FZ_STRICT(b[0] >> 4 == 6);
	FZ_STRICT(ip->tclass == (uint8_t)(fz_be16(b) >> 4));
	FZ_STRICT(ip->flow == (fz_be32(b) & 0xfffff));
	FZ_STRICT(ip->plen == fz_be16(b + 4));
	FZ_STRICT(ip->hlim == b[7]);
	FZ_STRICT(memcmp(ip->src, b + 8, 16) == 0);
	FZ_STRICT(memcmp(ip->dst, b + 24, 16) == 0);
	FZ_STRICT(ip->truncated == (plen_end > len));
	if (plen_end >= ip->hdr_len)
		FZ_STRICT(ip->payload_len == fz_min(len, plen_end) - ip->hdr_len);
	else
		FZ_STRICT(ip->payload_len == 0);
	FZ_STRICT(pd_ipv6_is_fragment(ip) ==
		  (ip->has_frag && (ip->frag_more || ip->frag_off != 0)));
	check_chain(b, ip);
}

static void check_same(const struct pd_ipv6 *a, const struct pd_ipv6 *b)
{
	FZ_CHECK(a->tclass == b->tclass && a->flow == b->flow);
	FZ_CHECK(a->plen == b->plen && a->hlim == b->hlim);
	FZ_CHECK(memcmp(a->src, b->src, 16) == 0 && memcmp(a->dst, b->dst, 16) == 0);
	FZ_CHECK(a->n_ext == b->n_ext);
	FZ_CHECK(memcmp(a->chain, b->chain, (size_t)a->n_ext + 1) == 0);
	FZ_CHECK(a->proto == b->proto && a->hdr_len == b->hdr_len);
	FZ_CHECK(a->has_frag == b->has_frag);
	if (a->has_frag) {
		FZ_CHECK(a->frag_ident == b->frag_ident);
		FZ_CHECK(a->frag_off == b->frag_off && a->frag_more == b->frag_more);
	}
	FZ_CHECK(a->tel == b->tel);
	FZ_CHECK(a->payload_len == b->payload_len && a->truncated == b->truncated);
	FZ_CHECK(a->jumbo_len == b->jumbo_len);
}

/* pd_ipv6_is_ext against the list in ipv6.h (once per process). */
static void check_is_ext_table(void)
{
	static const uint8_t ext[] = { 0, 43, 44, 51, 60, 135, 139, 140 };
	static const uint8_t not_ext[] = { 1, 4, 6, 17, 41, 47, 50, 58, 59 };
	static bool done;
	size_t i;

	if (done)
		return;
	done = true;
	for (i = 0; i < sizeof(ext); i++)
		FZ_STRICT(pd_ipv6_is_ext(ext[i]));
	for (i = 0; i < sizeof(not_ext); i++)
		FZ_STRICT(!pd_ipv6_is_ext(not_ext[i]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = fz_dup(data, size);
	struct pd_ipv6 *ip = malloc(sizeof(*ip)), *ip2 = malloc(sizeof(*ip2));
	struct pd_error err;
	int ret, ret2;

	if (!ip || !ip2)
		abort();
	check_is_ext_table();
	memset(ip, 0, sizeof(*ip));
	memset(ip2, 0xa5, sizeof(*ip2));
	fz_err_poison(&err);
	ret = pd_ipv6_decode(b, size, ip, &err);
	ret2 = pd_ipv6_decode(b, size, ip2, NULL);
	FZ_CHECK(ret == ret2);

	if (ret == 0) {
		check_fields(b, size, ip);
		check_same(ip, ip2);
	} else {
		fz_check_err(ret, &err, size);
	}
	if (size < PD_IPV6_HDR_LEN || b[0] >> 4 != 6)
		FZ_STRICT(ret < 0);
	if (size < PD_IPV6_HDR_LEN)
		FZ_STRICT(ret == PD_ERR_TRUNCATED);
	/* No extension header: nothing to refuse but the version. */
	if (size >= PD_IPV6_HDR_LEN && b[0] >> 4 == 6 && !pd_ipv6_is_ext(b[6]))
		FZ_STRICT(ret == 0);

	free(ip2);
	free(ip);
	free(b);
	return 0;
}
