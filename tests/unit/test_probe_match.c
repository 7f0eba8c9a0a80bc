/* test_probe_match.c - the prober's pure half (lib/src/probe_match.c,
 * lib/src/sockerr.c): the probe token, the probe window, and the matching of
 * received ICMP errors, echo replies, TCP answers and error-queue entries to
 * our probes (RFC 792, RFC 1191, RFC 4443, RFC 8201, RFC 9293 3.10.7).
 *
 * Packets are built with the library's encoders (or by hand where the
 * encoders refuse: redirects, empty quotes), as a router would send them
 * about a probe built here from its wire fields; then one field at a time
 * is forged.  Expected verdicts and values come from what was built.  One
 * real router message: zeek-smtp.pcap frame 26 (a "fragmentation needed"
 * with next-hop MTU 1492 from 192.168.1.1 quoting a 1500-byte DF TCP
 * segment 10.10.1.4:1470 -> 74.53.140.153:25, seq 0x7ec45447; tshark
 * icmp.mtu 1492, tcp.srcport 1470, tcp.seq_raw 2126795847), cut to the
 * 8 bytes of TCP RFC 792 promises.
 */
#include "decoder_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/errqueue.h>

#include <pathdiag/checksum.h>
#include <pathdiag/encode.h>
#include <pathdiag/icmp.h>
#include <pathdiag/probe.h>
#include <pathdiag/transport.h>

#include "cursor.h"
#include "probe_match.h"
#include "sockerr.h"

#define COOKIE 0xc0ffee01u
#define ECHO_ID 0x1234
#define UDP_SPORT 40000
#define UDP_DPORT 33440
#define TCP_DPORT 443
#define BUF 2048

static const uint8_t client4[16] = { 10, 0, 1, 2 };
static const uint8_t server4[16] = { 10, 0, 3, 2 };
static const uint8_t router4[16] = { 10, 0, 1, 1 };
static const uint8_t client6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 1, [15] = 2 };
static const uint8_t server6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 3, [15] = 2 };
static const uint8_t router6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 1, [15] = 1 };

struct fx {
	struct pdi_flow f;
	struct pdi_table t;
	const uint8_t *src, *dst, *router;
};

/* Two probes: id 1 of 1454 bytes and id 2 of 1455 bytes; TCP ones have
 * their own source port and sequence number (probe 2's wraps when its
 * SYN and data are acknowledged). */
static struct fx *fixture(int family, enum pd_probe_method m)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct pdi_probe_rec *r;

	assert_non_null(x);
	x->src = family == 6 ? client6 : client4;
	x->dst = family == 6 ? server6 : server4;
	x->router = family == 6 ? router6 : router4;
	x->f.family = family;
	x->f.method = m;
	x->f.src_known = true;
	memcpy(x->f.src, x->src, 16);
	memcpy(x->f.dst, x->dst, 16);
	x->f.cookie = COOKIE;
	if (m == PD_PROBE_UDP) {
		x->f.sport = UDP_SPORT;
		x->f.dport = UDP_DPORT;
	} else if (m == PD_PROBE_TCP) {
		x->f.dport = TCP_DPORT;
	} else {
		x->f.echo_id = ECHO_ID;
	}
	r = pdi_table_add(&x->t, 1454, 0);
	r->tcp_sport = 45001;
	r->tcp_seq = 0x10000000u;
	r = pdi_table_add(&x->t, 1455, 0);
	r->tcp_sport = 45002;
	r->tcp_seq = 0xfffffff0u;
	return x;
}

static void ip_spec(struct pd_ip_spec *ip, int family, const uint8_t *src, const uint8_t *dst)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = family;
	memcpy(ip->src, src, 16);
	memcpy(ip->dst, dst, 16);
	ip->df = true;
}

/* Knobs for building a probe as it left (then forged). */
struct pk {
	uint32_t id;             /* probe id in token and echo seq */
	uint16_t size;           /* ip size, 0 = the probe's */
	uint32_t cookie;
	const uint8_t *src, *dst;
	int sport_delta, dport_delta, echo_id_delta;
	bool no_df;
	uint16_t tcp_flags;
	uint32_t tcp_seq_delta;
	bool tel;                /* IPv6 extension header */
};

static struct pk pk_of(const struct fx *x, uint32_t id)
{
	struct pk k = { .id = id, .cookie = COOKIE, .src = x->src, .dst = x->dst,
			.tcp_flags = PD_TCP_SYN };
	return k;
}

/* The probe bytes: IP + transport + token + filler, exactly as probe_*.c
 * sends them (the token is written by hand here, see test_token). */
static size_t probe_bytes(const struct fx *x, const struct pk *k, uint8_t *buf)
{
	const struct pdi_probe_rec *r = pdi_table_get(&x->t, k->id);
	uint16_t size = k->size ? k->size : (r ? r->ip_size : 1454);
	size_t plen = size - pdi_hdr_len(x->f.family, x->f.method);
	uint8_t pay[BUF];
	struct pd_ip_spec ip;
	int n = -1;

	ip_spec(&ip, x->f.family, k->src, k->dst);
	ip.df = !k->no_df;
	ip.has_tel = k->tel;
	ip.tel = 4;
	for (size_t i = 0; i < plen; i++)
		pay[i] = (uint8_t)(0x50 + (i & 15));
	pay[0] = 'p', pay[1] = 'd', pay[2] = 'P', pay[3] = 'R';
	pay[4] = (uint8_t)(k->cookie >> 24), pay[5] = (uint8_t)(k->cookie >> 16);
	pay[6] = (uint8_t)(k->cookie >> 8), pay[7] = (uint8_t)k->cookie;
	pay[8] = (uint8_t)(k->id >> 24), pay[9] = (uint8_t)(k->id >> 16);
	pay[10] = (uint8_t)(k->id >> 8), pay[11] = (uint8_t)k->id;
	pay[12] = (uint8_t)(size >> 8), pay[13] = (uint8_t)size;
	pay[14] = 0, pay[15] = (uint8_t)x->f.method;
	switch (x->f.method) {
	case PD_PROBE_UDP:
		n = pd_build_udp(&ip, (uint16_t)(x->f.sport + k->sport_delta),
				 (uint16_t)(x->f.dport + k->dport_delta), pay, plen, buf, BUF);
		break;
	case PD_PROBE_ICMP:
		n = pd_build_icmp_echo(&ip, false, (uint16_t)(x->f.echo_id + k->echo_id_delta),
				       (uint16_t)k->id, pay, plen, buf, BUF);
		break;
	case PD_PROBE_TCP: {
		struct pd_tcp_spec t = { .dport = (uint16_t)(x->f.dport + k->dport_delta),
					 .flags = k->tcp_flags, .window = 64240 };

		t.sport = (uint16_t)((r ? r->tcp_sport : 1) + k->sport_delta);
		t.seq = (r ? r->tcp_seq : 0) + k->tcp_seq_delta;
		n = pd_build_tcp(&ip, &t, pay, plen, buf, BUF);
		break;
	}
	case PD_PROBE_PEER:
		break; /* test_probe_peer.c */
	}
	assert_true(n > 0);
	return (size_t)n;
}

/* An ICMP error from `from` to the client quoting q; *msg points at the
 * ICMP message inside buf (after the IP header). */
static size_t icmp_error(const struct fx *x, const uint8_t *from, uint8_t type, uint8_t code,
			 uint32_t info, const uint8_t *q, size_t qlen, uint8_t *buf,
			 const uint8_t **msg)
{
	struct pd_ip_spec ip;
	size_t iph = x->f.family == 6 ? 40 : 20;
	int n;

	ip_spec(&ip, x->f.family, from, x->src);
	n = pd_build_icmp_error(&ip, type, code, info, q, qlen, buf, BUF);
	assert_true(n > (int)iph);
	*msg = buf + iph;
	return (size_t)n - iph;
}

/* Recompute an ICMPv4 message's checksum after editing it. */
static void fix_csum4(uint8_t *msg, size_t len)
{
	msg[2] = msg[3] = 0;
	pd_store_be16(msg + 2, pd_csum(msg, len));
}

static uint8_t too_big_type(int family)
{
	return family == 6 ? PD_ICMP6_PACKET_TOO_BIG : PD_ICMP4_DEST_UNREACH;
}

static uint8_t too_big_code(int family)
{
	return family == 6 ? 0 : PD_ICMP4_CODE_FRAG_NEEDED;
}

/* Match an error about the probe described by k (a heap copy, so ASan sees
 * any overread). */
static enum pdi_verdict err_verdict(const struct fx *x, const struct pk *k, const uint8_t *from,
				    uint8_t type, uint8_t code, uint32_t info,
				    struct pdi_match *m)
{
	uint8_t q[BUF], pkt[BUF];
	const uint8_t *msg;
	size_t qlen = probe_bytes(x, k, q);
	size_t len = icmp_error(x, from, type, code, info, q, qlen, pkt, &msg);
	uint8_t *h = heap_copy(msg, len);
	enum pdi_verdict v = pdi_match_icmp(&x->f, &x->t, h, len, from, m);

	free(h);
	return v;
}

static enum pdi_verdict too_big_verdict(const struct fx *x, const struct pk *k, uint32_t mtu,
					struct pdi_match *m)
{
	return err_verdict(x, k, x->router, too_big_type(x->f.family),
			   too_big_code(x->f.family), mtu, m);
}

/* ---- token and table ---------------------------------------------------- */

static void test_token(void **state)
{
	static const uint8_t want[16] = {
		'p', 'd', 'P', 'R', 0xc0, 0xff, 0xee, 0x01, 0x00, 0x01, 0x02, 0x03,
		0x05, 0xaf, 7, PD_PROBE_TCP,
	};
	uint8_t tok[16], bad[16];
	uint32_t id = 0;
	uint16_t size = 0;

	(void)state;
	pdi_token_put(tok, COOKIE, 0x00010203u, 1455, 7, PD_PROBE_TCP);
	assert_memory_equal(tok, want, 16);
	assert_int_equal(pdi_token_get(tok, 16, COOKIE, &id, &size), PDI_TOKEN_OK);
	assert_int_equal(id, 0x00010203u);
	assert_int_equal(size, 1455);
	assert_int_equal(pdi_token_get(tok, 15, COOKIE, &id, &size), PDI_TOKEN_SHORT);
	assert_int_equal(pdi_token_get(NULL, 16, COOKIE, &id, &size), PDI_TOKEN_SHORT);
	assert_int_equal(pdi_token_get(tok, 16, COOKIE + 1, &id, &size), PDI_TOKEN_FOREIGN);
	memcpy(bad, tok, 16);
	bad[0] = 'q';
	assert_int_equal(pdi_token_get(bad, 16, COOKIE, &id, &size), PDI_TOKEN_FOREIGN);

	assert_int_equal(pdi_hdr_len(4, PD_PROBE_ICMP), 28);
	assert_int_equal(pdi_hdr_len(4, PD_PROBE_UDP), 28);
	assert_int_equal(pdi_hdr_len(4, PD_PROBE_TCP), 40);
	assert_int_equal(pdi_hdr_len(6, PD_PROBE_ICMP), 48);
	assert_int_equal(pdi_hdr_len(6, PD_PROBE_UDP), 48);
	assert_int_equal(pdi_hdr_len(6, PD_PROBE_TCP), 60);
}

static void test_table(void **state)
{
	struct pdi_table *t = calloc(1, sizeof(*t));
	const struct pdi_probe_rec *r;

	(void)state;
	assert_non_null(t);
	assert_null(pdi_table_get(t, 0));
	assert_null(pdi_table_get(t, 1));
	assert_null(pdi_table_by_echo_seq(t, 0));
	assert_int_equal(pdi_table_add(t, 100, 3)->id, 1);
	r = pdi_table_get(t, 1);
	assert_non_null(r);
	assert_int_equal(r->ip_size, 100);
	assert_int_equal(r->ttl, 3);
	assert_ptr_equal(pdi_table_by_echo_seq(t, 1), r);
	assert_null(pdi_table_by_echo_seq(t, 2));

	/* Seen once per kind; other kinds and unknown ids are not seen. */
	assert_false(pdi_table_seen(t, 1, PD_PROBE_ACK));
	assert_true(pdi_table_seen(t, 1, PD_PROBE_ACK));
	assert_false(pdi_table_seen(t, 1, PD_PROBE_TOO_BIG));
	assert_false(pdi_table_seen(t, 2, PD_PROBE_ACK));
	assert_false(pdi_table_seen(t, 0, PD_PROBE_ACK));

	/* After PD_PROBE_WINDOW more probes, id 1 has left the window. */
	for (unsigned i = 0; i < PD_PROBE_WINDOW; i++)
		pdi_table_add(t, 200, 0);
	assert_int_equal(t->last_id, PD_PROBE_WINDOW + 1);
	assert_null(pdi_table_get(t, 1));
	assert_non_null(pdi_table_get(t, 2));
	assert_non_null(pdi_table_get(t, PD_PROBE_WINDOW + 1));
	assert_null(pdi_table_get(t, PD_PROBE_WINDOW + 2));

	/* Echo sequence numbers are the low 16 bits: past 65536 probes, seq 1
	 * is probe 65537, and probe 1 (same low bits) is long gone. */
	while (t->last_id < 65537)
		pdi_table_add(t, 300, 0);
	r = pdi_table_by_echo_seq(t, 1);
	assert_non_null(r);
	assert_int_equal(r->id, 65537);
	assert_null(pdi_table_by_echo_seq(t, 2)); /* 65538 not sent, 2 too old */
	assert_int_equal(pdi_table_by_echo_seq(t, 0)->id, 65536);
	free(t);
}

/* ---- UDP over raw ICMP (the generic quote path) ------------------------- */

static void test_udp_errors(void **state)
{
	struct pdi_match m;

	(void)state;
	for (int fam = 4; fam <= 6; fam += 2) {
		struct fx *x = fixture(fam, PD_PROBE_UDP);
		struct pk k = pk_of(x, 2);
		uint8_t unreach = fam == 6 ? PD_ICMP6_DEST_UNREACH : PD_ICMP4_DEST_UNREACH;
		uint8_t port = fam == 6 ? PD_ICMP6_CODE_PORT_UNREACH : PD_ICMP4_CODE_PORT_UNREACH;
		uint8_t exceeded = fam == 6 ? PD_ICMP6_TIME_EXCEEDED : PD_ICMP4_TIME_EXCEEDED;

		assert_int_equal(too_big_verdict(x, &k, 1454, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_TOO_BIG);
		assert_int_equal(m.probe_id, 2);
		assert_int_equal(m.mtu, 1454);
		assert_true(m.has_icmp);
		assert_int_equal(m.icmp_type, too_big_type(fam));
		assert_int_equal(m.icmp_code, too_big_code(fam));

		/* Port unreachable: from the target, the ACK; from a router,
		 * an unreachable (a firewall's reject). */
		k = pk_of(x, 1);
		assert_int_equal(err_verdict(x, &k, x->dst, unreach, port, 0, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_ACK);
		assert_int_equal(m.probe_id, 1);
		assert_int_equal(err_verdict(x, &k, x->router, unreach, port, 0, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_UNREACH);
		assert_int_equal(err_verdict(x, &k, x->dst, unreach, 1, 0, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_UNREACH);
		assert_int_equal(m.icmp_code, 1);

		assert_int_equal(err_verdict(x, &k, x->router, exceeded, 0, 0, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_TTL_EXCEEDED);
		assert_int_equal(m.probe_id, 1);
		/* Reassembly time exceeded is not about hop limits. */
		assert_int_equal(err_verdict(x, &k, x->router, exceeded, 1, 0, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_UNREACH);
		assert_int_equal(err_verdict(x, &k, x->router,
					     fam == 6 ? PD_ICMP6_PARAM_PROBLEM :
							PD_ICMP4_PARAM_PROBLEM, 0, 8, &m),
				 PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_UNREACH);
		free(x);
	}
}

static void test_udp_forged(void **state)
{
	struct pdi_match m;

	(void)state;
	for (int fam = 4; fam <= 6; fam += 2) {
		struct fx *x = fixture(fam, PD_PROBE_UDP);
		uint32_t min = fam == 6 ? 1280 : 68;
		struct pk k;

		/* Other flows. */
		k = pk_of(x, 2), k.sport_delta = 1;
		assert_int_equal(too_big_verdict(x, &k, 1454, &m), PDI_UNMATCHED);
		k = pk_of(x, 2), k.dport_delta = 1;
		assert_int_equal(too_big_verdict(x, &k, 1454, &m), PDI_UNMATCHED);
		k = pk_of(x, 2), k.dst = x->router;
		assert_int_equal(too_big_verdict(x, &k, 1454, &m), PDI_UNMATCHED);
		k = pk_of(x, 2), k.src = x->router;
		assert_int_equal(too_big_verdict(x, &k, 1454, &m), PDI_UNMATCHED);
		/* Our flow, not our token: another prober, an unknown or stale
		 * probe. */
		k = pk_of(x, 2), k.cookie = COOKIE ^ 1;
		assert_int_equal(too_big_verdict(x, &k, 1454, &m), PDI_UNMATCHED);
		k = pk_of(x, 99), k.size = 1455;
		assert_int_equal(too_big_verdict(x, &k, 1454, &m), PDI_UNMATCHED);
		/* A token naming probe 1 (1454 bytes) with 1455 bytes. */
		k = pk_of(x, 1), k.size = 1455;
		assert_int_equal(too_big_verdict(x, &k, 1454, &m), PDI_BOGUS);
		/* MTUs that cannot be: still about our probe, so reported
		 * with the MTU as sent, flagged bogus. */
		k = pk_of(x, 2);
		{
			static const uint32_t impossible[] = { 1455, 1456, 9000, 0, 1 };

			for (size_t i = 0; i < sizeof(impossible) / sizeof(impossible[0]); i++) {
				assert_int_equal(too_big_verdict(x, &k, impossible[i], &m),
						 PDI_EVENT);
				assert_int_equal(m.kind, PD_PROBE_TOO_BIG);
				assert_int_equal(m.probe_id, 2);
				assert_int_equal(m.mtu, impossible[i]);
				assert_true(m.mtu_bogus);
			}
		}
		assert_int_equal(too_big_verdict(x, &k, min - 1, &m), PDI_EVENT);
		assert_true(m.mtu_bogus);
		assert_int_equal(m.mtu, min - 1);
		assert_int_equal(too_big_verdict(x, &k, min, &m), PDI_EVENT);
		assert_int_equal(m.mtu, min);
		assert_false(m.mtu_bogus);
		assert_int_equal(too_big_verdict(x, &k, 1454, &m), PDI_EVENT);
		assert_false(m.mtu_bogus);
		/* Our probes never carry extension headers. */
		if (fam == 6) {
			k = pk_of(x, 2), k.tel = true, k.size = 1455;
			assert_int_equal(too_big_verdict(x, &k, 1454, &m), PDI_UNMATCHED);
		}
		free(x);
	}
}

static void test_v4_specifics(void **state)
{
	struct fx *x = fixture(4, PD_PROBE_UDP);
	struct fx *x6 = fixture(6, PD_PROBE_UDP);
	uint8_t q[BUF], pkt[BUF], *h;
	const uint8_t *msg;
	struct pdi_match m;
	struct pk k = pk_of(x, 2);
	size_t qlen, len;

	(void)state;
	/* "Fragmentation needed" about a packet without DF. */
	k.no_df = true;
	assert_int_equal(too_big_verdict(x, &k, 1454, &m), PDI_BOGUS);

	/* A bad ICMPv4 checksum (raw sockets see packets before the kernel
	 * checks them); then fixed again. */
	k = pk_of(x, 2);
	qlen = probe_bytes(x, &k, q);
	len = icmp_error(x, router4, 3, 4, 1454, q, qlen, pkt, &msg);
	h = heap_copy(msg, len);
	h[2] ^= 0x01;
	assert_int_equal(pdi_match_icmp(&x->f, &x->t, h, len, router4, &m), PDI_BOGUS);
	h[2] ^= 0x01;
	assert_int_equal(pdi_match_icmp(&x->f, &x->t, h, len, router4, &m), PDI_EVENT);

	/* Redirect (5) and source quench (4) quoting our probe: no verdict. */
	h[0] = 5;
	h[1] = 1;
	fix_csum4(h, len);
	assert_int_equal(pdi_match_icmp(&x->f, &x->t, h, len, router4, &m), PDI_UNMATCHED);
	h[0] = 4;
	h[1] = 0;
	fix_csum4(h, len);
	assert_int_equal(pdi_match_icmp(&x->f, &x->t, h, len, router4, &m), PDI_UNMATCHED);
	/* Not an error, not an echo: a timestamp request (13). */
	h[0] = 13;
	fix_csum4(h, len);
	assert_int_equal(pdi_match_icmp(&x->f, &x->t, h, len, router4, &m), PDI_UNMATCHED);
	free(h);

	/* An empty quote, and messages shorter than the ICMP header. */
	h = heap_copy(msg, 8);
	fix_csum4(h, 8);
	assert_int_equal(pdi_match_icmp(&x->f, &x->t, h, 8, router4, &m), PDI_BOGUS);
	for (size_t n = 0; n < 8; n++)
		assert_int_equal(pdi_match_icmp(&x->f, &x->t, h, n, router4, &m), PDI_BOGUS);
	free(h);

	/* An ICMPv4 error quoting an IPv6 packet is not about an IPv4 flow. */
	k = pk_of(x6, 2);
	qlen = probe_bytes(x6, &k, q);
	len = icmp_error(x, router4, 3, 4, 1454, q, qlen, pkt, &msg);
	assert_int_equal(pdi_match_icmp(&x->f, &x->t, msg, len, router4, &m), PDI_UNMATCHED);

	/* A quoted fragment (MF set) is not one of our probes. */
	k = pk_of(x, 2);
	qlen = probe_bytes(x, &k, q);
	q[6] |= 0x20;
	pd_store_be16(q + 10, 0);
	pd_store_be16(q + 10, pd_csum(q, 20));
	len = icmp_error(x, router4, 3, 4, 1454, q, qlen, pkt, &msg);
	assert_int_equal(pdi_match_icmp(&x->f, &x->t, msg, len, router4, &m), PDI_UNMATCHED);
	free(x);
	free(x6);
}

/* Every cut of a message (checksum fixed for the cut): no verdict before
 * the quote holds what identifies the probe, an event from there on. */
static void sweep(struct fx *x, struct pk *k, size_t need)
{
	uint8_t q[BUF], pkt[BUF];
	const uint8_t *msg;
	struct pdi_match m;
	size_t qlen = probe_bytes(x, k, q);
	size_t len = icmp_error(x, x->router, too_big_type(x->f.family),
				too_big_code(x->f.family), 1454, q, qlen, pkt, &msg);

	for (size_t n = 0; n <= len; n++) {
		uint8_t *h = heap_copy(msg, n);
		enum pdi_verdict v;

		if (x->f.family == 4 && n >= 8)
			fix_csum4(h, n);
		v = pdi_match_icmp(&x->f, &x->t, h, n, x->router, &m);
		if (n >= need && v != PDI_EVENT)
			fail_msg("cut at %zu: verdict %d, want an event", n, v);
		if (n < need && v == PDI_EVENT)
			fail_msg("cut at %zu: an event before the identifying bytes", n);
		if (v == PDI_EVENT)
			assert_int_equal(m.probe_id, k->id);
		free(h);
	}
}

static void test_truncated_quotes(void **state)
{
	(void)state;
	for (int fam = 4; fam <= 6; fam += 2) {
		size_t iph = fam == 6 ? 40 : 20;
		struct fx *u = fixture(fam, PD_PROBE_UDP);
		struct fx *i = fixture(fam, PD_PROBE_ICMP);
		struct fx *t = fixture(fam, PD_PROBE_TCP);
		struct pk k;

		/* UDP: only the token names the probe. */
		k = pk_of(u, 2);
		sweep(u, &k, 8 + iph + 8 + 16);
		/* ICMP: the echo header's sequence number does. */
		k = pk_of(i, 2);
		sweep(i, &k, 8 + iph + 8);
		/* TCP: ports and sequence number, in the first 8 bytes. */
		k = pk_of(t, 2);
		sweep(t, &k, 8 + iph + 8);
		free(u);
		free(i);
		free(t);
	}
}

/* ---- ICMP echo ------------------------------------------------------------ */

static enum pdi_verdict reply_verdict(const struct fx *x, const struct pk *k,
				      const uint8_t *from, size_t cut, struct pdi_match *m)
{
	uint8_t req[BUF], pkt[BUF], *h;
	struct pd_ip_spec ip;
	size_t iph = x->f.family == 6 ? 40 : 20;
	size_t rlen = probe_bytes(x, k, req);
	size_t dlen = rlen - iph - 8;
	enum pdi_verdict v;
	int n;

	/* The reply returns identifier, sequence and data. */
	ip_spec(&ip, x->f.family, from, x->src);
	n = pd_build_icmp_echo(&ip, true, pd_load_be16(req + iph + 4),
			       pd_load_be16(req + iph + 6), req + iph + 8,
			       cut ? cut : dlen, pkt, BUF);
	assert_true(n > 0);
	h = heap_copy(pkt + iph, (size_t)n - iph);
	v = pdi_match_icmp(&x->f, &x->t, h, (size_t)n - iph, from, m);
	free(h);
	return v;
}

static void test_icmp(void **state)
{
	struct pdi_match m;

	(void)state;
	for (int fam = 4; fam <= 6; fam += 2) {
		struct fx *x = fixture(fam, PD_PROBE_ICMP);
		struct pk k = pk_of(x, 2);

		assert_int_equal(reply_verdict(x, &k, x->dst, 0, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_ACK);
		assert_int_equal(m.probe_id, 2);
		assert_int_equal(m.icmp_type, fam == 6 ? 129 : 0);
		/* From someone else, another identifier, an unknown sequence. */
		assert_int_equal(reply_verdict(x, &k, x->router, 0, &m), PDI_UNMATCHED);
		k.echo_id_delta = 1;
		assert_int_equal(reply_verdict(x, &k, x->dst, 0, &m), PDI_UNMATCHED);
		k = pk_of(x, 3), k.size = 1455;
		assert_int_equal(reply_verdict(x, &k, x->dst, 0, &m), PDI_UNMATCHED);
		/* Our identifier and sequence with another prober's token. */
		k = pk_of(x, 2), k.cookie = 7;
		assert_int_equal(reply_verdict(x, &k, x->dst, 0, &m), PDI_UNMATCHED);
		/* A token contradicting the sequence number, or missing. */
		k = pk_of(x, 2), k.size = 1454;
		assert_int_equal(reply_verdict(x, &k, x->dst, 0, &m), PDI_BOGUS);
		k = pk_of(x, 2);
		assert_int_equal(reply_verdict(x, &k, x->dst, 10, &m), PDI_BOGUS);

		/* Errors quoting our echo request. */
		k = pk_of(x, 2);
		assert_int_equal(too_big_verdict(x, &k, 1400, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_TOO_BIG);
		assert_int_equal(m.mtu, 1400);
		assert_int_equal(m.probe_id, 2);
		k.echo_id_delta = 1;
		assert_int_equal(too_big_verdict(x, &k, 1400, &m), PDI_UNMATCHED);
		k = pk_of(x, 2), k.cookie = 7;
		assert_int_equal(too_big_verdict(x, &k, 1400, &m), PDI_UNMATCHED);
		k = pk_of(x, 2), k.size = 1454; /* token says 1454, probe 2 is 1455 */
		assert_int_equal(too_big_verdict(x, &k, 1400, &m), PDI_BOGUS);
		/* Port unreachable from the target is not an ICMP probe's ACK. */
		k = pk_of(x, 1);
		assert_int_equal(err_verdict(x, &k, x->dst, fam == 6 ? 1 : 3, fam == 6 ? 4 : 3, 0,
					     &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_UNREACH);
		free(x);
	}
}

/* An echo request we did not send, arriving on a raw socket. */
static void test_icmp_request(void **state)
{
	struct fx *x = fixture(4, PD_PROBE_ICMP);
	struct pdi_match m;
	uint8_t pkt[BUF];
	struct pd_ip_spec ip;
	int n;

	(void)state;
	ip_spec(&ip, 4, server4, client4);
	n = pd_build_icmp_echo(&ip, false, ECHO_ID, 1, NULL, 40, pkt, BUF);
	assert_true(n > 20);
	assert_int_equal(pdi_match_icmp(&x->f, &x->t, pkt + 20, (size_t)n - 20, server4, &m),
			 PDI_UNMATCHED);
	free(x);
}

/* ---- TCP ------------------------------------------------------------------- */

static enum pdi_verdict seg_verdict(const struct fx *x, const uint8_t *from, uint16_t sport,
				    uint16_t dport, uint32_t ack, uint16_t flags, bool bad_csum,
				    struct pdi_match *m)
{
	struct pd_ip_spec ip;
	struct pd_tcp_spec t = { .sport = sport, .dport = dport, .seq = 77, .ack = ack,
				 .flags = flags, .window = 100, .mss = 1400 };
	size_t iph = x->f.family == 6 ? 40 : 20;
	uint8_t pkt[BUF], *h;
	enum pdi_verdict v;
	int n;

	ip_spec(&ip, x->f.family, from, x->src);
	n = pd_build_tcp(&ip, &t, NULL, 0, pkt, BUF);
	assert_true(n > (int)iph);
	h = heap_copy(pkt + iph, (size_t)n - iph);
	if (bad_csum)
		h[16] ^= 0x40;
	v = pdi_match_tcp(&x->f, &x->t, h, (size_t)n - iph, from, m);
	free(h);
	return v;
}

static void test_tcp_answers(void **state)
{
	struct pdi_match m;
	const uint16_t synack = PD_TCP_SYN | PD_TCP_ACK, rstack = PD_TCP_RST | PD_TCP_ACK;

	(void)state;
	for (int fam = 4; fam <= 6; fam += 2) {
		struct fx *x = fixture(fam, PD_PROBE_TCP);
		uint32_t plen1 = 1454 - (fam == 6 ? 60 : 40);
		uint32_t plen2 = 1455 - (fam == 6 ? 60 : 40);

		/* SYN-ACK acknowledging the SYN only; RST acknowledging all. */
		assert_int_equal(seg_verdict(x, x->dst, TCP_DPORT, 45001, 0x10000001u, synack,
					     false, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_ACK);
		assert_int_equal(m.probe_id, 1);
		assert_int_equal(m.tcp_flags, synack);
		assert_false(m.has_icmp);
		assert_int_equal(seg_verdict(x, x->dst, TCP_DPORT, 45001, 0x10000001u + plen1,
					     rstack, false, &m), PDI_EVENT);
		assert_int_equal(m.tcp_flags, rstack);
		/* Probe 2's sequence number wraps: 0xfffffff0 + 1 + plen. */
		assert_int_equal(seg_verdict(x, x->dst, TCP_DPORT, 45002,
					     (uint32_t)(0xfffffff1ull + plen2), rstack, false, &m),
				 PDI_EVENT);
		assert_int_equal(m.probe_id, 2);
		/* TFO-style SYN-ACK acknowledging the data too. */
		assert_int_equal(seg_verdict(x, x->dst, TCP_DPORT, 45002,
					     (uint32_t)(0xfffffff1ull + plen2), synack, false, &m),
				 PDI_EVENT);

		/* Wrong ack, port, peer, flags; bad checksum. */
		assert_int_equal(seg_verdict(x, x->dst, TCP_DPORT, 45001, 0x10000002u, synack,
					     false, &m), PDI_UNMATCHED);
		assert_int_equal(seg_verdict(x, x->dst, TCP_DPORT, 45002, 0x10000001u, synack,
					     false, &m), PDI_UNMATCHED);
		assert_int_equal(seg_verdict(x, x->dst, TCP_DPORT + 1, 45001, 0x10000001u, synack,
					     false, &m), PDI_UNMATCHED);
		assert_int_equal(seg_verdict(x, x->router, TCP_DPORT, 45001, 0x10000001u, synack,
					     false, &m), PDI_UNMATCHED);
		assert_int_equal(seg_verdict(x, x->dst, TCP_DPORT, 45001, 0x10000001u, PD_TCP_SYN,
					     false, &m), PDI_UNMATCHED);
		assert_int_equal(seg_verdict(x, x->dst, TCP_DPORT, 45001, 0x10000001u, PD_TCP_RST,
					     false, &m), PDI_UNMATCHED);
		assert_int_equal(seg_verdict(x, x->dst, TCP_DPORT, 45001, 0x10000001u,
					     PD_TCP_ACK | PD_TCP_PSH, false, &m), PDI_UNMATCHED);
		assert_int_equal(seg_verdict(x, x->dst, TCP_DPORT, 45001, 0x10000001u, synack,
					     true, &m), PDI_BOGUS);
		free(x);
	}
}

/* A segment from a local peer with an offloaded (partial) checksum: the
 * checksum field holds the folded pseudo-header sum only. */
static void test_tcp_partial_csum(void **state)
{
	struct fx *x = fixture(4, PD_PROBE_TCP);
	struct pd_ip_spec ip;
	struct pd_tcp_spec t = { .sport = TCP_DPORT, .dport = 45001, .ack = 0x10000001u,
				 .flags = PD_TCP_SYN | PD_TCP_ACK, .window = 100 };
	uint8_t pkt[BUF];
	struct pdi_match m;
	uint32_t sum;
	int n;

	(void)state;
	ip_spec(&ip, 4, server4, client4);
	n = pd_build_tcp(&ip, &t, NULL, 0, pkt, BUF);
	assert_int_equal(n, 40);
	sum = pd_csum_pseudo4(server4, client4, 6, 20);
	pd_store_be16(pkt + 20 + 16, (uint16_t)~pd_csum_finish(sum));
	assert_int_equal(pdi_match_tcp(&x->f, &x->t, pkt + 20, 20, server4, &m), PDI_EVENT);
	/* Any other wrong value is still bogus. */
	pd_store_be16(pkt + 20 + 16, (uint16_t)(~pd_csum_finish(sum) + 1));
	assert_int_equal(pdi_match_tcp(&x->f, &x->t, pkt + 20, 20, server4, &m), PDI_BOGUS);
	/* Too short for a TCP header. */
	assert_int_equal(pdi_match_tcp(&x->f, &x->t, pkt + 20, 19, server4, &m), PDI_BOGUS);
	free(x);
}

static void test_tcp_errors(void **state)
{
	struct pdi_match m;

	(void)state;
	for (int fam = 4; fam <= 6; fam += 2) {
		struct fx *x = fixture(fam, PD_PROBE_TCP);
		struct pk k = pk_of(x, 2);

		assert_int_equal(too_big_verdict(x, &k, 1454, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_TOO_BIG);
		assert_int_equal(m.probe_id, 2);
		k.tcp_seq_delta = 1;
		assert_int_equal(too_big_verdict(x, &k, 1454, &m), PDI_UNMATCHED);
		k = pk_of(x, 2), k.dport_delta = 1;
		assert_int_equal(too_big_verdict(x, &k, 1454, &m), PDI_UNMATCHED);
		k = pk_of(x, 2), k.sport_delta = 1;
		assert_int_equal(too_big_verdict(x, &k, 1454, &m), PDI_UNMATCHED);
		/* Our kernel's RST (or any non-SYN) from the same ports. */
		k = pk_of(x, 2), k.tcp_flags = PD_TCP_RST | PD_TCP_ACK;
		assert_int_equal(too_big_verdict(x, &k, 1454, &m), PDI_UNMATCHED);
		k = pk_of(x, 2), k.cookie = 9;
		assert_int_equal(too_big_verdict(x, &k, 1454, &m), PDI_UNMATCHED);
		free(x);
	}
}

/* zeek-smtp.pcap frame 26, ICMP from byte 34, first 36 bytes: 3/4 MTU 1492
 * quoting IPv4 (total length 1500, DF) + 8 bytes of TCP 1470 -> 25. */
static const uint8_t real_fragneeded[36] = {
	0x03, 0x04, 0xc9, 0x4e, 0x00, 0x00, 0x05, 0xd4, 0x45, 0x00, 0x05, 0xdc,
	0x25, 0x4f, 0x40, 0x00, 0x7e, 0x06, 0xef, 0xf0, 0x0a, 0x0a, 0x01, 0x04,
	0x4a, 0x35, 0x8c, 0x99, 0x05, 0xbe, 0x00, 0x19, 0x7e, 0xc4, 0x54, 0x47,
};

static void test_real_router(void **state)
{
	static const uint8_t src[16] = { 10, 10, 1, 4 }, dst[16] = { 74, 53, 140, 153 };
	static const uint8_t gw[16] = { 192, 168, 1, 1 };
	struct pdi_flow f = { .family = 4, .method = PD_PROBE_TCP, .src_known = true,
			      .dport = 25, .cookie = COOKIE };
	struct pdi_table *t = calloc(1, sizeof(*t));
	struct pdi_probe_rec *r;
	struct pdi_match m;
	uint8_t *h = heap_copy(real_fragneeded, sizeof(real_fragneeded));

	(void)state;
	assert_non_null(t);
	memcpy(f.src, src, 16);
	memcpy(f.dst, dst, 16);
	r = pdi_table_add(t, 1500, 0);
	r->tcp_sport = 1470;
	r->tcp_seq = 2126795847u;
	/* Cut to 36 bytes from 556: the checksum is recomputed. */
	fix_csum4(h, sizeof(real_fragneeded));
	assert_int_equal(pdi_match_icmp(&f, t, h, sizeof(real_fragneeded), gw, &m), PDI_EVENT);
	assert_int_equal(m.kind, PD_PROBE_TOO_BIG);
	assert_int_equal(m.mtu, 1492);
	assert_int_equal(m.probe_id, 1);
	/* Another sequence number: not ours. */
	r->tcp_seq++;
	assert_int_equal(pdi_match_icmp(&f, t, h, sizeof(real_fragneeded), gw, &m),
			 PDI_UNMATCHED);
	free(h);
	free(t);
}

/* ---- error queue (UDP and ping sockets) ----------------------------------- */

static struct pdi_sockerr sockerr(int family, uint8_t type, uint8_t code, uint32_t info,
				  const uint8_t *from)
{
	struct pdi_sockerr se = { .present = true, .type = type, .code = code, .info = info };

	se.origin = family == 6 ? PDI_EE_ORIGIN_ICMP6 : PDI_EE_ORIGIN_ICMP;
	if (family == 6) {
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };

		memcpy(&s6.sin6_addr, from, 16);
		memcpy(&se.offender, &s6, sizeof(s6));
	} else {
		struct sockaddr_in s4 = { .sin_family = AF_INET };

		memcpy(&s4.sin_addr, from, 4);
		memcpy(&se.offender, &s4, sizeof(s4));
	}
	return se;
}

/* The bytes the kernel returns with an error: UDP, from the payload on;
 * ping sockets, from the quoted ICMP header on. */
static size_t errq_data(const struct fx *x, const struct pk *k, uint8_t *out, size_t keep)
{
	uint8_t q[BUF];
	size_t iph = x->f.family == 6 ? 40 : 20;
	size_t off = iph + (x->f.method == PD_PROBE_UDP ? 8 : 0);
	size_t n = probe_bytes(x, k, q) - off;

	if (keep && keep < n)
		n = keep;
	memcpy(out, q + off, n);
	return n;
}

static void test_errq(void **state)
{
	struct pdi_match m;
	uint8_t d[BUF];

	(void)state;
	for (int fam = 4; fam <= 6; fam += 2) {
		struct fx *u = fixture(fam, PD_PROBE_UDP);
		struct fx *i = fixture(fam, PD_PROBE_ICMP);
		uint8_t tb = too_big_type(fam), tc = too_big_code(fam);
		uint8_t un = fam == 6 ? 1 : 3, port = fam == 6 ? 4 : 3;
		struct pdi_sockerr se = sockerr(fam, tb, tc, 1454, u->router);
		struct pk k = pk_of(u, 2);
		size_t n = errq_data(u, &k, d, 0);

		assert_int_equal(pdi_match_errq(&u->f, &u->t, &se, d, n, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_TOO_BIG);
		assert_int_equal(m.mtu, 1454);
		assert_int_equal(m.probe_id, 2);
		assert_false(m.mtu_bogus);
		se.info = 1455;
		assert_int_equal(pdi_match_errq(&u->f, &u->t, &se, d, n, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_TOO_BIG);
		assert_int_equal(m.mtu, 1455);
		assert_true(m.mtu_bogus);
		se.info = 1454;
		/* A quote cut before the token end cannot name the probe. */
		assert_int_equal(pdi_match_errq(&u->f, &u->t, &se, d, 15, &m), PDI_UNMATCHED);
		k.cookie = 1;
		n = errq_data(u, &k, d, 0);
		assert_int_equal(pdi_match_errq(&u->f, &u->t, &se, d, n, &m), PDI_UNMATCHED);
		/* Port unreachable: from the target (offender) it is the ACK. */
		k = pk_of(u, 1);
		n = errq_data(u, &k, d, 0);
		se = sockerr(fam, un, port, 0, u->dst);
		assert_int_equal(pdi_match_errq(&u->f, &u->t, &se, d, n, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_ACK);
		assert_int_equal(m.probe_id, 1);
		se = sockerr(fam, un, port, 0, u->router);
		assert_int_equal(pdi_match_errq(&u->f, &u->t, &se, d, n, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_UNREACH);
		/* No offender at all: not from the target. */
		memset(&se.offender, 0, sizeof(se.offender));
		assert_int_equal(pdi_match_errq(&u->f, &u->t, &se, d, n, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_UNREACH);
		/* Local errors, the other family's origin, nothing present. */
		se = sockerr(fam, un, port, 0, u->dst);
		se.origin = PDI_EE_ORIGIN_LOCAL;
		assert_int_equal(pdi_match_errq(&u->f, &u->t, &se, d, n, &m), PDI_UNMATCHED);
		se.origin = fam == 6 ? PDI_EE_ORIGIN_ICMP : PDI_EE_ORIGIN_ICMP6;
		assert_int_equal(pdi_match_errq(&u->f, &u->t, &se, d, n, &m), PDI_UNMATCHED);
		se.present = false;
		assert_int_equal(pdi_match_errq(&u->f, &u->t, &se, d, n, &m), PDI_UNMATCHED);
		assert_int_equal(pdi_match_errq(&u->f, &u->t, NULL, d, n, &m), PDI_UNMATCHED);

		/* Ping socket: the quoted echo request. */
		se = sockerr(fam, tb, tc, 1300, i->router);
		k = pk_of(i, 2);
		n = errq_data(i, &k, d, 0);
		assert_int_equal(pdi_match_errq(&i->f, &i->t, &se, d, n, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_TOO_BIG);
		assert_int_equal(m.mtu, 1300);
		assert_int_equal(m.probe_id, 2);
		/* Only the 8-byte echo header: the sequence number suffices. */
		assert_int_equal(pdi_match_errq(&i->f, &i->t, &se, d, 8, &m), PDI_EVENT);
		assert_int_equal(pdi_match_errq(&i->f, &i->t, &se, d, 7, &m), PDI_BOGUS);
		k.echo_id_delta = 1;
		n = errq_data(i, &k, d, 0);
		assert_int_equal(pdi_match_errq(&i->f, &i->t, &se, d, n, &m), PDI_UNMATCHED);
		free(u);
		free(i);
	}
}

static void test_udp_reply(void **state)
{
	struct fx *x = fixture(6, PD_PROBE_UDP);
	struct pdi_match m;
	uint8_t tok[16];

	(void)state;
	pdi_token_put(tok, COOKIE, 1, 1454, 0, PD_PROBE_UDP);
	assert_int_equal(pdi_match_udp(&x->f, &x->t, tok, 16, server6, &m), PDI_EVENT);
	assert_int_equal(m.kind, PD_PROBE_ACK);
	assert_int_equal(m.probe_id, 1);
	assert_false(m.has_icmp);
	assert_int_equal(pdi_match_udp(&x->f, &x->t, tok, 16, router6, &m), PDI_UNMATCHED);
	assert_int_equal(pdi_match_udp(&x->f, &x->t, tok, 12, server6, &m), PDI_UNMATCHED);
	pdi_token_put(tok, COOKIE, 1, 1455, 0, PD_PROBE_UDP);
	assert_int_equal(pdi_match_udp(&x->f, &x->t, tok, 16, server6, &m), PDI_BOGUS);
	pdi_token_put(tok, COOKIE ^ 0x80000000u, 1, 1454, 0, PD_PROBE_UDP);
	assert_int_equal(pdi_match_udp(&x->f, &x->t, tok, 16, server6, &m), PDI_UNMATCHED);
	free(x);
}

/* ---- control messages -------------------------------------------------------- */

static void test_cmsg(void **state)
{
	union {
		struct cmsghdr align;
		uint8_t b[512];
	} ctl;
	struct msghdr msg;
	struct cmsghdr *c;
	struct sock_extended_err ee = { .ee_errno = 90, .ee_origin = SO_EE_ORIGIN_ICMP,
					.ee_type = 3, .ee_code = 4, .ee_info = 1454 };
	struct sockaddr_in off4 = { .sin_family = AF_INET };
	struct sockaddr_in6 off6 = { .sin6_family = AF_INET6 };
	struct timespec ts = { .tv_sec = 1700000000, .tv_nsec = 123456789 };
	struct pdi_cmsgs cm;
	struct sockaddr_in got4;
	struct sockaddr_in6 got6;

	(void)state;
	memcpy(&off4.sin_addr, router4, 4);
	memcpy(&off6.sin6_addr, router6, 16);

	/* IP_RECVERR with an IPv4 offender, then a timestamp. */
	memset(&ctl, 0, sizeof(ctl));
	memset(&msg, 0, sizeof(msg));
	msg.msg_control = ctl.b;
	msg.msg_controllen = CMSG_SPACE(sizeof(ee) + sizeof(off4)) + CMSG_SPACE(sizeof(ts));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_IP;
	c->cmsg_type = IP_RECVERR;
	c->cmsg_len = CMSG_LEN(sizeof(ee) + sizeof(off4));
	memcpy(CMSG_DATA(c), &ee, sizeof(ee));
	memcpy(CMSG_DATA(c) + sizeof(ee), &off4, sizeof(off4));
	c = CMSG_NXTHDR(&msg, c);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_TIMESTAMPNS;
	c->cmsg_len = CMSG_LEN(sizeof(ts));
	memcpy(CMSG_DATA(c), &ts, sizeof(ts));
	pdi_cmsg_parse(&msg, &cm);
	assert_true(cm.err.present);
	assert_int_equal(cm.err.ee_errno, 90);
	assert_int_equal(cm.err.origin, PDI_EE_ORIGIN_ICMP);
	assert_int_equal(cm.err.type, 3);
	assert_int_equal(cm.err.code, 4);
	assert_int_equal(cm.err.info, 1454);
	assert_int_equal(cm.err.offender.ss_family, AF_INET);
	memcpy(&got4, &cm.err.offender, sizeof(got4));
	assert_memory_equal(&got4.sin_addr, router4, 4);
	assert_true(cm.has_ts);
	assert_int_equal(cm.ts.tv_sec, 1700000000);
	assert_int_equal(cm.ts.tv_nsec, 123456789);
	assert_false(cm.truncated);

	/* IPV6_RECVERR, an IPv6 offender, MSG_CTRUNC. */
	memset(&ctl, 0, sizeof(ctl));
	ee.ee_origin = SO_EE_ORIGIN_ICMP6;
	ee.ee_type = 2;
	ee.ee_code = 0;
	ee.ee_info = 1280;
	msg.msg_controllen = CMSG_SPACE(sizeof(ee) + sizeof(off6));
	msg.msg_flags = MSG_CTRUNC;
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_IPV6;
	c->cmsg_type = IPV6_RECVERR;
	c->cmsg_len = CMSG_LEN(sizeof(ee) + sizeof(off6));
	memcpy(CMSG_DATA(c), &ee, sizeof(ee));
	memcpy(CMSG_DATA(c) + sizeof(ee), &off6, sizeof(off6));
	pdi_cmsg_parse(&msg, &cm);
	assert_true(cm.err.present);
	assert_int_equal(cm.err.origin, PDI_EE_ORIGIN_ICMP6);
	assert_int_equal(cm.err.info, 1280);
	assert_int_equal(cm.err.offender.ss_family, AF_INET6);
	memcpy(&got6, &cm.err.offender, sizeof(got6));
	assert_memory_equal(&got6.sin6_addr, router6, 16);
	assert_false(cm.has_ts);
	assert_true(cm.truncated);

	/* An offender cut short is left out; an error cut short is no error. */
	c->cmsg_len = CMSG_LEN(sizeof(ee) + sizeof(off6) - 1);
	msg.msg_flags = 0;
	pdi_cmsg_parse(&msg, &cm);
	assert_true(cm.err.present);
	assert_int_equal(cm.err.offender.ss_family, 0);
	c->cmsg_len = CMSG_LEN(sizeof(ee) - 1);
	pdi_cmsg_parse(&msg, &cm);
	assert_false(cm.err.present);
	/* A timestamp too short is ignored. */
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_TIMESTAMPNS;
	c->cmsg_len = CMSG_LEN(sizeof(ts) - 1);
	pdi_cmsg_parse(&msg, &cm);
	assert_false(cm.has_ts);
	/* Nothing to parse. */
	msg.msg_control = NULL;
	msg.msg_controllen = 0;
	pdi_cmsg_parse(&msg, &cm);
	assert_false(cm.err.present);
	pdi_cmsg_parse(NULL, &cm);
	assert_false(cm.err.present);
}

static void test_sa_addr(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	uint8_t a[16];

	(void)state;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	assert_false(pdi_sa_addr(&ss, a));
	memcpy(&s6.sin6_addr, server6, 16);
	memcpy(&ss, &s6, sizeof(s6));
	assert_true(pdi_sa_addr(&ss, a));
	assert_memory_equal(a, server6, 16);
}

/* ---- forged errors (issue 7: spoofed ICMP) ------------------------------- */

/* An error about probe k whose quoted IP header claims `total` bytes
 * instead of the probe's; everything else (flow, ids, token) is the probe's. */
static enum pdi_verdict length_forged(const struct fx *x, const struct pk *k, uint16_t total,
				      struct pdi_match *m)
{
	uint8_t q[BUF], pkt[BUF];
	const uint8_t *msg;
	size_t qlen = probe_bytes(x, k, q);
	size_t len;
	uint8_t *h;
	enum pdi_verdict v;

	if (x->f.family == 6) {
		pd_store_be16(q + 4, (uint16_t)(total - 40));
	} else {
		pd_store_be16(q + 2, total);
		q[10] = q[11] = 0;
		pd_store_be16(q + 10, pd_csum(q, 20));
	}
	len = icmp_error(x, x->router, too_big_type(x->f.family), too_big_code(x->f.family),
			 x->f.family == 6 ? 1280 : 552, q, qlen, pkt, &msg);
	h = heap_copy(msg, len);
	v = pdi_match_icmp(&x->f, &x->t, h, len, x->router, m);
	free(h);
	return v;
}

/* Regression: a "too big" quoting a probe exactly except for the quoted
 * total length was believed on raw sockets (an on-path forger's tiny MTU). */
static void test_quoted_length(void **state)
{
	static const enum pd_probe_method ms[] = { PD_PROBE_ICMP, PD_PROBE_UDP, PD_PROBE_TCP };
	struct pdi_match m;

	(void)state;
	for (int fam = 4; fam <= 6; fam += 2) {
		for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
			struct fx *x = fixture(fam, ms[i]);
			struct pk k = pk_of(x, 2);       /* 1455 bytes */

			assert_int_equal(length_forged(x, &k, 1455, &m), PDI_EVENT);
			assert_int_equal(m.kind, PD_PROBE_TOO_BIG);
			assert_int_equal(m.probe_id, 2);
			assert_int_equal(length_forged(x, &k, 1451, &m), PDI_BOGUS);
			assert_true(m.has_icmp);
			assert_int_equal(m.icmp_type, too_big_type(fam));
			assert_int_equal(length_forged(x, &k, 1459, &m), PDI_BOGUS);
			/* Probe 1's length with probe 2's fields. */
			assert_int_equal(length_forged(x, &k, 1454, &m), PDI_BOGUS);
			free(x);
		}
	}
}

/* Errors ignored for other reasons still say what they claimed. */
static void test_ignored_kind(void **state)
{
	struct pdi_match m;

	(void)state;
	for (int fam = 4; fam <= 6; fam += 2) {
		struct fx *x = fixture(fam, PD_PROBE_UDP);
		struct pk k = pk_of(x, 1);

		k.sport_delta = 1;
		assert_int_equal(too_big_verdict(x, &k, 68, &m), PDI_UNMATCHED);
		assert_true(m.has_icmp);
		assert_int_equal(m.icmp_type, too_big_type(fam));
		assert_int_equal(m.icmp_code, too_big_code(fam));
		assert_int_equal(pdi_icmp_err_kind(fam, m.icmp_type, m.icmp_code),
				 PDI_ERRK_TOO_BIG);
		k = pk_of(x, 1);
		k.cookie = COOKIE ^ 1;
		assert_int_equal(err_verdict(x, &k, x->router, fam == 6 ? 3 : 11, 0, 0, &m),
				 PDI_UNMATCHED);
		assert_true(m.has_icmp);
		assert_int_equal(pdi_icmp_err_kind(fam, m.icmp_type, m.icmp_code), PDI_ERRK_TTL);
		free(x);
	}
	/* The classification itself (RFC 792, RFC 4443 section 3). */
	assert_int_equal(pdi_icmp_err_kind(4, 3, 4), PDI_ERRK_TOO_BIG);
	assert_int_equal(pdi_icmp_err_kind(4, 3, 3), PDI_ERRK_UNREACH);
	assert_int_equal(pdi_icmp_err_kind(4, 3, 13), PDI_ERRK_UNREACH);
	assert_int_equal(pdi_icmp_err_kind(4, 11, 0), PDI_ERRK_TTL);
	assert_int_equal(pdi_icmp_err_kind(4, 11, 1), PDI_ERRK_OTHER);
	assert_int_equal(pdi_icmp_err_kind(4, 12, 0), PDI_ERRK_OTHER);
	assert_int_equal(pdi_icmp_err_kind(4, 5, 1), PDI_ERRK_OTHER);
	assert_int_equal(pdi_icmp_err_kind(4, 0, 0), PDI_ERRK_NONE);
	assert_int_equal(pdi_icmp_err_kind(4, 8, 0), PDI_ERRK_NONE);
	assert_int_equal(pdi_icmp_err_kind(6, 2, 0), PDI_ERRK_TOO_BIG);
	assert_int_equal(pdi_icmp_err_kind(6, 1, 4), PDI_ERRK_UNREACH);
	assert_int_equal(pdi_icmp_err_kind(6, 3, 0), PDI_ERRK_TTL);
	assert_int_equal(pdi_icmp_err_kind(6, 3, 1), PDI_ERRK_OTHER);
	assert_int_equal(pdi_icmp_err_kind(6, 4, 0), PDI_ERRK_OTHER);
	assert_int_equal(pdi_icmp_err_kind(6, 128, 0), PDI_ERRK_NONE);
	assert_int_equal(pdi_icmp_err_kind(6, 129, 0), PDI_ERRK_NONE);
}

static void set_quoted(struct pdi_sockerr *se, int family, const uint8_t *addr, uint16_t port)
{
	if (family == 6) {
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

		memcpy(&s6.sin6_addr, addr, 16);
		memcpy(&se->quoted, &s6, sizeof(s6));
	} else {
		struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(port) };

		memcpy(&s4.sin_addr, addr, 4);
		memcpy(&se->quoted, &s4, sizeof(s4));
	}
}

/* Regression: a ping socket gets every error quoting its echo identifier,
 * whatever the quoted destination; the error queue's msg_name names it. */
static void test_errq_quoted_dst(void **state)
{
	struct pdi_match m;
	uint8_t d[BUF];

	(void)state;
	for (int fam = 4; fam <= 6; fam += 2) {
		struct fx *i = fixture(fam, PD_PROBE_ICMP);
		struct fx *u = fixture(fam, PD_PROBE_UDP);
		struct pdi_sockerr se = sockerr(fam, too_big_type(fam), too_big_code(fam), 1280,
						i->router);
		struct pk k = pk_of(i, 2);
		size_t n = errq_data(i, &k, d, 0);

		set_quoted(&se, fam, i->dst, 0);
		assert_int_equal(pdi_match_errq(&i->f, &i->t, &se, d, n, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_TOO_BIG);
		set_quoted(&se, fam, i->router, 0);
		assert_int_equal(pdi_match_errq(&i->f, &i->t, &se, d, n, &m), PDI_UNMATCHED);
		assert_true(m.has_icmp);
		assert_int_equal(m.icmp_type, too_big_type(fam));
		/* UDP: the kernel matched the ports; the quoted ones must agree. */
		k = pk_of(u, 2);
		n = errq_data(u, &k, d, 0);
		set_quoted(&se, fam, u->dst, UDP_DPORT);
		assert_int_equal(pdi_match_errq(&u->f, &u->t, &se, d, n, &m), PDI_EVENT);
		set_quoted(&se, fam, u->dst, UDP_DPORT + 1);
		assert_int_equal(pdi_match_errq(&u->f, &u->t, &se, d, n, &m), PDI_UNMATCHED);
		set_quoted(&se, fam, u->src, UDP_DPORT);
		assert_int_equal(pdi_match_errq(&u->f, &u->t, &se, d, n, &m), PDI_UNMATCHED);
		free(i);
		free(u);
	}
}

/* pdi_cmsg_parse: msg_name of an error-queue message is the quoted
 * destination; on an ordinary message it is the sender, not kept. */
static void test_cmsg_quoted(void **state)
{
	union {
		struct cmsghdr align;
		uint8_t b[256];
	} ctl;
	struct sock_extended_err ee = { .ee_errno = 90, .ee_origin = SO_EE_ORIGIN_ICMP,
					.ee_type = 3, .ee_code = 4, .ee_info = 552 };
	struct sockaddr_in name = { .sin_family = AF_INET, .sin_port = htons(UDP_DPORT) };
	struct sockaddr_in got;
	struct msghdr msg;
	struct cmsghdr *c;
	struct pdi_cmsgs cm;

	(void)state;
	memcpy(&name.sin_addr, server4, 4);
	memset(&ctl, 0, sizeof(ctl));
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &name;
	msg.msg_namelen = sizeof(name);
	msg.msg_control = ctl.b;
	msg.msg_controllen = CMSG_SPACE(sizeof(ee));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_IP;
	c->cmsg_type = IP_RECVERR;
	c->cmsg_len = CMSG_LEN(sizeof(ee));
	memcpy(CMSG_DATA(c), &ee, sizeof(ee));
	pdi_cmsg_parse(&msg, &cm);
	assert_true(cm.err.present);
	assert_int_equal(cm.err.quoted.ss_family, AF_INET);
	memcpy(&got, &cm.err.quoted, sizeof(got));
	assert_memory_equal(&got.sin_addr, server4, 4);
	assert_int_equal(ntohs(got.sin_port), UDP_DPORT);
	/* A name too short for its family is not taken. */
	msg.msg_namelen = 4;
	pdi_cmsg_parse(&msg, &cm);
	assert_int_equal(cm.err.quoted.ss_family, 0);
	/* No extended error: no quote. */
	msg.msg_namelen = sizeof(name);
	c->cmsg_type = IP_TOS;
	pdi_cmsg_parse(&msg, &cm);
	assert_false(cm.err.present);
	assert_int_equal(cm.err.quoted.ss_family, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_udp_errors),
		cmocka_unit_test(test_udp_forged),
		cmocka_unit_test(test_v4_specifics),
		cmocka_unit_test(test_truncated_quotes),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_icmp_request),
		cmocka_unit_test(test_tcp_answers),
		cmocka_unit_test(test_tcp_partial_csum),
		cmocka_unit_test(test_tcp_errors),
		cmocka_unit_test(test_real_router),
		cmocka_unit_test(test_errq),
		cmocka_unit_test(test_udp_reply),
		cmocka_unit_test(test_cmsg),
		cmocka_unit_test(test_sa_addr),
		cmocka_unit_test(test_quoted_length),
		cmocka_unit_test(test_ignored_kind),
		cmocka_unit_test(test_errq_quoted_dst),
		cmocka_unit_test(test_cmsg_quoted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
