/* checksum.h - the Internet checksum (RFC 1071) and the pseudo-headers of
 * UDP/TCP over IPv4 (RFC 768, RFC 9293) and of UDP/TCP/ICMPv6 over IPv6
 * (RFC 8200 section 8.1).
 */
#ifndef PATHDIAG_CHECKSUM_H
#define PATHDIAG_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One's-complement sum of buf folded into `sum` (not yet complemented). */
uint32_t pd_csum_add(uint32_t sum, const uint8_t *buf, size_t len);

/* Fold and complement: the value to put in a checksum field, or, over data
 * that already contains its checksum, 0 when the checksum is right. */
uint16_t pd_csum_finish(uint32_t sum);

/* Checksum of buf alone (IPv4 header, ICMPv4). */
uint16_t pd_csum(const uint8_t *buf, size_t len);

/* Partial sums of the pseudo-headers, to be continued with pd_csum_add over
 * the transport header and payload. */
uint32_t pd_csum_pseudo4(const uint8_t src[4], const uint8_t dst[4],
			 uint8_t proto, uint16_t len);
uint32_t pd_csum_pseudo6(const uint8_t src[16], const uint8_t dst[16],
			 uint8_t proto, uint32_t len);

#ifdef __cplusplus
}
#endif
#endif
