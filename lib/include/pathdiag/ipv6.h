/* ipv6.h - IPv6 header and extension header chain (RFC 8200): hop-by-hop
 * options (0), routing (43), fragment (44), destination options (60),
 * authentication header (51, RFC 4302), and the Tunnel Encapsulation Limit
 * destination option (type 4, RFC 2473 section 5.1).
 *
 *    0                   1                   2                   3
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Traffic Class |           Flow Label                  |
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   |                  Source Address (16 bytes)                    |
 *   |               Destination Address (16 bytes)                  |
 */
#ifndef PATHDIAG_IPV6_H
#define PATHDIAG_IPV6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_IPV6_HDR_LEN 40
/* Longest extension-header chain we walk; longer chains are malformed for
 * our purposes (real stacks drop far shorter ones). */
#define PD_IPV6_MAX_EXT 128

enum pd_ipproto {
	PD_IPPROTO_HOPOPTS = 0,
	PD_IPPROTO_ICMP = 1,
	PD_IPPROTO_IPIP = 4,
	PD_IPPROTO_TCP = 6,
	PD_IPPROTO_UDP = 17,
	PD_IPPROTO_IPV6 = 41,
	PD_IPPROTO_ROUTING = 43,
	PD_IPPROTO_FRAGMENT = 44,
	PD_IPPROTO_GRE = 47,
	PD_IPPROTO_ESP = 50,
	PD_IPPROTO_AH = 51,
	PD_IPPROTO_ICMPV6 = 58,
	PD_IPPROTO_NONE = 59,
	PD_IPPROTO_DSTOPTS = 60,
};

struct pd_ipv6 {
	uint8_t tclass;
	uint32_t flow;        /* 20-bit flow label */
	uint16_t plen;        /* payload length as in the header */
	uint8_t hlim;
	uint8_t src[16], dst[16];
	/* chain[0] is the fixed header's next header; chain[i] (i >= 1) is the
	 * next-header field of the i-th extension header.  So chain[i] for
	 * i < n_ext names extension header i+1, and chain[n_ext] is the upper
	 * layer protocol (proto). */
	uint8_t n_ext;
	uint8_t chain[PD_IPV6_MAX_EXT + 1];
	uint8_t proto;        /* upper-layer protocol after the chain */
	uint16_t hdr_len;     /* 40 + all extension headers */
	/* Fragment header, if one is in the chain (the first one; but a later
	 * one with M set or a non-zero offset replaces an atomic first one, so
	 * that pd_ipv6_is_fragment() is true whenever the payload is a
	 * fragment).  After a Fragment header with a non-zero offset the walk
	 * stops: proto is that header's next header, hdr_len ends after it, and
	 * the frag_* fields are that header's, so frag_off != 0 always means
	 * "the bytes after hdr_len are fragment data, not headers". */
	bool has_frag;
	uint32_t frag_ident;
	uint16_t frag_off;    /* in 8-octet units, as on wire */
	bool frag_more;
	/* Tunnel Encapsulation Limit option, if any destination options
	 * header carries one: its value (0..255), else -1. */
	int tel;
	uint32_t payload_len; /* bytes after hdr_len present in the buffer, never
				 more than plen allows */
	bool truncated;       /* plen claims more than the buffer holds */
	/* RFC 2675 Jumbo Payload option of the hop-by-hop header, else 0.
	 * With plen == 0 it is the datagram length after the fixed header. */
	uint32_t jumbo_len;
};

/* Decode the fixed header and walk the extension chain.  Stops at the first
 * header that is not an extension header (the upper layer, or ESP/No Next
 * Header).  Truncated payloads are accepted as for IPv4; a chain cut short
 * by the buffer is PD_ERR_TRUNCATED with the offset of the cut header. */
int pd_ipv6_decode(const uint8_t *buf, size_t len, struct pd_ipv6 *out,
		   struct pd_error *err);

/* True for the next-header values the chain walker treats as extension
 * headers (0, 43, 44, 51, 60, and the mobility/HIP/shim6 ones). */
bool pd_ipv6_is_ext(uint8_t nh);

static inline bool pd_ipv6_is_fragment(const struct pd_ipv6 *ip)
{
	return ip->has_frag && (ip->frag_more || ip->frag_off != 0);
}

#ifdef __cplusplus
}
#endif
#endif
