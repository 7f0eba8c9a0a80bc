/* fuzz_link.c - libFuzzer target for pd_link_decode and pd_eth_decode
 * (Ethernet II with 802.1Q/802.1ad tags, Linux SLL and SLL2, raw IP,
 * BSD null/loopback).
 *
 * Input: one selector byte, then the frame.  Selector modulo 10:
 *   0 NULL  1 EN10MB  2 RAW  3 LOOP  4 LINUX_SLL  5 IPV4  6 IPV6
 *   7 LINUX_SLL2  8 pd_eth_decode (Ethernet inside a tunnel)
 *   9 a linktype we do not support (must be refused), chosen by sel / 10
 * After a successful decode: hdr_len within the buffer, VLAN counts and
 * fields in range, and the EtherType, tags and addresses equal the bytes.
 */
#include <pathdiag/link.h>

#include "fuzz_common.h"

static const int linktypes[8] = {
	PD_LINKTYPE_NULL, PD_LINKTYPE_ETHERNET, PD_LINKTYPE_RAW,
	PD_LINKTYPE_LOOP, PD_LINKTYPE_LINUX_SLL, PD_LINKTYPE_IPV4,
	PD_LINKTYPE_IPV6, PD_LINKTYPE_LINUX_SLL2,
};

/* LINKTYPE_PPP, IEEE802_11, IEEE802_11_RADIOTAP, USER0, nonsense. */
static const int unsupported[6] = { 9, 105, 127, 147, -1, 0x7fffffff };

static bool is_tpid(uint16_t t)
{
	return t == PD_ETHERTYPE_VLAN || t == PD_ETHERTYPE_QINQ ||
	       t == PD_ETHERTYPE_QINQ_OLD;
}

static void check_vlans(const struct pd_link *l)
{
	unsigned i;

	FZ_CHECK(l->nvlan <= PD_MAX_VLAN);
	for (i = 0; i < l->nvlan; i++) {
		FZ_CHECK(l->vlan_id[i] <= 0xfff);
		FZ_CHECK(l->vlan_pcp[i] <= 7);
		FZ_CHECK(is_tpid(l->vlan_tpid[i]));
	}
}

/* Tags from offset off (where the first TPID or EtherType sits) onwards,
 * as in IEEE 802.1Q: TPID(2) TCI(2) ... EtherType(2). */
static void check_tags(const uint8_t *b, size_t len, size_t off,
		       const struct pd_link *l)
{
	uint16_t type = fz_be16(b + off);
	unsigned n = 0;

	while (is_tpid(type) && n < PD_MAX_VLAN && off + 6 <= len) {
		uint16_t tci = fz_be16(b + off + 2);

		FZ_STRICT(n < l->nvlan);
		if (n >= l->nvlan)
			return;
		FZ_STRICT(l->vlan_tpid[n] == type);
		FZ_STRICT(l->vlan_id[n] == (tci & 0xfff));
		FZ_STRICT(l->vlan_pcp[n] == tci >> 13);
		off += 4;
		type = fz_be16(b + off);
		n++;
	}
	if (is_tpid(type))  /* too many tags: the decoder's call */
		return;
	FZ_STRICT(l->nvlan == n);
	if (type >= 0x0600) {
		FZ_STRICT(l->ethertype == type);
		FZ_STRICT(l->hdr_len == off + 2);
	} else if (type <= 1500) {
		/* 802.3 Length field: LLC follows. */
		FZ_STRICT(l->ethertype == 0);
		FZ_STRICT(l->eth_len == type);
	}
}

static void check_eth(const uint8_t *b, size_t len, const struct pd_link *l)
{
	FZ_CHECK(len >= 14);
	FZ_CHECK(l->hdr_len >= 14 + 4u * l->nvlan);
	FZ_STRICT(l->addr_len == 6);
	FZ_STRICT(memcmp(l->dst, b, 6) == 0);
	FZ_STRICT(memcmp(l->src, b + 6, 6) == 0);
	check_tags(b, len, 12, l);
}

static void check_null(const uint8_t *b, size_t len, const struct pd_link *l,
		       bool loop)
{
	/* DLT_NULL is in the capturing host's byte order; DLT_LOOP is
	 * always big-endian.  AF_INET is 2 everywhere. */
	uint32_t be = fz_be32(b), le = fz_le32(b);

	FZ_CHECK(len >= 4);
	FZ_STRICT(l->hdr_len == 4);
	if (be == 2 || (!loop && le == 2))
		FZ_STRICT(l->ethertype == PD_ETHERTYPE_IPV4);
	FZ_STRICT(l->ethertype == PD_ETHERTYPE_IPV4 ||
		  l->ethertype == PD_ETHERTYPE_IPV6 ||
		  l->ethertype == PD_ETHERTYPE_NONE);
}

/* The SLL/SLL2 protocol field is Linux's skb->protocol: an EtherType from
 * 0x0600 on, ETH_P_802_2 (4) for LLC, other small ETH_P_* codes that are
 * no EtherType, or a netlink family when the ARPHRD type is netlink. */
static void check_sll_proto(uint16_t proto, uint16_t hatype, const struct pd_link *l)
{
	FZ_STRICT(l->sll_protocol == proto);
	if (hatype == 824) {  /* ARPHRD_NETLINK */
		FZ_STRICT(l->ethertype == PD_ETHERTYPE_NONE);
		return;
	}
	if (is_tpid(proto))
		return;
	if (proto >= 0x0600)
		FZ_STRICT(l->ethertype == proto);
	else if (proto == 0x0004)
		FZ_STRICT(l->ethertype == 0);
	else
		FZ_STRICT(l->ethertype == PD_ETHERTYPE_NONE);
}

static void check_sll(const uint8_t *b, size_t len, const struct pd_link *l)
{
	/* pkttype(2) hatype(2) halen(2) addr(8) protocol(2) */
	FZ_CHECK(len >= 16);
	FZ_CHECK(l->hdr_len >= 16);
	FZ_STRICT(l->sll_pkttype == fz_be16(b));
	FZ_STRICT(l->sll_hatype == fz_be16(b + 2));
	/* Kept as on the wire even above 8 (only 8 bytes are copied). */
	FZ_STRICT(l->addr_len == fz_min(fz_be16(b + 4), 255));
	if (!is_tpid(fz_be16(b + 14)))
		FZ_STRICT(l->hdr_len == 16);
	check_sll_proto(fz_be16(b + 14), fz_be16(b + 2), l);
}

static void check_sll2(const uint8_t *b, size_t len, const struct pd_link *l)
{
	/* protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1)
	 * addr(8) */
	FZ_CHECK(len >= 20);
	FZ_CHECK(l->hdr_len >= 20);
	FZ_STRICT(l->sll2_ifindex == fz_be32(b + 4));
	FZ_STRICT(l->sll_hatype == fz_be16(b + 8));
	FZ_STRICT(l->sll_pkttype == b[10]);
	FZ_STRICT(l->addr_len == b[11]);
	if (!is_tpid(fz_be16(b)))
		FZ_STRICT(l->hdr_len == 20);
	check_sll_proto(fz_be16(b), fz_be16(b + 8), l);
}

static void check_raw(const uint8_t *b, size_t len, int linktype,
		      const struct pd_link *l)
{
	FZ_STRICT(l->hdr_len == 0);
	if (linktype == PD_LINKTYPE_IPV4)
		FZ_STRICT(l->ethertype == PD_ETHERTYPE_IPV4);
	else if (linktype == PD_LINKTYPE_IPV6)
		FZ_STRICT(l->ethertype == PD_ETHERTYPE_IPV6);
	else if (len < 1)
		FZ_STRICT(0);  /* RAW needs the version nibble */
	else if (b[0] >> 4 == 4)
		FZ_STRICT(l->ethertype == PD_ETHERTYPE_IPV4);
	else if (b[0] >> 4 == 6)
		FZ_STRICT(l->ethertype == PD_ETHERTYPE_IPV6);
	else
		FZ_STRICT(l->ethertype != PD_ETHERTYPE_IPV4 &&
			  l->ethertype != PD_ETHERTYPE_IPV6);
}

static void check_same(const struct pd_link *a, const struct pd_link *b)
{
	unsigned i;

	FZ_CHECK(a->linktype == b->linktype && a->ethertype == b->ethertype);
	FZ_CHECK(a->hdr_len == b->hdr_len && a->nvlan == b->nvlan);
	for (i = 0; i < a->nvlan && i < PD_MAX_VLAN; i++) {
		FZ_CHECK(a->vlan_tpid[i] == b->vlan_tpid[i]);
		FZ_CHECK(a->vlan_id[i] == b->vlan_id[i]);
		FZ_CHECK(a->vlan_pcp[i] == b->vlan_pcp[i]);
	}
}

static void check_name(int linktype, bool supported)
{
	const char *name = pd_linktype_name(linktype);

	if (supported)
		FZ_STRICT(name != NULL);
	if (name)
		fz_check_what(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_link l, l2;
	struct pd_error err;
	unsigned sel;
	int linktype = -1, ret, ret2;
	uint8_t *b;
	size_t len;

	if (size < 1)
		return 0;
	sel = data[0] % 10;
	if (sel < 8)
		linktype = linktypes[sel];
	else if (sel == 9)
		linktype = unsupported[(data[0] / 10) % 6];
	len = size - 1;
	b = fz_dup(data + 1, len);

	memset(&l, 0, sizeof(l));
	memset(&l2, 0xa5, sizeof(l2));
	fz_err_poison(&err);
	if (sel == 8) {
		ret = pd_eth_decode(b, len, &l, &err);
		ret2 = pd_eth_decode(b, len, &l2, NULL);
	} else {
		ret = pd_link_decode(linktype, b, len, &l, &err);
		ret2 = pd_link_decode(linktype, b, len, &l2, NULL);
		check_name(linktype, sel < 8);
	}
	FZ_CHECK(ret == ret2);

	if (ret != 0) {
		fz_check_err(ret, &err, len);
		goto out;
	}
	FZ_CHECK(sel != 9);  /* an unknown linktype must be refused */
	FZ_CHECK(l.hdr_len <= len);
	check_vlans(&l);
	check_same(&l, &l2);
	if (sel != 8)
		FZ_STRICT(l.linktype == linktype);

	switch (sel == 8 ? PD_LINKTYPE_ETHERNET : linktype) {
	case PD_LINKTYPE_ETHERNET:
		check_eth(b, len, &l);
		break;
	case PD_LINKTYPE_NULL:
		check_null(b, len, &l, false);
		break;
	case PD_LINKTYPE_LOOP:
		check_null(b, len, &l, true);
		break;
	case PD_LINKTYPE_LINUX_SLL:
		check_sll(b, len, &l);
		break;
	case PD_LINKTYPE_LINUX_SLL2:
		check_sll2(b, len, &l);
		break;
	default:
		check_raw(b, len, linktype, &l);
		break;
	}
out:
	free(b);
	return 0;
}
