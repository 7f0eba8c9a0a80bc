/* hmac.h - SHA-256 (FIPS 180-4 section 6.2) and HMAC-SHA256 (RFC 2104,
 * test vectors RFC 4231), for authenticating peer-protocol messages
 * (pathdiag/peerproto.h), plus a constant-time comparison and a wipe that
 * the compiler cannot drop.
 *
 * Written for this project: no external crypto library.  The contexts are
 * plain structs the caller owns; nothing allocates, nothing fails.
 */
#ifndef PATHDIAG_HMAC_H
#define PATHDIAG_HMAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_SHA256_LEN 32   /* digest bytes */
#define PD_SHA256_BLOCK 64 /* block bytes */

struct pd_sha256 {
	uint32_t h[8];
	uint64_t nbytes;                /* message bytes hashed so far */
	uint8_t buf[PD_SHA256_BLOCK];   /* partial block */
	size_t buflen;
};

void pd_sha256_init(struct pd_sha256 *c);
void pd_sha256_update(struct pd_sha256 *c, const void *data, size_t len);
/* Write the digest and wipe the context (it must be re-initialised). */
void pd_sha256_final(struct pd_sha256 *c, uint8_t out[PD_SHA256_LEN]);
/* One call: the digest of data[0..len). */
void pd_sha256(const void *data, size_t len, uint8_t out[PD_SHA256_LEN]);

struct pd_hmac_sha256 {
	struct pd_sha256 inner;
	struct pd_sha256 outer;  /* already fed with key ^ opad */
};

/* Keys longer than a block are hashed first (RFC 2104 section 2); any
 * length, including 0, is accepted. */
void pd_hmac_sha256_init(struct pd_hmac_sha256 *h, const void *key, size_t key_len);
void pd_hmac_sha256_update(struct pd_hmac_sha256 *h, const void *data, size_t len);
/* Write the 32-byte MAC and wipe the context. */
void pd_hmac_sha256_final(struct pd_hmac_sha256 *h, uint8_t out[PD_SHA256_LEN]);
void pd_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		    uint8_t out[PD_SHA256_LEN]);

/* true when a[0..n) == b[0..n).  Time depends on n only, never on where
 * the buffers differ (for comparing MACs). */
bool pd_ct_equal(const void *a, const void *b, size_t n);

/* Overwrite p[0..n) with zeros in a way the optimiser keeps (key material
 * on the stack). */
void pd_wipe(void *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif
