/* dissect.h - a whole frame decoded into its stack of layers.
 *
 * pd_dissect() walks a captured frame from the link layer inwards: VLAN
 * tags, IPv4/IPv6 (with extension headers), IP-in-IP, 6in4, 4in6/ip6tnl,
 * GRE (and the Ethernet, PPP or IP it carries), VXLAN (and its Ethernet),
 * UDP, TCP, WireGuard on any port, ICMP and the packet an ICMP error quotes.
 * Each layer records where it starts and its decoded header.  Decoding stops
 * at the first layer it cannot decode; the error says what and where, and
 * the layers before it remain valid.  No I/O, no allocation, no globals.
 */
#ifndef PATHDIAG_DISSECT_H
#define PATHDIAG_DISSECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>
#include <pathdiag/icmp.h>
#include <pathdiag/ipv4.h>
#include <pathdiag/ipv6.h>
#include <pathdiag/link.h>
#include <pathdiag/transport.h>
#include <pathdiag/tunnel.h>
#include <pathdiag/wireguard.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_MAX_LAYERS 16

enum pd_layer_kind {
	PD_LAYER_LINK = 1,  /* capture link header, or Ethernet inside a tunnel */
	PD_LAYER_IPV4,
	PD_LAYER_IPV6,
	PD_LAYER_ICMP,      /* ICMPv4 or ICMPv6 (u.icmp.family) */
	PD_LAYER_UDP,
	PD_LAYER_TCP,
	PD_LAYER_WG,
	PD_LAYER_GRE,
	PD_LAYER_VXLAN,
	PD_LAYER_PPP,
	PD_LAYER_CMD,       /* Cisco MetaData shim inside GRE (EtherType 0x8909) */
};

struct pd_layer {
	enum pd_layer_kind kind;
	uint16_t off;       /* start of this header in the frame */
	uint16_t len;       /* bytes from off to the end of this layer's data
			       (bounded by the capture and the outer lengths) */
	bool quoted;        /* inside the packet quoted by an ICMP error */
	union {
		struct pd_link link;
		struct pd_ipv4 ip4;
		struct pd_ipv6 ip6;
		struct pd_icmp icmp;
		struct pd_udp udp;
		struct pd_tcp tcp;
		struct pd_wg wg;
		struct pd_gre gre;
		struct pd_vxlan vxlan;
		struct pd_ppp ppp;
		uint16_t cmd_proto;
	} u;
};

struct pd_dissect_opts {
	/* UDP ports decoded as VXLAN (0 = PD_VXLAN_PORT only). */
	uint16_t vxlan_port;
	/* Recognise WireGuard by shape on every UDP port (default on). */
	bool no_wg_heuristic;
};

struct pd_packet {
	size_t caplen, wirelen;
	unsigned nlayers;
	/* layers[0 .. nlayers) are this frame's; pd_dissect does not clear
	 * the slots after them (one may hold a header that failed to decode) */
	struct pd_layer layers[PD_MAX_LAYERS];
	/* Set when decoding stopped early on a malformed or truncated header
	 * (err.code != 0); err.offset is relative to the frame start.  A frame
	 * whose payload is simply not a protocol we decode is not an error. */
	struct pd_error err;
};

/* Dissect one captured frame.  Returns 0 when every layer was decoded, or
 * the (negative) code of pkt->err when decoding stopped early.  opts may be
 * NULL for the defaults. */
int pd_dissect(int linktype, const uint8_t *buf, size_t caplen, size_t wirelen,
	       const struct pd_dissect_opts *opts, struct pd_packet *pkt);

/* Index of the first layer of a kind at or after `from`, or -1. */
int pd_packet_find(const struct pd_packet *pkt, enum pd_layer_kind kind,
		   unsigned from);

/* Short lowercase name of a layer kind ("ipv4", "wg", ...). */
const char *pd_layer_name(enum pd_layer_kind kind);

#ifdef __cplusplus
}
#endif
#endif
