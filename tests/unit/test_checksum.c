/* test_checksum.c - the Internet checksum (RFC 1071) and pseudo-headers
 * (RFC 768, RFC 9293 3.1, RFC 8200 8.1), against the RFC's own example,
 * hand-computed sums, a naive reference implementation, and checksums
 * taken from real captures in /work/shared/captures (tshark validated each
 * of them as good with checksum validation on).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <pathdiag/checksum.h>

/* The obvious implementation, one 16-bit word at a time. */
static uint16_t ref_sum(uint32_t start, const uint8_t *p, size_t len)
{
	uint64_t s = start;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
static const uint8_t rfc1071[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

static void test_rfc1071_example(void **state)
{
	(void)state;
	assert_int_equal(pd_csum_add(0, rfc1071, 8), 0xddf2);
	assert_int_equal(pd_csum(rfc1071, 8), 0x220d);
	/* Summing in two parts (RFC 1071 2(B), incremental) changes nothing. */
	assert_int_equal(pd_csum_add(pd_csum_add(0, rfc1071, 4), rfc1071 + 4, 4),
			 0xddf2);
	assert_int_equal(pd_csum_add(pd_csum_add(0, rfc1071, 2), rfc1071 + 2, 6),
			 0xddf2);
}

static void test_odd_length(void **state)
{
	static const uint8_t one[] = { 0xab };

	(void)state;
	/* 0001 + f203 + f4f5 + f600 (last byte padded) = 2dcf9 -> dcfb. */
	assert_int_equal(pd_csum_add(0, rfc1071, 7), 0xdcfb);
	assert_int_equal(pd_csum(rfc1071, 7), 0x2304);
	assert_int_equal(pd_csum_add(0, one, 1), 0xab00);
	assert_int_equal(pd_csum(one, 1), 0x54ff);
	/* Odd tail after an even first part. */
	assert_int_equal(pd_csum_add(pd_csum_add(0, rfc1071, 4), rfc1071 + 4, 3),
			 0xdcfb);
	/* Odd lengths that leave 1, 2 and 3 bytes after the 4-byte words. */
	assert_int_equal(pd_csum_add(0, rfc1071, 5), 0xe605);  /* 0001+f203+f400 = 1e604 */
	assert_int_equal(pd_csum_add(0, rfc1071, 3), 0xf201);  /* 0001+f200 */
}

static void test_empty_and_ones(void **state)
{
	static const uint8_t ff[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[4] = { 0 };

	(void)state;
	assert_int_equal(pd_csum(NULL, 0), 0xffff);
	assert_int_equal(pd_csum_add(0x1234, NULL, 0), 0x1234);
	assert_int_equal(pd_csum(zero, 4), 0xffff);
	/* Negative zero: the sum of ffff words is ffff, the checksum 0. */
	assert_int_equal(pd_csum_add(0, ff, 6), 0xffff);
	assert_int_equal(pd_csum(ff, 6), 0x0000);
	assert_int_equal(pd_csum_finish(0), 0xffff);
	/* Unfolded partial sums are folded with end-around carry. */
	assert_int_equal(pd_csum_finish(0x1fffe), 0x0000);
	assert_int_equal(pd_csum_finish(0x0001ffff), 0xfffe);
	assert_int_equal(pd_csum_finish(0xffffffffu), 0x0000);
	assert_int_equal(pd_csum_finish(0x12345678), (uint16_t)~(0x5678 + 0x1234));
	assert_int_equal(pd_csum_add(0xffffffffu, rfc1071, 2),
			 ref_sum(0xffffffffu, rfc1071, 2));
}

/* Data that carries its own checksum sums to ffff, so finish gives 0. */
static void test_verify_property(void **state)
{
	uint8_t b[10];

	(void)state;
	memcpy(b, rfc1071, 8);
	b[8] = b[9] = 0;
	uint16_t c = pd_csum(b, 10);
	b[8] = (uint8_t)(c >> 8);
	b[9] = (uint8_t)c;
	assert_int_equal(pd_csum(b, 10), 0);
}

/* Deterministic bytes (a 32-bit LCG). */
static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		p[i] = (uint8_t)(seed >> 24);
	}
}

static void test_against_reference(void **state)
{
	static uint8_t buf[2100];

	(void)state;
	fill(buf, sizeof(buf), 7);
	/* Every length 0..2048 at every alignment 0..7. */
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= 2048; len++)
			assert_int_equal(pd_csum_add(0, buf + off, len),
					 ref_sum(0, buf + off, len));
	/* Split at every even point, with a non-zero start. */
	for (size_t cut = 0; cut <= 300; cut += 2)
		assert_int_equal(pd_csum_add(pd_csum_add(0xbeef, buf, cut),
					     buf + cut, 301 - cut),
				 ref_sum(0xbeef, buf, 301));
}

/* Large inputs: the accumulator must not overflow (1 MiB of ff words is
 * 2^19 additions of ffff). */
static void test_large(void **state)
{
	static uint8_t big[1 << 20];

	(void)state;
	memset(big, 0xff, sizeof(big));
	assert_int_equal(pd_csum_add(0, big, sizeof(big)), 0xffff);
	assert_int_equal(pd_csum_add(0, big, sizeof(big) - 1),
			 ref_sum(0, big, sizeof(big) - 1));
	fill(big, sizeof(big), 99);
	assert_int_equal(pd_csum_add(0, big, sizeof(big)),
			 ref_sum(0, big, sizeof(big)));
}

static void test_pseudo_headers(void **state)
{
	static const uint8_t s4[4] = { 1, 2, 3, 4 }, d4[4] = { 5, 6, 7, 8 };
	uint8_t s6[16], d6[16];

	(void)state;
	/* 0102 + 0304 + 0506 + 0708 + 0011 + 000c = 1031 */
	assert_int_equal(pd_csum_pseudo4(s4, d4, 17, 12), 0x1031);
	for (int i = 0; i < 16; i++) {
		s6[i] = (uint8_t)(i + 1);
		d6[i] = (uint8_t)(0x11 + i);
	}
	/* src 0102..0f10, dst 1112..1f20, length 0001 2345, 0000 003a:
	 * as computed over the 40-byte pseudo-header by the reference. */
	uint8_t ph[40];
	memcpy(ph, s6, 16);
	memcpy(ph + 16, d6, 16);
	memcpy(ph + 32, (const uint8_t[8]){ 0, 1, 0x23, 0x45, 0, 0, 0, 58 }, 8);
	assert_int_equal(ref_sum(0, ph, 40), 0x2491);
	assert_int_equal(pd_csum_pseudo6(s6, d6, 58, 0x12345), 0x2491);
	/* Zero addresses: only length and protocol remain. */
	memset(s6, 0, 16);
	memset(d6, 0, 16);
	assert_int_equal(pd_csum_pseudo6(s6, d6, 17, 8), 17 + 8);
	assert_int_equal(pd_csum_pseudo4(s6, d6, 6, 0xffff), (6 + 0xffff) % 0xffff);
}

/* ---- checksums from real captures (bytes from the IP header on) ------- */

/* tcpdump-tfo-5c1fa7f9ae91.pcap frame 1: IPv4 f4b3, TCP SYN (24) b966 */
static const uint8_t tfo_syn[] = {
	0x45, 0x00, 0x00, 0x2c, 0x00, 0x06, 0x00, 0x00, 0xff, 0x06, 0xf4, 0xb3,
	0xc0, 0xa8, 0x00, 0x64, 0x03, 0x03, 0x03, 0x03, 0x32, 0xf7, 0x32, 0xfe,
	0x0d, 0x05, 0xaf, 0x64, 0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0x05, 0x78,
	0xb9, 0x66, 0x00, 0x00, 0xfe, 0x04, 0xf9, 0x89,
};
/* zeek-smtp.pcap frame 7: IPv4 f3cb, TCP with 9 bytes of data (29) d911 */
static const uint8_t smtp_ehlo[] = {
	0x45, 0x00, 0x00, 0x31, 0x25, 0x1f, 0x40, 0x00, 0x80, 0x06, 0xf3, 0xcb,
	0x0a, 0x0a, 0x01, 0x04, 0x4a, 0x35, 0x8c, 0x99, 0x05, 0xbe, 0x00, 0x19,
	0x7e, 0xc4, 0x53, 0xb1, 0xae, 0xec, 0x62, 0x65, 0x50, 0x18, 0xff, 0x4a,
	0xd9, 0x11, 0x00, 0x00, 0x45, 0x48, 0x4c, 0x4f, 0x20, 0x47, 0x50, 0x0d,
	0x0a,
};
/* ndpi-6in4tunnel.pcap frame 18: IPv4 (proto 41) 1428, inner IPv6 UDP DNS
 * query of 59 bytes ad65 */
static const uint8_t sit_dns[] = {
	0x45, 0x00, 0x00, 0x77, 0xb8, 0x95, 0x40, 0x00, 0xff, 0x29, 0x14, 0x28,
	0xae, 0x03, 0x49, 0x18, 0xb8, 0x69, 0xff, 0x1a, 0x60, 0x00, 0x00, 0x00,
	0x00, 0x3b, 0x11, 0x40, 0x20, 0x01, 0x04, 0x70, 0x1f, 0x16, 0x01, 0x3f,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x2a, 0x03, 0x28, 0x80,
	0xff, 0xfe, 0x00, 0x0b, 0xfa, 0xce, 0xb0, 0x0c, 0x00, 0x00, 0x00, 0x99,
	0xd2, 0xc7, 0x00, 0x35, 0x00, 0x3b, 0xad, 0x65, 0x1a, 0x02, 0x00, 0x10,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x04, 0x73, 0x74, 0x61,
	0x72, 0x04, 0x63, 0x31, 0x30, 0x72, 0x08, 0x66, 0x61, 0x63, 0x65, 0x62,
	0x6f, 0x6f, 0x6b, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x1c, 0x00, 0x01,
	0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,
};
/* zeek-icmp6-toobig.pcap frame 1: ICMPv6 Packet Too Big (60 bytes) ecba,
 * quoting an IPv6 UDP datagram (12 bytes) whose checksum is 0c8e */
static const uint8_t icmp6_ptb[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x3a, 0x40, 0xfe, 0x80, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xde, 0xad,
	0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xbe, 0xef, 0x02, 0x00, 0xec, 0xba, 0x00, 0x00, 0x05, 0x00,
	0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x11, 0x40, 0xfe, 0x80, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xbe, 0xef,
	0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xde, 0xad, 0x75, 0x30, 0x32, 0xc8, 0x00, 0x0c, 0x0c, 0x8e,
	0x58, 0x58, 0x58, 0x58,
};
/* suricata-ip_in_ip.pcap frame 1: outer IPv4 f2ce, inner IPv4 0cda, ICMP
 * echo request (64 bytes) f15f */
static const uint8_t ipip_echo[] = {
	0x45, 0x00, 0x00, 0x68, 0xf7, 0x77, 0x40, 0x00, 0x7b, 0x04, 0xf2, 0xce,
	0x0a, 0x00, 0x00, 0x5e, 0x0a, 0x01, 0x00, 0xed, 0x45, 0x00, 0x00, 0x54,
	0x6c, 0x33, 0x40, 0x00, 0x7f, 0x01, 0x0c, 0xda, 0xc0, 0xa8, 0x00, 0x5e,
	0xc0, 0xa8, 0x00, 0xed, 0x08, 0x00, 0xf1, 0x5f, 0x00, 0x1a, 0x00, 0x01,
	0xf7, 0xf9, 0x27, 0x68, 0x00, 0x00, 0x00, 0x00, 0x23, 0x50, 0x05, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23,
	0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
	0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};

/* Copy pkt[off..off+len), zero the 16-bit checksum at csum_off within it,
 * recompute starting from `pseudo`, and return the result; also check that
 * the intact bytes verify (sum with the checksum in place finishes to 0). */
static uint16_t recompute(const uint8_t *pkt, size_t off, size_t len,
			  size_t csum_off, uint32_t pseudo)
{
	uint8_t b[128];

	assert_true(len <= sizeof(b));
	memcpy(b, pkt + off, len);
	assert_int_equal(pd_csum_finish(pd_csum_add(pseudo, b, len)), 0);
	b[csum_off] = b[csum_off + 1] = 0;
	return pd_csum_finish(pd_csum_add(pseudo, b, len));
}

static void test_capture_ipv4_headers(void **state)
{
	(void)state;
	assert_int_equal(recompute(tfo_syn, 0, 20, 10, 0), 0xf4b3);
	assert_int_equal(recompute(smtp_ehlo, 0, 20, 10, 0), 0xf3cb);
	assert_int_equal(recompute(sit_dns, 0, 20, 10, 0), 0x1428);
	assert_int_equal(recompute(ipip_echo, 0, 20, 10, 0), 0xf2ce);
	assert_int_equal(recompute(ipip_echo, 20, 20, 10, 0), 0x0cda);
	/* pd_csum is the same computation without a starting sum. */
	uint8_t h[20];
	memcpy(h, tfo_syn, 20);
	h[10] = h[11] = 0;
	assert_int_equal(pd_csum(h, 20), 0xf4b3);
}

static void test_capture_tcp_ipv4(void **state)
{
	(void)state;
	/* SYN with a 4-byte option: 24 bytes, even. */
	assert_int_equal(recompute(tfo_syn, 20, 24, 16,
				   pd_csum_pseudo4(tfo_syn + 12, tfo_syn + 16, 6, 24)),
			 0xb966);
	/* 20 + 9 bytes: odd length. */
	assert_int_equal(recompute(smtp_ehlo, 20, 29, 16,
				   pd_csum_pseudo4(smtp_ehlo + 12, smtp_ehlo + 16, 6, 29)),
			 0xd911);
}

static void test_capture_udp_ipv6(void **state)
{
	const uint8_t *ip6 = sit_dns + 20;

	(void)state;
	/* 59 bytes (odd), pseudo-header with the inner IPv6 addresses. */
	assert_int_equal(sizeof(sit_dns), 20 + 40 + 59);
	assert_int_equal(recompute(sit_dns, 60, 59, 6,
				   pd_csum_pseudo6(ip6 + 8, ip6 + 24, 17, 59)),
			 0xad65);
}

static void test_capture_icmpv6(void **state)
{
	const uint8_t *q = icmp6_ptb + 48;  /* the quoted IPv6 header */

	(void)state;
	assert_int_equal(recompute(icmp6_ptb, 40, 60, 2,
				   pd_csum_pseudo6(icmp6_ptb + 8, icmp6_ptb + 24, 58, 60)),
			 0xecba);
	/* The quoted datagram is complete: its UDP checksum checks too. */
	assert_int_equal(recompute(icmp6_ptb, 88, 12, 6,
				   pd_csum_pseudo6(q + 8, q + 24, 17, 12)),
			 0x0c8e);
}

static void test_capture_icmpv4(void **state)
{
	(void)state;
	assert_int_equal(recompute(ipip_echo, 40, 64, 2, 0), 0xf15f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_odd_length),
		cmocka_unit_test(test_empty_and_ones),
		cmocka_unit_test(test_verify_property),
		cmocka_unit_test(test_against_reference),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_pseudo_headers),
		cmocka_unit_test(test_capture_ipv4_headers),
		cmocka_unit_test(test_capture_tcp_ipv4),
		cmocka_unit_test(test_capture_udp_ipv6),
		cmocka_unit_test(test_capture_icmpv6),
		cmocka_unit_test(test_capture_icmpv4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
