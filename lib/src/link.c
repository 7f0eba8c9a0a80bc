/* link.c - link-layer headers of captured frames, reduced to "EtherType of
 * the payload and where it starts".
 *
 * Specs: IEEE 802.3 clause 3.2.6 (Length/Type: <= 1500 is a length and LLC
 * follows, >= 0x0600 an EtherType), IEEE 802.1Q clause 9 (C-tag 0x8100,
 * S-tag 0x88a8; 0x9100 is the pre-standard QinQ TPID), and the libpcap
 * link-type registry for LINUX_SLL, LINUX_SLL2, RAW, IPV4/IPV6, NULL, LOOP.
 *
 *   Ethernet II:  | dst (6) | src (6) | [TPID (2) | TCI (2)]... | type (2) |
 *                 TCI = PCP (3) | DEI (1) | VID (12)
 *
 *   LINUX_SLL (16 bytes):
 *     | packet type (2) | ARPHRD type (2) | addr len (2) | addr (8) |
 *     | protocol (2) |
 *   LINUX_SLL2 (20 bytes):
 *     | protocol (2) | reserved (2) | ifindex (4) | ARPHRD type (2) |
 *     | packet type (1) | addr len (1) | addr (8) |
 *
 *   NULL: 4-byte address family in the capturing host's byte order.
 *   LOOP: the same, in network byte order.
 *   RAW: no header; the IP version nibble says IPv4 or IPv6.
 */
#include <string.h>

#include <pathdiag/link.h>

#include "cursor.h"

#define NULL_HDR_LEN 4
#define ETH_MAX_LENGTH 1500     /* larger Length/Type values are types... */
#define ETH_MIN_TYPE 0x0600     /* ...from 0x0600 on; in between undefined */

/* SLL protocol values below 0x0600 are Linux ETH_P_* codes, not lengths. */
#define SLL_P_802_2 0x0004      /* 802.2 LLC frame follows */
#define ARPHRD_NETLINK 824      /* SLL protocol is a netlink family */

/* DLT_RAW as returned by pcap_datalink() for a live capture (12 on most
 * systems, 14 on OpenBSD); files carry LINKTYPE_RAW (101) instead. */
#define DLT_RAW_COMMON 12
#define DLT_RAW_OPENBSD 14

/* BSD address families seen in NULL/LOOP headers. */
#define BSD_AF_INET 2
#define LINUX_AF_INET6 10
#define BSD_AF_INET6_BSD 24     /* NetBSD, OpenBSD, BSD/OS */
#define BSD_AF_INET6_FREEBSD 28 /* FreeBSD, DragonFly BSD */
#define BSD_AF_INET6_DARWIN 30  /* macOS, iOS */

static bool is_tpid(uint16_t type)
{
	return type == PD_ETHERTYPE_VLAN || type == PD_ETHERTYPE_QINQ ||
	       type == PD_ETHERTYPE_QINQ_OLD;
}

/* Walk 802.1Q/802.1ad tags starting at the cursor, which sits just after a
 * type field holding *type.  On return *type is the first non-TPID type. */
static int parse_tags(struct pd_cursor *c, uint16_t *type, struct pd_link *out,
		      struct pd_error *err)
{
	while (is_tpid(*type)) {
		size_t tag_off = c->off;
		uint16_t tci = 0, next = 0;

		if (out->nvlan == PD_MAX_VLAN)
			return pd_fail(err, PD_ERR_UNSUPPORTED, tag_off,
				       "more VLAN tags than PD_MAX_VLAN");
		if (!pd_cur_be16(c, &tci) || !pd_cur_be16(c, &next))
			return pd_fail(err, PD_ERR_TRUNCATED, tag_off,
				       "VLAN tag cut short");
		out->vlan_tpid[out->nvlan] = *type;
		out->vlan_id[out->nvlan] = tci & 0x0fff;
		out->vlan_pcp[out->nvlan] = (uint8_t)(tci >> 13);
		out->nvlan++;
		*type = next;
	}
	return PD_OK;
}

/* An Ethernet Length/Type value (after any tags): EtherType, or a length
 * meaning an 802.2 LLC header follows. */
static int eth_classify(uint16_t type, size_t type_off, struct pd_link *out,
			struct pd_error *err)
{
	if (type >= ETH_MIN_TYPE) {
		out->ethertype = type;
	} else if (type <= ETH_MAX_LENGTH) {
		out->ethertype = 0;
		out->eth_len = type;
	} else {
		return pd_fail(err, PD_ERR_MALFORMED, type_off,
			       "Ethernet Length/Type between 1501 and 1535");
	}
	return PD_OK;
}

int pd_eth_decode(const uint8_t *buf, size_t len, struct pd_link *out,
		  struct pd_error *err)
{
	struct pd_cursor c = pd_cur_init(buf, len);
	uint16_t type = 0;
	size_t type_off;
	int rc;

	memset(out, 0, sizeof(*out));
	out->linktype = PD_LINKTYPE_ETHERNET;
	if (!pd_cur_bytes(&c, out->dst, 6) || !pd_cur_bytes(&c, out->src, 6) ||
	    !pd_cur_be16(&c, &type))
		return pd_fail(err, PD_ERR_TRUNCATED, 0,
			       "Ethernet header shorter than 14 bytes");
	out->addr_len = 6;
	rc = parse_tags(&c, &type, out, err);
	if (rc)
		return rc;
	type_off = c.off - 2;
	rc = eth_classify(type, type_off, out, err);
	if (rc)
		return rc;
	out->hdr_len = (uint16_t)c.off;
	return PD_OK;
}

/* SLL and SLL2 share the protocol field's meaning (Linux skb->protocol). */
static int sll_protocol(struct pd_cursor *c, uint16_t proto, struct pd_link *out,
			struct pd_error *err)
{
	int rc;

	out->sll_protocol = proto;
	if (out->sll_hatype == ARPHRD_NETLINK) {
		out->ethertype = PD_ETHERTYPE_NONE;
		return PD_OK;
	}
	if (is_tpid(proto)) {
		/* The tags follow the cooked header as in an Ethernet frame,
		 * and after them the usual Length/Type field. */
		rc = parse_tags(c, &proto, out, err);
		if (rc)
			return rc;
		return eth_classify(proto, c->off - 2, out, err);
	}
	if (proto >= ETH_MIN_TYPE)
		out->ethertype = proto;
	else if (proto == SLL_P_802_2)
		out->ethertype = 0;
	else
		out->ethertype = PD_ETHERTYPE_NONE;
	return PD_OK;
}

static void copy_addr(const uint8_t *addr, uint16_t addr_len, struct pd_link *out)
{
	size_t n = addr_len < sizeof(out->src) ? addr_len : sizeof(out->src);

	memcpy(out->src, addr, n);
}

static int sll_decode(const uint8_t *buf, size_t len, struct pd_link *out,
		      struct pd_error *err)
{
	struct pd_cursor c = pd_cur_init(buf, len);
	uint16_t pkttype = 0, hatype = 0, alen = 0, proto = 0;
	uint8_t addr[8] = { 0 };
	int rc;

	if (!pd_cur_be16(&c, &pkttype) || !pd_cur_be16(&c, &hatype) ||
	    !pd_cur_be16(&c, &alen) || !pd_cur_bytes(&c, addr, sizeof(addr)) ||
	    !pd_cur_be16(&c, &proto))
		return pd_fail(err, PD_ERR_TRUNCATED, 0,
			       "Linux cooked (SLL) header shorter than 16 bytes");
	out->sll_pkttype = pkttype;
	out->sll_hatype = hatype;
	/* The field can exceed 8 (e.g. InfiniBand): keep it, copy 8 at most. */
	out->addr_len = alen > 255 ? 255 : (uint8_t)alen;
	copy_addr(addr, alen, out);
	rc = sll_protocol(&c, proto, out, err);
	if (rc)
		return rc;
	out->hdr_len = (uint16_t)c.off;
	return PD_OK;
}

static int sll2_decode(const uint8_t *buf, size_t len, struct pd_link *out,
		       struct pd_error *err)
{
	struct pd_cursor c = pd_cur_init(buf, len);
	uint16_t proto = 0, reserved = 0, hatype = 0;
	uint32_t ifindex = 0;
	uint8_t pkttype = 0, alen = 0, addr[8] = { 0 };
	int rc;

	if (!pd_cur_be16(&c, &proto) || !pd_cur_be16(&c, &reserved) ||
	    !pd_cur_be32(&c, &ifindex) || !pd_cur_be16(&c, &hatype) ||
	    !pd_cur_u8(&c, &pkttype) || !pd_cur_u8(&c, &alen) ||
	    !pd_cur_bytes(&c, addr, sizeof(addr)))
		return pd_fail(err, PD_ERR_TRUNCATED, 0,
			       "Linux cooked v2 (SLL2) header shorter than 20 bytes");
	out->sll2_ifindex = ifindex;
	out->sll_hatype = hatype;
	out->sll_pkttype = pkttype;
	out->addr_len = alen;
	copy_addr(addr, alen, out);
	rc = sll_protocol(&c, proto, out, err);
	if (rc)
		return rc;
	out->hdr_len = (uint16_t)c.off;
	return PD_OK;
}

static uint16_t family_ethertype(uint32_t family)
{
	switch (family) {
	case BSD_AF_INET:
		return PD_ETHERTYPE_IPV4;
	case LINUX_AF_INET6:
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		return PD_ETHERTYPE_IPV6;
	}
	return PD_ETHERTYPE_NONE;
}

static int null_decode(int linktype, const uint8_t *buf, size_t len,
		       struct pd_link *out, struct pd_error *err)
{
	struct pd_cursor c = pd_cur_init(buf, len);
	uint32_t family = 0;

	if (!pd_cur_be32(&c, &family))
		return pd_fail(err, PD_ERR_TRUNCATED, 0,
			       "NULL/LOOP header shorter than 4 bytes");
	/* NULL is in the writer's byte order, which the file does not say.
	 * Families are small numbers, so a value with bits in the upper half
	 * was written little-endian (the same test tcpdump makes). */
	if (linktype == PD_LINKTYPE_NULL && (family & 0xffff0000u)) {
		c.off = 0;
		pd_cur_le32(&c, &family);
	}
	out->null_family = family;
	out->ethertype = family_ethertype(family);
	out->hdr_len = NULL_HDR_LEN;
	return PD_OK;
}

static int raw_decode(int linktype, const uint8_t *buf, size_t len,
		      struct pd_link *out, struct pd_error *err)
{
	struct pd_cursor c = pd_cur_init(buf, len);
	uint8_t vers = 0;

	if (linktype == PD_LINKTYPE_IPV4) {
		out->ethertype = PD_ETHERTYPE_IPV4;
		return PD_OK;
	}
	if (linktype == PD_LINKTYPE_IPV6) {
		out->ethertype = PD_ETHERTYPE_IPV6;
		return PD_OK;
	}
	if (!pd_cur_u8(&c, &vers))
		return pd_fail(err, PD_ERR_TRUNCATED, 0,
			       "raw IP frame is empty");
	switch (vers >> 4) {
	case 4:
		out->ethertype = PD_ETHERTYPE_IPV4;
		return PD_OK;
	case 6:
		out->ethertype = PD_ETHERTYPE_IPV6;
		return PD_OK;
	}
	return pd_fail(err, PD_ERR_MALFORMED, 0,
		       "raw IP frame with IP version other than 4 or 6");
}

int pd_link_decode(int linktype, const uint8_t *buf, size_t len,
		   struct pd_link *out, struct pd_error *err)
{
	if (linktype == PD_LINKTYPE_ETHERNET)
		return pd_eth_decode(buf, len, out, err);
	memset(out, 0, sizeof(*out));
	out->linktype = linktype;
	switch (linktype) {
	case PD_LINKTYPE_LINUX_SLL:
		return sll_decode(buf, len, out, err);
	case PD_LINKTYPE_LINUX_SLL2:
		return sll2_decode(buf, len, out, err);
	case PD_LINKTYPE_NULL:
	case PD_LINKTYPE_LOOP:
		return null_decode(linktype, buf, len, out, err);
	case PD_LINKTYPE_RAW:
	case DLT_RAW_COMMON:
	case DLT_RAW_OPENBSD:
	case PD_LINKTYPE_IPV4:
	case PD_LINKTYPE_IPV6:
		return raw_decode(linktype, buf, len, out, err);
	}
	return pd_fail(err, PD_ERR_UNSUPPORTED, 0, "unknown link type");
}

const char *pd_linktype_name(int linktype)
{
	switch (linktype) {
	case PD_LINKTYPE_NULL: return "NULL";
	case PD_LINKTYPE_ETHERNET: return "EN10MB";
	case DLT_RAW_COMMON:
	case DLT_RAW_OPENBSD:
	case PD_LINKTYPE_RAW: return "RAW";
	case PD_LINKTYPE_LOOP: return "LOOP";
	case PD_LINKTYPE_LINUX_SLL: return "LINUX_SLL";
	case PD_LINKTYPE_IPV4: return "IPV4";
	case PD_LINKTYPE_IPV6: return "IPV6";
	case PD_LINKTYPE_LINUX_SLL2: return "LINUX_SLL2";
	}
	return NULL;
}
