/* readahead.c - a file read ahead in blocks by a second thread (see
 * readahead.h).
 *
 * No wire format: plain POSIX threads and pread(2).  Reading a capture out
 * of the page cache is mostly the kernel copying bytes (read() showed as a
 * third of tunsniff's time); done by another thread into a ring of blocks,
 * that copy runs on a second core while the caller works on the block it
 * holds.
 *
 *   block:  | headroom (max_span)            | data (RA_BLK or more)  |
 *                          | carried | <- bytes the caller still needed
 *                                      of the block before, copied in front
 *
 * The caller holds one block at a time; a window that runs past the end of
 * its block continues in the next one, with the unread rest of the old
 * window (less than one span: one partial record) copied into that block's
 * headroom, so every window is contiguous.  The thread fills the other
 * blocks in file order and stops at the end of the file or the first read
 * error; the caller then sees the end of its data at that offset and reads
 * on by other means (pcapfast hands the file back to libpcap, which reports
 * any error in its own words).
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "readahead.h"

/* The fuzz build shrinks both (READAHEAD_NBLK, READAHEAD_BLK in the
 * Makefile's FUZZ_CFLAGS) so that small inputs wrap the ring. */
#ifdef READAHEAD_NBLK
#define RA_NBLK READAHEAD_NBLK
#else
#define RA_NBLK 8
#endif
#ifdef READAHEAD_BLK
#define RA_BLK READAHEAD_BLK
#else
#define RA_BLK (1u << 20)
#endif

struct ra_block {
	uint8_t *mem;   /* headroom + data */
	size_t len;     /* data bytes read into it */
};

struct readahead {
	int fd;
	size_t head, blk;
	off_t file_off;          /* thread: where the next block starts */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t filled, freed;
	unsigned produced;       /* blocks filled, in file order */
	unsigned taken;          /* blocks the caller has taken */
	unsigned released;       /* blocks the caller gave back */
	bool ended;              /* thread: no block will follow (end, error) */
	bool idle;               /* thread: waiting for a free block */
	bool stop;
	struct ra_block b[RA_NBLK];
};

static void *ra_thread(void *arg)
{
	struct readahead *ra = arg;

	for (;;) {
		struct ra_block *b;
		size_t got = 0;

		pthread_mutex_lock(&ra->mu);
		while (!ra->stop && ra->produced - ra->released >= RA_NBLK) {
			ra->idle = true;
			pthread_cond_wait(&ra->freed, &ra->mu);
		}
		if (ra->stop) {
			pthread_mutex_unlock(&ra->mu);
			return NULL;
		}
		b = &ra->b[ra->produced % RA_NBLK];
		pthread_mutex_unlock(&ra->mu);
		/* the slot is free: the caller takes only produced blocks */
		while (got < ra->blk) {
			ssize_t n = pread(ra->fd, b->mem + ra->head + got, ra->blk - got,
					  ra->file_off + (off_t)got);

			if (n <= 0)
				break;
			got += (size_t)n;
		}
		b->len = got;
		ra->file_off += (off_t)got;
		pthread_mutex_lock(&ra->mu);
		ra->produced++;
		if (got < ra->blk)
			ra->ended = true;
		pthread_cond_signal(&ra->filled);
		pthread_mutex_unlock(&ra->mu);
		if (got < ra->blk)
			return NULL;
	}
}

struct readahead *readahead_start(int fd, off_t off, size_t max_span, size_t min_file)
{
	struct readahead *ra;
	struct stat sb;
	cpu_set_t cpus;

	/* on a single CPU the copy cannot overlap anything, and the caller
	 * would find the bytes further out of its cache */
	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) < 2)
		return NULL;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size < off ||
	    (uint64_t)(sb.st_size - off) < min_file)
		return NULL;
	ra = calloc(1, sizeof(*ra));
	if (!ra)
		return NULL;
	ra->fd = fd;
	ra->head = max_span;
	ra->blk = max_span > RA_BLK ? max_span : RA_BLK;
	ra->file_off = off;
	for (unsigned i = 0; i < RA_NBLK; i++) {
		ra->b[i].mem = malloc(ra->head + ra->blk);
		if (!ra->b[i].mem)
			goto fail;
	}
	pthread_mutex_init(&ra->mu, NULL);
	pthread_cond_init(&ra->filled, NULL);
	pthread_cond_init(&ra->freed, NULL);
	if (pthread_create(&ra->th, NULL, ra_thread, ra) != 0) {
		pthread_cond_destroy(&ra->freed);
		pthread_cond_destroy(&ra->filled);
		pthread_mutex_destroy(&ra->mu);
		goto fail;
	}
	return ra;
fail:
	for (unsigned i = 0; i < RA_NBLK; i++)
		free(ra->b[i].mem);
	free(ra);
	return NULL;
}

bool readahead_window(struct readahead *ra, off_t off, size_t len, uint8_t **buf,
		      off_t *buf_off, size_t *buf_len)
{
	size_t keep = 0;
	uint64_t skip = 0;  /* bytes between the old window's end and off */
	const uint8_t *from = NULL;

	if (*buf_len && off >= *buf_off && off <= *buf_off + (off_t)*buf_len) {
		keep = *buf_len - (size_t)(off - *buf_off);
		from = *buf + (off - *buf_off);
	} else if (*buf_len && off > *buf_off) {
		skip = (uint64_t)(off - (*buf_off + (off_t)*buf_len));
	}
	while (keep < len) {
		struct ra_block *b;
		uint8_t *dst;
		size_t part;

		if (keep > ra->head || len > ra->head)
			break;
		pthread_mutex_lock(&ra->mu);
		while (ra->produced == ra->taken && !ra->ended)
			pthread_cond_wait(&ra->filled, &ra->mu);
		if (ra->produced == ra->taken) {
			pthread_mutex_unlock(&ra->mu);
			break; /* the end of the file, or a read error */
		}
		pthread_mutex_unlock(&ra->mu);
		b = &ra->b[ra->taken % RA_NBLK];
		part = skip < b->len ? b->len - (size_t)skip : 0;
		dst = b->mem + ra->head + (b->len - part) - keep;
		skip -= b->len - part;
		if (keep)
			memcpy(dst, from, keep);
		/* the block held so far (if any) is no longer needed */
		pthread_mutex_lock(&ra->mu);
		if (ra->taken > ra->released)
			ra->released++;
		/* a waiting thread is woken once half the blocks are free, not
		 * for every block: each wake-up costs a system call here */
		if (ra->idle && ra->produced - ra->released <= RA_NBLK / 2) {
			ra->idle = false;
			pthread_cond_signal(&ra->freed);
		}
		ra->taken++;
		pthread_mutex_unlock(&ra->mu);
		keep += part;
		from = dst;
		*buf = dst;
		*buf_off = off;
		*buf_len = keep;
		if (b->len == 0)
			break;
	}
	if (keep >= len)
		return true;
	*buf_len = 0;
	return false;
}

void readahead_stop(struct readahead *ra)
{
	if (!ra)
		return;
	pthread_mutex_lock(&ra->mu);
	ra->stop = true;
	ra->idle = false;
	pthread_cond_signal(&ra->freed);
	pthread_mutex_unlock(&ra->mu);
	pthread_join(ra->th, NULL);
	pthread_cond_destroy(&ra->freed);
	pthread_cond_destroy(&ra->filled);
	pthread_mutex_destroy(&ra->mu);
	for (unsigned i = 0; i < RA_NBLK; i++)
		free(ra->b[i].mem);
	free(ra);
}
