/* transport.c - UDP (RFC 768) and TCP (RFC 9293 section 3.1) headers, with
 * the TCP options MSS (RFC 9293 3.2), window scale and timestamps (RFC 7323
 * sections 2.2 and 3.2), SACK-permitted and SACK (RFC 2018 sections 2, 3).
 *
 *   UDP:  | Source Port | Destination Port | Length | Checksum |
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   |                        Sequence Number                        |
 *   |                    Acknowledgment Number                      |
 *   |  Data |       |A|C|E|U|A|P|R|S|F|                             |
 *   | Offset| Rsrvd |E|W|C|R|C|S|S|Y|I|            Window           |
 *   |           Checksum            |         Urgent Pointer        |
 *   |                    Options (Data Offset > 5)                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *   options: EOL (0) and NOP (1) are one byte; all others are
 *   | Kind | Length (counts kind and length) | data |
 */
#include <string.h>

#include <pathdiag/transport.h>

#include "cursor.h"

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TS 8

int pd_udp_decode(const uint8_t *buf, size_t len, struct pd_udp *out,
		  struct pd_error *err)
{
	struct pd_cursor c = pd_cur_init(buf, len);
	size_t present;

	memset(out, 0, sizeof(*out));
	if (!pd_cur_be16(&c, &out->sport) || !pd_cur_be16(&c, &out->dport) ||
	    !pd_cur_be16(&c, &out->length) || !pd_cur_be16(&c, &out->checksum))
		return pd_fail(err, PD_ERR_TRUNCATED, 0,
			       "UDP header shorter than 8 bytes");
	/* Length 0 is an IPv6 jumbogram's (RFC 2675 4): the IP length rules. */
	if (out->length != 0 && out->length < PD_UDP_HDR_LEN)
		return pd_fail(err, PD_ERR_MALFORMED, 4,
			       "UDP length shorter than the UDP header");
	present = pd_cur_left(&c);
	if (out->length != 0 && present > (size_t)out->length - PD_UDP_HDR_LEN)
		present = (size_t)out->length - PD_UDP_HDR_LEN;
	out->payload_len = present > UINT16_MAX ? UINT16_MAX : (uint16_t)present;
	return PD_OK;
}

/* Does a known option kind have an acceptable length? */
static bool opt_len_ok(uint8_t kind, uint8_t olen)
{
	switch (kind) {
	case TCPOPT_MSS: return olen == 4;
	case TCPOPT_WSCALE: return olen == 3;
	case TCPOPT_SACK_PERM: return olen == 2;
	case TCPOPT_SACK: return olen >= 10 && (olen - 2) % 8 == 0;
	case TCPOPT_TS: return olen == 10;
	}
	return olen >= 2;
}

/* Options in [20, end) of buf; end <= the buffer length.  A problem stops
 * the walk and sets opts_truncated; what came before stays decoded. */
static void parse_options(const uint8_t *buf, size_t end, struct pd_tcp *out)
{
	struct pd_cursor c = pd_cur_init(buf, end);

	c.off = PD_TCP_HDR_MIN;
	while (pd_cur_left(&c) > 0) {
		uint8_t kind = 0, olen = 0;

		pd_cur_u8(&c, &kind);
		if (kind == TCPOPT_EOL)
			return;
		if (kind == TCPOPT_NOP)
			continue;
		if (!pd_cur_u8(&c, &olen) || !opt_len_ok(kind, olen) ||
		    !pd_cur_has(&c, (size_t)olen - 2)) {
			out->opts_truncated = true;
			return;
		}
		switch (kind) {
		case TCPOPT_MSS:
			pd_cur_be16(&c, &out->mss);
			out->has_mss = true;
			break;
		case TCPOPT_WSCALE:
			pd_cur_u8(&c, &out->wscale);
			out->has_wscale = true;
			break;
		case TCPOPT_SACK_PERM:
			out->sack_permitted = true;
			break;
		case TCPOPT_SACK:
			out->sack_blocks = (uint8_t)((olen - 2) / 8);
			pd_cur_skip(&c, (size_t)olen - 2);
			break;
		case TCPOPT_TS:
			pd_cur_be32(&c, &out->ts_val);
			pd_cur_be32(&c, &out->ts_ecr);
			out->has_ts = true;
			break;
		default:
			pd_cur_skip(&c, (size_t)olen - 2);
			break;
		}
	}
}

/* The fixed fields that fit in len bytes (len may be below 20). */
static void read_fixed(const uint8_t *buf, size_t len, struct pd_tcp *out)
{
	struct pd_cursor c = pd_cur_init(buf, len);
	uint8_t off_ae = 0, flags = 0;

	if (!pd_cur_be16(&c, &out->sport) || !pd_cur_be16(&c, &out->dport) ||
	    !pd_cur_be32(&c, &out->seq) || !pd_cur_be32(&c, &out->ack))
		return;
	if (!pd_cur_u8(&c, &off_ae))
		return;
	out->hdr_len = (uint8_t)((off_ae >> 4) * 4);
	if (!pd_cur_u8(&c, &flags))
		return;
	out->flags = (uint16_t)((off_ae & 1) << 8 | flags);
	if (!pd_cur_be16(&c, &out->window) || !pd_cur_be16(&c, &out->checksum))
		return;
	pd_cur_be16(&c, &out->urgent);
}

int pd_tcp_decode(const uint8_t *buf, size_t len, struct pd_tcp *out,
		  struct pd_error *err)
{
	size_t end;

	memset(out, 0, sizeof(*out));
	if (len < PD_TCP_HDR_MIN)
		return pd_fail(err, PD_ERR_TRUNCATED, 0,
			       "TCP header shorter than 20 bytes");
	read_fixed(buf, len, out);
	if (out->hdr_len < PD_TCP_HDR_MIN)
		return pd_fail(err, PD_ERR_MALFORMED, 12,
			       "TCP data offset below 5");
	end = len < out->hdr_len ? len : out->hdr_len;
	out->hdr_present = (uint8_t)end;
	parse_options(buf, end, out);
	if (len < out->hdr_len)
		out->opts_truncated = true;
	else
		out->payload_len = len - out->hdr_len > UINT16_MAX ?
			UINT16_MAX : (uint16_t)(len - out->hdr_len);
	return PD_OK;
}

int pd_tcp_decode_partial(const uint8_t *buf, size_t len, struct pd_tcp *out,
			  struct pd_error *err)
{
	if (len >= PD_TCP_HDR_MIN)
		return pd_tcp_decode(buf, len, out, err);
	memset(out, 0, sizeof(*out));
	if (len < 4)
		return pd_fail(err, PD_ERR_TRUNCATED, 0,
			       "TCP header shorter than its ports");
	read_fixed(buf, len, out);
	out->hdr_present = (uint8_t)len;
	if (len >= 13 && out->hdr_len < PD_TCP_HDR_MIN)
		return pd_fail(err, PD_ERR_MALFORMED, 12,
			       "TCP data offset below 5");
	/* The options (if any) lie past the buffer. */
	out->opts_truncated = out->hdr_len != PD_TCP_HDR_MIN;
	return PD_OK;
}
