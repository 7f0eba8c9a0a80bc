/* test_sha256.c - SHA-256 (FIPS 180-4) against the example messages of
 * FIPS 180-2 appendix B / NIST "SHA256.pdf" (one block, two blocks, the
 * 896-bit message, one million 'a'), against digests of padding-boundary
 * lengths computed with Python's hashlib (an independent implementation),
 * and incremental hashing split at every position. */
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

static void check_digest(const void *msg, size_t len, const char *want)
{
	uint8_t got[PD_SHA256_LEN], exp[PD_SHA256_LEN];

	hex(want, exp, sizeof(exp));
	pd_sha256(msg, len, got);
	assert_memory_equal(got, exp, sizeof(exp));
}

static void test_nist_examples(void **state)
{
	(void)state;
	check_digest("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_digest(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_digest("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check_digest("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
		     "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112,
		     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void **state)
{
	struct pd_sha256 c;
	uint8_t chunk[1000], got[PD_SHA256_LEN], exp[PD_SHA256_LEN];
	int i;

	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	pd_sha256_init(&c);
	for (i = 0; i < 1000; i++)
		pd_sha256_update(&c, chunk, sizeof(chunk));
	pd_sha256_final(&c, got);
	hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", exp, 32);
	assert_memory_equal(got, exp, 32);
}

/* Message byte i = i mod 256, at the lengths where padding changes shape:
 * 55 (length fits the block), 56 (it does not), 63/64/65, 119/120, ... */
static void test_padding_boundaries(void **state)
{
	static const struct {
		size_t n;
		const char *digest;
	} v[] = {
		{ 55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59" },
		{ 56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562" },
		{ 63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488" },
		{ 64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108" },
		{ 65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781" },
		{ 119, "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6" },
		{ 120, "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c" },
		{ 127, "92ca0fa6651ee2f97b884b7246a562fa71250fedefe5ebf270d31c546bfea976" },
		{ 128, "471fb943aa23c511f6f72f8d1652d9c880cfa392ad80503120547703e56a2be5" },
		{ 1000, "a8af099bf2e878609558dbf69d8f88f4a31040a8cf84b549a0cfa912f12ffc3f" },
	};
	uint8_t msg[1000];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		check_digest(msg, v[i].n, v[i].digest);
}

/* Feeding the same bytes in two pieces, split anywhere, gives the one-call
 * digest; so does byte-by-byte. */
static void test_incremental(void **state)
{
	uint8_t msg[300], one[PD_SHA256_LEN], got[PD_SHA256_LEN];
	struct pd_sha256 c;
	size_t n, split, i;

	(void)state;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	for (n = 0; n <= sizeof(msg); n += 13) {
		pd_sha256(msg, n, one);
		for (split = 0; split <= n; split++) {
			pd_sha256_init(&c);
			pd_sha256_update(&c, msg, split);
			pd_sha256_update(&c, msg + split, n - split);
			pd_sha256_final(&c, got);
			assert_memory_equal(got, one, sizeof(one));
		}
		pd_sha256_init(&c);
		for (i = 0; i < n; i++)
			pd_sha256_update(&c, msg + i, 1);
		pd_sha256_final(&c, got);
		assert_memory_equal(got, one, sizeof(one));
	}
}

/* final() wipes the context: no intermediate state left behind. */
static void test_final_wipes(void **state)
{
	struct pd_sha256 c, zero;
	uint8_t out[PD_SHA256_LEN];

	(void)state;
	memset(&zero, 0, sizeof(zero));
	pd_sha256_init(&c);
	pd_sha256_update(&c, "secret", 6);
	pd_sha256_final(&c, out);
	assert_memory_equal(&c, &zero, sizeof(c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nist_examples),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_padding_boundaries),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_final_wipes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
