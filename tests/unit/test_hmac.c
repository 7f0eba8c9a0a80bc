/* test_hmac.c - HMAC-SHA256 (RFC 2104) against all seven test cases of
 * RFC 4231 section 4 (case 5 compares the 128-bit truncation, as the RFC
 * does), the incremental interface, keys around the block size, and the
 * constant-time comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pathdiag/hmac.h>

static void hex(const char *h, uint8_t *out, size_t n)
{
	size_t i;

	assert_int_equal(strlen(h), 2 * n);
	for (i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

struct rfc4231 {
	int id;
	uint8_t key[131];
	size_t key_len;
	const char *data;
	size_t data_len;
	const char *mac;   /* hex; case 5: the first 128 bits */
};

static void run_case(const struct rfc4231 *t)
{
	uint8_t got[PD_SHA256_LEN], exp[PD_SHA256_LEN];
	size_t n = strlen(t->mac) / 2;

	hex(t->mac, exp, n);
	pd_hmac_sha256(t->key, t->key_len, t->data, t->data_len, got);
	if (memcmp(got, exp, n) != 0)
		fail_msg("RFC 4231 test case %d: MAC differs", t->id);
}

static void test_rfc4231(void **state)
{
	static struct rfc4231 t[7];
	static const char c7[] = "This is a test using a larger than block-size key and a "
				 "larger than block-size data. The key needs to be hashed "
				 "before being used by the HMAC algorithm.";
	static const char c6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	uint8_t dd[50], cd[50];
	size_t i;

	(void)state;
	memset(t, 0, sizeof(t));
	memset(dd, 0xdd, sizeof(dd));
	memset(cd, 0xcd, sizeof(cd));

	t[0].id = 1;
	memset(t[0].key, 0x0b, 20);
	t[0].key_len = 20;
	t[0].data = "Hi There";
	t[0].data_len = 8;
	t[0].mac = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";

	t[1].id = 2;
	memcpy(t[1].key, "Jefe", 4);
	t[1].key_len = 4;
	t[1].data = "what do ya want for nothing?";
	t[1].data_len = 28;
	t[1].mac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

	t[2].id = 3;
	memset(t[2].key, 0xaa, 20);
	t[2].key_len = 20;
	t[2].data = (const char *)dd;
	t[2].data_len = 50;
	t[2].mac = "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe";

	t[3].id = 4;
	for (i = 0; i < 25; i++)
		t[3].key[i] = (uint8_t)(i + 1);
	t[3].key_len = 25;
	t[3].data = (const char *)cd;
	t[3].data_len = 50;
	t[3].mac = "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b";

	t[4].id = 5;
	memset(t[4].key, 0x0c, 20);
	t[4].key_len = 20;
	t[4].data = "Test With Truncation";
	t[4].data_len = 20;
	t[4].mac = "a3b6167473100ee06e0c796c2955552b";

	t[5].id = 6;
	memset(t[5].key, 0xaa, 131);
	t[5].key_len = 131;
	t[5].data = c6;
	t[5].data_len = sizeof(c6) - 1;
	t[5].mac = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";

	t[6].id = 7;
	memset(t[6].key, 0xaa, 131);
	t[6].key_len = 131;
	t[6].data = c7;
	t[6].data_len = sizeof(c7) - 1;
	t[6].mac = "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2";

	for (i = 0; i < 7; i++)
		run_case(&t[i]);
}

/* Updates in pieces equal the one-call MAC (RFC 4231 case 7's data). */
static void test_incremental(void **state)
{
	static const char data[] = "This is a test using a larger than block-size key and a "
				   "larger than block-size data. The key needs to be hashed "
				   "before being used by the HMAC algorithm.";
	uint8_t key[131], one[PD_SHA256_LEN], got[PD_SHA256_LEN];
	struct pd_hmac_sha256 h;
	size_t split, n = sizeof(data) - 1;

	(void)state;
	memset(key, 0xaa, sizeof(key));
	pd_hmac_sha256(key, sizeof(key), data, n, one);
	for (split = 0; split <= n; split++) {
		pd_hmac_sha256_init(&h, key, sizeof(key));
		pd_hmac_sha256_update(&h, data, split);
		pd_hmac_sha256_update(&h, data + split, n - split);
		pd_hmac_sha256_final(&h, got);
		assert_memory_equal(got, one, sizeof(one));
	}
}

/* A key of exactly one block is used as is; one byte more is hashed
 * first, so (RFC 2104 section 2) HMAC(K) == HMAC(SHA256(K)) for such K. */
static void test_key_lengths(void **state)
{
	uint8_t k64[64], k65[65], hk[PD_SHA256_LEN], a[32], b[32];

	(void)state;
	memset(k64, 0x5a, sizeof(k64));
	memset(k65, 0x5a, sizeof(k65));
	pd_sha256(k65, sizeof(k65), hk);
	pd_hmac_sha256(k65, sizeof(k65), "m", 1, a);
	pd_hmac_sha256(hk, sizeof(hk), "m", 1, b);
	assert_memory_equal(a, b, 32);
	/* 64 bytes are not hashed: differs from HMAC with SHA256(k64). */
	pd_sha256(k64, sizeof(k64), hk);
	pd_hmac_sha256(k64, sizeof(k64), "m", 1, a);
	pd_hmac_sha256(hk, sizeof(hk), "m", 1, b);
	assert_memory_not_equal(a, b, 32);
	/* An empty key is a block of zeros: same as an explicit zero byte. */
	memset(k64, 0, sizeof(k64));
	pd_hmac_sha256(NULL, 0, "m", 1, a);
	pd_hmac_sha256(k64, 1, "m", 1, b);
	assert_memory_equal(a, b, 32);
}

static void test_ct_equal(void **state)
{
	uint8_t a[32], b[32];
	size_t i;

	(void)state;
	memset(a, 0x11, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_true(pd_ct_equal(a, b, sizeof(a)));
	assert_true(pd_ct_equal(a, b, 0));
	for (i = 0; i < sizeof(a); i++) {
		b[i] ^= 0x80;
		assert_false(pd_ct_equal(a, b, sizeof(a)));
		b[i] ^= 0x80;
		b[i] ^= 0x01;
		assert_false(pd_ct_equal(a, b, sizeof(a)));
		b[i] ^= 0x01;
	}
	assert_true(pd_ct_equal(a, b, sizeof(a)));
}

static void test_wipe(void **state)
{
	uint8_t k[40], zero[40] = { 0 };

	(void)state;
	memset(k, 0xee, sizeof(k));
	pd_wipe(k, sizeof(k));
	assert_memory_equal(k, zero, sizeof(k));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4231),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_key_lengths),
		cmocka_unit_test(test_ct_equal),
		cmocka_unit_test(test_wipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
