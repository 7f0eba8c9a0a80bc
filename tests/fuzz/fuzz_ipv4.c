/* fuzz_ipv4.c - libFuzzer target for pd_ipv4_decode (RFC 791, RFC 1071).
 *
 * Input: the bytes from an IPv4 header onwards.  After a successful decode:
 * IHL within 20..60 and the buffer, payload within both the buffer and
 * total_len, and every field equal to the bytes it comes from (the header
 * checksum recomputed here).  After a failure: the error convention.
 */
#include <pathdiag/ipv4.h>

#include "fuzz_common.h"

static void check_fields(const uint8_t *b, size_t len, const struct pd_ipv4 *ip)
{
	size_t ihl = ip->ihl;

	/* Structural: whatever the decoder decided, it stays in the buffer. */
	FZ_CHECK(len >= PD_IPV4_HDR_MIN);
	FZ_CHECK(ihl >= 20 && ihl <= 60 && ihl % 4 == 0);
	FZ_CHECK(ihl <= len);
	FZ_CHECK(ip->opt_len == ihl - 20);
	FZ_CHECK(ip->payload_len <= len - ihl);
	if (ip->total_len >= ihl)
		FZ_CHECK(ip->payload_len <= ip->total_len - ihl);
	else
		FZ_CHECK(ip->payload_len == 0);
	FZ_CHECK(ip->frag_off <= 0x1fff);

	/* Value oracles (RFC 791 section 3.1). */
	FZ_STRICT(b[0] >> 4 == 4);
	FZ_STRICT(ihl == (size_t)(b[0] & 0x0f) * 4);
	FZ_STRICT(ip->tos == b[1]);
	FZ_STRICT(ip->total_len == fz_be16(b + 2));
	FZ_STRICT(ip->id == fz_be16(b + 4));
	FZ_STRICT(ip->rf == !!(b[6] & 0x80));
	FZ_STRICT(ip->df == !!(b[6] & 0x40));
	FZ_STRICT(ip->mf == !!(b[6] & 0x20));
	FZ_STRICT(ip->frag_off == (fz_be16(b + 6) & 0x1fff));
	FZ_STRICT(ip->ttl == b[8]);
	FZ_STRICT(ip->proto == b[9]);
	FZ_STRICT(ip->checksum == fz_be16(b + 10));
	FZ_STRICT(memcmp(ip->src, b + 12, 4) == 0);
	FZ_STRICT(memcmp(ip->dst, b + 16, 4) == 0);
	/* RFC 1071: the sum over the whole header, checksum included, is all
	 * ones when the checksum is right. */
	FZ_STRICT(ip->checksum_ok == (fz_sum16(b, ihl) == 0xffff));
	FZ_STRICT(ip->truncated == (ip->total_len > len));
	if (ip->total_len >= ihl)
		FZ_STRICT(ip->payload_len == fz_min(len, ip->total_len) - ihl);
	FZ_STRICT(pd_ipv4_is_fragment(ip) == (ip->mf || ip->frag_off != 0));
}

/* Everything the decoder reports must not depend on what was in *out
 * before the call. */
static void check_same(const struct pd_ipv4 *a, const struct pd_ipv4 *b)
{
	FZ_CHECK(a->ihl == b->ihl && a->tos == b->tos);
	FZ_CHECK(a->total_len == b->total_len && a->id == b->id);
	FZ_CHECK(a->rf == b->rf && a->df == b->df && a->mf == b->mf);
	FZ_CHECK(a->frag_off == b->frag_off && a->ttl == b->ttl);
	FZ_CHECK(a->proto == b->proto && a->checksum == b->checksum);
	FZ_CHECK(a->checksum_ok == b->checksum_ok);
	FZ_CHECK(memcmp(a->src, b->src, 4) == 0 && memcmp(a->dst, b->dst, 4) == 0);
	FZ_CHECK(a->opt_len == b->opt_len && a->payload_len == b->payload_len);
	FZ_CHECK(a->truncated == b->truncated);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = fz_dup(data, size);
	struct pd_ipv4 ip, ip2;
	struct pd_error err;
	int ret, ret2;

	memset(&ip, 0, sizeof(ip));
	memset(&ip2, 0xa5, sizeof(ip2));
	fz_err_poison(&err);
	ret = pd_ipv4_decode(b, size, &ip, &err);
	ret2 = pd_ipv4_decode(b, size, &ip2, NULL);
	FZ_CHECK(ret == ret2);

	if (ret == 0) {
		check_fields(b, size, &ip);
		check_same(&ip, &ip2);
	} else {
		fz_check_err(ret, &err, size);
	}

	/* What must be rejected, and what must be accepted. */
	if (size < 20 || b[0] >> 4 != 4 || (b[0] & 0x0f) < 5 ||
	    (size_t)(b[0] & 0x0f) * 4 > size)
		FZ_STRICT(ret < 0);
	if (size < 20)
		FZ_STRICT(ret == PD_ERR_TRUNCATED);
	/* A plain 20-byte header with a sane total length always decodes,
	 * even when the buffer holds less than total_len. */
	if (size >= 20 && b[0] == 0x45 && fz_be16(b + 2) >= 20 &&
	    (fz_be16(b + 6) & 0x1fff) * 8u + fz_be16(b + 2) <= 65535u &&
	    !(b[6] & 0x80))
		FZ_STRICT(ret == 0);

	free(b);
	return 0;
}
