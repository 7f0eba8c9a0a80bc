/* encode.h - builders for the packets probes and tests send: IPv4, IPv6
 * (optionally with a destination options header carrying a Tunnel
 * Encapsulation Limit), ICMP/ICMPv6 echo and errors, UDP and TCP (with
 * options), and the outer headers of IPIP / 6in4 / ip6tnl / GRE / VXLAN /
 * WireGuard-shaped messages.  All checksums are computed.
 *
 * Builders write into a caller's buffer and return the bytes written (> 0)
 * or a negative enum pd_status (PD_ERR_NOSPACE, PD_ERR_INVAL).  They never
 * allocate.
 */
#ifndef PATHDIAG_ENCODE_H
#define PATHDIAG_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pd_ip_spec {
	int family;            /* 4 or 6 */
	uint8_t src[16], dst[16];
	uint8_t ttl;           /* TTL / hop limit (0 = 64) */
	uint8_t tos;           /* DSCP/ECN or traffic class */
	uint16_t id;           /* IPv4 identification */
	bool df;               /* IPv4 don't fragment */
	uint32_t flow;         /* IPv6 flow label */
	int tel;               /* IPv6: Tunnel Encapsulation Limit destination
				  option to add (0..255), or -1 for none */
};

struct pd_tcp_spec {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t flags;        /* PD_TCP_* */
	uint16_t window;
	uint16_t mss;          /* 0 = no MSS option */
	int wscale;            /* -1 = none */
	bool sack_permitted;
	bool timestamps;
	uint32_t ts_val, ts_ecr;
};

/* IP header(s) in front of a payload of `payload_len` bytes that the caller
 * has already placed at buf + the returned header length.  Typical use:
 * write the transport header after pd_ip_header_len(spec) bytes, then call
 * pd_build_ip() to fill in the IP header in front of it. */
size_t pd_ip_header_len(const struct pd_ip_spec *ip);
int pd_build_ip(const struct pd_ip_spec *ip, uint8_t proto, uint8_t *buf,
		size_t cap, size_t payload_len);

/* Complete packets: IP + transport + payload (payload may be NULL: then
 * payload_len bytes of a fixed pattern are used, as probes do). */
int pd_build_udp(const struct pd_ip_spec *ip, uint16_t sport, uint16_t dport,
		 const uint8_t *payload, size_t payload_len, uint8_t *buf,
		 size_t cap);
int pd_build_tcp(const struct pd_ip_spec *ip, const struct pd_tcp_spec *tcp,
		 const uint8_t *payload, size_t payload_len, uint8_t *buf,
		 size_t cap);
int pd_build_icmp_echo(const struct pd_ip_spec *ip, bool reply, uint16_t id,
		       uint16_t seq, const uint8_t *payload, size_t payload_len,
		       uint8_t *buf, size_t cap);
/* An ICMP error (v4: type/code; v6 likewise) quoting `quote` (as much as
 * the minimum-MTU rules allow), with `mtu` for frag-needed / PTB. */
int pd_build_icmp_error(const struct pd_ip_spec *ip, uint8_t type,
			uint8_t code, uint32_t mtu, const uint8_t *quote,
			size_t quote_len, uint8_t *buf, size_t cap);

/* The transport payload only (no IP header), for datagram sockets where
 * the kernel adds the IP header: UDP payload pattern and ICMP echo. */
int pd_build_icmp_echo_body(int family, bool reply, uint16_t id, uint16_t seq,
			    const uint8_t *payload, size_t payload_len,
			    uint8_t *buf, size_t cap);

/* Encapsulations: wrap `inner` (an IP packet or Ethernet frame) */
int pd_build_ip_in_ip(const struct pd_ip_spec *outer, const uint8_t *inner,
		      size_t inner_len, uint8_t *buf, size_t cap);
int pd_build_gre(const struct pd_ip_spec *outer, uint16_t proto,
		 bool with_csum, bool with_key, uint32_t key, bool with_seq,
		 uint32_t seq, const uint8_t *inner, size_t inner_len,
		 uint8_t *buf, size_t cap);
int pd_build_vxlan(const struct pd_ip_spec *outer, uint16_t sport,
		   uint32_t vni, const uint8_t *inner_frame, size_t inner_len,
		   uint8_t *buf, size_t cap);
/* A WireGuard transport data message carrying `plain_len` bytes of
 * (pretend) plaintext: padded to 16 and followed by a 16-byte tag, in UDP.
 * The payload is random-looking filler: it has the shape, not a cipher. */
int pd_build_wg_data(const struct pd_ip_spec *outer, uint16_t sport,
		     uint16_t dport, uint32_t receiver, uint64_t counter,
		     size_t plain_len, uint8_t *buf, size_t cap);

/* An Ethernet II header (14 bytes) in front of a payload, for captures. */
int pd_build_eth(const uint8_t dst[6], const uint8_t src[6],
		 uint16_t ethertype, uint8_t *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
