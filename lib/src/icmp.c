/* icmp.c - ICMPv4 (RFC 792; RFC 1191 section 4 next-hop MTU) and ICMPv6
 * (RFC 4443) message headers, with the RFC 4884 section 4 length of the
 * "original datagram" field of extended error messages.
 *
 *    0               1               2               3
 *   +---------------+---------------+-------------------------------+
 *   |     Type      |     Code      |          Checksum             |
 *   +---------------+---------------+-------------------------------+
 *   | v4 echo (0, 8):          Identifier | Sequence Number          |
 *   | v4 unreach (3):  unused | Length(4884) | Next-Hop MTU (code 4) |
 *   | v4 time exceeded (11):   unused | Length(4884) | unused        |
 *   | v4 param problem (12):  Pointer | Length(4884) | unused        |
 *   | v6 unreach (1), time exceeded (3): Length(4884) | unused       |
 *   | v6 packet too big (2):   MTU (32)                              |
 *   | v6 param problem (4):    Pointer (32)                          |
 *   | v6 echo (128, 129):      Identifier | Sequence Number          |
 *   +---------------------------------------------------------------+
 *   | errors: as much of the offending packet as fits; echo: data   |
 *
 * The RFC 4884 length counts 32-bit words in ICMPv4 and 64-bit words in
 * ICMPv6; when set, an extension structure follows the original datagram.
 */
#include <string.h>

#include <pathdiag/icmp.h>

#include "cursor.h"

#define ICMP4_SOURCE_QUENCH 4
#define ICMP4_REDIRECT 5

static void decode_v4(const uint8_t w[4], struct pd_icmp *out)
{
	switch (out->type) {
	case PD_ICMP4_ECHO_REPLY:
	case PD_ICMP4_ECHO_REQUEST:
		out->is_echo = true;
		out->echo_id = pd_load_be16(w);
		out->echo_seq = pd_load_be16(w + 2);
		break;
	case PD_ICMP4_DEST_UNREACH:
		out->is_error = true;
		out->orig_len = (uint16_t)(w[1] * 4);
		if (out->code == PD_ICMP4_CODE_FRAG_NEEDED) {
			out->has_mtu = true;
			out->mtu = pd_load_be16(w + 2);
		}
		break;
	case PD_ICMP4_TIME_EXCEEDED:
		out->is_error = true;
		out->orig_len = (uint16_t)(w[1] * 4);
		break;
	case PD_ICMP4_PARAM_PROBLEM:
		out->is_error = true;
		out->pointer = w[0];
		out->orig_len = (uint16_t)(w[1] * 4);
		break;
	case ICMP4_SOURCE_QUENCH:
	case ICMP4_REDIRECT:
		out->is_error = true;
		break;
	}
}

static void decode_v6(const uint8_t w[4], struct pd_icmp *out)
{
	switch (out->type) {
	case PD_ICMP6_ECHO_REQUEST:
	case PD_ICMP6_ECHO_REPLY:
		out->is_echo = true;
		out->echo_id = pd_load_be16(w);
		out->echo_seq = pd_load_be16(w + 2);
		break;
	case PD_ICMP6_DEST_UNREACH:
	case PD_ICMP6_TIME_EXCEEDED:
		out->is_error = true;
		out->orig_len = (uint16_t)(w[0] * 8);
		break;
	case PD_ICMP6_PACKET_TOO_BIG:
		out->is_error = true;
		out->has_mtu = true;
		out->mtu = pd_load_be32(w);
		break;
	case PD_ICMP6_PARAM_PROBLEM:
		out->is_error = true;
		out->pointer6 = pd_load_be32(w);
		break;
	}
}

int pd_icmp_decode(int family, const uint8_t *buf, size_t len,
		   struct pd_icmp *out, struct pd_error *err)
{
	struct pd_cursor c = pd_cur_init(buf, len);
	uint8_t word[4] = { 0 };
	size_t body;

	memset(out, 0, sizeof(*out));
	if (family != 4 && family != 6)
		return pd_fail(err, PD_ERR_INVAL, 0, "ICMP family is not 4 or 6");
	out->family = (uint8_t)family;
	if (!pd_cur_u8(&c, &out->type) || !pd_cur_u8(&c, &out->code) ||
	    !pd_cur_be16(&c, &out->checksum) || !pd_cur_bytes(&c, word, 4))
		return pd_fail(err, PD_ERR_TRUNCATED, 0,
			       "ICMP header shorter than 8 bytes");
	if (family == 4)
		decode_v4(word, out);
	else
		decode_v6(word, out);

	out->body_off = PD_ICMP_HDR_LEN;
	body = pd_cur_left(&c);
	/* With an RFC 4884 length, what follows the original datagram is the
	 * extension structure, not more of the quote. */
	if (out->orig_len != 0 && out->orig_len <= body)
		body = out->orig_len;
	out->body_len = body > UINT16_MAX ? UINT16_MAX : (uint16_t)body;
	return PD_OK;
}
