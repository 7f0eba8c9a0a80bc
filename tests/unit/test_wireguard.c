/* test_wireguard.c - WireGuard message recogniser (whitepaper 5.4).  Real
 * messages from wireshark-wireguard-ping-tcp.pcap and wgdissector-8-trace.pcap
 * are checked against tshark 4.0.17 (wg.type, wg.sender, wg.receiver,
 * wg.counter); shape violations are built here. */
#include "decoder_test.h"

#include <pathdiag/wireguard.h>

/* wireshark-wireguard-ping-tcp.pcap frame 1, UDP payload (148 bytes):
 * tshark wg.type 1, wg.sender 0x30d037d8. */
static const uint8_t real_init[148] = {
	0x01, 0x00, 0x00, 0x00, 0xd8, 0x37, 0xd0, 0x30, 0x5f, 0xce, 0xc7, 0xc8,
	0xe5, 0xc8, 0xe2, 0xe3, 0xf7, 0x98, 0x9e, 0xef, 0x60, 0xc2, 0x28, 0xd8,
	0x23, 0x29, 0xd6, 0x02, 0xb6, 0xb1, 0xe2, 0xbb, 0x9d, 0x06, 0x8f, 0x89,
	0xcf, 0x9d, 0x4d, 0x45, 0x32, 0x78, 0x0f, 0x6d, 0x27, 0x26, 0x4f, 0x7b,
	0x98, 0x70, 0x1f, 0xdc, 0x27, 0xa4, 0xec, 0x00, 0xae, 0xb6, 0xbe, 0xcd,
	0xbe, 0xf2, 0x33, 0x2f, 0x1b, 0x40, 0x84, 0xca, 0xdb, 0x93, 0x82, 0x39,
	0x35, 0xc0, 0x12, 0xae, 0x25, 0x5e, 0x7b, 0x25, 0xef, 0xf1, 0x39, 0x40,
	0xc3, 0x21, 0xfa, 0x6b, 0xd6, 0x6a, 0x2a, 0x87, 0xb0, 0x61, 0xdb, 0x14,
	0x30, 0x17, 0x3e, 0x93, 0x7f, 0x56, 0x93, 0x49, 0xde, 0x28, 0x56, 0xdc,
	0x5f, 0x26, 0x16, 0x76, 0x3e, 0xee, 0xaf, 0xc0, 0x53, 0x3b, 0x01, 0xdd,
	0x96, 0x5e, 0x7e, 0xc7, 0x69, 0x76, 0xe2, 0x8f, 0x68, 0x3d, 0x67, 0x12,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};

/* Frame 2 (92 bytes): wg.type 2, sender 0xab7df406, receiver 0x30d037d8. */
static const uint8_t real_resp[92] = {
	0x02, 0x00, 0x00, 0x00, 0x06, 0xf4, 0x7d, 0xab, 0xd8, 0x37, 0xd0, 0x30,
	0xb1, 0x8d, 0x55, 0x50, 0xbd, 0x40, 0x42, 0xa3, 0x7a, 0x46, 0x82, 0x3a,
	0xc0, 0x8d, 0xb1, 0xec, 0x66, 0x83, 0x9b, 0xc0, 0xca, 0x2d, 0x64, 0xbc,
	0x15, 0xcd, 0x80, 0x23, 0x2b, 0x66, 0x23, 0x2f, 0xae, 0xc2, 0x4a, 0xf8,
	0x91, 0x8d, 0xe1, 0x06, 0x0f, 0xf5, 0xc9, 0x8e, 0x86, 0x5d, 0x5f, 0x35,
	0xf2, 0x72, 0x21, 0x4c, 0x52, 0x60, 0x11, 0x0d, 0xc4, 0xc6, 0x1e, 0x32,
	0xcd, 0xd8, 0x54, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* The 16-byte headers of transport data messages; the UDP payload lengths
 * are those of the frames (frame.cap_len - 42). */
struct data_case {
	const char *where;
	uint8_t hdr[16];
	size_t len;             /* UDP payload length */
	uint32_t receiver;      /* tshark wg.receiver */
	uint64_t counter;       /* tshark wg.counter */
};

static const struct data_case data_cases[] = {
	{ "ping-tcp frame 3",
	  { 0x04, 0, 0, 0, 0x06, 0xf4, 0x7d, 0xab, 0, 0, 0, 0, 0, 0, 0, 0 },
	  128, 0xab7df406, 0 },
	{ "ping-tcp frame 9 (keepalive)",
	  { 0x04, 0, 0, 0, 0x06, 0xf4, 0x7d, 0xab, 3, 0, 0, 0, 0, 0, 0, 0 },
	  32, 0xab7df406, 3 },
	{ "ping-tcp frame 12",
	  { 0x04, 0, 0, 0, 0x06, 0xf4, 0x7d, 0xab, 4, 0, 0, 0, 0, 0, 0, 0 },
	  112, 0xab7df406, 4 },
	{ "ping-tcp frame 22 (1420-MTU clamp)",
	  { 0x04, 0, 0, 0, 0xb9, 0x9e, 0xde, 0x26, 3, 0, 0, 0, 0, 0, 0, 0 },
	  1452, 0x26de9eb9, 3 },
	{ "8-trace frame 358",
	  { 0x04, 0, 0, 0, 0x16, 0xd0, 0x8b, 0x76, 0x01, 0x01, 0, 0, 0, 0, 0, 0 },
	  1452, 0x768bd016, 257 },
};

static uint8_t *data_msg(const uint8_t hdr[16], size_t len)
{
	uint8_t *b = malloc(len);

	assert_non_null(b);
	memset(b, 0x5a, len);
	memcpy(b, hdr, 16);
	return b;
}

static void test_real_handshake(void **state)
{
	uint8_t *b;
	struct pd_wg w;
	struct pd_error e = { 0 };

	(void)state;
	b = heap_copy(real_init, sizeof(real_init));
	assert_int_equal(pd_wg_decode(b, sizeof(real_init), &w, &e), PD_OK);
	assert_int_equal(w.type, PD_WG_INITIATION);
	assert_int_equal(w.sender, 0x30d037d8);
	assert_int_equal(w.receiver, 0);
	free(b);

	b = heap_copy(real_resp, sizeof(real_resp));
	assert_int_equal(pd_wg_decode(b, sizeof(real_resp), &w, &e), PD_OK);
	assert_int_equal(w.type, PD_WG_RESPONSE);
	assert_int_equal(w.sender, 0xab7df406);
	assert_int_equal(w.receiver, 0x30d037d8);
	free(b);
}

static void test_real_data(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(data_cases) / sizeof(data_cases[0]); i++) {
		const struct data_case *c = &data_cases[i];
		uint8_t *b = data_msg(c->hdr, c->len);
		struct pd_wg w;
		struct pd_error e = { 0 };

		if (pd_wg_decode(b, c->len, &w, &e) != PD_OK)
			fail_msg("%s: %s", c->where, e.what);
		assert_int_equal(w.type, PD_WG_DATA);
		assert_int_equal(w.receiver, c->receiver);
		assert_int_equal(w.counter, c->counter);
		assert_int_equal(w.inner_len, c->len - 32);
		assert_int_equal(w.keepalive, c->len == 32);
		assert_int_equal(w.mtu_clamped, (c->len - 32) % 16 != 0);
		free(b);
	}
}

static void test_mtu_clamped(void **state)
{
	const uint8_t hdr[16] = { 0x04, 0, 0, 0, 1, 0, 0, 0 };
	struct pd_wg w;
	struct pd_error e = { 0 };
	uint8_t *b;
	int rc;

	(void)state;
	/* Frame 22 above: 1420 bytes of plaintext = the tunnel MTU. */
	b = data_msg(hdr, 32 + 1420);
	assert_int_equal(pd_wg_decode(b, 32 + 1420, &w, &e), PD_OK);
	assert_true(w.mtu_clamped);
	assert_int_equal(w.inner_len, 1420);
	free(b);
	/* The smallest MTU a clamp can produce is 68 ... */
	b = data_msg(hdr, 32 + 68);
	assert_int_equal(pd_wg_decode(b, 32 + 68, &w, &e), PD_OK);
	assert_true(w.mtu_clamped);
	free(b);
	/* ... so 67 off the grid is not WireGuard; nor is 33 or 47. */
	for (size_t inner = 1; inner < 68; inner++) {
		if (inner % 16 == 0)
			continue;
		b = data_msg(hdr, 32 + inner);
		rc = pd_wg_decode(b, 32 + inner, &w, &e);
		assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
		free(b);
	}
	/* On the grid, any size. */
	b = data_msg(hdr, 32 + 16);
	assert_int_equal(pd_wg_decode(b, 48, &w, &e), PD_OK);
	assert_false(w.mtu_clamped);
	assert_false(w.keepalive);
	free(b);
}

static void test_counter_little_endian_64(void **state)
{
	const uint8_t hdr[16] = { 0x04, 0, 0, 0, 0x78, 0x56, 0x34, 0x12,
				  0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };
	struct pd_wg w;
	struct pd_error e = { 0 };

	(void)state;
	{
		uint8_t *b = data_msg(hdr, 32);

		assert_int_equal(pd_wg_decode(b, 32, &w, &e), PD_OK);
		assert_int_equal(w.receiver, 0x12345678);
		assert_true(w.counter == 0x0102030405060708ull);
		assert_true(w.keepalive);
		free(b);
	}
}

static void test_cookie_reply(void **state)
{
	uint8_t b[64] = { 0x03, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde };
	struct pd_wg w;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	assert_int_equal(pd_wg_decode(b, 64, &w, &e), PD_OK);
	assert_int_equal(w.type, PD_WG_COOKIE_REPLY);
	assert_int_equal(w.receiver, 0xdeadbeef);
	rc = pd_wg_decode(b, 63, &w, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
}

static void test_shape_violations(void **state)
{
	uint8_t b[200];
	struct pd_wg w;
	struct pd_error e = { 0 };
	int rc;

	(void)state;
	/* Handshakes must have their exact length. */
	memcpy(b, real_init, 148);
	b[148] = 0;
	rc = pd_wg_decode(b, 147, &w, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
	rc = pd_wg_decode(b, 149, &w, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
	rc = pd_wg_decode(real_resp, 91, &w, &e);
	assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
	/* Non-zero reserved bytes, one at a time. */
	for (size_t i = 1; i < 4; i++) {
		memcpy(b, real_init, 148);
		b[i] = 0x01;
		rc = pd_wg_decode(b, 148, &w, &e);
		assert_pd_error(rc, e, PD_ERR_MALFORMED, 1);
	}
	/* Unknown types 0 and 5..255. */
	memcpy(b, real_init, 148);
	for (unsigned t = 0; t < 256; t++) {
		if (t >= 1 && t <= 4)
			continue;
		b[0] = (uint8_t)t;
		rc = pd_wg_decode(b, 148, &w, &e);
		assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
	}
	/* Data shorter than a keepalive. */
	memset(b, 0, sizeof(b));
	b[0] = 4;
	for (size_t n = 4; n < 32; n++) {
		rc = pd_wg_decode(b, n, &w, &e);
		assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
	}
	/* Too short for type + reserved: not WireGuard either. */
	for (size_t n = 0; n < 4; n++) {
		uint8_t *c = heap_copy(real_init, n);

		rc = pd_wg_decode(c, n, &w, &e);
		assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
		free(c);
	}
	/* Tailscale "disco" packets start with the magic "TS" + 0xf0 0x9f:
	 * not a WireGuard type. */
	{
		const uint8_t disco[40] = { 'T', 'S', 0xf0, 0x9f, 0x92, 0xac };

		rc = pd_wg_decode(disco, sizeof(disco), &w, &e);
		assert_pd_error(rc, e, PD_ERR_MALFORMED, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_handshake),
		cmocka_unit_test(test_real_data),
		cmocka_unit_test(test_mtu_clamped),
		cmocka_unit_test(test_counter_little_endian_64),
		cmocka_unit_test(test_cookie_reply),
		cmocka_unit_test(test_shape_violations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
