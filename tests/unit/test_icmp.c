/* test_icmp.c - ICMPv4 / ICMPv6 header decoder (RFC 792, RFC 1191, RFC
 * 4443, RFC 4884).  Real messages from zeek-smtp.pcap, suricata-toobig.pcap,
 * zeek-icmp6-toobig.pcap and suricata-tunnel-pkt-flows.pcap are checked
 * against tshark 4.0.17 (icmp.type/code/mtu, icmpv6.type/code/mtu, echo
 * identifier and sequence); RFC 4884 and parameter-problem messages are
 * built here. */
#include "decoder_test.h"

#include <pathdiag/icmp.h>

/* zeek-smtp.pcap frame 26, ICMP from byte 34, first 36 bytes: 3/4, next-hop
 * MTU 1492 (tshark icmp.mtu), quoting IPv4 + 8 bytes of TCP. */
static const uint8_t real_fragneeded[36] = {
	0x03, 0x04, 0xc9, 0x4e, 0x00, 0x00, 0x05, 0xd4, 0x45, 0x00, 0x05, 0xdc,
	0x25, 0x4f, 0x40, 0x00, 0x7e, 0x06, 0xef, 0xf0, 0x0a, 0x0a, 0x01, 0x04,
	0x4a, 0x35, 0x8c, 0x99, 0x05, 0xbe, 0x00, 0x19, 0x7e, 0xc4, 0x54, 0x47,
};

/* suricata-toobig.pcap frame 2, ICMPv6 from byte 54, first 56 bytes:
 * tshark icmpv6.type 2,129, mtu 1200, checksum 0xcf72; the quoted echo
 * reply has identifier 0xface, sequence 47806. */
static const uint8_t real_ptb_echo[56] = {
	0x02, 0x00, 0xcf, 0x72, 0x00, 0x00, 0x04, 0xb0, 0x60, 0x00, 0x00, 0x00,
	0x04, 0x89, 0x3a, 0x3f, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x66, 0x00, 0x6a, 0xff, 0xfe, 0x5b, 0x8f, 0x4a, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x81, 0x00, 0x25, 0xf7, 0xfa, 0xce, 0xba, 0xbe,
};

/* zeek-icmp6-toobig.pcap frame 1, the whole ICMPv6 message (60 bytes):
 * tshark icmpv6.type 2, code 0, mtu 1280, quoting IPv6/UDP 30000 -> 13000. */
static const uint8_t real_ptb_udp[60] = {
	0x02, 0x00, 0xec, 0xba, 0x00, 0x00, 0x05, 0x00, 0x60, 0x00, 0x00, 0x00,
	0x00, 0x0c, 0x11, 0x40, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xbe, 0xef, 0xfe, 0x80, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xde, 0xad,
	0x75, 0x30, 0x32, 0xc8, 0x00, 0x0c, 0x0c, 0x8e, 0x58, 0x58, 0x58, 0x58,
};

/* suricata-tunnel-pkt-flows.pcap frame 1, ICMP from byte 34, first 16
 * bytes: echo request, tshark icmp.ident 0, icmp.seq 1, checksum 0x0a3b. */
static const uint8_t real_echo4[16] = {
	0x08, 0x00, 0x0a, 0x3b, 0x00, 0x00, 0x00, 0x01, 0x23, 0x4a, 0x53, 0x62,
	0x5b, 0x61, 0x62, 0x52,
};

static void test_real_frag_needed(void **state)
{
	uint8_t *b = heap_copy(real_fragneeded, sizeof(real_fragneeded));
	struct pd_icmp m;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_icmp_decode(4, b, sizeof(real_fragneeded), &m, &e), PD_OK);
	assert_int_equal(m.family, 4);
	assert_int_equal(m.type, PD_ICMP4_DEST_UNREACH);
	assert_int_equal(m.code, PD_ICMP4_CODE_FRAG_NEEDED);
	assert_int_equal(m.checksum, 0xc94e);
	assert_true(m.is_error);
	assert_false(m.is_echo);
	assert_true(m.has_mtu);
	assert_int_equal(m.mtu, 1492);
	assert_int_equal(m.orig_len, 0);
	assert_int_equal(m.body_off, 8);
	assert_int_equal(m.body_len, 28);
	free(b);
}

static void test_real_ptb(void **state)
{
	uint8_t *b = heap_copy(real_ptb_echo, sizeof(real_ptb_echo));
	struct pd_icmp m;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_icmp_decode(6, b, sizeof(real_ptb_echo), &m, &e), PD_OK);
	assert_int_equal(m.family, 6);
	assert_int_equal(m.type, PD_ICMP6_PACKET_TOO_BIG);
	assert_int_equal(m.code, 0);
	assert_int_equal(m.checksum, 0xcf72);
	assert_true(m.is_error);
	assert_true(m.has_mtu);
	assert_int_equal(m.mtu, 1200);
	assert_int_equal(m.orig_len, 0);     /* PTB has no RFC 4884 length */
	assert_int_equal(m.body_off, 8);
	assert_int_equal(m.body_len, 48);
	/* The quoted echo reply, 48 bytes in. */
	assert_int_equal(pd_icmp_decode(6, b + 48, 8, &m, &e), PD_OK);
	assert_int_equal(m.type, PD_ICMP6_ECHO_REPLY);
	assert_true(m.is_echo);
	assert_false(m.is_error);
	assert_false(m.has_mtu);
	assert_int_equal(m.echo_id, 0xface);
	assert_int_equal(m.echo_seq, 47806);
	assert_int_equal(m.body_len, 0);
	free(b);

	b = heap_copy(real_ptb_udp, sizeof(real_ptb_udp));
	assert_int_equal(pd_icmp_decode(6, b, sizeof(real_ptb_udp), &m, &e), PD_OK);
	assert_int_equal(m.type, 2);
	assert_int_equal(m.mtu, 1280);
	assert_int_equal(m.body_len, 52);
	free(b);
}

static void test_real_echo(void **state)
{
	uint8_t *b = heap_copy(real_echo4, sizeof(real_echo4));
	struct pd_icmp m;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_icmp_decode(4, b, sizeof(real_echo4), &m, &e), PD_OK);
	assert_int_equal(m.type, PD_ICMP4_ECHO_REQUEST);
	assert_true(m.is_echo);
	assert_false(m.is_error);
	assert_false(m.has_mtu);
	assert_int_equal(m.echo_id, 0);
	assert_int_equal(m.echo_seq, 1);
	assert_int_equal(m.checksum, 0x0a3b);
	assert_int_equal(m.body_len, 8);
	free(b);
}

/* An ICMP message of `total` bytes with the given first 8 bytes. */
static uint8_t *msg(const uint8_t hdr[8], size_t total)
{
	uint8_t *b = calloc(total, 1);

	assert_non_null(b);
	memcpy(b, hdr, 8);
	return b;
}

static void test_rfc4884_v4(void **state)
{
	/* Time exceeded, length 32 words = 128 bytes of original datagram,
	 * then an 8-byte extension structure: 144 bytes. */
	const uint8_t te[8] = { 11, 0, 0, 0, 0, 32, 0, 0 };
	/* Dest unreach code 4 with length 33 words (132) and MTU 1400. */
	const uint8_t du[8] = { 3, 4, 0, 0, 0, 33, 0x05, 0x78 };
	/* Parameter problem, pointer 9, length 32. */
	const uint8_t pp[8] = { 12, 0, 0, 0, 9, 32, 0, 0 };
	struct pd_icmp m;
	struct pd_error e = { 0 };
	uint8_t *b;

	(void)state;
	b = msg(te, 144);
	assert_int_equal(pd_icmp_decode(4, b, 144, &m, &e), PD_OK);
	assert_true(m.is_error);
	assert_int_equal(m.orig_len, 128);
	assert_int_equal(m.body_len, 128);
	/* Cut inside the original datagram: what is there. */
	assert_int_equal(pd_icmp_decode(4, b, 100, &m, &e), PD_OK);
	assert_int_equal(m.orig_len, 128);
	assert_int_equal(m.body_len, 92);
	free(b);

	b = msg(du, 160);
	assert_int_equal(pd_icmp_decode(4, b, 160, &m, &e), PD_OK);
	assert_true(m.has_mtu);
	assert_int_equal(m.mtu, 1400);
	assert_int_equal(m.orig_len, 132);
	assert_int_equal(m.body_len, 132);
	free(b);

	b = msg(pp, 144);
	assert_int_equal(pd_icmp_decode(4, b, 144, &m, &e), PD_OK);
	assert_true(m.is_error);
	assert_int_equal(m.pointer, 9);
	assert_int_equal(m.orig_len, 128);
	assert_int_equal(m.body_len, 128);
	free(b);
}

static void test_rfc4884_v6(void **state)
{
	/* Destination unreachable (port), length 16 x 8 = 128 bytes. */
	const uint8_t du[8] = { 1, 4, 0, 0, 16, 0, 0, 0 };
	/* Time exceeded, length 17 x 8 = 136. */
	const uint8_t te[8] = { 3, 0, 0, 0, 17, 0, 0, 0 };
	struct pd_icmp m;
	struct pd_error e = { 0 };
	uint8_t *b;

	(void)state;
	b = msg(du, 200);
	assert_int_equal(pd_icmp_decode(6, b, 200, &m, &e), PD_OK);
	assert_true(m.is_error);
	assert_false(m.has_mtu);
	assert_int_equal(m.code, PD_ICMP6_CODE_PORT_UNREACH);
	assert_int_equal(m.orig_len, 128);
	assert_int_equal(m.body_len, 128);
	free(b);

	b = msg(te, 150);
	assert_int_equal(pd_icmp_decode(6, b, 150, &m, &e), PD_OK);
	assert_int_equal(m.orig_len, 136);
	assert_int_equal(m.body_len, 136);
	/* Same, but the buffer ends before the original datagram does. */
	assert_int_equal(pd_icmp_decode(6, b, 100, &m, &e), PD_OK);
	assert_int_equal(m.body_len, 92);
	free(b);

	/* In ICMPv4 the length sits in byte 5, not byte 4. */
	b = msg(du, 200);
	b[0] = 3; b[1] = 3;
	assert_int_equal(pd_icmp_decode(4, b, 200, &m, &e), PD_OK);
	assert_int_equal(m.orig_len, 0);
	assert_int_equal(m.body_len, 192);
	free(b);
}

static void test_param_problem_v6(void **state)
{
	/* Parameter problem code 1 (unrecognised next header), pointer 40. */
	const uint8_t pp[8] = { 4, 1, 0, 0, 0, 0, 0, 40 };
	struct pd_icmp m;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_icmp_decode(6, pp, 8, &m, &e), PD_OK);
	assert_true(m.is_error);
	assert_int_equal(m.pointer6, 40);
	assert_int_equal(m.orig_len, 0);
	assert_int_equal(m.body_len, 0);
}

static void test_error_classification(void **state)
{
	const uint8_t v4_err[] = { 3, 4, 5, 11, 12 };
	const uint8_t v4_not[] = { 0, 8, 9, 10, 13, 14 };
	const uint8_t v6_err[] = { 1, 2, 3, 4 };
	const uint8_t v6_not[] = { 128, 129, 133, 134, 135, 136, 143 };
	uint8_t h[8] = { 0 };
	struct pd_icmp m;
	struct pd_error e = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(v4_err); i++) {
		h[0] = v4_err[i];
		assert_int_equal(pd_icmp_decode(4, h, 8, &m, &e), PD_OK);
		assert_true(m.is_error);
	}
	for (size_t i = 0; i < sizeof(v4_not); i++) {
		h[0] = v4_not[i];
		assert_int_equal(pd_icmp_decode(4, h, 8, &m, &e), PD_OK);
		assert_false(m.is_error);
	}
	for (size_t i = 0; i < sizeof(v6_err); i++) {
		h[0] = v6_err[i];
		assert_int_equal(pd_icmp_decode(6, h, 8, &m, &e), PD_OK);
		assert_true(m.is_error);
	}
	for (size_t i = 0; i < sizeof(v6_not); i++) {
		h[0] = v6_not[i];
		assert_int_equal(pd_icmp_decode(6, h, 8, &m, &e), PD_OK);
		assert_false(m.is_error);
	}
	/* 3/3 (port unreachable) carries no MTU even with bytes there. */
	h[0] = 3; h[1] = 3; h[6] = 0x05; h[7] = 0xdc;
	assert_int_equal(pd_icmp_decode(4, h, 8, &m, &e), PD_OK);
	assert_false(m.has_mtu);
	assert_int_equal(m.mtu, 0);
	/* Type 2 in ICMPv4 is not a PTB. */
	h[0] = 2;
	assert_int_equal(pd_icmp_decode(4, h, 8, &m, &e), PD_OK);
	assert_false(m.has_mtu);
	/* v6 echo request with id/seq. */
	{
		const uint8_t q[8] = { 128, 0, 0, 0, 0x12, 0x34, 0x00, 0x07 };

		assert_int_equal(pd_icmp_decode(6, q, 8, &m, &e), PD_OK);
		assert_true(m.is_echo);
		assert_int_equal(m.echo_id, 0x1234);
		assert_int_equal(m.echo_seq, 7);
	}
	/* v4 echo reply. */
	{
		const uint8_t r[8] = { 0, 0, 0, 0, 0xab, 0xcd, 0x01, 0x00 };

		assert_int_equal(pd_icmp_decode(4, r, 8, &m, &e), PD_OK);
		assert_true(m.is_echo);
		assert_int_equal(m.echo_id, 0xabcd);
		assert_int_equal(m.echo_seq, 256);
	}
}

static void test_errors(void **state)
{
	struct pd_icmp m;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	rc = pd_icmp_decode(5, real_echo4, 16, &m, &e);
	assert_pd_error(rc, e, PD_ERR_INVAL, 0);
	sweep_truncated(real_fragneeded, 8, struct pd_icmp,
			pd_icmp_decode(4, tb, tn, &to, &te));
	sweep_truncated(real_ptb_echo, 8, struct pd_icmp,
			pd_icmp_decode(6, tb, tn, &to, &te));
	for (size_t n = 0; n < 8; n++) {
		uint8_t *b = heap_copy(real_ptb_echo, n);

		rc = pd_icmp_decode(6, b, n, &m, &e);
		assert_pd_error(rc, e, PD_ERR_TRUNCATED, 0);
		free(b);
	}
	/* Exactly 8 bytes: a header without a body. */
	assert_int_equal(pd_icmp_decode(4, real_fragneeded, 8, &m, &e), PD_OK);
	assert_int_equal(m.body_len, 0);
	assert_int_equal(m.mtu, 1492);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_frag_needed),
		cmocka_unit_test(test_real_ptb),
		cmocka_unit_test(test_real_echo),
		cmocka_unit_test(test_rfc4884_v4),
		cmocka_unit_test(test_rfc4884_v6),
		cmocka_unit_test(test_param_problem_v6),
		cmocka_unit_test(test_error_classification),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
