/* test_encode.c - the packet builders of pathdiag/encode.h, read back byte
 * by byte (no decoders used): every header field, every checksum (against
 * a naive reference sum written here, not the library's), TCP option
 * layout, ICMP quote limits (RFC 1812 4.3.2.3, RFC 4443 2.4(c)), the
 * Linux ip6tnl TEL header, WireGuard shapes, PD_ERR_NOSPACE at every short
 * capacity with the buffer left untouched, and PD_ERR_INVAL cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <pathdiag/encode.h>
#include <pathdiag/error.h>
#include <pathdiag/transport.h>
#include <pathdiag/wireguard.h>

#define BIG 70000

static uint8_t out[BIG];        /* what builders write */
static uint8_t out2[BIG];
static uint8_t in[BIG];         /* payloads, quotes, inner packets */

/* ---- independent readers and checksum ------------------------------------ */

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p + 4) << 32 | le32(p);
}

/* One's-complement sum, 16 bits at a time, the textbook way. */
static uint32_t ref_add(uint32_t s, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		s += be16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* True if data that contains its checksum verifies. */
static bool ref_ok(const uint8_t *p, size_t len)
{
	return ref_add(0, p, len) == 0xffff;
}

/* Same with the IPv4 / IPv6 pseudo-header built here from the addresses. */
static bool ref_l4_ok(int family, const uint8_t *src, const uint8_t *dst,
		      uint8_t proto, const uint8_t *l4, size_t len)
{
	uint8_t ph[40];
	size_t n;

	if (family == 4) {
		memcpy(ph, src, 4);
		memcpy(ph + 4, dst, 4);
		ph[8] = 0;
		ph[9] = proto;
		ph[10] = (uint8_t)(len >> 8);
		ph[11] = (uint8_t)len;
		n = 12;
	} else {
		memcpy(ph, src, 16);
		memcpy(ph + 16, dst, 16);
		ph[32] = (uint8_t)(len >> 24);
		ph[33] = (uint8_t)(len >> 16);
		ph[34] = (uint8_t)(len >> 8);
		ph[35] = (uint8_t)len;
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = proto;
		n = 40;
	}
	return ref_add(ref_add(0, ph, n), l4, len) == 0xffff;
}

/* ---- fixtures ------------------------------------------------------------ */

static const uint8_t A4[4] = { 192, 0, 2, 1 };
static const uint8_t B4[4] = { 198, 51, 100, 2 };
static const uint8_t A6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t B6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
				0xab, 0xcd, 0xef, 0x02 };

static struct pd_ip_spec v4(void)
{
	struct pd_ip_spec ip = { .family = 4 };

	memcpy(ip.src, A4, 4);
	memcpy(ip.dst, B4, 4);
	return ip;
}

static struct pd_ip_spec v6(bool tel, uint8_t limit)
{
	struct pd_ip_spec ip = { .family = 6, .has_tel = tel, .tel = limit };

	memcpy(ip.src, A6, 16);
	memcpy(ip.dst, B6, 16);
	return ip;
}

static void pattern(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static bool untouched(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0xa5)
			return false;
	return true;
}

/* Every capacity below `need` is PD_ERR_NOSPACE and writes nothing (out is
 * refilled before each call; `call` uses `cap`). */
#define CHECK_NOSPACE(need, call)                                              \
	do {                                                                   \
		size_t need_ = (need);                                         \
		for (size_t cap = 0; cap < need_; cap++) {                     \
			memset(out, 0xa5, need_ + 64);                          \
			assert_int_equal((call), PD_ERR_NOSPACE);              \
			assert_true(untouched(out, need_ + 64));                \
		}                                                              \
	} while (0)

/* Check an IPv4 header at p: fields and a good header checksum. */
static void check_ipv4(const uint8_t *p, const struct pd_ip_spec *ip,
		       uint8_t proto, size_t total)
{
	assert_int_equal(p[0], 0x45);
	assert_int_equal(p[1], ip->tos);
	assert_int_equal(be16(p + 2), total);
	assert_int_equal(be16(p + 4), ip->id);
	assert_int_equal(be16(p + 6), ip->df ? 0x4000 : 0);
	assert_int_equal(p[8], ip->ttl ? ip->ttl : 64);
	assert_int_equal(p[9], proto);
	assert_memory_equal(p + 12, ip->src, 4);
	assert_memory_equal(p + 16, ip->dst, 4);
	assert_true(ref_ok(p, 20));
}

/* Check an IPv6 header (+ TEL header); returns the header length. */
static size_t check_ipv6(const uint8_t *p, const struct pd_ip_spec *ip,
			 uint8_t proto, size_t total)
{
	assert_int_equal(p[0] >> 4, 6);
	assert_int_equal((p[0] & 0x0f) << 4 | p[1] >> 4, ip->tos);
	assert_int_equal((uint32_t)(p[1] & 0x0f) << 16 | be16(p + 2), ip->flow);
	assert_int_equal(be16(p + 4), total - 40);
	assert_int_equal(p[7], ip->ttl ? ip->ttl : 64);
	assert_memory_equal(p + 8, ip->src, 16);
	assert_memory_equal(p + 24, ip->dst, 16);
	if (!ip->has_tel) {
		assert_int_equal(p[6], proto);
		return 40;
	}
	/* Destination Options, as Linux ip6tnl: NH 0 | 04 01 LIMIT | 01 01 00 */
	const uint8_t tel[8] = { proto, 0, 4, 1, ip->tel, 1, 1, 0 };
	assert_int_equal(p[6], 60);
	assert_memory_equal(p + 40, tel, 8);
	return 48;
}

static size_t check_ip(const uint8_t *p, const struct pd_ip_spec *ip,
		       uint8_t proto, size_t total)
{
	if (ip->family == 4) {
		check_ipv4(p, ip, proto, total);
		return 20;
	}
	return check_ipv6(p, ip, proto, total);
}

/* ---- IP ------------------------------------------------------------------ */

static void test_ip_header_len(void **state)
{
	struct pd_ip_spec ip = v4();

	(void)state;
	assert_int_equal(pd_ip_header_len(&ip), 20);
	ip = v6(false, 0);
	assert_int_equal(pd_ip_header_len(&ip), 40);
	ip = v6(true, 0);
	assert_int_equal(pd_ip_header_len(&ip), 48);
	ip.flow = 0x100000;
	assert_int_equal(pd_ip_header_len(&ip), 0);
	ip.family = 5;
	assert_int_equal(pd_ip_header_len(&ip), 0);
	assert_int_equal(pd_ip_header_len(NULL), 0);
}

static void test_ipv4_header(void **state)
{
	struct pd_ip_spec ip = v4();

	(void)state;
	ip.tos = 0xb9;
	ip.id = 0x1234;
	ip.df = true;
	ip.ttl = 17;
	pattern(out + 20, 11, 3);
	memcpy(in, out + 20, 11);
	assert_int_equal(pd_build_ip(&ip, 17, 11, out, 31), 31);
	check_ipv4(out, &ip, 17, 31);
	/* The payload the caller placed is left alone. */
	assert_memory_equal(out + 20, in, 11);
	/* Defaults: no DF, TTL 64. */
	ip.df = false;
	ip.ttl = 0;
	assert_int_equal(pd_build_ip(&ip, 6, 0, out, 20), 20);
	assert_int_equal(be16(out + 6), 0);
	assert_int_equal(out[8], 64);
	check_ipv4(out, &ip, 6, 20);
	/* A known header: 45 00 0014 0000 0000 40 06 csum c0000201 c6336402.
	 * 4500+0014+0000+0000+4006+0000+c000+0201+c633+6402 = 27150 -> 7152,
	 * checksum 8ead. */
	ip.id = 0;
	ip.tos = 0;
	assert_int_equal(pd_build_ip(&ip, 6, 0, out, 20), 20);
	assert_int_equal(be16(out + 10), 0x8ead);
}

static void test_ipv6_header(void **state)
{
	struct pd_ip_spec ip = v6(false, 0);

	(void)state;
	ip.tos = 0xb9;
	ip.flow = 0xabcde;
	ip.ttl = 3;
	assert_int_equal(pd_build_ip(&ip, 58, 100, out, 140), 140);
	assert_int_equal(out[0], 0x6b);
	assert_int_equal(out[1], 0x9a);
	assert_int_equal(out[2], 0xbc);
	assert_int_equal(out[3], 0xde);
	assert_int_equal(be16(out + 4), 100);
	assert_int_equal(out[6], 58);
	assert_int_equal(out[7], 3);
	check_ipv6(out, &ip, 58, 140);
}

/* The TEL header byte for byte, for several limits and inner protocols. */
static void test_ipv6_tel(void **state)
{
	static const uint8_t limits[] = { 0, 1, 4, 255 };
	static const uint8_t protos[] = { 4, 41, 6, 17 };

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct pd_ip_spec ip = v6(true, limits[i]);

		assert_int_equal(pd_build_ip(&ip, protos[i], 20, out, 68), 68);
		assert_int_equal(be16(out + 4), 28);  /* 8 + 20 */
		assert_int_equal(out[6], 60);
		assert_int_equal(out[40], protos[i]);
		assert_int_equal(out[41], 0);
		assert_int_equal(out[42], 4);
		assert_int_equal(out[43], 1);
		assert_int_equal(out[44], limits[i]);
		assert_int_equal(out[45], 1);
		assert_int_equal(out[46], 1);
		assert_int_equal(out[47], 0);
	}
}

static void test_ip_limits(void **state)
{
	struct pd_ip_spec ip = v4();

	(void)state;
	/* IPv4 total length: 20 + 65515 is the largest. */
	assert_int_equal(pd_build_ip(&ip, 17, 65515, out, BIG), 65535);
	assert_int_equal(be16(out + 2), 65535);
	assert_int_equal(pd_build_ip(&ip, 17, 65516, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_ip(&ip, 17, (size_t)-1, out, BIG), PD_ERR_INVAL);
	/* IPv6 payload length: 65535, TEL header included. */
	ip = v6(false, 0);
	assert_int_equal(pd_build_ip(&ip, 17, 65535, out, BIG), 65575);
	assert_int_equal(pd_build_ip(&ip, 17, 65536, out, BIG), PD_ERR_INVAL);
	ip = v6(true, 4);
	assert_int_equal(pd_build_ip(&ip, 17, 65527, out, BIG), 65575);
	assert_int_equal(pd_build_ip(&ip, 17, 65528, out, BIG), PD_ERR_INVAL);
	/* INVAL wins over NOSPACE. */
	assert_int_equal(pd_build_ip(&ip, 17, 65528, out, 0), PD_ERR_INVAL);
}

static void test_ip_inval(void **state)
{
	struct pd_ip_spec ip = v4();

	(void)state;
	assert_int_equal(pd_build_ip(NULL, 6, 0, out, 100), PD_ERR_INVAL);
	assert_int_equal(pd_build_ip(&ip, 6, 0, NULL, 100), PD_ERR_INVAL);
	ip.family = 0;
	assert_int_equal(pd_build_ip(&ip, 6, 0, out, 100), PD_ERR_INVAL);
	ip.family = 5;
	assert_int_equal(pd_build_ip(&ip, 6, 0, out, 100), PD_ERR_INVAL);
	ip = v6(false, 0);
	ip.flow = 0x100000;
	assert_int_equal(pd_build_ip(&ip, 6, 0, out, 100), PD_ERR_INVAL);
}

static void test_ip_nospace(void **state)
{
	struct pd_ip_spec a = v4(), b = v6(false, 0), c = v6(true, 4);

	(void)state;
	CHECK_NOSPACE(30, pd_build_ip(&a, 17, 10, out, cap));
	CHECK_NOSPACE(50, pd_build_ip(&b, 17, 10, out, cap));
	CHECK_NOSPACE(58, pd_build_ip(&c, 17, 10, out, cap));
	assert_int_equal(pd_build_ip(&c, 17, 10, out, 58), 58);
}

/* ---- UDP ------------------------------------------------------------------ */

static void check_udp(const struct pd_ip_spec *ip, uint16_t sport, uint16_t dport,
		      const uint8_t *payload, size_t plen, size_t total)
{
	size_t hl = check_ip(out, ip, 17, total);
	const uint8_t *u = out + hl;

	assert_int_equal(total, hl + 8 + plen);
	assert_int_equal(be16(u), sport);
	assert_int_equal(be16(u + 2), dport);
	assert_int_equal(be16(u + 4), 8 + plen);
	assert_int_not_equal(be16(u + 6), 0);
	assert_true(ref_l4_ok(ip->family, ip->src, ip->dst, 17, u, 8 + plen));
	if (payload)
		assert_memory_equal(u + 8, payload, plen);
}

static void test_udp(void **state)
{
	struct pd_ip_spec ips[3] = { v4(), v6(false, 0), v6(true, 4) };

	(void)state;
	pattern(in, 1500, 9);
	for (int i = 0; i < 3; i++) {
		static const size_t lens[] = { 0, 1, 2, 3, 255, 1472 };

		for (size_t j = 0; j < 6; j++) {
			size_t hl = pd_ip_header_len(&ips[i]);
			int n = pd_build_udp(&ips[i], 40000, 53, in, lens[j], out, BIG);

			assert_int_equal(n, hl + 8 + lens[j]);
			check_udp(&ips[i], 40000, 53, in, lens[j], (size_t)n);
			CHECK_NOSPACE(hl + 8 + lens[j],
				      pd_build_udp(&ips[i], 40000, 53, in, lens[j], out, cap));
		}
	}
}

/* NULL payload: the documented filler, byte i = 0x50 + i % 16. */
static void test_udp_filler(void **state)
{
	struct pd_ip_spec ip = v4();

	(void)state;
	assert_int_equal(pd_build_udp(&ip, 1, 2, NULL, 40, out, BIG), 68);
	for (size_t i = 0; i < 40; i++)
		assert_int_equal(out[28 + i], 0x50 + i % 16);
	check_udp(&ip, 1, 2, NULL, 40, 68);
}

/* A checksum that computes to 0 goes on the wire as ffff (RFC 768). */
static void test_udp_zero_checksum(void **state)
{
	struct pd_ip_spec ip = v4();
	uint8_t pl[4] = { 0x12, 0x34, 0, 0 };

	(void)state;
	assert_int_equal(pd_build_udp(&ip, 7, 9, pl, 4, out, BIG), 32);
	/* With the last word 0 the sum of everything else is ~csum; putting
	 * csum there makes the total ffff, so the checksum computes to 0. */
	pl[2] = out[26];
	pl[3] = out[27];
	assert_int_equal(pd_build_udp(&ip, 7, 9, pl, 4, out, BIG), 32);
	assert_int_equal(be16(out + 26), 0xffff);
	assert_true(ref_l4_ok(4, A4, B4, 17, out + 20, 12));
}

static void test_udp_limits(void **state)
{
	struct pd_ip_spec ip = v4();

	(void)state;
	assert_int_equal(pd_build_udp(&ip, 1, 2, NULL, 65507, out, BIG), 65535);
	assert_int_equal(pd_build_udp(&ip, 1, 2, NULL, 65508, out, BIG), PD_ERR_INVAL);
	ip = v6(false, 0);
	/* UDP length is 16 bits: 8 + 65527 at most. */
	assert_int_equal(pd_build_udp(&ip, 1, 2, NULL, 65527, out, BIG), 65575);
	assert_int_equal(pd_build_udp(&ip, 1, 2, NULL, 65528, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_udp(NULL, 1, 2, NULL, 1, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_udp(&ip, 1, 2, NULL, 1, NULL, BIG), PD_ERR_INVAL);
}

/* Payload already inside the output buffer, even where headers go. */
static void test_udp_overlap(void **state)
{
	struct pd_ip_spec ip = v6(true, 4);

	(void)state;
	pattern(in, 300, 1);
	assert_int_equal(pd_build_udp(&ip, 5, 6, in, 300, out2, BIG), 356);
	/* In place: payload at its final offset. */
	memcpy(out + 56, in, 300);
	assert_int_equal(pd_build_udp(&ip, 5, 6, out + 56, 300, out, BIG), 356);
	assert_memory_equal(out, out2, 356);
	/* Overlapping the header area. */
	memcpy(out, in, 300);
	assert_int_equal(pd_build_udp(&ip, 5, 6, out, 300, out, BIG), 356);
	assert_memory_equal(out, out2, 356);
	memcpy(out + 10, in, 300);
	assert_int_equal(pd_build_udp(&ip, 5, 6, out + 10, 300, out, BIG), 356);
	assert_memory_equal(out, out2, 356);
}

/* ---- TCP ------------------------------------------------------------------ */

/* The options of the TCP header at t, walked as TLVs: every one must be
 * well formed and inside the header. */
struct opts {
	int mss, wscale, sackp, ts, nop, other;
	uint32_t ts_val, ts_ecr;
};

static struct opts walk_opts(const uint8_t *t)
{
	size_t hlen = (size_t)(t[12] >> 4) * 4;
	struct opts o = { .mss = -1, .wscale = -1 };
	size_t i = 20;

	assert_true(hlen >= 20 && hlen <= 60);
	assert_int_equal(hlen % 4, 0);
	while (i < hlen) {
		uint8_t kind = t[i];

		if (kind == 0)
			break;
		if (kind == 1) {
			o.nop++;
			i++;
			continue;
		}
		assert_true(i + 1 < hlen);
		uint8_t len = t[i + 1];
		assert_true(len >= 2 && i + len <= hlen);
		switch (kind) {
		case 2:
			assert_int_equal(len, 4);
			o.mss = (int)be16(t + i + 2);
			break;
		case 3:
			assert_int_equal(len, 3);
			o.wscale = t[i + 2];
			break;
		case 4:
			assert_int_equal(len, 2);
			o.sackp++;
			break;
		case 8:
			assert_int_equal(len, 10);
			o.ts++;
			o.ts_val = be32(t + i + 2);
			o.ts_ecr = be32(t + i + 6);
			break;
		default:
			o.other++;
		}
		i += len;
	}
	return o;
}

static void test_tcp_plain(void **state)
{
	struct pd_ip_spec ip = v4();
	struct pd_tcp_spec t = {
		.sport = 40001, .dport = 443, .seq = 0x01020304, .ack = 0xa0b0c0d0,
		.flags = PD_TCP_ACK | PD_TCP_PSH, .window = 502,
	};

	(void)state;
	pattern(in, 100, 5);
	assert_int_equal(pd_build_tcp(&ip, &t, in, 99, out, BIG), 20 + 20 + 99);
	check_ipv4(out, &ip, 6, 139);
	const uint8_t *p = out + 20;
	assert_int_equal(be16(p), 40001);
	assert_int_equal(be16(p + 2), 443);
	assert_int_equal(be32(p + 4), 0x01020304);
	assert_int_equal(be32(p + 8), 0xa0b0c0d0);
	assert_int_equal(p[12], 0x50);
	assert_int_equal(p[13], 0x18);
	assert_int_equal(be16(p + 14), 502);
	assert_int_equal(be16(p + 18), 0);
	assert_memory_equal(p + 20, in, 99);
	assert_true(ref_l4_ok(4, A4, B4, 6, p, 119));
	CHECK_NOSPACE(139, pd_build_tcp(&ip, &t, in, 99, out, cap));
}

/* All options in a SYN, as Linux lays them out:
 * 02 04 MSS | 04 02 08 0a TSval TSecr | 01 03 03 WS  -> 40-byte header */
static void test_tcp_syn_options(void **state)
{
	struct pd_ip_spec ip = v6(true, 4);
	struct pd_tcp_spec t = {
		.sport = 1, .dport = 2, .seq = 7, .flags = PD_TCP_SYN,
		.window = 64240, .mss = 1412, .has_wscale = true, .wscale = 7,
		.sack_permitted = true, .timestamps = true,
		.ts_val = 0x11223344, .ts_ecr = 0,
	};
	static const uint8_t want[20] = {
		2, 4, 0x05, 0x84, 4, 2, 8, 10, 0x11, 0x22, 0x33, 0x44,
		0, 0, 0, 0, 1, 3, 3, 7,
	};

	(void)state;
	assert_int_equal(pd_build_tcp(&ip, &t, NULL, 0, out, BIG), 48 + 40);
	check_ipv6(out, &ip, 6, 88);
	const uint8_t *p = out + 48;
	assert_int_equal(p[12], 0xa0);
	assert_int_equal(p[13], 0x02);
	assert_int_equal(be16(p + 14), 64240);
	assert_memory_equal(p + 20, want, 20);
	assert_true(ref_l4_ok(6, A6, B6, 6, p, 40));
	CHECK_NOSPACE(88, pd_build_tcp(&ip, &t, NULL, 0, out, cap));
}

/* Every combination of the four options: a header of 20 + 4k bytes whose
 * options walk cleanly and say exactly what was asked. */
static void test_tcp_option_combinations(void **state)
{
	struct pd_ip_spec ip = v4();

	(void)state;
	for (int m = 0; m < 16; m++) {
		struct pd_tcp_spec t = {
			.sport = 9, .dport = 10, .flags = PD_TCP_SYN,
			.mss = (m & 1) ? 536 : 0,
			.has_wscale = (m & 2) != 0, .wscale = 14,
			.sack_permitted = (m & 4) != 0,
			.timestamps = (m & 8) != 0, .ts_val = 5, .ts_ecr = 6,
		};
		size_t olen = ((m & 1) ? 4 : 0) + ((m & 2) ? 4 : 0) +
			      ((m & 8) ? 12 : ((m & 4) ? 4 : 0));
		int n = pd_build_tcp(&ip, &t, NULL, 3, out, BIG);

		assert_int_equal(n, 20 + 20 + olen + 3);
		assert_int_equal((out[32] >> 4) * 4, 20 + olen);
		struct opts o = walk_opts(out + 20);
		assert_int_equal(o.mss, (m & 1) ? 536 : -1);
		assert_int_equal(o.wscale, (m & 2) ? 14 : -1);
		assert_int_equal(o.sackp, (m & 4) ? 1 : 0);
		assert_int_equal(o.ts, (m & 8) ? 1 : 0);
		assert_int_equal(o.other, 0);
		if (m & 8) {
			assert_int_equal(o.ts_val, 5);
			assert_int_equal(o.ts_ecr, 6);
		}
		assert_true(ref_l4_ok(4, A4, B4, 6, out + 20, (size_t)n - 20));
		check_ipv4(out, &ip, 6, (size_t)n);
	}
}

static void test_tcp_flags(void **state)
{
	struct pd_ip_spec ip = v4();
	struct pd_tcp_spec t = { .flags = 0x1ff };

	(void)state;
	assert_int_equal(pd_build_tcp(&ip, &t, NULL, 0, out, BIG), 40);
	assert_int_equal(out[32], 0x51);   /* offset 5, AE bit */
	assert_int_equal(out[33], 0xff);
	t.flags = PD_TCP_AE;
	assert_int_equal(pd_build_tcp(&ip, &t, NULL, 0, out, BIG), 40);
	assert_int_equal(out[32], 0x51);
	assert_int_equal(out[33], 0x00);
	t.flags = 0x200;
	assert_int_equal(pd_build_tcp(&ip, &t, NULL, 0, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_tcp(&ip, NULL, NULL, 0, out, BIG), PD_ERR_INVAL);
	t.flags = 0;
	assert_int_equal(pd_build_tcp(&ip, &t, NULL, 65496, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_tcp(&ip, &t, NULL, 65495, out, BIG), 65535);
}

/* ---- ICMP echo ----------------------------------------------------------- */

static void test_icmp_echo(void **state)
{
	struct pd_ip_spec a = v4(), b = v6(false, 0);

	(void)state;
	pattern(in, 56, 0x20);
	for (int reply = 0; reply < 2; reply++) {
		assert_int_equal(pd_build_icmp_echo(&a, reply, 0x1234, 0xfffe, in, 56,
						    out, BIG), 84);
		check_ipv4(out, &a, 1, 84);
		assert_int_equal(out[20], reply ? 0 : 8);
		assert_int_equal(out[21], 0);
		assert_int_equal(be16(out + 24), 0x1234);
		assert_int_equal(be16(out + 26), 0xfffe);
		assert_memory_equal(out + 28, in, 56);
		assert_true(ref_ok(out + 20, 64));
		CHECK_NOSPACE(84, pd_build_icmp_echo(&a, reply, 1, 2, in, 56, out, cap));

		assert_int_equal(pd_build_icmp_echo(&b, reply, 7, 8, in, 55, out, BIG),
				 40 + 8 + 55);
		check_ipv6(out, &b, 58, 103);
		assert_int_equal(out[40], reply ? 129 : 128);
		assert_int_equal(out[41], 0);
		assert_int_equal(be16(out + 44), 7);
		assert_int_equal(be16(out + 46), 8);
		assert_memory_equal(out + 48, in, 55);
		assert_true(ref_l4_ok(6, A6, B6, 58, out + 40, 63));
		CHECK_NOSPACE(103, pd_build_icmp_echo(&b, reply, 7, 8, in, 55, out, cap));
	}
	assert_int_equal(pd_build_icmp_echo(NULL, 0, 1, 2, in, 5, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_icmp_echo(&a, 0, 1, 2, in, 65508, out, BIG),
			 PD_ERR_INVAL);
}

static void test_icmp_echo_body(void **state)
{
	(void)state;
	pattern(in, 32, 1);
	assert_int_equal(pd_build_icmp_echo_body(4, false, 0xabcd, 3, in, 32, out, BIG), 40);
	assert_int_equal(out[0], 8);
	assert_int_equal(out[1], 0);
	assert_int_equal(be16(out + 4), 0xabcd);
	assert_int_equal(be16(out + 6), 3);
	assert_memory_equal(out + 8, in, 32);
	assert_true(ref_ok(out, 40));
	assert_int_equal(pd_build_icmp_echo_body(6, true, 1, 2, in, 32, out, BIG), 40);
	assert_int_equal(out[0], 129);
	assert_int_equal(be16(out + 2), 0);   /* the kernel fills it in */
	assert_int_equal(pd_build_icmp_echo_body(6, false, 1, 2, NULL, 0, out, BIG), 8);
	assert_int_equal(out[0], 128);
	CHECK_NOSPACE(40, pd_build_icmp_echo_body(4, false, 1, 2, in, 32, out, cap));
	CHECK_NOSPACE(8, pd_build_icmp_echo_body(6, false, 1, 2, in, 0, out, cap));
	assert_int_equal(pd_build_icmp_echo_body(5, false, 1, 2, in, 1, out, BIG),
			 PD_ERR_INVAL);
	assert_int_equal(pd_build_icmp_echo_body(4, false, 1, 2, in, 1, NULL, BIG),
			 PD_ERR_INVAL);
	assert_int_equal(pd_build_icmp_echo_body(4, false, 1, 2, NULL, 65508, out, BIG),
			 PD_ERR_INVAL);
	assert_int_equal(pd_build_icmp_echo_body(4, false, 1, 2, NULL, 65507, out, BIG),
			 65515);
}

/* ---- ICMP errors ---------------------------------------------------------- */

/* A 1500-byte "original" IPv4 packet to quote (only its bytes matter). */
static void make_orig(size_t len)
{
	pattern(in, len, 0x41);
	in[0] = 0x45;
}

static void test_icmp4_frag_needed(void **state)
{
	struct pd_ip_spec ip = v4();

	(void)state;
	make_orig(1500);
	/* RFC 1812 4.3.2.3: no more than 576 bytes in all; 548 of quote. */
	assert_int_equal(pd_build_icmp_error(&ip, 3, 4, 1400, in, 1500, out, BIG), 576);
	check_ipv4(out, &ip, 1, 576);
	assert_int_equal(out[20], 3);
	assert_int_equal(out[21], 4);
	assert_int_equal(be16(out + 24), 0);      /* unused / RFC 4884 length */
	assert_int_equal(be16(out + 26), 1400);   /* next-hop MTU (RFC 1191) */
	assert_memory_equal(out + 28, in, 548);
	assert_true(ref_ok(out + 20, 556));
	CHECK_NOSPACE(576, pd_build_icmp_error(&ip, 3, 4, 1400, in, 1500, out, cap));
	/* A short original is quoted whole. */
	assert_int_equal(pd_build_icmp_error(&ip, 3, 4, 65535, in, 28, out, BIG), 56);
	assert_int_equal(be16(out + 26), 65535);
	assert_memory_equal(out + 28, in, 28);
	assert_true(ref_ok(out + 20, 36));
	/* Exactly at the limit, and one byte over. */
	assert_int_equal(pd_build_icmp_error(&ip, 3, 4, 576, in, 548, out, BIG), 576);
	assert_int_equal(pd_build_icmp_error(&ip, 3, 4, 576, in, 549, out, BIG), 576);
	assert_int_equal(pd_build_icmp_error(&ip, 3, 4, 576, in, 547, out, BIG), 575);
}

static void test_icmp4_other_errors(void **state)
{
	struct pd_ip_spec ip = v4();
	static const struct {
		uint8_t type, code;
		uint32_t info;
		uint8_t word[4];
	} cases[] = {
		{ 11, 0, 0, { 0, 0, 0, 0 } },        /* TTL exceeded in transit */
		{ 11, 1, 0, { 0, 0, 0, 0 } },
		{ 3, 3, 0, { 0, 0, 0, 0 } },         /* port unreachable */
		{ 3, 1, 0, { 0, 0, 0, 0 } },
		{ 12, 0, 9, { 9, 0, 0, 0 } },        /* parameter problem, ptr 9 */
	};

	(void)state;
	make_orig(60);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(pd_build_icmp_error(&ip, cases[i].type, cases[i].code,
						     cases[i].info, in, 60, out, BIG), 88);
		check_ipv4(out, &ip, 1, 88);
		assert_int_equal(out[20], cases[i].type);
		assert_int_equal(out[21], cases[i].code);
		assert_memory_equal(out + 24, cases[i].word, 4);
		assert_memory_equal(out + 28, in, 60);
		assert_true(ref_ok(out + 20, 68));
	}
}

static void test_icmp6_ptb(void **state)
{
	struct pd_ip_spec ip = v6(false, 0);

	(void)state;
	pattern(in, 1500, 0x61);
	/* RFC 4443 2.4(c): no more than 1280 bytes; 1232 of quote. */
	assert_int_equal(pd_build_icmp_error(&ip, 2, 0, 1400, in, 1500, out, BIG), 1280);
	check_ipv6(out, &ip, 58, 1280);
	assert_int_equal(out[40], 2);
	assert_int_equal(out[41], 0);
	assert_int_equal(be32(out + 44), 1400);
	assert_memory_equal(out + 48, in, 1232);
	assert_true(ref_l4_ok(6, A6, B6, 58, out + 40, 1240));
	CHECK_NOSPACE(1280, pd_build_icmp_error(&ip, 2, 0, 1400, in, 1500, out, cap));
	/* Any 32-bit MTU, even below the IPv6 minimum (RFC 8021 attacks). */
	assert_int_equal(pd_build_icmp_error(&ip, 2, 0, 0xfedcba98, in, 100, out, BIG),
			 148);
	assert_int_equal(be32(out + 44), 0xfedcba98);
	assert_true(ref_l4_ok(6, A6, B6, 58, out + 40, 108));
	/* With a TEL header in front the whole error still fits 1280. */
	ip = v6(true, 0);
	assert_int_equal(pd_build_icmp_error(&ip, 2, 0, 1280, in, 1500, out, BIG), 1280);
	check_ipv6(out, &ip, 58, 1280);
	assert_memory_equal(out + 56, in, 1224);
	assert_true(ref_l4_ok(6, A6, B6, 58, out + 48, 1232));
}

static void test_icmp6_other_errors(void **state)
{
	struct pd_ip_spec ip = v6(false, 0);
	static const struct {
		uint8_t type, code;
		uint32_t info;
	} cases[] = {
		{ 3, 0, 0 },            /* hop limit exceeded */
		{ 1, 4, 0 },            /* port unreachable */
		{ 4, 0, 0x01020304 },   /* parameter problem, pointer */
	};

	(void)state;
	pattern(in, 100, 0x33);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(pd_build_icmp_error(&ip, cases[i].type, cases[i].code,
						     cases[i].info, in, 100, out, BIG), 148);
		assert_int_equal(out[40], cases[i].type);
		assert_int_equal(out[41], cases[i].code);
		assert_int_equal(be32(out + 44), cases[i].info);
		assert_memory_equal(out + 48, in, 100);
		assert_true(ref_l4_ok(6, A6, B6, 58, out + 40, 108));
		CHECK_NOSPACE(148, pd_build_icmp_error(&ip, cases[i].type, cases[i].code,
						       cases[i].info, in, 100, out, cap));
	}
}

static void test_icmp_error_inval(void **state)
{
	struct pd_ip_spec a = v4(), b = v6(false, 0);

	(void)state;
	make_orig(100);
	/* Not error types. */
	assert_int_equal(pd_build_icmp_error(&a, 8, 0, 0, in, 100, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_icmp_error(&a, 0, 0, 0, in, 100, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_icmp_error(&a, 5, 0, 0, in, 100, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_icmp_error(&b, 128, 0, 0, in, 100, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_icmp_error(&b, 11, 0, 0, in, 100, out, BIG), PD_ERR_INVAL);
	/* info the type has no room or use for. */
	assert_int_equal(pd_build_icmp_error(&a, 3, 4, 65536, in, 100, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_icmp_error(&a, 3, 3, 1, in, 100, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_icmp_error(&a, 11, 0, 1, in, 100, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_icmp_error(&a, 12, 0, 256, in, 100, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_icmp_error(&b, 1, 4, 1, in, 100, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_icmp_error(&b, 3, 0, 1, in, 100, out, BIG), PD_ERR_INVAL);
	/* Nothing to quote, no spec, no buffer. */
	assert_int_equal(pd_build_icmp_error(&a, 3, 4, 1400, NULL, 100, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_icmp_error(&a, 3, 4, 1400, in, 0, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_icmp_error(NULL, 3, 4, 1400, in, 100, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_icmp_error(&a, 3, 4, 1400, in, 100, NULL, BIG), PD_ERR_INVAL);
}

/* The quote may already sit inside the output buffer. */
static void test_icmp_error_overlap(void **state)
{
	struct pd_ip_spec ip = v4();

	(void)state;
	make_orig(1500);
	assert_int_equal(pd_build_icmp_error(&ip, 3, 4, 1400, in, 1500, out2, BIG), 576);
	memcpy(out, in, 1500);
	assert_int_equal(pd_build_icmp_error(&ip, 3, 4, 1400, out, 1500, out, BIG), 576);
	assert_memory_equal(out, out2, 576);
}

/* ---- IP in IP -------------------------------------------------------------- */

static void test_ip_in_ip(void **state)
{
	static const struct {
		int outer;
		bool tel;
		uint8_t inner_version;
		uint8_t proto;      /* outer protocol / final next header */
	} cases[] = {
		{ 4, false, 4, 4 },     /* IPIP */
		{ 4, false, 6, 41 },    /* sit / 6in4 */
		{ 6, false, 4, 4 },     /* ip6tnl ipip6, encaplimit none */
		{ 6, true, 4, 4 },      /* ip6tnl ipip6, encaplimit 4 */
		{ 6, false, 6, 41 },    /* ip6ip6 */
		{ 6, true, 6, 41 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pd_ip_spec o = cases[i].outer == 4 ? v4() : v6(cases[i].tel, 4);
		size_t hl = pd_ip_header_len(&o);

		o.flow = cases[i].outer == 6 ? 0x54321 : 0;
		o.ttl = 200;
		pattern(in, 1000, (uint8_t)i);
		in[0] = (uint8_t)(cases[i].inner_version << 4 | 5);
		assert_int_equal(pd_build_ip_in_ip(&o, in, 1000, out, BIG), hl + 1000);
		assert_int_equal(check_ip(out, &o, cases[i].proto, hl + 1000), hl);
		assert_memory_equal(out + hl, in, 1000);
		CHECK_NOSPACE(hl + 1000, pd_build_ip_in_ip(&o, in, 1000, out, cap));
		/* Wrapped in place. */
		memcpy(out + hl, in, 1000);
		assert_int_equal(pd_build_ip_in_ip(&o, out + hl, 1000, out, BIG), hl + 1000);
		assert_memory_equal(out + hl, in, 1000);
	}
}

static void test_ip_in_ip_inval(void **state)
{
	struct pd_ip_spec o = v4();

	(void)state;
	in[0] = 0x55;
	assert_int_equal(pd_build_ip_in_ip(&o, in, 20, out, BIG), PD_ERR_INVAL);
	in[0] = 0x05;
	assert_int_equal(pd_build_ip_in_ip(&o, in, 20, out, BIG), PD_ERR_INVAL);
	in[0] = 0x45;
	assert_int_equal(pd_build_ip_in_ip(&o, in, 0, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_ip_in_ip(&o, NULL, 20, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_ip_in_ip(NULL, in, 20, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_ip_in_ip(&o, in, 65516, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_ip_in_ip(&o, in, 65515, out, BIG), 65535);
}

/* ---- GRE ------------------------------------------------------------------ */

static void test_gre(void **state)
{
	(void)state;
	pattern(in, 500, 0x10);
	in[0] = 0x45;
	for (int m = 0; m < 8; m++) {
		for (int fam = 4; fam <= 6; fam += 2) {
			struct pd_ip_spec o = fam == 4 ? v4() : v6(false, 0);
			struct pd_gre_spec g = {
				.proto = 0x0800,
				.has_csum = (m & 1) != 0,
				.has_key = (m & 2) != 0, .key = 0xdeadbeef,
				.has_seq = (m & 4) != 0, .seq = 0x01020304,
			};
			size_t hl = fam == 4 ? 20 : 40;
			size_t gl = 4 + ((m & 1) ? 4 : 0) + ((m & 2) ? 4 : 0) + ((m & 4) ? 4 : 0);
			const uint8_t *p = out + hl, *q = p + 4;

			assert_int_equal(pd_build_gre(&o, &g, in, 500, out, BIG), hl + gl + 500);
			check_ip(out, &o, 47, hl + gl + 500);
			assert_int_equal(p[0], ((m & 1) ? 0x80 : 0) | ((m & 2) ? 0x20 : 0) |
					       ((m & 4) ? 0x10 : 0));
			assert_int_equal(p[1], 0);          /* version 0 */
			assert_int_equal(be16(p + 2), 0x0800);
			if (m & 1) {
				assert_true(ref_ok(p, gl + 500));
				assert_int_equal(be16(q + 2), 0);   /* reserved1 */
				q += 4;
			}
			if (m & 2) {
				assert_int_equal(be32(q), 0xdeadbeef);
				q += 4;
			}
			if (m & 4) {
				assert_int_equal(be32(q), 0x01020304);
				q += 4;
			}
			assert_ptr_equal(q, p + gl);
			assert_memory_equal(q, in, 500);
			CHECK_NOSPACE(hl + gl + 500, pd_build_gre(&o, &g, in, 500, out, cap));
		}
	}
}

static void test_gre_inval(void **state)
{
	struct pd_ip_spec o = v4();
	struct pd_gre_spec g = { .proto = 0x6558 };

	(void)state;
	assert_int_equal(pd_build_gre(&o, NULL, in, 10, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_gre(&o, &g, NULL, 10, out, BIG), PD_ERR_INVAL);
	/* Empty payload (a keepalive) is fine. */
	assert_int_equal(pd_build_gre(&o, &g, NULL, 0, out, BIG), 24);
	assert_int_equal(be16(out + 22), 0x6558);
	g.has_seq = true;
	assert_int_equal(pd_build_gre(&o, &g, in, 65508, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_gre(&o, &g, in, 65507, out, BIG), 65535);
}

/* ---- VXLAN ----------------------------------------------------------------- */

static void test_vxlan(void **state)
{
	(void)state;
	pattern(in, 114, 0x77);
	for (int fam = 4; fam <= 6; fam += 2) {
		struct pd_ip_spec o = fam == 4 ? v4() : v6(false, 0);
		size_t hl = fam == 4 ? 20 : 40;
		size_t total = hl + 8 + 8 + 114;
		const uint8_t *u = out + hl, *v = u + 8;

		assert_int_equal(pd_build_vxlan(&o, 49152, 0xabcdef, in, 114, out, BIG), total);
		check_ip(out, &o, 17, total);
		assert_int_equal(be16(u), 49152);
		assert_int_equal(be16(u + 2), 4789);
		assert_int_equal(be16(u + 4), 8 + 8 + 114);
		assert_true(ref_l4_ok(fam, o.src, o.dst, 17, u, 130));
		assert_int_equal(v[0], 0x08);
		assert_int_equal(v[1] | v[2] | v[3], 0);
		assert_int_equal(v[4], 0xab);
		assert_int_equal(v[5], 0xcd);
		assert_int_equal(v[6], 0xef);
		assert_int_equal(v[7], 0);
		assert_memory_equal(v + 8, in, 114);
		CHECK_NOSPACE(total, pd_build_vxlan(&o, 49152, 0xabcdef, in, 114, out, cap));
	}
	struct pd_ip_spec o = v4();
	assert_int_equal(pd_build_vxlan(&o, 1, 0x1000000, in, 114, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_vxlan(&o, 1, 0xffffff, in, 114, out, BIG), 150);
	assert_int_equal(pd_build_vxlan(&o, 1, 1, in, 13, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_vxlan(&o, 1, 1, in, 14, out, BIG), 50);
	assert_int_equal(pd_build_vxlan(&o, 1, 1, NULL, 14, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_vxlan(&o, 1, 1, in, 65500, out, BIG), PD_ERR_INVAL);
}

/* ---- WireGuard --------------------------------------------------------------- */

/* Distinct byte values in p: random-looking filler has many. */
static int distinct(const uint8_t *p, size_t n)
{
	bool seen[256] = { false };
	int d = 0;

	for (size_t i = 0; i < n; i++)
		if (!seen[p[i]]) {
			seen[p[i]] = true;
			d++;
		}
	return d;
}

/* Build, check IP/UDP, return the WireGuard message. */
static const uint8_t *wg_msg(const struct pd_ip_spec *o, const struct pd_wg_spec *w,
			     size_t msg_len)
{
	size_t hl = pd_ip_header_len(o);
	size_t total = hl + 8 + msg_len;

	assert_int_equal(pd_build_wg(o, w, out, BIG), total);
	check_ip(out, o, 17, total);
	assert_int_equal(be16(out + hl), w->sport);
	assert_int_equal(be16(out + hl + 2), w->dport);
	assert_int_equal(be16(out + hl + 4), 8 + msg_len);
	assert_true(ref_l4_ok(o->family, o->src, o->dst, 17, out + hl, 8 + msg_len));
	CHECK_NOSPACE(total, pd_build_wg(o, w, out, cap));
	assert_int_equal(pd_build_wg(o, w, out, BIG), total);
	return out + hl + 8;
}

static void test_wg_handshake(void **state)
{
	struct pd_ip_spec o = v4();
	struct pd_wg_spec w = {
		.type = PD_WG_INITIATION, .sport = 43462, .dport = 51820,
		.sender = 0x11223344, .receiver = 0xa1b2c3d4,
	};
	static const uint8_t zero[16] = { 0 };
	const uint8_t *m;

	(void)state;
	m = wg_msg(&o, &w, 148);
	assert_int_equal(m[0], 1);
	assert_int_equal(m[1] | m[2] | m[3], 0);
	assert_int_equal(le32(m + 4), 0x11223344);
	assert_true(distinct(m + 8, 116) > 60);       /* ephemeral..mac1 */
	assert_memory_equal(m + 132, zero, 16);       /* mac2 */

	o = v6(false, 0);
	w.type = PD_WG_RESPONSE;
	m = wg_msg(&o, &w, 92);
	assert_int_equal(m[0], 2);
	assert_int_equal(m[1] | m[2] | m[3], 0);
	assert_int_equal(le32(m + 4), 0x11223344);
	assert_int_equal(le32(m + 8), 0xa1b2c3d4);
	assert_true(distinct(m + 12, 64) > 30);
	assert_memory_equal(m + 76, zero, 16);

	w.type = PD_WG_COOKIE_REPLY;
	m = wg_msg(&o, &w, 64);
	assert_int_equal(m[0], 3);
	assert_int_equal(m[1] | m[2] | m[3], 0);
	assert_int_equal(le32(m + 4), 0xa1b2c3d4);
}

static void test_wg_data(void **state)
{
	struct pd_ip_spec o = v4();
	struct pd_wg_spec w = {
		.type = PD_WG_DATA, .sport = 51820, .dport = 51820,
		.receiver = 0x01020304, .counter = 0x1122334455667788ull,
	};
	/* plain, mtu -> padded length (WireGuard pads to 16, not past MTU) */
	static const struct { size_t plain, mtu, padded; } cases[] = {
		{ 0, 0, 0 }, { 1, 0, 16 }, { 16, 0, 16 }, { 17, 0, 32 },
		{ 1420, 0, 1424 }, { 1420, 1420, 1420 }, { 1419, 1420, 1420 },
		{ 1408, 1420, 1408 }, { 1405, 1420, 1408 }, { 0, 1420, 0 },
		{ 60, 68, 64 }, { 65, 68, 68 },
	};
	const uint8_t *m;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w.plain_len = cases[i].plain;
		w.mtu = (uint16_t)cases[i].mtu;
		m = wg_msg(&o, &w, 32 + cases[i].padded);
		assert_int_equal(m[0], 4);
		assert_int_equal(m[1] | m[2] | m[3], 0);
		assert_int_equal(le32(m + 4), 0x01020304);
		assert_int_equal(le64(m + 8), 0x1122334455667788ull);
		assert_true(distinct(m + 16, 16 + cases[i].padded) > 10);
	}
	/* Reproducible, and a different counter gives different filler. */
	w.plain_len = 100;
	w.mtu = 0;
	assert_int_equal(pd_build_wg(&o, &w, out2, BIG), 20 + 8 + 144);
	assert_int_equal(pd_build_wg(&o, &w, out, BIG), 172);
	assert_memory_equal(out, out2, 172);
	w.counter++;
	assert_int_equal(pd_build_wg(&o, &w, out, BIG), 172);
	assert_memory_not_equal(out + 44, out2 + 44, 128);
}

static void test_wg_inval(void **state)
{
	struct pd_ip_spec o = v4();
	struct pd_wg_spec w = { .type = 0 };

	(void)state;
	assert_int_equal(pd_build_wg(&o, &w, out, BIG), PD_ERR_INVAL);
	w.type = 5;
	assert_int_equal(pd_build_wg(&o, &w, out, BIG), PD_ERR_INVAL);
	w.type = PD_WG_INITIATION;
	w.plain_len = 1;
	assert_int_equal(pd_build_wg(&o, &w, out, BIG), PD_ERR_INVAL);
	w.type = PD_WG_DATA;
	w.plain_len = 1421;
	w.mtu = 1420;
	assert_int_equal(pd_build_wg(&o, &w, out, BIG), PD_ERR_INVAL);
	w.mtu = 0;
	w.plain_len = 65536;
	assert_int_equal(pd_build_wg(&o, &w, out, BIG), PD_ERR_INVAL);
	/* 20 + 8 + 32 + 65472 = 65532 fits; one more 16-block does not. */
	w.plain_len = 65472;
	assert_int_equal(pd_build_wg(&o, &w, out, BIG), 65532);
	w.plain_len = 65473;
	assert_int_equal(pd_build_wg(&o, &w, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_wg(&o, NULL, out, BIG), PD_ERR_INVAL);
	assert_int_equal(pd_build_wg(NULL, &w, out, BIG), PD_ERR_INVAL);
}

/* ---- Ethernet ---------------------------------------------------------------- */

static void test_eth(void **state)
{
	static const uint8_t d[6] = { 0x02, 0, 0, 0, 0, 2 }, s[6] = { 0x02, 1, 2, 3, 4, 5 };

	(void)state;
	pattern(out + 14, 50, 4);
	memcpy(in, out + 14, 50);
	assert_int_equal(pd_build_eth(d, s, 0x86dd, 50, out, 64), 64);
	assert_memory_equal(out, d, 6);
	assert_memory_equal(out + 6, s, 6);
	assert_int_equal(be16(out + 12), 0x86dd);
	assert_memory_equal(out + 14, in, 50);
	CHECK_NOSPACE(64, pd_build_eth(d, s, 0x0800, 50, out, cap));
	assert_int_equal(pd_build_eth(NULL, s, 0x0800, 0, out, 64), PD_ERR_INVAL);
	assert_int_equal(pd_build_eth(d, NULL, 0x0800, 0, out, 64), PD_ERR_INVAL);
	assert_int_equal(pd_build_eth(d, s, 0x0800, 0, NULL, 64), PD_ERR_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_header_len),
		cmocka_unit_test(test_ipv4_header),
		cmocka_unit_test(test_ipv6_header),
		cmocka_unit_test(test_ipv6_tel),
		cmocka_unit_test(test_ip_limits),
		cmocka_unit_test(test_ip_inval),
		cmocka_unit_test(test_ip_nospace),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_udp_filler),
		cmocka_unit_test(test_udp_zero_checksum),
		cmocka_unit_test(test_udp_limits),
		cmocka_unit_test(test_udp_overlap),
		cmocka_unit_test(test_tcp_plain),
		cmocka_unit_test(test_tcp_syn_options),
		cmocka_unit_test(test_tcp_option_combinations),
		cmocka_unit_test(test_tcp_flags),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_icmp_echo_body),
		cmocka_unit_test(test_icmp4_frag_needed),
		cmocka_unit_test(test_icmp4_other_errors),
		cmocka_unit_test(test_icmp6_ptb),
		cmocka_unit_test(test_icmp6_other_errors),
		cmocka_unit_test(test_icmp_error_inval),
		cmocka_unit_test(test_icmp_error_overlap),
		cmocka_unit_test(test_ip_in_ip),
		cmocka_unit_test(test_ip_in_ip_inval),
		cmocka_unit_test(test_gre),
		cmocka_unit_test(test_gre_inval),
		cmocka_unit_test(test_vxlan),
		cmocka_unit_test(test_wg_handshake),
		cmocka_unit_test(test_wg_data),
		cmocka_unit_test(test_wg_inval),
		cmocka_unit_test(test_eth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
