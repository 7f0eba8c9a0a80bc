/* test_peerproto.c - the peer protocol's wire format (pathdiag/peerproto.h,
 * docs/responder.md): messages written out byte by byte from the layout in
 * the spec are decoded field by field and produced again by the encoder;
 * every type round-trips; every prefix of a message is refused as
 * truncated; each malformed field is refused at its offset; the MAC covers
 * every byte; key files and address formatting. */
#include "decoder_test.h"

#include <stdio.h>

#include <pathdiag/hmac.h>
#include <pathdiag/peerproto.h>

#define NONCE 0x0102030405060708ull
#define T0 1700000000000ull /* 00 00 01 8b cf e5 68 00 */

/* ---- messages written from the spec ------------------------------------- */

static const uint8_t hello16[16] = {
	0x50, 0x44, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
};

/* FWD_PROBE seq 0xdeadbeef, nonce 1, padded to 40 bytes. */
static const uint8_t fwd40[40] = {
	0x50, 0x44, 0x01, 0x03, 0x00, 0x00, 0x00, 0x04,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0xde, 0xad, 0xbe, 0xef,
};

/* REV_REQ for 1454 and 1455, nonce NONCE. */
static const uint8_t rev22[22] = {
	0x50, 0x44, 0x01, 0x05, 0x00, 0x00, 0x00, 0x06,
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x02, 0x00, 0x05, 0xae, 0x05, 0xaf,
};

/* INFO: version 1, caps 0x0f, TCP 20548, max reply 9000, 32 sizes, seen
 * 203.0.113.2:40000, time T0, max auth 131072, window 30000, "abc". */
static const uint8_t info64[64] = {
	0x50, 0x44, 0x01, 0x02, 0x00, 0x00, 0x00, 0x30,
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x01, 0x0f, 0x50, 0x44, 0x23, 0x28, 0x20, 0x04,
	0x9c, 0x40, 0x00, 0x00, 0x00, 0x00, 0x01, 0x8b,
	0xcf, 0xe5, 0x68, 0x00, 0xcb, 0x00, 0x71, 0x02,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
	0x00, 0x00, 0x75, 0x30, 0x03, 'a', 'b', 'c',
};

/* FWD_ACK seq 0xdeadbeef, 1472 bytes received. */
static const uint8_t ack24[24] = {
	0x50, 0x44, 0x01, 0x04, 0x00, 0x00, 0x00, 0x08,
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0xde, 0xad, 0xbe, 0xef, 0x05, 0xc0, 0x00, 0x00,
};

/* MSS_REPORT: all four option flags, IPv6 [fd00:0:0:1::2]:50000, MSS
 * 1360, wscale 7, hop limit 63, 60-byte SYN. */
static const uint8_t mss44[44] = {
	0x50, 0x44, 0x01, 0x07, 0x00, 0x00, 0x00, 0x1c,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x0f, 0x06, 0x05, 0x50, 0x07, 0x3f, 0xc3, 0x50,
	0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x00, 0x3c, 0x00, 0x00,
};

/* ERROR too-big, arg 120, refused bitmap 2, time T0. */
static const uint8_t err32[32] = {
	0x50, 0x44, 0x01, 0x08, 0x00, 0x00, 0x00, 0x10,
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x02, 0x00, 0x00, 0x78, 0x00, 0x00, 0x00, 0x02,
	0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00,
};

/* REV_DATA head: index 1 of 2, size 1454 (then padding). */
static const uint8_t data20[20] = {
	0x50, 0x44, 0x01, 0x06, 0x00, 0x00, 0x00, 0x04,
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x01, 0x02, 0x05, 0xae,
};

static const uint8_t key32[32] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
	0xee, 0xff, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98,
	0x76, 0x54, 0x32, 0x10,
};

static int dec(const uint8_t *p, size_t n, struct pd_peer_msg *m, struct pd_error *e)
{
	uint8_t *b = heap_copy(p, n);
	int rc = pd_peer_decode(b, n, m, e);

	free(b);
	return rc;
}

/* Encode m into exactly `want` and compare the bytes. */
static void enc_equals(const struct pd_peer_msg *m, size_t total, const uint8_t *want, size_t n)
{
	uint8_t buf[2048];
	size_t len = 0;
	struct pd_error e = { 0 };

	assert_int_equal(pd_peer_encode(m, total, NULL, 0, buf, sizeof(buf), &len, &e), PD_OK);
	assert_int_equal(len, total ? total : n);
	assert_memory_equal(buf, want, n);
}

static void test_hello(void **state)
{
	struct pd_peer_msg m;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(dec(hello16, 16, &m, &e), PD_OK);
	assert_int_equal(m.version, 1);
	assert_int_equal(m.type, PD_PEER_HELLO);
	assert_int_equal(m.flags, 0);
	assert_int_equal(m.body_len, 0);
	assert_true(m.nonce == NONCE);
	assert_int_equal(m.len, 16);
	assert_int_equal(m.pad_len, 0);
	assert_false(m.auth);
	enc_equals(&m, 0, hello16, 16);
	assert_true(pd_peer_type_is_request(m.type));
	assert_string_equal(pd_peer_type_name(m.type), "hello");
}

static void test_forward(void **state)
{
	struct pd_peer_msg m;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(dec(fwd40, 40, &m, &e), PD_OK);
	assert_int_equal(m.type, PD_PEER_FWD_PROBE);
	assert_true(m.nonce == 1);
	assert_true(m.u.fwd.seq == 0xdeadbeef);
	assert_int_equal(m.body_len, 4);
	assert_int_equal(m.pad_len, 20);
	enc_equals(&m, 40, fwd40, 40);

	assert_int_equal(dec(ack24, 24, &m, &e), PD_OK);
	assert_int_equal(m.type, PD_PEER_FWD_ACK);
	assert_true(m.u.ack.seq == 0xdeadbeef);
	assert_int_equal(m.u.ack.rx_len, 1472);
	assert_false(pd_peer_type_is_request(m.type));
	enc_equals(&m, 0, ack24, 24);
}

static void test_reverse(void **state)
{
	struct pd_peer_msg m;
	struct pd_error e = { 0 };
	uint8_t big[1426];

	(void)state;
	assert_int_equal(dec(rev22, 22, &m, &e), PD_OK);
	assert_int_equal(m.type, PD_PEER_REV_REQ);
	assert_int_equal(m.u.rev.count, 2);
	assert_int_equal(m.u.rev.size[0], 1454);
	assert_int_equal(m.u.rev.size[1], 1455);
	enc_equals(&m, 0, rev22, 22);

	memset(big, 0x77, sizeof(big)); /* padding may be anything */
	memcpy(big, data20, sizeof(data20));
	assert_int_equal(dec(big, sizeof(big), &m, &e), PD_OK);
	assert_int_equal(m.type, PD_PEER_REV_DATA);
	assert_int_equal(m.u.data.index, 1);
	assert_int_equal(m.u.data.count, 2);
	assert_int_equal(m.u.data.size, 1454);
	assert_int_equal(m.pad_len, 1426 - 20);
	enc_equals(&m, 1426, data20, 20);
}

static void test_info(void **state)
{
	struct pd_peer_msg m;
	struct pd_error e = { 0 };
	static const uint8_t a4[4] = { 203, 0, 113, 2 };

	(void)state;
	assert_int_equal(dec(info64, 64, &m, &e), PD_OK);
	assert_int_equal(m.type, PD_PEER_INFO);
	assert_int_equal(m.u.info.version_max, 1);
	assert_int_equal(m.u.info.caps, 0x0f);
	assert_int_equal(m.u.info.tcp_port, 20548);
	assert_int_equal(m.u.info.max_reply, 9000);
	assert_int_equal(m.u.info.max_sizes, 32);
	assert_int_equal(m.u.info.seen.family, 4);
	assert_int_equal(m.u.info.seen.port, 40000);
	assert_memory_equal(m.u.info.seen.addr, a4, 4);
	assert_true(m.u.info.server_time_ms == T0);
	assert_int_equal(m.u.info.max_auth_bytes, 131072);
	assert_int_equal(m.u.info.auth_window_ms, 30000);
	assert_string_equal(m.u.info.software, "abc");
	enc_equals(&m, 0, info64, 64);
}

static void test_mss_and_error(void **state)
{
	struct pd_peer_msg m;
	struct pd_error e = { 0 };
	static const uint8_t a6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2 };
	char txt[64];

	(void)state;
	assert_int_equal(dec(mss44, 44, &m, &e), PD_OK);
	assert_int_equal(m.type, PD_PEER_MSS_REPORT);
	assert_int_equal(m.u.mss.flags, PD_PEER_MSS_HAS_MSS | PD_PEER_MSS_HAS_WSCALE |
					PD_PEER_MSS_SACK_OK | PD_PEER_MSS_HAS_TS);
	assert_int_equal(m.u.mss.mss, 1360);
	assert_int_equal(m.u.mss.wscale, 7);
	assert_int_equal(m.u.mss.ttl, 63);
	assert_int_equal(m.u.mss.seen.family, 6);
	assert_int_equal(m.u.mss.seen.port, 50000);
	assert_memory_equal(m.u.mss.seen.addr, a6, 16);
	assert_int_equal(m.u.mss.syn_len, 60);
	enc_equals(&m, 0, mss44, 44);
	assert_int_equal(pd_peer_addr_format(&m.u.mss.seen, true, txt, sizeof(txt)), PD_OK);
	assert_string_equal(txt, "[fd00:0:0:1::2]:50000");

	assert_int_equal(dec(err32, 32, &m, &e), PD_OK);
	assert_int_equal(m.type, PD_PEER_ERROR);
	assert_int_equal(m.u.error.code, PD_PEER_E_TOO_BIG);
	assert_int_equal(m.u.error.arg, 120);
	assert_int_equal(m.u.error.arg32, 2);
	assert_true(m.u.error.server_time_ms == T0);
	assert_string_equal(pd_peer_errcode_name(m.u.error.code), "too-big");
	enc_equals(&m, 0, err32, 32);
}

/* ---- truncation ----------------------------------------------------------- */

/* Every prefix of a message without padding is TRUNCATED (header, body
 * or trailer cut), never read past (heap copies of the exact length). */
static void test_truncation_every_length(void **state)
{
	const struct {
		const uint8_t *p;
		size_t n;
	} msgs[] = {
		{ hello16, 16 }, { rev22, 22 }, { info64, 64 }, { ack24, 24 },
		{ mss44, 44 }, { err32, 32 }, { data20, 20 },
	};
	uint8_t signed_buf[128];
	struct pd_peer_msg m;
	struct pd_error e = { 0 };
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		sweep_truncated(msgs[i].p, msgs[i].n, struct pd_peer_msg,
				pd_peer_decode(tb, tn, &to, &te));

	/* Signed REV_REQ: 22 + 40 bytes; cutting into the trailer is refused. */
	assert_int_equal(dec(rev22, 22, &m, &e), PD_OK);
	m.ts_ms = T0;
	assert_int_equal(pd_peer_encode(&m, 0, key32, 32, signed_buf, sizeof(signed_buf), &len,
					&e), PD_OK);
	assert_int_equal(len, 62);
	sweep_truncated(signed_buf, len, struct pd_peer_msg, pd_peer_decode(tb, tn, &to, &te));
	/* The trailer error is at the end of the body. */
	assert_int_equal(dec(signed_buf, 61, &m, &e), PD_ERR_TRUNCATED);
	assert_int_equal(e.offset, 22);
	assert_int_equal(dec(signed_buf, 21, &m, &e), PD_ERR_TRUNCATED);
	assert_int_equal(e.offset, 16);
	assert_int_equal(dec(signed_buf, 15, &m, &e), PD_ERR_TRUNCATED);
	assert_int_equal(e.offset, 0);
}

/* ---- malformed fields ----------------------------------------------------- */

/* Copy base, set byte at `at` to v, decode, expect code at offset. */
static void poke(const uint8_t *base, size_t n, size_t at, uint8_t v, int code, size_t off)
{
	uint8_t b[128];
	struct pd_peer_msg m;
	struct pd_error e = { 0 };
	int rc;

	assert_true(n <= sizeof(b));
	memcpy(b, base, n);
	b[at] = v;
	rc = dec(b, n, &m, &e);
	if (rc != code || e.offset != off)
		fail_msg("byte %zu = 0x%02x: got %d at %zu, want %d at %zu (%s)", at, v, rc,
			 e.offset, code, off, e.what ? e.what : "-");
	if (code != PD_OK)
		assert_non_null(e.what);
}

static void test_malformed_header(void **state)
{
	struct pd_peer_msg m;
	struct pd_error e = { 0 };
	uint8_t b[16];

	(void)state;
	poke(hello16, 16, 0, 0x51, PD_ERR_MALFORMED, 0);
	poke(hello16, 16, 1, 0x45, PD_ERR_MALFORMED, 0);
	poke(hello16, 16, 2, 0, PD_ERR_UNSUPPORTED, 2);
	poke(hello16, 16, 2, 2, PD_ERR_UNSUPPORTED, 2);
	poke(hello16, 16, 3, 0, PD_ERR_UNSUPPORTED, 3);
	poke(hello16, 16, 3, 9, PD_ERR_UNSUPPORTED, 3);
	poke(hello16, 16, 3, 0xff, PD_ERR_UNSUPPORTED, 3);
	poke(hello16, 16, 4, 0x02, PD_ERR_UNSUPPORTED, 4);
	poke(hello16, 16, 4, 0x80, PD_ERR_UNSUPPORTED, 4);
	/* Reserved byte: ignored. */
	poke(hello16, 16, 5, 0xff, PD_OK, 0);
	/* Body longer than the datagram. */
	poke(hello16, 16, 7, 1, PD_ERR_TRUNCATED, 16);
	/* AUTH flag without room for the trailer. */
	poke(hello16, 16, 4, 0x01, PD_ERR_TRUNCATED, 16);
	/* Body shorter than the type needs: REV_REQ with 1 byte. */
	poke(rev22, 22, 7, 1, PD_ERR_MALFORMED, 6);
	poke(info64, 64, 7, 44, PD_ERR_MALFORMED, 6);
	poke(ack24, 24, 7, 7, PD_ERR_MALFORMED, 6);
	poke(mss44, 44, 7, 27, PD_ERR_MALFORMED, 6);
	poke(err32, 32, 7, 15, PD_ERR_MALFORMED, 6);
	poke(data20, 20, 7, 3, PD_ERR_MALFORMED, 6);
	poke(fwd40, 40, 7, 3, PD_ERR_MALFORMED, 6);

	/* A future version still tells its type and nonce (for BAD_VERSION). */
	memcpy(b, hello16, 16);
	b[2] = 7;
	assert_int_equal(dec(b, 16, &m, &e), PD_ERR_UNSUPPORTED);
	assert_int_equal(m.version, 7);
	assert_int_equal(m.type, PD_PEER_HELLO);
	assert_true(m.nonce == NONCE);
	assert_int_equal(pd_peer_decode(NULL, 0, &m, &e), PD_ERR_TRUNCATED);
	assert_int_equal(pd_peer_decode(b, 16, NULL, &e), PD_ERR_INVAL);
}

static void test_malformed_bodies(void **state)
{
	(void)state;
	/* INFO */
	poke(info64, 64, 16, 0, PD_ERR_MALFORMED, 16);          /* version 0 */
	poke(info64, 64, 23, 5, PD_ERR_MALFORMED, 23);          /* family 5 */
	poke(info64, 64, 23, 6, PD_OK, 0);                      /* IPv6 is fine */
	poke(info64, 64, 40, 1, PD_ERR_MALFORMED, 40);          /* IPv4 + junk */
	poke(info64, 64, 51, 1, PD_ERR_MALFORMED, 51);
	poke(info64, 64, 60, 32, PD_ERR_MALFORMED, 60);         /* string > 31 */
	poke(info64, 64, 60, 4, PD_ERR_MALFORMED, 60);          /* past the body */
	poke(info64, 64, 62, 0x7f, PD_ERR_MALFORMED, 62);       /* not printable */
	poke(info64, 64, 63, 0x1f, PD_ERR_MALFORMED, 63);
	poke(info64, 64, 17, 0xff, PD_OK, 0);                   /* caps: any */
	/* REV_REQ */
	poke(rev22, 22, 16, 0, PD_ERR_MALFORMED, 16);
	poke(rev22, 22, 16, 33, PD_ERR_MALFORMED, 16);
	poke(rev22, 22, 16, 3, PD_ERR_MALFORMED, 16);           /* 3 sizes, room for 2 */
	poke(rev22, 22, 16, 1, PD_OK, 0);                       /* 1 size, 2 extra bytes */
	/* REV_DATA */
	poke(data20, 20, 17, 0, PD_ERR_MALFORMED, 17);
	poke(data20, 20, 17, 33, PD_ERR_MALFORMED, 17);
	poke(data20, 20, 16, 2, PD_ERR_MALFORMED, 16);          /* index == count */
	/* MSS_REPORT */
	poke(mss44, 44, 16, 0x10, PD_ERR_MALFORMED, 16);
	poke(mss44, 44, 16, 0x8f, PD_OK, 0);
	poke(mss44, 44, 17, 4, PD_ERR_MALFORMED, 31);           /* IPv4 needs ... */
	poke(mss44, 44, 17, 0, PD_ERR_MALFORMED, 17);
	/* ... zeros after the IPv4 address: fd00:0:0:1::2 has a 1 at byte 31. */
	{
		uint8_t b[44];
		struct pd_peer_msg m;
		struct pd_error e = { 0 };

		memcpy(b, mss44, 44);
		b[17] = 4;
		b[31] = 0;
		assert_int_equal(dec(b, 44, &m, &e), PD_ERR_MALFORMED);
		assert_int_equal(e.offset, 39);
	}
	/* ERROR */
	poke(err32, 32, 16, 0, PD_ERR_MALFORMED, 16);
	poke(err32, 32, 16, 200, PD_OK, 0);                     /* unknown codes pass */
}

/* Bodies longer than their type: the extra bytes are an extension. */
static void test_extension_bytes(void **state)
{
	uint8_t b[30];
	struct pd_peer_msg m;
	struct pd_error e = { 0 };

	(void)state;
	memset(b, 0xab, sizeof(b));
	memcpy(b, ack24, 24);
	b[7] = 14;
	assert_int_equal(dec(b, 30, &m, &e), PD_OK);
	assert_int_equal(m.body_len, 14);
	assert_int_equal(m.pad_len, 0);
	assert_true(m.u.ack.seq == 0xdeadbeef);
}

/* ---- round trips ------------------------------------------------------------ */

static void fill_msg(struct pd_peer_msg *m, int type, unsigned v)
{
	unsigned i;

	memset(m, 0, sizeof(*m));
	m->type = (uint8_t)type;
	m->nonce = 0x1111111111111111ull * (v + 1);
	switch (type) {
	case PD_PEER_INFO:
		m->u.info.version_max = 1;
		m->u.info.caps = (uint8_t)v;
		m->u.info.tcp_port = (uint16_t)(v * 3);
		m->u.info.max_reply = 1500;
		m->u.info.max_sizes = 32;
		m->u.info.seen.family = v & 1 ? 6 : 4;
		m->u.info.seen.port = (uint16_t)(1000 + v);
		for (i = 0; i < (v & 1 ? 16u : 4u); i++)
			m->u.info.seen.addr[i] = (uint8_t)(i + v);
		m->u.info.server_time_ms = T0 + v;
		m->u.info.max_auth_bytes = 1000u * v;
		m->u.info.auth_window_ms = 30000;
		for (i = 0; i < v % 32; i++)
			m->u.info.software[i] = (char)('a' + i % 26);
		break;
	case PD_PEER_FWD_PROBE:
		m->u.fwd.seq = v * 77;
		break;
	case PD_PEER_FWD_ACK:
		m->u.ack.seq = v;
		m->u.ack.rx_len = (uint16_t)(v * 5);
		break;
	case PD_PEER_REV_REQ:
		m->u.rev.count = (uint8_t)(v % 32 + 1);
		for (i = 0; i < m->u.rev.count; i++)
			m->u.rev.size[i] = (uint16_t)(1280 + i * 10 + v);
		break;
	case PD_PEER_REV_DATA:
		m->u.data.count = (uint8_t)(v % 32 + 1);
		m->u.data.index = (uint8_t)(v % m->u.data.count);
		m->u.data.size = (uint16_t)(1400 + v);
		break;
	case PD_PEER_MSS_REPORT:
		m->u.mss.flags = (uint8_t)(v & PD_PEER_MSS_KNOWN);
		m->u.mss.mss = (uint16_t)(1200 + v);
		m->u.mss.wscale = (uint8_t)(v % 15);
		m->u.mss.ttl = (uint8_t)v;
		m->u.mss.seen.family = v & 1 ? 4 : 6;
		m->u.mss.seen.port = (uint16_t)v;
		m->u.mss.seen.addr[0] = 10;
		m->u.mss.syn_len = (uint16_t)(40 + v);
		break;
	case PD_PEER_ERROR:
		m->u.error.code = (uint8_t)(v % 8 + 1);
		m->u.error.arg = (uint16_t)v;
		m->u.error.arg32 = v * 1000003u;
		m->u.error.server_time_ms = T0 * v;
		break;
	}
}

static void same_body(const struct pd_peer_msg *a, const struct pd_peer_msg *b)
{
	assert_int_equal(a->type, b->type);
	assert_true(a->nonce == b->nonce);
	switch (a->type) {
	case PD_PEER_INFO:
		assert_int_equal(a->u.info.version_max, b->u.info.version_max);
		assert_int_equal(a->u.info.caps, b->u.info.caps);
		assert_int_equal(a->u.info.tcp_port, b->u.info.tcp_port);
		assert_int_equal(a->u.info.max_reply, b->u.info.max_reply);
		assert_int_equal(a->u.info.seen.family, b->u.info.seen.family);
		assert_int_equal(a->u.info.seen.port, b->u.info.seen.port);
		assert_memory_equal(a->u.info.seen.addr, b->u.info.seen.addr, 16);
		assert_true(a->u.info.server_time_ms == b->u.info.server_time_ms);
		assert_int_equal(a->u.info.max_auth_bytes, b->u.info.max_auth_bytes);
		assert_string_equal(a->u.info.software, b->u.info.software);
		break;
	case PD_PEER_FWD_PROBE:
		assert_int_equal(a->u.fwd.seq, b->u.fwd.seq);
		break;
	case PD_PEER_FWD_ACK:
		assert_int_equal(a->u.ack.seq, b->u.ack.seq);
		assert_int_equal(a->u.ack.rx_len, b->u.ack.rx_len);
		break;
	case PD_PEER_REV_REQ:
		assert_int_equal(a->u.rev.count, b->u.rev.count);
		assert_memory_equal(a->u.rev.size, b->u.rev.size, 2u * a->u.rev.count);
		break;
	case PD_PEER_REV_DATA:
		assert_int_equal(a->u.data.index, b->u.data.index);
		assert_int_equal(a->u.data.count, b->u.data.count);
		assert_int_equal(a->u.data.size, b->u.data.size);
		break;
	case PD_PEER_MSS_REPORT:
		assert_int_equal(a->u.mss.flags, b->u.mss.flags);
		assert_int_equal(a->u.mss.mss, b->u.mss.mss);
		assert_int_equal(a->u.mss.ttl, b->u.mss.ttl);
		assert_int_equal(a->u.mss.seen.port, b->u.mss.seen.port);
		assert_int_equal(a->u.mss.syn_len, b->u.mss.syn_len);
		break;
	case PD_PEER_ERROR:
		assert_int_equal(a->u.error.code, b->u.error.code);
		assert_int_equal(a->u.error.arg, b->u.error.arg);
		assert_int_equal(a->u.error.arg32, b->u.error.arg32);
		assert_true(a->u.error.server_time_ms == b->u.error.server_time_ms);
		break;
	}
}

static void test_round_trips(void **state)
{
	uint8_t buf[4096];
	struct pd_peer_msg m, d;
	struct pd_error e = { 0 };
	size_t len, min, total;
	unsigned v;
	int type, signed_;

	(void)state;
	for (type = PD_PEER_HELLO; type <= PD_PEER_ERROR; type++) {
		for (v = 0; v < 40; v++) {
			for (signed_ = 0; signed_ < 2; signed_++) {
				fill_msg(&m, type, v);
				m.ts_ms = T0 + v;
				min = pd_peer_min_len(&m) + (signed_ ? PD_PEER_AUTH_LEN : 0);
				total = v % 3 == 0 ? 0 : min + v * 37;
				assert_int_equal(pd_peer_encode(&m, total, signed_ ? key32 : NULL,
								signed_ ? 32 : 0, buf,
								sizeof(buf), &len, &e), PD_OK);
				assert_int_equal(len, total ? total : min);
				assert_int_equal(dec(buf, len, &d, &e), PD_OK);
				same_body(&m, &d);
				assert_int_equal(d.auth, signed_);
				assert_int_equal(d.len, len);
				assert_int_equal(d.pad_len, len - min);
				if (signed_) {
					assert_true(d.ts_ms == T0 + v);
					assert_int_equal(d.mac_off, len - 32);
					assert_true(pd_peer_verify(buf, len, &d, key32, 32));
				}
			}
		}
	}
}

/* ---- authentication ----------------------------------------------------------- */

static void test_mac_covers_everything(void **state)
{
	uint8_t buf[200], other[32];
	struct pd_peer_msg m, d;
	struct pd_error e = { 0 };
	size_t len, i;
	int bit;

	(void)state;
	fill_msg(&m, PD_PEER_REV_REQ, 3);
	m.ts_ms = T0;
	assert_int_equal(pd_peer_encode(&m, 150, key32, 32, buf, sizeof(buf), &len, &e), PD_OK);
	assert_int_equal(dec(buf, len, &d, &e), PD_OK);
	assert_true(pd_peer_verify(buf, len, &d, key32, 32));
	/* The MAC is HMAC-SHA256 over everything before it. */
	{
		uint8_t mac[32];

		pd_hmac_sha256(key32, 32, buf, len - 32, mac);
		assert_memory_equal(mac, buf + len - 32, 32);
	}
	/* Any flipped bit anywhere (header, body, padding, timestamp, MAC):
	 * either the decoder refuses it or the MAC does not verify. */
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit += 3) {
			buf[i] ^= (uint8_t)(1u << bit);
			if (dec(buf, len, &d, &e) == PD_OK && d.auth)
				assert_false(pd_peer_verify(buf, len, &d, key32, 32));
			buf[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* Another key, a shorter key, no key. */
	assert_int_equal(dec(buf, len, &d, &e), PD_OK);
	memcpy(other, key32, 32);
	other[31] ^= 1;
	assert_false(pd_peer_verify(buf, len, &d, other, 32));
	assert_false(pd_peer_verify(buf, len, &d, key32, 31));
	assert_false(pd_peer_verify(buf, len, &d, NULL, 0));
	/* Length given differs from the decoded one. */
	assert_false(pd_peer_verify(buf, len - 1, &d, key32, 32));
	/* An unsigned message never verifies. */
	assert_int_equal(dec(rev22, 22, &d, &e), PD_OK);
	assert_false(pd_peer_verify(rev22, 22, &d, key32, 32));
	/* Removing the AUTH flag turns the trailer into padding: no auth. */
	buf[4] = 0;
	assert_int_equal(dec(buf, len, &d, &e), PD_OK);
	assert_false(d.auth);
	assert_false(pd_peer_verify(buf, len, &d, key32, 32));
}

/* ---- encoder refusals ---------------------------------------------------------- */

static void enc_refused(const struct pd_peer_msg *m, size_t total, const uint8_t *key,
			size_t klen, size_t cap, int code)
{
	uint8_t buf[128];
	size_t len = 12345;
	struct pd_error e = { 0 };
	size_t i;

	memset(buf, 0xcc, sizeof(buf));
	assert_int_equal(pd_peer_encode(m, total, key, klen, buf, cap, &len, &e), code);
	assert_int_equal(e.code, code);
	assert_non_null(e.what);
	assert_int_equal(len, 12345);
	for (i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xcc); /* nothing written */
}

static void test_encoder_refusals(void **state)
{
	struct pd_peer_msg m;

	(void)state;
	fill_msg(&m, PD_PEER_HELLO, 0);
	enc_refused(&m, 15, NULL, 0, 128, PD_ERR_INVAL);           /* below minimum */
	enc_refused(&m, 65508, NULL, 0, 128, PD_ERR_INVAL);        /* above 65507 */
	enc_refused(&m, 16, NULL, 0, 15, PD_ERR_NOSPACE);
	enc_refused(&m, 0, key32, 32, 55, PD_ERR_NOSPACE);         /* 16 + 40 */
	enc_refused(&m, 0, key32, 15, 128, PD_ERR_INVAL);          /* key too short */
	enc_refused(&m, 0, key32, 65, 128, PD_ERR_INVAL);
	enc_refused(&m, 40, key32, 32, 128, PD_ERR_INVAL);         /* 40 < 56 */
	m.type = 0;
	enc_refused(&m, 0, NULL, 0, 128, PD_ERR_INVAL);
	m.type = 9;
	enc_refused(&m, 0, NULL, 0, 128, PD_ERR_INVAL);
	fill_msg(&m, PD_PEER_REV_REQ, 0);
	m.u.rev.count = 0;
	enc_refused(&m, 0, NULL, 0, 128, PD_ERR_INVAL);
	m.u.rev.count = 33;
	enc_refused(&m, 0, NULL, 0, 128, PD_ERR_INVAL);
	fill_msg(&m, PD_PEER_REV_DATA, 0);
	m.u.data.index = m.u.data.count;
	enc_refused(&m, 0, NULL, 0, 128, PD_ERR_INVAL);
	fill_msg(&m, PD_PEER_INFO, 5);
	m.u.info.seen.family = 5;
	enc_refused(&m, 0, NULL, 0, 128, PD_ERR_INVAL);
	fill_msg(&m, PD_PEER_INFO, 5);
	m.u.info.software[2] = '\n';
	enc_refused(&m, 0, NULL, 0, 128, PD_ERR_INVAL);
	fill_msg(&m, PD_PEER_INFO, 5);
	memset(m.u.info.software, 'x', sizeof(m.u.info.software)); /* no NUL */
	enc_refused(&m, 0, NULL, 0, 128, PD_ERR_INVAL);
	fill_msg(&m, PD_PEER_INFO, 5);
	m.u.info.version_max = 0;
	enc_refused(&m, 0, NULL, 0, 128, PD_ERR_INVAL);
	fill_msg(&m, PD_PEER_MSS_REPORT, 1);
	m.u.mss.flags = 0x40;
	enc_refused(&m, 0, NULL, 0, 128, PD_ERR_INVAL);
	fill_msg(&m, PD_PEER_ERROR, 1);
	m.u.error.code = 0;
	enc_refused(&m, 0, NULL, 0, 128, PD_ERR_INVAL);
}

/* IPv4 addresses are written with 12 zero bytes after them, whatever the
 * struct held there. */
static void test_encoder_canonical_ipv4(void **state)
{
	struct pd_peer_msg m, d;
	struct pd_error e = { 0 };
	uint8_t buf[128];
	size_t len, i;

	(void)state;
	fill_msg(&m, PD_PEER_INFO, 4);
	memset(m.u.info.seen.addr + 4, 0xee, 12);
	assert_int_equal(pd_peer_encode(&m, 0, NULL, 0, buf, sizeof(buf), &len, &e), PD_OK);
	for (i = 40; i < 52; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(dec(buf, len, &d, &e), PD_OK);
}

/* ---- key files, addresses ----------------------------------------------------- */

static int keyp(const char *t, uint8_t *k, size_t *kl, struct pd_error *e)
{
	return pd_peer_key_parse(t, strlen(t), k, kl, e);
}

static void test_key_parse(void **state)
{
	uint8_t k[PD_PEER_KEY_MAX];
	size_t kl = 0;
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(keyp("# pathdiag key\n\n  00112233445566778899aabbccddeeff"
			      "0123456789ABCDEFfedcba9876543210  \r\n# end\n", k, &kl, &e), PD_OK);
	assert_int_equal(kl, 32);
	assert_memory_equal(k, key32, 32);
	assert_int_equal(keyp("000102030405060708090a0b0c0d0e0f", k, &kl, &e), PD_OK);
	assert_int_equal(kl, 16);
	assert_int_equal(k[15], 15);

	assert_int_equal(keyp("000102030405060708090a0b0c0d0e", k, &kl, &e), PD_ERR_MALFORMED);
	assert_int_equal(e.offset, 0);                         /* 15 bytes */
	assert_int_equal(keyp("000102030405060708090a0b0c0d0e0f0", k, &kl, &e),
			 PD_ERR_MALFORMED);
	assert_int_equal(e.offset, 33);                        /* odd */
	assert_int_equal(keyp("# c\n00112233445566778899aabbccddeeffg0112233445566778899aabbcc"
			      "ddeeff", k, &kl, &e), PD_ERR_MALFORMED);
	assert_int_equal(e.offset, 4 + 32);                    /* the 'g' */
	assert_int_equal(keyp("000102030405060708090a0b0c0d0e0f\n000102030405060708090a0b0c0d0e0f",
			      k, &kl, &e), PD_ERR_MALFORMED);
	assert_int_equal(e.offset, 33);                        /* second key line */
	assert_int_equal(keyp("# only comments\n\n", k, &kl, &e), PD_ERR_MALFORMED);
	assert_int_equal(e.offset, 17);
	{
		char big[140];

		memset(big, 'a', 130);
		big[130] = '\0';
		assert_int_equal(keyp(big, k, &kl, &e), PD_ERR_MALFORMED);
		big[128] = '\0';
		assert_int_equal(keyp(big, k, &kl, &e), PD_OK);
		assert_int_equal(kl, 64);
	}
	assert_int_equal(pd_peer_key_parse(NULL, 0, k, &kl, &e), PD_ERR_MALFORMED);
}

static void test_addr_format(void **state)
{
	struct pd_peer_addr a = { 4, 20548, { 192, 0, 2, 1 } };
	char s[64];

	(void)state;
	assert_int_equal(pd_peer_addr_format(&a, true, s, sizeof(s)), PD_OK);
	assert_string_equal(s, "192.0.2.1:20548");
	assert_int_equal(pd_peer_addr_format(&a, false, s, sizeof(s)), PD_OK);
	assert_string_equal(s, "192.0.2.1");
	assert_int_equal(pd_peer_addr_format(&a, true, s, 8), PD_ERR_NOSPACE);
	assert_int_equal(strlen(s), 7);
	a.family = 5;
	assert_int_equal(pd_peer_addr_format(&a, true, s, sizeof(s)), PD_ERR_INVAL);
	assert_string_equal(s, "");
	assert_int_equal(pd_peer_overhead(4), 28);
	assert_int_equal(pd_peer_overhead(6), 48);
	assert_int_equal(pd_peer_overhead(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_reverse),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_mss_and_error),
		cmocka_unit_test(test_truncation_every_length),
		cmocka_unit_test(test_malformed_header),
		cmocka_unit_test(test_malformed_bodies),
		cmocka_unit_test(test_extension_bytes),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_mac_covers_everything),
		cmocka_unit_test(test_encoder_refusals),
		cmocka_unit_test(test_encoder_canonical_ipv4),
		cmocka_unit_test(test_key_parse),
		cmocka_unit_test(test_addr_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
