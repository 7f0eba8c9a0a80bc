/* test_peer_client.c - the client side of the peer protocol
 * (pathdiag/peerproto.h): requests it builds decode as the spec says,
 * nonces are unpredictable-looking and never repeat, replies from a real
 * responder (pathdiag/responder.h) are matched to their requests,
 * mismatched or unknown replies are refused, the server clock is learned
 * from INFO and from STALE errors, and signed requests are accepted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pathdiag/peerproto.h>
#include <pathdiag/responder.h>

#define T0 1700000000000ull

static const uint8_t KEY[20] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 };
static const uint8_t SEED[32] = { 1 };

static struct pd_responder *mk(bool keyed)
{
	struct pd_responder_config cfg;
	struct pd_responder *r = NULL;

	pd_responder_config_default(&cfg);
	if (keyed) {
		cfg.key = KEY;
		cfg.key_len = sizeof(KEY);
	}
	assert_int_equal(pd_responder_new(&cfg, T0, &r, NULL), PD_OK);
	return r;
}

/* Send buf to the responder at server time `snow`, feed every reply to
 * the client at local time `cnow` (reply i skipped when bit i of drop is
 * set); returns the number of replies matched, the last match in *last. */
static int exchange(struct pd_responder *r, struct pd_peer_client *c, const uint8_t *buf,
		    size_t len, uint64_t snow, uint64_t cnow, uint32_t drop,
		    struct pd_peer_match *last)
{
	struct pd_peer_addr src = { 4, 40000, { 10, 0, 1, 2 } };
	struct pd_resp_plan plan;
	int matched = 0;
	size_t i;

	assert_int_equal(pd_responder_udp(r, buf, len, &src, snow, &plan), PD_OK);
	for (i = 0; i < plan.n; i++) {
		uint8_t *d;
		struct pd_error e = { 0 };

		if (drop >> i & 1)
			continue;
		d = calloc(plan.reply[i].len, 1);
		assert_non_null(d);
		memcpy(d, plan.reply[i].head, plan.reply[i].head_len);
		assert_int_equal(pd_peer_client_match(c, cnow, 4, d, plan.reply[i].len, last, &e),
				 PD_OK);
		free(d);
		matched++;
	}
	return matched;
}

static void test_init_and_nonces(void **state)
{
	struct pd_peer_client a, b;
	struct pd_peer_msg m;
	uint8_t buf[256], seed2[32] = { 2 };
	uint64_t seen[200];
	size_t len;
	int i, j;

	(void)state;
	assert_int_equal(pd_peer_client_init(&a, SEED, KEY, 15, NULL), PD_ERR_INVAL);
	assert_int_equal(pd_peer_client_init(&a, SEED, NULL, 16, NULL), PD_ERR_INVAL);
	assert_int_equal(pd_peer_client_init(&a, SEED, NULL, 0, NULL), PD_OK);
	assert_int_equal(pd_peer_client_init(&b, SEED, NULL, 0, NULL), PD_OK);
	for (i = 0; i < 200; i++) {
		assert_int_equal(pd_peer_client_hello(&a, 1, 0, false, buf, sizeof(buf), &len,
						      NULL), PD_OK);
		assert_int_equal(len, PD_PEER_HELLO_LEN);
		assert_int_equal(pd_peer_decode(buf, len, &m, NULL), PD_OK);
		assert_int_equal(m.type, PD_PEER_HELLO);
		assert_false(m.auth);
		assert_true(m.nonce == a.last_nonce);
		assert_true(m.nonce != 0);
		for (j = 0; j < i; j++)
			assert_true(seen[j] != m.nonce);
		seen[i] = m.nonce;
		/* same seed, same sequence */
		assert_int_equal(pd_peer_client_hello(&b, 1, 0, false, buf, sizeof(buf), &len,
						      NULL), PD_OK);
		assert_true(b.last_nonce == a.last_nonce);
	}
	assert_int_equal(pd_peer_client_init(&b, seed2, NULL, 0, NULL), PD_OK);
	pd_peer_client_hello(&b, 1, 0, false, buf, sizeof(buf), &len, NULL);
	assert_true(b.last_nonce != seen[0]);
	/* HELLO of an explicit size; too small is refused and nothing kept */
	assert_int_equal(pd_peer_client_hello(&a, 1, 300, false, buf, sizeof(buf), &len, NULL),
			 PD_ERR_NOSPACE);
	assert_int_equal(pd_peer_client_hello(&a, 1, 10, false, buf, sizeof(buf), &len, NULL),
			 PD_ERR_INVAL);
	pd_peer_client_wipe(&a);
	assert_int_equal(a.key_len, 0);
	assert_int_equal(a.seed[0], 0);
}

static void test_hello_learns_clock(void **state)
{
	struct pd_responder *r = mk(false);
	struct pd_peer_client c;
	struct pd_peer_match mt;
	uint8_t buf[256];
	size_t len;

	(void)state;
	assert_int_equal(pd_peer_client_init(&c, SEED, NULL, 0, NULL), PD_OK);
	/* local clock 5000, server T0 + 10; answer seen at local 5040 */
	assert_int_equal(pd_peer_client_hello(&c, 5000, 0, false, buf, sizeof(buf), &len, NULL),
			 PD_OK);
	assert_int_equal(exchange(r, &c, buf, len, T0 + 10, 5040, 0, &mt), 1);
	assert_int_equal(mt.msg.type, PD_PEER_INFO);
	assert_int_equal(mt.req_type, PD_PEER_HELLO);
	assert_true(mt.complete);
	assert_int_equal(mt.rtt_ms, 40);
	assert_int_equal(mt.msg.u.info.seen.port, 40000);
	assert_true(c.clock_known);
	/* server time T0 + 10 was taken at mid-flight, local 5020 */
	assert_true(c.clock_offset_ms == (int64_t)(T0 + 10 - 5020));
	/* completed: the same reply again finds nothing */
	assert_null(pd_peer_client_pending(&c, mt.msg.nonce));
	pd_responder_free(r);
}

static void test_signed_reverse_flow(void **state)
{
	struct pd_responder *r = mk(true);
	struct pd_peer_client c;
	struct pd_peer_match mt;
	const struct pd_peer_pending *p;
	uint16_t sizes[2] = { 1454, 1455 };
	uint8_t buf[256];
	size_t len;
	uint64_t nonce;
	struct pd_peer_msg m;

	(void)state;
	assert_int_equal(pd_peer_client_init(&c, SEED, KEY, sizeof(KEY), NULL), PD_OK);
	pd_peer_client_hello(&c, 100, 0, false, buf, sizeof(buf), &len, NULL);
	exchange(r, &c, buf, len, T0 + 1000, 100, 0, &mt);
	assert_true(c.clock_known);

	assert_int_equal(pd_peer_client_reverse(&c, 200, sizes, 2, 0, buf, sizeof(buf), &len,
						NULL), PD_OK);
	assert_int_equal(pd_peer_decode(buf, len, &m, NULL), PD_OK);
	assert_true(m.auth);
	assert_true(m.ts_ms == T0 + 1100); /* server clock: offset applied */
	nonce = c.last_nonce;
	/* The 1455 reply is lost on the way back. */
	assert_int_equal(exchange(r, &c, buf, len, T0 + 1100, 210, 2, &mt), 1);
	assert_int_equal(mt.msg.type, PD_PEER_REV_DATA);
	assert_int_equal(mt.msg.u.data.size, 1454);
	assert_false(mt.complete);
	assert_int_equal(mt.got, 1);
	p = pd_peer_client_pending(&c, nonce);
	assert_non_null(p);
	assert_int_equal(p->got, 1);
	pd_peer_client_release(&c, nonce);
	assert_null(pd_peer_client_pending(&c, nonce));

	/* Both arrive: complete after the second. */
	pd_peer_client_reverse(&c, 300, sizes, 2, 0, buf, sizeof(buf), &len, NULL);
	assert_int_equal(exchange(r, &c, buf, len, T0 + 1200, 310, 0, &mt), 2);
	assert_true(mt.complete);
	assert_int_equal(mt.got, 3);
	pd_responder_free(r);
}

static void test_unsigned_reverse_refused(void **state)
{
	struct pd_responder *r = mk(false);
	struct pd_peer_client c;
	struct pd_peer_match mt;
	uint16_t sizes[2] = { 1454, 1455 };
	uint8_t buf[4000];
	size_t len, need;

	(void)state;
	assert_int_equal(pd_peer_client_init(&c, SEED, NULL, 0, NULL), PD_OK);
	pd_peer_client_reverse(&c, 1, sizes, 2, 0, buf, sizeof(buf), &len, NULL);
	assert_int_equal(len, 22);
	/* 22 bytes cannot even pay for the ERROR: nothing comes back */
	assert_int_equal(exchange(r, &c, buf, len, T0 + 1, 2, 0, &mt), 0);
	pd_peer_client_reverse(&c, 1, sizes, 2, 64, buf, sizeof(buf), &len, NULL);
	assert_int_equal(exchange(r, &c, buf, len, T0 + 1, 2, 0, &mt), 1);
	assert_int_equal(mt.msg.type, PD_PEER_ERROR);
	assert_int_equal(mt.msg.u.error.code, PD_PEER_E_TOO_BIG);
	assert_int_equal(mt.refused, 3);
	assert_true(mt.complete);
	/* An unsigned request as large as both replies gets both. */
	need = pd_peer_reverse_len(sizes, 2, 4);
	assert_int_equal(need, 1454 + 1455 - 28);
	pd_peer_client_reverse(&c, 1, sizes, 2, need, buf, sizeof(buf), &len, NULL);
	assert_int_equal(exchange(r, &c, buf, len, T0 + 1, 2, 0, &mt), 2);
	assert_true(mt.complete);
	assert_int_equal(mt.got, 3);
	assert_int_equal(pd_peer_reverse_len(sizes, 0, 4), 0);
	assert_int_equal(pd_peer_reverse_len(sizes, 2, 5), 0);
	sizes[0] = sizes[1] = 10;
	assert_int_equal(pd_peer_reverse_len(sizes, 2, 6), 16 + 2 + 4);
	pd_responder_free(r);
}

/* A client whose clock is an hour off: its first signed request is STALE,
 * the error carries the server clock, the retry is accepted. */
static void test_stale_resync(void **state)
{
	struct pd_responder *r = mk(true);
	struct pd_peer_client c;
	struct pd_peer_match mt;
	uint16_t sizes[1] = { 1300 };
	uint8_t buf[256];
	size_t len;
	uint64_t local = T0 - 3600000;

	(void)state;
	assert_int_equal(pd_peer_client_init(&c, SEED, KEY, sizeof(KEY), NULL), PD_OK);
	pd_peer_client_reverse(&c, local, sizes, 1, 0, buf, sizeof(buf), &len, NULL);
	assert_int_equal(exchange(r, &c, buf, len, T0 + 50, local + 10, 0, &mt), 1);
	assert_int_equal(mt.msg.u.error.code, PD_PEER_E_STALE);
	assert_true(c.clock_known);
	pd_peer_client_reverse(&c, local + 20, sizes, 1, 0, buf, sizeof(buf), &len, NULL);
	assert_int_equal(exchange(r, &c, buf, len, T0 + 70, local + 30, 0, &mt), 1);
	assert_int_equal(mt.msg.type, PD_PEER_REV_DATA);
	assert_true(mt.complete);
	pd_responder_free(r);
}

/* Replies that do not belong: unknown nonce, wrong type for the request,
 * wrong sequence, wrong size, wrong length, requests posing as replies. */
static void test_mismatches(void **state)
{
	struct pd_peer_client c;
	struct pd_peer_match mt;
	struct pd_peer_msg m;
	struct pd_error e = { 0 };
	uint8_t req[256], rep[2000];
	size_t len, rlen;
	uint16_t sizes[1] = { 1400 };
	uint64_t hello_nonce, fwd_nonce, rev_nonce;

	(void)state;
	assert_int_equal(pd_peer_client_init(&c, SEED, NULL, 0, NULL), PD_OK);
	pd_peer_client_hello(&c, 1, 0, false, req, sizeof(req), &len, NULL);
	hello_nonce = c.last_nonce;
	pd_peer_client_forward(&c, 1, 77, 100, false, req, sizeof(req), &len, NULL);
	fwd_nonce = c.last_nonce;
	assert_int_equal(len, 100);
	pd_peer_client_reverse(&c, 1, sizes, 1, 0, req, sizeof(req), &len, NULL);
	rev_nonce = c.last_nonce;

	memset(&m, 0, sizeof(m));
	m.type = PD_PEER_FWD_ACK;
	m.nonce = 12345;
	m.u.ack.seq = 77;
	pd_peer_encode(&m, 0, NULL, 0, rep, sizeof(rep), &rlen, NULL);
	assert_int_equal(pd_peer_client_match(&c, 2, 4, rep, rlen, &mt, &e), PD_ERR_NOTFOUND);
	m.nonce = hello_nonce;
	pd_peer_encode(&m, 0, NULL, 0, rep, sizeof(rep), &rlen, NULL);
	assert_int_equal(pd_peer_client_match(&c, 2, 4, rep, rlen, &mt, &e), PD_ERR_MALFORMED);
	m.nonce = fwd_nonce;
	m.u.ack.seq = 78;
	pd_peer_encode(&m, 0, NULL, 0, rep, sizeof(rep), &rlen, NULL);
	assert_int_equal(pd_peer_client_match(&c, 2, 4, rep, rlen, &mt, &e), PD_ERR_MALFORMED);
	m.u.ack.seq = 77;
	pd_peer_encode(&m, 0, NULL, 0, rep, sizeof(rep), &rlen, NULL);
	assert_int_equal(pd_peer_client_match(&c, 2, 4, rep, rlen, &mt, &e), PD_OK);
	assert_true(mt.complete);

	memset(&m, 0, sizeof(m));
	m.type = PD_PEER_REV_DATA;
	m.nonce = rev_nonce;
	m.u.data.count = 1;
	m.u.data.size = 1401;                       /* not the size asked */
	pd_peer_encode(&m, 1401 - 28, NULL, 0, rep, sizeof(rep), &rlen, NULL);
	assert_int_equal(pd_peer_client_match(&c, 2, 4, rep, rlen, &mt, &e), PD_ERR_MALFORMED);
	m.u.data.size = 1400;                       /* right size, short datagram */
	pd_peer_encode(&m, 1000, NULL, 0, rep, sizeof(rep), &rlen, NULL);
	assert_int_equal(pd_peer_client_match(&c, 2, 4, rep, rlen, &mt, &e), PD_ERR_MALFORMED);
	assert_int_equal(pd_peer_client_match(&c, 2, 0, rep, rlen, &mt, &e), PD_OK); /* no check */
	/* A request is never a reply. */
	pd_peer_client_hello(&c, 1, 0, false, req, sizeof(req), &len, NULL);
	assert_int_equal(pd_peer_client_match(&c, 2, 4, req, len, &mt, &e), PD_ERR_MALFORMED);
	/* Garbage: the decoder's error. */
	assert_int_equal(pd_peer_client_match(&c, 2, 4, rep, 5, &mt, &e), PD_ERR_TRUNCATED);
}

/* A signed HELLO: 128 + 40 bytes, verifies with the key, answered with
 * INFO even from a source that is over its request rate. */
static void test_signed_hello(void **state)
{
	struct pd_responder_config cfg;
	struct pd_responder *r = NULL;
	struct pd_peer_client c;
	struct pd_peer_match mt;
	struct pd_peer_msg m;
	uint8_t buf[256];
	size_t len;
	int i;

	(void)state;
	pd_responder_config_default(&cfg);
	cfg.key = KEY;
	cfg.key_len = sizeof(KEY);
	cfg.src_pps = 1;
	cfg.src_pps_burst = 1;
	assert_int_equal(pd_responder_new(&cfg, T0, &r, NULL), PD_OK);
	assert_int_equal(pd_peer_client_init(&c, SEED, KEY, sizeof(KEY), NULL), PD_OK);
	for (i = 0; i < 3; i++) {
		assert_int_equal(pd_peer_client_hello(&c, T0 + 5, 0, true, buf, sizeof(buf), &len,
						      NULL), PD_OK);
		assert_int_equal(len, PD_PEER_HELLO_LEN + PD_PEER_AUTH_LEN);
		assert_int_equal(pd_peer_decode(buf, len, &m, NULL), PD_OK);
		assert_true(m.auth);
		assert_true(pd_peer_verify(buf, len, &m, KEY, sizeof(KEY)));
		/* the first takes the source's only token, the others pass
		 * through the MAC-check bucket */
		assert_int_equal(exchange(r, &c, buf, len, T0 + 10, T0 + 12, 0, &mt), 1);
		assert_int_equal(mt.msg.type, PD_PEER_INFO);
	}
	/* unsigned from the same source now: limited */
	assert_int_equal(pd_peer_client_hello(&c, T0 + 5, 0, false, buf, sizeof(buf), &len, NULL),
			 PD_OK);
	assert_int_equal(exchange(r, &c, buf, len, T0 + 10, T0 + 12, 0, &mt), 1);
	assert_int_equal(mt.msg.type, PD_PEER_ERROR);
	assert_int_equal(mt.msg.u.error.code, PD_PEER_E_RATE_LIMITED);
	pd_responder_free(r);
}

/* 64 slots: the 65th request gives up the oldest. */
static void test_slots(void **state)
{
	struct pd_peer_client c;
	uint8_t buf[256];
	size_t len;
	uint64_t first;
	int i;

	(void)state;
	assert_int_equal(pd_peer_client_init(&c, SEED, NULL, 0, NULL), PD_OK);
	pd_peer_client_hello(&c, 10, 0, false, buf, sizeof(buf), &len, NULL);
	first = c.last_nonce;
	for (i = 1; i < PD_PEER_CLIENT_SLOTS; i++)
		pd_peer_client_hello(&c, 10 + (uint64_t)i, 0, false, buf, sizeof(buf), &len, NULL);
	assert_non_null(pd_peer_client_pending(&c, first));
	pd_peer_client_hello(&c, 1000, 0, false, buf, sizeof(buf), &len, NULL);
	assert_null(pd_peer_client_pending(&c, first));
	assert_non_null(pd_peer_client_pending(&c, c.last_nonce));
}

/* Timestamps never repeat or go back, even with a clock that does. */
static void test_timestamps_increase(void **state)
{
	struct pd_peer_client c;
	struct pd_peer_msg m;
	uint8_t buf[256];
	size_t len;
	uint64_t prev = 0, now[6] = { 100, 100, 99, 50, 200, 200 };
	int i;

	(void)state;
	assert_int_equal(pd_peer_client_init(&c, SEED, KEY, sizeof(KEY), NULL), PD_OK);
	for (i = 0; i < 6; i++) {
		assert_int_equal(pd_peer_client_forward(&c, now[i], (uint32_t)i, 0, true, buf,
							sizeof(buf), &len, NULL), PD_OK);
		assert_int_equal(pd_peer_decode(buf, len, &m, NULL), PD_OK);
		assert_true(m.auth);
		assert_true(m.ts_ms > prev);
		prev = m.ts_ms;
	}
	assert_true(prev == 201);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_and_nonces),
		cmocka_unit_test(test_hello_learns_clock),
		cmocka_unit_test(test_signed_reverse_flow),
		cmocka_unit_test(test_unsigned_reverse_refused),
		cmocka_unit_test(test_stale_resync),
		cmocka_unit_test(test_mismatches),
		cmocka_unit_test(test_signed_hello),
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_timestamps_increase),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
