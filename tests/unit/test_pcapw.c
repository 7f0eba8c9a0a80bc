/* test_pcapw.c - the test suite's pcap writer (tests/common/pcapw.c): the
 * bytes it writes, read back by hand and by libpcap, snaplen cuts, and the
 * errors it must report (bad arguments, unopenable path, a full disk).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pathdiag/error.h>

#include "../common/pcapw.h"

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static char path[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_pcapw.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static size_t slurp(uint8_t *buf, size_t cap)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, cap, fp);
	fclose(fp);
	return n;
}

static void test_bytes(void **state)
{
	static const uint8_t p1[5] = { 1, 2, 3, 4, 5 };
	static const uint8_t p2[30] = { [0] = 0x45, [29] = 0xee };
	struct pcapw w;
	uint8_t b[256];

	(void)state;
	assert_int_equal(pcapw_open(&w, path, PCAPW_LINKTYPE_RAW, 20), 0);
	assert_int_equal(pcapw_write(&w, 1700000000123456ull, p1, 5), 0);
	assert_int_equal(pcapw_write(&w, 1700000001000000ull, p2, 30), 0);
	assert_int_equal(w.packets, 2);
	assert_int_equal(pcapw_close(&w), 0);
	assert_int_equal(slurp(b, sizeof(b)), 24 + 16 + 5 + 16 + 20);
	/* File header, little-endian. */
	assert_int_equal(b[0], 0xd4);
	assert_int_equal(b[1], 0xc3);
	assert_int_equal(b[2], 0xb2);
	assert_int_equal(b[3], 0xa1);
	assert_int_equal(b[4] | b[5] << 8, 2);
	assert_int_equal(b[6] | b[7] << 8, 4);
	assert_int_equal(rd32(b + 8), 0);
	assert_int_equal(rd32(b + 12), 0);
	assert_int_equal(rd32(b + 16), 20);
	assert_int_equal(rd32(b + 20), 101);
	/* Record 1. */
	assert_int_equal(rd32(b + 24), 1700000000u);
	assert_int_equal(rd32(b + 28), 123456);
	assert_int_equal(rd32(b + 32), 5);
	assert_int_equal(rd32(b + 36), 5);
	assert_memory_equal(b + 40, p1, 5);
	/* Record 2: cut at the snaplen, original length kept. */
	assert_int_equal(rd32(b + 45), 1700000001u);
	assert_int_equal(rd32(b + 49), 0);
	assert_int_equal(rd32(b + 53), 20);
	assert_int_equal(rd32(b + 57), 30);
	assert_memory_equal(b + 61, p2, 20);
}

/* libpcap reads what we wrote the same way. */
static void test_libpcap_reads_it(void **state)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint8_t pkt[100];
	struct pcapw w;
	pcap_t *pc;

	(void)state;
	for (int i = 0; i < 100; i++)
		pkt[i] = (uint8_t)i;
	assert_int_equal(pcapw_open(&w, path, PCAPW_LINKTYPE_ETHERNET, 0), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pcapw_write(&w, 1000000ull * (10 + i) + 7, pkt,
					     60 + (size_t)i), 0);
	assert_int_equal(pcapw_close(&w), 0);

	pc = pcap_open_offline(path, errbuf);
	assert_non_null(pc);
	assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
	assert_int_equal(pcap_snapshot(pc), PCAPW_DEFAULT_SNAPLEN);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pcap_next_ex(pc, &h, &data), 1);
		assert_int_equal(h->ts.tv_sec, 10 + i);
		assert_int_equal(h->ts.tv_usec, 7);
		assert_int_equal(h->caplen, 60 + i);
		assert_int_equal(h->len, 60 + i);
		assert_memory_equal(data, pkt, 60 + (size_t)i);
	}
	assert_int_equal(pcap_next_ex(pc, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(pc);
}

static void test_errors(void **state)
{
	static const uint8_t p[4] = { 0 };
	struct pcapw w;

	(void)state;
	assert_int_equal(pcapw_open(&w, "/nonexistent-dir/x.pcap", 1, 0), PD_ERR_SYSTEM);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(pcapw_open(NULL, path, 1, 0), PD_ERR_INVAL);
	assert_int_equal(pcapw_open(&w, NULL, 1, 0), PD_ERR_INVAL);

	assert_int_equal(pcapw_open(&w, path, 1, 0), 0);
	/* Seconds must fit the 32-bit field; data must exist. */
	assert_int_equal(pcapw_write(&w, (uint64_t)UINT32_MAX * 1000000 + 999999, p, 4), 0);
	assert_int_equal(pcapw_write(&w, ((uint64_t)UINT32_MAX + 1) * 1000000, p, 4),
			 PD_ERR_INVAL);
	assert_int_equal(pcapw_write(&w, 0, NULL, 4), PD_ERR_INVAL);
	assert_int_equal(pcapw_write(&w, 0, NULL, 0), 0);
	assert_int_equal(w.packets, 2);
	assert_int_equal(pcapw_close(&w), 0);
	/* Closed: unusable. */
	assert_int_equal(pcapw_write(&w, 0, p, 4), PD_ERR_INVAL);
	assert_int_equal(pcapw_close(&w), PD_ERR_INVAL);
}

/* A full disk shows up, at the latest when closing flushes the buffer. */
static void test_full_disk(void **state)
{
	static uint8_t p[1500];
	struct pcapw w;
	int rc = 0;

	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	assert_int_equal(pcapw_open(&w, "/dev/full", 1, 0), 0);
	for (int i = 0; i < 2000 && !rc; i++)
		rc = pcapw_write(&w, 0, p, sizeof(p));
	if (!rc)
		rc = pcapw_close(&w);
	else
		pcapw_close(&w);
	assert_int_equal(rc, PD_ERR_SYSTEM);
	assert_int_equal(errno, ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_libpcap_reads_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test(test_full_disk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
