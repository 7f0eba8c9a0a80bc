/* tunnel.h - encapsulation headers that are not IP themselves: GRE
 * (RFC 2784 with the key and sequence fields of RFC 2890; version 1 is
 * PPTP's enhanced GRE, RFC 2637 section 4.1), VXLAN (RFC 7348), and the
 * PPP header carried by PPTP (RFC 1661, RFC 1662 address/control).
 *
 *   GRE:   |C| |K|S| reserved0 | ver |     protocol type     |
 *          [ checksum | reserved1 ] [ key ] [ sequence ] [ ack (v1) ]
 *   VXLAN: |R|R|R|R|I|R|R|R|   reserved (24)   |
 *          |        VNI (24)                   | reserved (8) |
 */
#ifndef PATHDIAG_TUNNEL_H
#define PATHDIAG_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_VXLAN_PORT 4789
#define PD_VXLAN_HDR_LEN 8

struct pd_gre {
	uint8_t version;      /* 0 GRE, 1 enhanced GRE (PPTP) */
	bool has_csum, has_key, has_seq, has_ack;
	bool routing;         /* R bit (RFC 1701, deprecated) */
	uint16_t proto;       /* EtherType of the payload */
	uint16_t csum;
	uint32_t key;         /* v1: payload length << 16 | call id */
	uint32_t seq, ack;
	uint8_t hdr_len;      /* 4..16 */
	uint16_t flags;       /* first 16 bits (flags and version) as on wire */
};

struct pd_vxlan {
	uint8_t flags;
	bool vni_valid;       /* I flag */
	uint32_t vni;
};

struct pd_ppp {
	uint16_t proto;       /* PPP protocol (0x0021 IPv4, 0x0057 IPv6) */
	uint8_t hdr_len;      /* 1..4: address/control may be elided (ACFC)
				 and the protocol compressed to 1 byte (PFC) */
};

/* GRE version 0 with the R bit (RFC 1701 routing) or versions 2..7 are
 * PD_ERR_UNSUPPORTED; v0 with reserved0 bit 4 or 5 set (RFC 2784 says
 * discard), or v1 without K or with C/R/s/recursion set, PD_ERR_MALFORMED. */
int pd_gre_decode(const uint8_t *buf, size_t len, struct pd_gre *out,
		  struct pd_error *err);
int pd_vxlan_decode(const uint8_t *buf, size_t len, struct pd_vxlan *out,
		    struct pd_error *err);
int pd_ppp_decode(const uint8_t *buf, size_t len, struct pd_ppp *out,
		  struct pd_error *err);

#ifdef __cplusplus
}
#endif
#endif
