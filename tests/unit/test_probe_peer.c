/* test_probe_peer.c - the PEER probe method's pure half (lib/src/probe_peer.c,
 * the PEER cases of lib/src/probe_match.c): FWD_ACK answers from a responder
 * (docs/responder.md) and ICMP errors quoting a FWD_PROBE.
 *
 * FWD_ACKs are built with the protocol encoder (pd_peer_encode) from the
 * fields of a probe record made here; quotes are built by hand in the
 * layout probe.h documents (peer header, sequence, token).  Each test then
 * changes one field.  Expected verdicts come from what was built.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <pathdiag/peerproto.h>
#include <pathdiag/probe.h>

#include "probe_match.h"

static struct pdi_table tab;

static void setup(struct pdi_flow *f, int fam)
{
	memset(f, 0, sizeof(*f));
	memset(&tab, 0, sizeof(tab));
	f->family = fam;
	f->method = PD_PROBE_PEER;
	f->cookie = 0x12345678;
	f->dport = PD_PEER_PORT;
	f->sport = 40000;
	f->dst[0] = fam == 6 ? 0xfd : 10;
	/* Probes 1..3 of 1400, 1454, 1500 bytes with their per-probe random. */
	pdi_table_add(&tab, 1400, 0)->tcp_seq = 0xa1a1a1a1;
	pdi_table_add(&tab, 1454, 0)->tcp_seq = 0xb2b2b2b2;
	pdi_table_add(&tab, 1500, 0)->tcp_seq = 0xc3c3c3c3;
}

/* A FWD_ACK: nonce and sequence as given, rx_len UDP payload bytes. */
static size_t ack(uint64_t nonce, uint32_t seq, uint16_t rx_len, uint8_t *buf, size_t cap)
{
	struct pd_peer_msg m;
	size_t len = 0;

	memset(&m, 0, sizeof(m));
	m.type = PD_PEER_FWD_ACK;
	m.nonce = nonce;
	m.u.ack.seq = seq;
	m.u.ack.rx_len = rx_len;
	assert_int_equal(pd_peer_encode(&m, 0, NULL, 0, buf, cap, &len, NULL), 0);
	return len;
}

static void test_nonce(void **state)
{
	struct pdi_flow f;
	const struct pdi_probe_rec *r;

	(void)state;
	setup(&f, 4);
	r = pdi_table_get(&tab, 2);
	assert_non_null(r);
	assert_true(pdi_peer_nonce(&f, r) == 0x12345679b2b2b2b2ull);
	/* A cookie of 0 still gives a nonce that is never 0. */
	f.cookie = 0;
	assert_true(pdi_peer_nonce(&f, r) != 0);
}

static void test_fwd_ack(void **state)
{
	uint8_t buf[256];
	struct pdi_flow f;
	struct pdi_match m;
	int fam;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2) {
		unsigned oh = fam == 6 ? 48 : 28;
		uint64_t n2;
		size_t len;

		setup(&f, fam);
		n2 = pdi_peer_nonce(&f, pdi_table_get(&tab, 2));
		len = ack(n2, 2, (uint16_t)(1454 - oh), buf, sizeof(buf));
		assert_int_equal(pdi_match_peer(&f, &tab, buf, len, &m), PDI_EVENT);
		assert_int_equal(m.kind, PD_PROBE_ACK);
		assert_int_equal(m.probe_id, 2);
		/* Fewer bytes arrived than the probe had: not a pass. */
		len = ack(n2, 2, (uint16_t)(1453 - oh), buf, sizeof(buf));
		assert_int_equal(pdi_match_peer(&f, &tab, buf, len, &m), PDI_BOGUS);
		/* Another probe's sequence under this nonce, a guessed nonce. */
		len = ack(n2, 3, (uint16_t)(1500 - oh), buf, sizeof(buf));
		assert_int_equal(pdi_match_peer(&f, &tab, buf, len, &m), PDI_UNMATCHED);
		len = ack(n2 ^ 1, 2, (uint16_t)(1454 - oh), buf, sizeof(buf));
		assert_int_equal(pdi_match_peer(&f, &tab, buf, len, &m), PDI_UNMATCHED);
		/* A sequence that was never sent. */
		len = ack(n2, 9, (uint16_t)(1454 - oh), buf, sizeof(buf));
		assert_int_equal(pdi_match_peer(&f, &tab, buf, len, &m), PDI_UNMATCHED);
		/* Cut short, not a peer message, NULL. */
		len = ack(n2, 2, (uint16_t)(1454 - oh), buf, sizeof(buf));
		assert_int_equal(pdi_match_peer(&f, &tab, buf, len - 1, &m), PDI_UNMATCHED);
		buf[0] = 'X';
		assert_int_equal(pdi_match_peer(&f, &tab, buf, len, &m), PDI_UNMATCHED);
		assert_int_equal(pdi_match_peer(&f, &tab, NULL, 0, &m), PDI_UNMATCHED);
	}
}

static void test_error_reply(void **state)
{
	uint8_t buf[256];
	struct pdi_flow f;
	struct pdi_match m;
	struct pd_peer_msg e;
	size_t len = 0;

	(void)state;
	setup(&f, 4);
	memset(&e, 0, sizeof(e));
	e.type = PD_PEER_ERROR;
	e.nonce = pdi_peer_nonce(&f, pdi_table_get(&tab, 1));
	e.u.error.code = PD_PEER_E_RATE_LIMITED;
	e.u.error.arg = 500;
	assert_int_equal(pd_peer_encode(&e, 0, NULL, 0, buf, sizeof(buf), &len, NULL), 0);
	/* A rate-limit error says nothing about the probe's size. */
	assert_int_equal(pdi_match_peer(&f, &tab, buf, len, &m), PDI_UNMATCHED);
}

/* What the kernel returns with an ICMP error about probe id: the quoted UDP
 * payload, FWD_PROBE header and body (20 bytes), then the token. */
static size_t quote(const struct pdi_flow *f, uint32_t id, uint16_t size, uint8_t *buf)
{
	memset(buf, 0, 20);
	buf[0] = PD_PEER_MAGIC0;
	buf[1] = PD_PEER_MAGIC1;
	buf[2] = PD_PEER_VERSION;
	buf[3] = PD_PEER_FWD_PROBE;
	buf[7] = 4;
	buf[16] = (uint8_t)(id >> 24);
	buf[17] = (uint8_t)(id >> 16);
	buf[18] = (uint8_t)(id >> 8);
	buf[19] = (uint8_t)id;
	pdi_token_put(buf + 20, f->cookie, id, size, 0, PD_PROBE_PEER);
	return 20 + PD_PROBE_TOKEN_LEN;
}

static void test_errq(void **state)
{
	uint8_t buf[64];
	struct pdi_flow f;
	struct pdi_match m;
	struct pdi_sockerr se;
	struct sockaddr_in *o4 = (struct sockaddr_in *)&se.offender;
	size_t n;

	(void)state;
	setup(&f, 4);
	memset(&se, 0, sizeof(se));
	se.present = true;
	se.origin = PDI_EE_ORIGIN_ICMP;
	se.type = 3;
	se.code = 4;   /* fragmentation needed */
	se.info = 1454;
	o4->sin_family = AF_INET;
	o4->sin_addr.s_addr = htonl(0x0a000201);
	n = quote(&f, 3, 1500, buf);
	assert_int_equal(pdi_match_errq(&f, &tab, &se, buf, n, &m), PDI_EVENT);
	assert_int_equal(m.kind, PD_PROBE_TOO_BIG);
	assert_int_equal(m.mtu, 1454);
	assert_int_equal(m.probe_id, 3);
	assert_false(m.mtu_bogus);
	/* An MTU not below the probe it is about: reported, flagged bogus. */
	se.info = 1500;
	assert_int_equal(pdi_match_errq(&f, &tab, &se, buf, n, &m), PDI_EVENT);
	assert_int_equal(m.kind, PD_PROBE_TOO_BIG);
	assert_true(m.mtu_bogus);
	se.info = 1454;
	/* A quote that ends inside the token, or before it. */
	assert_int_equal(pdi_match_errq(&f, &tab, &se, buf, n - 1, &m), PDI_UNMATCHED);
	assert_int_equal(pdi_match_errq(&f, &tab, &se, buf, 12, &m), PDI_UNMATCHED);
	/* The token names a size other than the probe's. */
	n = quote(&f, 3, 1499, buf);
	assert_int_equal(pdi_match_errq(&f, &tab, &se, buf, n, &m), PDI_BOGUS);
	/* Another prober's cookie. */
	f.cookie ^= 1;
	n = quote(&f, 3, 1500, buf);
	f.cookie ^= 1;
	assert_int_equal(pdi_match_errq(&f, &tab, &se, buf, n, &m), PDI_UNMATCHED);
}

static void test_hdr_len(void **state)
{
	(void)state;
	/* IP + UDP + FWD_PROBE header and body in front of the token. */
	assert_int_equal(pdi_hdr_len(4, PD_PROBE_PEER), 48);
	assert_int_equal(pdi_hdr_len(6, PD_PROBE_PEER), 68);
	assert_string_equal(pd_probe_method_name(PD_PROBE_PEER), "peer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nonce),
		cmocka_unit_test(test_fwd_ack),
		cmocka_unit_test(test_error_reply),
		cmocka_unit_test(test_errq),
		cmocka_unit_test(test_hdr_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
