/* decoder_test.h - helpers shared by the decoder unit tests (test_link.c,
 * test_ipv4.c, ...): heap copies sized exactly, so that ASan catches any
 * read past the end of a buffer, and a sweep over every short length.
 */
#ifndef PD_DECODER_TEST_H
#define PD_DECODER_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pathdiag/error.h>

/* A heap copy of exactly n bytes: a read at or past p[n] is an ASan
 * heap-buffer-overflow (calloc(0, 1) still yields a distinct pointer). */
static inline uint8_t *heap_copy(const uint8_t *p, size_t n)
{
	uint8_t *b = calloc(n, 1);

	if (n) {
		assert_non_null(b);
		memcpy(b, p, n);
	}
	return b;
}

/* Assert a decoder call failed with `code`, consistently in the return
 * value and the error record, and at `offset`. */
#define assert_pd_error(rc, err, want_code, want_off)            \
	do {                                                     \
		assert_int_equal((rc), (want_code));             \
		assert_int_equal((err).code, (want_code));       \
		assert_int_equal((err).offset, (want_off));      \
		assert_non_null((err).what);                     \
	} while (0)

/* Every length below `upto` of pkt must be PD_ERR_TRUNCATED with an offset
 * inside what was given.  `call` is an expression using tb (the heap copy),
 * tn (its length), &to (an OUT) and &te (the struct pd_error). */
#define sweep_truncated(pkt, upto, OUT, call)                              \
	do {                                                               \
		for (size_t tn = 0; tn < (size_t)(upto); tn++) {           \
			OUT to;                                            \
			struct pd_error te = { 0 };                        \
			uint8_t *tb = heap_copy((pkt), tn);                \
			int trc = (call);                                  \
			free(tb);                                          \
			(void)to;                                          \
			if (trc != PD_ERR_TRUNCATED)                       \
				fail_msg("length %zu: got %d, want truncated", \
					 tn, trc);                         \
			assert_int_equal(te.code, PD_ERR_TRUNCATED);       \
			assert_true(te.offset <= tn);                      \
			assert_non_null(te.what);                          \
		}                                                          \
	} while (0)

#endif
