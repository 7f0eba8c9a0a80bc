/* wireguard.c - WireGuard message recogniser and decoder (WireGuard
 * whitepaper, section 5.4; the same layout as the Linux driver).
 *
 *   | type (1) | reserved (3, zero) | then by type:
 *   1 initiation (148):  sender (4) | ephemeral (32) | static (48) |
 *                        timestamp (28) | mac1 (16) | mac2 (16)
 *   2 response (92):     sender (4) | receiver (4) | ephemeral (32) |
 *                        empty (16) | mac1 (16) | mac2 (16)
 *   3 cookie reply (64): receiver (4) | nonce (24) | cookie (32)
 *   4 data (32 + 16n):   receiver (4) | counter (8) | packet (16n) | tag (16)
 *
 * Indices and the counter are little-endian.  Only the exact shape is
 * accepted, so a random UDP payload is unlikely to pass.  One exception
 * to "16n": the sender pads the plaintext to a multiple of 16 but not past
 * its interface MTU (Linux calculate_skb_padding(), wireguard-go alike), so
 * a full-size packet on a tunnel whose MTU is not a multiple of 16 (the
 * default 1420) carries exactly MTU bytes.  Such a length reveals the
 * sender's tunnel MTU.
 */
#include <string.h>

#include <pathdiag/wireguard.h>

#include "cursor.h"

int pd_wg_decode(const uint8_t *buf, size_t len, struct pd_wg *out,
		 struct pd_error *err)
{
	return pd_wg_decode_partial(buf, len, len, out, err);
}

/* Bytes of each message type that hold the fields we report. */
static size_t wg_fields_len(uint8_t type)
{
	switch (type) {
	case PD_WG_INITIATION: return 8;   /* type, reserved, sender */
	case PD_WG_RESPONSE: return 12;    /* ... receiver */
	case PD_WG_COOKIE_REPLY: return 8; /* type, reserved, receiver */
	default: return PD_WG_DATA_HDR_LEN;
	}
}

int pd_wg_decode_partial(const uint8_t *buf, size_t len, size_t msg_len,
			 struct pd_wg *out, struct pd_error *err)
{
	struct pd_cursor c = pd_cur_init(buf, len < msg_len ? len : msg_len);
	uint8_t type = 0, res[3] = { 0 };
	uint32_t lo = 0, hi = 0;
	size_t inner = 0;

	memset(out, 0, sizeof(*out));
	if (!pd_cur_u8(&c, &type) || !pd_cur_bytes(&c, res, sizeof(res)))
		return pd_fail(err, PD_ERR_MALFORMED, 0,
			       "WireGuard message shorter than 4 bytes");
	if (type < PD_WG_INITIATION || type > PD_WG_DATA)
		return pd_fail(err, PD_ERR_MALFORMED, 0,
			       "not a WireGuard message type");
	if (res[0] | res[1] | res[2])
		return pd_fail(err, PD_ERR_MALFORMED, 1,
			       "WireGuard reserved bytes not zero");

	/* The shape, judged by the length of the whole message. */
	switch (type) {
	case PD_WG_INITIATION:
		if (msg_len != PD_WG_INITIATION_LEN)
			return pd_fail(err, PD_ERR_MALFORMED, 0,
				       "WireGuard initiation not 148 bytes");
		break;
	case PD_WG_RESPONSE:
		if (msg_len != PD_WG_RESPONSE_LEN)
			return pd_fail(err, PD_ERR_MALFORMED, 0,
				       "WireGuard response not 92 bytes");
		break;
	case PD_WG_COOKIE_REPLY:
		if (msg_len != PD_WG_COOKIE_REPLY_LEN)
			return pd_fail(err, PD_ERR_MALFORMED, 0,
				       "WireGuard cookie reply not 64 bytes");
		break;
	default: /* PD_WG_DATA */
		if (msg_len < PD_WG_DATA_MIN_LEN)
			return pd_fail(err, PD_ERR_MALFORMED, 0,
				       "WireGuard data shorter than 32 bytes");
		inner = msg_len - PD_WG_DATA_MIN_LEN;
		/* Senders pad to 16 but never past their MTU, so a length off
		 * the grid is the tunnel MTU itself, which is at least 68. */
		if ((inner % PD_WG_PADDING != 0 && inner < PD_WG_MIN_MTU) ||
		    inner > UINT16_MAX)
			return pd_fail(err, PD_ERR_MALFORMED, 0,
				       "WireGuard data length not 32 + a multiple of 16");
		break;
	}

	/* The fields, from the bytes present. */
	if (!pd_cur_has(&c, wg_fields_len(type) - 4))
		return pd_fail(err, PD_ERR_TRUNCATED, len,
			       "WireGuard header cut before its index fields");
	out->type = type;
	switch (type) {
	case PD_WG_INITIATION:
		pd_cur_le32(&c, &out->sender);
		break;
	case PD_WG_RESPONSE:
		pd_cur_le32(&c, &out->sender);
		pd_cur_le32(&c, &out->receiver);
		break;
	case PD_WG_COOKIE_REPLY:
		pd_cur_le32(&c, &out->receiver);
		break;
	default:
		pd_cur_le32(&c, &out->receiver);
		pd_cur_le32(&c, &lo);
		pd_cur_le32(&c, &hi);
		out->counter = (uint64_t)hi << 32 | lo;
		out->inner_len = (uint16_t)inner;
		out->keepalive = inner == 0;
		out->mtu_clamped = inner % PD_WG_PADDING != 0;
		break;
	}
	return PD_OK;
}
