/* test_dissect.c - pd_dissect() on hand-built frames, one per path of the
 * walk (dissect.c): the layers found, where they start, the values the
 * frames were built with, every truncation of every frame (each run on a
 * heap copy of exactly the captured bytes, so ASan sees any over-read), and
 * the PD_MAX_LAYERS limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pathdiag/dissect.h>

/* ---- frames ------------------------------------------------------------ */

/* Byte arrays keep one header (or field group) a line. */
/* clang-format off */

#define MAC_A 0x02, 0x00, 0x00, 0x00, 0x00, 0x01
#define MAC_B 0x02, 0x00, 0x00, 0x00, 0x00, 0x02
#define V6_DB8(x) 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (x)

/* Ethernet / 802.1Q VID 100 / IPv4 / UDP 51820 -> 40000 / WireGuard data. */
static const uint8_t f_wg[] = {
	MAC_A, MAC_B, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00,
	/* IPv4 @18: total 76, id 0x1234, DF, TTL 64, UDP */
	0x45, 0x00, 0x00, 0x4c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
	192, 0, 2, 1, 192, 0, 2, 2,
	/* UDP @38: 51820 -> 40000, length 56 */
	0xca, 0x6c, 0x9c, 0x40, 0x00, 0x38, 0x00, 0x00,
	/* WireGuard @46: type 4, receiver 0x11223344, counter 7 (LE) */
	0x04, 0x00, 0x00, 0x00, 0x44, 0x33, 0x22, 0x11,
	0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* 16 bytes of ciphertext, 16 of tag */
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
	0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
	0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
};

/* ip6tnl (ipip6) as Linux sends it with the default encaplimit 4:
 * IPv6 / Destination Options (TEL 4, PadN) / IPv4 / TCP SYN, MSS 1400. */
static const uint8_t f_ip6tnl[] = {
	MAC_A, MAC_B, 0x86, 0xdd,
	/* IPv6 @14: payload 52, next header 60, hop limit 64 */
	0x60, 0x00, 0x00, 0x00, 0x00, 0x34, 60, 64, V6_DB8(1), V6_DB8(2),
	/* Destination Options @54: next 4, len 0, TEL=4, PadN(1) */
	0x04, 0x00, 0x04, 0x01, 0x04, 0x01, 0x01, 0x00,
	/* IPv4 @62: total 44, id 1, TTL 63, TCP, 10.0.0.1 -> 10.0.0.2 */
	0x45, 0x00, 0x00, 0x2c, 0x00, 0x01, 0x00, 0x00, 0x3f, 0x06, 0x00, 0x00,
	10, 0, 0, 1, 10, 0, 0, 2,
	/* TCP @82: 40000 -> 443, seq 1, data offset 6, SYN, MSS 1400 */
	0x9c, 0x40, 0x01, 0xbb, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x60, 0x02, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x02, 0x04, 0x05, 0x78,
};

/* gretap: IPv4 / GRE 0x6558 / Ethernet / IPv4 / ICMP echo request. */
static const uint8_t f_gretap[] = {
	MAC_A, MAC_B, 0x08, 0x00,
	/* IPv4 @14: total 70, GRE, 198.51.100.1 -> 198.51.100.2 */
	0x45, 0x00, 0x00, 0x46, 0x00, 0x02, 0x00, 0x00, 0x40, 0x2f, 0x00, 0x00,
	198, 51, 100, 1, 198, 51, 100, 2,
	/* GRE @34: no flags, version 0, protocol 0x6558 */
	0x00, 0x00, 0x65, 0x58,
	/* Ethernet @38 */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x08, 0x00,
	/* IPv4 @52: total 32, ICMP, 10.1.0.1 -> 10.1.0.2 */
	0x45, 0x00, 0x00, 0x20, 0x00, 0x03, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00,
	10, 1, 0, 1, 10, 1, 0, 2,
	/* ICMP @72: echo request id 0x42 seq 1, "ping" */
	0x08, 0x00, 0x00, 0x00, 0x00, 0x42, 0x00, 0x01, 'p', 'i', 'n', 'g',
};

/* IPv4 / UDP 50000 -> 4789 / VXLAN VNI 100 / Ethernet / IPv4 / UDP. */
static const uint8_t f_vxlan[] = {
	MAC_A, MAC_B, 0x08, 0x00,
	/* IPv4 @14: total 78, UDP, 203.0.113.1 -> 203.0.113.2 */
	0x45, 0x00, 0x00, 0x4e, 0x00, 0x04, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	203, 0, 113, 1, 203, 0, 113, 2,
	/* UDP @34: 50000 -> 4789, length 58 */
	0xc3, 0x50, 0x12, 0xb5, 0x00, 0x3a, 0x00, 0x00,
	/* VXLAN @42: I flag, VNI 100 */
	0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00,
	/* Ethernet @50 */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x08, 0x00,
	/* IPv4 @64: total 28, UDP, 10.2.0.1 -> 10.2.0.2 */
	0x45, 0x00, 0x00, 0x1c, 0x00, 0x05, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	10, 2, 0, 1, 10, 2, 0, 2,
	/* UDP @84: 1234 -> 5678, length 8 */
	0x04, 0xd2, 0x16, 0x2e, 0x00, 0x08, 0x00, 0x00,
};

/* ICMP fragmentation needed (MTU 1400) quoting IPv4 / the first 8 bytes
 * of TCP, the minimum RFC 792 asks for. */
static const uint8_t f_fragneeded[] = {
	MAC_A, MAC_B, 0x08, 0x00,
	/* IPv4 @14: total 56, ICMP, TTL 255, 192.0.2.254 -> 192.0.2.1 */
	0x45, 0x00, 0x00, 0x38, 0x00, 0x06, 0x00, 0x00, 0xff, 0x01, 0x00, 0x00,
	192, 0, 2, 254, 192, 0, 2, 1,
	/* ICMP @34: type 3 code 4, next-hop MTU 1400 */
	0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x05, 0x78,
	/* quoted IPv4 @42: total 1500, id 0xbeef, DF, TTL 63, TCP */
	0x45, 0x00, 0x05, 0xdc, 0xbe, 0xef, 0x40, 0x00, 0x3f, 0x06, 0x00, 0x00,
	192, 0, 2, 1, 198, 51, 100, 7,
	/* quoted TCP @62: 49152 -> 80, seq 0x01020304 */
	0xc0, 0x00, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04,
};

/* ICMPv6 Packet Too Big (MTU 1280) quoting IPv6 / UDP / 8 data bytes. */
static const uint8_t f_ptb[] = {
	MAC_A, MAC_B, 0x86, 0xdd,
	/* IPv6 @14: payload 64, ICMPv6, hop limit 255, 2001:db8::fe -> ::1 */
	0x60, 0x00, 0x00, 0x00, 0x00, 0x40, 58, 255, V6_DB8(0xfe), V6_DB8(1),
	/* ICMPv6 @54: type 2 code 0, MTU 1280 */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00,
	/* quoted IPv6 @62: payload 1440, UDP, hop limit 63, ::1 -> ::5 */
	0x60, 0x00, 0x00, 0x00, 0x05, 0xa0, 17, 63, V6_DB8(1), V6_DB8(5),
	/* quoted UDP @102: 5001 -> 5002, length 1440 */
	0x13, 0x89, 0x13, 0x8a, 0x05, 0xa0, 0x00, 0x00,
	1, 2, 3, 4, 5, 6, 7, 8,
};

/* IPv4 / GRE 0x8909 (key 40) / Cisco MetaData (SGT 16) / IPv4 / GRE
 * keepalive (protocol 0): the shape of a Cisco tunnel keepalive with
 * TrustSec tagging. */
static const uint8_t f_cmd[] = {
	MAC_A, MAC_B, 0x08, 0x00,
	/* IPv4 @14: total 64, GRE, 10.9.9.1 -> 10.9.9.2 */
	0x45, 0x00, 0x00, 0x40, 0x00, 0x07, 0x00, 0x00, 0xff, 0x2f, 0x00, 0x00,
	10, 9, 9, 1, 10, 9, 9, 2,
	/* GRE @34: K bit, protocol 0x8909, key 40 */
	0x20, 0x00, 0x89, 0x09, 0x00, 0x00, 0x00, 0x28,
	/* CMD @42: EtherType 0x0800, version 1, length 1, option 0x0001, SGT 16 */
	0x08, 0x00, 0x01, 0x01, 0x00, 0x01, 0x00, 0x10,
	/* IPv4 @50: total 28, GRE, 10.9.9.2 -> 10.9.9.1 */
	0x45, 0x00, 0x00, 0x1c, 0x00, 0x08, 0x00, 0x00, 0xff, 0x2f, 0x00, 0x00,
	10, 9, 9, 2, 10, 9, 9, 1,
	/* GRE @70: K bit, protocol 0 (keepalive), key 40 */
	0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28,
};

/* Ethernet EtherType 0x8909: CMD with the EtherType last, then IPv4/UDP. */
static const uint8_t f_cmd_eth[] = {
	MAC_A, MAC_B, 0x89, 0x09,
	/* CMD @14: version 1, length 1, option 0x0001, SGT 5, EtherType IPv4 */
	0x01, 0x01, 0x00, 0x01, 0x00, 0x05, 0x08, 0x00,
	/* IPv4 @22: total 28, UDP */
	0x45, 0x00, 0x00, 0x1c, 0x00, 0x09, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	10, 3, 0, 1, 10, 3, 0, 2,
	/* UDP @42: 7 -> 7, length 8 */
	0x00, 0x07, 0x00, 0x07, 0x00, 0x08, 0x00, 0x00,
};

/* PPTP: IPv4 / enhanced GRE (v1, K+S) / PPP (FF 03 0021) / IPv4 / UDP. */
static const uint8_t f_pptp[] = {
	MAC_A, MAC_B, 0x08, 0x00,
	/* IPv4 @14: total 64, GRE */
	0x45, 0x00, 0x00, 0x40, 0x00, 0x0a, 0x00, 0x00, 0x40, 0x2f, 0x00, 0x00,
	172, 16, 0, 1, 172, 16, 0, 2,
	/* GRE @34: K, S, version 1, protocol 0x880b, payload 32, call 7, seq 9 */
	0x30, 0x01, 0x88, 0x0b, 0x00, 0x20, 0x00, 0x07, 0x00, 0x00, 0x00, 0x09,
	/* PPP @46: address, control, protocol IPv4 */
	0xff, 0x03, 0x00, 0x21,
	/* IPv4 @50: total 28, UDP */
	0x45, 0x00, 0x00, 0x1c, 0x00, 0x0b, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	10, 4, 0, 1, 10, 4, 0, 2,
	/* UDP @70: 53 -> 53, length 8 */
	0x00, 0x35, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00,
};

/* A PPTP acknowledgement (K, A, version 1, payload length 0, ack 9) in a
 * 60-byte Ethernet frame: the padding after it is not a PPP payload. */
static const uint8_t f_pptp_ack[60] = {
	MAC_A, MAC_B, 0x08, 0x00,
	/* IPv4 @14: total 32, GRE */
	0x45, 0x00, 0x00, 0x20, 0x00, 0x0c, 0x00, 0x00, 0x40, 0x2f, 0x00, 0x00,
	172, 16, 0, 2, 172, 16, 0, 1,
	/* GRE @34 */
	0x20, 0x81, 0x88, 0x0b, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x09,
	/* 14 bytes of Ethernet padding (zero) follow */
};

/* The second fragment of a UDP datagram: offset 185 (1480 bytes). */
static const uint8_t f_frag2[] = {
	MAC_A, MAC_B, 0x08, 0x00,
	0x45, 0x00, 0x00, 0x24, 0xab, 0xcd, 0x00, 0xb9, 0x40, 0x11, 0x00, 0x00,
	192, 0, 2, 1, 192, 0, 2, 2,
	/* 16 payload bytes that happen to look like a UDP header */
	0x00, 0x35, 0x00, 0x35, 0x00, 0x10, 0x00, 0x00,
	0, 0, 0, 0, 0, 0, 0, 0,
};

/* The first fragment of the same datagram: MF, UDP header present. */
static const uint8_t f_frag1[] = {
	MAC_A, MAC_B, 0x08, 0x00,
	0x45, 0x00, 0x00, 0x24, 0xab, 0xcd, 0x20, 0x00, 0x40, 0x11, 0x00, 0x00,
	192, 0, 2, 1, 192, 0, 2, 2,
	/* UDP: 53 -> 53, length 1496 (the whole datagram) */
	0x00, 0x35, 0x00, 0x35, 0x05, 0xd8, 0x00, 0x00,
	0, 0, 0, 0, 0, 0, 0, 0,
};

/* IPv6 next header 4 whose "IPv4" header says version 5. */
static const uint8_t f_badver[] = {
	MAC_A, MAC_B, 0x86, 0xdd,
	0x60, 0x00, 0x00, 0x00, 0x00, 0x14, 4, 64, V6_DB8(1), V6_DB8(2),
	0x55, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00,
	10, 0, 0, 1, 10, 0, 0, 2,
};

/* 802.3 length field + LLC (spanning tree): nothing we decode follows. */
static const uint8_t f_llc[14 + 38] = {
	0x01, 0x80, 0xc2, 0x00, 0x00, 0x00, MAC_B, 0x00, 0x26,
	0x42, 0x42, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* clang-format on */

/* ---- helpers ------------------------------------------------------------ */

/* Dissect a heap copy of exactly len bytes as an Ethernet frame of wire
 * length wirelen. */
static int dissect_copy(const uint8_t *frame, size_t len, size_t wirelen,
			const struct pd_dissect_opts *opts, struct pd_packet *pkt)
{
	uint8_t *b = malloc(len ? len : 1);
	int rc;

	assert_non_null(b);
	memcpy(b, frame, len);
	rc = pd_dissect(PD_LINKTYPE_ETHERNET, b, len, wirelen, opts, pkt);
	free(b);
	return rc;
}

static int dissect(const uint8_t *frame, size_t len, const struct pd_dissect_opts *opts,
		   struct pd_packet *pkt)
{
	return dissect_copy(frame, len, len, opts, pkt);
}

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Assert the layer kinds and start offsets, outermost first. */
static void expect_layers(const struct pd_packet *pkt, const enum pd_layer_kind *kinds,
			  const unsigned *offs, unsigned n)
{
	if (pkt->nlayers != n)
		fail_msg("%u layers, want %u", pkt->nlayers, n);
	for (unsigned i = 0; i < n; i++) {
		if (pkt->layers[i].kind != kinds[i] || pkt->layers[i].off != offs[i])
			fail_msg("layer %u: %s at %u, want %s at %u", i,
				 pd_layer_name(pkt->layers[i].kind), pkt->layers[i].off,
				 pd_layer_name(kinds[i]), offs[i]);
	}
}

#define EXPECT_LAYERS(pkt, kinds, offs)                                       \
	do {                                                                  \
		_Static_assert(ARRAY_LEN(kinds) == ARRAY_LEN(offs), "lists"); \
		expect_layers((pkt), (kinds), (offs), ARRAY_LEN(kinds));      \
	} while (0)

/* ---- one test per path ---------------------------------------------------- */

static void test_vlan_ipv4_udp_wireguard(void **state)
{
	static const enum pd_layer_kind kinds[] = { PD_LAYER_LINK, PD_LAYER_IPV4, PD_LAYER_UDP,
						    PD_LAYER_WG };
	static const unsigned offs[] = { 0, 18, 38, 46 };
	struct pd_dissect_opts no_wg = { .no_wg_heuristic = true };
	struct pd_packet pkt;
	const struct pd_layer *l;

	(void)state;
	assert_int_equal(dissect(f_wg, sizeof(f_wg), NULL, &pkt), 0);
	EXPECT_LAYERS(&pkt, kinds, offs);
	assert_int_equal(pkt.err.code, 0);
	assert_int_equal(pkt.caplen, sizeof(f_wg));
	assert_int_equal(pkt.wirelen, sizeof(f_wg));
	l = &pkt.layers[0];
	assert_int_equal(l->u.link.nvlan, 1);
	assert_int_equal(l->u.link.vlan_id[0], 100);
	assert_int_equal(l->u.link.ethertype, 0x0800);
	assert_int_equal(l->len, sizeof(f_wg));
	assert_int_equal(pkt.layers[1].u.ip4.id, 0x1234);
	assert_true(pkt.layers[1].u.ip4.df);
	assert_int_equal(pkt.layers[1].len, 76);
	assert_int_equal(pkt.layers[2].u.udp.sport, 51820);
	assert_int_equal(pkt.layers[2].u.udp.dport, 40000);
	assert_int_equal(pkt.layers[2].len, 56);
	l = &pkt.layers[3];
	assert_int_equal(l->u.wg.type, PD_WG_DATA);
	assert_int_equal(l->u.wg.receiver, 0x11223344);
	assert_int_equal(l->u.wg.counter, 7);
	assert_int_equal(l->len, 48);
	for (unsigned i = 0; i < pkt.nlayers; i++)
		assert_false(pkt.layers[i].quoted);

	/* The heuristic switched off: the payload stays undecoded, no error. */
	assert_int_equal(dissect(f_wg, sizeof(f_wg), &no_wg, &pkt), 0);
	assert_int_equal(pkt.nlayers, 3);
	assert_int_equal(pd_packet_find(&pkt, PD_LAYER_WG, 0), -1);

	/* A longer wire length (snaplen) is recorded, not an error. */
	assert_int_equal(dissect_copy(f_wg, sizeof(f_wg), 1514, NULL, &pkt), 0);
	assert_int_equal(pkt.wirelen, 1514);
}

static void test_ip6tnl_dstopts_tel(void **state)
{
	static const enum pd_layer_kind kinds[] = { PD_LAYER_LINK, PD_LAYER_IPV6, PD_LAYER_IPV4,
						    PD_LAYER_TCP };
	static const unsigned offs[] = { 0, 14, 62, 82 };
	struct pd_packet pkt;
	const struct pd_ipv6 *ip6;
	const struct pd_tcp *tcp;

	(void)state;
	assert_int_equal(dissect(f_ip6tnl, sizeof(f_ip6tnl), NULL, &pkt), 0);
	EXPECT_LAYERS(&pkt, kinds, offs);
	ip6 = &pkt.layers[1].u.ip6;
	assert_int_equal(ip6->chain[0], PD_IPPROTO_DSTOPTS);
	assert_int_equal(ip6->n_ext, 1);
	assert_int_equal(ip6->proto, PD_IPPROTO_IPIP);
	assert_int_equal(ip6->tel, 4);
	assert_int_equal(ip6->hdr_len, 48);
	assert_int_equal(pkt.layers[1].len, 40 + 52);
	assert_int_equal(pkt.layers[2].u.ip4.ttl, 63);
	assert_int_equal(pkt.layers[2].len, 44);
	tcp = &pkt.layers[3].u.tcp;
	assert_int_equal(tcp->sport, 40000);
	assert_int_equal(tcp->dport, 443);
	assert_int_equal(tcp->flags, PD_TCP_SYN);
	assert_true(tcp->has_mss);
	assert_int_equal(tcp->mss, 1400);
	assert_int_equal(pkt.layers[3].len, 24);
}

static void test_gretap_icmp(void **state)
{
	static const enum pd_layer_kind kinds[] = { PD_LAYER_LINK, PD_LAYER_IPV4, PD_LAYER_GRE,
						    PD_LAYER_LINK, PD_LAYER_IPV4, PD_LAYER_ICMP };
	static const unsigned offs[] = { 0, 14, 34, 38, 52, 72 };
	struct pd_packet pkt;

	(void)state;
	assert_int_equal(dissect(f_gretap, sizeof(f_gretap), NULL, &pkt), 0);
	EXPECT_LAYERS(&pkt, kinds, offs);
	assert_int_equal(pkt.layers[2].u.gre.proto, PD_ETHERTYPE_TEB);
	assert_int_equal(pkt.layers[3].u.link.ethertype, PD_ETHERTYPE_IPV4);
	assert_int_equal(pkt.layers[3].u.link.src[5], 0x0b);
	assert_int_equal(pkt.layers[3].len, 14 + 32);
	assert_int_equal(pkt.layers[4].u.ip4.src[3], 1);
	assert_int_equal(pkt.layers[5].u.icmp.type, PD_ICMP4_ECHO_REQUEST);
	assert_true(pkt.layers[5].u.icmp.is_echo);
	assert_int_equal(pkt.layers[5].u.icmp.echo_id, 0x42);
	assert_false(pkt.layers[5].u.icmp.is_error);
	assert_int_equal(pd_packet_find(&pkt, PD_LAYER_IPV4, 0), 1);
	assert_int_equal(pd_packet_find(&pkt, PD_LAYER_IPV4, 2), 4);
	assert_int_equal(pd_packet_find(&pkt, PD_LAYER_LINK, 1), 3);
	assert_int_equal(pd_packet_find(&pkt, PD_LAYER_UDP, 0), -1);
	assert_int_equal(pd_packet_find(&pkt, PD_LAYER_ICMP, 6), -1);
}

static void test_vxlan(void **state)
{
	static const enum pd_layer_kind kinds[] = { PD_LAYER_LINK,  PD_LAYER_IPV4, PD_LAYER_UDP,
						    PD_LAYER_VXLAN, PD_LAYER_LINK, PD_LAYER_IPV4,
						    PD_LAYER_UDP };
	static const unsigned offs[] = { 0, 14, 34, 42, 50, 64, 84 };
	struct pd_dissect_opts other_port = { .vxlan_port = 8472 };
	struct pd_packet pkt;

	(void)state;
	assert_int_equal(dissect(f_vxlan, sizeof(f_vxlan), NULL, &pkt), 0);
	EXPECT_LAYERS(&pkt, kinds, offs);
	assert_true(pkt.layers[3].u.vxlan.vni_valid);
	assert_int_equal(pkt.layers[3].u.vxlan.vni, 100);
	assert_int_equal(pkt.layers[6].u.udp.sport, 1234);
	assert_int_equal(pkt.layers[6].u.udp.dport, 5678);

	/* Another VXLAN port replaces 4789: now the payload is just UDP data. */
	assert_int_equal(dissect(f_vxlan, sizeof(f_vxlan), &other_port, &pkt), 0);
	assert_int_equal(pkt.nlayers, 3);
	assert_int_equal(pkt.layers[2].kind, PD_LAYER_UDP);
}

static void test_fragneeded_quotes_ipv4_tcp8(void **state)
{
	static const enum pd_layer_kind kinds[] = { PD_LAYER_LINK, PD_LAYER_IPV4, PD_LAYER_ICMP,
						    PD_LAYER_IPV4, PD_LAYER_TCP };
	static const unsigned offs[] = { 0, 14, 34, 42, 62 };
	static const bool quoted[] = { false, false, false, true, true };
	struct pd_packet pkt;
	const struct pd_icmp *icmp;
	const struct pd_ipv4 *q;

	(void)state;
	assert_int_equal(dissect(f_fragneeded, sizeof(f_fragneeded), NULL, &pkt), 0);
	EXPECT_LAYERS(&pkt, kinds, offs);
	for (unsigned i = 0; i < pkt.nlayers; i++)
		assert_int_equal(pkt.layers[i].quoted, quoted[i]);
	icmp = &pkt.layers[2].u.icmp;
	assert_int_equal(icmp->type, PD_ICMP4_DEST_UNREACH);
	assert_int_equal(icmp->code, PD_ICMP4_CODE_FRAG_NEEDED);
	assert_true(icmp->is_error);
	assert_true(icmp->has_mtu);
	assert_int_equal(icmp->mtu, 1400);
	q = &pkt.layers[3].u.ip4;
	assert_int_equal(q->total_len, 1500);
	assert_int_equal(q->id, 0xbeef);
	assert_true(q->df);
	assert_true(q->truncated);
	assert_int_equal(q->src[0], 192);
	assert_int_equal(q->dst[3], 7);
	assert_int_equal(pkt.layers[3].len, 28);
	assert_int_equal(pkt.layers[4].u.tcp.sport, 49152);
	assert_int_equal(pkt.layers[4].u.tcp.dport, 80);
	assert_int_equal(pkt.layers[4].u.tcp.seq, 0x01020304);
	assert_int_equal(pkt.layers[4].u.tcp.hdr_present, 8);
	assert_int_equal(pkt.layers[4].len, 8);
}

static void test_ptb_quotes_ipv6_udp(void **state)
{
	static const enum pd_layer_kind kinds[] = { PD_LAYER_LINK, PD_LAYER_IPV6, PD_LAYER_ICMP,
						    PD_LAYER_IPV6, PD_LAYER_UDP };
	static const unsigned offs[] = { 0, 14, 54, 62, 102 };
	struct pd_packet pkt;
	const struct pd_ipv6 *q;

	(void)state;
	assert_int_equal(dissect(f_ptb, sizeof(f_ptb), NULL, &pkt), 0);
	EXPECT_LAYERS(&pkt, kinds, offs);
	assert_false(pkt.layers[2].quoted);
	assert_true(pkt.layers[3].quoted);
	assert_true(pkt.layers[4].quoted);
	assert_int_equal(pkt.layers[2].u.icmp.family, 6);
	assert_int_equal(pkt.layers[2].u.icmp.type, PD_ICMP6_PACKET_TOO_BIG);
	assert_int_equal(pkt.layers[2].u.icmp.mtu, 1280);
	q = &pkt.layers[3].u.ip6;
	assert_int_equal(q->plen, 1440);
	assert_int_equal(q->hlim, 63);
	assert_int_equal(q->dst[15], 5);
	assert_true(q->truncated);
	assert_int_equal(pkt.layers[4].u.udp.sport, 5001);
	assert_int_equal(pkt.layers[4].u.udp.dport, 5002);
	assert_int_equal(pkt.layers[4].u.udp.length, 1440);
	assert_int_equal(pkt.layers[4].u.udp.payload_len, 8);
}

static void test_gre_cmd_keepalive(void **state)
{
	static const enum pd_layer_kind kinds[] = { PD_LAYER_LINK, PD_LAYER_IPV4, PD_LAYER_GRE,
						    PD_LAYER_CMD,  PD_LAYER_IPV4, PD_LAYER_GRE };
	static const unsigned offs[] = { 0, 14, 34, 42, 50, 70 };
	static const enum pd_layer_kind kinds_eth[] = { PD_LAYER_LINK, PD_LAYER_CMD, PD_LAYER_IPV4,
							PD_LAYER_UDP };
	static const unsigned offs_eth[] = { 0, 14, 22, 42 };
	struct pd_packet pkt;

	(void)state;
	assert_int_equal(dissect(f_cmd, sizeof(f_cmd), NULL, &pkt), 0);
	EXPECT_LAYERS(&pkt, kinds, offs);
	assert_int_equal(pkt.layers[2].u.gre.proto, PD_ETHERTYPE_CMD);
	assert_int_equal(pkt.layers[2].u.gre.key, 40);
	assert_int_equal(pkt.layers[3].u.cmd_proto, PD_ETHERTYPE_IPV4);
	assert_int_equal(pkt.layers[4].u.ip4.src[3], 2);
	assert_int_equal(pkt.layers[5].u.gre.proto, 0);

	assert_int_equal(dissect(f_cmd_eth, sizeof(f_cmd_eth), NULL, &pkt), 0);
	EXPECT_LAYERS(&pkt, kinds_eth, offs_eth);
	assert_int_equal(pkt.layers[0].u.link.ethertype, PD_ETHERTYPE_CMD);
	assert_int_equal(pkt.layers[1].u.cmd_proto, PD_ETHERTYPE_IPV4);
	assert_int_equal(pkt.layers[3].u.udp.dport, 7);
}

static void test_pptp_ppp(void **state)
{
	static const enum pd_layer_kind kinds[] = { PD_LAYER_LINK, PD_LAYER_IPV4, PD_LAYER_GRE,
						    PD_LAYER_PPP,  PD_LAYER_IPV4, PD_LAYER_UDP };
	static const unsigned offs[] = { 0, 14, 34, 46, 50, 70 };
	struct pd_packet pkt;

	(void)state;
	assert_int_equal(dissect(f_pptp, sizeof(f_pptp), NULL, &pkt), 0);
	EXPECT_LAYERS(&pkt, kinds, offs);
	assert_int_equal(pkt.layers[2].u.gre.version, 1);
	assert_int_equal(pkt.layers[2].u.gre.seq, 9);
	assert_int_equal(pkt.layers[3].u.ppp.proto, 0x0021);
	assert_int_equal(pkt.layers[5].u.udp.sport, 53);

	assert_int_equal(dissect(f_pptp_ack, sizeof(f_pptp_ack), NULL, &pkt), 0);
	assert_int_equal(pkt.nlayers, 3);
	assert_int_equal(pkt.layers[2].kind, PD_LAYER_GRE);
	assert_true(pkt.layers[2].u.gre.has_ack);
	assert_int_equal(pkt.layers[2].u.gre.ack, 9);
	assert_int_equal(pkt.layers[2].len, 12);
}

static void test_fragments(void **state)
{
	static const enum pd_layer_kind kinds2[] = { PD_LAYER_LINK, PD_LAYER_IPV4 };
	static const unsigned offs2[] = { 0, 14 };
	static const enum pd_layer_kind kinds1[] = { PD_LAYER_LINK, PD_LAYER_IPV4, PD_LAYER_UDP };
	static const unsigned offs1[] = { 0, 14, 34 };
	struct pd_packet pkt;

	(void)state;
	/* A later fragment: payload bytes, no header to decode. */
	assert_int_equal(dissect(f_frag2, sizeof(f_frag2), NULL, &pkt), 0);
	EXPECT_LAYERS(&pkt, kinds2, offs2);
	assert_int_equal(pkt.layers[1].u.ip4.frag_off, 185);

	/* The first fragment: its transport header is decoded. */
	assert_int_equal(dissect(f_frag1, sizeof(f_frag1), NULL, &pkt), 0);
	EXPECT_LAYERS(&pkt, kinds1, offs1);
	assert_true(pkt.layers[1].u.ip4.mf);
	assert_int_equal(pkt.layers[2].u.udp.length, 1496);
	assert_int_equal(pkt.layers[2].u.udp.payload_len, 8);
	/* The capture cut it inside the UDP header: truncated. */
	assert_int_equal(dissect_copy(f_frag1, 38, sizeof(f_frag1), NULL, &pkt), PD_ERR_TRUNCATED);
	assert_int_equal(pkt.nlayers, 2);
	assert_true(pkt.err.offset >= 34 && pkt.err.offset <= 38);

	/* The fragment itself ends inside the UDP header (total length 24, 4
	 * bytes of UDP), captured whole: a first fragment may, no error. */
	{
		uint8_t tiny[38];

		memcpy(tiny, f_frag1, sizeof(tiny));
		tiny[17] = 24;
		assert_int_equal(dissect(tiny, sizeof(tiny), NULL, &pkt), 0);
		assert_int_equal(pkt.nlayers, 2);
		assert_int_equal(pkt.layers[1].len, 24);
	}
}

static void test_not_decoded_is_not_an_error(void **state)
{
	struct pd_packet pkt;
	uint8_t arp[42] = { MAC_A, MAC_B, 0x08, 0x06 };

	(void)state;
	assert_int_equal(dissect(f_llc, sizeof(f_llc), NULL, &pkt), 0);
	assert_int_equal(pkt.nlayers, 1);
	assert_int_equal(pkt.layers[0].u.link.ethertype, 0);
	assert_int_equal(dissect(arp, sizeof(arp), NULL, &pkt), 0);
	assert_int_equal(pkt.nlayers, 1);
	assert_int_equal(pkt.layers[0].u.link.ethertype, PD_ETHERTYPE_ARP);
}

static void test_bad_inner_version(void **state)
{
	struct pd_packet pkt;

	(void)state;
	assert_int_equal(dissect(f_badver, sizeof(f_badver), NULL, &pkt), PD_ERR_MALFORMED);
	assert_int_equal(pkt.err.code, PD_ERR_MALFORMED);
	assert_int_equal(pkt.err.offset, 54); /* the inner header, frame-relative */
	assert_non_null(pkt.err.what);
	/* The layers before it stay. */
	assert_int_equal(pkt.nlayers, 2);
	assert_int_equal(pkt.layers[1].kind, PD_LAYER_IPV6);
	assert_int_equal(pkt.layers[1].u.ip6.proto, PD_IPPROTO_IPIP);
}

/* ---- truncation ------------------------------------------------------------ */

struct fixture {
	const char *name;
	const uint8_t *frame;
	size_t len;
	/* From this captured length on, every cut is inside a quote or an
	 * undecoded payload, where ending early is normal: no error. */
	size_t quiet_from;
};

static const struct fixture fixtures[] = {
	{ "wg", f_wg, sizeof(f_wg), 46 },
	/* TCP options cut short are flagged in opts_truncated, not an error */
	{ "ip6tnl", f_ip6tnl, sizeof(f_ip6tnl), 102 },
	{ "gretap", f_gretap, sizeof(f_gretap), 80 }, /* echo data from 80 */
	{ "vxlan", f_vxlan, sizeof(f_vxlan), sizeof(f_vxlan) },
	{ "fragneeded", f_fragneeded, sizeof(f_fragneeded), 42 },
	{ "ptb", f_ptb, sizeof(f_ptb), 62 },
	{ "cmd", f_cmd, sizeof(f_cmd), sizeof(f_cmd) },
	{ "cmd_eth", f_cmd_eth, sizeof(f_cmd_eth), sizeof(f_cmd_eth) },
	{ "pptp", f_pptp, sizeof(f_pptp), sizeof(f_pptp) },
	{ "pptp_ack", f_pptp_ack, sizeof(f_pptp_ack), 46 },
	{ "frag1", f_frag1, sizeof(f_frag1), 42 },
	{ "frag2", f_frag2, sizeof(f_frag2), 34 },
};

static void test_truncated_every_length(void **state)
{
	(void)state;
	for (size_t f = 0; f < ARRAY_LEN(fixtures); f++) {
		const struct fixture *fx = &fixtures[f];
		struct pd_packet full;

		assert_int_equal(dissect(fx->frame, fx->len, NULL, &full), 0);
		for (size_t n = 0; n < fx->len; n++) {
			struct pd_packet pkt;
			int rc = dissect_copy(fx->frame, n, fx->len, NULL, &pkt);
			size_t last_start = 0;

			if (rc != pkt.err.code)
				fail_msg("%s cut at %zu: rc %d, err.code %d", fx->name, n, rc,
					 pkt.err.code);
			assert_true(pkt.nlayers <= full.nlayers);
			for (unsigned i = 0; i < pkt.nlayers; i++) {
				const struct pd_layer *l = &pkt.layers[i];

				/* Same layers as the whole frame, where found. */
				assert_int_equal(l->kind, full.layers[i].kind);
				assert_int_equal(l->off, full.layers[i].off);
				if ((size_t)l->off + l->len > n)
					fail_msg("%s cut at %zu: %s at %u, len %u", fx->name, n,
						 pd_layer_name(l->kind), l->off, l->len);
				last_start = l->off;
			}
			if (n >= fx->quiet_from) {
				if (rc != 0)
					fail_msg("%s cut at %zu: %s at %zu (%s), want no error",
						 fx->name, n, pd_status_name(rc), pkt.err.offset,
						 pkt.err.what);
				continue;
			}
			/* Cut inside a header we must decode: truncated, at an
			 * offset inside what was captured and at or after the
			 * start of the last layer decoded. */
			if (rc != PD_ERR_TRUNCATED)
				fail_msg("%s cut at %zu: rc %d, want truncated", fx->name, n, rc);
			assert_non_null(pkt.err.what);
			assert_true(pkt.err.offset <= n);
			assert_true(pkt.err.offset >= last_start);
			assert_true(pkt.nlayers < full.nlayers);
		}
	}
}

/* ---- nesting ---------------------------------------------------------------- */

/* Ethernet and `depth` IPv4 headers, each carrying the next (protocol 4);
 * the innermost carries protocol 253 (RFC 3692 experimentation) and no
 * payload. */
static size_t build_nested(uint8_t *buf, size_t cap, unsigned depth)
{
	static const uint8_t eth[14] = { MAC_A, MAC_B, 0x08, 0x00 };
	size_t len = sizeof(eth) + 20 * (size_t)depth;

	assert_true(len <= cap);
	memcpy(buf, eth, sizeof(eth));
	for (unsigned i = 0; i < depth; i++) {
		uint8_t *h = buf + sizeof(eth) + 20 * (size_t)i;
		unsigned total = 20 * (depth - i);

		memset(h, 0, 20);
		h[0] = 0x45;
		h[2] = (uint8_t)(total >> 8);
		h[3] = (uint8_t)total;
		h[8] = 64;
		h[9] = i + 1 < depth ? PD_IPPROTO_IPIP : 253;
		h[12] = 10;
		h[15] = (uint8_t)(i + 1);
		h[16] = 10;
		h[19] = (uint8_t)(i + 100);
	}
	return len;
}

static void test_nesting_limit(void **state)
{
	uint8_t buf[14 + 20 * 24];
	struct pd_packet pkt;
	size_t len;

	(void)state;
	/* Exactly PD_MAX_LAYERS layers: link + 15 IPv4. */
	len = build_nested(buf, sizeof(buf), PD_MAX_LAYERS - 1);
	assert_int_equal(dissect(buf, len, NULL, &pkt), 0);
	assert_int_equal(pkt.nlayers, PD_MAX_LAYERS);
	assert_int_equal(pkt.layers[PD_MAX_LAYERS - 1].u.ip4.proto, 253);

	/* One more IPv4 header: the 17th layer does not fit. */
	len = build_nested(buf, sizeof(buf), PD_MAX_LAYERS);
	assert_int_equal(dissect(buf, len, NULL, &pkt), PD_ERR_UNSUPPORTED);
	assert_int_equal(pkt.nlayers, PD_MAX_LAYERS);
	assert_int_equal(pkt.err.code, PD_ERR_UNSUPPORTED);
	assert_int_equal(pkt.err.offset, 14 + 20 * (PD_MAX_LAYERS - 1));
	assert_non_null(pkt.err.what);
	for (unsigned i = 1; i < PD_MAX_LAYERS; i++)
		assert_int_equal(pkt.layers[i].u.ip4.src[3], i);

	/* Far deeper: the same answer, no crash. */
	len = build_nested(buf, sizeof(buf), 24);
	assert_int_equal(dissect(buf, len, NULL, &pkt), PD_ERR_UNSUPPORTED);
	assert_int_equal(pkt.nlayers, PD_MAX_LAYERS);
}

/* ---- API edges ------------------------------------------------------------------ */

static void test_api_edges(void **state)
{
	struct pd_packet pkt;

	(void)state;
	assert_int_equal(pd_dissect(PD_LINKTYPE_ETHERNET, f_wg, sizeof(f_wg), sizeof(f_wg), NULL,
				    NULL),
			 PD_ERR_INVAL);
	assert_int_equal(pd_dissect(PD_LINKTYPE_ETHERNET, NULL, 10, 10, NULL, &pkt), PD_ERR_INVAL);
	assert_int_equal(pkt.nlayers, 0);
	/* An empty frame is a truncated link header. */
	assert_int_equal(pd_dissect(PD_LINKTYPE_ETHERNET, NULL, 0, 0, NULL, &pkt),
			 PD_ERR_TRUNCATED);
	assert_int_equal(pkt.err.offset, 0);
	/* An unknown link type. */
	assert_int_equal(pd_dissect(4242, f_wg, sizeof(f_wg), sizeof(f_wg), NULL, &pkt),
			 PD_ERR_UNSUPPORTED);
	assert_int_equal(pkt.nlayers, 0);
	/* Raw IP: the walk starts at the IP header. */
	assert_int_equal(pd_dissect(PD_LINKTYPE_RAW, f_wg + 18, sizeof(f_wg) - 18,
				    sizeof(f_wg) - 18, NULL, &pkt),
			 0);
	assert_int_equal(pkt.nlayers, 4);
	assert_int_equal(pkt.layers[1].off, 0);
	assert_int_equal(pkt.layers[3].kind, PD_LAYER_WG);

	assert_int_equal(pd_packet_find(NULL, PD_LAYER_LINK, 0), -1);
	assert_string_equal(pd_layer_name(PD_LAYER_LINK), "link");
	assert_string_equal(pd_layer_name(PD_LAYER_IPV4), "ipv4");
	assert_string_equal(pd_layer_name(PD_LAYER_IPV6), "ipv6");
	assert_string_equal(pd_layer_name(PD_LAYER_ICMP), "icmp");
	assert_string_equal(pd_layer_name(PD_LAYER_UDP), "udp");
	assert_string_equal(pd_layer_name(PD_LAYER_TCP), "tcp");
	assert_string_equal(pd_layer_name(PD_LAYER_WG), "wg");
	assert_string_equal(pd_layer_name(PD_LAYER_GRE), "gre");
	assert_string_equal(pd_layer_name(PD_LAYER_VXLAN), "vxlan");
	assert_string_equal(pd_layer_name(PD_LAYER_PPP), "ppp");
	assert_string_equal(pd_layer_name(PD_LAYER_CMD), "cmd");
	assert_string_equal(pd_layer_name((enum pd_layer_kind)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vlan_ipv4_udp_wireguard),
		cmocka_unit_test(test_ip6tnl_dstopts_tel),
		cmocka_unit_test(test_gretap_icmp),
		cmocka_unit_test(test_vxlan),
		cmocka_unit_test(test_fragneeded_quotes_ipv4_tcp8),
		cmocka_unit_test(test_ptb_quotes_ipv6_udp),
		cmocka_unit_test(test_gre_cmd_keepalive),
		cmocka_unit_test(test_pptp_ppp),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_not_decoded_is_not_an_error),
		cmocka_unit_test(test_bad_inner_version),
		cmocka_unit_test(test_truncated_every_length),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_api_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
