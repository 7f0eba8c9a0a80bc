/* hmac.c - HMAC-SHA256 (RFC 2104 section 2, with SHA-256 from FIPS 180-4;
 * test vectors in RFC 4231 section 4), constant-time compare, wipe.
 *
 *   HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m))
 *
 *   K'   = K padded with zeros to the 64-byte block, or H(K) padded when K
 *          is longer than a block
 *   ipad = 0x36 repeated, opad = 0x5c repeated (64 bytes each)
 */
#include <string.h>

#include <pathdiag/hmac.h>

#define IPAD 0x36
#define OPAD 0x5c

void pd_hmac_sha256_init(struct pd_hmac_sha256 *h, const void *key, size_t key_len)
{
	uint8_t k[PD_SHA256_BLOCK], pad[PD_SHA256_BLOCK];
	size_t i;

	memset(k, 0, sizeof(k));
	if (key_len > PD_SHA256_BLOCK)
		pd_sha256(key, key_len, k);
	else if (key_len)
		memcpy(k, key, key_len);

	for (i = 0; i < PD_SHA256_BLOCK; i++)
		pad[i] = k[i] ^ IPAD;
	pd_sha256_init(&h->inner);
	pd_sha256_update(&h->inner, pad, sizeof(pad));
	for (i = 0; i < PD_SHA256_BLOCK; i++)
		pad[i] = k[i] ^ OPAD;
	pd_sha256_init(&h->outer);
	pd_sha256_update(&h->outer, pad, sizeof(pad));
	pd_wipe(k, sizeof(k));
	pd_wipe(pad, sizeof(pad));
}

void pd_hmac_sha256_update(struct pd_hmac_sha256 *h, const void *data, size_t len)
{
	pd_sha256_update(&h->inner, data, len);
}

void pd_hmac_sha256_final(struct pd_hmac_sha256 *h, uint8_t out[PD_SHA256_LEN])
{
	uint8_t ih[PD_SHA256_LEN];

	pd_sha256_final(&h->inner, ih);
	pd_sha256_update(&h->outer, ih, sizeof(ih));
	pd_sha256_final(&h->outer, out);
	pd_wipe(ih, sizeof(ih));
}

void pd_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		    uint8_t out[PD_SHA256_LEN])
{
	struct pd_hmac_sha256 h;

	pd_hmac_sha256_init(&h, key, key_len);
	pd_hmac_sha256_update(&h, data, len);
	pd_hmac_sha256_final(&h, out);
}

bool pd_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;
	size_t i;

	/* Accumulate every difference; no early exit, no data-dependent
	 * branch.  volatile keeps the compiler from turning this into memcmp. */
	for (i = 0; i < n; i++)
		d |= (uint8_t)(x[i] ^ y[i]);
	return d == 0;
}

void pd_wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
}
