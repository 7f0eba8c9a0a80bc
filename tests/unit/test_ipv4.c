/* test_ipv4.c - IPv4 header decoder (RFC 791, RFC 1071 checksum).  Headers
 * are written out here with their checksums summed by hand, plus the ICMP
 * "fragmentation needed" of zeek-smtp.pcap frame 26 checked against
 * tshark 4.0.17's decode of it. */
#include "decoder_test.h"

#include <pathdiag/ipv4.h>

/* 10.0.0.1 -> 10.0.0.2, ICMP, total length 84, id 0x1c46, DF, TTL 64.
 * Checksum: 4500 + 0054 + 1c46 + 4000 + 4001 + 0a00 + 0001 + 0a00 + 0002
 * = f59e (no carry), complement 0a61. */
static const uint8_t hdr_echo[20] = {
	0x45, 0x00, 0x00, 0x54, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x01, 0x0a, 0x61,
	0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
};

/* IHL 6 with a Router Alert option (94 04 00 00), total length 32, id 1,
 * TTL 1, UDP, 192.0.2.1 -> 198.51.100.1.  Sum 2c76b, folded c76d,
 * complement 3892. */
static const uint8_t hdr_opts[24] = {
	0x46, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x01, 0x11, 0x38, 0x92,
	0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x01, 0x94, 0x04, 0x00, 0x00,
};

/* A fragment: RF and MF set, offset 185 (1480 bytes), total length 1500,
 * id 0xabcd, TTL 8, TCP, 192.168.0.1 -> 192.168.0.2; checksum df41. */
static const uint8_t hdr_frag[20] = {
	0x45, 0x00, 0x05, 0xdc, 0xab, 0xcd, 0xa0, 0xb9, 0x08, 0x06, 0xdf, 0x41,
	0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0x02,
};

/* zeek-smtp.pcap frame 26 from byte 14, first 56 bytes: IPv4 (len 576)
 * / ICMP 3/4 MTU 1492 / quoted IPv4 (len 1500, DF) / 8 bytes of TCP.
 * tshark: ip.src 192.168.1.1,10.10.1.4; ip.len 576,1500; ip.ttl 63,126;
 * ip.id 0x4519,0x254f; ip.flags.df 0,1; ip.proto 1,6; ip.dsfield 0xc0,0;
 * both checksums good (0x672d, 0xeff0). */
static const uint8_t real_fragneeded[56] = {
	0x45, 0xc0, 0x02, 0x40, 0x45, 0x19, 0x00, 0x00, 0x3f, 0x01, 0x67, 0x2d,
	0xc0, 0xa8, 0x01, 0x01, 0x0a, 0x0a, 0x01, 0x04, 0x03, 0x04, 0xc9, 0x4e,
	0x00, 0x00, 0x05, 0xd4, 0x45, 0x00, 0x05, 0xdc, 0x25, 0x4f, 0x40, 0x00,
	0x7e, 0x06, 0xef, 0xf0, 0x0a, 0x0a, 0x01, 0x04, 0x4a, 0x35, 0x8c, 0x99,
	0x05, 0xbe, 0x00, 0x19, 0x7e, 0xc4, 0x54, 0x47,
};

/* hdr followed by `extra` bytes of payload, in a heap buffer of exactly
 * that size. */
static uint8_t *with_payload(const uint8_t *hdr, size_t hlen, size_t extra)
{
	uint8_t *b = malloc(hlen + extra);

	assert_non_null(b);
	memcpy(b, hdr, hlen);
	memset(b + hlen, 0xa5, extra);
	return b;
}

static void test_basic_fields(void **state)
{
	const uint8_t src[4] = { 10, 0, 0, 1 }, dst[4] = { 10, 0, 0, 2 };
	uint8_t *b = with_payload(hdr_echo, 20, 64);
	struct pd_ipv4 ip;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_ipv4_decode(b, 84, &ip, &e), PD_OK);
	assert_int_equal(ip.ihl, 20);
	assert_int_equal(ip.tos, 0);
	assert_int_equal(ip.total_len, 84);
	assert_int_equal(ip.id, 0x1c46);
	assert_false(ip.rf);
	assert_true(ip.df);
	assert_false(ip.mf);
	assert_int_equal(ip.frag_off, 0);
	assert_false(pd_ipv4_is_fragment(&ip));
	assert_int_equal(ip.ttl, 64);
	assert_int_equal(ip.proto, 1);
	assert_int_equal(ip.checksum, 0x0a61);
	assert_true(ip.checksum_ok);
	assert_memory_equal(ip.src, src, 4);
	assert_memory_equal(ip.dst, dst, 4);
	assert_int_equal(ip.opt_len, 0);
	assert_int_equal(ip.payload_len, 64);
	assert_false(ip.truncated);
	free(b);
}

static void test_payload_bounds(void **state)
{
	struct pd_ipv4 ip;
	struct pd_error e = { 0 };
	uint8_t *b;

	(void)state;
	/* Ethernet padding after the datagram is not payload. */
	b = with_payload(hdr_echo, 20, 100);
	assert_int_equal(pd_ipv4_decode(b, 120, &ip, &e), PD_OK);
	assert_int_equal(ip.payload_len, 64);
	assert_false(ip.truncated);
	free(b);
	/* A short capture: what is there, and the flag. */
	b = with_payload(hdr_echo, 20, 10);
	assert_int_equal(pd_ipv4_decode(b, 30, &ip, &e), PD_OK);
	assert_int_equal(ip.payload_len, 10);
	assert_true(ip.truncated);
	assert_true(ip.checksum_ok);
	free(b);
	/* Just the header. */
	b = heap_copy(hdr_echo, 20);
	assert_int_equal(pd_ipv4_decode(b, 20, &ip, &e), PD_OK);
	assert_int_equal(ip.payload_len, 0);
	assert_true(ip.truncated);
	free(b);
}

static void test_bad_checksum(void **state)
{
	uint8_t h[20];
	struct pd_ipv4 ip;
	struct pd_error e = { 0 };

	(void)state;
	memcpy(h, hdr_echo, 20);
	h[11] ^= 0x01;
	assert_int_equal(pd_ipv4_decode(h, 20, &ip, &e), PD_OK);
	assert_int_equal(ip.checksum, 0x0a60);
	assert_false(ip.checksum_ok);
	/* A changed TTL without a new checksum is caught as well. */
	memcpy(h, hdr_echo, 20);
	h[8] = 63;
	assert_int_equal(pd_ipv4_decode(h, 20, &ip, &e), PD_OK);
	assert_false(ip.checksum_ok);
}

static void test_options(void **state)
{
	const uint8_t dst[4] = { 198, 51, 100, 1 };
	uint8_t *b = with_payload(hdr_opts, 24, 8);
	struct pd_ipv4 ip;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_ipv4_decode(b, 32, &ip, &e), PD_OK);
	assert_int_equal(ip.ihl, 24);
	assert_int_equal(ip.opt_len, 4);
	assert_int_equal(ip.ttl, 1);
	assert_int_equal(ip.proto, 17);
	assert_true(ip.checksum_ok);
	assert_memory_equal(ip.dst, dst, 4);
	assert_int_equal(ip.payload_len, 8);
	free(b);

	/* Lengths 0..19 cut the fixed header, 20..23 the options. */
	sweep_truncated(hdr_opts, 24, struct pd_ipv4, pd_ipv4_decode(tb, tn, &to, &te));
	for (size_t n = 20; n < 24; n++) {
		struct pd_ipv4 o;
		struct pd_error er = { 0 };
		uint8_t *c = heap_copy(hdr_opts, n);

		assert_pd_error(pd_ipv4_decode(c, n, &o, &er), er, PD_ERR_TRUNCATED, 20);
		free(c);
	}
}

static void test_fragment_fields(void **state)
{
	struct pd_ipv4 ip;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_ipv4_decode(hdr_frag, 20, &ip, &e), PD_OK);
	assert_true(ip.rf);
	assert_false(ip.df);
	assert_true(ip.mf);
	assert_int_equal(ip.frag_off, 185);
	assert_int_equal(ip.id, 0xabcd);
	assert_int_equal(ip.proto, 6);
	assert_true(ip.checksum_ok);
	assert_true(pd_ipv4_is_fragment(&ip));
	assert_true(ip.truncated);
}

static void test_malformed(void **state)
{
	uint8_t h[20];
	struct pd_ipv4 ip;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	/* Version 6 in an IPv4 slot. */
	memcpy(h, hdr_echo, 20);
	h[0] = 0x65;
	rc = pd_ipv4_decode(h, 20, &ip, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
	/* IHL 0..4. */
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		h[0] = (uint8_t)(0x40 | ihl);
		rc = pd_ipv4_decode(h, 20, &ip, &e);
		assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
	}
	/* Total length 19 < IHL 20. */
	memcpy(h, hdr_echo, 20);
	h[2] = 0; h[3] = 19;
	rc = pd_ipv4_decode(h, 20, &ip, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 2);
	/* Total length 20 with IHL 6 (24 bytes). */
	{
		uint8_t o[24];

		memcpy(o, hdr_opts, 24);
		o[3] = 20;
		rc = pd_ipv4_decode(o, 24, &ip, &e);
		assert_pd_error(rc, e, PD_ERR_MALFORMED, 2);
	}
	/* IHL 15 (60 bytes) in a 40-byte buffer: options cut. */
	{
		uint8_t *b = with_payload(hdr_echo, 20, 20);

		b[0] = 0x4f;
		b[3] = 100;
		rc = pd_ipv4_decode(b, 40, &ip, &e);
		assert_pd_error(rc, e, PD_ERR_TRUNCATED, 20);
		free(b);
	}
}

static void test_truncated_fixed(void **state)
{
	(void)state;
	sweep_truncated(hdr_echo, 20, struct pd_ipv4, pd_ipv4_decode(tb, tn, &to, &te));
	for (size_t n = 0; n < 20; n++) {
		struct pd_ipv4 o;
		struct pd_error er = { 0 };
		uint8_t *c = heap_copy(hdr_echo, n);

		assert_pd_error(pd_ipv4_decode(c, n, &o, &er), er, PD_ERR_TRUNCATED, 0);
		free(c);
	}
}

static void test_real_frag_needed(void **state)
{
	const uint8_t src0[4] = { 192, 168, 1, 1 }, dst0[4] = { 10, 10, 1, 4 };
	const uint8_t src1[4] = { 10, 10, 1, 4 }, dst1[4] = { 74, 53, 140, 153 };
	uint8_t *b = heap_copy(real_fragneeded, sizeof(real_fragneeded));
	struct pd_ipv4 ip;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_ipv4_decode(b, 56, &ip, &e), PD_OK);
	assert_int_equal(ip.tos, 0xc0);
	assert_int_equal(ip.total_len, 576);
	assert_int_equal(ip.ttl, 63);
	assert_int_equal(ip.id, 0x4519);
	assert_false(ip.df);
	assert_int_equal(ip.proto, 1);
	assert_int_equal(ip.checksum, 0x672d);
	assert_true(ip.checksum_ok);
	assert_memory_equal(ip.src, src0, 4);
	assert_memory_equal(ip.dst, dst0, 4);
	assert_true(ip.truncated);
	assert_int_equal(ip.payload_len, 36);

	/* The quoted header 28 bytes in. */
	assert_int_equal(pd_ipv4_decode(b + 28, 28, &ip, &e), PD_OK);
	assert_int_equal(ip.total_len, 1500);
	assert_int_equal(ip.ttl, 126);
	assert_int_equal(ip.id, 0x254f);
	assert_true(ip.df);
	assert_int_equal(ip.proto, 6);
	assert_int_equal(ip.checksum, 0xeff0);
	assert_true(ip.checksum_ok);
	assert_memory_equal(ip.src, src1, 4);
	assert_memory_equal(ip.dst, dst1, 4);
	assert_true(ip.truncated);
	assert_int_equal(ip.payload_len, 8);
	free(b);
}

static void test_every_prefix(void **state)
{
	/* Every prefix of a real packet: below 20 truncated, else decoded
	 * with payload_len = n - 20 and the truncated flag. */
	(void)state;
	for (size_t n = 0; n <= sizeof(real_fragneeded); n++) {
		struct pd_ipv4 ip;
		uint8_t *b = heap_copy(real_fragneeded, n);
		int rc = pd_ipv4_decode(b, n, &ip, NULL);

		if (n < 20) {
			assert_int_equal(rc, PD_ERR_TRUNCATED);
		} else {
			assert_int_equal(rc, PD_OK);
			assert_int_equal(ip.payload_len, n - 20);
			assert_true(ip.truncated);
		}
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_fields),
		cmocka_unit_test(test_payload_bounds),
		cmocka_unit_test(test_bad_checksum),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_fragment_fields),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated_fixed),
		cmocka_unit_test(test_real_frag_needed),
		cmocka_unit_test(test_every_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
