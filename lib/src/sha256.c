/* sha256.c - SHA-256 as specified in FIPS 180-4 (sections 4.1.2, 4.2.2,
 * 5.1.1, 5.3.3 and 6.2).
 *
 * Message padding (FIPS 180-4 5.1.1): the message, one 0x80 byte, zeros up
 * to 56 mod 64, then the message length in bits as a 64-bit big-endian
 * number:
 *
 *   +---------------------------+------+-----------+-------------------+
 *   | message (l bits)          | 0x80 | 0x00 ...  | l (64 bits, BE)   |
 *   +---------------------------+------+-----------+-------------------+
 *   |<------------------- multiple of 512 bits ------------------------>|
 *
 * Each 512-bit block is read as sixteen big-endian 32-bit words, expanded
 * to the 64-word schedule W, and mixed into the eight working variables by
 * 64 rounds with the constants K (first 32 bits of the fractional parts of
 * the cube roots of the first 64 primes).
 */
#include <string.h>

#include <pathdiag/hmac.h>

#include "cursor.h"

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* FIPS 180-4 5.3.3: square roots of the first 8 primes. */
static const uint32_t H0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static inline uint32_t rotr(uint32_t x, unsigned n)
{
	return x >> n | x << (32 - n);
}

/* FIPS 180-4 4.1.2 (Ch, Maj, the two Sigma and two sigma functions). */
#define CH(x, y, z) (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define BSIG0(x) (rotr((x), 2) ^ rotr((x), 13) ^ rotr((x), 22))
#define BSIG1(x) (rotr((x), 6) ^ rotr((x), 11) ^ rotr((x), 25))
#define SSIG0(x) (rotr((x), 7) ^ rotr((x), 18) ^ ((x) >> 3))
#define SSIG1(x) (rotr((x), 17) ^ rotr((x), 19) ^ ((x) >> 10))

static void compress(uint32_t h[8], const uint8_t block[PD_SHA256_BLOCK])
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int t;

	for (t = 0; t < 16; t++)
		w[t] = pd_load_be32(block + 4 * t);
	for (t = 16; t < 64; t++)
		w[t] = SSIG1(w[t - 2]) + w[t - 7] + SSIG0(w[t - 15]) + w[t - 16];
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; hh = h[7];
	for (t = 0; t < 64; t++) {
		t1 = hh + BSIG1(e) + CH(e, f, g) + K[t] + w[t];
		t2 = BSIG0(a) + MAJ(a, b, c);
		hh = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
	pd_wipe(w, sizeof(w));
}

void pd_sha256_init(struct pd_sha256 *c)
{
	memcpy(c->h, H0, sizeof(c->h));
	c->nbytes = 0;
	c->buflen = 0;
	memset(c->buf, 0, sizeof(c->buf));
}

void pd_sha256_update(struct pd_sha256 *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (!len)
		return; /* data may be NULL then */
	c->nbytes += len;
	if (c->buflen) {
		size_t take = PD_SHA256_BLOCK - c->buflen;

		if (take > len)
			take = len;
		memcpy(c->buf + c->buflen, p, take);
		c->buflen += take;
		p += take;
		len -= take;
		if (c->buflen < PD_SHA256_BLOCK)
			return;
		compress(c->h, c->buf);
		c->buflen = 0;
	}
	while (len >= PD_SHA256_BLOCK) {
		compress(c->h, p);
		p += PD_SHA256_BLOCK;
		len -= PD_SHA256_BLOCK;
	}
	if (len) {
		memcpy(c->buf, p, len);
		c->buflen = len;
	}
}

void pd_sha256_final(struct pd_sha256 *c, uint8_t out[PD_SHA256_LEN])
{
	uint64_t bits = c->nbytes * 8;
	int i;

	c->buf[c->buflen++] = 0x80;
	if (c->buflen > PD_SHA256_BLOCK - 8) {
		memset(c->buf + c->buflen, 0, PD_SHA256_BLOCK - c->buflen);
		compress(c->h, c->buf);
		c->buflen = 0;
	}
	memset(c->buf + c->buflen, 0, PD_SHA256_BLOCK - 8 - c->buflen);
	pd_store_be32(c->buf + 56, (uint32_t)(bits >> 32));
	pd_store_be32(c->buf + 60, (uint32_t)bits);
	compress(c->h, c->buf);
	for (i = 0; i < 8; i++)
		pd_store_be32(out + 4 * i, c->h[i]);
	pd_wipe(c, sizeof(*c));
}

void pd_sha256(const void *data, size_t len, uint8_t out[PD_SHA256_LEN])
{
	struct pd_sha256 c;

	pd_sha256_init(&c);
	pd_sha256_update(&c, data, len);
	pd_sha256_final(&c, out);
}
