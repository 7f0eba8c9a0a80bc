/* natpath.h - what the path does to a probe, tracebox-style: hop-limited
 * probes whose every header field is known, and the comparison of the
 * header each hop quotes in its ICMP error with the probe as sent.
 * Pure functions: no I/O, no clock, no allocation.
 *
 * Specs: RFC 792 (time exceeded quotes the IP header and 8 bytes of
 * payload), RFC 1812 section 4.3.2.3 (routers should quote as much as fits
 * in 576 bytes), RFC 4443 section 2.4(c) (ICMPv6: as much as fits in 1280),
 * RFC 1071 / RFC 1624 (the Internet checksum and its one's-complement
 * arithmetic), RFC 6598 (100.64.0.0/10 shared address space), RFC 1918,
 * RFC 4193 (fc00::/7), RFC 6864 (the IPv4 ID of atomic datagrams is free to
 * carry data), RFC 6437 (the flow label).
 *
 * The checksum trick (the idea of Paris traceroute and dublin-traceroute):
 * each probe's transport checksum is chosen (a per-probe key) and also
 * written into the IPv4 identification or the IPv6 flow label; a free field
 * (two UDP / ICMP echo payload bytes, the low 16 bits of the TCP sequence
 * number) is set so that the checksum comes out as chosen.  A NAT rewrites
 * addresses or ports and fixes the checksum; if it then restores the
 * addresses in the ICMP error it forwards back but not the checksum, the
 * quote shows the original addresses with a checksum that differs from the
 * key: a translation hidden between the previous hop and this one.
 *
 *   probe:  | IPv4 ID = key  or  IPv6 flow label = key |
 *           | UDP/TCP/ICMP header, checksum = key | fixer ... |
 */
#ifndef PATHDIAG_NATPATH_H
#define PATHDIAG_NATPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_NATPATH_MAX_CHANGES 32
#define PD_NATPATH_MAX_HOPS 64
/* Longest probe pd_natpath_build() writes. */
#define PD_NATPATH_PROBE_MAX 512

enum pd_natpath_proto {
	PD_NATPATH_UDP = 1,
	PD_NATPATH_TCP,
	PD_NATPATH_ICMP, /* echo request (ICMPv6 echo over IPv6) */
};

/* One probe.  key must not be 0 or 0xffff (a UDP checksum of 0 means "no
 * checksum"; 0xffff is the other zero of one's-complement arithmetic). */
struct pd_natpath_probe {
	int family;                 /* 4 or 6 */
	uint8_t src[16], dst[16];   /* IPv4 in the first 4 bytes */
	enum pd_natpath_proto proto;
	uint16_t sport, dport;      /* UDP, TCP; ICMP: sport is the echo id */
	uint8_t ttl;                /* TTL / hop limit, >= 1 */
	uint8_t tos;                /* DSCP << 2 | ECN (IPv6 traffic class) */
	bool df;                    /* IPv4 don't fragment */
	uint16_t key;               /* the chosen transport checksum */
	uint16_t seq_hi;            /* TCP: high 16 bits of the sequence number */
	uint16_t mss;               /* TCP: MSS option (0 = none) */
	uint16_t window;            /* TCP window */
	uint16_t payload_len;       /* UDP / ICMP payload, >= 2 (the fixer) */
};

/* Build the probe into buf; returns its length or a negative pd_status
 * (PD_ERR_INVAL: bad family, proto, key, ttl or payload length;
 * PD_ERR_NOSPACE).  The transport checksum equals p->key; the IPv4 ID (or
 * the IPv6 flow label) is the key; ICMP: the echo sequence number is the
 * key too. */
int pd_natpath_build(const struct pd_natpath_probe *p, uint8_t *buf, size_t cap,
		     struct pd_error *err);

/* The 16-bit value to add (one's complement) to a checksummed region whose
 * checksum is now `csum` so that it becomes `want` (want not 0xffff). */
uint16_t pd_natpath_fixer(uint16_t csum, uint16_t want);

enum pd_natpath_field {
	PD_NP_IP_SRC = 1,
	PD_NP_IP_DST,
	PD_NP_IP_HDRLEN,   /* IPv4 IHL in bytes */
	PD_NP_IP_DSCP,
	PD_NP_IP_ECN,
	PD_NP_IP_LENGTH,   /* IPv4 total length / IPv6 payload length */
	PD_NP_IP_ID,
	PD_NP_IP_DF,
	PD_NP_IP_PROTO,    /* protocol / upper-layer next header */
	PD_NP_IP_FLOW,     /* IPv6 flow label */
	PD_NP_IP_TTL,      /* set by pd_natpath_analyse: quoted TTL not as expected */
	PD_NP_SPORT,       /* ICMP: echo id */
	PD_NP_DPORT,
	PD_NP_UDP_LENGTH,
	PD_NP_CHECKSUM,
	PD_NP_TCP_SEQ,
	PD_NP_TCP_ACK,
	PD_NP_TCP_HDRLEN,
	PD_NP_TCP_FLAGS,
	PD_NP_TCP_WINDOW,
	PD_NP_TCP_URGENT,
	PD_NP_TCP_MSS,     /* 0 = no MSS option */
	PD_NP_ICMP_TYPE,
	PD_NP_ICMP_SEQ,
	PD_NP_PAYLOAD,     /* sent: payload bytes compared; quoted: how many differ */
};

/* "ip.src", "udp.checksum", "tcp.mss", "icmp.id", ...: proto is the
 * probe's (names of transport fields depend on it). */
const char *pd_natpath_field_name(enum pd_natpath_field f, enum pd_natpath_proto proto);

/* True for the fields whose values are addresses (sent_addr/quoted_addr). */
bool pd_natpath_field_is_addr(enum pd_natpath_field f);

struct pd_natpath_change {
	enum pd_natpath_field field;
	uint32_t sent, quoted;                  /* numeric fields */
	uint8_t sent_addr[16], quoted_addr[16]; /* address fields (4 bytes for IPv4) */
};

struct pd_natpath_diff {
	int family;
	enum pd_natpath_proto proto;
	uint16_t quoted_bytes;    /* bytes of the packet quoted (IP header included) */
	uint16_t transport_bytes; /* of them, from the transport header on */
	uint8_t quoted_ttl;       /* TTL / hop limit in the quote */
	uint32_t compared;        /* bit (1u << field): the field was compared */
	size_t n;
	struct pd_natpath_change change[PD_NATPATH_MAX_CHANGES];
	bool overflow;            /* more changes than fit */
};

/* Compare the quoted packet with the probe as sent, field by field, over
 * the bytes actually quoted (a field cut by the end of the quote is not
 * compared).  TTL / hop limit and the IPv4 header checksum change at every
 * hop and are not compared here.  sent must be a probe of
 * pd_natpath_build().  PD_ERR_TRUNCATED: the quote lacks a whole IP header;
 * PD_ERR_MALFORMED: it is not an IP header of the sent family;
 * PD_ERR_INVAL: sent is not a probe. */
int pd_natpath_compare(const uint8_t *sent, size_t sent_len, const uint8_t *quote,
		       size_t quote_len, struct pd_natpath_diff *out, struct pd_error *err);

/* ---- answers ---------------------------------------------------------------- */

enum pd_natpath_answer_kind {
	PD_NATPATH_EXPIRED = 1, /* time exceeded: a router */
	PD_NATPATH_UNREACH,     /* destination unreachable (port unreachable: the target) */
	PD_NATPATH_ERROR,       /* another ICMP error quoting a probe */
	PD_NATPATH_ECHO_REPLY,  /* the target's echo reply */
};

struct pd_natpath_answer {
	enum pd_natpath_answer_kind kind;
	uint8_t type, code;
	uint16_t quote_off, quote_len; /* errors: the quoted packet in the buffer */
	/* Keys that name the probe: errors give the quoted IPv4 ID or the low
	 * 16 bits of the flow label (key), and the quoted transport checksum
	 * when quoted (key2); echo replies give the sequence number (key). */
	uint16_t key, key2;
	bool has_key2;
	uint8_t quoted_proto;
};

/* Parse an ICMP (family 4) or ICMPv6 (6) message as received, without the
 * outer IP header.  PD_ERR_UNSUPPORTED: a message that cannot answer a
 * probe (echo request, redirect, ...); PD_ERR_TRUNCATED / MALFORMED. */
int pd_natpath_parse_icmp(int family, const uint8_t *buf, size_t len,
			  struct pd_natpath_answer *out, struct pd_error *err);

/* ---- the path ------------------------------------------------------------------ */

enum pd_natpath_scope {
	PD_NATPATH_PUBLIC = 0,
	PD_NATPATH_PRIVATE, /* RFC 1918 */
	PD_NATPATH_SHARED,  /* RFC 6598 100.64.0.0/10 */
	PD_NATPATH_ULA,     /* RFC 4193 fc00::/7 */
	PD_NATPATH_OTHER,   /* loopback, link-local, unspecified, ... */
};

enum pd_natpath_scope pd_natpath_scope(int family, const uint8_t *addr);
/* "public", "private", "shared", "ula", "other". */
const char *pd_natpath_scope_name(enum pd_natpath_scope s);

/* One TTL of the trace, filled by the caller; pd_natpath_analyse() sets
 * scope and is_new. */
struct pd_natpath_hop {
	unsigned ttl;
	bool answered;
	bool target;          /* the answer came from the target */
	uint8_t addr[16];
	bool has_diff;        /* the answer quoted the probe */
	struct pd_natpath_diff diff;
	enum pd_natpath_scope scope;
	bool is_new[PD_NATPATH_MAX_CHANGES]; /* change first seen at this hop */
};

struct pd_natpath_summary {
	bool nat;                 /* a translation shows in the quotes */
	size_t n_nat;
	unsigned nat_ttl[PD_NATPATH_MAX_HOPS]; /* hops where one first shows */
	bool nat_restored[PD_NATPATH_MAX_HOPS]; /* ...only as a checksum change */
	bool carrier_grade;
	unsigned customer_ttl;    /* first private/ULA-addressed hop, 0 none */
	unsigned mss_ttl;         /* first hop whose quote shows another MSS, 0 none */
	uint16_t mss_sent, mss_value;
	unsigned df_ttl;          /* DF cleared, first seen */
	unsigned dscp_ttl;        /* DSCP rewritten, first seen */
	uint8_t dscp_sent, dscp_value;
	unsigned ecn_ttl;
	uint8_t ecn_sent, ecn_value;
	unsigned ttl_ttl;         /* quoted TTL not as expected, first seen */
	unsigned shared_ttl;      /* first hop in 100.64.0.0/10, 0 none */
};

/* Mark the changes each hop shows for the first time (a change persists to
 * later hops: a field counts as new where its quoted value first differs
 * from the value last quoted before it), add a PD_NP_IP_TTL change where the
 * quoted TTL / hop limit is above 1 (a probe sent with TTL t and answered
 * from the hop at distance t arrived there with TTL 1; 0 is what routers
 * that quote after decrementing show), set each hop's scope, and conclude.
 * hops must be in TTL order, at most PD_NATPATH_MAX_HOPS. */
void pd_natpath_analyse(struct pd_natpath_hop *hops, size_t n,
			struct pd_natpath_summary *sum);

#ifdef __cplusplus
}
#endif
#endif
