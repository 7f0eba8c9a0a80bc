/* ipv4.c - IPv4 header decoder: RFC 791 section 3.1 (header format), 3.2
 * (fragmentation: DF, MF, offset in 8-octet units), RFC 1071 (header
 * checksum, verified here).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |    DSCP   |ECN|          Total Length         |
 *   |         Identification        |R|D|M|      Fragment Offset    |
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   |                       Source Address                          |
 *   |                    Destination Address                        |
 *   |                    Options (IHL > 5)                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#include <string.h>

#include <pathdiag/ipv4.h>

#include "cursor.h"

#define IPV4_RF 0x8000
#define IPV4_DF 0x4000
#define IPV4_MF 0x2000
#define IPV4_OFFMASK 0x1fff

/* RFC 1071: the one's-complement sum over a header that contains its own
 * checksum is all ones when the checksum is right.  The caller has checked
 * that hlen bytes are present; hlen is a multiple of 4. */
static bool header_sum_ok(const uint8_t *buf, size_t hlen)
{
	struct pd_cursor c = pd_cur_init(buf, hlen);
	uint32_t sum = 0;
	uint16_t w;

	while (pd_cur_be16(&c, &w))
		sum += w;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

int pd_ipv4_decode(const uint8_t *buf, size_t len, struct pd_ipv4 *out,
		   struct pd_error *err)
{
	struct pd_cursor c = pd_cur_init(buf, len);
	uint8_t vihl = 0;
	uint16_t frag = 0;
	size_t ihl, present;

	memset(out, 0, sizeof(*out));
	if (!pd_cur_has(&c, PD_IPV4_HDR_MIN))
		return pd_fail(err, PD_ERR_TRUNCATED, 0,
			       "IPv4 header shorter than 20 bytes");
	pd_cur_u8(&c, &vihl);
	if (vihl >> 4 != 4)
		return pd_fail(err, PD_ERR_MALFORMED, 0,
			       "IPv4 header with version other than 4");
	ihl = (size_t)(vihl & 0x0f) * 4;
	if (ihl < PD_IPV4_HDR_MIN)
		return pd_fail(err, PD_ERR_MALFORMED, 0, "IPv4 IHL below 5");
	pd_cur_u8(&c, &out->tos);
	pd_cur_be16(&c, &out->total_len);
	pd_cur_be16(&c, &out->id);
	pd_cur_be16(&c, &frag);
	pd_cur_u8(&c, &out->ttl);
	pd_cur_u8(&c, &out->proto);
	pd_cur_be16(&c, &out->checksum);
	pd_cur_bytes(&c, out->src, 4);
	pd_cur_bytes(&c, out->dst, 4);

	out->ihl = (uint8_t)ihl;
	out->rf = frag & IPV4_RF;
	out->df = frag & IPV4_DF;
	out->mf = frag & IPV4_MF;
	out->frag_off = frag & IPV4_OFFMASK;
	out->opt_len = (uint16_t)(ihl - PD_IPV4_HDR_MIN);

	if (out->total_len < ihl)
		return pd_fail(err, PD_ERR_MALFORMED, 2,
			       "IPv4 total length shorter than the header");
	if (len < ihl)
		return pd_fail(err, PD_ERR_TRUNCATED, PD_IPV4_HDR_MIN,
			       "IPv4 options cut short (buffer shorter than IHL)");
	out->checksum_ok = header_sum_ok(buf, ihl);

	present = len - ihl;
	if (present > (size_t)out->total_len - ihl)
		present = (size_t)out->total_len - ihl;
	out->payload_len = (uint16_t)present;
	out->truncated = len < out->total_len;
	return PD_OK;
}
