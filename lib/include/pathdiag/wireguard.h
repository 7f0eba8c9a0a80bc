/* wireguard.h - WireGuard message formats (the WireGuard whitepaper,
 * section 5.4; the Linux driver's messages.h gives the same layout).
 *
 *   type(1) reserved(3, zero) then:
 *   1 handshake initiation, 148 bytes: sender(4) ephemeral(32)
 *       static(32+16) timestamp(12+16) mac1(16) mac2(16)
 *   2 handshake response, 92 bytes: sender(4) receiver(4) ephemeral(32)
 *       empty(0+16) mac1(16) mac2(16)
 *   3 cookie reply, 64 bytes: receiver(4) nonce(24) cookie(16+16)
 *   4 transport data, >= 32 bytes: receiver(4) counter(8, little-endian)
 *       encrypted packet (padded to 16, but not past the sender's MTU)
 *       + tag(16); 32 bytes = keepalive
 * Indices and the counter are little-endian on the wire.
 */
#ifndef PATHDIAG_WIREGUARD_H
#define PATHDIAG_WIREGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_WG_INITIATION 1
#define PD_WG_RESPONSE 2
#define PD_WG_COOKIE_REPLY 3
#define PD_WG_DATA 4

#define PD_WG_INITIATION_LEN 148
#define PD_WG_RESPONSE_LEN 92
#define PD_WG_COOKIE_REPLY_LEN 64
#define PD_WG_DATA_HDR_LEN 16  /* type, reserved, receiver, counter */
#define PD_WG_TAG_LEN 16
#define PD_WG_DATA_MIN_LEN 32  /* header + tag: a keepalive */
#define PD_WG_PADDING 16       /* plaintext padded to a multiple of this */
#define PD_WG_MIN_MTU 68       /* smallest tunnel MTU (IPv4 minimum) */

struct pd_wg {
	uint8_t type;
	uint32_t sender;      /* initiation, response */
	uint32_t receiver;    /* response, cookie reply, data */
	uint64_t counter;     /* data */
	bool keepalive;       /* data message with empty payload */
	uint16_t inner_len;   /* data: padded plaintext length (len - 32) */
	bool mtu_clamped;     /* data: inner_len is not a multiple of 16, so
				 padding stopped at the sender's tunnel MTU,
				 which therefore equals inner_len */
};

/* Decode a UDP payload as a WireGuard message.  The message must have the
 * exact shape: a known type, zero reserved bytes, the exact length for the
 * handshake types, and for data a length of 32 + a multiple of 16, or
 * 32 + n with n >= PD_WG_MIN_MTU when the sender's padding stopped at its
 * tunnel MTU (mtu_clamped; seen on every full-size packet of a default
 * 1420-MTU tunnel).  Anything else, including a buffer too short to hold
 * the type and reserved bytes, is PD_ERR_MALFORMED, so this doubles as the
 * recogniser that finds WireGuard on any UDP port. */
int pd_wg_decode(const uint8_t *buf, size_t len, struct pd_wg *out,
		 struct pd_error *err);

/* The same for a message of which only the first `len` bytes are present,
 * as in the packet an ICMP error quotes or a frame cut by the snap length:
 * the shape is judged by msg_len, the length the UDP header gives, and the
 * fields are read from the bytes present.  Fewer bytes than the type's
 * index fields is PD_ERR_TRUNCATED.  pd_wg_decode(b, n) is
 * pd_wg_decode_partial(b, n, n). */
int pd_wg_decode_partial(const uint8_t *buf, size_t len, size_t msg_len,
			 struct pd_wg *out, struct pd_error *err);

#ifdef __cplusplus
}
#endif
#endif
