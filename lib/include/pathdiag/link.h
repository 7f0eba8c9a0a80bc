/* link.h - link-layer headers found in captures.
 *
 * Ethernet II with 802.1Q / 802.1ad (QinQ) tags (IEEE 802.3, 802.1Q),
 * Linux cooked capture v1 (SLL, DLT_LINUX_SLL = 113) and v2 (SLL2, 276),
 * raw IP (DLT_RAW = 12/14, LINKTYPE_RAW = 101, IPV4 = 228, IPV6 = 229) and
 * BSD null/loopback (DLT_NULL = 0, DLT_LOOP = 108).
 *
 * The decoder turns every link type into the same answer: the EtherType of
 * what follows (0x0800, 0x86dd, ...) and where it starts.
 */
#ifndef PATHDIAG_LINK_H
#define PATHDIAG_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libpcap LINKTYPE_ values we understand. */
enum pd_linktype {
	PD_LINKTYPE_NULL = 0,
	PD_LINKTYPE_ETHERNET = 1,
	PD_LINKTYPE_RAW = 101,
	PD_LINKTYPE_LOOP = 108,
	PD_LINKTYPE_LINUX_SLL = 113,
	PD_LINKTYPE_IPV4 = 228,
	PD_LINKTYPE_IPV6 = 229,
	PD_LINKTYPE_LINUX_SLL2 = 276,
};

#define PD_ETHERTYPE_IPV4 0x0800
#define PD_ETHERTYPE_ARP 0x0806
#define PD_ETHERTYPE_VLAN 0x8100
#define PD_ETHERTYPE_QINQ 0x88a8
#define PD_ETHERTYPE_QINQ_OLD 0x9100
#define PD_ETHERTYPE_IPV6 0x86dd
#define PD_ETHERTYPE_TEB 0x6558  /* transparent Ethernet bridging (gretap) */
#define PD_ETHERTYPE_PPP 0x880b
#define PD_ETHERTYPE_CMD 0x8909  /* Cisco MetaData */
/* Not an EtherType (IEEE reserves 0xffff): the link header names a payload
 * that has no EtherType (an SLL netlink frame, a NULL/LOOP address family
 * other than IPv4/IPv6, an SLL protocol code below 0x0600 other than LLC).
 * Not an error: the payload is simply not something we decode. */
#define PD_ETHERTYPE_NONE 0xffff

#define PD_MAX_VLAN 4

struct pd_link {
	int linktype;           /* enum pd_linktype */
	uint16_t ethertype;     /* protocol of the payload, after VLAN tags;
				   0 when the frame is 802.3 length + LLC */
	uint16_t hdr_len;       /* bytes before the payload */
	uint8_t nvlan;          /* number of 802.1Q/ad tags */
	uint16_t vlan_tpid[PD_MAX_VLAN];
	uint16_t vlan_id[PD_MAX_VLAN];  /* 12-bit VID, outermost first */
	uint8_t vlan_pcp[PD_MAX_VLAN];
	uint8_t src[8], dst[8]; /* Ethernet / SLL addresses */
	uint8_t addr_len;       /* 6 for Ethernet; SLL's own length field */
	uint16_t sll_pkttype;   /* SLL packet type (0 host, 4 outgoing, ...) */
	uint16_t sll_hatype;    /* SLL ARPHRD_ type */
	uint32_t sll2_ifindex;  /* SLL2 interface index */
	uint32_t null_family;   /* DLT_NULL/LOOP address family as read
				   (NULL: after fixing the byte order) */
	uint16_t eth_len;       /* 802.3 Length field when ethertype == 0 */
	uint16_t sll_protocol;  /* SLL/SLL2 protocol field as on the wire */
};

/* Decode the link header of a frame of the given linktype.  DLT_RAW as
 * pcap_datalink() reports it for a live capture (12, or 14 on OpenBSD) is
 * accepted as LINKTYPE_RAW.  An unknown linktype is PD_ERR_UNSUPPORTED. */
int pd_link_decode(int linktype, const uint8_t *buf, size_t len,
		   struct pd_link *out, struct pd_error *err);

/* Ethernet II header (plus tags) at buf; used for Ethernet carried inside
 * VXLAN and gretap as well as for captures. */
int pd_eth_decode(const uint8_t *buf, size_t len, struct pd_link *out,
		  struct pd_error *err);

/* Name of a linktype for messages ("EN10MB", "LINUX_SLL2"...), or NULL. */
const char *pd_linktype_name(int linktype);

#ifdef __cplusplus
}
#endif
#endif
