/* ipv4.h - IPv4 header (RFC 791), fragmentation fields (RFC 791 3.2,
 * DF/MF), header checksum (RFC 1071).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |    DSCP   |ECN|          Total Length         |
 *   |         Identification        |Flags|      Fragment Offset    |
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   |                       Source Address                          |
 *   |                    Destination Address                        |
 *   |                    Options (IHL > 5)                          |
 */
#ifndef PATHDIAG_IPV4_H
#define PATHDIAG_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_IPV4_HDR_MIN 20

struct pd_ipv4 {
	uint8_t ihl;          /* header length in bytes (20..60) */
	uint8_t tos;          /* DSCP << 2 | ECN */
	uint16_t total_len;   /* as in the header */
	uint16_t id;
	bool rf, df, mf;      /* reserved, don't fragment, more fragments */
	uint16_t frag_off;    /* fragment offset in 8-octet units, as on wire */
	uint8_t ttl;
	uint8_t proto;
	uint16_t checksum;    /* as in the header */
	bool checksum_ok;     /* computed over the header */
	uint8_t src[4], dst[4];
	uint16_t opt_len;     /* options bytes (ihl - 20); they start at 20 */
	uint16_t payload_len; /* bytes of payload present in the buffer, never
				 more than total_len - ihl */
	bool truncated;       /* total_len claims more than the buffer holds */
};

/* Decode the IPv4 header at buf.  A buffer shorter than total_len is
 * accepted (truncated = true, e.g. a quote in an ICMP error or a short
 * snaplen); a buffer shorter than the header is PD_ERR_TRUNCATED. */
int pd_ipv4_decode(const uint8_t *buf, size_t len, struct pd_ipv4 *out,
		   struct pd_error *err);

static inline bool pd_ipv4_is_fragment(const struct pd_ipv4 *ip)
{
	return ip->mf || ip->frag_off != 0;
}

#ifdef __cplusplus
}
#endif
#endif
