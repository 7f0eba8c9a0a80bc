/* test_ipv6.c - IPv6 header and extension header chain (RFC 8200), AH
 * length (RFC 4302), Tunnel Encapsulation Limit (RFC 2473 5.1), Jumbo
 * Payload (RFC 2675).  Real packets from libpcap-ipv6_ext_headers.pcap
 * (a 100-header chain), zeek-ipv6-http-atomic-frag.pcap and
 * zeek-ipv6-fragmented-dns.pcap are checked against tshark 4.0.17's decode
 * (captures/truth); the rest are built here field by field. */
#include "decoder_test.h"

#include <pathdiag/ipv6.h>

/* libpcap-ipv6_ext_headers.pcap frame 1 from byte 14 (the whole IPv6
 * packet).  tshark: ipv6.plen 818, hlim 64, 2001:db8::1 -> 2001:db8::2,
 * ipv6.nxt 0, hopopts.nxt 43, then 33 x (routing.nxt 44, fraghdr.nxt 60,
 * dstopts.nxt 43) with the last dstopts.nxt 17; fraghdr.ident 1, 4, 7 ...
 * 0x61, all offset 0 and M 0; udp 12345 -> 54321. */
static const uint8_t real_ext100[] = {
	0x60, 0x00, 0x00, 0x00, 0x03, 0x32, 0x00, 0x40, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x02, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x04, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x07, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x0a, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x0d, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x10, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x13, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x16, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x19, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x1c, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x1f, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x22, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x25, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x28, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x2b, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x2e, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x31, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x34, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x37, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x3a, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x3d, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x40, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x43, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x46, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x49, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x4c, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x4f, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x52, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x55, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x58, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x5b, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x5e, 0x2b, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x61, 0x11, 0x00, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00,
	0x30, 0x39, 0xd4, 0x31, 0x00, 0x12, 0xbe, 0xcf, 0x54, 0x65, 0x73, 0x74,
	0x50, 0x61, 0x63, 0x6b, 0x65, 0x74,
};

/* zeek-ipv6-http-atomic-frag.pcap frame 13 from byte 14: an atomic
 * fragment (RFC 6946).  tshark: ipv6.nxt 44, fraghdr.nxt 6, ident 0,
 * offset 0, more 0, plen 28, hlim 64, 2001:db8:1::2 -> 2001:db8:1::1,
 * tcp 59694 -> 80, flags 0x002. */
static const uint8_t real_atomic[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x2c, 0x40, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xe9, 0x2e, 0x00, 0x50, 0x69, 0x81, 0x79, 0x05, 0x00, 0x00, 0x00, 0x00,
	0x50, 0x02, 0x20, 0x00, 0x68, 0x66, 0x00, 0x00,
};

/* zeek-ipv6-http-atomic-frag.pcap frame 4 from byte 14: destination options
 * (PadN only) in front of TCP.  tshark: ipv6.nxt 60, dstopts.nxt 6, plen 28,
 * no ipv6.opt.tel. */
static const uint8_t real_dstopts[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x3c, 0x40, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x06, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
	0x90, 0x57, 0x00, 0x50, 0xe3, 0x1e, 0xbd, 0x4e, 0x00, 0x00, 0x00, 0x00,
	0x50, 0x02, 0x20, 0x00, 0x03, 0x57, 0x00, 0x00,
};

/* zeek-ipv6-fragmented-dns.pcap frame 6 from byte 14, first 56 of 1480
 * bytes: first fragment.  tshark: plen 1440, hlim 53, ipv6.nxt 44,
 * fraghdr.nxt 17, ident 0x00000002, offset 0, more 1, udp 53 -> 51851. */
static const uint8_t real_frag_first[] = {
	0x60, 0x00, 0x00, 0x00, 0x05, 0xa0, 0x2c, 0x35, 0x26, 0x07, 0xf7, 0x40,
	0x00, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x93,
	0x20, 0x01, 0x04, 0x70, 0x1f, 0x11, 0x08, 0x1f, 0xd1, 0x38, 0x5f, 0x55,
	0x06, 0xd4, 0x1f, 0xe2, 0x11, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
	0x00, 0x35, 0xca, 0x8b, 0x0c, 0xa6, 0x68, 0x8f,
};

/* zeek-ipv6-fragmented-dns.pcap frame 4 from byte 14, first 66 of 390
 * bytes: last fragment.  tshark: plen 350, fraghdr.nxt 17, ident 1,
 * offset 362 (8-octet units), more 0. */
static const uint8_t real_frag_last[] = {
	0x60, 0x00, 0x00, 0x00, 0x01, 0x5e, 0x2c, 0x35, 0x26, 0x07, 0xf7, 0x40,
	0x00, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x93,
	0x20, 0x01, 0x04, 0x70, 0x1f, 0x11, 0x08, 0x1f, 0xd1, 0x38, 0x5f, 0x55,
	0x06, 0xd4, 0x1f, 0xe2, 0x11, 0x00, 0x0b, 0x50, 0x00, 0x00, 0x00, 0x01,
	0x58, 0x58, 0x58, 0x58, 0x58, 0x58, 0x58, 0x58, 0x58, 0x58, 0x58, 0x58,
	0x58, 0x58, 0x58, 0x58, 0x58, 0x58,
};

static const uint8_t addr1[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t addr2[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* A fixed header at b: traffic class 0xb8, flow label 0x12345, hop limit
 * 64, 2001:db8::1 -> 2001:db8::2. */
static void put_fixed(uint8_t *b, uint16_t plen, uint8_t nxt)
{
	b[0] = 0x6b;            /* version 6, tclass high nibble b */
	b[1] = 0x81;            /* tclass low nibble 8, flow 0x1.... */
	b[2] = 0x23;
	b[3] = 0x45;
	b[4] = (uint8_t)(plen >> 8);
	b[5] = (uint8_t)plen;
	b[6] = nxt;
	b[7] = 64;
	memcpy(b + 8, addr1, 16);
	memcpy(b + 24, addr2, 16);
}

/* An 8-byte options header (hop-by-hop or destination) holding one PadN. */
static void put_padn_hdr(uint8_t *b, uint8_t nxt)
{
	const uint8_t h[8] = { nxt, 0, 0x01, 0x04, 0, 0, 0, 0 };

	memcpy(b, h, 8);
}

static void test_real_100_header_chain(void **state)
{
	const size_t len = sizeof(real_ext100);
	uint8_t *b = heap_copy(real_ext100, len);
	struct pd_ipv6 ip;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(len, 858);
	assert_int_equal(pd_ipv6_decode(b, len, &ip, &e), PD_OK);
	assert_int_equal(ip.plen, 818);
	assert_int_equal(ip.hlim, 64);
	assert_int_equal(ip.tclass, 0);
	assert_int_equal(ip.flow, 0);
	assert_memory_equal(ip.src, addr1, 16);
	assert_memory_equal(ip.dst, addr2, 16);
	assert_int_equal(ip.n_ext, 100);
	assert_int_equal(ip.chain[0], 0);
	assert_int_equal(ip.chain[1], 43);
	for (int k = 0; k < 33; k++) {
		assert_int_equal(ip.chain[2 + 3 * k], 44);
		assert_int_equal(ip.chain[3 + 3 * k], 60);
		assert_int_equal(ip.chain[4 + 3 * k], k == 32 ? 17 : 43);
	}
	assert_int_equal(ip.proto, 17);
	assert_int_equal(ip.hdr_len, 840);
	/* The first of 33 atomic Fragment headers. */
	assert_true(ip.has_frag);
	assert_int_equal(ip.frag_ident, 1);
	assert_int_equal(ip.frag_off, 0);
	assert_false(ip.frag_more);
	assert_false(pd_ipv6_is_fragment(&ip));
	assert_int_equal(ip.tel, -1);
	assert_int_equal(ip.payload_len, 18);
	assert_false(ip.truncated);
	free(b);

	/* Cut anywhere in the chain: truncated, at the start of the 8-byte
	 * header that was cut.  Past the chain: decoded, payload short. */
	for (size_t n = 0; n < len; n++) {
		int rc;

		b = heap_copy(real_ext100, n);
		rc = pd_ipv6_decode(b, n, &ip, &e);
		if (n < 40) {
			assert_pd_error(rc, e, PD_ERR_TRUNCATED, 0);
		} else if (n < 840) {
			assert_pd_error(rc, e, PD_ERR_TRUNCATED, 40 + (n - 40) / 8 * 8);
		} else {
			assert_int_equal(rc, PD_OK);
			assert_int_equal(ip.payload_len, n - 840);
			assert_true(ip.truncated);
		}
		free(b);
	}
}

/* n destination options headers, then UDP. */
static uint8_t *dstopts_chain(size_t n, size_t *len)
{
	size_t total = 40 + 8 * n + 8;
	uint8_t *b = calloc(total, 1);

	assert_non_null(b);
	put_fixed(b, (uint16_t)(total - 40), n ? PD_IPPROTO_DSTOPTS : PD_IPPROTO_UDP);
	for (size_t i = 0; i < n; i++)
		put_padn_hdr(b + 40 + 8 * i, i + 1 < n ? PD_IPPROTO_DSTOPTS : PD_IPPROTO_UDP);
	*len = total;
	return b;
}

static void test_chain_limit(void **state)
{
	struct pd_ipv6 ip;
	struct pd_error e = { 0 };
	size_t len;
	uint8_t *b;
	int rc;

	(void)state;
	assert_int_equal(PD_IPV6_MAX_EXT, 128);
	b = dstopts_chain(PD_IPV6_MAX_EXT, &len);
	assert_int_equal(pd_ipv6_decode(b, len, &ip, &e), PD_OK);
	assert_int_equal(ip.n_ext, 128);
	assert_int_equal(ip.chain[128], PD_IPPROTO_UDP);
	assert_int_equal(ip.chain[127], PD_IPPROTO_DSTOPTS);
	assert_int_equal(ip.proto, PD_IPPROTO_UDP);
	assert_int_equal(ip.hdr_len, 40 + 8 * 128);
	assert_int_equal(ip.payload_len, 8);
	free(b);

	b = dstopts_chain(PD_IPV6_MAX_EXT + 1, &len);
	rc = pd_ipv6_decode(b, len, &ip, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 40 + 8 * 128);
	free(b);

	/* No extension header at all. */
	b = dstopts_chain(0, &len);
	assert_int_equal(pd_ipv6_decode(b, len, &ip, &e), PD_OK);
	assert_int_equal(ip.n_ext, 0);
	assert_int_equal(ip.chain[0], PD_IPPROTO_UDP);
	assert_int_equal(ip.proto, PD_IPPROTO_UDP);
	assert_int_equal(ip.hdr_len, 40);
	assert_int_equal(ip.tclass, 0xb8);
	assert_int_equal(ip.flow, 0x12345);
	assert_int_equal(ip.hlim, 64);
	free(b);
}

static void test_tel_option(void **state)
{
	/* What Linux ip6tnl (mode ipip6, default encaplimit 4) sends: next
	 * header 60, then 04 00 | 04 01 04 | 01 01 00 (TEL = 4, PadN). */
	uint8_t b[40 + 8 + 20] = { 0 };
	const uint8_t dst[8] = { 0x04, 0x00, 0x04, 0x01, 0x04, 0x01, 0x01, 0x00 };
	struct pd_ipv6 ip;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	put_fixed(b, 28, PD_IPPROTO_DSTOPTS);
	memcpy(b + 40, dst, 8);
	b[48] = 0x45;
	assert_int_equal(pd_ipv6_decode(b, sizeof(b), &ip, &e), PD_OK);
	assert_int_equal(ip.tel, 4);
	assert_int_equal(ip.n_ext, 1);
	assert_int_equal(ip.chain[0], 60);
	assert_int_equal(ip.chain[1], PD_IPPROTO_IPIP);
	assert_int_equal(ip.proto, PD_IPPROTO_IPIP);
	assert_int_equal(ip.hdr_len, 48);
	assert_int_equal(ip.payload_len, 20);

	/* TEL 0 is a value, not "absent". */
	b[44] = 0;
	assert_int_equal(pd_ipv6_decode(b, sizeof(b), &ip, &e), PD_OK);
	assert_int_equal(ip.tel, 0);

	/* Option length 2 instead of 1: malformed, at the option. */
	/* 04 02 04 00 | 00 | 00: TEL with two data bytes, then 2 x Pad1 */
	b[42] = 0x04; b[43] = 2; b[44] = 4; b[45] = 0; b[46] = 0; b[47] = 0;
	rc = pd_ipv6_decode(b, sizeof(b), &ip, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 42);

	/* Type 4 in a hop-by-hop header is not a TEL. */
	memcpy(b + 40, dst, 8);
	b[6] = PD_IPPROTO_HOPOPTS;
	assert_int_equal(pd_ipv6_decode(b, sizeof(b), &ip, &e), PD_OK);
	assert_int_equal(ip.tel, -1);
	assert_int_equal(ip.proto, PD_IPPROTO_IPIP);
}

static void test_tel_first_wins(void **state)
{
	/* dstopts (TEL 7) -> routing -> dstopts (TEL 2) -> TCP */
	uint8_t b[40 + 24 + 20] = { 0 };
	const uint8_t d1[8] = { 43, 0, 0x04, 0x01, 7, 0x00, 0x00, 0x00 };
	const uint8_t rt[8] = { 60, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t d2[8] = { 6, 0, 0x00, 0x04, 0x01, 2, 0x01, 0x00 };
	struct pd_ipv6 ip;
	struct pd_error e = { 0 };

	(void)state;
	put_fixed(b, 44, PD_IPPROTO_DSTOPTS);
	memcpy(b + 40, d1, 8);
	memcpy(b + 48, rt, 8);
	memcpy(b + 56, d2, 8);
	assert_int_equal(pd_ipv6_decode(b, sizeof(b), &ip, &e), PD_OK);
	assert_int_equal(ip.tel, 7);
	assert_int_equal(ip.n_ext, 3);
	assert_int_equal(ip.chain[1], 43);
	assert_int_equal(ip.chain[2], 60);
	assert_int_equal(ip.chain[3], 6);
	assert_int_equal(ip.proto, 6);
	assert_int_equal(ip.hdr_len, 64);
	assert_int_equal(ip.payload_len, 20);
}

static void test_option_bounds(void **state)
{
	uint8_t b[40 + 8 + 8] = { 0 };
	struct pd_ipv6 ip;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	put_fixed(b, 16, PD_IPPROTO_DSTOPTS);
	b[40] = PD_IPPROTO_UDP;
	/* Six Pad1: fine. */
	assert_int_equal(pd_ipv6_decode(b, sizeof(b), &ip, &e), PD_OK);
	assert_int_equal(ip.proto, PD_IPPROTO_UDP);
	/* PadN of 4 bytes data = exactly the header: fine. */
	b[42] = 1; b[43] = 4;
	assert_int_equal(pd_ipv6_decode(b, sizeof(b), &ip, &e), PD_OK);
	/* PadN of 5 runs one byte past the header. */
	b[43] = 5;
	rc = pd_ipv6_decode(b, sizeof(b), &ip, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 42);
	/* An option type in the last byte, its length byte missing. */
	b[42] = 0; b[43] = 0; b[47] = 0x1e;
	rc = pd_ipv6_decode(b, sizeof(b), &ip, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 47);
	/* An unknown option type with a fitting length is skipped. */
	b[47] = 0; b[42] = 0x3e; b[43] = 2;
	assert_int_equal(pd_ipv6_decode(b, sizeof(b), &ip, &e), PD_OK);
	assert_int_equal(ip.tel, -1);
}

static void test_real_dstopts(void **state)
{
	uint8_t *b = heap_copy(real_dstopts, sizeof(real_dstopts));
	struct pd_ipv6 ip;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_ipv6_decode(b, sizeof(real_dstopts), &ip, &e), PD_OK);
	assert_int_equal(ip.plen, 28);
	assert_int_equal(ip.n_ext, 1);
	assert_int_equal(ip.chain[0], 60);
	assert_int_equal(ip.chain[1], 6);
	assert_int_equal(ip.proto, 6);
	assert_int_equal(ip.tel, -1);
	assert_false(ip.has_frag);
	assert_int_equal(ip.hdr_len, 48);
	assert_int_equal(ip.payload_len, 20);
	free(b);
}

static void test_real_atomic_fragment(void **state)
{
	const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };
	uint8_t *b = heap_copy(real_atomic, sizeof(real_atomic));
	struct pd_ipv6 ip;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_ipv6_decode(b, sizeof(real_atomic), &ip, &e), PD_OK);
	assert_memory_equal(ip.src, src, 16);
	assert_int_equal(ip.plen, 28);
	assert_int_equal(ip.hlim, 64);
	assert_int_equal(ip.n_ext, 1);
	assert_int_equal(ip.chain[0], 44);
	assert_int_equal(ip.chain[1], 6);
	assert_int_equal(ip.proto, 6);
	assert_true(ip.has_frag);
	assert_int_equal(ip.frag_ident, 0);
	assert_int_equal(ip.frag_off, 0);
	assert_false(ip.frag_more);
	assert_false(pd_ipv6_is_fragment(&ip));  /* atomic: a whole packet */
	assert_int_equal(ip.hdr_len, 48);
	assert_int_equal(ip.payload_len, 20);
	assert_false(ip.truncated);
	free(b);
}

static void test_real_fragments(void **state)
{
	uint8_t *b = heap_copy(real_frag_first, sizeof(real_frag_first));
	struct pd_ipv6 ip;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_ipv6_decode(b, sizeof(real_frag_first), &ip, &e), PD_OK);
	assert_int_equal(ip.plen, 1440);
	assert_int_equal(ip.hlim, 53);
	assert_int_equal(ip.n_ext, 1);
	assert_int_equal(ip.proto, 17);
	assert_true(ip.has_frag);
	assert_int_equal(ip.frag_ident, 2);
	assert_int_equal(ip.frag_off, 0);
	assert_true(ip.frag_more);
	assert_true(pd_ipv6_is_fragment(&ip));
	assert_int_equal(ip.hdr_len, 48);
	assert_int_equal(ip.payload_len, 8);
	assert_true(ip.truncated);
	free(b);

	b = heap_copy(real_frag_last, sizeof(real_frag_last));
	assert_int_equal(pd_ipv6_decode(b, sizeof(real_frag_last), &ip, &e), PD_OK);
	assert_int_equal(ip.plen, 350);
	assert_int_equal(ip.n_ext, 1);
	assert_int_equal(ip.chain[1], 17);
	assert_int_equal(ip.proto, 17);
	assert_int_equal(ip.frag_ident, 1);
	assert_int_equal(ip.frag_off, 362);
	assert_false(ip.frag_more);
	assert_true(pd_ipv6_is_fragment(&ip));
	assert_int_equal(ip.hdr_len, 48);
	assert_int_equal(ip.payload_len, 18);
	free(b);
}

static void test_fragment_offset_stops_walk(void **state)
{
	/* Fragment header (next header 60, offset 1, M=1) followed by payload
	 * bytes that would be a destination options header claiming 2048
	 * bytes, far past the datagram.  They are data, not a header. */
	uint8_t b[40 + 8 + 16] = { 0 };
	const uint8_t frag[8] = { 60, 0, 0x00, 0x09, 0xde, 0xad, 0xbe, 0xef };
	struct pd_ipv6 ip;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	put_fixed(b, 24, PD_IPPROTO_FRAGMENT);
	memcpy(b + 40, frag, 8);
	b[48] = 0x11; b[49] = 0xff;
	assert_int_equal(pd_ipv6_decode(b, sizeof(b), &ip, &e), PD_OK);
	assert_int_equal(ip.n_ext, 1);
	assert_int_equal(ip.chain[1], 60);
	assert_int_equal(ip.proto, 60);
	assert_int_equal(ip.hdr_len, 48);
	assert_int_equal(ip.frag_off, 1);
	assert_true(ip.frag_more);
	assert_int_equal(ip.frag_ident, 0xdeadbeef);
	assert_true(pd_ipv6_is_fragment(&ip));
	assert_int_equal(ip.payload_len, 16);

	/* The same bytes with offset 0 (first fragment): the walk goes on,
	 * and the bogus header runs past the payload length. */
	b[43] = 0x01;
	rc = pd_ipv6_decode(b, sizeof(b), &ip, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 48);
}

static void test_real_fragment_replaces_atomic(void **state)
{
	/* atomic fragment (ident 5) -> dstopts -> fragment (ident 6, offset 3)
	 * -> data: the second one is what makes this a fragment. */
	uint8_t b[40 + 24 + 8] = { 0 };
	const uint8_t f1[8] = { 60, 0, 0, 0, 0, 0, 0, 5 };
	const uint8_t f2[8] = { 17, 0, 0x00, 0x18, 0, 0, 0, 6 };
	struct pd_ipv6 ip;
	struct pd_error e = { 0 };

	(void)state;
	put_fixed(b, 32, PD_IPPROTO_FRAGMENT);
	memcpy(b + 40, f1, 8);
	put_padn_hdr(b + 48, PD_IPPROTO_FRAGMENT);
	memcpy(b + 56, f2, 8);
	assert_int_equal(pd_ipv6_decode(b, sizeof(b), &ip, &e), PD_OK);
	assert_int_equal(ip.n_ext, 3);
	assert_int_equal(ip.proto, 17);
	assert_int_equal(ip.frag_ident, 6);
	assert_int_equal(ip.frag_off, 3);
	assert_false(ip.frag_more);
	assert_true(pd_ipv6_is_fragment(&ip));
	assert_int_equal(ip.hdr_len, 64);

	/* But a first fragment is kept over a later atomic one. */
	{
		const uint8_t g1[8] = { 60, 0, 0, 1, 0, 0, 0, 7 };      /* M=1 */
		const uint8_t g2[8] = { 17, 0, 0, 0, 0, 0, 0, 8 };      /* atomic */

		memcpy(b + 40, g1, 8);
		memcpy(b + 56, g2, 8);
		assert_int_equal(pd_ipv6_decode(b, sizeof(b), &ip, &e), PD_OK);
		assert_int_equal(ip.frag_ident, 7);
		assert_true(ip.frag_more);
	}
}

static void test_ah_and_other_ext(void **state)
{
	/* AH, Payload Len 4: (4 + 2) * 4 = 24 bytes (RFC 4302 2.2). */
	uint8_t b[40 + 24 + 16 + 8 + 8] = { 0 };
	struct pd_ipv6 ip;
	struct pd_error e = { 0 };

	(void)state;
	put_fixed(b, 56, PD_IPPROTO_AH);
	b[40] = 135;            /* -> mobility */
	b[41] = 4;
	b[64] = 139;            /* mobility, (1 + 1) * 8 = 16 -> HIP */
	b[65] = 1;
	b[80] = 140;            /* HIP, 8 -> shim6 */
	b[88] = PD_IPPROTO_NONE; /* shim6, 8 -> no next header */
	assert_int_equal(pd_ipv6_decode(b, sizeof(b), &ip, &e), PD_OK);
	assert_int_equal(ip.n_ext, 4);
	assert_int_equal(ip.chain[0], 51);
	assert_int_equal(ip.chain[1], 135);
	assert_int_equal(ip.chain[2], 139);
	assert_int_equal(ip.chain[3], 140);
	assert_int_equal(ip.chain[4], 59);
	assert_int_equal(ip.proto, PD_IPPROTO_NONE);
	assert_int_equal(ip.hdr_len, 96);
	assert_int_equal(ip.payload_len, 0);

	/* ESP ends the walk. */
	b[88] = PD_IPPROTO_ESP;
	assert_int_equal(pd_ipv6_decode(b, sizeof(b), &ip, &e), PD_OK);
	assert_int_equal(ip.proto, PD_IPPROTO_ESP);
	assert_int_equal(ip.n_ext, 4);

	assert_true(pd_ipv6_is_ext(0));
	assert_true(pd_ipv6_is_ext(43));
	assert_true(pd_ipv6_is_ext(44));
	assert_true(pd_ipv6_is_ext(51));
	assert_true(pd_ipv6_is_ext(60));
	assert_true(pd_ipv6_is_ext(135));
	assert_true(pd_ipv6_is_ext(139));
	assert_true(pd_ipv6_is_ext(140));
	assert_false(pd_ipv6_is_ext(4));
	assert_false(pd_ipv6_is_ext(6));
	assert_false(pd_ipv6_is_ext(17));
	assert_false(pd_ipv6_is_ext(41));
	assert_false(pd_ipv6_is_ext(50));
	assert_false(pd_ipv6_is_ext(58));
	assert_false(pd_ipv6_is_ext(59));
}

static void test_plen_bounds(void **state)
{
	uint8_t b[40 + 16 + 8] = { 0 };
	struct pd_ipv6 ip;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	/* dstopts of 16 bytes, but plen says 8: the header lies. */
	put_fixed(b, 8, PD_IPPROTO_DSTOPTS);
	b[40] = PD_IPPROTO_UDP;
	b[41] = 1;
	rc = pd_ipv6_decode(b, sizeof(b), &ip, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 40);
	/* plen 1: not even the length byte fits. */
	put_fixed(b, 1, PD_IPPROTO_DSTOPTS);
	rc = pd_ipv6_decode(b, sizeof(b), &ip, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 40);
	/* plen right, buffer short: truncated. */
	put_fixed(b, 24, PD_IPPROTO_DSTOPTS);
	rc = pd_ipv6_decode(b, 50, &ip, &e);
	assert_pd_error(rc, e, PD_ERR_TRUNCATED, 40);
	/* plen larger than the buffer, headers complete. */
	assert_int_equal(pd_ipv6_decode(b, 60, &ip, &e), PD_OK);
	assert_int_equal(ip.hdr_len, 56);
	assert_int_equal(ip.payload_len, 4);
	assert_true(ip.truncated);
	/* Trailing bytes past plen (link padding) are not payload. */
	put_fixed(b, 20, PD_IPPROTO_DSTOPTS);
	assert_int_equal(pd_ipv6_decode(b, sizeof(b), &ip, &e), PD_OK);
	assert_int_equal(ip.payload_len, 4);
	assert_false(ip.truncated);
}

static void test_jumbo(void **state)
{
	/* plen 0, hop-by-hop with Jumbo Payload 70000 (c2 04 00 01 11 70). */
	uint8_t b[40 + 8 + 8] = { 0 };
	const uint8_t hbh[8] = { 17, 0, 0xc2, 0x04, 0x00, 0x01, 0x11, 0x70 };
	struct pd_ipv6 ip;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	put_fixed(b, 0, PD_IPPROTO_HOPOPTS);
	memcpy(b + 40, hbh, 8);
	assert_int_equal(pd_ipv6_decode(b, sizeof(b), &ip, &e), PD_OK);
	assert_int_equal(ip.jumbo_len, 70000);
	assert_int_equal(ip.proto, 17);
	assert_int_equal(ip.hdr_len, 48);
	assert_int_equal(ip.payload_len, 8);
	assert_true(ip.truncated);
	/* plen 0 and no jumbo option: the hop-by-hop header lies. */
	b[42] = 0x01; b[43] = 0x04;
	rc = pd_ipv6_decode(b, sizeof(b), &ip, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 40);
	/* Jumbo option with the wrong length. */
	b[42] = 0xc2; b[43] = 0x03; b[47] = 0;
	rc = pd_ipv6_decode(b, sizeof(b), &ip, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 42);
}

/* Fuzzer finding (tests/fuzz/regress/ipv6-jumbo-second-hbh.bin): a Jumbo
 * option in a second hop-by-hop header changed the length after the walk
 * had bounded the datagram by the first one.  Only the first counts. */
static void test_jumbo_second_hbh_ignored(void **state)
{
	uint8_t b[40 + 8 + 8 + 32] = { 0 };
	/* First HBH: next is HBH again, Jumbo 88 = the whole buffer. */
	const uint8_t hbh1[8] = { 0, 0, 0xc2, 0x04, 0x00, 0x00, 0x00, 48 };
	/* Second HBH (not allowed there): next 59, Jumbo 16 must be ignored. */
	const uint8_t hbh2[8] = { 59, 0, 0xc2, 0x04, 0x00, 0x00, 0x00, 16 };
	struct pd_ipv6 ip;
	struct pd_error e = { 0 };

	(void)state;
	put_fixed(b, 0, PD_IPPROTO_HOPOPTS);
	memcpy(b + 40, hbh1, 8);
	memcpy(b + 48, hbh2, 8);
	assert_int_equal(pd_ipv6_decode(b, sizeof(b), &ip, &e), PD_OK);
	assert_int_equal(ip.jumbo_len, 48);
	assert_int_equal(ip.n_ext, 2);
	assert_int_equal(ip.proto, 59);
	assert_int_equal(ip.hdr_len, 56);
	assert_int_equal(ip.payload_len, 88 - 56);
	assert_false(ip.truncated);
}

/* Fuzzer finding (tests/fuzz/regress/dissect-ipv6-second-fragment-header.bin):
 * a first fragment's header (offset 0, M=1) followed by a Fragment header
 * with a non-zero offset.  The walk stops at the second, and the frag_*
 * fields must describe it, or callers decode fragment data as a header. */
static void test_second_fragment_header_wins(void **state)
{
	uint8_t b[40 + 8 + 8 + 8] = { 0 };
	/* Fragment: next 44, offset 0, M=1, ident 0x11111111. */
	const uint8_t f1[8] = { 44, 0, 0x00, 0x01, 0x11, 0x11, 0x11, 0x11 };
	/* Fragment: next 1 (ICMP), offset 1689 (0x699 << 3 = 0x34c8), M=0. */
	const uint8_t f2[8] = { 1, 0, 0x34, 0xc8, 0x22, 0x22, 0x22, 0x22 };
	struct pd_ipv6 ip;
	struct pd_error e = { 0 };

	(void)state;
	put_fixed(b, 24, PD_IPPROTO_FRAGMENT);
	memcpy(b + 40, f1, 8);
	memcpy(b + 48, f2, 8);
	assert_int_equal(pd_ipv6_decode(b, sizeof(b), &ip, &e), PD_OK);
	assert_int_equal(ip.n_ext, 2);
	assert_int_equal(ip.proto, 1);
	assert_int_equal(ip.hdr_len, 56);
	assert_true(ip.has_frag);
	assert_int_equal(ip.frag_off, 1689);
	assert_int_equal(ip.frag_ident, 0x22222222);
	assert_false(ip.frag_more);
	assert_true(pd_ipv6_is_fragment(&ip));
}

static void test_fixed_header_errors(void **state)
{
	uint8_t b[40] = { 0 };
	struct pd_ipv6 ip;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	put_fixed(b, 0, PD_IPPROTO_NONE);
	assert_int_equal(pd_ipv6_decode(b, 40, &ip, &e), PD_OK);
	assert_int_equal(ip.payload_len, 0);
	assert_false(ip.truncated);
	b[0] = 0x45;
	rc = pd_ipv6_decode(b, 40, &ip, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
	sweep_truncated(real_atomic, 40, struct pd_ipv6, pd_ipv6_decode(tb, tn, &to, &te));
	/* The atomic fragment cut inside its Fragment header. */
	for (size_t n = 40; n < 48; n++) {
		uint8_t *c = heap_copy(real_atomic, n);

		rc = pd_ipv6_decode(c, n, &ip, &e);
		assert_pd_error(rc, e, PD_ERR_TRUNCATED, 40);
		free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_100_header_chain),
		cmocka_unit_test(test_chain_limit),
		cmocka_unit_test(test_tel_option),
		cmocka_unit_test(test_tel_first_wins),
		cmocka_unit_test(test_option_bounds),
		cmocka_unit_test(test_real_dstopts),
		cmocka_unit_test(test_real_atomic_fragment),
		cmocka_unit_test(test_real_fragments),
		cmocka_unit_test(test_fragment_offset_stops_walk),
		cmocka_unit_test(test_real_fragment_replaces_atomic),
		cmocka_unit_test(test_ah_and_other_ext),
		cmocka_unit_test(test_plen_bounds),
		cmocka_unit_test(test_jumbo),
		cmocka_unit_test(test_jumbo_second_hbh_ignored),
		cmocka_unit_test(test_second_fragment_header_wins),
		cmocka_unit_test(test_fixed_header_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
