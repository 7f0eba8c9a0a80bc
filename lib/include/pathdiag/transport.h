/* transport.h - UDP (RFC 768) and TCP (RFC 9293) headers, with the TCP
 * options the path tools care about: MSS (kind 2), window scale (3,
 * RFC 7323), SACK-permitted (4) and SACK (5, RFC 2018), timestamps (8,
 * RFC 7323).
 *
 *   UDP:  | src port | dst port | length | checksum |
 *   TCP:  | src port | dst port | seq | ack | off/flags | window |
 *         | checksum | urgent pointer | options (off*4 - 20 bytes) |
 */
#ifndef PATHDIAG_TRANSPORT_H
#define PATHDIAG_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_UDP_HDR_LEN 8
#define PD_TCP_HDR_MIN 20

struct pd_udp {
	uint16_t sport, dport;
	uint16_t length;      /* as in the header */
	uint16_t checksum;
	uint16_t payload_len; /* payload bytes present in the buffer */
};

#define PD_TCP_FIN 0x001
#define PD_TCP_SYN 0x002
#define PD_TCP_RST 0x004
#define PD_TCP_PSH 0x008
#define PD_TCP_ACK 0x010
#define PD_TCP_URG 0x020
#define PD_TCP_ECE 0x040
#define PD_TCP_CWR 0x080
#define PD_TCP_AE 0x100

struct pd_tcp {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t hdr_len;      /* data offset in bytes (20..60) */
	uint16_t flags;       /* 9 bits, PD_TCP_* */
	uint16_t window;
	uint16_t checksum;
	uint16_t urgent;
	bool has_mss;
	uint16_t mss;
	bool has_wscale;
	uint8_t wscale;
	bool sack_permitted;
	uint8_t sack_blocks;  /* number of SACK blocks in a SACK option */
	bool has_ts;
	uint32_t ts_val, ts_ecr;
	bool opts_truncated;  /* options cut by the buffer or malformed: the
				 ones before the problem are still reported */
	uint16_t payload_len; /* payload bytes present in the buffer */
	uint8_t hdr_present;  /* header bytes present: min(len, hdr_len), or
				 for a partial decode the len it was given */
};

int pd_udp_decode(const uint8_t *buf, size_t len, struct pd_udp *out,
		  struct pd_error *err);

/* Decodes the fixed header; options are decoded as far as they go (a
 * quoted TCP header in an ICMP error often lacks them). */
int pd_tcp_decode(const uint8_t *buf, size_t len, struct pd_tcp *out,
		  struct pd_error *err);

/* For the TCP header quoted in an ICMP error, of which only the first 8
 * bytes must be present (RFC 792; RFC 1812 4.3.2.3 asks for more).  With
 * len >= 20 this is pd_tcp_decode().  Shorter, it fills the fields that fit
 * (ports at 4 bytes, seq at 8, ack at 12, hdr_len at 13, flags at 14,
 * window at 16, checksum at 18; the rest stay zero), sets hdr_present = len
 * and opts_truncated (unless the data offset is known to be 5), and returns
 * PD_OK.  Below 4 bytes it is PD_ERR_TRUNCATED; a present data offset below
 * 5 is PD_ERR_MALFORMED. */
int pd_tcp_decode_partial(const uint8_t *buf, size_t len, struct pd_tcp *out,
			  struct pd_error *err);

#ifdef __cplusplus
}
#endif
#endif
