/* readahead.h - internal: a file read ahead in large blocks by a second
 * thread, so the kernel's copy out of the page cache overlaps the reader's
 * work on the block before (pcapfast.c's source of bytes for large files;
 * see readahead.c).
 */
#ifndef PD_READAHEAD_H
#define PD_READAHEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct readahead;

/* Files with fewer bytes than this left are read without a thread (the
 * fuzz build defines a small value so that its inputs of a few KB reach the
 * thread: FUZZ_CFLAGS in the Makefile). */
#ifndef READAHEAD_MIN_FILE
#define READAHEAD_MIN_FILE (16u << 20)
#endif

/* Start reading fd (read with pread only, never closed here) from offset
 * off on, in blocks of at least max_span bytes; a window asked for later is
 * at most max_span bytes long.  NULL when the file is too short to gain
 * (min_file bytes left; READAHEAD_MIN_FILE normally), the process may run
 * on one CPU only, or a thread or memory is not to be had: then the caller
 * reads the file itself. */
struct readahead *readahead_start(int fd, off_t off, size_t max_span, size_t min_file);

/* Make the file's bytes [off, off + len) available: *buf, *buf_off and
 * *buf_len describe the window held (file bytes [*buf_off, *buf_off +
 * *buf_len) at *buf), which must be the one the last call returned (or
 * *buf_len 0 at first).  Offsets only move forward: off >= *buf_off.
 * Bytes of the old window from off on are carried into the new one (bytes
 * before off are skipped).  False at the end of the file or on a read
 * error (the window is then empty). */
bool readahead_window(struct readahead *ra, off_t off, size_t len, uint8_t **buf,
		      off_t *buf_off, size_t *buf_len);

/* Stop the thread and free everything. */
void readahead_stop(struct readahead *ra);

#endif
