/* test_link.c - link-layer decoder: Ethernet II, 802.3/LLC, 802.1Q/802.1ad
 * tags, Linux SLL and SLL2, BSD NULL and LOOP, raw IP.  Frames are written
 * out byte by byte here, or copied from tcpdump-various_gre.pcap with the
 * values tshark 4.0.17 decoded from them (vlan.id, eth.len, vlan.len). */
#include "decoder_test.h"

#include <pathdiag/link.h>

static const uint8_t mac_a[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };

/* dst 02:..:0a, src 02:..:0b, IPv4, then the first byte of an IPv4 header */
static const uint8_t eth_ipv4[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b,
	0x08, 0x00, 0x45,
};

/* 802.1ad S-tag (PCP 3, VID 100), 802.1Q C-tag (PCP 5, DEI 1, VID 4094),
 * then IPv6. */
static const uint8_t eth_qinq[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b,
	0x88, 0xa8, 0x60, 0x64,   /* 011 0 0000 0110 0100 */
	0x81, 0x00, 0xbf, 0xfe,   /* 101 1 1111 1111 1110 */
	0x86, 0xdd, 0x60,
};

/* tcpdump-various_gre.pcap frame 2: 802.1Q VID 1213 then an 802.3 length
 * (50) and LLC/STP; tshark: vlan.id 1213, vlan.priority 0, vlan.len 50. */
static const uint8_t real_vlan_llc[] = {
	0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcd, 0xaa, 0xbb, 0xcc, 0x00, 0x03, 0x10,
	0x81, 0x00, 0x04, 0xbd, 0x00, 0x32, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c,
};

/* tcpdump-various_gre.pcap frame 3, first 20 of 60 bytes: 802.3 length 38
 * (tshark eth.len 38) and LLC 42 42 03 (STP). */
static const uint8_t real_8023_llc[] = {
	0x01, 0x80, 0xc2, 0x00, 0x00, 0x00, 0xaa, 0xbb, 0xcc, 0x00, 0x03, 0x10,
	0x00, 0x26, 0x42, 0x42, 0x03, 0x00, 0x00, 0x00,
};

static void test_eth_ipv4(void **state)
{
	struct pd_link l;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_eth_decode(eth_ipv4, sizeof(eth_ipv4), &l, &e), PD_OK);
	assert_int_equal(l.linktype, PD_LINKTYPE_ETHERNET);
	assert_int_equal(l.ethertype, PD_ETHERTYPE_IPV4);
	assert_int_equal(l.hdr_len, 14);
	assert_int_equal(l.nvlan, 0);
	assert_int_equal(l.addr_len, 6);
	assert_memory_equal(l.dst, mac_a, 6);
	assert_memory_equal(l.src, mac_b, 6);

	/* pd_link_decode(ETHERNET) is the same decoder. */
	assert_int_equal(pd_link_decode(PD_LINKTYPE_ETHERNET, eth_ipv4,
					sizeof(eth_ipv4), &l, &e), PD_OK);
	assert_int_equal(l.ethertype, PD_ETHERTYPE_IPV4);
	assert_int_equal(l.hdr_len, 14);
}

static void test_eth_qinq(void **state)
{
	struct pd_link l;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_eth_decode(eth_qinq, sizeof(eth_qinq), &l, &e), PD_OK);
	assert_int_equal(l.nvlan, 2);
	assert_int_equal(l.vlan_tpid[0], PD_ETHERTYPE_QINQ);
	assert_int_equal(l.vlan_id[0], 100);
	assert_int_equal(l.vlan_pcp[0], 3);
	assert_int_equal(l.vlan_tpid[1], PD_ETHERTYPE_VLAN);
	assert_int_equal(l.vlan_id[1], 4094);
	assert_int_equal(l.vlan_pcp[1], 5);
	assert_int_equal(l.ethertype, PD_ETHERTYPE_IPV6);
	assert_int_equal(l.hdr_len, 22);
}

static void test_eth_max_tags(void **state)
{
	/* 0x9100, 0x88a8, 0x8100, 0x8100 = PD_MAX_VLAN tags, then IPv4; and
	 * the same with a fifth tag, which we do not decode. */
	uint8_t f[12 + 5 * 4 + 2] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b,
		0x91, 0x00, 0x00, 0x01,
		0x88, 0xa8, 0x00, 0x02,
		0x81, 0x00, 0x00, 0x03,
		0x81, 0x00, 0x00, 0x04,
		0x08, 0x00,
	};
	struct pd_link l;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	assert_int_equal(PD_MAX_VLAN, 4);
	assert_int_equal(pd_eth_decode(f, 30, &l, &e), PD_OK);
	assert_int_equal(l.nvlan, 4);
	assert_int_equal(l.vlan_tpid[0], PD_ETHERTYPE_QINQ_OLD);
	assert_int_equal(l.vlan_id[0], 1);
	assert_int_equal(l.vlan_id[3], 4);
	assert_int_equal(l.ethertype, PD_ETHERTYPE_IPV4);
	assert_int_equal(l.hdr_len, 30);

	/* Fifth tag: 0x8100 at 28, its TCI at 30. */
	f[28] = 0x81; f[29] = 0x00; f[30] = 0x00; f[31] = 0x05;
	f[32] = 0x08; f[33] = 0x00;
	rc = pd_eth_decode(f, sizeof(f), &l, &e);
	assert_pd_error(rc, e, PD_ERR_UNSUPPORTED, 30);
}

static void test_eth_real_vlan_llc(void **state)
{
	struct pd_link l;
	struct pd_error e = { 0 };
	const uint8_t dst[6] = { 0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcd };

	(void)state;
	assert_int_equal(pd_eth_decode(real_vlan_llc, sizeof(real_vlan_llc), &l, &e),
			 PD_OK);
	assert_memory_equal(l.dst, dst, 6);
	assert_int_equal(l.nvlan, 1);
	assert_int_equal(l.vlan_tpid[0], 0x8100);
	assert_int_equal(l.vlan_id[0], 1213);
	assert_int_equal(l.vlan_pcp[0], 0);
	assert_int_equal(l.ethertype, 0);     /* 802.3 length: LLC follows */
	assert_int_equal(l.eth_len, 50);
	assert_int_equal(l.hdr_len, 18);
}

static void test_eth_real_8023(void **state)
{
	struct pd_link l;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_eth_decode(real_8023_llc, sizeof(real_8023_llc), &l, &e),
			 PD_OK);
	assert_int_equal(l.nvlan, 0);
	assert_int_equal(l.ethertype, 0);
	assert_int_equal(l.eth_len, 38);
	assert_int_equal(l.hdr_len, 14);
}

static void test_eth_length_type_boundaries(void **state)
{
	uint8_t f[14];
	struct pd_link l;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	memcpy(f, eth_ipv4, 14);
	f[12] = 0x05; f[13] = 0xdc;   /* 1500: the largest length */
	assert_int_equal(pd_eth_decode(f, 14, &l, &e), PD_OK);
	assert_int_equal(l.ethertype, 0);
	assert_int_equal(l.eth_len, 1500);
	f[12] = 0x06; f[13] = 0x00;   /* 1536: the smallest type */
	assert_int_equal(pd_eth_decode(f, 14, &l, &e), PD_OK);
	assert_int_equal(l.ethertype, 0x0600);
	for (unsigned v = 1501; v <= 1535; v++) {
		f[12] = (uint8_t)(v >> 8);
		f[13] = (uint8_t)v;
		rc = pd_eth_decode(f, 14, &l, &e);
		assert_pd_error(rc, e, PD_ERR_MALFORMED, 12);
	}
	/* An undefined value after a tag: the type field is at 16. */
	{
		uint8_t g[18];

		memcpy(g, real_vlan_llc, 16);
		g[16] = 0x05; g[17] = 0xff;
		rc = pd_eth_decode(g, sizeof(g), &l, &e);
		assert_pd_error(rc, e, PD_ERR_MALFORMED, 16);
	}
}

static void test_eth_truncated(void **state)
{
	(void)state;
	sweep_truncated(eth_ipv4, 14, struct pd_link, pd_eth_decode(tb, tn, &to, &te));
	sweep_truncated(eth_qinq, 22, struct pd_link, pd_eth_decode(tb, tn, &to, &te));
	sweep_truncated(eth_qinq, 22, struct pd_link,
			pd_link_decode(PD_LINKTYPE_ETHERNET, tb, tn, &to, &te));
	/* The offset names the piece that was cut. */
	for (size_t n = 0; n < 22; n++) {
		struct pd_link l;
		struct pd_error e = { 0 };
		uint8_t *b = heap_copy(eth_qinq, n);
		size_t want = n < 14 ? 0 : n < 18 ? 14 : 18;

		assert_int_equal(pd_eth_decode(b, n, &l, &e), PD_ERR_TRUNCATED);
		assert_int_equal(e.offset, want);
		free(b);
	}
}

/* Linux cooked v1: incoming (0), ARPHRD_ETHER (1), 6-byte address, IPv4. */
static const uint8_t sll_ipv4[] = {
	0x00, 0x00, 0x00, 0x01, 0x00, 0x06,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x00,
	0x08, 0x00, 0x45,
};

static void test_sll(void **state)
{
	struct pd_link l;
	struct pd_error e = { 0 };
	uint8_t f[24];

	(void)state;
	assert_int_equal(pd_link_decode(PD_LINKTYPE_LINUX_SLL, sll_ipv4,
					sizeof(sll_ipv4), &l, &e), PD_OK);
	assert_int_equal(l.linktype, PD_LINKTYPE_LINUX_SLL);
	assert_int_equal(l.ethertype, PD_ETHERTYPE_IPV4);
	assert_int_equal(l.hdr_len, 16);
	assert_int_equal(l.sll_pkttype, 0);
	assert_int_equal(l.sll_hatype, 1);
	assert_int_equal(l.addr_len, 6);
	assert_memory_equal(l.src, mac_b, 6);
	assert_int_equal(l.sll_protocol, 0x0800);
	assert_int_equal(l.nvlan, 0);

	/* Outgoing (4), protocol 0x8100: a tag (VID 7) then IPv6. */
	memcpy(f, sll_ipv4, 14);
	f[1] = 4;
	f[14] = 0x81; f[15] = 0x00; f[16] = 0x00; f[17] = 0x07;
	f[18] = 0x86; f[19] = 0xdd;
	assert_int_equal(pd_link_decode(PD_LINKTYPE_LINUX_SLL, f, 20, &l, &e), PD_OK);
	assert_int_equal(l.sll_pkttype, 4);
	assert_int_equal(l.nvlan, 1);
	assert_int_equal(l.vlan_id[0], 7);
	assert_int_equal(l.ethertype, PD_ETHERTYPE_IPV6);
	assert_int_equal(l.hdr_len, 20);
	sweep_truncated(f, 20, struct pd_link,
			pd_link_decode(PD_LINKTYPE_LINUX_SLL, tb, tn, &to, &te));

	/* Protocol 0x0004 (ETH_P_802_2): an LLC frame. */
	memcpy(f, sll_ipv4, 16);
	f[14] = 0x00; f[15] = 0x04;
	assert_int_equal(pd_link_decode(PD_LINKTYPE_LINUX_SLL, f, 16, &l, &e), PD_OK);
	assert_int_equal(l.ethertype, 0);
	assert_int_equal(l.hdr_len, 16);
	/* Protocol 0x0001 (Novell raw 802.3): no EtherType. */
	f[15] = 0x01;
	assert_int_equal(pd_link_decode(PD_LINKTYPE_LINUX_SLL, f, 16, &l, &e), PD_OK);
	assert_int_equal(l.ethertype, PD_ETHERTYPE_NONE);
	/* ARPHRD_NETLINK (824 = 0x0338): protocol 0 is NETLINK_ROUTE, not
	 * LLC and not an EtherType. */
	f[2] = 0x03; f[3] = 0x38; f[14] = 0; f[15] = 0;
	assert_int_equal(pd_link_decode(PD_LINKTYPE_LINUX_SLL, f, 16, &l, &e), PD_OK);
	assert_int_equal(l.sll_hatype, 824);
	assert_int_equal(l.ethertype, PD_ETHERTYPE_NONE);

	/* Address length 20 (InfiniBand): kept, only 8 bytes copied. */
	memcpy(f, sll_ipv4, 16);
	f[4] = 0; f[5] = 20;
	assert_int_equal(pd_link_decode(PD_LINKTYPE_LINUX_SLL, f, 16, &l, &e), PD_OK);
	assert_int_equal(l.addr_len, 20);
	assert_memory_equal(l.src, sll_ipv4 + 6, 8);

	sweep_truncated(sll_ipv4, 16, struct pd_link,
			pd_link_decode(PD_LINKTYPE_LINUX_SLL, tb, tn, &to, &te));
}

/* Linux cooked v2: IPv6, reserved, ifindex 3, ARPHRD_ETHER, outgoing (4),
 * 6-byte address. */
static const uint8_t sll2_ipv6[] = {
	0x86, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0x04, 0x06,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00,
	0x60,
};

static void test_sll2(void **state)
{
	struct pd_link l;
	struct pd_error e = { 0 };
	uint8_t f[26];

	(void)state;
	assert_int_equal(pd_link_decode(PD_LINKTYPE_LINUX_SLL2, sll2_ipv6,
					sizeof(sll2_ipv6), &l, &e), PD_OK);
	assert_int_equal(l.linktype, PD_LINKTYPE_LINUX_SLL2);
	assert_int_equal(l.ethertype, PD_ETHERTYPE_IPV6);
	assert_int_equal(l.hdr_len, 20);
	assert_int_equal(l.sll2_ifindex, 3);
	assert_int_equal(l.sll_hatype, 1);
	assert_int_equal(l.sll_pkttype, 4);
	assert_int_equal(l.addr_len, 6);
	assert_memory_equal(l.src, mac_a, 6);
	sweep_truncated(sll2_ipv6, 20, struct pd_link,
			pd_link_decode(PD_LINKTYPE_LINUX_SLL2, tb, tn, &to, &te));

	/* QinQ after the cooked header: 0x88a8 VID 10, 0x8100 VID 20, IPv4. */
	memcpy(f, sll2_ipv6, 20);
	f[0] = 0x88; f[1] = 0xa8;
	f[20] = 0x00; f[21] = 0x0a; f[22] = 0x81; f[23] = 0x00;
	f[24] = 0x00; f[25] = 0x14;
	{
		uint8_t g[30];

		memcpy(g, f, 26);
		g[26] = 0x08; g[27] = 0x00; g[28] = 0x45; g[29] = 0x00;
		assert_int_equal(pd_link_decode(PD_LINKTYPE_LINUX_SLL2, g, 30, &l, &e),
				 PD_OK);
		assert_int_equal(l.nvlan, 2);
		assert_int_equal(l.vlan_id[0], 10);
		assert_int_equal(l.vlan_id[1], 20);
		assert_int_equal(l.ethertype, PD_ETHERTYPE_IPV4);
		assert_int_equal(l.hdr_len, 28);
		/* Cut inside the second tag: its TCI starts at 24. */
		assert_int_equal(pd_link_decode(PD_LINKTYPE_LINUX_SLL2, g, 26, &l, &e),
				 PD_ERR_TRUNCATED);
		assert_int_equal(e.offset, 24);
	}
}

static void expect_null(int linktype, uint8_t b0, uint8_t b1, uint8_t b2,
			uint8_t b3, uint32_t family, uint16_t ethertype)
{
	const uint8_t f[5] = { b0, b1, b2, b3, 0x45 };
	struct pd_link l;
	struct pd_error e = { 0 };

	assert_int_equal(pd_link_decode(linktype, f, sizeof(f), &l, &e), PD_OK);
	assert_int_equal(l.linktype, linktype);
	assert_int_equal(l.null_family, family);
	assert_int_equal(l.ethertype, ethertype);
	assert_int_equal(l.hdr_len, 4);
}

static void test_null_loop(void **state)
{
	const uint8_t f[4] = { 2, 0, 0, 0 };

	(void)state;
	/* NULL, written by a little-endian host (the common case) ... */
	expect_null(PD_LINKTYPE_NULL, 2, 0, 0, 0, 2, PD_ETHERTYPE_IPV4);
	expect_null(PD_LINKTYPE_NULL, 10, 0, 0, 0, 10, PD_ETHERTYPE_IPV6);
	expect_null(PD_LINKTYPE_NULL, 24, 0, 0, 0, 24, PD_ETHERTYPE_IPV6);
	expect_null(PD_LINKTYPE_NULL, 28, 0, 0, 0, 28, PD_ETHERTYPE_IPV6);
	expect_null(PD_LINKTYPE_NULL, 30, 0, 0, 0, 30, PD_ETHERTYPE_IPV6);
	/* ... and by a big-endian one. */
	expect_null(PD_LINKTYPE_NULL, 0, 0, 0, 2, 2, PD_ETHERTYPE_IPV4);
	expect_null(PD_LINKTYPE_NULL, 0, 0, 0, 30, 30, PD_ETHERTYPE_IPV6);
	/* AF_ISO (7): not IP, not an error. */
	expect_null(PD_LINKTYPE_NULL, 7, 0, 0, 0, 7, PD_ETHERTYPE_NONE);
	/* LOOP is always network order (OpenBSD AF_INET6 = 24). */
	expect_null(PD_LINKTYPE_LOOP, 0, 0, 0, 2, 2, PD_ETHERTYPE_IPV4);
	expect_null(PD_LINKTYPE_LOOP, 0, 0, 0, 24, 24, PD_ETHERTYPE_IPV6);
	expect_null(PD_LINKTYPE_LOOP, 2, 0, 0, 0, 0x02000000u, PD_ETHERTYPE_NONE);

	sweep_truncated(f, 4, struct pd_link,
			pd_link_decode(PD_LINKTYPE_NULL, tb, tn, &to, &te));
	sweep_truncated(f, 4, struct pd_link,
			pd_link_decode(PD_LINKTYPE_LOOP, tb, tn, &to, &te));
}

static void test_raw(void **state)
{
	const uint8_t v4[] = { 0x45, 0x00 }, v6[] = { 0x60, 0x00 }, v5[] = { 0x50 };
	const int raw_types[] = { PD_LINKTYPE_RAW, 12, 14 };
	struct pd_link l;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	for (size_t i = 0; i < sizeof(raw_types) / sizeof(raw_types[0]); i++) {
		int lt = raw_types[i];

		assert_int_equal(pd_link_decode(lt, v4, sizeof(v4), &l, &e), PD_OK);
		assert_int_equal(l.ethertype, PD_ETHERTYPE_IPV4);
		assert_int_equal(l.hdr_len, 0);
		assert_int_equal(l.linktype, lt);
		assert_int_equal(pd_link_decode(lt, v6, sizeof(v6), &l, &e), PD_OK);
		assert_int_equal(l.ethertype, PD_ETHERTYPE_IPV6);
		rc = pd_link_decode(lt, v5, sizeof(v5), &l, &e);
		assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
		sweep_truncated(v4, 1, struct pd_link,
				pd_link_decode(lt, tb, tn, &to, &te));
		assert_string_equal(pd_linktype_name(lt), "RAW");
	}
	/* LINKTYPE_IPV4/IPV6 say the family themselves. */
	assert_int_equal(pd_link_decode(PD_LINKTYPE_IPV4, v4, sizeof(v4), &l, &e), PD_OK);
	assert_int_equal(l.ethertype, PD_ETHERTYPE_IPV4);
	assert_int_equal(l.hdr_len, 0);
	assert_int_equal(pd_link_decode(PD_LINKTYPE_IPV6, v6, sizeof(v6), &l, &e), PD_OK);
	assert_int_equal(l.ethertype, PD_ETHERTYPE_IPV6);
}

static void test_unknown_linktype_and_names(void **state)
{
	struct pd_link l;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	rc = pd_link_decode(147 /* USER0 */, eth_ipv4, sizeof(eth_ipv4), &l, &e);
	assert_pd_error(rc, e, PD_ERR_UNSUPPORTED, 0);
	assert_null(pd_linktype_name(147));
	assert_string_equal(pd_linktype_name(PD_LINKTYPE_ETHERNET), "EN10MB");
	assert_string_equal(pd_linktype_name(PD_LINKTYPE_NULL), "NULL");
	assert_string_equal(pd_linktype_name(PD_LINKTYPE_LOOP), "LOOP");
	assert_string_equal(pd_linktype_name(PD_LINKTYPE_LINUX_SLL), "LINUX_SLL");
	assert_string_equal(pd_linktype_name(PD_LINKTYPE_LINUX_SLL2), "LINUX_SLL2");
	assert_string_equal(pd_linktype_name(PD_LINKTYPE_IPV4), "IPV4");
	assert_string_equal(pd_linktype_name(PD_LINKTYPE_IPV6), "IPV6");
	/* A NULL error pointer is allowed. */
	assert_int_equal(pd_link_decode(147, eth_ipv4, sizeof(eth_ipv4), &l, NULL),
			 PD_ERR_UNSUPPORTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_ipv4),
		cmocka_unit_test(test_eth_qinq),
		cmocka_unit_test(test_eth_max_tags),
		cmocka_unit_test(test_eth_real_vlan_llc),
		cmocka_unit_test(test_eth_real_8023),
		cmocka_unit_test(test_eth_length_type_boundaries),
		cmocka_unit_test(test_eth_truncated),
		cmocka_unit_test(test_sll),
		cmocka_unit_test(test_sll2),
		cmocka_unit_test(test_null_loop),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_unknown_linktype_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
