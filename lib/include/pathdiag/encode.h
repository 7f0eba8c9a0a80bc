/* encode.h - builders for the packets probes send and tests capture: IPv4
 * (RFC 791), IPv6 (RFC 8200) with an optional Tunnel Encapsulation Limit
 * (RFC 2473 section 5.1), UDP (RFC 768), TCP with options (RFC 9293,
 * RFC 7323, RFC 2018), ICMP (RFC 792, RFC 1191) and ICMPv6 (RFC 4443) echo
 * and errors, and the encapsulations IPIP / 6in4 / ip6tnl (RFC 2003,
 * RFC 4213, RFC 2473), GRE (RFC 2784, RFC 2890), VXLAN (RFC 7348) and
 * WireGuard-shaped messages.  Every checksum is computed.
 *
 * Conventions shared by every builder:
 * - The packet is written to buf[0..cap); the return value is the number of
 *   bytes written (> 0) or a negative enum pd_status: PD_ERR_INVAL for an
 *   argument no packet can be built from (checked first), PD_ERR_NOSPACE
 *   when cap is too small.  On error nothing has been written.
 * - Builders never allocate and only read the caller's input ranges.
 * - Input bytes (payload, quote, inner packet) may lie inside buf, even
 *   where the headers go: they are moved (memmove) into place before any
 *   header is written.  So an inner packet can be built at buf + overhead
 *   and wrapped in place without a copy.
 * - A NULL payload (UDP, TCP, echo) with a non-zero length means "a fixed
 *   filler": byte i is 0x50 + i % 16 ("PQRS..."), which no dissector
 *   mistakes for a header.  Quotes and inner packets must be given.
 */
#ifndef PATHDIAG_ENCODE_H
#define PATHDIAG_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Size of the Destination Options header that carries the Tunnel
 * Encapsulation Limit: next header, length 0, then TEL option (type 4,
 * length 1, limit) and a 1-byte PadN, as Linux ip6tnl emits it. */
#define PD_IPV6_TEL_HDR_LEN 8
/* RFC 1812 4.3.2.3 / RFC 4443 2.4(c): an ICMP error is at most this long. */
#define PD_ICMP4_ERROR_MAX 576
#define PD_ICMP6_ERROR_MAX 1280

/* The IP header in front of anything built here.  A zeroed spec plus
 * family and addresses is a valid packet (TTL 64, no options). */
struct pd_ip_spec {
	int family;            /* 4 or 6 */
	uint8_t src[16];       /* IPv4 uses the first 4 bytes */
	uint8_t dst[16];
	uint8_t ttl;           /* TTL / hop limit; 0 means 64 */
	uint8_t tos;           /* IPv4 TOS / IPv6 traffic class (DSCP<<2|ECN) */
	uint16_t id;           /* IPv4 identification */
	bool df;               /* IPv4 don't fragment */
	uint32_t flow;         /* IPv6 flow label, < 2^20 */
	bool has_tel;          /* IPv6: Destination Options header with a
				  Tunnel Encapsulation Limit option */
	uint8_t tel;           /* its limit */
};

struct pd_tcp_spec {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t flags;        /* PD_TCP_* of <pathdiag/transport.h>, 9 bits */
	uint16_t window;
	uint16_t mss;          /* MSS option value; 0 = no MSS option */
	bool has_wscale;       /* window scale option, shift count wscale */
	uint8_t wscale;
	bool sack_permitted;
	bool timestamps;       /* timestamps option with ts_val, ts_ecr */
	uint32_t ts_val, ts_ecr;
};

/* TCP options are laid out as Linux does (MSS, SACK-permitted+timestamps
 * or NOP,NOP+timestamps or NOP,NOP,SACK-permitted, NOP+window scale), so
 * the header length is 20 + a multiple of 4, at most 40. */

struct pd_gre_spec {
	uint16_t proto;        /* EtherType of the payload (0x0800, 0x86dd,
				  0x6558 for Ethernet) */
	bool has_csum;         /* C: checksum over GRE header and payload */
	bool has_key;          /* K (RFC 2890) */
	uint32_t key;
	bool has_seq;          /* S (RFC 2890) */
	uint32_t seq;
};

/* A WireGuard-shaped message: the layout, lengths and indices of the real
 * protocol, with random-looking filler (derived from the indices and the
 * counter, so reproducible) where keys, ciphertext and MACs would be.
 * mac2 is zero, as when no cookie is in use. */
struct pd_wg_spec {
	uint8_t type;          /* PD_WG_INITIATION .. PD_WG_DATA
				  (<pathdiag/wireguard.h>) */
	uint16_t sport, dport;
	uint32_t sender;       /* initiation, response */
	uint32_t receiver;     /* response, cookie reply, data */
	uint64_t counter;      /* data */
	size_t plain_len;      /* data: inner packet length, 0 = keepalive;
				  must be 0 for the other types */
	uint16_t mtu;          /* data: the WireGuard interface MTU.  As in
				  the Linux driver, padding to 16 stops at the
				  MTU (a full-size packet is not padded past
				  it).  0 = always pad to a multiple of 16. */
};

/* Bytes of IP header pd_build_ip() writes: 20, 40, or 48 with a TEL;
 * 0 for an invalid spec. */
size_t pd_ip_header_len(const struct pd_ip_spec *ip);

/* IP header(s) in front of payload_len bytes of protocol `proto` that the
 * caller has already placed at buf + pd_ip_header_len(ip).  Returns the
 * whole packet's length.  PD_ERR_INVAL if the packet would exceed 65535
 * bytes (IPv4 total length, IPv6 payload length: no jumbograms). */
int pd_build_ip(const struct pd_ip_spec *ip, uint8_t proto,
		size_t payload_len, uint8_t *buf, size_t cap);

/* Complete packets: IP + transport header + payload. */
int pd_build_udp(const struct pd_ip_spec *ip, uint16_t sport, uint16_t dport,
		 const uint8_t *payload, size_t payload_len, uint8_t *buf,
		 size_t cap);
int pd_build_tcp(const struct pd_ip_spec *ip, const struct pd_tcp_spec *tcp,
		 const uint8_t *payload, size_t payload_len, uint8_t *buf,
		 size_t cap);
/* ICMP echo request/reply (type 8/0) or ICMPv6 (128/129), by ip->family. */
int pd_build_icmp_echo(const struct pd_ip_spec *ip, bool reply, uint16_t id,
		       uint16_t seq, const uint8_t *payload, size_t payload_len,
		       uint8_t *buf, size_t cap);

/* An ICMP error quoting the start of an offending packet: as much of
 * `quote` as keeps the whole error within 576 bytes (IPv4) or 1280 bytes
 * (IPv6).  `info` is the type's 32-bit word:
 *   IPv4 type 3 code 4 (fragmentation needed): next-hop MTU, <= 65535;
 *   IPv4 type 12 (parameter problem): pointer, <= 255;
 *   IPv6 type 2 (packet too big): MTU;  IPv6 type 4: pointer;
 *   every other error (IPv4 3, 11; IPv6 1, 3): must be 0.
 * Other types (echo, redirect...) and an empty quote are PD_ERR_INVAL.
 * The RFC 4884 length field is left 0 (no extensions). */
int pd_build_icmp_error(const struct pd_ip_spec *ip, uint8_t type,
			uint8_t code, uint32_t info, const uint8_t *quote,
			size_t quote_len, uint8_t *buf, size_t cap);

/* The ICMP echo message alone, for datagram (ping) sockets where the kernel
 * adds the IP header.  For IPv4 the checksum is filled in; for IPv6 it is
 * left 0 because it covers a pseudo-header only the kernel knows (it
 * fills it in on ICMPv6 sockets). */
int pd_build_icmp_echo_body(int family, bool reply, uint16_t id, uint16_t seq,
			    const uint8_t *payload, size_t payload_len,
			    uint8_t *buf, size_t cap);

/* Encapsulations. */

/* An IP packet in IP: the outer protocol / next header is 4 or 41 from the
 * inner version nibble, so this is IPIP or 6in4 (sit) over IPv4 and
 * ip6tnl (ipip6 / ip6ip6, with or without TEL) over IPv6. */
int pd_build_ip_in_ip(const struct pd_ip_spec *outer, const uint8_t *inner,
		      size_t inner_len, uint8_t *buf, size_t cap);
int pd_build_gre(const struct pd_ip_spec *outer, const struct pd_gre_spec *gre,
		 const uint8_t *inner, size_t inner_len, uint8_t *buf,
		 size_t cap);
/* VXLAN (I flag set) in UDP to port 4789, carrying an Ethernet frame of at
 * least 14 bytes; vni < 2^24. */
int pd_build_vxlan(const struct pd_ip_spec *outer, uint16_t sport,
		   uint32_t vni, const uint8_t *inner_frame, size_t inner_len,
		   uint8_t *buf, size_t cap);
/* A WireGuard message in UDP (see struct pd_wg_spec): 148, 92, 64 bytes,
 * or 32 + padded length for data. */
int pd_build_wg(const struct pd_ip_spec *outer, const struct pd_wg_spec *wg,
		uint8_t *buf, size_t cap);

/* An Ethernet II header in front of payload_len bytes already placed at
 * buf + 14; returns 14 + payload_len.  No padding to 60 bytes is added (as
 * on a capture taken at the sender). */
int pd_build_eth(const uint8_t dst[6], const uint8_t src[6],
		 uint16_t ethertype, size_t payload_len, uint8_t *buf,
		 size_t cap);

#ifdef __cplusplus
}
#endif
#endif
