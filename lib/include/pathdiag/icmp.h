/* icmp.h - ICMPv4 (RFC 792, RFC 1191 next-hop MTU) and ICMPv6 (RFC 4443)
 * messages, with the RFC 4884 length attribute of extended errors.
 *
 *   +---------------+---------------+-------------------------------+
 *   |     Type      |     Code      |          Checksum             |
 *   +---------------+---------------+-------------------------------+
 *   | v4 echo: identifier | sequence; v4 frag-needed: unused | len | MTU
 *   | v6 PTB: MTU (32 bits); v6 errors: len (8 bits) | unused
 *   +---------------------------------------------------------------+
 *   |   error messages: as much of the offending packet as fits     |
 */
#ifndef PATHDIAG_ICMP_H
#define PATHDIAG_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_ICMP_HDR_LEN 8

/* ICMPv4 */
#define PD_ICMP4_ECHO_REPLY 0
#define PD_ICMP4_DEST_UNREACH 3
#define PD_ICMP4_ECHO_REQUEST 8
#define PD_ICMP4_TIME_EXCEEDED 11
#define PD_ICMP4_PARAM_PROBLEM 12
#define PD_ICMP4_CODE_FRAG_NEEDED 4
#define PD_ICMP4_CODE_PORT_UNREACH 3
/* ICMPv6 */
#define PD_ICMP6_DEST_UNREACH 1
#define PD_ICMP6_PACKET_TOO_BIG 2
#define PD_ICMP6_TIME_EXCEEDED 3
#define PD_ICMP6_PARAM_PROBLEM 4
#define PD_ICMP6_ECHO_REQUEST 128
#define PD_ICMP6_ECHO_REPLY 129
#define PD_ICMP6_CODE_PORT_UNREACH 4

struct pd_icmp {
	uint8_t family;      /* 4 or 6 */
	uint8_t type, code;
	uint16_t checksum;   /* as in the header (verify with pd_checksum_*) */
	bool is_error;       /* carries a quoted packet */
	bool is_echo;        /* echo request or reply */
	uint16_t echo_id, echo_seq;
	/* Next-hop MTU (v4 type 3 code 4, RFC 1191) or PTB MTU (v6 type 2);
	 * has_mtu says whether the message type carries one. */
	bool has_mtu;
	uint32_t mtu;
	/* RFC 4884 length of the original datagram field, in bytes (the field
	 * counts 32-bit words in ICMPv4, 64-bit words in ICMPv6); 0 if unset. */
	uint16_t orig_len;
	uint8_t pointer;     /* parameter problem pointer (v4) */
	uint32_t pointer6;   /* parameter problem pointer (v6) */
	uint16_t body_off;   /* where the quoted packet / echo data starts (8) */
	uint16_t body_len;   /* bytes of it present (bounded by orig_len when
				 RFC 4884 extensions follow) */
};

/* Decode an ICMPv4 (family 4) or ICMPv6 (family 6) message. */
int pd_icmp_decode(int family, const uint8_t *buf, size_t len,
		   struct pd_icmp *out, struct pd_error *err);

#ifdef __cplusplus
}
#endif
#endif
