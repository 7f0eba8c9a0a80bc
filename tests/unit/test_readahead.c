/* test_readahead.c - the reading thread behind large capture files
 * (lib/src/readahead.c): windows over a file of known bytes, carried across
 * block ends, the end of the file and files it declines; and a capture file
 * large enough to go through it read by pd_cap, compared record by record
 * with libpcap's own reading (as fuzz_pcapfast does for small files).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pathdiag/capture.h>

#include "readahead.h"

#define SPAN (1u << 20)

/* The byte at file offset i of the known-bytes file. */
static uint8_t byte_at(uint64_t i)
{
	return (uint8_t)(i * 2654435761u >> 13);
}

/* The thread is not started where the process has one CPU. */
static void need_two_cpus(void)
{
	cpu_set_t cpus;

	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) < 2)
		skip();
}

static int known_file(size_t size)
{
	int fd = memfd_create("test_readahead", 0);
	uint8_t *b = malloc(size);

	assert_true(fd >= 0);
	assert_non_null(b);
	for (size_t i = 0; i < size; i++)
		b[i] = byte_at(i);
	assert_int_equal(write(fd, b, size), (ssize_t)size);
	free(b);
	return fd;
}

static void check_window(const uint8_t *buf, off_t buf_off, size_t buf_len, off_t off,
			 size_t len)
{
	assert_true(off >= buf_off);
	assert_true(off + (off_t)len <= buf_off + (off_t)buf_len);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(buf[off - buf_off + (off_t)i], byte_at((uint64_t)off + i));
}

/* Windows of 1 byte to a whole span at forward-moving offsets, many of them
 * across the 1 MiB block ends; then the file's last byte, past the window
 * held (the bytes between are skipped), and the end. */
static void test_windows(void **state)
{
	const size_t size = 5 * SPAN + 12345;
	struct readahead *ra;
	uint8_t *buf = NULL;
	off_t buf_off = 0, off = 100;
	size_t buf_len = 0, len;
	unsigned seed = 7;
	int fd;

	(void)state;
	need_two_cpus();
	fd = known_file(size);
	ra = readahead_start(fd, 100, SPAN, 0);
	assert_non_null(ra);
	while (off < (off_t)size - (off_t)SPAN) {
		seed = seed * 1103515245u + 12345u;
		len = seed % 5 == 0 ? SPAN : 1 + (seed >> 8) % 70000;
		assert_true(readahead_window(ra, off, len, &buf, &buf_off, &buf_len));
		check_window(buf, buf_off, buf_len, off, len);
		off += (off_t)(len / 2 + 1);
	}
	assert_true(readahead_window(ra, (off_t)size - 1, 1, &buf, &buf_off, &buf_len));
	check_window(buf, buf_off, buf_len, (off_t)size - 1, 1);
	assert_false(readahead_window(ra, (off_t)size - 1, 2, &buf, &buf_off, &buf_len));
	assert_int_equal(buf_len, 0);
	readahead_stop(ra);
	close(fd);
}

/* Stopped while the thread still has blocks to fill. */
static void test_stop_early(void **state)
{
	struct readahead *ra;
	uint8_t *buf = NULL;
	off_t buf_off = 0;
	size_t buf_len = 0;
	int fd;

	(void)state;
	need_two_cpus();
	fd = known_file(12 * SPAN);
	ra = readahead_start(fd, 0, SPAN, 0);
	assert_non_null(ra);
	assert_true(readahead_window(ra, 0, 64, &buf, &buf_off, &buf_len));
	check_window(buf, buf_off, buf_len, 0, 64);
	readahead_stop(ra);
	close(fd);
}

/* Too little left to gain, or not a regular file: the caller reads. */
static void test_declines(void **state)
{
	int fd = known_file(4096), pfd[2];

	(void)state;
	assert_null(readahead_start(fd, 0, SPAN, 8192));
	assert_null(readahead_start(fd, 4000, SPAN, 100));
	assert_int_equal(pipe(pfd), 0);
	assert_null(readahead_start(pfd[0], 0, SPAN, 0));
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
}

static void put32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/* A classic pcap file of about 20 MB (past READAHEAD_MIN_FILE): frames of
 * 1 byte up to the 262144-byte snap length, then a record cut short by
 * the end of the file. */
static int capture_file(void)
{
	int fd = memfd_create("test_readahead_pcap", 0);
	uint8_t h[24], r[16];
	static uint8_t frame[262144];
	size_t total = 0;
	unsigned seed = 1, n = 0;

	assert_true(fd >= 0);
	put32(h, 0xa1b2c3d4u);
	h[4] = 2, h[5] = 0, h[6] = 4, h[7] = 0;
	put32(h + 8, 0);
	put32(h + 12, 0);
	put32(h + 16, sizeof(frame));
	put32(h + 20, 1);
	assert_int_equal(write(fd, h, sizeof(h)), (ssize_t)sizeof(h));
	while (total < 20u << 20) {
		uint32_t len;

		seed = seed * 1103515245u + 12345u;
		len = seed % 97 == 0 ? sizeof(frame) - (seed >> 20) % 3 :
		      seed % 13 == 0 ? 1 + (seed >> 12) % 65535 : 1 + (seed >> 16) % 1514;
		for (uint32_t i = 0; i < len; i++)
			frame[i] = (uint8_t)(n + i * 7);
		put32(r, 1700000000u + n / 1000);
		put32(r + 4, (n % 1000) * 1000);
		put32(r + 8, len);
		put32(r + 12, len + (n & 1));
		assert_int_equal(write(fd, r, sizeof(r)), (ssize_t)sizeof(r));
		assert_int_equal(write(fd, frame, len), (ssize_t)len);
		total += sizeof(r) + len;
		n++;
	}
	put32(r + 8, 100);
	assert_int_equal(write(fd, r, sizeof(r)), (ssize_t)sizeof(r));
	assert_int_equal(write(fd, frame, 40), 40);
	return fd;
}

static void test_capture_matches_libpcap(void **state)
{
	int fd = capture_file();
	char path[64], eb[PCAP_ERRBUF_SIZE];
	struct pd_cap *cap = pd_cap_new(NULL);
	struct pd_error err = { 0 };
	struct pd_cap_frame f;
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p;
	unsigned frames = 0;
	int a, b;

	(void)state;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	assert_non_null(cap);
	assert_int_equal(pd_cap_add_file(cap, path, &err), 0);
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, eb);
	assert_non_null(p);
	for (;;) {
		a = pd_cap_next(cap, &f, 0, &err);
		b = pcap_next_ex(p, &h, &d);
		if (a != 1 || b != 1)
			break;
		assert_int_equal(f.caplen, h->caplen);
		assert_int_equal(f.wirelen, h->len);
		assert_int_equal(f.ts_usec, (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec);
		assert_memory_equal(f.data, d, f.caplen);
		frames++;
	}
	/* both end with libpcap's error about the cut record */
	assert_int_equal(b, PCAP_ERROR);
	assert_true(a < 0);
	assert_true(frames > 1000);
	pcap_close(p);
	pd_cap_free(cap);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_stop_early),
		cmocka_unit_test(test_declines),
		cmocka_unit_test(test_capture_matches_libpcap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
