/* test_tunnel.c - GRE (RFC 2784/2890), enhanced GRE (RFC 2637), VXLAN (RFC
 * 7348) and PPP (RFC 1661/1662) header decoders.  Real headers from
 * zeek-gre-pptp.pcap, tcpdump-various_gre.pcap, zeek-erspan.pcap,
 * zeek-gre-sample.pcap, tcpdump-vxlan.pcap and ndpi-vxlan.pcap are checked
 * against tshark 4.0.17 (gre.flags_and_version, gre.proto, gre.key,
 * gre.key.payload_length / call_id, gre.sequence_number, gre.ack_number,
 * ppp.protocol, vxlan.vni); flag combinations and errors are built here. */
#include "decoder_test.h"

#include <pathdiag/tunnel.h>

/* zeek-gre-pptp.pcap frame 1 from byte 78: GRE 0x3081 (K, S, A, v1),
 * proto 0x880b, payload length 103, call id 6016, seq 430001, ack 539254;
 * then PPP ff 03 00 21 (IPv4). */
static const uint8_t real_pptp1[20] = {
	0x30, 0x81, 0x88, 0x0b, 0x00, 0x67, 0x17, 0x80, 0x00, 0x06, 0x8f, 0xb1,
	0x00, 0x08, 0x3a, 0x76, 0xff, 0x03, 0x00, 0x21,
};

/* zeek-gre-pptp.pcap frame 2 from byte 78: 0x3001 (K, S, v1), payload
 * length 178, call id 17, seq 539320, no ack; PPP ff 03 00 21. */
static const uint8_t real_pptp2[16] = {
	0x30, 0x01, 0x88, 0x0b, 0x00, 0xb2, 0x00, 0x11, 0x00, 0x08, 0x3a, 0xb8,
	0xff, 0x03, 0x00, 0x21,
};

/* tcpdump-various_gre.pcap frame 25 from byte 38: 0x2000 (K), proto 0x8909
 * (Cisco MetaData), key 0x00000028. */
static const uint8_t real_gre_cmd[12] = {
	0x20, 0x00, 0x89, 0x09, 0x00, 0x00, 0x00, 0x28, 0x08, 0x00, 0x01, 0x01,
};

/* tcpdump-various_gre.pcap frame 49 from byte 38: 0x2000, proto 0x2000
 * (CDP), key 0x28. */
static const uint8_t real_gre_cdp[12] = {
	0x20, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x28, 0x02, 0xb4, 0xa8, 0x2e,
};

/* zeek-erspan.pcap frame 1 from byte 34: 0x2000, proto 0x6558 (TEB), key 0. */
static const uint8_t real_gre_teb[16] = {
	0x20, 0x00, 0x65, 0x58, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x56, 0x82,
	0x08, 0xd1, 0x00, 0x50,
};

/* zeek-gre-sample.pcap frame 1 from byte 34: 0x0000, proto 0x0800. */
static const uint8_t real_gre_plain[8] = {
	0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x54,
};

/* tcpdump-vxlan.pcap frame 1 from byte 42: flags 0x08, VNI 100. */
static const uint8_t real_vxlan100[8] = {
	0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00,
};

/* ndpi-vxlan.pcap frame 1 from byte 46: VNI 1111. */
static const uint8_t real_vxlan1111[8] = {
	0x08, 0x00, 0x00, 0x00, 0x00, 0x04, 0x57, 0x00,
};

static void test_real_pptp(void **state)
{
	uint8_t *b = heap_copy(real_pptp1, sizeof(real_pptp1));
	struct pd_gre g;
	struct pd_ppp p;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_gre_decode(b, sizeof(real_pptp1), &g, &e), PD_OK);
	assert_int_equal(g.flags, 0x3081);
	assert_int_equal(g.version, 1);
	assert_int_equal(g.proto, 0x880b);
	assert_false(g.has_csum);
	assert_true(g.has_key);
	assert_true(g.has_seq);
	assert_true(g.has_ack);
	assert_int_equal(g.key >> 16, 103);
	assert_int_equal(g.key & 0xffff, 6016);
	assert_int_equal(g.seq, 430001);
	assert_int_equal(g.ack, 539254);
	assert_int_equal(g.hdr_len, 16);
	assert_int_equal(pd_ppp_decode(b + 16, 4, &p, &e), PD_OK);
	assert_int_equal(p.proto, 0x0021);
	assert_int_equal(p.hdr_len, 4);
	free(b);

	b = heap_copy(real_pptp2, sizeof(real_pptp2));
	assert_int_equal(pd_gre_decode(b, sizeof(real_pptp2), &g, &e), PD_OK);
	assert_int_equal(g.flags, 0x3001);
	assert_int_equal(g.version, 1);
	assert_false(g.has_ack);
	assert_int_equal(g.key >> 16, 178);
	assert_int_equal(g.key & 0xffff, 17);
	assert_int_equal(g.seq, 539320);
	assert_int_equal(g.ack, 0);
	assert_int_equal(g.hdr_len, 12);
	free(b);
}

static void test_real_gre_v0(void **state)
{
	struct pd_gre g;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_gre_decode(real_gre_cmd, sizeof(real_gre_cmd), &g, &e), PD_OK);
	assert_int_equal(g.version, 0);
	assert_int_equal(g.flags, 0x2000);
	assert_true(g.has_key);
	assert_false(g.has_seq);
	assert_false(g.has_csum);
	assert_int_equal(g.key, 0x28);
	assert_int_equal(g.proto, 0x8909);
	assert_int_equal(g.hdr_len, 8);

	assert_int_equal(pd_gre_decode(real_gre_cdp, sizeof(real_gre_cdp), &g, &e), PD_OK);
	assert_int_equal(g.proto, 0x2000);
	assert_int_equal(g.key, 0x28);
	assert_int_equal(g.hdr_len, 8);

	assert_int_equal(pd_gre_decode(real_gre_teb, sizeof(real_gre_teb), &g, &e), PD_OK);
	assert_int_equal(g.proto, 0x6558);
	assert_true(g.has_key);
	assert_int_equal(g.key, 0);
	assert_int_equal(g.hdr_len, 8);

	assert_int_equal(pd_gre_decode(real_gre_plain, sizeof(real_gre_plain), &g, &e),
			 PD_OK);
	assert_int_equal(g.flags, 0);
	assert_int_equal(g.proto, 0x0800);
	assert_false(g.has_key);
	assert_int_equal(g.hdr_len, 4);
}

static void test_gre_all_v0_fields(void **state)
{
	/* C, K, S: checksum 0xbeef + reserved1, key 0x01020304, seq 7. */
	const uint8_t h[16] = {
		0xb0, 0x00, 0x86, 0xdd, 0xbe, 0xef, 0x00, 0x00,
		0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x07,
	};
	/* C and S only: seq follows the checksum word directly. */
	const uint8_t cs[12] = {
		0x90, 0x00, 0x08, 0x00, 0x12, 0x34, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
	};
	struct pd_gre g;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_gre_decode(h, sizeof(h), &g, &e), PD_OK);
	assert_true(g.has_csum);
	assert_true(g.has_key);
	assert_true(g.has_seq);
	assert_false(g.has_ack);
	assert_int_equal(g.csum, 0xbeef);
	assert_int_equal(g.key, 0x01020304);
	assert_int_equal(g.seq, 7);
	assert_int_equal(g.proto, 0x86dd);
	assert_int_equal(g.hdr_len, 16);
	/* Each cut: the base (offset 0) or the optional word cut. */
	for (size_t n = 0; n < sizeof(h); n++) {
		uint8_t *b = heap_copy(h, n);
		int rc = pd_gre_decode(b, n, &g, &e);

		assert_pd_error(rc, e, PD_ERR_TRUNCATED, n < 4 ? 0 : n / 4 * 4);
		free(b);
	}
	sweep_truncated(h, sizeof(h), struct pd_gre, pd_gre_decode(tb, tn, &to, &te));

	assert_int_equal(pd_gre_decode(cs, sizeof(cs), &g, &e), PD_OK);
	assert_int_equal(g.csum, 0x1234);
	assert_false(g.has_key);
	assert_int_equal(g.seq, 256);
	assert_int_equal(g.hdr_len, 12);

	/* The A bit means nothing in version 0 (it is a reserved0 bit). */
	{
		const uint8_t a0[8] = { 0x20, 0x80, 0x08, 0x00, 0, 0, 0, 1 };

		assert_int_equal(pd_gre_decode(a0, sizeof(a0), &g, &e), PD_OK);
		assert_false(g.has_ack);
		assert_int_equal(g.hdr_len, 8);
	}
}

static void test_gre_reserved_and_versions(void **state)
{
	uint8_t h[8] = { 0x00, 0x00, 0x08, 0x00, 0, 0, 0, 0 };
	struct pd_gre g;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	/* R (RFC 1701 routing): a variant we do not decode. */
	h[0] = 0x40;
	rc = pd_gre_decode(h, sizeof(h), &g, &e);
	assert_pd_error(rc, e, PD_ERR_UNSUPPORTED, 0);
	assert_true(g.routing);
	/* Bits 4 (s) and 5 (top of recursion control): RFC 2784 discards. */
	h[0] = 0x08;
	rc = pd_gre_decode(h, sizeof(h), &g, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
	h[0] = 0x04;
	rc = pd_gre_decode(h, sizeof(h), &g, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
	/* Bits 6-12: ignored on receipt (RFC 2784 2.3). */
	h[0] = 0x03; h[1] = 0xf8;
	assert_int_equal(pd_gre_decode(h, sizeof(h), &g, &e), PD_OK);
	assert_int_equal(g.flags, 0x03f8);
	assert_int_equal(g.hdr_len, 4);
	/* Versions 2..7. */
	for (uint8_t v = 2; v < 8; v++) {
		h[0] = 0x20; h[1] = v;
		rc = pd_gre_decode(h, sizeof(h), &g, &e);
		assert_pd_error(rc, e, PD_ERR_UNSUPPORTED, 0);
	}
}

static void test_gre_v1_rules(void **state)
{
	uint8_t h[16];
	struct pd_gre g;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	memcpy(h, real_pptp1, 16);
	/* Without K (call ID). */
	h[0] = 0x10;
	rc = pd_gre_decode(h, sizeof(h), &g, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
	/* With C, R, s or recursion control. */
	h[0] = 0xb0;
	rc = pd_gre_decode(h, sizeof(h), &g, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
	h[0] = 0x70;
	rc = pd_gre_decode(h, sizeof(h), &g, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
	h[0] = 0x38;
	rc = pd_gre_decode(h, sizeof(h), &g, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
	h[0] = 0x31;
	rc = pd_gre_decode(h, sizeof(h), &g, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
	/* K and A only (an ack-only packet): key then ack. */
	h[0] = 0x20; h[1] = 0x81;
	assert_int_equal(pd_gre_decode(h, 12, &g, &e), PD_OK);
	assert_false(g.has_seq);
	assert_true(g.has_ack);
	assert_int_equal(g.ack, 430001);   /* the word after the key */
	assert_int_equal(g.hdr_len, 12);
	/* Cuts of the real K+S+A header. */
	for (size_t n = 0; n < 16; n++) {
		uint8_t *b = heap_copy(real_pptp1, n);

		rc = pd_gre_decode(b, n, &g, &e);
		assert_pd_error(rc, e, PD_ERR_TRUNCATED, n < 4 ? 0 : n / 4 * 4);
		free(b);
	}
}

static void test_vxlan(void **state)
{
	uint8_t h[8];
	struct pd_vxlan v;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	assert_int_equal(pd_vxlan_decode(real_vxlan100, 8, &v, &e), PD_OK);
	assert_int_equal(v.flags, 0x08);
	assert_true(v.vni_valid);
	assert_int_equal(v.vni, 100);
	assert_int_equal(pd_vxlan_decode(real_vxlan1111, 8, &v, &e), PD_OK);
	assert_int_equal(v.vni, 1111);
	/* The largest VNI; the reserved byte after it is not part of it. */
	{
		const uint8_t m[8] = { 0x08, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };

		assert_int_equal(pd_vxlan_decode(m, 8, &v, &e), PD_OK);
		assert_int_equal(v.vni, 0xffffff);
	}
	/* Without the I flag the VNI is not valid; reserved bits ignored. */
	memcpy(h, real_vxlan100, 8);
	h[0] = 0xf7;
	assert_int_equal(pd_vxlan_decode(h, 8, &v, &e), PD_OK);
	assert_false(v.vni_valid);
	assert_int_equal(v.flags, 0xf7);
	sweep_truncated(real_vxlan100, 8, struct pd_vxlan,
			pd_vxlan_decode(tb, tn, &to, &te));
	rc = pd_vxlan_decode(real_vxlan100, 7, &v, &e);
	assert_pd_error(rc, e, PD_ERR_TRUNCATED, 0);
}

static void expect_ppp(const uint8_t *h, size_t len, uint16_t proto, uint8_t hdr_len)
{
	uint8_t *b = heap_copy(h, len);
	struct pd_ppp p;
	struct pd_error e = { 0 };

	assert_int_equal(pd_ppp_decode(b, len, &p, &e), PD_OK);
	assert_int_equal(p.proto, proto);
	assert_int_equal(p.hdr_len, hdr_len);
	free(b);
}

static void expect_ppp_error(const uint8_t *h, size_t len, int code, size_t off)
{
	uint8_t *b = heap_copy(h, len);
	struct pd_ppp p;
	struct pd_error e = { 0 };
	int rc = pd_ppp_decode(b, len, &p, &e);

	assert_pd_error(rc, e, code, off);
	free(b);
}

static void test_ppp(void **state)
{
	const uint8_t full[] = { 0xff, 0x03, 0x00, 0x21, 0x45 };
	const uint8_t acfc[] = { 0x00, 0x57, 0x60 };
	const uint8_t pfc[] = { 0xff, 0x03, 0x21, 0x45 };
	const uint8_t both[] = { 0x21, 0x45 };
	const uint8_t lcp[] = { 0xff, 0x03, 0xc0, 0x21, 0x01 };
	const uint8_t mpls[] = { 0xff, 0x03, 0x02, 0x81, 0x00 };  /* 0x0281 */
	const uint8_t bad_ctl[] = { 0xff, 0x05, 0x00, 0x21 };
	const uint8_t even_low[] = { 0x00, 0x20 };

	(void)state;
	expect_ppp(real_pptp1 + 16, 4, 0x0021, 4);
	expect_ppp(full, sizeof(full), 0x0021, 4);
	expect_ppp(acfc, sizeof(acfc), 0x0057, 2);
	expect_ppp(pfc, sizeof(pfc), 0x0021, 3);
	expect_ppp(both, sizeof(both), 0x0021, 1);
	expect_ppp(lcp, sizeof(lcp), 0xc021, 4);
	expect_ppp(mpls, sizeof(mpls), 0x0281, 4);
	expect_ppp_error(bad_ctl, sizeof(bad_ctl), PD_ERR_MALFORMED, 1);
	expect_ppp_error(even_low, sizeof(even_low), PD_ERR_MALFORMED, 0);
	/* Cuts: nothing, address only, address+control, half a protocol. */
	expect_ppp_error(full, 0, PD_ERR_TRUNCATED, 0);
	expect_ppp_error(full, 1, PD_ERR_TRUNCATED, 0);
	expect_ppp_error(full, 2, PD_ERR_TRUNCATED, 2);
	expect_ppp_error(full, 3, PD_ERR_TRUNCATED, 2);
	expect_ppp_error(acfc, 1, PD_ERR_TRUNCATED, 0);
	sweep_truncated(full, 4, struct pd_ppp, pd_ppp_decode(tb, tn, &to, &te));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_pptp),
		cmocka_unit_test(test_real_gre_v0),
		cmocka_unit_test(test_gre_all_v0_fields),
		cmocka_unit_test(test_gre_reserved_and_versions),
		cmocka_unit_test(test_gre_v1_rules),
		cmocka_unit_test(test_vxlan),
		cmocka_unit_test(test_ppp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
