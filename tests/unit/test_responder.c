/* test_responder.c - the responder's decision logic (pathdiag/responder.h,
 * docs/responder.md): no amplification without the key, for any request
 * (property test over random and crafted requests and sources); with the
 * key, replies up to max_auth_bytes and no further; replay, stale and
 * forged requests refused; per-source and global token buckets; the
 * source table and nonce cache stay at their fixed size, evictions
 * counted; sources never answered; the TCP MSS report from a SYN built
 * with pathdiag's encoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pathdiag/encode.h>
#include <pathdiag/hmac.h>
#include <pathdiag/peerproto.h>
#include <pathdiag/responder.h>
#include <pathdiag/transport.h>

#define T0 1700000000000ull

static const uint8_t KEY[32] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static struct pd_peer_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct pd_peer_addr s;

	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.port = port;
	s.addr[0] = a;
	s.addr[1] = b;
	s.addr[2] = c;
	s.addr[3] = d;
	return s;
}

static struct pd_peer_addr v6(uint16_t last, uint16_t port)
{
	struct pd_peer_addr s;

	memset(&s, 0, sizeof(s));
	s.family = 6;
	s.port = port;
	s.addr[0] = 0xfd;
	s.addr[14] = (uint8_t)(last >> 8);
	s.addr[15] = (uint8_t)last;
	return s;
}

/* A responder with generous limits (so that only the rule under test
 * bites), optionally keyed; `tweak` adjusts the config first. */
static struct pd_responder *mk(bool keyed, void (*tweak)(struct pd_responder_config *))
{
	struct pd_responder_config cfg;
	struct pd_responder *r = NULL;
	struct pd_error e = { 0 };

	pd_responder_config_default(&cfg);
	cfg.src_pps = cfg.src_pps_burst = 1000000;
	cfg.src_bps = cfg.src_bps_burst = 1000000000;
	cfg.global_bps = cfg.global_bps_burst = 1000000000;
	cfg.tcp_port = PD_PEER_PORT;
	cfg.software = "pathdiag test";
	cfg.hash_seed[0] = 42;
	if (keyed) {
		cfg.key = KEY;
		cfg.key_len = sizeof(KEY);
	}
	if (tweak)
		tweak(&cfg);
	assert_int_equal(pd_responder_new(&cfg, T0, &r, &e), PD_OK);
	assert_non_null(r);
	return r;
}

/* Invariants of every plan, checked independently of the responder:
 * the replies' IP bytes add up, stay within the request's own IP bytes
 * unless the plan says authenticated (and then within cap), and each
 * reply is a server message carrying the request's nonce. */
static void check_plan(const struct pd_resp_plan *p, const uint8_t *req, size_t len,
		       const struct pd_peer_addr *src, uint32_t auth_cap)
{
	unsigned oh = pd_peer_overhead(src->family);
	uint64_t sum = 0;
	size_t i;

	assert_true(p->n <= PD_RESP_MAX_REPLIES);
	for (i = 0; i < p->n; i++) {
		const struct pd_resp_reply *rep = &p->reply[i];
		uint8_t *buf;
		struct pd_peer_msg m;
		struct pd_error e = { 0 };

		assert_true(rep->head_len <= rep->len);
		assert_true(rep->head_len <= PD_PEER_HEAD_MAX);
		sum += (uint64_t)rep->len + oh;
		buf = calloc(rep->len, 1);
		assert_non_null(buf);
		memcpy(buf, rep->head, rep->head_len);
		assert_int_equal(pd_peer_decode(buf, rep->len, &m, &e), PD_OK);
		free(buf);
		assert_false(pd_peer_type_is_request(m.type));
		assert_false(m.auth);
		assert_int_equal(m.type, rep->type);
		if (len >= 16) {
			uint64_t nonce = 0;
			int k;

			for (k = 8; k < 16; k++)
				nonce = nonce << 8 | req[k];
			assert_true(m.nonce == nonce);
		}
		if (m.type == PD_PEER_REV_DATA)
			assert_int_equal(m.u.data.size, rep->len + oh);
	}
	assert_true(sum == p->ip_bytes);
	if (p->authenticated)
		assert_true(p->ip_bytes <= auth_cap);
	else
		assert_true(p->ip_bytes <= len + oh);
}

static size_t enc(struct pd_peer_msg *m, size_t total, bool sign, uint64_t ts, uint8_t *buf,
		  size_t cap)
{
	size_t len = 0;
	struct pd_error e = { 0 };

	m->ts_ms = ts;
	assert_int_equal(pd_peer_encode(m, total, sign ? KEY : NULL, sign ? sizeof(KEY) : 0, buf,
					cap, &len, &e), PD_OK);
	return len;
}

static size_t rev_req(const uint16_t *sizes, unsigned n, uint64_t nonce, size_t total, bool sign,
		      uint64_t ts, uint8_t *buf, size_t cap)
{
	struct pd_peer_msg m;
	unsigned i;

	memset(&m, 0, sizeof(m));
	m.type = PD_PEER_REV_REQ;
	m.nonce = nonce;
	m.u.rev.count = (uint8_t)n;
	for (i = 0; i < n; i++)
		m.u.rev.size[i] = sizes[i];
	return enc(&m, total, sign, ts, buf, cap);
}

static size_t simple_req(int type, uint64_t nonce, size_t total, bool sign, uint64_t ts,
			 uint8_t *buf, size_t cap)
{
	struct pd_peer_msg m;

	memset(&m, 0, sizeof(m));
	m.type = (uint8_t)type;
	m.nonce = nonce;
	m.u.fwd.seq = (uint32_t)nonce;
	return enc(&m, total, sign, ts, buf, cap);
}

static size_t count_type(const struct pd_resp_plan *p, int type)
{
	size_t i, n = 0;

	for (i = 0; i < p->n; i++)
		n += p->reply[i].type == type;
	return n;
}

/* The ERROR of a plan, decoded (fails the test if there is none). */
static struct pd_peer_err plan_error(const struct pd_resp_plan *p)
{
	struct pd_peer_msg m;
	size_t i;

	memset(&m, 0, sizeof(m));
	for (i = 0; i < p->n; i++) {
		if (p->reply[i].type != PD_PEER_ERROR)
			continue;
		assert_int_equal(pd_peer_decode(p->reply[i].head, p->reply[i].head_len, &m, NULL),
				 PD_OK);
		return m.u.error;
	}
	fail_msg("no ERROR in the plan");
	return m.u.error;
}

/* ---- amplification -------------------------------------------------------- */

/* Random bytes, random well-formed requests with random sizes and padding,
 * both families, keyed and keyless responders, signed with a wrong key:
 * never more IP bytes out than in. */
static void test_no_amplification_property(void **state)
{
	static uint8_t buf[70000];
	struct pd_resp_plan plan;
	struct pd_responder *rs[2];
	uint8_t wrong[32];
	uint64_t i, now = T0 + 1000, answered = 0, with_data = 0;
	int k;

	(void)state;
	rs[0] = mk(false, NULL);
	rs[1] = mk(true, NULL);
	memset(wrong, 0x5a, sizeof(wrong));
	for (i = 0; i < 60000; i++) {
		struct pd_peer_addr src = (i & 1) ? v4(10, (uint8_t)(i >> 8), (uint8_t)i, 2, 40000)
						  : v6((uint16_t)i, 50000);
		struct pd_responder *r = rs[(i >> 1) & 1];
		uint64_t kind = rnd() % 5;
		size_t len, j;

		if (kind == 0) {
			/* raw random bytes, often with our magic and version */
			len = rnd() % 200;
			for (j = 0; j < len; j++)
				buf[j] = (uint8_t)rnd();
			if (len > 3 && (rnd() & 1)) {
				buf[0] = 0x50;
				buf[1] = 0x44;
				buf[2] = 1;
				buf[3] = (uint8_t)(rnd() % 10);
			}
		} else if (kind <= 2) {
			uint16_t sizes[PD_PEER_MAX_SIZES];
			unsigned n = (unsigned)(rnd() % 32) + 1;
			size_t min = 16 + 2 + 2 * n;

			for (j = 0; j < n; j++)
				sizes[j] = (uint16_t)(rnd() % 3 ? 40 + rnd() % 1600 : rnd());
			len = rnd() % 4 ? min + rnd() % 3000 : min + rnd() % 60000;
			len = rev_req(sizes, n, rnd(), len, false, 0, buf, sizeof(buf));
		} else if (kind == 3) {
			len = simple_req(rnd() & 1 ? PD_PEER_HELLO : PD_PEER_FWD_PROBE, rnd(),
					 20 + rnd() % 200, false, 0, buf, sizeof(buf));
		} else {
			/* signed with the wrong key: must count as unsigned */
			uint16_t sizes[2] = { 1500, 9000 };
			size_t l = 0;
			struct pd_peer_msg m;

			memset(&m, 0, sizeof(m));
			m.type = PD_PEER_REV_REQ;
			m.nonce = rnd();
			m.ts_ms = now;
			m.u.rev.count = 2;
			memcpy(m.u.rev.size, sizes, sizeof(sizes));
			assert_int_equal(pd_peer_encode(&m, 0, wrong, 32, buf, sizeof(buf), &l,
							NULL), PD_OK);
			len = l;
		}
		assert_int_equal(pd_responder_udp(r, buf, len, &src, now, &plan), PD_OK);
		assert_false(plan.authenticated);
		check_plan(&plan, buf, len, &src, 0);
		answered += plan.n > 0;
		with_data += count_type(&plan, PD_PEER_REV_DATA) > 0;
	}
	/* The property must not hold vacuously. */
	assert_true(answered > 10000);
	assert_true(with_data > 1000);
	for (k = 0; k < 2; k++) {
		struct pd_responder_stats st;

		pd_responder_get_stats(rs[k], &st);
		assert_true(st.tx_unauth_ip_bytes <= st.rx_unauth_ip_bytes);
		assert_true(st.auth_ok == 0);
		pd_responder_free(rs[k]);
	}
}

/* The case: asking 1455 bytes with a small request is refused
 * with TOO_BIG naming the size; a request as big as the reply gets it. */
static void test_unsigned_reverse_budget(void **state)
{
	struct pd_responder *r = mk(false, NULL);
	struct pd_peer_addr src = v4(10, 0, 1, 2, 40000);
	struct pd_resp_plan plan;
	struct pd_peer_err e;
	uint8_t buf[2000];
	uint16_t one[1] = { 1455 }, two[2] = { 1454, 1455 };
	size_t len;

	(void)state;
	len = rev_req(one, 1, 7, 64, false, 0, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &src, T0 + 1, &plan), PD_OK);
	check_plan(&plan, buf, len, &src, 0);
	assert_int_equal(count_type(&plan, PD_PEER_REV_DATA), 0);
	assert_int_equal(plan.n, 1);
	assert_int_equal(plan.reason, PD_RESP_TOO_BIG);
	e = plan_error(&plan);
	assert_int_equal(e.code, PD_PEER_E_TOO_BIG);
	assert_int_equal(e.arg, 64 + 28);     /* what this request could earn */
	assert_int_equal(e.arg32, 1);         /* size 0 refused */

	/* 1427 bytes of UDP payload = 1455 at the IP layer: exactly enough. */
	len = rev_req(one, 1, 8, 1455 - 28, false, 0, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &src, T0 + 2, &plan), PD_OK);
	check_plan(&plan, buf, len, &src, 0);
	assert_int_equal(plan.n, 1);
	assert_int_equal(plan.reply[0].type, PD_PEER_REV_DATA);
	assert_int_equal(plan.reply[0].len, 1455 - 28);
	assert_int_equal(plan.ip_bytes, 1455);
	assert_int_equal(plan.reason, PD_RESP_OK);

	/* Both sizes with room for one: the first is sent, then the ERROR
	 * saying the second was not (room for the ERROR is kept first). */
	len = rev_req(two, 2, 9, 1455 - 28, false, 0, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &src, T0 + 3, &plan), PD_OK);
	check_plan(&plan, buf, len, &src, 0);
	/* 1454 + ERROR (32 + 28) > 1455: 1454 does not fit beside the ERROR */
	assert_int_equal(count_type(&plan, PD_PEER_REV_DATA), 0);
	e = plan_error(&plan);
	assert_int_equal(e.arg32, 3);
	len = rev_req(two, 2, 10, 1454 + 60 - 28, false, 0, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &src, T0 + 4, &plan), PD_OK);
	check_plan(&plan, buf, len, &src, 0);
	assert_int_equal(count_type(&plan, PD_PEER_REV_DATA), 1);
	assert_int_equal(plan.reply[0].len, 1454 - 28);
	e = plan_error(&plan);
	assert_int_equal(e.arg32, 2);

	/* Sizes the protocol cannot build: below header + body, above max. */
	{
		uint16_t bad[3] = { 47, 9001, 100 };

		len = rev_req(bad, 3, 11, 1000, false, 0, buf, sizeof(buf));
		assert_int_equal(pd_responder_udp(r, buf, len, &src, T0 + 5, &plan), PD_OK);
		check_plan(&plan, buf, len, &src, 0);
		assert_int_equal(count_type(&plan, PD_PEER_REV_DATA), 1);
		assert_int_equal(plan.reply[0].len, 100 - 28);
		e = plan_error(&plan);
		assert_int_equal(e.arg32, 3);
	}
	pd_responder_free(r);
}

/* With the key: both sizes whatever the request's size; never past
 * max_auth_bytes; TOO_BIG names what was cut. */
static void test_signed_reverse(void **state)
{
	struct pd_responder *r = mk(true, NULL);
	struct pd_peer_addr src = v6(2, 40000);
	struct pd_resp_plan plan;
	struct pd_peer_err e;
	uint8_t buf[2000];
	uint16_t two[2] = { 1454, 1455 }, many[32];
	size_t len, i;

	(void)state;
	len = rev_req(two, 2, 100, 0, true, T0 + 10, buf, sizeof(buf));
	assert_int_equal(len, 16 + 6 + 40);
	assert_int_equal(pd_responder_udp(r, buf, len, &src, T0 + 20, &plan), PD_OK);
	assert_true(plan.authenticated);
	check_plan(&plan, buf, len, &src, 131072);
	assert_int_equal(plan.n, 2);
	assert_int_equal(plan.reply[0].len, 1454 - 48);
	assert_int_equal(plan.reply[1].len, 1455 - 48);
	assert_int_equal(plan.ip_bytes, 1454 + 1455);
	assert_int_equal(plan.reason, PD_RESP_OK);

	/* 32 x 9000 = 288000 > 131072: 14 fit (126000), then the ERROR. */
	for (i = 0; i < 32; i++)
		many[i] = 9000;
	len = rev_req(many, 32, 101, 0, true, T0 + 11, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &src, T0 + 21, &plan), PD_OK);
	assert_true(plan.authenticated);
	check_plan(&plan, buf, len, &src, 131072);
	assert_int_equal(count_type(&plan, PD_PEER_REV_DATA), 14);
	e = plan_error(&plan);
	assert_int_equal(e.code, PD_PEER_E_TOO_BIG);
	assert_int_equal(e.arg32, 0xffffc000u);
	assert_true(plan.ip_bytes <= 131072);
	pd_responder_free(r);
}

/* ---- authentication ----------------------------------------------------------- */

static void test_replay_stale_forged(void **state)
{
	struct pd_responder *r = mk(true, NULL), *nokey = mk(false, NULL);
	struct pd_peer_addr src = v4(10, 0, 1, 2, 40000);
	struct pd_resp_plan plan;
	struct pd_responder_stats st;
	uint8_t buf[200];
	uint16_t sz[1] = { 1400 };
	size_t len;
	uint64_t now = T0 + 60000;

	(void)state;
	len = rev_req(sz, 1, 555, 0, true, now - 5, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &src, now, &plan), PD_OK);
	assert_true(plan.authenticated);
	assert_int_equal(count_type(&plan, PD_PEER_REV_DATA), 1);

	/* The same datagram again, even from elsewhere: REPLAY, unsigned budget. */
	src = v4(10, 9, 9, 9, 40001);
	assert_int_equal(pd_responder_udp(r, buf, len, &src, now + 10, &plan), PD_OK);
	assert_false(plan.authenticated);
	assert_int_equal(plan.reason, PD_RESP_REPLAY);
	assert_int_equal(count_type(&plan, PD_PEER_REV_DATA), 0);
	assert_int_equal(plan_error(&plan).code, PD_PEER_E_REPLAY);
	check_plan(&plan, buf, len, &src, 0);

	/* Outside the window (30 s either way): STALE, with the server clock. */
	len = rev_req(sz, 1, 556, 0, true, now - 30001, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &src, now, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_STALE);
	assert_true(plan_error(&plan).server_time_ms == now);
	len = rev_req(sz, 1, 557, 0, true, now + 30001, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &src, now, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_STALE);
	len = rev_req(sz, 1, 558, 0, true, now + 30000, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &src, now, &plan), PD_OK);
	assert_true(plan.authenticated);

	/* Older than the responder itself (a restart): refused even inside
	 * the window, so a capture from before the restart cannot be replayed. */
	len = rev_req(sz, 1, 559, 0, true, T0, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &src, T0 + 100, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_STALE);

	/* One flipped bit: BAD_AUTH. */
	len = rev_req(sz, 1, 560, 0, true, now, buf, sizeof(buf));
	buf[len - 1] ^= 1;
	assert_int_equal(pd_responder_udp(r, buf, len, &src, now, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_BAD_AUTH);
	assert_int_equal(plan_error(&plan).code, PD_PEER_E_BAD_AUTH);
	assert_int_equal(plan_error(&plan).arg, 0);
	check_plan(&plan, buf, len, &src, 0);

	/* Signed, but the responder has no key: BAD_AUTH, arg 1. */
	buf[len - 1] ^= 1;
	assert_int_equal(pd_responder_udp(nokey, buf, len, &src, now, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_BAD_AUTH);
	assert_int_equal(plan_error(&plan).arg, 1);

	pd_responder_get_stats(r, &st);
	assert_int_equal(st.auth_ok, 2);
	assert_int_equal(st.auth_replay, 1);
	assert_int_equal(st.auth_stale, 3);
	assert_int_equal(st.auth_bad, 1);
	pd_responder_free(r);
	pd_responder_free(nokey);
}

static void small_replay(struct pd_responder_config *c)
{
	c->replay_size = 8;
}

/* A nonce cache of 8: the ninth signed request pushes one out, which raises
 * the floor to its timestamp; replaying any of the nine never works. */
static void test_replay_cache_bounded(void **state)
{
	struct pd_responder *r = mk(true, small_replay);
	struct pd_peer_addr src = v4(10, 0, 1, 2, 40000);
	struct pd_resp_plan plan;
	struct pd_responder_stats st;
	uint8_t bufs[40][100];
	size_t lens[40];
	uint16_t sz[1] = { 200 };
	uint64_t now = T0 + 100000;
	int i, j;

	(void)state;
	for (i = 0; i < 40; i++) {
		lens[i] = rev_req(sz, 1, 1000 + (uint64_t)i, 0, true, now + (uint64_t)i, bufs[i],
				  sizeof(bufs[i]));
		assert_int_equal(pd_responder_udp(r, bufs[i], lens[i], &src, now + (uint64_t)i,
						  &plan), PD_OK);
		assert_true(plan.authenticated);
		/* every earlier one, replayed now, is refused */
		for (j = 0; j <= i; j++) {
			assert_int_equal(pd_responder_udp(r, bufs[j], lens[j], &src,
							  now + (uint64_t)i, &plan), PD_OK);
			assert_false(plan.authenticated);
			assert_true(plan.reason == PD_RESP_REPLAY || plan.reason == PD_RESP_STALE);
		}
	}
	pd_responder_get_stats(r, &st);
	assert_int_equal(st.replay_capacity, 8);
	assert_int_equal(st.auth_ok, 40);
	assert_int_equal(st.replay_evictions, 32);
	pd_responder_free(r);
}

/* ---- requests -------------------------------------------------------------------- */

static void test_hello_info(void **state)
{
	struct pd_responder *r = mk(true, NULL);
	struct pd_peer_addr src = v4(203, 0, 113, 2, 40000);
	struct pd_resp_plan plan;
	struct pd_peer_msg m;
	uint8_t buf[200];
	size_t len;

	(void)state;
	/* A bare 16-byte HELLO cannot pay for INFO nor for an ERROR. */
	len = simple_req(PD_PEER_HELLO, 1, 0, false, 0, buf, sizeof(buf));
	assert_int_equal(len, 16);
	assert_int_equal(pd_responder_udp(r, buf, len, &src, T0 + 5, &plan), PD_OK);
	assert_int_equal(plan.n, 0);
	assert_int_equal(plan.reason, PD_RESP_TOO_BIG);

	len = simple_req(PD_PEER_HELLO, 2, PD_PEER_HELLO_LEN, false, 0, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &src, T0 + 6, &plan), PD_OK);
	check_plan(&plan, buf, len, &src, 0);
	assert_int_equal(plan.n, 1);
	assert_int_equal(pd_peer_decode(plan.reply[0].head, plan.reply[0].len, &m, NULL), PD_OK);
	assert_int_equal(m.type, PD_PEER_INFO);
	assert_true(m.nonce == 2);
	assert_int_equal(m.u.info.seen.family, 4);
	assert_int_equal(m.u.info.seen.port, 40000);
	assert_memory_equal(m.u.info.seen.addr, src.addr, 4);
	assert_int_equal(m.u.info.caps, PD_PEER_CAP_FORWARD | PD_PEER_CAP_REVERSE |
					PD_PEER_CAP_AUTH | PD_PEER_CAP_TCP_MSS);
	assert_int_equal(m.u.info.tcp_port, PD_PEER_PORT);
	assert_int_equal(m.u.info.max_reply, 9000);
	assert_int_equal(m.u.info.max_auth_bytes, 131072);
	assert_true(m.u.info.server_time_ms == T0 + 6);
	assert_string_equal(m.u.info.software, "pathdiag test");
	pd_responder_free(r);
}

static void test_forward_ack(void **state)
{
	struct pd_responder *r = mk(false, NULL);
	struct pd_peer_addr src = v6(9, 40000);
	struct pd_resp_plan plan;
	struct pd_peer_msg m;
	static uint8_t buf[2000];
	size_t len;

	(void)state;
	len = simple_req(PD_PEER_FWD_PROBE, 0xabcdef01, 1452, false, 0, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &src, T0 + 1, &plan), PD_OK);
	check_plan(&plan, buf, len, &src, 0);
	assert_int_equal(plan.n, 1);
	assert_int_equal(pd_peer_decode(plan.reply[0].head, plan.reply[0].len, &m, NULL), PD_OK);
	assert_int_equal(m.type, PD_PEER_FWD_ACK);
	assert_true(m.u.ack.seq == 0xabcdef01);
	assert_int_equal(m.u.ack.rx_len, 1452);
	assert_int_equal(plan.reply[0].len, 24);
	/* 20-byte probe: the 24-byte ACK would be bigger: nothing. */
	len = simple_req(PD_PEER_FWD_PROBE, 5, 20, false, 0, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &src, T0 + 2, &plan), PD_OK);
	assert_int_equal(plan.n, 0);
	pd_responder_free(r);
}

/* Version, type and body errors are answered (small), server messages and
 * foreign datagrams are not. */
static void test_errors_and_silence(void **state)
{
	struct pd_responder *r = mk(false, NULL);
	struct pd_peer_addr src = v4(10, 0, 1, 2, 40000);
	struct pd_resp_plan plan;
	uint8_t buf[100];
	size_t len;
	int t;

	(void)state;
	len = simple_req(PD_PEER_HELLO, 77, 64, false, 0, buf, sizeof(buf));
	buf[2] = 2;
	assert_int_equal(pd_responder_udp(r, buf, len, &src, T0 + 1, &plan), PD_OK);
	check_plan(&plan, buf, len, &src, 0);
	assert_int_equal(plan_error(&plan).code, PD_PEER_E_BAD_VERSION);
	assert_int_equal(plan_error(&plan).arg, 1);
	buf[2] = 1;
	buf[3] = 42;
	assert_int_equal(pd_responder_udp(r, buf, len, &src, T0 + 1, &plan), PD_OK);
	assert_int_equal(plan_error(&plan).code, PD_PEER_E_UNSUPPORTED);
	assert_int_equal(plan_error(&plan).arg, 42);
	/* REV_REQ with count 0: MALFORMED at byte 16 */
	len = simple_req(PD_PEER_HELLO, 78, 64, false, 0, buf, sizeof(buf));
	buf[3] = PD_PEER_REV_REQ;
	buf[7] = 2;
	assert_int_equal(pd_responder_udp(r, buf, len, &src, T0 + 1, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_MALFORMED);
	assert_int_equal(plan_error(&plan).code, PD_PEER_E_MALFORMED);
	assert_int_equal(plan_error(&plan).arg, 16);
	assert_int_equal(plan_error(&plan).arg32, (uint32_t)-PD_ERR_MALFORMED);

	/* Server messages: silence, even when malformed. */
	for (t = PD_PEER_INFO; t <= PD_PEER_ERROR; t++) {
		if (pd_peer_type_is_request(t))
			continue;
		len = simple_req(PD_PEER_HELLO, 79, 64, false, 0, buf, sizeof(buf));
		buf[3] = (uint8_t)t;
		assert_int_equal(pd_responder_udp(r, buf, len, &src, T0 + 1, &plan), PD_OK);
		assert_int_equal(plan.n, 0);
		assert_int_equal(plan.reason, PD_RESP_NOT_REQUEST);
	}
	/* Not ours. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, sizeof(buf), &src, T0 + 1, &plan), PD_OK);
	assert_int_equal(plan.n, 0);
	assert_int_equal(plan.reason, PD_RESP_NOT_OURS);
	assert_int_equal(pd_responder_udp(r, NULL, 0, &src, T0 + 1, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_NOT_OURS);
	assert_int_equal(pd_responder_udp(r, NULL, 5, &src, T0 + 1, &plan), PD_ERR_INVAL);
	pd_responder_free(r);
}

static void allow_low(struct pd_responder_config *c)
{
	c->allow_low_ports = true;
}

static void test_bad_sources(void **state)
{
	struct pd_responder *r = mk(false, NULL), *low = mk(false, allow_low);
	struct pd_resp_plan plan;
	uint8_t buf[200];
	struct pd_peer_addr bad[9];
	size_t len, i;

	(void)state;
	len = simple_req(PD_PEER_HELLO, 3, 128, false, 0, buf, sizeof(buf));
	bad[0] = v4(10, 0, 1, 2, 0);
	bad[1] = v4(10, 0, 1, 2, 53);
	bad[2] = v4(224, 0, 0, 1, 40000);
	bad[3] = v4(255, 255, 255, 255, 40000);
	bad[4] = v4(0, 0, 0, 0, 40000);
	bad[5] = v6(0, 40000);
	bad[5].addr[0] = 0;                 /* :: */
	bad[6] = v6(1, 40000);
	bad[6].addr[0] = 0xff;              /* ff00::1 */
	bad[7] = v6(0, 40000);
	memset(bad[7].addr, 0, 16);
	bad[7].addr[10] = bad[7].addr[11] = 0xff;
	bad[7].addr[15] = 1;                /* ::ffff:0.0.0.1 */
	bad[8] = v4(10, 0, 1, 2, 40000);
	bad[8].family = 5;
	for (i = 0; i < 9; i++) {
		assert_int_equal(pd_responder_udp(r, buf, len, &bad[i], T0 + 1, &plan), PD_OK);
		if (plan.n != 0 || plan.reason != PD_RESP_BAD_SOURCE)
			fail_msg("bad source %zu was answered", i);
	}
	assert_int_equal(pd_responder_udp(low, buf, len, &bad[1], T0 + 1, &plan), PD_OK);
	assert_int_equal(plan.n, 1);
	bad[0] = v4(127, 0, 0, 1, 40000); /* loopback is a fine source */
	assert_int_equal(pd_responder_udp(r, buf, len, &bad[0], T0 + 1, &plan), PD_OK);
	assert_int_equal(plan.n, 1);
	pd_responder_free(r);
	pd_responder_free(low);
}

/* ---- rate limits ----------------------------------------------------------------- */

static void pps5(struct pd_responder_config *c)
{
	c->src_pps = 10;
	c->src_pps_burst = 5;
}

static void test_rate_per_source(void **state)
{
	struct pd_responder *r = mk(false, pps5);
	struct pd_peer_addr a = v4(10, 0, 1, 2, 40000), a2 = v4(10, 0, 1, 2, 40001),
			    b = v4(10, 0, 1, 3, 40000), n1 = v6(1, 40000), n2 = v6(2, 40000);
	struct pd_resp_plan plan;
	struct pd_responder_stats st;
	uint8_t buf[200];
	size_t len;
	int i;

	(void)state;
	len = simple_req(PD_PEER_HELLO, 3, 128, false, 0, buf, sizeof(buf));
	for (i = 0; i < 5; i++) {
		assert_int_equal(pd_responder_udp(r, buf, len, &a, T0 + 10, &plan), PD_OK);
		assert_int_equal(plan.reason, PD_RESP_OK);
	}
	/* Sixth: limited, one RATE_LIMITED error (retry after 100 ms). */
	assert_int_equal(pd_responder_udp(r, buf, len, &a, T0 + 10, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_RATE_SOURCE);
	assert_int_equal(plan.n, 1);
	assert_int_equal(plan_error(&plan).code, PD_PEER_E_RATE_LIMITED);
	assert_int_equal(plan_error(&plan).arg, 100);
	/* Another port of the same address is the same source; no 2nd error. */
	assert_int_equal(pd_responder_udp(r, buf, len, &a2, T0 + 10, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_RATE_SOURCE);
	assert_int_equal(plan.n, 0);
	/* Another address is not limited. */
	assert_int_equal(pd_responder_udp(r, buf, len, &b, T0 + 10, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_OK);
	/* 10/s: at +610 ms the 6 tokens spent over 600 ms are back (capped 5). */
	for (i = 0; i < 5; i++) {
		assert_int_equal(pd_responder_udp(r, buf, len, &a, T0 + 610, &plan), PD_OK);
		assert_int_equal(plan.reason, PD_RESP_OK);
	}
	assert_int_equal(pd_responder_udp(r, buf, len, &a, T0 + 610, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_RATE_SOURCE);
	/* IPv6: one /64 is one source. */
	for (i = 0; i < 5; i++)
		assert_int_equal(pd_responder_udp(r, buf, len, i & 1 ? &n1 : &n2, T0, &plan),
				 PD_OK);
	assert_int_equal(pd_responder_udp(r, buf, len, &n1, T0, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_RATE_SOURCE);
	/* A clock stepping back refills nothing, and the bucket carries on
	 * from the new time: 100 ms later one token is back. */
	assert_int_equal(pd_responder_udp(r, buf, len, &n1, T0 - 100000, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_RATE_SOURCE);
	assert_int_equal(pd_responder_udp(r, buf, len, &n1, T0 - 100000 + 100, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_OK);
	pd_responder_get_stats(r, &st);
	assert_int_equal(st.rate_source, 5);
	pd_responder_free(r);
}

static void bytes_small(struct pd_responder_config *c)
{
	c->src_bps = 1000;
	c->src_bps_burst = 3000;
	c->global_bps = 1000;
	c->global_bps_burst = 5000;
}

/* Reply bytes: 3000 per source, 5000 for all unsigned replies together;
 * signed requests pay neither. */
static void test_rate_bytes(void **state)
{
	struct pd_responder *r = mk(true, bytes_small);
	struct pd_resp_plan plan;
	static uint8_t buf[3000];
	uint16_t sz[1] = { 1400 };
	size_t len;
	int i;
	struct pd_peer_addr s[4];

	(void)state;
	for (i = 0; i < 4; i++)
		s[i] = v4(10, 0, 2, (uint8_t)(i + 1), 40000);
	len = rev_req(sz, 1, 1, 1400, false, 0, buf, sizeof(buf));
	/* source 0: 1400 + 1400 = 2800 <= 3000, third refused */
	for (i = 0; i < 2; i++) {
		assert_int_equal(pd_responder_udp(r, buf, len, &s[0], T0 + 1, &plan), PD_OK);
		assert_int_equal(count_type(&plan, PD_PEER_REV_DATA), 1);
	}
	assert_int_equal(pd_responder_udp(r, buf, len, &s[0], T0 + 1, &plan), PD_OK);
	assert_int_equal(count_type(&plan, PD_PEER_REV_DATA), 0);
	assert_int_equal(plan.reason, PD_RESP_RATE_SOURCE);
	/* source 1: global has 5000 - 2800 = 2200 - error bytes left: one more */
	assert_int_equal(pd_responder_udp(r, buf, len, &s[1], T0 + 1, &plan), PD_OK);
	assert_int_equal(count_type(&plan, PD_PEER_REV_DATA), 1);
	assert_int_equal(pd_responder_udp(r, buf, len, &s[1], T0 + 1, &plan), PD_OK);
	assert_int_equal(count_type(&plan, PD_PEER_REV_DATA), 0);
	assert_int_equal(plan.reason, PD_RESP_RATE_GLOBAL);
	assert_int_equal(plan.n, 0); /* global limit: silence */
	/* Signed: neither the source's byte bucket nor the unsigned global
	 * one applies, so drained source 0 is served too. */
	len = rev_req(sz, 1, 2, 0, true, T0 + 1, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &s[2], T0 + 1, &plan), PD_OK);
	assert_true(plan.authenticated);
	assert_int_equal(count_type(&plan, PD_PEER_REV_DATA), 1);
	len = rev_req(sz, 1, 3, 0, true, T0 + 1, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &s[0], T0 + 1, &plan), PD_OK);
	assert_true(plan.authenticated);
	assert_int_equal(count_type(&plan, PD_PEER_REV_DATA), 1);
	pd_responder_free(r);
}

static void table8(struct pd_responder_config *c)
{
	c->table_size = 8; /* one set of 8 */
	c->src_pps = 1;
	c->src_pps_burst = 1;
}

/* Nine sources in a table of eight: the least recently seen entry is
 * reused (counted) and passes its buckets on, so churning through sources
 * never earns tokens; an entry idle long enough has refilled, so a
 * newcomer taking it starts full.  Memory does not grow. */
static void test_table_eviction(void **state)
{
	struct pd_responder *r = mk(false, table8);
	struct pd_resp_plan plan;
	struct pd_responder_stats st0, st;
	uint8_t buf[200];
	size_t len;
	int i, answered = 0;
	struct pd_peer_addr a = v4(10, 0, 0, 1, 40000);

	(void)state;
	pd_responder_get_stats(r, &st0);
	len = simple_req(PD_PEER_HELLO, 3, 128, false, 0, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &a, T0 + 1, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_OK);
	assert_int_equal(pd_responder_udp(r, buf, len, &a, T0 + 2, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_RATE_SOURCE);
	/* Seven newcomers take the free entries, with full buckets. */
	for (i = 0; i < 7; i++) {
		struct pd_peer_addr s = v4(10, 0, 9, (uint8_t)(i + 1), 40000);

		assert_int_equal(pd_responder_udp(r, buf, len, &s, T0 + 10 + (uint64_t)i, &plan),
				 PD_OK);
		assert_int_equal(plan.reason, PD_RESP_OK);
	}
	/* The eighth takes a's entry, least recently seen, and its empty bucket. */
	{
		struct pd_peer_addr s = v4(10, 0, 9, 8, 40000);

		assert_int_equal(pd_responder_udp(r, buf, len, &s, T0 + 17, &plan), PD_OK);
		assert_int_equal(plan.reason, PD_RESP_RATE_SOURCE);
	}
	pd_responder_get_stats(r, &st);
	assert_int_equal(st.src_in_use, 8);
	assert_int_equal(st.src_evictions, 1);

	/* Two seconds on, every entry has refilled: a comes back with a token. */
	assert_int_equal(pd_responder_udp(r, buf, len, &a, T0 + 2017, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_OK);

	/* 100000 new sources in the same millisecond: the 8 refilled entries
	 * are spent once each, then every newcomer inherits an empty bucket. */
	for (i = 0; i < 100000; i++) {
		struct pd_peer_addr s = v4(10, (uint8_t)(i >> 16 | 0x40), (uint8_t)(i >> 8),
					   (uint8_t)i, 40000);

		assert_int_equal(pd_responder_udp(r, buf, len, &s, T0 + 5000, &plan), PD_OK);
		check_plan(&plan, buf, len, &s, 0);
		answered += plan.reason == PD_RESP_OK;
	}
	assert_int_equal(answered, 8);
	pd_responder_get_stats(r, &st);
	assert_int_equal(st.src_in_use, 8);
	assert_int_equal(st.src_capacity, 8);
	assert_true(st.src_evictions >= 100000);
	assert_int_equal(st.memory_bytes, st0.memory_bytes);
	pd_responder_free(r);
}

static void verify2(struct pd_responder_config *c)
{
	c->src_pps = 1;
	c->src_pps_burst = 1;
	c->verify_pps = 2;
	c->verify_burst = 2;
}

/* A source over its rate: unsigned requests are dropped, a signed one is
 * still served while MAC checks are left in the global bucket; a forged
 * one costs a check and gets no answer at all. */
static void test_signed_over_rate(void **state)
{
	struct pd_responder *r = mk(true, verify2);
	struct pd_peer_addr a = v4(10, 0, 1, 2, 40000);
	struct pd_resp_plan plan;
	struct pd_responder_stats st;
	uint8_t buf[200];
	uint16_t sz[1] = { 1400 };
	size_t len;

	(void)state;
	len = simple_req(PD_PEER_HELLO, 1, 128, false, 0, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &a, T0 + 1, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_OK);
	assert_int_equal(pd_responder_udp(r, buf, len, &a, T0 + 1, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_RATE_SOURCE);

	len = rev_req(sz, 1, 2, 0, true, T0 + 1, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &a, T0 + 1, &plan), PD_OK);
	assert_true(plan.authenticated);
	assert_int_equal(count_type(&plan, PD_PEER_REV_DATA), 1);

	len = rev_req(sz, 1, 3, 0, true, T0 + 1, buf, sizeof(buf));
	buf[20] ^= 1; /* forged */
	assert_int_equal(pd_responder_udp(r, buf, len, &a, T0 + 1, &plan), PD_OK);
	assert_false(plan.authenticated);
	assert_int_equal(plan.n, 0);

	/* Both checks spent: even a good signature waits now. */
	len = rev_req(sz, 1, 4, 0, true, T0 + 1, buf, sizeof(buf));
	assert_int_equal(pd_responder_udp(r, buf, len, &a, T0 + 1, &plan), PD_OK);
	assert_int_equal(plan.reason, PD_RESP_RATE_SOURCE);
	assert_int_equal(plan.n, 0);
	pd_responder_get_stats(r, &st);
	assert_int_equal(st.auth_ok, 1);
	assert_int_equal(st.auth_bad, 1);
	pd_responder_free(r);
}

/* ---- TCP ---------------------------------------------------------------------- */

static size_t syn(int family, uint16_t mss, uint8_t *buf, size_t cap)
{
	struct pd_ip_spec ip;
	struct pd_tcp_spec t;
	int n;

	memset(&ip, 0, sizeof(ip));
	memset(&t, 0, sizeof(t));
	ip.family = family;
	ip.src[0] = family == 4 ? 10 : 0xfd;
	ip.dst[0] = family == 4 ? 10 : 0xfd;
	ip.ttl = 62;
	ip.df = true;
	t.sport = 40000;
	t.dport = PD_PEER_PORT;
	t.seq = 1;
	t.flags = PD_TCP_SYN;
	t.window = 64240;
	t.mss = mss;
	t.has_wscale = true;
	t.wscale = 7;
	t.sack_permitted = true;
	t.timestamps = true;
	t.ts_val = 1;
	n = pd_build_tcp(&ip, &t, NULL, 0, buf, cap);
	assert_true(n > 0);
	return (size_t)n;
}

static void test_tcp_mss_report(void **state)
{
	struct pd_responder *r = mk(false, NULL);
	struct pd_peer_addr src = v4(203, 0, 113, 2, 40000), s6 = v6(2, 40000);
	struct pd_resp_plan plan;
	struct pd_peer_msg m;
	uint8_t b[200];
	size_t n;

	(void)state;
	n = syn(4, 1360, b, sizeof(b));
	assert_int_equal(pd_responder_tcp(r, b, n, &src, T0, &plan), PD_OK);
	assert_int_equal(plan.n, 1);
	assert_int_equal(pd_peer_decode(plan.reply[0].head, plan.reply[0].len, &m, NULL), PD_OK);
	assert_int_equal(m.type, PD_PEER_MSS_REPORT);
	assert_true(m.nonce == 0);
	assert_int_equal(m.u.mss.flags, PD_PEER_MSS_HAS_MSS | PD_PEER_MSS_HAS_WSCALE |
					PD_PEER_MSS_SACK_OK | PD_PEER_MSS_HAS_TS);
	assert_int_equal(m.u.mss.mss, 1360);
	assert_int_equal(m.u.mss.wscale, 7);
	assert_int_equal(m.u.mss.ttl, 62);
	assert_int_equal(m.u.mss.syn_len, n);
	assert_int_equal(m.u.mss.seen.port, 40000);
	assert_memory_equal(m.u.mss.seen.addr, src.addr, 4);

	n = syn(6, 1220, b, sizeof(b));
	assert_int_equal(pd_responder_tcp(r, b, n, &s6, T0, &plan), PD_OK);
	assert_int_equal(pd_peer_decode(plan.reply[0].head, plan.reply[0].len, &m, NULL), PD_OK);
	assert_int_equal(m.u.mss.mss, 1220);
	assert_int_equal(m.u.mss.seen.family, 6);

	/* No MSS option. */
	n = syn(4, 0, b, sizeof(b));
	assert_int_equal(pd_responder_tcp(r, b, n, &src, T0, &plan), PD_OK);
	assert_int_equal(pd_peer_decode(plan.reply[0].head, plan.reply[0].len, &m, NULL), PD_OK);
	assert_false(m.u.mss.flags & PD_PEER_MSS_HAS_MSS);
	/* No SYN kept, or junk: NO_SYN, still a report. */
	assert_int_equal(pd_responder_tcp(r, NULL, 0, &src, T0, &plan), PD_OK);
	assert_int_equal(pd_peer_decode(plan.reply[0].head, plan.reply[0].len, &m, NULL), PD_OK);
	assert_int_equal(m.u.mss.flags, PD_PEER_MSS_NO_SYN);
	memset(b, 0x45, 30);
	assert_int_equal(pd_responder_tcp(r, b, 30, &src, T0, &plan), PD_OK);
	assert_int_equal(pd_peer_decode(plan.reply[0].head, plan.reply[0].len, &m, NULL), PD_OK);
	assert_int_equal(m.u.mss.flags, PD_PEER_MSS_NO_SYN);
	pd_responder_free(r);
}

/* A connection flood from one address: burst reports at one instant, then
 * src_pps a second; every other connection is closed without a report and
 * counted (the responder keeps no connection state). */
static void tcp_small_rate(struct pd_responder_config *c)
{
	c->src_pps = 10;
	c->src_pps_burst = 20;
}

static void test_tcp_connection_flood(void **state)
{
	struct pd_responder *r = mk(false, tcp_small_rate);
	struct pd_peer_addr src = v4(203, 0, 113, 9, 40000);
	struct pd_responder_stats st;
	struct pd_resp_plan plan;
	uint8_t b[200];
	size_t n, reports = 0;
	int i;

	(void)state;
	n = syn(4, 1460, b, sizeof(b));
	for (i = 0; i < 100; i++) {
		assert_int_equal(pd_responder_tcp(r, b, n, &src, T0, &plan), PD_OK);
		reports += plan.n;
	}
	assert_int_equal(reports, 20);
	/* One second later: 10 more. */
	for (i = 0; i < 100; i++) {
		assert_int_equal(pd_responder_tcp(r, b, n, &src, T0 + 1000, &plan), PD_OK);
		reports += plan.n;
	}
	assert_int_equal(reports, 30);
	pd_responder_get_stats(r, &st);
	assert_int_equal(st.tcp_reports, 30);
	assert_int_equal(st.tcp_rate_limited, 170);
	assert_int_equal(st.rate_source, 170);
	pd_responder_free(r);
}

/* ---- configuration ------------------------------------------------------------ */

static void test_config_checks(void **state)
{
	struct pd_responder_config c;
	struct pd_responder *r = (struct pd_responder *)&c;
	struct pd_error e = { 0 };

	(void)state;
	pd_responder_config_default(&c);
	c.key = KEY;
	c.key_len = 15;
	assert_int_equal(pd_responder_new(&c, T0, &r, &e), PD_ERR_INVAL);
	assert_null(r);
	pd_responder_config_default(&c);
	c.table_size = 1000;
	assert_int_equal(pd_responder_new(&c, T0, &r, &e), PD_ERR_INVAL);
	pd_responder_config_default(&c);
	c.replay_size = 4;
	assert_int_equal(pd_responder_new(&c, T0, &r, &e), PD_ERR_INVAL);
	pd_responder_config_default(&c);
	c.src_pps = 0;
	assert_int_equal(pd_responder_new(&c, T0, &r, &e), PD_ERR_INVAL);
	pd_responder_config_default(&c);
	c.max_reply = 67;
	assert_int_equal(pd_responder_new(&c, T0, &r, &e), PD_ERR_INVAL);
	pd_responder_config_default(&c);
	c.software = "line\nbreak";
	assert_int_equal(pd_responder_new(&c, T0, &r, &e), PD_ERR_INVAL);
	pd_responder_config_default(&c);
	assert_int_equal(pd_responder_new(&c, T0, &r, &e), PD_OK);
	pd_responder_free(r);
	pd_responder_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_amplification_property),
		cmocka_unit_test(test_unsigned_reverse_budget),
		cmocka_unit_test(test_signed_reverse),
		cmocka_unit_test(test_replay_stale_forged),
		cmocka_unit_test(test_replay_cache_bounded),
		cmocka_unit_test(test_hello_info),
		cmocka_unit_test(test_forward_ack),
		cmocka_unit_test(test_errors_and_silence),
		cmocka_unit_test(test_bad_sources),
		cmocka_unit_test(test_rate_per_source),
		cmocka_unit_test(test_rate_bytes),
		cmocka_unit_test(test_table_eviction),
		cmocka_unit_test(test_signed_over_rate),
		cmocka_unit_test(test_tcp_mss_report),
		cmocka_unit_test(test_tcp_connection_flood),
		cmocka_unit_test(test_config_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
