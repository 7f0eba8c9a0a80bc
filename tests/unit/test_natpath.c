/* test_natpath.c - nattrace path mode's pure half (pathdiag/natpath.h): probes with a chosen
 * checksum, quote comparison, ICMP answer parsing, and the conclusions over a path.
 *
 * Probes come from pd_natpath_build (itself on the encoders); their checksums are verified
 * independently (RFC 1071: the one's-complement sum over pseudo-header, header and payload
 * folds to 0xffff).  Quotes are the sent bytes with the fields a middlebox rewrites patched at
 * their RFC offsets, or whole ICMP errors built by pd_build_icmp_error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pathdiag/checksum.h>
#include <pathdiag/encode.h>
#include <pathdiag/natpath.h>

static const uint8_t SRC4[4] = { 10, 0, 1, 2 }, DST4[4] = { 203, 0, 113, 10 };
static const uint8_t SRC6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2 };
static const uint8_t DST6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 2 };

static void spec(struct pd_natpath_probe *p, int family, enum pd_natpath_proto proto,
		 uint16_t key)
{
	memset(p, 0, sizeof(*p));
	p->family = family;
	if (family == 4) {
		memcpy(p->src, SRC4, 4);
		memcpy(p->dst, DST4, 4);
	} else {
		memcpy(p->src, SRC6, 16);
		memcpy(p->dst, DST6, 16);
	}
	p->proto = proto;
	p->sport = 33001;
	p->dport = proto == PD_NATPATH_TCP ? 80 : 33434;
	p->ttl = 3;
	p->df = family == 4;
	p->key = key;
	p->seq_hi = 0xabcd;
	p->mss = proto == PD_NATPATH_TCP ? 1460 : 0;
	p->window = 64240;
	p->payload_len = 32;
}

static size_t build(const struct pd_natpath_probe *p, uint8_t *buf)
{
	int n = pd_natpath_build(p, buf, PD_NATPATH_PROBE_MAX, NULL);

	assert_true(n > 0);
	return (size_t)n;
}

static uint8_t ipproto(enum pd_natpath_proto p, int family)
{
	return p == PD_NATPATH_TCP ? 6 : p == PD_NATPATH_UDP ? 17 : family == 6 ? 58 : 1;
}

/* The transport checksum is right: the sum over everything folds to 0. */
static void assert_csum_valid(const uint8_t *pkt, size_t len, int family,
			      enum pd_natpath_proto proto)
{
	size_t ih = family == 6 ? 40 : 20;
	uint32_t sum = 0;

	if (family == 6)
		sum = pd_csum_pseudo6(pkt + 8, pkt + 24, ipproto(proto, 6), (uint32_t)(len - ih));
	else if (proto != PD_NATPATH_ICMP)
		sum = pd_csum_pseudo4(pkt + 12, pkt + 16, ipproto(proto, 4), (uint16_t)(len - ih));
	sum = pd_csum_add(sum, pkt + ih, len - ih);
	assert_int_equal(pd_csum_finish(sum), 0);
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void test_build_key_in_checksum_and_id(void **state)
{
	static const enum pd_natpath_proto protos[] = { PD_NATPATH_UDP, PD_NATPATH_TCP,
							 PD_NATPATH_ICMP };
	static const uint16_t keys[] = { 1, 0x1234, 0x8000, 0xfffe, 0xbeef };
	uint8_t pkt[PD_NATPATH_PROBE_MAX];
	struct pd_natpath_probe p;
	size_t i, k, len;
	int fam;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2)
		for (i = 0; i < 3; i++)
			for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
				size_t ih = fam == 6 ? 40 : 20;
				size_t off = protos[i] == PD_NATPATH_UDP ? 6 :
					     protos[i] == PD_NATPATH_TCP ? 16 : 2;

				spec(&p, fam, protos[i], keys[k]);
				len = build(&p, pkt);
				assert_int_equal(be16(pkt + ih + off), keys[k]);
				assert_csum_valid(pkt, len, fam, protos[i]);
				if (fam == 4) {
					assert_int_equal(be16(pkt + 4), keys[k]); /* IPv4 ID */
					assert_int_equal(pkt[6] & 0x40, 0x40);    /* DF */
					assert_int_equal(pkt[8], 3);              /* TTL */
				} else {
					uint32_t flow = (uint32_t)(pkt[1] & 0xf) << 16 |
							(uint32_t)pkt[2] << 8 | pkt[3];

					assert_int_equal(flow, keys[k]);
					assert_int_equal(pkt[7], 3); /* hop limit */
				}
				if (protos[i] == PD_NATPATH_TCP) {
					/* seq high half as given; MSS option 2,4,1460 */
					assert_int_equal(be16(pkt + ih + 4), 0xabcd);
					assert_int_equal(pkt[ih + 20], 2);
					assert_int_equal(pkt[ih + 21], 4);
					assert_int_equal(be16(pkt + ih + 22), 1460);
				}
				if (protos[i] == PD_NATPATH_ICMP)
					assert_int_equal(be16(pkt + ih + 6), keys[k]); /* echo seq */
			}
}

static void test_build_invalid(void **state)
{
	uint8_t pkt[PD_NATPATH_PROBE_MAX];
	struct pd_natpath_probe p;
	struct pd_error err = { 0 };

	(void)state;
	spec(&p, 4, PD_NATPATH_UDP, 0);
	assert_int_equal(pd_natpath_build(&p, pkt, sizeof(pkt), &err), PD_ERR_INVAL);
	p.key = 0xffff;
	assert_int_equal(pd_natpath_build(&p, pkt, sizeof(pkt), &err), PD_ERR_INVAL);
	p.key = 7;
	p.ttl = 0;
	assert_int_equal(pd_natpath_build(&p, pkt, sizeof(pkt), &err), PD_ERR_INVAL);
	p.ttl = 1;
	p.payload_len = 1;
	assert_int_equal(pd_natpath_build(&p, pkt, sizeof(pkt), &err), PD_ERR_INVAL);
	p.payload_len = 32;
	assert_int_equal(pd_natpath_build(&p, pkt, 40, &err), PD_ERR_NOSPACE);
	p.family = 5;
	assert_int_equal(pd_natpath_build(&p, pkt, sizeof(pkt), &err), PD_ERR_INVAL);
}

/* The fixer makes any checksum into any other (but 0xffff). */
static void test_fixer(void **state)
{
	uint32_t x = 12345;
	unsigned i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		uint8_t word[4];
		uint16_t c, want, f;

		x = x * 1103515245u + 12345u;
		word[0] = (uint8_t)(x >> 24);
		word[1] = (uint8_t)(x >> 16);
		x = x * 1103515245u + 12345u;
		want = (uint16_t)(x >> 8);
		if (want == 0xffff)
			continue;
		/* region = word[0..1]; its checksum; add the fixer as word[2..3] */
		c = pd_csum(word, 2);
		f = pd_natpath_fixer(c, want);
		word[2] = (uint8_t)(f >> 8);
		word[3] = (uint8_t)f;
		assert_int_equal(pd_csum(word, 4), want);
	}
}

static const struct pd_natpath_change *find(const struct pd_natpath_diff *d,
					     enum pd_natpath_field f)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->change[i].field == f)
			return &d->change[i];
	return NULL;
}

static void test_compare_identical(void **state)
{
	uint8_t pkt[PD_NATPATH_PROBE_MAX];
	struct pd_natpath_probe p;
	struct pd_natpath_diff d;
	size_t len;

	(void)state;
	spec(&p, 4, PD_NATPATH_TCP, 0x4242);
	len = build(&p, pkt);
	assert_int_equal(pd_natpath_compare(pkt, len, pkt, len, &d, NULL), PD_OK);
	assert_int_equal(d.n, 0);
	assert_int_equal(d.quoted_bytes, len);
	assert_int_equal(d.transport_bytes, len - 20);
	assert_int_equal(d.quoted_ttl, 3);
	assert_true(d.compared & (1u << PD_NP_TCP_MSS));
	assert_true(d.compared & (1u << PD_NP_IP_SRC));
	assert_true(d.compared & (1u << PD_NP_CHECKSUM));
}

/* A stateless NAT rewrote the source (and fixed nothing else: the checksum stays). */
static void test_compare_src_rewritten(void **state)
{
	static const uint8_t nat[4] = { 198, 51, 100, 7 };
	uint8_t pkt[PD_NATPATH_PROBE_MAX], q[PD_NATPATH_PROBE_MAX];
	struct pd_natpath_probe p;
	struct pd_natpath_diff d;
	const struct pd_natpath_change *c;
	size_t len;

	(void)state;
	spec(&p, 4, PD_NATPATH_UDP, 0x1111);
	len = build(&p, pkt);
	memcpy(q, pkt, len);
	memcpy(q + 12, nat, 4);
	q[8] = 1; /* quoted TTL: 1 at the expiring hop; never compared */
	assert_int_equal(pd_natpath_compare(pkt, len, q, len, &d, NULL), PD_OK);
	assert_int_equal(d.n, 1);
	c = find(&d, PD_NP_IP_SRC);
	assert_non_null(c);
	assert_memory_equal(c->sent_addr, SRC4, 4);
	assert_memory_equal(c->quoted_addr, nat, 4);
	assert_string_equal(pd_natpath_field_name(c->field, PD_NATPATH_UDP), "ip.src");
	assert_true(pd_natpath_field_is_addr(c->field));
	assert_int_equal(d.quoted_ttl, 1);
}

/* RFC 792 quote: IP header + 8 bytes.  TCP: ports and seq only; no checksum, no MSS. */
static void test_compare_short_quote(void **state)
{
	uint8_t pkt[PD_NATPATH_PROBE_MAX], q[PD_NATPATH_PROBE_MAX];
	struct pd_natpath_probe p;
	struct pd_natpath_diff d;
	size_t len;

	(void)state;
	spec(&p, 4, PD_NATPATH_TCP, 0x2222);
	len = build(&p, pkt);
	memcpy(q, pkt, len);
	q[20 + 17] ^= 0xff; /* checksum: beyond the quote */
	q[20 + 23] ^= 0xff; /* MSS: beyond the quote */
	q[21] ^= 0x01;      /* source port low byte: inside */
	assert_int_equal(pd_natpath_compare(pkt, len, q, 28, &d, NULL), PD_OK);
	assert_int_equal(d.quoted_bytes, 28);
	assert_int_equal(d.transport_bytes, 8);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.change[0].field, PD_NP_SPORT);
	assert_int_equal(d.change[0].sent, 33001);
	assert_int_equal(d.change[0].quoted, 33001 ^ 1);
	assert_false(d.compared & (1u << PD_NP_CHECKSUM));
	assert_false(d.compared & (1u << PD_NP_TCP_MSS));
	assert_true(d.compared & (1u << PD_NP_TCP_SEQ));

	/* UDP: 8 bytes hold the whole header, checksum included. */
	spec(&p, 4, PD_NATPATH_UDP, 0x2223);
	len = build(&p, pkt);
	memcpy(q, pkt, len);
	q[20 + 7] ^= 0x10;
	assert_int_equal(pd_natpath_compare(pkt, len, q, 28, &d, NULL), PD_OK);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.change[0].field, PD_NP_CHECKSUM);
	assert_int_equal(d.change[0].sent, 0x2223);
	assert_int_equal(d.change[0].quoted, 0x2223 ^ 0x10);
	assert_false(d.compared & (1u << PD_NP_PAYLOAD));
}

/* MSS clamped, DSCP set to CS1, ECN bleached, DF cleared: each at its RFC offset. */
static void test_compare_mss_dscp_df(void **state)
{
	uint8_t pkt[PD_NATPATH_PROBE_MAX], q[PD_NATPATH_PROBE_MAX];
	struct pd_natpath_probe p;
	struct pd_natpath_diff d;
	const struct pd_natpath_change *c;
	size_t len;

	(void)state;
	spec(&p, 4, PD_NATPATH_TCP, 0x3333);
	p.tos = 0x02; /* ECT(0) */
	len = build(&p, pkt);
	memcpy(q, pkt, len);
	q[1] = 8 << 2;                 /* DSCP CS1, ECN 0 */
	q[6] &= (uint8_t)~0x40;        /* DF off */
	q[20 + 22] = 1360 >> 8;        /* MSS value */
	q[20 + 23] = 1360 & 0xff;
	assert_int_equal(pd_natpath_compare(pkt, len, q, len, &d, NULL), PD_OK);
	assert_int_equal(d.n, 4);
	c = find(&d, PD_NP_TCP_MSS);
	assert_non_null(c);
	assert_int_equal(c->sent, 1460);
	assert_int_equal(c->quoted, 1360);
	c = find(&d, PD_NP_IP_DSCP);
	assert_int_equal(c->sent, 0);
	assert_int_equal(c->quoted, 8);
	c = find(&d, PD_NP_IP_ECN);
	assert_int_equal(c->sent, 2);
	assert_int_equal(c->quoted, 0);
	c = find(&d, PD_NP_IP_DF);
	assert_int_equal(c->sent, 1);
	assert_int_equal(c->quoted, 0);
}

static void test_compare_ipv6(void **state)
{
	uint8_t pkt[PD_NATPATH_PROBE_MAX], q[PD_NATPATH_PROBE_MAX];
	struct pd_natpath_probe p;
	struct pd_natpath_diff d;
	const struct pd_natpath_change *c;
	size_t len;

	(void)state;
	spec(&p, 6, PD_NATPATH_UDP, 0x5a5a);
	len = build(&p, pkt);
	memcpy(q, pkt, len);
	q[3] ^= 0x01;  /* flow label */
	q[8 + 15] = 9; /* source address, last byte */
	q[40 + 1] ^= 0x02; /* source port */
	assert_int_equal(pd_natpath_compare(pkt, len, q, len, &d, NULL), PD_OK);
	assert_int_equal(d.family, 6);
	assert_int_equal(d.n, 3);
	c = find(&d, PD_NP_IP_FLOW);
	assert_int_equal(c->sent, 0x5a5a);
	assert_int_equal(c->quoted, 0x5a5b);
	c = find(&d, PD_NP_IP_SRC);
	assert_int_equal(c->quoted_addr[15], 9);
	assert_memory_equal(c->sent_addr, SRC6, 16);
	assert_non_null(find(&d, PD_NP_SPORT));
}

static void test_compare_bad_quotes(void **state)
{
	uint8_t pkt[PD_NATPATH_PROBE_MAX], pkt6[PD_NATPATH_PROBE_MAX];
	struct pd_natpath_probe p;
	struct pd_natpath_diff d;
	struct pd_error err = { 0 };
	size_t len, len6;

	(void)state;
	spec(&p, 4, PD_NATPATH_UDP, 9);
	len = build(&p, pkt);
	spec(&p, 6, PD_NATPATH_UDP, 9);
	len6 = build(&p, pkt6);
	assert_int_equal(pd_natpath_compare(pkt, len, pkt6, len6, &d, &err), PD_ERR_MALFORMED);
	assert_int_equal(pd_natpath_compare(pkt, len, pkt, 19, &d, &err), PD_ERR_TRUNCATED);
	assert_int_equal(pd_natpath_compare(pkt, len, pkt, 0, &d, &err), PD_ERR_TRUNCATED);
	assert_int_equal(pd_natpath_compare(pkt6, len6, pkt6, 39, &d, &err), PD_ERR_TRUNCATED);
	assert_int_equal(pd_natpath_compare(NULL, 0, pkt, len, &d, &err), PD_ERR_INVAL);
	/* The IP header alone: compared, no transport bytes. */
	assert_int_equal(pd_natpath_compare(pkt, len, pkt, 20, &d, &err), PD_OK);
	assert_int_equal(d.transport_bytes, 0);
	assert_int_equal(d.n, 0);
}

/* A router's time exceeded, built by the encoder around the probe. */
static void test_parse_time_exceeded(void **state)
{
	uint8_t pkt[PD_NATPATH_PROBE_MAX], msg[1500];
	struct pd_natpath_probe p;
	struct pd_natpath_answer a;
	struct pd_ip_spec ip;
	size_t len;
	int n, fam;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2) {
		size_t oh = fam == 6 ? 40 : 20;

		spec(&p, fam, PD_NATPATH_TCP, 0x7777);
		len = build(&p, pkt);
		memset(&ip, 0, sizeof(ip));
		ip.family = fam;
		memcpy(ip.src, fam == 6 ? DST6 : DST4, fam == 6 ? 16 : 4);
		memcpy(ip.dst, fam == 6 ? SRC6 : SRC4, fam == 6 ? 16 : 4);
		n = pd_build_icmp_error(&ip, fam == 6 ? 3 : 11, 0, 0, pkt, len, msg, sizeof(msg));
		assert_true(n > 0);
		assert_int_equal(pd_natpath_parse_icmp(fam, msg + oh, (size_t)n - oh, &a, NULL),
				 PD_OK);
		assert_int_equal(a.kind, PD_NATPATH_EXPIRED);
		assert_int_equal(a.key, 0x7777);
		assert_true(a.has_key2);
		assert_int_equal(a.key2, 0x7777);
		assert_int_equal(a.quoted_proto, 6);
		assert_int_equal(a.quote_off, 8);
		assert_int_equal(a.quote_len, len);
		/* Cut to the IP header: still the key, no checksum; shorter is truncated. */
		assert_int_equal(pd_natpath_parse_icmp(fam, msg + oh, 8 + oh, &a, NULL), PD_OK);
		assert_int_equal(a.key, 0x7777);
		assert_false(a.has_key2);
		assert_int_equal(pd_natpath_parse_icmp(fam, msg + oh, 8 + oh - 1, &a, NULL),
				 PD_ERR_TRUNCATED);
		/* The parser does not verify the ICMP checksum (the kernel did). */
		memset(msg + oh + 2, 0, 2);
		assert_int_equal(pd_natpath_parse_icmp(fam, msg + oh, (size_t)n - oh, &a, NULL),
				 PD_OK);
		assert_int_equal(a.key2, 0x7777);
	}
}

static void test_parse_echo_reply_and_others(void **state)
{
	uint8_t msg[256];
	struct pd_natpath_answer a;
	struct pd_ip_spec ip;
	struct pd_error err = { 0 };
	int n;

	(void)state;
	memset(&ip, 0, sizeof(ip));
	ip.family = 4;
	memcpy(ip.src, DST4, 4);
	memcpy(ip.dst, SRC4, 4);
	n = pd_build_icmp_echo(&ip, true, 99, 0x4321, NULL, 16, msg, sizeof(msg));
	assert_true(n > 20);
	assert_int_equal(pd_natpath_parse_icmp(4, msg + 20, (size_t)n - 20, &a, NULL), PD_OK);
	assert_int_equal(a.kind, PD_NATPATH_ECHO_REPLY);
	assert_int_equal(a.key, 0x4321);
	n = pd_build_icmp_echo(&ip, false, 99, 0x4321, NULL, 16, msg, sizeof(msg));
	assert_int_equal(pd_natpath_parse_icmp(4, msg + 20, (size_t)n - 20, &a, &err),
			 PD_ERR_UNSUPPORTED);
	/* A quote of the other IP version. */
	msg[0] = 11;
	msg[1] = 0;
	memset(msg + 2, 0, 6);
	msg[8] = 0x60;
	memset(msg + 9, 0, 60);
	assert_int_equal(pd_natpath_parse_icmp(4, msg, 69, &a, &err), PD_ERR_MALFORMED);
}

static void test_scope(void **state)
{
	static const struct {
		int fam;
		uint8_t a[16];
		enum pd_natpath_scope s;
	} t[] = {
		{ 4, { 100, 64, 0, 1 }, PD_NATPATH_SHARED },
		{ 4, { 100, 127, 255, 254 }, PD_NATPATH_SHARED },
		{ 4, { 100, 128, 0, 1 }, PD_NATPATH_PUBLIC },
		{ 4, { 100, 63, 255, 255 }, PD_NATPATH_PUBLIC },
		{ 4, { 10, 9, 8, 7 }, PD_NATPATH_PRIVATE },
		{ 4, { 172, 16, 0, 1 }, PD_NATPATH_PRIVATE },
		{ 4, { 172, 31, 255, 1 }, PD_NATPATH_PRIVATE },
		{ 4, { 172, 32, 0, 1 }, PD_NATPATH_PUBLIC },
		{ 4, { 192, 168, 1, 1 }, PD_NATPATH_PRIVATE },
		{ 4, { 203, 0, 113, 1 }, PD_NATPATH_PUBLIC },
		{ 4, { 127, 0, 0, 1 }, PD_NATPATH_OTHER },
		{ 6, { 0xfc, 0 }, PD_NATPATH_ULA },
		{ 6, { 0xfd, 0, 0, 1 }, PD_NATPATH_ULA },
		{ 6, { 0xfe, 0x80 }, PD_NATPATH_OTHER },
		{ 6, { 0x20, 0x01, 0x0d, 0xb8 }, PD_NATPATH_PUBLIC },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(pd_natpath_scope(t[i].fam, t[i].a), t[i].s);
	assert_string_equal(pd_natpath_scope_name(PD_NATPATH_SHARED), "shared");
}

/* A path of n hops; hop i answers from 10.0.i.1 (or addr), quoting q (a copy of the probe
 * with the given patch applied from hop `from` on). */
struct pathcase {
	uint8_t pkt[PD_NATPATH_PROBE_MAX];
	size_t len;
	struct pd_natpath_hop hop[8];
};

static void make_hop(struct pathcase *pc, unsigned ttl, const uint8_t addr[4],
		     const uint8_t *quote)
{
	struct pd_natpath_hop *h = &pc->hop[ttl - 1];

	memset(h, 0, sizeof(*h));
	h->ttl = ttl;
	h->answered = true;
	memcpy(h->addr, addr, 4);
	h->has_diff = true;
	assert_int_equal(pd_natpath_compare(pc->pkt, pc->len, quote, pc->len, &h->diff, NULL),
			 PD_OK);
}

static void test_analyse_attribution_and_cgn(void **state)
{
	static struct pathcase pc;
	static const uint8_t a1[4] = { 192, 168, 1, 1 }, a2[4] = { 100, 64, 0, 1 },
			     a3[4] = { 198, 51, 100, 1 }, a4[4] = { 203, 0, 113, 10 };
	uint8_t q[PD_NATPATH_PROBE_MAX];
	struct pd_natpath_probe p;
	struct pd_natpath_summary s;

	(void)state;
	spec(&p, 4, PD_NATPATH_UDP, 0x6060);
	p.ttl = 1; /* as quoted by the hop where it expires */
	pc.len = build(&p, pc.pkt);
	memcpy(q, pc.pkt, pc.len);
	make_hop(&pc, 1, a1, q);
	q[1] = 8 << 2; /* DSCP rewritten by hop 1: first seen at 2 */
	make_hop(&pc, 2, a2, q);
	q[12] = 100;   /* source translated after hop 2 */
	q[13] = 70;
	q[8] = 3;      /* and a TTL that came back up */
	make_hop(&pc, 3, a3, q);
	make_hop(&pc, 4, a4, q);
	pc.hop[3].target = true;
	pd_natpath_analyse(pc.hop, 4, &s);
	assert_int_equal(pc.hop[1].scope, PD_NATPATH_SHARED);
	assert_int_equal(s.shared_ttl, 2);
	assert_int_equal(s.customer_ttl, 1);
	assert_int_equal(s.dscp_ttl, 2);
	assert_int_equal(s.dscp_value, 8);
	assert_true(s.nat);
	assert_int_equal(s.n_nat, 1);
	assert_int_equal(s.nat_ttl[0], 3);
	assert_false(s.nat_restored[0]);
	assert_true(s.carrier_grade);
	assert_int_equal(s.ttl_ttl, 3);
	/* The DSCP change persists: new at hop 2 only. */
	assert_true(pc.hop[1].is_new[0]);
	assert_int_equal(pc.hop[2].diff.change[0].field, PD_NP_IP_DSCP);
	assert_false(pc.hop[2].is_new[0]);
	assert_int_equal(pc.hop[3].diff.n, pc.hop[2].diff.n);
	for (size_t i = 0; i < pc.hop[3].diff.n; i++)
		assert_false(pc.hop[3].is_new[i]);
	assert_int_equal(s.mss_ttl, 0);
	assert_int_equal(s.df_ttl, 0);
}

/* The dublin-traceroute case: addresses restored in the quote, checksum not. */
static void test_analyse_restored_quote(void **state)
{
	static struct pathcase pc;
	static const uint8_t a1[4] = { 192, 168, 1, 1 }, a2[4] = { 192, 0, 2, 1 };
	uint8_t q[PD_NATPATH_PROBE_MAX];
	struct pd_natpath_probe p;
	struct pd_natpath_summary s;

	(void)state;
	spec(&p, 4, PD_NATPATH_UDP, 0x0101);
	p.ttl = 1;
	pc.len = build(&p, pc.pkt);
	memcpy(q, pc.pkt, pc.len);
	make_hop(&pc, 1, a1, q);
	q[20 + 6] ^= 0x5a; /* checksum only */
	make_hop(&pc, 2, a2, q);
	pd_natpath_analyse(pc.hop, 2, &s);
	assert_true(s.nat);
	assert_int_equal(s.nat_ttl[0], 2);
	assert_true(s.nat_restored[0]);
	assert_false(s.carrier_grade); /* right after the customer's router */

	/* A payload change also moves the checksum: not a NAT. */
	q[20 + 8 + 5] ^= 1;
	make_hop(&pc, 2, a2, q);
	pd_natpath_analyse(pc.hop, 2, &s);
	assert_false(s.nat);
}

/* A UDP/IPv4 probe as a stateless NAT forwards it: source rewritten, checksum
 * recomputed for the new source. */
static void nat_rewrite(uint8_t *q, size_t len, const uint8_t src[4])
{
	uint32_t sum;
	uint16_t c;

	memcpy(q + 12, src, 4);
	q[20 + 6] = q[20 + 7] = 0;
	sum = pd_csum_pseudo4(q + 12, q + 16, 17, (uint16_t)(len - 20));
	c = pd_csum_finish(pd_csum_add(sum, q + 20, len - 20));
	q[20 + 6] = (uint8_t)(c >> 8);
	q[20 + 7] = (uint8_t)c;
	assert_csum_valid(q, len, 4, PD_NATPATH_UDP);
}

/* Every probe carries its own checksum, so hops quoting different probes show
 * different checksums; the translation is new at the first of them only. */
static void test_analyse_checksum_per_probe(void **state)
{
	static const uint8_t a1[4] = { 10, 0, 1, 1 }, a2[4] = { 10, 0, 2, 2 },
			     a3[4] = { 203, 0, 113, 10 }, nat[4] = { 198, 51, 100, 7 };
	static struct pd_natpath_hop hop[3];
	const uint8_t *addr[3] = { a1, a2, a3 };
	uint8_t pkt[PD_NATPATH_PROBE_MAX], q[PD_NATPATH_PROBE_MAX];
	struct pd_natpath_probe p;
	struct pd_natpath_summary s;
	size_t len, i, j;

	(void)state;
	for (i = 0; i < 3; i++) {
		spec(&p, 4, PD_NATPATH_UDP, (uint16_t)(0x1111 * (i + 1)));
		p.ttl = 1;
		len = build(&p, pkt);
		memcpy(q, pkt, len);
		if (i > 0)
			nat_rewrite(q, len, nat);
		memset(&hop[i], 0, sizeof(hop[i]));
		hop[i].ttl = (unsigned)i + 1;
		hop[i].answered = true;
		memcpy(hop[i].addr, addr[i], 4);
		hop[i].has_diff = true;
		assert_int_equal(pd_natpath_compare(pkt, len, q, len, &hop[i].diff, NULL), PD_OK);
	}
	hop[2].target = true;
	pd_natpath_analyse(hop, 3, &s);
	assert_true(s.nat);
	assert_int_equal(s.n_nat, 1);
	assert_int_equal(s.nat_ttl[0], 2);
	assert_false(s.nat_restored[0]);
	assert_int_equal(hop[1].diff.n, 2); /* ip.src and the checksum */
	for (j = 0; j < hop[1].diff.n; j++)
		assert_true(hop[1].is_new[j]);
	assert_int_equal(hop[2].diff.n, 2);
	for (j = 0; j < hop[2].diff.n; j++) {
		if (hop[2].diff.change[j].field == PD_NP_CHECKSUM)
			assert_int_not_equal(hop[2].diff.change[j].sent,
					     hop[1].diff.change[j].sent);
		assert_false(hop[2].is_new[j]);
	}
}

/* No changes, and silent hops: nothing concluded, nothing new. */
static void test_analyse_clean_path(void **state)
{
	static struct pathcase pc;
	static const uint8_t a1[4] = { 10, 0, 1, 1 }, a3[4] = { 10, 0, 3, 2 };
	struct pd_natpath_probe p;
	struct pd_natpath_summary s;

	(void)state;
	spec(&p, 4, PD_NATPATH_ICMP, 0x0202);
	p.ttl = 1;
	pc.len = build(&p, pc.pkt);
	make_hop(&pc, 1, a1, pc.pkt);
	memset(&pc.hop[1], 0, sizeof(pc.hop[1]));
	pc.hop[1].ttl = 2;
	make_hop(&pc, 3, a3, pc.pkt);
	pd_natpath_analyse(pc.hop, 3, &s);
	assert_false(s.nat);
	assert_false(s.carrier_grade);
	assert_int_equal(s.customer_ttl, 1);
	assert_int_equal(pc.hop[0].diff.n + pc.hop[2].diff.n, 0);
	assert_int_equal(s.dscp_ttl + s.mss_ttl + s.df_ttl + s.ttl_ttl + s.shared_ttl, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_key_in_checksum_and_id),
		cmocka_unit_test(test_build_invalid),
		cmocka_unit_test(test_fixer),
		cmocka_unit_test(test_compare_identical),
		cmocka_unit_test(test_compare_src_rewritten),
		cmocka_unit_test(test_compare_short_quote),
		cmocka_unit_test(test_compare_mss_dscp_df),
		cmocka_unit_test(test_compare_ipv6),
		cmocka_unit_test(test_compare_bad_quotes),
		cmocka_unit_test(test_parse_time_exceeded),
		cmocka_unit_test(test_parse_echo_reply_and_others),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_analyse_attribution_and_cgn),
		cmocka_unit_test(test_analyse_restored_quote),
		cmocka_unit_test(test_analyse_checksum_per_probe),
		cmocka_unit_test(test_analyse_clean_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
