/* test_transport.c - UDP and TCP header decoders with TCP options (RFC 768,
 * RFC 9293, RFC 7323, RFC 2018).  Real headers from ndpi-dns_fragmented.pcap,
 * ndpi-6in4tunnel.pcap, tcpdump-tfo-5c1fa7f9ae91.pcap and
 * zeek-icmp6-toobig.pcap are checked against tshark 4.0.17's decode;
 * option edge cases are built here. */
#include "decoder_test.h"

#include <pathdiag/transport.h>

/* ndpi-dns_fragmented.pcap frame 45, TCP from byte 54 (40 bytes): SYN
 * 57089 -> 53, seq 567088648, win 24400, checksum 0x8e53, header 40;
 * options (tshark tcp.option_kind 2,4,8,1,3): MSS 1220, SACK-permitted,
 * TS 2219171642/0, NOP, window scale 7. */
static const uint8_t real_syn[40] = {
	0xdf, 0x01, 0x00, 0x35, 0x21, 0xcd, 0x16, 0x08, 0x00, 0x00, 0x00, 0x00,
	0xa0, 0x02, 0x5f, 0x50, 0x8e, 0x53, 0x00, 0x00, 0x02, 0x04, 0x04, 0xc4,
	0x04, 0x02, 0x08, 0x0a, 0x84, 0x45, 0xdf, 0x3a, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x03, 0x03, 0x07,
};

/* ndpi-6in4tunnel.pcap frame 44, TCP from byte 74 (44 bytes): ACK
 * 443 -> 53234, ack 662003056, win 69, header 44; options 1,1,8,1,1,5:
 * TS 700791043/662299685, SACK with 1 block 662004454-662005379. */
static const uint8_t real_sack[44] = {
	0x01, 0xbb, 0xcf, 0xf2, 0xcb, 0xb3, 0x1a, 0xbf, 0x27, 0x75, 0x5d, 0x70,
	0xb0, 0x10, 0x00, 0x45, 0x21, 0x6e, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a,
	0x29, 0xc5, 0x39, 0x03, 0x27, 0x79, 0xe4, 0x25, 0x01, 0x01, 0x05, 0x0a,
	0x27, 0x75, 0x62, 0xe6, 0x27, 0x75, 0x66, 0x83,
};

/* tcpdump-tfo-5c1fa7f9ae91.pcap frame 4, TCP from byte 34 (36 bytes):
 * SYN/ACK 13054 -> 13047, seq 4035392501, ack 218476389, header 36;
 * options 2,254,1,1: MSS 1500, experimental TFO cookie (kind 254, skipped
 * by its length), NOP, NOP. */
static const uint8_t real_tfo[36] = {
	0x32, 0xfe, 0x32, 0xf7, 0xf0, 0x87, 0x33, 0xf5, 0x0d, 0x05, 0xaf, 0x65,
	0x90, 0x12, 0x05, 0x78, 0x49, 0xd3, 0x00, 0x00, 0x02, 0x04, 0x05, 0xdc,
	0xfe, 0x0a, 0xf9, 0x89, 0x09, 0x09, 0x09, 0x09, 0x00, 0x00, 0x01, 0x01,
};

/* zeek-icmp6-toobig.pcap: the UDP header quoted in the PTB plus its 4
 * payload bytes; tshark udp.srcport 30000, dstport 13000, length 12. */
static const uint8_t real_udp[12] = {
	0x75, 0x30, 0x32, 0xc8, 0x00, 0x0c, 0x0c, 0x8e, 0x58, 0x58, 0x58, 0x58,
};

static void test_udp(void **state)
{
	uint8_t *b = heap_copy(real_udp, sizeof(real_udp));
	struct pd_udp u;
	struct pd_error e = { 0 };
	uint8_t h[8];
	int rc;

	(void)state;
	assert_int_equal(pd_udp_decode(b, 12, &u, &e), PD_OK);
	assert_int_equal(u.sport, 30000);
	assert_int_equal(u.dport, 13000);
	assert_int_equal(u.length, 12);
	assert_int_equal(u.checksum, 0x0c8e);
	assert_int_equal(u.payload_len, 4);
	/* Short capture: payload what is present. */
	assert_int_equal(pd_udp_decode(b, 10, &u, &e), PD_OK);
	assert_int_equal(u.payload_len, 2);
	free(b);
	/* Trailing bytes past the UDP length are not payload. */
	{
		uint8_t big[20] = { 0 };

		memcpy(big, real_udp, 12);
		assert_int_equal(pd_udp_decode(big, 20, &u, &e), PD_OK);
		assert_int_equal(u.payload_len, 4);
	}
	/* Length 7: shorter than the header. */
	memcpy(h, real_udp, 8);
	h[4] = 0; h[5] = 7;
	rc = pd_udp_decode(h, 8, &u, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 4);
	/* Length 0 (jumbogram, RFC 2675): the IP layer bounds it. */
	h[5] = 0;
	assert_int_equal(pd_udp_decode(h, 8, &u, &e), PD_OK);
	assert_int_equal(u.payload_len, 0);
	sweep_truncated(real_udp, 8, struct pd_udp, pd_udp_decode(tb, tn, &to, &te));
	for (size_t n = 0; n < 8; n++) {
		uint8_t *c = heap_copy(real_udp, n);

		rc = pd_udp_decode(c, n, &u, &e);
		assert_pd_error(rc, e, PD_ERR_TRUNCATED, 0);
		free(c);
	}
}

static void test_real_syn_options(void **state)
{
	uint8_t *b = heap_copy(real_syn, sizeof(real_syn));
	struct pd_tcp t;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_tcp_decode(b, sizeof(real_syn), &t, &e), PD_OK);
	assert_int_equal(t.sport, 57089);
	assert_int_equal(t.dport, 53);
	assert_int_equal(t.seq, 567088648u);
	assert_int_equal(t.ack, 0);
	assert_int_equal(t.hdr_len, 40);
	assert_int_equal(t.flags, PD_TCP_SYN);
	assert_int_equal(t.window, 24400);
	assert_int_equal(t.checksum, 0x8e53);
	assert_int_equal(t.urgent, 0);
	assert_true(t.has_mss);
	assert_int_equal(t.mss, 1220);
	assert_true(t.sack_permitted);
	assert_true(t.has_ts);
	assert_int_equal(t.ts_val, 2219171642u);
	assert_int_equal(t.ts_ecr, 0);
	assert_true(t.has_wscale);
	assert_int_equal(t.wscale, 7);
	assert_int_equal(t.sack_blocks, 0);
	assert_false(t.opts_truncated);
	assert_int_equal(t.hdr_present, 40);
	assert_int_equal(t.payload_len, 0);
	free(b);
}

static void test_real_sack(void **state)
{
	uint8_t *b = heap_copy(real_sack, sizeof(real_sack));
	struct pd_tcp t;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_tcp_decode(b, sizeof(real_sack), &t, &e), PD_OK);
	assert_int_equal(t.sport, 443);
	assert_int_equal(t.dport, 53234);
	assert_int_equal(t.ack, 662003056u);
	assert_int_equal(t.flags, PD_TCP_ACK);
	assert_int_equal(t.window, 69);
	assert_int_equal(t.hdr_len, 44);
	assert_true(t.has_ts);
	assert_int_equal(t.ts_val, 700791043u);
	assert_int_equal(t.ts_ecr, 662299685u);
	assert_int_equal(t.sack_blocks, 1);
	assert_false(t.has_mss);
	assert_false(t.opts_truncated);
	free(b);
}

static void test_real_tfo_unknown_kind(void **state)
{
	uint8_t *b = heap_copy(real_tfo, sizeof(real_tfo));
	struct pd_tcp t;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_tcp_decode(b, sizeof(real_tfo), &t, &e), PD_OK);
	assert_int_equal(t.sport, 13054);
	assert_int_equal(t.dport, 13047);
	assert_int_equal(t.seq, 4035392501u);
	assert_int_equal(t.ack, 218476389u);
	assert_int_equal(t.flags, PD_TCP_SYN | PD_TCP_ACK);
	assert_int_equal(t.window, 1400);
	assert_int_equal(t.hdr_len, 36);
	assert_true(t.has_mss);
	assert_int_equal(t.mss, 1500);
	assert_false(t.opts_truncated);
	assert_false(t.has_ts);
	free(b);
}

/* A 20-byte header (ports 1000 -> 2000, seq 1, all flags but AE) followed
 * by `olen` option bytes; data offset covers them (olen % 4 == 0). */
static size_t tcp_with_opts(uint8_t *buf, const uint8_t *opts, size_t olen)
{
	const uint8_t fixed[20] = {
		0x03, 0xe8, 0x07, 0xd0, 0, 0, 0, 1, 0, 0, 0, 0,
		0x00, 0xff, 0xff, 0xff, 0x12, 0x34, 0x00, 0x05,
	};

	memcpy(buf, fixed, 20);
	buf[12] = (uint8_t)(((20 + olen) / 4) << 4);
	if (olen)
		memcpy(buf + 20, opts, olen);
	return 20 + olen;
}

static void test_option_edge_cases(void **state)
{
	uint8_t buf[60];
	struct pd_tcp t;
	struct pd_error e = { 0 };
	size_t len;

	(void)state;
	/* Fixed fields of the synthetic header. */
	len = tcp_with_opts(buf, NULL, 0);
	assert_int_equal(pd_tcp_decode(buf, len, &t, &e), PD_OK);
	assert_int_equal(t.sport, 1000);
	assert_int_equal(t.dport, 2000);
	assert_int_equal(t.seq, 1);
	assert_int_equal(t.flags, 0x0ff);
	assert_int_equal(t.window, 0xffff);
	assert_int_equal(t.checksum, 0x1234);
	assert_int_equal(t.urgent, 5);
	assert_false(t.opts_truncated);
	/* The AE bit (former reserved bit 7 of byte 12). */
	buf[12] |= 0x01;
	assert_int_equal(pd_tcp_decode(buf, len, &t, &e), PD_OK);
	assert_int_equal(t.flags, 0x1ff);
	assert_true(t.flags & PD_TCP_AE);

	/* EOL stops parsing: an MSS after it is ignored. */
	{
		const uint8_t o[8] = { 0x00, 0x02, 0x04, 0x05, 0xb4, 0, 0, 0 };

		len = tcp_with_opts(buf, o, 8);
		assert_int_equal(pd_tcp_decode(buf, len, &t, &e), PD_OK);
		assert_false(t.has_mss);
		assert_false(t.opts_truncated);
	}
	/* MSS with length 3: malformed, stops, earlier options kept. */
	{
		const uint8_t o[8] = { 0x03, 0x03, 0x0e, 0x02, 0x03, 0x05, 0xb4, 0 };

		len = tcp_with_opts(buf, o, 8);
		assert_int_equal(pd_tcp_decode(buf, len, &t, &e), PD_OK);
		assert_true(t.has_wscale);
		assert_int_equal(t.wscale, 14);
		assert_false(t.has_mss);
		assert_true(t.opts_truncated);
	}
	/* An option length of 0 or 1 would loop forever or go backwards. */
	for (uint8_t bad = 0; bad < 2; bad++) {
		const uint8_t o[4] = { 0x99, bad, 0x01, 0x01 };

		len = tcp_with_opts(buf, o, 4);
		assert_int_equal(pd_tcp_decode(buf, len, &t, &e), PD_OK);
		assert_true(t.opts_truncated);
	}
	/* Unknown kind whose length runs past the header. */
	{
		const uint8_t o[4] = { 0x1e, 0x06, 0x00, 0x00 };

		len = tcp_with_opts(buf, o, 4);
		assert_int_equal(pd_tcp_decode(buf, len, &t, &e), PD_OK);
		assert_true(t.opts_truncated);
	}
	/* Kind in the last byte, no length byte. */
	{
		const uint8_t o[4] = { 0x01, 0x01, 0x01, 0x02 };

		len = tcp_with_opts(buf, o, 4);
		assert_int_equal(pd_tcp_decode(buf, len, &t, &e), PD_OK);
		assert_true(t.opts_truncated);
	}
	/* SACK-permitted with length 3, window scale with 4, TS with 8. */
	{
		const uint8_t o1[4] = { 0x04, 0x03, 0x00, 0x00 };
		const uint8_t o2[4] = { 0x03, 0x04, 0x07, 0x00 };
		const uint8_t o3[8] = { 0x08, 0x08, 0, 0, 0, 1, 0, 0 };

		len = tcp_with_opts(buf, o1, 4);
		assert_int_equal(pd_tcp_decode(buf, len, &t, &e), PD_OK);
		assert_false(t.sack_permitted);
		assert_true(t.opts_truncated);
		len = tcp_with_opts(buf, o2, 4);
		assert_int_equal(pd_tcp_decode(buf, len, &t, &e), PD_OK);
		assert_false(t.has_wscale);
		assert_true(t.opts_truncated);
		len = tcp_with_opts(buf, o3, 8);
		assert_int_equal(pd_tcp_decode(buf, len, &t, &e), PD_OK);
		assert_false(t.has_ts);
		assert_true(t.opts_truncated);
	}
	/* SACK with 4 blocks (34 bytes) after NOP NOP: fits in 36. */
	{
		uint8_t o[36] = { 0x01, 0x01, 0x05, 34 };

		len = tcp_with_opts(buf, o, 36);
		assert_int_equal(pd_tcp_decode(buf, len, &t, &e), PD_OK);
		assert_int_equal(t.sack_blocks, 4);
		assert_false(t.opts_truncated);
		/* Length 2+9 is not 2 + 8n; length 2 holds no block. */
		o[3] = 11;
		len = tcp_with_opts(buf, o, 36);
		assert_int_equal(pd_tcp_decode(buf, len, &t, &e), PD_OK);
		assert_int_equal(t.sack_blocks, 0);
		assert_true(t.opts_truncated);
		o[3] = 2;
		len = tcp_with_opts(buf, o, 36);
		assert_int_equal(pd_tcp_decode(buf, len, &t, &e), PD_OK);
		assert_true(t.opts_truncated);
	}
}

static void test_options_cut_by_buffer(void **state)
{
	struct pd_tcp t;
	struct pd_error e = { 0 };

	(void)state;
	/* Every cut of the real SYN between 20 and 39 bytes: fixed header
	 * fine, options as far as they go, opts_truncated. */
	for (size_t n = 20; n < sizeof(real_syn); n++) {
		uint8_t *b = heap_copy(real_syn, n);

		assert_int_equal(pd_tcp_decode(b, n, &t, &e), PD_OK);
		assert_int_equal(t.sport, 57089);
		assert_int_equal(t.hdr_len, 40);
		assert_int_equal(t.hdr_present, n);
		assert_true(t.opts_truncated);
		assert_int_equal(t.payload_len, 0);
		assert_int_equal(t.has_mss, n >= 24);
		assert_int_equal(t.sack_permitted, n >= 26);
		assert_int_equal(t.has_ts, n >= 36);
		assert_false(t.has_wscale);
		free(b);
	}
	/* With a payload: payload_len counts past the header. */
	{
		uint8_t b[50] = { 0 };

		memcpy(b, real_syn, 40);
		assert_int_equal(pd_tcp_decode(b, 50, &t, &e), PD_OK);
		assert_int_equal(t.payload_len, 10);
		assert_true(t.has_wscale);
	}
}

static void test_tcp_errors(void **state)
{
	uint8_t h[20];
	struct pd_tcp t;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	sweep_truncated(real_syn, 20, struct pd_tcp, pd_tcp_decode(tb, tn, &to, &te));
	for (size_t n = 0; n < 20; n++) {
		uint8_t *c = heap_copy(real_syn, n);

		rc = pd_tcp_decode(c, n, &t, &e);
		assert_pd_error(rc, e, PD_ERR_TRUNCATED, 0);
		free(c);
	}
	memcpy(h, real_syn, 20);
	for (uint8_t off = 0; off < 5; off++) {
		h[12] = (uint8_t)(off << 4);
		rc = pd_tcp_decode(h, 20, &t, &e);
		assert_pd_error(rc, e, PD_ERR_MALFORMED, 12);
	}
}

static void test_partial(void **state)
{
	struct pd_tcp t;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	/* Below 4 bytes: not even the ports. */
	sweep_truncated(real_syn, 4, struct pd_tcp,
			pd_tcp_decode_partial(tb, tn, &to, &te));
	for (size_t n = 4; n < 20; n++) {
		uint8_t *b = heap_copy(real_syn, n);

		rc = pd_tcp_decode_partial(b, n, &t, &e);
		assert_int_equal(rc, PD_OK);
		assert_int_equal(t.sport, 57089);
		assert_int_equal(t.dport, 53);
		assert_int_equal(t.hdr_present, n);
		assert_int_equal(t.seq, n >= 8 ? 567088648u : 0);
		assert_int_equal(t.hdr_len, n >= 13 ? 40 : 0);
		assert_int_equal(t.flags, n >= 14 ? PD_TCP_SYN : 0);
		assert_int_equal(t.window, n >= 16 ? 24400 : 0);
		assert_int_equal(t.checksum, n >= 18 ? 0x8e53 : 0);
		assert_true(t.opts_truncated);
		assert_false(t.has_mss);
		assert_int_equal(t.payload_len, 0);
		free(b);
	}
	/* From 20 bytes on it is pd_tcp_decode. */
	rc = pd_tcp_decode_partial(real_syn, sizeof(real_syn), &t, &e);
	assert_int_equal(rc, PD_OK);
	assert_true(t.has_wscale);
	assert_false(t.opts_truncated);
	/* A data offset of 5 known from a 14-byte quote: no options missing. */
	{
		uint8_t q[14];

		memcpy(q, real_syn, 14);
		q[12] = 0x50;
		assert_int_equal(pd_tcp_decode_partial(q, 14, &t, &e), PD_OK);
		assert_int_equal(t.hdr_len, 20);
		assert_false(t.opts_truncated);
		/* Data offset 4 present in the quote: malformed. */
		q[12] = 0x40;
		rc = pd_tcp_decode_partial(q, 14, &t, &e);
		assert_pd_error(rc, e, PD_ERR_MALFORMED, 12);
	}
	/* The 8 bytes an ICMP error must quote (RFC 792). */
	rc = pd_tcp_decode(real_syn, 8, &t, &e);
	assert_pd_error(rc, e, PD_ERR_TRUNCATED, 0);
	assert_int_equal(pd_tcp_decode_partial(real_syn, 8, &t, &e), PD_OK);
	assert_int_equal(t.dport, 53);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_real_syn_options),
		cmocka_unit_test(test_real_sack),
		cmocka_unit_test(test_real_tfo_unknown_kind),
		cmocka_unit_test(test_option_edge_cases),
		cmocka_unit_test(test_options_cut_by_buffer),
		cmocka_unit_test(test_tcp_errors),
		cmocka_unit_test(test_partial),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
