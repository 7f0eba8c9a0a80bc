/* fuzz_common.h - shared helpers for the libFuzzer targets in tests/fuzz.
 *
 * Every target copies its input into an exactly sized heap buffer (so ASan
 * reports a read even one byte past the end, or before the start of a slice
 * that a selector byte was stripped from), calls one decoder, and then checks
 * the decoder's contract.  A broken contract prints the failed expression and
 * aborts, which libFuzzer records as a crash with the input that caused it.
 *
 * Two kinds of checks:
 *   FZ_CHECK   structural promises (bounds, offsets, the error convention of
 *              pathdiag/error.h); always on.
 *   FZ_STRICT  value oracles: a decoded field equals what this file computes
 *              independently from the bytes (RFC layouts).  On by default;
 *              PD_FUZZ_LAX=1 in the environment turns them off, so a campaign
 *              can go on hunting memory errors once a value finding has been
 *              reported.
 */
#ifndef PATHDIAG_FUZZ_COMMON_H
#define PATHDIAG_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pathdiag/error.h>

/* libFuzzer entry point (prototype for -Wmissing-prototypes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline _Noreturn void fz_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "\n==pathdiag-fuzz== contract broken at %s:%d: %s\n",
		file, line, expr);
	abort();
}

static inline bool fz_strict_on(void)
{
	static int on = -1;

	if (on < 0) {
		const char *e = getenv("PD_FUZZ_LAX");

		on = !(e && *e && strcmp(e, "0") != 0);
	}
	return on;
}

#define FZ_CHECK(cond) \
	do { \
		if (!(cond)) \
			fz_fail(__FILE__, __LINE__, #cond); \
	} while (0)

#define FZ_STRICT(cond) \
	do { \
		if (fz_strict_on() && !(cond)) \
			fz_fail(__FILE__, __LINE__, "[strict] " #cond); \
	} while (0)

/* The input (or a slice of it) in a heap block of exactly n bytes. */
static inline uint8_t *fz_dup(const uint8_t *data, size_t n)
{
	uint8_t *p = malloc(n);

	if (!p && n)
		abort();
	if (n)
		memcpy(p, data, n);
	return p;
}

/* Independent loaders for the oracles (not lib/src/cursor.h on purpose). */
static inline uint16_t fz_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t fz_be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t fz_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t fz_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static inline uint64_t fz_le64(const uint8_t *p)
{
	return (uint64_t)fz_le32(p + 4) << 32 | fz_le32(p);
}

static inline size_t fz_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* A static description: non-empty, printable, shorter than max.  Reading
 * it also makes ASan complain if `what` points somewhere it should not. */
static inline void fz_check_what_max(const char *what, size_t max)
{
	size_t i;

	FZ_CHECK(what != NULL);
	for (i = 0; what[i]; i++) {
		FZ_CHECK(i < max);
		FZ_CHECK(what[i] >= 0x20 && what[i] < 0x7f);
	}
	FZ_CHECK(i > 0);
}

/* A decoder's description: reasonably short. */
static inline void fz_check_what(const char *what)
{
	fz_check_what_max(what, 200);
}

/* Poison an error record so that a decoder that fails without filling it
 * is caught. */
static inline void fz_err_poison(struct pd_error *err)
{
	err->code = 12345;
	err->offset = (size_t)-1;
	err->what = NULL;
	err->sys_errno = -1;
}

static inline bool fz_is_decode_status(int ret)
{
	return ret == PD_ERR_TRUNCATED || ret == PD_ERR_MALFORMED ||
	       ret == PD_ERR_UNSUPPORTED || ret == PD_ERR_INVAL;
}

/* The error convention after a failed decode of a len-byte buffer. */
static inline void fz_check_err(int ret, const struct pd_error *err, size_t len)
{
	FZ_CHECK(ret < 0);
	FZ_CHECK(fz_is_decode_status(ret));
	FZ_CHECK(err->code == ret);
	FZ_CHECK(err->offset <= len);
	fz_check_what(err->what);
}

/* Internet checksum (RFC 1071) folded sum over n bytes; a header whose
 * checksum field is right sums to 0xffff. */
static inline uint16_t fz_sum16(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += fz_be16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

#endif
